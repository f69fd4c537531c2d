package cli

import (
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/spf13/cobra"

	"github.com/devrev-import/devrev-import/importer/checkpoint"
	"github.com/devrev-import/devrev-import/importer/devrev"
	"github.com/devrev-import/devrev-import/importer/pipeline"
	"github.com/devrev-import/devrev-import/importer/progress"
	"github.com/devrev-import/devrev-import/importer/report"
	"github.com/devrev-import/devrev-import/importer/throttle"
	"github.com/devrev-import/devrev-import/mapping"
)

// newUndoCmd deletes every work a checkpoint records as created and puts
// back the fields it updated in works it found, so a trial migration or a
// sync can be rolled back. It journals every delete and restore, so an
// interrupted undo resumes where it stopped.
func newUndoCmd(env Env) *cobra.Command {
	c := &cobra.Command{Use: "undo CHECKPOINT", Short: "delete every work a checkpoint created, restore the fields it updated",
		Long: `Delete every work CHECKPOINT records as created and not deleted yet, and put
back, in works it found in DevRev and updated (--mode upsert, update), each
updated field's value before the checkpoint's first update of it. A field
someone changed in DevRev since is left alone and listed. Every delete and
restore is journaled (run it again to finish an interrupted one). It asks
first, naming the counts, the org and the endpoint; a script passes --yes.`,
		Example: `  devrev-import undo export.csv.checkpoint.jsonl --dry-run
  devrev-import undo export.csv.checkpoint.jsonl --yes`}
	fs := c.Flags()
	yes := fs.Bool("yes", false, "do not ask for confirmation (for scripts)")
	dry := fs.Bool("dry-run", false, "list the works that would be deleted and the fields that would be restored or left alone; change nothing")
	var api apiFlags
	api.register(fs)
	workers := fs.Int("workers", throttle.DefaultUndoWorkers, "concurrent requests")
	rateFlag := fs.String("rate", "auto", "requests per second: auto or a number")
	waitLock := fs.Duration("wait-lock", 0, "wait this long for another run's checkpoint lock instead of exiting 5")
	progressFlag := fs.String("progress", "auto", "progress display: auto|always|never (never = log lines)")
	var logFormat string
	addLogFormat(fs, &logFormat)
	withGroups(c, flagGroup{"Deleting", []string{"yes", "dry-run", "workers", "rate", "progress"}},
		flagGroup{"API", []string{"endpoint", "token-file", "timeout"}}, flagGroup{"Resume", []string{"wait-lock"}},
		flagGroup{"Output", []string{"log-format"}})
	c.RunE = func(c *cobra.Command, pos []string) error {
		env, err := logEnv(env, logFormat)
		if err != nil {
			return err
		}
		return runUndo(c.Context(), pos, undoFlags{yes: *yes, dry: *dry, api: api, workers: *workers,
			rate: *rateFlag, waitLock: *waitLock, progress: *progressFlag, logFormat: logFormat}, env)
	}
	return c
}

// undoFlags are the flags of undo.
type undoFlags struct {
	yes, dry       bool
	api            apiFlags
	workers        int
	rate, progress string
	logFormat      string // text or json (stderr)
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
	if err := checkNumbers([]numFlag{{name: "workers", n: f.workers, min: 1, max: maxPool}},
		[]durFlag{{name: "timeout", d: f.api.timeout, zeroMean: "30s"}, {name: "wait-lock", d: f.waitLock, zeroOK: true, zeroMean: "do not wait"}}); err != nil {
		return err
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
	hdr, plan, err := planUndo(path, env, func(what string, fn func()) { during(f, env, what, fn) })
	if err != nil || len(plan.todo) == 0 {
		return err
	}
	endpoint := endpointName(f.api.endpoint, env)
	if hdr.Endpoint != "" && hdr.Endpoint != sandboxEndpoint && hdr.Endpoint != endpoint {
		// The works live where the import created them: deleting by their
		// IDs elsewhere undoes nothing, or deletes works that happen to
		// carry the same IDs there.
		return usageError("the checkpoint's works were created at %s, not %s: pass --endpoint %s (or set DEVREV_ENDPOINT)", hdr.Endpoint, endpoint, hdr.Endpoint)
	}
	u, err := newUndoRun(f, rate, env)
	if err != nil {
		return err
	}
	defer u.close()
	if f.dry {
		for _, it := range plan.todo {
			if it.Created {
				fmt.Fprintf(env.Stdout, "would delete %s %s (row %d, key %s)\n", it.DisplayID, it.ID, it.Row, it.Key)
			}
		}
		if plan.restores == 0 {
			return nil
		}
	} else {
		if !f.yes {
			if err := confirmUndo(ctx, plan, endpoint, hdr, func() string { return u.orgName(ctx, hdr.Org) }, env); err != nil {
				return err
			}
		}
		if u.journal, _, _, err = checkpoint.Open(path, hdr, checkpoint.Options{}); err != nil {
			return usageError("%v", err)
		}
	}
	if f.dry {
		err := u.dryRun(ctx, plan)
		if in.interrupted() {
			return stoppedError("interrupted: nothing deleted or restored")
		}
		return err
	}
	res, err := u.run(ctx, plan)
	switch {
	case throttle.Classify(err) == throttle.Fatal:
		return authError("the API refused the token: %v", err)
	case in.interrupted():
		return stoppedError("interrupted: run undo again to undo the rest")
	case err != nil:
		return stoppedError("stopped before the end (%v): run undo again to continue", err)
	case res.Failed > 0:
		return exitStatus(ExitRowsFailed)
	}
	return nil
}

// undoRun is an undo's client, journal and output, once confirmed.
type undoRun struct {
	f       undoFlags
	env     Env
	client  *devrev.Client
	retrier throttle.Retrier
	journal *checkpoint.Journal
	outMu   sync.Mutex // the workers print through it
	out     *output    // stderr's events (--log-format)
}

func newUndoRun(f undoFlags, rate float64, env Env) (*undoRun, error) {
	token, err := readToken(f.api.tokenFile, env)
	if err != nil {
		return nil, usageError("%v", err)
	}
	client, err := newClient(f.api.endpoint, token, f.api.timeout, f.workers, nil, env)
	if err != nil {
		return nil, usageError("%v", err)
	}
	return &undoRun{f: f, env: env, client: client, out: newOutput(env, f.logFormat),
		retrier: throttle.Retrier{Limiter: throttle.NewLimiter(throttle.Config{Rate: rate, MaxWait: throttle.DefaultMaxWait})}}, nil
}

// orgName is how the prompt names the org of DON don: its display name
// (dev-orgs.get) when the token belongs to that org, else the DON, which
// is also the fallback when the API does not answer.
func (u *undoRun) orgName(ctx context.Context, don string) string {
	var org devrev.DevOrg
	var err error
	during(u.f, u.env, "asking the API for the org's name", func() {
		r := throttle.Retrier{Limiter: u.retrier.Limiter, MaxAttempts: 2}
		err = r.Do(ctx, func() (devrev.Response, error) {
			var resp devrev.Response
			org, resp, err = u.client.DevOrg(ctx)
			return resp, err
		})
	})
	switch {
	case err != nil || org.DisplayName == "":
		return don
	case org.ID != don:
		fmt.Fprintf(u.env.Stderr, "warning: the token belongs to org %q (%s), not the checkpoint's %s\n", org.DisplayName, org.ID, don)
		return don
	}
	return org.DisplayName
}

func (u *undoRun) close() {
	if u.journal != nil {
		u.journal.Close()
	}
}

// config is the pipeline's wiring of this undo.
func (u *undoRun) config(counters *progress.Counters, dry bool) pipeline.UndoConfig {
	return pipeline.UndoConfig{Client: u.client, Retrier: u.retrier, Journal: u.journal, Workers: u.f.workers, Counters: counters, DryRun: dry,
		Failed: func(it pipeline.UndoItem, err error) {
			u.outMu.Lock()
			defer u.outMu.Unlock()
			u.out.event(slog.LevelError, "failed", fmt.Sprintf("%s (row %d): %v", it.DisplayID, it.Row, err),
				"row", it.Row, "key", it.Key, "id", it.ID, "display_id", it.DisplayID, "error", err.Error())
		},
		Report: func(it pipeline.UndoItem, w pipeline.WorkUndo) {
			u.outMu.Lock()
			defer u.outMu.Unlock()
			printWorkUndo(u.env.Stdout, it, w, dry)
		},
	}
}

// run deletes and restores, with the progress display, and prints the
// summary.
func (u *undoRun) run(ctx context.Context, plan undoPlan) (pipeline.UndoResult, error) {
	counters := new(progress.Counters)
	opt := undoProgress(u.f, u.env)
	opt.Total, opt.Hold = int64(len(plan.todo)), u.retrier.Limiter.Hold
	display := progress.Start(counters, opt)
	res, err := pipeline.Undo(ctx, u.config(counters, false), plan.todo)
	display.Stop()
	if u.out.json { // stdout says it to people; a log says it too
		u.out.event(slog.LevelInfo, "summary", fmt.Sprintf("undo: deleted %d of %d, restored %d of %d, failed %d", res.Deleted, plan.deletes, res.Restored, plan.restores, res.Failed),
			"deleted", res.Deleted, "to_delete", plan.deletes, "restored", res.Restored, "to_restore", plan.restores,
			"links", res.Links, "comments", res.Comments, "failed", res.Failed)
	}
	if plan.links+plan.comments > 0 {
		fmt.Fprintf(u.env.Stdout, "deleted %d of %d links and %d of %d comments\n", res.Links, plan.links, res.Comments, plan.comments)
	}
	if plan.unknownComments > 0 {
		fmt.Fprintf(u.env.Stdout, "%d comments were recorded without their ID (an earlier attempt made them, its answer was lost): not deleted; they go with their works if those are deleted\n", plan.unknownComments)
	}
	if plan.restores == 0 {
		fmt.Fprintf(u.env.Stdout, "deleted %d of %d, failed %d\n", res.Deleted, plan.deletes, res.Failed)
		return res, err
	}
	fmt.Fprintf(u.env.Stdout, "deleted %d of %d, restored %d of %d works%s, failed %d\n", res.Deleted, plan.deletes,
		res.Restored, plan.restores, inParens(report.FieldCounts(res.Fields)), res.Failed)
	u.printRestoreNotes(res, false)
	return res, err
}

// undoProgress are an undo's progress options: a bar on a terminal, log
// lines otherwise (--progress never).
func undoProgress(f undoFlags, env Env) progress.Options {
	return progress.Options{Bar: f.logFormat != "json" && (f.progress == "always" || (f.progress == "auto" && env.IsTerminal)),
		Undo: true, Out: env.Stderr, Logger: newLogger(env, f.logFormat, slog.LevelInfo)}
}

// during runs a setup step (reading the checkpoint, asking for the org's
// name) under a progress display that says what it waits for.
func during(f undoFlags, env Env, what string, fn func()) {
	opt := undoProgress(f, env)
	opt.Step = what
	d := progress.Start(nil, opt)
	defer d.Stop()
	fn()
}

// dryRun reads the works to restore and lists what an undo would put
// back and leave alone; it writes nothing.
func (u *undoRun) dryRun(ctx context.Context, plan undoPlan) error {
	var restores []pipeline.UndoItem
	for _, it := range plan.todo {
		if !it.Created && it.Relation == "" {
			restores = append(restores, it)
		}
	}
	if plan.links+plan.comments > 0 {
		fmt.Fprintf(u.env.Stdout, "dry run: delete %d links and %d comments, then the works\n", plan.links, plan.comments)
	}
	res, err := pipeline.Undo(ctx, u.config(nil, true), restores)
	fmt.Fprintf(u.env.Stdout, "dry run: delete %d works created, restore %d of %d works updated%s\n", plan.deletes,
		res.Restored, plan.restores, inParens(report.FieldCounts(res.Fields)))
	u.printRestoreNotes(res, true)
	switch {
	case throttle.Classify(err) == throttle.Fatal:
		return authError("the API refused the token: %v", err)
	case err != nil:
		return stoppedError("stopped before the end (%v)", err)
	case res.Failed > 0:
		return exitStatus(ExitRowsFailed)
	}
	return nil
}

// printRestoreNotes says how many fields were left alone and works gone.
func (u *undoRun) printRestoreNotes(res pipeline.UndoResult, dry bool) {
	verb := "left"
	if dry {
		verb = "would leave"
	}
	if n := sum(res.LeftAlone); n > 0 {
		fmt.Fprintf(u.env.Stdout, "%s alone %d %s (%s): changed in DevRev since this import, or not restorable (listed above)\n",
			verb, n, plural(n, "field", "fields"), report.FieldCounts(res.LeftAlone))
	}
	if res.Gone > 0 {
		fmt.Fprintf(u.env.Stdout, "%d %s to restore no longer in DevRev\n", res.Gone, plural(res.Gone, "work", "works"))
	}
}

// printWorkUndo lists what an undo did (or would do) to one work it
// restores: in a dry run every field put back (old -> value put back),
// always the fields left alone, and a work gone.
func printWorkUndo(out io.Writer, it pipeline.UndoItem, w pipeline.WorkUndo, dry bool) {
	name := cmp.Or(it.DisplayID, it.ID)
	if w.Gone {
		fmt.Fprintf(out, "%s (row %d, key %s): no longer in DevRev; nothing to restore\n", name, it.Row, it.Key)
		return
	}
	for _, f := range w.Fields {
		switch {
		case f.Outcome == pipeline.FieldLeftAlone:
			fmt.Fprintf(out, "%s %s: %s; left alone\n", name, f.Field, f.Why)
		case f.Outcome == pipeline.FieldPut && dry:
			fmt.Fprintf(out, "would restore %s %s: %s -> %s\n", name, f.Field, shownValue(f.Now), shownValue(f.Back))
		}
	}
}

// shownValue renders a field's value for a person, cut, "(empty)" for none.
func shownValue(v json.RawMessage) string {
	if len(v) == 0 || string(v) == "null" {
		return "(empty)"
	}
	var s string
	if json.Unmarshal(v, &s) == nil {
		return strconv.Quote(mapping.CutValue(s))
	}
	return mapping.CutValue(string(v))
}

func inParens(s string) string {
	if s == "" {
		return ""
	}
	return " (" + s + ")"
}

func sum(m map[string]int) int {
	n := 0
	for _, v := range m {
		n += v
	}
	return n
}

// undoPlan is what an undo of a checkpoint has to do.
type undoPlan struct {
	todo              []pipeline.UndoItem
	deletes, restores int
	links, comments   int            // the links and comments to delete (before the works)
	unknownComments   int            // comments recorded without their ID
	byType            map[string]int // the works to delete, by type
	fields            map[string]int // the fields to restore
}

// planUndo reads the checkpoint (a setup step) and returns the works it records as
// created and not deleted yet, and those it updated whose fields are not
// restored yet, after saying how many (or that there are none).
func planUndo(path string, env Env, step func(what string, fn func())) (checkpoint.Header, undoPlan, error) {
	plan := undoPlan{byType: map[string]int{}, fields: map[string]int{}}
	var hdr checkpoint.Header
	var state *checkpoint.State
	var warns []string
	var err error
	step("reading the checkpoint "+path, func() { hdr, state, warns, err = checkpoint.Read(path) })
	if err != nil {
		return hdr, plan, usageError("%v", err)
	}
	for _, w := range warns {
		fmt.Fprintf(env.Stderr, "warning: %s\n", w)
	}
	rels, unknown := pipeline.RelationsTodo(state)
	plan.unknownComments = unknown
	for _, it := range rels {
		if it.Relation == checkpoint.OpLink {
			plan.links++
		} else {
			plan.comments++
		}
	}
	plan.todo = append(rels, pipeline.UndoTodo(state.Restores())...)
	for _, it := range plan.todo {
		if it.Relation != "" {
			continue
		}
		if it.Created {
			plan.deletes++
			plan.byType[typeOrUnknown(it.Type)]++
			continue
		}
		plan.restores++
		for _, f := range it.Pending {
			plan.fields[f]++
		}
	}
	if len(plan.todo) == 0 {
		fmt.Fprintf(env.Stdout, "nothing to undo: %s records no created work that is not deleted yet and no updated field to restore\n", path)
		return hdr, plan, nil
	}
	fmt.Fprintf(env.Stdout, "%s records %s from %s\n", path, plan.describe(), hdr.Input)
	return hdr, plan, nil
}

// describe says what the plan undoes: "12 created works (12 ticket), 40
// updated works to restore (title 31, owned_by 6)".
func (p undoPlan) describe() string {
	var parts []string
	if p.deletes > 0 || p.restores == 0 {
		parts = append(parts, fmt.Sprintf("%d created works (%s)", p.deletes, describeTypes(p.byType)))
	}
	if p.restores > 0 {
		parts = append(parts, fmt.Sprintf("%d updated works to restore (%s)", p.restores, report.FieldCounts(p.fields)))
	}
	if p.links+p.comments > 0 {
		parts = append(parts, fmt.Sprintf("%d links and %d comments (deleted first)", p.links, p.comments))
	}
	return strings.Join(parts, ", ")
}

// confirmUndo asks on the terminal before deleting n works, naming the
// org the checkpoint recorded (by its name, see orgName) and the endpoint the deletes go to; anything
// but "yes" deletes nothing (exit 2). Without a terminal to ask on it
// refuses (exit 2): a script says --yes.
func confirmUndo(ctx context.Context, plan undoPlan, endpoint string, hdr checkpoint.Header, orgName func() string, env Env) error {
	if env.Stdin == nil || !env.StdinIsTerminal {
		return usageError("not a terminal: pass --yes")
	}
	if hdr.Endpoint == sandboxEndpoint {
		fmt.Fprintf(env.Stderr, "warning: the checkpoint's works were created in a --sandbox run's own simulator, not at %s\n", endpoint)
	}
	org := "an org the checkpoint does not name"
	if hdr.Org != "" {
		org = fmt.Sprintf("org %q", orgName())
	}
	if plan.restores == 0 {
		fmt.Fprintf(env.Stdout, "delete %d works from %s at %s? type yes: ", plan.deletes, org, endpoint)
	} else {
		var what []string
		if plan.deletes > 0 {
			what = append(what, fmt.Sprintf("delete %d works created", plan.deletes))
		}
		what = append(what, fmt.Sprintf("restore %d works updated (%s)", plan.restores, report.FieldCounts(plan.fields)))
		fmt.Fprintf(env.Stdout, "%s in %s at %s? type yes: ", strings.Join(what, " and "), org, endpoint)
	}
	line, err := readLine(ctx, env.Stdin)
	if err != nil {
		return stoppedError("interrupted: nothing deleted or restored")
	}
	if strings.TrimSpace(line) != "yes" {
		fmt.Fprintln(env.Stdout, "nothing deleted or restored")
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

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}
