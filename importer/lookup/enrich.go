package lookup

import (
	"context"
	"strings"

	"github.com/devrev-import/devrev-import/importer/source"
	"github.com/devrev-import/devrev-import/mapping"
)

// lookupColumn is one column with a lookup: rule, bound to the header.
type lookupColumn struct {
	rule   mapping.ColumnRule
	k      kind
	known  bool              // rule.Lookup names a kind this package knows
	cols   []int             // header indices (several for a repeated header)
	values map[string]string // the rule's value map, keys in lower case
}

// fieldPlan is a field fed by one or more lookup columns.
type fieldPlan struct {
	field   string
	columns []*lookupColumn
}

// Enricher returns the function for pipeline.Config.Enrich. For each field
// fed by a lookup column of m, it resolves the values Map left in w (names,
// emails) to IDs in place, element by element for list fields, and returns
// one mapping.Problem per value it cannot resolve: Col is the header index
// of the cell that held the value, Field the target field, Value the
// value, Msg why (not in this org, with a suggestion; several matches,
// listed; the lookup failed). Values that are IDs already (defaults, ID
// cells) are left alone. A lookup that failed because of the API's state
// (unreachable, 5xx, 401/403, throttled too long; throttle.RunEnding) or
// because the run is stopping is not the row's fault: it is returned as
// the error, for the run to stop. The function is safe for concurrent use.
func (r *Resolver) Enricher(m *mapping.Mapper) func(ctx context.Context, w *mapping.Work, row source.Row) ([]mapping.Problem, error) {
	header := m.Header()
	var plans []*fieldPlan
	for _, rule := range m.LookupColumns() {
		c := &lookupColumn{rule: rule}
		c.k, c.known = kindOf(rule.Lookup)
		name := strings.ToLower(strings.TrimSpace(rule.Column))
		for i, h := range header {
			if strings.ToLower(strings.TrimSpace(h)) == name {
				c.cols = append(c.cols, i)
			}
		}
		if len(rule.Values) > 0 {
			c.values = make(map[string]string, len(rule.Values))
			for k, v := range rule.Values {
				c.values[strings.ToLower(strings.TrimSpace(k))] = v
			}
		}
		var p *fieldPlan
		for _, q := range plans {
			if q.field == rule.Field {
				p = q
			}
		}
		if p == nil {
			p = &fieldPlan{field: rule.Field}
			plans = append(plans, p)
		}
		p.columns = append(p.columns, c)
	}
	return func(ctx context.Context, w *mapping.Work, row source.Row) ([]mapping.Problem, error) {
		e := rowEnricher{r: r, ctx: ctx, row: row, header: header}
		for _, p := range plans {
			switch p.field {
			case "owned_by":
				e.list(p, w.OwnedBy)
			case "reported_by":
				e.list(p, w.ReportedBy)
			case "developed_with":
				e.list(p, w.DevelopedWith)
			case "applies_to_part":
				e.one(p, &w.AppliesToPart)
			case "account":
				e.one(p, &w.Account)
			case "rev_org":
				e.one(p, &w.RevOrg)
			case "tags":
				for i := range w.Tags {
					e.one(p, &w.Tags[i].ID)
				}
			}
		}
		return e.probs, e.err
	}
}

// rowEnricher resolves the lookup values of one row.
type rowEnricher struct {
	r      *Resolver
	ctx    context.Context
	row    source.Row
	header []string
	probs  []mapping.Problem
	err    error // the first run-ending failure
}

// list resolves each element of a list field in place.
func (e *rowEnricher) list(p *fieldPlan, vals []string) {
	for i := range vals {
		e.one(p, &vals[i])
	}
}

// one resolves a value in place or records its problem.
func (e *rowEnricher) one(p *fieldPlan, v *string) {
	if *v == "" || e.err != nil {
		return
	}
	// With one lookup column the kind is known; the cell is only looked
	// for when there is a problem to place.
	c, col := p.columns[0], -2
	if len(p.columns) > 1 {
		c, col = p.source(e.row, *v)
	}
	var msg string
	if c.known {
		out := e.r.resolve(e.ctx, c.k, *v)
		if out.id != "" {
			*v = out.id
			return
		}
		if out.err != nil {
			e.err = out.err
			return
		}
		msg = out.msg
	} else {
		if isAnyID(*v) {
			return
		}
		msg = "cannot be resolved: unknown lookup " + c.rule.Lookup
	}
	if col == -2 {
		_, col = p.source(e.row, *v)
	}
	e.problem(p, col, *v, msg)
}

// problem records a problem once per cell and value.
func (e *rowEnricher) problem(p *fieldPlan, col int, v, msg string) {
	pr := mapping.Problem{Col: col, Field: p.field, Value: mapping.CutValue(v), Msg: msg}
	if col >= 0 && col < len(e.header) {
		pr.Column = e.header[col]
	}
	for _, q := range e.probs {
		if q.Col == pr.Col && q.Value == pr.Value && q.Field == pr.Field {
			return
		}
	}
	e.probs = append(e.probs, pr)
}

// source finds the column, and the header index, a value of the field came
// from: the first cell of the row that holds it. Without one (a default, a
// value the row no longer shows) it is the field's first lookup column.
func (p *fieldPlan) source(row source.Row, v string) (*lookupColumn, int) {
	first := p.columns[0]
	col := -1
	if len(first.cols) > 0 {
		col = first.cols[0]
	}
	if len(p.columns) == 1 && len(first.cols) == 1 {
		return first, col
	}
	for _, c := range p.columns {
		for _, ci := range c.cols {
			if ci < len(row.Cells) && c.holds(row.Cells[ci].Value, v) {
				return c, ci
			}
		}
	}
	return first, col
}

// holds reports whether a cell of the column yields value v: one of its
// items (split as Map splits them, without a tag's "=value"), after the
// column's value map.
func (c *lookupColumn) holds(cell, v string) bool {
	for _, item := range splitItems(cell, c.rule.Split) {
		if c.rule.Field == "tags" {
			if i := strings.IndexByte(item, '='); i >= 0 {
				item = strings.TrimSpace(item[:i])
			}
		}
		if c.values != nil {
			if t, ok := c.values[strings.ToLower(item)]; ok {
				item = t
			}
		}
		if item == v || kinds[c.k].email && strings.EqualFold(item, v) {
			return true
		}
	}
	return false
}

// splitItems splits a cell into trimmed items on sep, or on "," and ";"
// when sep is "".
func splitItems(cell, sep string) []string {
	var parts []string
	if sep != "" {
		parts = strings.Split(cell, sep)
	} else {
		parts = strings.FieldsFunc(cell, func(r rune) bool { return r == ',' || r == ';' })
	}
	out := parts[:0]
	for _, s := range parts {
		if s = strings.TrimSpace(s); s != "" {
			out = append(out, s)
		}
	}
	return out
}

// isAnyID reports whether v is an ID of any kind this package knows.
func isAnyID(v string) bool {
	for k := range numKinds {
		if isID(k, v) {
			return true
		}
	}
	return false
}
