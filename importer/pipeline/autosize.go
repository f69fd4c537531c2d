package pipeline

import (
	"context"
	"math"
	"sync"
	"time"
)

// sizer decides how many requests an import with --workers auto keeps in
// flight. It is a pure function of what it is told (no clock, no I/O), so
// tests drive it with made-up observations.
//
// The target follows Little's law: the requests in flight needed to meet a
// rate are the rate times the time each takes, so target = allowed rate ×
// latency EWMA × headroom, never below start (the limiter paces a low rate
// anyway) nor above max. Failures that say the server is struggling (5xx,
// timeouts, dropped connections) lower a ceiling multiplicatively, at most
// once per latency so one burst of errors halves it once; each success
// raises it again by 1/ceiling (about one slot per round of requests).
type sizer struct {
	start, max int
	latency    float64   // EWMA of a request's time, seconds; 0: none seen
	failRate   float64   // EWMA of the share of failed attempts
	ceiling    float64   // error ceiling; starts at max
	lastCut    time.Time // when the ceiling was last halved
	limit      int
}

const (
	sizerHeadroom  = 1.25 // in flight beyond rate × latency, for jitter
	sizerLatAlpha  = 0.2  // weight of a new latency sample
	sizerFailAlpha = 0.1  // weight of a new success/failure sample
	sizerFailHigh  = 0.2  // failure share above which the ceiling is cut
)

// newSizer returns a sizer that starts at start requests in flight, within
// 1 and hi.
func newSizer(start, hi int) *sizer {
	hi = max(1, hi)
	start = min(max(1, start), hi)
	return &sizer{start: start, max: hi, ceiling: float64(hi), limit: start}
}

// observe takes one finished attempt: when it ended, how long it took,
// whether it failed in a way that says the server struggles, and the rate
// (requests/s) the limiter allows now (+Inf: no limit). It returns the
// new number of requests allowed in flight.
func (s *sizer) observe(now time.Time, took time.Duration, failed bool, allowed float64) int {
	sec := took.Seconds()
	if s.latency == 0 {
		s.latency = sec
	} else {
		s.latency += sizerLatAlpha * (sec - s.latency)
	}
	f := 0.0
	if failed {
		f = 1
	}
	s.failRate += sizerFailAlpha * (f - s.failRate)
	cooldown := time.Duration(s.latency * float64(time.Second))
	if failed && s.failRate > sizerFailHigh && now.Sub(s.lastCut) >= cooldown {
		s.ceiling = math.Max(1, float64(s.limit)/2)
		s.lastCut = now
	} else if !failed {
		s.ceiling = math.Min(float64(s.max), s.ceiling+1/s.ceiling)
	}
	s.limit = int(math.Max(1, math.Min(s.target(allowed), s.ceiling)))
	return s.limit
}

// target is Little's law's number of requests in flight for the rate.
func (s *sizer) target(allowed float64) float64 {
	if math.IsInf(allowed, 1) || math.IsNaN(allowed) {
		return float64(s.max)
	}
	if allowed <= 0 {
		return float64(s.limit) // paused: keep what we have
	}
	t := math.Ceil(allowed*s.latency*sizerHeadroom - 0.01) // - 0.01: an EWMA converges, never arrives
	return math.Min(float64(s.max), math.Max(float64(s.start), t))
}

// slots is a counting semaphore whose size can change while it is held:
// a shrink takes effect as requests finish, a growth wakes waiters.
type slots struct {
	mu          sync.Mutex
	limit, held int
	wake        chan struct{} // closed and replaced when a slot may be free
}

func newSlots(n int) *slots {
	return &slots{limit: max(1, n), wake: make(chan struct{})}
}

// acquire takes a slot, waiting until one is free or ctx ends.
func (s *slots) acquire(ctx context.Context) error {
	for {
		s.mu.Lock()
		if s.held < s.limit {
			s.held++
			s.mu.Unlock()
			return nil
		}
		w := s.wake
		s.mu.Unlock()
		select {
		case <-w:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}

// release gives a slot back.
func (s *slots) release() {
	s.mu.Lock()
	s.held--
	s.wakeLocked()
	s.mu.Unlock()
}

// resize sets the number of slots (at least 1).
func (s *slots) resize(n int) {
	s.mu.Lock()
	grew := n > s.limit
	s.limit = max(1, n)
	if grew {
		s.wakeLocked()
	}
	s.mu.Unlock()
}

// size returns the number of slots.
func (s *slots) size() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.limit
}

func (s *slots) wakeLocked() {
	close(s.wake)
	s.wake = make(chan struct{})
}

// autoWorkers is the gate of an import with --workers auto: slots sized by
// a sizer fed by every finished attempt. nil (a fixed pool) lets everything
// through.
type autoWorkers struct {
	mu    sync.Mutex
	sizer *sizer
	slots *slots
}

func newAutoWorkers(start, hi int) *autoWorkers {
	sz := newSizer(start, hi)
	return &autoWorkers{sizer: sz, slots: newSlots(sz.limit)}
}

// enter waits for a slot; the returned func gives it back.
func (a *autoWorkers) enter(ctx context.Context) (func(), error) {
	if a == nil {
		return func() {}, nil
	}
	if err := a.slots.acquire(ctx); err != nil {
		return nil, err
	}
	return a.slots.release, nil
}

// observe feeds one finished attempt to the sizer and resizes the slots.
func (a *autoWorkers) observe(now time.Time, took time.Duration, failed bool, allowed float64) {
	if a == nil {
		return
	}
	a.mu.Lock()
	n := a.sizer.observe(now, took, failed, allowed)
	a.mu.Unlock()
	a.slots.resize(n)
}
