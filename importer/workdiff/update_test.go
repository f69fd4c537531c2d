package workdiff

import (
	"errors"
	"reflect"
	"strings"
	"testing"
)

// Update sends exactly the named fields, each in the update shape of the
// spec, with type and id always; emptied fields are cleared where the
// update allows it and named in a warning where it does not.
func TestUpdateShapes(t *testing.T) {
	const (
		issue = `{"type":"issue","title":"T","body":"B","applies_to_part":"PROD-1","owned_by":["DEVU-2","DEVU-1"],"reported_by":["DEVU-3"],
			"artifacts":["ARTIFACT-1"],"tags":[{"id":"TAG-2","value":"urgent"},{"id":"TAG-1"}],"stage":{"name":"triage"},
			"stage_validation_options":["allow_non_start"],"target_close_date":"2024-03-01T10:00:00+02:00",
			"priority":"p1","priority_v2":2,"sprint":"SPR-4","target_start_date":"2024-03-01T14:30:00Z","developed_with":["PROD-2","CAPL-3"],
			"custom_fields":{"tnt__points":5,"tnt__team":"core"},"custom_schema_spec":{"tenant_fragment":true},"custom_schema_fragments":["don:core:dvrv-us-1:devo/0:custom_type_fragment/x"]}`
		ticket = `{"type":"ticket","title":"T","applies_to_part":"PROD-1","owned_by":["DEVU-1"],"severity":"blocker","account":"ACC-9",
			"channels":["twilio_sms","email"],"channels_v2":["don:core:dvrv-us-1:devo/0:channel/1"],"group":"GRP-1","is_spam":false,"needs_response":true,
			"rev_org":"REV-AbCd","source_channel":"web","source_channel_v2":"CHAN-1","stage":{"id":"don:core:dvrv-us-1:devo/0:custom_stage/7"}}`
		task = `{"type":"task","title":"T","applies_to_part":"PROD-1","owned_by":["DEVU-1"],"embedded":true,"priority":"p3","start_date":"2024-03-01T10:00:00+02:00"}`
		opp  = `{"type":"opportunity","title":"T","applies_to_part":"PROD-1","owned_by":["DEVU-1"],"account":"ACC-1","amount":1200.5,
			"annual_contract_value":{"amount":"1000","currency":"USD"},"contacts":["REVU-2","REVU-1"],"customer_budget":5000,
			"forecast_category":"strong_upside","forecast_category_v2":4,"priority":"p0","probability":0.45,"value":{"amount":"12500.5","currency":"EUR"}}`
		empty = `{"type":"issue","title":"T","applies_to_part":"PROD-1","owned_by":["DEVU-1"]}`
	)
	cases := []struct {
		name, body, typ string
		fields          []string
		opt             UpdateOptions
		want            string
		warnings        []string
	}{
		{name: "issue: every field", body: issue, typ: "issue",
			fields: []string{"title", "body", "applies_to_part", "owned_by", "reported_by", "artifacts", "tags", "stage", "target_close_date",
				"priority", "priority_v2", "sprint", "target_start_date", "developed_with", "custom_fields.tnt__points"},
			want: `{"type":"issue","id":"ISS-1","title":"T","body":"B","applies_to_part":"PROD-1","owned_by":{"set":["DEVU-1","DEVU-2"]},
				"reported_by":{"set":["DEVU-3"]},"artifacts":{"set":["ARTIFACT-1"]},"tags":{"set":[{"id":"TAG-1"},{"id":"TAG-2","value":"urgent"}]},
				"stage":{"name":"triage"},"target_close_date":"2024-03-01T08:00:00Z","priority":"p1","priority_v2":2,"sprint":"SPR-4",
				"target_start_date":"2024-03-01T14:30:00Z","developed_with":{"set":["CAPL-3","PROD-2"]},
				"custom_fields":{"tnt__points":5},"custom_schema_spec":{"tenant_fragment":true},"custom_schema_fragments":["don:core:dvrv-us-1:devo/0:custom_type_fragment/x"]}`},
		{name: "issue: one field, nothing else", body: issue, typ: "issue", fields: []string{"title"},
			want: `{"type":"issue","id":"ISS-1","title":"T"}`},
		{name: "request-only names are no fields", body: issue, typ: "issue", fields: []string{"type", "custom_schema_spec", "stage_validation_options", "title", "title"},
			want: `{"type":"issue","id":"ISS-1","title":"T"}`},
		{name: "no fields: type and id", body: issue, typ: "issue", want: `{"type":"issue","id":"ISS-1"}`},
		{name: "tags: add, stage moving back", body: issue, typ: "issue", fields: []string{"tags", "stage"},
			opt:  UpdateOptions{TagsAdd: true, AllowInvalidTransition: true},
			want: `{"type":"issue","id":"ISS-1","tags":{"add":[{"id":"TAG-1"},{"id":"TAG-2","value":"urgent"}]},"stage":{"name":"triage"},"stage_validation_options":["allow_invalid_transition"]}`},
		{name: "ticket: every field", body: ticket, typ: "ticket",
			fields: []string{"severity", "account", "channels", "channels_v2", "group", "is_spam", "needs_response", "rev_org", "source_channel", "source_channel_v2", "stage"},
			want: `{"type":"ticket","id":"ISS-1","severity":"blocker","account":"ACC-9","channels":{"set":["email","twilio_sms"]},
				"channels_v2":["don:core:dvrv-us-1:devo/0:channel/1"],"group":"GRP-1","is_spam":false,"needs_response":true,"rev_org":"REV-AbCd",
				"source_channel_v2":"CHAN-1","stage":{"stage":"don:core:dvrv-us-1:devo/0:custom_stage/7"}}`,
			warnings: []string{"source_channel: works.update has no such field for ticket works; not updated"}},
		{name: "task: every field", body: task, typ: "task", fields: []string{"embedded", "priority", "start_date"},
			want: `{"type":"task","id":"ISS-1","embedded":true,"priority":"p3","start_date":"2024-03-01T08:00:00Z"}`},
		{name: "opportunity: its update has no priority or forecast_category", body: opp, typ: "opportunity",
			fields: []string{"account", "amount", "annual_contract_value", "contacts", "customer_budget", "forecast_category", "forecast_category_v2", "priority", "probability", "value"},
			want: `{"type":"opportunity","id":"ISS-1","account":"ACC-1","amount":1200.5,"annual_contract_value":{"amount":"1000","currency":"USD"},
				"contacts":{"set":["REVU-1","REVU-2"]},"customer_budget":5000,"forecast_category_v2":4,"probability":0.45,"value":{"amount":"12500.5","currency":"EUR"}}`,
			warnings: []string{"forecast_category: works.update has no such field for opportunity works; not updated",
				"priority: works.update has no such field for opportunity works; not updated"}},
		{name: "issue: emptied fields", body: empty, typ: "issue",
			fields: []string{"body", "reported_by", "artifacts", "tags", "target_close_date", "sprint", "target_start_date", "developed_with",
				"custom_fields.tnt__points", "stage", "priority", "priority_v2"},
			want: `{"type":"issue","id":"ISS-1","body":"","reported_by":{"set":[]},"artifacts":{"set":[]},"tags":{"set":[]},"target_close_date":null,
				"sprint":null,"target_start_date":null,"developed_with":{"set":[]},"custom_fields":{"tnt__points":null},"custom_schema_spec":{"tenant_fragment":true}}`,
			warnings: []string{"priority was emptied, but works.update cannot empty it; DevRev keeps its value",
				"priority_v2 was emptied, but works.update cannot empty it; DevRev keeps its value",
				"stage was emptied, but works.update cannot empty it; DevRev keeps its value"}},
		{name: "required fields cannot be emptied", body: `{"type":"issue","owned_by":[]}`, typ: "issue",
			fields: []string{"title", "owned_by", "applies_to_part"},
			want:   `{"type":"issue","id":"ISS-1"}`,
			warnings: []string{"applies_to_part was emptied, but works.update cannot empty it; DevRev keeps its value",
				"owned_by was emptied, but works.update cannot empty it; DevRev keeps its value",
				"title was emptied, but works.update cannot empty it; DevRev keeps its value"}},
		{name: "emptied tags with tags: add send nothing", body: empty, typ: "issue", fields: []string{"tags"}, opt: UpdateOptions{TagsAdd: true},
			want: `{"type":"issue","id":"ISS-1"}`},
		{name: "ticket and opportunity: emptied nullable fields", body: `{"type":"ticket"}`, typ: "ticket",
			fields: []string{"account", "group", "rev_org", "source_channel_v2", "channels", "channels_v2", "needs_response", "severity"},
			want:   `{"type":"ticket","id":"ISS-1","account":null,"group":null,"rev_org":null,"source_channel_v2":null,"channels":{"set":[]},"channels_v2":[]}`,
			warnings: []string{"needs_response was emptied, but works.update cannot empty it; DevRev keeps its value",
				"severity was emptied, but works.update cannot empty it; DevRev keeps its value"}},
		{name: "opportunity: emptied numbers are null, its account cannot be emptied", body: `{"type":"opportunity"}`, typ: "opportunity",
			fields: []string{"amount", "customer_budget", "probability", "account", "value", "contacts"},
			want:   `{"type":"opportunity","id":"ISS-1","amount":null,"customer_budget":null,"probability":null,"contacts":{"set":[]}}`,
			warnings: []string{"account was emptied, but works.update cannot empty it; DevRev keeps its value",
				"value was emptied, but works.update cannot empty it; DevRev keeps its value"}},
		{name: "a field of another type, an unknown field", body: issue, typ: "issue", fields: []string{"severity", "colour", "title"},
			want:     `{"type":"issue","id":"ISS-1","title":"T"}`,
			warnings: []string{"colour is not a field of issue works; not updated", "severity is not a field of issue works; not updated"}},
		{name: "too many artifacts for one update", body: `{"type":"task","artifacts":[` + strings.Repeat(`"ARTIFACT-1",`, 50) + `"ARTIFACT-2"]}`, typ: "task",
			fields: []string{"artifacts"}, want: `{"type":"task","id":"ISS-1"}`,
			warnings: []string{"artifacts: 51 values, works.update sets at most 50; not updated"}},
		{name: "the create body's schema fragments are the hint", body: `{"type":"task","custom_fields":{"tnt__x":"a"},"custom_schema_fragments":["F"]}`, typ: "task",
			fields: []string{"custom_fields.tnt__x", "custom_fields.tnt__y"},
			want:   `{"type":"task","id":"ISS-1","custom_fields":{"tnt__x":"a","tnt__y":null},"custom_schema_fragments":["F"]}`},
	}
	for _, tc := range cases {
		body, warns, err := Update([]byte(tc.body), "ISS-1", tc.typ, tc.fields, tc.opt)
		if err != nil {
			t.Errorf("%s: %v", tc.name, err)
			continue
		}
		if got, want := string(body), compact(t, tc.want); got != want {
			t.Errorf("%s:\n got %s\nwant %s", tc.name, got, want)
		}
		if !reflect.DeepEqual(warns, tc.warnings) {
			t.Errorf("%s: warnings\n%q\nwant\n%q", tc.name, warns, tc.warnings)
		}
	}
}

// Update refuses what it cannot build: no ID, an unknown type, a body that
// is no JSON object, and a row of another type than the work (works cannot
// change type).
func TestUpdateErrors(t *testing.T) {
	if _, _, err := Update([]byte(`{"type":"issue"}`), "", "issue", nil, UpdateOptions{}); err == nil {
		t.Error("no ID: no error")
	}
	if _, _, err := Update([]byte(`{"type":"issue"}`), "ISS-1", "bug", nil, UpdateOptions{}); err == nil {
		t.Error("type bug: no error")
	}
	if _, _, err := Update([]byte(`[`), "ISS-1", "issue", nil, UpdateOptions{}); err == nil {
		t.Error("bad body: no error")
	}
	_, _, err := Update([]byte(`{"type":"task","title":"T"}`), "ISS-1", "issue", []string{"title"}, UpdateOptions{})
	var tc *TypeChangeError
	if !errors.As(err, &tc) || tc.From != "issue" || tc.To != "task" ||
		err.Error() != "work ISS-1 is of type issue and the row maps to type task: works cannot change type" {
		t.Errorf("type change: %v", err)
	}
}
