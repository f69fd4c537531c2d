package cli

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/devrev-import/devrev-import/importer/simulator"
	"github.com/xuri/excelize/v2"
)

// These tests feed the files users bring (a Jira Cloud export with its
// repeated headers, a header-only nightly delta, workbooks whose first sheet
// is not the data) through cli.Main against the simulator over loopback.

// jiraHeader is the header of a Jira Cloud "Export > CSV (all fields)":
// every multi-value field is one column per value, under the same name.
const jiraHeader = "Summary,Issue key,Watchers,Watchers,Sprint,Sprint,Labels,Labels,Comment,Comment,Attachment,Attachment,Outward issue link (Blocks),Outward issue link (Blocks)\n"

// writeJira writes a two-issue Jira-shaped export into dir.
func writeJira(t *testing.T, dir string) string {
	t.Helper()
	return writeFile(t, dir, "jira.csv", jiraHeader+
		"Printer on fire,BILL-1,alice,bob,Sprint 1,Sprint 2,TAG-1,TAG-2,\"12/Mar/24 3:04 PM;alice;first\",\"13/Mar/24;bob;second\",a.png,b.png,BILL-2,BILL-3\n"+
		"Paper jam,BILL-2,carol,,Sprint 2,,TAG-3,,,,,,,\n")
}

const jiraBase = `type: issue
key: Issue key
columns:
  Summary: title
  Issue key: custom_fields.tnt__external_id
  Labels: tags
defaults:
  applies_to_part: PROD-1
  owned_by: [DEVU-1]
`

func TestJiraRepeatedHeadersIgnoredUnmappedOrListAreFine(t *testing.T) {
	sim := startSim(t, simulator.Options{})
	dir := t.TempDir()
	csvPath := writeJira(t, dir)
	// Watchers and Attachment ignored, Sprint, Comment and the links not
	// mapped at all, Labels a list field whose two columns are combined.
	mappingPath := writeFile(t, dir, "jira.yaml", jiraBase+"ignore: [Watchers, Attachment]\n")
	res := run(t, sim.URL, nil, "import", csvPath, "--mapping", mappingPath)
	if res.code != ExitOK {
		t.Fatalf("exit %d, want 0\n%s", res.code, res.stderr)
	}
	if strings.Contains(res.stderr, "appears") {
		t.Errorf("a repeated header was refused:\n%s", res.stderr)
	}
	for _, col := range []string{"Sprint", "Comment", "Outward issue link (Blocks)"} {
		if n := strings.Count(res.stderr, fmt.Sprintf("column %q is not mapped", col)); n != 1 {
			t.Errorf("column %q: %d warnings, want one:\n%s", col, n, res.stderr)
		}
	}
	wantWorks(t, sim, "BILL-1", "BILL-2")
	for _, w := range sim.Works() {
		var tags []string
		for _, tg := range w.Raw["tags"].([]any) {
			tags = append(tags, fmt.Sprint(tg.(map[string]any)["tag"].(map[string]any)["display_id"]))
		}
		want := map[string][]string{"BILL-1": {"TAG-1", "TAG-2"}, "BILL-2": {"TAG-3"}}[fmt.Sprint(w.CustomFields["tnt__external_id"])]
		if !slices.Equal(tags, want) {
			t.Errorf("%v: tags %q, want %q (both Labels columns)", w.CustomFields["tnt__external_id"], tags, want)
		}
	}
}

func TestJiraRepeatedHeaderMappedToOneValueIsAFileError(t *testing.T) {
	sim := startSim(t, simulator.Options{})
	dir := t.TempDir()
	csvPath := writeJira(t, dir)
	mappingPath := writeFile(t, dir, "jira.yaml", strings.Replace(jiraBase, "  Labels: tags\n", "  Labels: tags\n  Sprint: sprint\n", 1))
	res := run(t, sim.URL, nil, "import", csvPath, "--mapping", mappingPath)
	if res.code != ExitUsage {
		t.Fatalf("exit %d, want 2\n%s", res.code, res.stderr)
	}
	want := csvPath + `: header "Sprint" appears twice, in columns E and F, and feeds a field that holds one value`
	if n := strings.Count(res.stderr, want); n != 1 {
		t.Errorf("stderr has %q %d times, want once:\n%s", want, n, res.stderr)
	}
	if n := len(sim.Works()); n != 0 {
		t.Errorf("%d works created; a file-level error sends nothing", n)
	}
}

func TestRepeatedKeyColumnIsRefused(t *testing.T) {
	dir := t.TempDir()
	csvPath := writeJira(t, dir)
	mappingPath := writeFile(t, dir, "jira.yaml", strings.Replace(jiraBase, "key: Issue key", "key: Watchers", 1))
	res := run(t, "", nil, "validate", csvPath, "--mapping", mappingPath)
	if res.code != ExitUsage || !strings.Contains(res.stderr, `jira.yaml:2:6: key column "Watchers" appears 2 times in the header (columns C and D): a key is one column`) {
		t.Errorf("exit %d, want 2 naming the key:\n%s", res.code, res.stderr)
	}
}

func TestHeaderOnlyFileIsZeroRowsExitZero(t *testing.T) {
	sim := startSim(t, simulator.Options{})
	dir := t.TempDir()
	csvPath := writeFile(t, dir, "delta.csv", "Ticket ID,Subject,Description,Priority,Assignee\n")
	book := excelize.NewFile()
	if err := book.SetSheetRow("Sheet1", "A1", &[]any{"Ticket ID", "Subject", "Description", "Priority", "Assignee"}); err != nil {
		t.Fatal(err)
	}
	xlsxPath := filepath.Join(dir, "delta.xlsx")
	if err := book.SaveAs(xlsxPath); err != nil {
		t.Fatal(err)
	}
	book.Close()
	mappingPath := writeFile(t, dir, "tickets.yaml", ticketMapping)
	for _, in := range []string{csvPath, xlsxPath} {
		for _, cmd := range []string{"validate", "import"} {
			res := run(t, sim.URL, nil, cmd, in, "--mapping", mappingPath)
			if res.code != ExitOK {
				t.Errorf("%s %s: exit %d, want 0\n%s", cmd, filepath.Base(in), res.code, res.stderr)
			}
			if want := in + ": 0 data rows"; !strings.Contains(res.stderr, want) {
				t.Errorf("%s %s: no %q in\n%s", cmd, filepath.Base(in), want, res.stderr)
			}
			if res.num("rows") != 0 || res.num("exit_code") != 0 {
				t.Errorf("%s %s: summary %v", cmd, filepath.Base(in), res.summary)
			}
		}
	}
	if n := len(sim.Works()); n != 0 {
		t.Errorf("%d works created from header-only files", n)
	}
}

// writeSummaryBook writes issues.xlsx: a "Summary" sheet first, the data
// (n issues) on "Issues", with the <dimension> Excel writes.
func writeSummaryBook(t *testing.T, dir string, n int) string {
	t.Helper()
	f := excelize.NewFile()
	defer f.Close()
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(f.SetSheetName("Sheet1", "Summary"))
	must(f.SetSheetRow("Summary", "A1", &[]any{"Open issues", n}))
	must(f.SetSheetRow("Summary", "A2", &[]any{"Exported", "2024-03-01"}))
	_, err := f.NewSheet("Issues")
	must(err)
	must(f.SetSheetRow("Issues", "A1", &[]any{"Summary", "Issue key", "Priority"}))
	for i := 1; i <= n; i++ {
		must(f.SetSheetRow("Issues", fmt.Sprintf("A%d", i+1), &[]any{fmt.Sprintf("Issue %d", i), fmt.Sprintf("BILL-%d", i), "High"}))
	}
	must(f.SetSheetDimension("Issues", fmt.Sprintf("A1:C%d", n+1)))
	p := filepath.Join(dir, "issues.xlsx")
	must(f.SaveAs(p))
	return p
}

const issuesMapping = `type: issue
key: Issue key
columns:
  Summary: title
  Issue key: custom_fields.tnt__external_id
  Priority: {field: priority, values: {High: p1}}
defaults:
  applies_to_part: PROD-1
  owned_by: [DEVU-1]
`

func TestWorkbookWithASummarySheetFirstSaysWhichSheetHasTheData(t *testing.T) {
	dir := t.TempDir()
	book := writeSummaryBook(t, dir, 3)
	plain := writeFile(t, dir, "plain.yaml", issuesMapping)
	withSheet := writeFile(t, dir, "sheet.yaml", "sheet: Issues\n"+issuesMapping)

	hint := book + `: the mapped header is on sheet "Issues", not on "Summary" (the first visible sheet): pass --sheet Issues, or write sheet: Issues in the mapping`
	for _, cmd := range []string{"validate", "import"} {
		res := run(t, "", nil, cmd, book, "--mapping", plain)
		if res.code != ExitUsage || strings.Count(res.stderr, hint) != 1 || strings.Contains(res.stderr, "is not in the header") {
			t.Errorf("%s: exit %d, want 2 with the hint once and nothing else:\n%s", cmd, res.code, res.stderr)
		}
	}
	// --sheet names the sheet read, overriding the mapping's sheet:.
	res := run(t, "", nil, "validate", book, "--mapping", withSheet, "--sheet", "summary")
	if want := `the mapped header is on sheet "Issues", not on "Summary" (the sheet read): pass --sheet Issues`; res.code != ExitUsage || !strings.Contains(res.stderr, want) {
		t.Errorf("--sheet summary: exit %d, want 2 with %q:\n%s", res.code, want, res.stderr)
	}
	for _, args := range [][]string{{"--mapping", plain, "--sheet", "Issues"}, {"--mapping", withSheet}} {
		res := run(t, "", nil, append([]string{"validate", book}, args...)...)
		if res.code != ExitOK || res.num("valid") != 3 {
			t.Errorf("%q: exit %d, valid %d; want 0 and 3:\n%s", args, res.code, res.num("valid"), res.stderr)
		}
	}
	// A sheet that does not exist: the sheets there are, no guess.
	res = run(t, "", nil, "validate", book, "--mapping", plain, "--sheet", "Isues")
	if want := `no sheet "Isues"; the sheets are: "Summary", "Issues"`; res.code != ExitUsage || !strings.Contains(res.stderr, want) || strings.Contains(res.stderr, "mapped header") {
		t.Errorf("--sheet Isues: exit %d, want 2 with %q:\n%s", res.code, want, res.stderr)
	}
	// A mapping that fits the data sheet only in part: its own messages,
	// then the sheet that has the most of its columns.
	other := writeFile(t, dir, "other.yaml", strings.Replace(issuesMapping, "Issue key", "Ticket", -1))
	res = run(t, "", nil, "validate", book, "--mapping", other)
	for _, want := range []string{`column "Summary" is not in the header`, `: sheet "Issues" has 2 of the 4 mapped columns, "Summary" (the first visible sheet) has 0: pass --sheet Issues`} {
		if res.code != ExitUsage || strings.Count(res.stderr, want) != 1 {
			t.Errorf("exit %d, want 2 with %q once:\n%s", res.code, want, res.stderr)
		}
	}
	// One that fits no sheet: no hint.
	none := writeFile(t, dir, "none.yaml", "type: issue\ncolumns: {Title: title, Owner: owned_by}\n")
	res = run(t, "", nil, "validate", book, "--mapping", none)
	if res.code != ExitUsage || strings.Contains(res.stderr, "--sheet") {
		t.Errorf("exit %d, want 2 without a sheet hint:\n%s", res.code, res.stderr)
	}
}

func TestImportProgressTotalFromTheSheetDimension(t *testing.T) {
	// One worker and 30 ms a request: the run lasts over a second, so the
	// bar (redrawn every 250 ms, cleared at the end) is drawn mid-run.
	sim := startSim(t, simulator.Options{Latency: 30 * time.Millisecond})
	dir := t.TempDir()
	book := writeSummaryBook(t, dir, 40)
	mappingPath := writeFile(t, dir, "m.yaml", "sheet: Issues\n"+issuesMapping)
	var stderr bytes.Buffer
	env := Env{Stdout: io.Discard, Stderr: &stderr, IsTerminal: true, Getenv: func(k string) string {
		return map[string]string{"DEVREV_ENDPOINT": sim.URL, "DEVREV_TOKEN": "sandbox-token"}[k]
	}}
	if code := Main(context.Background(), []string{"import", book, "--mapping", mappingPath, "--workers", "1", "--rate", "1000"}, env); code != ExitOK {
		t.Fatalf("exit %d\n%s", code, stderr.String())
	}
	if !strings.Contains(stderr.String(), "/40)") {
		t.Errorf("the bar has no total of 40 rows:\n%q", stderr.String())
	}
	wantN := 40
	if n := len(sim.Works()); n != wantN {
		t.Errorf("%d works, want %d", n, wantN)
	}
}

func TestMappingSaysHowTheCSVIsRead(t *testing.T) {
	dir := t.TempDir()
	// A Windows-1252, semicolon-separated export, as Excel saves "CSV" in
	// much of Europe.
	body := "Summary;Issue key;Priority\nCaf\xe9 au lait;BILL-1;High\nZ\xfcrich office;BILL-2;High\n"
	csvPath := writeFile(t, dir, "eu.csv", body)
	reading := "encoding: windows-1252\ndelimiter: ';'\n"
	m := writeFile(t, dir, "eu.yaml", reading+issuesMapping)
	res := run(t, "", nil, "validate", csvPath, "--mapping", m)
	if res.code != ExitOK || res.num("valid") != 2 {
		t.Fatalf("exit %d valid %d, want 0 and 2:\n%s", res.code, res.num("valid"), res.stderr)
	}
	// Flags override the mapping: read as UTF-8 the file is refused.
	res = run(t, "", nil, "validate", csvPath, "--mapping", m, "--encoding", "utf-8")
	if res.code != ExitRowsFailed || strings.Count(res.stderr, "invalid UTF-8") != 2 {
		t.Errorf("--encoding utf-8: exit %d, want 1, both rows invalid UTF-8:\n%s", res.code, res.stderr)
	}
	res = run(t, "", nil, "validate", csvPath, "--mapping", m, "--delimiter", ",")
	if res.code != ExitUsage || !strings.Contains(res.stderr, `column "Summary" is not in the header`) {
		t.Errorf("--delimiter ,: exit %d, want 2, the header read as one column:\n%s", res.code, res.stderr)
	}
	bad := writeFile(t, dir, "bad.yaml", "encoding: latin-9\ndelimiter: ';;'\n"+issuesMapping)
	res = run(t, "", nil, "validate", csvPath, "--mapping", bad)
	for _, want := range []string{`bad.yaml:1:11: unknown encoding "latin-9"`, `bad.yaml:2:12: delimiter: ";;" is not a single character`} {
		if res.code != ExitUsage || strings.Count(res.stderr, want) != 1 {
			t.Errorf("exit %d, want 2 with %q once:\n%s", res.code, want, res.stderr)
		}
	}
}

func TestReportReadsTheSheetTheImportRead(t *testing.T) {
	sim := startSim(t, simulator.Options{})
	dir := t.TempDir()
	book := writeSummaryBook(t, dir, 3)
	f, err := excelize.OpenFile(book)
	if err != nil {
		t.Fatal(err)
	}
	if err := f.SetCellValue("Issues", "C3", "Weird"); err != nil {
		t.Fatal(err)
	}
	if err := f.Save(); err != nil {
		t.Fatal(err)
	}
	f.Close()
	m := writeFile(t, dir, "m.yaml", "sheet: Issues\n"+issuesMapping)
	ck := filepath.Join(dir, "issues.ck")
	if res := run(t, sim.URL, nil, "import", book, "--mapping", m, "--checkpoint", ck); res.code != ExitRowsFailed || res.num("created") != 2 {
		t.Fatalf("import: exit %d created %d, want 1 and 2:\n%s", res.code, res.num("created"), res.stderr)
	}
	out := filepath.Join(dir, "again.csv")
	res := run(t, "", nil, "report", ck, "--errors-csv", out)
	if res.code != ExitOK || strings.Contains(res.stderr, "warning") {
		t.Fatalf("report: exit %d:\n%s%s", res.code, res.stdout, res.stderr)
	}
	if got := readFile(t, out); !strings.Contains(got, "Issue 2,BILL-2,Weird") {
		t.Errorf("the errors CSV lacks the invalid row of sheet Issues:\n%s", got)
	}
}
