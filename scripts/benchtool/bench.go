package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/devrev-import/devrev-import/importer/simulator"
)

// benchConfig is what `benchtool run` measures.
type benchConfig struct {
	Bin        string // devrev-import binary
	Self       string // this binary, for the bare-* and load children
	CSV, XLSX  string // the big files (mapping: FILE.yaml)
	SmallCSV   string // the same kind of files at a tenth of the rows or so, for RSS flatness
	SmallXLSX  string
	XLSXShared string // optional: the big XLSX's data with its text in shared strings (Excel's way)
	ImportFile string // CSV whose rows are imported and posted by the load loop
	ImportRows int
	Workers    []int  // 0: the default (--workers auto), against the bare loop at autoLoadWorkers
	SyncFile   string // CSV for the nightly-sync measurement ("" skips it; mapping: FILE.yaml)
	Repeat     int    // CSV floor/validate pairs and import/load pairs (the median is used); the XLSX pair runs once

	Limit          int           // limited run: requests per window
	Window         time.Duration // limited run: window
	Latency        time.Duration // limited run: simulator latency
	LimitedFor     time.Duration // limited run: --max-duration
	LimitedWorkers int
	FastDir        string // a tmpfs directory (fsync is free there) for the checkpoint of the reference run; "" skips it

	Tmp   string // scratch directory for summaries, checkpoints, errors CSVs
	Out   string // the markdown table
	Micro string // output of `go test -bench` to quote in the table; "" = none
}

// benchCmd parses the run flags and runs the benchmark.
func benchCmd(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("run", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var c benchConfig
	var workers string
	fs.StringVar(&c.Bin, "bin", "./devrev-import", "devrev-import binary")
	fs.StringVar(&c.CSV, "csv", "", "big CSV file (mapping next to it as FILE.yaml)")
	fs.StringVar(&c.XLSX, "xlsx", "", "big XLSX file (mapping next to it as FILE.yaml)")
	fs.StringVar(&c.SmallCSV, "small-csv", "", "smaller CSV, for the RSS flatness check (optional)")
	fs.StringVar(&c.SmallXLSX, "small-xlsx", "", "smaller XLSX, for the RSS flatness check (optional)")
	fs.StringVar(&c.XLSXShared, "xlsx-shared", "", "XLSX whose text is in a shared-strings table, as Excel saves it (optional; gendata xlsx -shared-strings)")
	fs.StringVar(&c.ImportFile, "import-file", "", "CSV imported into the simulator (mapping next to it)")
	fs.IntVar(&c.ImportRows, "import-rows", 50000, "rows of -import-file to import / post")
	fs.StringVar(&workers, "workers", "8,32,auto", `worker counts for the unlimited import and the load loop; "auto": the import's default (--workers not given) against the loop at 64 (--max-workers)`)
	fs.StringVar(&c.SyncFile, "sync-file", "", "CSV for the nightly-sync measurement: create-only import, upserts over it unchanged vs validate, upsert with every row edited (optional)")
	fs.IntVar(&c.Repeat, "repeat", 3, "CSV floor/validate pairs and unlimited import/load pairs to run (median used)")
	fs.IntVar(&c.Limit, "limit", 300, "limited run: requests per window")
	fs.DurationVar(&c.Window, "window", 3*time.Second, "limited run: window")
	fs.DurationVar(&c.Latency, "latency", 80*time.Millisecond, "limited run: simulator latency")
	fs.DurationVar(&c.LimitedFor, "limited-for", 30*time.Second, "limited run: import --max-duration")
	fs.IntVar(&c.LimitedWorkers, "limited-workers", 0, "limited run: import --workers (0: not given, the default auto)")
	fs.StringVar(&c.FastDir, "fast-dir", "/dev/shm", `tmpfs directory for the no-fsync-cost reference run ("" skips it)`)
	fs.StringVar(&c.Tmp, "tmp", "bench-data/tmp", "scratch directory")
	fs.StringVar(&c.Out, "out", "bench-results.md", "where the table is written")
	fs.StringVar(&c.Micro, "micro", "", "file with `go test -bench` output to quote in the table")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if c.CSV == "" || c.XLSX == "" || c.ImportFile == "" || fs.NArg() > 0 {
		return fmt.Errorf("run: -csv, -xlsx and -import-file are required")
	}
	for _, w := range strings.Split(workers, ",") {
		if strings.TrimSpace(w) == "auto" {
			c.Workers = append(c.Workers, 0)
			continue
		}
		n, err := strconv.Atoi(strings.TrimSpace(w))
		if err != nil || n < 1 {
			return fmt.Errorf("run: bad -workers %q", workers)
		}
		c.Workers = append(c.Workers, n)
	}
	self, err := os.Executable()
	if err != nil {
		return fmt.Errorf("run: find own binary: %w", err)
	}
	c.Self = self
	if err := os.MkdirAll(c.Tmp, 0o755); err != nil {
		return fmt.Errorf("run: %w", err)
	}
	if c.FastDir != "" {
		if st, err := os.Stat(c.FastDir); err != nil || !st.IsDir() {
			fmt.Fprintf(stderr, "benchtool: %s is not a directory; skipping the tmpfs checkpoint reference run\n", c.FastDir)
			c.FastDir = ""
		}
	}
	b := &bench{cfg: c, log: stderr, started: time.Now()}
	res, err := b.run(ctx)
	if err != nil {
		return err
	}
	md := renderMarkdown(res)
	if err := os.WriteFile(c.Out, []byte(md), 0o644); err != nil {
		return fmt.Errorf("run: write %s: %w", c.Out, err)
	}
	_, err = io.WriteString(stdout, md)
	return err
}

// bench runs the measurements of one benchConfig.
type bench struct {
	cfg      benchConfig
	log      io.Writer
	started  time.Time
	commands []string
}

// readRun is one read of a whole file, floor or validate.
type readRun struct {
	Name    string
	Rows    int
	Wall    time.Duration
	CPU     time.Duration
	MaxRSS  int64
	Command string
}

// importRun is one unlimited import or load loop.
type importRun struct {
	Workers  int
	Created  int
	Requests int
	Wall     time.Duration // the import process, or the load loop's POST phase
	Prep     time.Duration // load loop: building the bodies (not in Wall)
	Own      time.Duration // import: its own duration_s
	CPU      time.Duration
	MaxRSS   int64
}

// rate is created works per second of Wall.
func (r importRun) rate() float64 { return perSecond(r.Created, r.Wall) }

// limitedRun is one rate-limited import.
type limitedRun struct {
	Label      string
	Checkpoint string
	Created    int
	Requests   int
	Throttled  int
	Early      int
	Exit       int
	Wall       time.Duration
	Win        windowStats
}

// results is everything the table shows.
type results struct {
	Cfg            benchConfig
	Date           time.Time
	Machine        machine
	CSVFloor       []readRun // Repeat runs each
	CSVTool        []readRun
	XLSXFloor      readRun
	XLSXTool       readRun
	SmallCSV       *readRun // validate of the small files
	SmallXLSX      *readRun
	SmallCSVFloor  *readRun // floors over the small files
	SmallXLSXFloor *readRun
	SharedFloor    *readRun // floor and validate over Cfg.XLSXShared
	Shared         *readRun
	Imports        [][]importRun // per worker count, Repeat runs each
	Loads          [][]importRun
	ImportFast     []importRun  // the last worker count again, checkpoint on tmpfs
	Micro          string       // go test -bench output
	Limited        []limitedRun // disk checkpoint first, then tmpfs
	Sync           *syncResult  // nil without Cfg.SyncFile
	Commands       []string
	Total          time.Duration
}

// run measures everything in order: reading, unlimited import, limited import.
func (b *bench) run(ctx context.Context) (*results, error) {
	c := b.cfg
	res := &results{Cfg: c, Date: time.Now(), Machine: describeMachine(ctx)}
	for _, f := range []string{c.CSV, c.XLSX, c.SmallCSV, c.SmallXLSX, c.XLSXShared, c.ImportFile} {
		if f != "" {
			if err := warm(f); err != nil {
				return nil, err
			}
		}
	}

	for i := range c.Repeat {
		b.logf("CSV floor and validate, pair %d of %d", i+1, c.Repeat)
		fl, err := b.floor(ctx, "bare-csv", c.CSV)
		if err != nil {
			return nil, err
		}
		res.CSVFloor = append(res.CSVFloor, fl)
		v, err := b.validate(ctx, c.CSV)
		if err != nil {
			return nil, err
		}
		res.CSVTool = append(res.CSVTool, v)
	}
	if c.SmallCSV != "" {
		b.logf("CSV floor and validate over %s", c.SmallCSV)
		var err error
		if res.SmallCSVFloor, res.SmallCSV, err = b.pair(ctx, "bare-csv", c.SmallCSV); err != nil {
			return nil, err
		}
	}
	b.logf("XLSX floor (bare excelize Rows loop)")
	fl, err := b.floor(ctx, "bare-xlsx", c.XLSX)
	if err != nil {
		return nil, err
	}
	res.XLSXFloor = fl
	b.logf("XLSX validate")
	if res.XLSXTool, err = b.validate(ctx, c.XLSX); err != nil {
		return nil, err
	}
	if c.SmallXLSX != "" {
		b.logf("XLSX floor and validate over %s", c.SmallXLSX)
		if res.SmallXLSXFloor, res.SmallXLSX, err = b.pair(ctx, "bare-xlsx", c.SmallXLSX); err != nil {
			return nil, err
		}
	}
	if c.XLSXShared != "" {
		b.logf("XLSX floor and validate over %s (shared strings)", c.XLSXShared)
		if res.SharedFloor, res.Shared, err = b.pair(ctx, "bare-xlsx", c.XLSXShared); err != nil {
			return nil, err
		}
	}

	// Import and load alternate, Repeat times, so that both see the same
	// background load; the table uses the median of each.
	res.Imports = make([][]importRun, len(c.Workers))
	res.Loads = make([][]importRun, len(c.Workers))
	for i := range c.Repeat {
		for k, w := range c.Workers {
			imp, ld, err := b.importAndLoad(ctx, w, i)
			if err != nil {
				return nil, err
			}
			res.Imports[k] = append(res.Imports[k], imp)
			res.Loads[k] = append(res.Loads[k], ld)
		}
		if c.FastDir != "" && len(c.Workers) > 0 {
			w := c.Workers[len(c.Workers)-1] // the default, when auto is last
			b.logf("unlimited import, %d workers, checkpoint on tmpfs (%d of %d)", w, i+1, c.Repeat)
			imp, err := b.importUnlimitedIn(ctx, w, c.FastDir)
			if err != nil {
				return nil, err
			}
			res.ImportFast = append(res.ImportFast, imp)
		}
	}
	if c.SyncFile != "" {
		if res.Sync, err = b.syncCheck(ctx); err != nil {
			return nil, err
		}
	}
	if c.Micro != "" {
		data, err := os.ReadFile(c.Micro)
		if err != nil {
			return nil, fmt.Errorf("run: %w", err)
		}
		res.Micro = string(data)
	}

	dirs := []struct{ label, dir string }{{"checkpoint on disk (fsync batched, default)", c.Tmp}}
	if c.FastDir != "" {
		dirs = append(dirs, struct{ label, dir string }{"checkpoint on tmpfs (fsync free): reference", c.FastDir})
	}
	for _, d := range dirs {
		b.logf("limited import (%d per %s, %s latency) for %s, %s", c.Limit, c.Window, c.Latency, c.LimitedFor, d.label)
		lr, err := b.importLimited(ctx, d.label, d.dir)
		if err != nil {
			return nil, err
		}
		res.Limited = append(res.Limited, lr)
	}
	res.Commands = b.commands
	res.Total = time.Since(b.started)
	return res, nil
}

func (b *bench) logf(format string, args ...any) {
	fmt.Fprintf(b.log, "[%5.0fs] %s\n", time.Since(b.started).Seconds(), fmt.Sprintf(format, args...))
}

// note records a command line for the table (once).
func (b *bench) note(env []string, name string, args ...string) {
	line := strings.Join(append(append(slices.Clone(env), shortPath(name)), args...), " ")
	if !slices.Contains(b.commands, line) {
		b.commands = append(b.commands, line)
	}
}

// pair runs the floor sub over file, then validate.
func (b *bench) pair(ctx context.Context, sub, file string) (*readRun, *readRun, error) {
	fl, err := b.floor(ctx, sub, file)
	if err != nil {
		return nil, nil, err
	}
	v, err := b.validate(ctx, file)
	if err != nil {
		return nil, nil, err
	}
	return &fl, &v, nil
}

// floor runs `benchtool bare-csv|bare-xlsx FILE`.
func (b *bench) floor(ctx context.Context, sub, file string) (readRun, error) {
	b.note(nil, "benchtool", sub, file)
	p, err := runChild(ctx, b.cfg.Self, b.cfg.Tmp, nil, b.cfg.Self, sub, file)
	if err != nil {
		return readRun{}, err
	}
	if err := p.expect(sub+" "+file, 0); err != nil {
		return readRun{}, err
	}
	var out readResult
	if err := json.Unmarshal(p.Stdout, &out); err != nil {
		return readRun{}, fmt.Errorf("%s: bad output %q: %w", sub, tail(p.Stdout, 200), err)
	}
	return readRun{Name: sub, Rows: out.Rows, Wall: p.Wall, CPU: p.CPU, MaxRSS: p.MaxRSS,
		Command: "benchtool " + sub + " " + file}, nil
}

// summary is the part of devrev-import's --summary-json the bench reads.
type summary struct {
	Rows      int     `json:"rows"`
	Valid     int     `json:"valid"`
	Invalid   int     `json:"invalid"`
	Created   int     `json:"created"`
	Updated   int     `json:"updated"`
	Unchanged int     `json:"unchanged"`
	Failed    int     `json:"failed"`
	Requests  int     `json:"requests"`
	Throttled int     `json:"throttled"`
	DurationS float64 `json:"duration_s"`
	Stopped   string  `json:"stopped"`
	ExitCode  int     `json:"exit_code"`
}

func readSummary(path string) (summary, error) {
	var s summary
	data, err := os.ReadFile(path)
	if err != nil {
		return s, fmt.Errorf("read summary: %w", err)
	}
	if err := json.Unmarshal(data, &s); err != nil {
		return s, fmt.Errorf("read summary %s: %w", path, err)
	}
	return s, nil
}

// validate runs `devrev-import validate FILE --mapping FILE.yaml` and checks
// that every row was read and valid.
func (b *bench) validate(ctx context.Context, file string) (readRun, error) {
	sum := filepath.Join(b.cfg.Tmp, "validate.summary.json")
	args := []string{"validate", file, "--mapping", file + ".yaml",
		"--errors-csv", filepath.Join(b.cfg.Tmp, "validate.errors.csv"), "--summary-json", sum}
	b.note(nil, b.cfg.Bin, args...)
	_ = os.Remove(sum)
	p, err := runChild(ctx, b.cfg.Self, b.cfg.Tmp, nil, b.cfg.Bin, args...)
	if err != nil {
		return readRun{}, err
	}
	if err := p.expect("devrev-import validate "+file, 0); err != nil {
		return readRun{}, err
	}
	s, err := readSummary(sum)
	if err != nil {
		return readRun{}, err
	}
	if s.Invalid != 0 || s.Valid != s.Rows {
		return readRun{}, fmt.Errorf("validate %s: %d of %d rows invalid; the generated file should be all valid", file, s.Invalid, s.Rows)
	}
	return readRun{Name: "validate", Rows: s.Rows, Wall: p.Wall, CPU: p.CPU, MaxRSS: p.MaxRSS,
		Command: "devrev-import " + strings.Join(args, " ")}, nil
}

// sandboxEnv points devrev-import at a simulator.
func sandboxEnv(url string) []string {
	return []string{"DEVREV_ENDPOINT=" + url, "DEVREV_TOKEN=" + simulator.DefaultToken}
}

// importAndLoad runs pair i of the unlimited import and the bare load
// loop at w workers: the import first in even pairs, the loop first in
// odd ones, so that a machine slowing down or speeding up during the
// bench favours neither.
func (b *bench) importAndLoad(ctx context.Context, w, i int) (imp, ld importRun, err error) {
	c := b.cfg
	runImport := func() error {
		b.logf("unlimited import, %d workers, %d rows (%d of %d)", w, c.ImportRows, i+1, c.Repeat)
		imp, err = b.importUnlimited(ctx, w)
		return err
	}
	runLoad := func() error {
		b.logf("bare load loop, %d workers, %d rows (%d of %d)", w, c.ImportRows, i+1, c.Repeat)
		ld, err = b.load(ctx, w)
		return err
	}
	first, second := runImport, runLoad
	if i%2 == 1 {
		first, second = runLoad, runImport
	}
	if err := first(); err != nil {
		return imp, ld, err
	}
	return imp, ld, second()
}

// importArgs is the import command line for the bench.
func (b *bench) importArgs(workers int, checkpoint, sum string, extra ...string) []string {
	args := []string{"import", b.cfg.ImportFile, "--mapping", b.cfg.ImportFile + ".yaml"}
	if workers > 0 { // 0: the default (--workers not given)
		args = append(args, "--workers", strconv.Itoa(workers))
	}
	return append(append(args, "--rate", "auto", "--progress", "never",
		"--errors-csv", filepath.Join(b.cfg.Tmp, "import.errors.csv"),
		"--summary-json", sum, "--checkpoint", checkpoint), extra...)
}

// importUnlimited imports ImportRows rows (the import file must have exactly
// that many) into a fresh simulator without limit or latency.
func (b *bench) importUnlimited(ctx context.Context, workers int) (importRun, error) {
	return b.importUnlimitedIn(ctx, workers, b.cfg.Tmp)
}

// importUnlimitedIn is importUnlimited with the checkpoint in dir.
func (b *bench) importUnlimitedIn(ctx context.Context, workers int, dir string) (importRun, error) {
	sim, err := startSim(simulator.Options{})
	if err != nil {
		return importRun{}, err
	}
	defer sim.Close()
	ck := filepath.Join(dir, "devrev-import-bench.import.checkpoint.jsonl")
	defer removeCheckpoint(ck)
	b.note(nil, "# simulator served by benchtool in-process, as `devrev-import sandbox --limit 0 --latency 0`")
	sum := filepath.Join(b.cfg.Tmp, "import.summary.json")
	if err := removeCheckpoint(ck); err != nil {
		return importRun{}, err
	}
	args := b.importArgs(workers, ck, sum)
	env := sandboxEnv(sim.URL)
	b.note([]string{"DEVREV_ENDPOINT=http://127.0.0.1:PORT", "DEVREV_TOKEN=" + simulator.DefaultToken}, b.cfg.Bin, args...)
	p, err := runChild(ctx, b.cfg.Self, b.cfg.Tmp, env, b.cfg.Bin, args...)
	if err != nil {
		return importRun{}, err
	}
	if err := p.expect(fmt.Sprintf("import with %d workers", workers), 0); err != nil {
		return importRun{}, err
	}
	s, err := readSummary(sum)
	if err != nil {
		return importRun{}, err
	}
	st := sim.Stats()
	if s.Created != b.cfg.ImportRows || st.Creates != b.cfg.ImportRows {
		return importRun{}, fmt.Errorf("import with %d workers: created %d (simulator: %d), want %d; is -import-rows the file's row count?",
			workers, s.Created, st.Creates, b.cfg.ImportRows)
	}
	return importRun{Workers: workers, Created: st.Creates, Requests: st.Requests, Wall: p.Wall,
		Own: time.Duration(s.DurationS * float64(time.Second)), CPU: p.CPU, MaxRSS: p.MaxRSS}, nil
}

// autoLoadWorkers is the bare loop's concurrency beside an import with
// the default --workers auto: its cap, --max-workers' default, which the
// pool reaches against a simulator without limits.
const autoLoadWorkers = 64

// load runs the bare load loop against a fresh simulator (at
// autoLoadWorkers for 0).
func (b *bench) load(ctx context.Context, workers int) (importRun, error) {
	sim, err := startSim(simulator.Options{})
	if err != nil {
		return importRun{}, err
	}
	defer sim.Close()
	b.note(nil, "# simulator served by benchtool in-process, as `devrev-import sandbox --limit 0 --latency 0`")
	if workers == 0 {
		workers = autoLoadWorkers
	}
	args := []string{"load", "-url", sim.URL, "-workers", strconv.Itoa(workers), "-n", strconv.Itoa(b.cfg.ImportRows),
		"-file", b.cfg.ImportFile, "-mapping", b.cfg.ImportFile + ".yaml"}
	shown := slices.Clone(args)
	shown[2] = "http://127.0.0.1:PORT"
	b.note(nil, "benchtool", shown...)
	p, err := runChild(ctx, b.cfg.Self, b.cfg.Tmp, nil, b.cfg.Self, args...)
	if err != nil {
		return importRun{}, err
	}
	if err := p.expect(fmt.Sprintf("load with %d workers", workers), 0); err != nil {
		return importRun{}, err
	}
	var out loadResult
	if err := json.Unmarshal(p.Stdout, &out); err != nil {
		return importRun{}, fmt.Errorf("load: bad output %q: %w", tail(p.Stdout, 200), err)
	}
	if st := sim.Stats(); out.Created != b.cfg.ImportRows || st.Creates != b.cfg.ImportRows {
		return importRun{}, fmt.Errorf("load with %d workers: %d created (simulator: %d), want %d; answers %v",
			workers, out.Created, st.Creates, b.cfg.ImportRows, out.ByStatus)
	}
	return importRun{Workers: workers, Created: out.Created, Requests: out.Requests,
		Wall: time.Duration(out.Seconds * float64(time.Second)), Prep: time.Duration(out.PrepSeconds * float64(time.Second)),
		CPU: p.CPU, MaxRSS: p.MaxRSS}, nil
}

// importLimited imports for LimitedFor against a simulator with a window
// limit and latency, starting just after a window boundary so that the run
// covers LimitedFor/Window whole windows, with its checkpoint in dir.
func (b *bench) importLimited(ctx context.Context, label, dir string) (limitedRun, error) {
	c := b.cfg
	sim, err := startSim(simulator.Options{Limit: c.Limit, Window: c.Window, Latency: c.Latency})
	if err != nil {
		return limitedRun{}, err
	}
	defer sim.Close()
	ck := filepath.Join(dir, "devrev-import-bench.checkpoint.jsonl")
	sum := filepath.Join(c.Tmp, "limited.summary.json")
	if err := removeCheckpoint(ck); err != nil {
		return limitedRun{}, err
	}
	defer removeCheckpoint(ck)
	b.note(nil, fmt.Sprintf("# simulator served by benchtool in-process, as `devrev-import sandbox --limit %d --window %s --latency %s`; started just after a window boundary",
		c.Limit, c.Window, c.Latency))
	args := b.importArgs(c.LimitedWorkers, ck, sum, "--max-duration", c.LimitedFor.String())
	b.note([]string{"DEVREV_ENDPOINT=http://127.0.0.1:PORT", "DEVREV_TOKEN=" + simulator.DefaultToken}, c.Bin, args...)
	if err := sleepUntil(ctx, time.Now().Truncate(c.Window).Add(c.Window)); err != nil {
		return limitedRun{}, err
	}
	p, err := runChild(ctx, c.Self, c.Tmp, sandboxEnv(sim.URL), c.Bin, args...)
	if err != nil {
		return limitedRun{}, err
	}
	// 3: stopped by --max-duration (resumable); 0: the file ran out first.
	if err := p.expect("limited import", 0, 3); err != nil {
		return limitedRun{}, err
	}
	st := sim.Stats()
	return limitedRun{Label: label, Checkpoint: ck, Created: st.Creates, Requests: st.Requests,
		Throttled: st.Throttled, Early: st.Early, Exit: p.Exit, Wall: p.Wall,
		Win: perWindow(sim.Events(), c.Window)}, nil
}

// removeCheckpoint removes a journal and its lock from an earlier run.
func removeCheckpoint(path string) error {
	for _, p := range []string{path, path + ".lock"} {
		if err := os.Remove(p); err != nil && !os.IsNotExist(err) {
			return fmt.Errorf("remove old checkpoint: %w", err)
		}
	}
	return nil
}

// sleepUntil waits for t or ctx.
func sleepUntil(ctx context.Context, t time.Time) error {
	timer := time.NewTimer(time.Until(t))
	defer timer.Stop()
	select {
	case <-timer.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// warm reads a file once so that the first timed reader does not pay for
// a cold page cache that the next one gets for free.
func warm(path string) error {
	f, err := os.Open(path)
	if err != nil {
		return fmt.Errorf("warm %s: %w", path, err)
	}
	defer f.Close()
	if _, err := io.Copy(io.Discard, f); err != nil {
		return fmt.Errorf("warm %s: %w", path, err)
	}
	return nil
}

// shortPath shows a binary by its base name.
func shortPath(p string) string {
	if strings.ContainsRune(p, os.PathSeparator) {
		return filepath.Base(p)
	}
	return p
}

func perSecond(n int, d time.Duration) float64 {
	if d <= 0 {
		return 0
	}
	return float64(n) / d.Seconds()
}
