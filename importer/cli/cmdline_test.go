package cli

import (
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/spf13/pflag"

	"github.com/devrev-import/devrev-import/importer/simulator"
)

// A mistyped flag or command is one short line on stderr with the
// closest name and where the help is, exit 2, nothing read or sent.
func TestBadFlagOrCommandIsOneLineWithASuggestion(t *testing.T) {
	sim := startSim(t, simulator.Options{})
	csvPath, mappingPath := writeTickets(t, 3)
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"import", csvPath, "--mapping", mappingPath, "--worker", "4"},
			"devrev-import: unknown flag --worker; did you mean --workers? (see 'devrev-import import --help')"},
		{[]string{"import", csvPath, "-mapping", mappingPath, "-worker", "4"},
			"unknown flag --worker; did you mean --workers?"},
		{[]string{"import", csvPath, "--dry", "--mapping", mappingPath},
			"unknown flag --dry; did you mean --dry-run?"},
		{[]string{"validate", csvPath, "--workers", "4"},
			"devrev-import: unknown flag --workers; it is import's, not validate's (see 'devrev-import validate --help')"},
		{[]string{"validate", csvPath, "--worker", "4"},
			"unknown flag --worker; did you mean --workers? (it is import's, not validate's)"},
		{[]string{"undo", "x.jsonl", "--yse"},
			"devrev-import undo: unknown flag --yse; did you mean --yes? (see 'devrev-import undo --help')"},
		{[]string{"imprt", csvPath, "--workers", "4"},
			`devrev-import: unknown command "imprt"; did you mean import? (see 'devrev-import --help')`},
		{[]string{"help", "valdate"}, `unknown command "valdate"; did you mean validate?`},
		{[]string{"import", csvPath, "--max-retries", "lots"},
			`devrev-import: --max-retries "lots": want a whole number (see 'devrev-import import --help')`},
		{[]string{"import", csvPath, "--max-wait", "forever"}, `--max-wait "forever": want a duration such as 30s`},
		{[]string{"import", csvPath, "--mapping"}, "--mapping needs a value"},
		{[]string{"--bogus"}, "devrev-import: unknown flag --bogus (see 'devrev-import --help')"},
		{[]string{"sandbox", "extra"}, `devrev-import sandbox: takes no arguments (got "extra")`},
		{[]string{"completion", "tcsh"}, `unknown shell "tcsh"`},
	} {
		res := runNoSummary(t, sim.URL, tc.args...)
		if res.code != ExitUsage {
			t.Errorf("%q: exit %d, want %d", tc.args, res.code, ExitUsage)
		}
		if !strings.Contains(res.stderr, tc.want) || strings.Count(res.stderr, "\n") != 1 || res.stdout != "" {
			t.Errorf("%q: want the one line %q; stdout:\n%s\nstderr:\n%s", tc.args, tc.want, res.stdout, res.stderr)
		}
	}
	if n := len(sim.Works()); n != 0 {
		t.Errorf("%d works created, want none", n)
	}
}

// Go-style single-dash long flags keep working, before and after FILE,
// with their values, as README lines and scripts write them.
func TestSingleDashLongFlags(t *testing.T) {
	sim := startSim(t, simulator.Options{})
	csvPath, mappingPath := writeTickets(t, 5)
	errs := filepath.Join(t.TempDir(), "bad rows.csv")
	res := run(t, sim.URL, nil, "import", "-workers", "2", csvPath, "-mapping="+mappingPath, "-rate", "1000",
		"-errors-csv", errs, "-max-retries", "3", "-v", "-allow-embedded-rows")
	if res.code != ExitOK || res.num("created") != 5 {
		t.Fatalf("exit %d, created %d, want 0 and 5\n%s", res.code, res.num("created"), res.stderr)
	}
	if !strings.Contains(res.stderr, "Bearer ***") { // -v logged the requests
		t.Errorf("-v did not log the requests:\n%s", res.stderr)
	}
	assertExactlyOnce(t, sim, 5)

	// -dry-run after FILE sends nothing; --v is -v, as the flag package took it.
	csvPath, mappingPath = writeTickets(t, 3)
	res = run(t, sim.URL, nil, "import", csvPath, "-dry-run", "-mapping", mappingPath, "--v")
	if res.code != ExitOK || res.summary["dry_run"] != true || res.num("valid") != 3 || len(sim.Works()) != 5 {
		t.Errorf("-dry-run: exit %d, summary %v, %d works (want 5, none new)\n%s", res.code, res.summary, len(sim.Works()), res.stderr)
	}
}

// longDashes rewrites single-dash long names only, never a value, a
// lone "-", a negative number, a shorthand or what follows "--".
func TestLongDashes(t *testing.T) {
	fs := pflag.NewFlagSet("t", pflag.ContinueOnError)
	fs.String("sheet", "", "")
	fs.Int("max-retries", 0, "")
	fs.Bool("dry-run", false, "")
	fs.BoolP("verbose", "v", false, "")
	fs.BoolP("help", "h", false, "")
	fs.StringP("out", "o", "", "")
	for _, tc := range []struct{ in, want string }{
		{"-sheet Issues FILE", "--sheet Issues FILE"},
		{"FILE -sheet=Issues -dry-run", "FILE --sheet=Issues --dry-run"},
		{"-sheet -dry-run FILE", "--sheet -dry-run FILE"}, // a sheet named "-dry-run"
		{"--sheet -v FILE -v", "--sheet -v FILE -v"},
		{"-max-retries -1 -", "--max-retries -1 -"},
		{"- -5 -1.5", "- -5 -1.5"},
		{"-vh -o -sheet FILE", "-vh -o -sheet FILE"}, // -o takes -sheet as its value
		{"-dryrun", "--dryrun"},                      // unknown: pflag names it, with a suggestion
		{"FILE -- -sheet -x", "FILE -- -sheet -x"},
		{"--dry-run -sheet X", "--dry-run --sheet X"},
	} {
		got := strings.Join(longDashes(fs, strings.Fields(tc.in)), " ")
		if got != tc.want {
			t.Errorf("longDashes(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

// Help is on stdout with exit 0, in every spelling, for every command:
// what it does, examples and the flags by group.
func TestHelpOfEveryCommand(t *testing.T) {
	for _, cmd := range []string{"validate", "import", "sandbox", "init", "report", "undo", "resolve"} {
		for _, args := range [][]string{{"help", cmd}, {cmd, "-h"}, {cmd, "--help"}, {cmd, "-help"}, {cmd, "FILE", "--help"}} {
			res := runNoSummary(t, "", args...)
			if res.code != ExitOK || res.stderr != "" {
				t.Errorf("%q: exit %d, stderr %q", args, res.code, res.stderr)
			}
			for _, want := range []string{"Usage:\n  devrev-import " + cmd, "Examples:\n  devrev-import " + cmd, " flags:\n"} {
				if !strings.Contains(res.stdout, want) {
					t.Errorf("%q: no %q in:\n%s", args, want, res.stdout)
				}
			}
		}
	}
	res := runNoSummary(t, "", "help", "import")
	for _, want := range []string{"Input flags:", "Mapping flags:", "Output flags:", "Limits and rate flags:", "Resume flags:",
		"--workers auto|N", `(default "auto")`, "-v, --verbose", "--token-file PATH", "--max-wait DURATION"} {
		if !strings.Contains(res.stdout, want) {
			t.Errorf("help import: no %q in:\n%s", want, res.stdout)
		}
	}
	for _, args := range [][]string{{"help"}, {"--help"}, {"-h"}} {
		res := runNoSummary(t, "", args...)
		if res.code != ExitOK || !strings.Contains(res.stdout, "  import FILE") || !strings.Contains(res.stdout, "Exit codes:") {
			t.Errorf("%q: exit %d\n%s", args, res.code, res.stdout)
		}
	}
	// No command at all: the help on stderr, exit 2.
	if res := runNoSummary(t, ""); res.code != ExitUsage || !strings.Contains(res.stderr, "Commands:") {
		t.Errorf("no command: exit %d\n%s", res.code, res.stderr)
	}
}

// Every flag of every command is under a heading of its help: a flag
// added without one shows up here (add it to the command's groups).
func TestEveryFlagIsInAHelpGroup(t *testing.T) {
	for _, cmd := range []string{"validate", "import", "sandbox", "init", "report", "undo", "resolve"} {
		res := runNoSummary(t, "", cmd, "--help")
		_, other, _ := strings.Cut(res.stdout, "\nOther flags:\n")
		other, _, _ = strings.Cut(other, "\n\n")
		for _, line := range strings.Split(other, "\n") {
			if line != "" && !strings.Contains(line, "--help") {
				t.Errorf("%s: a flag in no group of the help (add it to the command's flag groups): %s", cmd, line)
			}
		}
	}
}

func TestVersion(t *testing.T) {
	for _, arg := range []string{"--version", "-version", "version"} {
		if res := runNoSummary(t, "", arg); res.code != ExitOK || res.stdout != "devrev-import "+Version+"\n" {
			t.Errorf("%s: exit %d, stdout %q", arg, res.code, res.stdout)
		}
	}
}

// completion prints a script for each shell that names the tool.
func TestCompletionScripts(t *testing.T) {
	for _, shell := range []string{"bash", "zsh", "fish"} {
		res := runNoSummary(t, "", "completion", shell)
		if res.code != ExitOK || len(res.stdout) < 500 || !strings.Contains(res.stdout, "devrev-import") {
			t.Errorf("completion %s: exit %d, %d bytes\n%s", shell, res.code, len(res.stdout), res.stderr)
		}
	}
	// What the scripts ask the tool: the flags of import that start so.
	res := runNoSummary(t, "", "__complete", "import", "--work")
	if res.code != ExitOK || !strings.Contains(res.stdout, "--workers") {
		t.Errorf("__complete: exit %d\n%s", res.code, res.stdout)
	}
}

// A run whose flags fail still writes --summary-json (exit 2, the
// error), unless that path is another of the run's files; with
// --log-format json the error line is JSON too.
func TestSummaryAndJSONOnABadFlag(t *testing.T) {
	csvPath, mappingPath := writeTickets(t, 2)
	summary := filepath.Join(t.TempDir(), "summary.json")
	res := runNoSummary(t, "", "import", csvPath, "--summary-json", summary, "--mapping", mappingPath, "--log-format", "json", "--worker", "2", "--sandbox")
	if res.code != ExitUsage {
		t.Fatalf("exit %d\n%s", res.code, res.stderr)
	}
	var s map[string]any
	b, err := os.ReadFile(summary)
	if err != nil || json.Unmarshal(b, &s) != nil {
		t.Fatalf("summary: %v\n%s", err, b)
	}
	if s["exit_code"] != float64(ExitUsage) || !strings.Contains(s["error"].(string), "did you mean --workers?") || s["dry_run"] != false {
		t.Errorf("summary: %v", s)
	}
	ev := jsonEvents(t, res.stderr)
	if len(ev["error"]) != 1 || !strings.Contains(ev["error"][0]["text"].(string), "unknown flag --worker; did you mean --workers?") {
		t.Errorf("stderr:\n%s", res.stderr)
	}

	// A command that does not exist, or a flag another command has.
	for _, args := range [][]string{{"imprt", csvPath, "--log-format=json"}, {"report", "x.jsonl", "--workers", "2", "-log-format", "json"}} {
		res = runNoSummary(t, "", args...)
		if ev := jsonEvents(t, res.stderr); res.code != ExitUsage || len(ev["error"]) != 1 || !strings.Contains(ev["error"][0]["text"].(string), "unknown") {
			t.Errorf("%q: exit %d\n%s", args, res.code, res.stderr)
		}
	}

	// A bad value, and the summary's path is the input: the input stays.
	before, _ := os.ReadFile(csvPath)
	res = runNoSummary(t, "", "validate", csvPath, "--summary-json", csvPath, "--max-cell-bytes", "big")
	if after, _ := os.ReadFile(csvPath); res.code != ExitUsage || string(after) != string(before) {
		t.Errorf("exit %d; the input was overwritten: %v\n%s", res.code, string(after) != string(before), res.stderr)
	}
	if !slices.Contains(strings.Split(strings.TrimSpace(res.stderr), "\n"), `devrev-import: --max-cell-bytes "big": want a whole number (see 'devrev-import validate --help')`) {
		t.Errorf("stderr:\n%s", res.stderr)
	}
}
