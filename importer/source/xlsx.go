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

	"github.com/xuri/excelize/v2"
)

// xlsxXMLLimit bounds the small package parts read here (relationships,
// the workbook), and is the size up to which the sheet's checksum is
// verified at open.
const xlsxXMLLimit = 16 << 20

// excelizeXMLLimit is excelize's UnzipXMLSizeLimit: a worksheet or shared
// string table bigger than this is extracted to a temp file and streamed
// from there instead of being held in memory. Every other part excelize
// reads into memory whatever its size, hence xlsxMemLimit.
const excelizeXMLLimit = 1 << 20

// xlsxMemLimit caps the total unpacked size of the parts excelize holds in
// memory (styles, theme, small sheets, embedded files such as images), so
// that a workbook of many 15 MiB sheets, or a huge image, is a FileError
// rather than gigabytes of RAM; and xlsxStylesLimit caps the styles part,
// which excelize parses into one struct per element (4 MiB of short <xf/>
// elements take about 100 MB).
const (
	xlsxMemLimit    = 64 << 20
	xlsxStylesLimit = 4 << 20
)

// inExcelizeMemory reports whether excelize reads a zip entry into memory
// when it opens the workbook (see excelize's ReadZipReader).
func inExcelizeMemory(zf *zip.File, xmlLimit uint64) bool {
	name := strings.ToLower(strings.ReplaceAll(zf.Name, "\\", "/"))
	streamed := strings.HasPrefix(name, "xl/worksheets/sheet") || name == "xl/sharedstrings.xml"
	return !streamed || zf.UncompressedSize64 <= xmlLimit
}

// xlsxReader streams the rows of one worksheet. See OpenXLSX.
type xlsxReader struct {
	path, sheet string
	prefix      string // sheet reference for Where: "Tickets!" or "'Q1 data'!"
	zr          *zip.ReadCloser
	part        io.ReadCloser
	scan        *sheetScanner
	f           *excelize.File
	rows        *excelize.Rows
	date1904    bool
	styleDate   []bool // styleDate[s]: cell style s has a date/time format
	hdr         header
	maxCell     int
	n           int // the sheet row excelize's iterator is on

	// The scanner's row waiting for excelize's iterator to reach it.
	pendNum   int
	pendCells []cellMeta
	pending   bool
	scanEOF   bool

	// One row of look-ahead: a row is only handed out once the row after it
	// (or the clean end of the sheet) has been read, so that the last row
	// excelize saw before it stopped on damaged XML is never returned.
	ahead     Row
	haveAhead bool
	err       error // sticky: io.EOF or a *FileError
}

// OpenXLSX opens a workbook, picks the sheet (Options.Sheet, or the first
// visible one) and reads its header: the first row that is not empty.
//
// The workbook is opened by excelize with a total unzip limit of 1 GiB (a
// zip bomb is a FileError) and its default 16 MiB in-memory limit per XML
// part; rows are read with excelize's streaming Rows iterator using raw cell
// values, so memory does not grow with the number of rows. Cell types and
// styles, which that iterator does not give, come from a byte-level scan of
// the same sheet XML run in step with it; the scan also makes a damaged or
// truncated sheet a FileError instead of a silently short read. The CRCs of
// the workbook's XML parts (and of the sheet, when under excelize's 16 MiB
// in-memory limit) are checked at open, before any row is handed out.
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
	xmlLimit := min(excelizeXMLLimit, limit)
	var total, inMemory uint64
	hasTypes := false
	for _, zf := range x.zr.File {
		total += zf.UncompressedSize64
		if inExcelizeMemory(zf, uint64(xmlLimit)) {
			inMemory += zf.UncompressedSize64
		}
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
	if inMemory > xlsxMemLimit {
		return x.fail("the workbook's parts that are read into memory (styles, sheets under %d MiB, embedded files such as images) unpack to %d MiB, over the %d MiB limit (a zip bomb, or a workbook of many sheets or images): save the sheet as CSV, or alone in a new workbook",
			xmlLimit>>20, inMemory>>20, xlsxMemLimit>>20)
	}
	x.f, err = excelize.OpenFile(x.path, excelize.Options{UnzipSizeLimit: limit, UnzipXMLSizeLimit: xmlLimit})
	if err != nil {
		if errors.Is(err, excelize.ErrWorkbookFileFormat) || errors.Is(err, excelize.ErrWorkbookPassword) {
			return x.fail("unsupported workbook (password-protected, or not an Excel 2007+ file): %w", err)
		}
		return x.fail("cannot open the workbook: %w", err)
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

	partName, err := sheetPart(x.zr, x.sheet)
	if err != nil {
		return x.fail("sheet %q: %w", x.sheet, err)
	}
	if err := verifyParts(x.zr, partName); err != nil {
		return x.fail("%w", err)
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
	x.scan = newSheetScanner(x.part)
	if x.rows, err = x.f.Rows(x.sheet); err != nil {
		return x.fail("sheet %q: %w", x.sheet, err)
	}
	return x.readHeader(opt)
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
	var raw []string
	for {
		vals, meta, err := x.rawRow()
		if err == io.EOF {
			return x.fail("sheet %q is empty", x.sheet)
		}
		if err != nil {
			return err
		}
		if blank(vals) {
			continue
		}
		for i, v := range vals {
			cell, _ := x.cell(v, metaAt(meta, i))
			raw = append(raw, cell.Value)
		}
		break
	}
	var err error
	if x.hdr, err = buildHeader(raw, opt.AllowDuplicate); err != nil {
		return &FileError{Path: x.path, Err: fmt.Errorf("sheet %q: %w", x.sheet, err)}
	}
	first, err := x.fetch()
	if err == io.EOF {
		return x.fail("sheet %q: no data rows, only a header", x.sheet)
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

// rawRow advances excelize's iterator by one sheet row and returns its raw
// values with the scanner's metadata for the same row (nil for a row absent
// from the XML). It returns io.EOF only when both agree that the sheet
// ended cleanly.
func (x *xlsxReader) rawRow() ([]string, []cellMeta, error) {
	if !x.rows.Next() {
		return nil, nil, x.end()
	}
	x.n++
	vals, err := x.rows.Columns(excelize.Options{RawCellValue: true})
	if err != nil {
		return nil, nil, x.fail("sheet %q row %d: %w", x.sheet, x.n, err)
	}
	if !x.pending && !x.scanEOF {
		num, cells, err := x.scan.next()
		switch {
		case err == io.EOF:
			x.scanEOF = true
		case err != nil:
			return nil, nil, x.fail("sheet %q is damaged %s: %w", x.sheet, x.afterRow(), err)
		default:
			x.pendNum, x.pendCells, x.pending = num, cells, true
		}
	}
	var meta []cellMeta
	switch {
	case x.pending && x.pendNum == x.n:
		meta, x.pending = x.pendCells, false
	case x.pending && x.pendNum < x.n, len(vals) > 0:
		return nil, nil, x.fail("sheet %q is damaged near row %d (its XML could not be read consistently)", x.sheet, x.n)
	}
	return vals, meta, nil
}

// end checks, when excelize's iterator stops, that the sheet really ended:
// excelize stops quietly on damaged XML, so the scanner must have reached
// </sheetData> with no row left and the zip entry must end with a good
// checksum.
func (x *xlsxReader) end() error {
	if err := x.rows.Error(); err != nil {
		return x.fail("sheet %q: %w", x.sheet, err)
	}
	if x.pending {
		return x.fail("sheet %q is damaged: reading stopped at row %d, before row %d", x.sheet, x.n, x.pendNum)
	}
	if !x.scanEOF {
		num, _, err := x.scan.next()
		switch {
		case err == nil:
			return x.fail("sheet %q is damaged: reading stopped at row %d, before row %d", x.sheet, x.n, num)
		case err != io.EOF:
			return x.fail("sheet %q is damaged %s: %w", x.sheet, x.afterRow(), err)
		}
		x.scanEOF = true
	}
	if err := x.scan.finish(); err != nil {
		return x.fail("sheet %q is damaged: %w", x.sheet, err)
	}
	return io.EOF
}

// afterRow says where the scan of the sheet XML stopped, for a message.
func (x *xlsxReader) afterRow() string {
	if x.scan.lastRow == 0 {
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

// Close implements Reader: it closes the iterator, excelize's file (which
// removes its temp files) and the zip, and reports the first error.
func (x *xlsxReader) Close() error {
	var errs []error
	if x.rows != nil {
		errs = append(errs, x.rows.Close())
		x.rows = nil
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
	var rootRels, wbRels relationships
	if err := unmarshalEntry(zr, "_rels/.rels", &rootRels); err != nil {
		return "", err
	}
	wbPath := ""
	for _, r := range rootRels.Rels {
		if strings.HasSuffix(r.Type, "/officeDocument") {
			wbPath = strings.TrimPrefix(r.Target, "/")
		}
	}
	if wbPath == "" {
		return "", errors.New("the package names no workbook")
	}
	var wb struct {
		Sheets []struct {
			Name  string     `xml:"name,attr"`
			Attrs []xml.Attr `xml:",any,attr"`
		} `xml:"sheets>sheet"`
	}
	if err := unmarshalEntry(zr, wbPath, &wb); err != nil {
		return "", err
	}
	if err := unmarshalEntry(zr, path.Join(path.Dir(wbPath), "_rels", path.Base(wbPath)+".rels"), &wbRels); err != nil {
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

// verifyParts reads through the XML parts the read depends on, so that
// archive/zip checks their size and CRC before any row is handed out:
// excelize ignores read errors of the parts it loads, so a damaged shared
// string table or a stored sheet with a changed byte would otherwise give
// wrong values silently (or, for the sheet, only fail after its rows went
// out). Other worksheets are skipped, and so is the sheet being read when
// it is over excelize's in-memory limit: the sheet scanner checks it at the
// end of the read, the price of streaming it.
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
