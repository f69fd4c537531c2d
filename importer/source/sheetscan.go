package source

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"strconv"
)

// maxColumns is the widest sheet XLSX allows (XFD).
const maxColumns = 16384

// cellMeta is what the sheet XML says about a cell besides its value: its
// type attribute (t) and its style index (s).
type cellMeta struct {
	set   bool
	typ   cellType
	style int
}

// cellType is the t attribute of a <c> element.
type cellType uint8

const (
	typeNumber cellType = iota // t="n" or no t
	typeBool                   // t="b"
	typeDate                   // t="d" (ISO 8601 text)
	typeText                   // t="s", "str", "inlineStr"
	typeError                  // t="e"
)

// maxRows is the last row number XLSX allows.
const maxRows = 1 << 20

// sheetScanner reads a worksheet's XML in one streaming pass and returns,
// row by row, each cell's value (as excelize's Rows iterator with
// RawCellValue gives it: the <v> text; a shared string resolved; an inline
// string's text) with its type and style. It tells a complete sheet from a
// short or damaged one: it must reach </sheetData>, and the zip entry's
// end, where archive/zip checks the CRC (finish).
type sheetScanner struct {
	x       *xmlScanner
	sst     *sharedStrings
	inData  bool // inside <sheetData>
	done    bool // </sheetData> seen
	lastRow int  // the last row read, or being read
	inRow   bool // an error happened inside row lastRow
	vals    []string
	cells   []cellMeta
	v       []byte // scratch: a cell's <v> text
	item    stringItem
}

func newSheetScanner(r io.Reader, sst *sharedStrings) *sheetScanner {
	return &sheetScanner{x: newXMLScanner(r), sst: sst}
}

// next returns the number, the values and the cell metadata (both indexed
// by column - 1) of the next <row> element, or io.EOF after </sheetData>.
// The slices are reused by the next call.
func (s *sheetScanner) next() (int, []string, []cellMeta, error) {
	if s.done {
		return 0, nil, nil, io.EOF
	}
	s.inRow = false
	x := s.x
	for {
		if err := x.next(); err != nil {
			return 0, nil, nil, truncated(err)
		}
		switch {
		case !s.inData:
			if x.is("sheetData") {
				s.inData = true
				if x.self {
					s.done = true
					return 0, nil, nil, io.EOF
				}
			}
		case x.end && string(x.name) == "sheetData":
			s.done = true
			return 0, nil, nil, io.EOF
		case x.end:
			return 0, nil, nil, fmt.Errorf("</%s> inside <sheetData>", x.name)
		case x.is("row"):
			num, err := s.row()
			if err != nil {
				return 0, nil, nil, err
			}
			return num, s.vals, s.cells, nil
		default:
			if err := x.skip(); err != nil {
				return 0, nil, nil, truncated(err)
			}
		}
	}
}

// row reads a <row> element whose start tag was just read.
func (s *sheetScanner) row() (int, error) {
	x := s.x
	rowNum := s.lastRow + 1
	if v, ok := attr(x.tag, "r"); ok {
		n, err := strconv.Atoi(string(v))
		if err != nil || n < 1 {
			return 0, fmt.Errorf("bad row number %q after row %d", v, s.lastRow)
		}
		rowNum = n
	}
	if rowNum <= s.lastRow {
		return 0, fmt.Errorf("row %d comes after row %d: rows are out of order", rowNum, s.lastRow)
	}
	if rowNum > maxRows {
		return 0, fmt.Errorf("row %d is beyond the last row XLSX allows (%d)", rowNum, maxRows)
	}
	s.lastRow, s.inRow = rowNum, true
	s.vals, s.cells = s.vals[:0], s.cells[:0]
	if x.self {
		return rowNum, nil
	}
	col := 0
	for {
		if err := x.next(); err != nil {
			return 0, truncated(err)
		}
		switch {
		case x.end:
			if string(x.name) != "row" {
				return 0, fmt.Errorf("</%s> where </row> was expected", x.name)
			}
			s.inRow = false
			return rowNum, nil
		case x.is("c"):
			var err error
			if col, err = s.cell(col + 1); err != nil {
				return 0, err
			}
		default:
			if err := x.skip(); err != nil {
				return 0, truncated(err)
			}
		}
	}
}

// cell reads a <c> element whose start tag was just read, and stores its
// value and metadata at its column: the one its reference names, else col
// (the one after the previous cell). It returns the column.
func (s *sheetScanner) cell(col int) (int, error) {
	x := s.x
	meta := cellMeta{set: true}
	var t []byte
	for key, val, i, ok := nextAttr(x.tag, 0); ok; key, val, i, ok = nextAttr(x.tag, i) {
		switch string(key) {
		case "r":
			var err error
			if col, err = refColumn(val); err != nil {
				return 0, err
			}
		case "s":
			meta.style, _ = strconv.Atoi(string(val))
		case "t":
			t = val
		}
	}
	if col > maxColumns {
		return 0, errors.New("a cell beyond the last column XFD")
	}
	switch string(t) {
	case "b":
		meta.typ = typeBool
	case "d":
		meta.typ = typeDate
	case "e":
		meta.typ = typeError
	case "", "n":
	default:
		meta.typ = typeText
	}
	inline := string(t) == "inlineStr"
	shared := string(t) == "s"
	val, haveIS := "", false
	s.v = s.v[:0]
	closed := x.self
	if !closed {
		var err error
		if !inline {
			closed, err = s.quick("<v>", "</v></c>")
		} else if closed, err = s.quick("<is><t>", "</t></is></c>"); !closed && err == nil {
			closed, err = s.quick(`<is><t xml:space="preserve">`, "</t></is></c>")
		}
		if err != nil {
			return 0, err
		}
		if closed && inline {
			haveIS, val = true, string(bstrDecode(s.v))
		}
	}
	for !closed {
		if err := x.next(); err != nil {
			return 0, truncated(err)
		}
		var err error
		switch {
		case x.end:
			if string(x.name) != "c" {
				return 0, fmt.Errorf("</%s> where </c> was expected", x.name)
			}
			closed = true
		case x.is("v"):
			s.v, err = x.text(s.v[:0], "v")
		case x.is("is") && inline:
			var b []byte
			b, err = s.item.read(x, "is")
			val, haveIS = string(b), true
		default:
			err = x.skip()
		}
		if err != nil {
			return 0, truncated(err)
		}
	}
	switch {
	case shared && len(s.v) > 0:
		i, err := strconv.Atoi(string(bytes.TrimSpace(s.v)))
		if err != nil {
			return 0, fmt.Errorf("cell %s: shared string index %q is not a number", columnLetters(col-1), s.v)
		}
		if val, err = s.sst.get(i); err != nil {
			return 0, fmt.Errorf("cell %s: %w", columnLetters(col-1), err)
		}
	case !haveIS:
		val = string(s.v)
	}
	for len(s.cells) < col {
		s.cells = append(s.cells, cellMeta{})
		s.vals = append(s.vals, "")
	}
	s.cells[col-1], s.vals[col-1] = meta, val
	return col, nil
}

// quick reads the commonest forms of a cell's content at once, open +
// text + end ("<v>12</v></c>"), decoding the text into s.v; for any other
// form it reads nothing and returns false.
func (s *sheetScanner) quick(open, end string) (bool, error) {
	x := s.x
	if x.w-x.r < 256 {
		x.fill(maxTagBytes)
	}
	b := x.buf[x.r:x.w]
	if len(b) < len(open) || string(b[:len(open)]) != open {
		return false, nil
	}
	b = b[len(open):]
	k := bytes.IndexByte(b, '<')
	if k < 0 || len(b)-k < len(end) || string(b[k:k+len(end)]) != end {
		return false, nil
	}
	var err error
	if s.v, err = decodeText(s.v[:0], b[:k]); err != nil {
		return false, err
	}
	x.r += len(open) + k + len(end)
	return true, nil
}

// finish reads the rest of the entry so that archive/zip verifies its
// checksum.
func (s *sheetScanner) finish() error { return s.x.drain() }

// truncated turns an early end of the XML into a clear error.
func truncated(err error) error {
	if err == errXMLEnd {
		return errors.New("the sheet XML ends before </sheetData>")
	}
	return err
}

// unreadable explains an error from the zip entry under the XML.
func unreadable(err error) error {
	return fmt.Errorf("its data in the zip file cannot be read (%w)", err)
}

// attr returns the value of the attribute name in a start tag (the name
// without a namespace prefix; values are not entity-decoded, which the
// attributes read here never need).
func attr(tag []byte, name string) ([]byte, bool) {
	i := 0
	for i < len(tag) && !isSpace(tag[i]) && tag[i] != '/' && tag[i] != '>' {
		i++ // element name
	}
	for i < len(tag) {
		for i < len(tag) && isSpace(tag[i]) {
			i++
		}
		start := i
		for i < len(tag) && tag[i] != '=' && !isSpace(tag[i]) && tag[i] != '>' && tag[i] != '/' {
			i++
		}
		key := tag[start:i]
		for i < len(tag) && isSpace(tag[i]) {
			i++
		}
		if i >= len(tag) || tag[i] != '=' {
			if i == start {
				i++ // '/' or '>' or junk
			}
			continue
		}
		i++
		for i < len(tag) && isSpace(tag[i]) {
			i++
		}
		if i >= len(tag) || (tag[i] != '"' && tag[i] != '\'') {
			return nil, false
		}
		q := tag[i]
		i++
		vstart := i
		for i < len(tag) && tag[i] != q {
			i++
		}
		if i >= len(tag) {
			return nil, false
		}
		val := tag[vstart:i]
		i++
		if j := bytes.IndexByte(key, ':'); j >= 0 {
			key = key[j+1:]
		}
		if string(key) == name {
			return val, true
		}
	}
	return nil, false
}

func isSpace(b byte) bool { return b == ' ' || b == '\t' || b == '\n' || b == '\r' }

// refColumn returns the 1-based column of a cell reference such as "AB12".
func refColumn(ref []byte) (int, error) {
	col, i := 0, 0
	for ; i < len(ref); i++ {
		b := ref[i] | 0x20 // lower case
		if b < 'a' || b > 'z' {
			break
		}
		col = col*26 + int(b-'a') + 1
		if col > maxColumns {
			return 0, fmt.Errorf("bad cell reference %q", ref)
		}
	}
	if i == 0 || i == len(ref) {
		return 0, fmt.Errorf("bad cell reference %q", ref)
	}
	for _, b := range ref[i:] {
		if b < '0' || b > '9' {
			return 0, fmt.Errorf("bad cell reference %q", ref)
		}
	}
	return col, nil
}
