package simulator

import (
	"encoding/json"
	"net/http"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/devrev-import/devrev-import/importer/throttle/throttletest"
)

// created creates body through works.create and returns the served work.
func created(t *testing.T, s *Server, body obj) map[string]any {
	t.Helper()
	r := post(t, s, "/works.create", body)
	wantStatus(t, r, http.StatusCreated)
	return r.body["work"].(map[string]any)
}

// updated sends a works.update that must succeed and returns the served work.
func updated(t *testing.T, s *Server, body obj) map[string]any {
	t.Helper()
	r := post(t, s, "/works.update", body)
	wantStatus(t, r, http.StatusOK)
	w, _ := r.body["work"].(map[string]any)
	if w == nil {
		t.Fatalf("no work in %s", r.raw)
	}
	return w
}

// getWork serves ref through works.get.
func getWork(t *testing.T, s *Server, ref string) map[string]any {
	t.Helper()
	r := post(t, s, "/works.get", obj{"id": ref})
	wantStatus(t, r, http.StatusOK)
	return r.body["work"].(map[string]any)
}

func listed(t *testing.T, s *Server, filter obj) []string {
	t.Helper()
	r := post(t, s, "/works.list", filter)
	wantStatus(t, r, http.StatusOK)
	return displayIDs(r.body["works"])
}

func TestUpdateCommonFieldsAreAppliedAndServedAsWorksGet(t *testing.T) {
	clock := throttletest.NewFakeClock(time.Date(2025, 6, 1, 10, 0, 0, 0, time.UTC))
	s := start(t, Options{Clock: clock, Tokens: map[string]string{DefaultToken: "DEVU-1", "bob": "DEVU-2"}})
	before := created(t, s, with(validBody(typeIssue), "body", "old body", "tags", []any{obj{"id": "TAG-1"}},
		"target_close_date", "2025-07-01T00:00:00Z"))
	clock.Advance(time.Hour)

	r := do(t, s, "bob", http.MethodPost, "/works.update", obj{
		"id": "ISS-1", "type": "issue",
		"title": "New title", "body": "new body", "applies_to_part": "FEAT-1",
		"owned_by":          obj{"set": []any{"DEVU-3", "DEVU-4"}},
		"reported_by":       obj{"set": []any{"REVU-1"}},
		"target_close_date": "2025-08-01T12:00:00+02:00",
		"stage":             obj{"name": "in_development"},
	})
	wantStatus(t, r, http.StatusOK)
	w := r.body["work"].(map[string]any)
	if str(w, "title") != "New title" || str(w, "body") != "new body" || str(w, "applies_to_part", "display_id") != "FEAT-1" {
		t.Errorf("scalars: %v %v %v", w["title"], w["body"], w["applies_to_part"])
	}
	if got := displayIDs(w["owned_by"]); !reflect.DeepEqual(got, []string{"DEVU-3", "DEVU-4"}) {
		t.Errorf("owned_by %v", got)
	}
	if got := displayIDs(w["reported_by"]); !reflect.DeepEqual(got, []string{"REVU-1"}) {
		t.Errorf("reported_by %v", got)
	}
	if str(w, "target_close_date") != "2025-08-01T10:00:00.000Z" || str(w, "stage", "name") != "in_development" {
		t.Errorf("date %v stage %v", w["target_close_date"], w["stage"])
	}
	// Untouched fields and identity stay; authorship and modified_date move.
	if !reflect.DeepEqual(w["tags"], before["tags"]) || w["id"] != before["id"] || w["created_date"] != before["created_date"] ||
		!reflect.DeepEqual(w["created_by"], before["created_by"]) {
		t.Errorf("unchanged fields changed: %v", w)
	}
	if str(w, "modified_date") != "2025-06-01T11:00:00.000Z" || str(w, "modified_by", "display_id") != "DEVU-2" {
		t.Errorf("modified %v by %v", w["modified_date"], w["modified_by"])
	}
	if got := getWork(t, s, "ISS-1"); !reflect.DeepEqual(got, w) {
		t.Errorf("works.get serves\n%v\nthe update answered\n%v", got, w)
	}

	ws := s.Works()
	if len(ws) != 1 || ws[0].Title != "New title" || ws[0].Body != "new body" || ws[0].ModifiedBy != "DEVU-2" ||
		!ws[0].ModifiedDate.Equal(clock.Now()) || !reflect.DeepEqual(ws[0].Raw, w) {
		t.Errorf("Works() after update: %+v", ws)
	}
	recs := s.Updates("ISS-1")
	if len(recs) != 1 {
		t.Fatalf("Updates: %+v", recs)
	}
	want := []string{"applies_to_part", "body", "owned_by", "reported_by", "stage", "target_close_date", "title"}
	if !reflect.DeepEqual(recs[0].Fields, want) || recs[0].By != "DEVU-2" || !recs[0].Time.Equal(clock.Now()) ||
		recs[0].Body["title"] != "New title" {
		t.Errorf("record %+v", recs[0])
	}
	if got := s.Updates(str(w, "id")); !reflect.DeepEqual(got, recs) {
		t.Errorf("Updates by DON %+v", got)
	}
	if st := s.Stats(); st.Updates != 1 || st.Creates != 1 {
		t.Errorf("stats %+v", st)
	}

	// works.list filters see the new values.
	if got := listed(t, s, obj{"owned_by": []any{"DEVU-4"}, "stage": obj{"name": []any{"in_development"}},
		"applies_to_part": []any{"FEAT-1"}, "reported_by": []any{"REVU-1"}}); !reflect.DeepEqual(got, []string{"ISS-1"}) {
		t.Errorf("list by new values: %v", got)
	}
	if got := listed(t, s, obj{"owned_by": []any{"DEVU-2"}}); len(got) != 0 {
		t.Errorf("list by the old owner: %v", got)
	}
}

func TestUpdateByDONAndSeededWork(t *testing.T) {
	s := start(t, Options{})
	seeded, err := s.AddWork("DEVU-3", with(validBody(typeTicket), "custom_schema_spec", obj{"tenant_fragment": true},
		"custom_fields", obj{"tnt__external_id": "OTHER-1"}))
	if err != nil {
		t.Fatal(err)
	}
	w := updated(t, s, obj{"id": seeded.ID, "type": "ticket", "title": "Renamed"})
	if str(w, "title") != "Renamed" || str(w, "display_id") != "TKT-1" || str(w, "created_by", "display_id") != "DEVU-3" {
		t.Errorf("seeded work after update: %v", w)
	}
	if got := s.Updates("TKT-1"); len(got) != 1 || !reflect.DeepEqual(got[0].Fields, []string{"title"}) {
		t.Errorf("Updates: %+v", got)
	}
	if s.Updates("TKT-2") != nil || s.Updates("nonsense") != nil {
		t.Error("Updates of works never updated should be nil")
	}
}

func TestUpdateTypeSpecificFields(t *testing.T) {
	s := start(t, Options{})
	cases := []struct {
		typ    string
		create []any
		update obj
		check  func(t *testing.T, w map[string]any)
	}{
		{typeIssue, []any{"priority", "p3", "sprint", "don:core:dvrv-us-1:devo/sandbox:sprint/1", "target_start_date", "2025-01-01T00:00:00Z"},
			obj{"priority": "p0", "developed_with": obj{"set": []any{"FEAT-1", "ENH-1"}}, "sprint": nil, "target_start_date": nil},
			func(t *testing.T, w map[string]any) {
				if str(w, "priority") != "p0" || str(w, "priority_v2", "label") != "P0" {
					t.Errorf("priority %v / %v", w["priority"], w["priority_v2"])
				}
				if got := displayIDs(w["developed_with"]); !reflect.DeepEqual(got, []string{"FEAT-1", "ENH-1"}) {
					t.Errorf("developed_with %v", got)
				}
				if _, ok := w["sprint"]; ok {
					t.Errorf("sprint not cleared: %v", w["sprint"])
				}
				if _, ok := w["target_start_date"]; ok {
					t.Errorf("target_start_date not cleared")
				}
			}},
		{typeIssue, []any{"priority", "p3"}, obj{"priority_v2": 2},
			func(t *testing.T, w map[string]any) {
				if str(w, "priority") != "p1" || str(w, "priority_v2", "label") != "P1" {
					t.Errorf("priority %v / %v", w["priority"], w["priority_v2"])
				}
			}},
		{typeTicket, []any{"account", "ACC-1", "severity", "low"},
			obj{"sentiment": 4, "is_archived": true, "is_frozen": false, "severity": "blocker", "account": nil,
				"channels": obj{"set": []any{"slack", "email"}}, "rev_org": "REV-3", "needs_response": true},
			func(t *testing.T, w map[string]any) {
				if str(w, "sentiment", "label") != "Unhappy" || w["is_archived"] != true || w["is_frozen"] != false ||
					str(w, "severity") != "blocker" || w["needs_response"] != true {
					t.Errorf("ticket fields: %v", w)
				}
				if _, ok := w["account"]; ok {
					t.Errorf("account not cleared")
				}
				if !reflect.DeepEqual(w["channels"], []any{"slack", "email"}) || str(w, "rev_org", "display_name") != "Initech" {
					t.Errorf("channels %v rev_org %v", w["channels"], w["rev_org"])
				}
			}},
		{typeTask, []any{"priority", "p2"}, obj{"embedded": true, "priority": "p1", "start_date": "2025-02-03T04:05:06Z"},
			func(t *testing.T, w map[string]any) {
				if w["embedded"] != true || str(w, "priority") != "p1" || str(w, "start_date") != "2025-02-03T04:05:06.000Z" {
					t.Errorf("task fields: %v", w)
				}
			}},
		{typeOpportunity, []any{"probability", 0.2, "amount", 10},
			obj{"contacts": obj{"set": []any{"REVU-2"}}, "amount": 2500.5, "probability": nil, "account": "ACC-3",
				"forecast_category_v2": 5, "value": obj{"amount": "9", "currency": "EUR"}},
			func(t *testing.T, w map[string]any) {
				if got := displayIDs(w["contacts"]); !reflect.DeepEqual(got, []string{"REVU-2"}) {
					t.Errorf("contacts %v", got)
				}
				if w["amount"] != 2500.5 || str(w, "account", "display_id") != "ACC-3" ||
					str(w, "forecast_category_v2", "label") != "Commit" || str(w, "value", "currency") != "EUR" {
					t.Errorf("opportunity fields: %v", w)
				}
				if _, ok := w["probability"]; ok {
					t.Errorf("probability not cleared")
				}
			}},
	}
	for _, tc := range cases {
		t.Run(tc.typ, func(t *testing.T) {
			c := created(t, s, with(validBody(tc.typ), tc.create...))
			w := updated(t, s, with(tc.update, "id", c["display_id"], "type", tc.typ))
			tc.check(t, w)
			if got := getWork(t, s, str(c, "display_id")); !reflect.DeepEqual(got, w) {
				t.Errorf("works.get differs from the update answer")
			}
		})
	}
}

// tagNames lists the names of a served work's tags.
func tagNames(w map[string]any) []string {
	out := []string{}
	arr, _ := w["tags"].([]any)
	for _, it := range arr {
		out = append(out, str(it, "tag", "name"))
	}
	return out
}

func TestUpdateTagsAndArtifactsAddRemoveSet(t *testing.T) {
	s := start(t, Options{})
	created(t, s, with(validBody(typeIssue), "tags", []any{obj{"id": "TAG-1"}, obj{"id": "TAG-2"}}, "artifacts", []any{"ARTIFACT-1"}))
	steps := []struct {
		update    obj
		tags      []string
		artifacts []string
	}{
		{obj{"tags": obj{"add": []any{obj{"id": "TAG-3"}, obj{"id": "TAG-1"}}}, "artifacts": obj{"add": []any{"ARTIFACT-2"}}},
			[]string{"bug", "customer-reported", "regression"}, []string{"ARTIFACT-1", "ARTIFACT-2"}},
		{obj{"tags": obj{"remove": []any{obj{"id": "TAG-1"}, obj{"id": "TAG-5"}}}, "artifacts": obj{"remove": []any{"ARTIFACT-1"}}},
			[]string{"customer-reported", "regression"}, []string{"ARTIFACT-2"}},
		{obj{"tags": obj{"add": []any{obj{"id": "TAG-4"}}, "remove": []any{obj{"id": "TAG-2"}}}},
			[]string{"regression", "security"}, []string{"ARTIFACT-2"}},
		{obj{"tags": obj{"set": []any{obj{"id": "don:core:dvrv-us-1:devo/sandbox:tag/5"}}}, "artifacts": obj{"set": []any{"ARTIFACT-3", "ARTIFACT-1"}}},
			[]string{"feature-request"}, []string{"ARTIFACT-3", "ARTIFACT-1"}},
		{obj{"tags": obj{"set": []any{}}, "artifacts": obj{"set": []any{}}}, []string{}, []string{}},
	}
	for i, st := range steps {
		w := updated(t, s, with(st.update, "id", "ISS-1", "type", "issue"))
		if got := tagNames(w); !reflect.DeepEqual(got, st.tags) {
			t.Errorf("step %d: tags %v, want %v", i, got, st.tags)
		}
		if got := displayIDs(w["artifacts"]); !reflect.DeepEqual(got, st.artifacts) {
			t.Errorf("step %d: artifacts %v, want %v", i, got, st.artifacts)
		}
		if i == 1 {
			// The tag index follows: works.list by tag sees the update.
			if got := listed(t, s, obj{"tags": []any{"TAG-1"}}); len(got) != 0 {
				t.Errorf("list by a removed tag: %v", got)
			}
			if got := listed(t, s, obj{"tags": []any{"TAG-3"}}); !reflect.DeepEqual(got, []string{"ISS-1"}) {
				t.Errorf("list by an added tag: %v", got)
			}
		}
	}
}

func TestUpdateCustomFieldsMergeAndClear(t *testing.T) {
	s := start(t, Options{})
	spec := obj{"tenant_fragment": true}
	created(t, s, with(validBody(typeTicket), "custom_schema_spec", spec,
		"custom_fields", obj{"tnt__external_id": "K-1", "tnt__story_points": 3, "tnt__region": "EMEA"}))
	w := updated(t, s, obj{"id": "TKT-1", "type": "ticket", "custom_schema_spec": spec,
		"custom_fields": obj{"tnt__story_points": 8, "tnt__region": nil, "tnt__tier": 2}})
	want := map[string]any{"tnt__external_id": "K-1", "tnt__story_points": float64(8), "tnt__tier": float64(2)}
	if got := w["custom_fields"]; !reflect.DeepEqual(got, any(want)) {
		t.Errorf("custom_fields %v, want %v", got, want)
	}
	if got := s.Works()[0].CustomFields; !reflect.DeepEqual(got, want) {
		t.Errorf("Works() custom fields %v", got)
	}
	// The key filter of works.list reads the merged fields.
	if got := listed(t, s, obj{"custom_fields": obj{"tnt__story_points": 8}}); !reflect.DeepEqual(got, []string{"TKT-1"}) {
		t.Errorf("list by updated custom field: %v", got)
	}
	// With custom_schema_fragments, on a work created without custom fields.
	created(t, s, validBody(typeTask))
	w = updated(t, s, obj{"id": "TASK-1", "type": "task", "custom_schema_fragments": []any{tenantFragmentID(typeTask)},
		"custom_fields": obj{"tnt__external_id": "T-9"}})
	if str(w, "custom_fields", "tnt__external_id") != "T-9" || !reflect.DeepEqual(w["custom_schema_fragments"], []any{tenantFragmentID(typeTask)}) {
		t.Errorf("task custom fields: %v", w)
	}
}

func TestUpdateRefusalsChangeNothing(t *testing.T) {
	s := start(t, Options{})
	spec := obj{"tenant_fragment": true}
	for _, typ := range workTypes {
		created(t, s, with(validBody(typ), "custom_schema_spec", spec, "custom_fields", obj{"tnt__external_id": "K"},
			"tags", []any{obj{"id": "TAG-1"}}))
	}
	refs := map[string]string{typeIssue: "ISS-1", typeOpportunity: "OPP-1", typeTask: "TASK-1", typeTicket: "TKT-1"}
	docs := map[string]map[string]any{}
	for typ, ref := range refs {
		docs[typ] = getWork(t, s, ref)
	}
	fifty1 := make([]any, 51)
	for i := range fifty1 {
		fifty1[i] = "ARTIFACT-1"
	}
	cases := []struct {
		name    string
		typ     string
		kv      []any // applied to a valid update of that type that also changes the title
		status  int
		errType string
		field   string
	}{
		{"unknown display ID", typeIssue, []any{"id", "ISS-99"}, 404, ErrTypeNotFound, ""},
		{"unknown DON", typeIssue, []any{"id", "don:core:dvrv-us-1:devo/sandbox:issue/99"}, 404, ErrTypeNotFound, ""},
		{"malformed id", typeIssue, []any{"id", "issue one"}, 400, ErrTypeInvalidID, "id"},
		{"id not a string", typeIssue, []any{"id", 1}, 400, ErrTypeUnexpectedJSONType, "id"},
		{"missing id", typeIssue, []any{"id", deleteKey}, 400, ErrTypeMissingRequiredField, "id"},
		{"missing type", typeIssue, []any{"type", deleteKey}, 400, ErrTypeMissingRequiredField, "type"},
		{"unknown type", typeIssue, []any{"type", "bug"}, 400, ErrTypeInvalidEnumValue, "type"},
		{"type change", typeIssue, []any{"type", "task"}, 400, ErrTypeInvalidField, "type"},
		{"empty owned_by", typeTask, []any{"owned_by", obj{"set": []any{}}}, 400, ErrTypeValueNotPermitted, "owned_by.set"},
		{"owned_by in create shape", typeTask, []any{"owned_by", []any{"DEVU-2"}}, 400, ErrTypeUnexpectedJSONType, "owned_by"},
		{"unknown owner", typeTask, []any{"owned_by", obj{"set": []any{"DEVU-99"}}}, 400, ErrTypeInvalidID, "owned_by.set"},
		{"rev user as owner", typeTask, []any{"owned_by", obj{"set": []any{"REVU-1"}}}, 400, ErrTypeInvalidID, "owned_by.set"},
		{"owned_by add", typeTask, []any{"owned_by", obj{"add": []any{"DEVU-2"}}}, 400, ErrTypeInvalidField, "owned_by.add"},
		{"unknown field", typeTicket, []any{"colour", "red"}, 400, ErrTypeInvalidField, "colour"},
		{"priority on opportunity", typeOpportunity, []any{"priority", "p1"}, 400, ErrTypeInvalidField, "priority"},
		{"forecast_category on opportunity", typeOpportunity, []any{"forecast_category", "won"}, 400, ErrTypeInvalidField, "forecast_category"},
		{"source_channel on ticket", typeTicket, []any{"source_channel", "email"}, 400, ErrTypeInvalidField, "source_channel"},
		{"is_archived on issue", typeIssue, []any{"is_archived", true}, 400, ErrTypeInvalidField, "is_archived"},
		{"stage in create shape", typeIssue, []any{"stage", obj{"id": "don:core:dvrv-us-1:devo/sandbox:custom_stage/1"}}, 400, ErrTypeInvalidField, "stage.id"},
		{"empty stage name", typeIssue, []any{"stage", obj{"name": ""}}, 400, ErrTypeValueNotPermitted, "stage.name"},
		{"stage name a number", typeIssue, []any{"stage", obj{"name": 3}}, 400, ErrTypeUnexpectedJSONType, "stage.name"},
		{"malformed stage id", typeIssue, []any{"stage", obj{"stage": "triage"}}, 400, ErrTypeInvalidID, "stage.stage"},
		{"stage a string", typeIssue, []any{"stage", "triage"}, 400, ErrTypeUnexpectedJSONType, "stage"},
		{"bad stage option", typeIssue, []any{"stage_validation_options", []any{"allow_non_start"}}, 400, ErrTypeInvalidEnumValue, "stage_validation_options"},
		{"tags in create shape", typeIssue, []any{"tags", []any{obj{"id": "TAG-2"}}}, 400, ErrTypeUnexpectedJSONType, "tags"},
		{"tags set and add", typeIssue, []any{"tags", obj{"set": []any{}, "add": []any{obj{"id": "TAG-2"}}}}, 400, ErrTypeBadRequest, ""},
		{"unknown tag added", typeIssue, []any{"tags", obj{"add": []any{obj{"id": "TAG-99"}}}}, 400, ErrTypeInvalidID, "tags"},
		{"tag value", typeIssue, []any{"tags", obj{"set": []any{obj{"id": "TAG-2", "value": "x"}}}}, 400, ErrTypeValueNotPermitted, "tags.value"},
		{"remove with value", typeIssue, []any{"tags", obj{"remove": []any{obj{"id": "TAG-1", "value": "x"}}}}, 400, ErrTypeInvalidField, "tags.remove.value"},
		{"unknown tag removed", typeIssue, []any{"tags", obj{"remove": []any{obj{"id": "TAG-99"}}}}, 400, ErrTypeInvalidID, "tags.remove"},
		{"51 artifacts", typeIssue, []any{"artifacts", obj{"add": fifty1}}, 400, ErrTypeValueNotPermitted, "artifacts.add"},
		{"null title", typeIssue, []any{"title", nil}, 400, ErrTypeValueNotPermitted, "title"},
		{"empty title", typeIssue, []any{"title", ""}, 400, ErrTypeValueNotPermitted, "title"},
		{"title too long", typeIssue, []any{"title", strings.Repeat("é", 257)}, 400, ErrTypeValueNotPermitted, "title"},
		{"body too long", typeIssue, []any{"body", strings.Repeat("x", 65537)}, 400, ErrTypeValueNotPermitted, "body"},
		{"null part", typeIssue, []any{"applies_to_part", nil}, 400, ErrTypeValueNotPermitted, "applies_to_part"},
		{"part of wrong kind", typeIssue, []any{"applies_to_part", "ACC-1"}, 400, ErrTypeInvalidID, "applies_to_part"},
		{"bad date", typeIssue, []any{"target_close_date", "tomorrow"}, 400, ErrTypeValueNotPermitted, "target_close_date"},
		{"null start_date on task", typeTask, []any{"start_date", nil}, 400, ErrTypeValueNotPermitted, "start_date"},
		{"nine developed_with", typeIssue, []any{"developed_with", obj{"set": []any{"PROD-1", "PROD-2", "CAPL-1", "FEAT-1", "ENH-1", "PROD-1", "PROD-2", "CAPL-1", "FEAT-1"}}}, 400, ErrTypeValueNotPermitted, "developed_with.set"},
		{"contacts without set", typeOpportunity, []any{"contacts", obj{}}, 400, ErrTypeMissingRequiredField, "contacts.set"},
		{"null opportunity account", typeOpportunity, []any{"account", nil}, 400, ErrTypeValueNotPermitted, "account"},
		{"bad sentiment", typeTicket, []any{"sentiment", 9}, 400, ErrTypeInvalidEnumValue, "sentiment"},
		{"bad channel", typeTicket, []any{"channels", obj{"set": []any{"fax"}}}, 400, ErrTypeInvalidEnumValue, "channels.set"},
		{"probability over 1", typeOpportunity, []any{"probability", 2}, 400, ErrTypeValueNotPermitted, "probability"},
		{"staged_info", typeIssue, []any{"staged_info", obj{"unresolved_fields": []any{"title"}}}, 400, ErrTypeBadRequest, ""},
		{"custom field of wrong type", typeIssue, []any{"custom_schema_spec", spec, "custom_fields", obj{"tnt__story_points": "five"}}, 400, ErrTypeCustomization, "custom_fields.tnt__story_points"},
		{"unknown custom field", typeIssue, []any{"custom_schema_spec", spec, "custom_fields", obj{"tnt__nope": nil}}, 400, ErrTypeCustomization, "custom_fields.tnt__nope"},
		{"custom fields without schema", typeIssue, []any{"custom_fields", obj{"tnt__external_id": "X"}}, 400, ErrTypeBadRequest, ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			body := obj{"id": refs[tc.typ], "type": tc.typ, "title": "CHANGED", "owned_by": obj{"set": []any{"DEVU-5"}}}
			for i := 0; i+1 < len(tc.kv); i += 2 {
				if tc.kv[i+1] == deleteKey {
					delete(body, tc.kv[i].(string))
				} else {
					body[tc.kv[i].(string)] = tc.kv[i+1]
				}
			}
			r := post(t, s, "/works.update", body)
			wantAPIError(t, r, tc.status, tc.errType, tc.field)
		})
	}
	for typ, ref := range refs {
		if got := getWork(t, s, ref); !reflect.DeepEqual(got, docs[typ]) {
			t.Errorf("%s changed by refused updates:\n%v\nwas\n%v", ref, got, docs[typ])
		}
		if u := s.Updates(ref); u != nil {
			t.Errorf("%s: refused updates recorded: %+v", ref, u)
		}
	}
	if st := s.Stats(); st.Updates != 0 {
		t.Errorf("Stats.Updates %d after refusals", st.Updates)
	}
	// Nothing half-applied hides behind the served document either: not in
	// Works(), not in the list indexes, not in what the next update serves.
	for _, w := range s.Works() {
		if w.Title == "CHANGED" {
			t.Errorf("%s: Works() shows a refused title", w.DisplayID)
		}
	}
	if got := listed(t, s, obj{"owned_by": []any{"DEVU-5"}}); len(got) != 0 {
		t.Errorf("works.list finds refused owners: %v", got)
	}
	w := updated(t, s, obj{"id": "ISS-1", "type": "issue", "body": "only the body"})
	if str(w, "title") != str(docs[typeIssue], "title") || !reflect.DeepEqual(w["owned_by"], docs[typeIssue]["owned_by"]) {
		t.Errorf("a later update serves refused values: %v", w)
	}
}

// deleteKey marks a key to remove from a request body in a test table.
const deleteKey = "\x00delete"

func TestUpdateTypeChangeMessage(t *testing.T) {
	s := start(t, Options{})
	created(t, s, validBody(typeIssue))
	r := post(t, s, "/works.update", obj{"id": "ISS-1", "type": "task", "title": "x"})
	wantStatus(t, r, http.StatusBadRequest)
	if msg := str(r.body, "message"); !strings.Contains(msg, "cannot change type") || !strings.Contains(msg, "ISS-1") {
		t.Errorf("message %q", msg)
	}
}

func TestUpdateOfDeletedWorkIsNotFound(t *testing.T) {
	s := start(t, Options{})
	created(t, s, validBody(typeIssue))
	wantStatus(t, post(t, s, "/works.delete", obj{"id": "ISS-1"}), http.StatusOK)
	r := post(t, s, "/works.update", obj{"id": "ISS-1", "type": "issue", "title": "x"})
	wantStatus(t, r, http.StatusNotFound)
	if str(r.body, "type") != ErrTypeNotFound {
		t.Errorf("body %s", r.raw)
	}
}

func TestUpdateFaults(t *testing.T) {
	cases := []struct {
		name    string
		faults  Faults
		status  int // 0 = dropped connection
		applied bool
	}{
		{"500", Faults{Err500: 1}, 500, false},
		{"503", Faults{Err503: 1}, 503, false},
		{"drop before", Faults{DropBefore: 1}, 0, false},
		{"drop after (ghost)", Faults{DropAfter: 1}, 0, true},
		{"bad body", Faults{BadBody: 1}, 200, true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			s := start(t, Options{})
			created(t, s, validBody(typeIssue))
			s.SetFaults(tc.faults)
			r := post(t, s, "/works.update", obj{"id": "ISS-1", "type": "issue", "title": "Ghost"})
			if tc.status == 0 {
				if r.err == nil {
					t.Fatalf("connection not dropped: %d %s", r.status, r.raw)
				}
			} else {
				wantStatus(t, r, tc.status)
			}
			s.SetFaults(Faults{})
			got := str(getWork(t, s, "ISS-1"), "title")
			recs := s.Updates("ISS-1")
			if tc.applied != (got == "Ghost") || tc.applied != (len(recs) == 1) || (!tc.applied && recs != nil) {
				t.Errorf("applied=%v: title %q, records %+v", tc.applied, got, recs)
			}
			if st := s.Stats(); st.Updates != len(recs) {
				t.Errorf("Stats.Updates %d, records %d", st.Updates, len(recs))
			}
			// The client sends it again, as it must when in doubt: harmless.
			updated(t, s, obj{"id": "ISS-1", "type": "issue", "title": "Ghost"})
			if n := len(s.Updates("ISS-1")); n != len(recs)+1 {
				t.Errorf("after the retry %d records, want %d", n, len(recs)+1)
			}
			if ws := s.Works(); len(ws) != 1 || ws[0].Title != "Ghost" {
				t.Errorf("works after retry: %+v", ws)
			}
		})
	}
}

func TestUpdateIsAWriteAndRateLimited(t *testing.T) {
	s := start(t, Options{Limit: 2, ReadOnlyTokens: map[string]string{"ro": "DEVU-2"}})
	created(t, s, validBody(typeIssue))
	r := do(t, s, "ro", http.MethodPost, "/works.update", obj{"id": "ISS-1", "type": "issue", "title": "x"})
	wantStatus(t, r, http.StatusForbidden)
	wantStatus(t, post(t, s, "/works.update", obj{"id": "ISS-1", "type": "issue", "title": "x"}), http.StatusOK)
	r = post(t, s, "/works.update", obj{"id": "ISS-1", "type": "issue", "title": "y"})
	wantStatus(t, r, http.StatusTooManyRequests)
	if r.header.Get("Retry-After") == "" {
		t.Error("429 without Retry-After")
	}
	if r := do(t, s, DefaultToken, http.MethodGet, "/works.update?id=ISS-1", nil); r.status != http.StatusNotFound && r.status != http.StatusTooManyRequests {
		t.Errorf("GET works.update: %d", r.status)
	}
	if n := len(s.Updates("ISS-1")); n != 1 {
		t.Errorf("%d updates recorded, want 1", n)
	}
}

func TestUpdateRecordBodyIsACopy(t *testing.T) {
	s := start(t, Options{})
	created(t, s, validBody(typeOpportunity))
	updated(t, s, obj{"id": "OPP-1", "type": "opportunity", "amount": 12.5})
	recs := s.Updates("OPP-1")
	if len(recs) != 1 || recs[0].Body["amount"] != json.Number("12.5") {
		t.Fatalf("record %+v", recs)
	}
	recs[0].Body["amount"] = "tampered"
	if s.Updates("OPP-1")[0].Body["amount"] != json.Number("12.5") {
		t.Error("a caller's change to a record reached the server")
	}
}

func TestUpdateNullClearsAndEmptyWrappersChangeNothing(t *testing.T) {
	s := start(t, Options{})
	c := created(t, s, with(validBody(typeIssue), "target_close_date", "2025-07-01T00:00:00Z", "reported_by", []any{"DEVU-3"},
		"stage", obj{"name": "backlog"}))
	w := updated(t, s, obj{"id": "ISS-1", "type": "issue", "target_close_date": nil})
	if _, ok := w["target_close_date"]; ok {
		t.Errorf("target_close_date not cleared: %v", w["target_close_date"])
	}
	if _, ok := s.Works()[0].Raw["target_close_date"]; ok {
		t.Error("Works() still has target_close_date")
	}
	// Empty wrappers and a null option are no change at all.
	w = updated(t, s, obj{"id": "ISS-1", "type": "issue", "owned_by": obj{}, "reported_by": obj{}, "stage": obj{},
		"tags": obj{}, "stage_validation_options": nil, "custom_fields": obj{}})
	for _, k := range []string{"owned_by", "reported_by", "stage", "title", "applies_to_part"} {
		if !reflect.DeepEqual(w[k], c[k]) {
			t.Errorf("%s changed by an empty wrapper: %v, was %v", k, w[k], c[k])
		}
	}
	// An empty reported_by set clears it; a stage by ID replaces the name.
	stageID := "don:core:dvrv-us-1:devo/sandbox:custom_stage/7"
	w = updated(t, s, obj{"id": "ISS-1", "type": "issue", "reported_by": obj{"set": []any{}},
		"stage": obj{"stage": stageID, "name": "ignored"}, "stage_validation_options": []any{"allow_invalid_transition"}})
	if _, ok := w["reported_by"]; ok {
		t.Errorf("reported_by not cleared: %v", w["reported_by"])
	}
	if str(w, "stage", "stage", "id") != stageID || str(w, "stage", "name") != "" {
		t.Errorf("stage by ID served as %v", w["stage"])
	}
	if _, ok := w["stage_validation_options"]; ok {
		t.Error("stage_validation_options stored on the work")
	}
	if got := listed(t, s, obj{"reported_by": []any{"DEVU-3"}}); len(got) != 0 {
		t.Errorf("list by a cleared reporter: %v", got)
	}
	if got := listed(t, s, obj{"stage": obj{"name": []any{"backlog"}}}); len(got) != 0 {
		t.Errorf("list by the old stage name: %v", got)
	}
	// Clearing the last custom field leaves no custom_fields.
	created(t, s, with(validBody(typeTask), "custom_schema_spec", obj{"tenant_fragment": true}, "custom_fields", obj{"tnt__external_id": "K"}))
	w = updated(t, s, obj{"id": "TASK-1", "type": "task", "custom_schema_spec": obj{"tenant_fragment": true},
		"custom_fields": obj{"tnt__external_id": nil}})
	if _, ok := w["custom_fields"]; ok {
		t.Errorf("custom_fields after clearing the last one: %v", w["custom_fields"])
	}
}

// TestConcurrentUpdatesApplyOneAfterTheOther: concurrent updates of one
// work are all applied and recorded, none lost (run it with -race too).
func TestConcurrentUpdatesApplyOneAfterTheOther(t *testing.T) {
	s := start(t, Options{})
	created(t, s, validBody(typeIssue))
	tags := []string{"TAG-1", "TAG-2", "TAG-3", "TAG-4", "TAG-5"}
	done := make(chan response)
	for i := range 20 {
		go func() {
			done <- post(t, s, "/works.update", obj{"id": "ISS-1", "type": "issue",
				"tags": obj{"add": []any{obj{"id": tags[i%len(tags)]}}}, "body": "writer " + tags[i%len(tags)]})
		}()
	}
	for range 20 {
		if r := <-done; r.err != nil || r.status != http.StatusOK {
			t.Errorf("update: %v %d %s", r.err, r.status, r.raw)
		}
	}
	if n := len(s.Updates("ISS-1")); n != 20 || s.Stats().Updates != 20 {
		t.Errorf("%d records, Stats.Updates %d, want 20", n, s.Stats().Updates)
	}
	if got := tagNames(getWork(t, s, "ISS-1")); len(got) != len(tags) {
		t.Errorf("tags after concurrent adds: %v", got)
	}
}

func TestEditWorkChangesLikeAPersonWithoutARecord(t *testing.T) {
	s := New(Options{})
	seeded, err := s.AddWork("", validBody(typeTicket))
	if err != nil {
		t.Fatal(err)
	}
	w, err := s.EditWork("DEVU-4", obj{"id": seeded.DisplayID, "type": "ticket", "title": "Edited in DevRev",
		"severity": "high", "owned_by": obj{"set": []any{"DEVU-4"}}})
	if err != nil {
		t.Fatal(err)
	}
	if w.Title != "Edited in DevRev" || w.ModifiedBy != "DEVU-4" || str(w.Raw, "severity") != "high" ||
		!reflect.DeepEqual(displayIDs(w.Raw["owned_by"]), []string{"DEVU-4"}) {
		t.Errorf("edited work %+v", w)
	}
	if s.Updates(seeded.DisplayID) != nil || s.Stats().Updates != 0 || s.Stats().Requests != 0 {
		t.Errorf("an edit was counted: %+v %+v", s.Updates(seeded.DisplayID), s.Stats())
	}
	var apiErr *APIError
	if _, err := s.EditWork("", obj{"id": "TKT-1", "type": "issue", "title": "x"}); !errorsAs(err, &apiErr) || apiErr.FieldName != "type" {
		t.Errorf("type change: %v", err)
	}
	if _, err := s.EditWork("", obj{"id": "TKT-9", "type": "ticket", "title": "x"}); !errorsAs(err, &apiErr) || apiErr.Status != http.StatusNotFound {
		t.Errorf("unknown work: %v", err)
	}
	if _, err := s.EditWork("REVU-1", obj{"id": "TKT-1", "type": "ticket", "title": "x"}); err == nil {
		t.Error("a rev user edited a work")
	}
	if ws := s.Works(); ws[0].Title != "Edited in DevRev" {
		t.Errorf("a refused edit changed the work: %+v", ws[0])
	}
}
