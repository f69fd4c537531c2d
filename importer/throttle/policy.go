package throttle

import (
	"context"
	"errors"
	"math/rand/v2"
	"net/http"
	"strconv"
	"time"

	"github.com/devrev-import/devrev-import/importer/devrev"
)

// Decision is what to do after one attempt.
type Decision int

const (
	// Done: the attempt succeeded.
	Done Decision = iota
	// Retry: a transient failure (5xx, a proxy's 502/504 page, a timeout or
	// reset before the request was complete). Retry after a backoff; counts
	// against the attempt budget.
	Retry
	// RetryThrottled: a 429. Pause the limiter (RetryInstant) and retry;
	// does not count against the attempt budget.
	RetryThrottled
	// InDoubt: the request may have been performed (a transport failure
	// after it was written, or a 2xx with an unusable body). Reconcile (look
	// the work up) before any resend.
	InDoubt
	// Fail: the server refused this request (400, 404, 409, ...); the row
	// fails at once, retrying would not help.
	Fail
	// Fatal: the API refused the token or its permissions (401, 403):
	// every further request would be refused too; the run cannot go on.
	Fatal
	// Abort: the caller is stopping, not the API refusing: the context
	// ended (Ctrl-C, --max-duration) or a wait was longer than allowed
	// (*WaitError). Nothing more should be sent; the run is resumable.
	Abort
)

var decisionNames = [...]string{"done", "retry", "retry_throttled", "in_doubt", "fail", "fatal", "abort"}

// String returns the decision's name, e.g. "retry_throttled".
func (d Decision) String() string {
	if d >= 0 && int(d) < len(decisionNames) {
		return decisionNames[d]
	}
	return "decision(" + strconv.Itoa(int(d)) + ")"
}

// Classify sorts the error of one devrev call into a Decision:
//
//   - nil: Done;
//   - *devrev.APIError: 429 RetryThrottled; 401 and 403 Fatal; 408 and
//     5xx Retry; any other status Fail;
//   - *devrev.TransportError: InDoubt if its InDoubt is set, else Retry
//     (also when its cause is a cancelled context: nothing was performed,
//     and the caller's next Wait reports the cancellation);
//   - *devrev.BadResponseError: InDoubt;
//   - a bare context.Canceled or context.DeadlineExceeded (from Wait, say)
//     or a *WaitError: Abort, the run is stopping;
//   - anything else (a request that could not be built): Fail.
func Classify(err error) Decision {
	if err == nil {
		return Done
	}
	var ae *devrev.APIError
	if errors.As(err, &ae) {
		switch {
		case ae.Status == http.StatusTooManyRequests:
			return RetryThrottled
		case ae.Status == http.StatusUnauthorized || ae.Status == http.StatusForbidden:
			return Fatal
		case ae.Status == http.StatusRequestTimeout || ae.Status >= 500:
			return Retry
		default:
			return Fail
		}
	}
	var te *devrev.TransportError
	if errors.As(err, &te) {
		if te.InDoubt {
			return InDoubt
		}
		return Retry
	}
	var be *devrev.BadResponseError
	if errors.As(err, &be) {
		return InDoubt
	}
	var we *WaitError
	if errors.As(err, &we) || errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return Abort
	}
	return Fail
}

// RunEnding reports whether err, from a call retried as far as a Retrier
// goes, is the API's state or the run's rather than the request's fault:
// the API unreachable or failing (network errors, 5xx), throttling past
// the wait allowed, refusing the token (401, 403), or the run stopping.
// Every further call would fail the same way, so the run should stop
// (resumable) instead of marking rows invalid. False for nil and for a
// refusal of this one request (400, 404, 409, ...).
func RunEnding(err error) bool {
	switch Classify(err) {
	case Done, Fail:
		return false
	}
	return true
}

// Backoff returns how long to wait before retry number attempt (1 for the
// first retry).
type Backoff func(attempt int) time.Duration

// FullJitter is exponential backoff with full jitter: attempt 1 waits
// U(0, base), each further attempt doubles the ceiling, capped at max.
// rnd returns a float in [0, 1); nil uses math/rand/v2. Zero base or max
// take DefaultBackoffBase and DefaultBackoffMax.
func FullJitter(base, max time.Duration, rnd func() float64) Backoff {
	if base <= 0 {
		base = DefaultBackoffBase
	}
	if max <= 0 {
		max = DefaultBackoffMax
	}
	if rnd == nil {
		rnd = rand.Float64
	}
	return func(attempt int) time.Duration {
		ceiling := base
		for i := 1; i < attempt && ceiling < max; i++ {
			ceiling *= 2
		}
		ceiling = min(ceiling, max)
		f := rnd()
		if f < 0 || f >= 1 {
			f = 0
		}
		return time.Duration(f * float64(ceiling))
	}
}

// RetryInstant says when to resume after a 429: the latest of
// now+RetryAfter and the window's Reset (when later than now). ok is false
// when the answer gave neither; fall back to a backoff then.
func RetryInstant(now time.Time, e *devrev.APIError) (t time.Time, ok bool) {
	if e == nil {
		return time.Time{}, false
	}
	if e.RetryAfter > 0 {
		t, ok = now.Add(e.RetryAfter), true
	}
	if e.Rate.Known && e.Rate.Reset.After(now) && e.Rate.Reset.After(t) {
		t, ok = e.Rate.Reset, true
	}
	return t, ok
}
