package main

import (
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"
	"go.yaml.in/yaml/v3"
)

// samplesDir is the committed samples directory, relative to this package.
const samplesDir = "../../samples"

// readCSV parses a CSV file strictly (every record must have as many
// fields as the header) and returns its records with the line each starts on.
func readCSV(t *testing.T, path string) (records [][]string, lines []int) {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	r := csv.NewReader(f)
	r.FieldsPerRecord = 0 // the header sets the count; a ragged record is an error
	for {
		rec, err := r.Read()
		if errors.Is(err, io.EOF) {
			return records, lines
		}
		if err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		line, _ := r.FieldPos(0)
		records = append(records, rec)
		lines = append(lines, line)
	}
}

func headers(s sample) []string {
	h := make([]string, len(s.Columns))
	for i, c := range s.Columns {
		h[i] = c.Header
	}
	return h
}

func TestSampleTables(t *testing.T) {
	for _, s := range samples() {
		t.Run(s.Name, func(t *testing.T) {
			if n := len(s.Rows); n < 12 || n > 25 {
				t.Errorf("%d rows, want 12-25", n)
			}
			if n := len(s.Invalid); n < 2 || n > 3 {
				t.Errorf("%d invalid rows, want 2-3", n)
			}
			for row := range s.Invalid {
				if row < 2 || row > len(s.Rows)+1 {
					t.Errorf("invalid row %d is outside rows 2-%d", row, len(s.Rows)+1)
				}
			}
			for i, row := range s.Rows {
				if len(row) != len(s.Columns) {
					t.Errorf("row %d has %d cells, header has %d", i+2, len(row), len(s.Columns))
				}
			}
		})
	}
}

func TestSampleCSVMatchesTable(t *testing.T) {
	for _, s := range samples() {
		t.Run(s.Name, func(t *testing.T) {
			records, _ := readCSV(t, filepath.Join(samplesDir, s.Name+".csv"))
			if len(records) == 0 || !slices.Equal(records[0], headers(s)) {
				t.Fatalf("header = %q, want %q", records[0], headers(s))
			}
			if got, want := len(records)-1, len(s.Rows); got != want {
				t.Fatalf("%d data records, want %d", got, want)
			}
			for r, row := range s.Rows {
				for c, v := range row {
					want, err := csvText(s.Columns[c], v)
					if err != nil {
						t.Fatal(err)
					}
					if got := records[r+1][c]; got != want {
						t.Errorf("row %d column %q = %q, want %q (the Go table and the CSV disagree)",
							r+2, s.Columns[c].Header, got, want)
					}
				}
			}
		})
	}
}

func TestSampleCSVRealism(t *testing.T) {
	var multiLine, quotes, commas, nonASCII int
	for _, s := range samples() {
		data, err := os.ReadFile(filepath.Join(samplesDir, s.Name+".csv"))
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Contains(data, []byte(`""`)) {
			t.Errorf("%s.csv has no doubled quote", s.Name)
		}
		records, lines := readCSV(t, filepath.Join(samplesDir, s.Name+".csv"))
		if lines[len(lines)-1] == len(records) {
			t.Errorf("%s.csv has no multi-line record", s.Name)
		}
		for _, rec := range records[1:] {
			for _, cell := range rec {
				if strings.Contains(cell, "\n") {
					multiLine++
				}
				if strings.Contains(cell, `"`) {
					quotes++
				}
				if strings.Contains(cell, ",") {
					commas++
				}
				if strings.ContainsFunc(cell, func(r rune) bool { return r > 127 }) {
					nonASCII++
				}
			}
		}
	}
	for name, n := range map[string]int{"multi-line": multiLine, "quoted": quotes, "comma": commas, "non-ASCII": nonASCII} {
		if n < 4 {
			t.Errorf("only %d %s cells in the CSVs", n, name)
		}
	}
}

func TestSampleXLSXMatchesTable(t *testing.T) {
	for _, s := range samples() {
		t.Run(s.Name, func(t *testing.T) {
			f, err := excelize.OpenFile(filepath.Join(samplesDir, s.Name+".xlsx"))
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			if got := f.GetSheetList(); !slices.Equal(got, []string{s.Sheet}) {
				t.Fatalf("sheets = %q, want [%q]", got, s.Sheet)
			}
			rows, err := f.GetRows(s.Sheet, excelize.Options{RawCellValue: true})
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(rows[0], headers(s)) {
				t.Fatalf("header = %q, want %q", rows[0], headers(s))
			}
			if got, want := len(rows)-1, len(s.Rows); got != want {
				t.Fatalf("%d data rows, want %d", got, want)
			}
			for r, row := range s.Rows {
				for c, v := range row {
					cell, _ := excelize.CoordinatesToCellName(c+1, r+2)
					if err := checkXLSXCell(f, s.Sheet, cell, s.Columns[c], v); err != nil {
						t.Errorf("%s!%s (%s): %v", s.Sheet, cell, s.Columns[c].Header, err)
					}
				}
			}
		})
	}
}

// checkXLSXCell checks that a cell holds v with the right cell type: dates
// as numbers with the column's date format, booleans as boolean cells,
// numbers as numeric cells, text as strings.
func checkXLSXCell(f *excelize.File, sheet, cell string, col column, v any) error {
	raw, err := f.GetCellValue(sheet, cell, excelize.Options{RawCellValue: true})
	if err != nil {
		return err
	}
	typ, err := f.GetCellType(sheet, cell)
	if err != nil {
		return err
	}
	switch v := v.(type) {
	case string:
		if raw != v {
			return fmt.Errorf("value %q, want %q", raw, v)
		}
		if v != "" && typ != excelize.CellTypeSharedString && typ != excelize.CellTypeInlineString {
			return fmt.Errorf("cell type %v, want a string", typ)
		}
	case time.Time:
		serial, err := strconv.ParseFloat(raw, 64)
		if err != nil || typ != excelize.CellTypeUnset {
			return fmt.Errorf("value %q (type %v), want a date serial number", raw, typ)
		}
		got, err := excelize.ExcelDateToTime(serial, false)
		if err != nil || !got.Equal(v) {
			return fmt.Errorf("date %v, want %v", got, v)
		}
		styleID, err := f.GetCellStyle(sheet, cell)
		if err != nil {
			return err
		}
		st, err := f.GetStyle(styleID)
		if err != nil {
			return err
		}
		if st.CustomNumFmt == nil || *st.CustomNumFmt != col.NumFmt {
			return fmt.Errorf("number format %v, want %q", st.CustomNumFmt, col.NumFmt)
		}
	case float64, int:
		want, _ := csvText(column{}, v)
		if raw != want || typ != excelize.CellTypeUnset {
			return fmt.Errorf("value %q (type %v), want the number %s", raw, typ, want)
		}
	case bool:
		want := map[bool]string{true: "1", false: "0"}[v]
		if raw != want || typ != excelize.CellTypeBool {
			return fmt.Errorf("value %q (type %v), want boolean %v", raw, typ, v)
		}
	default:
		return fmt.Errorf("unsupported table value %T", v)
	}
	return nil
}

// TestSampleXLSXUpToDate regenerates the workbooks and compares them byte
// for byte with the committed ones: run `go run ./scripts/gendata samples`
// after editing the tables.
func TestSampleXLSXUpToDate(t *testing.T) {
	dir := t.TempDir()
	paths, err := writeSamples(dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range paths {
		fresh, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		committed, err := os.ReadFile(filepath.Join(samplesDir, filepath.Base(p)))
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(fresh, committed) {
			t.Errorf("samples/%s is stale: run go run ./scripts/gendata samples", filepath.Base(p))
		}
	}
}

// sampleMapping is the part of a mapping file the test checks.
type sampleMapping struct {
	Type     string               `yaml:"type"`
	Key      string               `yaml:"key"`
	Timezone string               `yaml:"timezone"`
	Columns  map[string]yaml.Node `yaml:"columns"`
	Defaults map[string]yaml.Node `yaml:"defaults"`
	Ignore   []string             `yaml:"ignore"`
}

func TestSampleMappings(t *testing.T) {
	wantType := map[string]string{"tickets": "ticket", "issues": "issue", "tasks": "task", "opportunities": "opportunity"}
	for _, s := range samples() {
		t.Run(s.Name, func(t *testing.T) {
			data, err := os.ReadFile(filepath.Join(samplesDir, s.Name+".yaml"))
			if err != nil {
				t.Fatal(err)
			}
			var m sampleMapping
			dec := yaml.NewDecoder(bytes.NewReader(data))
			dec.KnownFields(true)
			if err := dec.Decode(&m); err != nil {
				t.Fatal(err)
			}
			if m.Type != wantType[s.Name] {
				t.Errorf("type %q, want %q", m.Type, wantType[s.Name])
			}
			if _, err := time.LoadLocation(m.Timezone); err != nil {
				t.Errorf("timezone: %v", err)
			}
			header := headers(s)
			if !slices.Contains(header, m.Key) {
				t.Errorf("key %q is not a column", m.Key)
			}
			if keyRule := m.Columns[m.Key]; keyRule.Value != "custom_fields.tnt__external_id" {
				t.Errorf("key column maps to %q, want custom_fields.tnt__external_id", keyRule.Value)
			}
			for col := range m.Columns {
				if !slices.Contains(header, col) {
					t.Errorf("mapped column %q is not in the header", col)
				}
			}
			for _, h := range header {
				_, mapped := m.Columns[h]
				ignored := slices.Contains(m.Ignore, h)
				if mapped == ignored {
					t.Errorf("column %q: mapped=%v ignored=%v, want exactly one", h, mapped, ignored)
				}
			}
			for _, c := range s.Columns {
				rule, ok := m.Columns[c.Header]
				if !ok || c.Layout == "" {
					continue
				}
				var r struct {
					Format string `yaml:"format"`
				}
				if err := rule.Decode(&r); err != nil || r.Format != c.Layout {
					t.Errorf("column %q: format %q, want the CSV layout %q", c.Header, r.Format, c.Layout)
				}
			}
		})
	}
}

// seeded is the simulator's seeded directory (display IDs).
var seeded = map[string]bool{
	"DEVU-1": true, "DEVU-2": true, "DEVU-3": true, "DEVU-4": true, "DEVU-5": true,
	"PROD-1": true, "PROD-2": true, "CAPL-1": true, "FEAT-1": true, "ENH-1": true,
	"TAG-1": true, "TAG-2": true, "TAG-3": true, "TAG-4": true, "TAG-5": true,
	"ACC-1": true, "ACC-2": true, "ACC-3": true, "REV-1": true, "REV-2": true, "REV-3": true,
	"REVU-1": true, "REVU-2": true, "ARTIFACT-1": true, "ARTIFACT-2": true, "ARTIFACT-3": true,
}

var idPattern = regexp.MustCompile(`\b(DEVU|PROD|CAPL|FEAT|ENH|TAG|ACC|REVU|REV|ARTIFACT)-[0-9]+\b`)

func TestSampleIDsAreSeeded(t *testing.T) {
	for _, s := range samples() {
		for _, ext := range []string{".csv", ".yaml"} {
			data, err := os.ReadFile(filepath.Join(samplesDir, s.Name+ext))
			if err != nil {
				t.Fatal(err)
			}
			for _, id := range idPattern.FindAllString(string(data), -1) {
				if !seeded[id] {
					t.Errorf("%s%s: %s is not in the simulator's seeded directory", s.Name, ext, id)
				}
			}
		}
	}
}

// rowRanges renders sorted row numbers as "2-6, 8, 10-11".
func rowRanges(rows []int) string {
	var parts []string
	for i := 0; i < len(rows); {
		j := i
		for j+1 < len(rows) && rows[j+1] == rows[j]+1 {
			j++
		}
		if i == j {
			parts = append(parts, strconv.Itoa(rows[i]))
		} else {
			parts = append(parts, fmt.Sprintf("%d-%d", rows[i], rows[j]))
		}
		i = j + 1
	}
	return strings.Join(parts, ", ")
}

func TestRowRanges(t *testing.T) {
	for _, tc := range []struct {
		rows []int
		want string
	}{
		{nil, ""},
		{[]int{2}, "2"},
		{[]int{2, 3, 4, 6, 8, 9}, "2-4, 6, 8-9"},
	} {
		if got := rowRanges(tc.rows); got != tc.want {
			t.Errorf("rowRanges(%v) = %q, want %q", tc.rows, got, tc.want)
		}
	}
}

// TestSampleREADME checks that samples/README.md lists, per sample, each
// invalid row (row number, CSV line, key) and the valid rows.
func TestSampleREADME(t *testing.T) {
	readme, err := os.ReadFile(filepath.Join(samplesDir, "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range samples() {
		_, lines := readCSV(t, filepath.Join(samplesDir, s.Name+".csv"))
		var valid []int
		for r, row := range s.Rows {
			n := r + 2
			if _, bad := s.Invalid[n]; !bad {
				valid = append(valid, n)
				continue
			}
			line := fmt.Sprintf("| %d | %d | %s |", n, lines[n-1], row[0])
			if !bytes.Contains(readme, []byte(line)) {
				t.Errorf("README.md lacks %q (%s, invalid: %s)", line, s.Name, s.Invalid[n])
			}
		}
		want := fmt.Sprintf("Valid rows of %s: %s (%d of %d).", s.Name, rowRanges(valid), len(valid), len(s.Rows))
		if !bytes.Contains(readme, []byte(want)) {
			t.Errorf("README.md lacks %q", want)
		}
	}
}
