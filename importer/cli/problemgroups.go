package cli

import (
	"fmt"
	"log/slog"
	"strconv"
	"strings"
	"sync"

	"github.com/devrev-import/devrev-import/importer/report"
	"github.com/devrev-import/devrev-import/mapping"
)

// Bounds of the problem groups: memory stays bounded whatever the file.
const (
	maxProblemGroups = 50 // groups kept; problems of other kinds are only counted
	groupRowsShown   = 3  // row numbers a group keeps and prints
)

// problemGroup is one (column, rule) of the problems past the first
// messages: how many there were and the first rows that had it.
type problemGroup struct {
	Column string `json:"column,omitempty"` // header name, or "" for the row as a whole
	Field  string `json:"field,omitempty"`
	Rule   string `json:"rule"`
	Count  int    `json:"count"`
	Rows   []int  `json:"rows"`
}

// problemGroups tallies the row problems the pipeline passes on after
// its first messages (pipeline.Config.More), in bounded memory.
type problemGroups struct {
	header []string
	mu     sync.Mutex
	index  map[groupKey]int
	groups []*problemGroup
	other  int // problems whose group did not fit under maxProblemGroups
}

type groupKey struct{ column, field, rule string }

func newProblemGroups(header []string) *problemGroups {
	return &problemGroups{header: header, index: map[groupKey]int{}}
}

// add counts one row's problem in its group.
func (g *problemGroups) add(row int, p mapping.Problem) {
	k := groupKey{column: p.Column, field: p.Field, rule: groupRule(p.Msg)}
	if k.column == "" && p.Col >= 0 && p.Col < len(g.header) {
		k.column = g.header[p.Col]
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	i, ok := g.index[k]
	if !ok {
		if len(g.groups) >= maxProblemGroups {
			g.other++
			return
		}
		i = len(g.groups)
		g.index[k] = i
		g.groups = append(g.groups, &problemGroup{Column: k.column, Field: k.field, Rule: k.rule})
	}
	grp := g.groups[i]
	grp.Count++
	if len(grp.Rows) < groupRowsShown {
		grp.Rows = append(grp.Rows, row)
	}
}

// groupRule is a problem's rule without the suggestion that depends on
// the value (`(did you mean ...)`), so rows with one mistake share a group.
func groupRule(msg string) string {
	for _, s := range []string{" (did you mean ", " (candidates"} {
		if i := strings.Index(msg, s); i >= 0 && strings.HasSuffix(msg, ")") {
			msg = msg[:i]
		}
	}
	return msg
}

// label is the group's line before its rows:
// `column "Priority" (severity): is not one of ...`, `(title): required field is empty`.
func (p *problemGroup) label() string {
	var b strings.Builder
	if p.Column != "" {
		b.WriteString("column " + strconv.Quote(p.Column))
	}
	if p.Field != "" {
		if b.Len() > 0 {
			b.WriteByte(' ')
		}
		b.WriteString("(" + p.Field + ")")
	}
	if b.Len() > 0 {
		b.WriteString(": ")
	}
	b.WriteString(p.Rule)
	return b.String()
}

// rowList is `row 4`, `rows 4, 9 and 12`, `rows 4, 9, 12 and 17 more`.
func (p *problemGroup) rowList() string {
	nums := make([]string, len(p.Rows))
	for i, n := range p.Rows {
		nums[i] = strconv.Itoa(n)
	}
	if p.Count == 1 {
		return "row " + nums[0]
	}
	if more := p.Count - len(p.Rows); more > 0 {
		return "rows " + strings.Join(nums, ", ") + " and " + report.Thousands(more) + " more"
	}
	last := len(nums) - 1
	return "rows " + strings.Join(nums[:last], ", ") + " and " + nums[last]
}

// lines are the text lines of the groups, the uncounted rest last.
func (g *problemGroups) lines(errorsPath string) []string {
	g.mu.Lock()
	defer g.mu.Unlock()
	out := make([]string, 0, len(g.groups)+1)
	for _, p := range g.groups {
		out = append(out, fmt.Sprintf("%s: %s", p.label(), p.rowList()))
	}
	if g.other > 0 {
		out = append(out, fmt.Sprintf("... and %s more problems of other kinds in %s", report.Thousands(g.other), errorsPath))
	}
	return out
}

// print writes the groups, one line (event "problem_group") each, and the
// problems of other kinds (event "problems_other").
func (g *problemGroups) print(o *output, errorsPath string) {
	lines := g.lines(errorsPath)
	g.mu.Lock()
	defer g.mu.Unlock()
	for i, p := range g.groups {
		o.event(slog.LevelInfo, "problem_group", lines[i],
			"column", p.Column, "field", p.Field, "rule", p.Rule, "count", p.Count, "rows", p.Rows)
	}
	if g.other > 0 {
		o.event(slog.LevelInfo, "problems_other", lines[len(lines)-1], "count", g.other, "errors_csv", errorsPath)
	}
}
