package cli

import (
	"fmt"
	"maps"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/devrev-import/devrev-import/importer/report"
	"github.com/devrev-import/devrev-import/importer/simulator"
)

// An undo of a sync puts DevRev back as it was before the sync: the works
// it created are deleted, the works it found and updated get back, field
// by field, their values from before its first update, and a field a
// person changed in DevRev since is left alone and listed. The tests go
// over loopback HTTP through cli.Main, against the simulator.

// restoreNights imports 30 keyed rows (night 1, its own checkpoint), then,
// with another checkpoint (a second machine: every work is found by its
// key), upserts the next night's export: titles, owners, priorities and
// tags changed, dates emptied, dates set where there were none, five rows
// removed and five new. It returns the simulator behind front, the
// second checkpoint, the works as night 1 left them (by key), the keys
// night 2 created and the fields night 2 updated (by field).
func restoreNights(t *testing.T, front func(http.Handler) http.Handler) (sim *simulator.Server, url, ck string, night1 map[string]workFields, created []string, updated map[string]int) {
	t.Helper()
	sim = simulator.New(simulator.Options{})
	srv := httptest.NewServer(front(sim))
	t.Cleanup(srv.Close)
	rows := syncRows(30)
	for i := range rows {
		if (i+1)%7 == 0 {
			rows[i].due = ""
		}
	}
	csvPath, mappingPath := syncFiles(t, rows)
	if res := run(t, srv.URL, nil, "import", csvPath, "--mapping", mappingPath); res.code != ExitOK || res.num("created") != 30 {
		t.Fatalf("night 1: exit %d, created %d\n%s", res.code, res.num("created"), res.stderr)
	}
	night1 = simFields(sim)

	next := slices.Clone(rows)
	updated = map[string]int{}
	for i := range next {
		k, r := i+1, &next[i]
		edit := func(field string, cond bool, f func()) {
			if cond && (k < 6 || k > 10) {
				f()
				updated[field]++
			}
		}
		edit("title", k%3 == 0, func() { r.subject += " (again)" })
		edit("owned_by", k%4 == 0, func() { r.owner = "DEVU-5" })
		edit("target_close_date", k%5 == 0 || k%7 == 0, func() {
			if r.due == "" {
				r.due = "2027-02-01T09:00:00Z" // none before: the undo clears it
			} else {
				r.due = "" // emptied: the undo puts it back
			}
		})
		edit("tags", k%8 == 0, func() { r.tags = "TAG-2" })
		edit("severity", k%9 == 0, func() { r.prio = "Urgent" })
	}
	next = slices.Delete(next, 5, 10) // ZD-6..ZD-10 removed from the export
	for k := 31; k <= 35; k++ {
		next = append(next, syncRow{id: fmt.Sprintf("ZD-%d", k), subject: fmt.Sprintf("New %d", k), prio: "Low", owner: "DEVU-2", tags: "TAG-1"})
		created = append(created, fmt.Sprintf("ZD-%d", k))
	}
	writeSync(t, csvPath, next)
	ck = filepath.Join(t.TempDir(), "night2.checkpoint.jsonl")
	res := run(t, srv.URL, nil, "import", csvPath, "--mapping", mappingPath, "--mode", "upsert", "--checkpoint", ck)
	if res.code != ExitOK || res.num("created") != 5 || res.num("updated") == 0 {
		t.Fatalf("night 2: exit %d, created %d, updated %d\n%s", res.code, res.num("created"), res.num("updated"), res.stderr)
	}
	assertWorksEqual(t, sim, next)
	return sim, srv.URL, ck, night1, created, updated
}

// workFields are the mapped fields of a work as the simulator holds them.
type workFields map[string]string

// simFields returns every work's mapped fields, by key.
func simFields(sim *simulator.Server) map[string]workFields {
	out := map[string]workFields{}
	for _, w := range sim.Works() {
		due, _ := w.Raw["target_close_date"].(string)
		out[fmt.Sprint(w.CustomFields["tnt__external_id"])] = workFields{"display_id": w.DisplayID, "title": w.Title, "body": w.Body,
			"severity": fmt.Sprint(w.Raw["severity"]), "owned_by": ownerIDs(w.Raw["owned_by"]), "tags": tagIDs(w.Raw["tags"]),
			"target_close_date": due}
	}
	return out
}

func TestUndoRestoresWhatAnUpsertChanged(t *testing.T) {
	sim, url, ck, night1, created, updated := restoreNights(t, func(h http.Handler) http.Handler { return h })
	afterSync := simFields(sim)

	// A person retitles ZD-3 in DevRev after the sync changed its title.
	edited := night1["ZD-3"]["display_id"]
	var zd3 string
	for _, w := range sim.Works() {
		if w.DisplayID == edited {
			zd3 = w.ID
		}
	}
	if _, err := sim.EditWork("DEVU-2", map[string]any{"id": zd3, "type": "ticket", "title": "Retitled by a person"}); err != nil {
		t.Fatal(err)
	}

	// The prompt counts per kind; "no" changes nothing.
	before := sim.Stats()
	no := runUndoWith(t, url, "no\n", true, false, ck)
	wantPrompt := fmt.Sprintf("delete %d works created and restore 15 works updated (%s) in org ", len(created), report.FieldCounts(updated))
	if no.code != ExitUsage || !strings.Contains(no.stdout, wantPrompt) || !strings.Contains(no.stdout, "nothing deleted or restored") {
		t.Fatalf("prompt: exit %d, want %q\n%s%s", no.code, wantPrompt, no.stdout, no.stderr)
	}
	dry := run(t, url, nil, "undo", ck, "--dry-run")
	if dry.code != ExitOK {
		t.Fatalf("undo --dry-run: exit %d\n%s%s", dry.code, dry.stdout, dry.stderr)
	}
	total := 0
	for _, n := range updated {
		total += n
	}
	leftAlone := edited + " title: changed in DevRev since this import; left alone"
	if got := strings.Count(dry.stdout, "would delete"); got != len(created) {
		t.Errorf("dry run lists %d deletes, want %d:\n%s", got, len(created), dry.stdout)
	}
	if got := strings.Count(dry.stdout, "would restore "); got != total-1 {
		t.Errorf("dry run lists %d fields to restore, want %d:\n%s", got, total-1, dry.stdout)
	}
	zd12 := night1["ZD-12"]["display_id"] // title and owner changed
	for _, want := range []string{leftAlone,
		fmt.Sprintf("would restore %s title: %q -> %q", zd12, afterSync["ZD-12"]["title"], night1["ZD-12"]["title"]),
		fmt.Sprintf("would restore %s target_close_date: (empty) -> %q", night1["ZD-5"]["display_id"], "2027-01-15T10:00:00Z"),
		fmt.Sprintf("would restore %s target_close_date: %q -> (empty)", night1["ZD-14"]["display_id"], "2027-02-01T09:00:00Z"),
		fmt.Sprintf(`would restore %s owned_by: ["DEVU-5"] -> ["%s"]`, night1["ZD-4"]["display_id"], night1["ZD-4"]["owned_by"]),
	} {
		if !strings.Contains(dry.stdout, want) {
			t.Errorf("dry run lacks %q:\n%s", want, dry.stdout)
		}
	}
	if s := sim.Stats(); s.Updates != before.Updates || s.ByPath["/works.delete"] != before.ByPath["/works.delete"] {
		t.Fatalf("the dry run wrote: %d updates, %d deletes", s.Updates-before.Updates, s.ByPath["/works.delete"]-before.ByPath["/works.delete"])
	}

	undo := run(t, url, nil, "undo", ck, "--yes")
	if undo.code != ExitOK || !strings.Contains(undo.stdout, leftAlone) {
		t.Fatalf("undo: exit %d\n%s%s", undo.code, undo.stdout, undo.stderr)
	}
	wantSummary := fmt.Sprintf("deleted %d of %d, restored", len(created), len(created))
	if !strings.Contains(undo.stdout, wantSummary) || !strings.Contains(undo.stdout, "left alone 1 field (title 1)") {
		t.Errorf("undo summary lacks %q and the field left alone:\n%s", wantSummary, undo.stdout)
	}
	assertRestored(t, sim, night1, created, map[string]string{"ZD-3": "Retitled by a person"})
	// The checkpoint's report counts the works put back apart from those
	// still updated (ZD-3, its title left alone).
	rep := run(t, url, nil, "report", ck)
	if want := "updated 1, unchanged 10, restored by undo 14, failed 0"; rep.code != ExitOK || !strings.Contains(rep.stdout, want) {
		t.Errorf("report: exit %d, want %q\n%s%s", rep.code, want, rep.stdout, rep.stderr)
	}

	// Undo twice: nothing more is written; the field left alone is listed
	// again.
	mid := sim.Stats()
	again := run(t, url, nil, "undo", ck, "--yes")
	if again.code != ExitOK || !strings.Contains(again.stdout, leftAlone) {
		t.Fatalf("second undo: exit %d\n%s%s", again.code, again.stdout, again.stderr)
	}
	if s := sim.Stats(); s.Updates != mid.Updates || s.ByPath["/works.delete"] != mid.ByPath["/works.delete"] {
		t.Errorf("the second undo wrote: %d updates, %d deletes", s.Updates-mid.Updates, s.ByPath["/works.delete"]-mid.ByPath["/works.delete"])
	}
	if s := sim.Stats(); s.ByPath["/works.get"]-mid.ByPath["/works.get"] != 1 {
		t.Errorf("the second undo read %d works, want 1 (the one with a field left alone)", s.ByPath["/works.get"]-mid.ByPath["/works.get"])
	}
	assertRestored(t, sim, night1, created, map[string]string{"ZD-3": "Retitled by a person"})
}

// assertRestored checks that the works night 2 created are gone and
// every other work holds its night 1 fields, but for the titles people
// set since (titles, by key).
func assertRestored(t *testing.T, sim *simulator.Server, night1 map[string]workFields, created []string, titles map[string]string) {
	t.Helper()
	now := simFields(sim)
	for _, k := range created {
		if _, ok := now[k]; ok {
			t.Errorf("%s, created by the sync, still exists", k)
		}
	}
	for k, want := range night1 {
		got, ok := now[k]
		if !ok {
			t.Errorf("%s is gone", k)
			continue
		}
		if title, ok := titles[k]; ok {
			want = maps.Clone(want)
			want["title"] = title
		}
		for f, v := range want {
			if got[f] != v {
				t.Errorf("%s (%s) %s: %q, want %q", k, want["display_id"], f, got[f], v)
			}
		}
	}
}

// interruptFront sends SIGINT once the n-th works.update (a restore) has
// reached the simulator.
type interruptFront struct {
	h       http.Handler
	n       int64
	armed   atomic.Bool
	updates atomic.Int64
	sigs    chan os.Signal
	once    sync.Once
}

func (f *interruptFront) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	f.h.ServeHTTP(w, r)
	if f.armed.Load() && r.URL.Path == "/works.update" && f.updates.Add(1) == f.n {
		f.once.Do(func() { f.sigs <- os.Interrupt })
	}
}

// An undo interrupted while restoring exits 3; run again, it restores and
// deletes the rest, and the works end as they were before the sync.
func TestUndoInterruptedResumes(t *testing.T) {
	// Unbuffered: the third update's answer leaves only once the undo has
	// taken the signal, so it stops long before the restores end (with a
	// buffer, a loaded machine let it restore all 15 and delete one first).
	fr := &interruptFront{n: 3, sigs: make(chan os.Signal)}
	sim, url, ck, night1, created, _ := restoreNights(t, func(h http.Handler) http.Handler { fr.h = h; return fr })
	fr.armed.Store(true)
	first := run(t, url, fr.sigs, "undo", ck, "--yes", "--workers", "1")
	if first.code != ExitStopped || !strings.Contains(first.stderr, "interrupted: run undo again") {
		t.Fatalf("interrupted undo: exit %d, want %d\n%s%s", first.code, ExitStopped, first.stdout, first.stderr)
	}
	if n := len(sim.Works()); n != 35 {
		t.Fatalf("%d works after the interrupted undo, want 35 (it restores before it deletes the sync's new works)", n)
	}
	gets := sim.Stats().ByPath["/works.get"]
	second := run(t, url, nil, "undo", ck, "--yes")
	if second.code != ExitOK {
		t.Fatalf("resumed undo: exit %d\n%s%s", second.code, second.stdout, second.stderr)
	}
	// The restores the first undo journaled are not read again.
	if n := sim.Stats().ByPath["/works.get"] - gets; n > 15-2 {
		t.Errorf("the resumed undo read %d works, want at most 13 of the 15 to restore", n)
	}
	assertRestored(t, sim, night1, created, nil)
	mid := sim.Stats()
	again := run(t, url, nil, "undo", ck, "--yes")
	if again.code != ExitOK || !strings.Contains(again.stdout, "nothing to undo") {
		t.Errorf("third undo: exit %d\n%s%s", again.code, again.stdout, again.stderr)
	}
	if s := sim.Stats(); s.Requests != mid.Requests {
		t.Errorf("the third undo sent %d requests, want none", s.Requests-mid.Requests)
	}
}
