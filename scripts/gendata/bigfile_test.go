package main

import (
	"archive/zip"
	"bytes"
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

var (
	ownerPattern = regexp.MustCompile(`^DEVU-[1-4](;DEVU-[1-4])?$`)
	tagsPattern  = regexp.MustCompile(`^(TAG-[1-5](;TAG-[1-5])?)?$`)
)

// checkBenchRow checks one generated record (in benchHeader order) against
// the rules the benchmark files promise: valid against the seeded directory.
func checkBenchRow(t *testing.T, n int, rec []string) {
	t.Helper()
	if want := "EXT-" + strconv.Itoa(n); rec[0] != want {
		t.Errorf("row %d: key %q, want %q", n, rec[0], want)
	}
	if want := benchTypes[(n-1)%3]; rec[1] != want {
		t.Errorf("row %d: type %q, want %q", n, rec[1], want)
	}
	if rec[2] == "" || len(rec[2]) > 256 {
		t.Errorf("row %d: title %q", n, rec[2])
	}
	if l := len(rec[3]); l < 200 || l > 500 || !strings.Contains(rec[3], "\n") {
		t.Errorf("row %d: body of %d bytes, want a multi-line 200-500", n, l)
	}
	isTicket := rec[1] == "ticket"
	if isTicket != (rec[4] == "") || isTicket == (rec[5] == "") {
		t.Errorf("row %d (%s): priority %q severity %q", n, rec[1], rec[4], rec[5])
	}
	if rec[4] != "" && !slices.Contains(benchPriorities, rec[4]) || rec[5] != "" && !slices.Contains(benchSeverities, rec[5]) {
		t.Errorf("row %d: priority %q severity %q", n, rec[4], rec[5])
	}
	if !ownerPattern.MatchString(rec[6]) || len(rec[6]) == 13 && rec[6][:6] == rec[6][7:] {
		t.Errorf("row %d: owner %q", n, rec[6])
	}
	if !tagsPattern.MatchString(rec[7]) || len(rec[7]) == 11 && rec[7][:5] == rec[7][6:] {
		t.Errorf("row %d: tags %q", n, rec[7])
	}
	if p, err := strconv.Atoi(rec[9]); err != nil || !slices.Contains(benchPoints, p) {
		t.Errorf("row %d: points %q", n, rec[9])
	}
	if rec[10] != "PROD-1" && rec[10] != "PROD-2" {
		t.Errorf("row %d: part %q", n, rec[10])
	}
}

func TestWriteCSV(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "works.csv")
	const rows = 300
	if err := writeCSV(path, rows, 7); err != nil {
		t.Fatal(err)
	}
	records, _ := readCSV(t, path)
	if !slices.Equal(records[0], benchHeader) {
		t.Fatalf("header %q, want %q", records[0], benchHeader)
	}
	if len(records) != rows+1 {
		t.Fatalf("%d records, want %d", len(records), rows+1)
	}
	quoted := 0
	for n, rec := range records[1:] {
		checkBenchRow(t, n+1, rec)
		if _, err := time.Parse(csvDueLayout, rec[8]); err != nil {
			t.Errorf("row %d: due %q: %v", n+1, rec[8], err)
		}
		if strings.Contains(rec[3], `"`) {
			quoted++
		}
	}
	if quoted == 0 {
		t.Error("no body has a quote")
	}

	// Deterministic: the same seed gives the same bytes, another seed not.
	again := filepath.Join(dir, "again.csv")
	other := filepath.Join(dir, "other.csv")
	if err := writeCSV(again, rows, 7); err != nil {
		t.Fatal(err)
	}
	if err := writeCSV(other, rows, 8); err != nil {
		t.Fatal(err)
	}
	a, b, c := readBytes(t, path), readBytes(t, again), readBytes(t, other)
	if !bytes.Equal(a, b) {
		t.Error("same seed, different files")
	}
	if bytes.Equal(a, c) {
		t.Error("different seeds, same file")
	}
}

func readBytes(t *testing.T, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestWriteXLSX(t *testing.T) {
	path := filepath.Join(t.TempDir(), "works.xlsx")
	const rows = 200
	if err := writeXLSX(path, rows, 7); err != nil {
		t.Fatal(err)
	}
	f, err := excelize.OpenFile(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if got := f.GetSheetList(); !slices.Equal(got, []string{"Works"}) {
		t.Fatalf("sheets %q", got)
	}
	all, err := f.GetRows("Works", excelize.Options{RawCellValue: true})
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(all[0], benchHeader) {
		t.Fatalf("header %q", all[0])
	}
	if len(all) != rows+1 {
		t.Fatalf("%d rows, want %d", len(all), rows+1)
	}
	g := newGenerator(7) // the CSV with the same seed has the same works
	for n := 1; n <= rows; n++ {
		rec := all[n]
		for len(rec) < len(benchHeader) {
			rec = append(rec, "")
		}
		checkBenchRow(t, n, rec)
		want := g.row(n)
		if rec[2] != want.Title || rec[3] != want.Body {
			t.Errorf("row %d: title/body differ from the generator", n)
		}
		serial, err := strconv.ParseFloat(rec[8], 64)
		if err != nil {
			t.Fatalf("row %d: due %q is not a date serial", n, rec[8])
		}
		if due, err := excelize.ExcelDateToTime(serial, false); err != nil || due.Sub(want.Due).Abs() > time.Second {
			t.Errorf("row %d: due %v, want %v", n, due, want.Due)
		}
	}
	style, err := f.GetCellStyle("Works", "I2")
	if err != nil {
		t.Fatal(err)
	}
	st, err := f.GetStyle(style)
	if err != nil {
		t.Fatal(err)
	}
	if st.CustomNumFmt == nil || !strings.Contains(*st.CustomNumFmt, "yyyy") {
		t.Errorf("due cell format %v, want a date format", st.CustomNumFmt)
	}
	if typ, _ := f.GetCellType("Works", "J2"); typ != excelize.CellTypeUnset {
		t.Errorf("story points cell type %v, want a number", typ)
	}
}

func TestBenchMappingCoversHeader(t *testing.T) {
	for _, kind := range []string{"csv", "xlsx"} {
		var m sampleMapping
		dec := yaml.NewDecoder(strings.NewReader(benchMapping(kind)))
		dec.KnownFields(true)
		if err := dec.Decode(&m); err != nil {
			t.Fatalf("%s: %v", kind, err)
		}
		var cols []string
		for c := range m.Columns {
			cols = append(cols, c)
		}
		slices.Sort(cols)
		want := slices.Sorted(slices.Values(benchHeader))
		if !slices.Equal(cols, want) {
			t.Errorf("%s: mapped columns %q, want %q", kind, cols, want)
		}
		if m.Key != "External ID" {
			t.Errorf("%s: key %q", kind, m.Key)
		}
		var due struct {
			Format string `yaml:"format"`
		}
		node := m.Columns["Due"]
		if node.Kind == yaml.MappingNode {
			if err := node.Decode(&due); err != nil {
				t.Fatal(err)
			}
		}
		if want := map[string]string{"csv": csvDueLayout, "xlsx": ""}[kind]; due.Format != want {
			t.Errorf("%s: Due format %q, want %q", kind, due.Format, want)
		}
	}
}

func TestRun(t *testing.T) {
	dir := t.TempDir()
	tests := []struct {
		name       string
		args       []string
		wantErr    string
		wantStdout string // substring
		wantStderr string // substring
		files      []string
	}{
		{name: "no subcommand", wantErr: "usage"},
		{name: "unknown", args: []string{"json"}, wantErr: `unknown subcommand "json"`},
		{name: "missing out", args: []string{"csv", "-rows", "3"}, wantErr: "usage"},
		{name: "negative rows", args: []string{"csv", "-rows", "-1", "-out", filepath.Join(dir, "x.csv")}, wantErr: "usage"},
		{name: "bad flag", args: []string{"xlsx", "-nope"}, wantErr: "not defined"},
		{
			name:       "csv with mapping next to it",
			args:       []string{"csv", "-rows", "5", "-out", filepath.Join(dir, "a.csv")},
			wantStdout: "wrote 5 rows, ",
			files:      []string{"a.csv", "a.csv.yaml"},
		},
		{
			name:       "xlsx with mapping on stdout",
			args:       []string{"xlsx", "-rows", "4", "-out", filepath.Join(dir, "b.xlsx"), "-mapping", "-"},
			wantStdout: "key: External ID",
			wantStderr: "wrote 4 rows, ",
			files:      []string{"b.xlsx"},
		},
		{
			name:       "mapping elsewhere",
			args:       []string{"csv", "-rows", "2", "-out", filepath.Join(dir, "c.csv"), "-mapping", filepath.Join(dir, "c-map.yaml")},
			wantStdout: "wrote mapping to " + filepath.Join(dir, "c-map.yaml"),
			files:      []string{"c.csv", "c-map.yaml"},
		},
		{
			name:       "samples",
			args:       []string{"samples", "-dir", dir},
			wantStdout: filepath.Join(dir, "opportunities.xlsx"),
			files:      []string{"tickets.xlsx", "issues.xlsx", "tasks.xlsx", "opportunities.xlsx"},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			err := run(tc.args, &stdout, &stderr)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("err = %v, want it to contain %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !strings.Contains(stdout.String(), tc.wantStdout) {
				t.Errorf("stdout %q lacks %q", stdout.String(), tc.wantStdout)
			}
			if !strings.Contains(stderr.String(), tc.wantStderr) {
				t.Errorf("stderr %q lacks %q", stderr.String(), tc.wantStderr)
			}
			for _, name := range tc.files {
				if info, err := os.Stat(filepath.Join(dir, name)); err != nil || info.Size() == 0 {
					t.Errorf("%s: %v", name, err)
				} else if info.Mode().Perm()&0o111 != 0 {
					t.Errorf("%s: mode %v, want no executable bits", name, info.Mode().Perm())
				}
			}
		})
	}
}

// BenchmarkWriteCSV measures generating a CSV (per row).
func BenchmarkWriteCSV(b *testing.B) {
	path := filepath.Join(b.TempDir(), "bench.csv")
	b.ReportAllocs()
	for b.Loop() {
		if err := writeCSV(path, 10000, 1); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*10000), "ns/row")
}

// BenchmarkWriteXLSX measures streaming an XLSX (per row).
func BenchmarkWriteXLSX(b *testing.B) {
	path := filepath.Join(b.TempDir(), "bench.xlsx")
	b.ReportAllocs()
	for b.Loop() {
		if err := writeXLSX(path, 10000, 1); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*10000), "ns/row")
}

// TestShareStrings: -shared-strings gives the same cells as the inline
// file, every text cell referring to the table (as Excel saves it), each
// distinct text stored once.
func TestShareStrings(t *testing.T) {
	dir := t.TempDir()
	inline, shared := filepath.Join(dir, "inline.xlsx"), filepath.Join(dir, "shared.xlsx")
	var out bytes.Buffer
	for _, p := range []string{inline, shared} {
		if err := generate("xlsx", p, "", 300, 3, p == shared, &out, &out); err != nil {
			t.Fatal(err)
		}
	}
	rows := func(p string) [][]string {
		f, err := excelize.OpenFile(p)
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		all, err := f.GetRows("Works", excelize.Options{RawCellValue: true})
		if err != nil {
			t.Fatal(err)
		}
		return all
	}
	a, b := rows(inline), rows(shared)
	if len(a) != 301 || !slices.EqualFunc(a, b, slices.Equal) {
		t.Fatalf("%d rows inline, %d shared, or different cells", len(a), len(b))
	}
	zr, err := zip.OpenReader(shared)
	if err != nil {
		t.Fatal(err)
	}
	defer zr.Close()
	parts := map[string]string{}
	for _, zf := range zr.File {
		rc, err := zf.Open()
		if err != nil {
			t.Fatal(err)
		}
		data, err := io.ReadAll(rc)
		rc.Close()
		if err != nil {
			t.Fatal(err)
		}
		parts[zf.Name] = string(data)
	}
	sheet, sst := parts["xl/worksheets/sheet1.xml"], parts["xl/sharedStrings.xml"]
	if strings.Contains(sheet, "inlineStr") || !strings.Contains(sheet, `t="s"`) {
		t.Error("the sheet still has inline strings, or no shared ones")
	}
	if strings.Count(sst, "<si>") >= strings.Count(sheet, `t="s"`) || strings.Count(sst, "<si><t>issue</t></si>") != 1 {
		t.Errorf("texts are not stored once: %d items for %d cells", strings.Count(sst, "<si>"), strings.Count(sheet, `t="s"`))
	}
	if !strings.Contains(parts["[Content_Types].xml"], "/xl/sharedStrings.xml") || !strings.Contains(parts["xl/_rels/workbook.xml.rels"], `Target="sharedStrings.xml"`) {
		t.Error("the table is not declared in the package")
	}
}
