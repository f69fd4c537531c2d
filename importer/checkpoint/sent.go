package checkpoint

import (
	"bytes"
	"cmp"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
)

// Sent is what a key's journal lines say its work holds: what the next
// update of the row compares the row's values with.
type Sent struct {
	ID, DisplayID, Type string
	// FH hashes, per mapped field, the value the work has in DevRev as far
	// as this checkpoint knows (the last created, found or updated line),
	// without the fields of an update in doubt (InDoubt): the row's
	// current values of those differ from it, so they are sent again.
	FH map[string]string
	// Known is false when the journal has no hashes for the work (a
	// created line written before values were hashed): compare with
	// DevRev's current fields instead.
	Known bool
	// InDoubt are the fields of updates whose answer was lost (sorted).
	InDoubt []string
}

// SumHashes is a 64-bit sum of field hashes (as Entry.FH and
// workdiff.Hashes give them), independent of the map's order: equal maps
// have equal sums, and a changed, added or removed field changes it
// (but for a 2^-64 chance). The pipeline compares a row's new hashes with
// SentSum without reading the journal.
func SumHashes(fh map[string]string) uint64 {
	var sum uint64
	for f, h := range fh {
		sum += pairHash(f, h)
	}
	return sum
}

// pairHash is one field's term of SumHashes: FNV-1a over the field name,
// a 0 byte and the hash, mixed.
func pairHash[S string | []byte](field, hash S) uint64 {
	x := uint64(14695981039346656037)
	for i := 0; i < len(field); i++ {
		x = (x ^ uint64(field[i])) * 1099511628211
	}
	x *= 1099511628211
	for i := 0; i < len(hash); i++ {
		x = (x ^ uint64(hash[i])) * 1099511628211
	}
	return mix64(x)
}

// hashSum is SumHashes of the entry's FH, or the sum a light read made
// instead of the map; ok is false when the entry has no FH.
func (e *Entry) hashSum() (sum uint64, ok bool) {
	if e.summed {
		return e.fhSum, true
	}
	if e.FH == nil {
		return 0, false
	}
	return SumHashes(e.FH), true
}

// mix64 is splitmix64's finalizer: it spreads FNV's weak high bits, so
// that a sum of many pairs stays a good hash.
func mix64(x uint64) uint64 {
	x ^= x >> 30
	x *= 0xbf58476d1ce4e5b9
	x ^= x >> 27
	x *= 0x94d049bb133111eb
	return x ^ x>>31
}

// SentSum returns SumHashes of the field hashes the key's work holds, from
// memory; ok is false when there is no work, its hashes are not known or
// an update of it is in doubt: then Sent says more.
func (s *State) SentSum(key string) (sum uint64, ok bool) {
	if s == nil {
		return 0, false
	}
	if l := s.light; l != nil {
		le, ok := l.knownWork(key)
		if !ok {
			return 0, false
		}
		return le.fhSum, true
	}
	st, ok := s.knownWork(key)
	if !ok {
		return 0, false
	}
	return SumHashes(st.fh.expand()), true
}

// RowSum returns the digest of the row whose mapped values the key's work
// holds (Entry.RS), from memory; ok is false when SentSum's would be, or
// the line that recorded the hashes had no digest. A row with this digest
// maps to the hashes SentSum sums: it is unchanged without being mapped.
func (s *State) RowSum(key string) (sum uint64, ok bool) {
	if s == nil {
		return 0, false
	}
	if l := s.light; l != nil {
		le, ok := l.knownWork(key)
		return le.rowSum, ok && le.flags&flagRS != 0
	}
	st, ok := s.knownWork(key)
	return st.rowSum, ok && st.hasRS
}

// knownWork is the key's entry, and whether its field hashes say what its
// work holds (a work, hashes known, no update in doubt): SentSum's and
// RowSum's condition. The entry is the zero one when the key is unknown.
func (l *lightState) knownWork(key string) (lightEntry, bool) {
	i, found := l.index[l.key(key)]
	if !found {
		return lightEntry{}, false
	}
	le := l.entries[i]
	return le, l.knows(le)
}

// knows reports whether le's field hashes say what its work holds.
func (l *lightState) knows(le lightEntry) bool {
	return holdsWork(statuses[le.status]) && le.flags&flagFH != 0 && le.flags&flagDoubt == 0
}

// knownWork is lightState.knownWork for a full State.
func (s *State) knownWork(key string) (*stored, bool) {
	i, found := s.index[key]
	if !found {
		return &stored{}, false
	}
	st := &s.entries[i]
	return st, holdsWork(st.status) && st.fh.names != nil && (st.work == nil || len(st.work.doubt) == 0)
}

// FormatRowSum is Entry.RS for a row digest: 16 lower-case hex digits.
func FormatRowSum(sum uint64) string {
	const digits = "0123456789abcdef"
	var b [16]byte
	for i := 15; i >= 0; i-- {
		b[i] = digits[sum&15]
		sum >>= 4
	}
	return string(b[:])
}

// parseRowSum reads Entry.RS; ok is false for none or a malformed one.
func parseRowSum(rs string) (uint64, bool) {
	if len(rs) != 16 {
		return 0, false
	}
	v, err := strconv.ParseUint(rs, 16, 64)
	return v, err == nil
}

// Sent returns what the key's work holds, and whether the key has a work
// (created by this checkpoint, or found). A light State reads the one
// journal line that carries the hashes from the file (safe while the
// journal is appended to); the error is that read's.
func (s *State) Sent(key string) (Sent, bool, error) {
	if s == nil {
		return Sent{}, false, nil
	}
	if l := s.light; l != nil {
		return l.sent(key)
	}
	i, found := s.index[key]
	if !found || !holdsWork(s.entries[i].status) {
		return Sent{}, false, nil
	}
	st := &s.entries[i]
	out := Sent{ID: st.id, DisplayID: st.displayID, Type: st.entry().Type}
	if st.fh.names != nil {
		out.FH, out.Known = st.fh.expand(), true
	}
	if st.work != nil {
		out.InDoubt = slices.Clone(st.work.doubt)
	}
	out.dropDoubt()
	return out, true, nil
}

// dropDoubt removes the fields in doubt from FH.
func (w *Sent) dropDoubt() {
	for _, f := range w.InDoubt {
		delete(w.FH, f)
	}
}

func (l *lightState) sent(key string) (Sent, bool, error) {
	i, found := l.index[l.key(key)]
	if !found || !holdsWork(statuses[l.entries[i].status]) {
		return Sent{}, false, nil
	}
	le := l.entries[i]
	out := Sent{ID: l.workID(i)}
	if le.fhOff >= 0 {
		e, err := l.readEntry(le.fhOff, key)
		if err != nil {
			return Sent{}, true, err
		}
		// An updated line leaves out the type its work's earlier lines gave.
		out.DisplayID, out.Type = e.DisplayID, cmp.Or(e.Type, workTypes[le.typ])
		if le.flags&flagFH != 0 {
			out.FH, out.Known = e.FH, true
		}
	}
	if le.flags&flagDoubt != 0 {
		out.InDoubt = slices.Clone(l.doubt[i])
	}
	out.dropDoubt()
	return out, true, nil
}

// errSourceClosed is Sent's error after the journal was closed.
var errSourceClosed = errors.New("checkpoint: the journal was closed")

// readEntry reads back the entry of key at offset off of the journal.
func (l *lightState) readEntry(off int64, key string) (Entry, error) {
	l.srcM.Lock()
	src, closed := l.src, l.srcClosed
	l.srcM.Unlock()
	if closed {
		return Entry{}, errSourceClosed
	}
	if src == nil {
		return Entry{}, fmt.Errorf("checkpoint: key %q: its line is in no file", key)
	}
	line, err := readLineAt(src, off)
	if err != nil {
		return Entry{}, fmt.Errorf("checkpoint: reading the line of key %q: %w", key, err)
	}
	var e Entry
	if err := json.Unmarshal(line, &e); err != nil || e.Key != key {
		return Entry{}, fmt.Errorf("checkpoint: the line at byte %d is not key %q's (the file changed?)", off, key)
	}
	return e, nil
}

// readLineAt reads the line starting at off, without its newline.
func readLineAt(r io.ReaderAt, off int64) ([]byte, error) {
	var line []byte
	buf := make([]byte, 1024)
	for {
		n, err := r.ReadAt(buf, off)
		if i := bytes.IndexByte(buf[:n], '\n'); i >= 0 {
			return append(line, buf[:i]...), nil
		}
		line = append(line, buf[:n]...)
		off += int64(n)
		if errors.Is(err, io.EOF) {
			return line, nil
		}
		if err != nil {
			return nil, err
		}
		if len(buf) < 64<<10 {
			buf = make([]byte, 2*len(buf))
		}
	}
}

// closeSource closes the handle Sent reads with, once.
func (l *lightState) closeSource() error {
	l.srcM.Lock()
	defer l.srcM.Unlock()
	if l.srcClosed {
		return nil
	}
	l.srcClosed = true
	if c, ok := l.src.(io.Closer); ok {
		return c.Close()
	}
	return nil
}

// union returns the sorted set of a's and b's strings (a sorted).
func union(a, b []string) []string {
	for _, f := range b {
		if i, ok := slices.BinarySearch(a, f); !ok {
			a = slices.Insert(a, i, f)
		}
	}
	return a
}

// fieldHashes is an FH map as a full State keeps it: the sorted field
// names, interned per State (every row of a mapping has the same), and the
// hashes in their order, each after its length as a uvarint. The zero
// value means no hashes known.
type fieldHashes struct {
	names *[]string
	vals  string
}

// fieldSets interns field-name lists.
type fieldSets map[string]*[]string

func (fs *fieldSets) compact(fh map[string]string) fieldHashes {
	if fh == nil {
		return fieldHashes{}
	}
	names := make([]string, 0, len(fh))
	for f := range fh {
		names = append(names, f)
	}
	slices.Sort(names)
	id := strings.Join(names, "\x00")
	if *fs == nil {
		*fs = make(fieldSets)
	}
	p, ok := (*fs)[id]
	if !ok {
		p = &names
		(*fs)[id] = p
	}
	var vals []byte
	for _, f := range *p {
		vals = binary.AppendUvarint(vals, uint64(len(fh[f])))
		vals = append(vals, fh[f]...)
	}
	return fieldHashes{names: p, vals: string(vals)}
}

func (h fieldHashes) expand() map[string]string {
	if h.names == nil {
		return nil
	}
	out := make(map[string]string, len(*h.names))
	v := h.vals
	for _, f := range *h.names {
		n, k := binary.Uvarint([]byte(v[:min(len(v), binary.MaxVarintLen64)]))
		out[f] = v[k : k+int(n)]
		v = v[k+int(n):]
	}
	return out
}
