package checkpoint

import (
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

func identHeader() Header {
	h := testHeader
	h.Endpoint, h.Org = "https://api.devrev.ai", "don:identity:dvrv-us-1:devo/a"
	h.Key = &KeyDef{Columns: []string{"Issue key"}}
	h.Mapping = map[string]string{`column "Summary"`: "title", `column "Priority"`: "severity"}
	return h
}

func TestOpenRefusesAnotherEndpointOrgOrKey(t *testing.T) {
	tests := []struct {
		name   string
		change func(h *Header)
		want   string
	}{
		{"endpoint", func(h *Header) { h.Endpoint = "sandbox" }, "belongs to endpoint https://api.devrev.ai, but this run uses sandbox"},
		{"org", func(h *Header) { h.Org = "don:identity:dvrv-us-1:devo/b" }, "belongs to org don:identity:dvrv-us-1:devo/a, but the token is of org don:identity:dvrv-us-1:devo/b"},
		{"key changed", func(h *Header) { h.Key = &KeyDef{Columns: []string{"Summary"}} },
			`the checkpoint's rows are keyed by "Issue key"; this run keys by "Summary": every row would be created again`},
		{"key removed", func(h *Header) { h.Key = &KeyDef{Hashed: []string{"summary"}} }, `keyed by "Issue key"; this run keys by a hash`},
		{"key added", func(h *Header) { h.Key = &KeyDef{Columns: []string{"Issue key", "Project"}} }, `this run keys by "Issue key", "Project"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "cp.jsonl")
			j, _, _ := openT(t, path, identHeader(), Options{})
			appendT(t, j, Entry{Row: 2, Key: "a", Status: Created, ID: "w1"})
			j.Close()
			before, _ := os.ReadFile(path)
			h := identHeader()
			tt.change(&h)
			_, _, _, err := Open(path, h, Options{})
			var ce *ConflictError
			if !errors.As(err, &ce) || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("Open = %v, want a *ConflictError containing %q", err, tt.want)
			}
			if after, _ := os.ReadFile(path); string(after) != string(before) {
				t.Error("a refused run wrote to the checkpoint")
			}
		})
	}
	// Same key columns in another case, or a keyless run on a keyless
	// checkpoint (it hashes the recorded columns): fine.
	path := filepath.Join(t.TempDir(), "cp.jsonl")
	j, _, _ := openT(t, path, identHeader(), Options{})
	j.Close()
	h := identHeader()
	h.Key = &KeyDef{Columns: []string{"ISSUE KEY"}}
	j, _, _ = openT(t, path, h, Options{})
	j.Close()

	path = filepath.Join(t.TempDir(), "cp.jsonl")
	h.Key = &KeyDef{Hashed: []string{"a", "b"}}
	j, _, _ = openT(t, path, h, Options{})
	j.Close()
	h.Key = &KeyDef{Hashed: []string{"a", "b", "c"}}
	j, _, _ = openT(t, path, h, Options{})
	defer j.Close()
	if got := j.Header().Key.Hashed; !reflect.DeepEqual(got, []string{"a", "b"}) {
		t.Errorf("keyless run adopts hashed columns %q, want the checkpoint's [a b]", got)
	}
}

// A version 1 checkpoint records no endpoint, org or key: the first run of
// this version records its own in its run line, and later runs are held
// to them.
func TestVersion1CheckpointAdoptsTheFirstIdentity(t *testing.T) {
	path := writeFile(t, hdrLine+lineA)
	j, st, _ := openT(t, path, identHeader(), Options{})
	if h := j.Header(); h.Version != 1 || h.Key == nil || h.Key.Columns[0] != "Issue key" || h.Endpoint != "https://api.devrev.ai" {
		t.Errorf("Header = %+v", h)
	}
	if st.Len() != 1 {
		t.Errorf("Len %d", st.Len())
	}
	j.Close()
	h := identHeader()
	h.Key = &KeyDef{Columns: []string{"Summary"}}
	if _, _, _, err := Open(path, h, Options{}); err == nil || !strings.Contains(err.Error(), `keyed by "Issue key"`) {
		t.Errorf("second run with another key: %v", err)
	}
	rh, _, _ := readT(t, path)
	if rh.Version != 1 || rh.Org != identHeader().Org {
		t.Errorf("Read's header %+v", rh)
	}
}

func TestMappingChangeIsNamed(t *testing.T) {
	path := filepath.Join(t.TempDir(), "cp.jsonl")
	j, _, _ := openT(t, path, identHeader(), Options{})
	j.Close()

	h := identHeader()
	h.MappingHash = "sha256:def"
	h.Mapping = map[string]string{`column "Summary"`: "title", `column "Priority"`: "priority", `column "Due"`: "target_close_date"}
	j, _, warns := openT(t, path, h, Options{})
	j.Close()
	checkWarn(t, "Open", warns, `the mapping changed since checkpoint `+path+` was last used: column "Due" is new (target_close_date); column "Priority": priority, was severity`)

	// Unchanged since the last run: no warning again.
	j, _, warns = openT(t, path, h, Options{})
	j.Close()
	checkWarn(t, "Open", warns, "")

	// The file changed, not what it maps (a comment): no warning.
	h.MappingHash = "sha256:0123"
	j, _, warns = openT(t, path, h, Options{})
	j.Close()
	checkWarn(t, "Open", warns, "")
}

// A version 1 checkpoint does not record its key, but its keys show
// whether rows were keyed or hashed: a first run keying them the other way
// is refused too.
func TestVersion1CheckpointKeyShapeIsChecked(t *testing.T) {
	hashed := `{"row":2,"key":"h:0123456789abcdef","status":"created","ts":"2025-03-01T12:00:01Z","id":"w1"}` + "\n"
	keyed := Header{Input: "/data/tickets.csv", Key: &KeyDef{Columns: []string{"Issue key"}}}
	keyless := Header{Input: "/data/tickets.csv", Key: &KeyDef{Hashed: []string{"summary"}}}
	for _, tt := range []struct {
		name    string
		content string
		hdr     Header
		want    string
	}{
		{"hashed rows, keyed run", hdrLine + hashed, keyed, `keyed by a hash of each row's mapped cells (no key); this run keys by "Issue key"`},
		{"keyed rows, keyless run", hdrLine + lineA, keyless, `keyed by key columns (which ones, a checkpoint of this age does not record); this run keys by a hash`},
	} {
		_, _, _, err := Open(writeFile(t, tt.content), tt.hdr, Options{})
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s: %v, want %q", tt.name, err, tt.want)
		}
	}
	for _, ok := range []struct {
		content string
		hdr     Header
	}{{hdrLine + hashed, keyless}, {hdrLine + lineA, keyed}, {hdrLine, keyed}} {
		j, _, _ := openT(t, writeFile(t, ok.content), ok.hdr, Options{})
		j.Close()
	}
}
