// Package report writes what a run leaves for people and scripts: the
// errors CSV (invalid and failed rows, ready to be fixed and fed back), the
// created-works CSV and the machine-readable summary.
package report

import (
	"encoding/csv"
	"fmt"
	"os"
	"sync"
)

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
	rec = append(rec, fmt.Sprint(row), joinMessages(msgs))
	rec = append(rec, cells...)
	if err := e.w.Write(neutralizeAll(rec)); err != nil {
		e.err = fmt.Errorf("write %s: %w", e.path, err)
		return e.err
	}
	e.rows++
	return nil
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
// shows errors that are already fixed.
func (e *ErrorsCSV) Close() error {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.closed {
		return e.err
	}
	e.closed = true
	if e.f == nil {
		if e.err == nil {
			if err := os.Remove(e.path); err != nil && !os.IsNotExist(err) {
				return fmt.Errorf("remove stale %s: %w", e.path, err)
			}
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
