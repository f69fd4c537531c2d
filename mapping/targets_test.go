package mapping

import (
	"reflect"
	"strings"
	"testing"

	"github.com/devrev-import/devrev-import/importer/source"
)

func TestSyncSettings(t *testing.T) {
	cfg, err := Parse("m.yaml", []byte(`type: ticket
key: Ticket ID
mode: upsert
tags: add
columns:
  Ticket ID: custom_fields.tnt__external_id
  Work: id
  Subject: title
  Due: target_close_date
  Stage: stage
  Amount: {field: custom_fields.tnt__points, as: int}
defaults:
  owned_by: DEVU-1
  applies_to_part: PROD-1
`))
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Mode != "upsert" || !cfg.TagsAdd {
		t.Fatalf("mode %q, tags add %v", cfg.Mode, cfg.TagsAdd)
	}
	m, _, err := Compile(cfg, []string{"Ticket ID", "Work", "Subject", "Due", "Stage", "Amount"}, Options{})
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"applies_to_part", "custom_fields.tnt__external_id", "custom_fields.tnt__points", "owned_by", "stage", "target_close_date", "title"}
	if got := m.Targets(); !reflect.DeepEqual(got, want) {
		t.Errorf("Targets() = %q, want %q", got, want)
	}
	if got := m.DefaultOnly(); !reflect.DeepEqual(got, []string{"applies_to_part", "owned_by"}) {
		t.Errorf("DefaultOnly() = %q", got)
	}
	if !m.HasIDColumn() || m.KeyField() != "tnt__external_id" {
		t.Errorf("HasIDColumn %v, KeyField %q", m.HasIDColumn(), m.KeyField())
	}
	cell := func(s string) source.Cell { return source.Cell{Value: s} }
	res := m.Map(source.Row{Number: 2, Cells: []source.Cell{cell("K1"), cell("ISS-12"), cell("T"), cell(""), cell(""), cell("3")}})
	if len(res.Problems) > 0 || res.Work.ID != "ISS-12" {
		t.Fatalf("id ISS-12: work id %q, problems %v", res.Work.ID, res.Problems)
	}
	res = m.Map(source.Row{Number: 3, Cells: []source.Cell{cell("K2"), cell("PROD-1"), cell("T"), cell(""), cell(""), cell("3")}})
	if len(res.Problems) != 1 || res.Problems[0].Field != "id" {
		t.Fatalf("a part ID in the id column: problems %v", res.Problems)
	}
}

func TestSyncSettingsRefused(t *testing.T) {
	for _, tc := range []struct{ yaml, want string }{
		{"type: task\nmode: upsrt\n", `m.yaml:2:7: unknown mode "upsrt" (did you mean upsert?`},
		{"type: task\ntags: keep\n", `m.yaml:2:7: tags: must be set or add`},
	} {
		_, err := Parse("m.yaml", []byte(tc.yaml))
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%q: got %v, want %q", tc.yaml, err, tc.want)
		}
	}
	// The key is not stored as the cell's text: no DevRev lookup by key.
	cfg, _ := Parse("m.yaml", []byte("type: task\nkey: K\ncolumns:\n  K: {field: custom_fields.tnt__n, as: int}\n  T: title\n"))
	m, _, err := Compile(cfg, []string{"K", "T"}, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if m.KeyField() != "" {
		t.Errorf("KeyField() = %q for an int custom field", m.KeyField())
	}
}
