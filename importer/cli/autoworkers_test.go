package cli

import (
	"strings"
	"testing"
	"time"

	"github.com/devrev-import/devrev-import/importer/simulator"
)

func TestImportRefusesBadWorkers(t *testing.T) {
	sim := startSim(t, simulator.Options{})
	csvPath, mappingPath := writeTickets(t, 3)
	for _, args := range [][]string{
		{"--workers", "0"},
		{"--workers", "-3"},
		{"--workers", "many"},
		{"--workers", "auto", "--max-workers", "0"},
		// A pool of 100,000 took 290 MB before a row was sent.
		{"--workers", "100000"},
		{"--max-workers", "100000"},
		// Numbers that used to be read as the default.
		{"--timeout", "0s"},
		{"--timeout", "-1s"},
		{"--max-wait", "-1s"},
		{"--max-wait", "0s"},
		{"--max-duration", "-5m"},
		{"--wait-lock", "-1s"},
		{"--max-retries", "-1"},
		{"--max-consecutive-failures", "0"},
		{"--burst", "-2"},
		{"--max-cell-bytes", "0"},
	} {
		res := run(t, sim.URL, nil, append([]string{"import", csvPath, "--mapping", mappingPath}, args...)...)
		if res.code != ExitUsage {
			t.Errorf("%v: exit %d, want %d\n%s", args, res.code, ExitUsage, res.stderr)
		}
		if !strings.Contains(res.stderr, args[len(args)-2]) {
			t.Errorf("%v: message does not name the flag: %s", args, res.stderr)
		}
	}
	if n := sim.Stats().Requests; n != 0 {
		t.Errorf("%d requests sent with bad flags", n)
	}
}

// TestImportAutoWorkersSmallCap: --workers auto with a cap of 2 against a
// rate-limited, slow server creates every row once, without a 429; a
// fixed number still works as before.
func TestImportAutoWorkersSmallCap(t *testing.T) {
	for _, args := range [][]string{{"--workers", "auto", "--max-workers", "2"}, {"--workers", "3"}} {
		sim := startSim(t, simulator.Options{Limit: 30, Window: time.Second, Latency: 5 * time.Millisecond, Jitter: 5 * time.Millisecond})
		csvPath, mappingPath := writeTickets(t, 40)
		res := run(t, sim.URL, nil, append([]string{"import", csvPath, "--mapping", mappingPath}, args...)...)
		if res.code != ExitOK {
			t.Fatalf("%v: exit %d\n%s", args, res.code, res.stderr)
		}
		if st := sim.Stats(); st.Throttled != 0 {
			t.Errorf("%v: %d 429s with headers present", args, st.Throttled)
		}
		assertExactlyOnce(t, sim, 40)
	}
}
