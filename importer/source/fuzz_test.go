package source

import (
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// FuzzCSV feeds arbitrary bytes to the CSV reader (with each encoding and
// delimiter setting) and to Count. It must never panic or hang, every error
// must be a FileError, every row must have one cell per header column, and
// row numbers must grow.
func FuzzCSV(f *testing.F) {
	seeds := []string{
		"a,b\n1,2\n",
		"\xEF\xBB\xBFTitle,Priority\r\nA,High\r\n",
		"a;b\n\"x;\"\"y\"\"\n\";2\n",
		"a\tb\n1\t2\n3\n",
		"a|b|c\n1|2|3|4\n",
		"a,b\n\"x,2\n3,4\n",
		"a,b\nx\"y,1\nz\"w,2\n\"q\"r,3\n4,5\n",
		"_row,_error,a\n1,e,x\n",
		"a,a\n1,2\n",
		"a,,b\n1,2,3\n,,\n\n",
		"\xFF\xFEa\x00\n\x001\x00\n\x00",
		"\xFE\xFF\x00a\x00\n\x001",
		"Caf\xe9,b\n1,\xff\n",
		"PK\x03\x04",
		"\xD0\xCF\x11\xE0\xA1\xB1\x1A\xE1",
		"\"",
		"\n\n\n",
		"a\x00,b\n",
	}
	for _, s := range seeds {
		f.Add([]byte(s), uint8(0))
	}
	f.Fuzz(func(t *testing.T, data []byte, mode uint8) {
		p := filepath.Join(t.TempDir(), "f.csv")
		if err := os.WriteFile(p, data, 0o644); err != nil {
			t.Fatal(err)
		}
		opt := Options{MaxCellBytes: 64, AllowDuplicate: func(h string) bool { return len(h)%2 == 0 }}
		opt.Encoding = []string{"", "utf-8", "windows-1252", "utf-16"}[mode%4]
		opt.Delimiter = []rune{0, ',', ';', '\t'}[mode/4%4]
		if _, err := Count(p, opt); err != nil && !isFileError(err) {
			t.Fatalf("Count: %T %v", err, err)
		}
		r, err := OpenCSV(p, opt)
		if err != nil {
			if !isFileError(err) {
				t.Fatalf("OpenCSV: %T %v", err, err)
			}
			return
		}
		defer r.Close()
		width := len(r.Header())
		last := 1
		for i := 0; ; i++ {
			if i > len(data)+1 {
				t.Fatalf("more rows than bytes")
			}
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
			if row.Number <= last {
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

// FuzzSheetScanner feeds arbitrary XML to the sheet scanner: it must never
// panic or loop, and row numbers must grow.
func FuzzSheetScanner(f *testing.F) {
	f.Add(`<worksheet><sheetData><row r="1"><c r="A1" t="s" s="2"><v>0</v></c></row><row/></sheetData></worksheet>`)
	f.Add(`<x:sheetData><x:row><x:c><x:is><x:t><![CDATA[<row>]]></x:t></x:is></x:c></x:row><!-- <row r="1"> --></x:sheetData>`)
	f.Add(`<sheetData><row r="2"><c r="XFD2" a='>'/></row><row r="1"></row></sheetData>`)
	f.Add(`<sheetData><row r="x"><c r="1A"/></row>`)
	f.Add(`<sheetData><row><c t="s"><v>1</v></c><c t="inlineStr"><is><r><t>a&amp;</t></r><t>b&#x1F600;</t></is></c></row></sheetData>`)
	f.Fuzz(func(t *testing.T, xml string) {
		sst := &sharedStrings{}
		for _, v := range []string{"zero", "one"} {
			if err := sst.add([]byte(v)); err != nil {
				t.Fatal(err)
			}
		}
		s := newSheetScanner(strings.NewReader(xml), sst)
		last := 0
		for i := 0; ; i++ {
			if i > len(xml) {
				t.Fatal("more rows than bytes")
			}
			num, vals, cells, err := s.next()
			if err != nil {
				break
			}
			if num <= last || num > maxRows || len(cells) > maxColumns || len(vals) != len(cells) {
				t.Fatalf("row %d after %d with %d cells, %d values", num, last, len(cells), len(vals))
			}
			last = num
		}
		_ = s.finish()
	})
}

func isFileError(err error) bool {
	var fe *FileError
	return errors.As(err, &fe)
}
