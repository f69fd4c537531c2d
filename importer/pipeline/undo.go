package pipeline

import (
	"context"
	"encoding/json"
	"errors"
	"sync"
	"sync/atomic"

	"github.com/devrev-import/devrev-import/importer/checkpoint"
	"github.com/devrev-import/devrev-import/importer/devrev"
	"github.com/devrev-import/devrev-import/importer/progress"
	"github.com/devrev-import/devrev-import/importer/throttle"
	"github.com/devrev-import/devrev-import/importer/workdiff"
)

// UndoConfig wires an undo: deleting the works a checkpoint created and
// putting back the fields it updated in works it found, through the
// import's worker pool.
type UndoConfig struct {
	// Delete deletes one work (works.delete); nil means Client.DeleteWork.
	Delete func(ctx context.Context, id string) (devrev.Response, error)
	// Get reads one work (works.get); nil means Client.GetWork.
	Get func(ctx context.Context, id string) (devrev.Work, devrev.Response, error)
	// Update sends a works.update body; nil means Client.UpdateWork.
	Update func(ctx context.Context, body []byte) (devrev.Work, devrev.Response, error)
	// DeleteLink and DeleteComment delete a link and a timeline comment;
	// nil means the client's.
	DeleteLink, DeleteComment func(ctx context.Context, id string) (devrev.Response, error)
	Client                    *devrev.Client
	Retrier                   throttle.Retrier // the limiter, backoff and attempts of every request
	Journal                   *checkpoint.Journal
	Workers                   int // default 1
	// DryRun reads the works to restore and decides field by field (the
	// Report callback says what), but writes nothing: no delete, no
	// update, no journal line.
	DryRun bool
	// Failed is told about each work the API refused to delete, read or
	// restore; the undo goes on. Called from the workers.
	Failed func(it UndoItem, err error)
	// Report, when not nil, is told what was done (or, in a dry run,
	// would be done) to each work it restores: every field with its
	// outcome. Called from the workers.
	Report func(it UndoItem, w WorkUndo)
	// Counters, when not nil, are kept live for a progress display
	// (Done, Deleted, Updated: works restored, Failed).
	Counters *progress.Counters
}

// UndoResult counts what an undo did.
type UndoResult struct {
	// Deleted counts the created works deleted (or already gone).
	Deleted, Failed int
	// Restored counts the works whose fields were put back (or were back
	// already), Gone the works to restore that DevRev no longer has.
	Restored, Gone int
	// Fields counts the fields put back (or back already), LeftAlone
	// those left as they are (changed in DevRev since), by field name.
	Fields, LeftAlone map[string]int
	// Links and Comments count the links and comments deleted (or gone).
	Links, Comments int
}

// Undo deletes the work of every created item of todo and puts back the
// fields of every other one (see restoreWork), journaling each ("deleted",
// or "updated" with the values put back), so an interrupted undo resumes
// where it stopped and a finished one is not repeated. A work already gone
// (404: deleted by hand, or by an undo whose line was lost) counts as
// deleted. It returns early, with the error, when the token is refused
// (throttle.Classify says Fatal), the run is interrupted or a wait is too
// long (Abort), or the journal cannot be written.
//
// Links and comments (items with a Relation) go first, in a pool of their
// own, so that no work is deleted or restored while they are: a work
// found in DevRev keeps no link or comment of this import.
func Undo(ctx context.Context, cfg UndoConfig, todo []UndoItem) (UndoResult, error) {
	u := newUndoer(cfg)
	var rels, works []UndoItem
	for _, it := range todo {
		if it.Relation != "" {
			rels = append(rels, it)
		} else {
			works = append(works, it)
		}
	}
	work := func(ctx context.Context, it UndoItem) error {
		var err error
		switch {
		case it.Relation != "":
			err = u.deleteRelation(ctx, it)
		case it.Created:
			err = u.delete(ctx, it)
		default:
			err = u.restore(ctx, it)
		}
		if err == nil {
			u.c.Done.Add(1)
		}
		return err
	}
	err := pool(ctx, cfg.Workers, feedItems(rels), work)
	if err == nil && ctx.Err() == nil {
		err = pool(ctx, cfg.Workers, feedItems(works), work)
	}
	return u.result(), err
}

// feedItems is a pool's feed of items.
func feedItems(items []UndoItem) func(ctx context.Context, out chan<- UndoItem) error {
	return func(ctx context.Context, out chan<- UndoItem) error {
		for _, it := range items {
			select {
			case out <- it:
			case <-ctx.Done():
				return nil
			}
		}
		return nil
	}
}

// deleteRelation deletes a link or a comment this checkpoint made.
func (u *undoer) deleteRelation(ctx context.Context, it UndoItem) error {
	if u.cfg.DryRun {
		return nil
	}
	del, n := u.cfg.DeleteLink, &u.links
	if it.Relation == checkpoint.OpComment {
		del, n = u.cfg.DeleteComment, &u.comments
	}
	err := u.cfg.Retrier.Do(ctx, func() (devrev.Response, error) { return del(ctx, it.ID) })
	if err == nil || isNotFound(err) {
		if err := u.journalDeleted(it, it.Relation); err != nil {
			return err
		}
		n.Add(1)
		return nil
	}
	return u.failed(it, err)
}

// undoer is one undo's wiring and tallies.
type undoer struct {
	cfg UndoConfig
	c   *progress.Counters

	links, comments atomic.Int64 // deleted

	mu                sync.Mutex
	goneN             int
	fields, leftAlone map[string]int
}

func newUndoer(cfg UndoConfig) *undoer {
	u := &undoer{cfg: cfg, c: cfg.Counters, fields: map[string]int{}, leftAlone: map[string]int{}}
	if u.c == nil {
		u.c = new(progress.Counters)
	}
	if cfg.Delete == nil {
		u.cfg.Delete = cfg.Client.DeleteWork
	}
	if cfg.Get == nil {
		u.cfg.Get = cfg.Client.GetWork
	}
	if cfg.Update == nil {
		u.cfg.Update = cfg.Client.UpdateWork
	}
	if cfg.DeleteLink == nil {
		u.cfg.DeleteLink = cfg.Client.DeleteLink
	}
	if cfg.DeleteComment == nil {
		u.cfg.DeleteComment = cfg.Client.DeleteTimelineEntry
	}
	return u
}

func (u *undoer) result() UndoResult {
	u.mu.Lock()
	defer u.mu.Unlock()
	return UndoResult{Deleted: int(u.c.Deleted.Load()), Failed: int(u.c.Failed.Load()), Restored: int(u.c.Updated.Load()),
		Gone: u.goneN, Fields: u.fields, LeftAlone: u.leftAlone, Links: int(u.links.Load()), Comments: int(u.comments.Load())}
}

// delete deletes a created work.
func (u *undoer) delete(ctx context.Context, it UndoItem) error {
	if u.cfg.DryRun {
		return nil
	}
	err := u.cfg.Retrier.Do(ctx, func() (devrev.Response, error) { return u.cfg.Delete(ctx, it.ID) })
	if err == nil || isNotFound(err) {
		if err := u.journalDeleted(it, checkpoint.OpCreate); err != nil {
			return err
		}
		u.c.Deleted.Add(1)
		return nil
	}
	return u.failed(it, err)
}

// journalDeleted records that the item's work no longer exists.
func (u *undoer) journalDeleted(it UndoItem, op checkpoint.Op) error {
	return u.cfg.Journal.Append(checkpoint.Entry{Row: it.Row, Key: it.Key, Op: op, Status: checkpoint.Deleted, ID: it.ID, DisplayID: it.DisplayID, Type: it.Type})
}

// failed ends the undo on a refused token, an interruption or a too long
// wait, and reports any other error, counting the item failed.
func (u *undoer) failed(it UndoItem, err error) error {
	switch throttle.Classify(err) {
	case throttle.Fatal, throttle.Abort:
		return err
	}
	u.c.Failed.Add(1)
	if u.cfg.Failed != nil {
		u.cfg.Failed(it, err)
	}
	return nil
}

func isNotFound(err error) bool {
	var ae *devrev.APIError
	return errors.As(err, &ae) && ae.Status == 404
}

// tally counts a restored work's field outcomes.
func (u *undoer) tally(it UndoItem, fields []FieldUndo, gone bool) {
	u.mu.Lock()
	defer u.mu.Unlock()
	if gone {
		u.goneN++
		return
	}
	for _, f := range fields {
		switch f.Outcome {
		case FieldPut, FieldBack:
			u.fields[f.Field]++
		case FieldLeftAlone:
			u.leftAlone[f.Field]++
		}
	}
}

// journalRestored records the fields now back at their values before
// this checkpoint: an "updated" line whose FH says so (see restoredFH),
// which UndoTodo reads as nothing left to restore for them.
func (u *undoer) journalRestored(it UndoItem, typ string, fields []FieldUndo) error {
	var names []string
	for _, f := range fields {
		if f.Outcome == FieldPut || f.Outcome == FieldBack {
			names = append(names, f.Field)
		}
	}
	if len(names) == 0 {
		return nil
	}
	return u.cfg.Journal.Append(checkpoint.Entry{Row: it.Row, Key: it.Key, Op: checkpoint.OpUpdate, Status: checkpoint.Updated,
		ID: it.ID, DisplayID: it.DisplayID, Type: typ, Fields: names, FH: restoredFH(it.Restore, names)})
}

// restoredFH is the hashes of a work's fields once names are back at
// their values before this checkpoint: LastFH, with those fields' hashes
// replaced by their Before values' (removed when they had none).
func restoredFH(r checkpoint.Restore, names []string) map[string]string {
	fh := make(map[string]string, len(r.LastFH)+len(names))
	for f, h := range r.LastFH {
		fh[f] = h
	}
	for _, f := range names {
		if b := before(r, f); b != nil {
			fh[f] = workdiff.Hash(b)
		} else {
			delete(fh, f)
		}
	}
	return fh
}

// before is a field's value before this checkpoint (nil: it had none).
func before(r checkpoint.Restore, f string) json.RawMessage {
	b := r.Before[f]
	if isNullJSON(b) {
		return nil
	}
	return b
}
