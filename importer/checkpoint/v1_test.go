package checkpoint

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"
)

// v1Fixture is a checkpoint written by devrev-import before entries named
// their op (an import of samples/tickets.csv into the sandbox: 12 created,
// 3 invalid); it is committed (git add -f: *.checkpoint.jsonl is ignored).
const v1Fixture = "testdata/v1-entries.checkpoint.jsonl"

// A checkpoint written before ops existed is read as version 1 creates,
// fully and light, and a run appending to it writes version 2 entries
// after them.
func TestReadVersion1EntriesAsCreates(t *testing.T) {
	data, err := os.ReadFile(v1Fixture)
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(data, []byte(`"op":`)) {
		t.Fatalf("%s names ops: not a version 1 file", v1Fixture)
	}
	path := copyFixture(t, data)
	hdr, st, warns := readT(t, path)
	if len(warns) != 0 {
		t.Errorf("warnings: %q", warns)
	}
	counts := map[Status]int{}
	st.Each(func(e Entry) bool {
		if e.Op != OpCreate || e.V != 1 {
			t.Errorf("%s: op %q version %d, want a version 1 create", e.Key, e.Op, e.V)
		}
		counts[e.Status]++
		return true
	})
	if counts[Created] != 12 || counts[Invalid] != 3 || len(counts) != 2 {
		t.Errorf("statuses %v, want 12 created and 3 invalid", counts)
	}
	if e, ok := st.Last("ZD-1001"); !ok || e.ID != "don:core:dvrv-us-1:devo/sandbox:ticket/1" || e.DisplayID != "TKT-1" {
		t.Errorf("Last(ZD-1001) = %+v, %v", e, ok)
	}

	j, light, _ := openT(t, path, hdr, Options{Light: true})
	if e, ok := light.Last("ZD-1001"); !ok || e.Status != Created || e.Op != OpCreate {
		t.Errorf("light Last(ZD-1001) = %+v, %v; want a created create", e, ok)
	}
	appendT(t, j, Entry{Row: 2, Key: "ZD-1001", Status: Deleted, ID: "don:core:dvrv-us-1:devo/sandbox:ticket/1"})
	if err := j.Close(); err != nil {
		t.Fatal(err)
	}
	data, err = os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	lines := bytes.Split(bytes.TrimSpace(data), []byte("\n"))
	if last := lines[len(lines)-1]; !bytes.Contains(last, []byte(`"key":"ZD-1001","op":"create","v":2,"status":"deleted"`)) {
		t.Errorf("appended line %s, want a version 2 create entry", last)
	}
	_, st, _ = readT(t, path)
	if e, _ := st.Last("ZD-1001"); e.Status != Deleted || e.V != EntryVersion {
		t.Errorf("after the append Last(ZD-1001) = %+v, want a version %d deleted", e, EntryVersion)
	}
	if e, _ := st.Last("ZD-1002"); e.Status != Created || e.V != 1 {
		t.Errorf("Last(ZD-1002) = %+v, want the version 1 created", e)
	}
}

// copyFixture writes a committed checkpoint's bytes to a temporary file,
// so that a test may append to it.
func copyFixture(t *testing.T, data []byte) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "tickets.csv.checkpoint.jsonl")
	if err := os.WriteFile(path, data, 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// An entry of an op this build does not know (a newer tool's) is refused,
// not mistaken for a create.
func TestUnknownOpRefused(t *testing.T) {
	for _, e := range []Entry{
		{Row: 2, Key: "k", Op: "merge", Status: Created},
		{Row: 2, Key: "k", Op: OpLink, Status: Linked}, // a link line under a row's key
		{Row: 2, Key: "k", Op: OpCreate, V: EntryVersion + 1, Status: Created},
	} {
		if err := e.validate(); err == nil {
			t.Errorf("%+v accepted", e)
		}
	}
}
