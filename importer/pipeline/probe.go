package pipeline

import (
	"cmp"
	"context"
	"fmt"
	"strings"

	"github.com/devrev-import/devrev-import/importer/checkpoint"
	"github.com/devrev-import/devrev-import/importer/devrev"
	"github.com/devrev-import/devrev-import/importer/throttle"
)

// This file guards create mode against the one way it would make every
// work twice: the file imported before under another checkpoint (deleted,
// lost, left on another machine, or a --checkpoint path changed). Create
// mode trusts the checkpoint alone, so a checkpoint that knows no work
// would create them all again. When the key is stored in a custom field,
// the first lookupBatch rows of such a run are looked up in DevRev (one
// works.list) before any is created; if DevRev already holds works with
// their keys, the run stops with nothing created and says what to run
// instead. Upsert and update look every unknown key up anyway.

// ReasonImportedBefore stops a create-mode run whose checkpoint knows no
// work while DevRev already holds works with the file's keys. Unlike the
// other reasons, running the same command again stops again: the mode or
// the checkpoint must change.
const ReasonImportedBefore Reason = "imported_before"

// probeShown is how many of the works found the message names.
const probeShown = 3

// probes reports whether this run checks its first keys in DevRev: create
// mode, the key in a custom field, a token, and a checkpoint without a
// work (nor a create in doubt). A dry run checks when the import's
// checkpoint does not exist (Config.NoCheckpoint), and warns of what the
// import would do.
func probes(cfg Config, keyField string) bool {
	if cfg.Mode.syncs() || cfg.NoKeyCheck || keyField == "" || cfg.Client == nil {
		return false
	}
	if cfg.DryRun {
		return cfg.NoCheckpoint
	}
	if cfg.State == nil {
		return false
	}
	for status, n := range cfg.State.Counts() {
		if n > 0 && (holdsWork(status) || status == checkpoint.Sending) {
			return false
		}
	}
	return true
}

// probe queues op, a create of a run that probes, until lookupBatch rows
// are queued or the file ends; then flushProbe decides them all. false
// means the run stopped. A dry run queues only the row's number and key.
func (r *run) probe(ctx context.Context, jobs chan<- *Op, op *Op) bool {
	return r.queue(ctx, jobs, op, r.flushProbe)
}

// flushProbe looks the queued rows' keys up once and ends the probing:
// none in DevRev, they are sent as creates; some, the run stops before
// any is sent (a dry run, jobs nil, warns that the import would stop). A
// key field DevRev refuses to filter by (a 400: not filterable) leaves a
// warning and the run goes on as create mode always did; an API that is
// down or refuses the token stops it as usual. false means the run
// stopped.
func (r *run) flushProbe(ctx context.Context, jobs chan<- *Op) bool {
	ops := r.lookups
	r.lookups, r.probing = nil, false
	if len(ops) == 0 {
		return true
	}
	found, err := r.listByKey(r.intake, ops)
	switch {
	case err != nil && throttle.Classify(err) == throttle.Fail:
		r.warn(fmt.Sprintf("could not check whether DevRev already holds works with these keys (a new checkpoint in create mode): %v", err))
	case err != nil:
		return r.lookupFailed(err, len(ops))
	case len(found) > 0 && jobs == nil:
		r.warn(fmt.Sprintf("an import would stop (exit 2) and create nothing: %v", r.importedBefore(ops, found)))
	case len(found) > 0:
		r.stop(&StopError{Reason: ReasonImportedBefore, Err: r.importedBefore(ops, found)})
		r.notTried.Add(int64(len(ops)))
		return false
	}
	if jobs == nil {
		return true // a dry run counted them when they were read
	}
	for i, op := range ops {
		if !r.emit(ctx, jobs, op) {
			r.notTried.Add(int64(len(ops) - i - 1))
			return false
		}
	}
	return true
}

// importedBefore says which of the probed rows DevRev already holds and
// what to run instead.
func (r *run) importedBefore(ops []*Op, found map[string][]devrev.Work) error {
	var named []string
	n := 0
	for _, op := range ops {
		works := found[op.Key]
		if len(works) == 0 {
			continue
		}
		n++
		if len(named) < probeShown {
			w := works[0]
			named = append(named, fmt.Sprintf("row %d (key %q) is %s", op.Row.Number, op.Key, cmp.Or(w.DisplayID, w.ID)))
		}
	}
	return fmt.Errorf("the checkpoint knows no work of this file, but DevRev already holds works with its keys "+
		"(custom field %s): %d of the first %d valid rows, e.g. %s. The file was imported before with another checkpoint; "+
		"creating would make a second work of each, so nothing was created. "+
		"Run with --mode upsert (finds each work by its key: updates what changed, creates only new rows), "+
		"or with the earlier run's --checkpoint (--no-key-check creates them all the same: for keys another import also uses)",
		r.keyField, n, len(ops), strings.Join(named, "; "))
}
