package checkpoint

import (
	"errors"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
)

func TestLockInputIsOneLockPerFile(t *testing.T) {
	dir, locks := t.TempDir(), filepath.Join(t.TempDir(), "locks")
	input := filepath.Join(dir, "in.csv")
	if err := os.WriteFile(input, []byte("a\n1\n"), 0o400); err != nil { // read-only: never written
		t.Fatal(err)
	}
	hard := filepath.Join(dir, "hard.csv")
	if err := os.Link(input, hard); err != nil {
		t.Fatal(err)
	}
	ex, err := LockInput(t.Context(), input, InputLockOptions{Dir: locks})
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{input, hard} {
		for _, shared := range []bool{false, true} {
			_, err := LockInput(t.Context(), p, InputLockOptions{Dir: locks, Shared: shared})
			var le *LockedError
			if !errors.As(err, &le) || !le.Input || le.PID != os.Getpid() || !strings.HasPrefix(err.Error(), "another import of "+p+" is running (pid ") {
				t.Errorf("LockInput(%s, shared %v) while an import holds it: %v", p, shared, err)
			}
		}
	}
	ex.Unlock()
	// What a killed import left in the lock file is not shown as a holder.
	lp, _ := inputLockPath(input, locks)
	if err := os.WriteFile(lp, []byte("pid 999999 since 2025-01-01T00:00:00Z\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	s1, err := LockInput(t.Context(), input, InputLockOptions{Dir: locks, Shared: true})
	if err != nil {
		t.Fatal(err)
	}
	s2, err := LockInput(t.Context(), hard, InputLockOptions{Dir: locks, Shared: true})
	if err != nil {
		t.Fatalf("a second shared lock: %v", err)
	}
	if _, err := LockInput(t.Context(), input, InputLockOptions{Dir: locks}); err == nil || !strings.Contains(err.Error(), "another run is using "+input) {
		t.Errorf("exclusive while shared: %v", err)
	}
	s1.Unlock()
	s2.Unlock()
	if b, err := os.ReadFile(input); err != nil || string(b) != "a\n1\n" {
		t.Errorf("the input changed: %q, %v", b, err)
	}
}

func TestLockInputRefusesADirectoryOthersCanWrite(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("no Unix modes")
	}
	input := filepath.Join(t.TempDir(), "in.csv")
	if err := os.WriteFile(input, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	open := t.TempDir()
	if err := os.Chmod(open, 0o777); err != nil {
		t.Fatal(err)
	}
	if _, err := LockInput(t.Context(), input, InputLockOptions{Dir: open}); err == nil || !strings.Contains(err.Error(), "not a private directory") {
		t.Errorf("LockInput in a world-writable directory: %v", err)
	}
}
