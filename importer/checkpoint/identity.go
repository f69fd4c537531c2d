package checkpoint

import (
	"fmt"
	"sort"
	"strconv"
	"strings"
)

// A checkpoint belongs to one endpoint, one org, one key and one mapping:
// its rows were created there, keyed that way. A run that differs in the
// endpoint, the org or the key would create every row again (the keys it
// computes match nothing, or the works it skips are elsewhere), so Open
// refuses it with a *ConflictError. A changed mapping only changes what
// new rows look like: a warning names what changed.

// KeyDef is how a checkpoint's rows are keyed: by key columns, or, with
// none, by a hash of the cells of the Hashed columns.
type KeyDef struct {
	Columns []string `json:"columns,omitempty"` // key columns, in key order
	Hashed  []string `json:"hashed,omitempty"`  // keyless: the columns hashed (lower case)
}

// Same reports whether rows keyed by k and by o get the same keys: the same
// key columns (names compared case-insensitively, as the header is), or
// both keyless (a keyless run hashes the checkpoint's Hashed columns).
func (k KeyDef) Same(o KeyDef) bool {
	if len(k.Columns) != len(o.Columns) {
		return false
	}
	for i := range k.Columns {
		if !strings.EqualFold(strings.TrimSpace(k.Columns[i]), strings.TrimSpace(o.Columns[i])) {
			return false
		}
	}
	return true
}

// String names the key for a message: `"Issue key"`, `"Project", "Number"`
// or `a hash of each row's mapped cells`.
func (k KeyDef) String() string {
	if len(k.Columns) == 0 {
		return "a hash of each row's mapped cells (no key)"
	}
	q := make([]string, len(k.Columns))
	for i, c := range k.Columns {
		q[i] = strconv.Quote(c)
	}
	return strings.Join(q, ", ")
}

// ConflictError says a run does not fit the checkpoint it was given: other
// endpoint, other org or other key. Nothing was written.
type ConflictError struct {
	Path string
	What string // "endpoint", "org" or "key"
	Was  string // what the checkpoint records
	Now  string // what this run has
}

func (e *ConflictError) Error() string {
	switch e.What {
	case "key":
		return fmt.Sprintf("checkpoint %s: the checkpoint's rows are keyed by %s; this run keys by %s: every row would be created again (keep the key, or use another --checkpoint)", e.Path, e.Was, e.Now)
	case "org":
		return fmt.Sprintf("checkpoint %s belongs to org %s, but the token is of org %s: its rows were created there, not here (use another --checkpoint)", e.Path, e.Was, e.Now)
	}
	return fmt.Sprintf("checkpoint %s belongs to %s %s, but this run uses %s: its rows were created there, not here (use another --checkpoint)", e.Path, e.What, e.Was, e.Now)
}

// conflict checks a run's header against the identity a checkpoint
// recorded (fields it did not record are not checked).
func conflict(path string, rec, now Header) error {
	if rec.Endpoint != "" && now.Endpoint != "" && rec.Endpoint != now.Endpoint {
		return &ConflictError{Path: path, What: "endpoint", Was: rec.Endpoint, Now: now.Endpoint}
	}
	if rec.Org != "" && now.Org != "" && rec.Org != now.Org {
		return &ConflictError{Path: path, What: "org", Was: rec.Org, Now: now.Org}
	}
	if rec.Key != nil && now.Key != nil && !rec.Key.Same(*now.Key) {
		return &ConflictError{Path: path, What: "key", Was: rec.Key.String(), Now: now.Key.String()}
	}
	return nil
}

// mappingChanges names what differs between two mapping descriptions
// (Header.Mapping: an entry per column, default and setting, e.g.
// `column "Priority"` → `severity, values {...}`), at most a few.
func mappingChanges(was, now map[string]string) string {
	var names []string
	for k := range was {
		if now[k] != was[k] {
			names = append(names, k)
		}
	}
	for k := range now {
		if _, ok := was[k]; !ok {
			names = append(names, k)
		}
	}
	sort.Strings(names)
	var out []string
	for _, k := range names {
		w, wok := was[k]
		n, nok := now[k]
		switch {
		case !wok:
			out = append(out, fmt.Sprintf("%s is new (%s)", k, cut(n)))
		case !nok:
			out = append(out, fmt.Sprintf("%s is gone (was %s)", k, cut(w)))
		default:
			out = append(out, fmt.Sprintf("%s: %s, was %s", k, cut(n), cut(w)))
		}
	}
	const most = 5
	if len(out) > most {
		out = append(out[:most], fmt.Sprintf("and %d more", len(out)-most))
	}
	return strings.Join(out, "; ")
}

// cut shortens a description for a message.
func cut(s string) string {
	if r := []rune(s); len(r) > 60 {
		return string(r[:59]) + "…"
	}
	return s
}
