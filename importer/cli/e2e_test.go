package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/devrev-import/devrev-import/importer/checkpoint"
	"github.com/devrev-import/devrev-import/importer/simulator"
)

// These tests run the whole command in-process against the simulator over
// real HTTP on loopback: nothing stands in for the network.

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

// writeTickets writes n ticket rows and the mapping into a temp dir.
func writeTickets(t *testing.T, n int) (csvPath, mappingPath string) {
	t.Helper()
	dir := t.TempDir()
	var b strings.Builder
	b.WriteString("Ticket ID,Subject,Description,Priority,Assignee\n")
	prios := []string{"Urgent", "High", "Normal", "Low"}
	for i := 1; i <= n; i++ {
		fmt.Fprintf(&b, "ZD-%d,\"Printer %d, on fire\",\"Line one\nline \"\"two\"\"\",%s,DEVU-%d\n", i, i, prios[i%4], 1+i%4)
	}
	csvPath = filepath.Join(dir, "tickets.csv")
	mappingPath = filepath.Join(dir, "tickets.yaml")
	if err := os.WriteFile(csvPath, []byte(b.String()), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(mappingPath, []byte(ticketMapping), 0o600); err != nil {
		t.Fatal(err)
	}
	return csvPath, mappingPath
}

type result struct {
	code           int
	stdout, stderr string
	summary        map[string]any
}

// run runs the command line in-process with the simulator's endpoint and token.
func run(t *testing.T, url string, signals <-chan os.Signal, args ...string) result {
	t.Helper()
	var out, errb bytes.Buffer
	summary := filepath.Join(t.TempDir(), "summary.json")
	if args[0] == "import" || args[0] == "validate" {
		args = append(args, "--summary-json", summary)
	}
	if args[0] == "import" {
		args = append(args, "--progress", "never")
	}
	env := Env{
		Stdout: &out, Stderr: &errb, Signals: signals,
		Getenv: func(k string) string {
			switch k {
			case "DEVREV_ENDPOINT":
				return url
			case "DEVREV_TOKEN":
				if url == "" {
					return "" // no API: validate checks everything but lookups
				}
				return "sandbox-token"
			}
			return ""
		},
	}
	code := Main(context.Background(), args, env)
	res := result{code: code, stdout: out.String(), stderr: errb.String()}
	if b, err := os.ReadFile(summary); err == nil {
		if err := json.Unmarshal(b, &res.summary); err != nil {
			t.Fatalf("summary JSON: %v", err)
		}
	}
	return res
}

func (r result) num(key string) int {
	v, _ := r.summary[key].(float64)
	return int(v)
}

// assertExactlyOnce checks, through the simulator's own record, that every
// key ZD-1..ZD-n exists exactly once.
func assertExactlyOnce(t *testing.T, sim *simulator.Server, n int) {
	t.Helper()
	count := map[string]int{}
	for _, w := range sim.Works() {
		count[fmt.Sprint(w.CustomFields["tnt__external_id"])]++
	}
	for i := 1; i <= n; i++ {
		k := fmt.Sprintf("ZD-%d", i)
		if count[k] != 1 {
			t.Errorf("key %s created %d times", k, count[k])
		}
	}
	if len(sim.Works()) != n {
		t.Errorf("simulator holds %d works, want %d", len(sim.Works()), n)
	}
}

// lockedBuffer is a bytes.Buffer safe for the simulator's handlers to
// write while a test reads it.
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

func startSim(t *testing.T, opt simulator.Options) *simulator.Server {
	t.Helper()
	sim, err := simulator.Start(opt)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { sim.Close() })
	return sim
}

func TestImportCreatesEveryRowOnceWithTheRightBody(t *testing.T) {
	sim := startSim(t, simulator.Options{})
	csvPath, mappingPath := writeTickets(t, 120)
	res := run(t, sim.URL, nil, "import", csvPath, "--mapping", mappingPath)
	if res.code != ExitOK {
		t.Fatalf("exit %d\n%s", res.code, res.stderr)
	}
	assertExactlyOnce(t, sim, 120)
	if got := res.num("created"); got != 120 {
		t.Errorf("summary created = %d, want 120", got)
	}
	for _, w := range sim.Works() {
		if fmt.Sprint(w.CustomFields["tnt__external_id"]) == "ZD-8" {
			if w.Title != "Printer 8, on fire" || w.Body != "Line one\nline \"two\"" || w.Type != "ticket" {
				t.Errorf("ZD-8 stored as %+v", w)
			}
			if sev := w.Raw["severity"]; sev != "blocker" {
				t.Errorf("ZD-8 severity %v, want blocker (Urgent)", sev)
			}
		}
	}
	// The same command again creates nothing and skips everything.
	again := run(t, sim.URL, nil, "import", csvPath, "--mapping", mappingPath)
	if again.code != ExitOK || again.num("skipped") != 120 || again.num("created") != 0 {
		t.Fatalf("rerun: exit %d skipped %d created %d\n%s", again.code, again.num("skipped"), again.num("created"), again.stderr)
	}
	assertExactlyOnce(t, sim, 120)
	if _, st, _, err := checkpoint.Read(csvPath + ".checkpoint.jsonl"); err != nil {
		t.Fatal(err)
	} else if c := st.Counts()[checkpoint.Created]; c != 120 {
		t.Errorf("checkpoint says %d created, want 120", c)
	}
}

func TestImportHonoursRetryAfterWithNoEarlyRequests(t *testing.T) {
	// Without rate headers the client cannot pace: it meets 429s and must
	// wait them out, every worker, to the instant.
	sim := startSim(t, simulator.Options{Limit: 15, Window: time.Second, NoRateHeaders: true})
	csvPath, mappingPath := writeTickets(t, 40)
	res := run(t, sim.URL, nil, "import", csvPath, "--mapping", mappingPath, "--rate", "100", "--workers", "8")
	if res.code != ExitOK {
		t.Fatalf("exit %d\n%s", res.code, res.stderr)
	}
	st := sim.Stats()
	if st.Throttled == 0 {
		t.Errorf("expected 429s from a 15/s window at 100 req/s")
	}
	if st.Early != 0 {
		t.Errorf("%d requests arrived before their Retry-After elapsed", st.Early)
	}
	assertExactlyOnce(t, sim, 40)
}

func TestImportAutoRatePacesToHeadersWithout429(t *testing.T) {
	var simLog lockedBuffer
	sim := startSim(t, simulator.Options{Limit: 20, Window: time.Second,
		Log: slog.New(slog.NewTextHandler(&simLog, &slog.HandlerOptions{Level: slog.LevelDebug}))})
	csvPath, mappingPath := writeTickets(t, 50)
	res := run(t, sim.URL, nil, "import", csvPath, "--mapping", mappingPath)
	if res.code != ExitOK {
		t.Fatalf("exit %d\n%s", res.code, res.stderr)
	}
	if st := sim.Stats(); st.Throttled != 0 {
		// When each request was answered, and after how long: enough to
		// tell a window opened early from one sent over blind.
		t.Errorf("auto pacing met %d 429s with headers present; the simulator's requests:\n%s", st.Throttled, simLog.String())
	}
	assertExactlyOnce(t, sim, 50)
}

func TestImportSurvivesServerFaults(t *testing.T) {
	sim := startSim(t, simulator.Options{Seed: 7, Faults: simulator.Faults{Err500: 0.07, Err503: 0.07, DropBefore: 0.07}})
	csvPath, mappingPath := writeTickets(t, 100)
	res := run(t, sim.URL, nil, "import", csvPath, "--mapping", mappingPath, "--max-consecutive-failures", "100")
	if res.code != ExitOK {
		t.Fatalf("exit %d\n%s", res.code, res.stderr)
	}
	if st := sim.Stats(); st.ByStatus[500] == 0 || st.ByStatus[503] == 0 {
		t.Errorf("faults not injected: %v", st.ByStatus)
	}
	assertExactlyOnce(t, sim, 100)
}

func TestImportDropAfterCreateIsReconciled(t *testing.T) {
	// A key of two columns is not stored in one custom field, so the
	// reconciler falls back to matching titles.
	for _, tc := range []struct {
		name  string
		extra []string
	}{
		{"custom field key", nil},
		{"title match", []string{"--key", "Ticket ID,Subject"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			sim := startSim(t, simulator.Options{Seed: 3, Faults: simulator.Faults{DropAfter: 0.15}})
			csvPath, mappingPath := writeTickets(t, 60)
			res := run(t, sim.URL, nil, append([]string{"import", csvPath, "--mapping", mappingPath}, tc.extra...)...)
			if res.code != ExitOK {
				t.Fatalf("exit %d\n%s", res.code, res.stderr)
			}
			if res.num("reconciled") == 0 {
				t.Errorf("no row was reconciled; faults: %v", sim.Stats().ByStatus)
			}
			assertExactlyOnce(t, sim, 60)
			// Rows found by reconciliation are in the created CSV too.
			checkCreatedMatchesSim(t, sim, csvPath+".created.csv", 60)
		})
	}
}

func TestImportUnauthorizedStopsWithExit4(t *testing.T) {
	sim := startSim(t, simulator.Options{Tokens: map[string]string{"other-token": "DEVU-1"}})
	csvPath, mappingPath := writeTickets(t, 30)
	res := run(t, sim.URL, nil, "import", csvPath, "--mapping", mappingPath)
	if res.code != ExitAuth {
		t.Fatalf("exit %d, want %d\n%s", res.code, ExitAuth, res.stderr)
	}
	if n := sim.Stats().Creates; n != 0 {
		t.Errorf("%d works created with a refused token", n)
	}
	if strings.Contains(res.stderr, "sandbox-token") {
		t.Errorf("the token appears in the output:\n%s", res.stderr)
	}
}

// countingHandler tells a channel when the simulator has answered n creates.
type countingHandler struct {
	h     http.Handler
	n     int64
	seen  atomic.Int64
	reach chan struct{}
	once  sync.Once
}

func (c *countingHandler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	c.h.ServeHTTP(w, r)
	if r.URL.Path == "/works.create" && c.seen.Add(1) == c.n {
		c.once.Do(func() { close(c.reach) })
	}
}

// interruptedImport imports rows tickets through a simulator behind a
// counting front and sends SIGINT once 40 requests have reached it; the
// run must stop with exit 3.
func interruptedImport(t *testing.T, rows int) (sim *simulator.Server, url, csvPath, mappingPath string, first result) {
	t.Helper()
	sim = simulator.New(simulator.Options{Latency: 2 * time.Millisecond})
	ch := &countingHandler{h: sim, n: 40, reach: make(chan struct{})}
	srv := httptest.NewServer(ch)
	t.Cleanup(srv.Close)
	csvPath, mappingPath = writeTickets(t, rows)
	sigs := make(chan os.Signal, 1)
	go func() {
		<-ch.reach
		sigs <- os.Interrupt
	}()
	first = run(t, srv.URL, sigs, "import", csvPath, "--mapping", mappingPath, "--workers", "4")
	if first.code != ExitStopped {
		t.Fatalf("interrupted run: exit %d, want %d\n%s", first.code, ExitStopped, first.stderr)
	}
	return sim, srv.URL, csvPath, mappingPath, first
}

func TestImportInterruptThenResumeCreatesTheRestOnce(t *testing.T) {
	sim, url, csvPath, mappingPath, first := interruptedImport(t, 200)
	if first.num("created") >= 200 || first.num("created") < 40 {
		t.Errorf("interrupted run created %d", first.num("created"))
	}
	second := run(t, url, nil, "import", csvPath, "--mapping", mappingPath)
	if second.code != ExitOK {
		t.Fatalf("resumed run: exit %d\n%s", second.code, second.stderr)
	}
	if got := second.num("skipped"); got != first.num("created") {
		t.Errorf("resumed run skipped %d, first run created %d", got, first.num("created"))
	}
	assertExactlyOnce(t, sim, 200)
}

func TestReportAndUndo(t *testing.T) {
	sim := startSim(t, simulator.Options{})
	csvPath, mappingPath := writeTickets(t, 25)
	if res := run(t, sim.URL, nil, "import", csvPath, "--mapping", mappingPath); res.code != ExitOK {
		t.Fatalf("import: exit %d\n%s", res.code, res.stderr)
	}
	ck := csvPath + ".checkpoint.jsonl"
	created := filepath.Join(t.TempDir(), "created.csv")
	rep := run(t, sim.URL, nil, "report", ck, "--created-csv", created)
	if rep.code != ExitOK || !strings.Contains(rep.stdout, "created") {
		t.Fatalf("report: exit %d\n%s%s", rep.code, rep.stdout, rep.stderr)
	}
	b, err := os.ReadFile(created)
	if err != nil {
		t.Fatal(err)
	}
	if lines := strings.Count(string(b), "\n"); lines != 26 {
		t.Errorf("created CSV has %d lines, want header + 25", lines)
	}
	if !strings.HasPrefix(string(b), "row,key,id,display_id,op\n") || !strings.Contains(string(b), ",ZD-3,don:") {
		t.Errorf("created CSV:\n%s", b)
	}

	dry := run(t, sim.URL, nil, "undo", ck, "--dry-run")
	if dry.code != ExitOK || strings.Count(dry.stdout, "would delete") != 25 || len(sim.Works()) != 25 {
		t.Fatalf("undo --dry-run: exit %d, %d works left\n%s%s", dry.code, len(sim.Works()), dry.stdout, dry.stderr)
	}
	undo := run(t, sim.URL, nil, "undo", ck, "--yes")
	if undo.code != ExitOK {
		t.Fatalf("undo: exit %d\n%s%s", undo.code, undo.stdout, undo.stderr)
	}
	if n := len(sim.Works()); n != 0 {
		t.Errorf("%d works left after undo", n)
	}
	again := run(t, sim.URL, nil, "undo", ck, "--yes")
	if again.code != ExitOK || !strings.Contains(again.stdout, "nothing to undo") {
		t.Errorf("second undo: exit %d\n%s", again.code, again.stdout)
	}
	if got := sim.Stats().ByPath["/works.delete"]; got != 25 {
		t.Errorf("%d works.delete calls, want 25", got)
	}
}

func TestVerboseRequestLinesRedactTheToken(t *testing.T) {
	sim := startSim(t, simulator.Options{Faults: simulator.Faults{Err500: 0.3}, Seed: 5})
	csvPath, mappingPath := writeTickets(t, 10)
	res := run(t, sim.URL, nil, "import", csvPath, "--mapping", mappingPath, "-v", "--log-format", "json")
	if res.code != ExitOK {
		t.Fatalf("exit %d\n%s", res.code, res.stderr)
	}
	if !strings.Contains(res.stderr, `"authorization":"Bearer ***"`) || !strings.Contains(res.stderr, `"op":"works.create"`) {
		t.Errorf("no redacted request lines:\n%s", res.stderr)
	}
	if strings.Contains(res.stderr, "sandbox-token") {
		t.Errorf("the token leaked into -v output")
	}
}

// gatewayTimeout passes every third create through to the simulator (which
// creates the work) and then answers 504 with a proxy's HTML page, as a
// gateway that gave up waiting does.
type gatewayTimeout struct {
	h http.Handler
	n atomic.Int64
}

type discardWriter struct{ h http.Header }

func (d *discardWriter) Header() http.Header         { return d.h }
func (d *discardWriter) Write(p []byte) (int, error) { return len(p), nil }
func (d *discardWriter) WriteHeader(int)             {}

func (g *gatewayTimeout) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.URL.Path != "/works.create" || g.n.Add(1)%3 != 0 {
		g.h.ServeHTTP(w, r)
		return
	}
	g.h.ServeHTTP(&discardWriter{h: http.Header{}}, r)
	w.Header().Set("Content-Type", "text/html")
	w.WriteHeader(http.StatusGatewayTimeout)
	fmt.Fprint(w, "<html><body><h1>504 Gateway Time-out</h1></body></html>")
}

func TestLostAnswersAreReconciledNotResent(t *testing.T) {
	t.Run("2xx without a work", func(t *testing.T) {
		sim := startSim(t, simulator.Options{Seed: 11, Faults: simulator.Faults{BadBody: 0.2}})
		csvPath, mappingPath := writeTickets(t, 50)
		res := run(t, sim.URL, nil, "import", csvPath, "--mapping", mappingPath)
		if res.code != ExitOK || res.num("reconciled") == 0 {
			t.Fatalf("exit %d summary %v\n%s", res.code, res.summary, res.stderr)
		}
		assertExactlyOnce(t, sim, 50)
	})
	t.Run("504 from a gateway after the create", func(t *testing.T) {
		sim := simulator.New(simulator.Options{})
		srv := httptest.NewServer(&gatewayTimeout{h: sim})
		defer srv.Close()
		csvPath, mappingPath := writeTickets(t, 30)
		res := run(t, srv.URL, nil, "import", csvPath, "--mapping", mappingPath)
		if res.code != ExitOK || res.num("reconciled") < 5 {
			t.Fatalf("exit %d summary %v\n%s", res.code, res.summary, res.stderr)
		}
		assertExactlyOnce(t, sim, 30)
	})
}

// An earlier run left ZD-1..ZD-5 in doubt ("sending" last); ZD-1..ZD-3 were
// in fact created. Each --on-doubt policy does what the README says.
func TestOnDoubtPolicies(t *testing.T) {
	for _, tc := range []struct {
		policy                     string
		wantWorks, wantNotAttempts int
	}{
		{"reconcile", 20, 0}, // ZD-1..3 found, ZD-4..5 sent: 20 works
		{"resend", 23, 0},    // ZD-1..3 sent again: 3 duplicates
		{"skip", 18, 5},      // the five left for a person
	} {
		t.Run(tc.policy, func(t *testing.T) {
			sim := startSim(t, simulator.Options{})
			for i := 1; i <= 3; i++ {
				_, err := sim.AddWork("", map[string]any{"type": "ticket", "title": fmt.Sprintf("Printer %d, on fire", i),
					"applies_to_part": "PROD-1", "owned_by": []any{"DEVU-1"},
					"custom_fields": map[string]any{"tnt__external_id": fmt.Sprintf("ZD-%d", i)}, "custom_schema_spec": map[string]any{"tenant_fragment": true}})
				if err != nil {
					t.Fatal(err)
				}
			}
			csvPath, mappingPath := writeTickets(t, 20)
			var ck strings.Builder
			ck.WriteString(`{"checkpoint":1,"input":"x","size":1,"mapping_hash":"x","created":"2026-01-01T00:00:00Z","tool":"t"}` + "\n")
			ts := time.Now().UTC().Format(time.RFC3339Nano)
			for i := 1; i <= 5; i++ {
				fmt.Fprintf(&ck, `{"row":%d,"key":"ZD-%d","status":"sending","ts":%q,"attempt":1}`+"\n", i+1, i, ts)
			}
			if err := os.WriteFile(csvPath+".checkpoint.jsonl", []byte(ck.String()), 0o600); err != nil {
				t.Fatal(err)
			}
			res := run(t, sim.URL, nil, "import", csvPath, "--mapping", mappingPath, "--on-doubt", tc.policy)
			want := ExitOK
			if tc.wantNotAttempts > 0 {
				want = ExitStopped // rows left untried never end with 0
			}
			if res.code != want {
				t.Fatalf("exit %d\n%s", res.code, res.stderr)
			}
			if n := len(sim.Works()); n != tc.wantWorks || res.num("not_attempted") != tc.wantNotAttempts {
				t.Errorf("%d works, %d not attempted; want %d and %d\n%s", n, res.num("not_attempted"), tc.wantWorks, tc.wantNotAttempts, res.stderr)
			}
			if tc.policy == "reconcile" && res.num("reconciled") != 3 {
				t.Errorf("reconciled %d, want 3", res.num("reconciled"))
			}
		})
	}
}

func TestMaxDurationStopsAndTheNextRunContinues(t *testing.T) {
	sim := startSim(t, simulator.Options{Latency: 20 * time.Millisecond})
	csvPath, mappingPath := writeTickets(t, 300)
	// One worker at 20 ms a request needs 6 s for 300 rows: 300 ms stops it early.
	res := run(t, sim.URL, nil, "import", csvPath, "--mapping", mappingPath, "--workers", "1", "--max-duration", "300ms")
	if res.code != ExitStopped || res.summary["stopped"] != "max_duration" {
		t.Fatalf("exit %d summary %v\n%s", res.code, res.summary, res.stderr)
	}
	if res.num("created")+res.num("not_attempted") != 300 {
		t.Errorf("created %d + not attempted %d != 300", res.num("created"), res.num("not_attempted"))
	}
	again := run(t, sim.URL, nil, "import", csvPath, "--mapping", mappingPath, "--workers", "8")
	if again.code != ExitOK {
		t.Fatalf("rerun: exit %d\n%s", again.code, again.stderr)
	}
	assertExactlyOnce(t, sim, 300)
}
