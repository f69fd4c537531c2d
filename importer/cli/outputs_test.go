package cli

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/devrev-import/devrev-import/importer/simulator"
)

// An output flag that names an input (or another output) is refused before
// anything is read or sent, and every file is left as it was.

func TestOutputPathsNeverTouchInputs(t *testing.T) {
	// An earlier run leaves a checkpoint (and its lock file) to protect.
	sim, csvPath, mappingPath, ck := importedTickets(t, 20)
	dir := filepath.Dir(csvPath)
	for _, name := range []string{"hardlink.csv", "hardlink.snap"} {
		if err := os.Link(csvPath, filepath.Join(dir, name)); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.Symlink(dir, filepath.Join(dir, "linkdir")); err != nil {
		t.Fatal(err)
	}
	cache := filepath.Join(dir, "lookups.json")
	cases := []struct {
		name  string
		args  []string
		flags []string // both named in the message
	}{
		{"errors CSV is the input", []string{"import", csvPath, "--errors-csv", csvPath}, []string{"--errors-csv", "FILE"}},
		{"errors CSV is the input by another path", []string{"import", csvPath, "--errors-csv", filepath.Join(dir, "sub", "..", "tickets.csv")}, []string{"--errors-csv", "FILE"}},
		{"errors CSV is a hard link to the input", []string{"import", csvPath, "--errors-csv", filepath.Join(dir, "hardlink.csv")}, []string{"--errors-csv", "FILE"}},
		{"errors CSV is the checkpoint", []string{"import", csvPath, "--errors-csv", ck}, []string{"--errors-csv", "--checkpoint"}},
		{"summary is the checkpoint through a symlinked dir", []string{"import", csvPath, "--summary-json", filepath.Join(dir, "linkdir", filepath.Base(ck))}, []string{"--summary-json", "--checkpoint"}},
		{"summary is the mapping", []string{"validate", csvPath, "--summary-json", mappingPath}, []string{"--summary-json", "--mapping"}},
		{"summary is the lock", []string{"import", csvPath, "--summary-json", ck + ".lock"}, []string{"--summary-json", "lock"}},
		{"checkpoint is the input", []string{"import", csvPath, "--checkpoint", csvPath}, []string{"--checkpoint", "FILE"}},
		{"the checkpoint's snapshot is the input", []string{"import", csvPath, "--checkpoint", filepath.Join(dir, "hardlink")}, []string{"snapshot", "FILE"}},
		{"summary is the snapshot", []string{"import", csvPath, "--summary-json", ck + ".snap"}, []string{"--summary-json", "snapshot"}},
		{"lookup cache is the mapping", []string{"import", csvPath, "--lookup-cache", mappingPath}, []string{"--lookup-cache", "--mapping"}},
		{"two outputs, not there yet", []string{"validate", csvPath, "--errors-csv", filepath.Join(dir, "out.csv"), "--summary-json", filepath.Join(dir, "out.csv")}, []string{"--errors-csv", "--summary-json"}},
		{"created CSV is the input", []string{"import", csvPath, "--created-csv", csvPath}, []string{"--created-csv", "FILE"}},
		{"created CSV is the checkpoint", []string{"import", csvPath, "--created-csv", ck}, []string{"--created-csv", "--checkpoint"}},
		{"errors CSV is the default created CSV", []string{"import", csvPath, "--errors-csv", csvPath + ".created.csv"}, []string{"--errors-csv", "--created-csv"}},
		{"errors CSV is the lookup cache", []string{"validate", csvPath, "--errors-csv", cache, "--lookup-cache", cache}, []string{"--errors-csv", "--lookup-cache"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			before := snapshot(t, csvPath, mappingPath, ck)
			requests := sim.Stats().Requests
			args := append(c.args, "--mapping", mappingPath)
			res := runNoSummary(t, sim.URL, args...)
			if res.code != ExitUsage {
				t.Fatalf("exit %d, want %d\n%s", res.code, ExitUsage, res.stderr)
			}
			for _, f := range c.flags {
				if !strings.Contains(res.stderr, f) {
					t.Errorf("the message does not name %s:\n%s", f, res.stderr)
				}
			}
			if n := sim.Stats().Requests - requests; n != 0 {
				t.Errorf("%d requests sent", n)
			}
			if after := snapshot(t, csvPath, mappingPath, ck); after != before {
				t.Errorf("an input changed")
			}
			if _, err := os.Stat(filepath.Join(dir, "out.csv")); err == nil {
				t.Errorf("out.csv was written")
			}
		})
	}
}

func TestReportOutputsNeverTouchInputs(t *testing.T) {
	sim, csvPath, mappingPath, ck := importedTickets(t, 5)
	out := filepath.Join(filepath.Dir(csvPath), "out.csv")
	cases := []struct {
		args  []string
		flags []string
	}{
		{[]string{"--created-csv", ck}, []string{"--created-csv", "CHECKPOINT"}},
		{[]string{"--errors-csv", ck}, []string{"--errors-csv", "CHECKPOINT"}},
		{[]string{"--created-csv", csvPath}, []string{"--created-csv", "input"}},
		{[]string{"--created-csv", out, "--errors-csv", out}, []string{"--created-csv", "--errors-csv"}},
	}
	for _, c := range cases {
		before := snapshot(t, csvPath, mappingPath, ck)
		res := runNoSummary(t, sim.URL, append([]string{"report", ck}, c.args...)...)
		if res.code != ExitUsage {
			t.Fatalf("report %v: exit %d, want %d\n%s", c.args, res.code, ExitUsage, res.stderr)
		}
		for _, f := range c.flags {
			if !strings.Contains(res.stderr, f) {
				t.Errorf("report %v: the message does not name %s:\n%s", c.args, f, res.stderr)
			}
		}
		if snapshot(t, csvPath, mappingPath, ck) != before {
			t.Errorf("report %v changed an input", c.args)
		}
		if _, err := os.Stat(out); err == nil {
			t.Errorf("report %v wrote %s", c.args, out)
		}
	}
}

// snapshot returns the contents of files, to compare before and after.
func snapshot(t *testing.T, paths ...string) string {
	t.Helper()
	var b strings.Builder
	for _, p := range paths {
		data, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		b.WriteString(p + "\x00" + string(data) + "\x00")
	}
	return b.String()
}

// runNoSummary runs the command line in-process without adding
// --summary-json, so a test can name that flag itself.
func runNoSummary(t *testing.T, url string, args ...string) result {
	t.Helper()
	var out, errb bytes.Buffer
	env := Env{Stdout: &out, Stderr: &errb, Getenv: simGetenv(url)}
	code := Main(t.Context(), args, env)
	return result{code: code, stdout: out.String(), stderr: errb.String()}
}

// importedTickets imports n tickets into a fresh simulator, as an earlier
// run would, and returns the files it used and left.
func importedTickets(t *testing.T, n int) (sim *simulator.Server, csvPath, mappingPath, ck string) {
	t.Helper()
	sim = startSim(t, simulator.Options{})
	csvPath, mappingPath = writeTickets(t, n)
	if res := run(t, sim.URL, nil, "import", csvPath, "--mapping", mappingPath); res.code != ExitOK {
		t.Fatalf("import: exit %d\n%s", res.code, res.stderr)
	}
	return sim, csvPath, mappingPath, csvPath + ".checkpoint.jsonl"
}
