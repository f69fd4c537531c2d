// Package report writes what a run leaves for people and scripts: the
// errors CSV (invalid and failed rows, ready to be fixed and fed back), the
// created-works CSV and the machine-readable summary.
package report

import (
	"bytes"
	"encoding/csv"
	"fmt"
	"io"
	"os"
	"sync"

	"github.com/devrev-import/devrev-import/importer/source"
)

// MaxCellBytes bounds a cell copied into the errors CSV: a longer one is
// cut to its first MaxCellBytes, and the row's `_error` says so, so that a
// hostile file of 50 MB cells does not make an errors CSV (and a process)
// of its size. 256 KiB is more than the longest value a work takes (a body
// of 65,536 characters of up to 4 bytes), so a cut cell is one that could
// not have been sent as it was anyway.
const MaxCellBytes = 256 << 10

// ownHeader is how the first line of every errors CSV this tool writes
// starts; a file at the errors CSV's path that does not start so is not
// removed (see Close).
const ownHeader = "_row,_error"

// ErrorsCSV collects invalid and failed rows. Its first two columns are
// `_row` (the row number a spreadsheet user sees) and `_error` (all of the
// row's messages), followed by the original header and cells, so the file
// can be fixed and imported as it is: the readers ignore `_row` and
// `_error`. The file is created only when the first row is added, with
// mode 0600, and every cell is neutralized against formula injection.
type ErrorsCSV struct {
	path   string
	header []string

	mu     sync.Mutex
	f      *os.File
	w      *csv.Writer
	rows   int
	err    error
	closed bool
	warn   string
}

// NewErrorsCSV prepares an errors CSV at path for rows under header.
// Nothing is written until Add is called.
func NewErrorsCSV(path string, header []string) *ErrorsCSV {
	return &ErrorsCSV{path: path, header: header}
}

// Path returns where the file is (or would be) written.
func (e *ErrorsCSV) Path() string { return e.path }

// Rows returns how many rows were added.
func (e *ErrorsCSV) Rows() int {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.rows
}

// Add appends one row with its messages. It is safe for concurrent use.
// The first error sticks and is returned by every later call and by Close.
func (e *ErrorsCSV) Add(row int, msgs []string, cells []string) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.err != nil {
		return e.err
	}
	if e.closed {
		return fmt.Errorf("errors CSV %s: add after close", e.path)
	}
	if e.f == nil {
		if e.err = e.create(); e.err != nil {
			return e.err
		}
	}
	rec := make([]string, 0, 2+len(cells))
	rec = append(rec, fmt.Sprint(row), "")
	rec = append(rec, cells...)
	for i, c := range rec[2:] {
		if len(c) > MaxCellBytes {
			rec[2+i] = source.CutUTF8(c, MaxCellBytes)
			msgs = append(msgs[:len(msgs):len(msgs)], fmt.Sprintf("%s: cut here to its first %d of %d bytes: copy it from the original file before feeding this file back", e.column(i), len(rec[2+i]), len(c)))
		}
	}
	rec[1] = joinMessages(msgs)
	if err := e.w.Write(neutralizeAll(rec)); err != nil {
		e.err = fmt.Errorf("write %s: %w", e.path, err)
		return e.err
	}
	e.rows++
	return nil
}

// column names cell i of a row for a note.
func (e *ErrorsCSV) column(i int) string {
	if i < len(e.header) {
		return fmt.Sprintf("column %q", e.header[i])
	}
	return fmt.Sprintf("cell %d", i+1)
}

func (e *ErrorsCSV) create() error {
	f, err := os.OpenFile(e.path, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o600)
	if err != nil {
		return fmt.Errorf("create errors CSV: %w", err)
	}
	e.f = f
	e.w = csv.NewWriter(f)
	hdr := append([]string{"_row", "_error"}, e.header...)
	if err := e.w.Write(neutralizeAll(hdr)); err != nil {
		return fmt.Errorf("write %s: %w", e.path, err)
	}
	return nil
}

// Close flushes and closes the file. When no row was added it removes a
// stale file left by an earlier run at the same path, so the path never
// shows errors that are already fixed, but only when that file is one
// this tool wrote (its first line starts "_row,_error"): any other file
// there is left alone and Warning says so.
func (e *ErrorsCSV) Close() error {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.closed {
		return e.err
	}
	e.closed = true
	if e.f == nil {
		if e.err == nil {
			e.err = e.removeStale()
		}
		return e.err
	}
	e.w.Flush()
	if err := e.w.Error(); err != nil && e.err == nil {
		e.err = fmt.Errorf("write %s: %w", e.path, err)
	}
	if err := e.f.Close(); err != nil && e.err == nil {
		e.err = fmt.Errorf("close %s: %w", e.path, err)
	}
	return e.err
}

// Warning returns, after Close, why a file at the path was left in place
// although the run had no rows for it; "" when there is nothing to say.
func (e *ErrorsCSV) Warning() string {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.warn
}

// removeStale removes the file at the path if it is an errors CSV of this
// tool, and records a warning when something else is there.
func (e *ErrorsCSV) removeStale() error {
	fi, err := os.Lstat(e.path)
	if os.IsNotExist(err) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("stale errors CSV %s: %w", e.path, err)
	}
	if !fi.Mode().IsRegular() || !startsWithOwnHeader(e.path) {
		e.warn = fmt.Sprintf("%s was left as it is: this run has no invalid or failed rows, but that file is not an errors CSV of this tool (its first line does not start with %s)", e.path, ownHeader)
		return nil
	}
	if err := os.Remove(e.path); err != nil && !os.IsNotExist(err) {
		return fmt.Errorf("remove stale %s: %w", e.path, err)
	}
	return nil
}

// IsErrorsCSV reports whether the file at path is an errors CSV this tool
// wrote (its first line starts "_row,_error").
func IsErrorsCSV(path string) bool { return startsWithOwnHeader(path) }

// startsWithOwnHeader reports whether the file at path starts with
// ownHeader.
func startsWithOwnHeader(path string) bool {
	f, err := os.Open(path)
	if err != nil {
		return false
	}
	defer f.Close()
	head := make([]byte, len(ownHeader))
	if _, err := io.ReadFull(f, head); err != nil {
		return false
	}
	return bytes.Equal(head, []byte(ownHeader))
}
