package mapping

import "strings"

// HasCustomFields reports whether m sends any custom field: a run then
// checks them against the org's schema.
func (m *Mapper) HasCustomFields() bool {
	for _, f := range m.fields {
		if strings.HasPrefix(f, "custom_fields.") {
			return true
		}
	}
	return false
}

// KeyCustomField names the custom field that stores the row key, when the
// key is one column mapped to a text custom field: reconciliation can then
// find a work by its key instead of by its title. key, when not empty,
// replaces the mapping's own (the --key flag); a nil Config has none.
func (c *Config) KeyCustomField(key []string) string {
	if c == nil {
		return ""
	}
	if len(key) == 0 {
		key = c.Key
	}
	if len(key) != 1 {
		return ""
	}
	for _, col := range c.Columns {
		if col.Column != key[0] {
			continue
		}
		if name, ok := strings.CutPrefix(col.Field, "custom_fields."); ok && (col.As == "" || col.As == "text") {
			return name
		}
	}
	return ""
}
