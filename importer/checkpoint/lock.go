package checkpoint

import (
	"context"
	"fmt"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/gofrs/flock"
)

// LockedError says another process holds the run lock of a checkpoint.
// PID and Since come from the lock file and are zero when it could not be
// read (e.g. the holder has not written them yet).
type LockedError struct {
	Path  string // the checkpoint (not the lock file)
	PID   int
	Since time.Time
}

// Error returns "another import holds CHECKPOINT (pid N since T)".
func (e *LockedError) Error() string {
	switch {
	case e.PID > 0 && !e.Since.IsZero():
		return fmt.Sprintf("another import holds %s (pid %d since %s)", e.Path, e.PID, e.Since.Format(time.RFC3339))
	case e.PID > 0:
		return fmt.Sprintf("another import holds %s (pid %d)", e.Path, e.PID)
	}
	return fmt.Sprintf("another import holds %s", e.Path)
}

// RunLock is an exclusive lock on a checkpoint, held until Unlock or until
// the process dies (the OS releases it).
type RunLock struct {
	path string // lock file
	fl   *flock.Flock
	once sync.Once
	err  error
}

// Backoff bounds for polling a busy lock.
const (
	lockFirstDelay = 20 * time.Millisecond
	lockMaxDelay   = time.Second
)

// Lock takes an exclusive OS lock (flock) on path+".lock", creating it with
// mode 0600, and writes "pid N since T" into it for the error message of
// whoever comes next. If another process holds it, Lock polls with backoff
// for up to wait (0: does not wait) and then returns a *LockedError; if ctx
// ends first, the error wraps both ctx.Err() and the *LockedError.
//
// The lock belongs to the open file, not the process, so a second Lock in
// the same process fails too. The lock file is never removed: removing it
// would let two processes lock two different files of the same name.
func Lock(ctx context.Context, path string, wait time.Duration) (*RunLock, error) {
	return lock(ctx, path, wait, nil)
}

// lock is Lock with a hook called each time the lock is found busy (tests
// use it to know a waiter is waiting).
func lock(ctx context.Context, path string, wait time.Duration, onBusy func()) (*RunLock, error) {
	lp := path + ".lock"
	fl := flock.New(lp, flock.SetPermissions(0o600))
	var deadline <-chan time.Time
	if wait > 0 {
		t := time.NewTimer(wait)
		defer t.Stop()
		deadline = t.C
	}
	delay := lockFirstDelay
	for {
		ok, err := fl.TryLock()
		if err != nil {
			return nil, fmt.Errorf("locking %s: %w", lp, err)
		}
		if ok {
			break
		}
		if onBusy != nil {
			onBusy()
		}
		if wait <= 0 {
			return nil, lockedError(path, lp)
		}
		t := time.NewTimer(delay)
		select {
		case <-ctx.Done():
			t.Stop()
			return nil, fmt.Errorf("waiting for the checkpoint lock: %w: %w", ctx.Err(), lockedError(path, lp))
		case <-deadline:
			t.Stop()
			return nil, lockedError(path, lp)
		case <-t.C:
		}
		delay = min(2*delay, lockMaxDelay)
	}
	info := fmt.Sprintf("pid %d since %s\n", os.Getpid(), time.Now().Format(time.RFC3339))
	if err := os.WriteFile(lp, []byte(info), 0o600); err != nil {
		_ = fl.Unlock()
		return nil, fmt.Errorf("writing lock file: %w", err)
	}
	return &RunLock{path: lp, fl: fl}, nil
}

// lockedError builds a *LockedError from what the holder wrote.
func lockedError(path, lockPath string) *LockedError {
	e := &LockedError{Path: path}
	b, err := os.ReadFile(lockPath)
	if err != nil {
		return e
	}
	var since string
	if _, err := fmt.Sscanf(strings.TrimSpace(string(b)), "pid %d since %s", &e.PID, &since); err == nil {
		e.Since, _ = time.Parse(time.RFC3339, since)
	}
	return e
}

// Unlock clears the lock file and releases the lock. It is idempotent.
func (l *RunLock) Unlock() error {
	l.once.Do(func() {
		_ = os.Truncate(l.path, 0) // still ours, so no holder's info is lost
		if err := l.fl.Unlock(); err != nil {
			l.err = fmt.Errorf("unlocking %s: %w", l.path, err)
		}
	})
	return l.err
}
