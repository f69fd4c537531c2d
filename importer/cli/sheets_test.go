package cli

import (
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"testing"

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
