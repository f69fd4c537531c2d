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
	ExitOK         = 0 // every row fine (valid, created or already done)
	ExitRowsFailed = 1 // finished, but some rows invalid or failed
	ExitUsage      = 2 // usage, mapping or file-level error: nothing was sent
	ExitStopped    = 3 // stopped before the end, resumable
	ExitAuth       = 4 // authentication or permission refused
	ExitLocked     = 5 // another run holds the checkpoint lock
)

// Env is what a command may touch of the outside world; tests pass their own.
type Env struct {
	Stdout, Stderr io.Writer
	Stdin          io.Reader
	Getenv         func(string) string
	// IsTerminal reports whether stderr is a terminal (progress bar or log lines).
	IsTerminal bool
	// StdinIsTerminal reports whether stdin is a terminal a person can
	// answer a confirmation prompt on (undo); false = pass --yes.
	StdinIsTerminal bool
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

// Main runs the command line and returns the exit code. Commands return
// errors; exitFor alone turns them into the exit code and the message.
func Main(ctx context.Context, args []string, env Env) int {
	if env.Getenv == nil {
		env.Getenv = os.Getenv
	}
	cmd, err := dispatch(ctx, args, env)
	code, msg := exitFor(err)
	if msg != "" {
		fmt.Fprintf(env.Stderr, "%s: %s\n", messagePrefix(cmd), msg)
	}
	return code
}

// dispatch runs the command args name and returns its name and outcome.
func dispatch(ctx context.Context, args []string, env Env) (string, error) {
	if len(args) == 0 {
		fmt.Fprint(env.Stderr, usage)
		return "", exitStatus(ExitUsage)
	}
	cmd, rest := args[0], args[1:]
	if err := refuseTokenFlag(rest); err != nil {
		return cmd, err
	}
	switch cmd {
	case "validate", "import":
		return cmd, runImport(ctx, cmd, rest, env)
	case "sandbox":
		return cmd, runSandbox(ctx, rest, env)
	case "init":
		return cmd, runInit(ctx, rest, env)
	case "report":
		return cmd, runReport(ctx, rest, env)
	case "undo":
		return cmd, runUndo(ctx, rest, env)
	case "resolve":
		return cmd, runResolve(ctx, rest, env)
	case "--version", "-version", "version":
		fmt.Fprintf(env.Stdout, "devrev-import %s\n", Version)
		return cmd, nil
	case "help", "-h", "--help", "-help":
		if len(rest) > 0 {
			return cmd, exitStatus(Main(ctx, []string{rest[0], "-h"}, env))
		}
		fmt.Fprint(env.Stdout, usage)
		return cmd, nil
	}
	fmt.Fprintf(env.Stderr, "devrev-import: unknown command %q\n\n%s", cmd, usage)
	return cmd, exitStatus(ExitUsage)
}

// messagePrefix starts the line of a command's final message: "devrev-import"
// for import and validate, whose messages are the tool's, "devrev-import
// CMD" for the others.
func messagePrefix(cmd string) string {
	if cmd == "import" || cmd == "validate" {
		return "devrev-import"
	}
	return "devrev-import " + cmd
}

// refuseTokenFlag refuses --token (-token, --token=VALUE) on any command,
// before the flag package sees it: a token given as a flag ends up in
// process lists and shell history. The message never repeats the value.
// Arguments after "--" are positional and not looked at.
func refuseTokenFlag(args []string) error {
	for _, a := range args {
		if a == "--" {
			return nil
		}
		name, _, _ := strings.Cut(strings.TrimLeft(a, "-"), "=")
		if strings.HasPrefix(a, "-") && name == "token" {
			return usageError("--token is not accepted (flags end up in process lists and shell history): set DEVREV_TOKEN or use --token-file PATH")
		}
	}
	return nil
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

// parseArgs parses a command's flags and returns its positional
// arguments. -h returns flag.ErrHelp (exit 0, the help is printed); a bad
// flag exits 2, the flag package has said why.
func parseArgs(fs *flag.FlagSet, args []string) ([]string, error) {
	pos, err := parse(fs, args)
	if errors.Is(err, flag.ErrHelp) {
		return nil, err
	}
	if err != nil {
		return nil, exitStatus(ExitUsage)
	}
	return pos, nil
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
