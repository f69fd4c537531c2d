package checkpoint

import (
	"bufio"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"hash"
	"hash/crc32"
	"io"
	"io/fs"
	"os"
	"strings"
)

// A snapshot saves the light State of a journal's first bytes, so that the
// next Open reads those bytes' meaning in milliseconds and scans only the
// lines after them (etcd's snapshot + WAL). Reading a 100,000-row sync's
// journal (69 MB) costs about 0.2 s of CPU; a nightly upsert that changes
// nothing would otherwise spend most of its time there.
//
// It is an optimisation only: the journal stays the one source of truth.
// A snapshot is used only when it is whole (its own CRC), was written by
// the same build (Options.SnapshotTag: how lines fold into a State may
// change between builds) and the journal still holds, byte for byte, what
// it was taken of (the CRC-32C of the journal's first End bytes). Anything
// else (none, damaged, another build's, another journal's, a journal cut
// or edited) means the whole journal is read, as without snapshots, and a
// new snapshot is written.
//
// The file, PATH + SnapshotSuffix (mode 0600), is snapMagic, a 4-byte
// length and that many bytes of JSON (snapMeta), snapMeta.Entries records
// of snapEntrySize bytes (one per key, in the State's order: the key's
// hash and its lightEntry), and the CRC-32C of everything before it.
// Integers are little-endian.

// SnapshotSuffix is added to a journal's path to name its snapshot.
const SnapshotSuffix = ".snap"

// snapMagic starts every snapshot. A file at the snapshot's path that does
// not start with it is not one of ours: it is never read, replaced or
// removed.
const snapMagic = "devrev-import checkpoint snapshot v1\n"

// snapEntrySize is the size of one key's record: the key's hash (2),
// ts, idHash, workNum, fhSum, fhOff and rowSum (8 bytes each), then
// workPrefix (2), typ, status and flags (1 each).
const snapEntrySize = 8*8 + 2 + 3

// snapMaxMeta bounds the JSON part, so that a hostile length cannot make
// a reader allocate without end.
const snapMaxMeta = 256 << 20

// defaultSnapMinTail is the smallest tail (bytes scanned past the loaded
// snapshot, or the whole journal without one) worth a new snapshot.
const defaultSnapMinTail = 256 << 10

// snapMeta is what a snapshot records besides the entries: where it
// stands in the journal and what scanning up to there learned.
type snapMeta struct {
	Tag   string `json:"tag"`   // Options.SnapshotTag of the writer
	End   int64  `json:"end"`   // bytes of the journal it stands for
	Lines int    `json:"lines"` // lines in them
	CRC   uint32 `json:"crc"`   // their CRC-32C

	Header      Header            `json:"header"`
	LastHash    string            `json:"last_hash"`
	LastMapping map[string]string `json:"last_mapping"`
	HashKeys    int               `json:"hash_keys"`
	OtherKeys   int               `json:"other_keys"`
	Warnings    []string          `json:"warnings"`
	Runs        int               `json:"runs"`

	Seed     uint64             `json:"seed"`
	Entries  int                `json:"entries"`
	Prefixes []string           `json:"prefixes"`
	IDs      map[int32]string   `json:"ids"`
	Doubt    map[int32][]string `json:"doubt"`
}

// scan reads the journal's first size bytes: from its snapshot on when
// one is usable (see Options.SnapshotTag). from is where the scan started.
func (j *Journal) scan(size int64, light bool) (sc *scanned, from int64, err error) {
	if j.snapTag != "" {
		if sc, _ = loadSnapshot(snapshotPath(j.path), j.snapTag, j.f, size); sc != nil {
			from = sc.end
			return sc, from, sc.read(io.NewSectionReader(j.f, from, size-from), j.path, true)
		}
	}
	sc, err = scan(io.NewSectionReader(j.f, 0, size), j.path, light)
	return sc, 0, err
}

// snapshot writes a snapshot of sc, the scan of the journal's size bytes
// that began at offset from, when the part it scanned was long enough to
// be worth it and it stands for the whole file; it returns a warning when
// it could not.
func (j *Journal) snapshot(sc *scanned, from, size int64) string {
	if j.snapTag == "" || !sc.hasHeader || sc.torn || sc.unterminated || sc.end != size || size-from < j.snapMin {
		return ""
	}
	if err := writeSnapshot(snapshotPath(j.path), j.snapTag, sc); err != nil {
		return fmt.Sprintf("%v (the next run reads the whole checkpoint)", err)
	}
	return ""
}

// snapshotAtClose takes, when this run appended many lines, the snapshot
// the next Open would take after reading them, so that the next run (the
// night after an import) starts from it. It is best effort: that Open
// tries again and says what failed.
func (j *Journal) snapshotAtClose() {
	if j.snapTag == "" || j.size-j.opened < j.snapMin {
		return
	}
	if sc, from, err := j.scan(j.size, true); err == nil {
		_ = j.snapshot(sc, from, j.size)
	}
}

// snapshotPath is where the journal at path keeps its snapshot.
func snapshotPath(path string) string { return path + SnapshotSuffix }

// writeSnapshot saves sc, a light scan of a whole journal with nothing
// torn, as the snapshot at path: written to path + ".tmp" and renamed over
// path. It leaves alone a path (or temporary path) that holds something
// other than a snapshot (a user's file) and says so. A process killed
// while writing leaves the temporary file, which the next write reuses.
func writeSnapshot(path, tag string, sc *scanned) error {
	tmp := path + ".tmp"
	for _, p := range []string{path, tmp} {
		if ours, err := replaceable(p, p == tmp); err != nil || !ours {
			if err == nil {
				err = fmt.Errorf("%s exists and is not a checkpoint snapshot: leaving it alone", p)
			}
			return err
		}
	}
	f, err := os.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o600)
	if err != nil {
		return fmt.Errorf("writing checkpoint snapshot: %w", err)
	}
	err = encodeSnapshot(f, tag, sc)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp, path)
	}
	if err != nil {
		_ = os.Remove(tmp)
		return fmt.Errorf("writing checkpoint snapshot %s: %w", path, err)
	}
	return nil
}

// replaceable reports whether path may be replaced by a snapshot: nothing
// is there, or a regular file that starts with snapMagic (or, with
// partial, is empty or a beginning of it: a temporary file whose writer
// was killed).
func replaceable(path string, partial bool) (bool, error) {
	fi, err := os.Lstat(path)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return true, nil
	case err != nil:
		return false, fmt.Errorf("writing checkpoint snapshot: %w", err)
	case !fi.Mode().IsRegular():
		return false, nil
	}
	f, err := os.Open(path)
	if err != nil {
		return false, fmt.Errorf("writing checkpoint snapshot: %w", err)
	}
	defer f.Close()
	head := make([]byte, len(snapMagic))
	n, _ := io.ReadFull(f, head)
	return n == len(head) && string(head) == snapMagic || partial && strings.HasPrefix(snapMagic, string(head[:n])), nil
}

// encodeSnapshot writes the snapshot of sc to w (see the file format
// above). A snapshot's file is written once; w need not be buffered.
func encodeSnapshot(w io.Writer, tag string, sc *scanned) error {
	l := sc.state.light
	meta := snapMeta{Tag: tag, End: sc.end, Lines: sc.lines, CRC: sc.crc,
		Header: sc.header, LastHash: sc.lastHash, LastMapping: sc.lastMapping,
		HashKeys: sc.hashKeys, OtherKeys: sc.otherKeys, Warnings: sc.warnings, Runs: sc.state.runs,
		Seed: l.seed, Entries: len(l.entries), Prefixes: l.prefixes, IDs: l.ids, Doubt: l.doubt}
	js, err := json.Marshal(&meta)
	if err != nil {
		return fmt.Errorf("encoding checkpoint snapshot: %w", err)
	}
	keys := make([][2]uint64, len(l.entries))
	for k, i := range l.index {
		keys[i] = k
	}
	crc := crc32.New(crcTable())
	bw := bufio.NewWriterSize(io.MultiWriter(w, crc), 256<<10)
	bw.WriteString(snapMagic)
	bw.Write(binary.LittleEndian.AppendUint32(nil, uint32(len(js))))
	bw.Write(js)
	rec := make([]byte, 0, snapEntrySize)
	for i, e := range l.entries {
		rec = appendSnapEntry(rec[:0], keys[i], e)
		bw.Write(rec)
	}
	if err := bw.Flush(); err != nil { // a bufio.Writer keeps its first error
		return err
	}
	_, err = w.Write(binary.LittleEndian.AppendUint32(nil, crc.Sum32()))
	return err
}

// appendSnapEntry appends one key's record.
func appendSnapEntry(b []byte, key [2]uint64, e lightEntry) []byte {
	le := binary.LittleEndian
	for _, v := range [...]uint64{key[0], key[1], uint64(e.ts), e.idHash, e.workNum, e.fhSum, uint64(e.fhOff), e.rowSum} {
		b = le.AppendUint64(b, v)
	}
	b = le.AppendUint16(b, e.workPrefix)
	return append(b, e.typ, e.status, e.flags)
}

// decodeSnapEntry reads one key's record (snapEntrySize bytes).
func decodeSnapEntry(b []byte) (key [2]uint64, e lightEntry) {
	le := binary.LittleEndian
	u := func(i int) uint64 { return le.Uint64(b[8*i:]) }
	key = [2]uint64{u(0), u(1)}
	e = lightEntry{ts: int64(u(2)), idHash: u(3), workNum: u(4), fhSum: u(5), fhOff: int64(u(6)), rowSum: u(7),
		workPrefix: le.Uint16(b[64:]), typ: b[66], status: b[67], flags: b[68]}
	return key, e
}

// loadSnapshot returns the scan a usable snapshot at path stands for, nil
// when there is none or it cannot be used (why says why, for tests and
// debugging: a snapshot is only ever an optimisation). journal is the
// journal, size its size now: its first End bytes must be those the
// snapshot was taken of. Their CRC is computed while the entries are
// decoded.
func loadSnapshot(path, tag string, journal io.ReaderAt, size int64) (sc *scanned, why string) {
	fi, err := os.Lstat(path)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return nil, "none"
	case err != nil:
		return nil, err.Error()
	case !fi.Mode().IsRegular():
		return nil, "not a regular file"
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, err.Error()
	}
	defer f.Close()
	d := newSnapDecoder(f, fi.Size())
	meta, why := d.meta(tag)
	if why != "" {
		return nil, why
	}
	if meta.End > size {
		return nil, "the journal is shorter than the snapshot"
	}
	prefix := make(chan bool, 1)
	go func() {
		crc, err := crcOf(journal, meta.End)
		prefix <- err == nil && crc == meta.CRC
	}()
	entries, keys, why := d.entries(meta.Entries)
	if !<-prefix {
		return nil, "the journal's first bytes changed"
	}
	if why != "" {
		return nil, why
	}
	return restore(meta, entries, keys)
}

// crcOf is the CRC-32C of the first n bytes of r.
func crcOf(r io.ReaderAt, n int64) (uint32, error) {
	crc := crc32.New(crcTable())
	if _, err := io.CopyBuffer(crc, io.NewSectionReader(r, 0, n), make([]byte, 1<<20)); err != nil {
		return 0, err
	}
	return crc.Sum32(), nil
}

// snapDecoder reads a snapshot file of the given size, summing what it
// has read.
type snapDecoder struct {
	r    *bufio.Reader
	crc  hash.Hash32
	size int64
	read int64
}

func newSnapDecoder(r io.Reader, size int64) *snapDecoder {
	return &snapDecoder{r: bufio.NewReaderSize(r, 256<<10), crc: crc32.New(crcTable()), size: size}
}

// next reads len(b) bytes into b and sums them.
func (d *snapDecoder) next(b []byte) bool {
	if _, err := io.ReadFull(d.r, b); err != nil {
		return false
	}
	d.crc.Write(b)
	d.read += int64(len(b))
	return true
}

// meta reads the magic and the JSON part, and checks that the writer was
// this build (tag) and that the file holds exactly the entries it names.
func (d *snapDecoder) meta(tag string) (meta snapMeta, why string) {
	head := make([]byte, len(snapMagic)+4)
	if !d.next(head) || string(head[:len(snapMagic)]) != snapMagic {
		return meta, "not a snapshot"
	}
	n := int64(binary.LittleEndian.Uint32(head[len(snapMagic):]))
	if n > snapMaxMeta || d.read+n+4 > d.size {
		return meta, "damaged"
	}
	js := make([]byte, n)
	if !d.next(js) || json.Unmarshal(js, &meta) != nil {
		return meta, "damaged"
	}
	if meta.Tag != tag {
		return meta, "written by another build"
	}
	if meta.Entries < 0 || d.read+int64(meta.Entries)*snapEntrySize+4 != d.size {
		return meta, "damaged"
	}
	return meta, ""
}

// entries reads n records and checks the trailer.
func (d *snapDecoder) entries(n int) ([]lightEntry, [][2]uint64, string) {
	entries, keys := make([]lightEntry, n), make([][2]uint64, n)
	chunk := make([]byte, 4096*snapEntrySize)
	for i := 0; i < n; {
		k := min(n-i, 4096)
		b := chunk[:k*snapEntrySize]
		if !d.next(b) {
			return nil, nil, "damaged"
		}
		for ; len(b) > 0; i, b = i+1, b[snapEntrySize:] {
			keys[i], entries[i] = decodeSnapEntry(b)
		}
	}
	sum := d.crc.Sum32()
	var trailer [4]byte
	if _, err := io.ReadFull(d.r, trailer[:]); err != nil || binary.LittleEndian.Uint32(trailer[:]) != sum {
		return nil, nil, "damaged"
	}
	return entries, keys, ""
}

// restore builds the scan a checked snapshot stands for, refusing values
// no light State holds (a snapshot whose CRC matches is ours, but a file
// is input: it must not make the reader panic).
func restore(meta snapMeta, entries []lightEntry, keys [][2]uint64) (*scanned, string) {
	st := newLightStateSeeded(meta.Seed)
	l := st.light
	l.entries = entries
	l.index = make(map[[2]uint64]int32, len(entries))
	for i, k := range keys {
		l.index[k] = int32(i)
	}
	if len(l.index) != len(entries) {
		return nil, "damaged: a key twice"
	}
	l.prefixes = meta.Prefixes
	for i, p := range l.prefixes {
		l.prefixIndex[p] = uint16(i + 1)
	}
	for i, e := range entries {
		if int(e.status) >= len(statuses) || int(e.typ) >= len(workTypes) || int(e.workPrefix) > len(l.prefixes) {
			return nil, fmt.Sprintf("damaged: entry %d", i)
		}
		l.mark(e, 1)
	}
	for i, id := range meta.IDs {
		if i < 0 || int(i) >= len(entries) {
			return nil, "damaged: an ID out of range"
		}
		l.ids[i] = id
	}
	for i, fields := range meta.Doubt {
		if i < 0 || int(i) >= len(entries) {
			return nil, "damaged: a doubt out of range"
		}
		l.doubt[i] = fields
	}
	st.runs = meta.Runs
	return &scanned{header: meta.Header, hasHeader: true, lastHash: meta.LastHash, lastMapping: meta.LastMapping,
		hashKeys: meta.HashKeys, otherKeys: meta.OtherKeys, state: st, warnings: meta.Warnings,
		end: meta.End, lines: meta.Lines, crc: meta.CRC}, ""
}
