// Package throttle paces requests to the DevRev API and decides what to do
// after each attempt.
//
// A Limiter is shared by every worker of a run. It combines a token bucket
// (golang.org/x/time/rate), a pause gate set after a 429, and the server's
// window budget read from the X-RateLimit-* headers, so that the run never
// sends more requests than the server said it would accept.
//
// The retry policy is a set of plain functions: Classify sorts an attempt's
// outcome into a Decision, FullJitter computes backoff delays, RetryInstant
// says when to resume after a 429.
//
// Everything that waits or reads the time takes a Clock, so tests can
// drive time with throttletest.FakeClock instead of sleeping.
package throttle

import "time"

// Clock is the one source of time of the packages that wait or stamp
// (the limiter, the pipeline, the checkpoint journal, progress, the
// simulator). Production code uses the real clock (a nil Clock in their
// options); tests use a throttletest.FakeClock.
type Clock interface {
	// Now returns the current time.
	Now() time.Time
	// After returns a channel that receives the time once d has elapsed.
	After(d time.Duration) <-chan time.Time
}

// RealClock returns the wall clock (time.Now and time.After), the Clock a
// nil Config.Clock stands for.
func RealClock() Clock { return realClock{} }

// realClock is the wall clock.
type realClock struct{}

func (realClock) Now() time.Time                         { return time.Now() }
func (realClock) After(d time.Duration) <-chan time.Time { return time.After(d) }
