package report

import (
	"testing"

	"github.com/devrev-import/devrev-import/importer/source"
	"github.com/devrev-import/devrev-import/mapping"
)

func TestKeyMatches(t *testing.T) {
	row := []source.Cell{{Value: "ZD-1"}, {Value: " Printer "}, {Value: "High"}}
	other := []source.Cell{{Value: "ZD-2"}, {Value: "Printer"}, {Value: "High"}}
	moved := []source.Cell{{Value: "ZD-1"}, {Value: "Printer"}, {Value: "Low"}} // only an unhashed cell differs
	header, hashed := []string{"Ticket ID", "Subject", "Priority"}, []string{"subject", "ticket id"}
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
		{"ZD-1||High", row, true},         // an empty key cell
		{`["ZD-1","Printer"]`, row, true}, // key columns as a JSON array
		{`["ZD-1","Printer"]`, other, false},
		{mapping.HashKeyOf(header, hashed, row), row, true}, // the hashed columns only
		{mapping.HashKeyOf(header, hashed, row), moved, true},
		{mapping.HashKeyOf(header, hashed, row), other, false},
	}
	kc := keyCheck{header: header, hashed: hashed}
	for _, c := range cases {
		if got := kc.matches(c.key, c.cells); got != c.want {
			t.Errorf("keyMatches(%q, %v) = %v, want %v", c.key, c.cells, got, c.want)
		}
	}
}
