package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os/exec"
	"path/filepath"
	"strings"
	"time"
)

// proc is one measured child process.
type proc struct {
	Wall   time.Duration // from start to exit
	CPU    time.Duration // user + system time of the child
	MaxRSS int64         // peak resident set size, bytes
	Exit   int           // exit code
	Stdout []byte
	Stderr []byte
}

// runChild runs name with args (extra environment in env) to completion and
// measures it. A non-zero exit is not an error: callers decide which codes
// they expect. Failing to start is.
func runChild(ctx context.Context, env []string, name string, args ...string) (proc, error) {
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Env = append(cmd.Environ(), env...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	start := time.Now()
	err := cmd.Run()
	wall := time.Since(start)
	var ee *exec.ExitError
	if err != nil && !errors.As(err, &ee) {
		return proc{}, fmt.Errorf("run %s: %w", filepath.Base(name), err)
	}
	if ctx.Err() != nil {
		return proc{}, fmt.Errorf("run %s: %w", filepath.Base(name), ctx.Err())
	}
	p := proc{Wall: wall, Stdout: stdout.Bytes(), Stderr: stderr.Bytes(), Exit: cmd.ProcessState.ExitCode()}
	p.CPU = cmd.ProcessState.UserTime() + cmd.ProcessState.SystemTime()
	p.MaxRSS = maxRSS(cmd.ProcessState)
	return p, nil
}

// expect returns an error naming the command and the tail of its stderr
// unless the child exited with one of the codes.
func (p proc) expect(what string, codes ...int) error {
	for _, c := range codes {
		if p.Exit == c {
			return nil
		}
	}
	return fmt.Errorf("%s: exit %d, want %v; stderr ends:\n%s", what, p.Exit, codes, tail(p.Stderr, 1500))
}

// tail returns the last n bytes of b as text.
func tail(b []byte, n int) string {
	if len(b) > n {
		b = b[len(b)-n:]
	}
	return strings.TrimSpace(string(b))
}
