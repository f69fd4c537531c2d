// Package pipeline runs an import: rows stream from a source, are mapped
// and validated, and valid rows go through a pool of workers that share one
// rate limiter and record every outcome in the checkpoint journal.
//
// Row-level problems (an invalid cell, a 400 from the API) are recorded and
// the run goes on; only conditions that would fail every row (401/403, the
// API down, a wait longer than allowed) or a broken source file end it, as
// a *StopError or a *source.FileError.
package pipeline

import (
	"context"
	"errors"
	"fmt"
	"hash/maphash"
	"io"
	"log/slog"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/devrev-import/devrev-import/importer/checkpoint"
	"github.com/devrev-import/devrev-import/importer/devrev"
	"github.com/devrev-import/devrev-import/importer/progress"
	"github.com/devrev-import/devrev-import/importer/reconcile"
	"github.com/devrev-import/devrev-import/importer/report"
	"github.com/devrev-import/devrev-import/importer/source"
	"github.com/devrev-import/devrev-import/importer/throttle"
	"github.com/devrev-import/devrev-import/mapping"
)

// Doubt policies for rows whose request may or may not have been performed.
const (
	OnDoubtReconcile = "reconcile" // look the work up before any resend
	OnDoubtResend    = "resend"    // send again (may duplicate)
	OnDoubtSkip      = "skip"      // leave the row for a person
)

// Config wires one run. Source and Mapper are required; DryRun needs
// nothing else. An import also needs Limiter, Journal and either Client or
// Request.
type Config struct {
	Source source.Reader
	Mapper *mapping.Mapper
	DryRun bool

	// Mode is how rows are written ("" = ModeCreate). Upsert and update
	// compare each row with what the checkpoint says was last sent for
	// its key (or with the work in DevRev) and send only changed fields.
	Mode Mode
	// RecreateMissing makes an upsert create again a row whose work was
	// deleted in DevRev (404), instead of failing it.
	RecreateMissing bool
	// TagsAdd makes updates add the row's tags instead of setting them.
	TagsAdd bool
	// RowSalt names everything besides a row's cells that decides what it
	// maps to (the mapping, its flags, the schema's typing, this tool's
	// build): a row whose cells and salt are those of the row its work was
	// last written from is unchanged without being mapped (rowsum.go).
	// "" maps every row.
	RowSalt string
	// Plan, when set, is told in a dry run every write an import would
	// make: a create, or each changed field of an update.
	Plan func(report.PlanLine)
	// Relate, when set, makes an import's second phase: once every row
	// was tried, the links and comments of the rows (see relate.go).
	Relate *RelateConfig

	Client *devrev.Client
	// Request performs one attempt of an op; nil means each kind's call
	// through Client. Tests script outcomes with it, without HTTP, in the
	// style of go-retryablehttp's CheckRetry and rclone's pacer.Call.
	Request    Request
	Limiter    *throttle.Limiter
	Journal    *checkpoint.Journal
	State      *checkpoint.State // what earlier runs left; nil = nothing
	Reconciler *reconcile.Reconciler
	OnDoubt    string // OnDoubtReconcile (default), OnDoubtResend or OnDoubtSkip

	// Enrich, when set, completes a valid row's body before it is sent (or,
	// in a dry run, checked): resolving names to IDs, checking custom
	// fields against the org's schema. Problems make the row invalid; an
	// error (the API unreachable, refusing the token, ...) stops the run
	// with the row not attempted.
	Enrich func(ctx context.Context, w *mapping.Work, row source.Row) ([]mapping.Problem, error)

	Errors   *report.ErrorsCSV     // invalid and failed rows; nil = none
	Counters *progress.Counters    // live totals; nil = private
	Throttle func(until time.Time) // told about every rate-limit pause
	// Created, when set, is told about every work this run created or
	// found by reconciliation, after its checkpoint line (the created
	// CSV). Workers call it concurrently.
	Created func(row source.Row, key, id, displayID string)

	Workers int // a fixed pool; default throttle.DefaultWorkers
	// AutoWorkers sizes the requests in flight to the limiter's rate
	// (--workers auto): from throttle.DefaultStartWorkers up to MaxWorkers
	// (default throttle.DefaultMaxWorkers); Workers is then ignored.
	AutoWorkers            bool
	MaxWorkers             int
	MaxRetries             int           // per row, for 5xx and network errors; default throttle.DefaultMaxRetries
	MaxConsecutiveFailures int           // 5xx/network failures in a row that stop the run; default throttle.DefaultMaxConsecutiveFailures
	MaxDuration            time.Duration // stop taking rows after this; 0 = no limit
	MaxErrors              int           // stop once this many rows failed; 0 = no limit
	MaxErrorsPct           float64       // stop once this share (0..100) of finished rows failed; 0 = no limit
	MaxWait                time.Duration // longest rate-limit wait accepted; default 15m
	Backoff                throttle.Backoff
	Clock                  throttle.Clock
	Logger                 *slog.Logger

	// Stop, when closed, stops taking new rows; requests in flight finish.
	Stop <-chan struct{}
	// NoKeyCheck turns off create mode's look at its first keys in DevRev
	// on a new checkpoint (probe.go): keys another import uses too.
	NoKeyCheck bool

	// NoCheckpoint says, in a dry run (which reads no checkpoint), that
	// the import's checkpoint does not exist yet, so the dry run checks
	// the first keys in DevRev as that import would (probe.go).
	NoCheckpoint bool

	// Reopen opens the source again from the start. A dry run with it
	// finds duplicate keys in bounded memory (a second pass confirms
	// suspects); without it, every key is remembered.
	Reopen func() (source.Reader, error)

	// Total is the number of data rows in the source when known cheaply
	// (-1 or 0 = unknown): rows a stopped run never read count as not
	// attempted.
	Total int
	// FirstErrors is how many formatted messages Result keeps (default 20).
	FirstErrors int
	// More, when set, is told each row problem past the first FirstErrors
	// messages (called under the run's lock, in order): the row's number
	// and the problem, structured; a refused row's has Col -1 and Msg its
	// HTTP status and error type. The CLI groups them by column and rule.
	More func(row int, p mapping.Problem)
	// Relations, when set, is told every row mapped (valid or not: its
	// Problems say), after Enrich, in file order, from one goroutine, for
	// the checks of links and comments; res is only valid during the call.
	Relations func(row source.Row, res mapping.Result)
}

// Result is what a run did.
type Result struct {
	Summary report.Summary
	// Messages holds the first FirstErrors row messages, formatted with
	// their cell reference; MessageCount counts all of them.
	Messages     []string
	MessageCount int
}

// Reason is why a run stopped before every row was tried; its value is
// the summary's "stopped" field.
type Reason string

// The reasons a run stops early. Every one is resumable: running the same
// command again continues where the run stopped (all but
// ReasonImportedBefore, see probe.go).
const (
	ReasonInterrupted    Reason = "interrupted"     // a signal, or the context ended
	ReasonAPIUnavailable Reason = "api_unavailable" // too many consecutive server or network failures
	ReasonMaxDuration    Reason = "max_duration"    // --max-duration reached
	ReasonMaxErrors      Reason = "max_errors"      // --max-errors reached
	ReasonWaitTooLong    Reason = "wait_too_long"   // the API asks to wait longer than --max-wait
	ReasonUnauthorized   Reason = "unauthorized"    // the API refused the token or its permissions
	ReasonInDoubt        Reason = "in_doubt"        // rows in doubt could not be reconciled
	ReasonCheckpoint     Reason = "checkpoint"      // the checkpoint journal could not be written
)

// StopError ends a run before every row was tried. The run is resumable.
type StopError struct {
	Reason Reason
	Err    error
}

func (e *StopError) Error() string {
	if e.Err != nil {
		return string(e.Reason) + ": " + e.Err.Error()
	}
	return string(e.Reason)
}

func (e *StopError) Unwrap() error { return e.Err }

// kindCounts counts one op kind's outcomes for the summary.
type kindCounts struct{ done, failed atomic.Int64 }

type run struct {
	cfg      Config
	c        *progress.Counters
	res      Result
	mu       sync.Mutex // guards res.Messages, res.MessageCount, res.Summary's Warnings
	seed     maphash.Seed
	requests atomic.Int64
	throttle atomic.Int64
	recon    atomic.Int64
	consec   atomic.Int64
	notTried atomic.Int64
	byKind   map[Kind]*kindCounts // read-only after Run made it
	// unrec counts rows whose reconciliation could not finish;
	// firstUnrec holds the first one's message.
	unrec      atomic.Int64
	firstUnrec atomic.Value // string
	// notFoundN, ambiguousN and changedN count rows of --mode update with
	// no work, keys several works carry, and (create mode) rows changed
	// since they were created; fields counts the fields updates sent
	// (guarded by mu).
	notFoundN, ambiguousN, changedN atomic.Int64
	fields                          map[string]int
	// What the sync compares, from the Mapper (which never changes): the
	// request fields it fills, those only defaults fill, the key's field.
	targets, defaultOnly []string
	keyField             string
	digest               rowDigest // of the rows' cells (Config.RowSalt)
	lookups              []*Op     // rows whose key is being looked up in DevRev (producer only)
	probing              bool      // create mode's first rows are checked in DevRev (probe.go; producer only)
	// The second phase: the journal as the first left it, the links and
	// comments met so far (producer only), their counts.
	works      *checkpoint.State
	relSeen    map[uint64]struct{}
	relKeys    map[string][2]string     // keys of other imports looked up: work ID, or why none
	relOrder   map[string]chan struct{} // work ID → its last comment batch's done (see relation.after)
	relErrRows map[int]bool             // rows the errors CSV has from this phase (guarded by mu)
	rel        relCounts
	relErrors  atomic.Int64
	gate       gate
	auto       *autoWorkers // nil: a fixed pool
	claims     claimants
	stopOnce   sync.Once
	stopCh     chan struct{}
	stopWhy    atomic.Value // *StopError
	start      time.Time
	// intake is cancelled when the run stops taking rows, so a worker
	// blocked on the limiter gives its row back instead of sending it.
	intake       context.Context
	cancelIntake context.CancelFunc
}

// Run reads every row and, unless DryRun, sends the valid ones. ctx ends
// the run at once (requests in flight are abandoned); Config.Stop ends it
// gracefully.
func Run(ctx context.Context, cfg Config) (Result, error) {
	if cfg.Workers <= 0 {
		cfg.Workers = throttle.DefaultWorkers
	}
	if cfg.MaxWorkers <= 0 {
		cfg.MaxWorkers = throttle.DefaultMaxWorkers
	}
	if cfg.MaxRetries < 0 {
		cfg.MaxRetries = 0
	} else if cfg.MaxRetries == 0 {
		cfg.MaxRetries = throttle.DefaultMaxRetries
	}
	if cfg.MaxConsecutiveFailures <= 0 {
		cfg.MaxConsecutiveFailures = throttle.DefaultMaxConsecutiveFailures
	}
	if cfg.MaxWait <= 0 {
		cfg.MaxWait = throttle.DefaultMaxWait
	}
	if cfg.Backoff == nil {
		cfg.Backoff = throttle.FullJitter(throttle.DefaultBackoffBase, throttle.DefaultBackoffMax, nil)
	}
	if cfg.Clock == nil {
		cfg.Clock = throttle.RealClock()
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.FirstErrors <= 0 {
		cfg.FirstErrors = 20
	}
	if cfg.OnDoubt == "" {
		cfg.OnDoubt = OnDoubtReconcile
	}
	if cfg.Mode == "" {
		cfg.Mode = ModeCreate
	}
	if cfg.Request == nil && cfg.Client != nil {
		cfg.Request = clientRequest(cfg.Client)
	}
	r := &run{cfg: cfg, c: cfg.Counters, seed: maphash.MakeSeed(), stopCh: make(chan struct{}), start: cfg.Clock.Now(),
		claims: claimants{state: cfg.State}, targets: cfg.Mapper.Targets(), defaultOnly: cfg.Mapper.DefaultOnly(), keyField: cfg.Mapper.KeyField()}
	if cfg.Source != nil {
		r.digest = newRowDigest(cfg.RowSalt, cfg.Source.Header())
	}
	r.probing = probes(cfg, r.keyField)
	if r.c == nil {
		r.c = new(progress.Counters)
	}
	r.res.Summary.DryRun = cfg.DryRun
	r.byKind = make(map[Kind]*kindCounts, len(kinds))
	for k := range kinds {
		r.byKind[k] = new(kindCounts)
	}
	err := r.execute(ctx)
	if err == nil && cfg.Relate != nil && !cfg.DryRun && !r.stopped() {
		err = r.relate(ctx)
	}
	s := &r.res.Summary
	s.Created = int(r.c.Created.Load())
	s.Skipped = int(r.c.Skipped.Load())
	s.Invalid = int(r.c.Invalid.Load())
	s.Failed = int(r.c.Failed.Load())
	s.NotAttempted = int(r.notTried.Load())
	s.Updated, s.Unchanged = int(r.c.Updated.Load()), int(r.c.Unchanged.Load())
	s.NotFound, s.Ambiguous, s.Changed = int(r.notFoundN.Load()), int(r.ambiguousN.Load()), int(r.changedN.Load())
	s.UpdatedFields = r.fields
	s.Mode = string(cfg.Mode)
	r.relSummary(s)
	if !cfg.DryRun {
		s.Ops = make(map[string]report.OpCounts, len(r.byKind))
		for k, c := range r.byKind {
			if k == KindUpdate && !cfg.Mode.syncs() || (k == KindLink || k == KindComment) && cfg.Relate == nil {
				continue // a create-mode run never updates; links and comments only with their phase
			}
			s.Ops[string(k)] = report.OpCounts{Done: int(c.done.Load()), Failed: int(c.failed.Load())}
		}
	}

	s.Requests = int(r.requests.Load())
	s.Reconciled = int(r.recon.Load())
	if cfg.Limiter != nil {
		n, d := cfg.Limiter.Stats()
		s.Throttled, s.ThrottledS = n, d.Seconds()
	}
	s.DurationS = cfg.Clock.Now().Sub(r.start).Seconds()
	if err == nil {
		if se, ok := r.stopWhy.Load().(*StopError); ok {
			err = se
		} else if n := r.unrec.Load(); n > 0 {
			first, _ := r.firstUnrec.Load().(string)
			err = &StopError{Reason: ReasonInDoubt, Err: fmt.Errorf("%d rows in doubt could not be reconciled and were not sent again (the first: %s)", n, first)}
		}
	}
	if se := (*StopError)(nil); errors.As(err, &se) {
		s.Stopped = string(se.Reason)
		if cfg.Total > s.Rows {
			s.NotAttempted += cfg.Total - s.Rows
		}
	}
	return r.res, err
}

// stopFor is the StopError for a run-ending error of a call outside the
// workers' loop (a lookup, a schema fetch): the token refused, a wait too
// long, the run interrupted, else the API unavailable.
func stopFor(err error) *StopError {
	var we *throttle.WaitError
	switch {
	case throttle.Classify(err) == throttle.Fatal:
		return &StopError{Reason: ReasonUnauthorized, Err: err}
	case errors.As(err, &we):
		return &StopError{Reason: ReasonWaitTooLong, Err: err}
	case errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded):
		return &StopError{Reason: ReasonInterrupted, Err: err}
	}
	return &StopError{Reason: ReasonAPIUnavailable, Err: err}
}

// stop ends the intake of rows with the given reason (first one wins).
func (r *run) stop(se *StopError) {
	r.stopOnce.Do(func() {
		r.stopWhy.Store(se)
		close(r.stopCh)
		r.cancelIntake()
	})
}

// stopped reports whether the run stopped taking rows. A closed
// Config.Stop counts at once, before its watcher goroutine has run, so
// that no row starts after it. It runs once per row: two one-case selects
// are lock-free polls, where one select over both channels locks them
// (4% of a CSV validate's CPU).
func (r *run) stopped() bool {
	select {
	case <-r.stopCh:
		return true
	default:
	}
	select {
	case <-r.cfg.Stop:
		r.stop(&StopError{Reason: ReasonInterrupted})
		return true
	default:
		return false
	}
}

func (r *run) execute(ctx context.Context) error {
	r.intake, r.cancelIntake = context.WithCancel(ctx)
	defer r.cancelIntake()
	finished := make(chan struct{})
	defer close(finished)
	if r.cfg.Stop != nil {
		go func() {
			select {
			case <-r.cfg.Stop:
				r.stop(&StopError{Reason: ReasonInterrupted})
			case <-r.stopCh:
			case <-finished:
			}
		}()
	}
	if r.cfg.MaxDuration > 0 {
		deadline := r.cfg.Clock.After(r.cfg.MaxDuration)
		go func() {
			select {
			case <-deadline:
				r.stop(&StopError{Reason: ReasonMaxDuration, Err: fmt.Errorf("--max-duration %s reached", r.cfg.MaxDuration)})
			case <-r.stopCh:
			case <-finished:
			}
		}()
	}
	if r.cfg.DryRun && !r.cfg.Mode.syncs() {
		return r.produce(ctx, nil)
	}
	// Workers record per-row outcomes themselves and end the run through
	// stop(), so requests in flight finish; only ctx abandons them. A dry
	// run of upsert or update reads works through them too.
	workers := r.cfg.Workers
	if r.cfg.AutoWorkers {
		// As many goroutines as the cap; the slots decide how many send.
		r.auto = newAutoWorkers(throttle.DefaultStartWorkers, r.cfg.MaxWorkers)
		workers = r.cfg.MaxWorkers
	}
	return pool(ctx, workers, r.produce, r.work)
}

// produce reads, maps and validates rows; valid rows go to jobs (nil in a
// dry run).
func (r *run) produce(ctx context.Context, jobs chan<- *Op) error {
	src, s := r.cfg.Source, &r.res.Summary
	var seen keySet
	var filter bloom
	bounded := jobs == nil && r.cfg.Reopen != nil
	if bounded {
		defer func() {
			suspects, last := filter.takeSuspects()
			filter.release()
			if len(suspects) > 0 && !r.stopped() {
				if err := r.confirmDuplicates(ctx, suspects, last); err != nil && ctx.Err() == nil {
					r.warn(fmt.Sprintf("duplicate keys not checked: reading the file again: %v", err))
				}
			}
		}()
	}
	var scratch mapping.Work
	defer func() {
		// Keys still queued for a lookup when the run stopped.
		r.notTried.Add(int64(len(r.lookups)))
		r.lookups = nil
	}()
	for {
		if r.stopped() {
			return nil
		}
		row, err := src.Next()
		if err == io.EOF {
			if r.probing {
				r.flushProbe(ctx, jobs)
			} else {
				r.flushLookups(ctx, jobs)
			}
			return nil
		}
		if err != nil {
			return err
		}
		s.Rows++
		var sum uint64 // the row's digest, read by what sends (not a dry run without workers)
		if jobs != nil {
			sum = r.digest.of(row)
		}
		if r.skipDone(row, sum, &seen) {
			continue
		}
		if jobs != nil && r.cfg.Mode.syncs() {
			if key, same := r.sameCells(row, sum); same {
				s.Valid++
				if r.firstOfKey(row, key, &seen) {
					r.unchanged(nil)
				}
				continue
			}
		}
		var res mapping.Result
		if jobs == nil {
			// A dry run keeps nothing of a row: reuse one body.
			res = r.cfg.Mapper.MapInto(&scratch, row)
		} else {
			res = r.cfg.Mapper.Map(row)
		}
		if len(res.Problems) == 0 && r.cfg.Enrich != nil {
			// Lookups are read-only: a stop (Ctrl-C) abandons one in flight.
			probs, err := r.cfg.Enrich(r.intake, res.Work, row)
			if err != nil {
				r.stop(stopFor(err))
				r.notTried.Add(1)
				return nil
			}
			res.Problems = probs
		}
		if r.cfg.Relations != nil {
			r.cfg.Relations(row, res)
		}
		if len(res.Problems) > 0 {
			r.invalid(row, res)
			continue
		}
		s.Valid++
		if bounded {
			filter.add(maphash.String(r.seed, res.Key), row.Number)
		} else if !r.firstOfKey(row, res.Key, &seen) {
			continue
		}
		var doubt *checkpoint.Entry
		if r.cfg.State != nil {
			if last, ok := r.cfg.State.Last(res.Key); ok {
				switch last.Status {
				case checkpoint.Sending:
					doubt = &last
				case checkpoint.Ambiguous:
					r.fail(KindCreate, row, 0, "in_doubt_ambiguous", "an earlier run found several works that may be this row's; it is not sent again until you decide with "+r.resolveHint(row.Number), nil)
					continue
				}
			}
		}
		if jobs == nil {
			r.c.Done.Add(1)
			if r.probing && !r.probe(ctx, nil, &Op{Row: source.Row{Number: row.Number}, Key: strings.Clone(res.Key)}) {
				return nil
			}
			continue
		}
		op := &Op{Kind: KindCreate, Row: row, Key: res.Key, Work: res.Work, Doubt: doubt}
		op.rowSum = sum
		if r.cfg.Mode.syncs() {
			switch r.planSync(op) {
			case vDone:
				continue
			case vRead:
				op.needsRead = true
			case vLookup:
				if !r.lookUp(ctx, jobs, op) {
					return nil
				}
				continue
			}
			op.needsRead = op.needsRead || op.readOld
		} else if err := rowValues(op); err != nil {
			r.opFailed(op, 0, "encode", err.Error(), 0)
			continue
		} else if r.probing {
			if !r.probe(ctx, jobs, op) {
				return nil
			}
			continue
		}
		if !r.emit(ctx, jobs, op) {
			return nil
		}
	}
}

// emit hands op to the workers. false means the run stopped (the op
// counts as not attempted).
func (r *run) emit(ctx context.Context, jobs chan<- *Op, op *Op) bool {
	select {
	case jobs <- op:
		return true
	case <-r.stopCh:
	case <-ctx.Done():
	}
	r.notTried.Add(1)
	return false
}

// work is what a worker does with an op: read its work when the op is
// decided by it, then send it (plan it, in a dry run).
func (r *run) work(ctx context.Context, op *Op) error {
	if r.stopped() {
		r.notTried.Add(1)
		return nil
	}
	if op.needsRead && !r.readWork(ctx, op) {
		return nil
	}
	if r.cfg.DryRun {
		r.planned(op)
		return nil
	}
	return r.send(ctx, op)
}

// skipDone skips a row whose key an earlier run created, before the row is
// mapped and validated: a row fixed in the errors CSV and imported from
// there stays done when the original file (still invalid there) is run
// again. A second row with that key is still reported as a duplicate.
//
// In create mode only: upsert and update compare every row with what was
// sent (planSync).
func (r *run) skipDone(row source.Row, sum uint64, seen *keySet) bool {
	if r.cfg.State == nil || r.cfg.Mode.syncs() {
		return false
	}
	key, ok := r.cfg.Mapper.Key(row)
	if !ok {
		return false
	}
	if last, found := r.cfg.State.Last(key); !found || !holdsWork(last.Status) {
		return false
	}
	r.res.Summary.Valid++
	if !r.firstOfKey(row, key, seen) {
		return true
	}
	r.c.Skipped.Add(1)
	r.c.Done.Add(1)
	_, counted := r.cfg.State.SentSum(key)
	counted = counted && !r.cfg.DryRun
	if r.cellsAsSent(row, key, sum) {
		counted = false // the cells it was created from: not changed
	}
	if !counted && r.cfg.Relations == nil {
		return true // nothing needs the row mapped
	}
	res := r.cfg.Mapper.Map(row)
	if r.cfg.Relations != nil {
		// Links of other rows may name this one (by its key or a by:
		// column), and its own links may still be missing.
		r.cfg.Relations(row, res)
	}
	if counted {
		r.countChanged(row, key, res)
	}
	return true
}

// firstOfKey records the row's key and reports whether it is the first
// valid row with it; a later one is failed as a duplicate of the first.
func (r *run) firstOfKey(row source.Row, key string, seen *keySet) bool {
	first, dup := seen.add(maphash.String(r.seed, key), int32(row.Number))
	if dup {
		r.res.Summary.Valid--
		r.duplicate(row, key, first)
	}
	return !dup
}

// holdsWork reports whether a key whose last line has status s has a
// work in DevRev (created by this checkpoint, or found there by upsert).
func holdsWork(s checkpoint.Status) bool {
	switch s {
	case checkpoint.Created, checkpoint.Found, checkpoint.Updating, checkpoint.Updated:
		return true
	}
	return false
}

// countChanged counts, in create mode, a row already created whose mapped
// values differ from what the checkpoint says its work holds: the
// summary's "changed", which --mode upsert would update. A row that is
// invalid now, or whose work's values are not hashed, is not counted.
func (r *run) countChanged(row source.Row, key string, res mapping.Result) {
	sum, _ := r.cfg.State.SentSum(key)
	if len(res.Problems) > 0 {
		return
	}
	if r.cfg.Enrich != nil {
		if probs, err := r.cfg.Enrich(r.intake, res.Work, row); err != nil || len(probs) > 0 {
			return
		}
	}
	op := &Op{Work: res.Work}
	if rowValues(op) == nil && checkpoint.SumHashes(op.FH) != sum {
		r.changedN.Add(1)
	}
}

// invalid records a row that failed validation.
func (r *run) invalid(row source.Row, res mapping.Result) {
	msgs := make([]string, len(res.Problems))
	for i, p := range res.Problems {
		msgs[i] = p.Format(r.cfg.Source.Where(row.Number, p.Col))
	}
	r.c.Invalid.Add(1)
	r.c.Done.Add(1)
	r.note(row.Number, msgs, res.Problems)
	if r.cfg.Journal != nil {
		r.journal(checkpoint.Entry{Row: row.Number, Key: res.Key, Op: KindCreate, Status: checkpoint.Invalid, Errors: msgs})
	}
	r.errorRow(row, msgs)
}

// note keeps the first messages for the summary and passes the problems
// of the others (probs[i] is msgs[i]'s) on to Config.More.
func (r *run) note(rowNum int, msgs []string, probs []mapping.Problem) {
	r.mu.Lock()
	defer r.mu.Unlock()
	for i, m := range msgs {
		if len(r.res.Messages) < r.cfg.FirstErrors {
			r.res.Messages = append(r.res.Messages, m)
		} else if r.cfg.More != nil {
			r.cfg.More(rowNum, probs[i])
		}
	}
	r.res.MessageCount += len(msgs)
}

func (r *run) warn(msg string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.res.Summary.Warnings = append(r.res.Summary.Warnings, msg)
}

func (r *run) errorRow(row source.Row, msgs []string) {
	if r.cfg.Errors == nil {
		return
	}
	cells := make([]string, len(row.Cells))
	for i, c := range row.Cells {
		cells[i] = c.Value
	}
	if err := r.cfg.Errors.Add(row.Number, msgs, cells); err != nil {
		r.cfg.Logger.Error("errors CSV", "err", err)
	}
}

// failed records a row refused before its op was sent (a duplicate key).
func (r *run) failed(row source.Row, key string, status int, typ, msg string, attempts int) {
	r.opFailed(&Op{Kind: KindCreate, Row: row, Key: key}, status, typ, msg, attempts)
}

// fail counts (also under its op kind) and reports a failed row and
// journals e (nil: the journal says so already).
func (r *run) fail(kind Kind, row source.Row, status int, typ, msg string, e *checkpoint.Entry) {
	where := r.cfg.Source.Where(row.Number, -1)
	full := report.FailedMessage(where, status, typ, msg)
	r.c.Failed.Add(1)
	r.byKind[kind].failed.Add(1)
	r.c.Done.Add(1)
	rule := typ
	if status > 0 {
		rule = fmt.Sprintf("HTTP %d %s", status, typ)
	}
	r.note(row.Number, []string{full}, []mapping.Problem{{Col: -1, Msg: rule}})
	if r.cfg.Journal != nil && e != nil {
		r.journal(*e)
	}
	r.errorRow(row, []string{full})
	r.checkErrorBudget()
}

func (r *run) checkErrorBudget() {
	failed := r.c.Failed.Load()
	if r.cfg.MaxErrors > 0 && failed >= int64(r.cfg.MaxErrors) {
		r.stop(&StopError{Reason: ReasonMaxErrors, Err: fmt.Errorf("%d rows failed (--max-errors %d)", failed, r.cfg.MaxErrors)})
	}
	if pct := r.cfg.MaxErrorsPct; pct > 0 {
		done := r.c.Done.Load()
		if done >= 20 && float64(failed)*100 >= pct*float64(done) {
			r.stop(&StopError{Reason: ReasonMaxErrors, Err: fmt.Errorf("%d of %d rows failed (--max-errors %s%%)", failed, done, strconv.FormatFloat(pct, 'f', -1, 64))})
		}
	}
}

func (r *run) journal(e checkpoint.Entry) {
	if e.TS.IsZero() {
		e.TS = r.cfg.Clock.Now()
	}
	if err := r.cfg.Journal.Append(e); err != nil {
		// A journal that cannot be written means exactly-once is lost: stop.
		r.stop(&StopError{Reason: ReasonCheckpoint, Err: err})
	}
}
