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
	for _, k := range []string{"a", "b", "c", "d", "e", "zzz"} {
		fe, fok := full.Last(k)
		le, lok := light.Last(k)
		if fok != lok || fe.Status != le.Status || !fe.TS.Equal(le.TS) {
			t.Errorf("Last(%q): full %v %s %v, light %v %s %v", k, fok, fe.Status, fe.TS, lok, le.Status, le.TS)
		}
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
