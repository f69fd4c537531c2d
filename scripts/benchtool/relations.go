package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"time"

	"github.com/devrev-import/devrev-import/importer/simulator"
)

// relationsCmd is `benchtool relations`: a Jira export with a hierarchy,
// blocks links and comments in Comment columns and a comments file (as
// `gendata jira` writes them: FILE, FILE.comments.csv, FILE.yaml)
// imported to the end against a rate-limited simulator, printed as
// JSON: works, links and comments per second and the share of the allowed
// rate the run used, over the whole run and over its second phase (the
// links and comments).
func relationsCmd(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("relations", flag.ContinueOnError)
	fs.SetOutput(stderr)
	bin := fs.String("bin", "./devrev-import", "devrev-import binary")
	file := fs.String("file", "", "the export (`gendata jira -out FILE`; its comments in FILE.comments.csv, mapping FILE.yaml)")
	limit := fs.Int("limit", 300, "requests per window")
	window := fs.Duration("window", 3*time.Second, "window")
	latency := fs.Duration("latency", 80*time.Millisecond, "simulator latency")
	workers := fs.Int("workers", 0, "import --workers (0: not given, the default)")
	tmp := fs.String("tmp", "bench-data/tmp", "scratch directory")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 || *file == "" {
		return fmt.Errorf("relations: -file is required")
	}
	self, err := os.Executable()
	if err != nil {
		return fmt.Errorf("relations: find own binary: %w", err)
	}
	if err := os.MkdirAll(*tmp, 0o755); err != nil {
		return fmt.Errorf("relations: %w", err)
	}
	main, comments, mapping := *file, *file+".comments.csv", *file+".yaml"
	sim, err := startSim(simulator.Options{Limit: *limit, Window: *window, Latency: *latency})
	if err != nil {
		return err
	}
	defer sim.Close()
	ck := filepath.Join(*tmp, "jira.checkpoint.jsonl")
	if err := removeCheckpoint(ck); err != nil {
		return err
	}
	defer removeCheckpoint(ck)
	cmd := []string{"import", main, "--mapping", mapping, "--comments", comments, "--rate", "auto", "--progress", "never",
		"--checkpoint", ck, "--errors-csv", filepath.Join(*tmp, "jira.errors.csv"), "--summary-json", filepath.Join(*tmp, "jira.summary.json")}
	if *workers > 0 {
		cmd = append(cmd, "--workers", fmt.Sprint(*workers))
	}
	if err := sleepUntil(ctx, time.Now().Truncate(*window).Add(*window)); err != nil {
		return err
	}
	p, err := runChild(ctx, self, *tmp, sandboxEnv(sim.URL), *bin, cmd...)
	if err != nil {
		return err
	}
	if err := p.expect("relations import", 0); err != nil {
		return err
	}
	st := sim.Stats()
	res := relationsResult{Command: fmt.Sprintf("benchtool relations -file %s -limit %d -window %s -latency %s", filepath.Base(*file), *limit, *window, *latency),
		Works: st.Creates, Links: len(sim.Links()), Comments: len(sim.Comments()), Throttled: st.Throttled, Early: st.Early, Wall: p.Wall.Seconds()}
	res.phases(sim.Events(), *window, *limit)
	return printJSON(stdout, res)
}

// relationsResult is what `benchtool relations` prints.
type relationsResult struct {
	Command                    string
	Works, Links, Comments     int
	Throttled, Early           int
	Wall                       float64 // seconds, the child's
	WorksPerS, RelationsPerS   float64 // works.create 201s per second of the first phase; links and comments per second of the second
	LinksPerS, CommentsPerS    float64
	WholePct, SecondPhasePct   float64 // requests the limit let through in the full windows, % of limit × windows
	WholeWindows, PhaseWindows int
	PhaseStart                 float64 // seconds from the first answer to the first link or comment answer
}

// phases fills in the rates and shares from the simulator's answers. A
// window is full when the run was inside it from start to end: strictly
// after the first one and before the last (for the second phase: after
// the one in which it began).
func (res *relationsResult) phases(events []event, window time.Duration, limit int) {
	if len(events) == 0 {
		return
	}
	idx := func(t time.Time) int64 { return t.UnixNano() / window.Nanoseconds() }
	first, last := events[0].At, events[0].At
	var phase2 time.Time
	per := map[int64]int{}
	var works, rels, links, comments int
	var lastWork time.Time
	for _, e := range events {
		if e.At.Before(first) {
			first = e.At
		}
		if e.At.After(last) {
			last = e.At
		}
		if e.Status != http.StatusTooManyRequests {
			per[idx(e.At)]++
		}
		ok := e.Status/100 == 2
		switch e.Path {
		case "/works.create":
			if ok {
				works++
				lastWork = e.At
			}
		case "/links.create", "/timeline-entries.create":
			if phase2.IsZero() || e.At.Before(phase2) {
				phase2 = e.At
			}
			if ok {
				rels++
				if e.Path == "/links.create" {
					links++
				} else {
					comments++
				}
			}
		}
	}
	share := func(from, to int64) (float64, int) {
		n, w := 0, 0
		for i := from + 1; i < to; i++ {
			n += per[i]
			w++
		}
		if w == 0 {
			return 0, 0
		}
		return 100 * float64(n) / float64(w*limit), w
	}
	res.WholePct, res.WholeWindows = share(idx(first), idx(last))
	if phase2.IsZero() {
		return
	}
	res.SecondPhasePct, res.PhaseWindows = share(idx(phase2), idx(last))
	res.PhaseStart = phase2.Sub(first).Seconds()
	res.WorksPerS = perSecond(works, lastWork.Sub(first))
	d := last.Sub(phase2)
	res.RelationsPerS, res.LinksPerS, res.CommentsPerS = perSecond(rels, d), perSecond(links, d), perSecond(comments, d)
}
