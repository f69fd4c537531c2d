package throttle

import (
	"context"
	"fmt"
	"math"
	"net/http"
	"sort"
	"sync"
	"time"

	"golang.org/x/time/rate"

	"github.com/devrev-import/devrev-import/importer/devrev"
)

// AutoStartRate is the token-bucket rate (requests/s) of an auto Limiter
// before the first rate-limit headers arrive, and again at the start of
// each new window until a response of that window arrives.
const AutoStartRate = 5.0

// inFlightTTL bounds how long a request that was never observed counts as
// in flight (a caller that skipped Observe after a failure). It is well
// beyond the client's default 30 s timeout.
const inFlightTTL = 2 * time.Minute

// Config configures a Limiter.
type Config struct {
	// Rate caps requests per second. 0 selects auto mode: start at
	// AutoStartRate, then pace to the server's headers, spreading the
	// window's remaining budget evenly until its reset.
	Rate float64
	// Burst is the token bucket's size. 0 means 1 (give the worker count
	// for a fixed Rate, so all workers can start together). Auto mode
	// always uses 1.
	Burst int
	// Clock is the time source; nil means real time.
	Clock Clock
	// MaxWait bounds every wait of Wait (0 = no bound): a pause, the
	// window's reset, a token in auto mode, and the time spent in 429s in
	// a row. A longer wait is not slept: Wait returns a *WaitError.
	MaxWait time.Duration
}

// WaitError is a wait longer than Config.MaxWait: the server asked to wait
// (a Retry-After, a window reset far away) or has answered 429 for that
// long in a row. The run should stop and be resumed later.
type WaitError struct {
	Wait time.Duration // how long the wait would be (for 429s in a row: their span)
	Max  time.Duration
	// Why names what asks for the wait, e.g. "a 429 (Retry-After)".
	Why string
	// Since is when the 429s in a row began; zero for a single wait.
	Since time.Time
}

func (e *WaitError) Error() string {
	if !e.Since.IsZero() {
		return fmt.Sprintf("the API has answered 429 since %s (%s, more than --max-wait %s); run again later",
			e.Since.Format(time.TimeOnly), roundWait(e.Wait), e.Max)
	}
	return fmt.Sprintf("the API asks to wait %s (%s), more than --max-wait %s; run again later", roundWait(e.Wait), e.Why, e.Max)
}

// roundWait shows a wait the way a person reads it: 2760h0m0s for 115
// days, 1m3s, 250ms.
func roundWait(d time.Duration) time.Duration {
	if d >= time.Second {
		return d.Round(time.Second)
	}
	return d.Round(time.Millisecond)
}

// Limiter decides when each request may leave. One Limiter is shared by
// every worker of a run; it is safe for concurrent use.
//
// Protocol: call Wait before each request, note the instant it returned
// (Clock.Now()) as sentAt, and call Observe(resp.Rate, sentAt) exactly once
// when the attempt ends, whatever its outcome (a zero RateInfo when no
// answer came). After a 429, also call PauseUntil with RetryInstant.
//
// Three gates apply, in order:
//   - the pause instant set by PauseUntil;
//   - the server's window budget: after a response said Remaining=r with
//     Reset=T, no more than r further requests leave before T, counting
//     requests already in flight (T less the learned count delay: what
//     leaves later is counted in the next window);
//   - the token bucket.
type Limiter struct {
	clock   Clock
	auto    bool
	maxWait time.Duration

	mu     sync.Mutex
	bucket *rate.Limiter

	// Pause gate and its statistics.
	pause  time.Time
	asked  time.Duration // the wait the pause's 429 asked for (Hold)
	pauses int
	waited time.Duration
	// throttledSince is when the 429s in a row began (zero: not
	// throttled): an answer other than a 429 to a request sent since then
	// ends the streak.
	throttledSince time.Time

	// Window budget: valid while known and now < reset.
	known  bool
	reset  time.Time
	budget int

	// What the headers taught about the server's windows (auto mode): the
	// limit per window and the window's length, so a new window can start
	// at the full pace instead of AutoStartRate.
	limit  int
	window time.Duration
	// countDelay is how long after leaving a request is counted by the
	// server, as learned from requests sent before a window's reset and
	// counted in the next one (latency before the server's counter, or
	// its clock ahead of ours). A window ends countDelay before its
	// Reset for what we send.
	countDelay time.Duration
	// rtt bounds countDelay: a request is counted before its answer
	// leaves, so no request's count delay is longer than its round trip.
	// One slow request (a stall on either side) teaches a long delay the
	// others do not have; trusting it would send what the server still
	// counts in a full window. The shortest recent round trip says how
	// soon a request may be counted.
	rtt shortestRTT

	// changed is closed (and replaced) whenever the bucket's rate changes,
	// so a Wait holding a reservation made at the old rate re-reserves.
	changed chan struct{}

	// sends records every request that left Wait, oldest first, until it
	// is observed (done) and no older request is still in flight.
	sends []send
}

type send struct {
	at   time.Time
	done bool
}

// NewLimiter returns a Limiter for cfg.
func NewLimiter(cfg Config) *Limiter {
	l := &Limiter{clock: cfg.Clock, auto: cfg.Rate <= 0, maxWait: cfg.MaxWait, changed: make(chan struct{}), rtt: newShortestRTT()}
	if l.clock == nil {
		l.clock = realClock{}
	}
	if l.auto {
		l.bucket = rate.NewLimiter(rate.Limit(AutoStartRate), 1)
	} else {
		l.bucket = rate.NewLimiter(rate.Limit(cfg.Rate), max(1, cfg.Burst))
	}
	return l
}

// Wait blocks until a request may leave: not before any pause instant,
// within the server's remaining window budget, and within the token
// bucket. The request counts as in flight from the moment Wait returns nil.
// It returns ctx.Err() if ctx ends first, and a *WaitError instead of
// waiting longer than Config.MaxWait.
func (l *Limiter) Wait(ctx context.Context) error {
	for {
		if err := ctx.Err(); err != nil {
			return err
		}
		l.mu.Lock()
		now := l.clock.Now()
		if until, blocked := l.gateLocked(now); blocked {
			if err := l.checkWaitLocked(now, until); err != nil {
				l.mu.Unlock()
				return err
			}
			timer := l.clock.After(until.Sub(now))
			l.mu.Unlock()
			if err := sleep(ctx, timer); err != nil {
				return err
			}
			continue
		}
		res := l.bucket.ReserveN(now, 1)
		if !res.OK() {
			l.mu.Unlock()
			return errBurst
		}
		delay := res.DelayFrom(now)
		if l.auto && l.maxWait > 0 && delay > l.maxWait {
			// The pace the headers set (a budget spread over a window that
			// ends in months) would hold this request that long.
			res.CancelAt(now)
			l.mu.Unlock()
			return &WaitError{Wait: delay, Max: l.maxWait, Why: "the pace its X-RateLimit headers set"}
		}
		if delay <= 0 {
			l.sentLocked(now)
			l.mu.Unlock()
			return nil
		}
		timer := l.clock.After(delay)
		changed := l.changed
		l.mu.Unlock()
		select {
		case <-timer:
		case <-changed:
			// The rate changed (the first headers arrived): a slot
			// reserved at the old rate may be far too late now.
			l.mu.Lock()
			res.CancelAt(l.clock.Now())
			l.mu.Unlock()
			continue
		case <-ctx.Done():
			l.mu.Lock()
			res.CancelAt(l.clock.Now())
			l.mu.Unlock()
			return ctx.Err()
		}
		// The token is ours, but a pause or the budget may have closed
		// the gate meanwhile: then hand the token back and start over.
		l.mu.Lock()
		now = l.clock.Now()
		if _, blocked := l.gateLocked(now); blocked {
			res.CancelAt(now)
			l.mu.Unlock()
			continue
		}
		l.sentLocked(now)
		l.mu.Unlock()
		return nil
	}
}

// errBurst cannot happen with the bursts NewLimiter sets; it guards the
// rate package's contract.
var errBurst = errorString("throttle: token bucket refused a single request")

type errorString string

func (e errorString) Error() string { return string(e) }

func sleep(ctx context.Context, timer <-chan time.Time) error {
	select {
	case <-timer:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// gateLocked expires a passed window and reports whether the pause or the
// budget blocks a request at now, and until when.
func (l *Limiter) gateLocked(now time.Time) (time.Time, bool) {
	if l.known && !now.Add(l.delay()).Before(l.reset) {
		// The window is over: its budget is unknown until a response of
		// the new window arrives. Start it gently in auto mode.
		l.known = false
		if l.auto {
			start := AutoStartRate
			if l.limit > 0 && l.window > 0 {
				// The server's pace: the whole budget over the window.
				start = float64(l.limit) / l.window.Seconds()
			}
			l.setRateLocked(now, start)
		}
	}
	if now.Before(l.pause) {
		return l.pause, true
	}
	if l.known && l.budget <= 0 {
		return l.reset.Add(-l.delay()), true
	}
	return time.Time{}, false
}

// checkWaitLocked returns a *WaitError when the gate closed until until
// is a wait longer than maxWait, or makes the 429s in a row last longer.
func (l *Limiter) checkWaitLocked(now, until time.Time) error {
	if l.maxWait <= 0 {
		return nil
	}
	d, why := until.Sub(now), "the window's X-RateLimit-Reset"
	if now.Before(l.pause) {
		why = "a 429"
		if d <= l.maxWait && !l.throttledSince.IsZero() {
			if streak := until.Sub(l.throttledSince); streak > l.maxWait {
				return &WaitError{Wait: streak, Max: l.maxWait, Why: why, Since: l.throttledSince}
			}
		}
	}
	if d > l.maxWait {
		return &WaitError{Wait: d, Max: l.maxWait, Why: why}
	}
	return nil
}

// sentLocked records a request leaving at now.
func (l *Limiter) sentLocked(now time.Time) {
	if l.known {
		l.budget--
	}
	l.sends = append(l.sends, send{at: now})
}

// Observe feeds the rate-limit headers of a finished attempt, sent at
// sentAt (the instant its Wait returned). It retires the attempt from the
// in-flight count and, when the headers are known and their window has not
// ended, tightens the window budget to Remaining minus the requests that
// may still reach the server after this one: those sent since sentAt and
// those sent earlier but not yet observed. For the same Reset the lowest
// budget wins, so answers may arrive out of order; a later Reset starts a
// new window. In auto mode the token bucket is then set to spread the
// budget evenly over the time left until Reset.
//
// An answer other than a 429 to a request sent since the 429s in a row
// began ends them (for MaxWait).
func (l *Limiter) Observe(resp devrev.Response, sentAt time.Time) {
	l.mu.Lock()
	defer l.mu.Unlock()
	now := l.clock.Now()
	l.retireLocked(sentAt, now)
	if resp.Status != 0 && resp.Status != http.StatusTooManyRequests && !sentAt.Before(l.throttledSince) {
		l.throttledSince = time.Time{}
	}
	r := resp.Rate
	if r.Known {
		if r.Reset.After(l.reset) {
			l.rtt.newWindow()
		}
		l.rtt.add(now.Sub(sentAt))
	}
	l.learnCountDelayLocked(r, sentAt, now)
	if !r.Known || !r.Reset.After(now.Add(l.delay())) {
		return
	}
	// Requests that may be counted by the server after this one.
	later := len(l.sends) - sort.Search(len(l.sends), func(i int) bool { return l.sends[i].at.After(sentAt) })
	for _, s := range l.sends {
		if s.at.After(sentAt) {
			break
		}
		if !s.done {
			later++
		}
	}
	budget := max(0, r.Remaining-later)
	switch {
	case !l.known || r.Reset.After(l.reset):
		if !l.reset.IsZero() && r.Reset.After(l.reset) {
			l.window = r.Reset.Sub(l.reset) // successive resets: the window's length
		}
		l.limit = r.Limit
		l.known, l.reset, l.budget = true, r.Reset, budget
	case r.Reset.Equal(l.reset):
		l.budget = min(l.budget, budget)
	default:
		return // an answer from an older window
	}
	if l.auto && l.budget > 0 {
		// budget requests, evenly spaced: budget+1 gaps, so the last one
		// leaves one gap before Reset rather than on it.
		perSec := float64(l.budget+1) / l.reset.Sub(now.Add(l.delay())).Seconds()
		l.setRateLocked(now, perSec)
	}
}

// delay is the count delay the limiter acts on: the learned one, but no
// longer than the shortest round trip of the current and previous window.
func (l *Limiter) delay() time.Duration {
	return min(l.countDelay, l.rtt.bound())
}

// shortestRTT keeps the shortest round trip of the answers of the current
// window and of the one before, so a bound learned in a fast moment lasts
// a window beyond it and then gives way to what the network does now.
// (math.MaxInt64 where none was seen: no bound).
type shortestRTT struct{ cur, prev time.Duration }

func newShortestRTT() shortestRTT { return shortestRTT{math.MaxInt64, math.MaxInt64} }

func (s *shortestRTT) add(d time.Duration) { s.cur = min(s.cur, max(0, d)) }

func (s *shortestRTT) newWindow() { s.prev, s.cur = s.cur, math.MaxInt64 }

// bound is the shortest round trip of the two windows.
func (s *shortestRTT) bound() time.Duration { return min(s.cur, s.prev) }

// learnCountDelayLocked learns countDelay from an answer to a request
// sent at sentAt, before the reset of the window the limiter knew: counted
// in a later window, the request took at least reset - sentAt to be
// counted; counted in that window although countDelay said it would not
// be, it took less.
func (l *Limiter) learnCountDelayLocked(r devrev.RateInfo, sentAt, now time.Time) {
	if !r.Known || l.reset.IsZero() || !sentAt.Before(l.reset) {
		return
	}
	switch {
	case r.Reset.After(l.reset):
		l.countDelay = min(max(l.countDelay, l.reset.Sub(sentAt)), now.Sub(sentAt))
	case r.Reset.Equal(l.reset) && !sentAt.Add(l.countDelay).Before(l.reset):
		l.countDelay = max(0, l.reset.Sub(sentAt)-time.Millisecond)
	}
}

// setRateLocked changes the bucket's rate. When the rate more than
// doubles (the first headers after the gentle start) it also wakes the
// Waits holding a reservation made at the old rate, so they reserve again.
// Smaller adjustments, which come with nearly every answer, wake nobody:
// cancelled reservations hand back only part of their tokens, and waking
// every worker on every answer starved the bucket (a 300-per-3 s window
// fell to a third of its rate).
func (l *Limiter) setRateLocked(now time.Time, perSec float64) {
	old := float64(l.bucket.Limit())
	if perSec == old {
		return
	}
	l.bucket.SetLimitAt(now, rate.Limit(perSec))
	if perSec > 2*old {
		close(l.changed)
		l.changed = make(chan struct{})
	}
}

// retireLocked marks the latest in-flight request sent at or before sentAt
// as done and drops records nobody can need any more.
func (l *Limiter) retireLocked(sentAt, now time.Time) {
	i := sort.Search(len(l.sends), func(i int) bool { return l.sends[i].at.After(sentAt) })
	for i--; i >= 0; i-- {
		if !l.sends[i].done {
			l.sends[i].done = true
			break
		}
	}
	stale := now.Add(-inFlightTTL)
	n := 0
	for n < len(l.sends) && (l.sends[n].done || l.sends[n].at.Before(stale)) {
		n++
	}
	if n > 0 {
		l.sends = append(l.sends[:0], l.sends[n:]...)
	}
}

// PauseUntil makes every Wait block until t; a pause only ever extends.
// Use the latest of Retry-After, the body's retry_after and
// X-RateLimit-Reset of a 429 (see RetryInstant). It returns how long the
// limiter is now paused from the current time.
func (l *Limiter) PauseUntil(t time.Time) time.Duration {
	l.mu.Lock()
	defer l.mu.Unlock()
	now := l.clock.Now()
	if l.throttledSince.IsZero() {
		l.throttledSince = now
	}
	if t.After(l.pause) && t.After(now) {
		if l.pause.After(now) {
			l.waited += t.Sub(l.pause)
		} else {
			l.pauses++
			l.waited += t.Sub(now)
		}
		l.pause, l.asked = t, t.Sub(now)
	}
	return max(0, l.pause.Sub(now))
}

// Paused reports the instant before which no request will leave, for a
// progress display ("rate limited: resuming in 27s"): the pause instant, or
// the window's reset when its budget is spent. It is zero when requests
// may leave now (subject to the token bucket).
func (l *Limiter) Paused() time.Time {
	l.mu.Lock()
	defer l.mu.Unlock()
	now := l.clock.Now()
	until, blocked := l.gateLocked(now)
	if !blocked {
		return time.Time{}
	}
	return until
}

// Stats returns the number of pauses set by PauseUntil and their total
// duration (overlapping pauses counted once).
func (l *Limiter) Stats() (pauses int, waited time.Duration) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.pauses, l.waited
}

// Rate returns the token bucket's current rate in requests per second
// (+Inf for no limit); in auto mode it follows the server's headers.
func (l *Limiter) Rate() float64 {
	l.mu.Lock()
	defer l.mu.Unlock()
	lim := l.bucket.Limit()
	if lim == rate.Inf {
		return math.Inf(1)
	}
	return float64(lim)
}
