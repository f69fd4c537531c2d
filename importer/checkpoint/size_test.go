package checkpoint

import (
	"encoding/json"
	"fmt"
	"os"
	"runtime"
	"strconv"
	"testing"
	"time"
)

// syncFH is the field hashes of a typical 10-field ticket row.
func syncFH(i int) map[string]string {
	h := func(f string) string { return fmt.Sprintf("%08x", uint32(i)*2654435761^uint32(len(f))) }
	m := map[string]string{}
	for _, f := range []string{"title", "body", "owned_by", "applies_to_part", "severity", "tags", "target_close_date",
		"custom_fields.tnt__external_id", "custom_fields.tnt__story_points", "needs_response"} {
		m[f] = h(f)
	}
	return m
}

// TestLightStateBytesPerKey measures the heap a light State keeps per key
// of a journal whose every row was created with its field hashes (the
// figure in State's comment), and keeps it bounded.
func TestLightStateBytesPerKey(t *testing.T) {
	n := 100_000
	if testing.Short() {
		n = 20_000
	}
	if v, err := strconv.Atoi(os.Getenv("CHECKPOINT_MEASURE_KEYS")); err == nil {
		n = v
	}
	entry := func(i int) Entry {
		return Entry{Row: i, Key: "ZD-" + strconv.Itoa(100000+i), Status: Created, TS: t0,
			ID: "don:core:dvrv-us-1:devo/x:ticket/" + strconv.Itoa(i+1), DisplayID: "TKT-" + strconv.Itoa(i+1), Type: "ticket", FH: syncFH(i)}
	}
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	st := newLightState()
	for i := range n {
		st.apply(entry(i), nil)
	}
	runtime.GC()
	runtime.ReadMemStats(&after)
	per := float64(after.HeapAlloc-before.HeapAlloc) / float64(n)
	t.Logf("light State: %.0f bytes a key (%d keys)", per, st.Len())
	if per > 200 {
		t.Errorf("light State takes %.0f bytes a key, want at most 200", per)
	}
}

// TestLineBytes measures a typical 10-field row's journal lines as an
// import writes them today (sending + created) and with field hashes,
// and the lines a sync adds for a changed row: the checkpoint of a sync
// stays within the 2x of today's create-only one.
func TestLineBytes(t *testing.T) {
	ts := time.Date(2026, 12, 1, 19, 49, 58, 639561982, time.UTC)
	id := "don:core:dvrv-us-1:devo/11Fa1bcdE:ticket/123456"
	sending := Entry{Row: 123456, Key: "ZD-123456", Op: OpCreate, V: 2, Status: Sending, TS: ts, Attempt: 1, Title: "Invoice PDF shows the wrong VAT rate", FP: "6f6835d2f92ad45c"}
	created := Entry{Row: 123456, Key: "ZD-123456", Op: OpCreate, V: 2, Status: Created, TS: ts, ID: id, DisplayID: "TKT-123456", Type: "ticket", Attempts: 1}
	size := func(e Entry) int {
		b, err := json.Marshal(e)
		if err != nil {
			t.Fatal(err)
		}
		return len(b) + 1
	}
	today := size(sending) + size(created)
	created.FH = syncFH(1)
	withFH := size(sending) + size(created)
	updating := Entry{Row: 123456, Key: "ZD-123456", Op: OpUpdate, V: 2, Status: Updating, TS: ts, ID: id, Fields: []string{"title"}}
	updated := Entry{Row: 123456, Key: "ZD-123456", Op: OpUpdate, V: 2, Status: Updated, TS: ts, ID: id, DisplayID: "TKT-123456", Type: "ticket", Fields: []string{"title"}, FH: syncFH(2), Attempts: 1}
	update := size(updating) + size(updated)
	t.Logf("a row's lines: %d bytes today, %d with field hashes (%.2fx); a one-field update adds %d", today, withFH, float64(withFH)/float64(today), update)
	if float64(withFH) > 2*float64(today) {
		t.Errorf("field hashes make a row's lines %d bytes, over 2x today's %d", withFH, today)
	}
}
