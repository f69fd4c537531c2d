package throttle

import "time"

// The defaults of retries, waits and concurrency, in one place: the
// pipeline, reconcile, the Retrier and the command line's flags all take
// them from here.
const (
	// DefaultWorkers is how many requests an import keeps in flight
	// (--workers).
	DefaultWorkers = 8
	// DefaultStartWorkers is how many requests --workers auto starts
	// with before it has seen a latency.
	DefaultStartWorkers = 4
	// DefaultMaxWorkers caps --workers auto (--max-workers).
	DefaultMaxWorkers = 64
	// DefaultUndoWorkers is how many deletes undo keeps in flight.
	DefaultUndoWorkers = 4
	// DefaultMaxRetries is how often a row is retried after a 5xx or a
	// network error (--max-retries); 429s do not count.
	DefaultMaxRetries = 6
	// DefaultMaxAttempts bounds the attempts of one call of a Retrier (a
	// lookup, a reconciliation search, the schema fetch).
	DefaultMaxAttempts = 6
	// DefaultMaxConsecutiveFailures is how many 5xx or network failures
	// in a row stop a run (--max-consecutive-failures).
	DefaultMaxConsecutiveFailures = 25
	// DefaultMaxWait is the longest wait accepted (--max-wait), and the
	// bound of the waits of the commands without that flag.
	DefaultMaxWait = 15 * time.Minute
	// DefaultBackoffBase and DefaultBackoffMax bound FullJitter's delays
	// for zero arguments.
	DefaultBackoffBase = 500 * time.Millisecond
	DefaultBackoffMax  = 30 * time.Second
)
