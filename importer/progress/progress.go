// Package progress shows a run's advance: a progress bar on a terminal, or
// plain log lines (one every interval and one per throttle) under cron,
// where nobody watches a bar and a log file must stay readable.
//
// It tells the truth while nothing moves: during setup (fetching the
// schema, reading a big checkpoint, counting rows) it names the step and
// how long it has taken; while the rate limit holds requests back it keeps
// the counters, says why (a 429 and the wait it asked for, or the window's
// budget spent until its X-RateLimit-Reset) and for how long, and its ETA
// counts the known wait instead of collapsing the rate.
package progress

import (
	"fmt"
	"io"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/devrev-import/devrev-import/importer/throttle"
	"github.com/schollz/progressbar/v3"
)

// Counters are the live totals of a run. The pipeline updates them; a
// Display reads them. The zero value is ready to use.
type Counters struct {
	Done    atomic.Int64 // rows with a final outcome in this run
	Created atomic.Int64
	Updated atomic.Int64 // works updated (--mode upsert, update)
	// Unchanged counts rows whose work already says what the row says.
	Unchanged atomic.Int64
	Skipped   atomic.Int64
	Invalid   atomic.Int64
	Failed    atomic.Int64
	Deleted   atomic.Int64 // an undo's works deleted (or already gone)
}

// Options configure a Display.
type Options struct {
	// Bar selects the progress bar (a terminal); false selects log lines.
	Bar bool
	// Total is the number of rows expected, or -1 when unknown (a spinner
	// with counts is shown instead of a bar). Rows replaces it.
	Total int64
	// Position, when not nil and Total is -1, reports how far the reader is
	// through its file (bytes read, file size): the total is then estimated
	// as the rows done times size / read, so that a validate, which does
	// not count the rows first, still shows a bar and an ETA.
	Position func() (read, size int64)
	// DryRun: nothing is sent, the bar counts invalid rows only.
	DryRun bool
	// Undo: the run deletes works and restores fields; the bar and the
	// log lines count works deleted, restored (Updated) and failed.
	Undo bool
	// Setup starts the display in setup (nothing shown until a Step);
	// Step, when set, starts it at this step (see Display.Step). The rows
	// begin with Display.Rows.
	Setup bool
	Step  string
	// Out receives the bar (normally stderr).
	Out io.Writer
	// Logger receives the log lines.
	Logger *slog.Logger
	// Every is the log-line interval (default 10s). The bar redraws
	// every 250ms.
	Every time.Duration
	// Hold reports what holds requests back (a Limiter's Hold); nil until
	// Display.SetHold when the limiter comes later.
	Hold func() throttle.Hold
	// Clock is the clock (default the real one).
	Clock throttle.Clock
	// Tick, when not nil, replaces the internal ticker (tests).
	Tick <-chan time.Time
	// Watch, when not nil, replaces the once-a-second check that notes
	// waits as they begin (and logs them in log mode).
	Watch <-chan time.Time
}

// Display renders progress until Stop.
type Display struct {
	c    *Counters
	opt  Options
	stop chan struct{}
	done chan struct{}
	once sync.Once

	mu        sync.Mutex
	bar       *progressbar.ProgressBar
	hold      func() throttle.Hold
	step      string    // the setup step; "" in the rows phase
	stepSince time.Time // when the step began
	stepShown bool      // a step line is on the terminal (bar mode)
	rows      bool      // the rows phase has begun
	rowsStart time.Time
	total     int64
	// holdSince is when the current wait was first seen (zero: none): the
	// pace leaves it out, the ETA adds what is left of it.
	holdSince  time.Time
	lastLogged time.Time // the resume instant last logged (log mode)
}

// Start begins rendering c (nil for a display of setup steps only).
func Start(c *Counters, opt Options) *Display {
	if opt.Clock == nil {
		opt.Clock = throttle.RealClock()
	}
	if opt.Every <= 0 {
		opt.Every = 10 * time.Second
	}
	if opt.Logger == nil {
		opt.Logger = slog.New(slog.DiscardHandler)
	}
	if c == nil {
		c = new(Counters) // a display of setup steps only
	}
	d := &Display{c: c, opt: opt, hold: opt.Hold, stop: make(chan struct{}), done: make(chan struct{})}
	if opt.Setup || opt.Step != "" {
		d.Step(opt.Step)
	} else {
		d.Rows(opt.Total)
	}
	tick := opt.Tick
	var ticker *time.Ticker
	if tick == nil {
		every := opt.Every
		if opt.Bar {
			every = 250 * time.Millisecond
		}
		ticker = time.NewTicker(every)
		tick = ticker.C
	}
	watch := opt.Watch
	var watcher *time.Ticker
	if watch == nil {
		watcher = time.NewTicker(time.Second)
		watch = watcher.C
	}
	go d.loop(tick, watch, ticker, watcher)
	return d
}

func (d *Display) loop(tick, watch <-chan time.Time, ticker, watcher *time.Ticker) {
	defer close(d.done)
	if ticker != nil {
		defer ticker.Stop()
	}
	if watcher != nil {
		defer watcher.Stop()
	}
	for {
		select {
		case <-d.stop:
			return
		case <-tick:
			d.render()
		case <-watch:
			if h := d.held(); !h.Until.IsZero() && h.Until.Sub(d.opt.Clock.Now()) >= time.Second {
				d.Throttled(h.Until)
			}
		}
	}
}

// SetHold tells the display what holds requests back, once the run's
// limiter exists (after the setup that made it).
func (d *Display) SetHold(hold func() throttle.Hold) {
	d.mu.Lock()
	d.hold = hold
	d.mu.Unlock()
}

// Step announces a setup step ("fetching the org's schema", "reading the
// checkpoint", "counting rows"): logged at once in log mode and again
// every interval while it lasts; on a terminal a line with its elapsed
// time (and any wait) from its first second on. Step("") ends the step
// (its line is cleared) before something else is printed.
func (d *Display) Step(what string) {
	now := d.opt.Clock.Now()
	d.mu.Lock()
	d.step, d.stepSince = what, now
	d.clearStepLocked()
	d.mu.Unlock()
	if what != "" && !d.opt.Bar {
		d.opt.Logger.Info("setup", "step", what, "elapsed_s", 0)
	}
}

// Rows begins the rows phase with total rows expected (-1: unknown, or
// estimated from Options.Position): the bar appears, the pace is measured
// from now.
func (d *Display) Rows(total int64) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.step, d.rows, d.total, d.rowsStart = "", true, total, d.opt.Clock.Now()
	d.clearStepLocked()
	if d.opt.Bar && d.bar == nil && !d.estimated() {
		d.bar = newBar(total, d.opt.Out)
	}
}

// clearStepLocked erases a step line from the terminal.
func (d *Display) clearStepLocked() {
	if d.stepShown {
		fmt.Fprint(d.opt.Out, "\r\x1b[K")
		d.stepShown = false
	}
}

// estimated reports whether the total is estimated from Options.Position.
// The bar is then drawn from the first estimate on: started without a
// total, progressbar runs a spinner goroutine that races with its own
// redraws.
func (d *Display) estimated() bool { return d.total < 0 && d.opt.Position != nil }

// newBar is the bar for total rows (-1: unknown). Its own rate and ETA
// are off: they drop to "0 rows/hr" as soon as a wait starts; the
// description carries the display's.
func newBar(total int64, out io.Writer) *progressbar.ProgressBar {
	return progressbar.NewOptions64(total,
		progressbar.OptionSetWriter(out),
		progressbar.OptionShowCount(),
		progressbar.OptionSetWidth(24),
		progressbar.OptionSetElapsedTime(false),
		progressbar.OptionSetPredictTime(false),
		progressbar.OptionShowDescriptionAtLineEnd(),
		progressbar.OptionClearOnFinish(),
	)
}

// held reads the current hold and notes when a wait began.
func (d *Display) held() throttle.Hold {
	d.mu.Lock()
	hold := d.hold
	d.mu.Unlock()
	var h throttle.Hold
	if hold != nil {
		h = hold()
	}
	now := d.opt.Clock.Now()
	d.mu.Lock()
	defer d.mu.Unlock()
	switch {
	case h.Until.After(now) && d.holdSince.IsZero():
		d.holdSince = now
	case !h.Until.After(now):
		h, d.holdSince = throttle.Hold{}, time.Time{}
	}
	return h
}

// Throttled announces a rate-limit pause until the given instant (the
// pipeline calls it on every 429): the wait is noted at once (the pace
// stops counting it), and in log mode one line says why and how long.
func (d *Display) Throttled(until time.Time) {
	now := d.opt.Clock.Now()
	h := d.held()
	if h.Until.IsZero() {
		h = throttle.Hold{Until: until, Asked: until.Sub(now)}
	}
	d.mu.Lock()
	if d.holdSince.IsZero() && until.After(now) {
		d.holdSince = now
	}
	if d.opt.Bar || until.Equal(d.lastLogged) {
		d.mu.Unlock()
		return // one line per wait
	}
	d.lastLogged = until
	done := d.c.Done.Load()
	d.mu.Unlock()
	d.opt.Logger.Info("rate limited", append(waitAttrs(h, now), "done", done)...)
}

func (d *Display) render() {
	h := d.held()
	now := d.opt.Clock.Now()
	d.mu.Lock()
	rows := d.rows
	d.mu.Unlock()
	if !rows {
		d.renderStep(h, now)
		return
	}
	done := d.c.Done.Load()
	total := d.totalFor(done)
	eta, rate := d.eta(done, total, h, now)
	if d.opt.Bar {
		d.renderBar(done, total, d.describe(h, now, rate, eta))
		return
	}
	// One shape: the figures are always there (total -1 while unknown,
	// eta_s 0 when there is no estimate); the wait's four only in a wait.
	attrs := append(d.counts(done), "elapsed_s", int64(now.Sub(d.rowsStart).Seconds()),
		"total", max(total, -1), "rows_per_s", float64(int64(rate*10+0.5))/10, "eta_s", int64(eta.Seconds()))
	if !h.Until.IsZero() {
		attrs = append(attrs, waitAttrs(h, now)...)
	}
	d.opt.Logger.Info("progress", attrs...)
}

// renderStep shows the setup step: a line on the terminal (from its
// first second), a log line every interval otherwise.
func (d *Display) renderStep(h throttle.Hold, now time.Time) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.step == "" {
		return
	}
	took := now.Sub(d.stepSince)
	if !d.opt.Bar {
		attrs := []any{"step", d.step, "elapsed_s", int64(took.Seconds())}
		if !h.Until.IsZero() {
			attrs = append(attrs, waitAttrs(h, now)...)
		}
		d.opt.Logger.Info("setup", attrs...)
		return
	}
	if took < time.Second {
		return
	}
	line := fmt.Sprintf("%s… %s", d.step, took.Truncate(time.Second))
	if !h.Until.IsZero() {
		line += " (" + waitText(h, now) + ")"
	}
	fmt.Fprint(d.opt.Out, "\r\x1b[K"+line)
	d.stepShown = true
}

// renderBar draws the bar (the first one of an estimate too).
func (d *Display) renderBar(done, total int64, desc string) {
	d.mu.Lock()
	if d.bar == nil {
		if total <= 0 {
			d.mu.Unlock()
			return // no estimate yet
		}
		d.bar = newBar(total, d.opt.Out)
	}
	bar := d.bar
	d.mu.Unlock()
	if total > 0 && total != bar.GetMax64() {
		bar.ChangeMax64(total)
	}
	bar.Describe(desc) // before the count: at the total the bar is finished and draws no more
	_ = bar.Set64(done)
}

// describe is the bar's text: the counters, then the wait, then the pace
// and ETA.
func (d *Display) describe(h throttle.Hold, now time.Time, rate float64, eta time.Duration) string {
	c := d.c
	desc := fmt.Sprintf("created %d failed %d invalid %d", c.Created.Load(), c.Failed.Load(), c.Invalid.Load())
	if up, same := c.Updated.Load(), c.Unchanged.Load(); up+same > 0 {
		desc = fmt.Sprintf("created %d updated %d unchanged %d failed %d invalid %d", c.Created.Load(), up, same, c.Failed.Load(), c.Invalid.Load())
	}
	switch {
	case d.opt.DryRun:
		desc = fmt.Sprintf("validated, invalid %d", c.Invalid.Load())
	case d.opt.Undo && c.Updated.Load() > 0:
		desc = fmt.Sprintf("deleted %d restored %d failed %d", c.Deleted.Load(), c.Updated.Load(), c.Failed.Load())
	case d.opt.Undo:
		desc = fmt.Sprintf("deleted %d failed %d", c.Deleted.Load(), c.Failed.Load())
	}
	if !h.Until.IsZero() {
		desc += " | " + waitText(h, now)
	}
	if rate > 0 {
		desc += " | " + paceText(rate)
	}
	if eta > 0 {
		desc += ", eta " + eta.String()
	}
	return desc
}

// counts are the log line's counters.
func (d *Display) counts(done int64) []any {
	c := d.c
	if d.opt.Undo {
		return []any{"done", done, "deleted", c.Deleted.Load(), "restored", c.Updated.Load(), "failed", c.Failed.Load()}
	}
	return []any{"done", done, "created", c.Created.Load(), "updated", c.Updated.Load(), "unchanged", c.Unchanged.Load(),
		"skipped", c.Skipped.Load(), "invalid", c.Invalid.Load(), "failed", c.Failed.Load()}
}

// eta is the time left: the rows left at the pace of the rows phase so
// far, the current wait left out of the pace (it would read as a
// collapse) and added as what remains of it. rate is that pace (rows/s).
func (d *Display) eta(done, total int64, h throttle.Hold, now time.Time) (time.Duration, float64) {
	d.mu.Lock()
	end := now
	if !d.holdSince.IsZero() {
		end = d.holdSince
	}
	secs := end.Sub(d.rowsStart).Seconds()
	d.mu.Unlock()
	if secs <= 0 || done <= 0 {
		return 0, 0
	}
	rate := float64(done) / secs
	if total <= done {
		return 0, rate
	}
	left := time.Duration(float64(total-done) / rate * float64(time.Second))
	if !h.Until.IsZero() {
		left += h.Until.Sub(now)
	}
	return ceilSecond(left), rate
}

// totalFor is the rows' total, or its estimate from Options.Position (-1
// while there is nothing to estimate from).
func (d *Display) totalFor(done int64) int64 {
	d.mu.Lock()
	total := d.total
	d.mu.Unlock()
	if total >= 0 || d.opt.Position == nil {
		return total
	}
	read, size := d.opt.Position()
	if read <= 0 || size <= 0 || done <= 0 {
		return -1
	}
	est := int64(float64(done) * float64(size) / float64(read))
	return max(est, done)
}

// waitText says why requests wait and for how long: "rate limited (429,
// asked 30s): resuming in 27s" or "rate limited (window budget spent
// until 14:03:07): resuming in 27s".
func waitText(h throttle.Hold, now time.Time) string {
	why := fmt.Sprintf("429, asked %s", ceilSecond(h.Asked))
	if h.Window {
		why = "window budget spent until " + h.Until.Local().Format(time.TimeOnly)
	}
	return fmt.Sprintf("rate limited (%s): resuming in %s", why, ceilSecond(h.Until.Sub(now)))
}

// waitAttrs are a log line's fields for a wait, the same four for both
// kinds: why (429 or window), for how long, what the 429 asked for (0 for
// the window) and when it resumes (a window's X-RateLimit-Reset).
func waitAttrs(h throttle.Hold, now time.Time) []any {
	why := "429"
	if h.Window {
		why = "window"
	}
	return []any{"waiting", why, "resume_in_s", int64(ceilSecond(h.Until.Sub(now)).Seconds()),
		"asked_s", int64(ceilSecond(h.Asked).Seconds()), "resume_at", h.Until.UTC().Format(time.RFC3339)}
}

// paceText is a rate a person reads: "12 rows/s", "40 rows/min".
func paceText(perSec float64) string {
	if perSec >= 1 {
		return fmt.Sprintf("%.0f rows/s", perSec)
	}
	return fmt.Sprintf("%.0f rows/min", perSec*60)
}

// Stop ends the display; the bar is cleared so the summary stands alone.
// It is safe to call more than once.
func (d *Display) Stop() {
	d.once.Do(func() {
		close(d.stop)
		<-d.done
		d.mu.Lock()
		d.clearStepLocked()
		rows := d.rows
		d.mu.Unlock()
		if d.opt.Bar && rows {
			d.render() // the final count and total (and the first bar of an estimate)
		}
		if d.bar != nil {
			_ = d.bar.Finish()
			_ = d.bar.Clear()
		}
	})
}

// ceilSecond rounds a wait up to whole seconds, so "0s" is never shown
// while something is still being waited for.
func ceilSecond(d time.Duration) time.Duration {
	if d <= 0 {
		return 0
	}
	return (d + time.Second - 1).Truncate(time.Second)
}
