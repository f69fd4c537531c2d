package checkpoint

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestLockBusyInProcess(t *testing.T) {
	path := filepath.Join(t.TempDir(), "cp.jsonl")
	l1, err := Lock(t.Context(), path, 0)
	if err != nil {
		t.Fatal(err)
	}
	_, err = Lock(t.Context(), path, 0)
	var le *LockedError
	if !errors.As(err, &le) {
		t.Fatalf("second Lock = %v, want *LockedError", err)
	}
	if le.PID != os.Getpid() || le.Path != path || le.Since.IsZero() {
		t.Errorf("LockedError = %+v, want pid %d, path %s, a time", le, os.Getpid(), path)
	}
	want := "another import holds " + path + " (pid "
	if msg := err.Error(); !strings.HasPrefix(msg, want) || !strings.Contains(msg, " since ") {
		t.Errorf("message %q, want %q... since ...", msg, want)
	}
	if err := l1.Unlock(); err != nil {
		t.Fatal(err)
	}
	if err := l1.Unlock(); err != nil {
		t.Errorf("second Unlock: %v", err)
	}
	if b, _ := os.ReadFile(path + ".lock"); len(b) != 0 {
		t.Errorf("lock file after Unlock holds %q", b)
	}
	l2, err := Lock(t.Context(), path, 0)
	if err != nil {
		t.Fatalf("Lock after Unlock: %v", err)
	}
	if err := l2.Unlock(); err != nil {
		t.Fatal(err)
	}
}

func TestLockedErrorMessage(t *testing.T) {
	since := time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)
	tests := []struct {
		e    LockedError
		want string
	}{
		{LockedError{Path: "cp.jsonl", PID: 42, Since: since}, "another import holds cp.jsonl (pid 42 since 2025-03-01T12:00:00Z)"},
		{LockedError{Path: "cp.jsonl", PID: 42}, "another import holds cp.jsonl (pid 42)"},
		{LockedError{Path: "cp.jsonl"}, "another import holds cp.jsonl"},
	}
	for _, tt := range tests {
		if got := tt.e.Error(); got != tt.want {
			t.Errorf("Error() = %q, want %q", got, tt.want)
		}
	}
}

func TestLockWaitsForUnlock(t *testing.T) {
	path := filepath.Join(t.TempDir(), "cp.jsonl")
	l1, err := Lock(t.Context(), path, 0)
	if err != nil {
		t.Fatal(err)
	}
	busy := make(chan struct{}, 1)
	type result struct {
		l   *RunLock
		err error
	}
	got := make(chan result, 1)
	go func() {
		l, err := lock(t.Context(), path, time.Minute, func() {
			select {
			case busy <- struct{}{}:
			default:
			}
		})
		got <- result{l, err}
	}()
	<-busy // the waiter found the lock taken and is polling
	if err := l1.Unlock(); err != nil {
		t.Fatal(err)
	}
	r := <-got
	if r.err != nil {
		t.Fatalf("waiting Lock: %v", r.err)
	}
	if b, _ := os.ReadFile(path + ".lock"); !strings.HasPrefix(string(b), "pid ") {
		t.Errorf("lock file holds %q, want pid info", b)
	}
	if err := r.l.Unlock(); err != nil {
		t.Fatal(err)
	}
}

func TestLockWaitExpires(t *testing.T) {
	path := filepath.Join(t.TempDir(), "cp.jsonl")
	l1, err := Lock(t.Context(), path, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer l1.Unlock()
	_, err = Lock(t.Context(), path, 30*time.Millisecond)
	var le *LockedError
	if !errors.As(err, &le) || le.PID != os.Getpid() {
		t.Errorf("Lock after waiting = %v, want *LockedError with our pid", err)
	}
	if errors.Is(err, context.DeadlineExceeded) {
		t.Error("an expired wait is not a context error")
	}
}

func TestLockContextCanceled(t *testing.T) {
	path := filepath.Join(t.TempDir(), "cp.jsonl")
	l1, err := Lock(t.Context(), path, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer l1.Unlock()
	ctx, cancel := context.WithCancel(t.Context())
	_, err = lock(ctx, path, time.Hour, cancel) // cancelled as soon as it finds the lock busy
	var le *LockedError
	if !errors.Is(err, context.Canceled) || !errors.As(err, &le) {
		t.Errorf("Lock = %v, want context.Canceled wrapping a *LockedError", err)
	}
}
