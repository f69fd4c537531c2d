package checkpoint

import (
	"reflect"
	"strings"
	"testing"
)

func TestStateSemantics(t *testing.T) {
	e := func(key string, st Status, id string) Entry { return Entry{Key: key, Status: st, ID: id} }
	tests := []struct {
		name     string
		in       []Entry
		want     map[string]Status // last status per key
		wantID   map[string]string
		inDoubt  []string
		warnWith string // a warning containing this, or "" for none
	}{
		{
			name: "last entry wins",
			in:   []Entry{e("a", Sending, ""), e("a", Failed, ""), e("b", Failed, ""), e("b", Invalid, "")},
			want: map[string]Status{"a": Failed, "b": Invalid},
		},
		{
			// The request may have made a work: the row being invalid now
			// does not tell, so the next valid run must still look it up.
			name:    "invalid after sending leaves the key in doubt",
			in:      []Entry{e("b", Sending, ""), e("b", Invalid, "")},
			want:    map[string]Status{"b": Sending},
			inDoubt: []string{"b"},
		},
		{
			name: "created beats a later sending or failure",
			in:   []Entry{e("a", Sending, ""), e("a", Created, "w1"), e("a", Sending, ""), e("a", Failed, ""), e("a", Invalid, "")},
			want: map[string]Status{"a": Created}, wantID: map[string]string{"a": "w1"},
		},
		{
			name: "created beats an earlier failure",
			in:   []Entry{e("a", Failed, ""), e("a", Sending, ""), e("a", Created, "w1")},
			want: map[string]Status{"a": Created},
		},
		{
			name: "deleted after created means gone",
			in:   []Entry{e("a", Created, "w1"), e("a", Deleted, "w1")},
			want: map[string]Status{"a": Deleted}, wantID: map[string]string{"a": "w1"},
		},
		{
			name: "re-created after deleted",
			in:   []Entry{e("a", Created, "w1"), e("a", Deleted, "w1"), e("a", Sending, ""), e("a", Created, "w2")},
			want: map[string]Status{"a": Created}, wantID: map[string]string{"a": "w2"},
		},
		{
			name:    "sending last is in doubt",
			in:      []Entry{e("a", Sending, ""), e("b", Sending, ""), e("b", Created, "w"), e("c", Failed, ""), e("c", Sending, "")},
			want:    map[string]Status{"a": Sending, "b": Created, "c": Sending},
			inDoubt: []string{"a", "c"},
		},
		{
			name: "created twice warns and keeps the later",
			in:   []Entry{e("a", Created, "w1"), e("a", Created, "w2")},
			want: map[string]Status{"a": Created}, wantID: map[string]string{"a": "w2"},
			warnWith: `"a" was created twice (w1 and w2)`,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var s State
			var warnings []string
			for _, x := range tt.in {
				s.apply(x, func(w string) { warnings = append(warnings, w) })
			}
			if s.Len() != len(tt.want) {
				t.Errorf("Len = %d, want %d", s.Len(), len(tt.want))
			}
			for k, st := range tt.want {
				got, ok := s.Last(k)
				if !ok || got.Status != st {
					t.Errorf("Last(%q) = %v %v, want %v", k, got.Status, ok, st)
				}
				if id, ok := tt.wantID[k]; ok && got.ID != id {
					t.Errorf("Last(%q).ID = %q, want %q", k, got.ID, id)
				}
			}
			var doubt []string
			for _, x := range s.InDoubt() {
				doubt = append(doubt, x.Key)
			}
			if !reflect.DeepEqual(doubt, tt.inDoubt) {
				t.Errorf("InDoubt = %v, want %v", doubt, tt.inDoubt)
			}
			switch {
			case tt.warnWith == "" && len(warnings) > 0:
				t.Errorf("unexpected warnings %q", warnings)
			case tt.warnWith != "" && (len(warnings) != 1 || !strings.Contains(warnings[0], tt.warnWith)):
				t.Errorf("warnings = %q, want one containing %q", warnings, tt.warnWith)
			}
		})
	}
}

func TestStateOrderCountsAndEach(t *testing.T) {
	var s State
	for _, x := range []Entry{
		{Key: "c", Status: Sending}, {Key: "a", Status: Invalid}, {Key: "c", Status: Created},
		{Key: "b", Status: Failed}, {Key: "d", Status: Created}, {Key: "a", Status: Sending},
	} {
		s.apply(x, nil)
	}
	var order []string
	s.Each(func(e Entry) bool { order = append(order, e.Key); return true })
	if want := []string{"c", "a", "b", "d"}; !reflect.DeepEqual(order, want) {
		t.Errorf("Each order = %v, want %v", order, want)
	}
	var first []string
	s.Each(func(e Entry) bool { first = append(first, e.Key); return len(first) < 2 })
	if want := []string{"c", "a"}; !reflect.DeepEqual(first, want) {
		t.Errorf("Each stopping early visited %v, want %v", first, want)
	}
	if got, want := s.Counts(), map[Status]int{Created: 2, Sending: 1, Failed: 1}; !reflect.DeepEqual(got, want) {
		t.Errorf("Counts = %v, want %v", got, want)
	}
	if _, ok := s.Last("zz"); ok {
		t.Error("Last of an unknown key reported ok")
	}
}

func TestNilStateIsEmpty(t *testing.T) {
	var s *State
	if s.Len() != 0 || len(s.Counts()) != 0 || s.InDoubt() != nil || s.Runs() != 0 {
		t.Error("nil State is not empty")
	}
	if _, ok := s.Last("a"); ok {
		t.Error("nil State has a key")
	}
	s.Each(func(Entry) bool { t.Error("nil State visited an entry"); return true })
}
