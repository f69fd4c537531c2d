package cli

import (
	"fmt"
	"sort"
	"strconv"
	"strings"

	"github.com/spf13/cobra"

	"github.com/devrev-import/devrev-import/importer/checkpoint"
	"github.com/devrev-import/devrev-import/importer/report"
	"github.com/devrev-import/devrev-import/importer/source"
)

// reportFlags are the flags of `report`.
type reportFlags struct {
	createdCSV, errorsCSV, html       string
	input, sheet, delimiter, encoding string
	headerRow                         int // as the import read the input (its checkpoint says)
	logFormat                         string
}

// newReportCmd prints a checkpoint's totals and writes the created-works map,
// the failed rows as a reloadable errors CSV and an HTML page of the run.
// It exits 0 whenever it could report, whatever the run's outcome was:
// its figures say what failed.
func newReportCmd(env Env) *cobra.Command {
	c := &cobra.Command{Use: "report CHECKPOINT", Short: "totals, CSVs and an HTML page from a checkpoint",
		Long: `Print a checkpoint's totals and write, as asked, the map of created works, the
invalid and failed rows as an errors CSV ready to fix and import, and a
self-contained HTML page of the run. Exit 0 whenever it could report.`,
		Example: `  devrev-import report export.csv.checkpoint.jsonl
  devrev-import report export.csv.checkpoint.jsonl --created-csv ids.csv --errors-csv fix-me.csv --html run.html`}
	fs := c.Flags()
	var f reportFlags
	fs.StringVar(&f.createdCSV, "created-csv", "", "write row,key,id,display_id,op of every work created (op created) or found and updated (op updated) here")
	fs.StringVar(&f.errorsCSV, "errors-csv", "", "write the invalid and failed rows here: _row, _error, then the input's columns (ready to fix and import)")
	fs.StringVar(&f.html, "html", "", "write a self-contained HTML page of the run here: totals, works per minute, problems by column and rule, failed rows")
	fs.StringVar(&f.input, "input", "", "the input file, for --errors-csv (default: the one the checkpoint names)")
	fs.StringVar(&f.sheet, "sheet", "", "XLSX sheet of the input, for --errors-csv")
	fs.StringVar(&f.delimiter, "delimiter", "", "CSV delimiter of the input, for --errors-csv (default: detect)")
	fs.StringVar(&f.encoding, "encoding", "", "CSV encoding of the input, for --errors-csv")
	addLogFormat(fs, &f.logFormat)
	withGroups(c, flagGroup{"Output", []string{"created-csv", "errors-csv", "html", "log-format"}},
		flagGroup{"Input (for --errors-csv)", []string{"input", "sheet", "delimiter", "encoding"}})
	c.RunE = func(_ *cobra.Command, pos []string) error {
		env, err := logEnv(env, f.logFormat)
		if err != nil {
			return err
		}
		if len(pos) != 1 {
			return usageError("need exactly one CHECKPOINT")
		}
		if err := writeReport(pos[0], f, env); err != nil {
			return usageError("%v", err)
		}
		return nil
	}
	return c
}

// writeReport reads the checkpoint at path and writes what f asks for.
func writeReport(path string, f reportFlags, env Env) error {
	roles := []fileRole{
		{name: "CHECKPOINT", path: path},
		{name: "the checkpoint's lock", path: path + ".lock"},
		{name: "the checkpoint's snapshot", path: path + checkpoint.SnapshotSuffix},
		{name: "--created-csv", path: f.createdCSV, written: true},
		{name: "--errors-csv", path: f.errorsCSV, written: true},
		{name: "--html", path: f.html, written: true},
	}
	if err := checkPaths(roles...); err != nil {
		return err
	}
	hdr, state, warns, err := checkpoint.Read(path)
	if err != nil {
		return err
	}
	if f.input == "" {
		f.input = hdr.Input
	}
	// The file the checkpoint was written for is an input too.
	if err := checkPaths(append(roles, fileRole{name: "the checkpoint's input", path: f.input})...); err != nil {
		return err
	}
	for _, w := range warns {
		fmt.Fprintf(env.Stderr, "warning: %s\n", w)
	}
	printTotals(env, path, hdr, state)
	if f.createdCSV != "" {
		n, err := report.WriteCreatedMap(f.createdCSV, state)
		if err != nil {
			return err
		}
		fmt.Fprintf(env.Stdout, "created works: %s (%s rows)\n", f.createdCSV, report.Thousands(n))
	}
	if f.errorsCSV != "" {
		f.sheet, f.encoding, f.delimiter = readingOf(hdr.Mapping, f.sheet, f.encoding, f.delimiter)
		f.headerRow, _ = strconv.Atoi(hdr.Mapping["header_row"]) // "" (row 1): 0
		if err := writeErrorsCSV(hdr.Key, state, f, env); err != nil {
			return err
		}
	}
	if f.html != "" {
		if err := report.WriteHTMLFile(f.html, path, hdr, state); err != nil {
			return err
		}
		fmt.Fprintf(env.Stdout, "HTML report: %s\n", f.html)
	}
	return nil
}

// printTotals prints the input and the number of rows by status.
func printTotals(env Env, path string, hdr checkpoint.Header, state *checkpoint.State) {
	counts := state.Counts()
	fmt.Fprintf(env.Stdout, "checkpoint %s\ninput      %s (%d bytes)\n", path, hdr.Input, hdr.Size)
	if hdr.Endpoint != "" {
		fmt.Fprintf(env.Stdout, "endpoint   %s\n", hdr.Endpoint)
	}
	if hdr.Org != "" {
		fmt.Fprintf(env.Stdout, "org        %s\n", hdr.Org)
	}
	if hdr.Key != nil {
		fmt.Fprintf(env.Stdout, "keyed by   %s\n", hdr.Key)
	}
	statuses := make([]string, 0, len(counts))
	for s := range counts {
		statuses = append(statuses, string(s))
	}
	sort.Strings(statuses)
	for _, s := range statuses {
		label := s
		switch checkpoint.Status(s) {
		case checkpoint.Sending:
			label = "in doubt (sending)"
		case checkpoint.Updating:
			label = "found, updating"
		case checkpoint.Updated:
			label = "found, updated"
		}
		fmt.Fprintf(env.Stdout, "%-18s %s\n", label, report.Thousands(counts[checkpoint.Status(s)]))
	}
	if ops := report.CheckpointOps(state); len(ops) > 1 { // a sync: creates and updates
		for _, kind := range []checkpoint.Op{checkpoint.OpCreate, checkpoint.OpUpdate} {
			fmt.Fprintf(env.Stdout, "%-18s %s\n", "op "+string(kind), report.OpsLine(string(kind), ops[string(kind)]))
		}
	}
}

// writeErrorsCSV reads the input again for the cells of the invalid and
// failed rows (the checkpoint has only their keys and messages).
func writeErrorsCSV(key *checkpoint.KeyDef, state *checkpoint.State, f reportFlags, env Env) error {
	input := f.input
	if input == "" {
		return fmt.Errorf("--errors-csv: the checkpoint names no input file; pass --input FILE")
	}
	opt := source.Options{Sheet: f.sheet, Encoding: f.encoding, HeaderRow: f.headerRow, AllowDuplicate: func(string) bool { return true }}
	if f.delimiter != "" {
		d, err := source.ParseDelimiter(f.delimiter)
		if err != nil {
			return fmt.Errorf("--delimiter: %v", err)
		}
		opt.Delimiter = d
	}
	src, err := source.Open(input, opt)
	if err != nil {
		return fmt.Errorf("--errors-csv needs the rows' cells from the input: %w (pass --input FILE if it moved)", err)
	}
	defer src.Close()
	res, err := report.WriteCheckpointErrors(f.errorsCSV, key, state, src)
	if err != nil {
		return err
	}
	if n := len(res.Missing); n > 0 {
		fmt.Fprintf(env.Stderr, "warning: %s invalid or failed rows are not in %s as it is now (%s): the file changed since the import, so they are left out of %s\n",
			report.Thousands(n), input, rowList(res.Missing), f.errorsCSV)
	}
	if res.Written == 0 {
		fmt.Fprintf(env.Stdout, "errors CSV: no invalid or failed rows to write; %s not written\n", f.errorsCSV)
		return nil
	}
	fmt.Fprintf(env.Stdout, "errors CSV: %s (%s rows)\n", f.errorsCSV, report.Thousands(res.Written))
	return nil
}

// rowList names up to 10 row numbers: "rows 4, 9 and 12", "rows 1, 2, ... and 40 more".
func rowList(rows []int) string {
	const show = 10
	parts := make([]string, 0, show)
	for _, r := range rows[:min(show, len(rows))] {
		parts = append(parts, fmt.Sprint(r))
	}
	if len(rows) == 1 {
		return "row " + parts[0]
	}
	if len(rows) > show {
		return fmt.Sprintf("rows %s and %s more", strings.Join(parts, ", "), report.Thousands(len(rows)-show))
	}
	return fmt.Sprintf("rows %s and %s", strings.Join(parts[:len(parts)-1], ", "), parts[len(parts)-1])
}
