package source

import (
	"bufio"
	"bytes"
	"io"
	"unicode/utf8"
)

// Two things spreadsheet programs write into CSV files that encoding/csv
// does not know:
//
//   - a first line "sep=;" naming the delimiter, which Excel writes (and
//     reads, hiding the line) so that a file opens with the right columns
//     in every locale;
//   - a carriage return alone ending each line, as "CSV (Macintosh)" and
//     old Mac tools save: read as it is, the whole file is one line.
//
// textQuirks finds them at the start of the decoded text; the reader and
// the row count both go through it, so they agree.

// textQuirks is what the start of a CSV file's text showed.
type textQuirks struct {
	// sep is the delimiter a "sep=X" first line names (0: no such line).
	// The line is read as the first record and skipped; it is not a row
	// (Excel does not show it), so row numbers start at the header after
	// it, while line numbers count it, as an editor does.
	sep rune
}

// findQuirks looks at the start of the decoded text and returns the text
// to read: when its lines end with a lone '\r' (no '\n' in the first
// buffer), with each '\r' read as '\n'.
func findQuirks(br *bufio.Reader) (*bufio.Reader, textQuirks) {
	head, _ := br.Peek(br.Size())
	if bytes.IndexByte(head, '\r') >= 0 && bytes.IndexByte(head, '\n') < 0 {
		br = bufio.NewReaderSize(crAsLF{br}, br.Size())
		head, _ = br.Peek(br.Size())
	}
	return br, textQuirks{sep: sepLine(head)}
}

// sepLine returns the delimiter of a first line "sep=X" (X one character,
// the line ending right after it; Excel writes no quotes or spaces), or 0.
func sepLine(head []byte) rune {
	const prefix = "sep="
	if len(head) < len(prefix) || !bytes.EqualFold(head[:len(prefix)], []byte(prefix)) {
		return 0
	}
	r, size := utf8.DecodeRune(head[len(prefix):])
	rest := head[len(prefix)+size:]
	if r == utf8.RuneError || r == '\r' || r == '\n' {
		return 0
	}
	rest = bytes.TrimPrefix(rest, []byte("\r"))
	if len(rest) == 0 || rest[0] != '\n' {
		return 0
	}
	return r
}

// crAsLF reads its reader with every '\r' turned into '\n' (a file whose
// lines end with '\r' alone; byte for byte, so offsets do not move).
type crAsLF struct{ r io.Reader }

func (c crAsLF) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	for i := 0; i < n; {
		j := bytes.IndexByte(p[i:n], '\r')
		if j < 0 {
			break
		}
		p[i+j] = '\n'
		i += j + 1
	}
	return n, err
}
