package throttle

import (
	"context"
	"errors"

	"github.com/devrev-import/devrev-import/importer/devrev"
)

// Retrier runs calls that are safe to repeat (lookups, deletes) through a
// shared Limiter: 429s pause every caller and do not use up attempts; 5xx,
// network errors and lost answers are retried after a backoff, at most
// MaxAttempts times; anything else is returned at once.
type Retrier struct {
	Limiter     *Limiter
	Backoff     Backoff // nil = FullJitter(DefaultBackoffBase, DefaultBackoffMax, nil)
	MaxAttempts int     // 0 = DefaultMaxAttempts
	Clock       Clock   // nil = RealClock(); must be the Limiter's clock
}

// Do runs f until it succeeds, fails for good, or ctx ends.
func (r Retrier) Do(ctx context.Context, f func() (devrev.Response, error)) error {
	backoff, clock, max := r.Backoff, r.Clock, r.MaxAttempts
	if backoff == nil {
		backoff = FullJitter(DefaultBackoffBase, DefaultBackoffMax, nil)
	}
	if clock == nil {
		clock = RealClock()
	}
	if max <= 0 {
		max = DefaultMaxAttempts
	}
	for attempt := 1; ; {
		if err := r.Limiter.Wait(ctx); err != nil {
			return err
		}
		sentAt := clock.Now()
		resp, err := f()
		r.Limiter.Observe(resp, sentAt)
		switch Classify(err) {
		case Done:
			return nil
		case RetryThrottled:
			var ae *devrev.APIError
			errors.As(err, &ae)
			if until, ok := RetryInstant(clock.Now(), ae); ok {
				r.Limiter.PauseUntil(until)
				continue
			}
		case Retry, InDoubt:
		default:
			return err
		}
		if attempt >= max {
			return err
		}
		select {
		case <-clock.After(backoff(attempt)):
		case <-ctx.Done():
			return ctx.Err()
		}
		attempt++
	}
}
