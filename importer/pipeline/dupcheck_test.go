package pipeline

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/devrev-import/devrev-import/importer/source"
)

// countingReader counts the rows a pass reads.
type countingReader struct {
	source.Reader
	rows *int
}

func (c countingReader) Next() (source.Row, error) {
	row, err := c.Reader.Next()
	if err == nil {
		*c.rows++
	}
	return row, err
}

// A dry run confirms suspected duplicate keys with a second pass that
// stops at the last suspect's row, not at the end of the file.
func TestSecondPassStopsAtTheLastSuspect(t *testing.T) {
	dir := t.TempDir()
	var b strings.Builder
	b.WriteString("Key,Title\n")
	const rows = 2000
	for i := 1; i <= rows; i++ {
		k := fmt.Sprintf("K%d", i)
		if i == 7 {
			k = "K3" // data row 7 repeats row 3's key
		}
		fmt.Fprintf(&b, "%s,title %d\n", k, i)
	}
	src, open, m := openMapped(t, dir, b.String(), "type: issue\nkey: Key\ndefaults:\n  applies_to_part: PROD-1\n  owned_by: [DEVU-1]\ncolumns:\n  Title: title\n")
	second := 0
	res, err := Run(context.Background(), Config{
		Source: src, Mapper: m, DryRun: true,
		Reopen: func() (source.Reader, error) {
			r, err := open()
			return countingReader{r, &second}, err
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	if res.Summary.Failed != 1 || res.Summary.Valid != rows-1 {
		t.Errorf("valid %d, failed %d; want %d valid and the repeated key failed", res.Summary.Valid, res.Summary.Failed, rows-1)
	}
	if second == 0 || second > 8 {
		t.Errorf("the second pass read %d rows; want it to stop after row 7's record (the last suspect)", second)
	}
}

// TestBloomRelease: a released filter (its memory unmapped) starts afresh
// when keys are added again, and finds repeats as before.
func TestBloomRelease(t *testing.T) {
	var b bloom
	defer b.release()
	h := func(i int) uint64 { return uint64(i) * 0x9E3779B97F4A7C15 }
	for i := range 1000 {
		b.add(h(i), i+2)
	}
	b.add(h(7), 1002)
	if s, last := b.takeSuspects(); len(s) != 1 || last != 1002 {
		t.Fatalf("before release: %d suspects, last row %d; want 1, 1002", len(s), last)
	}
	b.release()
	for i := range 1000 {
		b.add(h(i), i+2)
	}
	if s, _ := b.takeSuspects(); len(s) != 0 {
		t.Fatalf("after release: %d suspects among keys added once", len(s))
	}
	b.add(h(7), 1002)
	if s, _ := b.takeSuspects(); len(s) != 1 {
		t.Fatalf("after release: %d suspects, want the repeated key", len(s))
	}
}
