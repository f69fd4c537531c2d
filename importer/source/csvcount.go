package source

import (
	"bytes"
	"io"
)

// recordCounter counts CSV records in text fed to it in pieces: newlines
// outside quotes that end a line with content (a byte other than '\r'),
// and a last line without a newline. It jumps from one quote or newline
// to the next with bytes.IndexByte instead of looking at every byte: the
// row count before an import was a fifth of a nightly upsert over
// unchanged rows.
type recordCounter struct {
	records int
	quoted  bool // inside a quoted field
	content bool // the current line has content
}

// feed counts the records that end in b.
func (c *recordCounter) feed(b []byte) {
	for len(b) > 0 {
		if c.quoted { // only a quote ends it; everything else is content
			q := bytes.IndexByte(b, '"')
			if q < 0 {
				return
			}
			c.quoted, b = false, b[q+1:]
			continue
		}
		nl := bytes.IndexByte(b, '\n')
		line := b
		if nl >= 0 {
			line = b[:nl]
		}
		if q := bytes.IndexByte(line, '"'); q >= 0 {
			c.quoted, c.content, b = true, true, b[q+1:]
			continue
		}
		c.content = c.content || hasContent(line)
		if nl < 0 {
			return
		}
		if c.content {
			c.records++
			c.content = false
		}
		b = b[nl+1:]
	}
}

// hasContent reports whether line holds a byte other than '\r'.
func hasContent(line []byte) bool {
	for _, ch := range line {
		if ch != '\r' {
			return true
		}
	}
	return false
}

// total is the number of records in everything fed so far.
func (c *recordCounter) total() int {
	if c.content {
		return c.records + 1
	}
	return c.records
}

// countRecords counts the records of r (see recordCounter), reading it in
// pieces of buf's size.
func countRecords(r io.Reader, buf []byte) (int, error) {
	var c recordCounter
	for {
		n, err := r.Read(buf)
		c.feed(buf[:n])
		if err == io.EOF {
			return c.total(), nil
		}
		if err != nil {
			return 0, err
		}
	}
}
