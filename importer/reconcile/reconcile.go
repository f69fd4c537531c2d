// Package reconcile decides whether a request whose answer was lost (a
// dropped connection, a timeout, a crash between send and journal) created
// its work, so that a row is never blindly sent twice.
//
// Two ways to look a work up, in order of certainty:
//  1. the row key is stored in a custom field: list works with that
//     custom-field value;
//  2. otherwise: list works of the row's type created by the token's own
//     user around the time of the request, and match the exact title (and
//     body). Works this import already recorded are excluded, so two rows
//     with the same title are not mistaken for each other.
package reconcile

import (
	"context"
	"errors"
	"fmt"
	"hash/maphash"
	"sync"
	"time"

	"github.com/devrev-import/devrev-import/importer/devrev"
	"github.com/devrev-import/devrev-import/importer/throttle"
	"github.com/devrev-import/devrev-import/mapping"
)

// Outcome is what a lookup found.
type Outcome int

const (
	// NotFound: the work does not exist; the row may be sent.
	NotFound Outcome = iota
	// Found: exactly one work matches; the row is created.
	Found
	// Ambiguous: several works match; a person must decide.
	Ambiguous
)

// Options configure a Reconciler.
type Options struct {
	Client  *devrev.Client
	Limiter *throttle.Limiter // every lookup waits on the run's limiter
	// KeyField is the custom field (without "custom_fields.") that holds
	// the row key, or "" to match on title.
	KeyField string
	// Window is how far around the request's time a created work may lie
	// (default 10 minutes: clocks differ, and a create can be slow).
	Window time.Duration
	// MaxAttempts bounds the retries of one lookup call (default 6).
	MaxAttempts int
	Backoff     throttle.Backoff
	Clock       throttle.Clock
	// Recorded, when set, reports works that earlier runs recorded as
	// created (the checkpoint): title matching never claims them.
	Recorded func(id string) bool
}

// Reconciler looks works up. It is safe for concurrent use.
type Reconciler struct {
	opt  Options
	seed maphash.Seed

	mu     sync.Mutex
	known  map[uint64]struct{}
	selfID string
}

// New returns a Reconciler.
func New(opt Options) *Reconciler {
	if opt.Window <= 0 {
		opt.Window = 10 * time.Minute
	}
	if opt.MaxAttempts <= 0 {
		opt.MaxAttempts = 6
	}
	if opt.Backoff == nil {
		opt.Backoff = throttle.FullJitter(500*time.Millisecond, 30*time.Second, nil)
	}
	if opt.Clock == nil {
		opt.Clock = throttle.RealClock()
	}
	return &Reconciler{opt: opt, seed: maphash.MakeSeed(), known: make(map[uint64]struct{})}
}

// Known records a work this run created, so title matching never claims
// it for another row (Options.Recorded covers earlier runs).
func (r *Reconciler) Known(id string) {
	r.mu.Lock()
	r.known[maphash.String(r.seed, id)] = struct{}{}
	r.mu.Unlock()
}

func (r *Reconciler) isKnown(id string) bool {
	if r.opt.Recorded != nil && r.opt.Recorded(id) {
		return true
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	_, ok := r.known[maphash.String(r.seed, id)]
	return ok
}

// Query describes the row in doubt.
type Query struct {
	Key    string
	Work   *mapping.Work
	SentAt time.Time
}

// Result is a lookup's answer.
type Result struct {
	Outcome    Outcome
	ID         string
	DisplayID  string
	Candidates []string // display IDs when Ambiguous
	By         string   // "custom_field" or "title"
}

// Find looks the row's work up.
func (r *Reconciler) Find(ctx context.Context, q Query) (Result, error) {
	if r.opt.KeyField != "" {
		if v, ok := q.Work.CustomFields[r.opt.KeyField]; ok {
			return r.byField(ctx, q, fmt.Sprint(v))
		}
	}
	return r.byTitle(ctx, q)
}

func (r *Reconciler) byField(ctx context.Context, q Query, value string) (Result, error) {
	req := devrev.ListWorksRequest{Type: []string{q.Work.Type}, CustomFields: map[string][]string{r.opt.KeyField: {value}}, Limit: 10}
	works, err := r.list(ctx, req, func(w devrev.Work) bool { return fmt.Sprint(w.CustomFields[r.opt.KeyField]) == value })
	if err != nil {
		return Result{}, err
	}
	return decide(works, "custom_field"), nil
}

func (r *Reconciler) byTitle(ctx context.Context, q Query) (Result, error) {
	self, err := r.self(ctx)
	if err != nil {
		return Result{}, err
	}
	req := devrev.ListWorksRequest{
		Type:          []string{q.Work.Type},
		CreatedBy:     []string{self},
		CreatedAfter:  q.SentAt.Add(-r.opt.Window),
		CreatedBefore: r.opt.Clock.Now().Add(r.opt.Window),
		Limit:         100,
	}
	works, err := r.list(ctx, req, func(w devrev.Work) bool {
		return w.Title == q.Work.Title && (q.Work.Body == "" || w.Body == q.Work.Body) && !r.isKnown(w.ID)
	})
	if err != nil {
		return Result{}, err
	}
	return decide(works, "title"), nil
}

func decide(works []devrev.Work, by string) Result {
	switch len(works) {
	case 0:
		return Result{Outcome: NotFound, By: by}
	case 1:
		return Result{Outcome: Found, ID: works[0].ID, DisplayID: works[0].DisplayID, By: by}
	}
	res := Result{Outcome: Ambiguous, By: by}
	for _, w := range works {
		res.Candidates = append(res.Candidates, w.DisplayID)
	}
	return res
}

// list pages through works.list and keeps the works match accepts.
func (r *Reconciler) list(ctx context.Context, req devrev.ListWorksRequest, match func(devrev.Work) bool) ([]devrev.Work, error) {
	var out []devrev.Work
	for page := 0; ; page++ {
		if page >= 100 {
			return nil, errors.New("works.list: more than 100 pages of candidates")
		}
		var works []devrev.Work
		var next string
		err := r.call(ctx, func() (devrev.Response, error) {
			var resp devrev.Response
			var err error
			works, next, resp, err = r.opt.Client.ListWorks(ctx, req)
			return resp, err
		})
		if err != nil {
			return nil, fmt.Errorf("works.list: %w", err)
		}
		for _, w := range works {
			if match(w) {
				out = append(out, w)
			}
		}
		if next == "" || len(works) == 0 {
			return out, nil
		}
		req.Cursor = next
	}
}

func (r *Reconciler) self(ctx context.Context) (string, error) {
	r.mu.Lock()
	id := r.selfID
	r.mu.Unlock()
	if id != "" {
		return id, nil
	}
	var u devrev.User
	err := r.call(ctx, func() (devrev.Response, error) {
		var resp devrev.Response
		var err error
		u, resp, err = r.opt.Client.Self(ctx)
		return resp, err
	})
	if err != nil {
		return "", fmt.Errorf("dev-users.self: %w", err)
	}
	r.mu.Lock()
	r.selfID = u.ID
	r.mu.Unlock()
	return u.ID, nil
}

// call runs one read-only API call through the run's limiter. A lookup is
// safe to repeat, so a lost answer is simply retried.
func (r *Reconciler) call(ctx context.Context, f func() (devrev.Response, error)) error {
	return throttle.Retrier{Limiter: r.opt.Limiter, Backoff: r.opt.Backoff, MaxAttempts: r.opt.MaxAttempts, Clock: r.opt.Clock}.Do(ctx, f)
}
