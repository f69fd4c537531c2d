package pipeline

import (
	"errors"
	"fmt"
)

// maxListPages bounds one listing (100 items a page: 100,000 links of a
// work, comments on its timeline, works for 50 keys): far beyond what a
// lookup or a read-back meets, short of forever.
const maxListPages = 1000

// ErrEndlessPaging is the error of a listing whose server hands out a
// cursor it gave before, or more than maxListPages pages: its paging would
// never end, and stopping at a guess could miss a work (and create it
// twice).
var ErrEndlessPaging = errors.New("the server's paging does not end")

// cursors follows the cursors of one listing (what names it in errors).
type cursors struct {
	what  string
	seen  map[string]struct{}
	pages int
}

// next reports, after a page of n items whose next cursor is cursor,
// whether to fetch that page: not when the server ended the listing (no
// cursor, or an empty page), and an ErrEndlessPaging error when it would
// not end.
func (c *cursors) next(cursor string, n int) (bool, error) {
	c.pages++
	switch _, again := c.seen[cursor]; {
	case cursor == "" || n == 0:
		return false, nil
	case again:
		return false, fmt.Errorf("%s: page %d names a cursor an earlier page named: %w", c.what, c.pages, ErrEndlessPaging)
	case c.pages >= maxListPages:
		return false, fmt.Errorf("%s: more than %d pages: %w", c.what, maxListPages, ErrEndlessPaging)
	}
	if c.seen == nil {
		c.seen = make(map[string]struct{})
	}
	c.seen[cursor] = struct{}{}
	return true, nil
}
