// Package cli is devrev-import's command line: it parses flags, wires the
// packages of a run together and turns outcomes into exit codes. main.go
// only calls Main.
package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
)

// Version is the tool's version, sent in the User-Agent.
const Version = "0.1.0"

// Exit codes, the same for every command.
const (
	ExitOK          = 0 // every row fine (valid, created or already done)
	ExitRowsFailed  = 1 // finished, but some rows invalid or failed
	ExitUsage       = 2 // usage, mapping or file-level error: nothing was sent
	ExitStopped     = 3 // stopped before the end, resumable
	ExitAuth        = 4 // authentication or permission refused
	ExitLocked      = 5 // another run holds the checkpoint lock
	exitHelpPrinted = 0
)

// Env is what a command may touch of the outside world; tests pass their own.
type Env struct {
	Stdout, Stderr io.Writer
	Stdin          io.Reader
	Getenv         func(string) string
	// IsTerminal reports whether stderr is a terminal (progress bar or log lines).
	IsTerminal bool
	// Signals delivers SIGINT/SIGTERM; nil = none.
	Signals <-chan os.Signal
}

const usage = `devrev-import bulk-imports CSV or XLSX rows into DevRev as works.

Usage:
  devrev-import validate FILE [flags]     dry run: read, map, validate every row; sends nothing
  devrev-import import FILE [flags]       create the works (import --dry-run == validate)
  devrev-import sandbox [--addr ADDR]     serve the built-in DevRev simulator on loopback
  devrev-import init FILE                 print a mapping skeleton for FILE's header
  devrev-import report CHECKPOINT         totals and CSVs from a checkpoint
  devrev-import undo CHECKPOINT           delete every work a checkpoint created
  devrev-import resolve CHECKPOINT [ROW]  list rows left ambiguous, or settle one (--id ID | --send)
  devrev-import help [COMMAND]            this text, or a command's flags
  devrev-import --version

Run "devrev-import COMMAND -h" for a command's flags.

Exit codes: 0 all rows fine, 1 some rows invalid or failed, 2 usage/mapping/file
error (nothing sent), 3 stopped before the end (resumable), 4 authentication or
permission refused, 5 another run holds the checkpoint lock.
`

// Main runs the command line and returns the exit code.
func Main(ctx context.Context, args []string, env Env) int {
	if env.Getenv == nil {
		env.Getenv = os.Getenv
	}
	if len(args) == 0 {
		fmt.Fprint(env.Stderr, usage)
		return ExitUsage
	}
	cmd, rest := args[0], args[1:]
	switch cmd {
	case "validate":
		return runImport(ctx, "validate", rest, env)
	case "import":
		return runImport(ctx, "import", rest, env)
	case "sandbox":
		return runSandbox(ctx, rest, env)
	case "init":
		return runInit(ctx, rest, env)
	case "report":
		return runReport(ctx, rest, env)
	case "undo":
		return runUndo(ctx, rest, env)
	case "resolve":
		return runResolve(ctx, rest, env)
	case "--version", "-version", "version":
		fmt.Fprintf(env.Stdout, "devrev-import %s\n", Version)
		return ExitOK
	case "help", "-h", "--help", "-help":
		if len(rest) > 0 {
			return Main(ctx, []string{rest[0], "-h"}, env)
		}
		fmt.Fprint(env.Stdout, usage)
		return ExitOK
	}
	fmt.Fprintf(env.Stderr, "devrev-import: unknown command %q\n\n%s", cmd, usage)
	return ExitUsage
}

// parse parses flags that may come before or after the positional
// arguments ("import FILE --sandbox" and "import --sandbox FILE" both work).
func parse(fs *flag.FlagSet, args []string) ([]string, error) {
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			return nil, err
		}
		args = fs.Args()
		if len(args) == 0 {
			return pos, nil
		}
		if args[0] == "--" {
			return append(pos, args[1:]...), nil
		}
		pos = append(pos, args[0])
		args = args[1:]
	}
}

// newFlagSet returns a FlagSet that prints its help to env.Stdout on -h
// and errors to env.Stderr.
func newFlagSet(name, synopsis string, env Env) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(env.Stderr)
	fs.Usage = func() {
		fmt.Fprintf(env.Stdout, "Usage: devrev-import %s\n\nFlags:\n", synopsis)
		fs.SetOutput(env.Stdout)
		fs.PrintDefaults()
		fs.SetOutput(env.Stderr)
	}
	return fs
}

// parseOrExit handles -h and flag errors uniformly.
func parseOrExit(fs *flag.FlagSet, args []string, env Env) ([]string, int, bool) {
	pos, err := parse(fs, args)
	if errors.Is(err, flag.ErrHelp) {
		return nil, exitHelpPrinted, false
	}
	if err != nil {
		return nil, ExitUsage, false
	}
	return pos, 0, true
}

// listFlag is a comma-separated list flag.
type listFlag []string

func (l *listFlag) String() string { return strings.Join(*l, ",") }
func (l *listFlag) Set(s string) error {
	*l = nil
	for _, p := range strings.Split(s, ",") {
		if p = strings.TrimSpace(p); p != "" {
			*l = append(*l, p)
		}
	}
	return nil
}
