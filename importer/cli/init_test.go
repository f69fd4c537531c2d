package cli

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/devrev-import/devrev-import/importer/source"
	"github.com/devrev-import/devrev-import/mapping"
)

// init's mapping for each sample parses as it is and validates the sample.
// Its guesses are not the samples' hand-written mappings, so the invalid
// rows differ where a guess is reasonable but different (init maps
// "Critical" to blocker; it gives no default for empty assignees).
func TestInitMappingsValidateTheSamples(t *testing.T) {
	cases := []struct {
		file, typ string
		extra     []string
		invalid   []int
	}{
		{"tickets.csv", "ticket", nil, []int{9, 10, 12}},
		{"issues.csv", "issue", nil, []int{11, 13, 14}},
		{"tasks.csv", "task", nil, []int{7, 9}},
		{"opportunities.csv", "opportunity", nil, []int{6, 9, 10}},
		{"jira-issues.csv", "issue", nil, nil},
		{"zendesk-tickets.xlsx", "ticket", []string{"--sheet", "Tickets"}, nil},
	}
	for _, tc := range cases {
		t.Run(tc.file, func(t *testing.T) {
			file := filepath.Join("..", "..", "samples", tc.file)
			res := run(t, "", nil, append([]string{"init", file, "--type", tc.typ}, tc.extra...)...)
			if res.code != ExitOK {
				t.Fatalf("init: exit %d\n%s", res.code, res.stderr)
			}
			if _, err := mapping.Parse("init.yaml", []byte(res.stdout)); err != nil {
				t.Fatalf("init's output does not parse: %v\n%s", err, res.stdout)
			}
			mp := filepath.Join(t.TempDir(), "init.yaml")
			os.WriteFile(mp, []byte(res.stdout), 0o600)
			errs := filepath.Join(t.TempDir(), "errors.csv")
			v := run(t, "", nil, append([]string{"validate", file, "--mapping", mp, "--sandbox", "--errors-csv", errs}, tc.extra...)...)
			if v.code != ExitOK && v.code != ExitRowsFailed {
				t.Fatalf("validate with init's mapping: exit %d\n%s\n%s", v.code, v.stderr, res.stdout)
			}
			if tc.invalid != nil {
				if got := errorRows(t, errs); !slices.Equal(got, tc.invalid) {
					t.Errorf("invalid rows %v, want %v\n%s\n%s", got, tc.invalid, v.stderr, res.stdout)
				}
			}
		})
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
	if got := guessField("Priority", "ticket"); got != "severity" {
		t.Errorf("Priority on a ticket -> %q", got)
	}
	if got := guessField("Start", "issue"); got != "target_start_date" {
		t.Errorf("Start on an issue -> %q", got)
	}
	var b strings.Builder
	writeColumn(&b, "Assignee", "owned_by", cells("bob@example.com", "alice@example.com"))
	if !strings.Contains(b.String(), "lookup: dev_user.email") {
		t.Errorf("emails not looked up:\n%s", b.String())
	}
	vm := valueMap(cells("Highest", "Low", "Weird"), enumTargets["priority"])
	for _, want := range []string{"Highest: p0", "Low: p3", "Weird: p0  # TODO: check"} {
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
