package workdiff

import (
	"encoding/json"
	"testing"
)

// equalAs compares a sent value with the shape the API serves it in, and
// tolerates what the API may normalise (layouts, trimming, case of a stage
// name) without taking other values for equal.
func TestEqualAsShapes(t *testing.T) {
	n := func(s string) json.Number { return json.Number(s) }
	summary := map[string]any{"id": "don:identity:dvrv-us-1:devo/x:devu/2", "display_id": "DEVU-2"}
	cases := []struct {
		name      string
		kind      kind
		sent, got any
		want      bool
	}{
		{"text", kText, "Crash", "Crash", true},
		{"text trimmed by the API", kText, "Crash ", "Crash", true},
		{"other text", kText, "Crash", "Crash!", false},
		{"ID by display ID", kID, "DEVU-2", summary, true},
		{"ID by DON", kID, "don:identity:dvrv-us-1:devo/x:devu/2", summary, true},
		{"other ID", kID, "DEVU-3", summary, false},
		{"IDs in another order", kIDs, []any{"DEVU-1", "DEVU-2"}, []any{summary, map[string]any{"display_id": "DEVU-1"}}, true},
		{"one ID twice is not two", kIDs, []any{"DEVU-2", "DEVU-2"}, []any{summary, map[string]any{"display_id": "DEVU-1"}}, false},
		{"date in another layout", kDate, "2026-03-01T10:00:00+02:00", "2026-03-01T08:00:00.000Z", true},
		{"other date", kDate, "2026-03-01T10:00:00Z", "2026-03-01T10:00:01Z", false},
		{"enum v2", kEnumV2, n("2"), map[string]any{"id": n("2"), "label": "P1"}, true},
		{"other enum v2", kEnumV2, n("2"), map[string]any{"id": n("3")}, false},
		{"money as number", kMoney, map[string]any{"amount": "12.50", "currency": "USD"}, map[string]any{"amount": n("12.5"), "currency": "USD"}, true},
		{"other currency", kMoney, map[string]any{"amount": "12.50", "currency": "USD"}, map[string]any{"amount": "12.5", "currency": "EUR"}, false},
		{"tag", kTags, []any{map[string]any{"id": "TAG-1"}}, []any{map[string]any{"tag": map[string]any{"display_id": "TAG-1"}}}, true},
		{"tag with another value", kTags, []any{map[string]any{"id": "TAG-1", "value": "a"}}, []any{map[string]any{"tag": map[string]any{"display_id": "TAG-1"}, "value": "b"}}, false},
		{"stage name in another case", kStage, map[string]any{"name": "triage"}, map[string]any{"name": "Triage"}, true},
		{"other stage", kStage, map[string]any{"name": "triage"}, map[string]any{"name": "backlog"}, false},
		{"stage by id", kStage, map[string]any{"id": "don:core:dvrv-us-1:devo/x:custom_stage/3"}, map[string]any{"name": "x", "stage": map[string]any{"id": "don:core:dvrv-us-1:devo/x:custom_stage/3"}}, true},
		{"custom number by value", kCustom, n("5"), n("5.0"), true},
		{"custom date-time in another layout", kCustom, "2026-01-02T03:04:05Z", "2026-01-02T03:04:05.000Z", true},
		{"custom list in another order", kCustom, []any{"a", "b"}, []any{"b", "a"}, true},
		{"custom field missing", kCustom, n("5"), nil, false},
		{"custom field other value", kCustom, "a", "b", false},
		{"bool", kBool, true, false, false},
	}
	for _, tc := range cases {
		if got := equalAs(tc.kind, tc.sent, tc.got); got != tc.want {
			t.Errorf("%s: equalAs(%v, %v) = %v, want %v", tc.name, tc.sent, tc.got, got, tc.want)
		}
	}
}
