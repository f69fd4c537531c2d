package pipeline

import (
	"errors"
	"fmt"
	"testing"
)

// A listing ends where the server ends it, and fails, instead of going on
// forever, when a cursor comes back or the pages do not end.
func TestCursorsEndEveryListing(t *testing.T) {
	var c cursors
	for i, step := range []struct {
		cursor string
		n      int
		more   bool
	}{{"a", 5, true}, {"b", 5, true}, {"", 5, false}} {
		if more, err := c.next(step.cursor, step.n); more != step.more || err != nil {
			t.Fatalf("page %d: %v %v", i+1, more, err)
		}
	}
	if more, err := (&cursors{}).next("a", 0); more || err != nil {
		t.Errorf("an empty page with a cursor: %v %v, want the end", more, err)
	}
	loop := cursors{what: "listing x"}
	loop.next("a", 1)
	loop.next("b", 1)
	if more, err := loop.next("a", 1); more || !errors.Is(err, ErrEndlessPaging) || err.Error() != "listing x: page 3 names a cursor an earlier page named: the server's paging does not end" {
		t.Errorf("a cursor again: %v %v", more, err)
	}
	var endless cursors
	pages := 0
	for {
		pages++
		more, err := endless.next(fmt.Sprint("c", pages), 1)
		if !more {
			if !errors.Is(err, ErrEndlessPaging) || pages != maxListPages {
				t.Fatalf("new cursors forever: stopped after %d pages with %v", pages, err)
			}
			break
		}
	}
}
