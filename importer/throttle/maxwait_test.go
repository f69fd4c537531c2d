package throttle

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/devrev-import/devrev-import/importer/devrev"
	"github.com/devrev-import/devrev-import/importer/throttle/throttletest"
)

// MaxWait bounds every wait: a Wait that would sleep longer returns a
// *WaitError at once instead.

// waitNow runs l.Wait and returns its error; a Wait that sleeps instead
// fails the test (the fake clock never moves, so it would sleep forever).
func waitNow(t *testing.T, l *Limiter) error {
	t.Helper()
	done := make(chan error, 1)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go func() { done <- l.Wait(ctx) }()
	select {
	case err := <-done:
		return err
	case <-time.After(10 * time.Second):
		t.Fatal("Wait sleeps instead of returning")
		return nil
	}
}

func TestMaxWaitBoundsTheWindowsReset(t *testing.T) {
	t0 := time.Unix(1_800_000_000, 0)
	cases := []struct {
		name  string
		rate  float64
		reset time.Time
	}{
		{"reset 115 days away, fixed rate", 100, t0.Add(115 * 24 * time.Hour)},
		{"reset 115 days away, auto", 0, t0.Add(115 * 24 * time.Hour)},
		{"reset in the year 55000 (microseconds read as ms)", 0, time.UnixMilli(1_800_000_000_000_000)},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			fc := throttletest.NewFakeClock(t0)
			l := NewLimiter(Config{Rate: c.rate, Burst: 1, Clock: fc, MaxWait: 15 * time.Minute})
			if err := waitNow(t, l); err != nil {
				t.Fatal(err)
			}
			l.Observe(devrev.Response{Status: 201, Rate: devrev.RateInfo{Known: true, Limit: 10, Remaining: 0, Reset: c.reset}}, t0)
			err := waitNow(t, l)
			var we *WaitError
			if !errors.As(err, &we) || we.Wait < 24*time.Hour || we.Max != 15*time.Minute {
				t.Fatalf("Wait = %v, want a *WaitError for the reset", err)
			}
			if Classify(err) != Abort {
				t.Errorf("Classify = %v, want abort", Classify(err))
			}
		})
	}
}

func TestMaxWaitBoundsTheAutoPace(t *testing.T) {
	// Budget left, but spread over 115 days: each request would wait hours.
	t0 := time.Unix(1_800_000_000, 0)
	fc := throttletest.NewFakeClock(t0)
	l := NewLimiter(Config{Clock: fc, MaxWait: 15 * time.Minute})
	if err := waitNow(t, l); err != nil {
		t.Fatal(err)
	}
	l.Observe(devrev.Response{Status: 201, Rate: devrev.RateInfo{Known: true, Limit: 100, Remaining: 99, Reset: t0.Add(115 * 24 * time.Hour)}}, t0)
	var we *WaitError
	if err := waitNow(t, l); !errors.As(err, &we) {
		t.Fatalf("Wait = %v, want a *WaitError", err)
	}
}

func TestMaxWaitBoundsOneLongPause(t *testing.T) {
	t0 := time.Unix(1_800_000_000, 0)
	fc := throttletest.NewFakeClock(t0)
	l := NewLimiter(Config{Rate: 100, Clock: fc, MaxWait: 15 * time.Minute})
	l.PauseUntil(t0.Add(1e9 * time.Second)) // a Retry-After of 31 years
	err := waitNow(t, l)
	var we *WaitError
	if !errors.As(err, &we) || !we.Since.IsZero() || we.Why != "a 429" {
		t.Fatalf("Wait = %v, want a single-wait *WaitError", err)
	}
}

func TestMaxWaitCountsFourTwentyNinesInARow(t *testing.T) {
	t0 := time.Unix(1_800_000_000, 0)
	// throttled answers a 429 asking for 30 s, and every ok-th request a 201.
	throttled := func(ok int) (rounds int, err error) {
		fc := throttletest.NewFakeClock(t0)
		l := NewLimiter(Config{Rate: 1000, Clock: fc, MaxWait: 5 * time.Minute})
		for rounds = 1; rounds <= 100; rounds++ {
			if err := waitAdvancing(fc, l); err != nil {
				return rounds, err
			}
			sentAt := fc.Now()
			if ok > 0 && rounds%ok == 0 {
				l.Observe(devrev.Response{Status: 201}, sentAt)
				continue
			}
			l.Observe(devrev.Response{Status: 429}, sentAt)
			l.PauseUntil(fc.Now().Add(30 * time.Second))
		}
		return rounds, nil
	}
	// 429s forever: stopped once they span more than 5 minutes.
	rounds, err := throttled(0)
	var we *WaitError
	if !errors.As(err, &we) || we.Since.IsZero() {
		t.Fatalf("429s forever: Wait = %v after %d rounds, want a *WaitError for 429s in a row", err, rounds)
	}
	if rounds < 10 || rounds > 12 {
		t.Errorf("stopped after %d rounds of 30 s, want about 10 (5 minutes)", rounds)
	}
	// A success every 5 requests ends each streak: the run goes on.
	if rounds, err := throttled(5); err != nil {
		t.Errorf("429s with successes between: Wait = %v after %d rounds", err, rounds)
	}
}

func TestRetrierStopsOnFourTwentyNineForever(t *testing.T) {
	clock := throttletest.NewFakeClock(time.Unix(1000, 0))
	lim := NewLimiter(Config{Rate: 1000, Burst: 10, Clock: clock, MaxWait: time.Minute})
	r := Retrier{Limiter: lim, Clock: clock}
	e429 := &devrev.APIError{Status: 429, Type: "too_many_requests", RetryAfter: 5 * time.Second}
	done := make(chan error, 1)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go func() {
		done <- r.Do(context.Background(), func() (devrev.Response, error) {
			return devrev.Response{Status: 429}, e429
		})
		cancel()
	}()
	for clock.BlockUntil(ctx, 1) == nil {
		clock.Advance(time.Second)
	}
	var we *WaitError
	if err := <-done; !errors.As(err, &we) {
		t.Fatalf("Do = %v, want a *WaitError", err)
	}
}

// waitAdvancing runs l.Wait, moving the fake clock on by a second whenever
// it sleeps, and returns Wait's error.
func waitAdvancing(fc *throttletest.FakeClock, l *Limiter) error {
	done := make(chan error, 1)
	ctx, cancel := context.WithCancel(context.Background())
	go func() {
		done <- l.Wait(context.Background())
		cancel()
	}()
	for fc.BlockUntil(ctx, 1) == nil {
		fc.Advance(time.Second)
	}
	return <-done
}
