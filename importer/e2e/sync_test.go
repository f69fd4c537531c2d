package e2e

import (
	"encoding/csv"
	"fmt"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/devrev-import/devrev-import/importer/simulator"
)

// The nightly-sync tests import a keyed file through the built binary,
// edit it as an export changes between two nights, and run
// `import --mode upsert` again against the same simulator: after a lost
// checkpoint, after people edited works in DevRev, and killed with
// SIGKILL among ghost updates (sync_crash_test.go).

// syncMapping stores the key in custom_fields.tnt__external_id (so a
// lost checkpoint can be made good by looking keys up) and maps every
// field the nightly edits touch.
const syncMapping = `type: ticket
key: Ticket ID
columns:
  Ticket ID: custom_fields.tnt__external_id
  Subject: title
  Description: body
  Priority:
    field: severity
    values: {Urgent: blocker, High: high, Normal: medium, Low: low}
  Assignee: owned_by
  Tags: {field: tags, split: ";"}
  Due: target_close_date
defaults:
  applies_to_part: PROD-1
`

// severities maps the file's priorities to the works' severities.
var severities = map[string]string{"Urgent": "blocker", "High": "high", "Normal": "medium", "Low": "low"}

// syncRow is one row of the sync file, or what one work says in the
// file's terms (servedRow).
type syncRow struct {
	key, title, body, prio, owner, tags, due string
}

// syncRows is the first night's export.
func syncRows(n int) []syncRow {
	prios := []string{"Urgent", "High", "Normal", "Low"}
	rows := make([]syncRow, n)
	for i := range rows {
		k := i + 1
		rows[i] = syncRow{key: fmt.Sprintf("ZD-%06d", k), title: fmt.Sprintf("Printer %d on fire", k),
			body: fmt.Sprintf("Line one\nline \"%d\"", k), prio: prios[k%4], owner: fmt.Sprintf("DEVU-%d", 1+k%4),
			tags: "TAG-1", due: "2027-01-15T10:00:00Z"}
		if k%3 == 0 {
			rows[i].tags = "TAG-1;TAG-2"
		}
	}
	return rows
}

// nextNight is the export one night later: titles, owners, priorities,
// tags and dates changed, some dates and tags emptied, the rows at [5, 5+removed)
// gone from the export, added new rows at the end.
func nextNight(rows []syncRow, added, removed int) []syncRow {
	out := slices.Clone(rows)
	for i := range out {
		k := i + 1
		if k%13 == 0 {
			out[i].title += " (again)"
		}
		if k%29 == 0 {
			out[i].owner = "DEVU-5"
		}
		if k%31 == 0 {
			out[i].prio = "Urgent"
		}
		if k%37 == 0 {
			out[i].tags = "TAG-2"
		}
		if k%41 == 0 {
			out[i].due = "" // emptied: the update clears it
		}
		if k%43 == 0 {
			out[i].due = "2027-03-01T09:30:00Z"
		}
		if k%47 == 0 {
			out[i].tags = "" // emptied: the update sets no tags
		}
	}
	out = slices.Delete(out, 5, 5+removed)
	for k := len(rows) + 1; k <= len(rows)+added; k++ {
		out = append(out, syncRow{key: fmt.Sprintf("ZD-%06d", k), title: fmt.Sprintf("New %d", k), prio: "Low", owner: "DEVU-2", tags: "TAG-1"})
	}
	return out
}

// fieldsOf names each difference of two rows by the work field it maps
// to, sorted.
func fieldsOf(a, b syncRow) []string {
	var out []string
	for _, d := range []struct {
		field string
		diff  bool
	}{{"body", a.body != b.body}, {"owned_by", a.owner != b.owner}, {"severity", a.prio != b.prio},
		{"tags", a.tags != b.tags}, {"target_close_date", a.due != b.due}, {"title", a.title != b.title}} {
		if d.diff {
			out = append(out, d.field)
		}
	}
	return out
}

// changedRows maps the key of every row of next that old has too and
// that differs from it to the fields an upsert must send.
func changedRows(old, next []syncRow) map[string][]string {
	was := make(map[string]syncRow, len(old))
	for _, r := range old {
		was[r.key] = r
	}
	out := map[string][]string{}
	for _, r := range next {
		if o, ok := was[r.key]; ok {
			if f := fieldsOf(o, r); len(f) > 0 {
				out[r.key] = f
			}
		}
	}
	return out
}

// withRemoved is next plus the rows of old that next no longer has: what
// DevRev holds after a sync of next (a row removed from the export keeps
// its work, untouched).
func withRemoved(next, old []syncRow) []syncRow {
	out := slices.Clone(next)
	keep := make(map[string]bool, len(next))
	for _, r := range next {
		keep[r.key] = true
	}
	for _, r := range old {
		if !keep[r.key] {
			out = append(out, r)
		}
	}
	return out
}

// newSyncFixture is a fixture whose file is rows, mapped by syncMapping.
func newSyncFixture(t *testing.T, rows []syncRow, fo fixtureOptions) *fixture {
	t.Helper()
	fo.rows = 0
	f := newFixture(t, fo)
	if err := os.WriteFile(f.mapping, []byte(syncMapping), 0o600); err != nil {
		t.Fatal(err)
	}
	f.writeSync(rows)
	return f
}

// writeSync writes rows as the fixture's file, and makes the fixture's
// keys every key it was ever given: a row removed from the export keeps
// its work in DevRev.
func (f *fixture) writeSync(rows []syncRow) {
	f.t.Helper()
	var b strings.Builder
	w := csv.NewWriter(&b)
	_ = w.Write([]string{"Ticket ID", "Subject", "Description", "Priority", "Assignee", "Tags", "Due"})
	for _, r := range rows {
		_ = w.Write([]string{r.key, r.title, r.body, r.prio, r.owner, r.tags, r.due})
		if !slices.Contains(f.keys, r.key) {
			f.keys = append(f.keys, r.key)
		}
	}
	w.Flush()
	if err := os.WriteFile(f.csv, []byte(b.String()), 0o600); err != nil {
		f.t.Fatal(err)
	}
	f.rows = len(rows)
}

// servedRow renders a work as the simulator serves it in the file's terms.
func servedRow(w simulator.Work) syncRow {
	r := syncRow{key: fmt.Sprint(w.CustomFields[keyField]), title: w.Title}
	r.body, _ = w.Raw["body"].(string)
	for prio, sev := range severities {
		if w.Raw["severity"] == sev {
			r.prio = prio
		}
	}
	var owners, tags []string
	for _, o := range asList(w.Raw["owned_by"]) {
		m, _ := o.(map[string]any)
		owners = append(owners, fmt.Sprint(m["display_id"]))
	}
	for _, o := range asList(w.Raw["tags"]) {
		m, _ := o.(map[string]any)
		tag, _ := m["tag"].(map[string]any)
		tags = append(tags, fmt.Sprint(tag["display_id"]))
	}
	slices.Sort(tags)
	r.owner, r.tags = strings.Join(owners, ";"), strings.Join(tags, ";")
	if due, ok := w.Raw["target_close_date"].(string); ok {
		if ts, err := time.Parse(time.RFC3339, due); err == nil {
			r.due = ts.UTC().Format(time.RFC3339)
		} else {
			r.due = due
		}
	}
	return r
}

func asList(v any) []any {
	l, _ := v.([]any)
	return l
}

// assertSynced checks through the simulator's own record that every key
// has exactly one work, that each work says what want says of its key,
// field for field, and that the updates the simulator applied to it sent
// exactly the fields changed[key] names (each of them at least once;
// keys not in changed got none). It returns the works by key and how many
// updates were applied more than once (resent in-doubt updates).
func (f *fixture) assertSynced(want []syncRow, changed map[string][]string) (byKey map[string]simulator.Work, resent int) {
	f.t.Helper()
	byKey = f.assertExactlyOnce()
	bad := 0
	for _, r := range want {
		w, ok := byKey[r.key]
		if !ok {
			continue // reported by assertExactlyOnce
		}
		var errs []string
		if got := servedRow(w); got != r {
			errs = append(errs, fmt.Sprintf("work says %+v, want %+v", got, r))
		}
		ups := f.sim.Updates(w.ID)
		if len(ups) == 0 && changed[r.key] != nil {
			errs = append(errs, fmt.Sprintf("no update reached it, want one of %v", changed[r.key]))
		}
		for i, u := range ups {
			if !slices.Equal(u.Fields, changed[r.key]) {
				errs = append(errs, fmt.Sprintf("update %d sent %v, want %v", i+1, u.Fields, changed[r.key]))
			}
		}
		if len(ups) > 1 {
			resent += len(ups) - 1
		}
		if len(errs) > 0 {
			if bad++; bad <= 10 {
				f.t.Errorf("key %s (%s): %s", r.key, w.DisplayID, strings.Join(errs, "; "))
			}
		}
	}
	if bad > 10 {
		f.t.Errorf("... %d works in all differ from what they should say", bad)
	}
	return byKey, resent
}

// writesSince is how many creates and updates the simulator performed
// since before.
func (f *fixture) writesSince(before simulator.Stats) (creates, updates int) {
	now := f.sim.Stats()
	return now.Creates - before.Creates, now.Updates - before.Updates
}

// assertQuietNight runs the command once more over an unchanged file: it
// must exit 0, count every row unchanged and send no write at all (no
// request reaches works.create or works.update), and ask DevRev for no
// key (the checkpoint knows every work).
func (f *fixture) assertQuietNight() {
	f.t.Helper()
	before := f.obs.snapshot()
	p, code := f.runOnce(2 * time.Minute)
	after := f.obs.snapshot()
	s := p.result(f.t)
	if code != exitOK || s == nil {
		f.t.Fatalf("quiet night: exit %d\n%s", code, tail(p.stderr.String(), 3000))
	}
	if s.Created != 0 || s.Updated != 0 || s.Unchanged != f.rows || s.Failed != 0 {
		f.t.Errorf("quiet night: created %d, updated %d, unchanged %d (want %d), failed %d", s.Created, s.Updated, s.Unchanged, f.rows, s.Failed)
	}
	if c, u := after.Creates-before.Creates, after.Updates-before.Updates; c != 0 || u != 0 {
		f.t.Errorf("quiet night: %d create and %d update requests, want none", c, u)
	}
	if l := after.Lists - before.Lists; l != 0 {
		f.t.Errorf("quiet night: %d works.list calls, want none (the checkpoint knows every work)", l)
	}
}

// ceilDiv is a/b rounded up.
func ceilDiv(a, b int) int { return (a + b - 1) / b }

// TestUpsertLostCheckpoint imports a keyed file, loses the checkpoint,
// and runs `import --mode upsert` over the next night's export: every
// work is found by its key (works.list filtered by the custom field, 50
// keys a call, not one call a row), none is created twice, and only the
// changed rows are updated, with only their changed fields (compared with
// what DevRev serves, since nothing else remembers what was sent).
func TestUpsertLostCheckpoint(t *testing.T) {
	t.Parallel()
	n, added := shortOr(2000, 400), shortOr(100, 20)
	first := syncRows(n)
	f := newSyncFixture(t, first, fixtureOptions{args: []string{"--workers", "16"}})
	f.finish(1, 2*time.Minute)
	f.assertSynced(first, nil)

	if err := os.Remove(f.ck); err != nil {
		t.Fatal(err)
	}
	next := nextNight(first, added, 10)
	changed := changedRows(first, next)
	f.writeSync(next)
	f.args = append(f.args, "--mode", "upsert")
	// The plan, without a checkpoint, looks every key up too.
	pp, code := f.runOnce(3*time.Minute, "--dry-run")
	if plan := pp.result(t); code != exitOK || plan == nil || plan.Created != added || plan.Updated != len(changed) {
		t.Errorf("plan without a checkpoint: exit %d, summary %+v, want create %d, update %d\n%s", code, plan, added, len(changed), tail(pp.stderr.String(), 3000))
	}
	stats, before := f.sim.Stats(), f.obs.snapshot()
	p, code := f.runOnce(3 * time.Minute)
	after := f.obs.snapshot()
	s := p.result(t)
	if code != exitOK || s == nil {
		t.Fatalf("upsert without a checkpoint: exit %d\n%s", code, tail(p.stderr.String(), 3000))
	}
	unchanged := len(next) - added - len(changed)
	if s.Created != added || s.Updated != len(changed) || s.Unchanged != unchanged || s.Failed != 0 {
		t.Errorf("summary: created %d (want %d), updated %d (want %d), unchanged %d (want %d), failed %d",
			s.Created, added, s.Updated, len(changed), s.Unchanged, unchanged, s.Failed)
	}
	creates, updates := f.writesSince(stats)
	if creates != added || updates != len(changed) {
		t.Errorf("the simulator performed %d creates and %d updates, want %d and %d (new and changed rows)", creates, updates, added, len(changed))
	}
	_, resent := f.assertSynced(withRemoved(next, first), changed)
	if resent != 0 {
		t.Errorf("%d updates applied twice without a fault", resent)
	}
	// Every key of the file is looked up once, 50 a call; a batch's works
	// fit one page of 100, so a second page is at most a cursor's empty end.
	batches := ceilDiv(len(next), 50)
	lookups, lists := after.Lookups["custom_field"]-before.Lookups["custom_field"], after.Lists-before.Lists
	if lookups != batches || lists > 2*batches {
		t.Errorf("%d lookups by custom field (%d works.list calls in all) for %d rows, want %d (50 keys a call)", lookups, lists, len(next), batches)
	}
	t.Logf("%d rows, checkpoint lost: %d works.list calls (%d lookups by key), %d creates, %d updates (%d rows changed), %d requests in all",
		len(next), lists, lookups, creates, updates, len(changed), s.Requests)

	// The works found are in the new checkpoint: the next night asks
	// DevRev nothing and writes nothing.
	f.assertQuietNight()
}

// TestUpsertKeepsPeoplesEdits has people edit works in DevRev after the
// import (bodies, tags, a title, an owner: fields the next night's file
// does not change) and checks that the nightly upsert, which does change
// other fields of those rows, never sends a field whose file value did not
// change, so the people's edits stay; a field both the person and the file
// changed takes the file's value.
func TestUpsertKeepsPeoplesEdits(t *testing.T) {
	t.Parallel()
	const n = 200
	first := syncRows(n)
	f := newSyncFixture(t, first, fixtureOptions{args: []string{"--mode", "upsert"}})
	f.finish(1, 2*time.Minute) // the nightly job's first night: every key looked up, none found
	byKey, _ := f.assertSynced(first, nil)

	next := slices.Clone(first)
	want := slices.Clone(first)
	edit := func(i int, field string, value any, apply func(r *syncRow)) {
		t.Helper()
		w := byKey[first[i].key]
		if _, err := f.sim.EditWork("DEVU-3", map[string]any{"id": w.ID, "type": "ticket", field: value}); err != nil {
			t.Fatalf("editing %s of %s: %v", field, w.DisplayID, err)
		}
		apply(&want[i])
	}
	for i := 0; i < 10; i++ {
		edit(i, "body", "Rewritten by a person", func(r *syncRow) { r.body = "Rewritten by a person" })
	}
	for i := 10; i < 20; i++ {
		edit(i, "tags", map[string]any{"set": []any{map[string]any{"id": "TAG-3"}}}, func(r *syncRow) { r.tags = "TAG-3" })
	}
	edit(20, "title", "Renamed in DevRev", func(r *syncRow) { r.title = "Renamed in DevRev" })
	edit(21, "owned_by", map[string]any{"set": []any{"DEVU-5"}}, func(r *syncRow) { r.owner = "DEVU-5" })
	edit(22, "title", "Renamed in DevRev too", func(r *syncRow) {}) // the file renames it as well: the file wins
	// The next night's file changes the priority of every edited row, and
	// the title of the last one.
	for i := 0; i < 23; i++ {
		next[i].prio, want[i].prio = "Urgent", "Urgent"
		if first[i].prio == "Urgent" {
			next[i].prio, want[i].prio = "Low", "Low"
		}
	}
	next[22].title, want[22].title = "Renamed in the export", "Renamed in the export"
	changed := changedRows(first, next)
	f.writeSync(next)

	p, code := f.runOnce(2 * time.Minute)
	s := p.result(t)
	if code != exitOK || s == nil || s.Updated != len(changed) || s.Created != 0 {
		t.Fatalf("upsert: exit %d, summary %+v\n%s", code, s, tail(p.stderr.String(), 3000))
	}
	f.assertSynced(want, changed)
	f.assertQuietNight()
	// The people's values are still there after the quiet night.
	f.assertSynced(want, changed)
}

// TestUpsertAmbiguousKey has another tool make a second work carrying one
// row's key, then loses the checkpoint: the upsert, looking the keys up,
// finds two works for that key, fails the row naming both, and writes
// nothing to either (Salesforce's rule); the other rows are updated. The
// next run, with the checkpoint it wrote, does the same for that row and
// nothing else.
func TestUpsertAmbiguousKey(t *testing.T) {
	t.Parallel()
	first := syncRows(6)
	f := newSyncFixture(t, first, fixtureOptions{args: []string{"--mode", "upsert"}})
	f.finish(1, time.Minute)
	byKey, _ := f.assertSynced(first, nil)
	twin, err := f.sim.AddWork("DEVU-4", map[string]any{"type": "ticket", "title": "Made by another tool",
		"applies_to_part": "PROD-1", "owned_by": []any{"DEVU-4"}, "custom_fields": map[string]any{keyField: first[2].key},
		"custom_schema_spec": map[string]any{"tenant_fragment": true}})
	if err != nil {
		t.Fatal(err)
	}
	if err := os.Remove(f.ck); err != nil {
		t.Fatal(err)
	}
	next := slices.Clone(first)
	for i := range next {
		next[i].title += " (renamed)"
	}
	f.writeSync(next)

	for night, wantUpdates := range []int{5, 0} {
		stats := f.sim.Stats()
		p, code := f.runOnce(time.Minute)
		s := p.result(t)
		if code != exitRows || s == nil || s.Ambiguous != 1 || s.Failed != 1 || s.Updated != wantUpdates {
			t.Fatalf("night %d: exit %d (want %d), summary %+v\n%s", night, code, exitRows, s, tail(p.stderr.String(), 3000))
		}
		msg := p.stderr.String() + strings.Join(readCSV(t, f.errsCSV)[1], ",")
		if !strings.Contains(msg, byKey[first[2].key].DisplayID) || !strings.Contains(msg, twin.DisplayID) {
			t.Errorf("night %d: the row's failure does not name both works %s and %s:\n%s", night, byKey[first[2].key].DisplayID, twin.DisplayID, msg)
		}
		if c, u := f.writesSince(stats); c != 0 || u != wantUpdates {
			t.Errorf("night %d: %d creates, %d updates", night, c, u)
		}
	}
	for _, id := range []string{byKey[first[2].key].ID, twin.ID} {
		if ups := f.sim.Updates(id); len(ups) != 0 {
			t.Errorf("work %s of the ambiguous key was updated: %+v", id, ups)
		}
	}
}
