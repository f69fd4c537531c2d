package report

import (
	"fmt"
	"math"
	"strings"
	"time"
	"unicode/utf8"
)

// The charts are inline SVG whose geometry is computed here, so that the
// template only places numbers and escaped text, and the page needs no
// script.

// Geometry of the works-per-minute chart (SVG user units).
const (
	runW, runH             = 960.0, 270.0
	runX0, runX1           = 64.0, 944.0
	runY0, runY1           = 16.0, 226.0
	maxBuckets             = 60
	problemRowH            = 30.0
	problemLabelW          = 560.0
	problemBarX0, problemW = 572.0, 960.0
)

// bucketSteps are the bar widths a run chart may use, in seconds: the
// smallest that gives at most maxBuckets bars wins.
var bucketSteps = []int64{1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 10800, 21600, 43200, 86400}

// RunChart is the works-per-minute chart of one run.
type RunChart struct {
	N                   int
	Start, End          time.Time
	Duration, Step      string
	Created, Failed     int
	Sent                int
	PauseCount          int
	Paused, Threshold   string
	PausesHidden        int
	Empty               bool
	W, H                float64
	X0, X1, Y0, Y1      float64
	Bars                []Bar
	XTicks, YTicks      []Tick
	Pauses              []PauseBox
	YMax                float64
	PeakPerMin, AvgRate float64
}

// Bar is one time step: works created (and failed) in it, as a rate per
// minute.
type Bar struct {
	X, W               float64
	Y, H, FailY, FailH float64
	From               string // RFC 3339, for data-from
	Created, Failed    int
	PerMinute          float64
	Label              string // tooltip
}

// Tick is an axis label.
type Tick struct {
	Pos    float64
	Label  string
	Anchor string // text-anchor of an x-axis label: the last one ends at the edge
}

// PauseBox marks a pause on a run chart.
type PauseBox struct {
	X, W     float64
	From, To string // RFC 3339
	Seconds  float64
	Label    string
}

// runChart lays out the chart of one run.
func runChart(r *RunTimes) RunChart {
	c := RunChart{N: r.N, Start: r.Start, End: r.End, Duration: humanDuration(r.Duration()), Sent: r.Sent,
		PauseCount: r.PauseCount, Paused: humanDuration(r.Paused), Threshold: humanDuration(r.PauseThreshold), PausesHidden: r.PauseCount - len(r.Pauses),
		W: runW, H: runH, X0: runX0, X1: runX1, Y0: runY0, Y1: runY1}
	step := chooseStep(r.Start, r.End)
	t0 := floorDiv(r.Start.Unix(), step) * step
	t1 := (floorDiv(r.End.Unix(), step) + 1) * step
	n := int((t1 - t0) / step)
	c.Step = stepName(step)
	created, failed := make([]int, n), make([]int, n)
	for sec, k := range r.Created {
		created[bucketOf(sec, t0, step, n)] += k
		c.Created += k
	}
	for sec, k := range r.Failed {
		failed[bucketOf(sec, t0, step, n)] += k
		c.Failed += k
	}
	c.Empty = c.Created+c.Failed == 0
	perMin := 60 / float64(step)
	peak := 0.0
	for i := range n {
		peak = math.Max(peak, float64(created[i]+failed[i])*perMin)
	}
	c.PeakPerMin = peak
	if m := r.Duration().Minutes(); m > 0 {
		c.AvgRate = float64(c.Created) / m
	}
	ticks := niceTicks(peak)
	c.YMax = ticks[len(ticks)-1]
	yOf := func(v float64) float64 { return runY1 - v/c.YMax*(runY1-runY0) }
	for _, v := range ticks {
		c.YTicks = append(c.YTicks, Tick{Pos: yOf(v), Label: formatNumber(v)})
	}
	span := float64(t1 - t0)
	xOf := func(t time.Time) float64 {
		return runX0 + (float64(t.UnixNano())/1e9-float64(t0))/span*(runX1-runX0)
	}
	bw := (runX1 - runX0) / float64(n)
	for i := range n {
		from := time.Unix(t0+int64(i)*step, 0).UTC()
		b := Bar{X: runX0 + float64(i)*bw + bw*0.12, W: bw * 0.76, From: from.Format(time.RFC3339),
			Created: created[i], Failed: failed[i], PerMinute: float64(created[i]) * perMin}
		b.Y = yOf(float64(created[i]) * perMin)
		b.H = runY1 - b.Y
		b.FailY = yOf(float64(created[i]+failed[i]) * perMin)
		b.FailH = b.Y - b.FailY
		b.Label = fmt.Sprintf("%s–%s UTC: %d created, %d failed (%s works/min)", clock(from, step), clock(from.Add(time.Duration(step)*time.Second), step),
			created[i], failed[i], formatNumber(b.PerMinute))
		c.Bars = append(c.Bars, b)
	}
	every := (n + 5) / 6
	for i := 0; i <= n; i += every {
		t := Tick{Pos: runX0 + float64(i)*bw, Label: clock(time.Unix(t0+int64(i)*step, 0).UTC(), step), Anchor: "middle"}
		if runX1-t.Pos < 30 {
			t.Anchor = "end"
		}
		c.XTicks = append(c.XTicks, t)
	}
	for _, p := range r.Pauses {
		x := xOf(p.From)
		box := PauseBox{X: x, W: math.Max(2, xOf(p.To)-x), From: p.From.UTC().Format(time.RFC3339Nano), To: p.To.UTC().Format(time.RFC3339Nano),
			Seconds: math.Round(p.Duration().Seconds()*10) / 10}
		box.Label = fmt.Sprintf("no request sent for %s (%s – %s UTC)", humanDuration(p.Duration()),
			p.From.UTC().Format("15:04:05"), p.To.UTC().Format("15:04:05"))
		c.Pauses = append(c.Pauses, box)
	}
	return c
}

func chooseStep(start, end time.Time) int64 {
	span := end.Unix() - start.Unix() + 1
	for _, s := range bucketSteps {
		if (span+s-1)/s < maxBuckets {
			return s
		}
	}
	return (span + maxBuckets - 1) / maxBuckets
}

func bucketOf(sec, t0, step int64, n int) int {
	return min(max(int((sec-t0)/step), 0), n-1)
}

func floorDiv(a, b int64) int64 {
	q := a / b
	if a%b != 0 && a < 0 {
		q--
	}
	return q
}

// stepName names a bucket width: "1-second", "5-minute".
func stepName(step int64) string {
	switch {
	case step%3600 == 0:
		return pluralUnit(step/3600, "hour")
	case step%60 == 0:
		return pluralUnit(step/60, "minute")
	}
	return pluralUnit(step, "second")
}

func pluralUnit(n int64, unit string) string { return fmt.Sprintf("%d-%s", n, unit) }

// clock formats an axis time at the chart's resolution.
func clock(t time.Time, step int64) string {
	if step < 60 {
		return t.Format("15:04:05")
	}
	if step >= 3600 {
		return t.Format("Jan 2 15:04")
	}
	return t.Format("15:04")
}

// niceTicks returns 0 and round values up to at least max (4 or 5 steps).
func niceTicks(max float64) []float64 {
	if max <= 0 {
		return []float64{0, 1}
	}
	raw := max / 4
	mag := math.Pow(10, math.Floor(math.Log10(raw)))
	step := mag
	for _, m := range []float64{1, 2, 2.5, 5, 10} {
		if m*mag >= raw {
			step = m * mag
			break
		}
	}
	var out []float64
	for v := 0.0; ; v += step {
		out = append(out, v)
		if v >= max-1e-9 {
			return out
		}
	}
}

// formatNumber prints a tick or rate: whole numbers (and anything from
// 100 up) with separators, else one decimal.
func formatNumber(v float64) string {
	if math.Abs(v) >= 1e15 {
		return fmt.Sprintf("%.3g", v)
	}
	if v == math.Trunc(v) || math.Abs(v) >= 100 {
		return Thousands(int(math.Round(v)))
	}
	return fmt.Sprintf("%.1f", v)
}

// StackedBar is the one-line picture of the outcome of every row.
type StackedBar struct {
	W, H     float64
	Segments []Segment
}

// Segment is one outcome's share of the stacked bar.
type Segment struct {
	Class, Label string
	Count        int
	X, W         float64
}

func outcomeBar(t Totals) StackedBar {
	b := StackedBar{W: 960, H: 30}
	parts := []Segment{{Class: "created", Label: "created", Count: t.Created}, {Class: "found", Label: "found in DevRev", Count: t.Found}, {Class: "invalid", Label: "invalid", Count: t.Invalid},
		{Class: "failed", Label: "failed", Count: t.Failed}, {Class: "doubt", Label: "in doubt", Count: t.InDoubt},
		{Class: "deleted", Label: "deleted (undone)", Count: t.Deleted}}
	total := 0
	for _, p := range parts {
		total += p.Count
	}
	x := 0.0
	for _, p := range parts {
		if p.Count == 0 {
			continue
		}
		p.X, p.W = x, b.W*float64(p.Count)/float64(total)
		x += p.W
		b.Segments = append(b.Segments, p)
	}
	return b
}

// BarChart is the problems chart: one horizontal bar per group.
type BarChart struct {
	W, H    float64
	Bars    []ProblemBar
	Max     int
	Grouped int // groups folded into the last bar
}

// ProblemBar is one group's bar.
type ProblemBar struct {
	ProblemGroup
	Y, TextY, BarW, CountX float64
	ShortColumn, ShortRule string // shortened for display; the group keeps the full text
	Title                  string
}

func problemChart(groups []ProblemGroup) BarChart {
	c := BarChart{W: problemW}
	if len(groups) > maxProblemBars {
		rest := ProblemGroup{Column: "other", Rule: fmt.Sprintf("%d more kinds of problem", len(groups)-maxProblemBars+1)}
		for _, g := range groups[maxProblemBars-1:] {
			rest.Count += g.Count
		}
		c.Grouped = len(groups) - maxProblemBars + 1
		groups = append(groups[:maxProblemBars-1:maxProblemBars-1], rest)
	}
	for _, g := range groups {
		c.Max = max(c.Max, g.Count)
	}
	barSpace := problemW - problemBarX0 - 70
	for i, g := range groups {
		y := float64(i)*problemRowH + 6
		col := shorten(g.Column, 34)
		rule := shorten(g.Rule, 68-utf8.RuneCountInString(col))
		w := math.Max(2, barSpace*float64(g.Count)/float64(c.Max))
		title := fmt.Sprintf("%s: %s: %s rows", g.Column, g.Rule, Thousands(g.Count))
		if len(g.Rows) > 0 {
			title += " (rows " + joinInts(g.Rows)
			if g.Count > len(g.Rows) {
				title += ", …"
			}
			title += ")"
		}
		c.Bars = append(c.Bars, ProblemBar{ProblemGroup: g, Y: y, TextY: y + 15, BarW: w, CountX: problemBarX0 + w + 8,
			ShortColumn: col, ShortRule: rule, Title: title})
	}
	c.H = float64(len(groups))*problemRowH + 8
	return c
}

// shorten cuts s to at most n runes, ending in "…".
func shorten(s string, n int) string {
	s = strings.Join(strings.Fields(s), " ")
	if n < 8 {
		n = 8
	}
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	r := []rune(s)
	return string(r[:n-1]) + "…"
}

func joinInts(v []int) string {
	parts := make([]string, len(v))
	for i, n := range v {
		parts[i] = fmt.Sprint(n)
	}
	return strings.Join(parts, ", ")
}
