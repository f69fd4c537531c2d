package source

import (
	"archive/zip"
	"bytes"
	"io"
	"regexp"
	"strconv"
	"strings"
)

// Sheet is one sheet of a workbook, as Sheets lists it.
type Sheet struct {
	Name   string
	Hidden bool
}

// Sheets lists the sheets of an XLSX workbook in workbook order; nil for
// a file that is not one (a CSV has no sheets). It reads only the workbook
// part, so a caller can look for the sheet it needs (which one holds the
// mapped header) without reading any sheet.
func Sheets(path string) ([]Sheet, error) {
	if !isZip(path) {
		return nil, nil
	}
	x, err := openBook(path, Options{})
	if err != nil {
		return nil, err
	}
	defer x.Close()
	var out []Sheet
	for _, name := range x.f.GetSheetList() {
		visible, _ := x.f.GetSheetVisible(name)
		out = append(out, Sheet{Name: name, Hidden: !visible})
	}
	return out, nil
}

// isZip reports whether path starts like a zip archive (an XLSX file,
// whatever its name).
func isZip(path string) bool {
	head, err := sniff(path)
	return err == nil && bytes.HasPrefix(head, magicZip)
}

// openBook opens a workbook's package and its workbook part (the sheet
// list) and no sheet; the caller closes it.
func openBook(path string, opt Options) (*xlsxReader, error) {
	limit := opt.unzipLimit
	if limit <= 0 {
		limit = defaultUnzipLimit
	}
	x := &xlsxReader{path: path}
	var err error
	if x.zr, err = zip.OpenReader(path); err != nil {
		return nil, x.fail("damaged or not an XLSX workbook: %w", err)
	}
	if err := x.openMeta(limit); err != nil {
		_ = x.Close()
		return nil, err
	}
	return x, nil
}

// Bounds of a sheet's <dimension> that Count believes.
const (
	// dimensionPeek is how much of a sheet part is inflated to find its
	// <dimension>, which comes before the rows.
	dimensionPeek = 64 << 10
	// minRowBytes is less than any row with a cell takes in a sheet part
	// (`<row r="2"><c r="A2"><v>1</v></c></row>` is 37 bytes): a dimension
	// claiming more rows than the part could hold is not believed.
	minRowBytes = 24
	// maxSheetRows is Excel's limit.
	maxSheetRows = 1 << 20
)

// dimensionRe finds a sheet's <dimension ref="A1:K1201"/>, with or
// without a namespace prefix.
var dimensionRe = regexp.MustCompile(`<(?:[A-Za-z_][\w.-]*:)?dimension\s+ref\s*=\s*["']([^"']+)["']`)

// xlsxRows estimates the data rows of the sheet opt names (or the first
// visible one) from its <dimension> ref: the rows it spans less the
// header. It returns -1 when the ref is missing or not plausible: a single
// cell or a single row (excelize, and other writers, leave "A1" there
// whatever the sheet holds), more rows than Excel allows or than the part
// could hold. Blank rows inside the range are counted, so the estimate
// may exceed what Next yields; it is a progress bar's total.
func xlsxRows(path string, opt Options) int {
	x, err := openBook(path, opt)
	if err != nil {
		return -1
	}
	defer x.Close()
	if x.pickSheet(opt.Sheet) != nil {
		return -1
	}
	partName, err := sheetPart(x.zr, x.sheet)
	if err != nil {
		return -1
	}
	for _, zf := range x.zr.File {
		if strings.EqualFold(zf.Name, partName) {
			return dimensionRows(zf, opt.HeaderRow)
		}
	}
	return -1
}

// dimensionRows reads the <dimension> of one sheet part, whose header is
// on headerRow (0: the range's first row).
func dimensionRows(zf *zip.File, headerRow int) int {
	rc, err := zf.Open()
	if err != nil {
		return -1
	}
	defer rc.Close()
	head := make([]byte, dimensionPeek)
	n, _ := io.ReadFull(rc, head)
	m := dimensionRe.FindSubmatch(head[:n])
	if m == nil {
		return -1
	}
	first, last, ok := strings.Cut(string(m[1]), ":")
	if !ok {
		return -1
	}
	top, bottom := refRow(first), refRow(last)
	if top <= 0 || bottom <= top || bottom > maxSheetRows {
		return -1
	}
	rows := bottom - max(top, headerRow) // the header is the range's first row, or headerRow
	if rows <= 0 {
		return -1
	}
	if uint64(rows)*minRowBytes > zf.UncompressedSize64 {
		return -1
	}
	return rows
}

// refRow is the row number of a cell reference ("K1201" → 1201, "$K$12"
// → 12), or 0.
func refRow(ref string) int {
	i := strings.IndexAny(ref, "0123456789")
	if i < 0 {
		return 0
	}
	n, err := strconv.Atoi(ref[i:])
	if err != nil {
		return 0
	}
	return n
}
