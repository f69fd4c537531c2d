package source

import (
	"reflect"
	"strings"
	"testing"

	"github.com/xuri/excelize/v2"
)

// TestHeaderRow: a report export with a title, its filters and a blank
// line above the header reads from Options.HeaderRow: the rows above are
// skipped whatever they hold (a stray quote included), the data rows keep
// the numbers the file shows, and Count agrees with what is read.
func TestHeaderRow(t *testing.T) {
	csvFile := writeFile(t, "report.csv", "Ticket report\n\"Filtered by: owner = \"\"me\"\n\nid,title\nA,one\nB,two\n")
	book := saveBook(t, func(f *excelize.File) {
		must(t, f.SetCellValue("Sheet1", "A1", "Ticket report"))
		must(t, f.SetCellValue("Sheet1", "A2", "Filtered by: owner = me"))
		must(t, f.SetSheetRow("Sheet1", "A4", &[]any{"id", "title"}))
		must(t, f.SetSheetRow("Sheet1", "A5", &[]any{"A", "one"}))
		must(t, f.SetSheetRow("Sheet1", "A6", &[]any{"B", "two"}))
	})
	for _, tc := range []struct {
		path  string
		first int    // Row.Number of the first data row
		where string // of the second
	}{
		{csvFile, 4, "report.csv:6"},
		{book, 5, "Sheet1!6"},
	} {
		r, err := Open(tc.path, Options{HeaderRow: 4})
		if err != nil {
			t.Fatalf("%s: %v", tc.path, err)
		}
		if got := r.Header(); !reflect.DeepEqual(got, []string{"id", "title"}) {
			t.Errorf("%s: header %q", tc.path, got)
		}
		rows, err := readAll(t, r)
		if err != nil {
			t.Fatal(err)
		}
		if len(rows) != 2 || rows[0].Cells[1].Value != "one" || rows[1].Cells[0].Value != "B" {
			t.Fatalf("%s: rows %+v", tc.path, rows)
		}
		if rows[0].Number != tc.first || !strings.HasSuffix(r.Where(rows[1].Number, -1), tc.where) {
			t.Errorf("%s: first row %d, second at %s; want %d and %s", tc.path, rows[0].Number, r.Where(rows[1].Number, -1), tc.first, tc.where)
		}
		r.Close()
	}
	if n, err := Count(csvFile, Options{HeaderRow: 4}); n != 2 || err != nil {
		t.Errorf("Count = %d, %v; want 2", n, err)
	}
	// Past the end: one message naming the option.
	for _, p := range []string{csvFile, book} {
		if _, err := Open(p, Options{HeaderRow: 40}); err == nil || !strings.Contains(err.Error(), "--header-row 40") {
			t.Errorf("%s: header row 40: err %v", p, err)
		}
	}
	// Without it the title is the header, as before.
	r, err := Open(csvFile, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	if got := r.Header(); !reflect.DeepEqual(got, []string{"Ticket report"}) {
		t.Errorf("no header row: header %q", got)
	}
}
