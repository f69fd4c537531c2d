package pipeline

import (
	"testing"

	"github.com/devrev-import/devrev-import/importer/source"
)

func cells(vs ...string) source.Row {
	row := source.Row{}
	for _, v := range vs {
		row.Cells = append(row.Cells, source.Cell{Value: v})
	}
	return row
}

// The digest is written to checkpoints and read by later processes: it
// is stable (a fixed value), and rows that differ in a cell, its framing,
// its kind, the header or the salt have different digests.
func TestRowDigest(t *testing.T) {
	d := newRowDigest("salt", []string{"Key", "Title"})
	if got := d.of(cells("EXT-1", "Printer on fire")); got != 0xeb3b5b312478a414 {
		t.Errorf("digest %#x: it changed, and every checkpoint's digests with it", got)
	}
	if (rowDigest{}).of(cells("a")) != 0 || newRowDigest("", nil).of(cells("a")) != 0 {
		t.Error("no salt: the digest must be off")
	}
	number := cells("12", "x")
	number.Cells[0].Kind = source.Number
	seen := map[uint64]string{}
	for name, sum := range map[string]uint64{
		"base":            d.of(cells("ab", "c")),
		"framing":         d.of(cells("a", "bc")),
		"one more cell":   d.of(cells("ab", "c", "")),
		"eight bytes":     d.of(cells("abcdefgh", "")),
		"eight and a nul": d.of(cells("abcdefgh\x00", "")),
		"text 12":         d.of(cells("12", "x")),
		"number 12":       d.of(number),
		"other header":    newRowDigest("salt", []string{"Key", "Subject"}).of(cells("ab", "c")),
		"other salt":      newRowDigest("salt2", []string{"Key", "Title"}).of(cells("ab", "c")),
	} {
		if other, dup := seen[sum]; dup || sum == 0 {
			t.Errorf("%s and %s have the digest %#x", name, other, sum)
		}
		seen[sum] = name
	}
}
