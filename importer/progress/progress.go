// Package progress shows a run's advance: a progress bar on a terminal, or
// plain log lines (one every interval and one per throttle) under cron,
// where nobody watches a bar and a log file must stay readable.
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
	// with counts is shown instead of a bar).
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
	// Out receives the bar (normally stderr).
	Out io.Writer
	// Logger receives the log lines.
	Logger *slog.Logger
	// Every is the log-line interval (default 10s). The bar redraws
	// every 250ms.
	Every time.Duration
	// Paused reports the instant sending resumes after a rate-limit
	// pause, or the zero time when not paused.
	Paused func() time.Time
	// Clock is the clock (default the real one).
	Clock throttle.Clock
	// Tick, when not nil, replaces the internal ticker (tests).
	Tick <-chan time.Time
	// Watch, when not nil, replaces the once-a-second check (log mode)
	// that logs waits for the rate-limit window, which are not 429s.
	Watch <-chan time.Time
}

// Display renders progress until Stop.
type Display struct {
	c     *Counters
	opt   Options
	bar   *progressbar.ProgressBar
	start time.Time
	stop  chan struct{}
	done  chan struct{}
	once  sync.Once

	mu         sync.Mutex
	lastLogged time.Time // the resume instant last logged (log mode)
}

// Start begins rendering c.
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
	if opt.Paused == nil {
		opt.Paused = func() time.Time { return time.Time{} }
	}
	d := &Display{c: c, opt: opt, start: opt.Clock.Now(), stop: make(chan struct{}), done: make(chan struct{})}
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
	if opt.Bar && !d.estimated() {
		d.bar = newBar(opt.Total, opt.Out)
	}
	watch := opt.Watch
	var watcher *time.Ticker
	if watch == nil && !opt.Bar {
		watcher = time.NewTicker(time.Second)
		watch = watcher.C
	}
	go func() {
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
				if until := d.opt.Paused(); !until.IsZero() && until.Sub(d.opt.Clock.Now()) >= time.Second {
					d.Throttled(until)
				}
			}
		}
	}()
	return d
}

// estimated reports whether the total is estimated from Options.Position.
// The bar is then drawn from the first estimate on: started without a
// total, progressbar runs a spinner goroutine that races with its own
// redraws.
func (d *Display) estimated() bool { return d.opt.Total < 0 && d.opt.Position != nil }

// newBar is the bar for total rows (-1: unknown).
func newBar(total int64, out io.Writer) *progressbar.ProgressBar {
	return progressbar.NewOptions64(total,
		progressbar.OptionSetWriter(out),
		progressbar.OptionSetItsString("rows"),
		progressbar.OptionShowIts(),
		progressbar.OptionShowCount(),
		progressbar.OptionSetWidth(24),
		progressbar.OptionSetPredictTime(true),
		progressbar.OptionFullWidth(),
		progressbar.OptionClearOnFinish(),
	)
}

// Throttled announces a rate-limit pause until the given instant: a log
// line in log mode (every throttle is logged), a note on the bar otherwise.
func (d *Display) Throttled(until time.Time) {
	wait := ceilSecond(until.Sub(d.opt.Clock.Now()))
	d.mu.Lock()
	if bar := d.bar; d.opt.Bar {
		d.mu.Unlock()
		if bar != nil { // nil until a total is estimated
			bar.Describe(fmt.Sprintf("rate limited: resuming in %s", wait))
		}
		return
	}
	if until.Equal(d.lastLogged) {
		d.mu.Unlock()
		return // one line per wait
	}
	d.lastLogged = until
	d.mu.Unlock()
	d.opt.Logger.Info("rate limited", "resume_in", wait.String(), "done", d.c.Done.Load())
}

func (d *Display) render() {
	done := d.c.Done.Load()
	total := d.total(done)
	if d.opt.Bar {
		if d.bar == nil {
			if total <= 0 {
				return // no estimate yet
			}
			d.mu.Lock()
			d.bar = newBar(total, d.opt.Out)
			d.mu.Unlock()
		}
		if total > 0 && total != d.bar.GetMax64() {
			d.bar.ChangeMax64(total)
		}
		desc := fmt.Sprintf("created %d failed %d invalid %d", d.c.Created.Load(), d.c.Failed.Load(), d.c.Invalid.Load())
		if up, same := d.c.Updated.Load(), d.c.Unchanged.Load(); up+same > 0 {
			desc = fmt.Sprintf("created %d updated %d unchanged %d failed %d invalid %d", d.c.Created.Load(), up, same, d.c.Failed.Load(), d.c.Invalid.Load())
		}
		switch {
		case d.opt.DryRun:
			desc = fmt.Sprintf("validated, invalid %d", d.c.Invalid.Load())
		case d.opt.Undo && d.c.Updated.Load() > 0:
			desc = fmt.Sprintf("deleted %d restored %d failed %d", d.c.Deleted.Load(), d.c.Updated.Load(), d.c.Failed.Load())
		case d.opt.Undo:
			desc = fmt.Sprintf("deleted %d failed %d", d.c.Deleted.Load(), d.c.Failed.Load())
		}
		if until := d.opt.Paused(); !until.IsZero() {
			if wait := until.Sub(d.opt.Clock.Now()); wait > 0 {
				desc = fmt.Sprintf("rate limited: resuming in %s", ceilSecond(wait))
			}
		}
		d.bar.Describe(desc)
		_ = d.bar.Set64(done)
		return
	}
	elapsed := d.opt.Clock.Now().Sub(d.start)
	attrs := []any{
		"done", done,
		"created", d.c.Created.Load(),
		"updated", d.c.Updated.Load(),
		"unchanged", d.c.Unchanged.Load(),
		"skipped", d.c.Skipped.Load(),
		"invalid", d.c.Invalid.Load(),
		"failed", d.c.Failed.Load(),
		"elapsed", elapsed.Round(time.Second).String(),
	}
	if d.opt.Undo {
		attrs = []any{"done", done, "deleted", d.c.Deleted.Load(), "restored", d.c.Updated.Load(), "failed", d.c.Failed.Load(), "elapsed", elapsed.Round(time.Second).String()}
	}
	if total > 0 {
		attrs = append(attrs, "total", total)
	}
	if secs := elapsed.Seconds(); secs > 0 {
		rate := float64(done) / secs
		attrs = append(attrs, "rows_per_s", fmt.Sprintf("%.1f", rate))
		if total > done && rate > 0 {
			eta := time.Duration(float64(total-done) / rate * float64(time.Second))
			attrs = append(attrs, "eta", ceilSecond(eta).String())
		}
	}
	d.opt.Logger.Info("progress", attrs...)
}

// total is Options.Total, or its estimate from Options.Position (-1 while
// there is nothing to estimate from).
func (d *Display) total(done int64) int64 {
	if d.opt.Total >= 0 || d.opt.Position == nil {
		return d.opt.Total
	}
	read, size := d.opt.Position()
	if read <= 0 || size <= 0 || done <= 0 {
		return -1
	}
	est := int64(float64(done) * float64(size) / float64(read))
	return max(est, done)
}

// Stop ends the display; the bar is cleared so the summary stands alone.
// It is safe to call more than once.
func (d *Display) Stop() {
	d.once.Do(func() {
		close(d.stop)
		<-d.done
		if d.opt.Bar {
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
