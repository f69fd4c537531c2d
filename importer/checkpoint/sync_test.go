package checkpoint

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"sync"
	"testing"
)

const workID = "don:core:dvrv-us-1:devo/x:issue/7"

func fh(kv ...string) map[string]string {
	m := map[string]string{}
	for i := 0; i+1 < len(kv); i += 2 {
		m[kv[i]] = kv[i+1]
	}
	return m
}

func raw(s string) json.RawMessage { return json.RawMessage(s) }

// Lines of a sync: every new line kind and its state transitions, read
// back fully and light (through a real file: a light State reads the
// hashes from it).
func TestSyncLineKinds(t *testing.T) {
	fh1 := fh("title", "aaaaaaaa", "owned_by", "bbbbbbbb")
	fh2 := fh("title", "cccccccc", "owned_by", "bbbbbbbb")
	created := Entry{Key: "k", Status: Created, ID: workID, DisplayID: "ISS-7", Type: "issue", FH: fh1}
	found := Entry{Key: "k", Status: Found, ID: workID, DisplayID: "ISS-7", Type: "issue", FH: fh1,
		Before: map[string]json.RawMessage{"title": raw(`"Old"`), "owned_by": raw(`["DEVU-1"]`)}}
	updating := Entry{Key: "k", Status: Updating, ID: workID, Fields: []string{"title"}, Before: map[string]json.RawMessage{"title": raw(`"Old"`)}}
	updated := Entry{Key: "k", Status: Updated, ID: workID, DisplayID: "ISS-7", Type: "issue", Fields: []string{"title"}, FH: fh2}
	tests := []struct {
		name    string
		in      []Entry
		last    Status
		lastOp  Op
		has     bool // Sent says the key has a work
		known   bool // and knows its hashes
		fh      map[string]string
		inDoubt []string
		sum     bool // SentSum answers from memory
	}{
		{"created with hashes", []Entry{created}, Created, OpCreate, true, true, fh1, nil, true},
		{"created, updating, updated", []Entry{created, updating, updated}, Created, OpCreate, true, true, fh2, nil, true},
		{"created, update in doubt", []Entry{created, updating}, Created, OpCreate, true, true, fh("owned_by", "bbbbbbbb"), []string{"title"}, false},
		{"found, update in doubt", []Entry{found, updating}, Updating, OpUpdate, true, true, fh("owned_by", "bbbbbbbb"), []string{"title"}, false},
		{"found, in doubt, resent, updated", []Entry{found, updating, updating, updated}, Updated, OpUpdate, true, true, fh2, nil, true},
		{"found unchanged", []Entry{found}, Found, OpUpdate, true, true, fh1, nil, true},
		{"updated then deleted", []Entry{created, updating, updated, {Key: "k", Status: Deleted, ID: workID}}, Deleted, OpCreate, false, false, nil, nil, false},
		{"legacy created without hashes", []Entry{{Key: "k", Status: Created, ID: workID, DisplayID: "ISS-7", Type: "issue"}}, Created, OpCreate, true, false, nil, nil, false},
		{"legacy created, then updated", []Entry{{Key: "k", Status: Created, ID: workID, DisplayID: "ISS-7", Type: "issue"}, updating, updated}, Created, OpCreate, true, true, fh2, nil, true},
		// A failed update leaves the work known (and an earlier doubt).
		{"found, in doubt, failed", []Entry{found, updating, {Key: "k", Op: OpUpdate, Status: Failed, HTTPStatus: 400, Error: &ErrorInfo{Type: "bad_request"}}},
			Updating, OpUpdate, true, true, fh("owned_by", "bbbbbbbb"), []string{"title"}, false},
		{"created, update failed", []Entry{created, {Key: "k", Op: OpUpdate, Status: Failed, HTTPStatus: 400}}, Created, OpCreate, true, true, fh1, nil, true},
		{"found, stray sending", []Entry{found, {Key: "k", Status: Sending}}, Found, OpUpdate, true, true, fh1, nil, true},
		{"update mode: not found", []Entry{{Key: "k", Op: OpUpdate, Status: Failed, Error: &ErrorInfo{Type: "not_found"}}}, Failed, OpUpdate, false, false, nil, nil, false},
		{"re-created after deleted", []Entry{found, updating, updated, {Key: "k", Status: Deleted, ID: workID}, created}, Created, OpCreate, true, true, fh1, nil, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			other := Entry{Key: "other", Status: Created, ID: "don:core:dvrv-us-1:devo/x:issue/8", FH: fh("title", "zzzzzzzz")}
			full, light := fullAndLight(t, append([]Entry{other}, tt.in...)...)
			for _, st := range []*State{full, light} {
				mode := map[bool]string{true: "light", false: "full"}[st.light != nil]
				e, _ := st.Last("k")
				if e.Status != tt.last || e.Op != tt.lastOp {
					t.Errorf("%s: Last = %s %s, want %s %s", mode, e.Op, e.Status, tt.lastOp, tt.last)
				}
				w, has, err := st.Sent("k")
				if err != nil || has != tt.has || w.Known != tt.known || !reflect.DeepEqual(w.FH, tt.fh) || !reflect.DeepEqual(w.InDoubt, tt.inDoubt) {
					t.Errorf("%s: Sent = %+v, %v, %v; want has %v known %v fh %v in doubt %v", mode, w, has, err, tt.has, tt.known, tt.fh, tt.inDoubt)
				}
				if has && (w.ID != workID || tt.known && (w.DisplayID != "ISS-7" || w.Type != "issue")) {
					t.Errorf("%s: Sent names %q %q %q", mode, w.ID, w.DisplayID, w.Type)
				}
				sum, ok := st.SentSum("k")
				if ok != tt.sum || ok && sum != SumHashes(tt.fh) {
					t.Errorf("%s: SentSum = %x, %v; want %v (%x)", mode, sum, ok, tt.sum, SumHashes(tt.fh))
				}
				if has != st.WasCreated(workID) {
					t.Errorf("%s: WasCreated(%s) = %v, want %v", mode, workID, !has, has)
				}
				if w, _, _ := st.Sent("other"); w.FH["title"] != "zzzzzzzz" {
					t.Errorf("%s: Sent(other) = %+v", mode, w)
				}
			}
		})
	}
}

// Update lines are refused when they make no sense: an update line under
// another op, or one that names no work.
func TestSyncLinesValidated(t *testing.T) {
	for _, e := range []Entry{
		{Key: "k", Op: OpCreate, Status: Updating, ID: workID},
		{Key: "k", Op: OpCreate, Status: Updated, ID: workID},
		{Key: "k", Status: Found},
		{Key: "k", Status: Updating, Fields: []string{"title"}},
	} {
		if err := e.validate(); err == nil {
			t.Errorf("%+v accepted", e)
		}
	}
	path := filepath.Join(t.TempDir(), "cp.jsonl")
	j, _, _ := openT(t, path, testHeader, Options{})
	appendT(t, j, Entry{Key: "k", Status: Found, ID: workID})
	appendT(t, j, Entry{Key: "k", Status: Updating, ID: workID, Fields: []string{"title"}})
	if err := j.Close(); err != nil {
		t.Fatal(err)
	}
	data, _ := os.ReadFile(path)
	for _, want := range []string{`"key":"k","op":"update","v":2,"status":"found"`, `"op":"update","v":2,"status":"updating"`, `"fields":["title"]`} {
		if !strings.Contains(string(data), want) {
			t.Errorf("journal lacks %s:\n%s", want, data)
		}
	}
}

// SumHashes depends on the pairs, not on the map's order, and tells
// fields apart from their hashes.
func TestSumHashes(t *testing.T) {
	a := fh("title", "aaaaaaaa", "owned_by", "bbbbbbbb")
	b := fh("owned_by", "bbbbbbbb", "title", "aaaaaaaa")
	if SumHashes(a) != SumHashes(b) {
		t.Error("order changed the sum")
	}
	for _, other := range []map[string]string{
		fh("title", "aaaaaaab", "owned_by", "bbbbbbbb"),
		fh("title", "bbbbbbbb", "owned_by", "aaaaaaaa"),
		fh("title", "aaaaaaaa"),
		fh("title", "aaaaaaaa", "owned_by", "bbbbbbbb", "tags", ""),
		fh("titleaaaaaaaa", "", "owned_by", "bbbbbbbb"),
	} {
		if SumHashes(other) == SumHashes(a) {
			t.Errorf("%v sums like %v", other, a)
		}
	}
	if SumHashes(nil) != 0 || SumHashes(map[string]string{}) != 0 {
		t.Error("an empty map does not sum to 0")
	}
}

// A light State's Sent reads the right line while other goroutines append
// to the journal (run with -race).
func TestLightSentWhileAppending(t *testing.T) {
	path := filepath.Join(t.TempDir(), "cp.jsonl")
	j, _, _ := openT(t, path, testHeader, Options{})
	const n = 200
	hashes := func(i int) map[string]string {
		return fh("title", fmt.Sprintf("t%07d", i), "custom_fields.tnt__x", fmt.Sprintf("x%07d", i), "body", strings.Repeat("b", i%50))
	}
	for i := range n {
		key := fmt.Sprint("k", i)
		appendT(t, j, Entry{Row: i, Key: key, Status: Sending, Title: strings.Repeat("long title ", i%300)})
		appendT(t, j, Entry{Row: i, Key: key, Status: Created, ID: fmt.Sprintf("don:core:dvrv-us-1:devo/x:issue/%d", i), DisplayID: fmt.Sprint("ISS-", i), Type: "issue", FH: hashes(i)})
	}
	if err := j.Close(); err != nil {
		t.Fatal(err)
	}
	j, st, _ := openT(t, path, testHeader, Options{Light: true})
	var wg sync.WaitGroup
	for w := range 3 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range n {
				key := fmt.Sprint("k", i)
				if err := j.Append(Entry{Row: i, Key: key, Status: Updating, ID: "x", Fields: []string{"title"}, Before: map[string]json.RawMessage{"title": raw(fmt.Sprintf(`"%d"`, w))}}); err != nil {
					t.Error(err)
					return
				}
			}
		}()
	}
	for w := range 2 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := w; i < n; i += 2 {
				key := fmt.Sprint("k", i)
				got, ok, err := st.Sent(key)
				if err != nil || !ok || !reflect.DeepEqual(got.FH, hashes(i)) || got.DisplayID != fmt.Sprint("ISS-", i) {
					t.Errorf("Sent(%s) = %+v, %v, %v", key, got, ok, err)
					return
				}
				if sum, ok := st.SentSum(key); !ok || sum != SumHashes(hashes(i)) {
					t.Errorf("SentSum(%s) = %x, %v", key, sum, ok)
				}
			}
		}()
	}
	wg.Wait()
	if err := j.Close(); err != nil {
		t.Fatal(err)
	}
	if _, _, err := st.Sent("k1"); err == nil {
		t.Error("Sent after Close read a closed file")
	}
}

// v2Fixture is a checkpoint written by devrev-import before updates
// existed (journal v2, creates only: an import of samples/tickets.csv into
// the sandbox, 12 created, 3 invalid); committed with git add -f.
const v2Fixture = "testdata/v2-creates.checkpoint.jsonl"

// A create-only v2 checkpoint still resumes: its created keys hold works
// whose sent values are unknown (the first upsert compares with DevRev),
// and a run appends update lines after them.
func TestV2CreatesFixtureResumes(t *testing.T) {
	data, err := os.ReadFile(v2Fixture)
	if err != nil {
		t.Fatal(err)
	}
	path := copyFixture(t, data)
	hdr, full, warns := readT(t, path)
	if len(warns) != 0 {
		t.Errorf("warnings: %q", warns)
	}
	if c := full.Counts(); c[Created] != 12 || c[Invalid] != 3 || len(c) != 2 {
		t.Errorf("counts %v, want 12 created, 3 invalid", c)
	}
	j, light, _ := openT(t, path, hdr, Options{Light: true})
	for _, st := range []*State{full, light} {
		w, ok, err := st.Sent("ZD-1001")
		if err != nil || !ok || w.Known || w.ID != "don:core:dvrv-us-1:devo/sandbox:ticket/1" || w.DisplayID != "TKT-1" || w.Type != "ticket" {
			t.Errorf("light=%v Sent(ZD-1001) = %+v, %v, %v", st.light != nil, w, ok, err)
		}
	}
	appendT(t, j, Entry{Row: 2, Key: "ZD-1001", Status: Updating, ID: "don:core:dvrv-us-1:devo/sandbox:ticket/1", Fields: []string{"title"}})
	appendT(t, j, Entry{Row: 2, Key: "ZD-1001", Status: Updated, ID: "don:core:dvrv-us-1:devo/sandbox:ticket/1", DisplayID: "TKT-1", Type: "ticket", Fields: []string{"title"}, FH: fh("title", "12345678")})
	if err := j.Close(); err != nil {
		t.Fatal(err)
	}
	_, st, _ := readT(t, path)
	if w, _, _ := st.Sent("ZD-1001"); !w.Known || w.FH["title"] != "12345678" {
		t.Errorf("after an update Sent(ZD-1001) = %+v", w)
	}
	if e, _ := st.Last("ZD-1001"); e.Status != Created {
		t.Errorf("after an update Last(ZD-1001) = %s, want still created", e.Status)
	}
}

// RowSum answers exactly when SentSum does and the line that recorded the
// hashes carried the row's digest; full and light States agree.
func TestRowSumFollowsTheHashes(t *testing.T) {
	r1, r2 := FormatRowSum(0x1234_5678_9abc_def0), FormatRowSum(7)
	created := Entry{Key: "k", Status: Created, ID: workID, Type: "issue", FH: fh("title", "aaaaaaaa"), RS: r1}
	updating := Entry{Key: "k", Status: Updating, ID: workID, Fields: []string{"title"}}
	updated := Entry{Key: "k", Status: Updated, ID: workID, Type: "issue", Fields: []string{"title"}, FH: fh("title", "cccccccc"), RS: r2}
	noRS := updated
	noRS.RS = ""
	bad := created
	bad.RS = "not-a-digest-xyz"
	found := Entry{Key: "k", Status: Found, ID: workID, Type: "issue", FH: fh("title", "aaaaaaaa"), RS: r1}
	tests := []struct {
		name string
		in   []Entry
		want string // "" = no answer
	}{
		{"created", []Entry{created}, r1},
		{"update in doubt", []Entry{created, updating}, ""},
		{"updated", []Entry{created, updating, updated}, r2},
		{"updated without a digest", []Entry{created, updating, noRS}, ""},
		{"update failed", []Entry{created, {Key: "k", Op: OpUpdate, Status: Failed, HTTPStatus: 400}}, r1},
		{"found", []Entry{found}, r1},
		{"deleted", []Entry{created, {Key: "k", Status: Deleted, ID: workID}}, ""},
		{"stray sending", []Entry{created, {Key: "k", Status: Sending}}, r1},
		{"malformed digest", []Entry{bad}, ""},
		{"hashes without a digest", []Entry{{Key: "k", Status: Created, ID: workID, FH: fh("title", "aaaaaaaa")}}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			full, light := fullAndLight(t, tt.in...)
			for mode, st := range map[string]*State{"full": full, "light": light} {
				sum, ok := st.RowSum("k")
				if got := map[bool]string{true: FormatRowSum(sum)}[ok]; got != tt.want {
					t.Errorf("%s: RowSum = %q, want %q", mode, got, tt.want)
				}
				if _, has := st.SentSum("k"); ok && !has {
					t.Errorf("%s: RowSum answers where SentSum does not", mode)
				}
			}
		})
	}
}

// A verified line gives the key's work a new row digest, and nothing
// else: not for a key without that work, with unknown hashes or with an
// update in doubt, and never its status, work or hashes (full and light).
func TestVerifiedLineSetsOnlyTheRowDigest(t *testing.T) {
	id := func(n int) string { return fmt.Sprint("don:core:dvrv-us-1:devo/x:issue/", n) }
	full, light := fullAndLight(t,
		Entry{Row: 2, Key: "a", Status: Created, ID: id(1), FH: fh("title", "1"), RS: FormatRowSum(1)},
		Entry{Row: 2, Key: "a", Status: Verified, ID: id(1), RS: FormatRowSum(2)},
		Entry{Row: 3, Key: "b", Status: Created, ID: id(2), FH: fh("title", "2"), RS: FormatRowSum(3)},
		Entry{Row: 3, Key: "b", Status: Verified, ID: id(9), RS: FormatRowSum(4)}, // another work
		Entry{Row: 4, Key: "c", Status: Created, ID: id(3)},                       // no hashes
		Entry{Row: 4, Key: "c", Status: Verified, ID: id(3), RS: FormatRowSum(5)},
		Entry{Row: 5, Key: "d", Status: Created, ID: id(4), FH: fh("title", "4"), RS: FormatRowSum(6)},
		Entry{Row: 5, Key: "d", Op: OpUpdate, Status: Updating, ID: id(4), Fields: []string{"title"}},
		Entry{Row: 5, Key: "d", Status: Verified, ID: id(4), RS: FormatRowSum(7)}, // in doubt
		Entry{Row: 6, Key: "e", Status: Verified, ID: id(5), RS: FormatRowSum(8)}) // unknown key
	for mode, st := range map[string]*State{"full": full, "light": light} {
		want := map[string]string{"a": "2 true", "b": "3 true", "c": "0 false", "d": "6 false", "e": "0 false"}
		for k, w := range want {
			rs, ok := st.RowSum(k)
			if got := fmt.Sprint(rs, " ", ok); got != w {
				t.Errorf("%s: RowSum(%s) = %s, want %s", mode, k, got, w)
			}
		}
		if e, _ := st.Last("a"); e.Status != Created || e.ID != id(1) {
			t.Errorf("%s: a's last line is %s %s", mode, e.Status, e.ID)
		}
		if _, ok := st.Last("e"); ok || st.Len() != 4 {
			t.Errorf("%s: a verified line made a key (%d keys)", mode, st.Len())
		}
		if sum, ok := st.SentSum("a"); !ok || sum != SumHashes(fh("title", "1")) {
			t.Errorf("%s: a's hashes changed", mode)
		}
	}
}
