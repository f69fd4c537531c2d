//go:build unix

package checkpoint

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"
)

// Child processes: the test binary re-executes itself with childEnv set to
// a role, and TestMain runs that role instead of the tests.
const (
	childEnv     = "CHECKPOINT_TEST_CHILD"
	childPathEnv = "CHECKPOINT_TEST_PATH"
	crashAfter   = 600 // appends the crash child completes before killing itself
)

func TestMain(m *testing.M) {
	switch os.Getenv(childEnv) {
	case "":
		os.Exit(m.Run())
	case "crash":
		crashChild(os.Getenv(childPathEnv))
	case "lock":
		lockChild(os.Getenv(childPathEnv))
	default:
		fmt.Fprintln(os.Stderr, "unknown child role")
		os.Exit(2)
	}
}

// crashChild appends from four goroutines, printing "sending KEY" or
// "created KEY" after each Append returns, and SIGKILLs itself while the
// other goroutines are still appending.
func crashChild(path string) {
	j, _, _, err := Open(path, testHeader, Options{})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(3)
	}
	var done atomic.Int64
	title := strings.Repeat("t", 300)
	worker := func(w int) {
		for i := 0; ; i++ {
			key := fmt.Sprintf("w%d-%d", w, i)
			for _, e := range []Entry{
				{Row: i, Key: key, Status: Sending, Attempt: 1, Title: title},
				{Row: i, Key: key, Status: Created, ID: "id-" + key, DisplayID: "ISS-" + key, Type: "issue"},
			} {
				if err := j.Append(e); err != nil {
					fmt.Fprintln(os.Stderr, err)
					os.Exit(3)
				}
				fmt.Fprintf(os.Stdout, "%s %s\n", e.Status, key)
				if done.Add(1) == crashAfter {
					_ = syscall.Kill(os.Getpid(), syscall.SIGKILL)
				}
			}
		}
	}
	for w := range 3 {
		go worker(w)
	}
	worker(3)
}

// lockChild takes the run lock, says so, and holds it until stdin closes
// (or it is killed).
func lockChild(path string) {
	l, err := Lock(context.Background(), path, 0)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(3)
	}
	fmt.Println("locked")
	_, _ = io.Copy(io.Discard, os.Stdin)
	_ = l.Unlock()
	os.Exit(0)
}

// startChild runs the test binary in a child role; it is killed when the
// test ends at the latest.
func startChild(t *testing.T, role, path string) (*exec.Cmd, *bufio.Scanner, io.WriteCloser) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	t.Cleanup(cancel)
	cmd := exec.CommandContext(ctx, os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), childEnv+"="+role, childPathEnv+"="+path)
	cmd.Stderr = os.Stderr
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
	return cmd, bufio.NewScanner(stdout), stdin
}

func TestCrashKeepsEveryReturnedAppend(t *testing.T) {
	path := filepath.Join(t.TempDir(), "cp.jsonl")
	cmd, out, _ := startChild(t, "crash", path)
	reported := map[string]Status{} // key -> furthest status the child saw returned
	n := 0
	for out.Scan() {
		status, key, ok := strings.Cut(out.Text(), " ")
		if !ok {
			t.Fatalf("child said %q", out.Text())
		}
		if reported[key] != Created {
			reported[key] = Status(status)
		}
		n++
	}
	err := cmd.Wait()
	var exit *exec.ExitError
	if !errors.As(err, &exit) || exit.Sys().(syscall.WaitStatus).Signal() != syscall.SIGKILL {
		t.Fatalf("child ended with %v, want killed by SIGKILL", err)
	}
	if n < crashAfter {
		t.Fatalf("child reported %d appends, want at least %d", n, crashAfter)
	}

	_, st, warnings := readT(t, path)
	t.Logf("%d appends reported, %d keys read back, warnings %q", n, st.Len(), warnings)
	for key, status := range reported {
		e, ok := st.Last(key)
		switch {
		case !ok:
			t.Errorf("key %s was appended (%s) but is not in the checkpoint", key, status)
		case status == Created && (e.Status != Created || e.ID != "id-"+key || e.DisplayID != "ISS-"+key):
			t.Errorf("key %s: read back %+v, want created id-%s", key, e, key)
		case status == Sending && e.Status == Sending && len(e.Title) != 300:
			t.Errorf("key %s: title of %d bytes, want 300", key, len(e.Title))
		}
	}
	if len(st.InDoubt()) > 4 {
		t.Errorf("%d keys in doubt, but at most one per writer goroutine can be", len(st.InDoubt()))
	}

	// The next run resumes on the same file.
	j, st2, _ := openT(t, path, testHeader, Options{})
	if j.Run() != 2 || st2.Len() != st.Len() {
		t.Errorf("reopen: run %d, %d keys; want 2, %d", j.Run(), st2.Len(), st.Len())
	}
	appendT(t, j, Entry{Row: 1, Key: "after", Status: Sending})
	if err := j.Close(); err != nil {
		t.Fatal(err)
	}
	if _, _, _, err := Read(path); err != nil {
		t.Fatalf("Read after resuming: %v", err)
	}
}

func TestLockHeldByKilledProcessIsReleased(t *testing.T) {
	path := filepath.Join(t.TempDir(), "cp.jsonl")
	cmd, out, _ := startChild(t, "lock", path)
	if !out.Scan() || out.Text() != "locked" {
		t.Fatalf("child did not lock: %q %v", out.Text(), out.Err())
	}
	_, err := Lock(t.Context(), path, 0)
	var le *LockedError
	if !errors.As(err, &le) || le.PID != cmd.Process.Pid {
		t.Fatalf("Lock while the child holds it = %v, want *LockedError with pid %d", err, cmd.Process.Pid)
	}
	if err := cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	_ = cmd.Wait() // reaped: the OS has closed its files and released the lock
	l, err := Lock(t.Context(), path, 0)
	if err != nil {
		t.Fatalf("Lock after the holder died: %v", err)
	}
	if err := l.Unlock(); err != nil {
		t.Fatal(err)
	}
}
