package schema

import (
	"context"
	"fmt"
	"math"
	"sort"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/devrev-import/devrev-import/importer/source"
	"github.com/devrev-import/devrev-import/importer/throttle"
	"github.com/devrev-import/devrev-import/mapping"
)

// customPrefix is how a mapping names a custom field.
const customPrefix = "custom_fields."

// Columns says which column feeds each custom field, for the Col and
// Column of problems. The zero value knows no column: every problem has
// Col -1.
type Columns struct {
	index  map[string]int // custom field name (no "custom_fields.") -> header index
	header []string
}

// ColumnsOf finds the columns of m that feed custom fields: from the
// mapping's rules, or, without a mapping file (cfg nil), from header names
// such as "custom_fields.tnt__story_points".
func ColumnsOf(cfg *mapping.Config, m *mapping.Mapper) Columns {
	header := m.Header()
	cols := Columns{index: map[string]int{}, header: header}
	set := func(name string, i int) {
		if _, seen := cols.index[name]; !seen && i >= 0 {
			cols.index[name] = i
		}
	}
	if cfg != nil {
		for _, r := range cfg.Columns {
			if name, ok := strings.CutPrefix(r.Field, customPrefix); ok {
				col := strings.ToLower(strings.TrimSpace(r.Column))
				for i, h := range header {
					if strings.ToLower(strings.TrimSpace(h)) == col {
						set(name, i)
						break
					}
				}
			}
		}
		return cols
	}
	for i, h := range header {
		h = strings.TrimSpace(h)
		if len(h) > len(customPrefix) && strings.EqualFold(h[:len(customPrefix)], customPrefix) {
			set(h[len(customPrefix):], i)
		}
	}
	return cols
}

// at returns the header index and name of a custom field's column, or -1.
func (c Columns) at(name string) (int, string) {
	i, ok := c.index[name]
	if !ok {
		return -1, ""
	}
	if i < len(c.header) {
		return i, c.header[i]
	}
	return i, ""
}

// EnrichFunc is the shape of pipeline.Config.Enrich.
// A non-nil error means the row could not be checked because of the API's
// or the run's state (throttle.RunEnding): the run stops, the row is not
// the one at fault.
type EnrichFunc = func(ctx context.Context, w *mapping.Work, row source.Row) ([]mapping.Problem, error)

// Enricher returns a function for pipeline.Config.Enrich that checks a
// row's custom fields (Check), fetching the schema of a work type the
// first time a row of that type comes. Combine it with the lookup
// Enricher through Chain.
func (s *Schema) Enricher(cfg *mapping.Config, m *mapping.Mapper) EnrichFunc {
	cols := ColumnsOf(cfg, m)
	return func(ctx context.Context, w *mapping.Work, _ source.Row) ([]mapping.Problem, error) {
		ts := s.typeOf(ctx, w.Type)
		if ts == nil {
			return []mapping.Problem{{Col: -1, Field: "type", Value: w.Type, Msg: "has no schema to check custom fields against"}}, nil
		}
		if ts.err != nil && throttle.RunEnding(ts.err) {
			return nil, fmt.Errorf("fetching the org's schema: %w", ts.err)
		}
		return s.Check(w, cols), nil
	}
}

// Chain returns an EnrichFunc running each of fs (nil ones skipped) on the
// row and returning all their problems: a row shows every unresolved name
// and every custom field mistake at once. The first error ends the chain.
func Chain(fs ...EnrichFunc) EnrichFunc {
	return func(ctx context.Context, w *mapping.Work, row source.Row) ([]mapping.Problem, error) {
		var probs []mapping.Problem
		for _, f := range fs {
			if f == nil {
				continue
			}
			p, err := f(ctx, w, row)
			if err != nil {
				return nil, err
			}
			probs = append(probs, p...)
		}
		return probs, nil
	}
}

// Check validates the custom fields of w against the schema of its work
// type: each must exist in the org (unknown → the closest name
// suggested), have the field's type (text, whole number, number, yes/no,
// date, timestamp; else the "as:" that fixes it), be an allowed enum or
// uenum value, and fit the field's bounds; required custom fields must be
// present. A work type whose schema was not fetched yields one row-level
// problem (use Enricher to fetch on demand).
func (s *Schema) Check(w *mapping.Work, cols Columns) []mapping.Problem {
	s.mu.Lock()
	ts := s.types[w.Type]
	s.mu.Unlock()
	if ts == nil {
		if len(w.CustomFields) == 0 {
			return nil
		}
		return []mapping.Problem{{Col: -1, Field: "type", Value: w.Type, Msg: "has no schema fetched to check custom fields against"}}
	}
	if ts.err != nil {
		return []mapping.Problem{{Col: -1, Msg: "custom fields cannot be checked: " + ts.err.Error()}}
	}
	var probs []mapping.Problem
	add := func(name string, value any, msg string) {
		col, column := cols.at(name)
		p := mapping.Problem{Col: col, Column: column, Field: customPrefix + name, Msg: msg}
		if value != nil {
			p.Value = mapping.CutValue(valueText(value))
		}
		probs = append(probs, p)
	}
	names := make([]string, 0, len(w.CustomFields))
	for n := range w.CustomFields {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		v := w.CustomFields[n]
		f := ts.fields[n]
		if f == nil {
			add(n, nil, ts.unknown(n))
			continue
		}
		if msg := f.check(v); msg != "" {
			add(n, v, msg)
		}
	}
	for _, f := range ts.required {
		if v, ok := w.CustomFields[f.Name]; !ok || v == nil || v == "" {
			add(f.Name, nil, "required custom field is empty"+f.displayHint())
		}
	}
	return probs
}

// unknown is the message for a custom field the org does not have.
func (ts *typeSchema) unknown(name string) string {
	msg := "is not a custom field of " + ts.leaf + " works in this org"
	if len(ts.names) == 0 {
		return msg + " (it has none)"
	}
	if s := ts.suggest(name); s != "" {
		return msg + " (did you mean " + customPrefix + s + "?)"
	}
	list := ts.names
	more := ""
	if len(list) > 20 {
		list, more = list[:20], ", …"
	}
	return msg + " (its custom fields: " + strings.Join(list, ", ") + more + ")"
}

// suggest returns the custom field closest to name: compared without the
// fragment prefix, and also against display names ("Story Points" for
// story_points).
func (ts *typeSchema) suggest(name string) string {
	in := bare(name)
	if in == "" {
		return ""
	}
	limit := min(max(len([]rune(in))/3, 1), 3)
	best, bestDist := "", limit+1
	for _, n := range ts.names {
		f := ts.fields[n]
		d := mapping.EditDistance(in, bare(n))
		if f.DisplayName != "" {
			d = min(d, mapping.EditDistance(in, bare(f.DisplayName)))
		}
		if d < bestDist {
			best, bestDist = n, d
		}
	}
	return best
}

// bare lower-cases a field name and drops its fragment prefix and the
// difference between spaces, dashes and underscores.
func bare(s string) string {
	s = strings.ToLower(strings.TrimSpace(s))
	for _, p := range []string{"tnt__", "ctype__"} {
		s = strings.TrimPrefix(s, p)
	}
	return strings.Map(func(r rune) rune {
		if r == ' ' || r == '-' {
			return '_'
		}
		return r
	}, s)
}

// displayHint renders " (Story Points)" or "".
func (f *Field) displayHint() string {
	if f.DisplayName == "" || f.DisplayName == f.Name {
		return ""
	}
	return " (" + f.DisplayName + ")"
}

// asFor is the mapping "as:" that produces values of a field type.
var asFor = map[string]string{
	"text": "text", "rich_text": "text", "tokens": "text", "enum": "text", "id": "text",
	"int": "int", "uenum": "int", "double": "number", "bool": "bool", "date": "date", "timestamp": "timestamp",
}

// typeNames describe field types in messages.
var typeNames = map[string]string{
	"text": "a text", "rich_text": "a rich text", "tokens": "a text", "enum": "an enum", "id": "an ID",
	"int": "a whole-number", "uenum": "a uenum", "double": "a number", "bool": "a yes/no",
	"date": "a date", "timestamp": "a timestamp",
}

// kindOf describes a value the mapping produced: "text", "a whole number"...
func kindOf(v any) string {
	switch v.(type) {
	case string:
		return "text"
	case int64, int:
		return "a whole number"
	case float64:
		return "a number"
	case bool:
		return "a yes/no value"
	}
	return fmt.Sprintf("a %T", v)
}

// wrongType is the message for a value of the wrong type.
func (f *Field) wrongType(v any, what string) string {
	if what == "" {
		what = kindOf(v)
	}
	msg := "is " + what + ", but " + customPrefix + f.Name + f.displayHint() + " is " + typeNames[f.Type] + " field"
	if as := asFor[f.Type]; as != "" {
		msg += ` (write "as: ` + as + `" on its column)`
	}
	return msg
}

// check returns the message for a value the field does not accept, or "".
func (f *Field) check(v any) string {
	switch f.Type {
	case "text", "rich_text", "tokens", "id":
		s, ok := v.(string)
		if !ok {
			return f.wrongType(v, "")
		}
		n := int64(utf8.RuneCountInString(s))
		if f.MaxLen != nil && n > *f.MaxLen {
			return "is too long: at most " + strconv.FormatInt(*f.MaxLen, 10) + " characters, this has " + strconv.FormatInt(n, 10)
		}
		if f.MinLen != nil && n < *f.MinLen {
			return "is too short: at least " + strconv.FormatInt(*f.MinLen, 10) + " characters, this has " + strconv.FormatInt(n, 10)
		}
	case "int":
		var x float64
		switch n := v.(type) {
		case int64:
			x = float64(n)
		case int:
			x = float64(n)
		case float64:
			if n != math.Trunc(n) {
				return "is not a whole number"
			}
			x = n
		default:
			return f.wrongType(v, "")
		}
		return f.bounds(x)
	case "double":
		switch n := v.(type) {
		case int64:
			return f.bounds(float64(n))
		case int:
			return f.bounds(float64(n))
		case float64:
			return f.bounds(n)
		}
		return f.wrongType(v, "")
	case "bool":
		if _, ok := v.(bool); !ok {
			return f.wrongType(v, "")
		}
	case "date":
		s, ok := v.(string)
		if !ok {
			return f.wrongType(v, "")
		}
		if _, err := time.Parse(time.DateOnly, s); err != nil {
			if _, err := time.Parse(time.RFC3339, s); err == nil {
				return f.wrongType(v, "a timestamp")
			}
			return f.wrongType(v, "")
		}
	case "timestamp":
		s, ok := v.(string)
		if !ok {
			return f.wrongType(v, "")
		}
		if _, err := time.Parse(time.RFC3339, s); err != nil {
			if _, err := time.Parse(time.DateOnly, s); err == nil {
				return f.wrongType(v, "a date without a time")
			}
			return f.wrongType(v, "")
		}
	case "enum":
		s, ok := v.(string)
		if !ok {
			return f.wrongType(v, "")
		}
		for _, e := range f.Enum {
			if e == s {
				return ""
			}
		}
		for _, e := range f.Enum {
			if strings.EqualFold(e, s) {
				return "is not one of " + listOf(f.Enum) + " (did you mean " + e + "?)"
			}
		}
		return "is not one of " + listOf(f.Enum)
	case "uenum":
		return f.checkUenum(v)
	case "array":
		return "cannot be set from one cell: " + customPrefix + f.Name + f.displayHint() + " is a list field (of " + f.BaseType + ")"
	}
	// composite, struct, json_value, unknown: nothing the mapping produces
	// can be checked against them.
	return ""
}

// checkUenum checks a uenum value: the ID of an allowed value.
func (f *Field) checkUenum(v any) string {
	var id int64
	switch n := v.(type) {
	case int64:
		id = n
	case int:
		id = int64(n)
	case float64:
		if n != math.Trunc(n) {
			return "is not one of " + f.uenumList()
		}
		id = int64(n)
	case string:
		for _, u := range f.Uenum {
			if strings.EqualFold(u.Label, strings.TrimSpace(n)) {
				return "is a label: " + customPrefix + f.Name + " takes the value's ID (" + u.Label + " = " + strconv.FormatInt(u.ID, 10) +
					`); map labels to IDs with values: and write "as: int"`
			}
		}
		return f.wrongType(v, "")
	default:
		return f.wrongType(v, "")
	}
	for _, u := range f.Uenum {
		if u.ID == id {
			return ""
		}
	}
	return "is not one of " + f.uenumList()
}

// uenumList renders "1 (Low), 2 (High)".
func (f *Field) uenumList() string {
	parts := make([]string, len(f.Uenum))
	for i, u := range f.Uenum {
		parts[i] = strconv.FormatInt(u.ID, 10) + " (" + u.Label + ")"
	}
	return listOf(parts)
}

// bounds checks a number against the field's gt/gte/lt/lte.
func (f *Field) bounds(x float64) string {
	num := func(p *float64) string { return strconv.FormatFloat(*p, 'f', -1, 64) }
	switch {
	case f.Gt != nil && !(x > *f.Gt):
		return "must be greater than " + num(f.Gt)
	case f.Gte != nil && !(x >= *f.Gte):
		return "must be at least " + num(f.Gte)
	case f.Lt != nil && !(x < *f.Lt):
		return "must be less than " + num(f.Lt)
	case f.Lte != nil && !(x <= *f.Lte):
		return "must be at most " + num(f.Lte)
	}
	return ""
}

// listOf joins allowed values, eliding long lists.
func listOf(vals []string) string {
	if len(vals) > 20 {
		return strings.Join(vals[:20], ", ") + ", … (" + strconv.Itoa(len(vals)) + " values)"
	}
	return strings.Join(vals, ", ")
}

// valueText renders a custom field value for a problem.
func valueText(v any) string {
	switch x := v.(type) {
	case string:
		return x
	case float64:
		return strconv.FormatFloat(x, 'f', -1, 64)
	}
	return fmt.Sprint(v)
}
