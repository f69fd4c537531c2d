package source

import (
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
	"unicode/utf16"

	"github.com/xuri/excelize/v2"
)

// writeFile writes content to name in a fresh temp dir and returns its path.
func writeFile(t testing.TB, name, content string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// readAll reads every row; it stops at the first error that is not io.EOF.
func readAll(t testing.TB, r Reader) ([]Row, error) {
	t.Helper()
	var rows []Row
	for {
		row, err := r.Next()
		if err == io.EOF {
			return rows, nil
		}
		if err != nil {
			return rows, err
		}
		rows = append(rows, row)
		if len(rows) > 1e6 {
			t.Fatal("runaway reader")
		}
	}
}

// values returns the cell values of each row.
func values(rows []Row) [][]string {
	out := [][]string{}
	for _, r := range rows {
		var vs []string
		for _, c := range r.Cells {
			vs = append(vs, c.Value)
		}
		out = append(out, vs)
	}
	return out
}

// numbers returns the Number of each row.
func numbers(rows []Row) []int {
	var out []int
	for _, r := range rows {
		out = append(out, r.Number)
	}
	return out
}

// rowErrs returns, for each row, its error text ("" when valid).
func rowErrs(rows []Row) []string {
	var out []string
	for _, r := range rows {
		if r.Err == nil {
			out = append(out, "")
			continue
		}
		var re *RowError
		if !errors.As(r.Err, &re) {
			out = append(out, "NOT A RowError: "+r.Err.Error())
			continue
		}
		out = append(out, r.Err.Error())
	}
	return out
}

func utf16LE(s string, bom bool) string {
	var b []byte
	if bom {
		b = append(b, 0xFF, 0xFE)
	}
	for _, u := range utf16.Encode([]rune(s)) {
		b = append(b, byte(u), byte(u>>8))
	}
	return string(b)
}

func utf16BE(s string) string {
	b := []byte{0xFE, 0xFF}
	for _, u := range utf16.Encode([]rune(s)) {
		b = append(b, byte(u>>8), byte(u))
	}
	return string(b)
}

func TestCSVRead(t *testing.T) {
	tests := []struct {
		name    string
		content string
		opt     Options
		header  []string
		rows    [][]string
		numbers []int
		errs    []string // per row: substring of the error ("" = valid)
	}{
		{
			name:    "utf-8 BOM and CRLF",
			content: "\xEF\xBB\xBFTitle,Priority\r\nA,High\r\nB,Low\r\n",
			header:  []string{"Title", "Priority"},
			rows:    [][]string{{"A", "High"}, {"B", "Low"}},
			numbers: []int{2, 3},
		},
		{
			name:    "quoted commas, doubled quotes and newlines",
			content: "Title,Body\n\"a, b\",\"say \"\"hi\"\"\r\nline 2\"\nc,d",
			header:  []string{"Title", "Body"},
			rows:    [][]string{{"a, b", "say \"hi\"\nline 2"}, {"c", "d"}},
			numbers: []int{2, 3},
		},
		{
			name:    "semicolon detected",
			content: "Title;Amount\nA;12,50\n",
			header:  []string{"Title", "Amount"},
			rows:    [][]string{{"A", "12,50"}},
		},
		{
			name:    "tab detected",
			content: "Title\tNote\nA\tx, y\n",
			header:  []string{"Title", "Note"},
			rows:    [][]string{{"A", "x, y"}},
		},
		{
			name:    "pipe detected",
			content: "Title|Note|Tags\nA|x;y|t1,t2\n",
			header:  []string{"Title", "Note", "Tags"},
			rows:    [][]string{{"A", "x;y", "t1,t2"}},
		},
		{
			name:    "delimiter inside quotes of the header is not counted",
			content: "\"a;b;c;d\",e\n1,2\n",
			header:  []string{"a;b;c;d", "e"},
			rows:    [][]string{{"1", "2"}},
		},
		{
			name:    "explicit delimiter wins over detection",
			content: "a,b;c\n1,2;3\n",
			opt:     Options{Delimiter: ';'},
			header:  []string{"a,b", "c"},
			rows:    [][]string{{"1,2", "3"}},
		},
		{
			name:    "ragged rows are invalid, the read goes on",
			content: "A,B,C\n1,2\n1,2,3,4\n5,6,7\n",
			header:  []string{"A", "B", "C"},
			rows:    [][]string{{"1", "2", ""}, {"1", "2", "3"}, {"5", "6", "7"}},
			errs:    []string{"f.csv:2: has 2 fields, header has 3", "f.csv:3: has 4 fields, header has 3", ""},
		},
		{
			name:    "invalid UTF-8 names the line and column",
			content: "Title,Body\nok,fine\n\"multi\nline\",caf\xe9\n",
			opt:     Options{Encoding: "utf-8"}, // no sniffing for windows-1252
			header:  []string{"Title", "Body"},
			rows:    [][]string{{"ok", "fine"}, {"multi\nline", "caf\xe9"}},
			errs:    []string{"", `f.csv:4 column "Body": invalid UTF-8 (file is not UTF-8; try --encoding windows-1252)`},
		},
		{
			name:    "windows-1252",
			content: "Title,Price\nCaf\xe9,\x8050\n",
			opt:     Options{Encoding: "windows-1252"},
			header:  []string{"Title", "Price"},
			rows:    [][]string{{"Café", "€50"}},
		},
		{
			name:    "UTF-16 LE with BOM detected",
			content: utf16LE("Title,Owner\r\nÜber,Zoë\r\n", true),
			header:  []string{"Title", "Owner"},
			rows:    [][]string{{"Über", "Zoë"}},
		},
		{
			name:    "UTF-16 BE with BOM detected",
			content: utf16BE("Title\n日本\n"),
			header:  []string{"Title"},
			rows:    [][]string{{"日本"}},
		},
		{
			name:    "UTF-16 without BOM by option",
			content: utf16LE("Title;X\nä;1\n", false),
			opt:     Options{Encoding: "UTF-16"},
			header:  []string{"Title", "X"},
			rows:    [][]string{{"ä", "1"}},
		},
		{
			name:    "our own errors CSV columns are dropped",
			content: "_row,_error,Title,Priority\n7,\"bad priority\",A,Urgent\n",
			header:  []string{"Title", "Priority"},
			rows:    [][]string{{"A", "Urgent"}},
		},
		{
			name:    "header trimmed, empty header named after its column",
			content: " Title ,,Priority\nA,x,High\n",
			header:  []string{"Title", "column B", "Priority"},
			rows:    [][]string{{"A", "x", "High"}},
		},
		{
			name:    "blank rows skipped but counted as records",
			content: "a,b\n\n1,2\n,\n  , \n\n3,4\n,,\n\n",
			header:  []string{"a", "b"},
			rows:    [][]string{{"1", "2"}, {"3", "4"}},
			numbers: []int{2, 5},
		},
		{
			name:    "max cell bytes",
			content: "a,b\n12345,x\n1234,y\n",
			opt:     Options{MaxCellBytes: 4},
			header:  []string{"a", "b"},
			rows:    [][]string{{"12345", "x"}, {"1234", "y"}},
			errs:    []string{`f.csv:2 column "a": cell is 5 bytes, over the limit of 4`, ""},
		},
		{
			name:    "duplicate header allowed for a list field",
			content: "Title,Tags,Tags\nA,t1,t2\n",
			opt:     Options{AllowDuplicate: func(h string) bool { return h == "Tags" }},
			header:  []string{"Title", "Tags", "Tags"},
			rows:    [][]string{{"A", "t1", "t2"}},
		},
		{
			// Its cells are kept as read, for the errors CSV.
			name:    "bare quote makes that row invalid only",
			content: "a,b\n1,2\nx\"y,3\n4,5\n",
			header:  []string{"a", "b"},
			rows:    [][]string{{"1", "2"}, {"x\"y", "3"}, {"4", "5"}},
			errs:    []string{"", `f.csv:3: line 3, column 2: bare " in non-quoted-field`, ""},
		},
		{
			name:    "text after a closing quote makes that row invalid only",
			content: "a,b\n\"x\"y,1\n2,3\n",
			header:  []string{"a", "b"},
			rows:    [][]string{{"", ""}, {"2", "3"}},
			errs:    []string{`f.csv:2: line 2, column 3: extraneous or missing " in quoted-field`, ""},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p := writeFile(t, "f.csv", tc.content)
			r, err := OpenCSV(p, tc.opt)
			if err != nil {
				t.Fatalf("OpenCSV: %v", err)
			}
			defer r.Close()
			if got := r.Header(); !reflect.DeepEqual(got, tc.header) {
				t.Errorf("header = %q, want %q", got, tc.header)
			}
			rows, err := readAll(t, r)
			if err != nil {
				t.Fatalf("Next: %v", err)
			}
			if got := values(rows); !reflect.DeepEqual(got, tc.rows) {
				t.Errorf("rows = %q, want %q", got, tc.rows)
			}
			if tc.numbers != nil && !reflect.DeepEqual(numbers(rows), tc.numbers) {
				t.Errorf("numbers = %v, want %v", numbers(rows), tc.numbers)
			}
			errs := rowErrs(rows)
			for i := range rows {
				want := ""
				if tc.errs != nil {
					want = tc.errs[i]
				}
				switch {
				case want == "" && errs[i] != "":
					t.Errorf("row %d: unexpected error %q", i, errs[i])
				case want != "" && !strings.Contains(strings.ReplaceAll(errs[i], p, "f.csv"), want):
					t.Errorf("row %d: error %q, want it to contain %q", i, errs[i], want)
				}
			}
			for _, row := range rows {
				for _, c := range row.Cells {
					if c.Kind != Text {
						t.Errorf("CSV cell %q has kind %v", c.Value, c.Kind)
					}
				}
			}
		})
	}
}

// TestHeaderOnly: a header without data rows (an empty nightly delta) is a
// file of 0 rows, not an error, in both readers.
func TestHeaderOnly(t *testing.T) {
	book := saveBook(t, func(f *excelize.File) { must(t, f.SetSheetRow("Sheet1", "A1", &[]any{"Title", "Priority"})) })
	for name, p := range map[string]string{
		"csv":                 writeFile(t, "h.csv", "Title,Priority\n"),
		"csv with blank rows": writeFile(t, "hb.csv", "Title,Priority\n,\n\n"),
		"xlsx":                book,
	} {
		t.Run(name, func(t *testing.T) {
			r, err := Open(p, Options{})
			if err != nil {
				t.Fatalf("Open: %v", err)
			}
			defer r.Close()
			if got := r.Header(); !slices.Equal(got, []string{"Title", "Priority"}) {
				t.Errorf("header %q", got)
			}
			for range 2 {
				if row, err := r.Next(); err != io.EOF {
					t.Fatalf("Next = %+v, %v; want io.EOF", row, err)
				}
			}
		})
	}
}

func TestCSVFileErrors(t *testing.T) {
	dir := t.TempDir()
	tests := []struct {
		name    string
		path    string // used when content is ""
		content string
		opt     Options
		want    string
	}{
		{name: "empty", content: "\x00"[:0], want: "the file is empty"},
		{name: "only blank lines", content: "\n\r\n\n", want: "no header"},
		{name: "directory", path: dir, want: "is a directory"},
		{name: "missing", path: filepath.Join(dir, "nope.csv"), want: "cannot read the file"},
		{name: "zip", content: "PK\x03\x04rest of an xlsx", want: ".xlsx"},
		{name: "old xls", content: "\xD0\xCF\x11\xE0\xA1\xB1\x1A\xE1junk", want: "old binary .xls"},
		{name: "NUL in header", content: "a\x00b,c\n1,2\n", want: "NUL bytes"},
		{name: "UTF-16 without BOM read as UTF-8", content: utf16LE("Title,X\n1,2\n", false), want: "NUL bytes"},
		{name: "invalid UTF-8 header", content: "Caf\xe9,b\n1,2\n", want: "--encoding windows-1252"},
		{name: "windows-1252 in a row", content: "Title,b\nok,1\nCaf\xe9 \x93x\x94,2\n", want: "looks like windows-1252: pass --encoding windows-1252 (line 3 is not valid UTF-8)"},
		{name: "duplicate header", content: "Title,Tags,tags\nA,1,2\n", want: `header "tags" appears twice, in columns B and C`},
		{name: "duplicate refused by AllowDuplicate", content: "Tags,Title,Tags\nA,1,2\n", opt: Options{AllowDuplicate: func(h string) bool { return h == "Title" }}, want: `columns A and C`},
		{name: "only _row and _error", content: "_row,_error\n1,x\n", want: "no columns besides"},
		{name: "unknown encoding", content: "a\n1\n", opt: Options{Encoding: "ebcdic"}, want: "unknown encoding"},
		{name: "bad delimiter", content: "a\n1\n", opt: Options{Delimiter: '"'}, want: "cannot be the field delimiter"},
		{name: "broken header quote", content: "\"a,b\n", want: "header is not valid CSV"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p := tc.path
			if p == "" {
				p = writeFile(t, "in.csv", tc.content)
			}
			r, err := OpenCSV(p, tc.opt)
			if err == nil {
				r.Close()
				t.Fatal("OpenCSV succeeded")
			}
			var fe *FileError
			if !errors.As(err, &fe) || fe.Path != p {
				t.Fatalf("error %T %v is not a FileError for %s", err, err, p)
			}
			if !strings.Contains(err.Error(), tc.want) || !strings.HasPrefix(err.Error(), p+": ") {
				t.Errorf("error %q, want %q in it, prefixed by the path", err, tc.want)
			}
		})
	}
}

// openRead writes content to f.csv, opens it with opt and reads every
// row; the reader stays open until the test ends (for Where).
func openRead(t *testing.T, content string, opt Options) (Reader, []Row, string) {
	t.Helper()
	p := writeFile(t, "f.csv", content)
	r, err := OpenCSV(p, opt)
	if err != nil {
		t.Fatalf("OpenCSV: %v", err)
	}
	t.Cleanup(func() { r.Close() })
	rows, err := readAll(t, r)
	if err != nil {
		t.Fatal(err)
	}
	return r, rows, p
}

// strayQuoteCSV is a 40-line file in which a stray quote at the start of
// line 6's body and a quote at the end of line 30 merge lines 6 to 30 into
// one cell: 15 records instead of 39, each of the right width.
func strayQuoteCSV() string {
	var b strings.Builder
	b.WriteString("id,title,body\n")
	for i := 1; i <= 39; i++ {
		switch i {
		case 5:
			fmt.Fprintf(&b, "%d,Title %d,\"Body %d starts with a quote\n", i, i, i)
		case 29:
			fmt.Fprintf(&b, "%d,Title %d,Body %d ends with one\"\n", i, i, i)
		default:
			fmt.Fprintf(&b, "%d,Title %d,Body %d\n", i, i, i)
		}
	}
	return b.String()
}

// TestCSVEmbeddedRows: a cell whose lines look like records of the file
// (a stray quote merged them) makes its row invalid, naming the line where
// the quote opened; legitimate multi-line cells, also with commas, pass;
// AllowEmbeddedRows accepts the merged cell.
func TestCSVEmbeddedRows(t *testing.T) {
	tests := []struct {
		name    string
		content string
		opt     Options
		rows    int
		bad     map[int]string // row index -> error substring
	}{
		{name: "a stray quote merges 25 lines", content: strayQuoteCSV(), rows: 15,
			bad: map[int]string{4: `f.csv:6 column "body": the quoted cell that starts here spans 25 lines, 24 of which look like rows of this file (2 delimiters, as the header has)`}},
		{name: "accepted with AllowEmbeddedRows", content: strayQuoteCSV(), opt: Options{AllowEmbeddedRows: true}, rows: 15},
		{name: "multi-line addresses", rows: 2,
			content: "name,address,city\nAda,\"12 Main St\nFlat 3, 2nd floor\nSpringfield, IL 62704\",Springfield\nBob,\"1 High St\nLondon\",London\n"},
		{name: "a description with commas on one line", rows: 1,
			content: "id,title,body\n1,T,\"Steps: open the app, tap Sign in\nExpected: it works\nActual: it does not, see, the log\"\n"},
		{name: "a single column holds any lines", rows: 1, content: "body\n\"a\nb\nc\"\n"},
		{name: "semicolon file", rows: 2, content: "a;b\n1;\"x;y\nz;w\nv\"\n2;3\n",
			bad: map[int]string{0: `f.csv:2 column "b": the quoted cell that starts here spans 3 lines, 2 of which look like rows`}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, rows, p := openRead(t, tc.content, tc.opt)
			if len(rows) != tc.rows {
				t.Fatalf("%d rows, want %d", len(rows), tc.rows)
			}
			for i, e := range rowErrs(rows) {
				e = strings.ReplaceAll(e, p, "f.csv")
				want := tc.bad[i]
				if (want == "") != (e == "") || !strings.Contains(e, want) {
					t.Errorf("row %d: error %q, want %q", i, e, want)
				}
			}
		})
	}
}

// TestCSVWindows1252Sniff: only the first MiB decides, a byte Windows-1252
// leaves undefined is not taken for it, and an explicit encoding skips the
// sniff (a UTF-8 BOM does not: TestCSVLyingBOM).
func TestCSVWindows1252Sniff(t *testing.T) {
	pad := "Title,b\n" + strings.Repeat("plain ascii row,1\n", sniffBytes/18+1)
	tests := []struct {
		name    string
		content string
		opt     Options
		rowErr  string // the error of the last row; "" for none
	}{
		{name: "invalid UTF-8 after the first MiB is a row error", content: pad + "Caf\xe9,2\n", rowErr: "invalid UTF-8"},
		{name: "a multi-byte rune cut at the first MiB is not invalid", content: pad[:sniffBytes-1] + "é,2\n" + "x,3\n"},
		{name: "an undefined Windows-1252 byte", content: "Title,b\nCaf\xe9\x81,2\n", rowErr: "invalid UTF-8"},
		{name: "explicit utf-8", content: "Title,b\nCaf\xe9,2\n", opt: Options{Encoding: "utf-8"}, rowErr: "invalid UTF-8"},
		{name: "utf-8 BOM, an undefined Windows-1252 byte", content: "\xEF\xBB\xBFTitle,b\nCaf\xe9\x81,2\n", rowErr: "invalid UTF-8"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, rows, _ := openRead(t, tc.content, tc.opt)
			last := rowErrs(rows)[len(rows)-1]
			if (tc.rowErr == "") != (last == "") || !strings.Contains(last, tc.rowErr) {
				t.Errorf("last row's error %q, want %q", last, tc.rowErr)
			}
		})
	}
}

func TestCSVUnterminatedQuoteIsFileError(t *testing.T) {
	p := writeFile(t, "f.csv", "a,b\n1,2\n\"x,2\n3,4\n5,6\n")
	r, err := OpenCSV(p, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	rows, err := readAll(t, r)
	var fe *FileError
	if !errors.As(err, &fe) || !strings.Contains(err.Error(), "line 3: a quoted field starts here and never ends") {
		t.Fatalf("err = %v, want a FileError about line 3", err)
	}
	if len(rows) != 1 || rows[0].Number != 2 {
		t.Errorf("rows before the error = %v", values(rows))
	}
	if _, err := r.Next(); !errors.As(err, &fe) {
		t.Errorf("Next after a FileError = %v, want the same error again", err)
	}
}

func TestCSVWhere(t *testing.T) {
	// Record 2 spans lines 2-4; a blank line follows; record 3 is on line 6.
	p := writeFile(t, "tickets.csv", "Title,Priority,,_error\n\"multi\nline\nbody\",High,x,e\n\nB,Low,y,e\n")
	r, err := OpenCSV(p, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	rows, err := readAll(t, r)
	if err != nil {
		t.Fatal(err)
	}
	if got := numbers(rows); !reflect.DeepEqual(got, []int{2, 3}) {
		t.Fatalf("numbers = %v", got)
	}
	tests := []struct {
		row, col int
		want     string
	}{
		{2, 1, p + `:2 column "Priority"`},
		{3, 1, p + `:6 column "Priority"`},
		{3, 0, p + `:6 column "Title"`},
		{3, -1, p + `:6`},
		{3, 2, p + `:6 column C`},
		{1, -1, p + `:1`},
		{99, 0, p + ` row 99 column "Title"`},
	}
	for _, tc := range tests {
		if got := r.Where(tc.row, tc.col); got != tc.want {
			t.Errorf("Where(%d, %d) = %q, want %q", tc.row, tc.col, got, tc.want)
		}
	}
}

func TestLineMapBounded(t *testing.T) {
	var m lineMap
	// Every record spans two lines: one point per row.
	n := maxLinePoints + 10
	for i := 1; i <= n; i++ {
		m.add(i, 2*i-1)
	}
	if len(m.points) > maxLinePoints {
		t.Fatalf("%d points kept, limit %d", len(m.points), maxLinePoints)
	}
	if line, ok := m.lookup(n); !ok || line != 2*n-1 {
		t.Errorf("lookup(newest) = %d, %v", line, ok)
	}
	if _, ok := m.lookup(1); ok {
		t.Errorf("lookup of a forgotten row claims to know it")
	}
	if line, ok := m.lookup(n - 100); !ok || line != 2*(n-100)-1 {
		t.Errorf("lookup(recent) = %d, %v", line, ok)
	}
}

func TestCount(t *testing.T) {
	tests := []struct {
		name    string
		content string
		opt     Options
		want    int
	}{
		{"plain", "a,b\n1,2\n3,4\n", Options{}, 2},
		{"no final newline", "a,b\n1,2\n3,4", Options{}, 2},
		{"CRLF and blank lines", "a,b\r\n\r\n1,2\r\n\r\n3,4\r\n\r\n", Options{}, 2},
		{"newlines in quotes", "a,b\n\"x\ny\",\"\"\"\n\"\n3,4\n", Options{}, 2},
		{"header only", "a,b\n", Options{}, 0},
		{"utf-16", utf16LE("a\n1\n2\n3\n", true), Options{}, 3},
		{"Excel's sep= line", "sep=;\r\na;b\r\n1;2\r\n3;4\r\n", Options{}, 2},
		{"lines ended by CR alone", "a,b\r1,2\r\"x\ry\",3\r", Options{}, 2},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := Count(writeFile(t, "f.csv", tc.content), tc.opt)
			if err != nil || got != tc.want {
				t.Errorf("Count = %d, %v; want %d", got, err, tc.want)
			}
		})
	}
	if _, err := Count(t.TempDir(), Options{}); err == nil {
		t.Error("Count of a directory succeeded")
	}
	if n, err := Count(writeFile(t, "f.xlsx", "PK\x03\x04..."), Options{}); n != -1 || err != nil {
		t.Errorf("Count of an xlsx = %d, %v; want -1", n, err)
	}
}

func TestOpenPicksReader(t *testing.T) {
	// A CSV named .txt is read as CSV; a zip named .csv goes to the XLSX
	// reader (and fails there as a damaged workbook, not as CSV).
	r, err := Open(writeFile(t, "f.txt", "a\tb\n1\t2\n"), Options{})
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := r.(*csvReader); !ok {
		t.Errorf("reader %T for a .txt", r)
	}
	r.Close()
	_, err = Open(writeFile(t, "f.csv", "PK\x03\x04 not really a zip"), Options{})
	if err == nil || !strings.Contains(err.Error(), "not an XLSX workbook") && !strings.Contains(err.Error(), "damaged") {
		t.Errorf("zip named .csv: %v", err)
	}
	_, err = Open(writeFile(t, "f.xlsx", "a,b\n1,2\n"), Options{})
	if err == nil || !strings.Contains(err.Error(), "not an XLSX workbook") {
		t.Errorf("text named .xlsx: %v", err)
	}
	_, err = Open(writeFile(t, "f.xls", "\xD0\xCF\x11\xE0\xA1\xB1\x1A\xE1"+strings.Repeat("\x00", 100)), Options{})
	if err == nil || !strings.Contains(err.Error(), "old binary .xls") {
		t.Errorf("xls: %v", err)
	}
	enc := "\xD0\xCF\x11\xE0\xA1\xB1\x1A\xE1" + strings.Repeat("\x00", 70000) + utf16LE("EncryptionInfo", false)
	_, err = Open(writeFile(t, "f.xlsx", enc), Options{})
	if err == nil || !strings.Contains(err.Error(), "password-protected") {
		t.Errorf("encrypted: %v", err)
	}
}

func TestColumnLetters(t *testing.T) {
	for i, want := range map[int]string{0: "A", 25: "Z", 26: "AA", 701: "ZZ", 702: "AAA", 16383: "XFD"} {
		if got := columnLetters(i); got != want {
			t.Errorf("columnLetters(%d) = %q, want %q", i, got, want)
		}
	}
}

// TestRowErrorColumn checks RowError.Column: the cell's header column
// counting from 1 (after dropped _row/_error columns), 0 for the row.
func TestRowErrorColumn(t *testing.T) {
	book := saveBook(t, func(f *excelize.File) {
		must(t, f.SetSheetRow("Sheet1", "A1", &[]any{"_row", "a", "b"}))
		must(t, f.SetSheetRow("Sheet1", "A2", &[]any{2, "x", "12345", "stray"}))
	})
	for _, tc := range []struct {
		name string
		open func() (Reader, error)
		want []int
	}{
		{"csv", func() (Reader, error) {
			return OpenCSV(writeFile(t, "f.csv", "_row,a,b\n2,x,12345,extra\n3,\xff,y\n"), Options{MaxCellBytes: 4, Encoding: "utf-8"})
		}, []int{0, 2, 0, 1}},
		{"xlsx", func() (Reader, error) { return OpenXLSX(book, Options{MaxCellBytes: 4}) }, []int{2, 0}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r, err := tc.open()
			must(t, err)
			defer r.Close()
			rows, err := readAll(t, r)
			must(t, err)
			var got []int
			for _, row := range rows {
				errs := []error{row.Err}
				if j, ok := row.Err.(interface{ Unwrap() []error }); ok {
					errs = j.Unwrap()
				}
				for _, e := range errs {
					var re *RowError
					if !errors.As(e, &re) {
						t.Fatalf("%T %v", e, e)
					}
					got = append(got, re.Column)
				}
			}
			if !reflect.DeepEqual(got, tc.want) {
				t.Errorf("columns = %v, want %v", got, tc.want)
			}
		})
	}
}

// TestCSVInvalidUTF8AcrossReads: a file of several read buffers whose
// text is mostly multi-byte runes (so that reads end inside sequences)
// with invalid bytes in random rows: exactly those rows are invalid, each
// naming its cell; the rest are read whole.
func TestCSVInvalidUTF8AcrossReads(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	var b strings.Builder
	b.WriteString("Title,Body\n")
	bad := map[int]bool{}
	for row := 2; b.Len() < 6*csvBufSize; row++ {
		body := strings.Repeat("é€😀", 1+rng.IntN(40))
		if rng.IntN(50) == 0 {
			cut := rng.IntN(len(body))
			body = body[:cut] + "\x81" + body[cut:] // undefined in Windows-1252 too
			bad[row] = true
		}
		fmt.Fprintf(&b, "t%d,\"%s\n%s\"\n", row, body, body)
	}
	r, err := OpenCSV(writeFile(t, "f.csv", b.String()), Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	rows, err := readAll(t, r)
	if err != nil {
		t.Fatal(err)
	}
	for _, row := range rows {
		switch {
		case bad[row.Number] && (row.Err == nil || !strings.Contains(row.Err.Error(), `column "Body": invalid UTF-8`)):
			t.Fatalf("row %d: err %v, want invalid UTF-8 in Body", row.Number, row.Err)
		case !bad[row.Number] && row.Err != nil:
			t.Fatalf("row %d: %v", row.Number, row.Err)
		}
	}
	if len(bad) < 20 {
		t.Fatalf("only %d bad rows", len(bad))
	}
}

// TestCSVQuirks: Excel's "sep=X" first line names the delimiter and is no
// row (row numbers start at the header after it, as Excel shows them; line
// numbers count it); a file whose lines end with a carriage return alone
// ("CSV (Macintosh)") is read line by line, a quoted cell's CR included.
func TestCSVQuirks(t *testing.T) {
	for _, tc := range []struct {
		name, content string
		opt           Options
		header        []string
		rows          [][]string
		where         string // of the second data row
	}{
		{"sep= line", "sep=;\r\na;b\r\n1;x,y\r\n3;4\r\n", Options{}, []string{"a", "b"}, [][]string{{"1", "x,y"}, {"3", "4"}}, "f.csv:4"},
		{"sep= line, upper case, LF", "SEP=|\na|b\n1|2\n3|4\n", Options{}, []string{"a", "b"}, [][]string{{"1", "2"}, {"3", "4"}}, "f.csv:4"},
		{"sep= line and --delimiter", "sep=;\na,b\n1,2\n3,4\n", Options{Delimiter: ','}, []string{"a", "b"}, [][]string{{"1", "2"}, {"3", "4"}}, "f.csv:4"},
		{"not a sep= line", "sep=ab\n1\n2\n", Options{}, []string{"sep=ab"}, [][]string{{"1"}, {"2"}}, "f.csv:3"},
		{"CR alone", "a,b\r1,\"two\rlines\"\r3,4\r", Options{}, []string{"a", "b"}, [][]string{{"1", "two\nlines"}, {"3", "4"}}, "f.csv:4"},
		{"CR alone and a sep= line", "sep=;\ra;b\r1;2\r3;4", Options{}, []string{"a", "b"}, [][]string{{"1", "2"}, {"3", "4"}}, "f.csv:4"},
		{"CRLF stays CRLF", "a,b\r\n1,\"x\r\ny\"\r\n3,4\r\n", Options{}, []string{"a", "b"}, [][]string{{"1", "x\ny"}, {"3", "4"}}, "f.csv:4"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r, err := OpenCSV(writeFile(t, "f.csv", tc.content), tc.opt)
			if err != nil {
				t.Fatalf("OpenCSV: %v", err)
			}
			defer r.Close()
			if got := r.Header(); !reflect.DeepEqual(got, tc.header) {
				t.Errorf("header %q, want %q", got, tc.header)
			}
			rows, err := readAll(t, r)
			if err != nil {
				t.Fatal(err)
			}
			var got [][]string
			for _, row := range rows {
				var cells []string
				for _, c := range row.Cells {
					cells = append(cells, c.Value)
				}
				got = append(got, cells)
				if row.Err != nil {
					t.Errorf("row %d: %v", row.Number, row.Err)
				}
			}
			if !reflect.DeepEqual(got, tc.rows) {
				t.Fatalf("rows %q, want %q", got, tc.rows)
			}
			if where := r.Where(rows[1].Number, -1); rows[1].Number != 3 || !strings.HasSuffix(where, "/"+tc.where) {
				t.Errorf("second row: number %d at %s, want 3 at %s", rows[1].Number, where, tc.where)
			}
		})
	}
}

// TestCSVLyingBOM: a byte order mark that lies about the text is not
// believed: a UTF-8 BOM before Windows-1252 text is refused as a file
// without one is (half the rows would be imported), and with --encoding
// windows-1252 the BOM is not read as "ï»¿" in the first header; a UTF-16
// BOM before text with no NUL byte (a CSV in UTF-16 has one after every
// ASCII delimiter) is refused, and --encoding utf-8 then reads it.
func TestCSVLyingBOM(t *testing.T) {
	latin := "\xEF\xBB\xBFTitle,b\nCaf\xe9,2\n"
	if _, err := OpenCSV(writeFile(t, "f.csv", latin), Options{}); err == nil || !strings.Contains(err.Error(), "starts with a UTF-8 byte order mark, but looks like windows-1252: pass --encoding windows-1252") {
		t.Errorf("UTF-8 BOM before windows-1252: err %v", err)
	}
	_, rows, _ := openRead(t, latin, Options{Encoding: "windows-1252"})
	if len(rows) != 1 || rows[0].Cells[0].Value != "Café" {
		t.Errorf("--encoding windows-1252: rows %v", values(rows))
	}
	r, err := OpenCSV(writeFile(t, "f.csv", latin), Options{Encoding: "windows-1252"})
	if err != nil {
		t.Fatal(err)
	}
	if h := r.Header(); h[0] != "Title" {
		t.Errorf("header %q: the BOM was read as text", h)
	}
	r.Close()
	for _, bom := range []string{"\xFF\xFE", "\xFE\xFF"} {
		text := bom + "Title,b\nA,2\n"
		if _, err := OpenCSV(writeFile(t, "f.csv", text), Options{}); err == nil || !strings.Contains(err.Error(), "its text is not UTF-16") {
			t.Errorf("%q BOM before UTF-8: err %v", bom, err)
		}
		_, rows, _ := openRead(t, text, Options{Encoding: "utf-8"})
		if len(rows) != 1 || rows[0].Cells[0].Value != "A" {
			t.Errorf("%q BOM, --encoding utf-8: rows %v", bom, values(rows))
		}
	}
}
