package source

import (
	"bufio"
	"encoding/csv"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/xuri/excelize/v2"
)

const benchRows = 20000

// benchCSV writes a realistic CSV: quoted bodies with commas and newlines.
func benchCSV(b *testing.B) string {
	b.Helper()
	var sb strings.Builder
	sb.WriteString("Ticket ID,Title,Description,Priority,Assignee,Due,Points,Tags\n")
	for i := 0; i < benchRows; i++ {
		fmt.Fprintf(&sb, "T-%d,Login fails for user %d,\"Steps: open the app, tap \"\"Sign in\"\"\nExpected: it works\",High,user%d@example.com,2024-03-%02d,%d,\"ui,auth\"\n",
			i, i, i%50, i%28+1, i%13)
	}
	p := filepath.Join(b.TempDir(), "bench.csv")
	if err := os.WriteFile(p, []byte(sb.String()), 0o644); err != nil {
		b.Fatal(err)
	}
	return p
}

// BenchmarkCSV reads the file with the CSV reader (one Row per record).
func BenchmarkCSV(b *testing.B) {
	p := benchCSV(b)
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		r, err := OpenCSV(p, Options{})
		if err != nil {
			b.Fatal(err)
		}
		n := 0
		for {
			row, err := r.Next()
			if err == io.EOF {
				break
			}
			if err != nil || row.Err != nil {
				b.Fatal(err, row.Err)
			}
			n++
		}
		r.Close()
		if n != benchRows {
			b.Fatalf("%d rows", n)
		}
	}
	b.ReportMetric(float64(benchRows*b.N)/b.Elapsed().Seconds(), "rows/s")
}

// BenchmarkCSVBare is the baseline: a bare encoding/csv loop with
// ReuseRecord over the same file.
func BenchmarkCSVBare(b *testing.B) {
	p := benchCSV(b)
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		f, err := os.Open(p)
		if err != nil {
			b.Fatal(err)
		}
		r := csv.NewReader(bufio.NewReaderSize(f, csvBufSize))
		r.ReuseRecord = true
		n := -1
		for {
			_, err := r.Read()
			if err == io.EOF {
				break
			}
			if err != nil {
				b.Fatal(err)
			}
			n++
		}
		f.Close()
		if n != benchRows {
			b.Fatalf("%d rows", n)
		}
	}
	b.ReportMetric(float64(benchRows*b.N)/b.Elapsed().Seconds(), "rows/s")
}

// BenchmarkCount measures the progress-bar pre-scan.
func BenchmarkCount(b *testing.B) {
	p := benchCSV(b)
	b.ResetTimer()
	for b.Loop() {
		if n, err := Count(p, Options{}); err != nil || n != benchRows {
			b.Fatal(n, err)
		}
	}
}

// benchXLSX writes a workbook the way Excel does: shared strings, a date
// column with a date format, numbers and booleans.
func benchXLSX(b *testing.B) string {
	b.Helper()
	f := excelize.NewFile()
	defer f.Close()
	date, err := f.NewStyle(&excelize.Style{NumFmt: 14})
	if err != nil {
		b.Fatal(err)
	}
	must(b, f.SetSheetRow("Sheet1", "A1", &[]any{"Ticket ID", "Title", "Description", "Priority", "Assignee", "Due", "Points", "Done"}))
	for i := 2; i <= benchRows+1; i++ {
		must(b, f.SetSheetRow("Sheet1", fmt.Sprintf("A%d", i), &[]any{
			fmt.Sprintf("T-%d", i), fmt.Sprintf("Login fails for user %d", i), "Steps: open the app, tap Sign in",
			"High", fmt.Sprintf("user%d@example.com", i%50), 45352 + i%300, i % 13, i%2 == 0,
		}))
	}
	must(b, f.SetCellStyle("Sheet1", "F2", fmt.Sprintf("F%d", benchRows+1), date))
	p := filepath.Join(b.TempDir(), "bench.xlsx")
	must(b, f.SaveAs(p))
	return p
}

// BenchmarkXLSX reads the workbook with the XLSX reader (typed cells).
func BenchmarkXLSX(b *testing.B) {
	p := benchXLSX(b)
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		r, err := OpenXLSX(p, Options{})
		if err != nil {
			b.Fatal(err)
		}
		n := 0
		for {
			row, err := r.Next()
			if err == io.EOF {
				break
			}
			if err != nil || row.Err != nil {
				b.Fatal(err, row.Err)
			}
			if row.Cells[5].Kind != Date {
				b.Fatalf("cell %+v is no date", row.Cells[5])
			}
			n++
		}
		must(b, r.Close())
		if n != benchRows {
			b.Fatalf("%d rows", n)
		}
	}
	b.ReportMetric(float64(benchRows*b.N)/b.Elapsed().Seconds(), "rows/s")
}

// BenchmarkXLSXBare is the baseline: excelize's Rows iterator with raw
// values over the same workbook.
func BenchmarkXLSXBare(b *testing.B) {
	p := benchXLSX(b)
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		f, err := excelize.OpenFile(p)
		if err != nil {
			b.Fatal(err)
		}
		rows, err := f.Rows("Sheet1")
		if err != nil {
			b.Fatal(err)
		}
		n := -1
		for rows.Next() {
			if _, err := rows.Columns(excelize.Options{RawCellValue: true}); err != nil {
				b.Fatal(err)
			}
			n++
		}
		must(b, rows.Close())
		must(b, f.Close())
		if n != benchRows {
			b.Fatalf("%d rows", n)
		}
	}
	b.ReportMetric(float64(benchRows*b.N)/b.Elapsed().Seconds(), "rows/s")
}

// BenchmarkCSVRecords compares the record readers on the same file (in the
// page cache after the first pass): encoding/csv as the CSV reader used it
// (ReuseRecord, FieldsPerRecord -1, a 512 KiB bufio) and csvRecords.
// BENCH_CSV names a file to read instead of benchCSV's (gendata's, for
// the quote-heavy case: go build -o /tmp/gendata ./scripts/gendata &&
// /tmp/gendata csv -rows 200000 -out /tmp/cs200k.csv -mapping /tmp/m.yaml).
func BenchmarkCSVRecords(b *testing.B) {
	p := os.Getenv("BENCH_CSV")
	if p == "" {
		p = benchCSV(b)
	}
	st, err := os.Stat(p)
	if err != nil {
		b.Fatal(err)
	}
	readers := []struct {
		name string
		read func(io.Reader) (int, error)
	}{
		{"encoding-csv", func(src io.Reader) (int, error) {
			r := csv.NewReader(bufio.NewReaderSize(src, 2*csvBufSize))
			r.ReuseRecord, r.FieldsPerRecord = true, -1
			return readAllRecords(r.Read)
		}},
		{"csvRecords", func(src io.Reader) (int, error) {
			r := newCSVRecords(src, 2*csvBufSize)
			r.ReuseRecord, r.FieldsPerRecord = true, -1
			return readAllRecords(r.Read)
		}},
	}
	for _, rd := range readers {
		b.Run(rd.name, func(b *testing.B) {
			b.ReportAllocs()
			b.SetBytes(st.Size())
			for b.Loop() {
				f, err := os.Open(p)
				if err != nil {
					b.Fatal(err)
				}
				_, err = rd.read(f)
				f.Close()
				if err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// readAllRecords calls read until io.EOF and returns the records read.
func readAllRecords(read func() ([]string, error)) (int, error) {
	for n := 0; ; n++ {
		if _, err := read(); err == io.EOF {
			return n, nil
		} else if err != nil {
			return n, err
		}
	}
}
