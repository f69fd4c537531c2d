package cli

import (
	"os"
	"strings"
	"testing"

	"github.com/devrev-import/devrev-import/importer/simulator"
)

// An unchanged row is settled from its cells (the digest its created line
// carries) only while the mapping is the one its work was written with:
// the same cells under an edited mapping map to other values, and those
// are sent.
func TestUpsertCellDigestFollowsTheMapping(t *testing.T) {
	sim := startSim(t, simulator.Options{})
	rows := syncRows(40)
	csvPath, mappingPath := syncFiles(t, rows)
	ck := csvPath + ".checkpoint.jsonl"
	if r := run(t, sim.URL, nil, "import", csvPath, "--mapping", mappingPath); r.code != 0 {
		t.Fatalf("import: exit %d\n%s", r.code, r.stderr)
	}
	lines, _ := os.ReadFile(ck)
	if n := strings.Count(string(lines), `"rs":"`); n != 40 {
		t.Fatalf("%d lines carry a row digest, want the 40 created ones", n)
	}
	writes := func() int { s := sim.Stats(); return s.Creates + s.Updates }
	before := writes()
	r := run(t, sim.URL, nil, "import", csvPath, "--mapping", mappingPath, "--mode", "upsert")
	if r.code != 0 || r.num("unchanged") != 40 || writes() != before {
		t.Fatalf("unchanged upsert: exit %d, unchanged %d, %d writes\n%s", r.code, r.num("unchanged"), writes()-before, r.stderr)
	}
	// The same cells, another value map: the Urgent rows' severity changes.
	edited := strings.Replace(syncMapping, "Urgent: blocker", "Urgent: high", 1)
	if err := os.WriteFile(mappingPath, []byte(edited), 0o600); err != nil {
		t.Fatal(err)
	}
	r = run(t, sim.URL, nil, "import", csvPath, "--mapping", mappingPath, "--mode", "upsert")
	urgent := 0
	for _, row := range rows {
		if row.prio == "Urgent" {
			urgent++
		}
	}
	if r.code != 0 || r.num("updated") != urgent || r.num("unchanged") != 40-urgent {
		t.Fatalf("after the mapping edit: exit %d, updated %d (want %d), unchanged %d\n%s", r.code, r.num("updated"), urgent, r.num("unchanged"), r.stderr)
	}
	for _, row := range rows {
		if w := workOf(t, sim, row.id); row.prio == "Urgent" && w.Raw["severity"] != "high" {
			t.Errorf("%s: severity %v, want high", row.id, w.Raw["severity"])
		}
	}
	// A cell changed, in a mapped column: the row is compared and updated.
	rows[4].subject = "Printer 5 fixed"
	writeSync(t, csvPath, rows)
	r = run(t, sim.URL, nil, "import", csvPath, "--mapping", mappingPath, "--mode", "upsert")
	if r.code != 0 || r.num("updated") != 1 {
		t.Fatalf("one cell changed: exit %d, updated %d\n%s", r.code, r.num("updated"), r.stderr)
	}
	if w := workOf(t, sim, rows[4].id); w.Title != "Printer 5 fixed" {
		t.Errorf("title %q", w.Title)
	}
}
