package cli

import (
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/devrev-import/devrev-import/importer/simulator"
)

// TestCreateWithANewCheckpointStopsWhenTheFileWasImportedBefore: the
// checkpoint of a finished import deleted (or another --checkpoint given),
// the same command would have created every work a second time. It stops
// with exit 2 before creating anything, names works DevRev already holds,
// and points at --mode upsert, which then settles every row without a
// write.
func TestCreateWithANewCheckpointStopsWhenTheFileWasImportedBefore(t *testing.T) {
	sim := startSim(t, simulator.Options{})
	csvPath, mappingPath := writeTickets(t, 80)
	if res := run(t, sim.URL, nil, "import", csvPath, "--mapping", mappingPath); res.code != ExitOK {
		t.Fatalf("first import: exit %d\n%s", res.code, res.stderr)
	}
	// A dry run beside the import's checkpoint does not ask.
	lists := sim.Stats().ByPath["/works.list"]
	if res := run(t, sim.URL, nil, "validate", csvPath, "--mapping", mappingPath); res.code != ExitOK || strings.Contains(res.stderr, "would stop") {
		t.Errorf("validate beside the checkpoint: exit %d\n%s", res.code, res.stderr)
	}
	if n := sim.Stats().ByPath["/works.list"]; n != lists {
		t.Errorf("validate beside the checkpoint looked keys up (%d works.list)", n-lists)
	}
	for _, tc := range []struct {
		name string
		args []string
	}{
		{"checkpoint deleted", nil},
		{"another checkpoint", []string{"--checkpoint", filepath.Join(t.TempDir(), "other.jsonl")}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if tc.args == nil {
				if err := os.Remove(csvPath + ".checkpoint.jsonl"); err != nil {
					t.Fatal(err)
				}
			}
			// The dry run says what the import would do.
			dry := run(t, sim.URL, nil, append([]string{"validate", csvPath, "--mapping", mappingPath}, tc.args...)...)
			if dry.code != ExitOK || !strings.Contains(dry.stderr, "an import would stop (exit 2) and create nothing") {
				t.Errorf("validate: exit %d, no warning of the stop:\n%s", dry.code, dry.stderr)
			}
			res := run(t, sim.URL, nil, append([]string{"import", csvPath, "--mapping", mappingPath}, tc.args...)...)
			if res.code != ExitUsage || res.summary["stopped"] != "imported_before" {
				t.Fatalf("exit %d (want %d) summary %v\n%s", res.code, ExitUsage, res.summary, res.stderr)
			}
			if res.num("created") != 0 || res.num("not_attempted") != 80 || res.num("requests") != 1 {
				t.Errorf("summary %v, want one request, nothing created, every row not attempted", res.summary)
			}
			for _, want := range []string{"50 of the first 50 valid rows", `row 2 (key "ZD-1") is TKT-`, "tnt__external_id", "--mode upsert"} {
				if !strings.Contains(res.stderr, want) {
					t.Errorf("message lacks %q:\n%s", want, res.stderr)
				}
			}
			assertExactlyOnce(t, sim, 80)
		})
	}
	// --no-key-check creates them all the same (a dry run says so: no
	// warning), and is refused outside create mode.
	other := filepath.Join(t.TempDir(), "third.jsonl")
	if res := run(t, sim.URL, nil, "validate", csvPath, "--mapping", mappingPath, "--checkpoint", other, "--no-key-check"); res.code != ExitOK || strings.Contains(res.stderr, "would stop") {
		t.Errorf("validate --no-key-check: exit %d\n%s", res.code, res.stderr)
	}
	if res := run(t, sim.URL, nil, "import", csvPath, "--mapping", mappingPath, "--mode", "upsert", "--no-key-check"); res.code != ExitUsage || !strings.Contains(res.stderr, "--no-key-check is for create mode") {
		t.Errorf("upsert --no-key-check: exit %d\n%s", res.code, res.stderr)
	}
	// What the message says to run: every work found by its key, none
	// written.
	res := run(t, sim.URL, nil, "import", csvPath, "--mapping", mappingPath, "--mode", "upsert")
	if res.code != ExitOK || res.num("created") != 0 || res.num("unchanged") != 80 {
		t.Errorf("upsert: exit %d summary %v\n%s", res.code, res.summary, res.stderr)
	}
	assertExactlyOnce(t, sim, 80)
	// The checkpoint now knows the works: create mode skips them, without
	// asking DevRev again.
	before := sim.Stats().ByPath["/works.list"]
	res = run(t, sim.URL, nil, "import", csvPath, "--mapping", mappingPath)
	if res.code != ExitOK || res.num("skipped") != 80 || sim.Stats().ByPath["/works.list"] != before {
		t.Errorf("create after upsert: exit %d summary %v, works.list %d -> %d\n%s", res.code, res.summary,
			before, sim.Stats().ByPath["/works.list"], res.stderr)
	}
}

// TestCreateWithANewCheckpointCreatesWhenDevRevHasNone: a first import
// of a file (fewer rows than one lookup) checks its keys once and creates
// every row.
func TestCreateWithANewCheckpointCreatesWhenDevRevHasNone(t *testing.T) {
	sim := startSim(t, simulator.Options{})
	csvPath, mappingPath := writeTickets(t, 7)
	res := run(t, sim.URL, nil, "import", csvPath, "--mapping", mappingPath)
	if res.code != ExitOK || res.num("created") != 7 {
		t.Fatalf("exit %d summary %v\n%s", res.code, res.summary, res.stderr)
	}
	if n := sim.Stats().ByPath["/works.list"]; n != 1 {
		t.Errorf("%d works.list calls, want the one check of the first keys", n)
	}
	assertExactlyOnce(t, sim, 7)
}

// TestCreateProbeRefusedIsAWarning: an org whose key field cannot be
// filtered by (works.list answers 400) cannot be asked; the import goes
// on as create mode always did, with a warning saying what was not
// checked.
func TestCreateProbeRefusedIsAWarning(t *testing.T) {
	url := stub(t, nil, func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/works.list" {
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusBadRequest)
			fmt.Fprint(w, `{"type":"bad_request","message":"custom field tnt__external_id is not filterable"}`)
			return
		}
		http.Error(w, `{"type":"not_found"}`, http.StatusNotFound)
	})
	csvPath, mappingPath := writeTickets(t, 5)
	res := run(t, url, nil, "import", csvPath, "--mapping", mappingPath, "--schema", "stock")
	if res.code != ExitOK || res.num("created") != 5 {
		t.Fatalf("exit %d summary %v\n%s", res.code, res.summary, res.stderr)
	}
	if !strings.Contains(res.stderr, "could not check whether DevRev already holds works") || !strings.Contains(res.stderr, "not filterable") {
		t.Errorf("no warning naming the refused check:\n%s", res.stderr)
	}
}

// TestNoKeyCheckCreatesAllTheSame: keys another import also uses (two
// trackers numbering from 1): --no-key-check asks nothing and creates.
func TestNoKeyCheckCreatesAllTheSame(t *testing.T) {
	sim := startSim(t, simulator.Options{})
	csvPath, mappingPath := writeTickets(t, 4)
	if res := run(t, sim.URL, nil, "import", csvPath, "--mapping", mappingPath); res.code != ExitOK {
		t.Fatalf("first import: exit %d\n%s", res.code, res.stderr)
	}
	lists := sim.Stats().ByPath["/works.list"]
	res := run(t, sim.URL, nil, "import", csvPath, "--mapping", mappingPath, "--checkpoint", filepath.Join(t.TempDir(), "b.jsonl"), "--no-key-check")
	if res.code != ExitOK || res.num("created") != 4 || sim.Stats().ByPath["/works.list"] != lists {
		t.Errorf("exit %d summary %v, works.list %d -> %d\n%s", res.code, res.summary, lists, sim.Stats().ByPath["/works.list"], res.stderr)
	}
	if n := len(sim.Works()); n != 8 {
		t.Errorf("%d works, want 8 (each key twice, as asked)", n)
	}
}
