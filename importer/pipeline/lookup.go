package pipeline

import (
	"context"
	"fmt"
	"strings"

	"github.com/devrev-import/devrev-import/importer/devrev"
	"github.com/devrev-import/devrev-import/importer/throttle"
)

// lookupBatch is how many keys one works.list asks for: the filter takes
// a list of values, so a thousand new keys cost twenty calls, not a
// thousand.
const lookupBatch = 50

// lookupPage is the page size of those listings.
const lookupPage = 100

// lookUp queues op, whose key the checkpoint does not know, to be found
// in DevRev by the custom field that stores keys (Mapper.KeyField); a
// full batch is looked up at once. false means the run stopped.
func (r *run) lookUp(ctx context.Context, jobs chan<- *Op, op *Op) bool {
	return r.queue(ctx, jobs, op, r.flushLookups)
}

// queue adds op to the rows waiting for one works.list; a full batch is
// handed to flush at once. false means the run stopped.
func (r *run) queue(ctx context.Context, jobs chan<- *Op, op *Op, flush func(context.Context, chan<- *Op) bool) bool {
	r.lookups = append(r.lookups, op)
	if len(r.lookups) < lookupBatch {
		return true
	}
	return flush(ctx, jobs)
}

// flushLookups looks the queued keys up (one works.list filter, paged)
// and decides each row by what it found, Salesforce's upsert rule: no
// work → create (update mode: not found), one → compare and update, more
// → the row fails naming them, nothing written. false means the run
// stopped; the rows not handed on count as not attempted.
func (r *run) flushLookups(ctx context.Context, jobs chan<- *Op) bool {
	ops := r.lookups
	r.lookups = nil
	if len(ops) == 0 {
		return true
	}
	found, err := r.listByKey(r.intake, ops)
	if err != nil {
		return r.lookupFailed(err, len(ops))
	}
	for i, op := range ops {
		works := found[op.Key]
		send := false
		switch {
		case op.ID != "":
			// The checkpoint knows the work (a line without hashes): compare
			// with it as listed, or read it when the listing lacks it.
			if w, ok := pickWork(works, op.ID); ok {
				send = r.decideServed(op, w)
			} else {
				op.needsRead, send = true, true
			}
		case len(works) > 1:
			r.keyAmbiguous(op, works)
		case len(works) == 1:
			send = r.decideServed(op, works[0])
		case r.cfg.Mode == ModeUpdate:
			r.notFound(op, fmt.Sprintf("no work for key %q: neither the checkpoint nor DevRev (custom field %s) has one", op.Key, r.keyField))
		default:
			send = true // a create
		}
		if send && !r.emit(ctx, jobs, op) {
			r.notTried.Add(int64(len(ops) - i - 1))
			return false
		}
	}
	return true
}

// lookupFailed ends the run for a works.list that failed after its
// retries (the API's state, not the rows'): the n rows waiting for it
// count as not attempted. It returns false, the run stopped.
func (r *run) lookupFailed(err error, n int) bool {
	if !r.stopped() {
		r.stop(stopFor(err))
	}
	r.notTried.Add(int64(n))
	return false
}

// listByKey lists the works whose key field holds one of the ops' keys,
// grouped by key.
func (r *run) listByKey(ctx context.Context, ops []*Op) (map[string][]devrev.Work, error) {
	keys := make([]string, len(ops))
	for i, op := range ops {
		keys[i] = op.Key
	}
	return r.worksByKey(ctx, keys)
}

// worksByKey lists the works whose key field holds one of keys, grouped
// by key.
func (r *run) worksByKey(ctx context.Context, keys []string) (map[string][]devrev.Work, error) {
	out, calls, err := WorksByKey(ctx, r.cfg.Client, r.retrier(), r.keyField, keys)
	r.requests.Add(int64(calls))
	return out, err
}

// WorksByKey lists, through retr, the works whose custom field field
// holds one of keys (one works.list filter, paged), grouped by the
// field's trimmed value, and says how many calls it made. The one lookup
// by key of the tool: upsert's, the links', validate's.
func WorksByKey(ctx context.Context, c *devrev.Client, retr throttle.Retrier, field string, keys []string) (map[string][]devrev.Work, int, error) {
	out := make(map[string][]devrev.Work, len(keys))
	req := devrev.ListWorksRequest{CustomFields: map[string][]string{field: keys}, Limit: lookupPage}
	pages := cursors{what: "looking keys up in DevRev (works.list by " + field + ")"}
	for calls := 1; ; calls++ {
		var works []devrev.Work
		var next string
		err := retr.Do(ctx, func() (devrev.Response, error) {
			var resp devrev.Response
			var err error
			works, next, resp, err = c.ListWorks(ctx, req)
			return resp, err
		})
		if err != nil {
			return nil, calls, fmt.Errorf("looking keys up in DevRev (works.list by %s): %w", field, err)
		}
		for _, w := range works {
			if k, ok := w.CustomFields[field].(string); ok {
				k = strings.TrimSpace(k)
				out[k] = append(out[k], w)
			}
		}
		if more, err := pages.next(next, len(works)); !more {
			return out, calls, err
		}
		req.Cursor = next
	}
}

// pickWork is the work of works whose ID is id.
func pickWork(works []devrev.Work, id string) (devrev.Work, bool) {
	for _, w := range works {
		if w.ID == id || w.DisplayID == id {
			return w, true
		}
	}
	return devrev.Work{}, false
}

// keyAmbiguous fails a row whose key several works in DevRev carry:
// nothing is written until a person decides which one is the row's.
func (r *run) keyAmbiguous(op *Op, works []devrev.Work) {
	ids := make([]string, len(works))
	for i, w := range works {
		ids[i] = w.DisplayID
	}
	r.ambiguousN.Add(1)
	r.opFailed(op, 0, "ambiguous", fmt.Sprintf("%d works in DevRev carry key %q in %s: %s; nothing was written (keep one, or map a column to id to name the row's work)",
		len(works), op.Key, r.keyField, strings.Join(ids, ", ")), 0)
}
