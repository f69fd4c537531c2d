package throttle

import (
	"testing"
	"time"

	"github.com/devrev-import/devrev-import/importer/devrev"
	"github.com/devrev-import/devrev-import/importer/throttle/throttletest"
)

// Hold says whether a 429 (and the wait it asked for) or the spent window
// budget holds requests back, and until when.
func TestHoldSaysWhy(t *testing.T) {
	fc := throttletest.NewFakeClock(t0)
	l := NewLimiter(Config{Rate: 1000, Burst: 10, Clock: fc})
	if h := l.Hold(); !h.Until.IsZero() {
		t.Fatalf("Hold() of a fresh limiter = %+v, want zero", h)
	}
	l.PauseUntil(t0.Add(30 * time.Second))
	fc.Advance(3 * time.Second)
	if h := l.Hold(); !h.Until.Equal(t0.Add(30*time.Second)) || h.Window || h.Asked != 30*time.Second {
		t.Errorf("Hold() in a 429 pause = %+v, want until t0+30s, asked 30s", h)
	}
	fc.Advance(27 * time.Second)
	if h := l.Hold(); !h.Until.IsZero() {
		t.Errorf("Hold() after the pause = %+v, want zero", h)
	}
	reset := fc.Now().Add(20 * time.Second)
	l.Observe(devrev.Response{Status: 200, Rate: known(0, reset)}, fc.Now())
	if h := l.Hold(); !h.Until.Equal(reset) || !h.Window || h.Asked != 0 {
		t.Errorf("Hold() with the budget spent = %+v, want the window until %v", h, reset)
	}
}
