package checkpoint

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/devrev-import/devrev-import/importer/throttle/throttletest"
)

var t0 = time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)

// fixedClock returns a clock that ticks one millisecond per call.
func fixedClock() throttletest.ClockFunc {
	var mu sync.Mutex
	now := t0
	return func() time.Time {
		mu.Lock()
		defer mu.Unlock()
		now = now.Add(time.Millisecond)
		return now
	}
}

var testHeader = Header{Input: "/data/tickets.csv", Size: 12345, MappingHash: "sha256:abc", Tool: "devrev-import/test"}

// openT opens a journal in a test, failing the test on error.
func openT(t testing.TB, path string, hdr Header, opt Options) (*Journal, *State, []string) {
	t.Helper()
	if opt.Clock == nil {
		opt.Clock = fixedClock()
	}
	j, st, warnings, err := Open(path, hdr, opt)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	return j, st, warnings
}

func appendT(t testing.TB, j *Journal, e Entry) {
	t.Helper()
	if err := j.Append(e); err != nil {
		t.Fatalf("Append(%+v): %v", e, err)
	}
}

// fullAndLight writes entries to a new journal and reads it back as a
// full and as a light State (the light one's journal is closed with the
// test).
func fullAndLight(t testing.TB, entries ...Entry) (full, light *State) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "cp.jsonl")
	j, _, _ := openT(t, path, testHeader, Options{})
	for _, e := range entries {
		appendT(t, j, e)
	}
	if err := j.Close(); err != nil {
		t.Fatal(err)
	}
	_, full, _ = readT(t, path)
	j, light, _ = openT(t, path, testHeader, Options{Light: true})
	t.Cleanup(func() { j.Close() })
	return full, light
}

// readT reads a journal in a test, failing the test on error.
func readT(t testing.TB, path string) (Header, *State, []string) {
	t.Helper()
	h, st, warnings, err := Read(path)
	if err != nil {
		t.Fatalf("Read: %v", err)
	}
	return h, st, warnings
}

func allStatuses() []Entry {
	ts := t0.Add(1500 * time.Microsecond)
	return []Entry{
		{Row: 2, Key: "TKT-1|a", Status: Sending, TS: ts, Attempt: 1, Title: "Printer <on> fire & smoke"},
		{Row: 2, Key: "TKT-1|a", Status: Created, TS: ts, Attempt: 1, ID: "don:core:dvrv-us-1:devo/1:issue/42", DisplayID: "ISS-42", Type: "issue"},
		{Row: 3, Key: "TKT-2", Status: Invalid, TS: ts, Errors: []string{`priority: unknown value "P9"`, "title: empty\nreally"}},
		{Row: 4, Key: "TKT-3", Status: Failed, TS: ts, Attempt: 3, HTTPStatus: 400, Error: &ErrorInfo{Type: "bad_request", Message: "field \"x\" is unknown"}, Attempts: 3},
		{Row: 5, Key: "TKT-4", Status: Created, TS: ts, ID: "don:core:dvrv-us-1:devo/1:ticket/7", DisplayID: "TKT-7", Type: "ticket"},
		{Row: 5, Key: "TKT-4", Status: Deleted, TS: ts, ID: "don:core:dvrv-us-1:devo/1:ticket/7"},
	}
}

func TestRoundTripEveryStatus(t *testing.T) {
	path := filepath.Join(t.TempDir(), "cp.jsonl")
	j, st, warnings := openT(t, path, testHeader, Options{})
	if st.Len() != 0 || len(warnings) != 0 || j.Run() != 1 {
		t.Fatalf("new journal: len %d, warnings %q, run %d", st.Len(), warnings, j.Run())
	}
	in := allStatuses()
	for _, e := range in {
		appendT(t, j, e)
	}
	if err := j.Close(); err != nil {
		t.Fatal(err)
	}

	h, st, warnings := readT(t, path)
	if len(warnings) != 0 {
		t.Errorf("warnings: %q", warnings)
	}
	wantH := testHeader
	wantH.Version = Version
	wantH.Created = t0.Add(time.Millisecond).Truncate(time.Second)
	if !reflect.DeepEqual(h, wantH) {
		t.Errorf("header = %+v, want %+v", h, wantH)
	}
	want := map[string]Entry{}
	for _, e := range in {
		if cur, ok := want[e.Key]; !ok || cur.Status != Created || e.Status == Deleted {
			e.Op, e.V = OpCreate, EntryVersion // what Append writes on every entry
			want[e.Key] = e
		}
	}
	if st.Len() != len(want) {
		t.Errorf("Len = %d, want %d", st.Len(), len(want))
	}
	for k, w := range want {
		got, ok := st.Last(k)
		if !ok || !got.TS.Equal(w.TS) {
			t.Errorf("Last(%q) = %+v, %v; want %+v", k, got, ok, w)
			continue
		}
		got.TS = w.TS // same instant; compare the rest exactly
		if !reflect.DeepEqual(got, w) {
			t.Errorf("Last(%q) =\n %+v\nwant\n %+v", k, got, w)
		}
	}

	// Every line is one JSON object; the header comes first with its version.
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSuffix(string(raw), "\n"), "\n")
	if len(lines) != 1+len(in) {
		t.Fatalf("%d lines, want %d:\n%s", len(lines), 1+len(in), raw)
	}
	if !strings.HasPrefix(lines[0], `{"checkpoint":2,"input":"/data/tickets.csv","size":12345,"mapping_hash":"sha256:abc","tool":"devrev-import/test","created":"2025-03-01T12:00:00Z"`) {
		t.Errorf("header line = %s", lines[0])
	}
	if !strings.Contains(lines[1], `"title":"Printer <on> fire & smoke"`) {
		t.Errorf("title not written verbatim: %s", lines[1])
	}
	for i, l := range lines {
		if !json.Valid([]byte(l)) {
			t.Errorf("line %d is not JSON: %s", i+1, l)
		}
	}
}

func TestAppendStampsMissingTS(t *testing.T) {
	path := filepath.Join(t.TempDir(), "cp.jsonl")
	clock := throttletest.ClockFunc(func() time.Time { return t0 })
	j, _, _ := openT(t, path, testHeader, Options{Clock: clock})
	appendT(t, j, Entry{Row: 1, Key: "k", Status: Sending})
	if err := j.Close(); err != nil {
		t.Fatal(err)
	}
	_, st, _ := readT(t, path)
	if e, _ := st.Last("k"); !e.TS.Equal(t0) {
		t.Errorf("TS = %v, want %v", e.TS, t0)
	}
}

func TestAppendRejectsBadEntries(t *testing.T) {
	j, _, _ := openT(t, filepath.Join(t.TempDir(), "cp.jsonl"), testHeader, Options{})
	defer j.Close()
	for _, e := range []Entry{
		{Row: 1, Status: Created},
		{Row: 1, Key: "k"},
		{Row: 1, Key: "k", Status: "done"},
	} {
		if err := j.Append(e); err == nil {
			t.Errorf("Append(%+v) succeeded", e)
		}
	}
}

func TestFileMode0600(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("Windows has no Unix permission bits")
	}
	dir := t.TempDir()
	path := filepath.Join(dir, "cp.jsonl")
	j, _, _ := openT(t, path, testHeader, Options{})
	if err := j.Close(); err != nil {
		t.Fatal(err)
	}
	l, err := Lock(t.Context(), path, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer l.Unlock()
	for _, p := range []string{path, path + ".lock"} {
		fi, err := os.Stat(p)
		if err != nil {
			t.Fatal(err)
		}
		if fi.Mode().Perm() != 0o600 {
			t.Errorf("%s mode = %v, want 0600", filepath.Base(p), fi.Mode().Perm())
		}
	}
}

func TestReopenAppendsRunLineAndKeepsState(t *testing.T) {
	path := filepath.Join(t.TempDir(), "cp.jsonl")
	j, _, _ := openT(t, path, testHeader, Options{})
	appendT(t, j, Entry{Row: 2, Key: "a", Status: Created, ID: "w1"})
	appendT(t, j, Entry{Row: 3, Key: "b", Status: Sending, Title: "B"})
	if err := j.Close(); err != nil {
		t.Fatal(err)
	}

	j, st, warnings := openT(t, path, testHeader, Options{})
	if len(warnings) != 0 {
		t.Errorf("warnings: %q", warnings)
	}
	if j.Run() != 2 || st.Runs() != 1 {
		t.Errorf("Run = %d, state Runs = %d; want 2, 1", j.Run(), st.Runs())
	}
	if got := st.Counts(); got[Created] != 1 || got[Sending] != 1 {
		t.Errorf("Counts = %v", got)
	}
	appendT(t, j, Entry{Row: 3, Key: "b", Status: Created, ID: "w2"})
	if err := j.Close(); err != nil {
		t.Fatal(err)
	}

	j, st, _ = openT(t, path, testHeader, Options{})
	defer j.Close()
	if j.Run() != 3 || st.Runs() != 2 || st.Counts()[Created] != 2 || len(st.InDoubt()) != 0 {
		t.Errorf("third run: Run %d, Runs %d, Counts %v, InDoubt %v", j.Run(), st.Runs(), st.Counts(), st.InDoubt())
	}
	raw, _ := os.ReadFile(path)
	if !bytes.Contains(raw, []byte(`{"run":2,"started":"2025-03-01T12:00:00.001Z","input":"/data/tickets.csv"`)) {
		t.Errorf("no run line for run 2:\n%s", raw)
	}
}

func TestHeaderMismatchWarns(t *testing.T) {
	tests := []struct {
		name string
		edit func(*Header)
		n    int      // number of warnings
		want []string // substrings the warnings must contain
	}{
		{"same", func(*Header) {}, 0, nil},
		{"tool and time differ", func(h *Header) { h.Tool = "devrev-import/9"; h.Created = t0 }, 0, nil},
		{"input path", func(h *Header) { h.Input = "/data/other.csv"; h.Size = 1 }, 1, []string{"written for input /data/tickets.csv, not /data/other.csv"}},
		{"input size", func(h *Header) { h.Size = 99 }, 1, []string{"changed size", "12345 bytes, now 99"}},
		{"mapping", func(h *Header) { h.MappingHash = "sha256:def" }, 1, []string{"mapping changed", "sha256:abc, now sha256:def"}},
		{"size and mapping", func(h *Header) { h.Size = 1; h.MappingHash = "x" }, 2, []string{"changed size", "mapping changed"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "cp.jsonl")
			j, _, _ := openT(t, path, testHeader, Options{})
			if err := j.Close(); err != nil {
				t.Fatal(err)
			}
			h := testHeader
			tt.edit(&h)
			j, _, warnings := openT(t, path, h, Options{})
			defer j.Close()
			if len(warnings) != tt.n {
				t.Errorf("%d warnings %q, want %d", len(warnings), warnings, tt.n)
			}
			all := strings.Join(warnings, "\n")
			for _, w := range tt.want {
				if !strings.Contains(all, w) {
					t.Errorf("warnings %q lack %q", warnings, w)
				}
			}
		})
	}
}

func TestConcurrentAppends(t *testing.T) {
	path := filepath.Join(t.TempDir(), "cp.jsonl")
	j, _, _ := openT(t, path, testHeader, Options{SyncEvery: time.Millisecond})
	const writers, per = 8, 400
	title := strings.Repeat("long title ", 40) // lines of ~600 bytes
	var wg sync.WaitGroup
	errs := make(chan error, writers)
	for w := range writers {
		wg.Go(func() {
			for i := range per {
				key := fmt.Sprintf("w%d-%d", w, i)
				if err := j.Append(Entry{Row: i, Key: key, Status: Sending, Title: title}); err != nil {
					errs <- err
					return
				}
				if err := j.Append(Entry{Row: i, Key: key, Status: Created, ID: "id-" + key}); err != nil {
					errs <- err
					return
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	if err := j.Close(); err != nil {
		t.Fatal(err)
	}
	_, st, warnings := readT(t, path)
	if len(warnings) != 0 {
		t.Errorf("warnings: %q", warnings)
	}
	if st.Len() != writers*per || st.Counts()[Created] != writers*per {
		t.Fatalf("Len %d, Counts %v; want %d created", st.Len(), st.Counts(), writers*per)
	}
	for w := range writers {
		for i := range per {
			key := fmt.Sprintf("w%d-%d", w, i)
			if e, ok := st.Last(key); !ok || e.ID != "id-"+key {
				t.Fatalf("Last(%q) = %+v, %v", key, e, ok)
			}
		}
	}
}

// syncCounter counts fsyncs through the test hook.
type syncCounter struct {
	mu sync.Mutex
	n  int
	ch chan struct{}
}

func newSyncCounter() *syncCounter { return &syncCounter{ch: make(chan struct{}, 1000)} }

func (c *syncCounter) hook() {
	c.mu.Lock()
	c.n++
	c.mu.Unlock()
	c.ch <- struct{}{}
}

func (c *syncCounter) count() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.n
}

func TestSyncAndClose(t *testing.T) {
	path := filepath.Join(t.TempDir(), "cp.jsonl")
	c := newSyncCounter()
	j, _, _ := openT(t, path, testHeader, Options{SyncEvery: time.Hour, syncHook: c.hook})
	if c.count() != 0 {
		t.Errorf("Open fsynced %d times, want 0 (the header was fsynced before the file got its name)", c.count())
	}
	appendT(t, j, Entry{Row: 1, Key: "a", Status: Sending})
	appendT(t, j, Entry{Row: 1, Key: "a", Status: Created})
	if err := j.Sync(); err != nil {
		t.Fatal(err)
	}
	if c.count() != 1 {
		t.Errorf("after Sync: %d fsyncs, want 1", c.count())
	}
	if err := j.Sync(); err != nil {
		t.Fatal(err)
	}
	if c.count() != 1 {
		t.Errorf("Sync with nothing new fsynced again (%d)", c.count())
	}
	appendT(t, j, Entry{Row: 2, Key: "b", Status: Invalid, Errors: []string{"x"}})
	if err := j.Close(); err != nil {
		t.Fatal(err)
	}
	if c.count() != 2 {
		t.Errorf("Close did not fsync the last line (%d fsyncs)", c.count())
	}
	if err := j.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
	if err := j.Append(Entry{Key: "c", Status: Sending}); !errors.Is(err, ErrClosed) {
		t.Errorf("Append after Close = %v, want ErrClosed", err)
	}
	if err := j.Sync(); !errors.Is(err, ErrClosed) {
		t.Errorf("Sync after Close = %v, want ErrClosed", err)
	}
	_, st, _ := readT(t, path)
	if st.Len() != 2 {
		t.Errorf("Len after Close = %d, want 2", st.Len())
	}
}

func TestBackgroundSync(t *testing.T) {
	c := newSyncCounter()
	j, _, _ := openT(t, filepath.Join(t.TempDir(), "cp.jsonl"), testHeader, Options{SyncEvery: time.Millisecond, syncHook: c.hook})
	defer j.Close()
	// The header was fsynced before the file got its name, not through j.
	appendT(t, j, Entry{Row: 1, Key: "a", Status: Sending})
	select {
	case <-c.ch:
	case <-time.After(10 * time.Second):
		t.Fatal("the background goroutine never fsynced the appended line")
	}
}

func TestSyncEveryAppend(t *testing.T) {
	c := newSyncCounter()
	j, _, _ := openT(t, filepath.Join(t.TempDir(), "cp.jsonl"), testHeader, Options{SyncEvery: -1, syncHook: c.hook})
	for i := range 5 {
		appendT(t, j, Entry{Row: i, Key: fmt.Sprint(i), Status: Sending})
	}
	if c.count() != 5 {
		t.Errorf("%d fsyncs, want 5 (one per append)", c.count())
	}
	if err := j.Close(); err != nil {
		t.Fatal(err)
	}
}

func TestWriteFailureIsSticky(t *testing.T) {
	j, _, _ := openT(t, filepath.Join(t.TempDir(), "cp.jsonl"), testHeader, Options{SyncEvery: time.Hour})
	if err := j.f.Close(); err != nil { // simulate a failing disk
		t.Fatal(err)
	}
	err1 := j.Append(Entry{Row: 1, Key: "a", Status: Sending})
	if err1 == nil || !strings.Contains(err1.Error(), "writing checkpoint") {
		t.Fatalf("Append on a broken file = %v, want a write error", err1)
	}
	if err := j.Append(Entry{Row: 2, Key: "b", Status: Sending}); err != err1 {
		t.Errorf("next Append = %v, want the same sticky error", err)
	}
	if err := j.Sync(); err != err1 {
		t.Errorf("Sync = %v, want the sticky error", err)
	}
	if err := j.Close(); !errors.Is(err, err1) {
		t.Errorf("Close = %v, want it to report the sticky error", err)
	}
}
