package source

import (
	"archive/zip"
	"bytes"
	"errors"
	"io"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"
)

// fuzzBooks returns small workbooks for FuzzXLSX to mutate: written by
// excelize (deflated, as Excel saves them), the same rewritten with every
// entry stored (a deflated entry's mutations mostly die at the CRC check;
// stored ones reach the XML parsers), and a hand-made minimal package.
func fuzzBooks(f *testing.F) [][]byte {
	build := []func(x *excelize.File) error{
		func(x *excelize.File) error {
			if err := x.SetSheetRow("Sheet1", "A1", &[]any{"Title", "Priority"}); err != nil {
				return err
			}
			return x.SetSheetRow("Sheet1", "A2", &[]any{"Login fails", "High"})
		},
		func(x *excelize.File) error {
			if err := x.SetSheetRow("Sheet1", "A1", &[]any{"Title", "Points", "Due", "Done", "_row"}); err != nil {
				return err
			}
			day, err := x.NewStyle(&excelize.Style{NumFmt: 14})
			if err != nil {
				return err
			}
			if err := x.SetSheetRow("Sheet1", "A2", &[]any{"Login fails", 3.5, time.Date(2024, 3, 1, 0, 0, 0, 0, time.UTC), true, 2}); err != nil {
				return err
			}
			if err := x.SetCellStyle("Sheet1", "C2", "C2", day); err != nil {
				return err
			}
			if err := x.SetCellFormula("Sheet1", "B3", "B2*2"); err != nil {
				return err
			}
			return x.SetSheetRow("Sheet1", "A4", &[]any{"", nil, nil, false, nil, "stray"})
		},
		func(x *excelize.File) error {
			// The first sheet is hidden: the second is read.
			i, err := x.NewSheet("Second")
			if err != nil {
				return err
			}
			x.SetActiveSheet(i)
			if err := x.SetSheetVisible("Sheet1", false); err != nil {
				return err
			}
			if err := x.SetSheetRow("Second", "B2", &[]any{"Tags", "tags", "Title"}); err != nil {
				return err
			}
			return x.SetSheetRow("Second", "B5", &[]any{"a", "b", "c"})
		},
	}
	var out [][]byte
	for _, b := range build {
		x := excelize.NewFile()
		if err := b(x); err != nil {
			f.Fatal(err)
		}
		buf, err := x.WriteToBuffer()
		if err != nil {
			f.Fatal(err)
		}
		x.Close()
		out = append(out, buf.Bytes(), storeAll(f, buf.Bytes()))
	}
	return append(out, minimalBook(f))
}

// storeAll rewrites a zip with every entry stored (uncompressed).
func storeAll(f *testing.F, src []byte) []byte {
	zr, err := zip.NewReader(bytes.NewReader(src), int64(len(src)))
	if err != nil {
		f.Fatal(err)
	}
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for _, zf := range zr.File {
		b, err := readZipEntry(zf)
		if err != nil {
			f.Fatal(err)
		}
		w, err := zw.CreateHeader(&zip.FileHeader{Name: zf.Name, Method: zip.Store})
		if err != nil {
			f.Fatal(err)
		}
		if _, err := w.Write(b); err != nil {
			f.Fatal(err)
		}
	}
	if err := zw.Close(); err != nil {
		f.Fatal(err)
	}
	return buf.Bytes()
}

// minimalBook is the smallest package that opens: no styles, no shared
// strings, inline strings and a number, every entry stored.
func minimalBook(f *testing.F) []byte {
	entries := [][2]string{
		{"[Content_Types].xml", `<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/><Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/></Types>`},
		{"_rels/.rels", `<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>`},
		{"xl/workbook.xml", `<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><sheets><sheet name="S" sheetId="1" r:id="rId1"/></sheets></workbook>`},
		{"xl/_rels/workbook.xml.rels", `<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/></Relationships>`},
		{"xl/worksheets/sheet1.xml", `<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData><row r="1"><c r="A1" t="inlineStr"><is><t>Title</t></is></c><c r="B1" t="inlineStr"><is><t>N</t></is></c></row><row r="2"><c r="A2" t="inlineStr"><is><t>x</t></is></c><c r="B2"><v>1.5</v></c></row><row r="3"><c r="B3" t="b"><v>1</v></c><c r="C3" t="d"><v>2024-03-01</v></c></row></sheetData></worksheet>`},
	}
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for _, e := range entries {
		w, err := zw.CreateHeader(&zip.FileHeader{Name: e[0], Method: zip.Store})
		if err != nil {
			f.Fatal(err)
		}
		if _, err := io.WriteString(w, e[1]); err != nil {
			f.Fatal(err)
		}
	}
	if err := zw.Close(); err != nil {
		f.Fatal(err)
	}
	return buf.Bytes()
}

// FuzzXLSX feeds byte-level mutations of small workbooks to OpenXLSX and
// reads every row. It must never panic or hang; every error must be a
// FileError; every row must have one cell per header column, a growing
// row number and only RowErrors.
func FuzzXLSX(f *testing.F) {
	for _, b := range fuzzBooks(f) {
		f.Add(b)
	}
	// One file, rewritten by each call (calls in a process run one at a
	// time): cheaper than a temp dir per call.
	p := filepath.Join(f.TempDir(), "f.xlsx")
	f.Fuzz(func(t *testing.T, data []byte) {
		if err := os.WriteFile(p, data, 0o644); err != nil {
			t.Fatal(err)
		}
		opt := Options{MaxCellBytes: 256, unzipLimit: 4 << 20, AllowDuplicate: func(h string) bool { return h == "tags" }}
		r, err := OpenXLSX(p, opt)
		if err != nil {
			if !isFileError(err) {
				t.Fatalf("OpenXLSX: %T %v", err, err)
			}
			return
		}
		defer func() {
			if err := r.Close(); err != nil && !isFileError(err) {
				t.Fatalf("Close: %T %v", err, err)
			}
		}()
		width := len(r.Header())
		last := 1
		for {
			row, err := r.Next()
			if err == io.EOF {
				break
			}
			if err != nil {
				if !isFileError(err) {
					t.Fatalf("Next: %T %v", err, err)
				}
				break
			}
			if len(row.Cells) != width {
				t.Fatalf("row %d has %d cells, header %d", row.Number, len(row.Cells), width)
			}
			if row.Number <= last || row.Number > 1<<20 {
				t.Fatalf("row number %d after %d", row.Number, last)
			}
			last = row.Number
			var re *RowError
			if row.Err != nil && !errors.As(row.Err, &re) {
				t.Fatalf("row error %T %v", row.Err, row.Err)
			}
			for c := -1; c < width; c++ {
				_ = r.Where(row.Number, c)
			}
		}
	})
}
