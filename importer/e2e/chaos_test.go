package e2e

import (
	"fmt"
	"math/rand/v2"
	"os"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/devrev-import/devrev-import/importer/checkpoint"
	"github.com/devrev-import/devrev-import/importer/report"
	"github.com/devrev-import/devrev-import/importer/simulator"
)

// chaosRows is the soak test's size: CHAOS_ROWS, else 2,000 (500 with
// -short).
func chaosRows(t *testing.T) int {
	t.Helper()
	if s := os.Getenv("CHAOS_ROWS"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 60 {
			t.Fatalf("CHAOS_ROWS=%q: want a whole number of at least 60", s)
		}
		return n
	}
	return shortOr(2000, 500)
}

// TestChaos is the soak test behind scripts/chaos: an import against a
// rate-limited (200 requests per 2 s), slow (0-40 ms) simulator that fails
// 3% of creates with 500, 3% with 503, drops 3% of connections before and
// 3% after creating the work, while the importer is killed with SIGKILL
// three times and interrupted with SIGINT twice at random moments. It must
// end with every row created exactly once, no request sent before a
// Retry-After elapsed, a checkpoint that records every row as created, and
// no output containing the token.
func TestChaos(t *testing.T) {
	t.Parallel()
	rows := chaosRows(t)
	seed := testSeed(t)
	rng := rand.New(rand.NewPCG(seed, 0xc4a05))
	// CHAOS_NO_RATE_HEADERS=1 hides the X-RateLimit headers and runs at
	// --rate 150, so the importer meets 429s it must wait out.
	noHeaders := os.Getenv("CHAOS_NO_RATE_HEADERS") == "1"
	f := newFixture(t, fixtureOptions{
		rows: rows,
		sim: simulator.Options{
			Seed:          int64(seed),
			Limit:         200,
			Window:        2 * time.Second,
			NoRateHeaders: noHeaders,
			Jitter:        40 * time.Millisecond, // 20 ms +- 20 ms
			Faults:        simulator.Faults{Err500: 0.03, Err503: 0.03, DropBefore: 0.03, DropAfter: 0.03},
		},
		args: []string{"--max-consecutive-failures", "100"},
	})
	if noHeaders {
		// Auto pacing without headers stays at its cautious start rate;
		// ask for more than the window allows, so 429s do come.
		f.args = append(f.args, "--rate", "150")
	}
	// A run may have to do all rows at 100 per second, with retries.
	runLimit := time.Duration(rows/100*3+120) * time.Second
	began := time.Now()

	// Five events at random moments, in random order. Every row needs at
	// least one create, so kill points adding up to less than the row
	// count are all reached.
	events := []syscall.Signal{syscall.SIGKILL, syscall.SIGKILL, syscall.SIGKILL, syscall.SIGINT, syscall.SIGINT}
	rng.Shuffle(len(events), func(i, j int) { events[i], events[j] = events[j], events[i] })
	reconciled := 0
	for i := 0; i < len(events); {
		sig := events[i]
		at := 1 + rng.Int64N(int64(rows/(len(events)+1)))
		tr := f.obs.arm(at, false)
		p := f.start()
		select {
		case <-tr.Fired():
		case <-p.done:
			f.obs.disarm()
			if s := p.result(t); s != nil {
				reconciled += s.Reconciled
			}
			if p.code == exitOK {
				t.Fatalf("run %d finished before its %v after %d creates", f.runs, sig, at)
			}
			if p.code != exitRows && p.code != exitStopped {
				t.Fatalf("run %d: exit %d\n%s", f.runs, p.code, tail(p.stderr.String(), 3000))
			}
			t.Logf("run %d exited %d before its %v; again:\n%s", f.runs, p.code, sig, tail(p.stderr.String(), 1500))
			continue
		}
		var code int
		if sig == syscall.SIGKILL {
			p.signal(t, sig)
			code = p.wait(t, time.Minute)
			tr.Release()
			if code != exitKilled {
				t.Fatalf("run %d: exit %d after SIGKILL", f.runs, code)
			}
		} else {
			p.signal(t, sig)
			waitFor(t, p, p.stderr.when(interruptedMsg), "the interrupt message")
			tr.Release()
			code = p.wait(t, runLimit)
			if code != exitStopped {
				t.Fatalf("run %d: exit %d after SIGINT, want %d\n%s", f.runs, code, exitStopped, tail(p.stderr.String(), 3000))
			}
			if s := p.result(t); s != nil {
				reconciled += s.Reconciled
			}
		}
		c := checkpointCounts(t, f.ck)
		t.Logf("run %d: %v after %d creates: exit %d; checkpoint created %d, in doubt %d",
			f.runs, sig, at, code, c[checkpoint.Created], c[checkpoint.Sending])
		i++
	}
	f.obs.disarm()
	reconciled += f.finish(10, runLimit)
	wall := time.Since(began)

	byKey := f.assertExactlyOnce()
	f.assertCheckpointCreated(byKey)
	f.assertNoSecret()
	st, seen := f.sim.Stats(), f.obs.snapshot()
	if st.Early != 0 {
		t.Errorf("%d requests arrived before their Retry-After had elapsed", st.Early)
	}

	// A dropped create is one whose connection closed without an answer;
	// it was performed when the simulator stored a work no 201 announced.
	dropAfter := st.Creates - seen.ByStatus[201]
	var b strings.Builder
	fmt.Fprintf(&b, "chaos figures (seed %d, rate headers hidden: %v):\n", seed, noHeaders)
	line := func(k string, v any) { fmt.Fprintf(&b, "  %-22s %v\n", k, v) }
	line("rows", report.Thousands(rows))
	line("runs", fmt.Sprintf("%d (3 SIGKILL, 2 SIGINT)", f.runs))
	line("requests", fmt.Sprintf("%s (works.create %s, works.list %s, other %s)", report.Thousands(st.Requests),
		report.Thousands(int(seen.Creates)), report.Thousands(seen.Lists), report.Thousands(st.Requests-int(seen.Creates)-seen.Lists)))
	line("works created", report.Thousands(st.Creates))
	line("429s", st.Throttled)
	line("early", st.Early)
	line("500s (creates)", seen.ByStatus[500])
	line("503s (creates)", seen.ByStatus[503])
	line("dropped before create", seen.ByStatus[0]-dropAfter)
	line("dropped after create", dropAfter)
	line("reconciled", fmt.Sprintf("%d (in runs that finished; lookups by custom field %d)", reconciled, seen.Lookups["custom_field"]))
	line("wall time", wall.Round(time.Second))
	t.Log(b.String())
}
