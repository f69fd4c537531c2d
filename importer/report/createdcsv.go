package report

import (
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"

	"github.com/devrev-import/devrev-import/importer/source"
)

// createdColumns start every created CSV; the input's header follows.
var createdColumns = []string{"_row", "_key", "_id", "_display_id"}

// CreatedCSV is the success file of an import, in the layout users of
// Salesforce's Data Loader keep: per created work `_row`, `_key`, `_id`
// (the work's ID), `_display_id`, then the row's original cells. It is
// appended to as works are created (one write(2) per row, so a killed
// process leaves whole rows) and across resumed runs: opening it never
// truncates what an earlier run wrote. It is created with mode 0600 and
// every cell is neutralized against formula injection. The checkpoint
// stays the source of truth: a crash between a checkpoint line and its
// row here can lose that row (report --created-csv rebuilds the map).
type CreatedCSV struct {
	path string

	mu   sync.Mutex
	f    *os.File
	buf  bytes.Buffer
	w    *csv.Writer // writes into buf
	rows int
	err  error // sticky

	// place[i] is where the input's column i goes in a file an earlier
	// run wrote under other columns (-1: nowhere); nil when the headers
	// are the same. width is that file's number of original columns.
	place []int
	width int
	warn  string
}

// CreatedHeaderError is a file at the created CSV's path whose first line
// does not start as a created CSV's: another file, which the import
// refuses before anything is sent rather than append to it.
type CreatedHeaderError struct {
	Path string
	Got  []string
}

func (e *CreatedHeaderError) Error() string {
	return fmt.Sprintf("%s is not a created CSV of this tool (its first line does not start with _row,_key,_id,_display_id): move it away or give --created-csv another path", e.Path)
}

// OpenCreatedCSV opens the created CSV at path for rows under header,
// creating it (mode 0600, with its header line) when it does not exist or
// is empty, and appending to it otherwise, after checking that its header
// is a created CSV's (*CreatedHeaderError if not). When that file was
// written for an input with other columns (reordered, renamed, one more),
// rows go under its header by column name, and Warning says which columns
// it has no place for.
func OpenCreatedCSV(path string, header []string) (*CreatedCSV, error) {
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE|os.O_APPEND, 0o600)
	if err != nil {
		return nil, fmt.Errorf("open created CSV: %w", err)
	}
	c := &CreatedCSV{path: path, f: f}
	c.w = csv.NewWriter(&c.buf)
	want := neutralizeAll(append(slices.Clone(createdColumns), header...))
	if err := c.prepare(want); err != nil {
		f.Close()
		return nil, err
	}
	return c, nil
}

// prepare writes the header into an empty file, or checks an existing
// one's and ends a torn last line (a write cut short) so that the next row
// starts on a line of its own.
func (c *CreatedCSV) prepare(want []string) error {
	fi, err := c.f.Stat()
	if err != nil {
		return fmt.Errorf("created CSV %s: %w", c.path, err)
	}
	if fi.Size() == 0 {
		return c.write(want)
	}
	got, err := csv.NewReader(io.NewSectionReader(c.f, 0, fi.Size())).Read()
	if err != nil && !errors.Is(err, csv.ErrFieldCount) {
		return &CreatedHeaderError{Path: c.path}
	}
	n := len(createdColumns)
	if len(got) < n || !slices.Equal(got[:n], createdColumns) {
		return &CreatedHeaderError{Path: c.path, Got: got}
	}
	if !slices.Equal(got, want) {
		c.align(got[n:], want[n:])
	}
	last := make([]byte, 1)
	if _, err := c.f.ReadAt(last, fi.Size()-1); err != nil {
		return fmt.Errorf("created CSV %s: %w", c.path, err)
	}
	if last[0] != '\n' {
		if _, err := c.f.Write([]byte("\n")); err != nil {
			return fmt.Errorf("write %s: %w", c.path, err)
		}
	}
	return nil
}

// align places the input's columns (ours) under those of the file's
// header (theirs) by name, the k-th of a repeated name under the k-th.
func (c *CreatedCSV) align(theirs, ours []string) {
	at := make(map[string][]int, len(theirs))
	for i, name := range theirs {
		at[name] = append(at[name], i)
	}
	c.place, c.width = make([]int, len(ours)), len(theirs)
	var left []string
	for i, name := range ours {
		c.place[i] = -1
		if q := at[name]; len(q) > 0 {
			c.place[i], at[name] = q[0], q[1:]
		} else {
			left = append(left, strconv.Quote(name))
		}
	}
	c.warn = fmt.Sprintf("%s was written by an earlier run for other columns: rows go under its header by column name", c.path)
	if len(left) > 0 {
		c.warn += fmt.Sprintf(" (columns %s, not in it, are left out)", strings.Join(left, ", "))
	}
}

// Warning says, after Open, how the file's header differs from the
// input's; "" when it does not.
func (c *CreatedCSV) Warning() string { return c.warn }

// Path returns where the file is.
func (c *CreatedCSV) Path() string { return c.path }

// Rows returns how many rows this run added.
func (c *CreatedCSV) Rows() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.rows
}

// Add appends one created work and its row's cells. It is safe for
// concurrent use. The first error sticks and is returned by every later
// call and by Close.
func (c *CreatedCSV) Add(row source.Row, key, id, displayID string) error {
	rec := make([]string, 0, len(createdColumns)+max(len(row.Cells), c.width))
	rec = append(rec, strconv.Itoa(row.Number), key, id, displayID)
	if c.place == nil {
		for _, cell := range row.Cells {
			rec = append(rec, cell.Value)
		}
	} else {
		rec = rec[:len(createdColumns)+c.width]
		for i, cell := range row.Cells {
			if i < len(c.place) && c.place[i] >= 0 {
				rec[len(createdColumns)+c.place[i]] = cell.Value
			}
		}
	}
	neutralizeAll(rec)
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.err != nil {
		return c.err
	}
	if c.f == nil {
		return fmt.Errorf("created CSV %s: add after close", c.path)
	}
	if c.err = c.write(rec); c.err != nil {
		return c.err
	}
	c.rows++
	return nil
}

// write appends one record with a single write; the caller holds mu (or
// owns c).
func (c *CreatedCSV) write(rec []string) error {
	c.buf.Reset()
	if err := c.w.Write(rec); err != nil {
		return fmt.Errorf("write %s: %w", c.path, err)
	}
	c.w.Flush()
	if _, err := c.f.Write(c.buf.Bytes()); err != nil {
		return fmt.Errorf("write %s: %w", c.path, err)
	}
	return nil
}

// Close closes the file and returns the first error of the run.
func (c *CreatedCSV) Close() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.f == nil {
		return c.err
	}
	if err := c.f.Close(); err != nil && c.err == nil {
		c.err = fmt.Errorf("close %s: %w", c.path, err)
	}
	c.f = nil
	return c.err
}
