package e2e

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/devrev-import/devrev-import/importer/checkpoint"
	"github.com/devrev-import/devrev-import/importer/report"
	"github.com/devrev-import/devrev-import/importer/simulator"
)

// secretToken is the only token the simulator accepts; no output of the
// importer may ever contain it.
const secretToken = "tok-SECRET-e2e-123"

// keyField is the tenant custom field every row's key is stored in, so the
// simulator's record can be counted by key.
const keyField = "tnt__external_id"

// ticketMapping maps the generated tickets; the key column is also stored
// in custom_fields.tnt__external_id.
const ticketMapping = `type: ticket
key: Ticket ID
columns:
  Ticket ID: custom_fields.tnt__external_id
  Subject: title
  Description: body
  Priority:
    field: severity
    values: {Urgent: blocker, High: high, Normal: medium, Low: low}
  Assignee: owned_by
defaults:
  applies_to_part: PROD-1
`

// Exit codes of devrev-import (importer/cli/cli.go); -1 = killed by a signal.
const (
	exitOK      = 0
	exitRows    = 1
	exitStopped = 3
	exitLocked  = 5
	exitKilled  = -1
)

// dupTitleMapping has no key and stores nothing of the row's identity in
// DevRev: rows come in pairs with the same title, body and priority that
// differ only in their assignee, so reconciliation must compare owners.
const dupTitleMapping = `type: ticket
columns:
  Subject: title
  Description: body
  Priority:
    field: severity
    values: {Urgent: blocker, High: high, Normal: medium, Low: low}
  Assignee: owned_by
defaults:
  applies_to_part: PROD-1
ignore: [Ticket ID]
`

// fixture is one simulator on loopback, one generated input file and the
// command line that imports it.
type fixture struct {
	t       *testing.T
	sim     *simulator.Server
	obs     *observer
	url     string
	dir     string
	csv     string
	mapping string
	ck      string
	errsCSV string
	keys    []string // identities of the valid rows, in file order
	// identity names the row a work was made from (its key in
	// custom_fields, or title and owner when nothing else tells).
	identity func(simulator.Work) string
	rows     int      // rows in the file, valid or not
	args     []string // extra flags for every run
	runs     int
	outs     []*proc // every run started, for the secret scan
}

// fixtureOptions shape the input file and the simulator.
type fixtureOptions struct {
	rows    int
	invalid int // every invalid-th row gets a priority the mapping rejects (0 = none)
	// dupTitles writes rows in pairs of one title, body and priority with
	// other assignees, imported with dupTitleMapping (no key).
	dupTitles bool
	sim       simulator.Options
	args      []string
}

func newFixture(t *testing.T, fo fixtureOptions) *fixture {
	t.Helper()
	fo.sim.Tokens = map[string]string{secretToken: "DEVU-1"}
	sim := simulator.New(fo.sim)
	obs := newObserver(sim)
	srv := httptest.NewServer(obs)
	t.Cleanup(srv.Close)
	t.Cleanup(obs.releaseAll) // runs before srv.Close: no handler stays blocked
	dir := t.TempDir()
	f := &fixture{
		t: t, sim: sim, obs: obs, url: srv.URL, dir: dir,
		csv:      filepath.Join(dir, "tickets.csv"),
		mapping:  filepath.Join(dir, "tickets.yaml"),
		ck:       filepath.Join(dir, "tickets.checkpoint.jsonl"),
		errsCSV:  filepath.Join(dir, "tickets.errors.csv"),
		args:     fo.args,
		rows:     fo.rows,
		identity: func(w simulator.Work) string { return fmt.Sprint(w.CustomFields[keyField]) },
	}
	if fo.dupTitles {
		f.writeDupTitles()
		return f
	}
	var b strings.Builder
	b.WriteString("Ticket ID,Subject,Description,Priority,Assignee\n")
	prios := []string{"Urgent", "High", "Normal", "Low"}
	for i := 1; i <= fo.rows; i++ {
		key := fmt.Sprintf("T-%06d", i)
		prio := prios[i%4]
		if fo.invalid > 0 && i%fo.invalid == 0 {
			prio = "Whenever"
		} else {
			f.keys = append(f.keys, key)
		}
		fmt.Fprintf(&b, "%s,\"Ticket %d: printer on fire, again\",\"Line one of %d\nline \"\"two\"\"\",%s,DEVU-%d\n", key, i, i, prio, 1+i%4)
	}
	if err := os.WriteFile(f.csv, []byte(b.String()), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(f.mapping, []byte(ticketMapping), 0o600); err != nil {
		t.Fatal(err)
	}
	return f
}

// writeDupTitles writes the rows and mapping of fixtureOptions.dupTitles.
func (f *fixture) writeDupTitles() {
	f.identity = func(w simulator.Work) string {
		owner := ""
		if owners, _ := w.Raw["owned_by"].([]any); len(owners) > 0 {
			m, _ := owners[0].(map[string]any)
			owner, _ = m["display_id"].(string)
		}
		return w.Title + "|" + owner
	}
	var b strings.Builder
	b.WriteString("Ticket ID,Subject,Description,Priority,Assignee\n")
	prios := []string{"Urgent", "High", "Normal", "Low"}
	for i := 1; i <= f.rows; i++ {
		pair, owner := (i+1)/2, fmt.Sprintf("DEVU-%d", 1+i%4)
		title := fmt.Sprintf("Ticket %d: printer on fire, again", pair)
		f.keys = append(f.keys, title+"|"+owner)
		fmt.Fprintf(&b, "T-%06d,\"%s\",\"Line one of %d\nline \"\"two\"\"\",%s,%s\n", i, title, pair, prios[pair%4], owner)
	}
	if err := os.WriteFile(f.csv, []byte(b.String()), 0o600); err != nil {
		f.t.Fatal(err)
	}
	if err := os.WriteFile(f.mapping, []byte(dupTitleMapping), 0o600); err != nil {
		f.t.Fatal(err)
	}
}

// proc is one devrev-import child process.
type proc struct {
	cmd     *exec.Cmd
	stdout  *watchWriter
	stderr  *watchWriter
	summary string // --summary-json path of this run
	done    chan struct{}
	code    int // valid once done is closed; -1 = killed by a signal
	waitErr error
}

// start runs the import command (the same one every time, plus extra).
func (f *fixture) start(extra ...string) *proc {
	f.t.Helper()
	f.runs++
	p := &proc{
		stdout:  &watchWriter{},
		stderr:  &watchWriter{},
		summary: filepath.Join(f.dir, fmt.Sprintf("summary-%d.json", f.runs)),
		done:    make(chan struct{}),
	}
	args := []string{"import", f.csv, "--mapping", f.mapping, "--checkpoint", f.ck,
		"--errors-csv", f.errsCSV, "--summary-json", p.summary, "--progress", "never"}
	args = append(append(args, f.args...), extra...)
	p.cmd = exec.Command(binPath, args...)
	p.cmd.Env = childEnv(f.url)
	p.cmd.Dir = f.dir
	p.cmd.Stdout, p.cmd.Stderr = p.stdout, p.stderr
	if err := p.cmd.Start(); err != nil {
		f.t.Fatalf("starting devrev-import: %v", err)
	}
	f.outs = append(f.outs, p)
	go func() {
		p.waitErr = p.cmd.Wait()
		p.code = p.cmd.ProcessState.ExitCode()
		close(p.done)
	}()
	f.t.Cleanup(func() {
		_ = p.cmd.Process.Kill()
		<-p.done
	})
	return p
}

// childEnv is the test's environment with the simulator's endpoint and
// token instead of any real DevRev settings.
func childEnv(url string) []string {
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "DEVREV_") {
			env = append(env, kv)
		}
	}
	return append(env, "DEVREV_ENDPOINT="+url, "DEVREV_TOKEN="+secretToken)
}

// signal sends sig to the child; a child that already exited is fine.
func (p *proc) signal(t *testing.T, sig syscall.Signal) {
	t.Helper()
	if err := p.cmd.Process.Signal(sig); err != nil && !errors.Is(err, os.ErrProcessDone) {
		t.Fatalf("sending %v: %v", sig, err)
	}
}

// wait waits for the child to exit, at most d (then it is killed and the
// test fails), and returns its exit code.
func (p *proc) wait(t *testing.T, d time.Duration) int {
	t.Helper()
	timer := time.NewTimer(d)
	defer timer.Stop()
	select {
	case <-p.done:
		return p.code
	case <-timer.C:
		_ = p.cmd.Process.Kill()
		<-p.done
		t.Fatalf("devrev-import did not exit within %s\nstderr:\n%s", d, tail(p.stderr.String(), 3000))
		return 0
	}
}

// result reads the run's summary JSON (nil when the run wrote none, as
// after a SIGKILL).
func (p *proc) result(t *testing.T) *report.Summary {
	t.Helper()
	b, err := os.ReadFile(p.summary)
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		t.Fatal(err)
	}
	var s report.Summary
	if err := json.Unmarshal(b, &s); err != nil {
		t.Fatalf("summary %s: %v\n%s", p.summary, err, b)
	}
	return &s
}

// runOnce runs the command to its end and returns the exit code.
func (f *fixture) runOnce(d time.Duration, extra ...string) (*proc, int) {
	f.t.Helper()
	p := f.start(extra...)
	return p, p.wait(f.t, d)
}

// finish reruns the command until it exits 0. Exit 1 (rows that failed
// for good, e.g. after all retries) and 3 (stopped, resumable) are logged
// with their reason and followed by another run, as a person would; any
// other code fails the test.
func (f *fixture) finish(maxRuns int, d time.Duration) (reconciled int) {
	f.t.Helper()
	for i := 0; i < maxRuns; i++ {
		p, code := f.runOnce(d)
		s := p.result(f.t)
		if s != nil {
			reconciled += s.Reconciled
			f.t.Logf("run %d: exit %d, created %d, updated %d, unchanged %d, skipped %d, reconciled %d, failed %d, requests %d",
				f.runs, code, s.Created, s.Updated, s.Unchanged, s.Skipped, s.Reconciled, s.Failed, s.Requests)
		}
		switch code {
		case exitOK:
			return reconciled
		case exitRows, exitStopped:
			f.t.Logf("run %d exited %d; running again. stderr tail:\n%s", f.runs, code, tail(p.stderr.String(), 1500))
		default:
			f.t.Fatalf("run %d: exit %d\nstderr:\n%s", f.runs, code, tail(p.stderr.String(), 3000))
		}
	}
	f.t.Fatalf("no clean exit after %d more runs", maxRuns)
	return reconciled
}

// assertExactlyOnce checks through the simulator's own record that every
// valid row's identity exists exactly once, and nothing else does.
func (f *fixture) assertExactlyOnce() map[string]simulator.Work {
	f.t.Helper()
	works := f.sim.Works()
	byKey := map[string]simulator.Work{}
	count := map[string]int{}
	for _, w := range works {
		k := f.identity(w)
		count[k]++
		byKey[k] = w
	}
	bad := 0
	for _, k := range f.keys {
		if count[k] != 1 {
			bad++
			if bad <= 20 {
				f.t.Errorf("key %s exists %d times in the simulator", k, count[k])
			}
		}
	}
	if bad > 20 {
		f.t.Errorf("... %d keys in all not exactly once", bad)
	}
	if len(works) != len(f.keys) {
		f.t.Errorf("the simulator holds %d works, want %d", len(works), len(f.keys))
	}
	return byKey
}

// assertCheckpointCreated checks, with checkpoint.Read and with the
// report command, that the checkpoint records every valid row as created,
// with the ID the simulator gave that row's work. Checkpoint keys are
// opaque (a two-column key is not the external ID), so entries are tied to
// rows through the work IDs they record.
func (f *fixture) assertCheckpointCreated(byKey map[string]simulator.Work) {
	f.t.Helper()
	extByID := make(map[string]string, len(byKey))
	for k, w := range byKey {
		extByID[w.ID] = k
	}
	_, st, warns, err := checkpoint.Read(f.ck)
	if err != nil {
		f.t.Fatalf("checkpoint.Read: %v", err)
	}
	for _, w := range warns {
		if strings.Contains(w, "created twice") {
			f.t.Errorf("checkpoint: %s", w)
		}
	}
	seen := map[string]int{}
	var notCreated []string
	st.Each(func(e checkpoint.Entry) bool {
		if e.Status != checkpoint.Created {
			if e.Status != checkpoint.Invalid {
				notCreated = append(notCreated, fmt.Sprintf("%s: %s", e.Key, e.Status))
			}
			return true
		}
		ext, ok := extByID[e.ID]
		if !ok {
			f.t.Errorf("checkpoint: key %s recorded as %s, which the simulator does not hold", e.Key, e.ID)
		}
		seen[ext]++
		return true
	})
	if len(notCreated) > 0 {
		f.t.Errorf("checkpoint: %d rows not created, e.g. %v", len(notCreated), notCreated[:min(10, len(notCreated))])
	}
	f.checkCover("checkpoint", seen)
	if c := st.Counts()[checkpoint.Created]; c != len(f.keys) {
		f.t.Errorf("checkpoint counts %d created, want %d", c, len(f.keys))
	}

	createdCSV := filepath.Join(f.dir, "created.csv")
	cmd := exec.Command(binPath, "report", f.ck, "--created-csv", createdCSV)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	// report exits 0 whenever it could report, failed rows or not.
	if err := cmd.Run(); cmd.ProcessState == nil || cmd.ProcessState.ExitCode() != exitOK {
		f.t.Fatalf("devrev-import report: %v, want exit 0\n%s", err, errb.String())
	}
	want := regexp.MustCompile(`(?m)^created\s+` + regexp.QuoteMeta(report.Thousands(len(f.keys))) + `$`)
	if !want.MatchString(out.String()) {
		f.t.Errorf("report does not say %s created:\n%s", report.Thousands(len(f.keys)), out.String())
	}
	if strings.Contains(out.String(), "in doubt") {
		f.t.Errorf("report still lists rows in doubt:\n%s", out.String())
	}
	seen = map[string]int{}
	for _, r := range readCSV(f.t, createdCSV)[1:] {
		if len(r) < 3 {
			f.t.Fatalf("report --created-csv: short row %q", r)
		}
		seen[extByID[r[2]]]++
	}
	f.checkCover("report --created-csv", seen)
}

// checkCover checks that seen counts every valid row's key exactly once
// and nothing else.
func (f *fixture) checkCover(what string, seen map[string]int) {
	f.t.Helper()
	bad := 0
	for _, k := range f.keys {
		if seen[k] != 1 {
			bad++
			if bad <= 10 {
				f.t.Errorf("%s: row %s recorded as created %d times", what, k, seen[k])
			}
		}
	}
	total := 0
	for _, n := range seen {
		total += n
	}
	if total != len(f.keys) {
		f.t.Errorf("%s: %d created entries, want %d", what, total, len(f.keys))
	}
}

// assertNoSecret fails if the token appears in any output of any run or
// in any file the runs left in the fixture's directory.
func (f *fixture) assertNoSecret() {
	f.t.Helper()
	for i, p := range f.outs {
		for name, s := range map[string]string{"stdout": p.stdout.String(), "stderr": p.stderr.String()} {
			if strings.Contains(s, secretToken) {
				f.t.Errorf("run %d: the token appears in %s", i+1, name)
			}
		}
	}
	entries, err := os.ReadDir(f.dir)
	if err != nil {
		f.t.Fatal(err)
	}
	scanned := 0
	for _, e := range entries {
		if e.IsDir() {
			continue
		}
		b, err := os.ReadFile(filepath.Join(f.dir, e.Name()))
		if err != nil {
			f.t.Fatal(err)
		}
		scanned++
		if bytes.Contains(b, []byte(secretToken)) {
			f.t.Errorf("the token appears in %s", e.Name())
		}
	}
	if scanned == 0 {
		f.t.Errorf("no output files to scan in %s", f.dir)
	}
}

func readCSV(t *testing.T, path string) [][]string {
	t.Helper()
	fh, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer fh.Close()
	rows, err := csv.NewReader(fh).ReadAll()
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return rows
}

func tail(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return "..." + s[len(s)-n:]
}

// watchWriter collects a child's output and closes a channel once a given
// text has appeared.
type watchWriter struct {
	mu      sync.Mutex
	buf     bytes.Buffer
	watches []watch
}

type watch struct {
	text string
	ch   chan struct{}
}

func (w *watchWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.buf.Write(p)
	if len(w.watches) > 0 {
		keep := w.watches[:0]
		for _, x := range w.watches {
			if bytes.Contains(w.buf.Bytes(), []byte(x.text)) {
				close(x.ch)
			} else {
				keep = append(keep, x)
			}
		}
		w.watches = keep
	}
	return len(p), nil
}

// when returns a channel closed once text has been written.
func (w *watchWriter) when(text string) <-chan struct{} {
	w.mu.Lock()
	defer w.mu.Unlock()
	ch := make(chan struct{})
	if bytes.Contains(w.buf.Bytes(), []byte(text)) {
		close(ch)
	} else {
		w.watches = append(w.watches, watch{text: text, ch: ch})
	}
	return ch
}

func (w *watchWriter) String() string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.buf.String()
}

// runTool runs the binary with args (not an import) and returns its stdout
// and stderr together; an exit code other than want fails the test.
func runTool(t *testing.T, want int, args ...string) string {
	t.Helper()
	cmd := exec.Command(binPath, args...)
	cmd.Env = childEnv("http://127.0.0.1:1")
	out, err := cmd.CombinedOutput()
	if cmd.ProcessState == nil || cmd.ProcessState.ExitCode() != want {
		t.Fatalf("devrev-import %s: %v, want exit %d\n%s", strings.Join(args, " "), err, want, out)
	}
	return string(out)
}
