package progress

import (
	"encoding/json"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/devrev-import/devrev-import/importer/devrev"
	"github.com/devrev-import/devrev-import/importer/throttle"
	"github.com/devrev-import/devrev-import/importer/throttle/throttletest"
)

// renderNow makes the display render at the fake clock's time: the
// second send returns only once the first render is done.
func renderNow(tick chan time.Time) {
	tick <- time.Time{}
	tick <- time.Time{}
}

// While a 429 holds the run, the bar keeps its counters, says why and for
// how long it waits, and its ETA is the rows left at the pace before the
// wait plus what is left of the wait (not a collapsed rate).
func TestBarWhileThrottled(t *testing.T) {
	fc := throttletest.NewFakeClock(time.Unix(1000, 0))
	lim := throttle.NewLimiter(throttle.Config{Rate: 100, Clock: fc})
	var out syncBuf
	tick := make(chan time.Time)
	var c Counters
	d := Start(&c, Options{Bar: true, Total: 100, Out: &out, Tick: tick, Watch: make(chan time.Time), Clock: fc, Hold: lim.Hold})
	c.Done.Store(40)
	c.Created.Store(39)
	c.Failed.Store(1)
	fc.Advance(20 * time.Second) // 2 rows/s: 60 rows left = 30s
	renderNow(tick)
	if got := out.String(); !strings.Contains(got, "created 39 failed 1") || !strings.Contains(got, "2 rows/s, eta 30s") {
		t.Errorf("before the wait: %q", got)
	}

	lim.PauseUntil(fc.Now().Add(30 * time.Second))
	d.Throttled(fc.Now().Add(30 * time.Second))
	fc.Advance(3 * time.Second)
	renderNow(tick)
	got := out.String()
	for _, want := range []string{"created 39 failed 1 invalid 0 | rate limited (429, asked 30s): resuming in 27s", "2 rows/s, eta 57s"} {
		if !strings.Contains(got, want) {
			t.Errorf("during the wait the bar lacks %q: %q", want, got)
		}
	}
	if strings.Contains(got, "0 rows") {
		t.Errorf("the pace collapsed during the wait: %q", got)
	}

	// After the wait the pace counts it again (it is part of the run).
	fc.Advance(27 * time.Second)
	c.Done.Store(50)
	fc.Advance(time.Second)
	renderNow(tick)
	if got := out.String(); !strings.Contains(got, "59 rows/min, eta 51s") || !strings.Contains(got, "50/100") {
		t.Errorf("after the wait: %q", got)
	}
	d.Stop()
}

// A wait for the window's budget names the reset; log mode puts the wait
// on the progress line every interval, with numbers as numbers.
func TestLogLinesDuringWindowWait(t *testing.T) {
	fc := throttletest.NewFakeClock(time.Unix(1000, 0))
	lim := throttle.NewLimiter(throttle.Config{Rate: 100, Clock: fc})
	var out syncBuf
	tick := make(chan time.Time)
	var c Counters
	d := Start(&c, Options{Total: 100, Logger: slog.New(slog.NewJSONHandler(&out, nil)), Tick: tick, Watch: make(chan time.Time), Clock: fc, Hold: lim.Hold})
	c.Done.Store(10)
	fc.Advance(10 * time.Second)
	reset := fc.Now().Add(45 * time.Second)
	lim.Observe(devrev.Response{Status: 200, Rate: devrev.RateInfo{Known: true, Limit: 10, Remaining: 0, Reset: reset}}, fc.Now())
	renderNow(tick)
	fc.Advance(10 * time.Second)
	renderNow(tick)
	d.Stop()
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	for _, line := range lines { // one shape: the figures on every line, waiting or not
		var ev map[string]any
		if err := json.Unmarshal([]byte(line), &ev); err != nil {
			t.Fatalf("%v: %s", err, line)
		}
		for _, k := range []string{"done", "elapsed_s", "total", "rows_per_s", "eta_s"} {
			if _, ok := ev[k]; !ok && ev["msg"] == "progress" {
				t.Errorf("a progress line lacks %s: %s", k, line)
			}
		}
	}
	last := lines[len(lines)-1]
	for _, want := range []string{`"msg":"progress"`, `"done":10`, `"waiting":"window"`, `"resume_at":"` + reset.UTC().Format(time.RFC3339) + `"`, `"resume_in_s":35`, `"asked_s":0`, `"rows_per_s":1`, `"eta_s":125`, `"total":100`} {
		if !strings.Contains(last, want) {
			t.Errorf("last line lacks %s: %s", want, last)
		}
	}
}

// Setup logs its step at once and every interval while it lasts, with
// any wait; on a terminal it shows the step and its time, cleared when
// the rows begin.
func TestSetupSteps(t *testing.T) {
	fc := throttletest.NewFakeClock(time.Unix(1000, 0))
	lim := throttle.NewLimiter(throttle.Config{Rate: 100, Clock: fc})
	var out syncBuf
	tick := make(chan time.Time)
	var c Counters
	d := Start(&c, Options{Step: "fetching the org's schema", Logger: slog.New(slog.NewTextHandler(&out, nil)), Tick: tick, Watch: make(chan time.Time), Clock: fc})
	d.SetHold(lim.Hold)
	fc.Advance(10 * time.Second)
	renderNow(tick)
	lim.PauseUntil(fc.Now().Add(20 * time.Second))
	fc.Advance(10 * time.Second)
	renderNow(tick)
	d.Step("counting rows")
	d.Rows(7)
	c.Done.Store(7)
	d.Stop()
	got := out.String()
	for _, want := range []string{
		`msg=setup step="fetching the org's schema" elapsed_s=0` + "\n",
		`msg=setup step="fetching the org's schema" elapsed_s=10` + "\n",
		`msg=setup step="fetching the org's schema" elapsed_s=20 waiting=429 resume_in_s=10 asked_s=20`,
		`msg=setup step="counting rows"`,
	} {
		if !strings.Contains(got, want) {
			t.Errorf("log lacks %q:\n%s", want, got)
		}
	}

	var bar syncBuf
	d = Start(&c, Options{Bar: true, Step: "reading the checkpoint", Out: &bar, Tick: tick, Watch: make(chan time.Time), Clock: fc})
	renderNow(tick) // under a second: nothing yet
	if bar.String() != "" {
		t.Errorf("a step under a second drew %q", bar.String())
	}
	fc.Advance(12 * time.Second)
	renderNow(tick)
	d.Rows(7)
	if got := bar.String(); !strings.Contains(got, "reading the checkpoint… 12s") || !strings.HasSuffix(got, "\r\x1b[K") {
		t.Errorf("bar mode step: %q", got)
	}
	d.Stop()
}
