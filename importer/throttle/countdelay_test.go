package throttle

import (
	"testing"
	"time"

	"github.com/devrev-import/devrev-import/importer/devrev"
	"github.com/devrev-import/devrev-import/importer/throttle/throttletest"
)

// TestCountDelay: a server that counts a request only when its latency is
// over (the simulator does) counts what leaves in a window's last moments
// in the next window. The limiter learns that delay from the Reset of such
// a request's answer and ends the window that much earlier for what it
// sends, and unlearns it when a request is counted sooner than it said.
func TestCountDelay(t *testing.T) {
	fc := throttletest.NewFakeClock(t0)
	l := NewLimiter(Config{Rate: 1e6, Burst: 100, Clock: fc})
	at := func(d time.Duration) time.Time { return t0.Add(d) }
	ok := func(remaining int, reset, sent time.Time) {
		l.Observe(devrev.Response{Status: 201, Rate: known(remaining, reset)}, sent)
	}
	w1, w2 := at(3*time.Second), at(6*time.Second)

	fc.AdvanceTo(at(time.Second))
	ok(10, w1, at(600*time.Millisecond))
	if l.countDelay != 0 {
		t.Fatalf("learned %s from an answer of its own window", l.countDelay)
	}
	// Sent 400 ms before w1, counted in the window ending at w2.
	fc.AdvanceTo(w1)
	ok(0, w2, at(2600*time.Millisecond))
	if l.countDelay != 400*time.Millisecond {
		t.Fatalf("count delay %s, want 400ms", l.countDelay)
	}
	// The budget is spent: closed until 400 ms before w2, then open (what
	// leaves now is counted after w2).
	fc.AdvanceTo(at(5500 * time.Millisecond))
	if until, blocked := l.gateLocked(fc.Now()); !blocked || !until.Equal(at(5600*time.Millisecond)) {
		t.Fatalf("gate at 5.5 s: blocked %v until %s, want until 5.6 s", blocked, until.Sub(t0))
	}
	fc.AdvanceTo(at(5700 * time.Millisecond))
	if _, blocked := l.gateLocked(fc.Now()); blocked {
		t.Fatal("gate closed 300 ms before the reset, with a 400 ms count delay")
	}
	// A request sent 200 ms before w2 counted in w2's window: the delay
	// was shorter than learned.
	fc.AdvanceTo(at(5900 * time.Millisecond))
	ok(4, w2, at(5800*time.Millisecond))
	if want := 199 * time.Millisecond; l.countDelay != want {
		t.Fatalf("count delay %s after a request counted sooner, want %s", l.countDelay, want)
	}
}

// TestCountDelayBoundedByRoundTrips: one request stalled after it left
// (a starved process, a slow hop) is counted in the next window and
// teaches a long count delay; the other answers came back within 2 ms, so
// the server may count what leaves that much before a reset in the
// window about to end. The limiter acts on the short round trips: the
// spent window stays closed until 2 ms before its reset, not 40 ms (a
// request sent then would have met a full window: a 429).
func TestCountDelayBoundedByRoundTrips(t *testing.T) {
	fc := throttletest.NewFakeClock(t0)
	l := NewLimiter(Config{Clock: fc})
	at := func(d time.Duration) time.Time { return t0.Add(d) }
	ok := func(remaining int, reset, sent, answered time.Time) {
		fc.AdvanceTo(answered)
		l.Observe(devrev.Response{Status: 201, Rate: known(remaining, reset)}, sent)
	}
	w1, w2, w3 := at(time.Second), at(2*time.Second), at(3*time.Second)
	ok(5, w1, at(500*time.Millisecond), at(502*time.Millisecond))
	ok(4, w1, at(700*time.Millisecond), at(702*time.Millisecond))
	// Sent 40 ms before w1, answered 10 ms after it from w2's window.
	ok(18, w2, at(960*time.Millisecond), at(1010*time.Millisecond))
	if l.countDelay != 40*time.Millisecond {
		t.Fatalf("learned count delay %s, want 40ms", l.countDelay)
	}
	ok(0, w2, at(1500*time.Millisecond), at(1502*time.Millisecond))
	fc.AdvanceTo(at(1970 * time.Millisecond))
	until, blocked := l.gateLocked(fc.Now())
	if want := w2.Add(-2 * time.Millisecond); !blocked || !until.Equal(want) {
		t.Fatalf("spent window at 1.97 s: blocked %v until %s, want until %s", blocked, until.Sub(t0), want.Sub(t0))
	}
	// Once a whole window's answers were slow, the learned delay holds
	// again.
	w4 := at(4 * time.Second)
	ok(0, w3, at(2100*time.Millisecond), at(2150*time.Millisecond))
	if d := l.delay(); d != 2*time.Millisecond {
		t.Fatalf("count delay acted on %s in the window after a fast answer, want 2ms", d)
	}
	ok(0, w4, at(3100*time.Millisecond), at(3150*time.Millisecond))
	if d := l.delay(); d != 40*time.Millisecond {
		t.Fatalf("count delay acted on %s after a window of slow answers only, want the learned 40ms", d)
	}
}
