package pipeline

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"

	"github.com/devrev-import/devrev-import/importer/checkpoint"
	"github.com/devrev-import/devrev-import/importer/workdiff"
)

func h(v string) string { return workdiff.Hash(json.RawMessage(v)) }

// UndoTodo keeps created works and the updated fields not recorded as
// back at their values before the checkpoint; an undo's own updated line
// (hashes of the Before values) leaves nothing to do.
func TestUndoTodoPendingFields(t *testing.T) {
	before := map[string]json.RawMessage{"title": json.RawMessage(`"Old"`)}
	rs := []checkpoint.Restore{
		{Key: "created", Created: true, ID: "w0"},
		{Key: "updated", ID: "w1", Before: before, Fields: []string{"target_close_date", "title"},
			LastFH: map[string]string{"title": h(`"New"`), "target_close_date": h(`"2027-01-01T00:00:00Z"`)}},
		{Key: "restored", ID: "w2", Before: before, Fields: []string{"target_close_date", "title"},
			LastFH: map[string]string{"title": h(`"Old"`)}},
		{Key: "in doubt", ID: "w3", Before: before, Fields: []string{"title"}, InDoubt: []string{"title"},
			LastFH: map[string]string{"title": h(`"Old"`)}},
		{Key: "found only", ID: "w4", Before: before},
	}
	got := UndoTodo(rs)
	var keys []string
	for _, it := range got {
		keys = append(keys, it.Key+":"+strings.Join(it.Pending, ","))
	}
	want := []string{"created:", "updated:target_close_date,title", "in doubt:title"}
	if !slices.Equal(keys, want) {
		t.Errorf("UndoTodo: %q, want %q", keys, want)
	}
}

// planRestore puts back what nobody changed since, clears what had no
// value before, leaves alone what someone changed, what an update in
// doubt may have set and what DevRev does not serve back, and sends
// nothing for a field already back (an undo whose line was lost).
func TestPlanRestoreDecidesFieldByField(t *testing.T) {
	it := UndoItem{Restore: checkpoint.Restore{ID: "don:core:dvrv-us-1:devo/x:ticket/1", Type: "ticket",
		Before: map[string]json.RawMessage{"title": json.RawMessage(`"Old"`), "body": json.RawMessage(`"old body"`), "severity": json.RawMessage(`"low"`),
			"target_close_date": json.RawMessage(`null`)},
		LastFH:  map[string]string{"title": h(`"New"`), "body": h(`"new body"`), "target_close_date": h(`"2027-01-01T00:00:00Z"`), "severity": h(`"high"`)},
		InDoubt: []string{"severity"}},
		Pending: []string{"body", "severity", "target_close_date", "title"}}
	work := `{"id":"don:core:dvrv-us-1:devo/x:ticket/1","type":"ticket","title":"New","body":"a person's body",
		"target_close_date":"2027-01-01T00:00:00.000Z","severity":"blocker"}`
	fields, body, err := planRestore(it, json.RawMessage(work), "ticket")
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]string{}
	for _, f := range fields {
		got[f.Field] = []string{"put", "back", "left alone: " + f.Why}[f.Outcome]
	}
	want := map[string]string{"title": "put", "target_close_date": "put", "body": "left alone: " + whyChanged, "severity": "left alone: " + whyDoubt}
	for f, w := range want {
		if got[f] != w {
			t.Errorf("%s: %s, want %s", f, got[f], w)
		}
	}
	var sent map[string]any
	if err := json.Unmarshal(body, &sent); err != nil {
		t.Fatalf("body %s: %v", body, err)
	}
	if sent["title"] != "Old" || sent["target_close_date"] != nil || len(sent) != 4 {
		t.Errorf("restore body %s, want type, id, the old title and target_close_date null", body)
	}
	if _, ok := sent["target_close_date"]; !ok {
		t.Errorf("restore body %s does not clear target_close_date", body)
	}

	// Run again after the update was performed but its line lost: every
	// field put back is back; nothing is sent.
	work = `{"id":"x","type":"ticket","title":"Old","body":"a person's body","severity":"blocker"}`
	fields, body, err = planRestore(it, json.RawMessage(work), "ticket")
	if err != nil || body != nil {
		t.Fatalf("second plan: body %s, err %v", body, err)
	}
	for _, f := range fields {
		if (f.Field == "title" || f.Field == "target_close_date") && f.Outcome != FieldBack {
			t.Errorf("%s: outcome %d, want back", f.Field, f.Outcome)
		}
	}

	// A field that had no value before and that works.update cannot empty
	// (severity) is left alone with Update's warning; a field whose value
	// before is not in the journal (absent, not null) is left alone.
	it = UndoItem{Restore: checkpoint.Restore{ID: "x", Type: "ticket", Before: map[string]json.RawMessage{"title": json.RawMessage(`"Old"`), "severity": json.RawMessage(`null`)},
		LastFH: map[string]string{"severity": h(`"high"`)}}, Pending: []string{"severity"}}
	fields, body, err = planRestore(it, json.RawMessage(`{"id":"x","type":"ticket","title":"Old","severity":"high"}`), "ticket")
	if err != nil || body != nil || fields[0].Outcome != FieldLeftAlone || !strings.Contains(fields[0].Why, "cannot empty") {
		t.Errorf("uncleared severity: %+v, body %s, err %v", fields, body, err)
	}
	it.Before = map[string]json.RawMessage{"title": json.RawMessage(`"Old"`)}
	fields, _, _ = planRestore(it, json.RawMessage(`{"id":"x","type":"ticket","severity":"high"}`), "ticket")
	if fields[0].Why != whyNoBefore {
		t.Errorf("no before values: %+v", fields)
	}
}
