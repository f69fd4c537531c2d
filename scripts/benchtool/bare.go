package main

import (
	"bufio"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/xuri/excelize/v2"
)

// readResult is what bare-csv and bare-xlsx print.
type readResult struct {
	Rows    int     `json:"rows"`    // data rows, header excluded
	Seconds float64 `json:"seconds"` // time spent in the read loop
}

// timeRead runs read over path and times it.
func timeRead(path string, read func(string) (int, error)) (readResult, error) {
	start := time.Now()
	n, err := read(path)
	if err != nil {
		return readResult{}, err
	}
	return readResult{Rows: n, Seconds: time.Since(start).Seconds()}, nil
}

// bareCSV is the CSV floor: the cheapest correct way to read every record
// with the standard library (ReuseRecord, 256 KiB buffer, nothing kept).
// It returns the number of records after the header.
func bareCSV(path string) (n int, err error) {
	f, err := os.Open(path)
	if err != nil {
		return 0, fmt.Errorf("bare csv: %w", err)
	}
	defer f.Close()
	r := csv.NewReader(bufio.NewReaderSize(f, 256<<10))
	r.ReuseRecord = true
	r.FieldsPerRecord = -1
	for n = -1; ; n++ {
		if _, err := r.Read(); err != nil {
			if errors.Is(err, io.EOF) {
				return max(n, 0), nil
			}
			return 0, fmt.Errorf("bare csv: %s: %w", path, err)
		}
	}
}

// bareXLSX is the XLSX floor: excelize's streaming Rows iterator over the
// first sheet with raw cell values (no number formatting), default unzip
// limits. It returns the number of rows after the first.
func bareXLSX(path string) (n int, err error) {
	opt := excelize.Options{RawCellValue: true}
	f, err := excelize.OpenFile(path, opt)
	if err != nil {
		return 0, fmt.Errorf("bare xlsx: %w", err)
	}
	defer func() {
		if cerr := f.Close(); cerr != nil && err == nil {
			err = fmt.Errorf("bare xlsx: close: %w", cerr)
		}
	}()
	sheets := f.GetSheetList()
	if len(sheets) == 0 {
		return 0, fmt.Errorf("bare xlsx: %s has no sheet", path)
	}
	rows, err := f.Rows(sheets[0])
	if err != nil {
		return 0, fmt.Errorf("bare xlsx: %w", err)
	}
	defer rows.Close()
	for n = -1; rows.Next(); n++ {
		if _, err := rows.Columns(opt); err != nil {
			return 0, fmt.Errorf("bare xlsx: row %d: %w", n+2, err)
		}
	}
	if err := rows.Error(); err != nil {
		return 0, fmt.Errorf("bare xlsx: %w", err)
	}
	return max(n, 0), nil
}
