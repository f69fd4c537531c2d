package cli

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/devrev-import/devrev-import/importer/checkpoint"
	"github.com/devrev-import/devrev-import/importer/simulator"
)

// These tests follow a checkpoint's identity (which rows it keys, for
// which endpoint, org and mapping) the way a user runs into it: through
// cli.Main against the simulator over loopback, asserting the simulator's
// record and the exit code.

// writeFile writes data into dir/name and returns the path.
func writeFile(t *testing.T, dir, name, data string) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, []byte(data), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

// externalIDs lists the tnt__external_id of every work the simulator
// holds, sorted, so a test can compare it with exactly the rows it expects.
func externalIDs(sim *simulator.Server) []string {
	var out []string
	for _, w := range sim.Works() {
		out = append(out, fmt.Sprint(w.CustomFields["tnt__external_id"]))
	}
	sort.Strings(out)
	return out
}

func wantWorks(t *testing.T, sim *simulator.Server, want ...string) {
	t.Helper()
	sort.Strings(want)
	if got := externalIDs(sim); strings.Join(got, " ") != strings.Join(want, " ") {
		t.Errorf("simulator holds works %q, want %q", got, want)
	}
}

const ticketHeader = "Ticket ID,Subject,Description,Priority,Assignee\n"

func TestEmptyKeyIsOneInvalidRowAndTheRunGoesOn(t *testing.T) {
	sim := startSim(t, simulator.Options{})
	dir := t.TempDir()
	file := writeFile(t, dir, "t.csv", ticketHeader+
		"ZD-1,a,b,High,DEVU-1\n"+
		",no key,b,High,DEVU-1\n"+ // only the key is wrong
		"  ,,b,Critical,ACC-1\n"+ // a blank key and other problems
		"ZD-4,d,b,Low,DEVU-2\n")
	mp := writeFile(t, dir, "m.yaml", ticketMapping)
	for i := range 2 {
		res := run(t, sim.URL, nil, "import", file, "--mapping", mp)
		if res.code != ExitRowsFailed || res.num("invalid") != 2 {
			t.Fatalf("run %d: exit %d summary %v\n%s", i+1, res.code, res.summary, res.stderr)
		}
		if !strings.Contains(res.stderr, `t.csv:3 column "Ticket ID": key is empty (key column "Ticket ID")`) {
			t.Errorf("run %d: no empty-key message naming the key column:\n%s", i+1, res.stderr)
		}
		if strings.Contains(res.stderr, "has no key") {
			t.Errorf("run %d: the journal refused the row:\n%s", i+1, res.stderr)
		}
		wantWorks(t, sim, "ZD-1", "ZD-4")
	}
	_, st, _, err := checkpoint.Read(file + ".checkpoint.jsonl")
	if err != nil {
		t.Fatal(err)
	}
	for _, row := range []int{3, 4} {
		if e, ok := st.Last(" row " + fmt.Sprint(row) + ": empty key"); !ok || e.Status != checkpoint.Invalid {
			t.Errorf("row %d journaled as %+v, %v; want invalid under its stand-in key", row, e, ok)
		}
	}
}

func TestAFixedRowStaysDone(t *testing.T) {
	sim := startSim(t, simulator.Options{})
	dir := t.TempDir()
	file := writeFile(t, dir, "t.csv", ticketHeader+
		"ZD-1,a,b,High,DEVU-1\n"+
		"ZD-2,b,b,Critical,DEVU-1\n"+
		"ZD-3,c,b,Low,DEVU-2\n")
	mp := writeFile(t, dir, "m.yaml", ticketMapping)
	ck := file + ".checkpoint.jsonl"
	if res := run(t, sim.URL, nil, "import", file, "--mapping", mp); res.code != ExitRowsFailed || res.num("created") != 2 {
		t.Fatalf("first run: exit %d summary %v\n%s", res.code, res.summary, res.stderr)
	}
	// The user fixes the row in the errors CSV and imports that, against
	// the original checkpoint.
	errCSV, err := os.ReadFile(file + ".errors.csv")
	if err != nil {
		t.Fatal(err)
	}
	fixed := writeFile(t, dir, "fixed.csv", strings.Replace(string(errCSV), ",Critical,", ",Urgent,", 1))
	if res := run(t, sim.URL, nil, "import", fixed, "--mapping", mp, "--checkpoint", ck); res.code != ExitOK || res.num("created") != 1 {
		t.Fatalf("fixed rows: exit %d summary %v\n%s", res.code, res.summary, res.stderr)
	}
	// The original file, still wrong in row 3, is done.
	for i := range 2 {
		res := run(t, sim.URL, nil, "import", file, "--mapping", mp)
		if res.code != ExitOK || res.num("skipped") != 3 || res.num("invalid") != 0 {
			t.Fatalf("rerun %d: exit %d summary %v\n%s", i+1, res.code, res.summary, res.stderr)
		}
	}
	wantWorks(t, sim, "ZD-1", "ZD-2", "ZD-3")
}

// orgFront passes everything to the simulator but answers dev-users.self
// for the org it is set to, as two orgs behind one endpoint would.
type orgFront struct {
	sim *simulator.Server
	org atomic.Value // string: "devo/…"
}

func (o *orgFront) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.URL.Path == "/dev-users.self" {
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprintf(w, `{"dev_user":{"id":"don:identity:dvrv-us-1:%s:devu/1","display_id":"DEVU-1"}}`, o.org.Load())
		return
	}
	o.sim.ServeHTTP(w, r)
}

func TestACheckpointBelongsToOneEndpointAndOneOrg(t *testing.T) {
	sim := startSim(t, simulator.Options{})
	file, mp := writeTickets(t, 3)
	if res := run(t, sim.URL, nil, "import", file, "--mapping", mp); res.code != ExitOK {
		t.Fatalf("first run: exit %d\n%s", res.code, res.stderr)
	}
	// The same checkpoint against another DevRev: refused, nothing sent.
	other := startSim(t, simulator.Options{})
	res := run(t, other.URL, nil, "import", file, "--mapping", mp)
	if res.code != ExitUsage || !strings.Contains(res.stderr, "belongs to endpoint "+sim.URL+", but this run uses "+other.URL) {
		t.Errorf("another endpoint: exit %d\n%s", res.code, res.stderr)
	}
	if n := len(other.Works()); n != 0 {
		t.Errorf("the other endpoint got %d works", n)
	}

	// One endpoint, two orgs (the token changed).
	front := &orgFront{sim: startSim(t, simulator.Options{})}
	front.org.Store("devo/a")
	srv := httptest.NewServer(front)
	defer srv.Close()
	file, mp = writeTickets(t, 3)
	if res := run(t, srv.URL, nil, "import", file, "--mapping", mp); res.code != ExitOK {
		t.Fatalf("org a: exit %d\n%s", res.code, res.stderr)
	}
	front.org.Store("devo/b")
	res = run(t, srv.URL, nil, "import", file, "--mapping", mp)
	if res.code != ExitUsage || !strings.Contains(res.stderr, "belongs to org don:identity:dvrv-us-1:devo/a, but the token is of org don:identity:dvrv-us-1:devo/b") {
		t.Errorf("another org: exit %d\n%s", res.code, res.stderr)
	}
	if n := len(front.sim.Works()); n != 3 {
		t.Errorf("%d works, want the 3 of org a", n)
	}
}

// A --sandbox trial keeps its own checkpoint: the real import afterwards
// creates every row instead of skipping the trial's.
func TestSandboxTrialDoesNotMakeTheRealImportANoOp(t *testing.T) {
	file, mp := writeTickets(t, 3)
	trial := run(t, "", nil, "import", "--sandbox", file, "--mapping", mp)
	if trial.code != ExitOK || trial.num("created") != 3 || trial.summary["checkpoint"] != file+".sandbox.checkpoint.jsonl" {
		t.Fatalf("trial: exit %d summary %v\n%s", trial.code, trial.summary, trial.stderr)
	}
	sim := startSim(t, simulator.Options{})
	res := run(t, sim.URL, nil, "import", file, "--mapping", mp)
	if res.code != ExitOK || res.num("created") != 3 || res.num("skipped") != 0 {
		t.Fatalf("real import: exit %d summary %v\n%s", res.code, res.summary, res.stderr)
	}
	assertExactlyOnce(t, sim, 3)
	// The trial's checkpoint pointed at the real org is refused.
	res = run(t, sim.URL, nil, "import", file, "--mapping", mp, "--checkpoint", file+".sandbox.checkpoint.jsonl")
	if res.code != ExitUsage || !strings.Contains(res.stderr, "belongs to endpoint sandbox") {
		t.Errorf("sandbox checkpoint against the API: exit %d\n%s", res.code, res.stderr)
	}
	assertExactlyOnce(t, sim, 3)
}

func TestAnotherKeyIsRefused(t *testing.T) {
	sim := startSim(t, simulator.Options{})
	file, mp := writeTickets(t, 3)
	if res := run(t, sim.URL, nil, "import", file, "--mapping", mp); res.code != ExitOK {
		t.Fatalf("first run: exit %d\n%s", res.code, res.stderr)
	}
	keyless := writeFile(t, filepath.Dir(mp), "keyless.yaml", strings.Replace(ticketMapping, "key: Ticket ID\n", "", 1))
	for _, tt := range []struct {
		name string
		args []string
		want string
	}{
		{"--key", []string{"--mapping", mp, "--key", "Subject"},
			`the checkpoint's rows are keyed by "Ticket ID"; this run keys by "Subject": every row would be created again`},
		{"key added", []string{"--mapping", mp, "--key", "Ticket ID,Subject"}, `this run keys by "Ticket ID", "Subject"`},
		{"key removed", []string{"--mapping", keyless}, `this run keys by a hash`},
	} {
		res := run(t, sim.URL, nil, append([]string{"import", file}, tt.args...)...)
		if res.code != ExitUsage || !strings.Contains(res.stderr, tt.want) {
			t.Errorf("%s: exit %d, want 2 and %q\n%s", tt.name, res.code, tt.want, res.stderr)
		}
	}
	assertExactlyOnce(t, sim, 3)
	// report shows whom the checkpoint belongs to.
	rep := run(t, sim.URL, nil, "report", file+".checkpoint.jsonl")
	for _, want := range []string{"endpoint   " + sim.URL + "\n", "org        don:identity:", "keyed by   \"Ticket ID\"\n"} {
		if !strings.Contains(rep.stdout, want) {
			t.Errorf("report does not show %q:\n%s", want, rep.stdout)
		}
	}
}

// Keyless rows are keyed by their mapped cells, trimmed: a trailing space,
// a new unmapped or ignored column, columns moved, or a column added to
// the mapping does not make them new rows.
func TestKeylessRowsSurviveCosmeticChanges(t *testing.T) {
	sim := startSim(t, simulator.Options{})
	dir := t.TempDir()
	mapping := strings.Replace(ticketMapping, "key: Ticket ID\n", "", 1)
	mapping = strings.Replace(mapping, "  Ticket ID: custom_fields.tnt__external_id\n", "", 1)
	mp := writeFile(t, dir, "m.yaml", mapping)
	file := writeFile(t, dir, "t.csv", "Subject,Description,Priority,Assignee\nPrinter,smoke,High,DEVU-1\nMonitor,dark,Low,DEVU-2\n")
	ck := file + ".checkpoint.jsonl"
	if res := run(t, sim.URL, nil, "import", file, "--mapping", mp); res.code != ExitOK || res.num("created") != 2 {
		t.Fatalf("first run: exit %d summary %v\n%s", res.code, res.summary, res.stderr)
	}
	edited := writeFile(t, dir, "t2.csv", "Notes,Assignee,Group,Subject,Description,Priority\nn,DEVU-1 ,g,Printer ,smoke,High\n,DEVU-2,,Monitor,dark ,Low\n")
	mp2 := writeFile(t, dir, "m2.yaml", mapping+"ignore: [Group]\n")
	res := run(t, sim.URL, nil, "import", edited, "--mapping", mp2, "--checkpoint", ck)
	if res.code != ExitOK || res.num("skipped") != 2 || res.num("created") != 0 {
		t.Fatalf("edited file: exit %d summary %v\n%s", res.code, res.summary, res.stderr)
	}
	// Mapping one more column changes what new rows carry, not the keys.
	mp3 := writeFile(t, dir, "m3.yaml", strings.Replace(mapping, "columns:\n", "columns:\n  Notes: stage.name\n", 1)+"ignore: [Group]\n")
	res = run(t, sim.URL, nil, "import", edited, "--mapping", mp3, "--checkpoint", ck)
	if res.code != ExitOK || res.num("skipped") != 2 || res.num("created") != 0 {
		t.Fatalf("one more mapped column: exit %d summary %v\n%s", res.code, res.summary, res.stderr)
	}
	if !strings.Contains(res.stderr, `the mapping changed since checkpoint `+ck+` was last used: column "Notes" is new (stage.name)`) {
		t.Errorf("the warning does not name the change:\n%s", res.stderr)
	}
	if n := len(sim.Works()); n != 2 {
		t.Errorf("%d works, want 2", n)
	}
}

func TestAnEmptyCheckpointIsRefused(t *testing.T) {
	sim := startSim(t, simulator.Options{})
	file, mp := writeTickets(t, 3)
	writeFile(t, filepath.Dir(file), filepath.Base(file)+".checkpoint.jsonl", "")
	res := run(t, sim.URL, nil, "import", file, "--mapping", mp)
	if res.code != ExitUsage || !strings.Contains(res.stderr, "is empty") {
		t.Errorf("exit %d\n%s", res.code, res.stderr)
	}
	if n := len(sim.Works()); n != 0 {
		t.Errorf("%d works created", n)
	}
}

// testdata/v1 holds a keyless checkpoint written by the tool before
// checkpoints recorded their key (format 1, "h:" hashes of every cell as
// read, one cell with a trailing space). Its rows keep their keys: a rerun
// creates nothing, and keeps creating nothing once the checkpoint records
// this version's runs.
func TestVersion1CheckpointKeepsItsKeys(t *testing.T) {
	dir := t.TempDir()
	for _, name := range []string{"legacy.csv", "legacy.yaml", "legacy.csv.checkpoint.jsonl"} {
		b, err := os.ReadFile(filepath.Join("testdata", "v1", name))
		if err != nil {
			t.Fatal(err)
		}
		writeFile(t, dir, name, string(b))
	}
	sim := startSim(t, simulator.Options{})
	file := filepath.Join(dir, "legacy.csv")
	for i := range 2 {
		res := run(t, sim.URL, nil, "import", file, "--mapping", filepath.Join(dir, "legacy.yaml"))
		if res.code != ExitOK || res.num("skipped") != 3 || res.num("created") != 0 {
			t.Fatalf("run %d: exit %d summary %v\n%s", i+1, res.code, res.summary, res.stderr)
		}
	}
	if n := len(sim.Works()); n != 0 {
		t.Errorf("%d works re-created", n)
	}
	h, _, _, err := checkpoint.Read(file + ".checkpoint.jsonl")
	if err != nil || h.Version != 1 || h.Key == nil || h.Endpoint != sim.URL {
		t.Errorf("header after the runs: %+v, %v; want version 1 with the key and endpoint recorded", h, err)
	}
}

// gate holds every works.create until released, and says when the first
// one arrived: an import is then surely running.
type gate struct {
	sim     *simulator.Server
	arrived chan struct{}
	release chan struct{}
	once    sync.Once
}

func (g *gate) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.URL.Path == "/works.create" {
		g.once.Do(func() { close(g.arrived) })
		<-g.release
	}
	g.sim.ServeHTTP(w, r)
}

// Two imports of one file at once, with different checkpoints (and the
// second through another path to the file): the second exits 5 naming the
// first, and every row is created once.
func TestOneImportPerInputWhateverTheCheckpoint(t *testing.T) {
	sim := startSim(t, simulator.Options{})
	file, mp := writeTickets(t, 20)
	g := &gate{sim: sim, arrived: make(chan struct{}), release: make(chan struct{})}
	srv := httptest.NewServer(g)
	defer srv.Close()
	first := make(chan result, 1)
	go func() {
		first <- run(t, srv.URL, nil, "import", file, "--mapping", mp, "--checkpoint", filepath.Join(t.TempDir(), "a.jsonl"))
	}()
	<-g.arrived
	link := filepath.Join(t.TempDir(), "same-file.csv")
	if err := os.Symlink(file, link); err != nil {
		t.Fatal(err)
	}
	for _, input := range []string{file, link} {
		second := run(t, srv.URL, nil, "import", input, "--mapping", mp, "--checkpoint", filepath.Join(t.TempDir(), "b.jsonl"))
		if second.code != ExitLocked || !strings.Contains(second.stderr, "another import of "+input+" is running (pid ") {
			t.Errorf("second import of %s: exit %d, want 5 naming the first\n%s", input, second.code, second.stderr)
		}
	}
	// A validate of a file being imported waits for nothing: exit 5 too.
	if v := run(t, srv.URL, nil, "validate", file, "--mapping", mp); v.code != ExitLocked {
		t.Errorf("validate during the import: exit %d\n%s", v.code, v.stderr)
	}
	close(g.release)
	if res := <-first; res.code != ExitOK || res.num("created") != 20 {
		t.Fatalf("first import: exit %d summary %v\n%s", res.code, res.summary, res.stderr)
	}
	assertExactlyOnce(t, sim, 20)
}

// Validates share the input's lock; an import waits for them to end.
func TestValidatesShareTheInput(t *testing.T) {
	file, mp := writeTickets(t, 3)
	held, err := checkpoint.LockInput(t.Context(), file, checkpoint.InputLockOptions{Shared: true})
	if err != nil {
		t.Fatal(err)
	}
	if v := run(t, "", nil, "validate", file, "--mapping", mp); v.code != ExitOK {
		t.Errorf("validate beside another validate: exit %d\n%s", v.code, v.stderr)
	}
	sim := startSim(t, simulator.Options{})
	res := run(t, sim.URL, nil, "import", file, "--mapping", mp)
	if res.code != ExitLocked || !strings.Contains(res.stderr, "another run is using "+file) {
		t.Errorf("import during a validate: exit %d\n%s", res.code, res.stderr)
	}
	if n := len(sim.Works()); n != 0 {
		t.Errorf("%d works created", n)
	}
	held.Unlock()
	if res := run(t, sim.URL, nil, "import", file, "--mapping", mp); res.code != ExitOK {
		t.Errorf("import after the validate: exit %d\n%s", res.code, res.stderr)
	}
	assertExactlyOnce(t, sim, 3)
}

// FILE.errors.csv, fixed and imported as it is, resumes FILE's checkpoint
// without being told: the fixed rows are created once, and FILE rerun
// skips them.
func TestErrorsCSVResumesTheOriginalCheckpoint(t *testing.T) {
	sim := startSim(t, simulator.Options{})
	dir := t.TempDir()
	file := writeFile(t, dir, "t.csv", ticketHeader+"ZD-1,a,b,High,DEVU-1\nZD-2,b,b,Critical,DEVU-1\nZD-3,c,b,Low,DEVU-2\n")
	mp := writeFile(t, dir, "m.yaml", ticketMapping)
	if res := run(t, sim.URL, nil, "import", file, "--mapping", mp); res.code != ExitRowsFailed {
		t.Fatalf("first run: exit %d\n%s", res.code, res.stderr)
	}
	errCSV := file + ".errors.csv"
	b, err := os.ReadFile(errCSV)
	if err != nil {
		t.Fatal(err)
	}
	writeFile(t, dir, filepath.Base(errCSV), strings.Replace(string(b), ",Critical,", ",Urgent,", 1))
	res := run(t, sim.URL, nil, "import", errCSV, "--mapping", mp)
	if res.code != ExitOK || res.num("created") != 1 || res.summary["checkpoint"] != file+".checkpoint.jsonl" {
		t.Fatalf("errors CSV: exit %d summary %v\n%s", res.code, res.summary, res.stderr)
	}
	if !strings.Contains(res.stderr, "resuming the checkpoint of the import it came from") {
		t.Errorf("no note about the checkpoint:\n%s", res.stderr)
	}
	// Run again (say, by mistake): nothing new.
	if res := run(t, sim.URL, nil, "import", errCSV, "--mapping", mp); res.code != ExitOK || res.num("skipped") != 1 {
		t.Errorf("errors CSV again: exit %d summary %v\n%s", res.code, res.summary, res.stderr)
	}
	if res := run(t, sim.URL, nil, "import", file, "--mapping", mp); res.code != ExitOK || res.num("skipped") != 3 {
		t.Errorf("original rerun: exit %d summary %v\n%s", res.code, res.summary, res.stderr)
	}
	wantWorks(t, sim, "ZD-1", "ZD-2", "ZD-3")
}
