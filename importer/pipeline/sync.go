package pipeline

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/devrev-import/devrev-import/importer/checkpoint"
	"github.com/devrev-import/devrev-import/importer/devrev"
	"github.com/devrev-import/devrev-import/importer/report"
	"github.com/devrev-import/devrev-import/importer/throttle"
	"github.com/devrev-import/devrev-import/importer/workdiff"
)

// This file decides, in --mode upsert and update, what a valid row's op
// is: a create, an update of only the fields whose mapped value changed
// since this tool last sent them (or since DevRev's current value, for a
// work the checkpoint does not know), or nothing at all.
//
// The checkpoint is the first memory: a key's work and a hash per field
// of what it holds (checkpoint.Sent). A row whose hashes sum to the
// key's sum is unchanged without reading anything. A work the checkpoint
// knows without hashes (written before they existed), a row naming its
// work in an id column and a key found in DevRev by the custom field that
// stores it are compared with the work as DevRev serves it.

// typeField is the pseudo-field under which a row's hashes carry its work
// type: a row whose only change is its type does not look unchanged, and
// fails (works cannot change type).
const typeField = "type"

// verdict is what planning a row decided.
type verdict int

const (
	vSend   verdict = iota // the op is ready: a create or an update
	vRead                  // compare with the work as DevRev serves it first (works.get)
	vLookup                // find the key's work in DevRev first (works.list by KeyField)
	vDone                  // settled: unchanged or failed
)

// syncState is what an op of --mode upsert or update carries besides
// the create body.
type syncState struct {
	// createBody is the row's works.create JSON; Now are its mapped values
	// and FH their hashes (with the type).
	createBody []byte
	Now        workdiff.Values
	FH         map[string]string
	// rowSum is the digest of the row's cells (rowsum.go); 0 = none.
	rowSum uint64
	// ID and DisplayID name the work an update goes to; Fields are the
	// fields it sends, Before DevRev's values of the mapped fields when
	// they were read (the first contact with a work this checkpoint did
	// not create: undo puts them back).
	ID, DisplayID string
	Fields        []string
	Before        workdiff.Values
	// readOld: a dry run reads the work for the plan's old values.
	readOld bool
	// named: the row names its work in a column mapped to id.
	named bool
	// refresh: a create an earlier run left in doubt was sent from other
	// values than the row's now (the export changed since); a work found
	// for it is updated to the row (staleDoubt).
	refresh bool
}

// rowValues fills the op's create body (encoded once: a create sends it,
// an update is built from it), its mapped values and their hashes. The
// body is json.Marshal's and the values FieldsOfValid's of it, in one
// pass over the work (workdiff.Encode).
func rowValues(op *Op) error {
	body, now, err := workdiff.Encode(op.Work)
	if err != nil {
		return err
	}
	op.createBody, op.Now, op.FH = body, now, workdiff.Hashes(now)
	op.FH[typeField] = workdiff.Hash(json.RawMessage(`"` + op.Work.Type + `"`))
	return nil
}

// createJSON is the op's create body, marshalled once (rowValues).
func (op *Op) createJSON() ([]byte, error) {
	if op.createBody == nil {
		if err := rowValues(op); err != nil {
			return nil, err
		}
	}
	return op.createBody, nil
}

// planSync decides a valid row's op in --mode upsert or update. It runs
// in the producer and reads only the checkpoint.
func (r *run) planSync(op *Op) verdict {
	if op.Doubt != nil {
		return vSend // a create in doubt: reconciled before any resend
	}
	if err := rowValues(op); err != nil {
		r.opFailed(op, 0, "encode", err.Error(), 0)
		return vDone
	}
	if r.cfg.State != nil {
		if sum, ok := r.cfg.State.SentSum(op.Key); ok && sum == checkpoint.SumHashes(op.FH) {
			r.unchangedKnown(op, "")
			return vDone
		}
		sent, has, err := r.cfg.State.Sent(op.Key)
		if err != nil {
			r.stop(&StopError{Reason: ReasonCheckpoint, Err: err})
			r.notTried.Add(1)
			return vDone
		}
		if has {
			return r.planKnown(op, sent)
		}
	}
	switch {
	case op.Work.ID != "":
		op.Kind, op.ID, op.named = KindUpdate, op.Work.ID, true
		return vRead
	case r.keyField != "" && r.cfg.Client != nil:
		return vLookup
	case r.cfg.Mode == ModeUpdate:
		r.notFound(op, fmt.Sprintf("no work for key %q: the checkpoint has none%s", op.Key, r.noLookupWhy()))
		return vDone
	}
	return vSend
}

// noLookupWhy says why a key the checkpoint does not know was not looked
// up in DevRev.
func (r *run) noLookupWhy() string {
	if r.keyField == "" {
		return ", the key is not stored in a custom field (so DevRev cannot be asked), and no column is mapped to id"
	}
	return " and no token to ask DevRev"
}

// planKnown decides the op of a row whose key's work the checkpoint
// knows.
func (r *run) planKnown(op *Op, sent checkpoint.Sent) verdict {
	op.Kind, op.ID, op.DisplayID = KindUpdate, sent.ID, sent.DisplayID
	if sent.Type != "" && sent.Type != op.Work.Type {
		r.typeChanged(op, sent.Type)
		return vDone
	}
	if !sent.Known {
		// Written before values were hashed: compare with DevRev, in
		// batches by the key field when there is one.
		if r.keyField != "" && r.cfg.Client != nil {
			return vLookup
		}
		return vRead
	}
	changed := workdiff.Changed(sent.FH, op.Now)
	// The fields of an update in doubt are sent again: comparing cannot
	// find one the row empties (absent from both FH and Now).
	for _, f := range sent.InDoubt {
		if !slices.Contains(changed, f) {
			changed = append(changed, f)
		}
	}
	slices.Sort(changed)
	op.Fields = r.changedFields(changed)
	if len(op.Fields) == 0 {
		r.unchangedKnown(op, sent.ID)
		return vDone
	}
	op.readOld = r.cfg.DryRun && r.cfg.Client != nil
	return r.buildUpdate(op)
}

// changedFields keeps of Changed's answer the fields an update may send:
// not the type, and no field the mapping does not fill any more (a column
// dropped from the mapping is not an emptied cell).
func (r *run) changedFields(changed []string) []string {
	targets := r.targets
	out := changed[:0]
	for _, f := range changed {
		if f != typeField && slices.Contains(targets, f) {
			out = append(out, f)
		}
	}
	return out
}

// buildUpdate builds the update body now, so that a row whose changes
// cannot be sent (warnings only) is settled as unchanged. A changed stage
// is sent with allow_invalid_transition: the export says where the work
// is now, also when DevRev's stage diagram has no arrow from where it was
// (a reopened ticket).
func (r *run) buildUpdate(op *Op) verdict {
	body, err := op.createJSON()
	if err == nil {
		op.Body, op.warnings, err = workdiff.Update(body, op.ID, op.Work.Type, op.Fields, workdiff.UpdateOptions{TagsAdd: r.cfg.TagsAdd, AllowInvalidTransition: true})
	}
	var tc *workdiff.TypeChangeError
	switch {
	case errors.As(err, &tc):
		r.typeChanged(op, tc.From)
		return vDone
	case err != nil:
		r.opFailed(op, 0, "encode", err.Error(), 0)
		return vDone
	}
	where := r.cfg.Source.Where(op.Row.Number, -1)
	for _, w := range op.warnings {
		r.warn(fmt.Sprintf("%s: key %q: %s", where, op.Key, w))
	}
	op.Fields = sentFields(op.Body, op.Fields)
	if len(op.Fields) == 0 {
		r.unchanged(op)
		return vDone
	}
	return vSend
}

// sentFields keeps the fields body really carries (Update leaves out, with
// a warning, what cannot be sent).
func sentFields(body []byte, fields []string) []string {
	var top map[string]json.RawMessage
	if json.Unmarshal(body, &top) != nil {
		return fields
	}
	var custom map[string]json.RawMessage
	_ = json.Unmarshal(top["custom_fields"], &custom)
	out := fields[:0]
	for _, f := range fields {
		if name, ok := strings.CutPrefix(f, workdiff.CustomPrefix); ok {
			if _, in := custom[name]; in {
				out = append(out, f)
			}
		} else if _, in := top[f]; in {
			out = append(out, f)
		}
	}
	return out
}

// readWork reads the op's work from DevRev and decides the op by it. It
// reports whether the op is still to be sent (or, in a dry run, planned).
func (r *run) readWork(ctx context.Context, op *Op) bool {
	if r.cfg.Client == nil {
		return true // a dry run without a token: the plan cannot say which fields
	}
	var w devrev.Work
	err := r.retrier().Do(ctx, func() (devrev.Response, error) {
		var resp devrev.Response
		var err error
		w, resp, err = r.cfg.Client.GetWork(ctx, op.ID)
		return resp, err
	})
	r.requests.Add(1)
	var ae *devrev.APIError
	switch {
	case errors.As(err, &ae) && ae.Status == 404:
		return r.missing(op)
	case err != nil:
		if throttle.Classify(err) == throttle.Fail {
			r.opFailed(op, ae.Status, ae.Type, "reading the work: "+apiMessage(ae), 1)
			return false
		}
		r.stop(stopFor(err))
		r.notTried.Add(1)
		return false
	}
	if op.readOld {
		op.Before = r.served(w)
		return true
	}
	return r.decideServed(op, w)
}

// served is DevRev's work w as request-shaped values of the mapped
// fields.
func (r *run) served(w devrev.Work) workdiff.Values {
	v, err := workdiff.Served(w.Raw, r.targets)
	if err != nil {
		r.cfg.Logger.Warn("reading a served work", "id", w.DisplayID, "err", err)
	}
	return v
}

// decideServed decides the op of a row by the work w DevRev serves for
// it: the mapped fields that differ are updated; with none, the work is
// recorded as found (its hashes, for the next run) and the row counts
// unchanged. It reports whether the op is to be sent.
func (r *run) decideServed(op *Op, w devrev.Work) bool {
	op.Kind, op.ID, op.DisplayID = KindUpdate, w.ID, w.DisplayID
	if w.Type != "" && w.Type != op.Work.Type {
		r.typeChanged(op, w.Type)
		return false
	}
	changed, _, err := workdiff.Diff(r.fileValues(op.Now), r.targets, w.Raw)
	if err != nil {
		r.opFailed(op, 0, "compare", fmt.Sprintf("comparing with work %s: %v", w.DisplayID, err), 1)
		return false
	}
	op.Before = r.served(w)
	op.Fields = r.changedFields(changed)
	if len(op.Fields) > 0 && r.buildUpdate(op) == vSend {
		return true
	}
	if len(op.Fields) == 0 {
		r.unchanged(op)
	}
	if !r.cfg.DryRun && r.cfg.Journal != nil {
		r.journal(checkpoint.Entry{Row: op.Row.Number, Key: op.Key, Op: KindUpdate, Status: checkpoint.Found,
			ID: w.ID, DisplayID: w.DisplayID, Type: w.Type, FH: op.FH, Before: op.Before, RS: op.rs()})
	}
	return false
}

// fileValues are the values of now that the file says: without the
// fields only a default fills. A work found in DevRev keeps its own
// value of those (a default gives a create its required fields; it is
// not the file's word on a work someone else made). Later runs compare
// by hashes, which include them, so they are never sent afterwards
// either.
func (r *run) fileValues(now workdiff.Values) workdiff.Values {
	only := r.defaultOnly
	if len(only) == 0 {
		return now
	}
	out := make(workdiff.Values, len(now))
	for f, v := range now {
		if !slices.Contains(only, f) {
			out[f] = v
		}
	}
	return out
}

// missing handles an update whose work DevRev no longer has (404): the
// row fails, or with --recreate-missing in upsert mode becomes a create.
// It reports whether the op is to be sent.
func (r *run) missing(op *Op) bool {
	if r.cfg.RecreateMissing && r.cfg.Mode == ModeUpsert {
		op.Kind, op.ID, op.DisplayID, op.Fields, op.Body, op.sent = KindCreate, "", "", nil, nil, false
		return true
	}
	ref := workRef(op)
	if op.named {
		r.notFound(op, fmt.Sprintf("work %s (column mapped to id) does not exist in DevRev", ref))
		return false
	}
	hint := ""
	if r.cfg.Mode == ModeUpsert {
		hint = " (--recreate-missing creates it again)"
	}
	r.notFound(op, fmt.Sprintf("work %s no longer exists in DevRev%s", ref, hint))
	return false
}

// retrier is how reads go through the shared limiter.
func (r *run) retrier() throttle.Retrier {
	return throttle.Retrier{Limiter: r.cfg.Limiter, Backoff: r.cfg.Backoff, MaxAttempts: r.cfg.MaxRetries + 1, Clock: r.cfg.Clock}
}

// unchanged counts a row whose work already holds what the row says.
func (r *run) unchanged(op *Op) {
	r.c.Unchanged.Add(1)
	r.c.Done.Add(1)
}

// unchangedKnown counts a row that the checkpoint's hashes of its work
// (id; "" to look it up) say is unchanged. When the row's cells' digest
// is not the one the checkpoint holds for the key (a new build or a
// changed mapping salts it differently), a verified line records the new
// one, so that the next run settles the row from its cells instead of
// mapping and comparing it again every night.
func (r *run) unchangedKnown(op *Op, id string) {
	r.unchanged(op)
	if r.cfg.DryRun || r.cfg.Journal == nil || op.rs() == "" {
		return
	}
	if was, ok := r.cfg.State.RowSum(op.Key); ok && was == op.rowSum {
		return
	}
	if id == "" {
		last, _ := r.cfg.State.Last(op.Key)
		id = last.ID
	}
	if id != "" {
		r.journal(checkpoint.Entry{Row: op.Row.Number, Key: op.Key, Op: KindUpdate, Status: checkpoint.Verified, ID: id, RS: op.rs()})
	}
}

// notFound fails a row of --mode update (or an upsert whose work was
// deleted) that has no work to update.
func (r *run) notFound(op *Op, msg string) {
	r.notFoundN.Add(1)
	r.opFailed(op, 0, "not_found", msg, 0)
}

// typeChanged fails a row whose mapped type is not its work's.
func (r *run) typeChanged(op *Op, was string) {
	r.opFailed(op, 0, "type_changed", fmt.Sprintf("work %s is a %s and the row is a %s: works cannot change type", workRef(op), was, op.Work.Type), 0)
}

// workRef names an update's work for messages: its display ID, else its ID.
func workRef(op *Op) string {
	if op.DisplayID != "" {
		return op.DisplayID
	}
	return op.ID
}

// planned counts, in a dry run, what an import would do with a row, and
// tells Config.Plan.
func (r *run) planned(op *Op) {
	r.c.Done.Add(1)
	if op.Kind == KindCreate {
		r.c.Created.Add(1)
		if r.cfg.Plan != nil {
			r.cfg.Plan(report.PlanLine{Row: op.Row.Number, Key: op.Key, Op: "create"})
		}
		return
	}
	r.c.Updated.Add(1)
	r.countFields(op.Fields)
	if r.cfg.Plan == nil {
		return
	}
	for _, f := range op.Fields {
		old, known := op.Before[f]
		r.cfg.Plan(report.PlanLine{Row: op.Row.Number, Key: op.Key, Op: "update", Work: op.DisplayID, Field: f,
			Old: old, OldUnknown: !known && op.Before == nil, New: op.Now[f]})
	}
}

// countFields counts an update's fields for the summary.
func (r *run) countFields(fields []string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.fields == nil {
		r.fields = make(map[string]int)
	}
	for _, f := range fields {
		r.fields[f]++
	}
}

// staleDoubt reports whether op, a create an earlier run left in doubt,
// now has another body than that run sent (its fingerprint): a work that
// request made holds the earlier values, not the row's.
func (r *run) staleDoubt(op *Op) bool {
	return r.cfg.Mode.syncs() && op.Kind == KindCreate && op.Doubt != nil && !r.cfg.State.InDoubtWith(op.Key, op.fp)
}

// foundStale records the work found for a stale create in doubt as
// created, without field hashes (it holds what the earlier request sent),
// and turns op into the update that brings it to the row (refreshFound).
func (r *run) foundStale(op *Op, ans Answer) {
	fh := op.FH
	op.FH = nil
	r.done(op, ans, 0)
	op.FH = fh
	op.Kind, op.ID, op.DisplayID = KindUpdate, ans.ID, ans.DisplayID
	r.c.Done.Add(-1) // the row is done once the update is
}

// refreshFound compares the work foundStale recorded with the row, as
// DevRev serves it, and sends the update of the fields that differ.
func (r *run) refreshFound(ctx context.Context, op *Op) error {
	op.refresh, op.Doubt, op.sent, op.Body = false, nil, false, nil
	if !r.readWork(ctx, op) {
		return nil
	}
	return r.send(ctx, op)
}
