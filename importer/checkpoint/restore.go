package checkpoint

import (
	"bytes"
	"encoding/json"
	"maps"
	"slices"

	"github.com/devrev-import/devrev-import/importer/workdiff"
)

// Restore is what undo needs about one key's work: delete it (Created), or
// put back the fields this checkpoint's updates changed (a found work).
type Restore struct {
	Key string
	Row int
	// ID, DisplayID and Type name the work.
	ID, DisplayID, Type string
	// Created says this checkpoint created the work (undo deletes it);
	// otherwise it was found in DevRev (undo restores Before).
	Created bool
	// Before is each field's first value known before this checkpoint
	// changed it (from found and updating lines, raw JSON in the request's
	// shape): what undo puts back.
	Before map[string]json.RawMessage
	// LastFH hashes the fields' values the journal last recorded in DevRev
	// (its last created, found or updated line; nil when unknown): a field
	// whose current hash differs was changed since by someone else, and
	// undo leaves it alone. A field in InDoubt may hold either its hash
	// here or the value of the update in doubt.
	LastFH map[string]string
	// Fields are the fields this checkpoint's updates sent (sorted),
	// InDoubt those of updates whose answer was lost.
	Fields, InDoubt []string
	// Updated says an updated line was recorded: this checkpoint changed
	// the work.
	Updated bool
	// LastUpdate is the work's last update line (updating, updated or
	// failed; without its maps), nil when it was never updated.
	LastUpdate *Entry
}

// Restores returns every key that has a work (created by this checkpoint
// and not deleted, or found), in the order the keys first appeared. A
// light State returns nil.
func (s *State) Restores() []Restore {
	if s == nil {
		return nil
	}
	var out []Restore
	for i := range s.entries {
		st := &s.entries[i]
		if !holdsWork(st.status) {
			continue
		}
		e := st.entry()
		r := Restore{Key: e.Key, Row: e.Row, ID: e.ID, DisplayID: e.DisplayID, Type: e.Type, Created: e.Status == Created, LastFH: st.fh.expand()}
		if w := st.work; w != nil {
			r.Before = maps.Clone(w.before)
			r.Fields, r.InDoubt, r.Updated = slices.Clone(w.updated), slices.Clone(w.doubt), w.done
			if w.last != nil {
				last := *w.last
				r.LastUpdate = &last
			}
		}
		out = append(out, r)
	}
	return out
}

// Pending lists, sorted, the fields this checkpoint's updates sent whose
// value before it the journal does not show back in DevRev: what an undo
// still has to put back. A field is back when the last recorded hashes
// (LastFH) hold its Before value's hash (no hash: it was empty before),
// as an undo's "updated" line records them; a field of an update in doubt
// is never known to be back. A created work has nothing pending (undo
// deletes it).
func (r Restore) Pending() []string {
	if r.Created {
		return nil
	}
	var out []string
	for _, f := range r.Fields {
		if f == "type" {
			continue // the pseudo-field of the work type: never restored
		}
		if r.LastFH == nil || slices.Contains(r.InDoubt, f) || !r.holdsBefore(f) {
			out = append(out, f)
		}
	}
	return out
}

// holdsBefore reports whether LastFH records field f at its Before value
// (JSON null or none: empty, no hash).
func (r Restore) holdsBefore(f string) bool {
	h, has := r.LastFH[f]
	b := bytes.TrimSpace(r.Before[f])
	if len(b) == 0 || string(b) == "null" {
		return !has
	}
	return has && h == workdiff.Hash(b)
}
