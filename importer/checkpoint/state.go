package checkpoint

import (
	"cmp"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/zeebo/xxh3"
)

// Status is the outcome an entry records for one row.
type Status string

// The statuses an entry can have.
const (
	// Sending is written just before a create request goes out; if it is
	// the last entry for a key, that row is in doubt after a crash.
	Sending Status = "sending"
	// Created records a work that exists in DevRev (ID, DisplayID, Type).
	Created Status = "created"
	// Invalid records a row rejected locally before sending (Errors).
	Invalid Status = "invalid"
	// Failed records a row DevRev (or the network) refused for good
	// (HTTPStatus, Error, Attempts).
	Failed Status = "failed"
	// Deleted records that a created work was deleted again (ID), e.g. by
	// an undo; the row no longer counts as imported.
	Deleted Status = "deleted"
	// Ambiguous records a row in doubt for which reconciliation found more
	// matching works than rows that may have created them (Candidates). It
	// is never sent again by itself: a person decides (devrev-import
	// resolve), which appends a created or failed line.
	Ambiguous Status = "ambiguous"
	// Found records a work this checkpoint did not create but matched in
	// DevRev by the row's key or ID (ID, DisplayID, Type), unchanged or
	// about to be updated: FH hashes its mapped fields' values as DevRev
	// had them, Before holds those values (what undo puts back).
	Found Status = "found"
	// Updating is written just before a works.update goes out (ID, the
	// Fields sent, and Before: DevRev's values of those fields when the
	// pipeline knows them). If no updated line follows, the update is in
	// doubt; resending it is harmless, so the next run simply does.
	Updating Status = "updating"
	// Updated records a performed works.update (ID, DisplayID, Type, the
	// Fields sent, and FH: the hash of every mapped field's value now in
	// DevRev).
	Updated Status = "updated"
	// Linking is written just before a links.create goes out; Linked
	// records the link made (ID: the link's). The entry's key is the
	// link's identity (see LinkKey), never a row's.
	Linking Status = "linking"
	Linked  Status = "linked"
	// Commenting is written just before a timeline comment is created;
	// Commented records it (ID: the timeline entry's). The key is the
	// comment's identity (see CommentKey).
	Commenting Status = "commenting"
	Commented  Status = "commented"
	// Verified records that a sync compared a row with the hashes its
	// work's last created, found or updated line recorded and found it
	// unchanged, though its cells' digest was not that line's RS (a new
	// build or mapping salts the digest differently): ID names the work,
	// RS is the row's digest now, so the next run settles the row from its
	// cells again. It never decides a key (it changes neither its status
	// nor its work) and is ignored unless the key holds that work with
	// known hashes and no update in doubt.
	Verified Status = "verified"
)

// valid reports whether s is one of the known statuses.
func (s Status) valid() bool {
	switch s {
	case Sending, Created, Invalid, Failed, Deleted, Ambiguous, Found, Updating, Updated, Linking, Linked, Commenting, Commented, Verified:
		return true
	}
	return false
}

// holdsWork reports whether a key whose deciding entry has status s has a
// work in DevRev (created by this checkpoint, or found there).
func holdsWork(s Status) bool {
	return s == Created || s == Found || s == Updating || s == Updated
}

// Op is the kind of write an entry is about. Every entry of a run names
// its op; an entry written before ops existed (version 1) names none and
// is a create.
type Op string

// The kinds of write.
const (
	// OpCreate is a row's works.create.
	OpCreate Op = "create"
	// OpUpdate is a row's works.update of a work created or found before
	// (its found, updating, updated and failed lines).
	OpUpdate Op = "update"
	// OpLink is a links.create between two works (linking, linked).
	OpLink Op = "link"
	// OpComment is a timeline comment on a work (commenting, commented).
	OpComment Op = "comment"
)

// LinkKey is the journal key of a link: its type and both ends as the
// file names them. It starts with a space, which no row key can (keys
// are trimmed), so it never meets a row's key.
func LinkKey(source, linkType, target string) string {
	return " link " + strconv.Quote(source) + " " + linkType + " " + strconv.Quote(target)
}

// relationOp is the op of a link's or a comment's key (LinkKey,
// CommentKey): a State keeps no op for them, their key says it.
func relationOp(key string) (Op, bool) {
	switch {
	case strings.HasPrefix(key, " link "):
		return OpLink, true
	case strings.HasPrefix(key, " comment "):
		return OpComment, true
	}
	return "", false
}

// CommentKey is the journal key of a comment: the row's key and the
// comment's external_ref (unique on the work's timeline).
func CommentKey(key, externalRef string) string {
	return " comment " + strconv.Quote(key) + " " + strconv.Quote(externalRef)
}

// EntryVersion is the version of the entries this build writes: 2 names
// the op ("op") and the version ("v") on every entry; 1 is an entry
// without them, read as a create.
const EntryVersion = 2

// known reports whether o is an op this build knows.
func (o Op) known() bool { return o == OpCreate || o == OpUpdate || o == OpLink || o == OpComment }

// opOf is the op of an entry that names none: an update for the statuses
// only updates write, else a create.
func opOf(s Status) Op {
	switch s {
	case Linking, Linked:
		return OpLink
	case Commenting, Commented:
		return OpComment
	}
	if s == Found || s == Updating || s == Updated || s == Verified {
		return OpUpdate
	}
	return OpCreate
}

// ErrorInfo is the error DevRev (or the transport) gave for a failed row.
type ErrorInfo struct {
	Type    string `json:"type"`
	Message string `json:"message"`
}

// Entry is one journal line about one row. Which optional fields are set
// depends on Status; see the package documentation.
type Entry struct {
	Row int    `json:"row"`
	Key string `json:"key"`
	// Op is the kind of write (OpCreate); V the entry's version
	// (EntryVersion). Append sets V, and Op when empty; reading an entry
	// of version 1 (neither is written) sets Op to OpCreate and V to 1.
	Op      Op        `json:"op,omitempty"`
	V       int       `json:"v,omitempty"`
	Status  Status    `json:"status"`
	TS      time.Time `json:"ts"`
	Attempt int       `json:"attempt,omitempty"`
	Title   string    `json:"title,omitempty"`
	// FP fingerprints the request a sending line announces (identical
	// requests share it), so a later run knows how many rows may have
	// created works that look alike.
	FP         string     `json:"fp,omitempty"`
	ID         string     `json:"id,omitempty"`
	DisplayID  string     `json:"display_id,omitempty"`
	Type       string     `json:"type,omitempty"`
	Errors     []string   `json:"errors,omitempty"`
	HTTPStatus int        `json:"http_status,omitempty"`
	Error      *ErrorInfo `json:"error,omitempty"`
	Attempts   int        `json:"attempts,omitempty"`
	// Candidates are the display IDs of the works an ambiguous row matched.
	Candidates []string `json:"candidates,omitempty"`
	// Fields are the fields an update sends (updating) or sent (updated),
	// by mapping field name ("title", "custom_fields.tnt__x").
	Fields []string `json:"fields,omitempty"`
	// FH hashes, per mapped field, the value the work has in DevRev after
	// this line: what a create sent (created), what an update left
	// (updated), what DevRev had (found). A created line without it was
	// written before values were hashed (see Sent.Known).
	FH map[string]string `json:"fh,omitempty"`
	// Before holds DevRev's value of a field (raw JSON in the request's
	// shape) before this checkpoint changed it: on found and updating
	// lines, when known. Undo puts back the first one of every field.
	Before map[string]json.RawMessage `json:"before,omitempty"`
	// RS is the digest of the row's cells (16 hex digits, see
	// State.RowSum) whose mapped values FH hashes: on created, found and
	// updated lines whose FH are the row's own. A later run whose row has
	// the same digest is unchanged without being mapped again.
	RS string `json:"rs,omitempty"`

	// fhSum is SumHashes(FH) when a light read summed the hashes instead
	// of keeping them (summed; FH is nil then).
	fhSum  uint64
	summed bool
}

// validate checks what every entry needs to be read back unambiguously.
func (e *Entry) validate() error {
	if e.Key == "" {
		return fmt.Errorf("entry for row %d has no key", e.Row)
	}
	if !e.Status.valid() {
		return fmt.Errorf("entry %q has unknown status %q", e.Key, e.Status)
	}
	if e.Op != "" && !e.Op.known() || e.V < 0 || e.V > EntryVersion {
		return fmt.Errorf("entry %q is a %q entry of version %d, which this tool does not know (it reads create and update entries up to version %d): written by a newer devrev-import?", e.Key, e.Op, e.V, EntryVersion)
	}
	if op, isRel := relationOp(e.Key); isRel != (e.Op == OpLink || e.Op == OpComment) && e.Op != "" || isRel && e.Op != "" && e.Op != op {
		return fmt.Errorf("entry %q: a %s line under the key of a %s", e.Key, e.Op, op)
	}
	if opOf(e.Status) == OpUpdate {
		if e.Op != "" && e.Op != OpUpdate {
			return fmt.Errorf("entry %q: a %s line belongs to an update, not a %s", e.Key, e.Status, e.Op)
		}
		if e.ID == "" {
			return fmt.Errorf("entry %q: a %s line names no work", e.Key, e.Status)
		}
	}
	return nil
}

// upgrade reads an entry as the current version does: one without an op
// or version (version 1) is a create.
func (e *Entry) upgrade() {
	if e.Op == "" {
		e.Op = opOf(e.Status)
	}
	if e.V == 0 {
		e.V = 1
	}
}

// State is what earlier runs left in a journal: per key the entry that
// decides its fate (Last) and what its work holds (Sent). It is a snapshot
// taken when the journal was read; entries appended afterwards do not
// change it. The zero value is an empty state.
//
// The deciding entry is the last one, except that a `created` entry is
// only replaced by a later `created` or `deleted` one, and a `found`,
// `updating` or `updated` one (a key whose work this checkpoint found, or
// updated without saying it found it) only by another of these, `created`
// or `deleted`: a stray or failed line after a success must not make the
// importer create the work again. Update lines (`updating`, `updated`)
// after a `created` one leave it deciding; they change what Sent returns.
//
// A resumed migration holds one State entry per row, so entries are kept
// compact (see stored): a 1,000,000-row journal took 357 MB of live heap
// as []Entry.
//
// A light State (Options.Light) keeps, per key, only its status, the time
// of its last line, a hash of its work's ID and what later ops need (the
// work ID, as an interned prefix and a number; a 64-bit sum of its field
// hashes and where in the file the line carrying them is), indexed by a
// 128-bit hash of the key: about 145 bytes a key (a million-row journal:
// about 145 MB of heap, 5 s to read) instead of about 280 (276 MB, 23 s);
// keeping the work ID added about 5 bytes a key, the field hashes' sum and
// line offset 18 (126 -> 144 at a million keys: CHECKPOINT_MEASURE_KEYS=
// 1000000 go test -run BytesPerKey -v ./importer/checkpoint). Its Last
// returns Key, Op, Status, TS and, for a key with a work, ID only; Each,
// InDoubt and Restores yield nothing; Sent reads the one line it needs
// from the journal file. That is what resuming an import needs; report and
// undo read the full State.
type State struct {
	entries []stored         // deciding entry per key, in first-seen order
	index   map[string]int32 // key -> position in entries
	runs    int
	fields  fieldSets // interned field-name lists of the entries' hashes

	light        *lightState
	createdOnce  sync.Once
	createdIndex map[string]struct{} // IDs of the keys' works, built on demand (full mode)
	doubtOnce    sync.Once
	doubtIndex   map[string]int // fingerprint -> keys in doubt, built on demand (full mode)
}

// replaces reports whether e becomes the deciding entry of a key whose
// deciding entry has status cur (see State).
func replaces(cur Status, e Entry) bool {
	switch {
	case keepsDoubt(cur, e):
		return false
	case cur == Created:
		return e.Status == Created || e.Status == Deleted
	case cur == Linked || cur == Commented:
		// Made: only undo's deleted line (or another sighting) replaces it.
		return e.Status == cur || e.Status == Deleted
	case holdsWork(cur):
		return holdsWork(e.Status) || e.Status == Deleted
	}
	return true
}

// sameWork reports whether a key's work survives its deciding entry
// changing from status cur to e: an update or another sighting of a work
// already known. A created line always starts a new work.
func sameWork(cur Status, e Status) bool {
	return holdsWork(cur) && holdsWork(e) && e != Created
}

// lightState is the storage of a light State.
type lightState struct {
	// seed keys the hashes of keys, IDs and fingerprints (xxh3, 128 bits
	// for keys): random for a fresh State, the snapshot's when one was
	// loaded, so that its hashes stay valid (maphash seeds cannot be saved).
	seed    uint64
	index   map[[2]uint64]int32
	entries []lightEntry
	created map[uint64]int32 // ID hash -> how many keys hold it as their work
	doubts  map[uint64]int32 // FP hash -> how many keys are in doubt with it

	// What later ops (an update, a link) need per key: the work ID of a
	// key with a work, as an interned prefix and a number (see workID),
	// or in ids when it has another shape; the fields of updates in doubt
	// (rare: one per worker a crash interrupted), by position.
	prefixes    []string
	prefixIndex map[string]uint16
	ids         map[int32]string
	doubt       map[int32][]string

	// src reads the line Sent needs (its own handle, set by Open and
	// closed by Journal.Close; nil when the state was not read from a
	// file).
	src  io.ReaderAt
	srcM sync.Mutex // guards srcClosed
	// srcClosed is set when src is closed.
	srcClosed bool
}

type lightEntry struct {
	ts int64 // UnixNano of the last line, 0 if it had none
	// idHash is the hash of the ID while the key holds a work, of the FP
	// while it is Sending.
	idHash uint64
	// workNum and workPrefix hold the work ID while the key holds a work:
	// prefixes[workPrefix-1] followed by workNum in decimal ("don:core:
	// dvrv-us-1:devo/x:issue/" and 42); workPrefix 0 means the ID is in
	// ids (or there is none).
	workNum uint64
	// fhSum is SumHashes of the work's field hashes (flagFH); fhOff the
	// file offset of the last line naming the work with its hashes
	// (created, found, updated), -1 for none.
	fhSum      uint64
	fhOff      int64
	rowSum     uint64 // the row digest of the line with the hashes (flagRS)
	workPrefix uint16
	typ        uint8 // the work's type, an index into workTypes (0: unknown or another)
	status     uint8 // index into statuses
	flags      uint8 // flagUpdate, flagFH, flagDoubt
}

const (
	flagUpdate = 1 << iota // the deciding entry's op is OpUpdate
	flagFH                 // fhSum is the sum of known field hashes
	flagDoubt              // an update of the work is in doubt (fields in doubt)
	flagRS                 // rowSum is the row digest the hashes are of
)

// statuses numbers the statuses for lightEntry.
var statuses = [...]Status{Sending, Created, Invalid, Failed, Deleted, Ambiguous, Found, Updating, Updated, Linking, Linked, Commenting, Commented, Verified}

func statusCode(s Status) uint8 {
	for i, st := range statuses {
		if st == s {
			return uint8(i)
		}
	}
	return 0 // validate() admits only the statuses above
}

func newLightState() *State {
	return newLightStateSeeded(rand.Uint64())
}

// newLightStateSeeded is newLightState with its hashes keyed by seed.
func newLightStateSeeded(seed uint64) *State {
	return &State{light: &lightState{seed: seed,
		index: make(map[[2]uint64]int32), created: make(map[uint64]int32), doubts: make(map[uint64]int32),
		prefixIndex: make(map[string]uint16), ids: make(map[int32]string), doubt: make(map[int32][]string)}}
}

// setWorkID records the work ID of the key at position i in le: as an
// interned prefix and a number when it ends in "/" and a plain decimal
// number (as DevRev's DONs do), else in l.ids.
func (l *lightState) setWorkID(i int32, le *lightEntry, id string) {
	delete(l.ids, i)
	if id == "" {
		return
	}
	cut := strings.LastIndexByte(id, '/') + 1
	num, err := strconv.ParseUint(id[cut:], 10, 64)
	if cut == 0 || err != nil || strconv.FormatUint(num, 10) != id[cut:] {
		l.ids[i] = id
		return
	}
	p, ok := l.prefixIndex[id[:cut]]
	if !ok {
		if len(l.prefixes) == math.MaxUint16 {
			l.ids[i] = id
			return
		}
		l.prefixes = append(l.prefixes, id[:cut])
		p = uint16(len(l.prefixes))
		l.prefixIndex[id[:cut]] = p
	}
	le.workNum, le.workPrefix = num, p
}

// workID returns the work ID recorded for the key at position i.
func (l *lightState) workID(i int32) string {
	le := l.entries[i]
	if le.workPrefix == 0 {
		return l.ids[i]
	}
	return l.prefixes[le.workPrefix-1] + strconv.FormatUint(le.workNum, 10)
}

func (l *lightState) key(k string) [2]uint64 {
	h := xxh3.HashString128Seed(k, l.seed)
	return [2]uint64{h.Hi, h.Lo}
}

// hash is the 64-bit hash of a work ID or a fingerprint.
func (l *lightState) hash(s string) uint64 { return xxh3.HashStringSeed(s, l.seed) }

// apply folds the entry at file offset off (-1: not from a file) into the
// state.
func (l *lightState) apply(e Entry, off int64, warn func(string)) {
	k := l.key(e.Key)
	i, ok := l.index[k]
	if !ok {
		i = int32(len(l.entries))
		l.index[k] = i
		l.entries = append(l.entries, lightEntry{})
		l.decide(i, e, false)
		l.follow(i, e, off)
		return
	}
	cur := &l.entries[i]
	if replaces(statuses[cur.status], e) {
		if statuses[cur.status] == Created && e.Status == Created && cur.idHash != l.hash(e.ID) && warn != nil {
			warn(fmt.Sprintf("row key %q was created twice (the second time as %s); keeping the later", e.Key, describe(e)))
		}
		l.decide(i, e, true)
	}
	l.follow(i, e, off)
}

// decide makes e the deciding entry of the key at position i (known: it
// had one), keeping its work's hashes when the work stays the same.
func (l *lightState) decide(i int32, e Entry, known bool) {
	cur := &l.entries[i]
	le := lightEntry{status: statusCode(e.Status), fhOff: -1}
	if e.Op == OpUpdate {
		le.flags |= flagUpdate
	}
	if !e.TS.IsZero() {
		le.ts = e.TS.UnixNano()
	}
	switch {
	case holdsWork(e.Status):
		le.idHash = l.hash(e.ID)
	case e.Status == Sending:
		le.idHash = l.hash(e.FP)
	}
	if known {
		l.mark(*cur, -1)
		if sameWork(statuses[cur.status], e.Status) {
			le.fhSum, le.fhOff, le.rowSum, le.typ = cur.fhSum, cur.fhOff, cur.rowSum, cur.typ
			le.flags |= cur.flags &^ flagUpdate
		} else {
			delete(l.doubt, i)
		}
	}
	if holdsWork(e.Status) {
		l.setWorkID(i, &le, e.ID)
		if t := typeCode(e.Type); t != 0 {
			le.typ = t
		}
	} else {
		delete(l.ids, i)
	}
	*cur = le
	l.mark(le, 1)
}

// follow records what e says about the work of the key at position i:
// its field hashes (a created, found or updated line) or an update in
// doubt (updating).
func (l *lightState) follow(i int32, e Entry, off int64) {
	cur := &l.entries[i]
	if !holdsWork(statuses[cur.status]) {
		return
	}
	switch e.Status {
	case Created, Found, Updated:
		cur.fhOff, cur.fhSum, cur.rowSum = off, 0, 0
		cur.flags &^= flagFH | flagDoubt | flagRS
		if sum, ok := e.hashSum(); ok {
			cur.fhSum = sum
			cur.flags |= flagFH
			if rs, ok := parseRowSum(e.RS); ok {
				cur.rowSum = rs
				cur.flags |= flagRS
			}
		}
		delete(l.doubt, i)
	case Updating:
		cur.flags |= flagDoubt
		l.doubt[i] = union(l.doubt[i], e.Fields)
	}
}

// mark counts (d = 1) or uncounts (d = -1) the work of e, or the request
// it is in doubt about.
func (l *lightState) mark(e lightEntry, d int32) {
	m := l.created
	switch st := statuses[e.status]; {
	case holdsWork(st):
	case st == Sending:
		m = l.doubts
	default:
		return
	}
	if n := m[e.idHash] + d; n > 0 {
		m[e.idHash] = n
	} else {
		delete(m, e.idHash)
	}
}

// DoubtCount returns how many keys are in doubt (last line `sending`)
// about a request with fingerprint fp: how many rows may have created a
// work that looks like it. Lines without a fingerprint (older journals)
// count under "".
func (s *State) DoubtCount(fp string) int {
	if s == nil {
		return 0
	}
	if l := s.light; l != nil {
		return int(l.doubts[l.hash(fp)])
	}
	s.doubtOnce.Do(func() {
		s.doubtIndex = make(map[string]int)
		for i := range s.entries {
			if s.entries[i].status == Sending {
				s.doubtIndex[s.entries[i].fp()]++
			}
		}
	})
	return s.doubtIndex[fp]
}

// WasCreated reports whether the journal records the work with this ID as
// a row's work (created by it and not deleted since, or found for it):
// reconciliation by title must never claim such a work for another row.
func (s *State) WasCreated(id string) bool {
	if s == nil || id == "" {
		return false
	}
	if l := s.light; l != nil {
		_, ok := l.created[l.hash(id)]
		return ok
	}
	s.createdOnce.Do(func() {
		s.createdIndex = make(map[string]struct{})
		for i := range s.entries {
			if holdsWork(s.entries[i].status) {
				s.createdIndex[s.entries[i].id] = struct{}{}
			}
		}
	})
	_, ok := s.createdIndex[id]
	return ok
}

// InDoubtWith reports whether key's last line is `sending` with the
// fingerprint fp, i.e. whether DoubtCount(fp) counts it.
func (s *State) InDoubtWith(key, fp string) bool {
	if s == nil {
		return false
	}
	if l := s.light; l != nil {
		i, ok := l.index[l.key(key)]
		return ok && statuses[l.entries[i].status] == Sending && l.entries[i].idHash == l.hash(fp)
	}
	i, ok := s.index[key]
	return ok && s.entries[i].status == Sending && s.entries[i].fp() == fp
}

// stored is an Entry as a State keeps it: the fields every entry has, and
// the rare ones (a sending line's title, an invalid row's errors, a failed
// row's error, an unusual type) behind one pointer; the key's work's
// field hashes compactly, and what updates did to it behind another.
type stored struct {
	key, id, displayID string
	ts                 time.Time
	row                int32
	attempt, attempts  int32
	httpStatus         int32
	status             Status
	typ                uint8 // index into workTypes; 0 = see extra.typ
	v                  uint8 // the entry's version
	update             bool  // the entry's op is OpUpdate (else OpCreate)
	extra              *storedExtra
	fh                 fieldHashes // the work's field hashes (see Sent)
	rowSum             uint64      // the row digest fh are of (hasRS)
	hasRS              bool
	work               *workInfo // nil: no found or update line
}

type storedExtra struct {
	title, fp  string
	typ        string
	errors     []string
	err        *ErrorInfo
	candidates []string
}

// workInfo is what found and update lines said about a key's work.
type workInfo struct {
	before  map[string]json.RawMessage // first known value per field
	updated []string                   // fields updates sent (sorted)
	doubt   []string                   // fields of updates in doubt (sorted)
	last    *Entry                     // the last update line (updating, updated, failed), without its maps
	done    bool                       // an updated line was recorded
}

func (st *stored) fp() string {
	if st.extra == nil {
		return ""
	}
	return st.extra.fp
}

// workTypes are the types stored without a string of their own: a
// compaction table of the in-memory state (any other type keeps its
// string), not the list of work types, which is mapping.WorkTypes.
var workTypes = [...]string{"", "issue", "ticket", "task", "opportunity"}

// typeCode is t's index in workTypes, 0 for "" or a type not there.
func typeCode(t string) uint8 {
	for i, w := range workTypes {
		if w == t {
			return uint8(i)
		}
	}
	return 0
}

func compact(e Entry) stored {
	st := stored{key: e.Key, id: e.ID, displayID: e.DisplayID, ts: e.TS, row: int32(e.Row),
		attempt: int32(e.Attempt), attempts: int32(e.Attempts), httpStatus: int32(e.HTTPStatus), status: e.Status, v: uint8(e.V),
		update: e.Op == OpUpdate}
	var x storedExtra
	st.typ = 255
	for i, t := range workTypes {
		if e.Type == t {
			st.typ = uint8(i)
		}
	}
	if st.typ == 255 {
		st.typ, x.typ = 0, e.Type
	}
	x.title, x.fp, x.errors, x.err, x.candidates = e.Title, e.FP, e.Errors, e.Error, e.Candidates
	if x.title != "" || x.fp != "" || x.typ != "" || x.errors != nil || x.err != nil || x.candidates != nil {
		st.extra = &x
	}
	return st
}

// entry returns the stored entry (without Fields, FH and Before: Sent
// and Restores give what the key's lines said about its work).
func (st *stored) entry() Entry {
	e := Entry{Row: int(st.row), Key: st.key, Op: OpCreate, V: int(st.v), Status: st.status, TS: st.ts, Attempt: int(st.attempt),
		ID: st.id, DisplayID: st.displayID, Type: workTypes[st.typ], HTTPStatus: int(st.httpStatus), Attempts: int(st.attempts)}
	if st.update {
		e.Op = OpUpdate
	} else if op, ok := relationOp(st.key); ok {
		e.Op = op
	}
	if x := st.extra; x != nil {
		e.Title, e.FP, e.Errors, e.Error, e.Candidates = x.title, x.fp, x.errors, x.err, x.candidates
		if x.typ != "" {
			e.Type = x.typ
		}
	}
	return e
}

// apply folds one entry (in file order) into the state. warn is told about
// a key created twice, which means two works exist for one row.
func (s *State) apply(e Entry, warn func(string)) { s.applyAt(e, -1, warn) }

// applyAt is apply for the entry at file offset off (-1: not from a file).
func (s *State) applyAt(e Entry, off int64, warn func(string)) {
	switch {
	case e.Status == Verified:
		s.verify(e)
		return
	case s.light != nil:
		s.light.apply(e, off, warn)
		return
	}
	if s.index == nil {
		s.index = make(map[string]int32)
	}
	i, ok := s.index[e.Key]
	if !ok {
		s.index[e.Key] = int32(len(s.entries))
		s.entries = append(s.entries, compact(e))
		s.follow(&s.entries[len(s.entries)-1], e)
		return
	}
	cur := &s.entries[i]
	if replaces(cur.status, e) {
		if cur.status == Created && e.Status == Created && cur.id != e.ID && warn != nil {
			warn(fmt.Sprintf("row key %q was created twice (%s and %s); keeping the later", e.Key, describe(cur.entry()), describe(e)))
		}
		// The map's key and the stored key share one string.
		key, fh, rs, hasRS, work, same := cur.key, cur.fh, cur.rowSum, cur.hasRS, cur.work, sameWork(cur.status, e.Status)
		if same {
			// An updating line names the work by ID only.
			was := cur.entry()
			e.DisplayID, e.Type = cmp.Or(e.DisplayID, was.DisplayID), cmp.Or(e.Type, was.Type)
		}
		*cur = compact(e)
		cur.key = key
		if same {
			cur.fh, cur.rowSum, cur.hasRS, cur.work = fh, rs, hasRS, work
		}
	}
	s.follow(cur, e)
}

// verify applies a Verified line: the key's work, when it is e.ID with
// known hashes and no update in doubt, gets e.RS as its row digest.
func (s *State) verify(e Entry) {
	rs, ok := parseRowSum(e.RS)
	if !ok {
		return
	}
	if l := s.light; l != nil {
		if i, found := l.index[l.key(e.Key)]; found {
			if le := &l.entries[i]; l.knows(*le) && le.idHash == l.hash(e.ID) {
				le.rowSum, le.flags = rs, le.flags|flagRS
			}
		}
		return
	}
	if st, ok := s.knownWork(e.Key); ok && st.id == e.ID {
		st.rowSum, st.hasRS = rs, true
	}
}

// follow records what e says about the work of the key stored in cur:
// its field hashes, the fields updates sent, the values before them.
func (s *State) follow(cur *stored, e Entry) {
	if !holdsWork(cur.status) {
		return
	}
	if e.Op == OpUpdate && cur.work == nil {
		cur.work = &workInfo{}
	}
	switch e.Status {
	case Created, Found, Updated:
		cur.fh = s.fields.compact(e.FH)
		cur.rowSum, cur.hasRS = parseRowSum(e.RS)
		cur.hasRS = cur.hasRS && e.FH != nil
		if cur.work != nil {
			cur.work.doubt = nil
		}
	}
	if w := cur.work; w != nil && e.Op == OpUpdate {
		for f, v := range e.Before {
			if _, ok := w.before[f]; !ok {
				if w.before == nil {
					w.before = make(map[string]json.RawMessage)
				}
				w.before[f] = v
			}
		}
		if e.Status == Updating || e.Status == Updated {
			w.updated = union(w.updated, e.Fields)
		}
		if e.Status == Updating {
			w.doubt = union(w.doubt, e.Fields)
		}
		w.done = w.done || e.Status == Updated
		if e.Status != Found {
			last := e
			last.Fields, last.FH, last.Before = nil, nil, nil
			w.last = &last
		}
	}
}

// keepsDoubt reports whether a key in doubt (or ambiguous) stays so
// although e follows: a row found invalid, or another row of the file
// failing as a duplicate of its key, says nothing about the work its
// earlier request may have made, and must not let a later run send it
// without looking.
func keepsDoubt(cur Status, e Entry) bool {
	if cur != Sending && cur != Ambiguous {
		return false
	}
	return e.Status == Invalid || (e.Status == Failed && e.Error != nil && e.Error.Type == "duplicate_key")
}

// describe names a created work for a message.
func describe(e Entry) string {
	if e.DisplayID != "" {
		return e.DisplayID
	}
	return e.ID
}

// Last returns the entry that decides the key's fate (see State), and
// whether the key appears at all. Its Fields, FH and Before are empty:
// Sent and Restores say what the key's lines recorded about its work.
func (s *State) Last(key string) (Entry, bool) {
	if s == nil {
		return Entry{}, false
	}
	if l := s.light; l != nil {
		i, ok := l.index[l.key(key)]
		if !ok {
			return Entry{}, false
		}
		le := l.entries[i]
		e := Entry{Key: key, Op: OpCreate, Status: statuses[le.status]}
		if le.flags&flagUpdate != 0 {
			e.Op = OpUpdate
		} else if op, ok := relationOp(key); ok {
			e.Op = op
		}
		if holdsWork(e.Status) {
			e.ID = l.workID(i)
		}
		if le.ts != 0 {
			e.TS = time.Unix(0, le.ts).UTC()
		}
		return e, true
	}
	i, ok := s.index[key]
	if !ok {
		return Entry{}, false
	}
	return s.entries[i].entry(), true
}

// Len returns the number of distinct keys.
func (s *State) Len() int {
	if s == nil {
		return 0
	}
	if s.light != nil {
		return len(s.light.entries)
	}
	return len(s.entries)
}

// Runs returns how many runs wrote to the journal (the header counts as
// run 1); 0 for a journal without a header.
func (s *State) Runs() int {
	if s == nil {
		return 0
	}
	return s.runs
}

// Counts returns the number of keys by their last status. The map is new
// on every call.
func (s *State) Counts() map[Status]int {
	c := make(map[Status]int)
	if s == nil {
		return c
	}
	if s.light != nil {
		for _, le := range s.light.entries {
			c[statuses[le.status]]++
		}
		return c
	}
	for i := range s.entries {
		c[s.entries[i].status]++
	}
	return c
}

// Each calls fn with the last entry of every key, in the order the keys
// first appeared, until fn returns false.
func (s *State) Each(fn func(Entry) bool) {
	if s == nil {
		return
	}
	for i := range s.entries {
		if !fn(s.entries[i].entry()) {
			return
		}
	}
}

// InDoubt returns the entries of keys whose last line is `sending`, in
// first-seen order: a create request went out and no outcome was recorded,
// so the work may or may not exist.
func (s *State) InDoubt() []Entry {
	var out []Entry
	s.Each(func(e Entry) bool {
		if e.Status == Sending {
			out = append(out, e)
		}
		return true
	})
	return out
}
