package pipeline

import (
	"testing"

	"github.com/devrev-import/devrev-import/mapping"
)

// BenchmarkRowValues is what a create costs before it is sent: its body
// encoded with its canonical fields (workdiff.Encode) and hashed (the
// fields of a scripts/bench row: text with escapes, owners, tags, a date,
// custom fields).
func BenchmarkRowValues(b *testing.B) {
	w := &mapping.Work{
		Type: "ticket", Title: "Rate limiter returns 502 intermittently",
		Body:          "Über 20% der Anfragen schlagen fehl; the German locale seems to matter.\nCustomer \"Acme Corp\" reports that the page fails <sometimes>.",
		AppliesToPart: "don:core:dvrv-us-1:devo/sandbox:product/1", OwnedBy: []string{"don:identity:dvrv-us-1:devo/sandbox:devu/2"},
		Tags:            []mapping.SetTag{{ID: "don:core:dvrv-us-1:devo/sandbox:tag/1"}, {ID: "don:core:dvrv-us-1:devo/sandbox:tag/2"}},
		TargetCloseDate: "2026-03-01T09:30:00Z", Severity: "high",
		CustomFields:     map[string]any{"tnt__external_id": "EXT-2", "tnt__story_points": int64(5)},
		CustomSchemaSpec: &mapping.CustomSchemaSpec{TenantFragment: true},
	}
	b.ReportAllocs()
	for b.Loop() {
		op := &Op{Kind: KindCreate, Work: w}
		if err := rowValues(op); err != nil {
			b.Fatal(err)
		}
	}
}
