package cli

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/devrev-import/devrev-import/importer/simulator"
)

// validate shows the same bar as an import: rows read of a total (which a
// validate estimates from the bytes read instead of counting the rows
// first), so a big file's dry run says how far it is.
func TestValidateShowsProgress(t *testing.T) {
	dir := t.TempDir()
	csvPath := filepath.Join(dir, "big.csv")
	var b strings.Builder
	b.WriteString("Ticket ID,Subject\n")
	for i := 1; i <= 3000; i++ {
		fmt.Fprintf(&b, "T-%d,subject %d\n", i, i)
	}
	if err := os.WriteFile(csvPath, []byte(b.String()), 0o600); err != nil {
		t.Fatal(err)
	}
	mappingPath := filepath.Join(dir, "m.yaml")
	if err := os.WriteFile(mappingPath, []byte("type: ticket\nkey: Ticket ID\ncolumns:\n  Subject: title\ndefaults:\n  applies_to_part: PROD-1\n  owned_by: [DEVU-1]\nignore: [Ticket ID]\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	res := run(t, "", nil, "validate", csvPath, "--mapping", mappingPath, "--progress", "always")
	if res.code != ExitOK {
		t.Fatalf("exit %d:\n%s", res.code, res.stderr)
	}
	// The bar clears itself once done; its frames stay in the output.
	if !strings.Contains(res.stderr, "/3000)") || !strings.Contains(res.stderr, "validated, invalid 0") {
		t.Errorf("no bar with a total of 3000 rows on stderr:\n%q", res.stderr)
	}
}

// Under cron (--progress never) the setup says what it is doing before
// the rows begin (reading the checkpoint, counting the rows), and so does
// an undo (reading its checkpoint): a long setup is not a silent log.
func TestSetupStepsAreLogged(t *testing.T) {
	sim := startSim(t, simulator.Options{})
	csvPath, mappingPath := writeTickets(t, 5)
	res := run(t, sim.URL, nil, "import", csvPath, "--mapping", mappingPath)
	if res.code != ExitOK {
		t.Fatalf("exit %d:\n%s", res.code, res.stderr)
	}
	for _, want := range []string{`msg=setup step="reading the checkpoint ` + csvPath + `.checkpoint.jsonl"`, `msg=setup step="counting rows"`} {
		if !strings.Contains(res.stderr, want) {
			t.Errorf("stderr lacks %s:\n%s", want, res.stderr)
		}
	}
	u := runUndoWith(t, sim.URL, "", false, false, csvPath+".checkpoint.jsonl", "--yes", "--progress", "never")
	if u.code != ExitOK || !strings.Contains(u.stderr, `msg=setup step="reading the checkpoint `) {
		t.Errorf("undo: exit %d:\n%s", u.code, u.stderr)
	}
}
