package main

import (
	"context"
	"encoding/csv"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"time"

	"github.com/devrev-import/devrev-import/importer/simulator"
)

// relationsCmd is `benchtool relations`: a Jira-shaped export with a
// hierarchy, blocks links and comments (in Comment columns and a comments
// file) imported to the end against a rate-limited simulator, printed as
// JSON: works, links and comments per second and the share of the allowed
// rate the run used, over the whole run and over its second phase (the
// links and comments).
func relationsCmd(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("relations", flag.ContinueOnError)
	fs.SetOutput(stderr)
	bin := fs.String("bin", "./devrev-import", "devrev-import binary")
	rows := fs.Int("rows", 1000, "issues in the export (about 1.4 links and 2.3 comments each)")
	limit := fs.Int("limit", 300, "requests per window")
	window := fs.Duration("window", 3*time.Second, "window")
	latency := fs.Duration("latency", 80*time.Millisecond, "simulator latency")
	workers := fs.Int("workers", 0, "import --workers (0: not given, the default)")
	tmp := fs.String("tmp", "bench-data/tmp", "scratch directory")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 || *rows < 30 {
		return fmt.Errorf("relations: unexpected arguments, or -rows under 30")
	}
	self, err := os.Executable()
	if err != nil {
		return fmt.Errorf("relations: find own binary: %w", err)
	}
	if err := os.MkdirAll(*tmp, 0o755); err != nil {
		return fmt.Errorf("relations: %w", err)
	}
	main, comments, mapping := filepath.Join(*tmp, "jira.csv"), filepath.Join(*tmp, "jira-comments.csv"), filepath.Join(*tmp, "jira.yaml")
	if err := writeJira(*rows, main, comments, mapping); err != nil {
		return err
	}
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
	res := relationsResult{Command: fmt.Sprintf("benchtool relations -rows %d -limit %d -window %s -latency %s", *rows, *limit, *window, *latency),
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

// jiraYAML maps writeJira's export as samples/jira-hierarchy.yaml does.
const jiraYAML = `type: issue
key: Issue key
columns:
  Summary: title
  Issue key: custom_fields.tnt__external_id
  Parent: {link: parent, by: Issue id}
  Outward issue link (Blocks): {link: is_dependent_on, reverse: true}
  Comment: {comment: jira}
comments: {key: Issue key, body: Body, id: Comment id, author: Author, date: Created, format: "2006-01-02 15:04"}
defaults:
  owned_by: [DEVU-1]
  applies_to_part: PROD-1
ignore: [Issue id]
`

// writeJira writes an export of n issues (a thirtieth epics, three tenths
// stories under them, the rest sub-tasks under the stories, newest first;
// every third blocks the next; every sixth has two comments in Comment
// columns), a comments file of 2n comments sorted by date (every issue's
// spread over it) and their mapping.
func writeJira(n int, main, comments, mapping string) error {
	epics, stories := n/30, n*3/10
	parent := func(i int) string {
		switch {
		case i < epics:
			return ""
		case i < epics+stories:
			return fmt.Sprint(10001 + i%epics)
		}
		return fmt.Sprint(10001 + epics + i%stories)
	}
	var recs [][]string
	for i := n - 1; i >= 0; i-- {
		r := []string{fmt.Sprintf("Issue %d", i+1), fmt.Sprintf("PROJ-%d", i+1), fmt.Sprint(10001 + i), parent(i), "", "", ""}
		if i%3 == 0 && i+1 < n {
			r[4] = fmt.Sprintf("PROJ-%d", i+2)
		}
		if i%6 == 0 {
			r[5] = "04/Mar/24 9:12 AM;alice@example.com;Scope agreed; see the notes."
			r[6] = "05/Mar/24 2:30 PM;bob@example.com;Done."
		}
		recs = append(recs, r)
	}
	if err := writeCSV(main, []string{"Summary", "Issue key", "Issue id", "Parent", "Outward issue link (Blocks)", "Comment", "Comment"}, recs); err != nil {
		return err
	}
	recs = recs[:0]
	start := time.Date(2024, 4, 1, 8, 0, 0, 0, time.UTC)
	for j := range 2 * n {
		recs = append(recs, []string{fmt.Sprint(50001 + j), fmt.Sprintf("PROJ-%d", 1+(j*7919)%n), "carol@example.com",
			start.Add(time.Duration(j) * time.Minute).Format("2006-01-02 15:04"), fmt.Sprintf("Comment %d", j+1)})
	}
	if err := writeCSV(comments, []string{"Comment id", "Issue key", "Author", "Created", "Body"}, recs); err != nil {
		return err
	}
	if err := os.WriteFile(mapping, []byte(jiraYAML), 0o644); err != nil {
		return fmt.Errorf("relations: %w", err)
	}
	return nil
}

// writeCSV writes a header and records to path.
func writeCSV(path string, header []string, recs [][]string) error {
	f, err := os.Create(path)
	if err != nil {
		return fmt.Errorf("relations: %w", err)
	}
	w := csv.NewWriter(f)
	_ = w.Write(header)
	_ = w.WriteAll(recs)
	if err := f.Close(); err != nil {
		return fmt.Errorf("relations: %w", err)
	}
	if err := w.Error(); err != nil {
		return fmt.Errorf("relations: %s: %w", path, err)
	}
	return nil
}
