// Package reconcile decides whether a request whose answer was lost (a
// dropped connection, a timeout, a crash between send and journal) created
// its work, so that a row is never blindly sent twice.
//
// Two ways to look a work up, in order of certainty:
//  1. the row key is stored in a custom field: list works with that
//     custom-field value;
//  2. otherwise: list works of the row's type created by the token's own
//     user around the time of the request, and keep those that carry every
//     field the request carried, each compared in the shape the API serves
//     it (see match.go). Works this import already recorded or claimed are
//     excluded. Identical requests form a multiset: as many matching works
//     are claimed as there are rows that may have created them
//     (Query.Claimants); more matching works than that is ambiguous.
package reconcile

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"hash/maphash"
	"sync"
	"time"

	"github.com/devrev-import/devrev-import/importer/devrev"
	"github.com/devrev-import/devrev-import/importer/throttle"
	"github.com/devrev-import/devrev-import/importer/workdiff"
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
	// MaxAttempts bounds the retries of one lookup call (default
	// throttle.DefaultMaxAttempts).
	MaxAttempts int
	Backoff     throttle.Backoff
	Clock       throttle.Clock
	// Recorded, when set, reports works that earlier runs recorded as
	// created (the checkpoint): matching never claims them.
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
		opt.MaxAttempts = throttle.DefaultMaxAttempts
	}
	if opt.Backoff == nil {
		opt.Backoff = throttle.FullJitter(500*time.Millisecond, 30*time.Second, nil)
	}
	if opt.Clock == nil {
		opt.Clock = throttle.RealClock()
	}
	return &Reconciler{opt: opt, seed: maphash.MakeSeed(), known: make(map[uint64]struct{})}
}

// Known records a work this run created, so matching never claims it for
// another row (Options.Recorded covers earlier runs).
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

// ErrTooManyCandidates says a lookup found more candidate works than it
// pages through: it cannot tell whether the row's work exists.
var ErrTooManyCandidates = errors.New("more candidate works than a lookup pages through")

// maxPages bounds the pages of one lookup (100 works each).
const maxPages = 100

// Query describes the row in doubt.
type Query struct {
	Key  string
	Work *mapping.Work
	// Body is the JSON the create request sent; nil means json.Marshal(Work).
	Body   []byte
	SentAt time.Time
	// Claimants is how many rows, this one included, sent this same request
	// (Fingerprint) and may have created a work without recording it: at
	// most that many matching works are claimed before more is ambiguous.
	// Below 1 counts as 1.
	Claimants int
}

// Result is a lookup's answer.
type Result struct {
	Outcome    Outcome
	ID         string
	DisplayID  string
	Candidates []string // display IDs when Ambiguous
	By         string   // "custom_field" or "fields"
}

// Find looks the row's work up.
func (r *Reconciler) Find(ctx context.Context, q Query) (Result, error) {
	if r.opt.KeyField != "" {
		if v, ok := q.Work.CustomFields[r.opt.KeyField]; ok {
			return r.byField(ctx, q, fmt.Sprint(v))
		}
	}
	return r.byMatch(ctx, q)
}

func (r *Reconciler) byField(ctx context.Context, q Query, value string) (Result, error) {
	req := devrev.ListWorksRequest{Type: []string{q.Work.Type}, CustomFields: map[string][]string{r.opt.KeyField: {value}}, Limit: 10}
	works, err := r.list(ctx, req, func(w devrev.Work) bool { return fmt.Sprint(w.CustomFields[r.opt.KeyField]) == value })
	if err != nil {
		return Result{}, err
	}
	return decide(works, "custom_field"), nil
}

func (r *Reconciler) byMatch(ctx context.Context, q Query) (Result, error) {
	body := q.Body
	if body == nil {
		var err error
		if body, err = json.Marshal(q.Work); err != nil {
			return Result{}, fmt.Errorf("encoding the request: %w", err)
		}
	}
	sent, err := decodeRequest(body)
	if err != nil {
		return Result{}, err
	}
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
	var exact, loose []devrev.Work
	_, err = r.list(ctx, req, func(w devrev.Work) bool {
		if r.isKnown(w.ID) {
			return false
		}
		doc, err := workdiff.ParseDoc(w.Raw)
		if err != nil || !sent.matches(doc) {
			return false
		}
		if sent.extras(doc) {
			loose = append(loose, w)
		} else {
			exact = append(exact, w)
		}
		return false
	})
	if err != nil {
		return Result{}, err
	}
	// A work without values the request did not set is the better match;
	// one with them (DevRev may have added a tag) counts when no other does.
	works := exact
	if len(works) == 0 {
		works = loose
	}
	return r.claimOne(works, max(1, q.Claimants)), nil
}

// claimOne decides on the matching works of a request that claimants rows
// may have sent: none is NotFound, more than claimants is Ambiguous, else
// the first one not claimed yet is claimed (Known) and Found.
func (r *Reconciler) claimOne(works []devrev.Work, claimants int) Result {
	const by = "fields"
	if len(works) > claimants {
		return decide(works, by)
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, w := range works {
		h := maphash.String(r.seed, w.ID)
		if _, taken := r.known[h]; taken {
			continue
		}
		r.known[h] = struct{}{}
		return Result{Outcome: Found, ID: w.ID, DisplayID: w.DisplayID, By: by}
	}
	return Result{Outcome: NotFound, By: by}
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
		if page >= maxPages {
			return nil, fmt.Errorf("works.list: %w (%d pages of %d)", ErrTooManyCandidates, maxPages, req.Limit)
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
