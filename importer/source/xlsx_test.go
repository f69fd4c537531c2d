package source

import (
	"archive/zip"
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"strings"
	"testing"

	"github.com/xuri/excelize/v2"
)

// saveBook builds a workbook with excelize and saves it in a temp dir.
func saveBook(t testing.TB, build func(f *excelize.File)) string {
	t.Helper()
	f := excelize.NewFile()
	defer f.Close()
	build(f)
	p := filepath.Join(t.TempDir(), "book.xlsx")
	if err := f.SaveAs(p); err != nil {
		t.Fatal(err)
	}
	return p
}

func must(t testing.TB, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func style(t testing.TB, f *excelize.File, s *excelize.Style) int {
	t.Helper()
	id, err := f.NewStyle(s)
	must(t, err)
	return id
}

// kinds returns "kind:value" for each cell of each row.
func kinds(rows []Row) [][]string {
	names := map[Kind]string{Text: "text", Number: "number", Bool: "bool", Date: "date"}
	var out [][]string
	for _, r := range rows {
		var vs []string
		for _, c := range r.Cells {
			vs = append(vs, names[c.Kind]+":"+c.Value)
		}
		out = append(out, vs)
	}
	return out
}

func TestXLSXCellTypes(t *testing.T) {
	custom := "dd.mm.yyyy hh:mm"
	elapsedCode := `[h]:mm`
	notDate := `#,##0.00 "days";[Red]-#,##0.00`
	p := saveBook(t, func(f *excelize.File) {
		must(t, f.SetSheetName("Sheet1", "Tickets"))
		date := style(t, f, &excelize.Style{NumFmt: 14})
		dateTime := style(t, f, &excelize.Style{NumFmt: 22})
		customDate := style(t, f, &excelize.Style{CustomNumFmt: &custom})
		elapsed := style(t, f, &excelize.Style{CustomNumFmt: &elapsedCode})
		plain := style(t, f, &excelize.Style{CustomNumFmt: &notDate})
		sw, err := f.NewStreamWriter("Tickets")
		must(t, err)
		must(t, sw.SetRow("A1", []any{"Title", "Amount", "Due", "Due at", "Custom", "Done", "Double", "Code", "Days", "Span"}))
		must(t, sw.SetRow("A2", []any{
			"A", 12500.5,
			excelize.Cell{StyleID: date, Value: 45352},
			excelize.Cell{StyleID: dateTime, Value: 45352.573263888889},
			excelize.Cell{StyleID: customDate, Value: 45352.75},
			true,
			excelize.Cell{Formula: "B2*2", Value: 25001},
			"00123",
			excelize.Cell{StyleID: plain, Value: 3.25},
			excelize.Cell{StyleID: elapsed, Value: 1.5},
		}))
		must(t, sw.SetRow("A3", []any{"B", -7, nil, nil, nil, false, excelize.Cell{Formula: `"x"&A3`, Value: "xB"}, 0.1}))
		// Gap rows 4-6, then a row with only a few cells.
		must(t, sw.SetRow("A7", []any{"C", 1e21}))
		// Excel's trailing rows: styled but empty, or white space only.
		must(t, sw.SetRow("A8", []any{excelize.Cell{StyleID: date}, excelize.Cell{StyleID: plain}}))
		must(t, sw.SetRow("A9", []any{"  ", ""}))
		must(t, sw.SetRow("A12", []any{excelize.Cell{StyleID: date}}))
		must(t, sw.Flush())
	})
	r, err := OpenXLSX(p, Options{})
	must(t, err)
	defer r.Close()
	wantHeader := []string{"Title", "Amount", "Due", "Due at", "Custom", "Done", "Double", "Code", "Days", "Span"}
	if got := r.Header(); !reflect.DeepEqual(got, wantHeader) {
		t.Errorf("header = %q", got)
	}
	rows, err := readAll(t, r)
	must(t, err)
	want := [][]string{
		{"text:A", "number:12500.5", "date:2024-03-01T00:00:00Z", "date:2024-03-01T13:45:30Z", "date:2024-03-01T18:00:00Z",
			"bool:true", "number:25001", "text:00123", "number:3.25", "date:1900-01-01T12:00:00Z"},
		{"text:B", "number:-7", "text:", "text:", "text:", "bool:false", "text:xB", "number:0.1", "text:", "text:"},
		{"text:C", "number:1000000000000000000000", "text:", "text:", "text:", "text:", "text:", "text:", "text:", "text:"},
	}
	if got := kinds(rows); !reflect.DeepEqual(got, want) {
		t.Errorf("cells =\n%q\nwant\n%q", got, want)
	}
	if got := numbers(rows); !reflect.DeepEqual(got, []int{2, 3, 7}) {
		t.Errorf("numbers = %v", got)
	}
	for _, row := range rows {
		if row.Err != nil {
			t.Errorf("row %d: %v", row.Number, row.Err)
		}
	}
}

func TestXLSXSharedStringsAndDates(t *testing.T) {
	// SetCellValue writes shared strings (what Excel saves) and time.Time as
	// a serial with a date format.
	tests := []struct {
		name     string
		date1904 bool
		serial   float64
		want     string
	}{
		{"1900 system", false, 45352, "2024-03-01T00:00:00Z"},
		{"1904 system", true, 43890, "2024-03-01T00:00:00Z"},
		{"1900 system, same serial as 1904 case", false, 43890, "2020-02-29T00:00:00Z"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p := saveBook(t, func(f *excelize.File) {
				if tc.date1904 {
					must(t, f.SetWorkbookProps(&excelize.WorkbookPropsOptions{Date1904: &tc.date1904}))
				}
				must(t, f.SetSheetRow("Sheet1", "A1", &[]any{"Title", "Due", "Note"}))
				must(t, f.SetSheetRow("Sheet1", "A2", &[]any{"Fix login", tc.serial, "12500.5"}))
				must(t, f.SetCellStyle("Sheet1", "B2", "B2", style(t, f, &excelize.Style{NumFmt: 15})))
			})
			r, err := OpenXLSX(p, Options{})
			must(t, err)
			defer r.Close()
			rows, err := readAll(t, r)
			must(t, err)
			want := [][]string{{"text:Fix login", "date:" + tc.want, "text:12500.5"}}
			if got := kinds(rows); !reflect.DeepEqual(got, want) {
				t.Errorf("cells = %q, want %q", got, want)
			}
		})
	}
}

func TestXLSXSheetSelection(t *testing.T) {
	p := saveBook(t, func(f *excelize.File) {
		must(t, f.SetSheetName("Sheet1", "Archive"))
		must(t, f.SetSheetRow("Archive", "A1", &[]any{"Old"}))
		must(t, f.SetSheetRow("Archive", "A2", &[]any{"x"}))
		idx, err := f.NewSheet("Q1 data")
		must(t, err)
		must(t, f.SetSheetRow("Q1 data", "A1", &[]any{"Title", "Priority"}))
		must(t, f.SetSheetRow("Q1 data", "A2", &[]any{"First", "High"}))
		f.SetActiveSheet(idx)
		must(t, f.SetSheetVisible("Archive", false))
	})
	tests := []struct {
		sheet  string
		header []string
		err    string
	}{
		{sheet: "", header: []string{"Title", "Priority"}},
		{sheet: "q1 DATA", header: []string{"Title", "Priority"}},
		{sheet: "Archive", header: []string{"Old"}},
		{sheet: "Nope", err: `no sheet "Nope"; the sheets are: "Archive" (hidden), "Q1 data"`},
	}
	for _, tc := range tests {
		r, err := OpenXLSX(p, Options{Sheet: tc.sheet})
		if tc.err != "" {
			var fe *FileError
			if !errors.As(err, &fe) || !strings.Contains(err.Error(), tc.err) {
				t.Errorf("sheet %q: err = %v, want %q", tc.sheet, err, tc.err)
			}
			continue
		}
		must(t, err)
		if got := r.Header(); !reflect.DeepEqual(got, tc.header) {
			t.Errorf("sheet %q: header %q, want %q", tc.sheet, got, tc.header)
		}
		if tc.sheet == "" {
			if got := r.Where(2, 1); got != "'Q1 data'!B2" {
				t.Errorf("Where = %q", got)
			}
		}
		must(t, r.Close())
	}
}

func TestXLSXWideRowAndWhere(t *testing.T) {
	p := saveBook(t, func(f *excelize.File) {
		must(t, f.SetSheetName("Sheet1", "Tickets"))
		must(t, f.SetSheetRow("Tickets", "A1", &[]any{"_row", "Title", "Priority", "_error"}))
		must(t, f.SetSheetRow("Tickets", "A2", &[]any{2, "A", "High", "bad"}))
		must(t, f.SetSheetRow("Tickets", "A3", &[]any{nil, "B", "Low", nil, nil, "stray"}))
		must(t, f.SetSheetRow("Tickets", "A12", &[]any{nil, "C"}))
	})
	r, err := OpenXLSX(p, Options{MaxCellBytes: 100})
	must(t, err)
	defer r.Close()
	if got := r.Header(); !reflect.DeepEqual(got, []string{"Title", "Priority"}) {
		t.Errorf("header = %q", got)
	}
	rows, err := readAll(t, r)
	must(t, err)
	if got := values(rows); !reflect.DeepEqual(got, [][]string{{"A", "High"}, {"B", "Low"}, {"C", ""}}) {
		t.Errorf("rows = %q", got)
	}
	if got := rowErrs(rows); !reflect.DeepEqual(got, []string{"", `Tickets!F3: cell F3, right of the last header column (D), holds "stray"; give the column a header or clear it`, ""}) {
		t.Errorf("errors = %q", got)
	}
	for _, tc := range []struct {
		row, col int
		want     string
	}{{12, 0, "Tickets!B12"}, {12, 1, "Tickets!C12"}, {12, -1, "Tickets!12"}} {
		if got := r.Where(tc.row, tc.col); got != tc.want {
			t.Errorf("Where(%d, %d) = %q, want %q", tc.row, tc.col, got, tc.want)
		}
	}
}

func TestXLSXFileErrors(t *testing.T) {
	good := saveBook(t, func(f *excelize.File) {
		must(t, f.SetSheetRow("Sheet1", "A1", &[]any{"Title"}))
		must(t, f.SetSheetRow("Sheet1", "A2", &[]any{"x"}))
	})
	goodBytes, err := os.ReadFile(good)
	must(t, err)
	tests := []struct {
		name string
		path func(t *testing.T) string
		opt  Options
		want string
	}{
		{"empty sheet", func(t *testing.T) string { return saveBook(t, func(f *excelize.File) {}) }, Options{}, "is empty"},
		{"duplicate header", func(t *testing.T) string {
			return saveBook(t, func(f *excelize.File) {
				must(t, f.SetSheetRow("Sheet1", "A1", &[]any{"Tags", "Title", "tags"}))
				must(t, f.SetSheetRow("Sheet1", "A2", &[]any{"a", "b", "c"}))
			})
		}, Options{}, `header "tags" appears twice, in columns A and C`},
		{"truncated file", func(t *testing.T) string {
			return writeFile(t, "cut.xlsx", string(goodBytes[:len(goodBytes)/2]))
		}, Options{}, "damaged or not an XLSX workbook"},
		{"password-protected", func(t *testing.T) string {
			f := excelize.NewFile()
			defer f.Close()
			must(t, f.SetSheetRow("Sheet1", "A1", &[]any{"Title"}))
			p := filepath.Join(t.TempDir(), "secret.xlsx")
			must(t, f.SaveAs(p, excelize.Options{Password: "secret"}))
			return p
		}, Options{}, "password-protected"},
		{"ods", func(t *testing.T) string {
			return zipFile(t, map[string]string{"mimetype": "application/vnd.oasis.opendocument.spreadsheet", "content.xml": "<x/>"})
		}, Options{}, "OpenDocument"},
		{"zip that is no workbook", func(t *testing.T) string {
			return zipFile(t, map[string]string{"hello.txt": "hi"})
		}, Options{}, "not an XLSX workbook (it has no [Content_Types].xml)"},
		{"zip bomb", func(t *testing.T) string {
			return saveBook(t, func(f *excelize.File) {
				sw, err := f.NewStreamWriter("Sheet1")
				must(t, err)
				must(t, sw.SetRow("A1", []any{"Title"}))
				for i := 2; i < 20000; i++ {
					must(t, sw.SetRow(fmt.Sprintf("A%d", i), []any{"the same text, which compresses very well"}))
				}
				must(t, sw.Flush())
			})
		}, Options{unzipLimit: 1 << 20}, "over the 1 MiB limit"},
		{"CSV named xlsx", func(t *testing.T) string { return writeFile(t, "f.xlsx", "a,b\n1,2\n") }, Options{}, "not an XLSX workbook"},
		{"directory", func(t *testing.T) string { return t.TempDir() }, Options{}, "is a directory"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p := tc.path(t)
			r, err := OpenXLSX(p, tc.opt)
			if err == nil {
				r.Close()
				t.Fatal("OpenXLSX succeeded")
			}
			t.Log(err)
			var fe *FileError
			if !errors.As(err, &fe) || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("err = %v, want a FileError with %q", err, tc.want)
			}
		})
	}
}

// zipFile writes a zip archive of the given entries.
func zipFile(t testing.TB, entries map[string]string) string {
	t.Helper()
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for name, content := range entries {
		w, err := zw.Create(name)
		must(t, err)
		_, err = io.WriteString(w, content)
		must(t, err)
	}
	must(t, zw.Close())
	return writeFile(t, "f.xlsx", buf.String())
}

// bigBook writes n data rows to Sheet1.
func bigBook(t testing.TB, n int) string {
	return saveBook(t, func(f *excelize.File) {
		sw, err := f.NewStreamWriter("Sheet1")
		must(t, err)
		must(t, sw.SetRow("A1", []any{"Title", "Priority", "Points", "Body"}))
		for i := 2; i <= n+1; i++ {
			must(t, sw.SetRow(fmt.Sprintf("A%d", i), []any{fmt.Sprintf("Ticket %d", i), "High", i, fmt.Sprintf("body of ticket %d with some text", i)}))
		}
		must(t, sw.Flush())
	})
}

// rewriteSheet copies a workbook, passing Sheet1's XML through edit, and
// optionally damaging the compressed bytes of the entry afterwards.
func rewriteSheet(t *testing.T, src string, edit func([]byte) []byte) string {
	t.Helper()
	zr, err := zip.OpenReader(src)
	must(t, err)
	defer zr.Close()
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for _, zf := range zr.File {
		b, err := readZipEntry(zf)
		must(t, err)
		if zf.Name == "xl/worksheets/sheet1.xml" {
			b = edit(b)
		}
		w, err := zw.Create(zf.Name)
		must(t, err)
		_, err = w.Write(b)
		must(t, err)
	}
	must(t, zw.Close())
	return writeFile(t, "edited.xlsx", buf.String())
}

// readAllErr opens and reads a workbook and returns the rows read and the
// first error (from Open or Next).
func readAllErr(t *testing.T, p string) ([]Row, error) {
	r, err := OpenXLSX(p, Options{})
	if err != nil {
		return nil, err
	}
	defer r.Close()
	return readAll(t, r)
}

func TestXLSXDamagedSheetIsFileError(t *testing.T) {
	const n = 3000
	src := bigBook(t, n)
	rows, err := readAllErr(t, src)
	if err != nil || len(rows) != n {
		t.Fatalf("intact book: %d rows, %v", len(rows), err)
	}

	t.Run("XML broken mid-sheet", func(t *testing.T) {
		// excelize's iterator stops quietly at the broken tag: the read
		// must end with a FileError, not look like a 1499-row sheet.
		p := rewriteSheet(t, src, func(b []byte) []byte {
			return bytes.Replace(b, []byte(`<row r="1500">`), []byte(`<row r="1500"><c r="A1500"><v>1</w></c>`), 1)
		})
		rows, err := readAllErr(t, p)
		t.Logf("%d rows, %v", len(rows), err)
		var fe *FileError
		if !errors.As(err, &fe) || !strings.Contains(err.Error(), "damaged") {
			t.Fatalf("err = %v after %d rows, want a FileError", err, len(rows))
		}
		if len(rows) >= 1499 {
			// The row excelize was reading when it stopped is never handed out.
			t.Errorf("%d rows returned; the last one read before the damage is held back", len(rows))
		}
	})
	t.Run("XML cut before sheetData ends", func(t *testing.T) {
		p := rewriteSheet(t, src, func(b []byte) []byte { return b[:len(b)*2/3] })
		rows, err := readAllErr(t, p)
		t.Logf("%d rows, %v", len(rows), err)
		var fe *FileError
		if !errors.As(err, &fe) {
			t.Fatalf("err = %v after %d rows, want a FileError", err, len(rows))
		}
	})
	t.Run("compressed bytes damaged", func(t *testing.T) {
		b, err := os.ReadFile(src)
		must(t, err)
		zr, err := zip.NewReader(bytes.NewReader(b), int64(len(b)))
		must(t, err)
		for _, zf := range zr.File {
			if zf.Name == "xl/worksheets/sheet1.xml" {
				off, err := zf.DataOffset()
				must(t, err)
				mid := off + int64(zf.CompressedSize64)*2/3
				for i := mid; i < mid+16; i++ {
					b[i] ^= 0x55
				}
			}
		}
		p := writeFile(t, "damaged.xlsx", string(b))
		rows, err := readAllErr(t, p)
		t.Logf("%d rows, %v", len(rows), err)
		var fe *FileError
		if !errors.As(err, &fe) {
			t.Fatalf("err = %v after %d rows, want a FileError", err, len(rows))
		}
	})
	t.Run("rows out of order", func(t *testing.T) {
		p := rewriteSheet(t, src, func(b []byte) []byte {
			return bytes.Replace(b, []byte(`<row r="20">`), []byte(`<row r="5">`), 1)
		})
		_, err := readAllErr(t, p)
		if err == nil || !strings.Contains(err.Error(), "out of order") {
			t.Fatalf("err = %v", err)
		}
	})
}

func TestXLSXPrefixedAndCommentedXML(t *testing.T) {
	// Hand-edited or third-party XML: a namespace prefix on elements, a
	// comment and a CDATA section holding tag-like text.
	src := bigBook(t, 3)
	p := rewriteSheet(t, src, func(b []byte) []byte {
		b = bytes.Replace(b, []byte(`<sheetData>`), []byte(`<sheetData><!-- <row r="1"> --><?pi x?>`), 1)
		return b
	})
	rows, err := readAllErr(t, p)
	if err != nil || len(rows) != 3 {
		t.Fatalf("%d rows, %v", len(rows), err)
	}
	if got := kinds(rows)[0]; !reflect.DeepEqual(got, []string{"text:Ticket 2", "text:High", "number:2", "text:body of ticket 2 with some text"}) {
		t.Errorf("row = %q", got)
	}
}

func TestXLSXISODateAndErrorCells(t *testing.T) {
	// Cells excelize does not write itself: t="d" (ISO 8601 date) and
	// t="e" (a formula error), as other producers save them.
	src := bigBook(t, 1)
	cell := regexp.MustCompile(`<c r="([CD])2"[^>]*>.*?</c>`)
	p := rewriteSheet(t, src, func(b []byte) []byte {
		return cell.ReplaceAllFunc(b, func(c []byte) []byte {
			if bytes.HasPrefix(c, []byte(`<c r="C2"`)) {
				return []byte(`<c r="C2" t="d"><v>2024-03-01T10:30:00</v></c>`)
			}
			return []byte(`<c r="D2" t="e"><f>1/0</f><v>#DIV/0!</v></c>`)
		})
	})
	rows, err := readAllErr(t, p)
	must(t, err)
	want := [][]string{{"text:Ticket 2", "text:High", "date:2024-03-01T10:30:00Z", "text:#DIV/0!"}}
	if got := kinds(rows); !reflect.DeepEqual(got, want) {
		t.Errorf("cells = %q, want %q", got, want)
	}
}

func TestSheetScanner(t *testing.T) {
	xml := `<?xml version="1.0"?><x:worksheet xmlns:x="ns"><x:dimension ref="A1"/><x:sheetData>` +
		`<x:row r="2" spans="1:3"><x:c r="A2" s="3" t="s"><x:v>0</x:v></x:c><x:c r="C2" t='b'><x:v>1</x:v></x:c></x:row>` +
		`<x:row><x:c><x:v>5</x:v></x:c><x:c t="inlineStr"><x:is><x:t><![CDATA[<c r="Z9" t="b">]]></x:t></x:is></x:c></x:row>` +
		`<x:row r="9"/>` +
		`</x:sheetData><x:mergeCells a=">"/></x:worksheet>`
	sst := &sharedStrings{}
	must(t, sst.add([]byte("zero")))
	s := newSheetScanner(strings.NewReader(xml), sst)
	type got struct {
		num   int
		vals  []string
		cells []cellMeta
	}
	var rows []got
	for {
		num, vals, cells, err := s.next()
		if err == io.EOF {
			break
		}
		must(t, err)
		rows = append(rows, got{num, append([]string(nil), vals...), append([]cellMeta(nil), cells...)})
	}
	want := []got{
		{2, []string{"zero", "", "1"}, []cellMeta{{set: true, typ: typeText, style: 3}, {}, {set: true, typ: typeBool}}},
		{3, []string{"5", `<c r="Z9" t="b">`}, []cellMeta{{set: true, typ: typeNumber}, {set: true, typ: typeText}}},
		{9, nil, nil},
	}
	if !reflect.DeepEqual(rows, want) {
		t.Errorf("rows = %+v\nwant %+v", rows, want)
	}
	must(t, s.finish())
}

func TestDateFormats(t *testing.T) {
	for code, want := range map[string]bool{
		"General": false, "0.00": false, `#,##0 "days"`: false, `0.0\h`: false, "[Red]0.00": false, "[$-409]#,##0": false,
		"0.00E+00": false, "_-* #,##0_-": false, "@": false,
		"dd.mm.yyyy": true, "yyyy-mm-dd hh:mm:ss": true, "[$-409]mmm d, yyyy": true, "h:mm AM/PM": true,
		"[h]:mm": true, "[Red][$-F800]dddd, mmmm dd, yyyy": true,
	} {
		if got := customDateFormat(code); got != want {
			t.Errorf("customDateFormat(%q) = %v, want %v", code, got, want)
		}
	}
	for id, want := range map[int]bool{0: false, 2: false, 13: false, 14: true, 22: true, 23: false, 45: true, 47: true, 49: false} {
		if got := builtinDateFormat(id); got != want {
			t.Errorf("builtinDateFormat(%d) = %v", id, got)
		}
	}
}

// TestXLSXChecksumVerifiedAtOpen: a part whose bytes no longer match its
// CRC (here stored, so the XML still parses) is a FileError at open, before
// any row is handed out; excelize alone would load it silently.
func TestXLSXChecksumVerifiedAtOpen(t *testing.T) {
	src := saveBook(t, func(f *excelize.File) {
		must(t, f.SetSheetRow("Sheet1", "A1", &[]any{"Title", "Priority"}))
		must(t, f.SetSheetRow("Sheet1", "A2", &[]any{"Login fails", "High"}))
	})
	for _, tc := range []struct{ part, old, new string }{
		{"xl/sharedStrings.xml", "Login fails", "Login works"},
		{"xl/worksheets/sheet1.xml", `<row r="2">`, `<row r="3">`},
	} {
		t.Run(tc.part, func(t *testing.T) {
			zr, err := zip.OpenReader(src)
			must(t, err)
			defer zr.Close()
			var buf bytes.Buffer
			zw := zip.NewWriter(&buf)
			for _, zf := range zr.File {
				b, err := readZipEntry(zf)
				must(t, err)
				w, err := zw.CreateHeader(&zip.FileHeader{Name: zf.Name, Method: zip.Store})
				must(t, err)
				_, err = w.Write(b)
				must(t, err)
			}
			must(t, zw.Close())
			b := buf.Bytes()
			i := bytes.Index(b, []byte(tc.old))
			if i < 0 {
				t.Fatalf("no %q in the stored workbook", tc.old)
			}
			copy(b[i:], tc.new) // the CRC in the headers stays the old one
			_, err = OpenXLSX(writeFile(t, "crc.xlsx", string(b)), Options{})
			var fe *FileError
			if !errors.As(err, &fe) || !strings.Contains(err.Error(), tc.part) || !strings.Contains(err.Error(), "checksum") {
				t.Fatalf("err = %v, want a FileError naming %s and the checksum", err, tc.part)
			}
		})
	}
}

// TestXLSXMemoryLimits: parts excelize would hold in memory are bounded
// before it opens the workbook: a huge workbook part, and a styles part of
// many tiny elements (excelize parses one struct per element). A huge
// embedded file is not read at all (excelize is given only the parts it
// needs), so it is no reason to refuse the workbook.
func TestXLSXMemoryLimits(t *testing.T) {
	src := saveBook(t, func(f *excelize.File) {
		must(t, f.SetSheetRow("Sheet1", "A1", &[]any{"Title"}))
		must(t, f.SetSheetRow("Sheet1", "A2", &[]any{"x"}))
	})
	styles := `<styleSheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><cellXfs>` +
		strings.Repeat(`<xf numFmtId="14"/>`, (xlsxStylesLimit+1)/18+1) + `</cellXfs></styleSheet>`
	for _, tc := range []struct {
		name, part, content, want string
	}{
		{"image", "xl/media/image1.png", strings.Repeat("\x00", xlsxMemLimit+1), ""},
		{"workbook", "xl/workbook.xml", strings.Repeat(" ", xlsxMemLimit+1), "parts that are read into memory"},
		{"styles", "xl/styles.xml", styles, "styles part unpacks to 4 MiB, over the 4 MiB limit"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			zr, err := zip.OpenReader(src)
			must(t, err)
			defer zr.Close()
			var buf bytes.Buffer
			zw := zip.NewWriter(&buf)
			for _, zf := range zr.File {
				if zf.Name != tc.part {
					must(t, zw.Copy(zf))
				}
			}
			w, err := zw.Create(tc.part)
			must(t, err)
			_, err = io.WriteString(w, tc.content)
			must(t, err)
			must(t, zw.Close())
			r, err := OpenXLSX(writeFile(t, "big.xlsx", buf.String()), Options{})
			if tc.want == "" {
				must(t, err)
				must(t, r.Close())
				return
			}
			var fe *FileError
			if !errors.As(err, &fe) || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err = %v, want a FileError with %q", err, tc.want)
			}
		})
	}
}
