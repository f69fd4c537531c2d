package source

import (
	"bytes"
	"encoding/binary"
	"encoding/csv"
	"errors"
	"io"
	"math/bits"
	"strings"
	"unicode/utf8"
)

// errInvalidDelim is encoding/csv's error for a delimiter it refuses (its
// own value is not exported; the text is the same).
var errInvalidDelim = errors.New("csv: invalid field or comment delimiter")

// maxEmptyReads is how many reads returning nothing in a row make
// csvRecords give up with io.ErrNoProgress, as bufio does.
const maxEmptyReads = 100

// fieldPos is where a field starts: 1-based line and byte column. The
// fast path leaves the column to FieldPos, which the CSV reader does not
// ask for: a col <= 0 is -col, the field's offset in the record's bytes.
type fieldPos struct{ line, col int }

// fieldSpan is a field of the record read last: its bytes in buf, from
// start to end relative to keep, and where it starts in the input.
type fieldSpan struct {
	start, end int
	fieldPos
	esc int // on the fast path, how many escapes come before the field
}

// csvRecords reads CSV records exactly as encoding/csv's Reader does with
// LazyQuotes false, no Comment and no TrimLeadingSpace: the same records,
// FieldPos, InputOffset and errors (*csv.ParseError with ErrQuote,
// ErrBareQuote or ErrFieldCount and the same lines and columns), the same
// partial record after an error, the same io.EOF. The differential tests
// (csvrec_test.go, FuzzCSVRecords) hold it to that.
//
// It costs less than encoding/csv because it parses each record in place in
// its read buffer instead of copying every field into a record buffer first:
// an unquoted field is a range of the buffer, a quoted field is unescaped
// ("" and \r\n) by moving its bytes down in place, and the record's one
// string is copied from the buffer at the end. A line without quotes is
// searched for one once, not field by field.
type csvRecords struct {
	// Comma is the field delimiter (',' by default): a valid rune, not
	// '"', '\r', '\n' or utf8.RuneError, as encoding/csv requires.
	Comma rune
	// FieldsPerRecord is encoding/csv's: >0 the count every record must
	// have, 0 the count of the first record, <0 no check.
	FieldsPerRecord int
	// ReuseRecord lets Read return a slice sharing the previous one's
	// array (the strings are new for each record).
	ReuseRecord bool
	// KeepBareQuotes reads on past a '"' inside an unquoted field, keeping
	// it as text (LazyQuotes, for unquoted fields only), so the record
	// comes back whole; the error is still the first ErrBareQuote. The
	// one departure from encoding/csv, off by default: a row reported for
	// its quote keeps every cell in the errors CSV, to be fixed there.
	KeepBareQuotes bool

	src    io.Reader
	srcErr error // from src, handed on once the buffered bytes are read
	buf    []byte
	r, w   int // the unread bytes are buf[r:w]
	// keep is where the record being read starts in buf: fill keeps
	// buf[keep:], and the field bounds are relative to it.
	keep int

	numLine int         // lines read, as encoding/csv counts them
	offset  int64       // bytes read, as InputOffset reports them
	fields  []fieldSpan // of the record read last
	// escapes are the quotes the fast path must drop (the first of each
	// "" pair), relative to keep, in order.
	escapes []int
	last    []string // the record returned last, for ReuseRecord
	// stop marks the bytes that end an unquoted field on the fast path:
	// '"', '\n' and stopComma (stopSet once built).
	stop      [256]bool
	stopComma byte
	stopSet   bool
	// There is no '\r' in buf[crFrom:cr], and buf[cr] is one unless cr
	// is w (crFrom < 0: not known); see hasCR.
	crFrom, cr int
}

// newCSVRecords returns a reader of src with a buffer of size bytes (it
// grows for a longer record).
func newCSVRecords(src io.Reader, size int) *csvRecords {
	return &csvRecords{Comma: ',', src: src, buf: make([]byte, max(size, 16)), crFrom: -1}
}

// Read reads one record, as encoding/csv's Read does.
func (c *csvRecords) Read() ([]string, error) {
	if c.ReuseRecord {
		rec, err := c.readRecord(c.last)
		c.last = rec
		return rec, err
	}
	return c.readRecord(nil)
}

// FieldPos returns the line and column where field i of the record read
// last starts. Like encoding/csv's, it panics on an index out of range.
func (c *csvRecords) FieldPos(i int) (line, column int) {
	p := c.fields[i].fieldPos
	if p.col <= 0 {
		// Fast path: the record's bytes are still in buf, as read.
		at := -p.col
		return p.line, at - bytes.LastIndexByte(c.buf[c.keep:c.keep+at], '\n')
	}
	return p.line, p.col
}

// FieldLine returns the line where field i of the record read last starts
// (FieldPos's line, without the column the fast path leaves to FieldPos).
func (c *csvRecords) FieldLine(i int) int { return c.fields[i].line }

// InputOffset returns the input offset of the end of the record read last.
func (c *csvRecords) InputOffset() int64 { return c.offset }

// fill reads more of src into the buffer, keeping buf[keep:] (moved to the
// start of the buffer, which grows when the kept bytes fill it). It
// returns how far it moved the bytes down.
func (c *csvRecords) fill() int {
	c.crFrom = -1
	shift := c.keep
	if shift > 0 {
		copy(c.buf, c.buf[shift:c.w])
		c.w -= shift
		c.r -= shift
		c.keep = 0
	}
	if c.w == len(c.buf) {
		grown := make([]byte, 2*len(c.buf))
		copy(grown, c.buf[:c.w])
		c.buf = grown
	}
	for range maxEmptyReads {
		n, err := c.src.Read(c.buf[c.w:])
		if n < 0 || n > len(c.buf)-c.w {
			c.srcErr = errors.New("csv: invalid count from the underlying reader")
			return shift
		}
		c.w += n
		if err != nil {
			c.srcErr = err
			return shift
		}
		if n > 0 {
			return shift
		}
	}
	c.srcErr = io.ErrNoProgress
	return shift
}

// readLine consumes the next line as encoding/csv's readLine does (through
// bufio's ReadSlice) and returns its bounds in buf, valid until the next
// call: with its '\n' (\r\n is rewritten to \n in place), without one at
// the end of the input, where a final \r is dropped. A read error comes
// with the bytes buffered before it; io.EOF only when no byte was left.
func (c *csvRecords) readLine() (s, e int, err error) {
	from := c.r
	for {
		if i := bytes.IndexByte(c.buf[from:c.w], '\n'); i >= 0 {
			s, e = c.r, from+i+1
			break
		}
		from = c.w
		if c.srcErr != nil {
			s, e, err = c.r, c.w, c.srcErr
			c.srcErr = nil
			break
		}
		from -= c.fill()
	}
	c.r = e
	n := e - s
	if n > 0 && err == io.EOF {
		err = nil
		if c.buf[e-1] == '\r' {
			e--
		}
	}
	c.numLine++
	c.offset += int64(n)
	if e-s >= 2 && c.buf[e-2] == '\r' && c.buf[e-1] == '\n' {
		c.buf[e-2] = '\n'
		e--
	}
	return s, e, err
}

// endsLine reports whether b is empty or a lone '\n' (encoding/csv's
// len(line) == lengthNL(line)).
func endsLine(b []byte) bool {
	return len(b) == 0 || len(b) == 1 && b[0] == '\n'
}

// lenNL is 1 when b ends with '\n', else 0.
func lenNL(b []byte) int {
	if len(b) > 0 && b[len(b)-1] == '\n' {
		return 1
	}
	return 0
}

// validComma reports whether encoding/csv accepts r as the delimiter.
func validComma(r rune) bool {
	return r != 0 && r != '"' && r != '\r' && r != '\n' && utf8.ValidRune(r) && r != utf8.RuneError
}

// readRecord reads a record as encoding/csv's readRecord does: on the fast
// path when it can, else on the port of encoding/csv's own steps.
func (c *csvRecords) readRecord(dst []string) ([]string, error) {
	if !validComma(c.Comma) {
		return nil, errInvalidDelim
	}
	var recLine int
	var err error
	ok := c.Comma < utf8.RuneSelf
	if ok {
		recLine, ok = c.fastRecord(byte(c.Comma))
	}
	if !ok {
		var eof bool
		if recLine, eof, err = c.slowRecord(); eof {
			return nil, io.EOF
		}
	}
	dst = c.record(dst)
	if c.FieldsPerRecord > 0 {
		if len(dst) != c.FieldsPerRecord && err == nil {
			err = &csv.ParseError{StartLine: recLine, Line: recLine, Column: 1, Err: csv.ErrFieldCount}
		}
	} else if c.FieldsPerRecord == 0 {
		c.FieldsPerRecord = len(dst)
	}
	return dst, err
}

// slowRecord is encoding/csv's readRecord over the buffer in place, step
// for step (the same lines and columns, the same errors), for the records
// the fast path leaves: an error, a '\r' inside quotes, the end of the
// input without a newline, a multi-byte delimiter. It returns the line
// the record starts on, and eof at the end of the input.
func (c *csvRecords) slowRecord() (recLine int, eof bool, err error) {
	var comma [utf8.UTFMax]byte
	commaLen := utf8.EncodeRune(comma[:], c.Comma)

	// Skip empty lines.
	var s, e int
	var errRead error
	for errRead == nil {
		c.keep = c.r
		s, e, errRead = c.readLine()
		if errRead == nil && endsLine(c.buf[s:e]) {
			continue
		}
		break
	}
	if errRead == io.EOF {
		return 0, true, nil
	}

	recLine = c.numLine
	c.fields = c.fields[:0]
	c.escapes = c.escapes[:0] // slowRecord unescapes in place
	c.crFrom = -1             // and rewrites "\r\n"
	pos := fieldPos{line: c.numLine, col: 1}
	p := s
	// quote is the first '"' at or after p on the line (e when none),
	// valid while quote >= p.
	quote := -1
parseField:
	for {
		if p == e || c.buf[p] != '"' {
			// An unquoted field: a range of the buffer.
			var i int
			if commaLen == 1 {
				i = bytes.IndexByte(c.buf[p:e], comma[0])
			} else {
				i = bytes.Index(c.buf[p:e], comma[:commaLen])
			}
			end := p + i
			if i < 0 {
				end = e - lenNL(c.buf[p:e])
			}
			if quote < p {
				quote = e
				if j := bytes.IndexByte(c.buf[p:e], '"'); j >= 0 {
					quote = p + j
				}
			}
			if quote < end {
				if err == nil {
					err = &csv.ParseError{StartLine: recLine, Line: c.numLine, Column: pos.col + quote - p, Err: csv.ErrBareQuote}
				}
				if !c.KeepBareQuotes {
					break parseField
				}
			}
			c.fields = append(c.fields, fieldSpan{p - c.keep, end - c.keep, pos, 0})
			if i < 0 {
				break parseField
			}
			p += i + commaLen
			pos.col += i + commaLen
			continue parseField
		}
		// A quoted field: its text is moved down to out as it is read.
		at := pos
		p++
		pos.col++
		start := p - c.keep
		out := start
		for {
			if i := bytes.IndexByte(c.buf[p:e], '"'); i >= 0 {
				out = c.moveDown(out, p, p+i)
				p += i + 1
				pos.col += i + 1
				rest := c.buf[p:e]
				switch {
				case len(rest) > 0 && rest[0] == '"':
					c.buf[c.keep+out] = '"'
					out++
					p++
					pos.col++
				case bytes.HasPrefix(rest, comma[:commaLen]):
					p += commaLen
					pos.col += commaLen
					c.fields = append(c.fields, fieldSpan{start, out, at, 0})
					continue parseField
				case endsLine(rest):
					c.fields = append(c.fields, fieldSpan{start, out, at, 0})
					break parseField
				default:
					err = &csv.ParseError{StartLine: recLine, Line: c.numLine, Column: pos.col - 1, Err: csv.ErrQuote}
					break parseField
				}
			} else if p < e {
				// The field goes on past the end of the line.
				out = c.moveDown(out, p, e)
				if errRead != nil {
					break parseField
				}
				pos.col += e - p
				s, e, errRead = c.readLine()
				p = s
				quote = -1 // the buffer may have moved
				if e > s {
					pos.line++
					pos.col = 1
				}
				if errRead == io.EOF {
					errRead = nil
				}
			} else {
				// The input ends inside the quotes.
				if errRead == nil {
					err = &csv.ParseError{StartLine: recLine, Line: pos.line, Column: pos.col, Err: csv.ErrQuote}
					break parseField
				}
				c.fields = append(c.fields, fieldSpan{start, out, at, 0})
				break parseField
			}
		}
	}
	if err == nil {
		err = errRead
	}
	return recLine, false, err
}

// moveDown moves the bytes buf[from:to] to out (relative to keep, at or
// before from) and returns the end of what is there now.
func (c *csvRecords) moveDown(out, from, to int) int {
	if at := c.keep + out; at != from {
		copy(c.buf[at:], c.buf[from:to])
	}
	return out + to - from
}

// record returns the fields as dst's strings, cut from one string of the
// record's bytes (one allocation a record, as encoding/csv makes) with the
// quotes in escapes left out.
func (c *csvRecords) record(dst []string) []string {
	n := len(c.fields)
	dst = dst[:0]
	if cap(dst) < n {
		dst = make([]string, n)
	}
	dst = dst[:n]
	if n == 0 {
		return dst
	}
	if len(c.escapes) > 0 {
		c.unescaped(dst)
		return dst
	}
	lo := c.fields[0].start
	str := string(c.buf[c.keep+lo : c.keep+c.fields[n-1].end])
	for i := range dst {
		f := &c.fields[i]
		dst[i] = str[f.start-lo : f.end-lo]
	}
	return dst
}

// unescaped fills dst with the fields of a record with escaped quotes:
// the record's bytes are copied into one string but for the escapes (one
// copy a run between two), and the fields cut from it.
func (c *csvRecords) unescaped(dst []string) {
	data := c.buf[c.keep:]
	lo, hi := c.fields[0].start, c.fields[len(c.fields)-1].end
	var sb strings.Builder
	sb.Grow(hi - lo - len(c.escapes))
	from := lo
	for _, e := range c.escapes {
		sb.Write(data[from:e])
		from = e + 1
	}
	sb.Write(data[from:hi])
	str := sb.String()
	for i := range c.fields {
		f := &c.fields[i]
		// Its escapes are those before the next field.
		next := len(c.escapes)
		if i+1 < len(c.fields) {
			next = c.fields[i+1].esc
		}
		dst[i] = str[f.start-lo-f.esc : f.end-lo-next]
	}
}

// fastRecord reads the next record when it is of the common kind: a
// one-byte delimiter, quoted fields without '\r', no error, a '\n' at its
// end. It returns ok false, having consumed only empty lines, for any
// other record, which slowRecord then reads. Instead of finding each line
// first and then each field in it, it finds the end of an unquoted field
// with a byte loop, and the end of a quoted one with a search for its
// next quote across lines (counting the newlines it crosses).
func (c *csvRecords) fastRecord(comma byte) (recLine int, ok bool) {
	if !c.skipEmpty() {
		return 0, false
	}
	if !c.stopSet || c.stopComma != comma {
		c.stop = [256]bool{'"': true, '\n': true}
		c.stop[comma] = true
		c.stopComma, c.stopSet = comma, true
	}
	c.fields = c.fields[:0]
	c.escapes = c.escapes[:0]
	c.keep = c.r
	data := c.buf[c.keep:c.w]
	recLine = c.numLine + 1
	line, p := recLine, 0
field:
	for {
		at := fieldPos{line, -p}
		for p == len(data) {
			if !c.more(&data) {
				return 0, false
			}
		}
		if data[p] != '"' {
			j := p
			for {
				if j = c.stopAt(data, j); j < len(data) {
					break
				}
				if !c.more(&data) {
					return 0, false
				}
			}
			switch data[j] {
			case comma:
				c.fields = append(c.fields, fieldSpan{p, j, at, len(c.escapes)})
				p = j + 1
				continue field
			case '\n':
				end := j
				if end > p && data[end-1] == '\r' {
					end-- // \r\n is read as \n
				}
				c.fields = append(c.fields, fieldSpan{p, end, at, len(c.escapes)})
				c.finish(j+1, line)
				return recLine, true
			}
			return 0, false // a bare quote
		}
		p++
		start, esc := p, len(c.escapes)
		for {
			i := bytes.IndexByte(data[p:], '"')
			if i < 0 {
				if !c.more(&data) {
					return 0, false
				}
				continue
			}
			p += i + 1
			for p+1 >= len(data) {
				if !c.more(&data) {
					return 0, false
				}
			}
			if data[p] == '"' {
				c.escapes = append(c.escapes, p)
				p++
				continue
			}
			break
		}
		// The field's text, its doubled quotes aside, is data[start:p-1].
		if c.hasCR(c.keep+start, c.keep+p-1) {
			return 0, false // encoding/csv rewrites a "\r\n" in it
		}
		line += bytes.Count(data[start:p-1], newline)
		c.fields = append(c.fields, fieldSpan{start, p - 1, at, esc})
		switch data[p] {
		case comma:
			p++
			continue field
		case '\n':
			c.finish(p+1, line)
			return recLine, true
		case '\r':
			if data[p+1] == '\n' {
				c.finish(p+2, line)
				return recLine, true
			}
		}
		return 0, false // a quote error
	}
}

// SWAR constants: a one in the low, and in the high bit of every byte.
const (
	lowBits  = 0x0101010101010101
	highBits = 0x8080808080808080
)

// matchBytes returns the high bit of every byte of v equal to the byte
// repeated in pat. Only its lowest set bit is exact (a borrow may set
// bits above it), which is the one stopAt uses.
func matchBytes(v, pat uint64) uint64 {
	x := v ^ pat
	return (x - lowBits) &^ x & highBits
}

// stopAt returns the index of the first byte at or after j in data that
// ends an unquoted field on the fast path ('"', '\n' or the delimiter),
// or len(data): eight bytes at a time, then byte by byte.
func (c *csvRecords) stopAt(data []byte, j int) int {
	commas := lowBits * uint64(c.stopComma)
	for ; j+8 <= len(data); j += 8 {
		v := binary.LittleEndian.Uint64(data[j:])
		if m := matchBytes(v, commas) | matchBytes(v, lowBits*'"') | matchBytes(v, lowBits*'\n'); m != 0 {
			return j + bits.TrailingZeros64(m)>>3
		}
	}
	stop := &c.stop
	for j < len(data) && !stop[data[j]] {
		j++
	}
	return j
}

// hasCR reports whether buf[from:to] holds a '\r'. The answer of one
// search holds until the next '\r' (or the end of the buffer): a file
// without any costs one search per buffer.
func (c *csvRecords) hasCR(from, to int) bool {
	if c.crFrom < 0 || from < c.crFrom || c.cr < from {
		c.crFrom, c.cr = from, c.w
		if i := bytes.IndexByte(c.buf[from:c.w], '\r'); i >= 0 {
			c.cr = from + i
		}
	}
	return c.cr < to
}

// newline is what bytes.Count counts lines by.
var newline = []byte{'\n'}

// skipEmpty consumes the empty lines ("\n" or "\r\n") at the read
// position, counting them as encoding/csv does. It returns false when the
// input ends (or fails) first, for slowRecord to handle.
func (c *csvRecords) skipEmpty() bool {
	for {
		c.keep = c.r
		if c.w-c.r < 2 {
			if c.srcErr != nil {
				return false
			}
			c.fill()
			continue
		}
		switch {
		case c.buf[c.r] == '\n':
			c.r++
			c.offset++
		case c.buf[c.r] == '\r' && c.buf[c.r+1] == '\n':
			c.r += 2
			c.offset += 2
		default:
			return true
		}
		c.numLine++
	}
}

// more reads more input for the fast path, setting data to buf[keep:w]
// again; false when the input has ended or failed.
func (c *csvRecords) more(data *[]byte) bool {
	if c.srcErr != nil {
		return false
	}
	c.fill()
	*data = c.buf[c.keep:c.w]
	return true
}

// finish ends a record the fast path read: end bytes from keep, its last
// line numbered line.
func (c *csvRecords) finish(end, line int) {
	c.r = c.keep + end
	c.offset += int64(end)
	c.numLine = line
}
