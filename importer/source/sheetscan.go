package source

import (
	"bufio"
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

// sheetScanner reads a worksheet's XML with a byte-level scan that only
// looks at <row> and <c> tags and their attributes. excelize's Rows iterator
// gives the cell values but neither the cells' types nor their styles, and
// it stops quietly on damaged XML; running this cheap scan in step with it
// supplies both, and tells a complete sheet from a short one (it must reach
// </sheetData> and the zip entry's end, where archive/zip checks the CRC).
type sheetScanner struct {
	br      *bufio.Reader
	tag     []byte
	inData  bool // inside <sheetData>
	done    bool // </sheetData> seen
	lastRow int
	cells   []cellMeta
}

func newSheetScanner(r io.Reader) *sheetScanner {
	return &sheetScanner{br: bufio.NewReaderSize(r, 64<<10)}
}

// next returns the number and cell metadata (indexed by column - 1) of the
// next <row> element, or io.EOF after </sheetData>. The slice is reused by
// the next call.
func (s *sheetScanner) next() (int, []cellMeta, error) {
	if s.done {
		return 0, nil, io.EOF
	}
	rowNum, col := 0, 0
	for {
		name, end, self, err := s.nextTag()
		if err != nil {
			return 0, nil, err
		}
		switch {
		case name == "sheetData" && !end:
			s.inData = true
			if self {
				s.done = true
				return 0, nil, io.EOF
			}
		case name == "sheetData" && end:
			if rowNum != 0 {
				return 0, nil, fmt.Errorf("row %d is not closed", rowNum)
			}
			s.done = true
			return 0, nil, io.EOF
		case !s.inData:
		case name == "row" && !end:
			if rowNum != 0 {
				return 0, nil, fmt.Errorf("row %d is not closed", rowNum)
			}
			rowNum = s.lastRow + 1
			if v, ok := attr(s.tag, "r"); ok {
				n, err := strconv.Atoi(string(v))
				if err != nil || n < 1 {
					return 0, nil, fmt.Errorf("bad row number %q after row %d", v, s.lastRow)
				}
				rowNum = n
			}
			if rowNum <= s.lastRow {
				return 0, nil, fmt.Errorf("row %d comes after row %d: rows are out of order", rowNum, s.lastRow)
			}
			s.lastRow = rowNum
			s.cells = s.cells[:0]
			col = 0
			if self {
				return rowNum, s.cells, nil
			}
		case name == "row" && end:
			if rowNum == 0 {
				return 0, nil, errors.New("a row is closed that was not opened")
			}
			return rowNum, s.cells, nil
		case name == "c" && !end && rowNum != 0:
			col++
			if v, ok := attr(s.tag, "r"); ok {
				if col, err = refColumn(v); err != nil {
					return 0, nil, fmt.Errorf("row %d: %w", rowNum, err)
				}
			}
			if col > maxColumns {
				return 0, nil, fmt.Errorf("row %d: a cell beyond the last column XFD", rowNum)
			}
			meta := cellMeta{set: true}
			if v, ok := attr(s.tag, "s"); ok {
				meta.style, _ = strconv.Atoi(string(v))
			}
			if v, ok := attr(s.tag, "t"); ok {
				switch string(v) {
				case "b":
					meta.typ = typeBool
				case "d":
					meta.typ = typeDate
				case "e":
					meta.typ = typeError
				case "n":
				default:
					meta.typ = typeText
				}
			}
			for len(s.cells) < col {
				s.cells = append(s.cells, cellMeta{})
			}
			s.cells[col-1] = meta
		}
	}
}

// finish reads the rest of the entry so that archive/zip verifies its
// checksum.
func (s *sheetScanner) finish() error {
	if _, err := io.Copy(io.Discard, s.br); err != nil {
		return unreadable(err)
	}
	return nil
}

// nextTag skips to the next element tag and returns its local name (any
// namespace prefix removed), whether it is an end tag, and whether it is
// self-closing. A start tag's bytes stay in s.tag for attr. Comments,
// CDATA sections, processing instructions and declarations are skipped.
func (s *sheetScanner) nextTag() (name string, end, self bool, err error) {
	for {
		if err := s.skipPast('<'); err != nil {
			return "", false, false, err
		}
		b, err := s.br.Peek(1)
		if err != nil {
			return "", false, false, truncated(err)
		}
		switch b[0] {
		case '!':
			if p, _ := s.br.Peek(3); bytes.Equal(p, []byte("!--")) {
				err = s.skipPastSeq("-->")
			} else if p, _ := s.br.Peek(8); bytes.Equal(p, []byte("![CDATA[")) {
				err = s.skipPastSeq("]]>")
			} else {
				err = s.readTag()
			}
			if err != nil {
				return "", false, false, err
			}
			continue
		case '?':
			if err := s.skipPastSeq("?>"); err != nil {
				return "", false, false, err
			}
			continue
		case '/':
			end = true
			_, _ = s.br.Discard(1)
		}
		if err := s.readTag(); err != nil {
			return "", false, false, err
		}
		t := s.tag[:len(s.tag)-1] // without '>'
		if n := len(t); n > 0 && t[n-1] == '/' {
			self = true
			t = t[:n-1]
		}
		i := 0
		for i < len(t) && !isSpace(t[i]) {
			i++
		}
		local := t[:i]
		if j := bytes.IndexByte(local, ':'); j >= 0 {
			local = local[j+1:]
		}
		// Only a few names matter; avoid allocating for the others.
		switch string(local) {
		case "row":
			return "row", end, self, nil
		case "c":
			return "c", end, self, nil
		case "sheetData":
			return "sheetData", end, self, nil
		}
		return "", end, self, nil
	}
}

// skipPast discards input up to and including the byte c.
func (s *sheetScanner) skipPast(c byte) error {
	for {
		_, err := s.br.ReadSlice(c)
		if err == nil {
			return nil
		}
		if !errors.Is(err, bufio.ErrBufferFull) {
			return truncated(err)
		}
	}
}

// skipPastSeq discards input up to and including seq.
func (s *sheetScanner) skipPastSeq(seq string) error {
	matched := 0
	for matched < len(seq) {
		b, err := s.br.ReadByte()
		if err != nil {
			return truncated(err)
		}
		switch {
		case b == seq[matched]:
			matched++
		case b == seq[0]:
			matched = 1
		default:
			matched = 0
		}
	}
	return nil
}

// readTag reads the rest of a tag, up to the '>' that is not inside a quoted
// attribute value, into s.tag.
func (s *sheetScanner) readTag() error {
	s.tag = s.tag[:0]
	var quote byte
	for {
		chunk, err := s.br.ReadSlice('>')
		if err != nil && !errors.Is(err, bufio.ErrBufferFull) {
			return truncated(err)
		}
		start := len(s.tag)
		s.tag = append(s.tag, chunk...)
		if len(s.tag) > 1<<20 {
			return errors.New("a tag longer than 1 MiB")
		}
		for _, b := range s.tag[start:] {
			switch {
			case quote != 0:
				if b == quote {
					quote = 0
				}
			case b == '"' || b == '\'':
				quote = b
			}
		}
		if err == nil && quote == 0 {
			return nil
		}
	}
}

// truncated turns an early end of the XML into a clear error, and a read
// error (damaged compressed data, a bad checksum) into one that says so.
func truncated(err error) error {
	if err == io.EOF {
		return errors.New("the sheet XML ends before </sheetData>")
	}
	return unreadable(err)
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
