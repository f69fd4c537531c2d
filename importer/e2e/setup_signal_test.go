package e2e

import (
	"fmt"
	"os"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/devrev-import/devrev-import/importer/checkpoint"
)

// TestSignalWhileWaitingForTheLock: Ctrl-C works from the first second.
// A run waiting for another run's lock (--wait-lock 1h) says whom it waits
// for, and SIGINT or SIGTERM ends the wait at once: exit 3, nothing sent,
// the summary written.
func TestSignalWhileWaitingForTheLock(t *testing.T) {
	for _, sig := range []syscall.Signal{syscall.SIGINT, syscall.SIGTERM} {
		t.Run(sig.String(), func(t *testing.T) {
			t.Parallel()
			f := newFixture(t, fixtureOptions{rows: 10})
			lock, err := checkpoint.Lock(t.Context(), f.ck, 0)
			if err != nil {
				t.Fatal(err)
			}
			defer lock.Unlock()
			p := f.start("--wait-lock", "1h")
			waitFor(t, p, p.stderr.when(fmt.Sprintf("waiting for the lock held by pid %d since ", os.Getpid())), "the waiting message")
			p.signal(t, sig)
			if code := p.wait(t, time.Minute); code != exitStopped {
				t.Fatalf("exit %d, want %d\n%s", code, exitStopped, p.stderr.String())
			}
			if !strings.Contains(p.stderr.String(), "interrupted while waiting for the lock") {
				t.Errorf("stderr:\n%s", p.stderr.String())
			}
			if s := p.result(t); s == nil || s.ExitCode != exitStopped || s.Error == "" {
				t.Errorf("summary %+v", s)
			}
			if n := len(f.sim.Works()); n != 0 {
				t.Errorf("%d works created by a run that never got the lock", n)
			}
		})
	}
}
