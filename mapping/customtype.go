package mapping

import (
	"fmt"
	"strconv"
	"strings"
)

// CustomType is what the org's schema says about a custom field: how a
// column feeding it converts its cells when the mapping gives no "as:".
type CustomType struct {
	// Schema is the schema's field type, for messages ("int", "uenum").
	Schema string
	// As is the conversion: text, int, number, bool, date or timestamp.
	As string
	// Choices are the allowed values of an enum or uenum field: a cell
	// (after any value map) that equals a label, in any case, is sent as
	// its value (an enum's canonical text, a uenum's ID); nil for other
	// fields.
	Choices []Choice
}

// Choice is one allowed value of an enum or uenum custom field.
type Choice struct {
	Label string
	Value any // string (enum) or int64 (uenum)
}

// choiceSet is a binding's allowed values, ready for lookup.
type choiceSet struct {
	byLabel map[string]any // lower-case label -> value
	ids     map[int64]bool // uenum IDs, which a cell may also give
	msg     string         // "is not one of Gold, Silver, Bronze"
}

func newChoiceSet(choices []Choice) *choiceSet {
	cs := &choiceSet{byLabel: make(map[string]any, len(choices)), ids: map[int64]bool{}}
	labels := make([]string, 0, len(choices))
	for _, c := range choices {
		cs.byLabel[strings.ToLower(strings.TrimSpace(c.Label))] = c.Value
		if id, ok := c.Value.(int64); ok {
			cs.ids[id] = true
		}
		labels = append(labels, c.Label)
	}
	cs.msg = "is not one of " + listChoices(labels)
	return cs
}

// get returns the value of a trimmed cell: a label, or a uenum's ID.
func (cs *choiceSet) get(s string) (any, bool) {
	if v, ok := cs.byLabel[strings.ToLower(s)]; ok {
		return v, true
	}
	if id, err := strconv.ParseInt(s, 10, 64); err == nil && cs.ids[id] {
		return id, true
	}
	return nil, false
}

// Typed returns a copy of m whose custom-field columns and defaults
// convert their cells by the type the org's schema gives (types, by
// custom field name without "custom_fields."): a column without "as:"
// takes the schema's type, an enum or uenum field its labels. A column
// whose "as:" contradicts the schema, and value-map targets or defaults
// that do not convert to the schema's type, are *ConfigError values,
// each once. Fields types does not name keep their conversion. cfg is the
// mapping m was compiled from (nil: header names are field names).
func (m *Mapper) Typed(cfg *Config, types map[string]CustomType) (*Mapper, []error) {
	c := *m
	tab := fieldTable()
	file := ""
	if cfg != nil {
		file = cfg.File
	}
	var errs []error
	fail := func(line, col int, format string, args ...any) {
		errs = append(errs, &ConfigError{File: file, Line: line, Column: col, Msg: fmt.Sprintf(format, args...)})
	}
	c.cols = make([]*binding, len(m.cols))
	for i, b := range m.cols {
		c.cols[i] = b
		ct, ok := types[b.custom]
		if b.f.kind != kCustom || !ok {
			continue
		}
		if b.rule.As != "" && b.rule.As != ct.As {
			fail(b.rule.Line, b.rule.Col, "column %q (custom_fields.%s): the org's schema says %s; the mapping says as: %s (leave as: out: the schema types the column)",
				b.column, b.custom, ct.Schema, b.rule.As)
			continue
		}
		if b.rule.Format != "" && ct.As != "date" && ct.As != "timestamp" {
			fail(b.rule.Line, b.rule.Col, "column %q (custom_fields.%s): format is only for dates, and the org's schema says %s", b.column, b.custom, ct.Schema)
			continue
		}
		nb := retype(tab, b, ct, m)
		c.cols[i] = nb
		for k, key := range b.rule.ValueOrder {
			target := b.rule.Values[key]
			if target == "" {
				continue
			}
			line, col := b.rule.Line, b.rule.Col
			if k < len(b.rule.valuePos) {
				line, col = b.rule.valuePos[k][0], b.rule.valuePos[k][1]
			}
			for _, pr := range nb.check(target) {
				fail(line, col, "value map of column %q: %s maps to %q, which %s (the org's schema says custom_fields.%s is %s)",
					b.column, strconv.Quote(key), pr.Value, pr.Msg, b.custom, ct.Schema)
			}
		}
	}
	c.flatten()
	c.defaults = make([]defaultBinding, len(m.defaults))
	for i, d := range m.defaults {
		c.defaults[i] = d
		ct, ok := types[d.b.custom]
		if d.b.f.kind != kCustom || !ok {
			continue
		}
		nb := retype(tab, d.b, ct, m)
		c.defaults[i].b = nb
		for _, v := range d.values {
			for _, pr := range nb.check(v) {
				fail(d.b.rule.Line, d.b.rule.Col, "default for custom_fields.%s: %s %s (the org's schema says %s)", d.b.custom, strconv.Quote(pr.Value), pr.Msg, ct.Schema)
			}
		}
	}
	return &c, errs
}

// retype is b converting by a schema's type; its rule stays the one the
// mapping wrote (Describe names what the user wrote).
func retype(tab map[string]*fieldDef, b *binding, ct CustomType, m *Mapper) *binding {
	r := *b.rule
	r.As = ct.As
	nb := newBinding(tab, &r, m.loc)
	nb.cols, nb.target, nb.column, nb.rule = b.cols, b.target, b.column, b.rule
	if len(ct.Choices) > 0 {
		nb.choices = newChoiceSet(ct.Choices)
		nb.ruleMsg = nb.choices.msg
	}
	return nb
}
