package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"time"
)

// limitedCmd is `benchtool limited`: the limited run of `run` alone (one
// import against a rate-limited simulator, checkpoint in -tmp), printed as
// JSON with the share of the allowed rate met in the full windows.
func limitedCmd(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("limited", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var c benchConfig
	fs.StringVar(&c.Bin, "bin", "./devrev-import", "devrev-import binary")
	fs.StringVar(&c.ImportFile, "import-file", "", "CSV imported into the simulator (mapping next to it)")
	fs.IntVar(&c.Limit, "limit", 300, "requests per window")
	fs.DurationVar(&c.Window, "window", 3*time.Second, "window")
	fs.DurationVar(&c.Latency, "latency", 80*time.Millisecond, "simulator latency")
	fs.DurationVar(&c.LimitedFor, "limited-for", 30*time.Second, "import --max-duration")
	fs.IntVar(&c.LimitedWorkers, "limited-workers", 0, "import --workers (0: not given, the default)")
	fs.StringVar(&c.Tmp, "tmp", "bench-data/tmp", "scratch directory")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if c.ImportFile == "" || fs.NArg() > 0 {
		return fmt.Errorf("limited: -import-file is required")
	}
	self, err := os.Executable()
	if err != nil {
		return fmt.Errorf("limited: find own binary: %w", err)
	}
	c.Self = self
	if err := os.MkdirAll(c.Tmp, 0o755); err != nil {
		return fmt.Errorf("limited: %w", err)
	}
	b := &bench{cfg: c, log: stderr, started: time.Now()}
	lr, err := b.importLimited(ctx, "checkpoint on disk", c.Tmp)
	if err != nil {
		return err
	}
	allowed := 0.0
	if w := lr.Win; w.FullWindows > 0 {
		allowed = 100 * float64(w.FullCreates) / float64(w.FullWindows*c.Limit)
	}
	return printJSON(stdout, map[string]any{"run": lr, "pct_of_allowed_full_windows": allowed, "commands": b.commands})
}
