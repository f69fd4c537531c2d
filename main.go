// Command devrev-import bulk-imports CSV and XLSX rows into DevRev as works.
//
// See README.md, or run "devrev-import help".
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"

	"golang.org/x/term"

	"github.com/devrev-import/devrev-import/importer/cli"
)

func main() {
	sigs := make(chan os.Signal, 2)
	signal.Notify(sigs, os.Interrupt, syscall.SIGTERM)
	env := cli.Env{
		Stdout:     os.Stdout,
		Stderr:     os.Stderr,
		Stdin:      os.Stdin,
		Getenv:     os.Getenv,
		IsTerminal: term.IsTerminal(int(os.Stderr.Fd())),
		Signals:    sigs,
		// StdinIsTerminal: may undo ask?
		StdinIsTerminal: term.IsTerminal(int(os.Stdin.Fd())),
	}
	os.Exit(cli.Main(context.Background(), os.Args[1:], env))
}
