package workdiff

import (
	"encoding/json"
	"testing"

	"github.com/devrev-import/devrev-import/importer/source"
	"github.com/devrev-import/devrev-import/mapping"
)

// mapBody builds the works.create body the mapping makes of one row: the
// header names are field names unless mappingYAML says otherwise.
func mapBody(t testing.TB, typ, mappingYAML string, header, cells []string) []byte {
	t.Helper()
	var cfg *mapping.Config
	if mappingYAML != "" {
		var err error
		if cfg, err = mapping.Parse("mapping.yaml", []byte(mappingYAML)); err != nil {
			t.Fatalf("Parse: %v", err)
		}
	}
	m, _, err := mapping.Compile(cfg, header, mapping.Options{Type: typ})
	if err != nil {
		t.Fatalf("Compile: %v", err)
	}
	row := source.Row{Number: 2}
	for _, c := range cells {
		row.Cells = append(row.Cells, source.Cell{Value: c})
	}
	res := m.Map(row)
	if len(res.Problems) > 0 {
		t.Fatalf("row problems: %v", res.Problems)
	}
	b, err := json.Marshal(res.Work)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// decodeMap decodes a JSON object for assertions.
func decodeMap(t testing.TB, b []byte) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatalf("decoding %s: %v", b, err)
	}
	return m
}

// compact re-encodes JSON text canonically (sorted keys) for comparisons.
func compact(t testing.TB, s string) string {
	t.Helper()
	v, err := decode([]byte(s))
	if err != nil {
		t.Fatalf("decoding %s: %v", s, err)
	}
	b, err := encode(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}
