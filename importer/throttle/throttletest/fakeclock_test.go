package throttletest

import (
	"context"
	"testing"
	"time"
)

var t0 = time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)

func TestFakeClock(t *testing.T) {
	fc := NewFakeClock(t0)
	now := fc.After(0)
	if got := <-now; !got.Equal(t0) {
		t.Errorf("After(0) fired with %v", got)
	}
	a := fc.After(2 * time.Second)
	b := fc.After(time.Second)
	if fc.Timers() != 2 {
		t.Errorf("Timers() = %d", fc.Timers())
	}
	if next, ok := fc.NextDeadline(); !ok || !next.Equal(t0.Add(time.Second)) {
		t.Errorf("NextDeadline() = %v, %v", next, ok)
	}
	fc.Advance(time.Second)
	select {
	case got := <-b:
		if !got.Equal(t0.Add(time.Second)) {
			t.Errorf("timer fired with %v", got)
		}
	default:
		t.Error("1s timer did not fire")
	}
	select {
	case <-a:
		t.Error("2s timer fired early")
	default:
	}
	fc.AdvanceTo(t0.Add(5 * time.Second))
	<-a
	if _, ok := fc.NextDeadline(); ok || fc.Timers() != 0 {
		t.Error("timers left")
	}
	if !fc.Now().Equal(t0.Add(5 * time.Second)) {
		t.Errorf("Now() = %v", fc.Now())
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := fc.BlockUntil(ctx, 1); err != context.Canceled {
		t.Errorf("BlockUntil = %v", err)
	}
}
