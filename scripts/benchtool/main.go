// Command benchtool measures devrev-import against the physical limits of
// the machine it runs on. scripts/bench builds it and runs `benchtool run`.
//
// Usage:
//
//	benchtool bare-csv FILE      bare encoding/csv loop (ReuseRecord, 256 KiB bufio): the CSV floor
//	benchtool bare-xlsx FILE     bare excelize Rows loop (RawCellValue): the XLSX floor
//	benchtool load -url U -workers N -n ROWS -file F -mapping M
//	                             bare Go loop posting the works.create bodies of
//	                             F's first ROWS rows to U: the HTTP floor
//	benchtool run [flags]        the whole benchmark (see `benchtool run -h`)
//	benchtool limited [flags]    its rate-limited import alone (see `benchtool limited -h`)
//	benchtool relations [flags]  a Jira export with links and comments imported against the
//	                             same limit: the share of the allowed rate (`benchtool relations -h`)
//	benchtool measure -out FILE -- CMD ARGS...
//	                             run CMD, write its wall/CPU time, peak RSS and exit code to FILE
//
// bare-csv, bare-xlsx and load print one JSON object on stdout
// ({"rows":N,"seconds":S,...}); run starts them, and devrev-import, as child
// processes so that each one's wall time, CPU time and peak RSS (from the
// child's rusage) are measured the same way, and serves the DevRev simulator
// in-process so that it can read the simulator's exact counters.
package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
)

const usage = `usage: benchtool bare-csv FILE | bare-xlsx FILE | load -url U -workers N -n ROWS -file F -mapping M | run [flags] | limited [flags] | relations [flags]`

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	if err != nil {
		fmt.Fprintln(os.Stderr, "benchtool:", err)
		os.Exit(1)
	}
}

// run dispatches one subcommand.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		return fmt.Errorf("%s", usage)
	}
	cmd, args := args[0], args[1:]
	switch cmd {
	case "bare-csv", "bare-xlsx":
		if len(args) != 1 {
			return fmt.Errorf("%s needs exactly one FILE; %s", cmd, usage)
		}
		read := bareCSV
		if cmd == "bare-xlsx" {
			read = bareXLSX
		}
		res, err := timeRead(args[0], read)
		if err != nil {
			return err
		}
		return printJSON(stdout, res)
	case "load":
		return loadCmd(ctx, args, stdout, stderr)
	case "run":
		return benchCmd(ctx, args, stdout, stderr)
	case "limited":
		return limitedCmd(ctx, args, stdout, stderr)
	case "relations":
		return relationsCmd(ctx, args, stdout, stderr)
	case "measure":
		return measureCmd(ctx, args, stderr)
	default:
		return fmt.Errorf("unknown subcommand %q; %s", cmd, usage)
	}
}

// printJSON writes v as one line of JSON.
func printJSON(w io.Writer, v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Errorf("encode result: %w", err)
	}
	_, err = fmt.Fprintf(w, "%s\n", b)
	return err
}
