package source

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
)

// defaultMaxCellBytes is the cell size limit when Options.MaxCellBytes is 0.
const defaultMaxCellBytes = 1 << 20

// defaultUnzipLimit caps the total uncompressed size of an XLSX package, so
// that a zip bomb is a file-level error at open instead of an out-of-memory
// or a full disk.
const defaultUnzipLimit = 1 << 30

// Options control how a file is read. The zero value reads the first visible
// sheet of an XLSX, or a UTF-8 CSV with a detected delimiter.
type Options struct {
	// Sheet is the XLSX sheet to read; "" means the first visible sheet.
	// Sheet names match case-insensitively, as in Excel.
	Sheet string
	// Delimiter is the CSV field separator; 0 detects it among ',' ';'
	// '\t' '|' from the header line (the one seen most often outside
	// quotes; ',' when none is).
	Delimiter rune
	// Encoding is the CSV text encoding: "", "utf-8", "windows-1252" or
	// "utf-16". "" means UTF-8 with BOM detection: a UTF-8 BOM is
	// stripped and a UTF-16 LE/BE BOM switches to UTF-16.
	Encoding string
	// MaxCellBytes limits the size of one cell; 0 means 1 MiB. A longer
	// cell makes its row invalid (a RowError naming the cell).
	MaxCellBytes int
	// AllowDuplicate says whether a header may appear more than once (the
	// mapping maps it to a list field, whose cells are combined). A
	// repeated header for which it is nil or false is a FileError naming
	// the header and both columns. Headers compare case-insensitively.
	AllowDuplicate func(header string) bool

	// HeaderRow is the row the header is on (0 or 1: the first row that
	// is not empty): the rows above it, a report's title and filters, are
	// skipped. For XLSX it is the sheet's row number; for CSV the line the
	// header starts on, as an editor (and Excel, before any cell of
	// several lines) numbers it, counting an Excel "sep=" line.
	HeaderRow int

	// AllowEmbeddedRows accepts a CSV cell whose lines look like records
	// of the file (see OpenCSV); without it such a cell makes its row
	// invalid, as it is most often a stray quote that merged records.
	AllowEmbeddedRows bool

	// ReuseCells lets a CSV reader build each row in one of two Cells
	// slices it keeps, instead of a new one per row, for a caller done with
	// a row before it asks for the next one (a dry run: it copies what it
	// keeps of an invalid row). The Values are never reused.
	ReuseCells bool

	// peek, set by FirstRows, makes Open collect the first peek rows as
	// they are (no header taken) and stop there.
	peek int

	// unzipLimit overrides defaultUnzipLimit (tests lower it).
	unzipLimit int64
	// recordLimit overrides the CSV record limit (tests lower it).
	recordLimit int64
}

func (o Options) maxCell() int {
	if o.MaxCellBytes <= 0 {
		return defaultMaxCellBytes
	}
	return o.MaxCellBytes
}

// Magic numbers of files people save as .csv or .xlsx by mistake.
var (
	magicZip = []byte("PK\x03\x04")
	magicOLE = []byte("\xD0\xCF\x11\xE0\xA1\xB1\x1A\xE1")
)

// Open reads the header of a CSV or XLSX file and returns a Reader for its
// rows. The content decides first (a zip file is read as XLSX whatever its
// name, an old binary .xls is refused with advice), then the extension:
// .xlsx and .xlsm are XLSX, anything else (.csv, .tsv, .txt, ...) is CSV.
// Every error is a *FileError.
func Open(path string, opt Options) (Reader, error) {
	head, err := sniff(path)
	if err != nil {
		return nil, err
	}
	switch {
	case bytes.HasPrefix(head, magicZip):
		return OpenXLSX(path, opt)
	case bytes.HasPrefix(head, magicOLE):
		return nil, oleError(path)
	}
	switch strings.ToLower(filepath.Ext(path)) {
	case ".xlsx", ".xlsm":
		return OpenXLSX(path, opt)
	}
	return OpenCSV(path, opt)
}

// sniff checks that path is a readable, non-empty regular file and returns
// its first bytes.
func sniff(path string) ([]byte, error) {
	st, err := os.Stat(path)
	if path == "-" && err != nil {
		return nil, &FileError{Path: path, Err: errors.New("standard input cannot be read: " + rereadNote)}
	}
	if err != nil {
		return nil, &FileError{Path: path, Err: fmt.Errorf("cannot read the file: %w", err)}
	}
	if st.IsDir() {
		return nil, &FileError{Path: path, Err: errors.New("is a directory, not a CSV or XLSX file")}
	}
	if !st.Mode().IsRegular() {
		return nil, &FileError{Path: path, Err: errors.New("is a pipe or a device, not a file: " + rereadNote)}
	}
	if st.Size() == 0 {
		return nil, &FileError{Path: path, Err: errors.New("the file is empty")}
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, &FileError{Path: path, Err: fmt.Errorf("cannot read the file: %w", err)}
	}
	defer f.Close()
	head := make([]byte, 8)
	n, err := io.ReadFull(f, head)
	if err != nil && !errors.Is(err, io.ErrUnexpectedEOF) {
		return nil, &FileError{Path: path, Err: fmt.Errorf("cannot read the file: %w", err)}
	}
	return head[:n], nil
}

// rereadNote says why a stream will not do: the file is read more than
// once (sniffed, counted, checked for duplicate keys, read again to
// resume).
const rereadNote = "save it to a file and give its path (the file is read more than once: to tell its kind, count its rows, check duplicate keys, resume)"

// oleError explains an OLE compound file: either an Excel 97-2003 .xls or an
// encrypted (password-protected) .xlsx, which Office stores the same way.
func oleError(path string) error {
	if oleEncrypted(path) {
		return &FileError{Path: path, Err: errors.New("the workbook is password-protected: remove the password in Excel and save again, or save the sheet as CSV")}
	}
	return &FileError{Path: path, Err: errors.New("old binary .xls (or password-protected xlsx): save as .xlsx or CSV")}
}

// oleEncrypted reports whether an OLE compound file holds an
// "EncryptionInfo" stream (its directory entry names are UTF-16LE), which is
// how Office stores a password-protected OOXML workbook.
func oleEncrypted(path string) bool {
	f, err := os.Open(path)
	if err != nil {
		return false
	}
	defer f.Close()
	name := []byte("E\x00n\x00c\x00r\x00y\x00p\x00t\x00i\x00o\x00n\x00I\x00n\x00f\x00o\x00")
	buf := make([]byte, 64<<10)
	keep := 0
	for {
		n, err := io.ReadFull(f, buf[keep:])
		if bytes.Contains(buf[:keep+n], name) {
			return true
		}
		if err != nil {
			return false
		}
		keep = copy(buf, buf[keep+n-len(name):keep+n])
	}
}

// Count returns the number of data rows of a file cheaply, for a progress
// bar total, or -1 when that is unknown or too costly. For CSV it scans the
// bytes once counting records (honouring quotes, skipping blank lines) and
// subtracts the header; rows of empty cells and badly quoted records may
// make it differ slightly from what Next yields. For XLSX it reads the
// sheet's <dimension> when it is plausible, else returns -1 (see
// xlsxRows): a scan would cost as much as the read itself.
func Count(path string, opt Options) (int, error) {
	head, err := sniff(path)
	if err != nil {
		return 0, err
	}
	switch {
	case bytes.HasPrefix(head, magicZip):
		return xlsxRows(path, opt), nil
	case bytes.HasPrefix(head, magicOLE):
		return -1, nil
	}
	switch strings.ToLower(filepath.Ext(path)) {
	case ".xlsx", ".xlsm":
		return -1, nil
	}
	return countCSV(path, opt)
}

// PeekRow is a row of the file as it is, before any header is taken: the
// number the file shows it under (the line it starts on for CSV, the row
// for XLSX) and its cells' values.
type PeekRow struct {
	Number int
	Values []string
}

// FirstRows reads the first n rows of the file that are not empty, as
// they are: for a hint when a mapping does not fit the header read (a
// report's title above it). Every error is a *FileError.
func FirstRows(path string, opt Options, n int) ([]PeekRow, error) {
	opt.peek, opt.HeaderRow = max(n, 1), 0
	r, err := Open(path, opt)
	if err != nil {
		return nil, err
	}
	defer r.Close()
	p, ok := r.(interface{ peeked() []PeekRow })
	if !ok {
		return nil, nil
	}
	return p.peeked(), nil
}
