package e2e

import (
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/devrev-import/devrev-import/importer/checkpoint"
	"github.com/devrev-import/devrev-import/importer/simulator"
)

// interruptedMsg is what the importer prints when the first signal arrives.
const interruptedMsg = "interrupted: finishing requests in flight"

// TestSignalStopsGracefullyThenResumes sends one SIGINT (or SIGTERM) while
// requests are in flight: the importer must let them finish, exit 3 with
// a readable checkpoint that has nothing in doubt, and the same command
// must then create the rest, every row exactly once.
func TestSignalStopsGracefullyThenResumes(t *testing.T) {
	for _, sig := range []syscall.Signal{syscall.SIGINT, syscall.SIGTERM} {
		t.Run(sig.String(), func(t *testing.T) {
			t.Parallel()
			rows := shortOr(400, 150)
			f := newFixture(t, fixtureOptions{rows: rows, sim: simulator.Options{Latency: time.Millisecond}})

			// Hold the 60th create and every later one, so requests are
			// certainly in flight when the signal lands.
			tr := f.obs.arm(60, true)
			p := f.start()
			select {
			case <-tr.Fired():
			case <-p.done:
				t.Fatalf("exit %d before the 60th create\n%s", p.code, p.stderr.String())
			}
			p.signal(t, sig)
			waitFor(t, p, p.stderr.when(interruptedMsg), "the interrupt message")
			tr.Release()
			if code := p.wait(t, time.Minute); code != exitStopped {
				t.Fatalf("after %v: exit %d, want %d\n%s", sig, code, exitStopped, p.stderr.String())
			}
			first := p.result(t)
			if first == nil || first.Stopped != "interrupted" {
				t.Fatalf("summary after %v: %+v", sig, first)
			}
			c := checkpointCounts(t, f.ck)
			if c[checkpoint.Sending] != 0 {
				t.Errorf("a graceful stop left %d rows in doubt", c[checkpoint.Sending])
			}
			if c[checkpoint.Created] != first.Created || first.Created < 60 || first.Created >= rows {
				t.Errorf("stopped run created %d, its checkpoint says %d (rows %d)", first.Created, c[checkpoint.Created], rows)
			}
			t.Logf("%v: stopped after %d created; %d not attempted", sig, first.Created, first.NotAttempted)

			p2, code := f.runOnce(time.Minute)
			if code != exitOK {
				t.Fatalf("resumed run: exit %d\n%s", code, p2.stderr.String())
			}
			if s := p2.result(t); s.Skipped != first.Created || s.Created != rows-first.Created {
				t.Errorf("resumed run skipped %d and created %d, want %d and %d", s.Skipped, s.Created, first.Created, rows-first.Created)
			}
			f.assertCheckpointCreated(f.assertExactlyOnce())
		})
	}
}

// TestSecondInterruptQuitsAtOnce sends SIGINT twice while every request in
// flight is held by the server: the importer must exit without waiting for
// them (it could not exit otherwise), leave a readable checkpoint, and a
// later run must reconcile the held rows (the server performed them) and
// create every row exactly once.
func TestSecondInterruptQuitsAtOnce(t *testing.T) {
	t.Parallel()
	rows := shortOr(400, 150)
	f := newFixture(t, fixtureOptions{rows: rows, sim: simulator.Options{Latency: time.Millisecond}})
	tr := f.obs.arm(50, true)
	p := f.start()
	select {
	case <-tr.Fired():
	case <-p.done:
		t.Fatalf("exit %d before the 50th create\n%s", p.code, p.stderr.String())
	}
	p.signal(t, syscall.SIGINT)
	waitFor(t, p, p.stderr.when(interruptedMsg), "the interrupt message")
	p.signal(t, syscall.SIGINT)
	// The held requests are released only after the exit.
	code := p.wait(t, 30*time.Second)
	held := f.obs.snapshot().Creates - 49
	tr.Release()
	if code != exitStopped {
		t.Fatalf("after two interrupts: exit %d, want %d\n%s", code, exitStopped, p.stderr.String())
	}
	c := checkpointCounts(t, f.ck)
	t.Logf("two interrupts with %d creates held: exit %d; checkpoint created %d, in doubt %d, failed %d",
		held, code, c[checkpoint.Created], c[checkpoint.Sending], c[checkpoint.Failed])
	if c[checkpoint.Sending] == 0 {
		t.Errorf("no row in doubt, though %d performed creates were never answered", held)
	}

	p2, code := f.runOnce(time.Minute)
	if code != exitOK {
		t.Fatalf("resumed run: exit %d\n%s", code, p2.stderr.String())
	}
	s := p2.result(t)
	t.Logf("resumed run: created %d, skipped %d, reconciled %d", s.Created, s.Skipped, s.Reconciled)
	if s.Reconciled == 0 {
		t.Errorf("the resumed run reconciled nothing")
	}
	f.assertCheckpointCreated(f.assertExactlyOnce())
}

// TestSecondRunOnTheSameCheckpointIsLocked starts a second import on the
// checkpoint of a running one (whose creates the server holds): it must
// exit 5 at once, naming the lock, and the first must then finish alone.
// A third with another checkpoint exits 5 too: one import per input.
func TestSecondRunOnTheSameCheckpointIsLocked(t *testing.T) {
	t.Parallel()
	rows := 100
	f := newFixture(t, fixtureOptions{rows: rows, sim: simulator.Options{Latency: 10 * time.Millisecond}})
	tr := f.obs.arm(1, true)
	first := f.start()
	select {
	case <-tr.Fired():
	case <-first.done:
		t.Fatalf("first run: exit %d before its first create\n%s", first.code, first.stderr.String())
	}
	second, code := f.runOnce(30 * time.Second)
	if code != exitLocked {
		t.Fatalf("second run: exit %d, want %d\n%s", code, exitLocked, second.stderr.String())
	}
	if !strings.Contains(second.stderr.String(), "another import holds") {
		t.Errorf("second run's message does not name the lock:\n%s", second.stderr.String())
	}
	if !strings.Contains(second.stderr.String(), filepath.Base(f.ck)) {
		t.Errorf("second run's message does not name the checkpoint:\n%s", second.stderr.String())
	}
	// Another checkpoint does not make it a second import of the file.
	third, code := f.runOnce(30*time.Second, "--checkpoint", filepath.Join(f.dir, "other.checkpoint.jsonl"))
	if code != exitLocked || !strings.Contains(third.stderr.String(), "another import of "+f.csv+" is running (pid ") {
		t.Fatalf("import with another checkpoint: exit %d, want %d naming the running import\n%s", code, exitLocked, third.stderr.String())
	}
	tr.Release()
	if code := first.wait(t, time.Minute); code != exitOK {
		t.Fatalf("first run: exit %d\n%s", code, first.stderr.String())
	}
	f.assertCheckpointCreated(f.assertExactlyOnce())
}

// TestTokenNeverInOutputs runs imports with invalid rows and faults (so
// there are warnings, an errors CSV and a report) and scans every output
// for the token.
func TestTokenNeverInOutputs(t *testing.T) {
	t.Parallel()
	f := newFixture(t, fixtureOptions{rows: 200, invalid: 20, sim: simulator.Options{
		Seed: 5, Faults: simulator.Faults{Err500: 0.1, DropBefore: 0.05, DropAfter: 0.05},
	}, args: []string{"--max-consecutive-failures", "100"}})
	for i, extra := range [][]string{nil, {"--log-format", "json", "--progress", "always"}} {
		p, code := f.runOnce(time.Minute, extra...)
		s := p.result(t)
		if code != exitRows || s == nil || s.Invalid != 10 || s.Failed != 0 {
			t.Fatalf("run %d: exit %d, summary %+v, want exit 1 for the 10 invalid rows only\n%s", i+1, code, s, p.stderr.String())
		}
	}
	report := runTool(t, exitOK, "report", f.ck, "--created-csv", filepath.Join(f.dir, "report-created.csv"),
		"--errors-csv", filepath.Join(f.dir, "report-errors.csv"))
	if strings.Contains(report, secretToken) {
		t.Errorf("the token appears in the report")
	}
	f.assertCheckpointCreated(f.assertExactlyOnce())
	f.assertNoSecret()
}

// waitFor waits for ch, failing the test if the child exits first or
// nothing happens within a minute.
func waitFor(t *testing.T, p *proc, ch <-chan struct{}, what string) {
	t.Helper()
	timer := time.NewTimer(time.Minute)
	defer timer.Stop()
	select {
	case <-ch:
	case <-p.done:
		select {
		case <-ch:
		default:
			t.Fatalf("exit %d before %s\n%s", p.code, what, p.stderr.String())
		}
	case <-timer.C:
		t.Fatalf("no %s within a minute\n%s", what, p.stderr.String())
	}
}
