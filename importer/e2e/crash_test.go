package e2e

import (
	"math/rand/v2"
	"os"
	"strconv"
	"syscall"
	"testing"
	"time"

	"github.com/devrev-import/devrev-import/importer/checkpoint"
	"github.com/devrev-import/devrev-import/importer/simulator"
)

// testSeed is E2E_SEED when set (to replay a failure), else a fresh seed;
// either way it is logged.
func testSeed(t *testing.T) uint64 {
	t.Helper()
	seed := uint64(time.Now().UnixNano())
	if s := os.Getenv("E2E_SEED"); s != "" {
		v, err := strconv.ParseUint(s, 10, 64)
		if err != nil {
			t.Fatalf("E2E_SEED=%q: %v", s, err)
		}
		seed = v
	}
	t.Logf("seed %d (set E2E_SEED to replay)", seed)
	return seed
}

// checkpointCounts reads the journal as a restarted run would and returns
// its counts by status; a journal that cannot be read fails the test.
func checkpointCounts(t *testing.T, path string) map[checkpoint.Status]int {
	t.Helper()
	_, st, _, err := checkpoint.Read(path)
	if err != nil {
		t.Fatalf("checkpoint after a kill: %v", err)
	}
	return st.Counts()
}

// TestCrashKill9ExactlyOnce kills the importer with SIGKILL at ten random
// moments of a faulty import (10% of creates performed but their answer
// dropped, 5% 500s, 5% 503s), each time right after the simulator
// performed a create whose answer is then never delivered, and restarts it
// with the same command until it finishes. Every key must exist exactly
// once in the simulator and be recorded as created in the checkpoint. It
// runs once with the key stored in a custom field (reconciliation looks
// the key up), once with a two-column key (reconciliation compares the
// fields sent), and once with no key at all and every title twice, the
// rows of a pair told apart only by their assignee (fewer rows: every
// lookup pages through all the works made so far).
func TestCrashKill9ExactlyOnce(t *testing.T) {
	for _, tc := range []struct {
		name      string
		args      []string
		how       string // the lookups the reconciler must use
		rows      int
		dupTitles bool
	}{
		{"custom field key", nil, "custom_field", shortOr(2000, 400), false},
		{"two-column key, field match", []string{"--key", "Ticket ID,Subject"}, "title", shortOr(2000, 400), false},
		{"no key, duplicate titles", nil, "title", shortOr(1000, 300), true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			rows, kills := tc.rows, 10
			seed := testSeed(t)
			rng := rand.New(rand.NewPCG(seed, 0xc4a54))
			f := newFixture(t, fixtureOptions{
				rows:      rows,
				dupTitles: tc.dupTitles,
				sim: simulator.Options{Seed: int64(seed), Faults: simulator.Faults{
					DropAfter: 0.10, Err500: 0.05, Err503: 0.05,
				}},
				args: append([]string{"--workers", "16", "--max-consecutive-failures", "200"}, tc.args...),
			})

			// Every row needs at least one create, so kill points that add
			// up to no more than the row count are all reached.
			for killed := 0; killed < kills; {
				before := f.obs.snapshot()
				at := 1 + rng.Int64N(int64(rows/kills))
				tr := f.obs.arm(at, false)
				p := f.start()
				select {
				case <-tr.Fired():
					p.signal(t, syscall.SIGKILL)
					code := p.wait(t, time.Minute)
					tr.Release()
					if code != exitKilled {
						t.Fatalf("run %d: exit %d after SIGKILL, want death by signal", f.runs, code)
					}
					killed++
					c := checkpointCounts(t, f.ck)
					after := f.obs.snapshot()
					t.Logf("kill %d (run %d) after %d creates: checkpoint created %d, in doubt %d; lookups this run: %d by %s",
						killed, f.runs, at, c[checkpoint.Created], c[checkpoint.Sending],
						after.Lookups[tc.how]-before.Lookups[tc.how], tc.how)
				case <-p.done:
					f.obs.disarm()
					code := p.code
					if code == exitOK {
						t.Fatalf("run %d finished before its kill point (%d creates); only %d kills", f.runs, at, killed)
					}
					if code != exitRows && code != exitStopped {
						t.Fatalf("run %d: exit %d\n%s", f.runs, code, tail(p.stderr.String(), 3000))
					}
					t.Logf("run %d exited %d before its kill point:\n%s", f.runs, code, tail(p.stderr.String(), 1500))
				}
			}
			f.obs.disarm()

			before := f.obs.snapshot()
			reconciled := f.finish(5, 3*time.Minute)
			after := f.obs.snapshot()
			byKey := f.assertExactlyOnce()
			f.assertCheckpointCreated(byKey)

			st := f.sim.Stats()
			t.Logf("%d rows, %d runs (%d killed): simulator creates %d, create answers %v; final runs reconciled %d in-doubt rows by %s (%d lookups; all runs: %v)",
				rows, f.runs, kills, st.Creates, after.ByStatus, reconciled, tc.how,
				after.Lookups[tc.how]-before.Lookups[tc.how], after.Lookups)
			if after.Lookups[tc.how] == 0 {
				t.Errorf("no lookup by %s was made: reconciliation took another path (%v)", tc.how, after.Lookups)
			}
			if reconciled == 0 {
				t.Errorf("the final runs reconciled no row, though every kill left one performed create unanswered")
			}
		})
	}
}
