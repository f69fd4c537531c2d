package report

import (
	"testing"

	"github.com/devrev-import/devrev-import/importer/source"
	"github.com/devrev-import/devrev-import/mapping"
)

func TestKeyMatches(t *testing.T) {
	row := []source.Cell{{Value: "ZD-1"}, {Value: " Printer "}, {Value: "High"}}
	other := []source.Cell{{Value: "ZD-2"}, {Value: "Printer"}, {Value: "High"}}
	cases := []struct {
		key   string
		cells []source.Cell
		want  bool
	}{
		{mapping.HashKey(row), row, true},
		{mapping.HashKey(row), other, false}, // no key columns: the hash of every cell
		{"ZD-1", row, true},
		{"ZD-1", other, false},
		{"ZD-1|Printer", row, true}, // key columns joined by "|", trimmed
		{"ZD-1|Printer", other, false},
		{"ZD-1||High", row, true}, // an empty key cell
	}
	for _, c := range cases {
		if got := keyMatches(c.key, c.cells); got != c.want {
			t.Errorf("keyMatches(%q, %v) = %v, want %v", c.key, c.cells, got, c.want)
		}
	}
}
