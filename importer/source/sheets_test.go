package source

import (
	"fmt"
	"slices"
	"testing"

	"github.com/xuri/excelize/v2"
)

// summaryBook writes a workbook as people send them: a "Summary" sheet
// first, the data on "Issues" (rows header + n), a hidden "Lookups" sheet;
// dim, when not "", is written as the Issues sheet's <dimension>.
func summaryBook(t *testing.T, n int, dim string) string {
	return saveBook(t, func(f *excelize.File) {
		must(t, f.SetSheetName("Sheet1", "Summary"))
		must(t, f.SetSheetRow("Summary", "A1", &[]any{"Report", "Q1"}))
		_, err := f.NewSheet("Issues")
		must(t, err)
		must(t, f.SetSheetRow("Issues", "A1", &[]any{"Summary", "Issue key", "Priority"}))
		for i := 1; i <= n; i++ {
			must(t, f.SetSheetRow("Issues", fmt.Sprintf("A%d", i+1), &[]any{fmt.Sprintf("Issue %d", i), fmt.Sprintf("BILL-%d", i), "High"}))
		}
		if dim != "" {
			must(t, f.SetSheetDimension("Issues", dim))
		}
		_, err = f.NewSheet("Lookups")
		must(t, err)
		must(t, f.SetSheetVisible("Lookups", false))
	})
}

func TestSheetsListsEverySheetInOrder(t *testing.T) {
	got, err := Sheets(summaryBook(t, 3, ""))
	if err != nil {
		t.Fatal(err)
	}
	want := []Sheet{{Name: "Summary"}, {Name: "Issues"}, {Name: "Lookups", Hidden: true}}
	if !slices.Equal(got, want) {
		t.Errorf("Sheets = %+v, want %+v", got, want)
	}
	if got, err := Sheets(writeFile(t, "a.csv", "a,b\n1,2\n")); got != nil || err != nil {
		t.Errorf("a CSV has no sheets: %v, %v", got, err)
	}
}

func TestCountXLSXTrustsOnlyAPlausibleDimension(t *testing.T) {
	issues := Options{Sheet: "issues"}
	for _, tc := range []struct {
		name string
		path string
		opt  Options
		want int
	}{
		{"a real range", summaryBook(t, 40, "A1:C41"), issues, 40},
		{"absolute refs", summaryBook(t, 40, "$A$1:$C$41"), issues, 40},
		{"excelize's A1", summaryBook(t, 40, ""), issues, -1},
		{"one row", summaryBook(t, 40, "A1:C1"), issues, -1},
		{"more rows than the part holds", summaryBook(t, 40, "A1:C900000"), issues, -1},
		{"the first visible sheet is the one counted", summaryBook(t, 40, "A1:C41"), Options{}, -1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			n, err := Count(tc.path, tc.opt)
			if err != nil || n != tc.want {
				t.Errorf("Count = %d, %v; want %d", n, err, tc.want)
			}
		})
	}
}
