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
	sim, rows, csvPath, mappingPath, ck := importedSync(t, 40)
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

// After a change that salts the row digest differently but maps every row
// to the same values (here a comment in the mapping file; a new build of
// the tool does the same), the upsert compares each row once, finds it
// unchanged and records its new digest (a verified line), so the night
// after settles every row from its cells again and writes nothing.
func TestUpsertRecordsDigestOfRowsFoundUnchanged(t *testing.T) {
	sim, rows, csvPath, mappingPath, ck := importedSync(t, 40)
	if err := os.WriteFile(mappingPath, []byte("# nightly\n"+syncMapping), 0o600); err != nil {
		t.Fatal(err)
	}
	verified := func() int {
		data, _ := os.ReadFile(ck)
		return strings.Count(string(data), `"status":"verified"`)
	}
	writes := func() int { s := sim.Stats(); return s.Creates + s.Updates }
	before := writes()
	for night, want := range []int{40, 40, 40} {
		r := run(t, sim.URL, nil, "import", csvPath, "--mapping", mappingPath, "--mode", "upsert")
		if r.code != 0 || r.num("unchanged") != 40 || writes() != before {
			t.Fatalf("night %d: exit %d, unchanged %d, %d writes\n%s", night, r.code, r.num("unchanged"), writes()-before, r.stderr)
		}
		if got := verified(); got != want {
			t.Errorf("night %d: %d verified lines, want %d", night, got, want)
		}
	}
	// A cell that changed is compared and updated, never taken as verified.
	rows[7].subject = "Printer 8 fixed"
	writeSync(t, csvPath, rows)
	if r := run(t, sim.URL, nil, "import", csvPath, "--mapping", mappingPath, "--mode", "upsert"); r.code != 0 || r.num("updated") != 1 || verified() != 40 {
		t.Fatalf("one cell changed: exit %d, updated %d, %d verified lines\n%s", r.code, r.num("updated"), verified(), r.stderr)
	}
	if w := workOf(t, sim, rows[7].id); w.Title != "Printer 8 fixed" {
		t.Errorf("title %q", w.Title)
	}
}

// The checkpoint of a sync that updated every row stays within twice the
// create-only one (issue 13): the update lines do not repeat what the
// work's earlier lines say. Sizes are deterministic; no timing here.
func TestSyncCheckpointSize(t *testing.T) {
	sim, rows, csvPath, mappingPath, ck := importedSync(t, 300)
	created := fileSize(t, ck)
	for i := range rows {
		rows[i].subject += " (edited)"
	}
	writeSync(t, csvPath, rows)
	if r := run(t, sim.URL, nil, "import", csvPath, "--mapping", mappingPath, "--mode", "upsert"); r.code != 0 || r.num("updated") != 300 {
		t.Fatalf("upsert: exit %d, updated %d\n%s", r.code, r.num("updated"), r.stderr)
	}
	synced := fileSize(t, ck)
	ratio := float64(synced) / float64(created)
	t.Logf("checkpoint %d bytes after the import, %d after the sync: %.2fx", created, synced, ratio)
	if ratio > 2 {
		t.Errorf("the sync's checkpoint is %.2fx the create-only one, want at most 2x", ratio)
	}
}

// importedSync imports n rows of the sync file into a new simulator.
func importedSync(t *testing.T, n int) (sim *simulator.Server, rows []syncRow, csvPath, mappingPath, ck string) {
	t.Helper()
	sim = startSim(t, simulator.Options{})
	rows = syncRows(n)
	csvPath, mappingPath = syncFiles(t, rows)
	if r := run(t, sim.URL, nil, "import", csvPath, "--mapping", mappingPath); r.code != 0 {
		t.Fatalf("import: exit %d\n%s", r.code, r.stderr)
	}
	return sim, rows, csvPath, mappingPath, csvPath + ".checkpoint.jsonl"
}

func fileSize(t *testing.T, path string) int64 {
	t.Helper()
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	return fi.Size()
}
