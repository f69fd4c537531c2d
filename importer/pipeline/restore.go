package pipeline

import (
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"

	"github.com/devrev-import/devrev-import/importer/checkpoint"
	"github.com/devrev-import/devrev-import/importer/devrev"
	"github.com/devrev-import/devrev-import/importer/workdiff"
)

// This file is the undo of updates: a work this checkpoint found in
// DevRev and updated gets back, field by field, the value it had before
// the checkpoint's first update of it (the journal's Before), unless
// someone changed the field in DevRev since: then the field is left alone
// and listed. "Since" is told by the hash the journal recorded of the
// value this tool left there (LastFH): a current value with another hash
// was written by someone else.

// UndoItem is one work an undo touches: a work the checkpoint created
// (deleted), or one it updated without creating, with the fields to put
// back.
type UndoItem struct {
	checkpoint.Restore
	// Pending are the fields this checkpoint updated whose value before
	// it is not known to be back (sorted); empty for a created work.
	Pending []string
	// Relation is OpLink or OpComment for a link or comment this
	// checkpoint made (Restore.ID is the link's or the timeline entry's;
	// Key its journal key); "" for a work.
	Relation checkpoint.Op
}

// RelationsTodo returns the links and comments a checkpoint made and no
// undo deleted yet: an undo deletes them before the works. A comment
// recorded without its ID (DevRev said 409: an earlier attempt had made
// it, whose answer was lost) cannot be deleted by ID; unknown counts them.
func RelationsTodo(st *checkpoint.State) (todo []UndoItem, unknown int) {
	st.Each(func(e checkpoint.Entry) bool {
		if e.Status != checkpoint.Linked && e.Status != checkpoint.Commented {
			return true
		}
		if e.ID == "" {
			unknown++
			return true
		}
		todo = append(todo, UndoItem{Restore: checkpoint.Restore{Key: e.Key, Row: e.Row, ID: e.ID}, Relation: e.Op})
		return true
	})
	return todo, unknown
}

// UndoTodo returns what an undo of a checkpoint has to do, from its
// Restores: every work it created, and every work it updated without
// creating whose updated fields the journal does not record as back at
// their values before it (an earlier undo's "updated" line records them
// so: a finished undo leaves nothing to do).
func UndoTodo(rs []checkpoint.Restore) []UndoItem {
	var out []UndoItem
	for _, r := range rs {
		if r.Created {
			out = append(out, UndoItem{Restore: r})
			continue
		}
		if p := r.Pending(); len(p) > 0 {
			out = append(out, UndoItem{Restore: r, Pending: p})
		}
	}
	return out
}

func isNullJSON(v json.RawMessage) bool {
	t := bytes.TrimSpace(v)
	return len(t) == 0 || string(t) == "null"
}

// FieldOutcome is what an undo does with one field of a work it restores.
type FieldOutcome int

const (
	// FieldPut: the value before this checkpoint is (or, in a dry run,
	// would be) put back.
	FieldPut FieldOutcome = iota
	// FieldBack: DevRev holds the value before this checkpoint already.
	FieldBack
	// FieldLeftAlone: the field is left as it is (Why says why).
	FieldLeftAlone
)

// FieldUndo is the outcome of one field of a work an undo restores.
type FieldUndo struct {
	Field   string
	Outcome FieldOutcome
	// Now is DevRev's value when the undo read the work, Back the value
	// before this checkpoint (request shape; nil: empty, or unknown: see
	// Why).
	Now, Back json.RawMessage
	// Why says why a field is left alone: "changed in DevRev since this
	// import", ...
	Why string
}

// WorkUndo is what an undo did with a work it restores.
type WorkUndo struct {
	// Gone: DevRev no longer has the work (404); nothing to restore.
	Gone   bool
	Fields []FieldUndo
}

// The reasons a field is left alone.
const (
	whyChanged  = "changed in DevRev since this import"
	whyDoubt    = "an update of this import whose answer was lost may have set it, or someone else changed it since"
	whyUnserved = "DevRev does not serve it back, so whether it changed since cannot be told"
	whyNoBefore = "the checkpoint does not record its value before this import"
)

// restore reads the item's work and puts back every pending field
// nobody changed since (one works.update), journaling the fields back.
func (u *undoer) restore(ctx context.Context, it UndoItem) error {
	var w devrev.Work
	err := u.cfg.Retrier.Do(ctx, func() (devrev.Response, error) {
		var resp devrev.Response
		var err error
		w, resp, err = u.cfg.Get(ctx, it.ID)
		return resp, err
	})
	if isNotFound(err) {
		return u.gone(it)
	}
	if err != nil {
		return u.failed(it, fmt.Errorf("reading the work: %w", err))
	}
	typ := cmp.Or(w.Type, it.Type)
	fields, body, err := planRestore(it, w.Raw, typ)
	if err != nil {
		return u.failed(it, err)
	}
	if body != nil && !u.cfg.DryRun {
		err := u.cfg.Retrier.Do(ctx, func() (devrev.Response, error) {
			_, resp, err := u.cfg.Update(ctx, body)
			return resp, err
		})
		if isNotFound(err) {
			return u.gone(it)
		}
		if err != nil {
			return u.failed(it, fmt.Errorf("restoring %s: %w", strings.Join(putNames(fields), ", "), err))
		}
	}
	if !u.cfg.DryRun {
		if err := u.journalRestored(it, typ, fields); err != nil {
			return err
		}
	}
	u.tally(it, fields, false)
	if slices.ContainsFunc(fields, func(f FieldUndo) bool { return f.Outcome != FieldLeftAlone }) {
		u.c.Updated.Add(1)
	}
	if u.cfg.Report != nil {
		u.cfg.Report(it, WorkUndo{Fields: fields})
	}
	return nil
}

// gone records a work to restore that DevRev no longer has: there is
// nothing left to restore, and the journal says so (deleted).
func (u *undoer) gone(it UndoItem) error {
	if !u.cfg.DryRun {
		if err := u.journalDeleted(it, checkpoint.OpUpdate); err != nil {
			return err
		}
	}
	u.tally(it, nil, true)
	if u.cfg.Report != nil {
		u.cfg.Report(it, WorkUndo{Gone: true})
	}
	return nil
}

func putNames(fields []FieldUndo) []string {
	var out []string
	for _, f := range fields {
		if f.Outcome == FieldPut {
			out = append(out, f.Field)
		}
	}
	return out
}

// planRestore decides each pending field of the item by the work DevRev
// serves now (raw, of type typ) and returns the outcomes and the
// works.update body that puts back the fields to put back (nil: none).
// Putting back an empty value clears the field by workdiff.Update's
// rules; one that cannot be cleared is left alone with Update's warning.
func planRestore(it UndoItem, raw json.RawMessage, typ string) ([]FieldUndo, []byte, error) {
	d, err := workdiff.ParseDoc(raw)
	if err != nil {
		return nil, nil, fmt.Errorf("reading the work: %w", err)
	}
	fields := make([]FieldUndo, 0, len(it.Pending))
	back := workdiff.Values{}
	var send []string
	for _, f := range it.Pending {
		fu := decideField(it, d, f)
		if fu.Outcome == FieldPut {
			send = append(send, f)
			if fu.Back != nil {
				back[f] = fu.Back
			}
		}
		fields = append(fields, fu)
	}
	if len(send) == 0 {
		return fields, nil, nil
	}
	createShaped, err := back.Body(typ)
	if err != nil {
		return nil, nil, fmt.Errorf("building the restore: %w", err)
	}
	body, warnings, err := workdiff.Update(createShaped, it.ID, typ, send, workdiff.UpdateOptions{AllowInvalidTransition: true})
	if err != nil {
		return nil, nil, fmt.Errorf("building the restore: %w", err)
	}
	sent := len(send)
	for i := range fields {
		if w := warningFor(warnings, fields[i].Field); w != "" && fields[i].Outcome == FieldPut {
			fields[i].Outcome, fields[i].Why = FieldLeftAlone, w
			sent--
		}
	}
	if sent == 0 {
		return fields, nil, nil
	}
	return fields, body, nil
}

// decideField decides one pending field by DevRev's work d.
func decideField(it UndoItem, d *workdiff.Doc, f string) FieldUndo {
	fu := FieldUndo{Field: f, Outcome: FieldLeftAlone, Back: before(it.Restore, f)}
	now, served := d.Value(f)
	_, known := it.Before[f] // JSON null: known to be empty
	fu.Now = now
	switch {
	case !served:
		fu.Why = whyUnserved
	case !known:
		fu.Why = whyNoBefore
	case sameValue(now, fu.Back):
		fu.Outcome = FieldBack
	case it.LastFH != nil && stillOurs(d, it.LastFH, f):
		fu.Outcome = FieldPut
	case slices.Contains(it.InDoubt, f):
		fu.Why = whyDoubt
	default:
		fu.Why = whyChanged
	}
	return fu
}

// stillOurs reports whether DevRev's work d still holds in field f what
// the journal's hashes fh say this tool left there (nothing, when fh has
// no hash for f): whether nobody changed it since.
func stillOurs(d *workdiff.Doc, fh map[string]string, f string) bool {
	h, has := fh[f]
	if !has {
		return !d.Holds(f)
	}
	return d.HasHash(f, h)
}

// sameValue reports whether two canonical values (nil: empty) are equal.
func sameValue(a, b json.RawMessage) bool {
	if a == nil || b == nil {
		return a == nil && b == nil
	}
	return bytes.Equal(a, b)
}

// warningFor returns Update's warning about field f ("title was emptied,
// ...", "stage: ..."), or "".
func warningFor(warnings []string, f string) string {
	for _, w := range warnings {
		if strings.HasPrefix(w, f+" ") || strings.HasPrefix(w, f+":") {
			return w
		}
	}
	return ""
}
