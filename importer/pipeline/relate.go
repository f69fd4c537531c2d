package pipeline

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"hash/maphash"
	"io"
	"net/http"
	"strconv"
	"strings"
	"sync/atomic"

	"github.com/devrev-import/devrev-import/importer/checkpoint"
	"github.com/devrev-import/devrev-import/importer/devrev"
	"github.com/devrev-import/devrev-import/importer/relations"
	"github.com/devrev-import/devrev-import/importer/report"
	"github.com/devrev-import/devrev-import/importer/source"
	"github.com/devrev-import/devrev-import/mapping"
)

// This file is an import's second phase: the links between works and the
// comments on them, once every row's work exists. It reads the file (and
// the comments file) again rather than keeping every row's links in
// memory, resolves each reference to a work through the journal the
// first phase left, and sends one op per link and comment through the
// same workers, limiter and journal as the works. A link or comment the
// journal records is never sent again; a link in doubt is looked up
// (links.list) before any resend, since nothing in the API refuses an
// identical link; a comment in doubt is simply sent again, its
// external_ref making DevRev refuse (409) a second one.

// RelateConfig wires the second phase (Config.Relate).
type RelateConfig struct {
	// Reopen opens the main file again from the start.
	Reopen func() (source.Reader, error)
	// Comments opens the comments file again (nil: none).
	Comments func() (CommentSource, error)
	// Resolve says what a link reference names (relations.Index.Resolve,
	// valid once the first phase fed it every row).
	Resolve func(ref mapping.LinkRef) (relations.Target, bool)
	// Check, when set, runs before the phase sends anything: the checks
	// of every reference (relations.Index.Finish) that Refused answers by.
	Check func() error
	// Refused says why the link reference of a row's cell is not to be
	// created (relations.Index.Refused: it closes a parent cycle or gives
	// a work a second parent); nil refuses none.
	Refused func(row, col int, ref string) (string, bool)
	// Works reads the journal as the first phase left it (a light State:
	// the work of every key).
	Works func() (*checkpoint.State, error)
	// Visibility of comments that name none (default internal: DevRev's
	// own default, external, shows them to customers).
	Visibility string
}

// CommentSource is a comments file (relations.CommentsFile).
type CommentSource interface {
	Next() (relations.CommentItem, error)
	Where(row, col int) string
	Close() error
}

// relation is what a link or comment op carries.
type relation struct {
	link    devrev.LinkRequest
	comment devrev.CommentRequest
	// what names it in messages: `Parent "PROJ-9"`, `comment 2`.
	what string
	// where is a comments file's row ("c.csv:4"; "" for the main file's).
	where string
	// batch: a row's comments, sent in order by one worker.
	batch []*Op
	// after, when set, is closed once the batch of the same work's
	// comments before this one is sent; done is this batch's. A work's
	// comments may come in several batches (its Comment columns, then
	// each run of its key in the comments file, which an export sorts by
	// date): without the wait two workers would race and create them out
	// of source order.
	after <-chan struct{}
	done  chan struct{}
}

// maxOrderWorks is how many works' last comment batches the producer
// remembers before it forgets those already sent.
const maxOrderWorks = 4096

// relCounts counts the second phase's outcomes.
type relCounts struct {
	linksDone, linksFailed, linksSkipped          atomic.Int64
	commentsDone, commentsFailed, commentsSkipped atomic.Int64
}

// relate runs the second phase.
func (r *run) relate(ctx context.Context) error {
	rc := r.cfg.Relate
	if rc.Check != nil {
		if err := rc.Check(); err != nil {
			return err
		}
	}
	works, err := rc.Works()
	if err != nil {
		return &StopError{Reason: ReasonCheckpoint, Err: fmt.Errorf("reading the checkpoint for links and comments: %w", err)}
	}
	r.works = works
	r.relSeen = make(map[uint64]struct{})
	// The first phase's intake ended with it; this phase takes its own.
	r.intake, r.cancelIntake = context.WithCancel(ctx)
	defer r.cancelIntake()
	workers := r.cfg.Workers
	if r.cfg.AutoWorkers {
		workers = r.cfg.MaxWorkers
	}
	return pool(ctx, workers, r.produceRelations, r.sendRelation)
}

// produceRelations reads the main file's link and comment columns, then
// the comments file, and hands on an op per link and a batch per row's
// comments.
func (r *run) produceRelations(ctx context.Context, jobs chan<- *Op) error {
	src, err := r.cfg.Relate.Reopen()
	if err != nil {
		return fmt.Errorf("reading the file again for links and comments: %w", err)
	}
	defer src.Close()
	for !r.stopped() {
		row, err := src.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			return err
		}
		res := r.cfg.Mapper.Map(row)
		if len(res.Problems) > 0 || len(res.Links)+len(res.Comments) == 0 {
			continue
		}
		id, ok := r.workOf(res.Key)
		if !ok {
			continue // the row's work was not created: its row says why
		}
		for _, ref := range res.Links {
			if op := r.linkOp(row, res.Key, id, ref); op != nil && !r.emit(ctx, jobs, op) {
				return nil
			}
		}
		if b := r.commentBatch(row, res.Key, id, res.Comments, ""); b != nil && !r.emit(ctx, jobs, b) {
			return nil
		}
	}
	return r.produceFileComments(ctx, jobs)
}

// produceFileComments hands on the comments file's comments, those of one
// key in a row batched so they are created in file order.
func (r *run) produceFileComments(ctx context.Context, jobs chan<- *Op) error {
	if r.cfg.Relate.Comments == nil || r.stopped() {
		return nil
	}
	f, err := r.cfg.Relate.Comments()
	if err != nil {
		return fmt.Errorf("reading the comments file again: %w", err)
	}
	defer f.Close()
	var key string
	var row source.Row
	var run []mapping.Comment
	flush := func() bool {
		defer func() { run = run[:0] }()
		if len(run) == 0 {
			return true
		}
		where := f.Where(row.Number, -1)
		id, ok := r.workOf(key)
		if !ok {
			if id, ok = r.commentsWork(where, key, len(run)); !ok {
				return true
			}
		}
		b := r.commentBatch(row, key, id, run, where)
		return b == nil || r.emit(ctx, jobs, b)
	}
	for !r.stopped() {
		it, err := f.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			return err
		}
		if len(it.Problems) > 0 {
			continue // validate reports them
		}
		if it.Key != key && !flush() {
			return nil
		}
		key, row = it.Key, source.Row{Number: it.Row}
		run = append(run, it.Comment)
	}
	flush()
	return nil
}

// commentsWork is the work of a comments file's key that no row of this
// import has a work for: one another import made, found in DevRev by the
// key field. None: the comments are counted as failed and said (a row of
// the file whose work was not created says why on its own row).
func (r *run) commentsWork(where, key string, n int) (string, bool) {
	t, found := r.cfg.Relate.Resolve(mapping.LinkRef{Ref: key})
	if found && t.Row != 0 {
		return "", false
	}
	id, why := "", "no such key in this import or in DevRev"
	if found && t.Unresolved {
		id, why = r.keyWork(key)
	}
	if id == "" {
		r.rel.commentsFailed.Add(int64(n))
		r.note(0, []string{fmt.Sprintf("%s: %d comments of key %q: %s", where, n, key, why)}, []mapping.Problem{{Col: -1, Msg: "comment failed"}})
		r.relErrors.Add(1)
		return "", false
	}
	return id, true
}

// workOf is the work the journal records for key.
func (r *run) workOf(key string) (string, bool) {
	e, ok := r.works.Last(key)
	if !ok || !holdsWork(e.Status) || e.ID == "" {
		return "", false
	}
	return e.ID, true
}

// linkOp is the op of one link reference of a row (id: the row's work),
// or nil when there is nothing to send: already linked, a second mention
// of the same link this run, or a reference that names no work (recorded
// on the row).
func (r *run) linkOp(row source.Row, key, id string, ref mapping.LinkRef) *Op {
	what := fmt.Sprintf("%s %q", ref.Column, ref.Ref)
	if rf := r.cfg.Relate.Refused; rf != nil {
		if why, refused := rf(row.Number, ref.Col, ref.Ref); refused {
			r.relFailed(row, KindLink, "", what+": not created: "+why)
			return nil
		}
	}
	t, ok := r.cfg.Relate.Resolve(ref)
	var other, otherName string
	switch {
	case !ok:
		r.relFailed(row, KindLink, "", what+": no such key in this import or in DevRev")
		return nil
	case t.Unresolved: // a key of another import: found in DevRev by the key field
		var msg string
		if other, msg = r.keyWork(t.Key); other == "" {
			r.relFailed(row, KindLink, "", what+": "+msg)
			return nil
		}
		otherName = t.Key
	case t.Key != "":
		var found bool
		if other, found = r.workOf(t.Key); !found {
			r.relFailed(row, KindLink, "", fmt.Sprintf("%s: the work of key %q was not created", what, t.Key))
			return nil
		}
		otherName = t.Key
	default: // a DevRev work ID
		other, otherName = ref.Ref, ref.Ref
	}
	if other == id {
		return nil // a self-link: validate reports it
	}
	src, dst, srcName, dstName := id, other, key, otherName
	if ref.Reverse {
		src, dst, srcName, dstName = other, id, otherName, key
	}
	lk := checkpoint.LinkKey(srcName, ref.Type, dstName)
	if !r.firstMention(lk) {
		return nil
	}
	op := &Op{Kind: KindLink, Row: row, Key: lk, rel: &relation{what: what,
		link: devrev.LinkRequest{LinkType: ref.Type, Source: src, Target: dst}}}
	return r.relDoubt(op)
}

// keyWork finds the work of a key neither the file nor the checkpoint
// has, in DevRev by the custom field that stores keys (once per key a
// run); "" and why when there is none, or several.
func (r *run) keyWork(key string) (id, why string) {
	if got, ok := r.relKeys[key]; ok {
		return got[0], got[1]
	}
	id, why = "", "no such key in this import or in DevRev"
	works, err := r.worksByKey(r.intake, []string{key})
	switch {
	case err != nil:
		why = fmt.Sprintf("looking key %q up in DevRev: %v", key, err)
	case len(works[key]) == 1:
		id = works[key][0].ID
	case len(works[key]) > 1:
		why = fmt.Sprintf("%d works in DevRev carry key %q", len(works[key]), key)
	}
	if r.relKeys == nil {
		r.relKeys = make(map[string][2]string)
	}
	r.relKeys[key] = [2]string{id, why}
	return id, why
}

// commentBatch is one op carrying a row's comments in order (nil when
// every one is recorded already).
func (r *run) commentBatch(row source.Row, key, id string, cs []mapping.Comment, where string) *Op {
	var batch []*Op
	for i, c := range cs {
		ref := relations.ExternalRef(key, c)
		ck := checkpoint.CommentKey(key, ref)
		if !r.firstMention(ck) {
			continue
		}
		vis := c.Visibility
		if vis == "" {
			vis = r.cfg.Relate.Visibility
		}
		op := &Op{Kind: KindComment, Row: row, Key: ck, rel: &relation{what: "comment " + strconv.Itoa(i+1), where: where,
			comment: devrev.CommentRequest{Object: id, Body: relations.CommentBody(c), BodyType: "text", Visibility: vis, ExternalRef: ref}}}
		if op = r.relDoubt(op); op != nil {
			batch = append(batch, op)
		}
	}
	if len(batch) == 0 {
		return nil
	}
	rel := &relation{batch: batch, done: make(chan struct{})}
	rel.after = r.orderAfter(id, rel.done)
	return &Op{Kind: KindComment, Row: row, rel: rel}
}

// orderAfter records done as the last comment batch of work and returns
// the one before it while that is not sent yet (nil: none). Batches are
// handed on in order and taken in order, so the batch waited for is
// always with a worker already: no wait is circular.
func (r *run) orderAfter(work string, done chan struct{}) <-chan struct{} {
	if r.relOrder == nil {
		r.relOrder = make(map[string]chan struct{})
	}
	prev := r.relOrder[work]
	r.relOrder[work] = done
	if len(r.relOrder) > maxOrderWorks {
		for w, ch := range r.relOrder {
			if closed(ch) {
				delete(r.relOrder, w)
			}
		}
	}
	if prev == nil || closed(prev) {
		return nil
	}
	return prev
}

// closed reports whether ch is closed.
func closed(ch <-chan struct{}) bool {
	select {
	case <-ch:
		return true
	default:
		return false
	}
}

// firstMention reports whether this run meets the link or comment of
// journal key k for the first time (a parent column and a children
// column may name the same link).
func (r *run) firstMention(k string) bool {
	h := maphash.String(r.seed, k)
	if _, seen := r.relSeen[h]; seen {
		return false
	}
	r.relSeen[h] = struct{}{}
	return true
}

// relDoubt looks at what the journal says of a link or comment: recorded
// (nil: skip it), in flight when an earlier run stopped (kept as the op's
// doubt), or new.
func (r *run) relDoubt(op *Op) *Op {
	e, ok := r.works.Last(op.Key)
	switch {
	case ok && (e.Status == checkpoint.Linked || e.Status == checkpoint.Commented):
		r.relSkipped(op.Kind)
		return nil
	case ok && (e.Status == checkpoint.Linking || e.Status == checkpoint.Commenting):
		op.Doubt = &e
	}
	return op
}

// sendRelation sends a link, or a row's comments one after the other
// once the work's comments before them are sent.
func (r *run) sendRelation(ctx context.Context, op *Op) error {
	if op.rel.batch == nil {
		return r.send(ctx, op)
	}
	defer close(op.rel.done)
	if op.rel.after != nil {
		select {
		case <-op.rel.after:
		case <-r.stopCh:
		case <-ctx.Done():
		}
	}
	for _, c := range op.rel.batch {
		if err := r.send(ctx, c); err != nil {
			return err
		}
	}
	return nil
}

// linkExists looks a link in doubt up: is there a link of its type from
// its source to its target? It answers with the link found.
func (r *run) linkExists(ctx context.Context, op *Op) (Answer, bool, error) {
	l := op.rel.link
	req := devrev.ListLinksRequest{Object: l.Source, Direction: devrev.DirectionIsSource, LinkType: []string{l.LinkType}, Limit: 100}
	pages := cursors{what: "listing the links of " + l.Source}
	for {
		var links []devrev.Link
		var next string
		err := r.retrier().Do(ctx, func() (devrev.Response, error) {
			var resp devrev.Response
			var err error
			links, next, resp, err = r.cfg.Client.ListLinks(ctx, req)
			return resp, err
		})
		r.requests.Add(1)
		if err != nil {
			return Answer{}, false, err
		}
		for _, k := range links {
			if k.Target.ID == l.Target || k.Target.DisplayID == l.Target {
				return Answer{ID: k.ID}, true, nil
			}
		}
		if more, err := pages.next(next, len(links)); !more {
			return Answer{}, false, err
		}
		req.Cursor = next
	}
}

// linkSettled looks a link in doubt up; found, it is recorded as made. It
// reports whether the op is settled (found, or left in doubt because the
// lookup failed).
func (r *run) linkSettled(ctx context.Context, op *Op) bool {
	ans, found, err := r.linkExists(ctx, op)
	switch {
	case err != nil:
		r.unreconciled(op, err)
		return true
	case found:
		r.recon.Add(1)
		r.done(op, ans, 0)
		return true
	}
	return false
}

// commentThere records a comment DevRev refused as there already (409
// for its external_ref: an earlier attempt made it and its answer was
// lost) with the ID timeline-entries.get by that external_ref finds, so
// that undo can delete it; without one (the lookup failed) it is recorded
// all the same, and undo says it cannot delete it.
func (r *run) commentThere(ctx context.Context, op *Op, attempts int) {
	r.consec.Store(0)
	r.relSkipped(op.Kind)
	var id string
	if c := op.rel.comment; r.cfg.Client != nil {
		var err error
		if id, err = r.commentByRef(ctx, c.Object, c.ExternalRef); err != nil {
			r.cfg.Logger.Warn("a comment already there could not be read back; undo will not delete it by itself", "row", op.Row.Number, "error", err.Error())
		}
	}
	r.journal(checkpoint.Entry{Row: op.Row.Number, Key: op.Key, Op: op.Kind, Status: checkpoint.Commented, ID: id, Attempts: attempts})
}

// commentByRef finds the ID of the comment with externalRef on object's
// timeline: timeline-entries.get by the work's ID and the external_ref
// first (one request); where DevRev reads that id as an entry's only (the
// spec says "the provided entry ID's timeline") and answers 400 or 404,
// the work's timeline is listed, page by page, until the entry is found.
// Every request goes through the shared limiter.
func (r *run) commentByRef(ctx context.Context, object, externalRef string) (string, error) {
	var id string
	err := r.retrier().Do(ctx, func() (devrev.Response, error) {
		e, resp, err := r.cfg.Client.CommentByRef(ctx, object, externalRef)
		id = e.ID
		return resp, err
	})
	r.requests.Add(1)
	var ae *devrev.APIError
	if err == nil || !errors.As(err, &ae) || ae.Status != http.StatusNotFound && ae.Status != http.StatusBadRequest {
		return id, err
	}
	req := devrev.ListTimelineRequest{Object: object, Limit: 100}
	pages := cursors{what: "listing the timeline of " + object}
	for {
		var page []devrev.TimelineEntry
		err := r.retrier().Do(ctx, func() (devrev.Response, error) {
			var resp devrev.Response
			var err error
			page, req.Cursor, resp, err = r.cfg.Client.ListTimeline(ctx, req)
			return resp, err
		})
		r.requests.Add(1)
		if err != nil {
			return "", err
		}
		for _, e := range page {
			if e.ExternalRef == externalRef {
				return e.ID, nil
			}
		}
		if more, err := pages.next(req.Cursor, len(page)); !more {
			return "", cmp.Or(err, fmt.Errorf("no comment with external_ref %q on %s's timeline", externalRef, object))
		}
	}
}

// relDone counts a link or comment made (or found made).
func (r *run) relDone(kind Kind) {
	if kind == KindLink {
		r.rel.linksDone.Add(1)
	} else {
		r.rel.commentsDone.Add(1)
	}
}

// relSkipped counts a link or comment already there.
func (r *run) relSkipped(kind Kind) {
	if kind == KindLink {
		r.rel.linksSkipped.Add(1)
	} else {
		r.rel.commentsSkipped.Add(1)
	}
}

// relFailed records a link or comment that could not be made, on its row
// (its first messages, the errors CSV), and journals it when it has a key
// of its own. The row's work stays created.
func (r *run) relFailed(row source.Row, kind Kind, key, msg string) {
	r.relFailedAt(r.cfg.Source.Where(row.Number, -1), row, kind, key, msg)
}

// relFailedAt is relFailed at where (a comments file's row).
func (r *run) relFailedAt(where string, row source.Row, kind Kind, key, msg string) {
	if kind == KindLink {
		r.rel.linksFailed.Add(1)
	} else {
		r.rel.commentsFailed.Add(1)
	}
	full := where + ": " + msg
	r.note(row.Number, []string{full}, []mapping.Problem{{Col: -1, Msg: string(kind) + " failed"}})
	if len(row.Cells) > 0 && r.firstRelError(row.Number) {
		// A main-file row, once: fed back, its work is skipped as created
		// and its links are tried again.
		r.errorRow(row, []string{full})
	}
	if key != "" && r.cfg.Journal != nil {
		r.journal(checkpoint.Entry{Row: row.Number, Key: key, Op: kind, Status: checkpoint.Failed, Error: &checkpoint.ErrorInfo{Type: string(kind) + "_failed", Message: msg}})
	}
	r.relErrors.Add(1)
}

// firstRelError reports whether the row has no line in the errors CSV
// from this phase yet (a second one would make its key a duplicate when
// the errors CSV is imported).
func (r *run) firstRelError(row int) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.relErrRows == nil {
		r.relErrRows = make(map[int]bool)
	}
	if r.relErrRows[row] {
		return false
	}
	r.relErrRows[row] = true
	return true
}

// relSummary puts the second phase's counts into the summary.
func (r *run) relSummary(s *report.Summary) {
	if r.cfg.Relate == nil {
		return
	}
	if s.Relations == nil {
		s.Relations = &report.RelationCounts{}
	}
	c := s.Relations
	c.LinksCreated, c.LinksFailed, c.LinksSkipped = int(r.rel.linksDone.Load()), int(r.rel.linksFailed.Load()), int(r.rel.linksSkipped.Load())
	c.CommentsCreated, c.CommentsFailed, c.CommentsSkipped = int(r.rel.commentsDone.Load()), int(r.rel.commentsFailed.Load()), int(r.rel.commentsSkipped.Load())
}

// isConflict reports whether err is DevRev's 409: for a comment, one with
// its external_ref is on the work already.
func isConflict(err error) bool {
	var ae *devrev.APIError
	return errors.As(err, &ae) && ae.Status == 409
}

// relWhat names a link or comment op for messages.
func relWhat(op *Op) string {
	if op.rel == nil {
		return ""
	}
	return strings.TrimSpace(op.rel.what)
}
