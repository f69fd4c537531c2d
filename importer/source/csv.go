package source

import (
	"bufio"
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"
	"sync/atomic"
	"unicode/utf8"

	"golang.org/x/text/encoding"
	"golang.org/x/text/encoding/charmap"
	"golang.org/x/text/encoding/unicode"
	"golang.org/x/text/transform"
)

// csvBufSize is the read buffer around the file: large enough that the
// encoding/csv loop is not bound by read syscalls.
const csvBufSize = 256 << 10

// notUTF8Hint is added to every invalid UTF-8 message.
const notUTF8Hint = "file is not UTF-8; try --encoding windows-1252"

// csvReader streams the records of a CSV file. See OpenCSV.
type csvReader struct {
	path    string
	file    *os.File
	counted countingReader // c.file, counted for Position
	size    int64          // c.file's size
	r       *csvRecords
	hdr     header
	maxCell int
	// guard cuts records over a limit (nil for a multi-byte delimiter);
	// cut says whether it cut the record read last.
	guard *recordGuard
	cut   bool
	// mixed says whether the record read last may hold invalid UTF-8 (it
	// overlaps a range the guard could not vouch for, or there is no
	// guard); only then are its cells checked one by one. end is where
	// the record read last ended, in the guard's output.
	mixed bool
	end   int64
	// embedded: check multi-line cells for lines that look like records
	// (!Options.AllowEmbeddedRows and a header of two columns or more).
	embedded bool
	// cells are the two Cells slices rows are built in with
	// Options.ReuseCells (a row read ahead and the row returned before it
	// are alive at once); flip picks the next one.
	cells   [2][]Cell
	reuse   bool
	flip    int
	ordinal int // 1-based ordinal of the last record read
	lines   lineMap

	// queue holds the first data row, read by OpenCSV to tell a
	// header-only file; stash the record after a quote error, read to tell
	// whether the reader can go on.
	queue []Row
	stash *stashed
	err   error // sticky error after a FileError or io.EOF
	// peekRows are the rows FirstRows asked for.
	peekRows []PeekRow
}

// OpenCSV opens a CSV file and reads its header.
//
// The file is read through a 256 KiB buffer and, when Options.Encoding asks
// for it (or a UTF-16 BOM is found), a golang.org/x/text decoder. The field
// separator is detected from the header line unless Options.Delimiter sets
// it. Records are parsed by csvRecords, which reads exactly as encoding/csv
// does with strict quoting: quoted fields
// may hold separators, doubled quotes and newlines; a stray quote makes that
// record invalid (or the file, when an unterminated quote swallows the rest
// of it).
//
// Row.Number is the record's 1-based ordinal (header = 1), which is the row
// Excel shows for the record; Where names the line where the record starts,
// which is what an editor shows. The two differ after a quoted field spans
// lines or after blank lines (which encoding/csv skips and which are not
// counted as rows).
//
// Row-level problems (a record with a different number of fields than the
// header, invalid UTF-8, a cell over the size limit, a stray quote) are
// reported in Row.Err; file-level problems (unreadable, empty, binary, a
// zip or .xls file, a repeated header) are a *FileError. A header without
// data rows is a file of 0 rows.
func OpenCSV(path string, opt Options) (Reader, error) {
	head, err := sniff(path)
	if err != nil {
		return nil, err
	}
	switch {
	case bytes.HasPrefix(head, magicZip):
		return nil, &FileError{Path: path, Err: errors.New("this is a zip file (an Excel .xlsx workbook?), not CSV text: give it the .xlsx extension, or save the sheet as CSV")}
	case bytes.HasPrefix(head, magicOLE):
		return nil, oleError(path)
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, &FileError{Path: path, Err: fmt.Errorf("cannot read the file: %w", err)}
	}
	if opt.Encoding == "" {
		if err := sniffWindows1252(f); err != nil {
			_ = f.Close()
			return nil, &FileError{Path: path, Err: err}
		}
	}
	c := &csvReader{path: path, file: f, maxCell: opt.maxCell()}
	c.counted.r = f
	if st, err := f.Stat(); err == nil {
		c.size = st.Size()
	}
	if err := c.start(opt); err != nil {
		_ = f.Close()
		return nil, err
	}
	return c, nil
}

// start sets up decoding and the csv.Reader, reads the header and the first
// data row.
func (c *csvReader) start(opt Options) error {
	decoded, err := decodeCSV(bufio.NewReaderSize(&c.counted, csvBufSize), opt.Encoding)
	if err != nil {
		return &FileError{Path: c.path, Err: err}
	}
	br, quirks := findQuirks(decoded)
	delim := opt.Delimiter
	switch {
	case delim != 0:
	case quirks.sep != 0:
		delim = quirks.sep
	default:
		delim = detectDelimiter(br)
	}
	if delim == '"' || delim == '\r' || delim == '\n' || delim == utf8.RuneError || !utf8.ValidRune(delim) {
		return &FileError{Path: c.path, Err: fmt.Errorf("%q cannot be the field delimiter", delim)}
	}
	var text io.Reader = br
	if delim < utf8.RuneSelf {
		limit := recordLimit(c.maxCell)
		if opt.recordLimit > 0 {
			limit = opt.recordLimit
		}
		c.guard = newRecordGuard(br, limit, byte(delim))
		text = c.guard
	}
	// Twice the buffer under it, so that its refills (the free part of
	// this buffer) are mostly at least that buffer's size: bufio then
	// reads into them directly instead of copying the whole file once
	// more.
	c.r = newCSVRecords(text, 2*csvBufSize)
	c.r.Comma = delim
	c.r.FieldsPerRecord = -1 // widths are checked here, as row errors
	// Quotes are strict: csvRecords reads as encoding/csv with LazyQuotes
	// false, but a row with a bare quote keeps its cells (the row is
	// invalid all the same; the errors CSV writes them quoted).
	c.r.KeepBareQuotes = true
	// The record slice is reused; its strings are not (encoding/csv
	// allocates them per record), so Cells may keep them.
	c.r.ReuseRecord = true

	if opt.peek > 0 {
		return c.peek(opt.peek, quirks.sep != 0)
	}
	if quirks.sep != 0 {
		// The "sep=" line: a record, not a row.
		if _, err := c.read(); err != nil && !errors.As(err, new(*csv.ParseError)) {
			return &FileError{Path: c.path, Err: fmt.Errorf("cannot read the file: %w", err)}
		}
	}
	var raw []string
	for {
		rec, err := c.read()
		if c.cut {
			return &FileError{Path: c.path, Err: fmt.Errorf("the header is over %s: this is not a CSV file's header", byteSize(c.guard.limit))}
		}
		if err == io.EOF {
			if opt.HeaderRow > 1 {
				return &FileError{Path: c.path, Err: fmt.Errorf("no header on line %d or after (--header-row %d): the file ends before", opt.HeaderRow, opt.HeaderRow)}
			}
			return &FileError{Path: c.path, Err: errors.New("the file has no header (only blank lines)")}
		}
		var perr *csv.ParseError
		if errors.As(err, &perr) && perr.StartLine < opt.HeaderRow {
			err = nil // a title line above the header, whatever its quotes
		}
		if err == nil && c.r.FieldLine(0) < opt.HeaderRow {
			c.ordinal++ // a row above the header: counted, as Excel numbers it
			continue
		}
		if errors.As(err, &perr) {
			return &FileError{Path: c.path, Err: fmt.Errorf("the header is not valid CSV: line %d, column %d: %w", perr.Line, perr.Column, perr.Err)}
		}
		if err != nil {
			return &FileError{Path: c.path, Err: fmt.Errorf("cannot read the file: %w", err)}
		}
		c.ordinal++
		if !blank(rec) {
			raw = rec
			break
		}
	}
	line := c.r.FieldLine(0)
	c.lines.add(c.ordinal, line)
	for _, cell := range raw {
		if strings.IndexByte(cell, 0) >= 0 {
			return &FileError{Path: c.path, Err: errors.New("the header holds NUL bytes: this is a binary file, not CSV text (if it is UTF-16 without a BOM, use --encoding utf-16)")}
		}
		if !utf8.ValidString(cell) {
			return &FileError{Path: c.path, Err: fmt.Errorf("line %d: the header is not valid UTF-8 (%s)", line, notUTF8Hint)}
		}
	}
	if c.hdr, err = buildHeader(raw, opt.AllowDuplicate); err != nil {
		return &FileError{Path: c.path, Err: err}
	}
	c.embedded = !opt.AllowEmbeddedRows && c.hdr.width >= 2
	c.reuse = opt.ReuseCells
	first, err := c.next()
	if err == io.EOF {
		c.err = io.EOF // a header-only file has 0 data rows (an empty nightly delta)
		return nil
	}
	if err != nil {
		return err
	}
	c.queue = append(c.queue, first)
	return nil
}

// sniffBytes is how much of a CSV file sniffWindows1252 looks at.
const sniffBytes = 1 << 20

// sniffWindows1252 refuses a file read as UTF-8 (no --encoding; a UTF-8
// BOM or none) whose first MiB is not UTF-8 but is Windows-1252 text:
// without the refusal its ASCII-only rows would be imported and the others
// reported invalid, half a file. A UTF-8 BOM does not make the text UTF-8
// (a tool that adds one to text it did not convert lies). Text is
// Windows-1252 here when it has no NUL (a binary or UTF-16 file, refused
// later with its own message), no other C0 control besides tab, CR, LF
// and form feed, and none of the five bytes the code page leaves
// undefined. It also refuses a UTF-16 BOM before text with no NUL byte in
// its first 4 KiB: a CSV's delimiters and digits are ASCII, which UTF-16
// writes with a NUL, so that text is not UTF-16. Invalid UTF-8 after the
// first MiB stays a row-level error. f is left at its start.
func sniffWindows1252(f *os.File) error {
	buf := make([]byte, sniffBytes)
	n, err := io.ReadFull(f, buf)
	if err != nil && err != io.EOF && !errors.Is(err, io.ErrUnexpectedEOF) {
		return fmt.Errorf("cannot read the file: %w", err)
	}
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		return fmt.Errorf("cannot read the file: %w", err)
	}
	buf = buf[:n]
	bom := "a UTF-8 byte order mark"
	switch {
	case bytes.HasPrefix(buf, []byte("\xFF\xFE")), bytes.HasPrefix(buf, []byte("\xFE\xFF")):
		if text := buf[2:min(len(buf), 4<<10)]; len(text) > 0 && bytes.IndexByte(text, 0) < 0 {
			return errors.New("starts with a UTF-16 byte order mark, but its text is not UTF-16 (no NUL bytes): pass --encoding utf-8 (or windows-1252)")
		}
		return nil // the UTF-16 decoder reads it
	case bytes.HasPrefix(buf, []byte("\xEF\xBB\xBF")):
		buf = buf[3:]
	default:
		bom = ""
	}
	if n == sniffBytes {
		buf = trimPartialRune(buf)
	}
	bad := firstInvalidUTF8(buf)
	if bad < 0 || !windows1252Text(buf) {
		return nil
	}
	line := 1 + bytes.Count(buf[:bad], []byte{'\n'})
	if bom != "" {
		return fmt.Errorf("starts with %s, but looks like windows-1252: pass --encoding windows-1252 (line %d is not valid UTF-8)", bom, line)
	}
	return fmt.Errorf("looks like windows-1252: pass --encoding windows-1252 (line %d is not valid UTF-8)", line)
}

// trimPartialRune drops the start of a UTF-8 sequence cut off at the end
// of buf (at most 3 bytes), so that a cut does not look like bad text.
func trimPartialRune(buf []byte) []byte {
	for i := 1; i <= utf8.UTFMax-1 && i <= len(buf); i++ {
		b := buf[len(buf)-i]
		if b < utf8.RuneSelf {
			return buf
		}
		if utf8.RuneStart(b) {
			if !utf8.FullRune(buf[len(buf)-i:]) {
				return buf[:len(buf)-i]
			}
			return buf
		}
	}
	return buf
}

// firstInvalidUTF8 returns the offset of the first byte of buf that is not
// part of valid UTF-8, or -1.
func firstInvalidUTF8(buf []byte) int {
	if utf8.Valid(buf) {
		return -1
	}
	for i := 0; i < len(buf); {
		r, size := utf8.DecodeRune(buf[i:])
		if r == utf8.RuneError && size == 1 {
			return i
		}
		i += size
	}
	return -1
}

// windows1252Text reports whether buf decodes as Windows-1252 text (see
// sniffWindows1252).
func windows1252Text(buf []byte) bool {
	for _, b := range buf {
		switch {
		case b == '\t' || b == '\n' || b == '\r' || b == '\f':
		case b < ' ':
			return false
		case b == 0x81 || b == 0x8D || b == 0x8F || b == 0x90 || b == 0x9D:
			return false
		}
	}
	return true
}

// decodeCSV returns the text of the file as UTF-8 according to the encoding
// name, stripping a byte order mark.
func decodeCSV(br *bufio.Reader, name string) (*bufio.Reader, error) {
	bom, _ := br.Peek(3)
	utf8BOM := bytes.HasPrefix(bom, []byte("\xEF\xBB\xBF"))
	var dec *encoding.Decoder
	switch strings.NewReplacer("-", "", "_", "").Replace(strings.ToLower(strings.TrimSpace(name))) {
	case "":
		switch {
		case bytes.HasPrefix(bom, []byte("\xFF\xFE")):
			dec = unicode.UTF16(unicode.LittleEndian, unicode.ExpectBOM).NewDecoder()
		case bytes.HasPrefix(bom, []byte("\xFE\xFF")):
			dec = unicode.UTF16(unicode.BigEndian, unicode.ExpectBOM).NewDecoder()
		}
	case "utf8":
		// Said to be UTF-8: a UTF-16 BOM's bytes (invalid UTF-8) are no
		// text either (the file's tool wrote a mark that lies).
		if bytes.HasPrefix(bom, []byte("\xFF\xFE")) || bytes.HasPrefix(bom, []byte("\xFE\xFF")) {
			_, _ = br.Discard(2)
		}
	case "windows1252", "cp1252":
		// A UTF-8 BOM before Windows-1252 text (a tool added it without
		// converting): not "ï»¿" in the first header.
		dec = charmap.Windows1252.NewDecoder()
	case "utf16", "utf16le":
		dec = unicode.UTF16(unicode.LittleEndian, unicode.UseBOM).NewDecoder()
		utf8BOM = false
	case "utf16be":
		dec = unicode.UTF16(unicode.BigEndian, unicode.UseBOM).NewDecoder()
		utf8BOM = false
	default:
		return nil, fmt.Errorf("unknown encoding %q (want utf-8, windows-1252 or utf-16)", name)
	}
	if utf8BOM {
		_, _ = br.Discard(3)
	}
	if dec == nil {
		return br, nil
	}
	return bufio.NewReaderSize(transform.NewReader(br, dec), 64<<10), nil
}

// delimiters are the separators detectDelimiter chooses among, in the
// order that breaks ties.
var delimiters = [...]byte{',', ';', '\t', '|'}

// detectDelimiter picks the separator seen most often outside quotes on the
// first line of text (without consuming it); ',' when there is none.
func detectDelimiter(br *bufio.Reader) rune {
	buf, _ := br.Peek(br.Size())
	var counts [len(delimiters)]int
	quoted := false
scan:
	for _, b := range buf {
		switch {
		case b == '"':
			quoted = !quoted
		case quoted:
		case b == '\n':
			break scan
		default:
			for i, d := range delimiters {
				if b == d {
					counts[i]++
				}
			}
		}
	}
	best := 0
	for i := range counts {
		if counts[i] > counts[best] {
			best = i
		}
	}
	return rune(delimiters[best])
}

// blank reports whether every cell is empty or white space.
func blank(rec []string) bool {
	for _, s := range rec {
		if strings.TrimSpace(s) != "" {
			return false
		}
	}
	return true
}

// Header implements Reader.
func (c *csvReader) Header() []string { return append([]string(nil), c.hdr.names...) }

// Next implements Reader.
func (c *csvReader) Next() (Row, error) {
	if len(c.queue) > 0 {
		row := c.queue[0]
		c.queue = c.queue[1:]
		return row, nil
	}
	if c.err != nil {
		return Row{}, c.err
	}
	row, err := c.next()
	if err != nil {
		c.err = err
	}
	return row, err
}

// next reads records until one that is not blank and turns it into a Row.
func (c *csvReader) next() (Row, error) {
	for {
		var rec []string
		var err error
		if c.stash != nil {
			st := c.stash
			c.stash = nil
			if st.perr == nil {
				return st.row, nil
			}
			return c.quoteError(st.number, st.rec, st.perr)
		}
		rec, err = c.read()
		if err == io.EOF {
			return Row{}, io.EOF
		}
		c.ordinal++
		if err != nil {
			return c.readError(rec, err)
		}
		line := c.r.FieldLine(0)
		c.lines.add(c.ordinal, line)
		if c.blankRow(rec) {
			continue
		}
		return c.row(c.ordinal, rec, line, true), nil
	}
}

// keptCellBytes is how much of a cell over the size limit a Row keeps
// (the errors CSV keeps as much, see report.MaxCellBytes).
const keptCellBytes = 256 << 10

// CutUTF8 returns the longest prefix of s of at most n bytes that does not
// end inside a UTF-8 sequence (what is kept of an over-long cell).
func CutUTF8(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for i := n; i > n-utf8.UTFMax && i > 0; i-- {
		if utf8.RuneStart(s[i]) {
			return s[:i]
		}
	}
	return s[:n]
}

// byteSize renders a size for a message: "16 MiB", or "40 bytes".
func byteSize(n int64) string {
	if n >= 1<<20 && n%(1<<20) == 0 {
		return fmt.Sprintf("%d MiB", n>>20)
	}
	return fmt.Sprintf("%d bytes", n)
}

// read reads the next record, setting c.cut and c.mixed.
func (c *csvReader) read() ([]string, error) {
	rec, err := c.r.Read()
	if c.guard == nil {
		c.cut, c.mixed = false, true
		return rec, err
	}
	end := c.r.InputOffset()
	c.cut = c.guard.takeCut(end)
	c.mixed = c.guard.takeSuspect(c.end, end)
	c.end = end
	return rec, err
}

// readError handles an error from csvRecords.Read (kept out of next, whose
// loop would otherwise allocate for errors.As on every record).
func (c *csvReader) readError(rec []string, err error) (Row, error) {
	var perr *csv.ParseError
	if errors.As(err, &perr) {
		return c.quoteError(c.ordinal, rec, perr)
	}
	return Row{}, &FileError{Path: c.path, Err: fmt.Errorf("cannot read the file after line %d: %w", c.lines.last(), err)}
}

// stashed is a record read ahead by quoteError: a finished row, or a record
// that is itself a parse error (handled on the next call, so that a run of
// bad records never recurses).
type stashed struct {
	row    Row
	number int
	rec    []string
	perr   *csv.ParseError
}

// quoteError handles a record encoding/csv could not parse. It is an
// invalid row when reading can go on after it; when the quote error ran to
// the end of the file (an unterminated quoted field swallowed the rest of
// it), it is a FileError, since the rows after it are lost. To tell, it
// reads the next record ahead.
func (c *csvReader) quoteError(number int, rec []string, perr *csv.ParseError) (Row, error) {
	c.lines.add(number, perr.StartLine)
	row := c.row(number, rec, perr.StartLine, false)
	how := "a quote inside a field must be doubled, and the field quoted"
	if errors.Is(perr.Err, csv.ErrBareQuote) {
		how += ": the errors CSV has the row written so" // KeepBareQuotes kept its cells
	}
	row.Err = joinErrs(&RowError{
		Where: fmt.Sprintf("%s:%d", c.path, perr.StartLine),
		Msg:   fmt.Sprintf("line %d, column %d: %v (%s)", perr.Line, perr.Column, perr.Err, how),
	}, row.Err)
	if !errors.Is(perr.Err, csv.ErrQuote) {
		return row, nil
	}
	after, err := c.read()
	if err == io.EOF {
		if perr.StartLine != perr.Line {
			return Row{}, &FileError{Path: c.path, Err: fmt.Errorf("line %d: a quoted field starts here and never ends (a missing closing quote swallows the rest of the file)", perr.StartLine)}
		}
		return row, nil
	}
	c.ordinal++
	var perr2 *csv.ParseError
	switch {
	case errors.As(err, &perr2):
		c.stash = &stashed{number: c.ordinal, rec: after, perr: perr2}
	case err != nil:
		return Row{}, &FileError{Path: c.path, Err: fmt.Errorf("cannot read the file after line %d: %w", perr.Line, err)}
	default:
		line := c.r.FieldLine(0)
		c.lines.add(c.ordinal, line)
		if !c.blankRow(after) {
			c.stash = &stashed{row: c.row(c.ordinal, after, line, true)}
		}
	}
	return row, nil
}

// blankRow reports whether every cell the rows keep is empty or white space.
func (c *csvReader) blankRow(rec []string) bool {
	for i, s := range rec {
		if s == "" || c.hdr.dropped(i) {
			continue
		}
		if s[0] > ' ' && s[0] < utf8.RuneSelf || strings.TrimSpace(s) != "" {
			return false
		}
	}
	return true
}

// row builds the Row of a record whose first field starts on line, and
// checks it (fieldPos says whether c.r.FieldLine describes rec).
func (c *csvReader) row(number int, rec []string, line int, fieldPos bool) Row {
	row := Row{Number: number, Cells: c.newCells()}
	for k, i := range c.hdr.src {
		if i < len(rec) {
			row.Cells[k].Value = rec[i]
		}
	}
	var errs []error
	if c.cut {
		errs = append(errs, &RowError{
			Where: fmt.Sprintf("%s:%d", c.path, line),
			Msg: fmt.Sprintf("the record that starts here is over %s (a cell that large, or a quote that opens here and closes much later): the rest of it was not read (raise --max-cell-bytes if such cells are real)",
				byteSize(c.guard.limit)),
		})
	}
	if fieldPos && len(rec) != c.hdr.width {
		errs = append(errs, &RowError{
			Where: fmt.Sprintf("%s:%d", c.path, line),
			Msg:   fmt.Sprintf("has %d fields, header has %d", len(rec), c.hdr.width),
		})
	}
	// Only a record that spans lines can hold a multi-line cell: one
	// FieldLine and one IndexByte tell, instead of an IndexByte per cell.
	multi := c.embedded && fieldPos && c.spansLines(rec, line)
	// embeddedRows needs two lines of a header's count of delimiters in a
	// cell: a shorter cell is not searched for its newlines at all.
	minEmbedded := 2 * (c.hdr.width - 1)
	// A record the guard saw as valid UTF-8 has valid cells: encoding/csv
	// only removes ASCII bytes (quotes, a CR before a LF) from them.
	check := c.mixed || !fieldPos
	for i, s := range rec {
		bad := ""
		switch {
		case len(s) > c.maxCell:
			bad = fmt.Sprintf("cell is %d bytes, over the limit of %d", len(s), c.maxCell)
			if k := c.hdr.index(i); k >= 0 && len(s) > keptCellBytes {
				// The row is invalid: keep only the start of the cell, so
				// that rows of huge cells queued in a run stay small.
				row.Cells[k].Value = CutUTF8(s, keptCellBytes)
				bad += fmt.Sprintf(" (only its first %d bytes are kept)", len(row.Cells[k].Value))
			}
		case check && !utf8.ValidString(s):
			bad = "invalid UTF-8 (" + notUTF8Hint + ")"
		case multi && len(s) >= minEmbedded && c.holdsNewline(rec, i, line):
			if bad = c.embeddedRows(s); bad == "" {
				continue
			}
		default:
			continue
		}
		at := line
		if fieldPos {
			at = c.r.FieldLine(i)
		}
		k := c.hdr.index(i)
		errs = append(errs, &RowError{Where: c.where(at, i, k), Msg: bad, Column: k + 1})
	}
	if len(errs) > 0 {
		row.Err = joinErrs(errs...)
	}
	return row
}

// newCells returns the empty Cells of a row (see Options.ReuseCells).
func (c *csvReader) newCells() []Cell {
	if !c.reuse {
		return make([]Cell, len(c.hdr.src))
	}
	c.flip ^= 1
	cells := c.cells[c.flip]
	if cells == nil {
		cells = make([]Cell, len(c.hdr.src))
		c.cells[c.flip] = cells
	}
	clear(cells)
	return cells
}

// spansLines reports whether the record rec, read by c.r and starting on
// line, spans more than one line: its last field starts on a later line or
// holds a newline.
func (c *csvReader) spansLines(rec []string, line int) bool {
	if len(rec) == 0 {
		return false
	}
	last := c.r.FieldLine(len(rec) - 1)
	return last > line || strings.IndexByte(rec[len(rec)-1], '\n') >= 0
}

// holdsNewline reports whether field i of rec, a record c.r read whose
// first field starts on line, holds a newline: a field does when the next
// one starts on a later line (encoding/csv counts lines by '\n' and keeps
// every '\n' of a quoted field), which costs less than searching each
// cell. The last field is searched.
func (c *csvReader) holdsNewline(rec []string, i, line int) bool {
	if i+1 < len(rec) {
		start, next := line, 0
		if i > 0 {
			start = c.r.FieldLine(i)
		}
		next = c.r.FieldLine(i + 1)
		return next > start
	}
	return strings.IndexByte(rec[i], '\n') >= 0
}

// embeddedRows checks a cell that spans lines: when two or more of its
// lines have as many delimiters as the header, they are most likely
// records of the file that a stray quote merged into this cell (a quote
// opened at the start of the cell and closed many lines later), and it
// returns the message for the cell; "" otherwise. Legitimate multi-line
// cells (addresses, descriptions) rarely have a header's count of
// delimiters on two lines; --allow-embedded-rows accepts those that do.
func (c *csvReader) embeddedRows(s string) string {
	want := c.hdr.width - 1
	delim := string(c.r.Comma)
	if strings.Count(s, delim) < 2*want {
		return "" // too few delimiters for two such lines
	}
	lines, like := 0, 0
	for line := range strings.SplitSeq(s, "\n") {
		lines++
		if strings.Count(line, delim) == want {
			like++
		}
	}
	if like < 2 {
		return ""
	}
	return fmt.Sprintf("the quoted cell that starts here spans %d lines, %d of which look like rows of this file (%d delimiters, as the header has): "+
		"a stray quote merged them into one cell? Fix the quote, or pass --allow-embedded-rows if the cell really holds such lines", lines, like, want)
}

// where names the file's column i, header column k (-1 if none), on a
// line.
func (c *csvReader) where(line, i, k int) string {
	if k >= 0 {
		return c.whereCol(fmt.Sprintf("%s:%d", c.path, line), k)
	}
	return fmt.Sprintf("%s:%d column %s", c.path, line, columnLetters(i))
}

// whereCol appends header column k to a position.
func (c *csvReader) whereCol(pos string, k int) string {
	if k < 0 || k >= len(c.hdr.names) {
		return pos
	}
	name := c.hdr.names[k]
	if name == "column "+columnLetters(c.hdr.src[k]) {
		return pos + " " + name // an unnamed column: `column C`
	}
	return fmt.Sprintf("%s column %q", pos, name)
}

// Where implements Reader.
func (c *csvReader) Where(row, col int) string {
	if line, ok := c.lines.lookup(row); ok {
		return c.whereCol(fmt.Sprintf("%s:%d", c.path, line), col)
	}
	return c.whereCol(fmt.Sprintf("%s row %d", c.path, row), col)
}

// position implements Position: the read buffers run up to 512 KiB ahead
// of the rows returned.
func (c *csvReader) position() (read, size int64) { return c.counted.n.Load(), c.size }

// countingReader counts the bytes read through it; the count may be read
// from other goroutines.
type countingReader struct {
	r io.Reader
	n atomic.Int64
}

func (cr *countingReader) Read(p []byte) (int, error) {
	n, err := cr.r.Read(p)
	cr.n.Add(int64(n))
	return n, err
}

// Close implements Reader.
func (c *csvReader) Close() error {
	if c.file == nil {
		return nil
	}
	err := c.file.Close()
	c.file = nil
	if err != nil {
		return &FileError{Path: c.path, Err: err}
	}
	return nil
}

// countCSV counts the records of a CSV file with a byte scan that honours
// quotes and skips blank lines, minus the header.
func countCSV(path string, opt Options) (int, error) {
	f, err := os.Open(path)
	if err != nil {
		return 0, &FileError{Path: path, Err: fmt.Errorf("cannot read the file: %w", err)}
	}
	defer f.Close()
	text, err := decodeCSV(bufio.NewReaderSize(f, csvBufSize), opt.Encoding)
	if err != nil {
		return 0, &FileError{Path: path, Err: err}
	}
	text, quirks := findQuirks(text)
	if opt.HeaderRow > 1 {
		// The lines above the header (the "sep=" line among them).
		if err := skipLines(text, opt.HeaderRow-1); err != nil {
			return 0, &FileError{Path: path, Err: fmt.Errorf("cannot read the file: %w", err)}
		}
	}
	records, err := countRecords(text, make([]byte, csvBufSize))
	if err != nil {
		return 0, &FileError{Path: path, Err: fmt.Errorf("cannot read the file: %w", err)}
	}
	if quirks.sep != 0 && opt.HeaderRow <= 1 {
		records-- // the "sep=" line
	}
	return max(records-1, 0), nil
}

// skipLines reads past the first n lines of br.
func skipLines(br *bufio.Reader, n int) error {
	for ; n > 0; n-- {
		for {
			_, err := br.ReadSlice('\n')
			if err == nil {
				break
			}
			if errors.Is(err, bufio.ErrBufferFull) {
				continue
			}
			if err == io.EOF {
				return nil
			}
			return err
		}
	}
	return nil
}

// peek reads the first n records that are not blank into c.peekRows, the
// "sep=" line (sep) not among them (see FirstRows).
func (c *csvReader) peek(n int, sep bool) error {
	skip := sep
	for len(c.peekRows) < n {
		rec, err := c.read()
		if err == io.EOF {
			break
		}
		var perr *csv.ParseError
		if err != nil && !errors.As(err, &perr) {
			return &FileError{Path: c.path, Err: fmt.Errorf("cannot read the file: %w", err)}
		}
		if skip || blank(rec) {
			skip = false
			continue
		}
		c.peekRows = append(c.peekRows, PeekRow{Number: c.r.FieldLine(0), Values: slices.Clone(rec)})
	}
	c.err = io.EOF
	return nil
}

func (c *csvReader) peeked() []PeekRow { return c.peekRows }
