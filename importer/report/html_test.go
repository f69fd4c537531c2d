package report

import (
	"bytes"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"golang.org/x/net/html"

	"github.com/devrev-import/devrev-import/importer/checkpoint"
	"github.com/devrev-import/devrev-import/importer/throttle/throttletest"
)

// hostile is text a file or the API could put into a message, a key or a
// header: markup, both quotes, an entity.
const hostile = `<script>alert('x')</script>"&amp;`

var t0 = time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)

func at(s float64) time.Time { return t0.Add(time.Duration(s * float64(time.Second))) }

// writeJournal writes a journal with known times: two invalid rows, ten
// works created one a second, a 10 s stretch with no request, two more,
// one row the API refused and one left in doubt.
func writeJournal(t *testing.T) string {
	t.Helper()
	path, j, add := openTestJournal(t)
	add(checkpoint.Entry{Row: 2, Key: "K2", Status: checkpoint.Invalid, TS: at(0.1),
		Errors: []string{`/data/t.csv:2 column "Subject" (title): required field is empty`}})
	add(checkpoint.Entry{Row: 3, Key: "K3", Status: checkpoint.Invalid, TS: at(0.1),
		Errors: []string{`/data/t.csv:3 column ` + strconv.Quote("Prio"+hostile) + ` (severity): ` + strconv.Quote(hostile) + ` is not one of a, b`}})
	created := func(row int, s float64) {
		k := "K" + strconv.Itoa(row)
		add(checkpoint.Entry{Row: row, Key: k, Status: checkpoint.Sending, TS: at(s), Attempt: 1})
		add(checkpoint.Entry{Row: row, Key: k, Status: checkpoint.Created, TS: at(s + 0.2), ID: "don:w/" + k, DisplayID: "TKT-" + k, Type: "ticket"})
	}
	for i := range 10 {
		created(4+i, float64(1+i))
	}
	created(14, 20) // 10 s after the last request
	created(15, 21)
	add(checkpoint.Entry{Row: 16, Key: "K16", Status: checkpoint.Sending, TS: at(22), Attempt: 1})
	add(checkpoint.Entry{Row: 16, Key: "K16", Status: checkpoint.Failed, TS: at(22.5), HTTPStatus: 400,
		Error: &checkpoint.ErrorInfo{Type: "invalid_id", Message: `applies_to_part: invalid ID "PROD-99": ` + hostile}, Attempts: 1})
	add(checkpoint.Entry{Row: 17, Key: hostile, Status: checkpoint.Sending, TS: at(23), Attempt: 1})
	if err := j.Close(); err != nil {
		t.Fatal(err)
	}
	return path
}

// openTestJournal opens a new journal for /data/t.csv on a clock stopped
// at t0; add appends an entry, failing the test on error.
func openTestJournal(t *testing.T) (string, *checkpoint.Journal, func(checkpoint.Entry)) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "t.csv.checkpoint.jsonl")
	j, _, _, err := checkpoint.Open(path, checkpoint.Header{Input: "/data/t.csv", Size: 1234, MappingHash: "sha256:x", Tool: "devrev-import/test", Created: t0},
		checkpoint.Options{SyncEvery: -1, Clock: throttletest.ClockFunc(func() time.Time { return t0 })})
	if err != nil {
		t.Fatal(err)
	}
	return path, j, func(e checkpoint.Entry) {
		t.Helper()
		if err := j.Append(e); err != nil {
			t.Fatal(err)
		}
	}
}

// renderPage renders the HTML report of the journal at path.
func renderPage(t *testing.T, path string) (string, *html.Node) {
	t.Helper()
	hdr, st, _, err := checkpoint.Read(path)
	if err != nil {
		t.Fatal(err)
	}
	runs, err := ReadTimeline(path)
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if err := WriteHTML(&buf, BuildPage(path, hdr, st, runs, t0.Add(time.Hour))); err != nil {
		t.Fatal(err)
	}
	doc, err := html.Parse(bytes.NewReader(buf.Bytes()))
	if err != nil {
		t.Fatal(err)
	}
	return buf.String(), doc
}

// Helpers over the parsed page.

func attr(n *html.Node, key string) (string, bool) {
	for _, a := range n.Attr {
		if a.Key == key {
			return a.Val, true
		}
	}
	return "", false
}

func hasClass(n *html.Node, c string) bool {
	v, _ := attr(n, "class")
	for _, f := range strings.Fields(v) {
		if f == c {
			return true
		}
	}
	return false
}

// findAll returns every element under n for which ok is true, in document order.
func findAll(n *html.Node, ok func(*html.Node) bool) []*html.Node {
	var out []*html.Node
	for d := range n.Descendants() {
		if d.Type == html.ElementNode && ok(d) {
			out = append(out, d)
		}
	}
	return out
}

func byTag(tag string, classes ...string) func(*html.Node) bool {
	return func(n *html.Node) bool {
		if n.Data != tag {
			return false
		}
		for _, c := range classes {
			if !hasClass(n, c) {
				return false
			}
		}
		return true
	}
}

func withAttr(key string) func(*html.Node) bool {
	return func(n *html.Node) bool { _, ok := attr(n, key); return ok }
}

func text(n *html.Node) string {
	var b strings.Builder
	for d := range n.Descendants() {
		if d.Type == html.TextNode {
			b.WriteString(d.Data)
		}
	}
	return b.String()
}

func intAttr(t *testing.T, n *html.Node, key string) int {
	t.Helper()
	v, _ := attr(n, key)
	i, err := strconv.Atoi(v)
	if err != nil {
		t.Fatalf("<%s %s=%q>: %v", n.Data, key, v, err)
	}
	return i
}

func totals(t *testing.T, doc *html.Node) map[string]int {
	t.Helper()
	out := map[string]int{}
	for _, n := range findAll(doc, withAttr("data-total")) {
		k, _ := attr(n, "data-total")
		if _, ok := attr(n, "data-value"); ok && k != "per-minute" {
			out[k] = intAttr(t, n, "data-value")
		}
	}
	return out
}

func TestHTMLReport(t *testing.T) {
	raw, doc := renderPage(t, writeJournal(t))

	want := map[string]int{"rows": 16, "created": 12, "invalid": 2, "failed": 1, "in-doubt": 1, "runs": 1, "pauses": 1}
	got := totals(t, doc)
	for k, v := range want {
		if got[k] != v {
			t.Errorf("total %s = %d, want %d (all: %v)", k, got[k], v, got)
		}
	}

	charts := findAll(doc, byTag("svg", "works"))
	if len(charts) != 1 {
		t.Fatalf("%d works-per-minute charts, want 1", len(charts))
	}
	var createdSum, failedSum int
	for _, g := range findAll(charts[0], byTag("g", "bar")) {
		createdSum += intAttr(t, g, "data-created")
		failedSum += intAttr(t, g, "data-failed")
	}
	if createdSum != 12 || failedSum != 1 {
		t.Errorf("bars add up to %d created, %d failed; want 12 and 1", createdSum, failedSum)
	}
	pauses := findAll(charts[0], byTag("rect", "pause"))
	if len(pauses) != 1 {
		t.Fatalf("%d pauses drawn, want 1", len(pauses))
	}
	from, _ := attr(pauses[0], "data-from")
	secs, _ := attr(pauses[0], "data-seconds")
	if from != at(10).Format(time.RFC3339Nano) || secs != "10" {
		t.Errorf("pause from %s for %s s, want from %s for 10 s", from, secs, at(10).Format(time.RFC3339Nano))
	}

	problems := findAll(doc, byTag("g", "problem"))
	wantProblems := map[string]int{
		"Subject (title)|required field is empty":           1,
		"Prio" + hostile + " (severity)|is not one of a, b": 1,
		"applies_to_part|HTTP 400 invalid_id":               1,
	}
	if len(problems) != len(wantProblems) {
		t.Errorf("%d problem bars, want %d", len(problems), len(wantProblems))
	}
	for _, g := range problems {
		col, _ := attr(g, "data-column")
		rule, _ := attr(g, "data-rule")
		if n, ok := wantProblems[col+"|"+rule]; !ok || n != intAttr(t, g, "data-count") {
			t.Errorf("unexpected problem bar %q / %q (%d)", col, rule, intAttr(t, g, "data-count"))
		}
	}

	rows := findAll(doc, byTag("tr"))
	var listed []string
	for _, r := range rows {
		if row, ok := attr(r, "data-row"); ok {
			st, _ := attr(r, "data-status")
			listed = append(listed, row+" "+st)
		}
	}
	if strings.Join(listed, ",") != "2 invalid,3 invalid,16 failed,17 in doubt" {
		t.Errorf("failed rows listed: %v", listed)
	}
	for _, r := range rows {
		if row, _ := attr(r, "data-row"); row == "16" && !strings.Contains(text(r), `HTTP 400 invalid_id: applies_to_part: invalid ID "PROD-99": `+hostile) {
			t.Errorf("row 16 does not show the API's message: %q", text(r))
		}
		if row, _ := attr(r, "data-row"); row == "17" && !strings.Contains(text(r), hostile) {
			t.Errorf("row 17 does not show its key as text: %q", text(r))
		}
	}

	// Hostile text stays text: no element came from it, and the raw page
	// never has it unescaped.
	if s := findAll(doc, byTag("script")); len(s) != 0 {
		t.Errorf("the page has %d <script> elements", len(s))
	}
	if strings.Contains(raw, "<script") || strings.Contains(raw, `"&amp;"`) {
		t.Error("hostile text reached the page unescaped")
	}
	// Self-contained: nothing to load, and a policy that forbids loading.
	for _, n := range findAll(doc, func(n *html.Node) bool { _, s := attr(n, "src"); _, h := attr(n, "href"); return s || h }) {
		t.Errorf("<%s> loads something: %v", n.Data, n.Attr)
	}
	csp := findAll(doc, func(n *html.Node) bool { v, _ := attr(n, "http-equiv"); return v == "Content-Security-Policy" })
	if len(csp) != 1 {
		t.Error("no Content-Security-Policy")
	} else if v, _ := attr(csp[0], "content"); !strings.HasPrefix(v, "default-src 'none'") {
		t.Errorf("CSP %q", v)
	}
}

// A run that only finds rows already done or invalid has no chart, and a
// clean journal says there is nothing to fix.
func TestHTMLReportOfACleanRun(t *testing.T) {
	path := filepath.Join(t.TempDir(), "c.jsonl")
	j, _, _, err := checkpoint.Open(path, checkpoint.Header{Input: "c.csv", Created: t0}, checkpoint.Options{SyncEvery: -1})
	if err != nil {
		t.Fatal(err)
	}
	if err := j.Close(); err != nil {
		t.Fatal(err)
	}
	_, doc := renderPage(t, path)
	if n := len(findAll(doc, byTag("svg", "works"))); n != 0 {
		t.Errorf("%d charts for a run that wrote nothing", n)
	}
	if n := len(findAll(doc, byTag("table"))); n != 0 {
		t.Errorf("a failed-rows table on a clean run")
	}
	if got := totals(t, doc); got["rows"] != 0 || got["runs"] != 1 {
		t.Errorf("totals %v", got)
	}
}

func TestClassify(t *testing.T) {
	cases := []struct{ msg, col, rule string }{
		{`samples/tickets.csv:22 column "Priority" (severity): "Critical" is not one of Urgent, High`, "Priority (severity)", "is not one of Urgent, High"},
		{`C:\data\x.csv:26 column "Subject" (title): required field is empty`, "Subject (title)", "required field is empty"},
		{`x.csv row 14 column C (owned_by): "bob@exmaple.com" is not a dev user in this org (did you mean bob@example.com?)`, "column C (owned_by)", "is not a dev user in this org"},
		{`Tickets!B9 (title): required field is empty`, "column B (title)", "required field is empty"},
		{`'Q1: data'!F12 (owned_by): "ACC-1" is not a dev user ID`, "column F (owned_by)", "is not a dev user ID"},
		{`Tickets!12: key is empty`, "(row)", "key is empty"},
		{`x.csv:7: wrong number of fields`, "(row)", "wrong number of fields"},
		{`something else entirely`, "(row)", "something else entirely"},
	}
	for _, c := range cases {
		col, rule := classify(c.msg)
		if col != c.col || rule != c.rule {
			t.Errorf("classify(%q) = %q, %q; want %q, %q", c.msg, col, rule, c.col, c.rule)
		}
	}
}

func TestRunChartScales(t *testing.T) {
	for _, c := range []struct {
		span time.Duration
		step string
	}{{6 * time.Second, "1-second"}, {45 * time.Minute, "1-minute"}, {3 * time.Hour, "5-minute"}, {50 * time.Hour, "1-hour"}} {
		r := &RunTimes{N: 1, Start: t0, End: t0.Add(c.span), Created: map[int64]int{t0.Unix(): 3, t0.Add(c.span).Unix(): 1}, Failed: map[int64]int{}}
		ch := runChart(r)
		sum := 0
		for _, b := range ch.Bars {
			sum += b.Created
		}
		if ch.Step != c.step || len(ch.Bars) > maxBuckets || sum != 4 {
			t.Errorf("span %v: %d bars of %s (want %s), %d works", c.span, len(ch.Bars), ch.Step, c.step, sum)
		}
	}
}

// One worker and slow answers leave a gap between every two requests:
// that is the run's pace, not a pause; a gap far above it is.
func TestPausesFollowTheRunsPace(t *testing.T) {
	r := &RunTimes{N: 1, Start: t0, End: t0, Created: map[int64]int{}, Failed: map[int64]int{}}
	s := 0.0
	for i := range 30 {
		s += 1.5
		if i == 20 {
			s += 30
		}
		r.take(timeLine{Status: "sending", TS: at(s)})
	}
	r.finish()
	if r.PauseCount != 1 || r.Pauses[0].Duration() != 31500*time.Millisecond {
		t.Errorf("pauses %v (threshold %v), want one of 31.5 s", r.Pauses, r.PauseThreshold)
	}
}

// Every run gets its own chart; a run that wrote nothing says so instead.
func TestHTMLReportChartsEveryRun(t *testing.T) {
	path := writeJournal(t)
	j, _, _, err := checkpoint.Open(path, checkpoint.Header{Input: "/data/t.csv", Size: 1234, MappingHash: "sha256:x", Tool: "devrev-import/test"},
		checkpoint.Options{SyncEvery: -1, Clock: throttletest.ClockFunc(func() time.Time { return at(3600) })})
	if err != nil {
		t.Fatal(err)
	}
	if err := j.Close(); err != nil {
		t.Fatal(err)
	}
	_, doc := renderPage(t, path)
	if got := totals(t, doc)["runs"]; got != 2 {
		t.Errorf("runs = %d, want 2", got)
	}
	charts := findAll(doc, byTag("svg", "works"))
	empty := findAll(doc, func(n *html.Node) bool { v, _ := attr(n, "data-run"); return n.Data == "p" && v == "2" })
	if len(charts) != 1 || len(empty) != 1 || !strings.Contains(text(empty[0]), "wrote no works") {
		t.Errorf("%d charts and %d notes for a run that wrote and one that did not", len(charts), len(empty))
	}
}

// Past maxProblemBars kinds, the rarest are one "other" bar that keeps
// their count.
func TestProblemChartFoldsTheRarest(t *testing.T) {
	var groups []ProblemGroup
	total := 0
	for i := range 30 {
		groups = append(groups, ProblemGroup{Column: "c" + strconv.Itoa(i), Rule: "r", Count: 100 - i})
		total += 100 - i
	}
	c := problemChart(groups)
	sum := 0
	for _, b := range c.Bars {
		sum += b.Count
	}
	last := c.Bars[len(c.Bars)-1]
	if len(c.Bars) != maxProblemBars || sum != total || last.Column != "other" || c.Grouped != 11 {
		t.Errorf("%d bars adding up to %d (want %d and %d), last %q, grouped %d", len(c.Bars), sum, maxProblemBars, total, last.Column, c.Grouped)
	}
}
