package source

import (
	"errors"
	"fmt"
	"strings"
)

// header is a processed header row, shared by both readers.
type header struct {
	names []string // trimmed names, as Reader.Header returns them
	src   []int    // for each name, its 0-based column in the file
	width int      // number of cells in the file's header row
	drop  []bool   // drop[i]: the file's column i is "_row" or "_error"
}

// buildHeader trims the raw header cells, drops the "_row" and "_error"
// columns of our own errors CSV, names empty cells after their column
// ("column C", a mapping ignores them) and refuses a repeated name unless
// allow says it may repeat (the mapping ignores it, does not map it, or
// maps it to a list field).
func buildHeader(raw []string, allow func(string) bool) (header, error) {
	h := header{width: len(raw), drop: make([]bool, len(raw))}
	seen := make(map[string]int, len(raw))
	for i, cell := range raw {
		name := strings.TrimSpace(cell)
		switch {
		case name == "_row" || name == "_error":
			h.drop[i] = true
			continue
		case name == "":
			name = "column " + columnLetters(i)
		default:
			key := strings.ToLower(name)
			if first, dup := seen[key]; dup && (allow == nil || !allow(name)) {
				return header{}, fmt.Errorf("header %q appears twice, in columns %s and %s, and feeds a field that holds one value: rename one, list it under ignore:, or map it to a list field so its cells are combined",
					name, columnLetters(first), columnLetters(i))
			} else if !dup {
				seen[key] = i
			}
		}
		h.names = append(h.names, name)
		h.src = append(h.src, i)
	}
	if len(h.names) == 0 {
		return header{}, errors.New("the header has no columns besides _row and _error")
	}
	return h, nil
}

// index returns the header index of the file's column i, or -1 when the
// column is dropped or right of the header.
func (h *header) index(i int) int {
	for k, s := range h.src {
		if s == i {
			return k
		}
	}
	return -1
}

// dropped reports whether the file's column i is left out of the rows
// (a "_row" or "_error" column of the header).
func (h *header) dropped(i int) bool {
	return i < len(h.drop) && h.drop[i]
}

// ColumnName names a 0-based header position as a spreadsheet column: A,
// B, ... Z, AA (as messages about the header do).
func ColumnName(i int) string { return columnLetters(i) }

// columnLetters names a 0-based column the way a spreadsheet does: A, B, ...
// Z, AA, AB, ... (without the 16384-column cap of XLSX, as a CSV may be
// wider).
func columnLetters(i int) string {
	var b [16]byte
	n := len(b)
	for i++; i > 0; i = (i - 1) / 26 {
		n--
		b[n] = byte('A' + (i-1)%26)
	}
	return string(b[n:])
}
