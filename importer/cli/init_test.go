package cli

import (
	"encoding/csv"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/devrev-import/devrev-import/importer/source"
	"github.com/devrev-import/devrev-import/mapping"
	"github.com/xuri/excelize/v2"
)

// init's mapping for each sample (CSV and XLSX, without --type: init
// guesses it) parses as it is and validates the sample with exactly the
// rows samples/README.md lists as invalid on purpose.
func TestInitMappingsValidateTheSamples(t *testing.T) {
	type sample struct {
		file    string
		typ     string
		invalid []int
	}
	var cases []sample
	types := map[string]string{"tickets": "ticket", "issues": "issue", "tasks": "task", "opportunities": "opportunity"}
	for name, invalid := range sampleInvalid {
		typ := types[name]
		cases = append(cases, sample{name + ".csv", typ, invalid}, sample{name + ".xlsx", typ, invalid})
	}
	cases = append(cases,
		sample{"jira-issues.csv", "issue", []int{6, 8, 11}},
		sample{"zendesk-tickets.xlsx", "ticket", []int{5, 9, 13}}) // a README sheet first: init writes sheet: Tickets
	for _, tc := range cases {
		t.Run(tc.file, func(t *testing.T) {
			file := filepath.Join("..", "..", "samples", tc.file)
			out := initMapping(t, file)
			if !strings.Contains(out, "\ntype: "+tc.typ+"  # ") {
				t.Errorf("type not guessed as %s:\n%s", tc.typ, out)
			}
			if want := strings.HasPrefix(tc.file, "zendesk"); strings.Contains(out, "\nsheet: Tickets  # ") != want {
				t.Errorf("sheet: Tickets written: %v, want %v\n%s", !want, want, out)
			}
			if got := validateRows(t, file, out); !slices.Equal(got, tc.invalid) {
				t.Errorf("invalid rows %v, want %v\n%s", got, tc.invalid, out)
			}
		})
	}
}

// initMapping runs init on file and checks its output parses as a mapping.
func initMapping(t *testing.T, file string, extra ...string) string {
	t.Helper()
	res := run(t, "", nil, append([]string{"init", file}, extra...)...)
	if res.code != ExitOK {
		t.Fatalf("init: exit %d\n%s", res.code, res.stderr)
	}
	if _, err := mapping.Parse("init.yaml", []byte(res.stdout)); err != nil {
		t.Fatalf("init's output does not parse: %v\n%s", err, res.stdout)
	}
	return res.stdout
}

// validateRows validates file with the mapping text against the sandbox
// and returns the invalid rows.
func validateRows(t *testing.T, file, mappingText string, extra ...string) []int {
	t.Helper()
	mp := filepath.Join(t.TempDir(), "init.yaml")
	if err := os.WriteFile(mp, []byte(mappingText), 0o600); err != nil {
		t.Fatal(err)
	}
	errs := filepath.Join(t.TempDir(), "errors.csv")
	v := run(t, "", nil, append([]string{"validate", file, "--mapping", mp, "--sandbox", "--errors-csv", errs}, extra...)...)
	if v.code != ExitOK && v.code != ExitRowsFailed {
		t.Fatalf("validate with init's mapping: exit %d\n%s\n%s", v.code, v.stderr, mappingText)
	}
	if v.code == ExitOK {
		return nil
	}
	return errorRows(t, errs)
}

// jiraExport is what Jira Cloud's "Export > CSV" gives: its priority
// names, space-separated labels, its date format, fractional story
// points, and repeated Watchers and Comment headers.
const jiraExport = `Issue key,Issue Type,Summary,Priority,Assignee,Labels,Created,Due date,Story Points,Watchers,Watchers,Comment,Comment
WEB-1,Bug,Login fails on Safari,Highest,alice@example.com,bug regression,05/Mar/24 2:30 PM,12/Mar/24 5:00 PM,3,alice,bob,"05/Mar/24 2:31 PM;alice;Seen on 17.2",
WEB-2,Story,Dark mode,High,bob@example.com,feature-request,05/Mar/24 3:00 PM,,2.5,bob,,,
WEB-3,Bug,Session cookie not secure,Medium,,security,06/Mar/24 9:15 AM,20/Mar/24 9:00 AM,5,carol,dan,"06/Mar/24 9:20 AM;dan;Needs a fix","07/Mar/24 10:00 AM;carol;On it"
WEB-4,Task,Update the TLS certificate,Low,dan@example.com,,07/Mar/24 11:45 AM,,1,,,,
WEB-5,Improvement,Faster search,Lowest,alice@example.com,feature-request customer-reported,08/Mar/24 4:05 PM,,8,alice,,,
WEB-6,Bug,Crash on logout,High,nobody@example.com,bug,08/Mar/24 5:30 PM,,2,,,,
WEB-7,Bug,Typo on the pricing page,Medium,bob@example.com,bug secrity,09/Mar/24 8:00 AM,,1,,,,
`

// init on a Jira-shaped export guesses what a person would, and its
// mapping validates the export with exactly the rows that are wrong:
// row 3's 2.5 points (the sandbox org's story points are whole numbers),
// row 7's unknown assignee and row 8's misspelt label.
func TestInitJiraExport(t *testing.T) {
	file := filepath.Join(t.TempDir(), "jira.csv")
	if err := os.WriteFile(file, []byte(jiraExport), 0o600); err != nil {
		t.Fatal(err)
	}
	out := initMapping(t, file)
	for _, want := range []string{
		"\ntype: issue  # \"Issue key\", \"Issue Type\"",
		"key: Issue key",
		"# timezone: UTC  # TODO: the dates in \"Due date\" have no time zone",
		"      Highest: p0\n", "      Lowest: p3  # DevRev has no lower level\n", "      Medium: p2\n",
		"  Assignee:\n    field: owned_by\n    lookup: dev_user.email\n",
		"  Labels:\n    field: tags\n    split: \" \"\n    lookup: tag.name\n",
		"  Due date:\n    field: target_close_date\n    format: \"2/Jan/06 3:04 PM\"\n",
		"  # a usual header for custom_fields.tnt__story_points; \"2.5\" has a fraction: as: number\n  Story Points:\n    field: custom_fields.tnt__story_points\n    as: number\n",
		"  owned_by: [DEVU-1]  # TODO: placeholder: \"Assignee\" is empty in 1 row",
		"  applies_to_part: PROD-1  # TODO: placeholder: required, and no column covers it",
		"  - Issue Type  # the tool's own issue types",
		"  - Watchers  # no obvious field (the header appears 2 times)",
		"  # Jira's comment cells (DATE;AUTHOR;TEXT): one comment each, on the row's work\n  Comment: {comment: jira}\n",
		"  - Created  # DevRev sets the creation date itself",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("init's mapping lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(out, "\nsheet:") {
		t.Errorf("a CSV has no sheet:\n%s", out)
	}
	// init's as: number is for offline runs: with a token the org's schema
	// types the column, and an as: that contradicts it (the sandbox's story
	// points are whole numbers) is one mapping error. Without it, row 3's
	// 2.5 is the row at fault.
	if got := validateRows(t, file, strings.Replace(out, "    as: number\n", "", 1)); !slices.Equal(got, []int{3, 7, 8}) {
		t.Errorf("invalid rows %v, want [3 7 8]\n%s", got, out)
	}
}

// On a workbook whose first sheet is a summary (and with a bigger hidden
// sheet), init reads the visible sheet with the most rows and writes
// sheet:, so validate needs no --sheet.
func TestInitPicksTheDataSheet(t *testing.T) {
	f := excelize.NewFile()
	f.SetSheetName("Sheet1", "Summary")
	for r, row := range [][]any{{"Issues export"}, {"Generated", "2024-03-05"}, {"Rows", 4}} {
		f.SetSheetRow("Summary", "A"+strconv.Itoa(r+1), &row)
	}
	f.NewSheet("Issues")
	for r, row := range [][]any{
		{"Issue key", "Summary", "Priority", "Assignee", "Component"},
		{"OPS-1", "Disk full", "High", "DEVU-2", "PROD-1"},
		{"OPS-2", "Backup failed", "Highest", "DEVU-3", "PROD-2"},
		{"OPS-3", "", "Low", "DEVU-2", "PROD-1"},
		{"OPS-4", "Slow queries", "Medium", "", "CAPL-1"},
	} {
		f.SetSheetRow("Issues", "A"+strconv.Itoa(r+1), &row)
	}
	f.NewSheet("Raw")
	for r := 1; r <= 20; r++ {
		f.SetSheetRow("Raw", "A"+strconv.Itoa(r), &[]any{"x", r})
	}
	f.SetSheetVisible("Raw", false)
	file := filepath.Join(t.TempDir(), "export.xlsx")
	if err := f.SaveAs(file); err != nil {
		t.Fatal(err)
	}
	out := initMapping(t, file)
	if want := "\nsheet: Issues  # the sheet with the most rows of data (4 rows); \"Summary\" has 2 rows\n"; !strings.Contains(out, want) {
		t.Errorf("init's mapping lacks %q:\n%s", want, out)
	}
	// Row 4 has no summary; OPS-4's empty assignee gets the most common one.
	if !strings.Contains(out, "owned_by: [DEVU-2]  # the most common in \"Assignee\" (2 rows)") {
		t.Errorf("no default for the empty assignee:\n%s", out)
	}
	if got := validateRows(t, file, out); !slices.Equal(got, []int{4}) {
		t.Errorf("invalid rows %v, want [4]\n%s", got, out)
	}
}

func TestInitGuesses(t *testing.T) {
	cells := func(vs ...string) []source.Cell {
		var out []source.Cell
		for _, v := range vs {
			out = append(out, source.Cell{Value: v})
		}
		return out
	}
	if got := guessLayout(cells("12/Mar/24 3:04 PM", "1/Apr/24 11:00 AM")); got != "2/Jan/06 3:04 PM" {
		t.Errorf("Jira dates: layout %q", got)
	}
	if got := guessLayout(cells("24.12.2024 14:00", "01.02.2024 09:30", "13/45/2024", "02.03.2024 10:00", "05.03.2024 10:00")); got != "02.01.2006 15:04" {
		t.Errorf("a bad cell must not hide the format: %q", got)
	}
	if got := guessLayout(cells("2024-03-01", "2024-03-01T10:00:00Z")); got != "" {
		t.Errorf("ISO dates need no format: %q", got)
	}
	if got, _ := guessField("Priority", "ticket"); got != "severity" {
		t.Errorf("Priority on a ticket -> %q", got)
	}
	if got, _ := guessField("Start", "issue"); got != "target_start_date" {
		t.Errorf("Start on an issue -> %q", got)
	}
	g := &guess{col: &sampledColumn{header: "Assignee", cells: cells("bob@example.com", "alice@example.com")}, field: "owned_by"}
	guessOptions(g)
	if !slices.Contains(g.opts, "lookup: dev_user.email") {
		t.Errorf("emails not looked up: %v", g.opts)
	}
	vm := strings.Join(valueMap(cells("Highest", "Low", "Weird", "Lowest", "highest", "Critical", "LOW"), "priority", enumTargets["priority"]), "\n")
	if strings.Count(strings.ToLower(vm), "highest") != 2 || strings.Count(strings.ToLower(vm), "low:") != 1 {
		t.Errorf("values that differ in case only must be one key:\n%s", vm)
	}
	for _, want := range []string{"Highest: p0", "Low: p3", "# Weird: ?  # TODO: 1 row; no obvious priority",
		"Lowest: p3  # DevRev has no lower level", `# Critical: p0  # TODO: 1 row; reads as p0 like "Highest" (2 rows)`} {
		if !strings.Contains(vm, want) {
			t.Errorf("value map lacks %q:\n%s", want, vm)
		}
	}
	for in, want := range map[string]string{"Subject": "Subject", "yes": `"yes"`, "Due: date": `"Due: date"`, "12": `"12"`, " x": `" x"`} {
		if got := yamlString(in); got != want {
			t.Errorf("yamlString(%q) = %s, want %s", in, got, want)
		}
	}
}

// Headers that YAML would read as something else (a list item, a
// complex key, a number, a boolean, null) come back from init's mapping
// as the same strings.
func TestInitHostileHeaders(t *testing.T) {
	headers := []string{"- x", "? y", "a: b", "#c", "yes", "1.5", "0x1F", "null", "~", ".inf", `q"uote`, `back\slash`, "tab\there", "Ünïcode ✓"}
	var b strings.Builder
	w := csv.NewWriter(&b)
	w.Write(append(slices.Clone(headers), "Summary"))
	w.Write(append(make([]string, len(headers)), "A title"))
	w.Flush()
	file := filepath.Join(t.TempDir(), "hostile.csv")
	if err := os.WriteFile(file, []byte(b.String()), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg, err := mapping.Parse("init.yaml", []byte(initMapping(t, file)))
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(cfg.Ignore, headers) {
		t.Errorf("ignore %q, want %q", cfg.Ignore, headers)
	}
}

// TestInitWindows1252: init refuses a Windows-1252 file read as UTF-8 as
// validate and import do, and takes --encoding as they do.
func TestInitWindows1252(t *testing.T) {
	file := filepath.Join("..", "testdata", "windows-1252.csv")
	res := run(t, "", nil, "init", file)
	if res.code != ExitUsage || !strings.Contains(res.stderr, "pass --encoding windows-1252") {
		t.Fatalf("without --encoding: exit %d\n%s", res.code, res.stderr)
	}
	res = run(t, "", nil, "init", file, "--encoding", "windows-1252")
	if res.code != ExitOK || !strings.Contains(res.stdout, "title") {
		t.Fatalf("with --encoding: exit %d\n%s\n%s", res.code, res.stderr, res.stdout)
	}
}
