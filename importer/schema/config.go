package schema

import (
	"strings"

	"github.com/devrev-import/devrev-import/mapping"
)

// Type checks a mapping's custom fields against the schema once, before
// any row, and returns the Mapper with its custom-field columns typed by
// the schema (see mapping.Mapper.Typed): a column without "as:" converts
// its cells to the field's type (int, double, bool, date, timestamp; an
// enum's or uenum's labels to their values). The mistakes are
// *mapping.ConfigError values naming the mapping file's line, each once
// however many work types share it: a custom field the org does not have,
// a list field a column cannot fill, an "as:" that contradicts the schema,
// a field typed differently by two work types of the run, value maps and
// defaults that do not convert. cfg may be nil (header names are field
// names).
func (s *Schema) Type(cfg *mapping.Config, m *mapping.Mapper, types []string) (*mapping.Mapper, []error) {
	errs := s.CheckConfig(cfg, types)
	used := map[string]bool{}
	for _, f := range m.Fields() {
		if name, ok := strings.CutPrefix(f, customPrefix); ok {
			used[name] = true
		}
	}
	if cfg != nil {
		for _, f := range cfg.DefaultOrder {
			if name, ok := strings.CutPrefix(f, customPrefix); ok {
				used[name] = true
			}
		}
	}
	ct, conflicts := s.customTypes(types, used)
	errs = append(errs, conflicts...)
	typed, more := m.Typed(cfg, ct)
	return typed, once(append(errs, more...))
}

// once drops repeated messages, keeping the first of each.
func once(errs []error) []error {
	seen := map[string]bool{}
	out := errs[:0]
	for _, e := range errs {
		if msg := e.Error(); !seen[msg] {
			seen[msg] = true
			out = append(out, e)
		}
	}
	return out
}

// customTypes says how each custom field of the fetched types converts.
// A field two work types type differently is left out, with an error
// asking for "as:" when the run uses it (used).
func (s *Schema) customTypes(types []string, used map[string]bool) (map[string]mapping.CustomType, []error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := map[string]mapping.CustomType{}
	from := map[string]string{} // field -> the work type whose definition is in out
	var errs []error
	bad := map[string]bool{}
	for _, typ := range types {
		ts := s.types[typ]
		if ts == nil || ts.err != nil {
			continue
		}
		for _, name := range ts.names {
			ct, ok := ts.fields[name].customType()
			if !ok || bad[name] {
				continue
			}
			prev, seen := out[name]
			switch {
			case !seen:
				out[name], from[name] = ct, typ
			case prev.Schema != ct.Schema:
				bad[name] = true
				delete(out, name)
				if !used[name] {
					continue
				}
				errs = append(errs, &mapping.ConfigError{Msg: customPrefix + name + " is " + prev.Schema + " for " + from[name] + " works and " +
					ct.Schema + " for " + typ + " works: write as: on its column"})
			}
		}
	}
	return out, errs
}

// customType is how a column fills the field; false for types no column
// fills (array, composite, struct, json_value, unknown).
func (f *Field) customType() (mapping.CustomType, bool) {
	ct := mapping.CustomType{Schema: f.Type, As: asFor[f.Type]}
	switch f.Type {
	case "enum":
		for _, e := range f.Enum {
			ct.Choices = append(ct.Choices, mapping.Choice{Label: e, Value: e})
		}
	case "uenum":
		for _, u := range f.Uenum {
			ct.Choices = append(ct.Choices, mapping.Choice{Label: u.Label, Value: u.ID})
		}
	}
	return ct, ct.As != ""
}

// CheckConfig checks that each custom field named by a column or a
// default of cfg exists in every fetched work type of types and can be
// filled from a column. Each mistake is reported once, naming every work
// type it concerns.
func (s *Schema) CheckConfig(cfg *mapping.Config, types []string) []error {
	if cfg == nil {
		return nil
	}
	var errs []error
	s.mu.Lock()
	defer s.mu.Unlock()
	check := func(field string, line, col int, column bool) {
		name, ok := strings.CutPrefix(field, customPrefix)
		if !ok {
			return
		}
		var missing []string
		var first *typeSchema
		for _, typ := range types {
			ts := s.types[typ]
			if ts == nil || ts.err != nil {
				continue
			}
			f := ts.fields[name]
			if f == nil {
				if first == nil {
					first = ts
				}
				missing = append(missing, typ)
				continue
			}
			if column && f.Type == "array" {
				errs = append(errs, &mapping.ConfigError{File: cfg.File, Line: line, Column: col,
					Msg: field + f.displayHint() + " is a list field (of " + f.BaseType + "); a column cannot fill it"})
			}
		}
		if first != nil {
			msg := strings.Replace(first.unknown(name), "of "+first.leaf+" works", "of "+joinTypes(missing)+" works", 1)
			errs = append(errs, &mapping.ConfigError{File: cfg.File, Line: line, Column: col, Msg: field + " " + msg})
		}
	}
	for _, r := range cfg.Columns {
		check(r.Field, r.Line, r.Col, true)
	}
	for _, k := range cfg.DefaultOrder {
		d := cfg.Defaults[k]
		check(k, d.Line, d.Col, false)
	}
	return once(errs)
}

// joinTypes renders "issue", "issue and ticket", "issue, ticket and task".
func joinTypes(types []string) string {
	if len(types) < 2 {
		return strings.Join(types, "")
	}
	return strings.Join(types[:len(types)-1], ", ") + " and " + types[len(types)-1]
}
