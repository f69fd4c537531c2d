package main

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/xuri/excelize/v2"
	"go.yaml.in/yaml/v3"
)

// TestZendeskUpToDate regenerates the Zendesk workbook through the
// subcommand and compares it byte for byte with the committed one: run
// `go run ./scripts/gendata zendesk` after editing the table.
func TestZendeskUpToDate(t *testing.T) {
	out := filepath.Join(t.TempDir(), "z.xlsx")
	var stdout, stderr bytes.Buffer
	if err := run([]string{"zendesk", "-out", out}, &stdout, &stderr); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(stdout.String(), "wrote "+out) {
		t.Errorf("stdout %q", stdout.String())
	}
	fresh, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	committed, err := os.ReadFile(filepath.Join(samplesDir, "zendesk-tickets.xlsx"))
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(fresh, committed) {
		t.Error("samples/zendesk-tickets.xlsx is stale: run go run ./scripts/gendata zendesk")
	}
	if err := run([]string{"zendesk", "extra"}, &stdout, &stderr); err == nil || !strings.Contains(err.Error(), "usage") {
		t.Errorf("extra argument: %v", err)
	}
}

// TestZendeskShape checks what makes the workbook look like an export: a
// README sheet first, then Tickets with typed cells matching the table.
func TestZendeskShape(t *testing.T) {
	s := zendeskSample()
	f, err := excelize.OpenFile(filepath.Join(samplesDir, "zendesk-tickets.xlsx"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if got := f.GetSheetList(); !reflect.DeepEqual(got, []string{"README", "Tickets"}) {
		t.Errorf("sheets %v, want README then Tickets", got)
	}
	if n := len(s.Rows); n < 12 || n > 20 {
		t.Errorf("%d rows, want 12-20", n)
	}
	kinds := map[string]bool{}
	for r, row := range s.Rows {
		if len(row) != len(s.Columns) {
			t.Fatalf("row %d: %d cells for %d columns", r+2, len(row), len(s.Columns))
		}
		for i, v := range row {
			cell, _ := excelize.CoordinatesToCellName(i+1, r+2)
			if err := checkXLSXCell(f, s.Sheet, cell, s.Columns[i], v); err != nil {
				t.Errorf("%s: %v", cell, err)
			}
			kinds[fmt.Sprintf("%T", v)] = true
		}
	}
	for _, k := range []string{"int", "bool", "time.Time", "string"} {
		if !kinds[k] {
			t.Errorf("no %s cells", k)
		}
	}
}

// TestZendeskMapping checks that the mapping covers the header (every
// column mapped or ignored) and uses lookups.
func TestZendeskMapping(t *testing.T) {
	data, err := os.ReadFile(filepath.Join(samplesDir, "zendesk-tickets.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	var m sampleMapping
	if err := yaml.Unmarshal(data, &m); err != nil {
		t.Fatal(err)
	}
	header := headers(zendeskSample())
	for _, h := range header {
		_, mapped := m.Columns[h]
		if mapped == slices.Contains(m.Ignore, h) {
			t.Errorf("column %q: mapped=%v, want mapped or ignored", h, mapped)
		}
	}
	for col := range m.Columns {
		if !slices.Contains(header, col) {
			t.Errorf("mapped column %q is not in the header", col)
		}
	}
	for _, want := range []string{"lookup: dev_user.email", "lookup: account.name", "lookup: tag.name", "lookup: part.name"} {
		if !bytes.Contains(data, []byte(want)) {
			t.Errorf("mapping lacks %q", want)
		}
	}
}

// TestZendeskREADME checks that samples/README.md lists each invalid row
// (row number and Id) and the valid rows.
func TestZendeskREADME(t *testing.T) {
	readme, err := os.ReadFile(filepath.Join(samplesDir, "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	s := zendeskSample()
	var valid []int
	for r, row := range s.Rows {
		n := r + 2
		if _, bad := s.Invalid[n]; !bad {
			valid = append(valid, n)
			continue
		}
		line := fmt.Sprintf("| %d | %v |", n, row[0])
		if !bytes.Contains(readme, []byte(line)) {
			t.Errorf("README.md lacks %q (invalid: %s)", line, s.Invalid[n])
		}
	}
	want := fmt.Sprintf("Valid rows of %s: %s (%d of %d).", s.Name, rowRanges(valid), len(valid), len(s.Rows))
	if !bytes.Contains(readme, []byte(want)) {
		t.Errorf("README.md lacks %q", want)
	}
}

// jiraInvalid lists the rows of samples/jira-issues.csv that fail on
// purpose (importer/lookup's TestSamples checks why).
var jiraInvalid = []int{6, 8, 11}

// TestJiraSample checks the hand-written Jira export: Jira's header with
// the repeated Labels column, 12-20 rows, and samples/README.md listing
// each invalid row (row, CSV line, issue key) and the valid rows.
func TestJiraSample(t *testing.T) {
	records, lines := readCSV(t, filepath.Join(samplesDir, "jira-issues.csv"))
	header := records[0]
	wantHeader := []string{"Summary", "Issue key", "Issue id", "Issue Type", "Status", "Priority", "Assignee", "Reporter",
		"Created", "Updated", "Due date", "Labels", "Labels", "Labels", "Component/s", "Description", "Custom field (Story Points)"}
	if !reflect.DeepEqual(header, wantHeader) {
		t.Errorf("header %q", header)
	}
	rows := len(records) - 1
	if rows < 12 || rows > 20 {
		t.Errorf("%d rows, want 12-20", rows)
	}
	readme, err := os.ReadFile(filepath.Join(samplesDir, "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	var valid []int
	for n := 2; n <= len(records); n++ {
		if !slices.Contains(jiraInvalid, n) {
			valid = append(valid, n)
			continue
		}
		line := fmt.Sprintf("| %d | %d | %s |", n, lines[n-1], records[n-1][1])
		if !bytes.Contains(readme, []byte(line)) {
			t.Errorf("README.md lacks %q", line)
		}
	}
	want := fmt.Sprintf("Valid rows of jira-issues: %s (%d of %d).", rowRanges(valid), len(valid), rows)
	if !bytes.Contains(readme, []byte(want)) {
		t.Errorf("README.md lacks %q", want)
	}
}
