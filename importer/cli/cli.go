// Package cli is devrev-import's command line: it parses flags, wires the
// packages of a run together and turns outcomes into exit codes. main.go
// only calls Main.
package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
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

// Main runs the command line and returns the exit code. Commands return
// errors; exitFor alone turns them into the exit code and the message.
func Main(ctx context.Context, args []string, env Env) int {
	if env.Getenv == nil {
		env.Getenv = os.Getenv
	}
	cmd, err := dispatch(ctx, args, env)
	code, msg := exitFor(err)
	if msg != "" {
		w := env.Stderr
		if jsonLogs(args) {
			w = newJSONLines(w) // an "error" event, as in a run
		}
		fmt.Fprintf(w, "%s: %s\n", messagePrefix(cmd), msg)
	}
	return code
}

// jsonLogs reports whether args ask for --log-format json (in any
// spelling; the last one counts, as in pflag), so that even a usage error
// is a JSON line when the flags could not be parsed.
func jsonLogs(args []string) bool {
	json := false
	for i, a := range args {
		if a == "--" {
			break
		}
		name, v, inline := strings.Cut(strings.TrimLeft(a, "-"), "=")
		if !strings.HasPrefix(a, "-") || name != "log-format" {
			continue
		}
		if !inline && i+1 < len(args) {
			v = args[i+1]
		}
		json = v == "json"
	}
	return json
}

// dispatch runs the command args name and returns its name ("" for the
// tool itself) and outcome. The command tree is built anew for every call,
// writing to env only: nothing outlives a run.
func dispatch(ctx context.Context, args []string, env Env) (string, error) {
	if err := refuseTokenFlag(args); err != nil {
		if strings.HasPrefix(args[0], "-") {
			return "", err
		}
		return args[0], err
	}
	var rest []string // the command's arguments, for a command whose flags failed
	root := newRoot(env, &rest)
	fs := root.Flags()
	name := ""
	switch {
	case len(args) > 0 && (args[0] == cobra.ShellCompRequestCmd || args[0] == cobra.ShellCompNoDescRequestCmd):
		// A shell asking for completions: the words as typed.
		root.SetArgs(args)
		_, err := root.ExecuteContextC(ctx)
		return "", err
	case len(args) > 0 && !strings.HasPrefix(args[0], "-"):
		name = args[0]
		sub := findCommand(root, name)
		if sub == nil {
			return "", unknownCommand(root, name)
		}
		sub.InitDefaultHelpFlag()
		fs, args = sub.Flags(), args[1:]
	default:
		root.InitDefaultHelpFlag()
		root.InitDefaultVersionFlag()
	}
	rest = longDashes(fs, args)
	if name != "" {
		args = append([]string{name}, rest...)
	} else {
		args = append([]string{}, rest...) // never nil: cobra reads os.Args then
	}
	root.SetArgs(args)
	started := false
	root.PersistentPreRun = func(*cobra.Command, []string) { started = true }
	cmd, err := root.ExecuteContextC(ctx)
	var ee *exitError
	if err != nil && !started && !errors.As(err, &ee) {
		// cobra refused the command line itself (arguments a command
		// does not take): a usage error like any other.
		err = usageError("%v (see '%s --help')", err, cmd.CommandPath())
	}
	if cmd == nil || cmd == root {
		return "", err
	}
	return cmd.Name(), err
}

// newRoot is the tool's command tree. rest will hold the arguments of the
// command run (its flags in double-dash form).
func newRoot(env Env, rest *[]string) *cobra.Command {
	root := &cobra.Command{
		Use:     "devrev-import",
		Short:   "devrev-import bulk-imports CSV or XLSX rows into DevRev as works.",
		Version: Version,
		// exitFor says what went wrong, once; a bad flag is one line, not the usage.
		SilenceErrors: true,
		SilenceUsage:  true,
		RunE: func(c *cobra.Command, _ []string) error {
			// No command: the help, as an error.
			printRootHelp(c, env.Stderr)
			return exitStatus(ExitUsage)
		},
		SuggestionsMinimumDistance: 2,
	}
	root.SetOut(env.Stdout)
	root.SetErr(env.Stderr)
	root.SetVersionTemplate("devrev-import {{.Version}}\n")
	root.SetFlagErrorFunc(flagUsageError)
	root.SetHelpFunc(func(c *cobra.Command, _ []string) { printHelp(c, c.OutOrStdout()) })
	root.SetUsageFunc(func(c *cobra.Command) error { printHelp(c, c.OutOrStderr()); return nil })
	root.AddCommand(
		newImportCmd("validate", env, rest),
		newImportCmd("import", env, rest),
		newSandboxCmd(env),
		newInitCmd(env),
		newReportCmd(env),
		newUndoCmd(env),
		newResolveCmd(env),
		&cobra.Command{Use: "version", Hidden: true, Args: cobra.NoArgs, RunE: func(c *cobra.Command, _ []string) error {
			fmt.Fprintf(env.Stdout, "devrev-import %s\n", Version)
			return nil
		}},
	)
	root.SetHelpCommand(newHelpCmd(root))
	root.InitDefaultHelpCmd()
	root.InitDefaultCompletionCmd()
	if c := findCommand(root, "completion"); c != nil {
		c.Use, c.Short = "completion SHELL", "print the shell completion script for bash, zsh, fish or powershell"
		c.Args = cobra.ArbitraryArgs
		c.RunE = func(c *cobra.Command, args []string) error { // no shell, or one it does not know
			if len(args) == 0 {
				return usageError("name a shell: bash, zsh, fish or powershell (see 'devrev-import completion --help')")
			}
			return usageError("unknown shell %q: bash, zsh, fish or powershell", args[0])
		}
		c.Example = "  source <(devrev-import completion bash)\n  devrev-import completion zsh > \"${fpath[1]}/_devrev-import\""
	}
	return root
}

// newHelpCmd is `help [COMMAND]`: the tool's help, or a command's (exit
// 0); an unknown command is a usage error with a suggestion.
func newHelpCmd(root *cobra.Command) *cobra.Command {
	return &cobra.Command{
		Use:   "help [COMMAND]",
		Short: "this text, or a command's flags and examples",
		Args:  cobra.MaximumNArgs(1),
		ValidArgsFunction: func(*cobra.Command, []string, string) ([]string, cobra.ShellCompDirective) {
			var names []string
			for _, c := range root.Commands() {
				if c.IsAvailableCommand() {
					names = append(names, c.Name())
				}
			}
			return names, cobra.ShellCompDirectiveNoFileComp
		},
		RunE: func(c *cobra.Command, args []string) error {
			if len(args) == 0 {
				return root.Help()
			}
			sub := findCommand(root, args[0])
			if sub == nil {
				return unknownCommand(root, args[0])
			}
			return sub.Help()
		},
	}
}

// findCommand is root's command called name, or nil.
func findCommand(root *cobra.Command, name string) *cobra.Command {
	for _, c := range root.Commands() {
		if c.Name() == name || c.HasAlias(name) {
			return c
		}
	}
	return nil
}

// unknownCommand is the usage error for a command the tool does not
// have, with the closest one.
func unknownCommand(root *cobra.Command, name string) error {
	msg := fmt.Sprintf("unknown command %q", name)
	if s := root.SuggestionsFor(name); len(s) > 0 {
		msg += "; did you mean " + s[0] + "?"
	}
	return usageError("%s (see 'devrev-import --help')", msg)
}

// messagePrefix starts the line of a command's final message: "devrev-import"
// for the tool itself and for import and validate, whose messages are the
// tool's, "devrev-import CMD" for the others.
func messagePrefix(cmd string) string {
	if cmd == "" || cmd == "import" || cmd == "validate" {
		return "devrev-import"
	}
	return "devrev-import " + cmd
}

// refuseTokenFlag refuses --token (-token, --token=VALUE) on any command,
// before the flags are parsed: a token given as a flag ends up in
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

// verboseFlag registers -v, --verbose (and --v, as the flag package took
// it before).
func verboseFlag(fs *pflag.FlagSet, p *bool, usage string) {
	fs.BoolVarP(p, "verbose", "v", false, usage)
	fs.SetNormalizeFunc(func(_ *pflag.FlagSet, name string) pflag.NormalizedName {
		if name == "v" {
			name = "verbose"
		}
		return pflag.NormalizedName(name)
	})
}

// listFlag is a comma-separated list flag.
type listFlag []string

func (l *listFlag) String() string { return strings.Join(*l, ",") }
func (l *listFlag) Type() string   { return "list" }
func (l *listFlag) Set(s string) error {
	*l = nil
	for _, p := range strings.Split(s, ",") {
		if p = strings.TrimSpace(p); p != "" {
			*l = append(*l, p)
		}
	}
	return nil
}
