// Package throttletest is test support for code that takes a
// throttle.Clock: a fake clock whose time moves only when the test says.
package throttletest

import (
	"context"
	"sort"
	"sync"
	"time"
)

// FakeClock is a throttle.Clock whose time moves only when a test calls
// Advance. Timers made with After fire when the clock reaches their
// deadline. It is safe for concurrent use: tests drive a Limiter (or
// anything else taking a Clock) with it without sleeping.
type FakeClock struct {
	mu      sync.Mutex
	now     time.Time
	timers  []fakeTimer
	changed chan struct{} // closed and replaced whenever timers change
}

type fakeTimer struct {
	at time.Time
	ch chan time.Time
}

// NewFakeClock returns a FakeClock reading start.
func NewFakeClock(start time.Time) *FakeClock {
	return &FakeClock{now: start, changed: make(chan struct{})}
}

// Now returns the fake current time.
func (c *FakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

// After returns a channel that receives the fake time once the clock has
// been advanced by d. A d <= 0 fires at once.
func (c *FakeClock) After(d time.Duration) <-chan time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	ch := make(chan time.Time, 1)
	if d <= 0 {
		ch <- c.now
		return ch
	}
	c.timers = append(c.timers, fakeTimer{at: c.now.Add(d), ch: ch})
	c.notifyLocked()
	return ch
}

// Advance moves the clock forward by d and fires every timer whose deadline
// has been reached, in deadline order.
func (c *FakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if d > 0 {
		c.now = c.now.Add(d)
	}
	sort.SliceStable(c.timers, func(i, j int) bool { return c.timers[i].at.Before(c.timers[j].at) })
	n := 0
	for _, t := range c.timers {
		if t.at.After(c.now) {
			break
		}
		t.ch <- c.now
		n++
	}
	if n > 0 {
		c.timers = append(c.timers[:0], c.timers[n:]...)
		c.notifyLocked()
	}
}

// AdvanceTo moves the clock to t (if t is later) and fires due timers.
func (c *FakeClock) AdvanceTo(t time.Time) {
	c.Advance(t.Sub(c.Now()))
}

// Timers returns the number of pending (not yet fired) timers. A timer
// whose receiver gave up (for example on context cancellation) stays
// pending until its deadline.
func (c *FakeClock) Timers() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.timers)
}

// NextDeadline returns the earliest pending timer deadline, if any.
func (c *FakeClock) NextDeadline() (time.Time, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.timers) == 0 {
		return time.Time{}, false
	}
	next := c.timers[0].at
	for _, t := range c.timers[1:] {
		if t.at.Before(next) {
			next = t.at
		}
	}
	return next, true
}

// BlockUntil waits until at least n timers are pending, that is until the
// goroutines under test have gone to sleep on the clock. It returns
// ctx.Err() if ctx ends first.
func (c *FakeClock) BlockUntil(ctx context.Context, n int) error {
	for {
		c.mu.Lock()
		pending, changed := len(c.timers), c.changed
		c.mu.Unlock()
		if pending >= n {
			return nil
		}
		select {
		case <-changed:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}

func (c *FakeClock) notifyLocked() {
	close(c.changed)
	c.changed = make(chan struct{})
}

// ClockFunc is a throttle.Clock that reads the time from a function, for
// code under test that only reads the time (a journal's stamps, progress
// lines). Its After is the real time.After.
type ClockFunc func() time.Time

func (f ClockFunc) Now() time.Time                         { return f() }
func (f ClockFunc) After(d time.Duration) <-chan time.Time { return time.After(d) }
