package progress

import (
	"bytes"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/devrev-import/devrev-import/importer/throttle"
	"github.com/devrev-import/devrev-import/importer/throttle/throttletest"
)

// syncBuf is a bytes.Buffer safe for the display goroutine and the test.
type syncBuf struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuf) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuf) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func TestLogLines(t *testing.T) {
	var out syncBuf
	tick := make(chan time.Time)
	now := time.Unix(1000, 0)
	var c Counters
	d := Start(&c, Options{
		Logger: slog.New(slog.NewTextHandler(&out, nil)),
		Total:  10,
		Tick:   tick,
		Clock:  throttletest.ClockFunc(func() time.Time { return now }),
	})
	c.Done.Store(4)
	c.Created.Store(3)
	c.Failed.Store(1)
	now = now.Add(2 * time.Second)
	tick <- now
	tick <- now // the second send returns only after the first render finished
	d.Throttled(now.Add(27 * time.Second))
	d.Stop()
	d.Stop()
	got := out.String()
	for _, want := range []string{"msg=progress", "done=4", "created=3", "failed=1", "total=10", "rows_per_s=2", "msg=\"rate limited\"", "waiting=429", "resume_in_s=27", "asked_s=27"} {
		if !strings.Contains(got, want) {
			t.Errorf("log lacks %q:\n%s", want, got)
		}
	}
}

func TestBarWritesToOut(t *testing.T) {
	var out syncBuf
	tick := make(chan time.Time)
	var c Counters
	d := Start(&c, Options{Bar: true, Total: 5, Out: &out, Tick: tick})
	c.Done.Store(3)
	tick <- time.Now()
	tick <- time.Now()
	d.Stop()
	if !strings.Contains(out.String(), "3/5") {
		t.Errorf("bar output lacks 3/5: %q", out.String())
	}
}

func TestLogModeLogsWindowWaitsOnce(t *testing.T) {
	var out syncBuf
	watch := make(chan time.Time)
	now := time.Unix(1000, 0)
	var paused time.Time
	var mu sync.Mutex
	var c Counters
	d := Start(&c, Options{
		Logger: slog.New(slog.NewTextHandler(&out, nil)),
		Tick:   make(chan time.Time),
		Watch:  watch,
		Clock:  throttletest.ClockFunc(func() time.Time { return now }),
		Hold: func() throttle.Hold {
			mu.Lock()
			defer mu.Unlock()
			return throttle.Hold{Until: paused, Window: !paused.IsZero()}
		},
	})
	watch <- now // not paused: nothing
	mu.Lock()
	paused = now.Add(5 * time.Second)
	mu.Unlock()
	watch <- now // a window wait: one line
	watch <- now // the same wait: no second line
	d.Throttled(now.Add(5 * time.Second))
	d.Stop()
	if n := strings.Count(out.String(), "rate limited"); n != 1 {
		t.Errorf("%d 'rate limited' lines, want 1:\n%s", n, out.String())
	}
	if !strings.Contains(out.String(), "resume_in_s=5") || !strings.Contains(out.String(), "waiting=window") {
		t.Errorf("no window wait of 5s:\n%s", out.String())
	}
}

// A validate does not count the rows first: the total is estimated from
// how far the reader is through the file.
func TestTotalEstimatedFromPosition(t *testing.T) {
	var out syncBuf
	tick := make(chan time.Time)
	now := time.Unix(1000, 0)
	var c Counters
	d := Start(&c, Options{
		Logger:   slog.New(slog.NewTextHandler(&out, nil)),
		Total:    -1,
		Position: func() (int64, int64) { return 250, 1000 },
		Tick:     tick,
		Clock:    throttletest.ClockFunc(func() time.Time { return now }),
	})
	c.Done.Store(10)
	now = now.Add(2 * time.Second)
	tick <- now
	tick <- now
	d.Stop()
	for _, want := range []string{"done=10", "total=40", "rows_per_s=5", "eta_s=6"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("log lacks %q:\n%s", want, out.String())
		}
	}

	var bar syncBuf
	d = Start(&c, Options{Bar: true, Total: -1, DryRun: true, Position: func() (int64, int64) { return 500, 1000 }, Out: &bar, Tick: tick})
	tick <- time.Now()
	tick <- time.Now()
	d.Stop()
	if !strings.Contains(bar.String(), "10/20") || !strings.Contains(bar.String(), "invalid 0") {
		t.Errorf("bar output lacks 10/20 and the invalid count: %q", bar.String())
	}
}

// An undo's log lines count deleted and failed works, not an import's
// created/skipped/invalid rows.
func TestUndoLogLines(t *testing.T) {
	var out syncBuf
	tick := make(chan time.Time)
	now := time.Unix(1000, 0)
	var c Counters
	d := Start(&c, Options{
		Logger: slog.New(slog.NewTextHandler(&out, nil)),
		Total:  302, Undo: true, Tick: tick,
		Clock: throttletest.ClockFunc(func() time.Time { return now }),
	})
	c.Done.Store(101)
	c.Deleted.Store(100)
	c.Failed.Store(1)
	now = now.Add(10 * time.Second)
	tick <- now
	tick <- now
	d.Stop()
	got := out.String()
	for _, want := range []string{"msg=progress", "done=101", "deleted=100", "failed=1", "total=302", "eta_s=20"} {
		if !strings.Contains(got, want) {
			t.Errorf("log lacks %q:\n%s", want, got)
		}
	}
	if strings.Contains(got, "created=") || strings.Contains(got, "invalid=") {
		t.Errorf("an undo's log names import counters:\n%s", got)
	}
}
