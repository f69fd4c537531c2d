package schema

import (
	"strconv"
	"strings"

	"github.com/devrev-import/devrev-import/mapping"
)

// CheckConfig checks a mapping's custom fields against the schema once,
// before any row: each custom field named by a column or a default must
// exist for every work type in types that was fetched, and a column's
// "as:" must give values of the field's type. The mistakes are
// *mapping.ConfigError values naming the mapping file's line, so that
// validate can report them once instead of on every row (Check still
// reports them per row).
func (s *Schema) CheckConfig(cfg *mapping.Config, types []string) []error {
	if cfg == nil {
		return nil
	}
	var errs []error
	fail := func(line, col int, msg string) {
		errs = append(errs, &mapping.ConfigError{File: cfg.File, Line: line, Column: col, Msg: msg})
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	check := func(field string, line, col int, as *string) {
		name, ok := strings.CutPrefix(field, customPrefix)
		if !ok {
			return
		}
		for _, typ := range types {
			ts := s.types[typ]
			if ts == nil || ts.err != nil {
				continue
			}
			f := ts.fields[name]
			if f == nil {
				fail(line, col, field+" "+ts.unknown(name))
				continue
			}
			if as == nil {
				continue
			}
			want, have := asFor[f.Type], *as
			if have == "" {
				have = "text"
			}
			switch {
			case f.Type == "array":
				fail(line, col, field+f.displayHint()+" is a list field (of "+f.BaseType+"); a column cannot fill it")
			case want != "" && want != have && !(want == "int" && have == "number"):
				fail(line, col, field+f.displayHint()+" is "+typeNames[f.Type]+" field, but the column reads its cells as "+
					strconv.Quote(have)+` (write "as: `+want+`")`)
			}
		}
	}
	for _, r := range cfg.Columns {
		as := r.As
		check(r.Field, r.Line, r.Col, &as)
	}
	for _, k := range cfg.DefaultOrder {
		d := cfg.Defaults[k]
		check(k, d.Line, d.Col, nil)
	}
	return errs
}
