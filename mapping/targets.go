package mapping

import (
	"slices"
	"strings"
)

// Targets returns the request fields that a column or a default of this
// mapping can fill, named as a works.create body names them: top-level
// names ("title", "stage", "value"), each custom field as
// "custom_fields.NAME". An update compares only these: a mapped field
// whose cell is empty was emptied in the file, a field no column or
// default feeds is not the file's business and is never sent.
func (m *Mapper) Targets() []string {
	out := m.columnTargets()
	for _, d := range m.defaults {
		out = addTarget(out, d.b)
	}
	slices.Sort(out)
	return out
}

// DefaultOnly returns the Targets that only a default fills, no column:
// values the mapping supplies (so a create has its required fields), not
// values the file says. A work found in DevRev is not updated to them.
func (m *Mapper) DefaultOnly() []string {
	cols := m.columnTargets()
	var out []string
	for _, d := range m.defaults {
		if t := addTarget(nil, d.b); len(t) == 1 && !slices.Contains(cols, t[0]) && !slices.Contains(out, t[0]) {
			out = append(out, t[0])
		}
	}
	slices.Sort(out)
	return out
}

// columnTargets are the Targets columns fill.
func (m *Mapper) columnTargets() []string {
	var out []string
	for _, b := range m.cols {
		out = addTarget(out, b)
	}
	return out
}

// addTarget adds the request field b fills to out, once; id and type are
// not fields an update compares.
func addTarget(out []string, b *binding) []string {
	name := b.f.name
	if b.f.kind == kCustom {
		name = customPrefix + b.custom
	} else if top, _, ok := strings.Cut(name, "."); ok {
		name = top
	}
	if name == "id" || name == "type" || slices.Contains(out, name) {
		return out
	}
	return append(out, name)
}

// HasIDColumn reports whether a column is mapped to id: rows may name the
// existing work they update (ISS-12, a DON).
func (m *Mapper) HasIDColumn() bool { return slices.Contains(m.fields, "id") }

// KeyField returns the custom field that stores the row's key ("tnt__x"),
// when the key is one column and that column feeds a custom field: the
// key can then be looked up in DevRev (works.list filtered by it). "" when
// the key is not stored in DevRev as the cell's text (a value map or a
// typed custom field changes it).
func (m *Mapper) KeyField() string {
	if len(m.keyCols) != 1 {
		return ""
	}
	for _, b := range m.cols {
		if b.f.kind == kCustom && slices.Contains(b.cols, m.keyCols[0]) && len(b.cols) == 1 && b.values == nil && b.as == asText {
			return b.custom
		}
	}
	return ""
}
