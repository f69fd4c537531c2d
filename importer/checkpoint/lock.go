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
	Path  string // the checkpoint (not the lock file), or the input
	PID   int
	Since time.Time
	// Input says Path is an input file (LockInput), not a checkpoint.
	Input bool
}

// Error returns "another import holds CHECKPOINT (pid N since T)", or for
// an input "another import of FILE is running (pid N since T)".
func (e *LockedError) Error() string {
	if e.Input {
		switch {
		case e.PID > 0 && !e.Since.IsZero():
			return fmt.Sprintf("another import of %s is running (pid %d since %s)", e.Path, e.PID, e.Since.Format(time.RFC3339))
		case e.PID > 0:
			return fmt.Sprintf("another import of %s is running (pid %d)", e.Path, e.PID)
		}
		return fmt.Sprintf("another run is using %s (a validate, or an import just starting)", e.Path)
	}
	switch {
	case e.PID > 0 && !e.Since.IsZero():
		return fmt.Sprintf("another import holds %s (pid %d since %s)", e.Path, e.PID, e.Since.Format(time.RFC3339))
	case e.PID > 0:
		return fmt.Sprintf("another import holds %s (pid %d)", e.Path, e.PID)
	}
	return fmt.Sprintf("another import holds %s", e.Path)
}

// RunLock is a lock on a checkpoint or an input, held until Unlock or
// until the process dies (the OS releases it).
type RunLock struct {
	path   string // lock file
	fl     *flock.Flock
	shared bool
	once   sync.Once
	err    error
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
	return lockFile(ctx, lp, false, wait, onBusy, func() *LockedError { return lockedError(path, lp) })
}

// lockFile takes the flock on lp, exclusive or shared, polling with
// backoff for up to wait; busy names the holder when it stays busy. An
// exclusive holder writes "pid N since T" into lp for whoever comes next.
func lockFile(ctx context.Context, lp string, shared bool, wait time.Duration, onBusy func(), busy func() *LockedError) (*RunLock, error) {
	fl := flock.New(lp, flock.SetPermissions(0o600))
	try := fl.TryLock
	if shared {
		try = fl.TryRLock
	}
	var deadline <-chan time.Time
	if wait > 0 {
		t := time.NewTimer(wait)
		defer t.Stop()
		deadline = t.C
	}
	delay := lockFirstDelay
	for {
		ok, err := try()
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
			return nil, busy()
		}
		t := time.NewTimer(delay)
		select {
		case <-ctx.Done():
			t.Stop()
			return nil, fmt.Errorf("waiting for the lock: %w: %w", ctx.Err(), busy())
		case <-deadline:
			t.Stop()
			return nil, busy()
		case <-t.C:
		}
		delay = min(2*delay, lockMaxDelay)
	}
	if shared {
		// Several holders: none owns the file's text. No exclusive holder
		// exists now, so what it says is stale (an import killed before
		// its Unlock) and would name a dead process to whoever comes next.
		_ = os.Truncate(lp, 0)
		return &RunLock{path: lp, fl: fl, shared: true}, nil
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
		if !l.shared {
			_ = os.Truncate(l.path, 0) // still ours, so no holder's info is lost
		}
		if err := l.fl.Unlock(); err != nil {
			l.err = fmt.Errorf("unlocking %s: %w", l.path, err)
		}
	})
	return l.err
}
