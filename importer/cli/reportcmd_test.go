package cli

import (
	"encoding/csv"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/xuri/excelize/v2"
	"golang.org/x/net/html"

	"github.com/devrev-import/devrev-import/importer/checkpoint"
	"github.com/devrev-import/devrev-import/importer/simulator"
)

// reportMapping maps a part column, so that a row can pass the tool's own
// checks and still be refused by the API (a part that does not exist).
const reportMapping = `type: ticket
key: Ticket ID
columns:
  Ticket ID: custom_fields.tnt__external_id
  Subject: title
  Priority:
    field: severity
    values: {Urgent: blocker, High: high, Normal: medium, Low: low}
  Assignee: owned_by
  Part: applies_to_part
`

// reportInput has good rows, rows the tool refuses (2: no subject, 4: an
// unknown priority), a row the API refuses (5: no such part) and hostile
// cells: a formula, quotes and markup.
const reportInput = "Ticket ID,Subject,Priority,Assignee,Part,=Notes\n" +
	"ZD-1,Printer on fire,High,DEVU-1,PROD-1,fine\n" +
	"ZD-2,,High,DEVU-1,PROD-1,\"=HYPERLINK(\"\"http://evil.example\"\",\"\"x\"\")\"\n" +
	"ZD-3,\"Multi\nline, \"\"quoted\"\"\",Low,DEVU-2,PROD-2,\n" +
	"ZD-4,<script>alert(1)</script>,\"Critical<script>alert('p')</script>\",DEVU-1,PROD-1,@SUM(1)\n" +
	"ZD-5,Part that is not there,Normal,DEVU-3,PROD-99,-1\n" +
	"ZD-6,Last one,Urgent,DEVU-4,PROD-1,\n"

// importForReport imports reportInput into a fresh simulator and returns
// the input, its checkpoint and the import's own errors CSV.
func importForReport(t *testing.T) (input, ck, importErrors string) {
	t.Helper()
	sim := startSim(t, simulator.Options{})
	dir := t.TempDir()
	input = filepath.Join(dir, "tickets.csv")
	mp := filepath.Join(dir, "tickets.yaml")
	if err := os.WriteFile(input, []byte(reportInput), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(mp, []byte(reportMapping), 0o600); err != nil {
		t.Fatal(err)
	}
	res := run(t, sim.URL, nil, "import", input, "--mapping", mp)
	if res.code != ExitRowsFailed || res.num("created") != 3 || res.num("invalid") != 2 || res.num("failed") != 1 {
		t.Fatalf("import: exit %d, summary %v\n%s", res.code, res.summary, res.stderr)
	}
	return input, input + ".checkpoint.jsonl", input + ".errors.csv"
}

func readFile(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// report --errors-csv writes what the import wrote: the same rows, in the
// same order, with the same messages and the input's cells, neutralized.
func TestReportErrorsCSVIsTheImportsLayout(t *testing.T) {
	_, ck, importErrors := importForReport(t)
	out := filepath.Join(t.TempDir(), "report-errors.csv")
	rep := run(t, "", nil, "report", ck, "--errors-csv", out)
	if rep.code != ExitOK {
		t.Fatalf("report: exit %d, want 0 (it could report)\n%s%s", rep.code, rep.stdout, rep.stderr)
	}
	got, want := readFile(t, out), readFile(t, importErrors)
	if got != want {
		t.Errorf("report's errors CSV differs from the import's\nreport:\n%s\nimport:\n%s", got, want)
	}
	recs, err := csv.NewReader(strings.NewReader(got)).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if h := strings.Join(recs[0], ","); h != "_row,_error,Ticket ID,Subject,Priority,Assignee,Part,'=Notes" {
		t.Errorf("header %s", h)
	}
	if len(recs) != 4 || recs[1][0] != "3" || recs[2][0] != "5" || recs[3][0] != "6" {
		t.Fatalf("rows %q, want rows 3, 5 (invalid) and 6 (failed)", recs)
	}
	if recs[1][7] != `'=HYPERLINK("http://evil.example","x")` || recs[2][7] != "'@SUM(1)" || recs[3][7] != "'-1" {
		t.Errorf("cells not neutralized: %q", recs[1:])
	}
	if !strings.Contains(recs[3][1], "HTTP 400") || !strings.Contains(recs[3][1], "PROD-99") {
		t.Errorf("failed row's message %q does not carry the API's answer", recs[3][1])
	}
	if fi, err := os.Stat(out); err != nil || fi.Mode().Perm() != 0o600 {
		t.Errorf("errors CSV mode: %v %v", fi, err)
	}
	if !strings.Contains(rep.stdout, "errors CSV: "+out+" (3 rows)") {
		t.Errorf("stdout:\n%s", rep.stdout)
	}
}

// The reloadable file goes back in as it is: the readers skip _row and
// _error, and validate finds the same problems again.
func TestReportErrorsCSVFeedsBack(t *testing.T) {
	input, ck, _ := importForReport(t)
	out := filepath.Join(t.TempDir(), "fix.csv")
	if rep := run(t, "", nil, "report", ck, "--errors-csv", out); rep.code != ExitOK {
		t.Fatalf("report: exit %d\n%s", rep.code, rep.stderr)
	}
	val := run(t, "", nil, "validate", out, "--mapping", filepath.Join(filepath.Dir(input), "tickets.yaml"))
	if val.code != ExitRowsFailed || val.num("rows") != 3 || val.num("invalid") != 2 {
		t.Errorf("validate of the report's errors CSV: exit %d, summary %v\n%s", val.code, val.summary, val.stderr)
	}
}

// Rows of a changed input are not written with another row's cells.
func TestReportErrorsCSVLeavesOutRowsOfAChangedInput(t *testing.T) {
	input, ck, _ := importForReport(t)
	lines := strings.SplitAfter(reportInput, "\n")
	// Rows 5 and 6 (lines 6 and 7) swap places; the others stay.
	changed := strings.Join(lines[:5], "") + lines[6] + lines[5]
	if err := os.WriteFile(input, []byte(changed), 0o600); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(t.TempDir(), "e.csv")
	rep := run(t, "", nil, "report", ck, "--errors-csv", out)
	if rep.code != ExitOK {
		t.Fatalf("report: exit %d\n%s", rep.code, rep.stderr)
	}
	if !strings.Contains(rep.stderr, "2 invalid or failed rows are not in "+input+" as it is now (rows 5 and 6)") {
		t.Errorf("stderr does not name the rows left out:\n%s", rep.stderr)
	}
	recs, err := csv.NewReader(strings.NewReader(readFile(t, out))).ReadAll()
	if err != nil || len(recs) != 2 || recs[1][0] != "3" || recs[1][2] != "ZD-2" {
		t.Errorf("errors CSV %q %v, want only row 3 (ZD-2)", recs, err)
	}
}

func TestReportExitCodes(t *testing.T) {
	input, ck, _ := importForReport(t)
	dir := t.TempDir()
	created := filepath.Join(dir, "created.csv")
	rep := run(t, "", nil, "report", ck, "--created-csv", created)
	if rep.code != ExitOK || !strings.Contains(rep.stdout, "failed             1") || !strings.Contains(rep.stdout, "invalid            2") {
		t.Errorf("report of a run with failures: exit %d, want 0 and the figures\n%s%s", rep.code, rep.stdout, rep.stderr)
	}
	if got := readFile(t, created); strings.Count(got, "\n") != 4 || !strings.HasPrefix(got, "row,key,id,display_id,op\n") {
		t.Errorf("created CSV:\n%s", got)
	}

	moved := filepath.Join(dir, "moved.csv")
	if err := os.Rename(input, moved); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(dir, "e.csv")
	rep = run(t, "", nil, "report", ck, "--errors-csv", out)
	if rep.code != ExitUsage || !strings.Contains(rep.stderr, input) || !strings.Contains(rep.stderr, "--input") {
		t.Errorf("input gone: exit %d, want 2 naming the file and --input\n%s", rep.code, rep.stderr)
	}
	if rep = run(t, "", nil, "report", ck, "--errors-csv", out, "--input", moved); rep.code != ExitOK || !strings.Contains(rep.stdout, "(3 rows)") {
		t.Errorf("--input: exit %d\n%s%s", rep.code, rep.stdout, rep.stderr)
	}
	for name, args := range map[string][]string{
		"unwritable output": {"report", ck, "--created-csv", filepath.Join(dir, "no", "such", "dir.csv")},
		"no checkpoint":     {"report", filepath.Join(dir, "none.jsonl")},
		"not a checkpoint":  {"report", moved},
	} {
		if rep := run(t, "", nil, args...); rep.code != ExitUsage || rep.stderr == "" {
			t.Errorf("%s: exit %d, want 2 with a message\n%s", name, rep.code, rep.stderr)
		}
	}
}

// report --html on a real run: the page's figures, problems and rows are
// the run's, and the markup in a cell stays text.
func TestReportHTML(t *testing.T) {
	_, ck, _ := importForReport(t)
	page := filepath.Join(t.TempDir(), "run.html")
	rep := run(t, "", nil, "report", ck, "--html", page)
	if rep.code != ExitOK || !strings.Contains(rep.stdout, "HTML report: "+page) {
		t.Fatalf("report --html: exit %d\n%s%s", rep.code, rep.stdout, rep.stderr)
	}
	raw := readFile(t, page)
	doc, err := html.Parse(strings.NewReader(raw))
	if err != nil {
		t.Fatal(err)
	}
	var rows, columns []string
	totals := map[string]string{}
	charts, scripts := 0, 0
	for n := range doc.Descendants() {
		a := map[string]string{}
		for _, at := range n.Attr {
			a[at.Key] = at.Val
		}
		switch {
		case n.Type != html.ElementNode:
		case n.Data == "script":
			scripts++
		case a["data-total"] != "":
			totals[a["data-total"]] = a["data-value"]
		case n.Data == "tr" && a["data-row"] != "":
			rows = append(rows, a["data-row"]+" "+a["data-status"])
		case n.Data == "g" && a["data-column"] != "":
			columns = append(columns, a["data-column"])
		case n.Data == "svg" && strings.Contains(a["class"], "works"):
			charts++
		}
	}
	if totals["created"] != "3" || totals["invalid"] != "2" || totals["failed"] != "1" || totals["rows"] != "6" {
		t.Errorf("totals %v", totals)
	}
	if !slices.Equal(rows, []string{"3 invalid", "5 invalid", "6 failed"}) {
		t.Errorf("failed rows %v", rows)
	}
	slices.Sort(columns)
	if !slices.Equal(columns, []string{"Priority (severity)", "Subject (title)", "applies_to_part"}) {
		t.Errorf("problem columns %v", columns)
	}
	if charts != 1 {
		t.Errorf("%d works-per-minute charts, want 1", charts)
	}
	if scripts != 0 || strings.Contains(raw, "<script") || !strings.Contains(raw, "Critical&lt;script&gt;") {
		t.Errorf("a cell's markup is not escaped as text (%d script elements)", scripts)
	}
}

// An XLSX input is read again the same way: the report's errors CSV is
// the import's, cell for cell, from the sheet named by --sheet.
func TestReportErrorsCSVFromXLSX(t *testing.T) {
	sim := startSim(t, simulator.Options{})
	dir := t.TempDir()
	input := filepath.Join(dir, "tickets.xlsx")
	f := excelize.NewFile()
	if _, err := f.NewSheet("Issues"); err != nil {
		t.Fatal(err)
	}
	rows := [][]any{
		{"Ticket ID", "Subject", "Priority", "Assignee", "Part", "Due"},
		{"ZD-1", "Fine", "High", "DEVU-1", "PROD-1", 45352},
		{"ZD-2", "", "High", "DEVU-1", "PROD-1", true},
		{"ZD-3", "=1+1", "Critical", "DEVU-2", "PROD-1", 12.5},
		{"ZD-4", "No such part", "Low", "DEVU-3", "PROD-99", "x"},
	}
	for i, r := range rows {
		cell, _ := excelize.CoordinatesToCellName(1, i+1)
		if err := f.SetSheetRow("Issues", cell, &r); err != nil {
			t.Fatal(err)
		}
	}
	if err := f.SaveAs(input); err != nil {
		t.Fatal(err)
	}
	mp := filepath.Join(dir, "m.yaml")
	if err := os.WriteFile(mp, []byte(reportMapping+"ignore: [Due]\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	res := run(t, sim.URL, nil, "import", input, "--mapping", mp, "--sheet", "Issues", "--checkpoint", filepath.Join(dir, "ck.jsonl"))
	if res.code != ExitRowsFailed || res.num("invalid") != 2 || res.num("failed") != 1 {
		t.Fatalf("import: exit %d, summary %v\n%s", res.code, res.summary, res.stderr)
	}
	out := filepath.Join(dir, "report-errors.csv")
	rep := run(t, "", nil, "report", filepath.Join(dir, "ck.jsonl"), "--errors-csv", out, "--sheet", "Issues")
	if rep.code != ExitOK {
		t.Fatalf("report: exit %d\n%s", rep.code, rep.stderr)
	}
	if got, want := readFile(t, out), readFile(t, input+".errors.csv"); got != want {
		t.Errorf("report's errors CSV differs from the import's\nreport:\n%s\nimport:\n%s", got, want)
	}
}

// report of a sync's checkpoint counts its creates and updates per op
// kind, and its created map names each work's op.
func TestReportCountsASyncsOps(t *testing.T) {
	dir := t.TempDir()
	ck := filepath.Join(dir, "t.csv.checkpoint.jsonl")
	j, _, _, err := checkpoint.Open(ck, checkpoint.Header{Input: filepath.Join(dir, "t.csv"), MappingHash: "sha256:x", Tool: "devrev-import/test"}, checkpoint.Options{})
	if err != nil {
		t.Fatal(err)
	}
	fh := map[string]string{"title": "11111111"}
	for _, e := range []checkpoint.Entry{
		{Row: 2, Key: "K2", Status: checkpoint.Created, ID: "don:core:dvrv-us-1:devo/x:issue/2", DisplayID: "ISS-2", Type: "issue", FH: fh},
		{Row: 3, Key: "K3", Status: checkpoint.Found, ID: "don:core:dvrv-us-1:devo/x:issue/3", DisplayID: "ISS-3", Type: "issue", FH: fh},
		{Row: 3, Key: "K3", Status: checkpoint.Updating, ID: "don:core:dvrv-us-1:devo/x:issue/3", Fields: []string{"title"}},
		{Row: 3, Key: "K3", Status: checkpoint.Updated, ID: "don:core:dvrv-us-1:devo/x:issue/3", DisplayID: "ISS-3", Type: "issue", Fields: []string{"title"}, FH: fh},
		{Row: 4, Key: "K4", Status: checkpoint.Found, ID: "don:core:dvrv-us-1:devo/x:issue/4", DisplayID: "ISS-4", Type: "issue", FH: fh},
	} {
		if err := j.Append(e); err != nil {
			t.Fatal(err)
		}
	}
	if err := j.Close(); err != nil {
		t.Fatal(err)
	}
	created := filepath.Join(dir, "created.csv")
	rep := run(t, "", nil, "report", ck, "--created-csv", created)
	if rep.code != ExitOK {
		t.Fatalf("report: exit %d\n%s", rep.code, rep.stderr)
	}
	for _, want := range []string{"found, updated     1\n", "op create          created 1, failed 0\n", "op update          updated 1, unchanged 1, failed 0\n"} {
		if !strings.Contains(rep.stdout, want) {
			t.Errorf("report lacks %q:\n%s", want, rep.stdout)
		}
	}
	if got, want := readFile(t, created), "row,key,id,display_id,op\n2,K2,don:core:dvrv-us-1:devo/x:issue/2,ISS-2,created\n3,K3,don:core:dvrv-us-1:devo/x:issue/3,ISS-3,updated\n"; got != want {
		t.Errorf("created map:\n%s\nwant\n%s", got, want)
	}
}
