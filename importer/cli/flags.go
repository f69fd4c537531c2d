package cli

import (
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/devrev-import/devrev-import/mapping"
)

// longDashes rewrites the single-dash long flags of args ("-workers 4",
// "-dry-run", "-sheet=Issues") to the double-dash form pflag reads (it
// takes "-workers" for the shorthands -w -o -r ...), so the Go-style
// spelling of the README's older lines and of scripts keeps working.
// Left alone: anything after "--", a flag's value (the word after a flag
// that takes one, whatever it looks like), a lone "-" (stdin), negative
// numbers and clusters of the command's own shorthands ("-vh"). Any other
// single-dash word is a long name, known or not (an unknown one then gets
// the unknown-flag message with its suggestion, not "unknown shorthand").
func longDashes(fs *pflag.FlagSet, args []string) []string {
	out := make([]string, 0, len(args))
	value := false // the previous flag takes this word as its value
	for i, a := range args {
		if value {
			out = append(out, a)
			value = false
			continue
		}
		if a == "--" {
			return append(out, args[i:]...)
		}
		switch {
		case strings.HasPrefix(a, "--"):
			name, _, inline := strings.Cut(a[2:], "=")
			value = !inline && takesValue(fs.Lookup(name))
		case len(a) == 2 && a[0] == '-':
			value = takesValue(fs.ShorthandLookup(a[1:]))
		case len(a) > 2 && a[0] == '-':
			name, _, inline := strings.Cut(a[1:], "=")
			if fs.Lookup(name) == nil && (isNumber(a) || shorthands(fs, name)) {
				break
			}
			a = "-" + a
			value = !inline && takesValue(fs.Lookup(name))
		}
		out = append(out, a)
	}
	return out
}

// takesValue reports whether f reads the next word as its value (bools
// and other flags with a value of their own when given bare do not).
func takesValue(f *pflag.Flag) bool {
	return f != nil && f.NoOptDefVal == ""
}

func isNumber(s string) bool {
	_, err := strconv.ParseFloat(s, 64)
	return err == nil
}

// shorthands reports whether every letter of s is a shorthand of fs.
func shorthands(fs *pflag.FlagSet, s string) bool {
	for _, r := range s {
		if fs.ShorthandLookup(string(r)) == nil {
			return false
		}
	}
	return true
}

// flagUsageError turns pflag's error for a bad flag of c into one short
// line with a suggestion where one fits and a pointer to the command's
// help (exit 2), instead of the usage.
func flagUsageError(c *cobra.Command, err error) error {
	var (
		unknown *pflag.NotExistError
		missing *pflag.ValueRequiredError
		invalid *pflag.InvalidValueError
	)
	msg := err.Error()
	switch {
	case errors.As(err, &unknown) && unknown.GetSpecifiedName() != "":
		name := unknown.GetSpecifiedName()
		msg = "unknown flag --" + name + flagHint(c, name)
	case errors.As(err, &unknown):
		msg = "unknown flag -" + unknown.GetSpecifiedShortnames()
	case errors.As(err, &missing) && missing.GetFlag() != nil:
		msg = "--" + missing.GetFlag().Name + " needs a value"
	case errors.As(err, &invalid) && invalid.GetFlag() != nil:
		f := invalid.GetFlag()
		msg = fmt.Sprintf("--%s %q: want %s", f.Name, invalid.GetValue(), valueKind(f.Value.Type()))
	}
	return usageError("%s (see '%s --help')", msg, c.CommandPath())
}

// suggestFlag returns the flag of fs whose name is closest to name when it
// is close enough to be a typo (or name is a prefix of it), or "".
func suggestFlag(fs *pflag.FlagSet, name string) string {
	limit := min(max(len(name)/3, 1), 3)
	best, bestDist, prefix := "", limit+1, ""
	fs.VisitAll(func(f *pflag.Flag) {
		if f.Hidden {
			return
		}
		if d := mapping.EditDistance(strings.ToLower(name), f.Name); d < bestDist {
			best, bestDist = f.Name, d
		}
		if prefix == "" && len(name) >= 3 && strings.HasPrefix(f.Name, name) {
			prefix = f.Name
		}
	})
	if best != "" {
		return best
	}
	return prefix
}

// flagHint is what the unknown-flag message of c adds for name: the
// closest flag of c, else the command that has that flag or one close to
// it (validate --workers: import's), else nothing.
func flagHint(c *cobra.Command, name string) string {
	if s := suggestFlag(c.Flags(), name); s != "" {
		return "; did you mean --" + s + "?"
	}
	if !c.HasParent() {
		return ""
	}
	var others []*cobra.Command
	for _, o := range c.Parent().Commands() {
		if o != c && !o.Hidden {
			others = append(others, o)
		}
	}
	for _, o := range others {
		if o.Flags().Lookup(name) != nil {
			return fmt.Sprintf("; it is %s's, not %s's", o.Name(), c.Name())
		}
	}
	for _, o := range others {
		if s := suggestFlag(o.Flags(), name); s != "" {
			return fmt.Sprintf("; did you mean --%s? (it is %s's, not %s's)", s, o.Name(), c.Name())
		}
	}
	return ""
}

// valueKind says what a flag of pflag type t takes.
func valueKind(t string) string {
	switch t {
	case "int", "int64", "uint", "uint64":
		return "a whole number"
	case "float64", "float32":
		return "a number"
	case "duration":
		return "a duration such as 30s, 5m or 1h30m"
	case "bool":
		return "true or false"
	}
	return "a " + t
}

// salvageFlags sets on fs every flag of args that it can, after parsing
// failed part way (an unknown flag, a bad value), and returns the
// positional arguments, so a failed command still knows its
// --summary-json and --log-format. Values fs refuses are left out.
func salvageFlags(fs *pflag.FlagSet, args []string) []string {
	raw := pflag.NewFlagSet("salvage", pflag.ContinueOnError)
	raw.ParseErrorsAllowlist.UnknownFlags = true
	raw.SetOutput(io.Discard)
	raw.SetNormalizeFunc(fs.GetNormalizeFunc())
	fs.VisitAll(func(f *pflag.Flag) {
		raw.VarPF(&rawValue{}, f.Name, f.Shorthand, "").NoOptDefVal = f.NoOptDefVal
	})
	_ = raw.Parse(args) // what it parsed before a flag without its value stays
	raw.Visit(func(f *pflag.Flag) {
		_ = fs.Set(f.Name, f.Value.String())
	})
	return raw.Args()
}

// rawValue is a flag value taken as it is written.
type rawValue struct{ s string }

func (v *rawValue) String() string     { return v.s }
func (v *rawValue) Set(s string) error { v.s = s; return nil }
func (v *rawValue) Type() string       { return "string" }
