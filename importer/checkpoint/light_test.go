package checkpoint

import (
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// A light State must answer Last, Counts, Len and WasCreated exactly as the
// full State does, for every status sequence the full State's rules cover.
func TestLightStateAgreesWithFullState(t *testing.T) {
	t0 := time.Date(2026, 11, 27, 10, 0, 0, 123456789, time.UTC)
	at := func(s int) time.Time { return t0.Add(time.Duration(s) * time.Second) }
	entries := []Entry{
		{Key: "a", Status: Sending, TS: at(1), Title: "A"},
		{Key: "a", Status: Created, TS: at(2), ID: "don:1", DisplayID: "TKT-1", Type: "ticket"},
		{Key: "a", Status: Failed, TS: at(3)},  // stray line after created: ignored
		{Key: "b", Status: Sending, TS: at(4)}, // in doubt
		{Key: "c", Status: Invalid, TS: at(5), Errors: []string{"x"}},
		{Key: "c", Status: Sending, TS: at(6)},
		{Key: "c", Status: Created, TS: at(7), ID: "don:3"},
		{Key: "c", Status: Deleted, TS: at(8), ID: "don:3"},
		{Key: "d", Status: Failed, TS: at(9), HTTPStatus: 500},
		{Key: "e", Status: Created, TS: at(10), ID: "don:5"},
		{Key: "e", Status: Created, TS: at(11), ID: "don:6"}, // created twice: warned, later kept
		{Key: "f", Status: Created, TS: at(12), ID: "don:core:dvrv-us-1:devo/x:issue/42"},
		{Key: "g", Status: Created, TS: at(13), ID: "don:core:dvrv-us-1:devo/x:issue/042"}, // not a plain number
		{Key: "h", Status: Created, TS: at(14), ID: "don:core:dvrv-us-1:devo/x:ticket/18446744073709551616"},
		{Key: "h", Status: Deleted, TS: at(15), ID: "don:core:dvrv-us-1:devo/x:ticket/18446744073709551616"},
	}
	full, light := &State{}, newLightState()
	var fullWarn, lightWarn []string
	for _, e := range entries {
		full.apply(e, func(m string) { fullWarn = append(fullWarn, m) })
		light.apply(e, func(m string) { lightWarn = append(lightWarn, m) })
	}
	if len(fullWarn) != 1 || len(lightWarn) != 1 || !strings.Contains(lightWarn[0], `"e"`) {
		t.Errorf("warnings: full %q, light %q", fullWarn, lightWarn)
	}
	if full.Len() != light.Len() {
		t.Errorf("Len: full %d, light %d", full.Len(), light.Len())
	}
	for _, k := range []string{"a", "b", "c", "d", "e", "f", "g", "h", "zzz"} {
		fe, fok := full.Last(k)
		le, lok := light.Last(k)
		if fok != lok || fe.Status != le.Status || !fe.TS.Equal(le.TS) {
			t.Errorf("Last(%q): full %v %s %v, light %v %s %v", k, fok, fe.Status, fe.TS, lok, le.Status, le.TS)
		}
		// The work ID is what later ops (an update, a link) need.
		if fe.Status == Created && le.ID != fe.ID {
			t.Errorf("Last(%q): light work ID %q, want %q", k, le.ID, fe.ID)
		}
		if fe.Status != Created && le.ID != "" {
			t.Errorf("Last(%q) is %s but light keeps work ID %q", k, le.Status, le.ID)
		}
	}
	if n := len(light.light.ids); n != 3 {
		t.Errorf("light keeps %d work IDs as strings, want 3 (don:1, don:6 and .../042; the others as numbers)", n)
	}
	fc, lc := full.Counts(), light.Counts()
	for st, n := range fc {
		if lc[st] != n {
			t.Errorf("Counts[%s]: full %d, light %d", st, n, lc[st])
		}
	}
	for id, want := range map[string]bool{"don:1": true, "don:3": false, "don:5": false, "don:6": true, "don:9": false, "": false} {
		if got, gotFull := light.WasCreated(id), full.WasCreated(id); got != want || gotFull != want {
			t.Errorf("WasCreated(%q): light %v, full %v, want %v", id, got, gotFull, want)
		}
	}
}

func TestOpenLight(t *testing.T) {
	path := filepath.Join(t.TempDir(), "x.checkpoint.jsonl")
	j, _, _, err := Open(path, Header{Input: "in.csv"}, Options{})
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range []Entry{{Key: "k1", Status: Sending}, {Key: "k1", Status: Created, ID: "don:1"}, {Key: "k2", Status: Sending}} {
		if err := j.Append(e); err != nil {
			t.Fatal(err)
		}
	}
	if err := j.Close(); err != nil {
		t.Fatal(err)
	}
	j, st, _, err := Open(path, Header{Input: "in.csv"}, Options{Light: true})
	if err != nil {
		t.Fatal(err)
	}
	defer j.Close()
	if e, ok := st.Last("k2"); !ok || e.Status != Sending || e.TS.IsZero() {
		t.Errorf("k2: %+v %v, want in doubt with its time", e, ok)
	}
	if e, _ := st.Last("k1"); e.Status != Created || !st.WasCreated("don:1") {
		t.Errorf("k1: %+v", e)
	}
	if st.Runs() != 1 || st.Len() != 2 {
		t.Errorf("runs %d len %d", st.Runs(), st.Len())
	}
}

// DoubtCount and InDoubtWith count the keys whose last line is `sending`
// by the request's fingerprint, the same in a light and a full State; an
// ambiguous row is no longer in doubt, and its status survives both.
func TestDoubtCountByFingerprint(t *testing.T) {
	entries := []Entry{
		{Key: "a", Status: Sending, FP: "f1"},
		{Key: "b", Status: Sending, FP: "f1"},
		{Key: "c", Status: Sending, FP: "f1"},
		{Key: "c", Status: Created, ID: "don:3"}, // settled
		{Key: "d", Status: Sending, FP: "f2"},
		{Key: "d", Status: Ambiguous, Candidates: []string{"TKT-1", "TKT-2"}},
		{Key: "e", Status: Sending}, // an older journal: no fingerprint
		{Key: "f", Status: Created, ID: "don:6"},
		{Key: "f", Status: Sending, FP: "f2"}, // stray line after created: ignored
		// Invalid, or a duplicate row's failure, leaves a key in doubt.
		{Key: "g", Status: Sending, FP: "f3"},
		{Key: "g", Status: Invalid, Errors: []string{"title: required"}},
		{Key: "g", Status: Failed, Error: &ErrorInfo{Type: "duplicate_key"}},
		{Key: "d", Status: Invalid},
		// An API's answer (or resolve --send) settles it.
		{Key: "h", Status: Sending, FP: "f3"},
		{Key: "h", Status: Failed, HTTPStatus: 400, Error: &ErrorInfo{Type: "bad_request"}},
	}
	full, light := &State{}, newLightState()
	for _, e := range entries {
		full.apply(e, nil)
		light.apply(e, nil)
	}
	for _, st := range []*State{full, light} {
		for fp, want := range map[string]int{"f1": 2, "f2": 0, "": 1, "zz": 0, "f3": 1} {
			if got := st.DoubtCount(fp); got != want {
				t.Errorf("light=%v DoubtCount(%q) = %d, want %d", st.light != nil, fp, got, want)
			}
		}
		for _, c := range []struct {
			key, fp string
			want    bool
		}{{"a", "f1", true}, {"a", "f2", false}, {"c", "f1", false}, {"d", "f2", false}, {"e", "", true}, {"f", "f2", false}} {
			if got := st.InDoubtWith(c.key, c.fp); got != c.want {
				t.Errorf("light=%v InDoubtWith(%q, %q) = %v, want %v", st.light != nil, c.key, c.fp, got, c.want)
			}
		}
		if e, _ := st.Last("d"); e.Status != Ambiguous {
			t.Errorf("light=%v Last(d) = %s, want ambiguous", st.light != nil, e.Status)
		}
	}
	if e, _ := full.Last("d"); len(e.Candidates) != 2 {
		t.Errorf("full Last(d) candidates %v", e.Candidates)
	}
}
