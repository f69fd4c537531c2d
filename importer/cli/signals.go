package cli

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"sync"
	"time"

	"github.com/devrev-import/devrev-import/importer/checkpoint"
)

// interrupts makes Ctrl-C (SIGINT) and SIGTERM work from a command's first
// instruction. Until soft is set, the first signal cancels ctx: setup
// (reading the mapping, waiting for a lock, fetching the schema, asking
// for confirmation) stops at once, before anything is sent. Once the run
// started and set soft, the first signal calls soft (stop taking rows,
// let requests in flight finish) and the second cancels ctx.
type interrupts struct {
	ctx    context.Context
	cancel context.CancelFunc

	mu   sync.Mutex
	soft func() // nil while setting up
}

// watchSignals starts watching env.Signals; stop ends the watch and
// cancels ctx (call it when the command returns).
func watchSignals(parent context.Context, env Env) (in *interrupts, stop func()) {
	ctx, cancel := context.WithCancel(parent)
	in = &interrupts{ctx: ctx, cancel: cancel}
	if env.Signals == nil {
		return in, cancel
	}
	go func() {
		softDone := false
		for {
			select {
			case <-env.Signals:
			case <-ctx.Done():
				return
			}
			in.mu.Lock()
			soft := in.soft
			in.mu.Unlock()
			if soft != nil && !softDone {
				softDone = true
				soft()
				continue
			}
			if soft == nil {
				fmt.Fprintln(env.Stderr, "\ninterrupted")
			}
			cancel()
			return
		}
	}()
	return in, cancel
}

// started switches to the run's handling: the first signal calls soft.
func (in *interrupts) started(soft func()) {
	in.mu.Lock()
	in.soft = soft
	in.mu.Unlock()
}

// interrupted reports whether a signal (or the parent) ended ctx.
func (in *interrupts) interrupted() bool { return in.ctx.Err() != nil }

// maxMappingBytes bounds how much of a mapping file is read: a real one is
// a few KiB; /dev/zero or a log file given by mistake must not fill memory.
const maxMappingBytes = 4 << 20

// errMappingTooLarge is a mapping file over maxMappingBytes.
var errMappingTooLarge = fmt.Errorf("larger than %d MiB: is it the mapping file?", maxMappingBytes>>20)

// readMapping reads a mapping file of at most maxMappingBytes. It gives up
// when ctx ends, also while a FIFO has no writer yet (the read goes on in
// the background until the process exits).
func readMapping(ctx context.Context, path string) ([]byte, error) {
	type result struct {
		b   []byte
		err error
	}
	done := make(chan result, 1)
	go func() {
		f, err := os.Open(path)
		if err != nil {
			done <- result{nil, err}
			return
		}
		defer f.Close()
		b, err := io.ReadAll(io.LimitReader(f, maxMappingBytes+1))
		if err == nil && len(b) > maxMappingBytes {
			err = errMappingTooLarge
		}
		done <- result{b, err}
	}()
	select {
	case r := <-done:
		return r.b, r.err
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

// readLine reads one line from r, giving up when ctx ends (a Ctrl-C at a
// confirmation prompt).
func readLine(ctx context.Context, r io.Reader) (string, error) {
	done := make(chan string, 1)
	go func() {
		line, _ := bufio.NewReader(r).ReadString('\n')
		done <- line
	}()
	select {
	case line := <-done:
		return line, nil
	case <-ctx.Done():
		return "", ctx.Err()
	}
}

// lockCheckpoint takes the run lock of a checkpoint for a command, or
// returns why not: interrupted (3), held by another run (a
// *checkpoint.LockedError, 5), anything else (2).
func lockCheckpoint(ctx context.Context, path string, wait time.Duration, env Env) (*checkpoint.RunLock, error) {
	return takeLock(ctx, path, wait, env, func(wait time.Duration) (*checkpoint.RunLock, error) {
		return checkpoint.Lock(ctx, path, wait)
	})
}

// takeLock takes a lock on path with take, as lockCheckpoint describes.
func takeLock(ctx context.Context, path string, wait time.Duration, env Env, take func(time.Duration) (*checkpoint.RunLock, error)) (*checkpoint.RunLock, error) {
	lock, err := lockWaiting(path, wait, env, take)
	var le *checkpoint.LockedError
	switch {
	case err == nil:
		return lock, nil
	case ctx.Err() != nil:
		return nil, stoppedError("interrupted while waiting for the lock on %s", path)
	case errors.As(err, &le):
		return nil, le
	}
	return nil, usageError("lock: %v", err)
}

// lockWaiting takes a run lock (of a checkpoint, of an input) with take.
// When another run holds it and wait > 0, it says so on stderr ("waiting
// for the lock held by pid N since T") before waiting, so a silent
// terminal is never a mystery; take's ctx (Ctrl-C) ends the wait.
func lockWaiting(path string, wait time.Duration, env Env, take func(time.Duration) (*checkpoint.RunLock, error)) (*checkpoint.RunLock, error) {
	lock, err := take(0)
	var le *checkpoint.LockedError
	if wait <= 0 || !errors.As(err, &le) {
		return lock, err
	}
	holder := "another run"
	if le.PID > 0 {
		holder = fmt.Sprintf("pid %d", le.PID)
		if !le.Since.IsZero() {
			holder += " since " + le.Since.Format(time.RFC3339)
		}
	}
	fmt.Fprintf(env.Stderr, "waiting for the lock held by %s on %s (up to --wait-lock %s)\n", holder, path, wait)
	return take(wait)
}
