package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
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
//
// The child is started through `benchtool measure` (self), a small fresh
// process: on Linux a child's maxrss starts at the high-water RSS of the
// process that spawned it, because Go starts children with CLONE_VM and the
// kernel charges the parent's memory map to the child when it execs. This
// process holds the simulator and its works; the trampoline holds nothing.
func runChild(ctx context.Context, self, scratch string, env []string, name string, args ...string) (proc, error) {
	f, err := os.CreateTemp(scratch, "rusage-*.json")
	if err != nil {
		return proc{}, fmt.Errorf("run %s: %w", filepath.Base(name), err)
	}
	usage := f.Name()
	f.Close()
	defer os.Remove(usage)
	cmd := exec.CommandContext(ctx, self, append([]string{"measure", "-out", usage, "--", name}, args...)...)
	cmd.Env = append(cmd.Environ(), env...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err = cmd.Run()
	if ctx.Err() != nil {
		return proc{}, fmt.Errorf("run %s: %w", filepath.Base(name), ctx.Err())
	}
	if err != nil {
		return proc{}, fmt.Errorf("run %s: %w: %s", filepath.Base(name), err, tail(stderr.Bytes(), 500))
	}
	var m measured
	data, err := os.ReadFile(usage)
	if err == nil {
		err = json.Unmarshal(data, &m)
	}
	if err != nil {
		return proc{}, fmt.Errorf("run %s: read its measurement: %w", filepath.Base(name), err)
	}
	return proc{Wall: time.Duration(m.WallNS), CPU: time.Duration(m.CPUNS), MaxRSS: m.MaxRSS, Exit: m.Exit,
		Stdout: stdout.Bytes(), Stderr: stderr.Bytes()}, nil
}

// measured is what `benchtool measure` writes about its child.
type measured struct {
	WallNS int64 `json:"wall_ns"`
	CPUNS  int64 `json:"cpu_ns"`  // user + system
	MaxRSS int64 `json:"max_rss"` // bytes
	Exit   int   `json:"exit"`
}

// measureCmd is `benchtool measure -out FILE -- CMD ARGS...`: it runs CMD
// with this process's environment and standard streams, and writes its
// wall time, CPU time, peak RSS and exit code to FILE as JSON. It fails
// only when CMD cannot be started.
func measureCmd(ctx context.Context, args []string, stderr io.Writer) error {
	fs := flag.NewFlagSet("measure", flag.ContinueOnError)
	fs.SetOutput(stderr)
	out := fs.String("out", "", "where the measurement goes (required)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *out == "" || fs.NArg() == 0 {
		return fmt.Errorf("measure: usage: measure -out FILE -- CMD [ARGS...]")
	}
	cmd := exec.CommandContext(ctx, fs.Arg(0), fs.Args()[1:]...)
	cmd.Stdin, cmd.Stdout, cmd.Stderr = os.Stdin, os.Stdout, os.Stderr
	start := time.Now()
	err := cmd.Run()
	wall := time.Since(start)
	var ee *exec.ExitError
	if err != nil && !errors.As(err, &ee) {
		return fmt.Errorf("measure: %w", err)
	}
	ps := cmd.ProcessState
	b, err := json.Marshal(measured{WallNS: int64(wall), CPUNS: int64(ps.UserTime() + ps.SystemTime()),
		MaxRSS: maxRSS(ps), Exit: ps.ExitCode()})
	if err != nil {
		return fmt.Errorf("measure: %w", err)
	}
	if err := os.WriteFile(*out, b, 0o644); err != nil {
		return fmt.Errorf("measure: %w", err)
	}
	return nil
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
