package cli

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/devrev-import/devrev-import/importer/simulator"
)

// Run budgets and stop conditions for unattended runs.

func TestMaxErrorsStopsTheRun(t *testing.T) {
	sim := startSim(t, simulator.Options{})
	dir := t.TempDir()
	var b strings.Builder
	b.WriteString("Ticket ID,Subject,Description,Priority,Assignee\n")
	for i := 1; i <= 60; i++ {
		// DEVU-99 does not exist: the API refuses every row with 400 invalid_id.
		b.WriteString("ZD-" + strconv.Itoa(i) + ",t,b,High,DEVU-99\n")
	}
	file := filepath.Join(dir, "bad.csv")
	mp := filepath.Join(dir, "m.yaml")
	os.WriteFile(file, []byte(b.String()), 0o600)
	os.WriteFile(mp, []byte(ticketMapping), 0o600)
	res := run(t, sim.URL, nil, "import", file, "--mapping", mp, "--max-errors", "5", "--workers", "2")
	if res.code != ExitRowsFailed {
		t.Fatalf("exit %d\n%s", res.code, res.stderr)
	}
	if res.summary["stopped"] != "max_errors" || res.num("failed") < 5 || res.num("failed") > 7 {
		t.Errorf("summary %v", res.summary)
	}
	if !strings.Contains(res.stderr, "invalid_id") {
		t.Errorf("the API's message is not shown:\n%s", res.stderr)
	}
}

func TestAbsurdRetryAfterStopsInsteadOfSleeping(t *testing.T) {
	// A one-hour window with a limit of 4 and no headers: after
	// dev-users.self (the checkpoint records the org), the works.list that
	// checks a new checkpoint's first keys and 2 creates, the next request
	// is told to come back in up to an hour.
	sim := startSim(t, simulator.Options{Limit: 4, Window: time.Hour, NoRateHeaders: true})
	csvPath, mappingPath := writeTickets(t, 10)
	res := run(t, sim.URL, nil, "import", csvPath, "--mapping", mappingPath, "--max-wait", "1s", "--rate", "100", "--workers", "1", "--schema", "stock")
	if res.code != ExitStopped || res.summary["stopped"] != "wait_too_long" {
		t.Fatalf("exit %d summary %v\n%s", res.code, res.summary, res.stderr)
	}
	if res.num("created") != 2 || res.num("not_attempted") != 8 {
		t.Errorf("created %d not attempted %d, want 2 and 8", res.num("created"), res.num("not_attempted"))
	}
	// Nothing is lost: the rows not attempted are tried by the next run.
	sim.SetLimit(0, time.Hour)
	again := run(t, sim.URL, nil, "import", csvPath, "--mapping", mappingPath)
	if again.code != ExitOK || again.num("created") != 8 || again.num("skipped") != 2 {
		t.Errorf("rerun: exit %d summary %v\n%s", again.code, again.summary, again.stderr)
	}
	assertExactlyOnce(t, sim, 10)
}

func TestAPIDownStopsAfterConsecutiveFailures(t *testing.T) {
	sim := startSim(t, simulator.Options{Faults: simulator.Faults{Err503: 1}})
	csvPath, mappingPath := writeTickets(t, 20)
	res := run(t, sim.URL, nil, "import", csvPath, "--mapping", mappingPath, "--max-consecutive-failures", "4", "--workers", "2")
	if res.code != ExitStopped || res.summary["stopped"] != "api_unavailable" {
		t.Fatalf("exit %d summary %v\n%s", res.code, res.summary, res.stderr)
	}
	if res.num("failed") != 0 || res.num("not_attempted") != 20 {
		t.Errorf("rows must not be failed for an outage: summary %v", res.summary)
	}
	if n := sim.Stats().Requests; n > 8 {
		t.Errorf("%d requests after the API was known to be down", n)
	}
}

func TestMaxErrorsPercent(t *testing.T) {
	sim := startSim(t, simulator.Options{})
	dir := t.TempDir()
	var b strings.Builder
	b.WriteString("Ticket ID,Subject,Description,Priority,Assignee\n")
	for i := 1; i <= 200; i++ {
		owner := "DEVU-1"
		if i%2 == 0 {
			owner = "DEVU-99" // refused by the API: half the rows fail
		}
		b.WriteString("ZD-" + strconv.Itoa(i) + ",t,b,High," + owner + "\n")
	}
	file := filepath.Join(dir, "half.csv")
	mp := filepath.Join(dir, "m.yaml")
	os.WriteFile(file, []byte(b.String()), 0o600)
	os.WriteFile(mp, []byte(ticketMapping), 0o600)
	res := run(t, sim.URL, nil, "import", file, "--mapping", mp, "--max-errors", "30%", "--workers", "2")
	if res.code != ExitRowsFailed || res.summary["stopped"] != "max_errors" {
		t.Fatalf("exit %d summary %v\n%s", res.code, res.summary, res.stderr)
	}
	if res.num("created")+res.num("failed") >= 200 || res.num("not_attempted") == 0 {
		t.Errorf("the run did not stop early: %v", res.summary)
	}
}
