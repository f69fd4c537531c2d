package source

import (
	"archive/zip"
	"bytes"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"path"
	"strconv"
	"strings"
	"time"

	kflate "github.com/klauspost/compress/flate"
	"github.com/xuri/excelize/v2"
)

// xlsxXMLLimit bounds the small package parts read here (relationships,
// the workbook), and is the size up to which the sheet's checksum is
// verified at open.
const xlsxXMLLimit = 16 << 20

// xlsxMemLimit caps the total unpacked size of the parts excelize is given
// and holds in memory (the package's content types and relationships, the
// workbook, its styles; see metaParts), and xlsxStylesLimit caps the styles
// part, which excelize parses into one struct per element (4 MiB of short
// <xf/> elements take about 100 MB).
const (
	xlsxMemLimit    = 64 << 20
	xlsxStylesLimit = 4 << 20
)

// xlsxReader streams the rows of one worksheet. See OpenXLSX.
type xlsxReader struct {
	path, sheet string
	prefix      string // sheet reference for Where: "Tickets!" or "'Q1 data'!"
	zr          *zip.ReadCloser
	part        io.ReadCloser
	sst         *sharedStrings
	scan        *sheetScanner
	f           *excelize.File
	date1904    bool
	styleDate   []bool // styleDate[s]: cell style s has a date/time format
	hdr         header
	peekRows    []PeekRow // the rows FirstRows asked for
	maxCell     int
	n           int // the sheet row last read

	// One row of look-ahead: a row is only handed out once the row after it
	// (or the clean end of the sheet) has been read, so that a sheet that
	// turns out damaged stops before its last good row too.
	ahead     Row
	haveAhead bool
	err       error // sticky: io.EOF or a *FileError
}

// OpenXLSX opens a workbook, picks the sheet (Options.Sheet, or the first
// visible one) and reads its header: the first row that is not empty.
//
// The package may unpack to at most 1 GiB in all (a zip bomb is a
// FileError). excelize reads the workbook part (the sheet list, the date
// system) and the styles (number formats); the sheet itself is inflated
// and scanned once, in streaming fashion, by sheetScanner, which gives each
// cell's value, type and style, so memory does not grow with the number of
// rows; shared strings are read once at open into a compact table that
// spills to a temp file (sharedStrings). A damaged or truncated sheet is a
// FileError naming the sheet and row, never a silently short read. The
// CRCs of the workbook's XML parts (and of the sheet, when under 16 MiB)
// are checked at open, before any row is handed out; a bigger sheet's at
// its end.
//
// Cells keep the type Excel stored: a number with a date or time format is a
// Date (RFC 3339, UTC wall clock, in the workbook's 1900 or 1904 date
// system), a boolean a Bool, any other number a Number with its shortest
// exact decimal ("12500.5"), anything else Text. Formula cells give their
// cached value. Row.Number is the sheet's row number.
func OpenXLSX(path string, opt Options) (Reader, error) {
	head, err := sniff(path)
	if err != nil {
		return nil, err
	}
	switch {
	case bytes.HasPrefix(head, magicOLE):
		return nil, oleError(path)
	case !bytes.HasPrefix(head, magicZip):
		return nil, &FileError{Path: path, Err: errors.New("not an XLSX workbook (an .xlsx file is a zip archive, this one is not): if it is CSV text, give it the .csv extension")}
	}
	x := &xlsxReader{path: path, maxCell: opt.maxCell()}
	if err := x.open(opt); err != nil {
		_ = x.Close()
		return nil, err
	}
	return x, nil
}

func (x *xlsxReader) fail(format string, args ...any) error {
	return &FileError{Path: x.path, Err: fmt.Errorf(format, args...)}
}

// open does OpenXLSX's work; on error the caller closes what was opened.
func (x *xlsxReader) open(opt Options) error {
	limit := opt.unzipLimit
	if limit <= 0 {
		limit = defaultUnzipLimit
	}
	var err error
	if x.zr, err = zip.OpenReader(x.path); err != nil {
		return x.fail("damaged or not an XLSX workbook: %w", err)
	}
	// klauspost's inflate is about twice the speed of compress/flate's; the
	// sheet's inflate is a good part of a read. archive/zip still checks
	// sizes and CRCs.
	x.zr.RegisterDecompressor(zip.Deflate, func(r io.Reader) io.ReadCloser { return kflate.NewReader(r) })
	var total uint64
	hasTypes := false
	for _, zf := range x.zr.File {
		total += zf.UncompressedSize64
		if strings.EqualFold(zf.Name, "xl/styles.xml") && zf.UncompressedSize64 > xlsxStylesLimit {
			return x.fail("the workbook's styles part unpacks to %d MiB, over the %d MiB limit (tens of thousands of cell formats; excelize would need 30 times that in memory): save the sheet as CSV", zf.UncompressedSize64>>20, xlsxStylesLimit>>20)
		}
		hasTypes = hasTypes || strings.EqualFold(zf.Name, "[Content_Types].xml")
		if zf.Name == "mimetype" && zf.UncompressedSize64 < 256 {
			if b, err := readZipEntry(zf); err == nil && bytes.Contains(b, []byte("opendocument")) {
				return x.fail("an OpenDocument file (.ods), not XLSX: save it as .xlsx or CSV")
			}
		}
	}
	if !hasTypes {
		return x.fail("a zip archive, but not an XLSX workbook (it has no [Content_Types].xml)")
	}
	if total > uint64(limit) {
		return x.fail("the workbook unpacks to %d MiB, over the %d MiB limit (a zip bomb, or too large to import)", total>>20, limit>>20)
	}
	if err := x.openMeta(limit); err != nil {
		return err
	}
	if err := x.pickSheet(opt.Sheet); err != nil {
		return err
	}
	x.prefix = sheetPrefix(x.sheet)
	props, err := x.f.GetWorkbookProps()
	if err != nil {
		return x.fail("cannot read the workbook properties: %w", err)
	}
	x.date1904 = props.Date1904 != nil && *props.Date1904
	x.styleDate = styleDates(x.f)
	// excelize's part is done: let its parsed workbook and styles go.
	err = x.f.Close()
	x.f = nil
	if err != nil {
		return x.fail("closing: %w", err)
	}

	partName, err := sheetPart(x.zr, x.sheet)
	if err != nil {
		return x.fail("sheet %q: %w", x.sheet, err)
	}
	if err := verifyParts(x.zr, partName); err != nil {
		return x.fail("%w", err)
	}
	for _, zf := range x.zr.File {
		if strings.EqualFold(zf.Name, sharedStringsPart) {
			x.sst, err = loadSharedStrings(zf)
			if err != nil {
				return x.fail("%w", err)
			}
			break
		}
	}
	for _, zf := range x.zr.File {
		if strings.EqualFold(zf.Name, partName) {
			if x.part, err = zf.Open(); err != nil {
				return x.fail("sheet %q: %w", x.sheet, err)
			}
			break
		}
	}
	if x.part == nil {
		return x.fail("sheet %q: its part %s is missing", x.sheet, partName)
	}
	x.scan = newSheetScanner(x.part, x.sst)
	return x.readHeader(opt)
}

// sharedStringsPart is where the shared-strings table is (excelize looks
// only there too).
const sharedStringsPart = "xl/sharedStrings.xml"

// openMeta opens the workbook with excelize for what it reads well (the
// sheet list and states, the date system, styles and number formats) from
// a copy of the package that holds only those parts (their compressed
// bytes copied as they are): excelize would otherwise inflate every big
// worksheet and the shared strings to temp files at open, and hold every
// other part (images included) in memory.
func (x *xlsxReader) openMeta(limit int64) error {
	keep := map[string]bool{"[content_types].xml": true, "_rels/.rels": true, "xl/styles.xml": true}
	if wb, err := workbookPath(x.zr); err == nil {
		keep[strings.ToLower(wb)] = true
		keep[strings.ToLower(workbookRels(wb))] = true
	}
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	var size uint64
	for _, zf := range x.zr.File {
		if !keep[strings.ToLower(strings.ReplaceAll(zf.Name, "\\", "/"))] {
			continue
		}
		size += zf.UncompressedSize64
		if size > xlsxMemLimit {
			return x.fail("the workbook's parts that are read into memory (the workbook and its styles) unpack to over %d MiB (a zip bomb?): save the sheet as CSV, or alone in a new workbook", xlsxMemLimit>>20)
		}
		if err := zw.Copy(zf); err != nil {
			return x.fail("damaged or not an XLSX workbook: %w", err)
		}
	}
	if err := zw.Close(); err != nil {
		return x.fail("damaged or not an XLSX workbook: %w", err)
	}
	f, err := excelize.OpenReader(&buf, excelize.Options{UnzipSizeLimit: limit, UnzipXMLSizeLimit: min(xlsxXMLLimit, limit)})
	if err != nil {
		if errors.Is(err, excelize.ErrWorkbookFileFormat) || errors.Is(err, excelize.ErrWorkbookPassword) {
			return x.fail("unsupported workbook (password-protected, or not an Excel 2007+ file): %w", err)
		}
		return x.fail("cannot open the workbook: %w", err)
	}
	x.f = f
	return nil
}

// pickSheet sets x.sheet from the option, or to the first visible sheet.
func (x *xlsxReader) pickSheet(want string) error {
	names := x.f.GetSheetList()
	var list []string
	for _, name := range names {
		visible, _ := x.f.GetSheetVisible(name)
		switch {
		case want == "" && visible:
			x.sheet = name
			return nil
		case want != "" && strings.EqualFold(name, want):
			x.sheet = name
			return nil
		}
		if visible {
			list = append(list, strconv.Quote(name))
		} else {
			list = append(list, strconv.Quote(name)+" (hidden)")
		}
	}
	if want == "" {
		return x.fail("the workbook has no visible sheet")
	}
	return x.fail("no sheet %q; the sheets are: %s", want, strings.Join(list, ", "))
}

// readHeader reads up to the first non-empty row (the header) and the first
// data row after it.
func (x *xlsxReader) readHeader(opt Options) error {
	if opt.peek > 0 {
		return x.peek(opt.peek)
	}
	var raw []string
	for {
		vals, meta, err := x.rawRow()
		if err == io.EOF && opt.HeaderRow > 1 {
			return x.fail("sheet %q has no header on row %d or after (--header-row %d)", x.sheet, opt.HeaderRow, opt.HeaderRow)
		}
		if err == io.EOF {
			return x.fail("sheet %q is empty", x.sheet)
		}
		if err != nil {
			return err
		}
		if x.n < opt.HeaderRow || blank(vals) {
			continue // a title or filter row above the header, or an empty one
		}
		raw = x.values(vals, meta)
		break
	}
	var err error
	if x.hdr, err = buildHeader(raw, opt.AllowDuplicate); err != nil {
		return &FileError{Path: x.path, Err: fmt.Errorf("sheet %q: %w", x.sheet, err)}
	}
	first, err := x.fetch()
	if err == io.EOF {
		x.err = io.EOF // a header-only sheet has 0 data rows
		return nil
	}
	if err != nil {
		return err
	}
	x.ahead, x.haveAhead = first, true
	return nil
}

// Header implements Reader.
func (x *xlsxReader) Header() []string { return append([]string(nil), x.hdr.names...) }

// Next implements Reader.
func (x *xlsxReader) Next() (Row, error) {
	if !x.haveAhead {
		if x.err == nil {
			x.err = io.EOF
		}
		return Row{}, x.err
	}
	if x.err == nil {
		next, err := x.fetch()
		if err == nil {
			row := x.ahead
			x.ahead = next
			return row, nil
		}
		x.err = err
		if err != io.EOF {
			x.haveAhead = false
			return Row{}, err
		}
	}
	x.haveAhead = false
	return x.ahead, nil
}

// fetch returns the next non-empty row, io.EOF at the clean end of the
// sheet, or a *FileError.
func (x *xlsxReader) fetch() (Row, error) {
	for {
		vals, meta, err := x.rawRow()
		if err != nil {
			return Row{}, err
		}
		row := Row{Number: x.n, Cells: make([]Cell, len(x.hdr.src))}
		empty := true
		var errs []error
		for k, i := range x.hdr.src {
			if i >= len(vals) {
				break
			}
			cell, cerr := x.cell(vals[i], metaAt(meta, i))
			row.Cells[k] = cell
			if strings.TrimSpace(cell.Value) != "" {
				empty = false
			}
			if cerr != "" {
				errs = append(errs, &RowError{Where: x.ref(x.n, i), Msg: cerr, Column: k + 1})
			}
		}
		for i := x.hdr.width; i < len(vals); i++ {
			if strings.TrimSpace(vals[i]) == "" {
				continue
			}
			empty = false
			errs = append(errs, &RowError{
				Where: x.ref(x.n, i),
				Msg:   fmt.Sprintf("cell %s, right of the last header column (%s), holds %s; give the column a header or clear it", columnLetters(i)+strconv.Itoa(x.n), columnLetters(x.hdr.width-1), quoteCut(vals[i])),
			})
		}
		if empty {
			continue
		}
		row.Err = joinErrs(errs...)
		return row, nil
	}
}

// rawRow reads the next sheet row and returns its raw values and cell
// metadata, io.EOF at the clean end of the sheet, or a *FileError.
func (x *xlsxReader) rawRow() ([]string, []cellMeta, error) {
	num, vals, meta, err := x.scan.next()
	if err == io.EOF {
		return nil, nil, x.end()
	}
	if err != nil {
		return nil, nil, x.fail("sheet %q is damaged %s: %w", x.sheet, x.where(), err)
	}
	x.n = num
	return vals, meta, nil
}

// end checks, at </sheetData>, that the zip entry ends with a good
// checksum.
func (x *xlsxReader) end() error {
	if err := x.scan.finish(); err != nil {
		return x.fail("sheet %q is damaged: %w", x.sheet, err)
	}
	return io.EOF
}

// where says where the scan of the sheet XML stopped, for a message.
func (x *xlsxReader) where() string {
	switch {
	case x.scan.inRow:
		return fmt.Sprintf("in row %d", x.scan.lastRow)
	case x.scan.lastRow == 0:
		return "before its first row"
	}
	return fmt.Sprintf("after row %d", x.scan.lastRow)
}

// metaAt returns the metadata of the 0-based column i.
func metaAt(meta []cellMeta, i int) cellMeta {
	if i < len(meta) {
		return meta[i]
	}
	return cellMeta{}
}

// cell turns a raw value into a Cell of the type the sheet stored; the
// string is a row-level problem with the cell, if any.
func (x *xlsxReader) cell(v string, m cellMeta) (Cell, string) {
	if v == "" {
		return Cell{}, ""
	}
	if len(v) > x.maxCell {
		return Cell{Value: v}, fmt.Sprintf("cell is %d bytes, over the limit of %d", len(v), x.maxCell)
	}
	if !m.set {
		return Cell{Value: v}, ""
	}
	switch m.typ {
	case typeBool:
		switch v {
		case "1", "true", "TRUE":
			return Cell{Value: "true", Kind: Bool}, ""
		case "0", "false", "FALSE":
			return Cell{Value: "false", Kind: Bool}, ""
		}
	case typeDate:
		for _, layout := range isoLayouts {
			if t, err := time.Parse(layout, v); err == nil {
				return Cell{Value: t.UTC().Format(time.RFC3339), Kind: Date}, ""
			}
		}
	case typeNumber:
		f, err := strconv.ParseFloat(strings.TrimSpace(v), 64)
		if err != nil {
			break
		}
		// Serials past 9999-12-31 are not dates to Excel either.
		if m.style >= 0 && m.style < len(x.styleDate) && x.styleDate[m.style] && f >= 0 && f < 2958466 {
			if t, err := excelize.ExcelDateToTime(f, x.date1904); err == nil {
				return Cell{Value: t.UTC().Format(time.RFC3339), Kind: Date}, ""
			}
		}
		return Cell{Value: strconv.FormatFloat(f, 'f', -1, 64), Kind: Number}, ""
	}
	return Cell{Value: v}, ""
}

// isoLayouts are the forms of a t="d" (ISO 8601) cell value.
var isoLayouts = []string{time.RFC3339Nano, "2006-01-02T15:04:05.999999999", "2006-01-02 15:04:05.999999999", "2006-01-02T15:04", "2006-01-02", "15:04:05"}

// Where implements Reader.
func (x *xlsxReader) Where(row, col int) string {
	if col < 0 || col >= len(x.hdr.src) {
		return x.prefix + strconv.Itoa(row)
	}
	return x.ref(row, x.hdr.src[col])
}

// ref names the file's 0-based column i of a row: "Tickets!C12".
func (x *xlsxReader) ref(row, i int) string {
	return x.prefix + columnLetters(i) + strconv.Itoa(row)
}

// sheetPrefix is the sheet part of a cell reference, quoted as Excel does
// when the name is not a plain word: "Tickets!", "'Q1 data'!".
func sheetPrefix(name string) string {
	plain := name != ""
	for i, r := range name {
		if !(r == '_' || r == '.' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r > 127 || (i > 0 && r >= '0' && r <= '9')) {
			plain = false
		}
	}
	if plain {
		return name + "!"
	}
	return "'" + strings.ReplaceAll(name, "'", "''") + "'!"
}

// quoteCut quotes a value for a message, cut to 80 characters.
func quoteCut(v string) string {
	if r := []rune(v); len(r) > 80 {
		v = string(r[:80]) + "…"
	}
	return strconv.Quote(v)
}

// Close implements Reader: it closes the shared strings (removing their
// temp file), excelize's file and the zip, and reports the first error.
func (x *xlsxReader) Close() error {
	var errs []error
	if x.sst != nil {
		errs = append(errs, x.sst.Close())
		x.sst = nil
	}
	if x.f != nil {
		errs = append(errs, x.f.Close())
		x.f = nil
	}
	if x.part != nil {
		errs = append(errs, x.part.Close())
		x.part = nil
	}
	if x.zr != nil {
		errs = append(errs, x.zr.Close())
		x.zr = nil
	}
	for _, err := range errs {
		if err != nil {
			return &FileError{Path: x.path, Err: fmt.Errorf("closing: %w", err)}
		}
	}
	return nil
}

// styleDates reads the workbook's cell styles once and says for each style
// index whether its number format shows a date or time.
func styleDates(f *excelize.File) []bool {
	st := f.Styles
	if st == nil || st.CellXfs == nil {
		return nil
	}
	custom := map[int]string{}
	if st.NumFmts != nil {
		for _, nf := range st.NumFmts.NumFmt {
			if nf != nil {
				custom[nf.NumFmtID] = nf.FormatCode
			}
		}
	}
	dates := make([]bool, len(st.CellXfs.Xf))
	for i, xf := range st.CellXfs.Xf {
		id := 0
		if xf.NumFmtID != nil {
			id = *xf.NumFmtID
		}
		if code, ok := custom[id]; ok {
			dates[i] = customDateFormat(code)
		} else {
			dates[i] = builtinDateFormat(id)
		}
	}
	return dates
}

// sheetPart finds the zip entry of a worksheet by following the package's
// relationships: _rels/.rels to the workbook, the workbook's <sheet r:id> to
// its relationship target.
func sheetPart(zr *zip.ReadCloser, sheet string) (string, error) {
	wbPath, err := workbookPath(zr)
	if err != nil {
		return "", err
	}
	var wbRels relationships
	var wb struct {
		Sheets []struct {
			Name  string     `xml:"name,attr"`
			Attrs []xml.Attr `xml:",any,attr"`
		} `xml:"sheets>sheet"`
	}
	if err := unmarshalEntry(zr, wbPath, &wb); err != nil {
		return "", err
	}
	if err := unmarshalEntry(zr, workbookRels(wbPath), &wbRels); err != nil {
		return "", err
	}
	for _, s := range wb.Sheets {
		if s.Name != sheet {
			continue
		}
		for _, a := range s.Attrs {
			if a.Name.Local != "id" {
				continue
			}
			for _, r := range wbRels.Rels {
				if r.ID == a.Value {
					if strings.HasPrefix(r.Target, "/") {
						return strings.TrimPrefix(r.Target, "/"), nil
					}
					return path.Join(path.Dir(wbPath), r.Target), nil
				}
			}
		}
	}
	return "", errors.New("the workbook does not say where the sheet is stored")
}

// workbookPath follows _rels/.rels to the workbook part.
func workbookPath(zr *zip.ReadCloser) (string, error) {
	var rootRels relationships
	if err := unmarshalEntry(zr, "_rels/.rels", &rootRels); err != nil {
		return "", err
	}
	for _, r := range rootRels.Rels {
		if strings.HasSuffix(r.Type, "/officeDocument") {
			return strings.TrimPrefix(r.Target, "/"), nil
		}
	}
	return "", errors.New("the package names no workbook")
}

// workbookRels is the relationships part of the workbook part wb.
func workbookRels(wb string) string {
	return path.Join(path.Dir(wb), "_rels", path.Base(wb)+".rels")
}

// verifyParts reads through the XML parts the read depends on, so that
// archive/zip checks their size and CRC before any row is handed out:
// excelize ignores read errors of the parts it loads, so a damaged shared
// styles part or a stored sheet with a changed byte would otherwise give
// wrong values silently (or, for the sheet, only fail after its rows went
// out). Other worksheets are skipped, and so is the sheet being read when
// it is over 16 MiB: the sheet scanner checks it at the end of the read,
// the price of streaming it. The shared strings are skipped too:
// loadSharedStrings reads them to the end at open.
func verifyParts(zr *zip.ReadCloser, sheetPart string) error {
	for _, zf := range zr.File {
		name := strings.ToLower(zf.Name)
		switch {
		case !strings.HasSuffix(name, ".xml") && !strings.HasSuffix(name, ".rels"):
			continue
		case name == strings.ToLower(sheetPart):
			if zf.UncompressedSize64 > xlsxXMLLimit {
				continue
			}
		case strings.HasPrefix(name, "xl/worksheets/") && !strings.HasPrefix(name, "xl/worksheets/_rels/"):
			continue
		case strings.EqualFold(name, sharedStringsPart):
			continue
		}
		rc, err := zf.Open()
		if err == nil {
			_, err = io.Copy(io.Discard, rc)
			rc.Close()
		}
		if err != nil {
			return fmt.Errorf("part %s is damaged: %w", zf.Name, unreadable(err))
		}
	}
	return nil
}

// relationships is an OPC .rels part.
type relationships struct {
	Rels []struct {
		ID     string `xml:"Id,attr"`
		Type   string `xml:"Type,attr"`
		Target string `xml:"Target,attr"`
	} `xml:"Relationship"`
}

// unmarshalEntry decodes a small XML entry of the package (matched
// case-insensitively, as excelize does).
func unmarshalEntry(zr *zip.ReadCloser, name string, v any) error {
	for _, zf := range zr.File {
		if strings.EqualFold(zf.Name, name) {
			b, err := readZipEntry(zf)
			if err != nil {
				return fmt.Errorf("%s: %w", name, err)
			}
			if err := xml.Unmarshal(b, v); err != nil {
				return fmt.Errorf("%s: %w", name, err)
			}
			return nil
		}
	}
	return fmt.Errorf("%s is missing", name)
}

// readZipEntry reads a small zip entry (at most 16 MiB).
func readZipEntry(zf *zip.File) ([]byte, error) {
	rc, err := zf.Open()
	if err != nil {
		return nil, err
	}
	defer rc.Close()
	return io.ReadAll(io.LimitReader(rc, xlsxXMLLimit))
}

// peek reads the first n rows that are not empty into x.peekRows (see
// FirstRows).
func (x *xlsxReader) peek(n int) error {
	for len(x.peekRows) < n {
		vals, meta, err := x.rawRow()
		if err == io.EOF {
			break
		}
		if err != nil {
			return err
		}
		if blank(vals) {
			continue
		}
		x.peekRows = append(x.peekRows, PeekRow{Number: x.n, Values: x.values(vals, meta)})
	}
	x.err = io.EOF
	return nil
}

func (x *xlsxReader) peeked() []PeekRow { return x.peekRows }

// values are a raw row's cells as text (a header's, a peeked row's).
func (x *xlsxReader) values(vals []string, meta []cellMeta) []string {
	out := make([]string, len(vals))
	for i, v := range vals {
		cell, _ := x.cell(v, metaAt(meta, i))
		out[i] = cell.Value
	}
	return out
}
