package cli

import (
	"os"
	"strings"
	"testing"

	"github.com/devrev-import/devrev-import/importer/simulator"
)

// A server whose works.list hands out the same cursor forever does not
// hold an upsert's lookup by key: the run stops with a message saying so,
// creates nothing, and can be resumed.
func TestUpsertLookupStopsOnEndlessPaging(t *testing.T) {
	sim := startSim(t, simulator.Options{LoopCursors: true})
	rows := syncRows(30)
	csvPath, mappingPath := syncFiles(t, rows)
	if r := run(t, sim.URL, nil, "import", csvPath, "--mapping", mappingPath); r.code != ExitOK {
		t.Fatalf("import: exit %d\n%s", r.code, r.stderr)
	}
	if err := os.Remove(csvPath + ".checkpoint.jsonl"); err != nil { // the works are found by key again
		t.Fatal(err)
	}
	creates := sim.Stats().Creates
	r := run(t, sim.URL, nil, "import", csvPath, "--mapping", mappingPath, "--mode", "upsert")
	if r.code != ExitStopped || !strings.Contains(r.stderr, "the server's paging does not end") {
		t.Fatalf("upsert: exit %d, want %d, naming the endless paging\n%s", r.code, ExitStopped, r.stderr)
	}
	if n := sim.Stats().Creates - creates; n != 0 {
		t.Errorf("%d works created while the lookup could not finish", n)
	}
}
