package cli

import (
	"context"
	"fmt"
	"log/slog"
	"sort"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/devrev-import/devrev-import/importer/checkpoint"
	"github.com/devrev-import/devrev-import/importer/pipeline"
	"github.com/devrev-import/devrev-import/importer/progress"
	"github.com/devrev-import/devrev-import/importer/throttle"
)

// newUndoCmd deletes every work a checkpoint records as created, so a
// trial migration can be rolled back. It appends a "deleted" line per
// work, so an interrupted undo resumes where it stopped.
func newUndoCmd(env Env) *cobra.Command {
	c := &cobra.Command{Use: "undo CHECKPOINT", Short: "delete every work a checkpoint created",
		Long: `Delete every work CHECKPOINT records as created and not deleted yet, journaling
each delete (run it again to finish an interrupted one). It asks first, naming
the count, the org and the endpoint; a script passes --yes.`,
		Example: `  devrev-import undo export.csv.checkpoint.jsonl --dry-run
  devrev-import undo export.csv.checkpoint.jsonl --yes`}
	fs := c.Flags()
	yes := fs.Bool("yes", false, "do not ask for confirmation (for scripts)")
	dry := fs.Bool("dry-run", false, "list the works that would be deleted, delete nothing")
	var api apiFlags
	api.register(fs)
	workers := fs.Int("workers", throttle.DefaultUndoWorkers, "concurrent requests")
	rateFlag := fs.String("rate", "auto", "requests per second: auto or a number")
	waitLock := fs.Duration("wait-lock", 0, "wait this long for another run's checkpoint lock instead of exiting 5")
	progressFlag := fs.String("progress", "auto", "progress display: auto|always|never (never = log lines)")
	withGroups(c, flagGroup{"Deleting", []string{"yes", "dry-run", "workers", "rate", "progress"}},
		flagGroup{"API", []string{"endpoint", "token-file", "timeout"}}, flagGroup{"Resume", []string{"wait-lock"}})
	c.RunE = func(c *cobra.Command, pos []string) error {
		return runUndo(c.Context(), pos, undoFlags{yes: *yes, dry: *dry, api: api, workers: *workers,
			rate: *rateFlag, waitLock: *waitLock, progress: *progressFlag}, env)
	}
	return c
}

// undoFlags are the flags of undo.
type undoFlags struct {
	yes, dry       bool
	api            apiFlags
	workers        int
	rate, progress string
	waitLock       time.Duration
}

// runUndo is undo with its flags parsed.
func runUndo(ctx context.Context, pos []string, f undoFlags, env Env) error {
	if len(pos) != 1 {
		return usageError("need exactly one CHECKPOINT")
	}
	path := pos[0]
	rate, err := parseRate(f.rate)
	if err != nil {
		return usageError("--rate: %v", err)
	}
	// Ctrl-C works from here on: waiting for the lock, at the prompt,
	// while deleting.
	in, stopWatch := watchSignals(ctx, env)
	defer stopWatch()
	ctx = in.ctx

	lock, err := lockCheckpoint(ctx, path, f.waitLock, env)
	if err != nil {
		return err
	}
	defer lock.Unlock()
	hdr, todo, err := undoPlan(path, env)
	if err != nil || len(todo) == 0 {
		return err
	}
	endpoint := endpointName(f.api.endpoint, env)
	if hdr.Endpoint != "" && hdr.Endpoint != sandboxEndpoint && hdr.Endpoint != endpoint {
		// The works live where the import created them: deleting by their
		// IDs elsewhere undoes nothing, or deletes works that happen to
		// carry the same IDs there.
		return usageError("the checkpoint's works were created at %s, not %s: pass --endpoint %s (or set DEVREV_ENDPOINT)", hdr.Endpoint, endpoint, hdr.Endpoint)
	}
	if f.dry {
		for _, e := range todo {
			fmt.Fprintf(env.Stdout, "would delete %s %s (row %d, key %s)\n", e.DisplayID, e.ID, e.Row, e.Key)
		}
		return nil
	}
	if !f.yes {
		if err := confirmUndo(ctx, len(todo), endpoint, hdr, env); err != nil {
			return err
		}
	}

	token, err := readToken(f.api.tokenFile, env)
	if err != nil {
		return usageError("%v", err)
	}
	client, err := newClient(f.api.endpoint, token, f.api.timeout, f.workers, nil, env)
	if err != nil {
		return usageError("%v", err)
	}
	journal, _, _, err := checkpoint.Open(path, hdr, checkpoint.Options{})
	if err != nil {
		return usageError("%v", err)
	}
	defer journal.Close()
	retrier := throttle.Retrier{Limiter: throttle.NewLimiter(throttle.Config{Rate: rate, MaxWait: throttle.DefaultMaxWait})}

	counters := new(progress.Counters)
	display := progress.Start(counters, progress.Options{
		Bar:   f.progress == "always" || (f.progress == "auto" && env.IsTerminal),
		Total: int64(len(todo)), Undo: true, Out: env.Stderr,
		Logger: newLogger(env, "text", slog.LevelInfo), Paused: retrier.Limiter.Paused,
	})
	res, err := pipeline.Undo(ctx, pipeline.UndoConfig{Client: client, Retrier: retrier, Journal: journal, Workers: f.workers, Counters: counters,
		Failed: func(e checkpoint.Entry, err error) {
			fmt.Fprintf(env.Stderr, "%s (row %d): %v\n", e.DisplayID, e.Row, err)
		},
	}, todo)
	display.Stop()
	fmt.Fprintf(env.Stdout, "deleted %d of %d, failed %d\n", res.Deleted, len(todo), res.Failed)
	switch {
	case throttle.Classify(err) == throttle.Fatal:
		return authError("the API refused the token: %v", err)
	case in.interrupted():
		return stoppedError("interrupted: run undo again to delete the rest")
	case err != nil:
		return stoppedError("stopped before the end (%v): run undo again to continue", err)
	case res.Failed > 0:
		return exitStatus(ExitRowsFailed)
	}
	return nil
}

// undoPlan reads the checkpoint and returns the works it records as
// created and not deleted yet, after saying how many (or that there are
// none).
func undoPlan(path string, env Env) (checkpoint.Header, []checkpoint.Entry, error) {
	hdr, state, warns, err := checkpoint.Read(path)
	if err != nil {
		return hdr, nil, usageError("%v", err)
	}
	for _, w := range warns {
		fmt.Fprintf(env.Stderr, "warning: %s\n", w)
	}
	var todo []checkpoint.Entry
	byType := map[string]int{}
	state.Each(func(e checkpoint.Entry) bool {
		if e.Status == checkpoint.Created {
			todo = append(todo, e)
			byType[typeOrUnknown(e.Type)]++
		}
		return true
	})
	if len(todo) == 0 {
		fmt.Fprintf(env.Stdout, "nothing to undo: %s records no created work that is not deleted yet\n", path)
		return hdr, nil, nil
	}
	fmt.Fprintf(env.Stdout, "%s records %d created works (%s) from %s\n", path, len(todo), describeTypes(byType), hdr.Input)
	return hdr, todo, nil
}

// confirmUndo asks on the terminal before deleting n works, naming the
// org the checkpoint recorded and the endpoint the deletes go to; anything
// but "yes" deletes nothing (exit 2). Without a terminal to ask on it
// refuses (exit 2): a script says --yes.
func confirmUndo(ctx context.Context, n int, endpoint string, hdr checkpoint.Header, env Env) error {
	if env.Stdin == nil || !env.StdinIsTerminal {
		return usageError("not a terminal: pass --yes")
	}
	if hdr.Endpoint == sandboxEndpoint {
		fmt.Fprintf(env.Stderr, "warning: the checkpoint's works were created in a --sandbox run's own simulator, not at %s\n", endpoint)
	}
	org := "an org the checkpoint does not name"
	if hdr.Org != "" {
		org = fmt.Sprintf("org %q", hdr.Org)
	}
	fmt.Fprintf(env.Stdout, "delete %d works from %s at %s? type yes: ", n, org, endpoint)
	line, err := readLine(ctx, env.Stdin)
	if err != nil {
		return stoppedError("interrupted: nothing deleted")
	}
	if strings.TrimSpace(line) != "yes" {
		fmt.Fprintln(env.Stdout, "nothing deleted")
		return exitStatus(ExitUsage)
	}
	return nil
}

func typeOrUnknown(t string) string {
	if t == "" {
		return "unknown type"
	}
	return t
}

func describeTypes(byType map[string]int) string {
	keys := make([]string, 0, len(byType))
	for k := range byType {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = fmt.Sprintf("%d %s", byType[k], k)
	}
	return strings.Join(parts, ", ")
}
