package throttle

import (
	"context"
	"testing"
	"time"

	"github.com/devrev-import/devrev-import/importer/devrev"
	"github.com/devrev-import/devrev-import/importer/throttle/throttletest"
)

// Workers that reserved slow start-up slots must not keep them once the
// headers say the server allows far more.
func TestWaitReReservesWhenTheRateRises(t *testing.T) {
	start := time.Unix(10_000, 0)
	clock := throttletest.NewFakeClock(start)
	lim := NewLimiter(Config{Clock: clock})
	ctx := context.Background()
	if err := lim.Wait(ctx); err != nil { // the first request leaves at once
		t.Fatal(err)
	}
	sentAt := clock.Now()
	done := make(chan struct{}, 4)
	for range 4 {
		go func() {
			if err := lim.Wait(ctx); err == nil {
				done <- struct{}{}
			}
		}()
	}
	// All four hold start-rate reservations (200 ms apart).
	if err := clock.BlockUntil(ctx, 4); err != nil {
		t.Fatal(err)
	}
	lim.Observe(devrev.Response{Rate: devrev.RateInfo{Known: true, Limit: 1000, Remaining: 999, Reset: start.Add(10 * time.Second)}}, sentAt)
	// Each waiter wakes and reserves again at the new rate (~100/s): all
	// four must leave before the fake clock reaches +100 ms, when the start
	// rate would have released none. Time moves only while every waiter
	// still blocked sleeps on the clock (beside the 4 stale timers).
	hang, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	for remaining := 4; remaining > 0; {
		select {
		case <-done:
			remaining--
			continue
		case <-hang.Done():
			t.Fatalf("%d waits still blocked", remaining)
		default:
		}
		if clock.Now().Sub(start) >= 100*time.Millisecond {
			t.Fatalf("%d of 4 waits still blocked at +100 ms: they kept their start-rate slots", remaining)
		}
		step, cancelStep := context.WithTimeout(hang, 20*time.Millisecond)
		err := clock.BlockUntil(step, 4+remaining)
		cancelStep()
		if err == nil {
			clock.Advance(5 * time.Millisecond)
		}
	}
}

// Once two windows have been seen, a new window starts at the server's
// pace (limit / window), not at AutoStartRate.
func TestNewWindowStartsAtTheLearnedPace(t *testing.T) {
	t0 := time.Unix(20_000, 0)
	clock := throttletest.NewFakeClock(t0)
	lim := NewLimiter(Config{Clock: clock})
	lim.Observe(devrev.Response{Rate: devrev.RateInfo{Known: true, Limit: 300, Remaining: 299, Reset: t0.Add(time.Second)}}, t0)
	clock.Advance(time.Second)
	lim.Observe(devrev.Response{Rate: devrev.RateInfo{Known: true, Limit: 300, Remaining: 299, Reset: t0.Add(4 * time.Second)}}, clock.Now())
	clock.Advance(3 * time.Second) // the second window ends
	if p := lim.Paused(); !p.IsZero() {
		t.Fatalf("paused until %v", p)
	}
	if got := lim.Rate(); got != 100 {
		t.Errorf("new window starts at %v req/s, want 300 per 3 s = 100", got)
	}
}
