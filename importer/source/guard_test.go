package source

import (
	"bufio"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"strings"
	"testing"
	"unicode/utf8"
)

// csvRecord is what encoding/csv made of one record.
type csvRecord struct {
	text string // fields joined, or the error
	line int    // line where the record starts
	end  int64  // InputOffset after it
	cut  bool   // the guard cut it
}

// readRecords reads every record of r with encoding/csv as OpenCSV sets it
// up; g, when not nil, is the guard r reads through.
func readRecords(t *testing.T, r io.Reader, g *recordGuard) []csvRecord {
	t.Helper()
	cr := csv.NewReader(r)
	cr.FieldsPerRecord = -1
	cr.ReuseRecord = true
	var out []csvRecord
	for {
		rec, err := cr.Read()
		if err == io.EOF {
			return out
		}
		var text string
		var line int
		var perr *csv.ParseError
		switch {
		case errors.As(err, &perr):
			text, line = "error: "+perr.Error(), perr.StartLine
		case err != nil:
			t.Fatal(err)
		default:
			text = strings.Join(rec, "|")
			line, _ = cr.FieldPos(0)
		}
		r := csvRecord{text: text, line: line, end: cr.InputOffset()}
		if g != nil {
			r.cut = g.takeCut(r.end)
		}
		out = append(out, r)
	}
}

// TestRecordGuardFollowsEncodingCSV reads random CSV-like text with and
// without a guard of a small limit: records no longer than the limit, and
// every record after a cut one, come out exactly as encoding/csv reads
// them unguarded (fields, errors, line numbers); longer ones are cut, and
// only they.
func TestRecordGuardFollowsEncodingCSV(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	alphabet := []string{"a", "b", ",", ",", "\"", "\"", "\"\"", "\n", "\r\n", "\r", " ", "xyz"}
	const limit = 24
	cuts := 0
	for iter := 0; iter < 6000; iter++ {
		var b strings.Builder
		for range rng.IntN(120) {
			b.WriteString(alphabet[rng.IntN(len(alphabet))])
		}
		text := b.String()
		plain := readRecords(t, strings.NewReader(text), nil)
		// Reads of odd sizes, to cut the grammar at every kind of place.
		g := newRecordGuard(iotestHalf(strings.NewReader(text), rng), limit, ',')
		guarded := readRecords(t, bufio.NewReaderSize(g, 16), g)
		if len(guarded) != len(plain) {
			t.Fatalf("%q: %d records guarded, %d plain\nguarded %+v\nplain   %+v", text, len(guarded), len(plain), guarded, plain)
		}
		var prevEnd int64
		for i, p := range plain {
			size := p.end - prevEnd
			long := size > limit
			gr := guarded[i]
			prevEnd = p.end
			if gr.cut {
				cuts++
				if !long {
					t.Fatalf("%q: record %d of %d bytes (with blank lines before it) cut", text, i, size)
				}
				if gr.line != p.line {
					t.Fatalf("%q: cut record %d starts on line %d, plain on %d", text, i, gr.line, p.line)
				}
				continue
			}
			if gr.text != p.text || gr.line != p.line {
				t.Fatalf("%q: record %d guarded %q (line %d), plain %q (line %d), long %v", text, i, gr.text, gr.line, p.text, p.line, long)
			}
		}
		if len(g.cuts) != 0 {
			t.Fatalf("%q: %d cuts no record claimed", text, len(g.cuts))
		}
	}
	if cuts < 100 {
		t.Errorf("only %d records were cut: the test does not exercise cutting", cuts)
	}
}

// iotestHalf returns a reader that hands out r's bytes in random small
// pieces.
func iotestHalf(r io.Reader, rng *rand.Rand) io.Reader {
	return readerFunc(func(p []byte) (int, error) {
		return r.Read(p[:min(len(p), 1+rng.IntN(7))])
	})
}

type readerFunc func([]byte) (int, error)

func (f readerFunc) Read(p []byte) (int, error) { return f(p) }

// TestCSVRecordLimit: a record over the limit makes its row invalid,
// naming its line; the rows after it are read as they are, on their lines.
func TestCSVRecordLimit(t *testing.T) {
	long := strings.Repeat("x", 100)
	content := "a,b\n1,short\n2," + long + "\n3,\"" + strings.Repeat("line\n", 30) + "\"\n4,\"ok\nfine\"\n5,end\n"
	r, rows, p := openRead(t, content, Options{recordLimit: 64})
	var got []string
	for _, row := range rows {
		got = append(got, fmt.Sprintf("%s@%s", row.Cells[0].Value, strings.TrimPrefix(r.Where(row.Number, -1), p)))
	}
	if want := "1@:2 2@:3 3@:4 4@:35 5@:37"; strings.Join(got, " ") != want {
		t.Errorf("rows %q, want %q", got, want)
	}
	errs := rowErrs(rows)
	for i, want := range []string{"", "f.csv:3: the record that starts here is over 64 bytes", "f.csv:4: the record that starts here is over 64 bytes", "", ""} {
		e := strings.ReplaceAll(errs[i], p, "f.csv")
		if (want == "") != (e == "") || !strings.Contains(e, want) {
			t.Errorf("row %d: error %q, want %q", i, e, want)
		}
	}
	if v := rows[3].Cells[1].Value; v != "ok\nfine" {
		t.Errorf("row after the cut: %q", v)
	}
}

// TestRecordGuardSuspectsCoverInvalidUTF8 reads random CSV-like text with
// multi-byte runes and invalid bytes through a guard in reads of odd sizes
// (so that sequences are split between reads) and a small limit (so that
// the slow path runs too): every record with a cell that is not valid
// UTF-8 overlaps a suspect range (the reader checks only those cell by
// cell), and text without a byte over 0x7F has no suspect range at all.
func TestRecordGuardSuspectsCoverInvalidUTF8(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	ascii := []string{"a", ",", "\"", "\"\"", "\n", "\r\n", " ", "xyz"}
	mixed := append([]string{"é", "€", "😀", "\xff", "\xc3", "\xa9", "\xe2\x82", "\xed\xa0\x80"}, ascii...)
	invalid, flagged := 0, 0
	for iter := 0; iter < 6000; iter++ {
		alphabet, limit := mixed, int64(minRecordLimit)
		if iter%3 == 0 {
			alphabet = ascii
		}
		if iter%2 == 0 {
			limit = 24
		}
		var b strings.Builder
		for range rng.IntN(120) {
			b.WriteString(alphabet[rng.IntN(len(alphabet))])
		}
		text := b.String()
		g := newRecordGuard(iotestHalf(strings.NewReader(text), rng), limit, ',')
		cr := csv.NewReader(bufio.NewReaderSize(g, 16))
		cr.FieldsPerRecord = -1
		var from int64
		for {
			rec, err := cr.Read()
			if err == io.EOF {
				break
			}
			to := cr.InputOffset()
			suspect := g.takeSuspect(from, to)
			from = to
			if suspect {
				flagged++
			}
			if iter%3 == 0 && suspect { // cut or not
				t.Fatalf("%q: ASCII record %q before offset %d is suspect", text, rec, to)
			}
			for _, cell := range rec {
				if !utf8.ValidString(cell) {
					invalid++
					if !suspect {
						t.Fatalf("%q: record %q before offset %d has invalid UTF-8 but is not suspect", text, rec, to)
					}
					break
				}
			}
		}
	}
	if invalid < 1000 || flagged > 3*invalid {
		t.Errorf("%d records with invalid UTF-8, %d suspect: the test does not exercise the check", invalid, flagged)
	}
}
