package checkpoint

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

const (
	hdrLine = `{"checkpoint":1,"input":"/data/tickets.csv","size":12345,"mapping_hash":"sha256:abc","created":"2025-03-01T12:00:00Z","tool":"t"}` + "\n"
	lineA   = `{"row":2,"key":"a","status":"created","ts":"2025-03-01T12:00:01Z","id":"w1"}` + "\n"
	lineB   = `{"row":3,"key":"b","status":"sending","ts":"2025-03-01T12:00:02Z","attempt":1,"title":"B"}` + "\n"
	runLn   = `{"run":2,"started":"2025-03-01T13:00:00Z","input":"/data/tickets.csv","size":12345,"mapping_hash":"sha256:abc","tool":"t"}` + "\n"
)

func writeFile(t *testing.T, content string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "cp.jsonl")
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestReadDamage(t *testing.T) {
	tests := []struct {
		name    string
		content string
		keys    int    // distinct keys read
		warn    string // substring of the only warning, "" for none
		err     string // substring of the error, "" for success
		kept    string // what Open keeps of the file before appending ("" when err)
	}{
		{name: "clean", content: hdrLine + lineA + lineB, keys: 2, kept: hdrLine + lineA + lineB},
		{name: "run lines and blank lines", content: hdrLine + lineA + "\n" + runLn + "  \n" + lineB, keys: 2, kept: hdrLine + lineA + "\n" + runLn + "  \n" + lineB},
		{name: "torn last line", content: hdrLine + lineA + lineB[:30], keys: 1, warn: "line 3: ignoring torn last line (30 bytes)", kept: hdrLine + lineA},
		{name: "torn last line then blank", content: hdrLine + lineA + lineB[:30] + "\n\n", keys: 1, warn: "line 3: ignoring torn last line", kept: hdrLine + lineA},
		{name: "garbage terminated last line", content: hdrLine + lineA + "{\"row\":3,\"ke\n", keys: 1, warn: "line 3: ignoring torn last line", kept: hdrLine + lineA},
		{name: "NUL tail after power loss", content: hdrLine + lineA + "\x00\x00\x00\x00", keys: 1, warn: "ignoring torn last line (4 bytes)", kept: hdrLine + lineA},
		{name: "complete last line missing its newline", content: hdrLine + lineA + strings.TrimSuffix(lineB, "\n"), keys: 2, kept: hdrLine + lineA + lineB},
		{name: "corrupt middle line", content: hdrLine + lineA + lineB[:30] + "\n" + lineB, err: "line 3: damaged line"},
		{name: "corrupt line followed by torn line", content: hdrLine + "xx\n" + lineB[:20], err: "line 2: damaged line"},
		{name: "unknown status", content: hdrLine + `{"row":1,"key":"a","status":"done","ts":"2025-03-01T12:00:01Z"}` + "\n", err: `line 2: entry "a" has unknown status "done"`},
		{name: "unknown status last line is not torn", content: hdrLine + `{"row":1,"key":"a","status":"done"}`, err: "line 2:"},
		{name: "missing key", content: hdrLine + `{"row":7,"status":"created"}` + "\n", err: "line 2: entry for row 7 has no key"},
		{name: "wrong type", content: hdrLine + `{"row":"seven","key":"a","status":"created"}` + "\n", err: "line 2:"},
		{name: "second header", content: hdrLine + lineA + hdrLine, err: "line 3: unexpected second checkpoint header"},
		{name: "no header", content: lineA + lineB, err: "line 1: not a checkpoint file"},
		{name: "newer version", content: `{"checkpoint":3}` + "\n" + lineA, err: "version 3 is not supported"},
		{name: "a CSV file", content: "id,title\nTKT-1,Printer\n", err: "is not a checkpoint file (its first line is not a JSON object)"},
		{name: "a one-line text file", content: "hello world", err: "is not a checkpoint file"},
		{name: "torn header", content: hdrLine[:25], warn: "ignoring its torn header (25 bytes)", kept: ""},
		{name: "header cut before its key", content: `{"chec`, warn: "torn header", kept: ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := writeFile(t, tt.content)
			_, st, warnings, err := Read(path)
			if tt.err != "" {
				if err == nil || !strings.Contains(err.Error(), tt.err) {
					t.Fatalf("Read error = %v, want one containing %q", err, tt.err)
				}
				// Open refuses too, and leaves the file alone.
				if _, _, _, err := Open(path, testHeader, Options{}); err == nil || !strings.Contains(err.Error(), tt.err) {
					t.Errorf("Open error = %v, want one containing %q", err, tt.err)
				}
				if b, _ := os.ReadFile(path); string(b) != tt.content {
					t.Errorf("Open changed a damaged file to %q", b)
				}
				return
			}
			if err != nil {
				t.Fatalf("Read: %v", err)
			}
			checkWarn(t, "Read", warnings, tt.warn)
			if st.Len() != tt.keys {
				t.Errorf("Len = %d, want %d", st.Len(), tt.keys)
			}

			// Open repairs the tail, then appends cleanly after the kept part.
			j, _, _ := openT(t, path, testHeader, Options{})
			appendT(t, j, Entry{Row: 9, Key: "z", Status: Invalid, Errors: []string{"e"}})
			if err := j.Close(); err != nil {
				t.Fatal(err)
			}
			b, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			if !strings.HasPrefix(string(b), tt.kept) {
				t.Errorf("after Open the file starts\n%q\nwant\n%q", b, tt.kept)
			}
			_, st2, warnings, err := Read(path)
			if err != nil {
				t.Fatalf("Read after Open+Append: %v\n%s", err, b)
			}
			if len(warnings) != 0 {
				t.Errorf("warnings after repair: %q", warnings)
			}
			if st2.Len() != tt.keys+1 {
				t.Errorf("Len after append = %d, want %d", st2.Len(), tt.keys+1)
			}
		})
	}
}

func checkWarn(t *testing.T, what string, warnings []string, want string) {
	t.Helper()
	switch {
	case want == "" && len(warnings) != 0:
		t.Errorf("%s warnings %q, want none", what, warnings)
	case want != "" && (len(warnings) != 1 || !strings.Contains(warnings[0], want)):
		t.Errorf("%s warnings %q, want one containing %q", what, warnings, want)
	}
}

func TestOpenWarnsAboutRepairs(t *testing.T) {
	path := writeFile(t, hdrLine+lineA+lineB[:10])
	j, st, warnings := openT(t, path, Header{Input: "/data/tickets.csv", Size: 12345, MappingHash: "sha256:abc"}, Options{})
	defer j.Close()
	checkWarn(t, "Open", warnings, "ignoring torn last line (10 bytes)")
	if st.Len() != 1 {
		t.Errorf("Len = %d, want 1", st.Len())
	}
}

// An empty checkpoint remembers nothing, though its rows may exist (the
// file was truncated, or an output was pointed at it): it is refused, not
// started anew, and left as it is.
func TestOpenRefusesAnEmptyFile(t *testing.T) {
	for _, content := range []string{"", "\n\n  \n"} {
		path := writeFile(t, content)
		_, _, warnings, err := Read(path)
		if err != nil {
			t.Fatal(err)
		}
		checkWarn(t, "Read", warnings, "is empty")
		if _, _, _, err := Open(path, testHeader, Options{}); err == nil || !strings.Contains(err.Error(), "is empty") {
			t.Errorf("Open of %q: %v, want an error saying it is empty", content, err)
		}
		if b, _ := os.ReadFile(path); string(b) != content {
			t.Errorf("Open changed an empty file to %q", b)
		}
	}
}

// A new checkpoint appears with its header or not at all: no temporary
// file is left behind.
func TestOpenCreatesWithTheHeader(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "cp.jsonl")
	j, st, _ := openT(t, path, testHeader, Options{})
	if j.Run() != 1 || st.Runs() != 0 || j.Header().Version != Version {
		t.Errorf("Run %d Runs %d Version %d, want 1, 0, %d", j.Run(), st.Runs(), j.Header().Version, Version)
	}
	if err := j.Close(); err != nil {
		t.Fatal(err)
	}
	ents, _ := os.ReadDir(dir)
	if len(ents) != 1 {
		t.Errorf("the directory holds %d files, want only the checkpoint", len(ents))
	}
	fi, err := os.Stat(path)
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Errorf("checkpoint mode %v (%v), want 0600", fi.Mode(), err)
	}
	h, _, _ := readT(t, path)
	if h.Input != testHeader.Input {
		t.Errorf("header not written: %+v", h)
	}
}

func TestReadMissingFile(t *testing.T) {
	_, _, _, err := Read(filepath.Join(t.TempDir(), "nope.jsonl"))
	if !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("Read of a missing file = %v, want fs.ErrNotExist", err)
	}
}

func TestReadLongLine(t *testing.T) {
	long := strings.Repeat("é", 100_000) // longer than the read buffer
	path := filepath.Join(t.TempDir(), "cp.jsonl")
	j, _, _ := openT(t, path, testHeader, Options{})
	appendT(t, j, Entry{Row: 1, Key: "a", Status: Invalid, Errors: []string{long}})
	appendT(t, j, Entry{Row: 2, Key: "b", Status: Sending, Title: long})
	if err := j.Close(); err != nil {
		t.Fatal(err)
	}
	_, st, _ := readT(t, path)
	a, _ := st.Last("a")
	b, _ := st.Last("b")
	if len(a.Errors) != 1 || a.Errors[0] != long || b.Title != long {
		t.Error("long lines did not survive the round trip")
	}
}
