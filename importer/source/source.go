// Package source streams rows out of CSV and XLSX files.
//
// A Reader yields one Row at a time and never holds the whole sheet in
// memory. Problems that concern a single row (a ragged row, invalid text)
// are reported on that row (Row.Err) and reading goes on; problems that
// concern the whole file (unreadable, not a spreadsheet, duplicate header,
// zip bomb) are returned as a *FileError and stop the read.
package source

import (
	"fmt"
)

// Kind says what a cell held in the file. CSV cells are always Text; XLSX
// cells keep the type Excel stored so that a converter can tell a real date
// from text that looks like one.
type Kind uint8

const (
	// Text is a string cell (every CSV cell, and XLSX inline/shared strings).
	Text Kind = iota
	// Number is an XLSX numeric cell that is not formatted as a date.
	// Value holds its exact decimal text ("12500.5").
	Number
	// Bool is an XLSX boolean cell; Value is "true" or "false".
	Bool
	// Date is an XLSX numeric cell formatted as a date or time. Value holds
	// the RFC 3339 timestamp (UTC wall clock as Excel stores no zone), e.g.
	// "2024-03-01T00:00:00Z".
	Date
)

// Cell is one cell of a row.
type Cell struct {
	Value string
	Kind  Kind
}

// Row is one data row.
//
// Number is the row number a spreadsheet user sees, the header being row 1:
// for XLSX the sheet's row number; for CSV the record's 1-based ordinal
// (header = 1, the second record = 2), which is what Excel shows when it
// opens the CSV even when a quoted field spans several lines. It is the value
// for the "_row" column of the errors CSV. Messages for a CSV point at the
// *line* where the record starts instead (what an editor shows); use
// Reader.Where to get it.
//
// Cells has one entry per header column (missing trailing cells are empty
// Text cells). Err, when not nil, is a row-level problem: a *RowError, or an
// errors.Join of several when the row has more than one (errors.As finds
// the first). The row is invalid but the read goes on; Cells still holds
// what the file had, so the row can be written back to an errors CSV.
type Row struct {
	Number int
	Cells  []Cell
	Err    error
}

// Reader yields the rows of one sheet.
type Reader interface {
	// Header returns the header cells (row 1), trimmed, with columns named
	// "_row" and "_error" (written by our own errors CSV) already removed
	// from both the header and every row.
	Header() []string
	// Next returns the next data row, or io.EOF after the last one.
	// Fully empty rows are skipped. Any other error is a *FileError.
	Next() (Row, error)
	// Where names a cell for a person: "Tickets!C12" for XLSX,
	// `tickets.csv:14 column "Priority"` for CSV. row is a Row.Number; col
	// is a header index (or -1 for the row as a whole: "Tickets!12",
	// "tickets.csv:14"). For CSV the number after the colon is the line
	// where the record starts, not Row.Number; it is exact for every row
	// read so far unless the file has more than 65536 multi-line records,
	// in which case rows far behind the reader are named by number
	// ("tickets.csv row 14"). Where is safe to call from other goroutines,
	// also while Next runs.
	Where(row, col int) string
	// Close releases the file (and excelize's temp files).
	Close() error
}

// Position reports how far r has read its file, for a progress estimate
// where the number of rows is not known beforehand: the bytes read so far
// and the file's size, or 0, 0 when r cannot tell (XLSX). It is safe to
// call from other goroutines while Next runs.
func Position(r Reader) (read, size int64) {
	if p, ok := r.(interface{ position() (int64, int64) }); ok {
		return p.position()
	}
	return 0, 0
}

// FileError is a problem with the whole file: nothing can be imported.
type FileError struct {
	Path string
	Err  error
}

func (e *FileError) Error() string { return fmt.Sprintf("%s: %v", e.Path, e.Err) }
func (e *FileError) Unwrap() error { return e.Err }

// RowError is a problem with one row (wrong number of fields, invalid
// UTF-8, a cell over the size limit).
type RowError struct {
	Where string // as Reader.Where
	Msg   string
	// Column is the header column of the cell at fault, counting from 1
	// (Reader.Where's col + 1), so that a caller that formats its own
	// location can still name the cell; 0 when the problem is about the row
	// as a whole or a cell outside the header (Where and Msg name it).
	Column int
}

func (e *RowError) Error() string { return e.Where + ": " + e.Msg }
