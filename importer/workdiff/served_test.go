package workdiff

import (
	"context"
	"encoding/json"
	"reflect"
	"testing"

	"github.com/devrev-import/devrev-import/importer/devrev"
	"github.com/devrev-import/devrev-import/importer/simulator"
	"github.com/devrev-import/devrev-import/importer/source"
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
	client := startSimulator(t)
	for _, rt := range roundTrips {
		m := compile(t, rt.mapping, rt.header)
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

func startSimulator(t *testing.T) *devrev.Client {
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
	return client
}

func compile(t *testing.T, yaml string, header []string) *mapping.Mapper {
	t.Helper()
	cfg, err := mapping.Parse("mapping.yaml", []byte(yaml))
	if err != nil {
		t.Fatalf("Parse: %v", err)
	}
	m, _, err := mapping.Compile(cfg, header, mapping.Options{})
	if err != nil {
		t.Fatalf("Compile: %v", err)
	}
	return m
}

func mapCells(t *testing.T, m *mapping.Mapper, cells []string) []byte {
	t.Helper()
	row := source.Row{Number: 2}
	for _, c := range cells {
		row.Cells = append(row.Cells, source.Cell{Value: c})
	}
	res := m.Map(row)
	if len(res.Problems) > 0 {
		t.Fatalf("row %q: %v", cells, res.Problems)
	}
	b, err := json.Marshal(res.Work)
	if err != nil {
		t.Fatal(err)
	}
	return b
}
