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
