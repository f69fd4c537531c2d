package checkpoint

import (
	"bytes"
	"cmp"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"time"

	"github.com/devrev-import/devrev-import/importer/throttle"
)

// DefaultSyncEvery is how often the background goroutine fsyncs a journal
// that has new lines, when Options.SyncEvery is 0.
const DefaultSyncEvery = 200 * time.Millisecond

// ErrClosed is returned by Append and Sync after Close.
var ErrClosed = errors.New("checkpoint journal is closed")

// Options tune a Journal. The zero value is ready to use.
type Options struct {
	// SyncEvery bounds how often the background goroutine fsyncs: at most
	// once per SyncEvery, and only when lines were appended since the last
	// fsync. 0 means DefaultSyncEvery; a negative value fsyncs after every
	// Append (slow; for tests and paranoid users). Lines reach the OS on
	// every Append regardless, so a killed process loses nothing; the
	// batching only matters if the machine itself goes down.
	SyncEvery time.Duration
	// Clock stamps entries without a TS, the header and run lines; the
	// real clock when nil.
	Clock throttle.Clock
	// Light makes Open return a State that keeps only what resuming an
	// import needs (see State), in about a fifth of the memory: a
	// million-row journal otherwise holds every entry's strings.
	Light bool
	// InputChanges says the input is expected to differ between runs (a
	// nightly sync's export): no warning that it changed size.
	InputChanges bool
	// SnapshotTag names the build of the tool (its version and revision):
	// with Light, Open reads the journal's snapshot (PATH.snap, see
	// SnapshotSuffix) when that build wrote it, scans only the lines after
	// it, and writes a new one when it read many lines. Empty: no snapshot
	// is read or written.
	SnapshotTag string

	// snapMinTail, when positive (tests only), replaces
	// defaultSnapMinTail.
	snapMinTail int64
	// syncHook, when set (tests only), is called after every fsync.
	syncHook func()
}

// Journal appends entries to a checkpoint file. It is safe for concurrent
// use; create it with Open and finish with Close.
type Journal struct {
	path     string
	hdr      Header
	f        *os.File
	clock    throttle.Clock
	syncEach bool
	syncHook func()
	run      int
	bufs     sync.Pool   // *bytes.Buffer for marshalling lines
	lines    sync.Pool   // *[]byte for appendEntry
	light    *lightState // the light State Open returned, whose handle Close closes
	// snapTag is Options.SnapshotTag ("" with Light unset: no snapshot),
	// snapMin the smallest tail worth a snapshot, opened the size of the
	// file when the run began.
	snapTag string
	snapMin int64
	opened  int64

	mu      sync.Mutex // serializes writes; guards the fields below
	size    int64      // bytes in the file
	written uint64     // lines written
	closed  bool
	err     error // sticky write or fsync failure

	syncMu     sync.Mutex // serializes fsyncs; guards the fields below
	synced     uint64     // value of written covered by the last fsync
	fileClosed bool

	stop      chan struct{}
	done      chan struct{}
	closeOnce sync.Once
	closeErr  error
}

// Open opens the journal at path for appending, creating it if it does
// not exist: atomically, with hdr as line 1 (mode 0600), so that a crash
// never leaves an empty or half-written file. If it exists, Open reads it
// first and returns the State earlier runs left. It refuses, with a
// *ConflictError and before writing anything, a run whose endpoint, org
// or key (hdr) differs from what the checkpoint recorded, and an empty
// file, which remembers nothing (its rows may exist). A different input
// path or size, or a changed mapping, yields a warning naming the change
// (the user may have fixed the mapping on purpose; rows keep their keys).
// A torn last line is cut off before appending, and a run line is
// appended to mark where this run starts.
//
// The journal's Header is what the checkpoint recorded: its Version and
// Key decide how this run must key rows (a keyless run hashes the
// recorded columns; version 1 keys by mapping.KeySchemeLegacy).
//
// Open does not lock: take Lock first so that two imports never append to
// the same journal.
func Open(path string, hdr Header, opt Options) (*Journal, *State, []string, error) {
	if opt.SyncEvery == 0 {
		opt.SyncEvery = DefaultSyncEvery
	}
	if opt.Clock == nil {
		opt.Clock = throttle.RealClock()
	}
	created := false
	if _, err := os.Lstat(path); errors.Is(err, fs.ErrNotExist) {
		if hdr.Created.IsZero() {
			hdr.Created = opt.Clock.Now().Truncate(time.Second)
		}
		if err := create(path, hdr); err != nil {
			return nil, nil, nil, err
		}
		created = true
	}
	f, err := os.OpenFile(path, os.O_RDWR|os.O_APPEND, 0)
	if err != nil {
		return nil, nil, nil, fmt.Errorf("opening checkpoint: %w", err)
	}
	j := &Journal{
		path:     path,
		f:        f,
		clock:    opt.Clock,
		syncEach: opt.SyncEvery < 0,
		syncHook: opt.syncHook,
	}
	if opt.Light {
		j.snapTag, j.snapMin = opt.SnapshotTag, cmp.Or(opt.snapMinTail, defaultSnapMinTail)
	}
	st, warnings, err := j.prepare(hdr, created, opt)
	if err == nil && st.light != nil {
		err = j.attach(st.light)
	}
	if err != nil {
		f.Close()
		return nil, nil, nil, err
	}
	if err := j.Sync(); err != nil {
		f.Close()
		if j.light != nil {
			_ = j.light.closeSource()
		}
		return nil, nil, nil, err
	}
	j.opened = j.size
	j.stop, j.done = make(chan struct{}), make(chan struct{})
	if j.syncEach {
		close(j.done)
	} else {
		go j.syncLoop(opt.SyncEvery)
	}
	return j, st, warnings, nil
}

// attach gives a light State its own read-only handle on the journal, for
// Sent (it reads lines written before the run: the handle never sees a
// partial line); Close closes it.
func (j *Journal) attach(l *lightState) error {
	r, err := os.Open(j.path)
	if err != nil {
		return fmt.Errorf("opening checkpoint: %w", err)
	}
	l.src, j.light = r, l
	return nil
}

// create writes a new journal holding only hdr: into a temporary file
// that is fsynced and then linked to path, so path never exists without
// its header. Where hard links are not supported it creates path
// directly.
func create(path string, hdr Header) error {
	line, err := json.Marshal(headerLine{Checkpoint: Version, identity: identityOf(hdr), Created: hdr.Created})
	if err != nil {
		return fmt.Errorf("encoding checkpoint header: %w", err)
	}
	line = append(line, '\n')
	dir := filepath.Dir(path)
	tmp, err := os.CreateTemp(dir, "."+filepath.Base(path)+".new*")
	if err != nil {
		return fmt.Errorf("creating checkpoint: %w", err)
	}
	defer os.Remove(tmp.Name())
	_, err = tmp.Write(line)
	if err == nil {
		err = tmp.Sync()
	}
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("creating checkpoint %s: %w", path, err)
	}
	if err := os.Link(tmp.Name(), path); err != nil {
		if errors.Is(err, fs.ErrExist) {
			return fmt.Errorf("creating checkpoint %s: another process created it meanwhile", path)
		}
		if err := os.WriteFile(path, line, 0o600); err != nil { // no hard links here
			return fmt.Errorf("creating checkpoint: %w", err)
		}
	}
	syncDir(dir)
	return nil
}

// prepare reads what is in the file, checks that this run fits it,
// repairs its tail and writes the run line (or, for a torn header left by
// an older version, the header).
func (j *Journal) prepare(hdr Header, created bool, opt Options) (*State, []string, error) {
	fi, err := j.f.Stat()
	if err != nil {
		return nil, nil, fmt.Errorf("opening checkpoint: %w", err)
	}
	sc, fromSnap, err := j.scan(fi.Size(), opt.Light)
	if err != nil {
		return nil, nil, err
	}
	if !sc.hasHeader && !sc.torn {
		return nil, nil, fmt.Errorf("checkpoint %s is empty: it does not say which rows were created, so resuming from it could create them again (if no import ever ran with it, delete it)", j.path)
	}
	old := sc.header
	if sc.hasHeader {
		if was := guessKey(sc, hdr.Key); was != "" {
			return nil, nil, &ConflictError{Path: j.path, What: "key", Was: was, Now: hdr.Key.String()}
		}
		if err := conflict(j.path, old, hdr); err != nil {
			return nil, nil, err
		}
	}
	warnings := slices.Clone(sc.warnings)
	if w := j.snapshot(sc, fromSnap, fi.Size()); w != "" {
		warnings = append(warnings, w)
	}
	if sc.end != fi.Size() {
		if err := j.f.Truncate(sc.end); err != nil {
			return nil, nil, fmt.Errorf("cutting torn tail off checkpoint: %w", err)
		}
	}
	j.size = sc.end
	if sc.unterminated {
		if err := j.write([]byte("\n"), false); err != nil {
			return nil, nil, err
		}
	}

	if !sc.hasHeader { // only a torn header: a first run of an older version died writing it
		if hdr.Created.IsZero() {
			hdr.Created = j.clock.Now().Truncate(time.Second)
		}
		j.run, j.hdr = 1, hdr
		j.hdr.Version = Version
		sc.state.runs = 0 // the state describes earlier runs: none
		line := headerLine{Checkpoint: Version, identity: identityOf(hdr), Created: hdr.Created}
		return sc.state, warnings, j.marshalAndWrite(&line)
	}
	j.hdr = old
	if old.Key == nil {
		j.hdr.Key = hdr.Key // version 1: from now on, this run's key is the checkpoint's
	}
	if old.Endpoint == "" {
		j.hdr.Endpoint = hdr.Endpoint
	}
	if old.Org == "" {
		j.hdr.Org = hdr.Org
	}
	if created {
		j.run = 1
		sc.state.runs = 0
		return sc.state, warnings, nil
	}
	if old.Input != hdr.Input {
		warnings = append(warnings, fmt.Sprintf("checkpoint %s was written for input %s, not %s; rows are matched by key", j.path, old.Input, hdr.Input))
	} else if old.Size != hdr.Size && !opt.InputChanges {
		warnings = append(warnings, fmt.Sprintf("input %s changed size since checkpoint %s was started (%d bytes, now %d); rows are matched by key", hdr.Input, j.path, old.Size, hdr.Size))
	}
	if w := mappingWarning(j.path, sc, hdr); w != "" {
		warnings = append(warnings, w)
	}
	j.run = sc.state.runs + 1
	id := identityOf(hdr)
	id.KeyedBy = j.hdr.Key
	line := runLine{Run: j.run, Started: j.clock.Now(), identity: id}
	return sc.state, warnings, j.marshalAndWrite(&line)
}

// guessKey names a version 1 checkpoint's key when it records none and
// its keys say this run (key now) would key rows the other way: all
// keyless hashes against key columns, or no hash at all against a keyless
// run. "" when they agree, or when it cannot tell.
func guessKey(sc *scanned, now *KeyDef) string {
	if sc.header.Key != nil || now == nil {
		return ""
	}
	keyless := len(now.Columns) == 0
	switch {
	case !keyless && sc.hashKeys > 0 && sc.otherKeys == 0:
		return (&KeyDef{}).String()
	case keyless && sc.otherKeys > 0 && sc.hashKeys == 0:
		return "key columns (which ones, a checkpoint of this age does not record)"
	}
	return ""
}

// mappingWarning names what changed in the mapping since the last run, or
// is "" when nothing that maps rows did.
func mappingWarning(path string, sc *scanned, hdr Header) string {
	if sc.lastHash == hdr.MappingHash {
		return ""
	}
	if sc.lastMapping == nil || hdr.Mapping == nil {
		return fmt.Sprintf("the mapping changed since checkpoint %s was last used (%s, now %s); rows already created keep their old values", path, sc.lastHash, hdr.MappingHash)
	}
	changes := mappingChanges(sc.lastMapping, hdr.Mapping)
	if changes == "" {
		return "" // the file changed, not what it does (a comment, the order)
	}
	return fmt.Sprintf("the mapping changed since checkpoint %s was last used: %s; rows already created keep their old values", path, changes)
}

// Header returns what the checkpoint records about itself (see Open):
// its format version, input, endpoint, org, key and first mapping.
func (j *Journal) Header() Header { return j.hdr }

// Path returns the journal's file path.
func (j *Journal) Path() string { return j.path }

// Run returns this run's number: 1 for the run that created the journal.
func (j *Journal) Run() int { return j.run }

// Append writes e as one line with a single write(2) and returns once the
// OS has it, so the line survives the process being killed. A zero TS is
// set from the clock. Append is safe for concurrent use. After a write or
// fsync failure every later Append returns that failure: the importer must
// stop, since it could no longer remember what it did.
func (j *Journal) Append(e Entry) error {
	if e.TS.IsZero() {
		e.TS = j.clock.Now()
	}
	if e.Op == "" {
		e.Op = opOf(e.Status)
	}
	e.V = EntryVersion
	if err := e.validate(); err != nil { // with its op: a reader checks that too
		return fmt.Errorf("appending to checkpoint: %w", err)
	}
	if err := j.writeEntry(&e); err != nil {
		return err
	}
	if j.syncEach {
		return j.Sync()
	}
	return nil
}

// marshalAndWrite encodes v as one JSON line (outside the write lock) and
// writes it.
func (j *Journal) marshalAndWrite(v any) error {
	buf, _ := j.bufs.Get().(*bytes.Buffer)
	if buf == nil {
		buf = new(bytes.Buffer)
	}
	defer func() {
		if buf.Cap() <= 64<<10 {
			j.bufs.Put(buf)
		}
	}()
	buf.Reset()
	enc := json.NewEncoder(buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil { // Encode ends the line with '\n'
		return fmt.Errorf("encoding checkpoint line: %w", err)
	}
	return j.write(buf.Bytes(), true)
}

// writeEntry encodes e as one line (appendEntry, or encoding/json where
// that declines) and writes it.
func (j *Journal) writeEntry(e *Entry) error {
	bp, _ := j.lines.Get().(*[]byte)
	if bp == nil {
		bp = new([]byte)
	}
	line, ok := appendEntry((*bp)[:0], e)
	if !ok {
		j.lines.Put(bp)
		heap := *e // e stays on the caller's stack on the fast path
		return j.marshalAndWrite(&heap)
	}
	err := j.write(line, true)
	if cap(line) <= 64<<10 {
		*bp = line
		j.lines.Put(bp)
	}
	return err
}

// write appends one whole line under the write lock. On failure it tries
// to cut a partial line off again and makes the failure sticky.
func (j *Journal) write(line []byte, count bool) error {
	j.mu.Lock()
	defer j.mu.Unlock()
	if j.closed {
		return ErrClosed
	}
	if j.err != nil {
		return j.err
	}
	n, err := j.f.Write(line)
	if err != nil {
		if n > 0 {
			_ = j.f.Truncate(j.size) // best effort: keep the file parseable
		}
		j.err = fmt.Errorf("writing checkpoint %s: %w", j.path, err)
		return j.err
	}
	j.size += int64(n)
	if count {
		j.written++
	}
	return nil
}

// Sync fsyncs everything appended so far (a no-op if nothing is new).
func (j *Journal) Sync() error {
	j.syncMu.Lock()
	defer j.syncMu.Unlock()
	if j.fileClosed {
		return ErrClosed
	}
	if err := j.syncLocked(); err != nil {
		return err
	}
	j.mu.Lock()
	defer j.mu.Unlock()
	return j.err
}

// syncLocked fsyncs if lines were written since the last fsync; the caller
// holds syncMu. A failure becomes sticky.
func (j *Journal) syncLocked() error {
	j.mu.Lock()
	w := j.written
	j.mu.Unlock()
	if w == j.synced {
		return nil
	}
	if err := j.f.Sync(); err != nil {
		err = fmt.Errorf("syncing checkpoint %s: %w", j.path, err)
		j.mu.Lock()
		if j.err == nil {
			j.err = err
		}
		j.mu.Unlock()
		return err
	}
	j.synced = w
	if j.syncHook != nil {
		j.syncHook()
	}
	return nil
}

// syncLoop fsyncs at most every period until Close.
func (j *Journal) syncLoop(period time.Duration) {
	defer close(j.done)
	t := time.NewTicker(period)
	defer t.Stop()
	for {
		select {
		case <-j.stop:
			return
		case <-t.C:
			j.syncMu.Lock()
			_ = j.syncLocked() // a failure is sticky and surfaces on the next Append
			j.syncMu.Unlock()
		}
	}
}

// Close stops the background fsync, fsyncs a last time and closes the
// file. Appends after Close fail with ErrClosed. Close is idempotent: later
// calls return the first call's result.
func (j *Journal) Close() error {
	j.closeOnce.Do(func() {
		j.mu.Lock()
		j.closed = true
		sticky := j.err
		j.mu.Unlock()
		close(j.stop)
		<-j.done

		j.syncMu.Lock()
		defer j.syncMu.Unlock()
		syncErr := j.syncLocked()
		if sticky == nil && syncErr == nil {
			j.snapshotAtClose()
		}
		j.fileClosed = true
		closeErr := j.f.Close()
		if closeErr != nil {
			closeErr = fmt.Errorf("closing checkpoint %s: %w", j.path, closeErr)
		}
		if j.light != nil {
			_ = j.light.closeSource() // read-only: nothing to lose
		}
		j.closeErr = errors.Join(sticky, syncErr, closeErr)
	})
	return j.closeErr
}

// syncDir fsyncs a directory so that a newly created file's name survives
// a power loss. Best effort: some platforms cannot fsync directories.
func syncDir(dir string) {
	d, err := os.Open(dir)
	if err != nil {
		return
	}
	_ = d.Sync()
	_ = d.Close()
}
