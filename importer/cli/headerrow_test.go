package cli

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/xuri/excelize/v2"

	"github.com/devrev-import/devrev-import/importer/simulator"
)

// writeTitled writes a report export of the tickets writeTickets makes,
// with a title, its filters and a blank line above the header (line 4).
func writeTitled(t *testing.T, n int) (csvPath, mappingPath string) {
	t.Helper()
	csvPath, mappingPath = writeTickets(t, n)
	body, err := os.ReadFile(csvPath)
	if err != nil {
		t.Fatal(err)
	}
	titled := append([]byte("Ticket report\n\"Filtered by: owner = \"\"me\"\"\"\n\n"), body...)
	if err := os.WriteFile(csvPath, titled, 0o600); err != nil {
		t.Fatal(err)
	}
	return csvPath, mappingPath
}

// TestHeaderRow: a report export whose header is on line 4 fails with one
// message saying so and what to pass; --header-row or the mapping's
// header_row: read it, an import records it in the checkpoint, and
// report --errors-csv reads the input's cells from the same row on.
func TestHeaderRow(t *testing.T) {
	csvPath, mappingPath := writeTitled(t, 6)
	res := run(t, "", nil, "validate", csvPath, "--mapping", mappingPath)
	if res.code != ExitUsage || !strings.Contains(res.stderr, "the mapped header is on row 4") || !strings.Contains(res.stderr, "--header-row 4") {
		t.Fatalf("exit %d, no hint naming row 4:\n%s", res.code, res.stderr)
	}
	if strings.Contains(res.stderr, "is not in the header") {
		t.Errorf("the hint has every column, yet each is listed too:\n%s", res.stderr)
	}
	if res := run(t, "", nil, "validate", csvPath, "--mapping", mappingPath, "--header-row", "4"); res.code != ExitOK || res.num("valid") != 6 {
		t.Errorf("--header-row 4: exit %d summary %v\n%s", res.code, res.summary, res.stderr)
	}
	mapping, err := os.ReadFile(mappingPath)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(mappingPath, append([]byte("header_row: 4\n"), mapping...), 0o600); err != nil {
		t.Fatal(err)
	}
	sim := startSim(t, simulator.Options{Faults: simulator.Faults{}})
	res = run(t, sim.URL, nil, "import", csvPath, "--mapping", mappingPath)
	if res.code != ExitOK || res.num("created") != 6 {
		t.Fatalf("import with header_row: 4: exit %d summary %v\n%s", res.code, res.summary, res.stderr)
	}
	assertExactlyOnce(t, sim, 6)
	// The checkpoint records it, so report reads the input as the import
	// did.
	ck := csvPath + ".checkpoint.jsonl"
	if first, _, _ := strings.Cut(readFile(t, ck), "\n"); !strings.Contains(first, `"header_row":"4"`) {
		t.Errorf("the checkpoint's header does not record the header row: %s", first)
	}
	out := filepath.Join(t.TempDir(), "errors.csv")
	if rep := run(t, "", nil, "report", ck, "--errors-csv", out); rep.code != ExitOK {
		t.Errorf("report --errors-csv: exit %d\n%s%s", rep.code, rep.stdout, rep.stderr)
	}
}

// TestHeaderRowHintXLSX: the same export as a workbook: the hint names the
// sheet's row, and init --header-row writes header_row: with the columns
// of that row.
func TestHeaderRowHintXLSX(t *testing.T) {
	f := excelize.NewFile()
	rows := [][]any{{"Ticket report"}, {"Filtered by: owner = me"}, nil, {"Ticket ID", "Subject", "Description", "Priority", "Assignee"}}
	for i := 1; i <= 3; i++ {
		rows = append(rows, []any{"ZD-" + strconv.Itoa(i), "Printer " + strconv.Itoa(i), "Line", "High", "DEVU-1"})
	}
	for r, row := range rows {
		if row != nil {
			f.SetSheetRow("Sheet1", "A"+strconv.Itoa(r+1), &row)
		}
	}
	book := filepath.Join(t.TempDir(), "report.xlsx")
	if err := f.SaveAs(book); err != nil {
		t.Fatal(err)
	}
	_, mappingPath := writeTickets(t, 1)
	res := run(t, "", nil, "validate", book, "--mapping", mappingPath)
	if res.code != ExitUsage || !strings.Contains(res.stderr, "the mapped header is on row 4") {
		t.Fatalf("exit %d, no hint naming row 4:\n%s", res.code, res.stderr)
	}
	if res := run(t, "", nil, "validate", book, "--mapping", mappingPath, "--header-row", "4"); res.code != ExitOK || res.num("valid") != 3 {
		t.Errorf("--header-row 4: exit %d summary %v\n%s", res.code, res.summary, res.stderr)
	}
	init := run(t, "", nil, "init", book, "--header-row", "4")
	if init.code != ExitOK || !strings.Contains(init.stdout, "header_row: 4") || !strings.Contains(init.stdout, "Subject: title") {
		t.Errorf("init --header-row 4: exit %d\n%s%s", init.code, init.stdout, init.stderr)
	}
}

// TestInitGuessesTheHeaderRow: init on a report export with a title above
// the header writes header_row: with why, and its mapping validates the
// file; on a file whose first row is the header it writes none.
func TestInitGuessesTheHeaderRow(t *testing.T) {
	csvPath, _ := writeTitled(t, 5)
	res := run(t, "", nil, "init", csvPath)
	if res.code != ExitOK || !strings.Contains(res.stdout, "header_row: 4  # a title above it") {
		t.Fatalf("init: exit %d\n%s%s", res.code, res.stdout, res.stderr)
	}
	mp := filepath.Join(t.TempDir(), "m.yaml")
	if err := os.WriteFile(mp, []byte(res.stdout), 0o600); err != nil {
		t.Fatal(err)
	}
	if v := run(t, "", nil, "validate", csvPath, "--mapping", mp); v.code != ExitOK || v.num("rows") != 5 {
		t.Errorf("validate with init's mapping: exit %d summary %v\n%s", v.code, v.summary, v.stderr)
	}
	plain, _ := writeTickets(t, 5)
	if res := run(t, "", nil, "init", plain); res.code != ExitOK || strings.Contains(res.stdout, "header_row") {
		t.Errorf("init of a file with its header first: exit %d\n%s", res.code, res.stdout)
	}
}
