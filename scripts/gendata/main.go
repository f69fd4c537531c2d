// Command gendata writes the sample spreadsheets and large benchmark files
// for devrev-import.
//
// Usage:
//
//	go run ./scripts/gendata samples [-dir samples]
//	go run ./scripts/gendata zendesk [-out samples/zendesk-tickets.xlsx]
//	go run ./scripts/gendata csv  -rows 1000000 -out bench-data/works.csv  [-mapping FILE] [-seed 1]
//	go run ./scripts/gendata xlsx -rows 1000000 -out bench-data/works.xlsx [-mapping FILE] [-seed 1] [-shared-strings]
//	go run ./scripts/gendata jira -rows 1500 -comments 3000 -out bench-data/jira.csv [-seed 1]
//
// samples rewrites samples/*.xlsx from the Go tables in samples.go (typed
// cells: real dates, numbers, booleans). The CSVs next to them are
// hand-written text files that carry the same rows; the package test checks
// that they stay in step.
//
// zendesk rewrites samples/zendesk-tickets.xlsx from the table in
// zendesk.go: a Zendesk-shaped export with a README sheet before the
// Tickets sheet, whose names and emails the importer resolves by lookups.
//
// csv and xlsx stream -rows generated works (issues, tickets and tasks in
// turn, all valid against the simulator's seeded directory) to -out, and
// write a matching mapping to -out + ".yaml" (or to -mapping; "-" prints it).
// The same -seed gives the same file. Both stream, so memory stays flat at
// a million rows. xlsx writes text cells as inline strings, unless
// -shared-strings asks for Excel's way (a shared-strings table, built in
// memory: about 1 GB at a million rows).
//
// jira writes a Jira Cloud export with a hierarchy (epics, stories,
// sub-tasks by Parent = the parent's Issue id, stories blocking the next,
// a Jira comment cell on every third row) to -out, -comments comments to
// -out + ".comments.csv" and the mapping (with its comments: section) to
// -out + ".yaml": every reference resolves, 3 levels deep.
package main

import (
	"flag"
	"fmt"
	"io"
	"os"
)

func main() {
	if err := run(os.Args[1:], os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "gendata:", err)
		os.Exit(1)
	}
}

const usage = "usage: gendata samples [-dir DIR] | gendata zendesk [-out FILE] | gendata csv|xlsx -rows N -out FILE [-mapping FILE] [-seed N] [-shared-strings] | gendata jira -rows N -comments N -out FILE [-seed N]"

// run executes one subcommand. Summary lines go to stdout, or to stderr
// when the mapping is printed to stdout.
func run(args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		return fmt.Errorf("%s", usage)
	}
	cmd, args := args[0], args[1:]
	switch cmd {
	case "samples":
		fs := flag.NewFlagSet("samples", flag.ContinueOnError)
		dir := fs.String("dir", "samples", "directory the sample XLSX files are written to")
		if err := fs.Parse(args); err != nil {
			return err
		}
		paths, err := writeSamples(*dir)
		if err != nil {
			return err
		}
		for _, p := range paths {
			fmt.Fprintln(stdout, "wrote", p)
		}
		return nil
	case "zendesk":
		fs := flag.NewFlagSet("zendesk", flag.ContinueOnError)
		out := fs.String("out", "samples/zendesk-tickets.xlsx", "file the Zendesk sample is written to")
		if err := fs.Parse(args); err != nil {
			return err
		}
		if fs.NArg() > 0 {
			return fmt.Errorf("%s", usage)
		}
		if err := writeZendeskXLSX(*out); err != nil {
			return fmt.Errorf("write %s: %w", *out, err)
		}
		fmt.Fprintln(stdout, "wrote", *out)
		return nil
	case "jira":
		fs := flag.NewFlagSet(cmd, flag.ContinueOnError)
		rows := fs.Int("rows", 1500, "number of issues")
		comments := fs.Int("comments", 3000, "number of rows of the comments file")
		out := fs.String("out", "", "output file (required); the comments go to OUT.comments.csv, the mapping to OUT.yaml")
		seed := fs.Uint64("seed", 1, "random seed; the same seed gives the same files")
		if err := fs.Parse(args); err != nil {
			return err
		}
		if *out == "" || *rows < 0 || *comments < 0 || fs.NArg() > 0 {
			return fmt.Errorf("%s", usage)
		}
		if err := writeJira(*out, *out+".comments.csv", *rows, *comments, *seed); err != nil {
			return fmt.Errorf("%s: %w", *out, err)
		}
		if err := os.WriteFile(*out+".yaml", []byte(jiraMapping), 0o644); err != nil {
			return fmt.Errorf("write mapping: %w", err)
		}
		fmt.Fprintf(stdout, "wrote %d issues to %s, %d comments to %s.comments.csv, the mapping to %s.yaml\n", *rows, *out, *comments, *out, *out)
		return nil
	case "csv", "xlsx":
		fs := flag.NewFlagSet(cmd, flag.ContinueOnError)
		rows := fs.Int("rows", 1000, "number of data rows")
		out := fs.String("out", "", "output file (required)")
		mapping := fs.String("mapping", "", `where the mapping goes ("-" = stdout); default OUT.yaml`)
		seed := fs.Uint64("seed", 1, "random seed; the same seed gives the same file")
		shared := fs.Bool("shared-strings", false, "xlsx: text cells refer to a shared-strings table, as Excel saves them")
		if err := fs.Parse(args); err != nil {
			return err
		}
		if *out == "" || *rows < 0 || fs.NArg() > 0 {
			return fmt.Errorf("%s", usage)
		}
		if *shared && cmd != "xlsx" {
			return fmt.Errorf("-shared-strings is for xlsx; %s", usage)
		}
		return generate(cmd, *out, *mapping, *rows, *seed, *shared, stdout, stderr)
	default:
		return fmt.Errorf("unknown subcommand %q; %s", cmd, usage)
	}
}

// generate writes the big file and its mapping and prints what it wrote.
func generate(kind, out, mappingPath string, rows int, seed uint64, shared bool, stdout, stderr io.Writer) error {
	write := writeCSV
	if kind == "xlsx" {
		write = writeXLSX
	}
	if err := write(out, rows, seed); err != nil {
		return fmt.Errorf("%s: %w", out, err)
	}
	if shared {
		if err := shareStrings(out); err != nil {
			return fmt.Errorf("%s: shared strings: %w", out, err)
		}
	}
	info, err := os.Stat(out)
	if err != nil {
		return err
	}
	text := benchMapping(kind)
	summary := stdout
	switch mappingPath {
	case "-":
		if _, err := io.WriteString(stdout, text); err != nil {
			return err
		}
		summary = stderr
	case "":
		mappingPath = out + ".yaml"
		fallthrough
	default:
		if err := os.WriteFile(mappingPath, []byte(text), 0o644); err != nil {
			return fmt.Errorf("write mapping: %w", err)
		}
	}
	fmt.Fprintf(summary, "wrote %d rows, %d bytes to %s\n", rows, info.Size(), out)
	if mappingPath != "-" {
		fmt.Fprintf(summary, "wrote mapping to %s\n", mappingPath)
	}
	return nil
}
