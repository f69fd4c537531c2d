package main

import (
	"testing"
	"time"
)

// The shares count every request the limit let through (429s not) in the
// windows the run spans fully, the second phase from the window after its
// first link or comment.
func TestRelationsPhases(t *testing.T) {
	w := 3 * time.Second
	ev := func(win int64, ms int, path string, status int) event {
		return event{At: time.Unix(0, win*w.Nanoseconds()+int64(ms)*1e6), Path: path, Status: status}
	}
	var events []event
	for range 10 {
		events = append(events, ev(10, 5, "/works.create", 201), ev(11, 5, "/works.create", 201))
	}
	events = append(events, ev(11, 9, "/works.create", 429), ev(12, 1, "/works.list", 200), ev(12, 2, "/links.create", 201))
	for range 5 {
		events = append(events, ev(13, 5, "/timeline-entries.create", 201), ev(13, 6, "/links.create", 201))
	}
	events = append(events, ev(14, 0, "/timeline-entries.create", 409), ev(15, 0, "/links.create", 201))
	var res relationsResult
	res.phases(events, w, 10)
	// Full windows: 11..14 (10 + 2 + 10 + 1 of 4 × 10); second phase:
	// 13..14 (10 + 1 of 2 × 10).
	if res.WholeWindows != 4 || res.WholePct != 57.5 || res.PhaseWindows != 2 || res.SecondPhasePct != 55 {
		t.Errorf("whole %d windows %.1f%%, phase %d windows %.1f%%; want 4 57.5%%, 2 55%%", res.WholeWindows, res.WholePct, res.PhaseWindows, res.SecondPhasePct)
	}
	if d := res.PhaseStart - 5.997; d < -1e-6 || d > 1e-6 {
		t.Errorf("the second phase began %.3f s after the first answer, want 5.997", res.PhaseStart)
	}
}
