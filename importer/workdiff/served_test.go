package workdiff

import (
	"context"
	"encoding/json"
	"reflect"
	"testing"

	"github.com/devrev-import/devrev-import/importer/devrev"
	"github.com/devrev-import/devrev-import/importer/simulator"
	"github.com/devrev-import/devrev-import/mapping"
)

// roundTrip is one work type's row: the mapping, a header and the cells of
// the row as imported, and edits of it, each changing exactly one field.
type roundTrip struct {
	typ, mapping string
	header       []string
	cells        []string
	edits        []edit
}

type edit struct {
	col   int    // the cell changed
	value string // its new value ("" empties it)
	field string // the one field Diff must report
}

const customCols = `
  Points: {field: custom_fields.tnt__story_points, as: int}
  External: {field: custom_fields.tnt__external_id, as: text}
  Impact: {field: custom_fields.tnt__customer_impact, as: bool}
  Effort: {field: custom_fields.tnt__effort_days, as: number}
  Escalated: {field: custom_fields.tnt__escalated_at, as: timestamp}
`

var roundTrips = []roundTrip{
	{typ: "issue", mapping: "type: issue\ncolumns:\n  Title: title\n  Body: body\n  Part: applies_to_part\n  Owners: owned_by\n  Reporters: reported_by\n" +
		"  Tags: tags\n  Stage: stage.name\n  Due: target_close_date\n  Priority: priority\n  Starts: target_start_date\n  Dev: developed_with\n  Files: artifacts\n" + customCols,
		header: []string{"Title", "Body", "Part", "Owners", "Reporters", "Tags", "Stage", "Due", "Priority", "Starts", "Dev", "Files", "Points", "External", "Impact", "Effort", "Escalated"},
		cells: []string{"Printer on fire", "It burns.\nSecond line", "PROD-1", "DEVU-2, DEVU-1", "DEVU-3", "TAG-2, TAG-1", "triage", "2026-03-01 10:30",
			"P1", "2026-02-01", "CAPL-1, PROD-2", "ARTIFACT-1", "5", "X-1", "yes", "2.5", "2026-01-02T03:04:05+01:00"},
		edits: []edit{{0, "Printer on fire!", "title"}, {3, "DEVU-1", "owned_by"}, {5, "TAG-1", "tags"}, {5, "", "tags"},
			{6, "in_development", "stage"}, {7, "", "target_close_date"}, {7, "2026-03-02", "target_close_date"}, {8, "P2", "priority"},
			{9, "", "target_start_date"}, {10, "PROD-2", "developed_with"}, {12, "6", "custom_fields.tnt__story_points"},
			{12, "", "custom_fields.tnt__story_points"}, {14, "no", "custom_fields.tnt__customer_impact"},
			{16, "2026-01-02T03:04:06+01:00", "custom_fields.tnt__escalated_at"}, {4, "", "reported_by"}, {1, "", "body"}}},
	{typ: "ticket", mapping: "type: ticket\ncolumns:\n  Title: title\n  Part: applies_to_part\n  Owners: owned_by\n  Severity: severity\n" +
		"  Account: account\n  Org: rev_org\n  Channels: channels\n  Needs: needs_response\n  Source: source_channel\n",
		header: []string{"Title", "Part", "Owners", "Severity", "Account", "Org", "Channels", "Needs", "Source"},
		cells:  []string{"Refund", "PROD-2", "DEVU-1", "high", "ACC-1", "REV-1", "email, slack", "true", "web"},
		edits: []edit{{3, "low", "severity"}, {4, "ACC-2", "account"}, {4, "", "account"}, {6, "slack", "channels"},
			{7, "false", "needs_response"}, {5, "", "rev_org"}}},
	{typ: "opportunity", mapping: "type: opportunity\ncolumns:\n  Title: title\n  Part: applies_to_part\n  Owners: owned_by\n" +
		"  Account: account\n  Value: value\n  ACV: annual_contract_value\n  Contacts: contacts\n  Forecast: forecast_category_v2\n",
		header: []string{"Title", "Part", "Owners", "Account", "Value", "ACV", "Contacts", "Forecast"},
		cells:  []string{"Big deal", "PROD-1", "DEVU-1", "ACC-1", "12500.50 EUR", "1000 USD", "REVU-1, REVU-2", "Strong Upside"},
		edits: []edit{{4, "12500.51 EUR", "value"}, {5, "1000 EUR", "annual_contract_value"}, {6, "REVU-2", "contacts"},
			{7, "Commit", "forecast_category_v2"}, {3, "ACC-2", "account"}}},
	{typ: "task", mapping: "type: task\ncolumns:\n  Title: title\n  Part: applies_to_part\n  Owners: owned_by\n  Due: target_close_date\n",
		header: []string{"Title", "Part", "Owners", "Due"},
		cells:  []string{"Call back", "ENH-1", "DEVU-4", "2026-05-01T08:00:00Z"},
		edits:  []edit{{3, "2026-05-01T08:00:01Z", "target_close_date"}, {2, "DEVU-4, DEVU-1", "owned_by"}}},
}

// A work created from a mapped row and read back with works.get (from the
// simulator, over loopback) differs from the row in no field; a row edited
// in one cell differs in exactly that field, and before holds DevRev's
// value of it in request shape (null when DevRev had none), which
// restores the work: the update built from it, applied, leaves a work
// that Diff finds equal to the original row.
func TestDiffRoundTrip(t *testing.T) {
	ctx := context.Background()
	client, _ := startSimulator(t)
	for _, rt := range roundTrips {
		m := compile(t, rt.mapping, rt.header, "")
		body := mapCells(t, m, rt.cells)
		created, _, err := client.CreateWork(ctx, body)
		if err != nil {
			t.Fatalf("%s: create %s: %v", rt.typ, body, err)
		}
		work, _, err := client.GetWork(ctx, created.ID)
		if err != nil {
			t.Fatal(err)
		}
		now := mustFields(t, string(body))
		changed, before, err := Diff(now, m.Targets(), work.Raw)
		if err != nil || len(changed) != 0 || len(before) != 0 {
			t.Errorf("%s: the work as created: Diff = %v, %s, %v; want no change\nrow  %s\nwork %s", rt.typ, changed, show(before), err, body, work.Raw)
		}
		served, err := Served(work.Raw, m.Targets())
		if err != nil {
			t.Fatal(err)
		}
		if got := Changed(Hashes(now), served); len(got) != 0 {
			t.Errorf("%s: Served differs from Fields in %v:\nserved %s\nfields %s", rt.typ, got, show(served), show(now))
		}
		for _, e := range rt.edits {
			cells := append([]string(nil), rt.cells...)
			cells[e.col] = e.value
			edited := mustFields(t, string(mapCells(t, m, cells)))
			changed, before, err := Diff(edited, m.Targets(), work.Raw)
			if err != nil || !reflect.DeepEqual(changed, []string{e.field}) {
				t.Errorf("%s: %s = %q: Diff = %v, %v; want [%s]", rt.typ, rt.header[e.col], e.value, changed, err, e.field)
				continue
			}
			want, had := served[e.field]
			if !had {
				want = json.RawMessage("null")
			}
			if got := before[e.field]; string(got) != string(want) {
				t.Errorf("%s: %s = %q: before = %s, want %s", rt.typ, rt.header[e.col], e.value, got, want)
			}
		}
	}
}

func startSimulator(t *testing.T) (*devrev.Client, *simulator.Server) {
	t.Helper()
	sim, err := simulator.Start(simulator.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { sim.Close() })
	client, err := devrev.New(devrev.Options{Endpoint: sim.URL, Token: "sandbox-token"})
	if err != nil {
		t.Fatal(err)
	}
	return client, sim
}

// compile builds the Mapper of a mapping text; "" means header names are
// field names, and typ the work type.
func compile(t *testing.T, yaml string, header []string, typ string) *mapping.Mapper {
	t.Helper()
	var cfg *mapping.Config
	if yaml != "" {
		var err error
		if cfg, err = mapping.Parse("mapping.yaml", []byte(yaml)); err != nil {
			t.Fatalf("Parse: %v", err)
		}
	}
	m, _, err := mapping.Compile(cfg, header, mapping.Options{Type: typ})
	if err != nil {
		t.Fatalf("Compile: %v", err)
	}
	return m
}

// mapCells maps one row of text cells to the works.create body.
func mapCells(t *testing.T, m *mapping.Mapper, cells []string) []byte {
	t.Helper()
	b, err := json.Marshal(mapRow(t, m, cells))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// The whole cycle against the simulator: for every edit, the update that
// Update builds from the edited row and Diff's changed fields is accepted
// by works.update, after which Diff finds the work equal to the edited
// row; the update built from before (Values.Body) puts the work back, after
// which Diff finds it equal to the original row again.
func TestUpdateAndUndoRoundTrip(t *testing.T) {
	ctx := context.Background()
	client, sim := startSimulator(t)
	edits := 0
	for _, rt := range roundTrips {
		m := compile(t, rt.mapping, rt.header, "")
		body := mapCells(t, m, rt.cells)
		created, _, err := client.CreateWork(ctx, body)
		if err != nil {
			t.Fatal(err)
		}
		edits += len(rt.edits)
		orig := mustFields(t, string(body))
		for _, e := range rt.edits {
			cells := append([]string(nil), rt.cells...)
			cells[e.col] = e.value
			editedBody := mapCells(t, m, cells)
			edited := mustFields(t, string(editedBody))
			what := rt.typ + ": " + rt.header[e.col] + " = " + e.value

			work, _, err := client.GetWork(ctx, created.ID)
			if err != nil {
				t.Fatal(err)
			}
			changed, before, err := Diff(edited, m.Targets(), work.Raw)
			if err != nil {
				t.Fatal(err)
			}
			upd, warns, err := Update(editedBody, created.DisplayID, rt.typ, changed, UpdateOptions{AllowInvalidTransition: true})
			if err != nil || len(warns) > 0 {
				t.Fatalf("%s: Update: %v %q", what, err, warns)
			}
			after, _, err := client.UpdateWork(ctx, upd)
			if err != nil {
				t.Fatalf("%s: works.update %s: %v", what, upd, err)
			}
			if got, _, _ := Diff(edited, m.Targets(), after.Raw); len(got) != 0 {
				t.Errorf("%s: after the update %s the work still differs in %v", what, upd, got)
			}

			undoBody, err := before.Body(rt.typ)
			if err != nil {
				t.Fatal(err)
			}
			undo, warns, err := Update(undoBody, created.ID, rt.typ, before.Names(), UpdateOptions{AllowInvalidTransition: true})
			if err != nil || len(warns) > 0 {
				t.Fatalf("%s: undo Update: %v %q", what, err, warns)
			}
			restored, _, err := client.UpdateWork(ctx, undo)
			if err != nil {
				t.Fatalf("%s: undo works.update %s: %v", what, undo, err)
			}
			if got, _, _ := Diff(orig, m.Targets(), restored.Raw); len(got) != 0 {
				t.Errorf("%s: after the undo %s the work differs from the original row in %v", what, undo, got)
			}
		}
	}
	if got := sim.Stats().Updates; got != 2*edits {
		t.Errorf("the simulator applied %d updates, want %d (an update and an undo per edit)", got, 2*edits)
	}
}

// Diff on a work served with DONs, a stage by ID, fields DevRev set by
// itself and fields it does not serve back.
func TestDiffShapes(t *testing.T) {
	const work = `{"type":"task","id":"don:core:dvrv-us-1:devo/1:task/1","display_id":"TASK-1","title":"T ",
		"owned_by":[{"id":"don:identity:dvrv-us-1:devo/1:devu/1"}],"applies_to_part":{"id":"don:core:dvrv-us-1:devo/1:product/1","display_id":"PROD-1"},
		"stage":{"name":"Queued","stage":{"id":"don:core:dvrv-us-1:devo/1:custom_stage/3"}},"custom_fields":{"tnt__n":5,"tnt__gone":null},
		"target_close_date":"2026-05-01T10:00:00.000+02:00"}`
	now := mustFields(t, `{"type":"task","title":"T","owned_by":["don:identity:dvrv-us-1:devo/1:devu/1"],"applies_to_part":"don:core:dvrv-us-1:devo/1:product/1",
		"stage":{"id":"don:core:dvrv-us-1:devo/1:custom_stage/3"},"custom_fields":{"tnt__n":5.0},"target_close_date":"2026-05-01T08:00:00Z","start_date":"2026-01-01T00:00:00Z"}`)
	mapped := []string{"title", "owned_by", "applies_to_part", "stage", "start_date", "embedded", "custom_fields.tnt__gone", "custom_schema_spec", "reported_by"}
	changed, before, err := Diff(now, mapped, json.RawMessage(work))
	if err != nil {
		t.Fatal(err)
	}
	// start_date is not served back: sent whenever the row has one; embedded
	// (not served, empty in the row) and the rest (equal) are not.
	if !reflect.DeepEqual(changed, []string{"start_date"}) || len(before) != 0 {
		t.Errorf("Diff = %v, %s; want [start_date] and no before", changed, show(before))
	}

	// The row emptied the stage (DevRev's own) and the close date, and
	// changed the title: the stage cannot be emptied, so only two changes.
	now = mustFields(t, `{"type":"task","title":"U","owned_by":["DEVU-1"],"custom_fields":{"tnt__n":5}}`)
	changed, before, err = Diff(now, []string{"title", "stage", "target_close_date", "owned_by"}, json.RawMessage(work))
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"owned_by", "target_close_date", "title"}; !reflect.DeepEqual(changed, want) {
		t.Errorf("Diff = %v, want %v", changed, want)
	}
	want := map[string]string{"owned_by": `["don:identity:dvrv-us-1:devo/1:devu/1"]`, "target_close_date": `"2026-05-01T08:00:00Z"`, "title": `"T "`}
	if !reflect.DeepEqual(strs(before), want) {
		t.Errorf("before = %s, want %v", show(before), want)
	}

	all, err := Served(json.RawMessage(work), nil)
	if err != nil {
		t.Fatal(err)
	}
	wantAll := map[string]string{"applies_to_part": `"PROD-1"`, "custom_fields.tnt__n": `5`, "owned_by": `["don:identity:dvrv-us-1:devo/1:devu/1"]`,
		"stage": `{"name":"Queued"}`, "target_close_date": `"2026-05-01T08:00:00Z"`, "title": `"T "`}
	if !reflect.DeepEqual(strs(all), wantAll) {
		t.Errorf("Served(nil) = %s\nwant %v", show(all), wantAll)
	}

	some, err := Served(json.RawMessage(work), []string{"title", "reported_by", "start_date", "custom_fields.tnt__gone", "custom_schema_spec"})
	if err != nil {
		t.Fatal(err)
	}
	if want := map[string]string{"title": `"T "`, "reported_by": `null`, "custom_fields.tnt__gone": `null`}; !reflect.DeepEqual(strs(some), want) {
		t.Errorf("Served = %s, want %v (null: DevRev holds none; start_date is not served back)", show(some), want)
	}

	for _, bad := range []string{`[]`, `"x"`, `{`} {
		if _, _, err := Diff(now, nil, json.RawMessage(bad)); err == nil {
			t.Errorf("Diff on %s: no error", bad)
		}
	}
}

// Body puts Values back into a create-shaped body: custom fields inside
// custom_fields with the tenant hint, null values left out (Update then
// clears them).
func TestValuesBody(t *testing.T) {
	v := Values{"title": json.RawMessage(`"T"`), "target_close_date": json.RawMessage(`null`),
		"custom_fields.tnt__a": json.RawMessage(`1`), "custom_fields.tnt__b": json.RawMessage(`null`)}
	b, err := v.Body("issue")
	if err != nil {
		t.Fatal(err)
	}
	if got, want := string(b), compact(t, `{"type":"issue","title":"T","custom_fields":{"tnt__a":1},"custom_schema_spec":{"tenant_fragment":true}}`); got != want {
		t.Errorf("Body = %s, want %s", got, want)
	}
	upd, warns, err := Update(b, "ISS-1", "issue", v.Names(), UpdateOptions{})
	if err != nil || len(warns) > 0 {
		t.Fatal(err, warns)
	}
	if got, want := string(upd), compact(t, `{"type":"issue","id":"ISS-1","title":"T","target_close_date":null,
		"custom_fields":{"tnt__a":1,"tnt__b":null},"custom_schema_spec":{"tenant_fragment":true}}`); got != want {
		t.Errorf("undo update = %s\nwant %s", got, want)
	}
}

// HasHash tells whether the work still holds a value whose hash a journal
// recorded, whichever form of ID the request used.
func TestHasHash(t *testing.T) {
	d, err := ParseDoc(json.RawMessage(`{"type":"issue","title":"T","applies_to_part":{"id":"don:core:dvrv-us-1:devo/1:product/1","display_id":"PROD-1"},
		"owned_by":[{"id":"don:identity:dvrv-us-1:devo/1:devu/2","display_id":"DEVU-2"},{"id":"don:identity:dvrv-us-1:devo/1:devu/1","display_id":"DEVU-1"}],
		"tags":[{"tag":{"id":"don:core:dvrv-us-1:devo/1:tag/1","display_id":"TAG-1"},"value":"v"}],
		"stage":{"name":"Queued","stage":{"id":"don:core:dvrv-us-1:devo/1:custom_stage/3"}},"target_close_date":"2026-05-01T10:00:00.000+02:00",
		"priority_v2":{"id":2,"label":"P1"},"custom_fields":{"tnt__n":5}}`))
	if err != nil {
		t.Fatal(err)
	}
	h := func(v string) string { return Hash(json.RawMessage(compact(t, v))) }
	cases := []struct {
		field, sent string
		want        bool
	}{
		{"title", `"T"`, true},
		{"title", `"U"`, false},
		{"applies_to_part", `"PROD-1"`, true},
		{"applies_to_part", `"don:core:dvrv-us-1:devo/1:product/1"`, true},
		{"applies_to_part", `"PROD-2"`, false},
		{"owned_by", `["DEVU-1","DEVU-2"]`, true},
		{"owned_by", `["don:identity:dvrv-us-1:devo/1:devu/1","don:identity:dvrv-us-1:devo/1:devu/2"]`, true},
		{"owned_by", `["DEVU-1"]`, false},
		{"tags", `[{"id":"TAG-1","value":"v"}]`, true},
		{"tags", `[{"id":"TAG-1"}]`, false},
		{"stage", `{"name":"Queued"}`, true},
		{"stage", `{"id":"don:core:dvrv-us-1:devo/1:custom_stage/3"}`, true},
		{"stage", `{"name":"Done"}`, false},
		{"target_close_date", `"2026-05-01T08:00:00Z"`, true},
		{"priority_v2", `2`, true},
		{"custom_fields.tnt__n", `5`, true},
		{"custom_fields.tnt__n", `6`, false},
		{"reported_by", `["DEVU-1"]`, false}, // DevRev holds none
		{"target_start_date", `"2026-05-01T08:00:00Z"`, false},
	}
	for _, tc := range cases {
		if got := d.HasHash(tc.field, h(tc.sent)); got != tc.want {
			t.Errorf("HasHash(%s, hash of %s) = %v, want %v", tc.field, tc.sent, got, tc.want)
		}
	}
	task, _ := ParseDoc(json.RawMessage(`{"type":"task"}`))
	if !task.HasHash("start_date", "whatever") {
		t.Error("a field DevRev does not serve back must match any hash")
	}
}
