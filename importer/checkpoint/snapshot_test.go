package checkpoint

import (
	"bytes"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"
)

// randomJournal writes a journal of n random lines over a few hundred keys
// at path: every status, create and update lines with field hashes and row
// digests, IDs that are DONs and IDs that are not, fingerprints, updates in
// doubt, a key created twice, links and comments, over several runs (run
// lines) and with blank lines. It returns the file's bytes.
func randomJournal(t *testing.T, path string, n int, seed uint64) []byte {
	t.Helper()
	rng := rand.New(rand.NewPCG(seed, 7))
	ids := []string{"don:core:dvrv-us-1:devo/x:issue/%d", "don:core:dvrv-us-1:devo/x:ticket/%d", "odd-id-%d", "don:core:dvrv-us-1:devo/y:task/0%d"}
	j, _, _ := openT(t, path, testHeader, Options{})
	for i := range n {
		if i%(n/4+1) == n/4 { // a new run
			if err := j.Close(); err != nil {
				t.Fatal(err)
			}
			j, _, _ = openT(t, path, testHeader, Options{})
		}
		k := rng.IntN(300)
		key := fmt.Sprintf("K-%d", k)
		switch rng.IntN(12) {
		case 0:
			key = fmt.Sprintf(" link K-%d blocks K-%d", k, rng.IntN(300))
		case 1:
			key = CommentKey(key, fmt.Sprint("c", rng.IntN(3)))
		}
		st := statuses[rng.IntN(len(statuses))]
		e := Entry{Row: k + 2, Key: key, Status: st, Attempt: 1, FP: fmt.Sprintf("fp%d", rng.IntN(5)),
			ID: fmt.Sprintf(ids[rng.IntN(len(ids))], rng.IntN(1000)), Type: workTypes[rng.IntN(len(workTypes))], Title: "t"}
		if op, rel := relationOp(key); rel && op != opOf(st) || !rel && (opOf(st) == OpLink || opOf(st) == OpComment) {
			continue
		}
		if opOf(st) == OpUpdate {
			e.Op = OpUpdate
			e.Fields = []string{"title", fmt.Sprint("f", rng.IntN(3))}
		}
		if rng.IntN(2) == 0 && (st == Created || st == Found || st == Updated) {
			e.FH = map[string]string{"title": fmt.Sprint(rng.IntN(9)), "owned_by": "x"}
			if rng.IntN(2) == 0 {
				e.RS = FormatRowSum(rng.Uint64())
			}
		}
		if e.validate() != nil {
			continue
		}
		appendT(t, j, e)
		if rng.IntN(50) == 0 {
			if err := j.write([]byte("\n"), false); err != nil {
				t.Fatal(err)
			}
		}
	}
	if err := j.Close(); err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return data
}

// scanSeeded is a light scan of data with hashes keyed by seed.
func scanSeeded(t *testing.T, data []byte, seed uint64) *scanned {
	t.Helper()
	sc := &scanned{state: newLightStateSeeded(seed)}
	if err := sc.read(bytes.NewReader(data), "cp", true); err != nil {
		t.Fatal(err)
	}
	return sc
}

// viaSnapshot is the scan of data made from a snapshot of its first end
// bytes (encoded and decoded) and a scan of the rest.
func viaSnapshot(t *testing.T, data []byte, end int, seed uint64) *scanned {
	t.Helper()
	var buf bytes.Buffer
	if err := encodeSnapshot(&buf, "tag", scanSeeded(t, data[:end], seed)); err != nil {
		t.Fatal(err)
	}
	d := newSnapDecoder(bytes.NewReader(buf.Bytes()), int64(buf.Len()))
	meta, why := d.meta("tag")
	if why != "" {
		t.Fatalf("meta: %s", why)
	}
	entries, keys, why := d.entries(meta.Entries)
	if why != "" {
		t.Fatalf("entries: %s", why)
	}
	sc, why := restore(meta, entries, keys)
	if why != "" {
		t.Fatalf("restore: %s", why)
	}
	if err := sc.read(bytes.NewReader(data[end:]), "cp", true); err != nil {
		t.Fatal(err)
	}
	return sc
}

// Reading a journal from a snapshot of any prefix of it and then the rest
// gives exactly the scan of the whole journal: the same State, byte for
// byte in every field, the same header, warnings, line count and CRC.
func TestSnapshotThenTailEqualsFullScan(t *testing.T) {
	data := randomJournal(t, filepath.Join(t.TempDir(), "cp.jsonl"), 3000, 1)
	const seed = 42
	full := scanSeeded(t, data, seed)
	if len(full.warnings) == 0 || len(full.state.light.ids) == 0 || len(full.state.light.doubt) == 0 || len(full.state.light.prefixes) < 2 {
		t.Fatalf("the journal does not exercise warnings, IDs kept as strings, doubts and prefixes: %d %d %d %d",
			len(full.warnings), len(full.state.light.ids), len(full.state.light.doubt), len(full.state.light.prefixes))
	}
	ends := []int{bytes.IndexByte(data, '\n') + 1, len(data)}
	rng := rand.New(rand.NewPCG(3, 4))
	for range 40 {
		i := rng.IntN(len(data))
		ends = append(ends, i+bytes.IndexByte(data[i:], '\n')+1)
	}
	for _, end := range ends {
		got := viaSnapshot(t, data, end, seed)
		if !reflect.DeepEqual(got, full) {
			t.Fatalf("split at %d of %d: the snapshot and the tail give\n%+v\nthe whole scan\n%+v", end, len(data), got, full)
		}
	}
}

// Open reads a usable snapshot instead of the lines it covers, writes one
// when it read many lines, and gives the same State and warnings either
// way; Last, Sent and RowSum agree key by key.
func TestOpenWithSnapshot(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "cp.jsonl")
	randomJournal(t, path, 2000, 2)
	opt := Options{Light: true, SnapshotTag: "build 1", snapMinTail: 1}
	plain, _ := openState(t, path, Options{Light: true})
	first, _ := openState(t, path, opt) // writes the snapshot
	if _, why := loadSnapshot(snapshotPath(path), "build 1", mustOpen(t, path), fileSize(t, path)); why != "" {
		t.Fatalf("no usable snapshot after an Open: %s", why)
	}
	second, _ := openState(t, path, opt) // reads it
	for i := range 300 {
		key := fmt.Sprintf("K-%d", i)
		for _, st := range []*State{first, second} {
			if a, b := describeKey(plain, key), describeKey(st, key); a != b {
				t.Fatalf("%s: without a snapshot %s, with %s", key, a, b)
			}
		}
	}
	if plain.Runs() != second.Runs()-2 { // each Open appended a run line
		t.Errorf("runs: %d then %d", plain.Runs(), second.Runs())
	}
}

// openState opens path, returns its State and warnings, and closes it.
func openState(t *testing.T, path string, opt Options) (*State, []string) {
	t.Helper()
	j, st, w := openT(t, path, testHeader, opt)
	if err := j.Close(); err != nil {
		t.Fatal(err)
	}
	return st, w
}

// describeKey is what a State says of key, as text.
func describeKey(st *State, key string) string {
	e, ok := st.Last(key)
	sent, has, err := st.Sent(key)
	rs, rok := st.RowSum(key)
	sum, sok := st.SentSum(key)
	return fmt.Sprintf("%v %s %s %s %s | %v %v %v | %x %v %x %v | %v", ok, e.Status, e.Op, e.ID, e.TS.Format(time.RFC3339Nano),
		has, sent.FH, err, rs, rok, sum, sok, st.WasCreated(e.ID))
}

func mustOpen(t *testing.T, path string) *os.File {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.Close() })
	return f
}

func fileSize(t *testing.T, path string) int64 {
	t.Helper()
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	return fi.Size()
}

// A snapshot that cannot stand for the journal is not used, and Open
// behaves exactly as without one: a damaged line before the snapshot's end
// is still an error naming its line; another build's, another journal's,
// a damaged or cut snapshot, or a journal cut short, is read in full.
func TestSnapshotNotUsedWhenItCannotStand(t *testing.T) {
	opt := Options{Light: true, SnapshotTag: "build 1", snapMinTail: 1}
	setup := func(t *testing.T) (path string, data []byte) {
		path = filepath.Join(t.TempDir(), "cp.jsonl")
		randomJournal(t, path, 600, 5)
		openState(t, path, opt)
		data, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		return path, data
	}
	why := func(t *testing.T, path, tag string) string {
		_, why := loadSnapshot(snapshotPath(path), tag, mustOpen(t, path), fileSize(t, path))
		return why
	}
	t.Run("an edited line before its end", func(t *testing.T) {
		path, data := setup(t)
		lines := bytes.SplitAfter(data, []byte("\n"))
		lines[5] = append(bytes.Repeat([]byte("{"), len(lines[5])-1), '\n') // as long: only the CRC tells
		if err := os.WriteFile(path, bytes.Join(lines, nil), 0o600); err != nil {
			t.Fatal(err)
		}
		if w := why(t, path, "build 1"); w != "the journal's first bytes changed" {
			t.Errorf("why = %q", w)
		}
		_, _, _, err := Open(path, testHeader, opt)
		if err == nil || !strings.Contains(err.Error(), "line 6: damaged line") {
			t.Errorf("Open = %v, want the damaged line 6", err)
		}
	})
	t.Run("another build", func(t *testing.T) {
		path, _ := setup(t)
		if w := why(t, path, "build 2"); w != "written by another build" {
			t.Errorf("why = %q", w)
		}
	})
	t.Run("another journal's snapshot", func(t *testing.T) {
		path, _ := setup(t)
		other, _ := setup(t)
		snap, err := os.ReadFile(snapshotPath(other))
		if err != nil {
			t.Fatal(err)
		}
		randomJournal(t, path+"2", 600, 6)
		if err := os.WriteFile(snapshotPath(path+"2"), snap, 0o600); err != nil {
			t.Fatal(err)
		}
		if w := why(t, path+"2", "build 1"); w != "the journal's first bytes changed" && w != "the journal is shorter than the snapshot" {
			t.Errorf("why = %q", w)
		}
	})
	t.Run("a journal cut short", func(t *testing.T) {
		path, data := setup(t)
		if err := os.WriteFile(path, data[:len(data)/2], 0o600); err != nil {
			t.Fatal(err)
		}
		if w := why(t, path, "build 1"); w != "the journal is shorter than the snapshot" {
			t.Errorf("why = %q", w)
		}
	})
	t.Run("damaged snapshots", func(t *testing.T) {
		path, _ := setup(t)
		snap, err := os.ReadFile(snapshotPath(path))
		if err != nil {
			t.Fatal(err)
		}
		for _, bad := range [][]byte{snap[:len(snap)-1], snap[:len(snap)/2], snap[:10], append(bytes.Clone(snap), 0),
			flip(snap, len(snap)-1), flip(snap, len(snap)-snapEntrySize-3), flip(snap, len(snapMagic)+5), {}} {
			if err := os.WriteFile(snapshotPath(path), bad, 0o600); err != nil {
				t.Fatal(err)
			}
			if w := why(t, path, "build 1"); w == "" {
				t.Errorf("a damaged snapshot (%d of %d bytes) was used", len(bad), len(snap))
			}
		}
	})
}

// flip returns b with one bit of byte i flipped.
func flip(b []byte, i int) []byte {
	c := bytes.Clone(b)
	c[i] ^= 0x10
	return c
}

// A file at the snapshot's path that is not a snapshot (a user's input, a
// symbolic link) is never read, replaced or removed; Open says so.
func TestSnapshotLeavesOtherFilesAlone(t *testing.T) {
	opt := Options{Light: true, SnapshotTag: "build 1", snapMinTail: 1}
	dir := t.TempDir()
	path := filepath.Join(dir, "cp.jsonl")
	randomJournal(t, path, 300, 8)
	input := []byte("Title,Owner\nPrinter on fire,a@b.c\n")
	if err := os.WriteFile(snapshotPath(path), input, 0o600); err != nil {
		t.Fatal(err)
	}
	_, warnings := openState(t, path, opt)
	if got, _ := os.ReadFile(snapshotPath(path)); !bytes.Equal(got, input) {
		t.Fatalf("the file at the snapshot's path was changed: %q", got)
	}
	if !strings.Contains(strings.Join(warnings, "\n"), "is not a checkpoint snapshot: leaving it alone") {
		t.Errorf("warnings %q do not say the snapshot was not written", warnings)
	}
	target := filepath.Join(dir, "target.csv")
	if err := os.WriteFile(target, input, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Remove(snapshotPath(path)); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(target, snapshotPath(path)); err != nil {
		t.Skip("no symbolic links here")
	}
	openState(t, path, opt)
	if got, _ := os.ReadFile(target); !bytes.Equal(got, input) {
		t.Fatalf("the link's target was changed: %q", got)
	}
	if fi, err := os.Lstat(snapshotPath(path)); err != nil || fi.Mode()&os.ModeSymlink == 0 {
		t.Fatalf("the link was replaced: %v %v", fi, err)
	}
}

// FuzzSnapshot: whatever bytes sit at a snapshot's path, loading them
// never panics, and bytes that load stand for the journal exactly.
func FuzzSnapshot(f *testing.F) {
	dir := f.TempDir()
	path := filepath.Join(dir, "cp.jsonl")
	data := []byte(`{"checkpoint":2,"input":"/x","size":1,"mapping_hash":"h","tool":"t","created":"2026-01-01T00:00:00Z"}` + "\n" +
		`{"row":2,"key":"a","op":"create","v":2,"status":"created","ts":"2026-01-01T00:00:01Z","id":"don:core:x:issue/1","fh":{"title":"1"},"rs":"00000000000000ff"}` + "\n" +
		`{"row":3,"key":"b","op":"create","v":2,"status":"sending","ts":"2026-01-01T00:00:02Z","fp":"f"}` + "\n")
	if err := os.WriteFile(path, data, 0o600); err != nil {
		f.Fatal(err)
	}
	sc := &scanned{state: newLightStateSeeded(1)}
	if err := sc.read(bytes.NewReader(data), "cp", true); err != nil {
		f.Fatal(err)
	}
	var good bytes.Buffer
	if err := encodeSnapshot(&good, "tag", sc); err != nil {
		f.Fatal(err)
	}
	f.Add(good.Bytes())
	f.Add([]byte(snapMagic))
	f.Fuzz(func(t *testing.T, snap []byte) {
		d := newSnapDecoder(bytes.NewReader(snap), int64(len(snap)))
		meta, why := d.meta("tag")
		if why != "" || meta.Entries > 1<<16 {
			return
		}
		entries, keys, why := d.entries(meta.Entries)
		if why != "" {
			return
		}
		if got, why := restore(meta, entries, keys); why == "" && bytes.Equal(snap, good.Bytes()) && !reflect.DeepEqual(got, sc) {
			t.Fatalf("the good snapshot restores %+v, want %+v", got, sc)
		}
	})
}

// A run that appended many lines leaves, at Close, the snapshot of the
// whole journal: the next Open scans none of them, and agrees with a
// plain read.
func TestCloseLeavesSnapshotOfItsLines(t *testing.T) {
	path := filepath.Join(t.TempDir(), "cp.jsonl")
	opt := Options{Light: true, SnapshotTag: "build 1", snapMinTail: 1}
	j, _, _ := openT(t, path, testHeader, opt)
	for i := range 200 {
		appendT(t, j, Entry{Row: i + 2, Key: fmt.Sprint("K-", i), Status: Created, ID: fmt.Sprint("don:core:x:issue/", i),
			FH: map[string]string{"title": "x"}, RS: FormatRowSum(uint64(i))})
	}
	if err := j.Close(); err != nil {
		t.Fatal(err)
	}
	sc, why := loadSnapshot(snapshotPath(path), "build 1", mustOpen(t, path), fileSize(t, path))
	if why != "" || sc.end != fileSize(t, path) {
		t.Fatalf("after Close: snapshot %q, covering %v of %d bytes", why, sc, fileSize(t, path))
	}
	plain, _ := openState(t, path, Options{Light: true})
	snapped, _ := openState(t, path, opt)
	for i := range 200 {
		key := fmt.Sprint("K-", i)
		if a, b := describeKey(plain, key), describeKey(snapped, key); a != b {
			t.Fatalf("%s: without a snapshot %s, with %s", key, a, b)
		}
	}
}

// The temporary file a snapshot is written to is not replaced either when
// it holds something else; one a killed writer left is reused.
func TestSnapshotTemporaryFile(t *testing.T) {
	opt := Options{Light: true, SnapshotTag: "build 1", snapMinTail: 1}
	path := filepath.Join(t.TempDir(), "cp.jsonl")
	randomJournal(t, path, 300, 9)
	tmp := snapshotPath(path) + ".tmp"
	if err := os.WriteFile(tmp, []byte("someone's notes\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	_, warnings := openState(t, path, opt)
	if got, _ := os.ReadFile(tmp); string(got) != "someone's notes\n" || !strings.Contains(strings.Join(warnings, "\n"), tmp+" exists and is not a checkpoint snapshot") {
		t.Fatalf("temporary file %q, warnings %q", got, warnings)
	}
	for _, left := range []string{"", snapMagic[:10], snapMagic + "partial"} {
		if err := os.WriteFile(tmp, []byte(left), 0o600); err != nil {
			t.Fatal(err)
		}
		if _, warnings := openState(t, path, opt); strings.Contains(strings.Join(warnings, "\n"), "snapshot") {
			t.Errorf("with %q left: %q", left, warnings)
		}
		if _, err := os.Stat(tmp); err == nil {
			t.Errorf("with %q left: the temporary file is still there", left)
		}
		if _, why := loadSnapshot(snapshotPath(path), "build 1", mustOpen(t, path), fileSize(t, path)); why != "" {
			t.Errorf("with %q left: %s", left, why)
		}
	}
}

// A format 1 checkpoint (no key recorded: a reader guesses the keying
// from the keys it counts) and the committed fixtures give from their
// snapshot, split at every line, exactly the scan of the whole file.
func TestSnapshotOfFixtures(t *testing.T) {
	// Format 1: no key recorded; keyless rows' hashes and a run line that
	// adds the endpoint.
	format1 := []byte(`{"checkpoint":1,"input":"/x.csv","size":9,"mapping_hash":"sha256:1","tool":"devrev-import/0.0.1","created":"2025-01-02T03:04:05Z"}
{"row":2,"key":"h:0123456789abcdef","status":"created","ts":"2025-01-02T03:04:06Z","id":"don:core:x:issue/1"}
{"run":2,"started":"2025-01-03T03:04:05Z","input":"/x.csv","size":9,"mapping_hash":"sha256:2","endpoint":"https://api.devrev.ai","tool":"devrev-import/0.0.2"}
{"row":3,"key":"h:fedcba9876543210","status":"sending","ts":"2025-01-03T03:04:06Z","fp":"f"}
{"row":4,"key":"TKT-4","status":"invalid","ts":"2025-01-03T03:04:07Z","errors":["x"]}
`)
	for _, name := range []string{"format 1", "testdata/v1-entries.checkpoint.jsonl", "testdata/v2-creates.checkpoint.jsonl"} {
		data := format1
		if name != "format 1" {
			var err error
			if data, err = os.ReadFile(name); err != nil {
				t.Fatal(err)
			}
		}
		full := scanSeeded(t, data, 7)
		if name == "format 1" && (full.hashKeys != 2 || full.otherKeys != 1 || full.header.Endpoint == "" || full.lastHash != "sha256:2") {
			t.Fatalf("format 1: %+v", full)
		}
		for end := bytes.IndexByte(data, '\n') + 1; end <= len(data); {
			if got := viaSnapshot(t, data, end, 7); !reflect.DeepEqual(got, full) {
				t.Fatalf("%s split at %d: the snapshot and the tail give\n%+v\nthe whole scan\n%+v", name, end, got, full)
			}
			next := bytes.IndexByte(data[end:], '\n')
			if next < 0 {
				break
			}
			end += next + 1
		}
	}
}

// The checks Open makes of a run against what the checkpoint recorded
// (endpoint, org, key) hold when the recorded header comes from a
// snapshot: another endpoint or key is refused before anything is written.
func TestSnapshotKeepsTheConflictChecks(t *testing.T) {
	opt := Options{Light: true, SnapshotTag: "build 1", snapMinTail: 1}
	path := filepath.Join(t.TempDir(), "cp.jsonl")
	hdr := testHeader
	hdr.Endpoint, hdr.Key = "https://api.devrev.ai", &KeyDef{Columns: []string{"Ticket ID"}}
	j, _, _ := openT(t, path, hdr, opt)
	for i := range 50 {
		appendT(t, j, Entry{Row: i + 2, Key: fmt.Sprint("T-", i), Status: Created, ID: fmt.Sprint("don:core:x:issue/", i)})
	}
	if err := j.Close(); err != nil { // leaves the snapshot
		t.Fatal(err)
	}
	if _, why := loadSnapshot(snapshotPath(path), "build 1", mustOpen(t, path), fileSize(t, path)); why != "" {
		t.Fatalf("no usable snapshot: %s", why)
	}
	size := fileSize(t, path)
	other := hdr
	other.Endpoint = "https://api.other.example"
	otherKey := hdr
	otherKey.Key = &KeyDef{Columns: []string{"Subject"}}
	for what, h := range map[string]Header{"endpoint": other, "key": otherKey} {
		_, _, _, err := Open(path, h, opt)
		var ce *ConflictError
		if !errors.As(err, &ce) || ce.What != what {
			t.Errorf("another %s: Open = %v, want a conflict on the %s", what, err, what)
		}
	}
	if got := fileSize(t, path); got != size {
		t.Errorf("the refused runs changed the journal: %d -> %d bytes", size, got)
	}
}
