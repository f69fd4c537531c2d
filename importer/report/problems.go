package report

import (
	"fmt"
	"regexp"
	"sort"
	"strconv"
	"strings"

	"github.com/devrev-import/devrev-import/importer/checkpoint"
)

// ProblemGroup is one kind of problem: a column (with the field it maps
// to) and a rule, with how many rows had it.
type ProblemGroup struct {
	Column string // `Priority (severity)`, `column B (title)`, `applies_to_part`, `(row)`
	Rule   string // `is not one of Urgent, High, Normal, Low`, `HTTP 400 invalid_id`
	Count  int
	Rows   []int // the first few row numbers, for the tooltip
	Failed bool  // refused by the API (or the run), not by the tool's checks
}

// maxGroupRows is how many row numbers a group keeps as examples.
const maxGroupRows = 8

// The shapes of a problem message (mapping.Problem.Format after
// source.Reader.Where): `PATH:LINE column "NAME" (field): "value" rule`,
// `PATH row N column C: rule`, `Sheet!B9 (field): rule`, `Sheet!12: rule`.
var (
	xlsxProblem = regexp.MustCompile(`^(?s)(?:'(?:[^']|'')*'|[^\s!':"]+)!([A-Z]{1,3})?\d+(?: \(([^()]*)\))?: (.*)$`)
	csvProblem  = regexp.MustCompile(`^(?s).*?(?::\d+| row \d+)(?: column ("(?:[^"\\]|\\.)*"|[A-Z]{1,3}))?(?: \(([^()]*)\))?: (.*)$`)
	didYouMean  = regexp.MustCompile(`(?s) \((?:did you mean|candidates:?) .*\)$`)
)

// classify splits a problem message into the column it is about and its
// rule: the message without the cell's value, so that rows with the same
// mistake fall into one group. A message of another shape is its own rule.
func classify(msg string) (column, rule string) {
	var col, field, rest string
	if m := xlsxProblem.FindStringSubmatch(msg); m != nil {
		col, field, rest = m[1], m[2], m[3]
		if col != "" {
			col = "column " + col
		}
	} else if m := csvProblem.FindStringSubmatch(msg); m != nil {
		col, field, rest = m[1], m[2], m[3]
		if name, err := strconv.Unquote(col); err == nil {
			col = name
		} else if col != "" {
			col = "column " + col
		}
	} else {
		return "(row)", msg
	}
	switch {
	case col == "" && field == "":
		col = "(row)"
	case col == "":
		col = field
	case field != "":
		col += " (" + field + ")"
	}
	if v, err := strconv.QuotedPrefix(rest); err == nil {
		rest = strings.TrimPrefix(rest[len(v):], " ")
	}
	return col, didYouMean.ReplaceAllString(rest, "")
}

// classifyFailed names the group of a row the API (or the run) refused:
// the field the API named, if its message starts with one, and the HTTP
// status and error type.
func classifyFailed(e checkpoint.Entry) (column, rule string) {
	typ, msg := "failed", ""
	if e.Error != nil {
		typ, msg = e.Error.Type, e.Error.Message
	}
	rule = typ
	if e.HTTPStatus > 0 {
		rule = fmt.Sprintf("HTTP %d %s", e.HTTPStatus, typ)
	}
	column = "(row)"
	if f, _, ok := strings.Cut(msg, ": "); ok && isFieldName(f) {
		column = f
	}
	return column, rule
}

func isFieldName(s string) bool {
	if s == "" || len(s) > 64 {
		return false
	}
	for _, r := range s {
		if !(r == '_' || r == '.' || r >= 'a' && r <= 'z' || r >= '0' && r <= '9') {
			return false
		}
	}
	return true
}

// groupProblems counts the checkpoint's invalid and failed rows by column
// and rule, most frequent first. A row with several problems counts once
// in each of its groups.
func groupProblems(st *checkpoint.State) []ProblemGroup {
	type gk struct {
		col, rule string
		failed    bool
	}
	idx := map[gk]*ProblemGroup{}
	add := func(k gk, row int) {
		g := idx[k]
		if g == nil {
			g = &ProblemGroup{Column: k.col, Rule: k.rule, Failed: k.failed}
			idx[k] = g
		}
		g.Count++
		if len(g.Rows) < maxGroupRows {
			g.Rows = append(g.Rows, row)
		}
	}
	st.Each(func(e checkpoint.Entry) bool {
		switch e.Status {
		case checkpoint.Invalid:
			seen := map[gk]bool{}
			for _, m := range e.Errors {
				c, r := classify(m)
				if k := (gk{col: c, rule: r}); !seen[k] {
					seen[k] = true
					add(k, e.Row)
				}
			}
		case checkpoint.Failed:
			c, r := classifyFailed(e)
			add(gk{col: c, rule: r, failed: true}, e.Row)
		}
		return true
	})
	out := make([]ProblemGroup, 0, len(idx))
	for _, g := range idx {
		sort.Ints(g.Rows)
		out = append(out, *g)
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Count != out[j].Count {
			return out[i].Count > out[j].Count
		}
		if out[i].Column != out[j].Column {
			return out[i].Column < out[j].Column
		}
		return out[i].Rule < out[j].Rule
	})
	return out
}
