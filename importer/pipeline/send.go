package pipeline

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/devrev-import/devrev-import/importer/checkpoint"
	"github.com/devrev-import/devrev-import/importer/devrev"
	"github.com/devrev-import/devrev-import/importer/reconcile"
	"github.com/devrev-import/devrev-import/importer/throttle"
)

// send performs one op, retrying what is worth retrying: the write-ahead
// journal line, the shared limiter, backoff, 429 pauses, doubt resolution
// and the outcome are the same for every kind. Per-row
// failures are recorded, never returned: only a condition that ends the
// whole run comes back, as a *StopError, after stop() was called.
func (r *run) send(ctx context.Context, op *Op) error {
	if r.stopped() {
		r.notTried.Add(1)
		return nil
	}
	body, err := kinds[op.Kind].build(op)
	if err != nil {
		r.opFailed(op, 0, "encode", err.Error(), 0)
		return nil
	}
	op.Body, op.fp = body, fingerprint(body)
	if op.Work != nil {
		op.alike = lookAlike(r.seed, op.Work)
	}
	if op.Doubt != nil {
		if r.resolveEarlierDoubt(ctx, op) {
			if op.refresh && op.Kind == KindUpdate {
				return r.refreshFound(ctx, op)
			}
			return nil
		}
	}
	lim := r.cfg.Limiter
	attempts := 0
	// doubt is true while the last attempt may have been performed (its
	// answer was lost): such a row must not be given back as "failed".
	doubt := false
	for {
		// With --workers auto, a slot bounds the requests waiting for the
		// limiter or in flight; backoffs and lookups do not hold one.
		free, err := r.auto.enter(r.intake)
		if err != nil {
			return r.leave(op, attempts, doubt)
		}
		if err := lim.Wait(r.intake); err != nil {
			free()
			if we := (*throttle.WaitError)(nil); errors.As(err, &we) {
				r.stop(&StopError{Reason: ReasonWaitTooLong, Err: err})
			}
			return r.leave(op, attempts, doubt)
		}
		// While the request is in flight, no look-alike row is reconciled.
		release, err := r.gate.enter(r.intake, op.alike, false)
		if err != nil {
			free()
			return r.leave(op, attempts, doubt)
		}
		if !op.sent {
			// Write-ahead: the journal knows about the request before it leaves.
			e := kinds[op.Kind].ahead(op)
			e.Row, e.Key, e.Op, e.TS = op.Row.Number, op.Key, op.Kind, r.cfg.Clock.Now()
			if err := r.cfg.Journal.Append(e); err != nil {
				release()
				free()
				se := &StopError{Reason: ReasonCheckpoint, Err: err}
				r.stop(se)
				r.notTried.Add(1)
				return nil
			}
			op.sent = true
		}
		attempts++
		sentAt := r.cfg.Clock.Now()
		ans, resp, err := r.cfg.Request(ctx, op)
		release()
		r.requests.Add(1)
		lim.Observe(resp, sentAt)
		class := throttle.Classify(err)
		now := r.cfg.Clock.Now()
		r.auto.observe(now, now.Sub(sentAt), class == throttle.Retry || class == throttle.InDoubt, lim.Rate())
		free()
		doubt = mayHavePerformed(err)
		switch class {
		case throttle.Done:
			r.consec.Store(0)
			r.done(op, ans, attempts)
			return nil
		case throttle.RetryThrottled:
			attempts-- // a 429 does not use up the retry budget
			if stop := r.pause(err); stop != nil {
				r.stop(stop)
				return r.leave(op, attempts, doubt)
			}
			continue
		case throttle.Fail:
			r.consec.Store(0)
			var ae *devrev.APIError
			if !errors.As(err, &ae) {
				r.opFailed(op, 0, "client_error", err.Error(), attempts)
				return nil
			}
			if op.Kind == KindComment && ae.Status == 409 {
				// Its external_ref is on the work: made by an earlier
				// attempt whose answer was lost.
				r.commentThere(ctx, op, attempts)
				return nil
			}
			if op.Kind == KindUpdate && ae.Status == 404 {
				// The work was deleted in DevRev since: fail the row, or
				// (--recreate-missing) create it again.
				if r.missing(op) {
					return r.send(ctx, op)
				}
				return nil
			}
			r.opFailed(op, ae.Status, ae.Type, apiMessage(ae), attempts)
			return nil
		case throttle.Fatal:
			var ae *devrev.APIError
			if errors.As(err, &ae) {
				r.stop(&StopError{Reason: ReasonUnauthorized, Err: err})
			} else {
				r.stop(&StopError{Reason: ReasonInterrupted, Err: err})
			}
			// Refused or abandoned: leave the row for the next run (in
			// doubt if its request may have been performed).
			return r.leave(op, attempts, doubt)
		}
		if doubt && op.Kind == KindLink {
			// Nothing refuses an identical link: look before resending.
			if r.linkSettled(ctx, op) {
				return nil
			}
		}
		if doubt {
			// The answer was lost (or a gateway timed out): the work may
			// exist. Look it up before any resend.
			found, stop := r.reconcileInFlight(ctx, op, sentAt)
			if stop != nil {
				r.stop(stop)
				return r.leave(op, attempts, doubt)
			}
			if found {
				return nil
			}
			if r.cfg.Reconciler != nil && r.cfg.OnDoubt == OnDoubtReconcile {
				doubt = false // looked up: not performed
			}
			// Not performed: an ordinary transient failure.
		}
		// Retry: 5xx, timeouts, dropped connections that did not create.
		if n := r.consec.Add(1); n >= int64(r.cfg.MaxConsecutiveFailures) {
			r.stop(&StopError{Reason: ReasonAPIUnavailable, Err: fmt.Errorf("%d consecutive server or network failures; last: %w", n, err)})
			return r.leave(op, attempts, doubt)
		}
		if attempts > r.cfg.MaxRetries && doubt {
			r.warn(fmt.Sprintf("%s: key %q: gave up after %d attempts whose answers were lost; the next run reconciles it", r.cfg.Source.Where(op.Row.Number, -1), op.Key, attempts))
			return r.leave(op, attempts, doubt)
		}
		if attempts > r.cfg.MaxRetries {
			status, typ := 0, "network_error"
			var ae *devrev.APIError
			if errors.As(err, &ae) {
				status, typ = ae.Status, ae.Type
			}
			r.opFailed(op, status, typ, fmt.Sprintf("gave up after %d attempts: %v", attempts, err), attempts)
			return nil
		}
		select {
		case <-r.cfg.Clock.After(r.cfg.Backoff(attempts)):
		case <-r.stopCh:
			return r.leave(op, attempts, doubt)
		case <-ctx.Done():
			return r.leave(op, attempts, doubt)
		}
	}
}

// opFailed records an op the API (or the run) refused.
func (r *run) opFailed(op *Op, status int, typ, msg string, attempts int) {
	if op.rel != nil {
		// A link or comment fails on its row; the row's work stays created.
		if status > 0 {
			msg = fmt.Sprintf("HTTP %d %s: %s", status, typ, msg)
		}
		if op.rel.where != "" {
			r.relFailedAt(op.rel.where, op.Row, op.Kind, op.Key, relWhat(op)+": "+msg)
		} else {
			r.relFailed(op.Row, op.Kind, op.Key, relWhat(op)+": "+msg)
		}
		return
	}
	r.fail(op.Kind, op.Row, status, typ, msg, &checkpoint.Entry{Row: op.Row.Number, Key: op.Key, Op: op.Kind, Status: checkpoint.Failed, HTTPStatus: status,
		Error: &checkpoint.ErrorInfo{Type: typ, Message: msg}, Attempts: attempts})
}

// leave gives a row back unfinished. A row that never left is not
// attempted; a row whose last attempt was definitely not performed (also
// one answered 429) is recorded as failed ("interrupted") so the next run
// sends it again; a row whose last attempt may have been performed keeps
// "sending" as its last line, so the next run reconciles it before any
// resend.
func (r *run) leave(op *Op, attempts int, doubt bool) error {
	r.notTried.Add(1)
	if !op.sent || doubt {
		return nil
	}
	r.journal(checkpoint.Entry{Row: op.Row.Number, Key: op.Key, Op: op.Kind, Status: checkpoint.Failed,
		Error: &checkpoint.ErrorInfo{Type: "interrupted", Message: "the run stopped before this row finished"}, Attempts: attempts})
	return nil
}

// pause handles a 429: every worker waits until the retry instant. It
// returns a StopError when the wait is longer than --max-wait.
func (r *run) pause(err error) *StopError {
	var ae *devrev.APIError
	errors.As(err, &ae)
	now := r.cfg.Clock.Now()
	until, ok := throttle.RetryInstant(now, ae)
	if !ok {
		// No hint at all: back off on our own, shared by everyone.
		until = now.Add(r.cfg.Backoff(int(r.throttle.Add(1))))
	}
	if wait := until.Sub(now); wait > r.cfg.MaxWait {
		return &StopError{Reason: ReasonWaitTooLong, Err: fmt.Errorf("the API asks to wait %s, more than --max-wait %s; run again later", wait.Round(time.Second), r.cfg.MaxWait)}
	}
	r.cfg.Limiter.PauseUntil(until)
	if r.cfg.Throttle != nil {
		r.cfg.Throttle(until)
	}
	r.cfg.Logger.Info("rate limited", "resume_at", until.Format(time.RFC3339), "wait", until.Sub(now).Round(time.Millisecond).String())
	return nil
}

// done records a performed op: what it wrote, and after how many attempts
// (0: found by reconciliation).
func (r *run) done(op *Op, ans Answer, attempts int) {
	if ans.Type == "" && op.Work != nil {
		ans.Type = op.Work.Type
	}
	e := kinds[op.Kind].outcome(op, ans)
	e.Row, e.Key, e.Op, e.Attempts = op.Row.Number, op.Key, op.Kind, attempts
	r.journal(e)
	if op.rel != nil {
		r.relDone(op.Kind)
		r.byKind[op.Kind].done.Add(1)
		return
	}
	if r.cfg.Created != nil && op.Kind == KindCreate {
		r.cfg.Created(op.Row, op.Key, e.ID, e.DisplayID)
	}
	if r.cfg.Reconciler != nil {
		r.cfg.Reconciler.Known(e.ID)
	}
	if op.Kind == KindUpdate {
		r.c.Updated.Add(1)
		r.countFields(op.Fields)
	} else {
		r.c.Created.Add(1)
	}
	r.byKind[op.Kind].done.Add(1)
	r.c.Done.Add(1)
}

// reconcileInFlight looks a work up after a request whose answer was lost.
// found means the row is settled (created, ambiguous, or left in doubt
// because the lookup could not finish).
func (r *run) reconcileInFlight(ctx context.Context, op *Op, sentAt time.Time) (found bool, stop *StopError) {
	if r.cfg.Reconciler == nil || r.cfg.OnDoubt == OnDoubtResend || kinds[op.Kind].find == nil {
		return false, nil
	}
	r.claims.add(op.fp, 1) // this row may have created a work now
	return r.reconcile(ctx, op, sentAt, true)
}

// resolveEarlierDoubt handles a row an earlier run left as "sending". It
// reports whether the row is settled (found, skipped, or left for later);
// false means it may be sent.
func (r *run) resolveEarlierDoubt(ctx context.Context, op *Op) (settled bool) {
	switch op.Kind {
	case KindLink:
		return r.linkSettled(ctx, op)
	case KindComment:
		return false // its external_ref makes a resend harmless
	}
	switch r.cfg.OnDoubt {
	case OnDoubtResend:
		return false
	case OnDoubtSkip:
		r.warn(fmt.Sprintf("%s: key %q was in flight when an earlier run stopped; skipped (--on-doubt skip)", r.cfg.Source.Where(op.Row.Number, -1), op.Key))
		r.notTried.Add(1)
		return true
	}
	if r.cfg.Reconciler == nil {
		return false
	}
	if r.unmatchable(op) {
		return true
	}
	op.refresh = r.staleDoubt(op)
	found, stop := r.reconcile(ctx, op, op.Doubt.TS, r.cfg.State.InDoubtWith(op.Key, op.fp))
	if !found {
		op.refresh = false // sent now: a work found in flight holds the row's values
	}
	if stop != nil {
		r.stop(stop)
		r.notTried.Add(1)
		return true
	}
	return found
}

// reconcile looks the row's work up. counted says the row is among the
// claimants of its fingerprint already (and stops being one once the
// lookup has an answer). found means the row is settled.
func (r *run) reconcile(ctx context.Context, op *Op, sentAt time.Time, counted bool) (found bool, stop *StopError) {
	release, err := r.gate.enter(ctx, op.alike, true)
	if err != nil {
		r.notTried.Add(1) // abandoned: still in doubt for the next run
		return true, nil
	}
	defer release()
	n := r.claims.count(op.fp)
	if !counted {
		n++
	}
	res, err := kinds[op.Kind].find(ctx, r.cfg.Reconciler, op, sentAt, n)
	if err != nil {
		var ae *devrev.APIError
		if errors.As(err, &ae) && throttle.Classify(err) == throttle.Fatal {
			return false, &StopError{Reason: ReasonUnauthorized, Err: err}
		}
		r.unreconciled(op, err)
		return true, nil
	}
	r.consec.Store(0)
	if counted {
		r.claims.add(op.fp, -1)
	}
	switch res.Outcome {
	case reconcile.Found:
		r.recon.Add(1)
		ans := Answer{ID: res.ID, DisplayID: res.DisplayID, Type: op.Work.Type}
		if op.refresh {
			r.foundStale(op, ans)
		} else {
			r.done(op, ans, 0)
		}
		return true, nil
	case reconcile.Ambiguous:
		r.recon.Add(1)
		r.ambiguous(op, res.Candidates)
		return true, nil
	}
	return false, nil
}

// unreconciled records a row whose lookup could not finish: it is never
// resent blindly, so it stays in doubt (its last journal line is
// "sending") and the run ends with exit 3. A failed lookup counts toward
// --max-consecutive-failures like a failed create.
func (r *run) unreconciled(op *Op, err error) {
	r.notTried.Add(1)
	msg := fmt.Sprintf("%s: key %q is in doubt and could not be reconciled: %v", r.cfg.Source.Where(op.Row.Number, -1), op.Key, err)
	r.warn(msg)
	if r.unrec.Add(1) == 1 {
		r.firstUnrec.Store(msg)
	}
	if n := r.consec.Add(1); n >= int64(r.cfg.MaxConsecutiveFailures) {
		r.stop(&StopError{Reason: ReasonAPIUnavailable, Err: fmt.Errorf("%d consecutive server or network failures; last: %w", n, err)})
	}
}

// ambiguous records a row in doubt that more works match than rows may
// have created them: it stays failed, and is not sent again, until a
// person decides with the resolve command.
func (r *run) ambiguous(op *Op, candidates []string) {
	msg := fmt.Sprintf("the request may have been performed and %d works match it: %s; decide with %s",
		len(candidates), strings.Join(candidates, ", "), r.resolveHint(op.Row.Number))
	r.fail(op.Kind, op.Row, 0, "in_doubt_ambiguous", msg, &checkpoint.Entry{Row: op.Row.Number, Key: op.Key, Op: op.Kind, Status: checkpoint.Ambiguous,
		Error: &checkpoint.ErrorInfo{Type: "in_doubt_ambiguous", Message: msg}, Candidates: candidates})
}

// unmatchable fails a create an earlier run left in doubt whose row
// changed since (its body's fingerprint is not the sending line's) when
// no key stored in DevRev finds its work: reconciliation matches works by
// the values sent, which the row no longer has, so it would not find the
// work that request may have made, and sending it again could make a
// second one. The row is ambiguous until a person decides.
func (r *run) unmatchable(op *Op) bool {
	if op.Kind != KindCreate || r.cfg.State.InDoubtWith(op.Key, op.fp) {
		return false
	}
	if kf := r.keyField; kf != "" {
		if _, ok := op.Work.CustomFields[kf]; ok {
			return false
		}
	}
	msg := fmt.Sprintf("an earlier run's create of this row may have been performed (its answer was lost, %s) and the row changed since, so its work cannot be matched by the row's values; look for it in DevRev and decide with %s",
		op.Doubt.TS.Format(time.RFC3339), r.resolveHint(op.Row.Number))
	r.fail(op.Kind, op.Row, 0, "in_doubt_changed", msg, &checkpoint.Entry{Row: op.Row.Number, Key: op.Key, Op: op.Kind, Status: checkpoint.Ambiguous,
		Error: &checkpoint.ErrorInfo{Type: "in_doubt_changed", Message: msg}})
	return true
}

// resolveHint is the command that settles an ambiguous row.
func (r *run) resolveHint(row int) string {
	ck := "CHECKPOINT"
	if r.cfg.Journal != nil {
		ck = r.cfg.Journal.Path()
	}
	return fmt.Sprintf("devrev-import resolve %s %d --id ID (that work is this row's) or --send (none is)", ck, row)
}

// apiMessage renders an API refusal for a person.
func apiMessage(ae *devrev.APIError) string {
	msg := ae.Message
	if ae.FieldName != "" {
		msg = ae.FieldName + ": " + msg
	}
	if len(ae.AllowedValues) > 0 {
		msg += fmt.Sprintf(" (allowed: %v)", ae.AllowedValues)
	}
	return msg
}

// mayHavePerformed reports whether an attempt's request may have been
// performed although no usable answer came back.
func mayHavePerformed(err error) bool {
	if err == nil {
		return false // an answer came: the targets below would be allocated for nothing
	}
	var te *devrev.TransportError
	if errors.As(err, &te) {
		return te.InDoubt
	}
	var be *devrev.BadResponseError
	if errors.As(err, &be) {
		return true
	}
	// A gateway that gave up waiting (502, 504) may have let the create
	// through to the API: treat it like a lost answer.
	var ae *devrev.APIError
	return errors.As(err, &ae) && (ae.Status == 502 || ae.Status == 504)
}
