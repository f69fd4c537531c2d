package mapping

import "testing"

func TestKeyCustomField(t *testing.T) {
	cfg := &Config{Key: []string{"ID"}, Columns: []ColumnRule{
		{Column: "ID", Field: "custom_fields.ext_id"},
		{Column: "Ref", Field: "custom_fields.ref", As: "int"},
		{Column: "Title", Field: "title"},
	}}
	for _, tc := range []struct {
		cfg  *Config
		key  []string
		want string
	}{
		{cfg, nil, "ext_id"},                    // the mapping's key, a text custom field
		{cfg, []string{"Ref"}, ""},              // --key names an int custom field
		{cfg, []string{"Title"}, ""},            // not a custom field
		{cfg, []string{"ID", "Title"}, ""},      // a key of two columns
		{nil, []string{"ID"}, ""},               // no mapping
		{&Config{Key: []string{"ID"}}, nil, ""}, // the key column is not mapped
	} {
		if got := tc.cfg.KeyCustomField(tc.key); got != tc.want {
			t.Errorf("KeyCustomField(%v) = %q, want %q", tc.key, got, tc.want)
		}
	}
}
