//go:build unix

package source

import (
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

// TestOpenRefusesStreams: a named pipe (or "-", or a terminal) is read
// more than once, so it is refused with one message saying to save it to
// a file, not read once by the sniff and then found "empty".
func TestOpenRefusesStreams(t *testing.T) {
	fifo := filepath.Join(t.TempDir(), "rows.csv")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Skipf("mkfifo: %v", err)
	}
	for path, want := range map[string]string{fifo: "is a pipe or a device, not a file: save it to a file", "-": "standard input cannot be read: save it to a file"} {
		_, err := Open(path, Options{})
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("Open(%q) = %v, want %q", path, err, want)
		}
		if _, err := Count(path, Options{}); err == nil {
			t.Errorf("Count(%q) succeeded", path)
		}
	}
}
