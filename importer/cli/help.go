package cli

import (
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
)

// helpWidth is where the flag descriptions of the help wrap.
const helpWidth = 100

// exitCodes closes the tool's help.
const exitCodes = `Exit codes: 0 all rows fine, 1 some rows invalid or failed, 2 usage/mapping/file
error (nothing sent), 3 stopped before the end (resumable), 4 authentication or
permission refused, 5 another run holds the checkpoint lock.
`

// flagGroup is one heading of a command's help and its flags, in the
// order shown. A flag in no group is listed under "Other flags".
type flagGroup struct {
	title string
	flags []string
}

// withGroups makes c's help list its flags under groups' headings.
func withGroups(c *cobra.Command, groups ...flagGroup) {
	c.SetHelpFunc(func(c *cobra.Command, _ []string) { printHelp(c, c.OutOrStdout(), groups...) })
}

// printHelp writes c's help to w: what it does, its usage line, its
// examples and its flags by group. The tool's own help lists the commands.
func printHelp(c *cobra.Command, w io.Writer, groups ...flagGroup) {
	if !c.HasParent() {
		printRootHelp(c, w)
		return
	}
	text := c.Long
	if text == "" {
		text = c.Short
	}
	fmt.Fprintf(w, "%s\n\nUsage:\n  %s\n", strings.TrimSpace(text), c.UseLine())
	if c.Example != "" {
		fmt.Fprintf(w, "\nExamples:\n%s\n", strings.TrimRight(c.Example, "\n"))
	}
	if c.HasAvailableSubCommands() { // completion
		fmt.Fprintln(w, "\nCommands:")
		printCommands(w, c)
	}
	printFlags(w, c.Flags(), groups)
	fmt.Fprintf(w, "\nRun 'devrev-import help' for every command and the exit codes.\n")
}

// printRootHelp writes the tool's help: its commands and exit codes.
func printRootHelp(c *cobra.Command, w io.Writer) {
	fmt.Fprintf(w, "%s\n\nUsage:\n  devrev-import COMMAND [ARGS] [flags]\n\nCommands:\n", c.Short)
	printCommands(w, c)
	fmt.Fprintf(w, "\nRun 'devrev-import COMMAND --help' for a command's flags and examples.\n\n%s", exitCodes)
}

// commandOrder is the order the tool's help lists its commands in: a
// migration's.
var commandOrder = []string{"init", "validate", "import", "report", "resolve", "undo", "sandbox", "completion", "help"}

// printCommands lists c's commands with their arguments and what they do.
func printCommands(w io.Writer, c *cobra.Command) {
	var cmds []*cobra.Command
	width := 0
	for _, s := range c.Commands() {
		if s.IsAvailableCommand() || s.Name() == "help" {
			cmds = append(cmds, s)
			width = max(width, len(s.Use))
		}
	}
	rank := func(c *cobra.Command) int {
		if i := slices.Index(commandOrder, c.Name()); i >= 0 {
			return i
		}
		return len(commandOrder)
	}
	slices.SortStableFunc(cmds, func(a, b *cobra.Command) int { return rank(a) - rank(b) })
	for _, s := range cmds {
		fmt.Fprintf(w, "  %-*s  %s\n", width, s.Use, s.Short)
	}
}

// printFlags writes fs's flags under the groups' headings, then the rest.
func printFlags(w io.Writer, fs *pflag.FlagSet, groups []flagGroup) {
	grouped := map[string]bool{}
	for _, g := range groups {
		var flags []*pflag.Flag
		for _, name := range g.flags {
			if f := fs.Lookup(name); f != nil && !f.Hidden {
				flags = append(flags, f)
				grouped[f.Name] = true
			}
		}
		if len(flags) > 0 {
			fmt.Fprintf(w, "\n%s flags:\n%s", g.title, flagLines(flags))
		}
	}
	var rest []*pflag.Flag
	fs.VisitAll(func(f *pflag.Flag) {
		if !grouped[f.Name] && !f.Hidden {
			rest = append(rest, f)
		}
	})
	title := "Other flags"
	if len(grouped) == 0 {
		title = "Flags"
	}
	if len(rest) > 0 {
		fmt.Fprintf(w, "\n%s:\n%s", title, flagLines(rest))
	}
}

// flagLines formats flags as the help lists them: "  -v, --verbose" or
// "      --sheet string", then the usage with the default when there is
// one, wrapped at helpWidth and aligned.
func flagLines(flags []*pflag.Flag) string {
	heads := make([]string, len(flags))
	width := 0
	for i, f := range flags {
		h := "      --" + f.Name
		if f.Shorthand != "" {
			h = "  -" + f.Shorthand + ", --" + f.Name
		}
		if name := valueName(f); name != "" {
			h += " " + name
		}
		heads[i] = h
		width = max(width, len(h))
	}
	var b strings.Builder
	for i, f := range flags {
		_, usage := pflag.UnquoteUsage(f)
		if d := defaultText(f); d != "" {
			usage += " (default " + d + ")"
		}
		for j, line := range wrapWords(usage, max(helpWidth-width-3, 30)) {
			head := ""
			if j == 0 {
				head = heads[i]
			}
			fmt.Fprintf(&b, "%-*s   %s\n", width, head, line)
		}
	}
	return b.String()
}

// valueNames are the placeholders of the help for flags' values, by flag
// name (every command's), where the value's type would say little.
var valueNames = map[string]string{
	"mapping": "PATH", "errors-csv": "PATH", "summary-json": "PATH", "checkpoint": "PATH", "created-csv": "PATH",
	"lookup-cache": "PATH", "token-file": "PATH", "html": "PATH", "input": "FILE", "plan-csv": "PATH",
	"type": "TYPE", "sheet": "NAME", "key": "COL[,COL]", "delimiter": "C", "encoding": "NAME", "timezone": "ZONE",
	"endpoint": "URL", "addr": "HOST:PORT", "id": "ID",
	"schema": "live|stock", "progress": "auto|always|never", "log-format": "text|json", "on-doubt": "reconcile|resend|skip",
	"workers": "auto|N", "rate": "auto|N", "max-errors": "N|N%", "mode": "create|upsert|update",
}

// valueName is the placeholder of f's value in the help: "" for a bool,
// a backquoted word of its usage, valueNames', else one for its type.
func valueName(f *pflag.Flag) string {
	name, _ := pflag.UnquoteUsage(f)
	switch {
	case name == "" || strings.Contains(f.Usage, "`"):
		return name
	case valueNames[f.Name] != "":
		return valueNames[f.Name]
	}
	switch f.Value.Type() {
	case "int", "int64", "uint", "uint64":
		return "N"
	case "duration":
		return "DURATION"
	case "float64", "float32":
		return "NUM"
	}
	return strings.ToUpper(name)
}

// defaultText is f's default as the help shows it, "" when it is the
// zero value (nothing worth saying).
func defaultText(f *pflag.Flag) string {
	switch f.DefValue {
	case "", "0", "false", "0s", "[]":
		return ""
	}
	if f.Value.Type() == "string" {
		return fmt.Sprintf("%q", f.DefValue)
	}
	return f.DefValue
}

// wrapWords breaks s into lines of at most width bytes, at spaces.
func wrapWords(s string, width int) []string {
	var lines []string
	line := ""
	for _, word := range strings.Fields(s) {
		if line != "" && len(line)+1+len(word) > width {
			lines = append(lines, line)
			line = ""
		}
		if line != "" {
			line += " "
		}
		line += word
	}
	return append(lines, line)
}
