// Package lookup resolves the names and emails of a spreadsheet (an
// assignee's email, a component's name, a label, a customer) to the DevRev
// IDs works.create needs.
//
// A mapping column marked "lookup: dev_user.email" (or dev_user.name,
// part.name, tag.name, account.name, rev_org.name) leaves its raw cell
// values in the mapped Work; the Resolver's Enricher replaces them in place
// before the row is sent, or reports the cells it cannot resolve.
//
// Each distinct value is asked once per run and cached, so a 100,000-row
// file with 40 distinct assignees makes about 40 lookups. Values are asked
// through the list endpoints' filters (dev-users.list email, parts.list and
// tags.list name, accounts.list and rev-orgs.list display_name); when a
// filter cannot express the match (a dev user's display or full name, a
// name that differs in case or spacing, the suggestion for a typo) the
// whole list is paged through once and indexed. Every call goes through the
// run's shared limiter and retry policy (throttle.Retrier).
//
// Matching: emails case-insensitively; names exactly, then ignoring case
// and whitespace. Several matches make the cell invalid with the candidates
// listed; no match makes it invalid with the closest value suggested.
// Values that already are IDs (DEVU-3, PROD-1, don:…) pass through.
package lookup

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"

	"github.com/devrev-import/devrev-import/importer/devrev"
	"github.com/devrev-import/devrev-import/importer/throttle"
)

// DefaultPageSize is the page size of list calls when Options.PageSize is 0.
const DefaultPageSize = 100

// maxPages bounds how many pages one list walk reads, so that a server
// handing out cursors forever cannot keep a run busy.
const maxPages = 10000

// Options configures a Resolver. Client and Retrier.Limiter are required.
type Options struct {
	// Client makes the list calls.
	Client *devrev.Client
	// Retrier is the run's shared limiter and retry policy: lookups are
	// paced together with the creates.
	Retrier throttle.Retrier
	// CachePath (--lookup-cache) persists resolutions between runs: a JSON
	// file, written by Close with mode 0600. "" keeps them for this run
	// only. Only values that resolved to an ID are stored, with the org
	// they belong to; a file written for another org is not used.
	CachePath string
	// PageSize is the limit of each list call; 0 means DefaultPageSize.
	PageSize int
}

// Resolver resolves lookup values to IDs. It is safe for concurrent use;
// share one per run.
type Resolver struct {
	client    *devrev.Client
	retrier   throttle.Retrier
	cachePath string
	pageSize  int

	mu      sync.Mutex // guards entries, asked, cached
	entries map[entryKey]*entry
	asked   int
	cached  int

	lists [numCategories]list

	orgMu    sync.Mutex // guards org, selfDone, file
	org      string     // partition and Dev org of this run ("dvrv-us-1:devo/x"), "" until known
	selfDone bool       // dev-users.self was asked (successfully or not)
	file     *cacheFile // entries read from CachePath; nil without one
}

// entryKey identifies one value of one kind. Emails are lower-cased.
type entryKey struct {
	k kind
	v string
}

// entry is one value's resolution; done closes when out is set.
type entry struct {
	done chan struct{}
	out  outcome
}

// list is the complete content of one list endpoint, read once.
type list struct {
	mu     sync.Mutex
	loaded bool
	objs   []object
}

// New checks opt and returns a Resolver, reading the cache file when
// CachePath names one that exists.
func New(opt Options) (*Resolver, error) {
	if opt.Client == nil {
		return nil, errors.New("lookup: no API client")
	}
	if opt.Retrier.Limiter == nil {
		return nil, errors.New("lookup: the retrier has no limiter")
	}
	r := &Resolver{
		client:    opt.Client,
		retrier:   opt.Retrier,
		cachePath: opt.CachePath,
		pageSize:  opt.PageSize,
		entries:   map[entryKey]*entry{},
	}
	if r.pageSize <= 0 {
		r.pageSize = DefaultPageSize
	}
	if opt.CachePath != "" {
		f, err := readCacheFile(opt.CachePath)
		if err != nil {
			return nil, err
		}
		r.file = f
	}
	return r, nil
}

// Stats reports how many distinct values were asked of the API in this run
// and how many lookups were answered without asking (a value seen before
// in this run, or found in the cache file). Values that already are IDs
// count in neither.
func (r *Resolver) Stats() (asked, cached int) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.asked, r.cached
}

// resolve returns the ID of value v of kind k, or the message for its cell.
func (r *Resolver) resolve(ctx context.Context, k kind, v string) outcome {
	if isID(k, v) {
		return outcome{id: v}
	}
	key := entryKey{k, v}
	if kinds[k].email {
		key.v = strings.ToLower(v)
	}
	r.mu.Lock()
	if e, ok := r.entries[key]; ok {
		r.cached++
		r.mu.Unlock()
		select {
		case <-e.done:
			return e.out
		case <-ctx.Done():
			return failed(ctx.Err())
		}
	}
	e := &entry{done: make(chan struct{})}
	r.entries[key] = e
	r.mu.Unlock()

	out, fromFile := r.ask(ctx, k, v, key.v)
	r.mu.Lock()
	if fromFile {
		r.cached++
	} else {
		r.asked++
	}
	if out.transient && ctx.Err() != nil {
		// The run is stopping: do not keep an answer that says so.
		delete(r.entries, key)
	}
	e.out = out
	r.mu.Unlock()
	close(e.done)
	return out
}

// failed is the outcome of a lookup that could not be made.
func failed(err error) outcome {
	out := outcome{msg: "could not be looked up: " + err.Error(), transient: true}
	if throttle.RunEnding(err) {
		out.err = fmt.Errorf("looking names up: %w", err)
	}
	return out
}

// ask resolves one value: from the cache file, from a list already read
// whole, through the list's filter, or by reading the whole list.
func (r *Resolver) ask(ctx context.Context, k kind, v, cacheKey string) (out outcome, fromFile bool) {
	if id, ok := r.fromFile(ctx, k, cacheKey); ok {
		return outcome{id: id}, true
	}
	cat := kinds[k].cat
	l := &r.lists[cat]
	l.mu.Lock()
	loaded, objs := l.loaded, l.objs
	l.mu.Unlock()
	if loaded {
		return resolveIn(k, objs, v), false
	}
	if kinds[k].filtered {
		objs, err := r.walk(ctx, cat, []string{v})
		if err != nil {
			return failed(err), false
		}
		if out, ok := decide(k, v, exactMatches(k, objs, v)); ok {
			return out, false
		}
	}
	objs, err := r.all(ctx, cat)
	if err != nil {
		return failed(err), false
	}
	return resolveIn(k, objs, v), false
}

// all returns the whole list of a category, reading it once per run.
func (r *Resolver) all(ctx context.Context, cat category) ([]object, error) {
	l := &r.lists[cat]
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.loaded {
		return l.objs, nil
	}
	objs, err := r.walk(ctx, cat, nil)
	if err != nil {
		return nil, err
	}
	l.loaded, l.objs = true, objs
	return objs, nil
}

// walk reads every page of a list call with the given filter (nil: the
// whole list), following cursors.
func (r *Resolver) walk(ctx context.Context, cat category, filter []string) ([]object, error) {
	var all []object
	cursor := ""
	seen := map[string]bool{}
	for range maxPages {
		var page []object
		var next string
		req := devrev.ListRequest{Filter: filter, Cursor: cursor, Limit: r.pageSize}
		err := r.retrier.Do(ctx, func() (devrev.Response, error) {
			var resp devrev.Response
			var err error
			page, next, resp, err = r.page(ctx, cat, req)
			return resp, err
		})
		if err != nil {
			return nil, err
		}
		for i := range page {
			r.noteOrg(page[i].id)
		}
		all = append(all, page...)
		if next == "" || seen[next] {
			return all, nil
		}
		seen[next] = true
		cursor = next
	}
	return all, nil
}

// page makes one list call of a category.
func (r *Resolver) page(ctx context.Context, cat category, req devrev.ListRequest) ([]object, string, devrev.Response, error) {
	if cat == catDevUsers {
		users, next, resp, err := r.client.ListDevUsers(ctx, req)
		objs := make([]object, 0, len(users))
		for _, u := range users {
			objs = append(objs, object{id: u.ID, displayID: u.DisplayID, names: nonEmpty(u.DisplayName, u.FullName), email: u.Email})
		}
		return objs, next, resp, err
	}
	var call func(context.Context, devrev.ListRequest) ([]devrev.Named, string, devrev.Response, error)
	switch cat {
	case catParts:
		call = r.client.ListParts
	case catTags:
		call = r.client.ListTags
	case catAccounts:
		call = r.client.ListAccounts
	default:
		call = r.client.ListRevOrgs
	}
	named, next, resp, err := call(ctx, req)
	objs := make([]object, 0, len(named))
	for _, n := range named {
		objs = append(objs, object{id: n.ID, displayID: n.DisplayID, names: nonEmpty(n.Name)})
	}
	return objs, next, resp, err
}

// nonEmpty returns the non-empty strings of ss, without repeats.
func nonEmpty(ss ...string) []string {
	out := make([]string, 0, len(ss))
	for _, s := range ss {
		if s != "" && (len(out) == 0 || out[len(out)-1] != s) {
			out = append(out, s)
		}
	}
	return out
}

// orgOf returns the partition and Dev org of a DON ID
// ("don:identity:dvrv-us-1:devo/x:devu/1" → "dvrv-us-1:devo/x"), or "".
func orgOf(id string) string {
	parts := strings.Split(id, ":")
	if len(parts) < 5 || parts[0] != "don" || !strings.HasPrefix(parts[3], "devo/") {
		return ""
	}
	return parts[2] + ":" + parts[3]
}

// noteOrg records the org of this run from an ID the server sent.
func (r *Resolver) noteOrg(id string) {
	org := orgOf(id)
	if org == "" {
		return
	}
	r.orgMu.Lock()
	if r.org == "" {
		r.org = org
	}
	r.orgMu.Unlock()
}

// fromFile answers from the cache file, once the run's org is known to be
// the file's (asking dev-users.self if no answer has told it yet).
func (r *Resolver) fromFile(ctx context.Context, k kind, key string) (string, bool) {
	r.orgMu.Lock()
	defer r.orgMu.Unlock()
	if r.file == nil {
		return "", false
	}
	id, ok := r.file.IDs[kinds[k].name][key]
	if !ok {
		return "", false
	}
	if r.org == "" && !r.selfDone {
		r.selfDone = true
		var self devrev.User
		err := r.retrier.Do(ctx, func() (devrev.Response, error) {
			var resp devrev.Response
			var err error
			self, resp, err = r.client.Self(ctx)
			return resp, err
		})
		if err == nil {
			r.org = orgOf(self.ID)
		}
	}
	return id, r.org != "" && r.org == r.file.Org
}

// errorf wraps an error of the cache file.
func errorf(path string, err error) error {
	return fmt.Errorf("lookup cache %s: %w", path, err)
}
