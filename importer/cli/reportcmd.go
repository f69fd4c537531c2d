package cli

import (
	"context"
	"encoding/csv"
	"fmt"
	"os"
	"sort"
	"strconv"
	"strings"

	"github.com/devrev-import/devrev-import/importer/checkpoint"
	"github.com/devrev-import/devrev-import/importer/report"
)

// runReport prints a checkpoint's totals and writes the created-works map
// and the failed rows as CSV.
func runReport(_ context.Context, args []string, env Env) int {
	fs := newFlagSet("report", "report CHECKPOINT [flags]", env)
	createdCSV := fs.String("created-csv", "", "write row,key,id,display_id of every created work here")
	errorsCSV := fs.String("errors-csv", "", "write row,key,status,error of every failed or invalid row here")
	pos, code, ok := parseOrExit(fs, args, env)
	if !ok {
		return code
	}
	if len(pos) != 1 {
		fmt.Fprintln(env.Stderr, "devrev-import report: need exactly one CHECKPOINT")
		return ExitUsage
	}
	outputs := []fileRole{
		{name: "CHECKPOINT", path: pos[0]},
		{name: "the checkpoint's lock", path: pos[0] + ".lock"},
		{name: "--created-csv", path: *createdCSV, written: true},
		{name: "--errors-csv", path: *errorsCSV, written: true},
	}
	if err := checkPaths(outputs...); err != nil {
		fmt.Fprintf(env.Stderr, "devrev-import report: %v\n", err)
		return ExitUsage
	}
	hdr, state, warns, err := checkpoint.Read(pos[0])
	if err != nil {
		fmt.Fprintf(env.Stderr, "devrev-import report: %v\n", err)
		return ExitUsage
	}
	// The file the checkpoint was written for is an input too.
	if err := checkPaths(append(outputs, fileRole{name: "the checkpoint's input", path: hdr.Input})...); err != nil {
		fmt.Fprintf(env.Stderr, "devrev-import report: %v\n", err)
		return ExitUsage
	}
	for _, w := range warns {
		fmt.Fprintf(env.Stderr, "warning: %s\n", w)
	}
	counts := state.Counts()
	fmt.Fprintf(env.Stdout, "checkpoint %s\ninput      %s (%d bytes)\n", pos[0], hdr.Input, hdr.Size)
	statuses := make([]string, 0, len(counts))
	for s := range counts {
		statuses = append(statuses, string(s))
	}
	sort.Strings(statuses)
	for _, s := range statuses {
		label := s
		if s == string(checkpoint.Sending) {
			label = "in doubt (sending)"
		}
		fmt.Fprintf(env.Stdout, "%-18s %s\n", label, report.Thousands(counts[checkpoint.Status(s)]))
	}
	if *createdCSV != "" {
		if err := writeEntries(*createdCSV, []string{"row", "key", "id", "display_id"}, state, func(e checkpoint.Entry) []string {
			if e.Status != checkpoint.Created {
				return nil
			}
			return []string{strconv.Itoa(e.Row), e.Key, e.ID, e.DisplayID}
		}); err != nil {
			fmt.Fprintf(env.Stderr, "devrev-import report: %v\n", err)
			return ExitUsage
		}
	}
	if *errorsCSV != "" {
		if err := writeEntries(*errorsCSV, []string{"row", "key", "status", "error"}, state, func(e checkpoint.Entry) []string {
			switch e.Status {
			case checkpoint.Failed:
				msg := ""
				if e.Error != nil {
					msg = e.Error.Type + ": " + e.Error.Message
				}
				return []string{strconv.Itoa(e.Row), e.Key, string(e.Status), msg}
			case checkpoint.Invalid:
				return []string{strconv.Itoa(e.Row), e.Key, string(e.Status), strings.Join(e.Errors, "\n")}
			}
			return nil
		}); err != nil {
			fmt.Fprintf(env.Stderr, "devrev-import report: %v\n", err)
			return ExitUsage
		}
	}
	if counts[checkpoint.Failed] > 0 || counts[checkpoint.Invalid] > 0 {
		return ExitRowsFailed
	}
	return ExitOK
}

// writeEntries writes one CSV line per entry that row accepts (non-nil),
// neutralising every cell against formula injection.
func writeEntries(path string, header []string, state *checkpoint.State, row func(checkpoint.Entry) []string) error {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o600)
	if err != nil {
		return err
	}
	w := csv.NewWriter(f)
	_ = w.Write(header)
	state.Each(func(e checkpoint.Entry) bool {
		if rec := row(e); rec != nil {
			for i := range rec {
				rec[i] = report.Neutralize(rec[i])
			}
			_ = w.Write(rec)
		}
		return true
	})
	w.Flush()
	if err := w.Error(); err != nil {
		f.Close()
		return fmt.Errorf("write %s: %w", path, err)
	}
	return f.Close()
}
