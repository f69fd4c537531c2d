package simulator

import (
	"fmt"
	"net/http"
	"reflect"
	"strings"
	"testing"
)

func TestCreateEachTypeServesTheSpecShape(t *testing.T) {
	s := start(t, Options{})
	cases := []struct {
		typ, prefix string
		extra       []any
		check       func(t *testing.T, w map[string]any)
	}{
		{typeIssue, "ISS", []any{"priority", "p1", "developed_with", []any{"FEAT-1"}, "sprint", "don:core:dvrv-us-1:devo/sandbox:sprint/9"},
			func(t *testing.T, w map[string]any) {
				if str(w, "priority") != "p1" || str(w, "priority_v2", "label") != "P1" {
					t.Errorf("priority %v / %v", w["priority"], w["priority_v2"])
				}
				if got := displayIDs(w["developed_with"]); !reflect.DeepEqual(got, []string{"FEAT-1"}) {
					t.Errorf("developed_with %v", got)
				}
			}},
		{typeTicket, "TKT", []any{"severity", "high", "rev_org", "REV-2", "account", "ACC-2", "channels", []any{"email"}},
			func(t *testing.T, w map[string]any) {
				if str(w, "severity") != "high" || str(w, "rev_org", "display_name") != "Globex" || str(w, "account", "display_id") != "ACC-2" {
					t.Errorf("ticket fields: %v %v %v", w["severity"], w["rev_org"], w["account"])
				}
			}},
		{typeTask, "TASK", []any{"priority", "p0", "embedded", true},
			func(t *testing.T, w map[string]any) {
				if w["embedded"] != true || str(w, "priority") != "p0" {
					t.Errorf("task fields: %v %v", w["embedded"], w["priority"])
				}
			}},
		{typeOpportunity, "OPP", []any{"contacts", []any{"REVU-1"}, "value", obj{"amount": "100", "currency": "USD"}, "probability", 0.5},
			func(t *testing.T, w map[string]any) {
				if str(w, "account", "display_name") != "Acme Corp" || str(w, "value", "currency") != "USD" {
					t.Errorf("opportunity fields: %v %v", w["account"], w["value"])
				}
				if got := displayIDs(w["contacts"]); !reflect.DeepEqual(got, []string{"REVU-1"}) {
					t.Errorf("contacts %v", got)
				}
			}},
	}
	for _, tc := range cases {
		t.Run(tc.typ, func(t *testing.T) {
			body := with(validBody(tc.typ), append([]any{"body", "details", "tags", []any{obj{"id": "TAG-2"}}}, tc.extra...)...)
			r := post(t, s, "/works.create", body)
			wantStatus(t, r, http.StatusCreated)
			w, _ := r.body["work"].(map[string]any)
			if w == nil {
				t.Fatalf("no work in %s", r.raw)
			}
			if str(w, "type") != tc.typ || str(w, "display_id") != tc.prefix+"-1" ||
				str(w, "id") != "don:core:dvrv-us-1:devo/sandbox:"+tc.typ+"/1" {
				t.Errorf("identity: type %q display_id %q id %q", w["type"], w["display_id"], w["id"])
			}
			if str(w, "title") != "A "+tc.typ || str(w, "body") != "details" {
				t.Errorf("title/body: %v %v", w["title"], w["body"])
			}
			if str(w, "created_by", "display_id") != "DEVU-1" || str(w, "created_by", "type") != "dev_user" {
				t.Errorf("created_by %v", w["created_by"])
			}
			if got := displayIDs(w["owned_by"]); !reflect.DeepEqual(got, []string{"DEVU-2"}) {
				t.Errorf("owned_by %v", got)
			}
			if str(w, "applies_to_part", "name") != "Billing" || str(w, "applies_to_part", "type") != "product" {
				t.Errorf("applies_to_part %v", w["applies_to_part"])
			}
			if str(w, "stage", "name") == "" || str(w, "created_date") == "" || str(w, "modified_date") == "" {
				t.Errorf("stage/dates missing: %v %v %v", w["stage"], w["created_date"], w["modified_date"])
			}
			tags, _ := w["tags"].([]any)
			if len(tags) != 1 || str(tags[0], "tag", "name") != "customer-reported" {
				t.Errorf("tags %v", w["tags"])
			}
			tc.check(t, w)

			// Works() records the same work, and works.get serves the same document.
			var got *Work
			for _, sw := range s.Works() {
				if sw.DisplayID == tc.prefix+"-1" {
					got = &sw
				}
			}
			if got == nil || got.Type != tc.typ || got.CreatedBy != "DEVU-1" || got.Title != "A "+tc.typ || got.Body != "details" {
				t.Fatalf("Works() entry %+v", got)
			}
			g := post(t, s, "/works.get", obj{"id": tc.prefix + "-1"})
			wantStatus(t, g, http.StatusOK)
			if !reflect.DeepEqual(g.body["work"], any(w)) || !reflect.DeepEqual(got.Raw, w) {
				t.Errorf("works.get or Raw differs from the create response")
			}
		})
	}
	if st := s.Stats(); st.Creates != 4 || st.ByStatus[201] != 4 {
		t.Errorf("stats %+v", st)
	}
}

func TestCreateCountersArePerType(t *testing.T) {
	s := start(t, Options{})
	for i, typ := range []string{typeIssue, typeTicket, typeIssue, typeTask, typeIssue} {
		r := post(t, s, "/works.create", validBody(typ))
		wantStatus(t, r, http.StatusCreated)
		want := []string{"ISS-1", "TKT-1", "ISS-2", "TASK-1", "ISS-3"}[i]
		if got := str(r.body, "work", "display_id"); got != want {
			t.Errorf("create %d: display_id %q, want %q", i, got, want)
		}
	}
}

func TestCreateRejectsInvalidBodies(t *testing.T) {
	s := start(t, Options{})
	long := strings.Repeat("é", 257)
	nine := []any{"PROD-1", "PROD-2", "CAPL-1", "FEAT-1", "ENH-1", "PROD-1", "PROD-2", "CAPL-1", "FEAT-1"}
	cases := []struct {
		name    string
		body    any
		errType string
		field   string
	}{
		{"missing type", with(validBody(typeIssue), "type", nil), ErrTypeMissingRequiredField, "type"},
		{"type not a string", with(validBody(typeIssue), "type", 3), ErrTypeUnexpectedJSONType, "type"},
		{"unknown type", with(validBody(typeIssue), "type", "bug"), ErrTypeInvalidEnumValue, "type"},
		{"empty owned_by", with(validBody(typeTask), "owned_by", []any{}), ErrTypeMissingRequiredField, "owned_by"},
		{"null title", with(validBody(typeTask), "title", obj(nil)), ErrTypeMissingRequiredField, "title"},
		{"bad severity", with(validBody(typeTicket), "severity", "huge"), ErrTypeInvalidEnumValue, "severity"},
		{"bad priority", with(validBody(typeIssue), "priority", "P1"), ErrTypeInvalidEnumValue, "priority"},
		{"bad channel", with(validBody(typeTicket), "channels", []any{"fax"}), ErrTypeInvalidEnumValue, "channels"},
		{"bad priority_v2", with(validBody(typeIssue), "priority_v2", 9), ErrTypeInvalidEnumValue, "priority_v2"},
		{"foreign field", with(validBody(typeIssue), "severity", "high"), ErrTypeInvalidField, "severity"},
		{"foreign account on task", with(validBody(typeTask), "account", "ACC-1"), ErrTypeInvalidField, "account"},
		{"unknown field", with(validBody(typeTicket), "colour", "red"), ErrTypeInvalidField, "colour"},
		{"unknown stage key", with(validBody(typeTicket), "stage", obj{"label": "x"}), ErrTypeInvalidField, "stage.label"},
		{"unknown owner", with(validBody(typeIssue), "owned_by", []any{"DEVU-99"}), ErrTypeInvalidID, "owned_by"},
		{"owner of wrong kind", with(validBody(typeIssue), "owned_by", []any{"PROD-1"}), ErrTypeInvalidID, "owned_by"},
		{"owner DON unknown", with(validBody(typeIssue), "owned_by", []any{"don:identity:dvrv-us-1:devo/sandbox:devu/42"}), ErrTypeInvalidID, "owned_by"},
		{"part of wrong kind", with(validBody(typeIssue), "applies_to_part", "DEVU-1"), ErrTypeInvalidID, "applies_to_part"},
		{"unknown account", with(validBody(typeOpportunity), "account", "ACC-9"), ErrTypeInvalidID, "account"},
		{"unknown tag", with(validBody(typeIssue), "tags", []any{obj{"id": "TAG-99"}}), ErrTypeInvalidID, "tags"},
		{"unknown artifact", with(validBody(typeIssue), "artifacts", []any{"ARTIFACT-9"}), ErrTypeInvalidID, "artifacts"},
		{"contact of wrong kind", with(validBody(typeOpportunity), "contacts", []any{"DEVU-1"}), ErrTypeInvalidID, "contacts"},
		{"malformed sprint", with(validBody(typeIssue), "sprint", "next sprint"), ErrTypeInvalidID, "sprint"},
		{"owned_by as string", with(validBody(typeIssue), "owned_by", "DEVU-1"), ErrTypeUnexpectedJSONType, "owned_by"},
		{"title as number", with(validBody(typeIssue), "title", 5), ErrTypeUnexpectedJSONType, "title"},
		{"is_spam as string", with(validBody(typeTicket), "is_spam", "yes"), ErrTypeUnexpectedJSONType, "is_spam"},
		{"empty title", with(validBody(typeIssue), "title", ""), ErrTypeValueNotPermitted, "title"},
		{"title too long", with(validBody(typeIssue), "title", long), ErrTypeValueNotPermitted, "title"},
		{"body too long", with(validBody(typeIssue), "body", strings.Repeat("x", 65537)), ErrTypeValueNotPermitted, "body"},
		{"nine developed_with", with(validBody(typeIssue), "developed_with", nine), ErrTypeValueNotPermitted, "developed_with"},
		{"bad date", with(validBody(typeIssue), "target_close_date", "31/12/2024"), ErrTypeValueNotPermitted, "target_close_date"},
		{"probability over 1", with(validBody(typeOpportunity), "probability", 1.5), ErrTypeValueNotPermitted, "probability"},
		{"money without currency", with(validBody(typeOpportunity), "value", obj{"amount": "1"}), ErrTypeMissingRequiredField, "value.currency"},
		{"custom fields without schema", with(validBody(typeIssue), "custom_fields", obj{"tnt__external_id": "X"}), ErrTypeBadRequest, ""},
		{"unknown custom field", with(validBody(typeIssue), "custom_schema_spec", obj{"tenant_fragment": true},
			"custom_fields", obj{"tnt__nope": "X"}), ErrTypeCustomization, "custom_fields.tnt__nope"},
		{"custom field wrong type", with(validBody(typeIssue), "custom_schema_spec", obj{"tenant_fragment": true},
			"custom_fields", obj{"tnt__story_points": "five"}), ErrTypeCustomization, "custom_fields.tnt__story_points"},
		{"custom int not integral", with(validBody(typeIssue), "custom_schema_spec", obj{"tenant_fragment": true},
			"custom_fields", obj{"tnt__story_points": 2.5}), ErrTypeCustomization, "custom_fields.tnt__story_points"},
		{"fragment of another type", with(validBody(typeIssue), "custom_schema_fragments", []any{tenantFragmentID(typeTicket)},
			"custom_fields", obj{"tnt__external_id": "X"}), ErrTypeCustomization, "custom_schema_fragments"},
		{"unknown spec key", with(validBody(typeIssue), "custom_schema_spec", obj{"tenant": true}), ErrTypeInvalidField, "custom_schema_spec.tenant"},
		{"invalid JSON", `{"type": "issue",`, ErrTypeParseError, ""},
		{"JSON array", `[]`, ErrTypeParseError, ""},
		{"empty body", ``, ErrTypeParseError, ""},
		{"trailing data", `{"type":"issue"} x`, ErrTypeParseError, ""},
	}
	// Each required field is reported missing for each type.
	for _, typ := range workTypes {
		for _, f := range requiredFields(typ) {
			cases = append(cases, struct {
				name    string
				body    any
				errType string
				field   string
			}{fmt.Sprintf("%s without %s", typ, f), with(validBody(typ), f, nil), ErrTypeMissingRequiredField, f})
		}
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := post(t, s, "/works.create", tc.body)
			wantAPIError(t, r, http.StatusBadRequest, tc.errType, tc.field)
		})
	}
	if n := len(s.Works()); n != 0 {
		t.Errorf("%d works created by invalid requests", n)
	}
}

func TestCreateErrorDetails(t *testing.T) {
	s := start(t, Options{})
	r := post(t, s, "/works.create", with(validBody(typeTicket), "severity", "huge"))
	if str(r.body, "value") != "huge" || !reflect.DeepEqual(r.body["allowed_values"], []any{"blocker", "high", "low", "medium"}) {
		t.Errorf("invalid_enum_value details: %s", r.raw)
	}
	r = post(t, s, "/works.create", with(validBody(typeTicket), "owned_by", "DEVU-1"))
	if str(r.body, "expected") != "array" || str(r.body, "actual") != "string" {
		t.Errorf("unexpected_json_type details: %s", r.raw)
	}
	r = post(t, s, "/works.create", with(validBody(typeTicket), "custom_fields", obj{"tnt__external_id": "X"}))
	if msg := str(r.body, "message"); !strings.Contains(msg, "custom_schema_spec") || !strings.Contains(msg, "custom_schema_fragments") {
		t.Errorf("custom_fields without schema: message %q should name custom_schema_spec and custom_schema_fragments", msg)
	}
	r = post(t, s, "/works.create", with(validBody(typeTicket), "custom_schema_spec", obj{"tenant_fragment": true},
		"custom_fields", obj{"tnt__customer_impact": "yes"}))
	if str(r.body, "subtype") != "wrong_type" {
		t.Errorf("customization error subtype: %s", r.raw)
	}
}

func TestCreateAcceptsCustomFieldsWithEitherSchemaForm(t *testing.T) {
	s := start(t, Options{})
	fields := obj{"tnt__external_id": "X-1", "tnt__story_points": 5, "tnt__customer_impact": true}
	for _, body := range []obj{
		with(validBody(typeTicket), "custom_schema_spec", obj{"tenant_fragment": true, "validate_required_fields": true}, "custom_fields", fields),
		with(validBody(typeTicket), "custom_schema_fragments", []any{tenantFragmentID(typeTicket)}, "custom_fields", fields),
	} {
		r := post(t, s, "/works.create", body)
		wantStatus(t, r, http.StatusCreated)
		got, _ := r.body["work"].(map[string]any)["custom_fields"].(map[string]any)
		if !reflect.DeepEqual(got, map[string]any{"tnt__external_id": "X-1", "tnt__story_points": float64(5), "tnt__customer_impact": true}) {
			t.Errorf("custom_fields served as %v", got)
		}
	}
	ws := s.Works()
	if len(ws) != 2 || ws[1].CustomFields["tnt__external_id"] != "X-1" || ws[1].CustomFields["tnt__story_points"] != float64(5) {
		t.Errorf("Works() custom fields: %+v", ws)
	}
}

func TestCreateAcceptsDONIDsAndWellFormedUnseededIDs(t *testing.T) {
	s := start(t, Options{})
	body := with(validBody(typeTicket),
		"owned_by", []any{"don:identity:dvrv-us-1:devo/sandbox:devu/3"},
		"applies_to_part", "don:core:dvrv-us-1:devo/sandbox:feature/1",
		"group", "don:identity:dvrv-us-1:devo/sandbox:group/7",
		"channels_v2", []any{"don:core:dvrv-us-1:devo/sandbox:channel/1"},
		"reported_by", []any{"REVU-2", "DEVU-4"},
		"target_close_date", "2025-03-01T10:00:00+01:00",
		"stage", obj{"name": "work_in_progress"})
	r := post(t, s, "/works.create", body)
	wantStatus(t, r, http.StatusCreated)
	w := r.body["work"]
	if got := displayIDs(str2(w, "owned_by")); !reflect.DeepEqual(got, []string{"DEVU-3"}) {
		t.Errorf("owned_by %v", got)
	}
	if str(w, "applies_to_part", "display_id") != "FEAT-1" || str(w, "group", "id") == "" {
		t.Errorf("part %v group %v", str(w, "applies_to_part", "display_id"), str(w, "group", "id"))
	}
	if str(w, "target_close_date") != "2025-03-01T09:00:00.000Z" || str(w, "stage", "name") != "work_in_progress" {
		t.Errorf("date %q stage %q", str(w, "target_close_date"), str(w, "stage", "name"))
	}
}

func str2(v any, key string) any {
	m, _ := v.(map[string]any)
	return m[key]
}

func TestAddWorkSeedsWithTheSameValidation(t *testing.T) {
	s := New(Options{})
	w, err := s.AddWork("DEVU-3", with(validBody(typeIssue), "custom_schema_spec", obj{"tenant_fragment": true},
		"custom_fields", obj{"tnt__external_id": "OLD-1"}))
	if err != nil {
		t.Fatal(err)
	}
	if w.DisplayID != "ISS-1" || w.CreatedBy != "DEVU-3" || w.CustomFields["tnt__external_id"] != "OLD-1" {
		t.Errorf("AddWork returned %+v", w)
	}
	_, err = s.AddWork("", with(validBody(typeIssue), "owned_by", []any{"DEVU-99"}))
	var apiErr *APIError
	if !errorsAs(err, &apiErr) || apiErr.Type != ErrTypeInvalidID {
		t.Errorf("AddWork with a bad owner: %v", err)
	}
	if _, err := s.AddWork("PROD-1", validBody(typeIssue)); err == nil {
		t.Error("AddWork accepted a part as creator")
	}
	if st := s.Stats(); st.Requests != 0 || st.Creates != 0 {
		t.Errorf("AddWork counted in stats: %+v", st)
	}
}

func TestCreateChecksEveryCustomFieldType(t *testing.T) {
	s := start(t, Options{})
	create := func(fields obj) response {
		return post(t, s, "/works.create", with(validBody(typeTicket), "custom_schema_spec", obj{"tenant_fragment": true}, "custom_fields", fields))
	}
	good := obj{"tnt__effort_days": 1.5, "tnt__found_on": "2024-03-01", "tnt__escalated_at": "2024-03-01T13:30:00Z", "tnt__region": "EMEA", "tnt__tier": 2}
	r := create(good)
	wantStatus(t, r, http.StatusCreated)
	for _, tc := range []struct {
		fields  obj
		subtype string
	}{
		{obj{"tnt__effort_days": "1.5"}, "wrong_type"},
		{obj{"tnt__found_on": "2024-03-01T00:00:00Z"}, "date_parse_error"},
		{obj{"tnt__found_on": 45352}, "wrong_type"},
		{obj{"tnt__escalated_at": "2024-03-01"}, "timestamp_parse_error"},
		{obj{"tnt__region": "emea"}, "enum_out_of_range"},
		{obj{"tnt__tier": "Silver"}, "wrong_type"},
		{obj{"tnt__tier": 7}, "enum_out_of_range"},
		{obj{"tnt__tier": 1.5}, "enum_out_of_range"},
	} {
		r := create(tc.fields)
		wantStatus(t, r, http.StatusBadRequest)
		if sub := str(r.body, "subtype"); sub != tc.subtype {
			t.Errorf("%v: subtype %q, want %q: %s", tc.fields, sub, tc.subtype, r.raw)
		}
	}
	if n := len(s.Works()); n != 1 {
		t.Errorf("%d works, want the one valid", n)
	}
}
