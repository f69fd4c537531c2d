package cli

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"maps"
	"os"
	"path/filepath"
	"runtime/debug"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/devrev-import/devrev-import/importer/checkpoint"
	"github.com/devrev-import/devrev-import/importer/devrev"
	"github.com/devrev-import/devrev-import/importer/lookup"
	"github.com/devrev-import/devrev-import/importer/pipeline"
	"github.com/devrev-import/devrev-import/importer/progress"
	"github.com/devrev-import/devrev-import/importer/reconcile"
	"github.com/devrev-import/devrev-import/importer/report"
	"github.com/devrev-import/devrev-import/importer/schema"
	"github.com/devrev-import/devrev-import/importer/simulator"
	"github.com/devrev-import/devrev-import/importer/source"
	"github.com/devrev-import/devrev-import/importer/throttle"
	"github.com/devrev-import/devrev-import/mapping"
)

// importFlags are the flags of validate and import.
type importFlags struct {
	typ, mappingPath, sheet, delimiter, encoding, timezone string
	key                                                    listFlag
	errorsCSV, summaryJSON, checkpoint                     string
	comments, commentsSheet                                string
	strict, dryRun                                         bool
	allowEmbeddedRows                                      bool
	maxCellBytes                                           int
	headerRow                                              int

	cmd string // the command the flags were registered for: validate or import

	// import only
	sandbox bool
	apiFlags
	workers, burst, maxRetries, maxConsecFail int // workers: 0 = auto (parsed from workersArg)
	maxWorkers                                int
	workersArg, rate, maxErrors, onDoubt      string
	maxDuration, maxWait, waitLock            time.Duration
	progress, logFormat                       string
	lookupCache, schema                       string
	createdCSV                                string
	verbose                                   bool

	// how rows are written (see sync.go)
	mode, planCSV   string
	recreateMissing bool
	noKeyCheck      bool
}

func (f *importFlags) register(fs *pflag.FlagSet, cmd string) {
	f.cmd = cmd
	fs.StringVar(&f.typ, "type", "", "default work type when no column gives it: issue|ticket|task|opportunity")
	fs.StringVar(&f.mappingPath, "mapping", "", "mapping file (YAML); default: header names are field names")
	fs.StringVar(&f.sheet, "sheet", "", "XLSX sheet (default: the first visible sheet)")
	fs.Var(&f.key, "key", "column(s) identifying a row across runs, comma-separated (default: the mapping's key, else a hash of the row's cells)")
	fs.StringVar(&f.delimiter, "delimiter", "", "CSV delimiter (default: detect among , ; tab |)")
	fs.IntVar(&f.headerRow, "header-row", 0, "the row the header is on, when a report's title and filters sit above it (default: the mapping's header_row, else the first row that is not empty)")
	fs.StringVar(&f.encoding, "encoding", "", "CSV encoding: utf-8|windows-1252|utf-16 (default utf-8, with BOM detection)")
	fs.StringVar(&f.timezone, "timezone", "", "time zone for dates without one, e.g. Europe/Berlin (default: the mapping's, else UTC)")
	fs.StringVar(&f.comments, "comments", "", "a comments file (CSV or XLSX, one comment a row), mapped by the mapping's comments: section")
	fs.StringVar(&f.commentsSheet, "comments-sheet", "", "the comments file's XLSX sheet (default: comments: sheet:, else the first visible sheet)")
	fs.StringVar(&f.errorsCSV, "errors-csv", "", "where invalid and failed rows go (default FILE.errors.csv)")
	fs.StringVar(&f.summaryJSON, "summary-json", "", "write a machine-readable summary here")
	fs.StringVar(&f.checkpoint, "checkpoint", "", "checkpoint journal (default FILE.checkpoint.jsonl; FILE.sandbox.checkpoint.jsonl with --sandbox; X.checkpoint.jsonl for the errors CSV X.errors.csv)")
	fs.BoolVar(&f.strict, "strict", false, "unknown columns are an error instead of a warning")
	fs.BoolVar(&f.allowEmbeddedRows, "allow-embedded-rows", false, "accept CSV cells whose lines look like rows of the file (by default their row is invalid: a stray quote?)")
	fs.IntVar(&f.maxCellBytes, "max-cell-bytes", 1<<20, "largest cell accepted, in bytes")
	fs.BoolVar(&f.sandbox, "sandbox", false, "use the built-in simulator started in-process (no token needed)")
	f.apiFlags.register(fs)
	verboseFlag(fs, &f.verbose, "log every API request (status, time, rate headers; the token shows as ***)")
	fs.StringVar(&f.lookupCache, "lookup-cache", "", "keep name-to-ID resolutions in this file between runs")
	fs.StringVar(&f.schema, "schema", "live", "custom fields: live (check against the org's schema, needs a token) or stock (the mapping's as: only)")
	fs.StringVar(&f.progress, "progress", "auto", "progress display: auto|always|never (never = log lines)")
	addLogFormat(fs, &f.logFormat)
	fs.StringVar(&f.mode, "mode", "", "create (default: new rows only), upsert (create new rows, update changed ones) or update (update only); default: the mapping's mode:")
	fs.StringVar(&f.planCSV, "plan-csv", "", "dry run: write what an import would do here, one line per create and per changed field (row, key, op, work, field, old, new)")
	fs.BoolVar(&f.recreateMissing, "recreate-missing", false, "upsert: create again a row whose work was deleted in DevRev (default: the row fails)")
	fs.BoolVar(&f.noKeyCheck, "no-key-check", false, "create mode with a new checkpoint: create even when DevRev already holds works with the first rows' keys (another import uses the same keys)")
	if cmd != "import" {
		return
	}
	fs.BoolVar(&f.dryRun, "dry-run", false, "validate only, send nothing (same as the validate command)")
	fs.StringVar(&f.workersArg, "workers", "auto", "concurrent requests: auto (as many as the allowed rate needs, up to --max-workers) or a number (a fixed pool)")
	fs.IntVar(&f.maxWorkers, "max-workers", throttle.DefaultMaxWorkers, "most concurrent requests --workers auto uses")
	fs.StringVar(&f.rate, "rate", "auto", "requests per second: auto (pace to the X-RateLimit headers) or a number")
	fs.IntVar(&f.burst, "burst", 0, "token-bucket burst (default: 1 for auto, the worker count otherwise)")
	fs.IntVar(&f.maxRetries, "max-retries", throttle.DefaultMaxRetries, "retries per row for 5xx and network errors (429s do not count)")
	fs.IntVar(&f.maxConsecFail, "max-consecutive-failures", throttle.DefaultMaxConsecutiveFailures, "stop the run after this many 5xx/network failures in a row (exit 3)")
	fs.DurationVar(&f.maxDuration, "max-duration", 0, "stop taking rows after this long, finish in-flight requests, exit 3 (0 = no limit)")
	fs.StringVar(&f.maxErrors, "max-errors", "", "stop once N rows (or N% of rows) have failed, exit 1")
	fs.DurationVar(&f.maxWait, "max-wait", throttle.DefaultMaxWait, "longest wait accepted (a Retry-After, a window's reset, 429s in a row); a longer one stops the run (exit 3)")
	fs.StringVar(&f.onDoubt, "on-doubt", "reconcile", "rows whose request may have been performed: reconcile|resend|skip")
	fs.DurationVar(&f.waitLock, "wait-lock", 0, "wait this long for another run's checkpoint lock instead of exiting 5")
	fs.StringVar(&f.createdCSV, "created-csv", "", "append every created work (row, key, ID, display ID, the row's cells) here (default: the checkpoint's name with .created.csv instead of .checkpoint.jsonl)")
}

// importGroups are the headings of validate's and import's help.
var importGroups = []flagGroup{
	{"Input", []string{"sheet", "delimiter", "encoding", "header-row", "max-cell-bytes", "allow-embedded-rows", "comments", "comments-sheet"}},
	{"Mapping", []string{"mapping", "type", "key", "timezone", "strict", "schema", "lookup-cache"}},
	{"Sync (create, upsert, update)", []string{"mode", "plan-csv", "recreate-missing", "no-key-check"}},
	{"API", []string{"sandbox", "endpoint", "token-file", "timeout", "verbose", "dry-run"}},
	{"Output", []string{"errors-csv", "created-csv", "summary-json", "progress", "log-format"}},
	{"Limits and rate", []string{"workers", "max-workers", "rate", "burst", "max-retries", "max-consecutive-failures", "max-duration", "max-errors", "max-wait"}},
	{"Resume", []string{"checkpoint", "on-doubt", "wait-lock"}},
}

// importUsage is what validate and import do and their examples.
var importUsage = map[string]struct{ short, long, example string }{
	"validate": {
		short: "dry run: read, map, validate every row; sends nothing",
		long: `Read FILE (CSV or XLSX), map every row as the mapping says and validate it,
sending nothing. With a token (or --sandbox) it also resolves lookup columns and
checks custom fields against the org's schema, read-only.`,
		example: `  devrev-import validate export.xlsx --mapping export.yaml
  devrev-import validate export.csv --mapping export.yaml --summary-json validate.json
  devrev-import validate --sandbox samples/tickets.csv --mapping samples/tickets.yaml
  devrev-import validate nightly.csv --mapping nightly.yaml --mode upsert --plan-csv plan.csv`,
	},
	"import": {
		short: "create the works (import --dry-run == validate)",
		long: `Create a DevRev work for every valid row of FILE (CSV or XLSX), exactly once:
the checkpoint next to FILE makes a rerun resume where the last one stopped.
With --mode upsert it also updates the works of rows changed since (only the
changed fields); --mode update only updates.
The token comes from $DEVREV_TOKEN or --token-file, never from a flag.`,
		example: `  devrev-import import --sandbox samples/tickets.csv --mapping samples/tickets.yaml
  devrev-import import export.xlsx --mapping export.yaml --token-file ~/.devrev-token
  devrev-import import nightly.csv --mapping nightly.yaml --mode upsert --max-duration 50m --log-format json`,
	},
}

// newImportCmd is the validate or the import command (name). args are
// its arguments, for the summary of a run whose flags failed.
func newImportCmd(name string, env Env, args *[]string) *cobra.Command {
	var f importFlags
	u := importUsage[name]
	c := &cobra.Command{Use: name + " FILE", Short: u.short, Long: u.long, Example: u.example}
	f.register(c.Flags(), name)
	c.RunE = func(c *cobra.Command, pos []string) error {
		return runImport(c.Context(), name, f, pos, env)
	}
	c.SetFlagErrorFunc(func(c *cobra.Command, err error) error {
		return importFlagError(c, err, &f, *args, env)
	})
	withGroups(c, importGroups...)
	return c
}

// importFlagError is a bad flag of validate or import: the short
// message and, when --summary-json was given, the summary with its exit
// code, as after any other failure before the run.
func importFlagError(c *cobra.Command, err error, f *importFlags, args []string, env Env) error {
	uerr := flagUsageError(c, err)
	pos := salvageFlags(c.Flags(), args)
	newImportRun(c.Name(), *f, pos, env).writeSummaryOnExit(exitFor(uerr))
	return uerr
}

// newImportRun is the run of validate or import (cmd) on pos's FILE.
func newImportRun(cmd string, f importFlags, pos []string, env Env) *importRun {
	r := &importRun{f: f, dry: cmd == "validate" || f.dryRun, env: env}
	if len(pos) > 0 {
		r.file = pos[0]
	}
	r.summarySafe = clashFree(r.fileRoles(), "--summary-json")
	return r
}

// runImport is the validate and import commands, with their flags parsed.
func runImport(ctx context.Context, cmd string, f importFlags, pos []string, env Env) error {
	env, err := logEnv(env, f.logFormat) // every line of the run, whoever writes it
	r := newImportRun(cmd, f, pos, env)
	switch {
	case err != nil:
	case len(pos) != 1:
		err = usageError("need exactly one FILE (got %d; see 'devrev-import %s --help')", len(pos), cmd)
	default:
		err = r.run(ctx)
	}
	code, msg := exitFor(err)
	r.writeSummaryOnExit(code, msg)
	if f.logFormat == "json" && msg != "" && r.out != nil {
		r.out.failure(msg) // as the run's other events
		return exitStatus(code)
	}
	return err
}

type importRun struct {
	f    importFlags
	file string
	dry  bool
	env  Env
	log  *slog.Logger
	// ckPath is the checkpoint journal of an import ("" in a dry run).
	ckPath string
	cfg    *mapping.Config // nil without --mapping
	opt    source.Options  // how the file is read
	typed  bool            // the org's schema typed the custom-field columns
	mapper *mapping.Mapper
	groups *problemGroups // the row problems past the first 20, grouped
	out    *output        // stderr's lines, or JSON events
	// display shows the setup's steps, then the rows' progress.
	display *progress.Display

	// created is the import's created CSV (nil in a dry run).
	created *report.CreatedCSV

	// summarySafe: --summary-json is no other file; summaryDone: finish
	// wrote it.
	summarySafe, summaryDone bool

	rel *relRun // the link and comment checks (nil without any)
}

// fail is the error that ends the run with code and the message.
func (r *importRun) fail(code int, format string, a ...any) error {
	return &exitError{code, fmt.Errorf(format, a...)}
}

// run is one validate or import: it checks the output paths, reads the
// mapping and the file's header, sets up the API side, sends the rows and
// reports.
func (r *importRun) run(ctx context.Context) error {
	r.log = newLogger(r.env, r.f.logFormat, slog.LevelInfo)
	r.out = &output{w: r.env.Stderr, log: r.log, json: r.f.logFormat == "json"}
	in, stopWatch := watchSignals(ctx, r.env)
	defer stopWatch()
	ctx = in.ctx
	if err := checkPaths(r.fileRoles()...); err != nil {
		return r.fail(ExitUsage, "%v", err)
	}
	cfg, mappingBytes, err := r.loadMapping(ctx, in)
	if err != nil {
		return err
	}
	src, mapper, warnings, err := r.compile(cfg)
	if err != nil {
		return err
	}
	defer src.Close()
	if err := r.checkMode(cfg, mapper); err != nil {
		return err
	}

	errs := report.NewErrorsCSV(r.errorsPath(), src.Header())
	counters := new(progress.Counters)
	pcfg := pipeline.Config{
		Source: src, Mapper: mapper, DryRun: r.dry, Errors: errs, Counters: counters, Logger: r.log,
		Mode: r.mode(cfg), RecreateMissing: r.f.recreateMissing, TagsAdd: cfg != nil && cfg.TagsAdd, NoKeyCheck: r.f.noKeyCheck,
	}
	r.cfg, r.mapper = cfg, mapper
	r.groups = newProblemGroups(src.Header())
	pcfg.More = r.groups.add
	if r.dry {
		// Duplicate keys are found in bounded memory, with a second pass
		// over the file when the first suspects any.
		pcfg.Reopen = func() (source.Reader, error) { return source.Open(r.file, r.opt) }
	}

	r.display = r.startDisplay(src, counters)
	defer r.display.Stop()
	cleanup, err := r.setup(ctx, &pcfg, cfg, mappingBytes)
	defer cleanup()
	if err != nil {
		// Not errs.Close(): with no row added it would remove the errors
		// CSV of another run (the one holding the lock, say).
		return err
	}
	if pcfg.Client == nil {
		for _, l := range mapper.LookupColumns() {
			warnings = append(warnings, fmt.Sprintf("column %q (%s): lookup %s unchecked: needs a token (set DEVREV_TOKEN, or try --sandbox)", l.Column, l.Field, l.Lookup))
		}
	}
	if !r.typed {
		warnings = append(warnings, untypedFormats(cfg)...)
	}
	r.display.Step("") // its line off the terminal before the warnings
	for _, w := range warnings {
		fmt.Fprintf(r.env.Stderr, "warning: %s\n", w)
	}

	pcfg.RowSalt = r.rowSalt(mappingBytes)
	if r.dry && pcfg.Mode != pipeline.ModeCreate {
		if err := r.planState(&pcfg); err != nil {
			return err
		}
	}
	closePlan, err := r.openPlan(&pcfg)
	if err != nil {
		return err
	}
	rel, err := r.startRelations(&pcfg)
	if err != nil {
		return err
	}
	defer rel.close()
	if rel != nil && !r.dry {
		pcfg.Relate = r.relateConfig(rel)
	}
	r.stopOnSignal(in, &pcfg)
	r.startRows(&pcfg)
	res, runErr := pipeline.Run(ctx, pcfg)
	r.display.Stop()
	if runErr == nil {
		runErr = r.finishRelations(rel, &res.Summary)
	}
	if runErr == nil && r.dry {
		runErr = r.checkUnresolved(ctx, rel, &pcfg, &res.Summary)
	}
	r.rel = rel
	closePlan(runErr == nil)
	if n := res.Summary.Changed; n > 0 {
		res.Summary.Warnings = append(res.Summary.Warnings, modeHint(n))
	}
	warnings = r.closeOutputs(errs, pcfg.Journal, warnings)
	return r.finish(res, runErr, errs, pcfg.Journal != nil, warnings)
}

// loadMapping reads and parses --mapping (nil without one), and returns
// its bytes for the checkpoint's mapping hash.
func (r *importRun) loadMapping(ctx context.Context, in *interrupts) (*mapping.Config, []byte, error) {
	path := r.f.mappingPath
	if path == "" {
		return nil, nil, nil
	}
	b, err := readMapping(ctx, path)
	if in.interrupted() {
		return nil, nil, r.fail(ExitStopped, "interrupted while reading the mapping %s", path)
	}
	if err != nil {
		return nil, nil, r.fail(ExitUsage, "mapping %s: %v", path, err)
	}
	cfg, err := mapping.Parse(path, b)
	if err != nil {
		return nil, nil, r.fail(ExitUsage, "%v", err)
	}
	return cfg, b, nil
}

// compile opens the file as the mapping and the flags say and compiles
// the mapping against its header. The caller closes the source.
func (r *importRun) compile(cfg *mapping.Config) (source.Reader, *mapping.Mapper, []string, error) {
	f := &r.f
	opt, err := f.sourceOptions(cfg)
	if err != nil {
		return nil, nil, nil, r.fail(ExitUsage, "%v", err)
	}
	// A dry run of create mode copies what it keeps of a row; one that
	// plans updates hands rows to workers, as an import does.
	opt.ReuseCells = r.dry && r.mode(cfg) == pipeline.ModeCreate
	r.opt = opt
	var loc *time.Location
	if f.timezone != "" {
		if loc, err = time.LoadLocation(f.timezone); err != nil {
			return nil, nil, nil, r.fail(ExitUsage, "--timezone %q: %v", f.timezone, err)
		}
	}
	src, err := source.Open(r.file, opt)
	if err != nil {
		return nil, nil, nil, r.failSheet(opt, cfg, err)
	}
	mapper, warnings, err := mapping.Compile(cfg, src.Header(), mapping.Options{Type: f.typ, Key: f.key, Location: loc, Strict: f.strict})
	if err != nil {
		src.Close()
		return nil, nil, nil, r.failSheet(opt, cfg, err)
	}
	return src, mapper, warnings, nil
}

// stopOnSignal makes the first signal from now on stop intake (requests
// in flight finish); the second abandons everything at once (in.ctx).
func (r *importRun) stopOnSignal(in *interrupts, pcfg *pipeline.Config) {
	stop := make(chan struct{})
	pcfg.Stop = stop
	in.started(func() {
		fmt.Fprintln(r.env.Stderr, "\ninterrupted: finishing requests in flight (interrupt again to quit at once)")
		close(stop)
	})
}

// startDisplay starts the progress display in setup: its steps are
// logged (--progress never, --log-format json) or shown on the terminal
// while they last, and so are the rate limit's waits once there is a
// limiter.
func (r *importRun) startDisplay(src source.Reader, counters *progress.Counters) *progress.Display {
	bar := r.f.logFormat != "json" && (r.f.progress == "always" || (r.f.progress == "auto" && r.env.IsTerminal))
	popt := progress.Options{Bar: bar, Setup: true, Total: -1, Out: r.env.Stderr, Logger: r.log, DryRun: r.dry}
	if _, size := source.Position(src); size > 0 {
		popt.Position = func() (int64, int64) { return source.Position(src) }
	}
	return progress.Start(counters, popt)
}

// startRows begins the rows' progress. An import counts the file's rows
// first for the total; a dry run of a CSV does not (a second read of the
// file): its total is estimated from the bytes read.
func (r *importRun) startRows(pcfg *pipeline.Config) {
	total := int64(-1)
	if _, size := source.Position(pcfg.Source); !r.dry || size == 0 {
		r.display.Step("counting rows")
		if n, err := source.Count(r.file, r.opt); err == nil && n >= 0 {
			total = int64(n)
		}
	}
	pcfg.Total = int(total)
	r.display.Rows(total)
	pcfg.Throttle = r.display.Throttled
}

// closeOutputs closes the errors CSV and the journal after a run, saying
// on stderr what went wrong, and returns warnings with the errors CSV's.
func (r *importRun) closeOutputs(errs *report.ErrorsCSV, journal *checkpoint.Journal, warnings []string) []string {
	if err := errs.Close(); err != nil {
		fmt.Fprintf(r.env.Stderr, "devrev-import: %v\n", err)
	}
	if w := errs.Warning(); w != "" {
		fmt.Fprintf(r.env.Stderr, "warning: %s\n", w)
		warnings = append(warnings, w)
	}
	if journal != nil {
		if err := journal.Close(); err != nil {
			fmt.Fprintf(r.env.Stderr, "devrev-import: checkpoint: %v\n", err)
		}
	}
	return warnings
}

// setup prepares what a run needs besides reading: the API client (or
// the in-process simulator) and the limiter when there is a token, the
// lookups and the live custom-field schema, and, for an import, the lock
// and the checkpoint journal. The cleanup it returns is always callable.
func (r *importRun) setup(ctx context.Context, pcfg *pipeline.Config, cfg *mapping.Config, mappingBytes []byte) (func(), error) {
	f := &r.f
	var cleanups []func()
	cleanup := func() {
		for i := len(cleanups) - 1; i >= 0; i-- {
			cleanups[i]()
		}
	}
	lim, err := r.checkFlags()
	if err != nil {
		return cleanup, err
	}
	if r.dry { // an import takes it after the checkpoint's, which it names when both are busy
		if err := r.lockInput(ctx, &cleanups); err != nil {
			return cleanup, err
		}
	}
	endpoint, client, err := r.connect(&cleanups)
	if err != nil || client == nil { // no client: validate without a token checks everything but the lookups
		return cleanup, err
	}
	maxWait := f.maxWait
	if maxWait <= 0 {
		maxWait = throttle.DefaultMaxWait // validate has no --max-wait
	}
	limiter := throttle.NewLimiter(throttle.Config{Rate: lim.rate, Burst: f.burst, MaxWait: maxWait})
	pcfg.Client, pcfg.Limiter = client, limiter
	r.display.SetHold(limiter.Hold)
	if !r.dry {
		if err := r.lockRun(ctx, &cleanups); err != nil {
			return cleanup, err
		}
	}
	if err := r.setupEnrich(ctx, pcfg, &cleanups); err != nil {
		return cleanup, err
	}
	if r.dry {
		_, err := os.Lstat(r.checkpointPath())
		pcfg.NoCheckpoint = errors.Is(err, fs.ErrNotExist)
		return cleanup, nil
	}
	r.display.Step("reading the checkpoint " + r.ckPath)
	journal, state, err := r.openJournal(ctx, pcfg, endpoint, mappingBytes, &cleanups)
	r.display.Step("")
	if err != nil {
		return cleanup, err
	}
	rec := reconcile.New(reconcile.Options{Client: client, Limiter: limiter, KeyField: pcfg.Mapper.KeyField(), Recorded: state.WasCreated})
	pcfg.Journal, pcfg.State, pcfg.Reconciler = journal, state, rec
	if err := r.openCreated(pcfg, &cleanups); err != nil {
		return cleanup, err
	}
	r.configureSend(pcfg, lim)
	return cleanup, nil
}

// runLimits are the flags checkFlags parsed.
type runLimits struct {
	rate         float64 // 0 = auto
	maxErrors    int
	maxErrorsPct float64
}

// checkFlags checks the flags a run needs before it touches anything.
func (r *importRun) checkFlags() (runLimits, error) {
	f := &r.f
	switch f.onDoubt {
	case "", pipeline.OnDoubtReconcile, pipeline.OnDoubtResend, pipeline.OnDoubtSkip:
	default:
		return runLimits{}, r.fail(ExitUsage, "--on-doubt %q: must be one of reconcile, resend, skip", f.onDoubt)
	}
	if f.schema != "live" && f.schema != "stock" {
		return runLimits{}, r.fail(ExitUsage, "--schema %q: must be live or stock", f.schema)
	}
	rate, err := parseRate(f.rate)
	if err != nil {
		return runLimits{}, r.fail(ExitUsage, "--rate: %v", err)
	}
	if f.workers, err = parseWorkers(f.workersArg); err != nil {
		return runLimits{}, r.fail(ExitUsage, "--workers: %v", err)
	}
	maxErrors, maxErrorsPct, err := parseMaxErrors(f.maxErrors)
	if err != nil {
		return runLimits{}, r.fail(ExitUsage, "--max-errors: %v", err)
	}
	if err := checkNumbers(f.numFlags()); err != nil {
		return runLimits{}, err
	}
	return runLimits{rate: rate, maxErrors: maxErrors, maxErrorsPct: maxErrorsPct}, nil
}

// connect returns the API client and its endpoint: the in-process
// simulator's with --sandbox, else the token's. A validate without a
// token gets no client (nil, no error).
func (r *importRun) connect(cleanups *[]func()) (string, *devrev.Client, error) {
	f := &r.f
	endpoint, token := f.endpoint, ""
	switch {
	case f.sandbox:
		// An import shows the limiter at work with a small window; a dry
		// run only looks names up and need not wait.
		opt, note := simulator.Options{Limit: 6, Window: 3 * time.Second}, "6 requests per 3 s window, so you see the rate limiter at work"
		if r.dry {
			opt, note = simulator.Options{}, "no rate limit"
		}
		sim, err := simulator.Start(opt)
		if err != nil {
			return "", nil, r.fail(ExitUsage, "sandbox: %v", err)
		}
		*cleanups = append(*cleanups, func() { sim.Close() })
		endpoint, token = sim.URL, simulator.DefaultToken
		fmt.Fprintf(r.env.Stderr, "sandbox: built-in DevRev simulator at %s (%s)\n", sim.URL, note)
	default:
		var err error
		if token, err = readToken(f.tokenFile, r.env); err != nil {
			if r.dry && f.tokenFile == "" {
				return "", nil, nil
			}
			return "", nil, r.fail(ExitUsage, "%v", err)
		}
	}
	var apiLog *slog.Logger
	if f.verbose {
		apiLog = newLogger(r.env, f.logFormat, slog.LevelDebug)
	}
	client, err := newClient(endpoint, token, f.timeout, f.conns(), apiLog, r.env)
	if err != nil {
		return "", nil, r.fail(ExitUsage, "%v", err)
	}
	return endpoint, client, nil
}

// lockRun takes an import's locks: the checkpoint's, then the input's.
func (r *importRun) lockRun(ctx context.Context, cleanups *[]func()) error {
	ckPath := r.checkpointPath()
	lock, err := lockCheckpoint(ctx, ckPath, r.f.waitLock, r.env)
	if err != nil {
		return err
	}
	*cleanups = append(*cleanups, func() { lock.Unlock() })
	r.ckPath = ckPath
	if err := r.lockInput(ctx, cleanups); err != nil {
		return err
	}
	if _, ok := resumedCheckpoint(r.file, r.f.sandbox); ok && r.f.checkpoint == "" {
		fmt.Fprintf(r.env.Stderr, "%s is an errors CSV: resuming the checkpoint of the import it came from, %s\n", r.file, ckPath)
	}
	return nil
}

// openJournal opens an import's checkpoint with the identity this run
// records (input, mapping, endpoint, org, key) and keys pcfg.Mapper as
// the checkpoint does.
func (r *importRun) openJournal(ctx context.Context, pcfg *pipeline.Config, endpoint string, mappingBytes []byte, cleanups *[]func()) (*checkpoint.Journal, *checkpoint.State, error) {
	f := &r.f
	org, err := r.fetchOrg(ctx, pcfg.Client, pcfg.Limiter)
	if err != nil {
		return nil, nil, err
	}
	hdr := checkpoint.Header{Input: absPath(r.file), MappingHash: hashMapping(mappingBytes, f), Mapping: r.mapper.Describe(),
		Endpoint: endpointName(endpoint, r.env), Org: org, Key: keyDef(r.mapper), Tool: "devrev-import/" + Version}
	describeReading(hdr.Mapping, r.opt)
	if f.sandbox {
		hdr.Endpoint = sandboxEndpoint
	}
	if fi, err := os.Stat(r.file); err == nil {
		hdr.Size = fi.Size()
	}
	journal, state, warns, err := checkpoint.Open(r.ckPath, hdr, checkpoint.Options{Light: true,
		InputChanges: pcfg.Mode != pipeline.ModeCreate, SnapshotTag: buildID()})
	if err != nil {
		return nil, nil, r.fail(ExitUsage, "%v", err)
	}
	*cleanups = append(*cleanups, func() { journal.Close() })
	if pcfg.Mapper, err = rekey(r.mapper, journal.Header()); err != nil {
		return nil, nil, r.fail(ExitUsage, "checkpoint %s: %v: every row would be created again", r.ckPath, err)
	}
	for _, w := range warns {
		fmt.Fprintf(r.env.Stderr, "warning: checkpoint: %s\n", w)
	}
	return journal, state, nil
}

// openCreated opens the created CSV (under the checkpoint's lock, so two
// runs never append to it at once) and has the pipeline append every
// created work to it. A write failure is said once; the checkpoint still
// has the row.
func (r *importRun) openCreated(pcfg *pipeline.Config, cleanups *[]func()) error {
	c, err := report.OpenCreatedCSV(r.createdPath(), pcfg.Source.Header())
	if err != nil {
		return r.fail(ExitUsage, "%v", err)
	}
	r.created = c
	if w := c.Warning(); w != "" {
		fmt.Fprintf(r.env.Stderr, "warning: %s\n", w)
	}
	*cleanups = append(*cleanups, func() {
		if err := c.Close(); err != nil {
			fmt.Fprintf(r.env.Stderr, "devrev-import: %v (the checkpoint has every created work: devrev-import report %s --created-csv PATH)\n", err, r.ckPath)
		}
	})
	var once sync.Once
	pcfg.Created = func(row source.Row, key, id, displayID string) {
		if err := c.Add(row, key, id, displayID); err != nil {
			once.Do(func() { r.log.Error("created CSV", "err", err) })
		}
	}
	return nil
}

// configureSend passes the flags of sending on to the pipeline.
func (r *importRun) configureSend(pcfg *pipeline.Config, lim runLimits) {
	f := &r.f
	pcfg.OnDoubt = f.onDoubt
	pcfg.Workers = max(1, f.workers)
	pcfg.AutoWorkers, pcfg.MaxWorkers = f.workers == 0, f.maxWorkers
	pcfg.MaxRetries = f.maxRetries
	if f.maxRetries == 0 {
		pcfg.MaxRetries = -1
	}
	pcfg.MaxConsecutiveFailures = f.maxConsecFail
	pcfg.MaxDuration = f.maxDuration
	pcfg.MaxErrors, pcfg.MaxErrorsPct = lim.maxErrors, lim.maxErrorsPct
	pcfg.MaxWait = f.maxWait
}

// setupEnrich resolves lookup columns through the API and, with --schema
// live, checks custom fields against the org's schema.
func (r *importRun) setupEnrich(ctx context.Context, pcfg *pipeline.Config, cleanups *[]func()) error {
	// Lookups and the schema are retried as often as a row (--max-retries).
	retr := throttle.Retrier{Limiter: pcfg.Limiter}
	if !r.dry {
		retr.MaxAttempts = max(1, r.f.maxRetries+1)
	}
	var fns []schema.EnrichFunc
	if len(r.mapper.LookupColumns()) > 0 || r.f.lookupCache != "" {
		if r.f.lookupCache != "" {
			r.display.Step("reading the lookup cache " + r.f.lookupCache)
		}
		res, err := lookup.New(lookup.Options{Client: pcfg.Client, Retrier: retr, CachePath: r.f.lookupCache})
		r.display.Step("")
		if err != nil {
			return r.fail(ExitUsage, "%v", err)
		}
		*cleanups = append(*cleanups, func() {
			if err := res.Close(); err != nil {
				fmt.Fprintf(r.env.Stderr, "devrev-import: lookup cache: %v\n", err)
			}
		})
		fns = append(fns, res.Enricher(r.mapper))
	}
	if r.f.schema == "live" && r.mapper.HasCustomFields() {
		types := []string{r.mapper.Type()}
		if r.mapper.Type() == "" || slices.Contains(r.mapper.Fields(), "type") {
			types = mapping.WorkTypes()
		}
		r.display.Step("fetching the org's schema (to check custom fields)")
		sch, err := schema.Fetch(ctx, pcfg.Client, retr, types)
		r.display.Step("")
		if err != nil {
			code, msg := apiFailure("fetching the org's schema", err, "(use --schema stock to skip)")
			return r.fail(code, "%s", msg)
		}
		// The schema types custom-field columns written without as:.
		typed, errs := sch.Type(r.cfg, r.mapper, types)
		if len(errs) > 0 {
			return r.fail(ExitUsage, "%v", errors.Join(errs...))
		}
		r.mapper, pcfg.Mapper, r.typed = typed, typed, true
		fns = append(fns, sch.Enricher(r.cfg, r.mapper))
	}
	if len(fns) > 0 {
		pcfg.Enrich = schema.Chain(fns...)
	}
	return nil
}

// finish prints the summary, writes --summary-json and returns the
// run's outcome (printed here: the message comes before the row messages
// and the totals).
func (r *importRun) finish(res pipeline.Result, runErr error, errs *report.ErrorsCSV, sent bool, warnings []string) error {
	s := res.Summary
	runWarnings := s.Warnings
	s.Warnings = append(warnings, s.Warnings...)
	if errs.Rows() > 0 {
		s.ErrorsCSV = errs.Path()
	}
	s.Checkpoint = r.ckPath
	code, msg := exitFor(runErr)
	if runErr == nil && (s.Invalid > 0 || s.Failed > 0 || s.Relations.Problems() > 0) {
		code = ExitRowsFailed
	}
	if msg != "" {
		s.Error = msg
		r.out.failure(msg)
	}
	if s.NotAttempted > 0 && (code == ExitOK || code == ExitRowsFailed && s.Stopped == "") {
		// Rows in doubt or never tried: the run is not done, whatever
		// else went well.
		code = ExitStopped
		s.Error = fmt.Sprintf("%s rows not attempted or left in doubt: run the same command again to finish them", report.Thousands(s.NotAttempted))
		r.out.failure(s.Error)
	}
	s.ExitCode = code
	r.printWarnings(runWarnings)
	r.printRows(res, errs)
	r.printRelations(r.rel)
	r.printSummary(s, sent)
	if r.f.summaryJSON != "" {
		r.summaryDone = true
		if err := s.WriteJSON(r.f.summaryJSON); err != nil {
			r.out.failure(err.Error())
		}
	}
	return exitStatus(code)
}

func newLogger(env Env, format string, level slog.Level) *slog.Logger {
	opt := &slog.HandlerOptions{Level: level}
	if format == "json" {
		return slog.New(slog.NewJSONHandler(env.Stderr, opt))
	}
	return slog.New(slog.NewTextHandler(env.Stderr, opt))
}

// parseWorkers parses --workers: auto is 0, else a positive count. Empty
// (validate, which has no such flag) is one worker.
func parseWorkers(s string) (int, error) {
	switch s {
	case "auto":
		return 0, nil
	case "":
		return 1, nil
	}
	n, err := strconv.Atoi(s)
	if err != nil || n < 1 {
		return 0, fmt.Errorf("%q: want auto or a positive whole number", s)
	}
	return n, nil
}

// numFlags are the numeric flags of the command, with their ranges.
func (f *importFlags) numFlags() ([]numFlag, []durFlag) {
	pool := " (more requests in flight than any rate limit lets through; --workers auto sizes the pool)"
	nums := []numFlag{{name: "max-cell-bytes", n: f.maxCellBytes, min: 1}, {name: "header-row", n: f.headerRow, min: 0, why: " (0 = the first row that is not empty)"}}
	durs := []durFlag{{name: "timeout", d: f.timeout, zeroMean: "30s"}}
	if f.cmd != "import" {
		return nums, durs
	}
	nums = append(nums,
		numFlag{name: "workers", n: max(1, f.workers), min: 1, max: maxPool, why: pool},
		numFlag{name: "max-workers", n: f.maxWorkers, min: 1, max: maxPool, why: pool},
		numFlag{name: "burst", n: f.burst, min: 0, why: " (0 = the default)"},
		numFlag{name: "max-retries", n: f.maxRetries, min: 0, why: " (0 = no retries)"},
		numFlag{name: "max-consecutive-failures", n: f.maxConsecFail, min: 1})
	durs = append(durs,
		durFlag{name: "max-duration", d: f.maxDuration, zeroOK: true, zeroMean: "no limit"},
		durFlag{name: "max-wait", d: f.maxWait, zeroMean: "15m"},
		durFlag{name: "wait-lock", d: f.waitLock, zeroOK: true, zeroMean: "do not wait"})
	return nums, durs
}

// conns is how many connections the HTTP client may keep: enough for the
// largest number of requests in flight.
func (f *importFlags) conns() int {
	if f.workers == 0 {
		return max(1, f.maxWorkers)
	}
	return f.workers
}

func parseRate(s string) (float64, error) {
	if s == "" || s == "auto" {
		return 0, nil
	}
	v, err := strconv.ParseFloat(s, 64)
	if err != nil || v <= 0 {
		return 0, fmt.Errorf("%q: want auto or a positive number of requests per second", s)
	}
	return v, nil
}

func parseMaxErrors(s string) (int, float64, error) {
	if s == "" {
		return 0, 0, nil
	}
	if p, ok := strings.CutSuffix(s, "%"); ok {
		v, err := strconv.ParseFloat(p, 64)
		if err != nil || v <= 0 || v > 100 {
			return 0, 0, fmt.Errorf("%q: want N or N%% with 0 < N <= 100", s)
		}
		return 0, v, nil
	}
	n, err := strconv.Atoi(s)
	if err != nil || n <= 0 {
		return 0, 0, fmt.Errorf("%q: want a positive whole number or N%%", s)
	}
	return n, 0, nil
}

func absPath(p string) string {
	if a, err := filepath.Abs(p); err == nil {
		return a
	}
	return p
}

// rowSalt is what, besides a row's cells, decides the values it maps to
// (pipeline.Config.RowSalt): the mapping and its flags, the mapping as the
// org's schema typed it, --strict and --schema, and this build of the
// tool (a new version may map a cell otherwise).
func (r *importRun) rowSalt(mappingBytes []byte) string {
	h := sha256.New()
	fmt.Fprintf(h, "%s\x00strict=%v\x00schema=%s\x00build=%s", hashMapping(mappingBytes, &r.f), r.f.strict, r.f.schema, buildID())
	desc := r.mapper.Describe()
	for _, k := range slices.Sorted(maps.Keys(desc)) {
		fmt.Fprintf(h, "\x00%s=%s", k, desc[k])
	}
	return hex.EncodeToString(h.Sum(nil))[:16]
}

// buildID names this build: the version, and what Go recorded of the
// code it was built from (a module version, a commit). When that says
// nothing about the code (no module version and no commit, as with
// -buildvcs=false or a build outside git, or a commit with uncommitted
// edits: vcs.modified), it adds the executable's size and time, so that a
// rebuilt binary never trusts row digests or snapshots an earlier one
// wrote.
func buildID() string {
	id, known := Version, false
	if bi, ok := debug.ReadBuildInfo(); ok {
		id += " " + bi.Main.Version
		known = bi.Main.Version != "" && bi.Main.Version != "(devel)"
		for _, s := range bi.Settings {
			switch {
			case s.Key == "vcs.revision":
				id += " " + s.Value
				known = true
			case s.Key == "vcs.modified" && s.Value == "true":
				id += " modified"
				known = false
			}
		}
	}
	if !known {
		id += " " + executableStamp()
	}
	return id
}

// executableStamp is the running executable's size and modification
// time, "" when they cannot be read.
func executableStamp() string {
	path, err := os.Executable()
	if err != nil {
		return ""
	}
	fi, err := os.Stat(path)
	if err != nil {
		return ""
	}
	return fmt.Sprintf("%d@%d", fi.Size(), fi.ModTime().UnixNano())
}

// hashMapping identifies the mapping (file and mapping flags), so a
// checkpoint can warn when a later run maps rows differently.
func hashMapping(b []byte, f *importFlags) string {
	h := sha256.New()
	h.Write(b)
	fmt.Fprintf(h, "\x00type=%s\x00key=%s\x00tz=%s", f.typ, strings.Join(f.key, ","), f.timezone)
	return "sha256:" + hex.EncodeToString(h.Sum(nil))[:16]
}
