package report

import (
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/devrev-import/devrev-import/importer/checkpoint"
)

// Limits that keep the page readable (and its size bounded) for a
// million-row journal; the page says when it shows less than there is.
const (
	maxRunCharts   = 10  // the most recent runs get a chart each
	maxProblemBars = 20  // the most frequent groups; the rest are one bar
	maxFailedRows  = 500 // rows listed with their messages
)

// Page is everything the HTML report shows. Every string in it may come
// from the input file or the API; the template escapes them all.
type Page struct {
	Checkpoint, Input, Tool string
	Endpoint, Org           string // where the works were created, when recorded
	InputSize               int64
	Started                 time.Time // when the journal was created
	Generated               time.Time

	Totals     Totals
	Outcome    StackedBar
	Runs       []RunChart
	RunsHidden int // older runs without a chart

	Problems      BarChart
	ProblemGroups int

	Failed       []FailedRow
	FailedTotal  int
	FailedHidden int
}

// Totals are the page's headline figures. Found counts the rows whose
// work was found in DevRev rather than created; Updated the works whose
// last update was performed, Unchanged the found ones never updated.
type Totals struct {
	Keys, Created, Invalid, Failed, InDoubt, Deleted int
	Found, Updated, Unchanged                        int
	Runs                                             int
	Writing                                          time.Duration // sum of the runs' durations
	Sent, Pauses                                     int
	Paused                                           time.Duration
	PerMinute                                        float64 // works created per minute of writing
}

// FailedRow is one row that needs a person: invalid, failed or in doubt.
type FailedRow struct {
	Row      int
	Key      string
	Status   string // "invalid", "failed", "in doubt"
	Messages []string
}

// BuildPage gathers the page of the checkpoint at ckPath from what
// checkpoint.Read returned and the journal's timeline.
func BuildPage(ckPath string, hdr checkpoint.Header, st *checkpoint.State, runs []*RunTimes, now time.Time) Page {
	p := Page{Checkpoint: ckPath, Input: hdr.Input, Tool: hdr.Tool, Endpoint: hdr.Endpoint, Org: hdr.Org,
		InputSize: hdr.Size, Started: hdr.Created, Generated: now}
	c := st.Counts()
	p.Totals = Totals{Keys: st.Len(), Created: c[checkpoint.Created], Invalid: c[checkpoint.Invalid],
		Failed: c[checkpoint.Failed], InDoubt: c[checkpoint.Sending], Deleted: c[checkpoint.Deleted], Runs: len(runs),
		Found: c[checkpoint.Found] + c[checkpoint.Updating] + c[checkpoint.Updated]}
	if u, ok := CheckpointOps(st)[string(checkpoint.OpUpdate)]; ok {
		p.Totals.Updated, p.Totals.Unchanged = u.Done, u.Unchanged
	}
	for _, r := range runs {
		p.Totals.Writing += r.Duration()
		p.Totals.Sent += r.Sent
		p.Totals.Pauses += r.PauseCount
		p.Totals.Paused += r.Paused
	}
	if m := p.Totals.Writing.Minutes(); m > 0 {
		created := 0
		for _, r := range runs {
			for _, n := range r.Created {
				created += n
			}
		}
		p.Totals.PerMinute = float64(created) / m
	}
	p.Outcome = outcomeBar(p.Totals)

	shown := runs
	if len(shown) > maxRunCharts {
		p.RunsHidden = len(shown) - maxRunCharts
		shown = shown[len(shown)-maxRunCharts:]
	}
	for _, r := range shown {
		p.Runs = append(p.Runs, runChart(r))
	}

	groups := groupProblems(st)
	p.ProblemGroups = len(groups)
	p.Problems = problemChart(groups)
	p.Failed, p.FailedTotal = failedRows(st)
	p.FailedHidden = p.FailedTotal - len(p.Failed)
	return p
}

// failedRows lists, by row number, the rows that need a person: the first
// maxFailedRows of them, and how many there are.
func failedRows(st *checkpoint.State) ([]FailedRow, int) {
	var rows []FailedRow
	st.Each(func(e checkpoint.Entry) bool {
		var fr FailedRow
		switch e.Status {
		case checkpoint.Invalid:
			fr = FailedRow{Status: "invalid", Messages: e.Errors}
		case checkpoint.Failed:
			_, rule := classifyFailed(e)
			msg := rule
			if e.Error != nil && e.Error.Message != "" {
				msg += ": " + e.Error.Message
			}
			fr = FailedRow{Status: "failed", Messages: []string{msg}}
		case checkpoint.Sending:
			fr = FailedRow{Status: "in doubt", Messages: []string{"the request was sent at " +
				e.TS.UTC().Format("2006-01-02 15:04:05 UTC") + " and no answer was recorded; the next import run looks it up before sending again"}}
		default:
			return true
		}
		fr.Row, fr.Key = e.Row, e.Key
		rows = append(rows, fr)
		return true
	})
	sort.SliceStable(rows, func(i, j int) bool { return rows[i].Row < rows[j].Row })
	total := len(rows)
	if len(rows) > maxFailedRows {
		rows = rows[:maxFailedRows]
	}
	return rows, total
}

// humanDuration renders d for a person: "850 ms", "6.2 s", "4 min 10 s", "3 h 05 min".
func humanDuration(d time.Duration) string {
	switch {
	case d < time.Second:
		return fmt.Sprintf("%d ms", d.Milliseconds())
	case d < 10*time.Second:
		return strings.Replace(fmt.Sprintf("%.1f s", d.Seconds()), ".0 s", " s", 1)
	case d < time.Minute:
		return fmt.Sprintf("%.0f s", d.Seconds())
	case d < time.Hour:
		d = d.Round(time.Second)
		return fmt.Sprintf("%d min %02d s", d/time.Minute, d%time.Minute/time.Second)
	default:
		d = d.Round(time.Minute)
		return fmt.Sprintf("%d h %02d min", d/time.Hour, d%time.Hour/time.Minute)
	}
}
