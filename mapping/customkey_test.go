package mapping

import "testing"

func TestKeyField(t *testing.T) {
	cfg := &Config{Type: "task", Key: []string{"ID"}, Columns: []ColumnRule{
		{Column: "ID", Field: "custom_fields.ext_id"},
		{Column: "Ref", Field: "custom_fields.ref", As: "int"},
		{Column: "Title", Field: "title"},
		{Column: "Code", Field: "custom_fields.code", Values: map[string]string{"a": "b"}, ValueOrder: []string{"a"}},
	}}
	header := []string{"ID", "Ref", "Title", "Code", "Other"}
	for _, tc := range []struct {
		cfg  *Config
		key  []string
		want string
	}{
		{cfg, nil, "ext_id"},                                     // the mapping's key, a text custom field
		{cfg, []string{"Ref"}, ""},                               // --key names an int custom field
		{cfg, []string{"Title"}, ""},                             // not a custom field
		{cfg, []string{"Code"}, ""},                              // a value map changes the cell
		{cfg, []string{"ID", "Title"}, ""},                       // a key of two columns
		{nil, []string{"ID"}, ""},                                // no mapping
		{&Config{Type: "task", Key: []string{"Other"}}, nil, ""}, // the key column is not mapped
	} {
		m, _, err := Compile(tc.cfg, header, Options{Type: "task", Key: tc.key})
		if err != nil {
			t.Fatalf("%v: %v", tc.key, err)
		}
		if got := m.KeyField(); got != tc.want {
			t.Errorf("KeyField() with key %v = %q, want %q", tc.key, got, tc.want)
		}
	}
}
