package cli

import (
	"encoding/csv"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/devrev-import/devrev-import/importer/simulator"
)

// The nightly-sync tests import a keyed file, edit it as an export
// changes between two nights, and run the same command again against the
// same simulator, over loopback HTTP.

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

// syncRow is one row of the sync file.
type syncRow struct {
	id, subject, desc, prio, owner, tags, due string
}

func syncRows(n int) []syncRow {
	prios := []string{"Urgent", "High", "Normal", "Low"}
	rows := make([]syncRow, n)
	for i := range rows {
		k := i + 1
		rows[i] = syncRow{id: fmt.Sprintf("ZD-%d", k), subject: fmt.Sprintf("Printer %d on fire", k),
			desc: fmt.Sprintf("Line one\nline %d", k), prio: prios[k%4], owner: fmt.Sprintf("DEVU-%d", 1+k%4),
			tags: "TAG-1", due: "2027-01-15T10:00:00Z"}
		if k%3 == 0 {
			rows[i].tags = "TAG-1;TAG-2"
		}
	}
	return rows
}

func writeSync(t *testing.T, path string, rows []syncRow) {
	t.Helper()
	var b strings.Builder
	w := csv.NewWriter(&b)
	w.Write([]string{"Ticket ID", "Subject", "Description", "Priority", "Assignee", "Tags", "Due"})
	for _, r := range rows {
		w.Write([]string{r.id, r.subject, r.desc, r.prio, r.owner, r.tags, r.due})
	}
	w.Flush()
	if err := os.WriteFile(path, []byte(b.String()), 0o600); err != nil {
		t.Fatal(err)
	}
}

// syncFiles writes the mapping and the first night's file.
func syncFiles(t *testing.T, rows []syncRow) (csvPath, mappingPath string) {
	dir := t.TempDir()
	csvPath, mappingPath = filepath.Join(dir, "tickets.csv"), filepath.Join(dir, "tickets.yaml")
	if err := os.WriteFile(mappingPath, []byte(syncMapping), 0o600); err != nil {
		t.Fatal(err)
	}
	writeSync(t, csvPath, rows)
	return csvPath, mappingPath
}

// editNight changes rows as an export changes from one night to the next
// (edited titles, owners, priorities, tags, emptied dates; ten rows
// removed, added new ones) and returns the new rows, how many kept rows
// changed and the per-field counts an upsert must send.
func editNight(rows []syncRow, added int) (out []syncRow, changed int, fields map[string]int) {
	out = slices.Clone(rows)
	for i := range out {
		k := i + 1
		if k%13 == 0 {
			out[i].subject += " (again)"
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
	}
	// Rows removed from the export are left alone in DevRev.
	out = slices.Delete(out, 5, 15)
	fields = map[string]int{}
	old := map[string]syncRow{}
	for _, r := range rows {
		old[r.id] = r
	}
	for _, r := range out {
		o := old[r.id]
		diff := map[string]bool{"title": o.subject != r.subject, "owned_by": o.owner != r.owner,
			"severity": o.prio != r.prio, "tags": o.tags != r.tags, "target_close_date": o.due != r.due}
		any := false
		for f, d := range diff {
			if d {
				fields[f]++
				any = true
			}
		}
		if any {
			changed++
		}
	}
	n := len(rows)
	for k := n + 1; k <= n+added; k++ {
		out = append(out, syncRow{id: fmt.Sprintf("ZD-%d", k), subject: fmt.Sprintf("New %d", k), prio: "Low", owner: "DEVU-2", tags: "TAG-1"})
	}
	return out, changed, fields
}

// assertWorksEqual checks, field by field through the simulator's own
// record, that the work of every row says what the row says.
func assertWorksEqual(t *testing.T, sim *simulator.Server, rows []syncRow) {
	t.Helper()
	byKey := map[string][]simulator.Work{}
	for _, w := range sim.Works() {
		k := fmt.Sprint(w.CustomFields["tnt__external_id"])
		byKey[k] = append(byKey[k], w)
	}
	sev := map[string]string{"Urgent": "blocker", "High": "high", "Normal": "medium", "Low": "low"}
	bad := 0
	for _, r := range rows {
		ws := byKey[r.id]
		if len(ws) != 1 {
			t.Errorf("key %s: %d works", r.id, len(ws))
			bad++
			continue
		}
		w := ws[0]
		var errs []string
		if w.Title != r.subject {
			errs = append(errs, fmt.Sprintf("title %q", w.Title))
		}
		if got := w.Raw["severity"]; got != sev[r.prio] {
			errs = append(errs, fmt.Sprintf("severity %v", got))
		}
		if got := ownerIDs(w.Raw["owned_by"]); got != r.owner {
			errs = append(errs, fmt.Sprintf("owned_by %v", got))
		}
		if got := tagIDs(w.Raw["tags"]); got != r.tags {
			errs = append(errs, fmt.Sprintf("tags %v, want %s", got, r.tags))
		}
		due, _ := w.Raw["target_close_date"].(string)
		if (due == "") != (r.due == "") {
			errs = append(errs, fmt.Sprintf("target_close_date %q, want %q", due, r.due))
		}
		if len(errs) > 0 && bad < 10 {
			t.Errorf("key %s (%s): %s", r.id, w.DisplayID, strings.Join(errs, ", "))
		}
		if len(errs) > 0 {
			bad++
		}
	}
	if bad > 0 {
		t.Fatalf("%d works differ from the file", bad)
	}
}

// ownerIDs renders served owned_by summaries as display IDs joined by ";".
func ownerIDs(v any) string {
	var out []string
	for _, o := range asList(v) {
		if m, ok := o.(map[string]any); ok {
			out = append(out, fmt.Sprint(m["display_id"]))
		}
	}
	return strings.Join(out, ";")
}

// tagIDs renders served tags ([{tag: summary}]) as sorted display IDs.
func tagIDs(v any) string {
	var out []string
	for _, o := range asList(v) {
		if m, ok := o.(map[string]any); ok {
			if tag, ok := m["tag"].(map[string]any); ok {
				out = append(out, fmt.Sprint(tag["display_id"]))
			}
		}
	}
	slices.Sort(out)
	return strings.Join(out, ";")
}

func asList(v any) []any {
	l, _ := v.([]any)
	return l
}

func TestUpsertNightly(t *testing.T) {
	sim, err := simulator.Start(simulator.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer sim.Close()
	const n = 2000
	rows := syncRows(n)
	csvPath, mappingPath := syncFiles(t, rows)

	first := run(t, sim.URL, nil, "import", csvPath, "--mapping", mappingPath, "--mode", "upsert")
	if first.code != 0 || first.num("created") != n {
		t.Fatalf("first night: exit %d, created %d\n%s", first.code, first.num("created"), first.stderr)
	}
	assertWorksEqual(t, sim, rows)

	next, changed, fields := editNight(rows, 100)
	writeSync(t, csvPath, next)

	// The plan says what the import will do, and sends nothing.
	planPath := filepath.Join(t.TempDir(), "plan.csv")
	before := sim.Stats()
	plan := run(t, sim.URL, nil, "validate", csvPath, "--mapping", mappingPath, "--mode", "upsert", "--plan-csv", planPath)
	if plan.code != 0 || plan.num("created") != 100 || plan.num("updated") != changed {
		t.Fatalf("plan: exit %d, would create %d (want 100), update %d (want %d)\n%s", plan.code, plan.num("created"), plan.num("updated"), changed, plan.stderr)
	}
	if s := sim.Stats(); s.Creates != before.Creates || s.Updates != before.Updates {
		t.Fatalf("the plan wrote: creates %d -> %d, updates %d -> %d", before.Creates, s.Creates, before.Updates, s.Updates)
	}
	wantLine := fmt.Sprintf("would create 100, update %d", changed)
	if !strings.Contains(plan.stderr, wantLine) {
		t.Errorf("plan output lacks %q:\n%s", wantLine, plan.stderr)
	}
	checkPlanCSV(t, planPath, fields)

	second := run(t, sim.URL, nil, "import", csvPath, "--mapping", mappingPath, "--mode", "upsert")
	if second.code != 0 || second.num("created") != 100 || second.num("updated") != changed || second.num("unchanged") != len(next)-100-changed {
		t.Fatalf("second night: exit %d, created %d, updated %d (want %d), unchanged %d\n%s", second.code, second.num("created"), second.num("updated"), changed, second.num("unchanged"), second.stderr)
	}
	after := sim.Stats()
	if writes := after.Creates + after.Updates - before.Creates - before.Updates; writes != 100+changed {
		t.Errorf("second night: %d writes, want %d (new + changed rows)", writes, 100+changed)
	}
	assertWorksEqual(t, sim, next)
	checkUpdatedFields(t, sim, fields)

	third := run(t, sim.URL, nil, "import", csvPath, "--mapping", mappingPath, "--mode", "upsert")
	if third.code != 0 || third.num("created") != 0 || third.num("updated") != 0 {
		t.Fatalf("third night: exit %d, created %d, updated %d\n%s", third.code, third.num("created"), third.num("updated"), third.stderr)
	}
	if s := sim.Stats(); s.Creates != after.Creates || s.Updates != after.Updates {
		t.Errorf("third night wrote: %d creates, %d updates", s.Creates-after.Creates, s.Updates-after.Updates)
	}
}

// checkPlanCSV checks that the plan lists one line per create and per
// changed field.
func checkPlanCSV(t *testing.T, path string, fields map[string]int) {
	t.Helper()
	recs := readCSVFile(t, path)
	if strings.Join(recs[0], ",") != "row,key,op,work,field,old,new" {
		t.Fatalf("plan header %q", recs[0])
	}
	creates, got := 0, map[string]int{}
	for _, r := range recs[1:] {
		switch r[2] {
		case "create":
			creates++
		case "update":
			got[r[4]]++
			if r[3] == "" || r[5] == "?" {
				t.Errorf("plan line %q: no work, or no old value", r)
			}
		}
	}
	if creates != 100 {
		t.Errorf("plan: %d creates, want 100", creates)
	}
	for f, n := range fields {
		if got[f] != n {
			t.Errorf("plan: %d lines for %s, want %d (all: %v)", got[f], f, n, got)
		}
	}
}

// checkUpdatedFields checks, from the simulator's record of every update,
// that each field reached it as often as rows changed it.
func checkUpdatedFields(t *testing.T, sim *simulator.Server, fields map[string]int) {
	t.Helper()
	got := map[string]int{}
	for _, w := range sim.Works() {
		for _, u := range sim.Updates(w.ID) {
			for _, f := range u.Fields {
				got[f]++
			}
		}
	}
	for f, n := range fields {
		if got[f] != n {
			t.Errorf("%s sent %d times, want %d (all: %v)", f, got[f], n, got)
		}
	}
	for f := range got {
		if _, ok := fields[f]; !ok {
			t.Errorf("%s sent %d times, but no row changed it", f, got[f])
		}
	}
}

// simDelete deletes a work in the simulator as a person would.
func simDelete(t *testing.T, sim *simulator.Server, id string) {
	t.Helper()
	req, _ := http.NewRequest("POST", sim.URL+"/works.delete", strings.NewReader(`{"id":"`+id+`"}`))
	req.Header.Set("Authorization", "Bearer "+simulator.DefaultToken)
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("works.delete %s: %d", id, resp.StatusCode)
	}
}

// workOf returns the simulator's work for key.
func workOf(t *testing.T, sim *simulator.Server, key string) simulator.Work {
	t.Helper()
	for _, w := range sim.Works() {
		if w.CustomFields["tnt__external_id"] == key {
			return w
		}
	}
	t.Fatalf("no work for key %s", key)
	return simulator.Work{}
}

func TestCreateModeCountsChangedRows(t *testing.T) {
	sim := startSim(t, simulator.Options{})
	rows := syncRows(40)
	csvPath, mappingPath := syncFiles(t, rows)
	if r := run(t, sim.URL, nil, "import", csvPath, "--mapping", mappingPath); r.code != 0 {
		t.Fatalf("import: exit %d\n%s", r.code, r.stderr)
	}
	rows[3].subject, rows[7].owner, rows[9].due = "Edited", "DEVU-5", ""
	writeSync(t, csvPath, rows)
	before := sim.Stats()
	r := run(t, sim.URL, nil, "import", csvPath, "--mapping", mappingPath)
	if r.code != 0 || r.num("changed") != 3 || r.num("skipped") != 40 {
		t.Fatalf("rerun in create mode: exit %d, changed %d (want 3), skipped %d\n%s", r.code, r.num("changed"), r.num("skipped"), r.stderr)
	}
	if !strings.Contains(r.stderr, "3 rows changed since they were imported; --mode upsert updates them") {
		t.Errorf("no hint:\n%s", r.stderr)
	}
	if s := sim.Stats(); s.Creates != before.Creates || s.Updates != before.Updates {
		t.Errorf("create mode wrote: %d creates, %d updates", s.Creates-before.Creates, s.Updates-before.Updates)
	}
}

func TestUpdateModeByDisplayIDColumn(t *testing.T) {
	sim := startSim(t, simulator.Options{})
	rows := syncRows(30)
	csvPath, mappingPath := syncFiles(t, rows)
	if r := run(t, sim.URL, nil, "import", csvPath, "--mapping", mappingPath); r.code != 0 {
		t.Fatalf("import: exit %d\n%s", r.code, r.stderr)
	}
	// The round trip: export from DevRev (display IDs), fix in Excel, re-import.
	dir := t.TempDir()
	var b strings.Builder
	b.WriteString("Work,Subject,Priority\n")
	for i, r := range rows {
		w := workOf(t, sim, r.id)
		subject := r.subject
		if i%10 == 0 {
			subject += " (fixed)"
		}
		fmt.Fprintf(&b, "%s,%s,%s\n", w.DisplayID, subject, r.prio)
	}
	b.WriteString("TKT-99999,Gone,Low\n")
	export := filepath.Join(dir, "export.csv")
	os.WriteFile(export, []byte(b.String()), 0o600)
	m := filepath.Join(dir, "export.yaml")
	os.WriteFile(m, []byte("type: ticket\nmode: update\ncolumns:\n  Work: id\n  Subject: title\n  Priority:\n    field: severity\n    values: {Urgent: blocker, High: high, Normal: medium, Low: low}\ndefaults:\n  applies_to_part: PROD-1\n  owned_by: DEVU-1\n"), 0o600)

	before := sim.Stats()
	r := run(t, sim.URL, nil, "import", export, "--mapping", m)
	if r.code != 1 || r.num("updated") != 3 || r.num("not_found") != 1 || r.num("created") != 0 {
		t.Fatalf("update by display ID: exit %d (want 1), updated %d (want 3), not_found %d, created %d\n%s", r.code, r.num("updated"), r.num("not_found"), r.num("created"), r.stderr)
	}
	if !strings.Contains(r.stderr, "work TKT-99999 (column mapped to id) does not exist in DevRev") {
		t.Errorf("the missing work is not named:\n%s", r.stderr)
	}
	after := sim.Stats()
	if after.Creates != before.Creates || after.Updates-before.Updates != 3 {
		t.Errorf("%d creates, %d updates, want 0 and 3", after.Creates-before.Creates, after.Updates-before.Updates)
	}
	// owned_by is a default that differs from most works' owners: a
	// default is not the file's word on a work it did not create, so only
	// the three fixed titles were sent.
	for i, row := range rows {
		if w := workOf(t, sim, row.id); i%10 == 0 && w.Title != row.subject+" (fixed)" {
			t.Errorf("%s: title %q", w.DisplayID, w.Title)
		}
	}
	// The same export again: its rows are now known by the checkpoint.
	again := run(t, sim.URL, nil, "import", export, "--mapping", m)
	if again.num("updated") != 0 || sim.Stats().Updates != after.Updates {
		t.Errorf("second run updated %d works\n%s", again.num("updated"), again.stderr)
	}
}

func TestUpsertWorkDeletedInDevRev(t *testing.T) {
	sim := startSim(t, simulator.Options{})
	rows := syncRows(10)
	csvPath, mappingPath := syncFiles(t, rows)
	if r := run(t, sim.URL, nil, "import", csvPath, "--mapping", mappingPath, "--mode", "upsert"); r.code != 0 {
		t.Fatalf("import: exit %d\n%s", r.code, r.stderr)
	}
	gone := workOf(t, sim, "ZD-4")
	simDelete(t, sim, gone.ID)
	rows[3].subject = "Edited after the work was deleted"
	writeSync(t, csvPath, rows)
	r := run(t, sim.URL, nil, "import", csvPath, "--mapping", mappingPath, "--mode", "upsert")
	if r.code != 1 || r.num("failed") != 1 || r.num("created") != 0 {
		t.Fatalf("exit %d (want 1), failed %d, created %d\n%s", r.code, r.num("failed"), r.num("created"), r.stderr)
	}
	if want := "work " + gone.DisplayID + " no longer exists in DevRev (--recreate-missing creates it again)"; !strings.Contains(r.stderr, want) {
		t.Errorf("stderr lacks %q:\n%s", want, r.stderr)
	}
	r = run(t, sim.URL, nil, "import", csvPath, "--mapping", mappingPath, "--mode", "upsert", "--recreate-missing")
	if r.code != 0 || r.num("created") != 1 {
		t.Fatalf("--recreate-missing: exit %d, created %d\n%s", r.code, r.num("created"), r.stderr)
	}
	if w := workOf(t, sim, "ZD-4"); w.Title != rows[3].subject || w.ID == gone.ID {
		t.Errorf("recreated work %s: title %q", w.DisplayID, w.Title)
	}
}

// A checkpoint written before field hashes existed: the first upsert
// compares its works with DevRev (listed in batches by the key field)
// instead of assuming every field changed, and records hashes for the
// next night.
func TestUpsertLegacyCheckpointComparesWithDevRev(t *testing.T) {
	sim := startSim(t, simulator.Options{})
	rows := syncRows(25)
	csvPath, mappingPath := syncFiles(t, rows)
	if r := run(t, sim.URL, nil, "import", csvPath, "--mapping", mappingPath); r.code != 0 {
		t.Fatalf("import: exit %d\n%s", r.code, r.stderr)
	}
	ck := csvPath + ".checkpoint.jsonl"
	stripHashes(t, ck)
	rows[2].subject, rows[5].tags = "Edited", "TAG-2"
	writeSync(t, csvPath, rows)
	before := sim.Stats()
	r := run(t, sim.URL, nil, "import", csvPath, "--mapping", mappingPath, "--mode", "upsert")
	if r.code != 0 || r.num("updated") != 2 || r.num("unchanged") != 23 {
		t.Fatalf("exit %d, updated %d (want 2), unchanged %d (want 23)\n%s", r.code, r.num("updated"), r.num("unchanged"), r.stderr)
	}
	after := sim.Stats()
	if gets, lists := after.ByPath["/works.get"]-before.ByPath["/works.get"], after.ByPath["/works.list"]-before.ByPath["/works.list"]; gets != 0 || lists != 1 {
		t.Errorf("%d works.get and %d works.list, want 0 and 1 (the 25 works without hashes read in one batch by their key field)", gets, lists)
	}
	assertWorksEqual(t, sim, rows)
	again := run(t, sim.URL, nil, "import", csvPath, "--mapping", mappingPath, "--mode", "upsert")
	if s := sim.Stats(); again.num("unchanged") != 25 || s.ByPath["/works.get"]+s.ByPath["/works.list"] != after.ByPath["/works.get"]+after.ByPath["/works.list"] {
		t.Errorf("next night: unchanged %d, %d more reads\n%s", again.num("unchanged"), s.ByPath["/works.get"]+s.ByPath["/works.list"]-after.ByPath["/works.get"]-after.ByPath["/works.list"], again.stderr)
	}
}

// stripHashes removes the field hashes from a checkpoint's lines, as a
// checkpoint written before they existed.
func stripHashes(t *testing.T, path string) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, line := range strings.Split(strings.TrimSuffix(string(b), "\n"), "\n") {
		var m map[string]any
		if json.Unmarshal([]byte(line), &m) == nil {
			if _, ok := m["fh"]; ok {
				delete(m, "fh")
				nb, _ := json.Marshal(m)
				line = string(nb)
			}
		}
		out = append(out, line)
	}
	if err := os.WriteFile(path, []byte(strings.Join(out, "\n")+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
}
