package cli

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/devrev-import/devrev-import/importer/checkpoint"
	"github.com/devrev-import/devrev-import/importer/simulator"
)

// These tests leave rows in doubt the way a user's run does (answers lost
// after the request left), then run the same command again, without a
// custom-field key: reconciliation must match on every field the request
// carried.

// keylessMapping keys rows by a column DevRev never sees: reconciliation
// cannot look the key up and must compare what was sent.
const keylessMapping = `type: ticket
key: Ticket ID
columns:
  Subject: title
  Description: body
  Assignee: owned_by
defaults:
  applies_to_part: PROD-1
ignore: [Ticket ID]
`

// writeRows writes "Ticket ID,Subject,Description,Assignee" rows and the
// keyless mapping; the checkpoint goes next to the CSV.
func writeRows(t *testing.T, rows ...[3]string) (csvPath, mappingPath string) {
	t.Helper()
	dir := t.TempDir()
	var b strings.Builder
	b.WriteString("Ticket ID,Subject,Description,Assignee\n")
	for i, r := range rows {
		fmt.Fprintf(&b, "K-%d,%s,%s,%s\n", i+1, r[0], r[1], r[2])
	}
	csvPath, mappingPath = filepath.Join(dir, "rows.csv"), filepath.Join(dir, "rows.yaml")
	if err := os.WriteFile(csvPath, []byte(b.String()), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(mappingPath, []byte(keylessMapping), 0o600); err != nil {
		t.Fatal(err)
	}
	return csvPath, mappingPath
}

// lossy stands between the importer and the simulator: the creates whose
// number (1-based, in arrival order) perform accepts are performed and
// their connection dropped before the answer; every other create is
// dropped before it reaches the simulator. works.list answers listStatus
// (with a bad-request body), so the lookup that follows cannot finish.
type lossy struct {
	sim        *simulator.Server
	perform    func(n int64) bool
	listStatus int
	creates    atomic.Int64
	lists      atomic.Int64
	healed     atomic.Bool // pass everything through, losing nothing
}

func (l *lossy) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if l.healed.Load() {
		l.sim.ServeHTTP(w, r)
		return
	}
	switch r.URL.Path {
	case "/works.create":
		if l.perform(l.creates.Add(1)) {
			l.sim.ServeHTTP(&discardWriter{h: http.Header{}}, r)
		}
		hj, ok := w.(http.Hijacker)
		if !ok {
			panic("lossy: no hijacker")
		}
		conn, _, err := hj.Hijack()
		if err == nil {
			conn.Close()
		}
	case "/works.list":
		l.lists.Add(1)
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(l.listStatus)
		fmt.Fprint(w, `{"type":"bad_request","message":"lookups are down in this test"}`)
	default:
		l.sim.ServeHTTP(w, r)
	}
}

// leaveInDoubt runs the import once through a lossy front: every row's
// answer is lost and no lookup can finish, so the run must exit 3 and
// leave every row in doubt, sent once and not marked failed. It returns
// the front's URL, which from then on loses nothing: the checkpoint
// belongs to that endpoint.
func leaveInDoubt(t *testing.T, sim *simulator.Server, csvPath, mappingPath string, rows int, perform func(int64) bool) string {
	t.Helper()
	front := &lossy{sim: sim, perform: perform, listStatus: http.StatusBadRequest}
	srv := httptest.NewServer(front)
	t.Cleanup(srv.Close)
	defer front.healed.Store(true)
	res := run(t, srv.URL, nil, "import", csvPath, "--mapping", mappingPath, "--workers", "4")
	if res.code != ExitStopped {
		t.Fatalf("run with lost answers and failing lookups: exit %d, want %d\n%s", res.code, ExitStopped, res.stderr)
	}
	if !strings.Contains(res.stderr, "could not be reconciled") {
		t.Errorf("stderr does not say the rows could not be reconciled:\n%s", res.stderr)
	}
	if n := front.creates.Load(); n != int64(rows) {
		t.Errorf("%d creates sent, want %d: a row in doubt was resent before it was looked up", n, rows)
	}
	if front.lists.Load() == 0 {
		t.Errorf("no lookup was tried")
	}
	_, st, _, err := checkpoint.Read(csvPath + ".checkpoint.jsonl")
	if err != nil {
		t.Fatal(err)
	}
	if c := st.Counts(); c[checkpoint.Sending] != rows {
		t.Fatalf("checkpoint after the lossy run: %v, want all %d rows in doubt", c, rows)
	}
	return srv.URL
}

type owned struct{ title, owner string }

// worksOf lists the simulator's works as (title, first owner's display ID).
func worksOf(sim *simulator.Server) []owned {
	var out []owned
	for _, w := range sim.Works() {
		o := owned{title: w.Title}
		if owners, _ := w.Raw["owned_by"].([]any); len(owners) > 0 {
			m, _ := owners[0].(map[string]any)
			o.owner, _ = m["display_id"].(string)
		}
		out = append(out, o)
	}
	slices.SortFunc(out, func(a, b owned) int { return strings.Compare(a.title+a.owner, b.title+b.owner) })
	return out
}

// createdIDs returns the work ID the checkpoint records per row number.
func createdIDs(t *testing.T, ck string) map[int]string {
	t.Helper()
	_, st, _, err := checkpoint.Read(ck)
	if err != nil {
		t.Fatal(err)
	}
	ids := map[int]string{}
	st.Each(func(e checkpoint.Entry) bool {
		if e.Status == checkpoint.Created {
			ids[e.Row] = e.ID
		}
		return true
	})
	return ids
}

// Two rows with the same title and different owners; the first run sent
// both, the second's request created its work, the first's did not, and
// both answers were lost. The rerun must find row 3's work (owner DEVU-2)
// for row 3 only, and create row 2's (owner DEVU-1).
func TestSameTitleDifferentOwnersReconcileExactly(t *testing.T) {
	sim := startSim(t, simulator.Options{})
	csvPath, mappingPath := writeRows(t, [3]string{"Same title", "", "DEVU-1"}, [3]string{"Same title", "", "DEVU-2"})
	// Which row's create arrives first is up to the workers, so the lossy
	// run drops both before the simulator, and row 3's work is made as its
	// request would have made it.
	url := leaveInDoubt(t, sim, csvPath, mappingPath, 2, func(int64) bool { return false })
	if _, err := sim.AddWork("", map[string]any{"type": "ticket", "title": "Same title", "applies_to_part": "PROD-1", "owned_by": []any{"DEVU-2"}}); err != nil {
		t.Fatal(err)
	}
	ghost := sim.Works()[0].ID

	res := run(t, url, nil, "import", csvPath, "--mapping", mappingPath)
	if res.code != ExitOK {
		t.Fatalf("rerun: exit %d\n%s", res.code, res.stderr)
	}
	want := []owned{{"Same title", "DEVU-1"}, {"Same title", "DEVU-2"}}
	if got := worksOf(sim); !slices.Equal(got, want) {
		t.Errorf("works %v, want %v", got, want)
	}
	ids := createdIDs(t, csvPath+".checkpoint.jsonl")
	if ids[3] != ghost || ids[2] == "" || ids[2] == ghost {
		t.Errorf("checkpoint: row 2 -> %q, row 3 -> %q; want row 3 -> the work its lost request made (%s)", ids[2], ids[3], ghost)
	}
	if res.num("reconciled") != 1 || res.num("created") != 2 {
		t.Errorf("reconciled %d created %d, want 1 and 2", res.num("reconciled"), res.num("created"))
	}
}

// Five identical rows (other keys, same title, body and owner) in doubt,
// of which three requests created their work: the rerun claims the three
// and sends the other two. Five works, each recorded by one row.
func TestIdenticalRowsInDoubtAreAMultiset(t *testing.T) {
	sim := startSim(t, simulator.Options{})
	var rows [][3]string
	for range 5 {
		rows = append(rows, [3]string{"Refund request", "Customer wants money back", "DEVU-3"})
	}
	csvPath, mappingPath := writeRows(t, rows...)
	url := leaveInDoubt(t, sim, csvPath, mappingPath, 5, func(n int64) bool { return n <= 3 })
	if n := len(sim.Works()); n != 3 {
		t.Fatalf("the lossy run made %d works, want 3", n)
	}

	res := run(t, url, nil, "import", csvPath, "--mapping", mappingPath)
	if res.code != ExitOK {
		t.Fatalf("rerun: exit %d\n%s", res.code, res.stderr)
	}
	if n := len(sim.Works()); n != 5 {
		t.Errorf("%d works, want 5 (3 found, 2 sent)", n)
	}
	if res.num("reconciled") != 3 || res.num("requests") != 2 {
		t.Errorf("reconciled %d with %d creates, want 3 reconciled and 2 creates", res.num("reconciled"), res.num("requests"))
	}
	ids := createdIDs(t, csvPath+".checkpoint.jsonl")
	seen := map[string]bool{}
	for row := 2; row <= 6; row++ {
		if ids[row] == "" || seen[ids[row]] {
			t.Errorf("row %d recorded as %q (rows: %v)", row, ids[row], ids)
		}
		seen[ids[row]] = true
	}
}

// ambiguousSetup leaves one row ambiguous: its request was performed and its
// answer lost, and by the rerun a second identical work exists (made by
// the same user within the window, say by hand). Two works match a row
// that can have made one: the row fails, and no later run resends it.
func ambiguousSetup(t *testing.T) (sim *simulator.Server, csvPath, mappingPath, ck, url string) {
	t.Helper()
	sim = startSim(t, simulator.Options{})
	csvPath, mappingPath = writeRows(t, [3]string{"Printer jam", "Tray 2", "DEVU-1"})
	ck = csvPath + ".checkpoint.jsonl"
	url = leaveInDoubt(t, sim, csvPath, mappingPath, 1, func(int64) bool { return true })
	if _, err := sim.AddWork("", map[string]any{"type": "ticket", "title": "Printer jam", "body": "Tray 2",
		"applies_to_part": "PROD-1", "owned_by": []any{"DEVU-1"}}); err != nil {
		t.Fatal(err)
	}
	for i := range 2 {
		res := run(t, url, nil, "import", csvPath, "--mapping", mappingPath)
		if res.code != ExitRowsFailed || res.num("failed") != 1 || res.num("requests") != 0 {
			t.Fatalf("run %d with two candidates: exit %d, failed %d, requests %d; want exit 1, 1 failed, no request\n%s",
				i+1, res.code, res.num("failed"), res.num("requests"), res.stderr)
		}
		if !strings.Contains(res.stderr, "in_doubt_ambiguous") || !strings.Contains(res.stderr, "devrev-import resolve "+ck+" 2 --id") {
			t.Errorf("run %d: stderr does not name the decision to make:\n%s", i+1, res.stderr)
		}
		if n := len(sim.Works()); n != 2 {
			t.Fatalf("run %d: %d works, want the 2 there were", i+1, n)
		}
	}
	list := run(t, url, nil, "resolve", ck)
	if list.code != ExitOK || !strings.Contains(list.stdout, "row 2 (key K-1): candidates TKT-1, TKT-2") {
		t.Errorf("resolve CHECKPOINT: exit %d\n%s%s", list.code, list.stdout, list.stderr)
	}
	return sim, csvPath, mappingPath, ck, url
}

func TestAmbiguousRowStaysFailedUntilResolved(t *testing.T) {
	t.Run("--id records the work", func(t *testing.T) {
		sim, csvPath, mappingPath, ck, url := ambiguousSetup(t)
		if res := run(t, url, nil, "resolve", ck, "2", "--id", "TKT-9"); res.code != ExitUsage || !strings.Contains(res.stderr, "no work TKT-9") {
			t.Errorf("resolve --id of a work that does not exist: exit %d\n%s", res.code, res.stderr)
		}
		if res := run(t, url, nil, "resolve", ck, "2", "--id", "TKT-2"); res.code != ExitOK {
			t.Fatalf("resolve --id TKT-2: exit %d\n%s", res.code, res.stderr)
		}
		res := run(t, url, nil, "import", csvPath, "--mapping", mappingPath)
		if res.code != ExitOK || res.num("skipped") != 1 || res.num("requests") != 0 || len(sim.Works()) != 2 {
			t.Fatalf("import after resolve: exit %d, skipped %d, requests %d, %d works\n%s", res.code, res.num("skipped"), res.num("requests"), len(sim.Works()), res.stderr)
		}
		if ids := createdIDs(t, ck); ids[2] != sim.Works()[1].ID {
			t.Errorf("row 2 recorded as %q, want TKT-2 (%s)", ids[2], sim.Works()[1].ID)
		}
		if res := run(t, url, nil, "resolve", ck, "2", "--send"); res.code != ExitUsage || !strings.Contains(res.stderr, "not ambiguous") {
			t.Errorf("resolving a created row: exit %d\n%s", res.code, res.stderr)
		}
	})
	t.Run("--send sends it once", func(t *testing.T) {
		sim, csvPath, mappingPath, ck, url := ambiguousSetup(t)
		lock, err := checkpoint.Lock(context.Background(), ck, 0)
		if err != nil {
			t.Fatal(err)
		}
		if res := run(t, url, nil, "resolve", ck, "2", "--send"); res.code != ExitLocked {
			t.Errorf("resolve while another run holds the checkpoint: exit %d, want %d\n%s", res.code, ExitLocked, res.stderr)
		}
		lock.Unlock()
		if res := run(t, url, nil, "resolve", ck, "2", "--send"); res.code != ExitOK {
			t.Fatalf("resolve --send: exit %d\n%s", res.code, res.stderr)
		}
		res := run(t, url, nil, "import", csvPath, "--mapping", mappingPath)
		if res.code != ExitOK || res.num("created") != 1 || len(sim.Works()) != 3 {
			t.Fatalf("import after --send: exit %d, created %d, %d works\n%s", res.code, res.num("created"), len(sim.Works()), res.stderr)
		}
		if list := run(t, url, nil, "resolve", ck); !strings.Contains(list.stdout, "no ambiguous rows") {
			t.Errorf("resolve CHECKPOINT after all is settled:\n%s", list.stdout)
		}
	})
}

// Lookups that keep failing are failures like any other: with
// --max-consecutive-failures 3 the run stops after the third row it could
// not reconcile, instead of sending on into an API that cannot answer.
func TestFailedReconciliationsCountAsConsecutiveFailures(t *testing.T) {
	sim := startSim(t, simulator.Options{})
	var rows [][3]string
	for i := range 6 {
		rows = append(rows, [3]string{fmt.Sprintf("Row %d", i), "", "DEVU-1"})
	}
	csvPath, mappingPath := writeRows(t, rows...)
	front := &lossy{sim: sim, perform: func(int64) bool { return false }, listStatus: http.StatusBadRequest}
	srv := httptest.NewServer(front)
	defer srv.Close()
	res := run(t, srv.URL, nil, "import", csvPath, "--mapping", mappingPath, "--workers", "1", "--max-consecutive-failures", "3")
	if res.code != ExitStopped || res.summary["stopped"] != "api_unavailable" {
		t.Fatalf("exit %d, stopped %v; want 3 and api_unavailable\n%s", res.code, res.summary["stopped"], res.stderr)
	}
	if n := front.creates.Load(); n != 3 {
		t.Errorf("%d creates, want 3 (one per row until the third failed lookup)", n)
	}
	if res.num("not_attempted") != 6 {
		t.Errorf("not attempted %d, want 6 (3 left in doubt, 3 never sent)", res.num("not_attempted"))
	}
}

// A row whose lookup can never finish (say, too many candidates) would
// stop every run with exit 3: resolve settles it too.
func TestResolveSettlesARowLeftInDoubt(t *testing.T) {
	sim := startSim(t, simulator.Options{})
	csvPath, mappingPath := writeRows(t, [3]string{"Printer jam", "", "DEVU-1"})
	ck := csvPath + ".checkpoint.jsonl"
	url := leaveInDoubt(t, sim, csvPath, mappingPath, 1, func(int64) bool { return true })
	list := run(t, url, nil, "resolve", ck)
	if list.code != ExitOK || !strings.Contains(list.stdout, "row 2 (key K-1): in doubt") {
		t.Errorf("resolve CHECKPOINT: exit %d\n%s%s", list.code, list.stdout, list.stderr)
	}
	if res := run(t, url, nil, "resolve", ck, "K-1", "--id", sim.Works()[0].DisplayID); res.code != ExitOK {
		t.Fatalf("resolve K-1 --id: exit %d\n%s", res.code, res.stderr)
	}
	res := run(t, url, nil, "import", csvPath, "--mapping", mappingPath)
	if res.code != ExitOK || res.num("skipped") != 1 || res.num("requests") != 0 || len(sim.Works()) != 1 {
		t.Fatalf("import after resolve: exit %d, skipped %d, requests %d, %d works\n%s", res.code, res.num("skipped"), res.num("requests"), len(sim.Works()), res.stderr)
	}
}

// A row in doubt that a later run finds invalid (the file was edited)
// stays in doubt: once fixed, it is looked up, not sent blindly.
func TestInvalidRowKeepsItsDoubt(t *testing.T) {
	sim := startSim(t, simulator.Options{})
	csvPath, mappingPath := writeRows(t, [3]string{"Printer jam", "", "DEVU-1"})
	url := leaveInDoubt(t, sim, csvPath, mappingPath, 1, func(int64) bool { return true })
	good, err := os.ReadFile(csvPath)
	if err != nil {
		t.Fatal(err)
	}
	bad := strings.Replace(string(good), "Printer jam", "", 1) // title is required
	if err := os.WriteFile(csvPath, []byte(bad), 0o600); err != nil {
		t.Fatal(err)
	}
	if res := run(t, url, nil, "import", csvPath, "--mapping", mappingPath); res.code != ExitRowsFailed || res.num("invalid") != 1 {
		t.Fatalf("run on the edited file: exit %d, invalid %d\n%s", res.code, res.num("invalid"), res.stderr)
	}
	if err := os.WriteFile(csvPath, good, 0o600); err != nil {
		t.Fatal(err)
	}
	res := run(t, url, nil, "import", csvPath, "--mapping", mappingPath)
	if res.code != ExitOK || res.num("reconciled") != 1 || res.num("requests") != 0 {
		t.Fatalf("run on the fixed file: exit %d, reconciled %d, requests %d\n%s", res.code, res.num("reconciled"), res.num("requests"), res.stderr)
	}
	if n := len(sim.Works()); n != 1 {
		t.Errorf("%d works, want 1", n)
	}
}
