package simulator

import (
	"net/http"
	"reflect"
	"strings"
	"testing"
)

func comment(object, body string, kv ...any) obj {
	return with(obj{"type": "timeline_comment", "object": object, "body": body}, kv...)
}

// bodies lists the body of each entry in a decoded array.
func bodies(v any) []string {
	arr, _ := v.([]any)
	out := []string{}
	for _, it := range arr {
		out = append(out, str(it, "body"))
	}
	return out
}

func TestCommentCreateServesTheSpecShape(t *testing.T) {
	s := start(t, Options{})
	ws := addWorks(t, s, typeTicket)
	r := post(t, s, "/timeline-entries.create", comment("TKT-1", "Originally by bob:\nhello",
		"visibility", "internal", "external_ref", "jira-10001", "labels", []any{"imported"}, "artifacts", []any{"ARTIFACT-2"}))
	wantStatus(t, r, http.StatusCreated)
	e := r.body["timeline_entry"]
	id := ws[0].ID + ":comment/1"
	for field, want := range map[string]string{
		"type": "timeline_comment", "id": id, "object": ws[0].ID, "object_display_id": "TKT-1", "object_type": "ticket",
		"body": "Originally by bob:\nhello", "body_type": "text", "visibility": "internal", "external_ref": "jira-10001",
		"created_date": str(e, "modified_date"),
	} {
		if got := str(e, field); got != want || got == "" {
			t.Errorf("timeline_entry.%s = %q, want %q", field, got, want)
		}
	}
	if str(e, "created_by", "display_id") != "DEVU-1" {
		t.Errorf("created_by %v", e.(obj)["created_by"])
	}
	if arts := e.(obj)["artifacts"].([]any); len(arts) != 1 || str(arts[0], "display_id") != "ARTIFACT-2" {
		t.Errorf("artifacts %v", arts)
	}
	if ls := e.(obj)["labels"]; !reflect.DeepEqual(ls, []any{"imported"}) {
		t.Errorf("labels %v", ls)
	}

	// The defaults: visibility external (visible to customers), body_type text.
	r = post(t, s, "/timeline-entries.create", comment(ws[0].ID, "second"))
	wantStatus(t, r, http.StatusCreated)
	if str(r.body, "timeline_entry", "visibility") != "external" || str(r.body, "timeline_entry", "body_type") != "text" {
		t.Errorf("defaults: %s", r.raw)
	}
	cs := s.Comments()
	if len(cs) != 2 {
		t.Fatalf("Comments() = %+v", cs)
	}
	cs[0].CreatedDate = cs[0].CreatedDate.UTC()
	want := Comment{ID: id, Object: ws[0].ID, ObjectDisplayID: "TKT-1", Body: "Originally by bob:\nhello", BodyType: "text",
		Visibility: "internal", ExternalRef: "jira-10001", Labels: []string{"imported"},
		Artifacts: []string{"don:core:dvrv-us-1:devo/sandbox:artifact/2"}, CreatedBy: "DEVU-1", CreatedDate: cs[0].CreatedDate}
	if !reflect.DeepEqual(cs[0], want) || !cs[0].Live() || cs[0].CreatedDate.IsZero() {
		t.Errorf("Comments()[0] = %+v, want %+v", cs[0], want)
	}
	if cs[1].Visibility != "external" || cs[1].ExternalRef != "" {
		t.Errorf("Comments()[1] = %+v", cs[1])
	}
}

func TestCommentExternalRefIsUniquePerObject(t *testing.T) {
	s := start(t, Options{})
	addWorks(t, s, typeIssue, typeIssue)
	wantStatus(t, post(t, s, "/timeline-entries.create", comment("ISS-1", "a", "external_ref", "c-1")), http.StatusCreated)
	// The same reference again, by DON ID too: 409 conflict, nothing made.
	for _, obj := range []string{"ISS-1", s.Works()[0].ID} {
		r := post(t, s, "/timeline-entries.create", comment(obj, "a again", "external_ref", "c-1"))
		wantStatus(t, r, http.StatusConflict)
		if str(r.body, "type") != ErrTypeConflict || !strings.Contains(str(r.body, "message"), "c-1") {
			t.Errorf("409 body %s", r.raw)
		}
	}
	// Another object's timeline, or another reference: fine.
	wantStatus(t, post(t, s, "/timeline-entries.create", comment("ISS-2", "b", "external_ref", "c-1")), http.StatusCreated)
	wantStatus(t, post(t, s, "/timeline-entries.create", comment("ISS-1", "c", "external_ref", "c-2")), http.StatusCreated)
	if n := len(s.Comments()); n != 3 {
		t.Errorf("%d comments, want 3", n)
	}
	// Deleting the entry frees its reference.
	wantStatus(t, post(t, s, "/timeline-entries.delete", obj{"id": s.Comments()[0].ID}), http.StatusOK)
	wantStatus(t, post(t, s, "/timeline-entries.create", comment("ISS-1", "a anew", "external_ref", "c-1")), http.StatusCreated)
}

// A comment whose answer was lost (the ghost) is refused when resent with
// the same external_ref: exactly once by construction.
func TestCommentGhostThenResendConflicts(t *testing.T) {
	s := start(t, Options{})
	addWorks(t, s, typeIssue)
	s.SetFaults(Faults{DropAfter: 1})
	if r := post(t, s, "/timeline-entries.create", comment("ISS-1", "x", "external_ref", "r-1")); r.err == nil {
		t.Fatalf("not dropped: %d %s", r.status, r.raw)
	}
	s.SetFaults(Faults{})
	wantStatus(t, post(t, s, "/timeline-entries.create", comment("ISS-1", "x", "external_ref", "r-1")), http.StatusConflict)
	if cs := s.Comments(); len(cs) != 1 || !cs[0].Live() {
		t.Errorf("Comments() = %+v", cs)
	}
}

func TestCommentCreateRejectsInvalidBodies(t *testing.T) {
	s := start(t, Options{})
	addWorks(t, s, typeIssue, typeIssue)
	wantStatus(t, post(t, s, "/works.delete", obj{"id": "ISS-2"}), http.StatusOK)
	many := func(n int, s string) []any {
		out := make([]any, n)
		for i := range out {
			out[i] = s
		}
		return out
	}
	cases := []struct {
		name    string
		body    any
		errType string
		field   string
	}{
		{"no type", obj{"object": "ISS-1", "body": "x"}, ErrTypeMissingRequiredField, "type"},
		{"bad type", comment("ISS-1", "x", "type", "timeline_change_event"), ErrTypeInvalidEnumValue, "type"},
		{"no object", comment("ISS-1", "x", "object", nil), ErrTypeMissingRequiredField, "object"},
		{"no such work", comment("ISS-9", "x"), ErrTypeInvalidID, "object"},
		{"deleted work", comment("ISS-2", "x"), ErrTypeInvalidID, "object"},
		{"not a work", comment("PROD-1", "x"), ErrTypeInvalidID, "object"},
		{"body not a string", comment("ISS-1", "", "body", 5), ErrTypeUnexpectedJSONType, "body"},
		{"bad visibility", comment("ISS-1", "x", "visibility", "team"), ErrTypeInvalidEnumValue, "visibility"},
		{"bad body_type", comment("ISS-1", "x", "body_type", "html"), ErrTypeInvalidEnumValue, "body_type"},
		{"snap_kit body_type", comment("ISS-1", "x", "body_type", "snap_kit"), ErrTypeBadRequest, ""},
		{"unknown property", comment("ISS-1", "x", "author", "bob"), ErrTypeInvalidField, "author"},
		{"unimplemented property", comment("ISS-1", "x", "expires_at", "2030-01-01T00:00:00Z"), ErrTypeBadRequest, ""},
		{"empty external_ref", comment("ISS-1", "x", "external_ref", ""), ErrTypeValueNotPermitted, "external_ref"},
		{"long external_ref", comment("ISS-1", "x", "external_ref", strings.Repeat("é", 513)), ErrTypeValueNotPermitted, "external_ref"},
		{"17 labels", comment("ISS-1", "x", "labels", many(17, "l")), ErrTypeValueNotPermitted, "labels"},
		{"long label", comment("ISS-1", "x", "labels", []any{strings.Repeat("l", 65)}), ErrTypeValueNotPermitted, "labels"},
		{"empty label", comment("ISS-1", "x", "labels", []any{""}), ErrTypeValueNotPermitted, "labels"},
		{"51 artifacts", comment("ISS-1", "x", "artifacts", many(51, "ARTIFACT-1")), ErrTypeValueNotPermitted, "artifacts"},
		{"unknown artifact", comment("ISS-1", "x", "artifacts", []any{"ARTIFACT-9"}), ErrTypeInvalidID, "artifacts"},
		{"not an artifact", comment("ISS-1", "x", "artifacts", []any{"PROD-1"}), ErrTypeInvalidID, "artifacts"},
		{"private_to not a dev user", comment("ISS-1", "x", "visibility", "private", "private_to", []any{"REVU-1"}), ErrTypeInvalidID, "private_to"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			wantAPIError(t, post(t, s, "/timeline-entries.create", tc.body), http.StatusBadRequest, tc.errType, tc.field)
		})
	}
	if n := len(s.Comments()); n != 0 {
		t.Errorf("%d comments made by invalid requests", n)
	}
	// The limits themselves are allowed.
	r := post(t, s, "/timeline-entries.create", comment("ISS-1", "x", "labels", many(16, strings.Repeat("l", 64)),
		"artifacts", many(50, "ARTIFACT-1"), "external_ref", strings.Repeat("é", 512), "visibility", "private", "private_to", []any{"DEVU-2"}))
	wantStatus(t, r, http.StatusCreated)
}

func TestTimelineListGetDelete(t *testing.T) {
	s := start(t, Options{})
	addWorks(t, s, typeIssue, typeIssue)
	for i, b := range []obj{
		comment("ISS-1", "one", "visibility", "internal", "labels", []any{"a"}),
		comment("ISS-2", "other work"),
		comment("ISS-1", "two", "external_ref", "ref-2"),
		comment("ISS-1", "three", "visibility", "internal", "labels", []any{"b", "c"}),
	} {
		if r := post(t, s, "/timeline-entries.create", b); r.status != http.StatusCreated {
			t.Fatalf("comment %d: %d %s", i, r.status, r.raw)
		}
	}
	cases := []struct {
		name string
		req  obj
		want []string
	}{
		{"oldest first", obj{"object": "ISS-1"}, []string{"one", "two", "three"}},
		{"visibility", obj{"object": "ISS-1", "visibility": []any{"internal"}}, []string{"one", "three"}},
		{"labels: any of", obj{"object": "ISS-1", "labels": []any{"c", "a"}}, []string{"one", "three"}},
		{"no labels: no filter", obj{"object": "ISS-1", "labels": []any{}}, []string{"one", "two", "three"}},
		{"other work", obj{"object": s.Works()[1].ID}, []string{"other work"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := post(t, s, "/timeline-entries.list", tc.req)
			wantStatus(t, r, http.StatusOK)
			if got := bodies(r.body["timeline_entries"]); !reflect.DeepEqual(got, tc.want) {
				t.Errorf("got %v, want %v", got, tc.want)
			}
		})
	}
	pages := pagesOf(t, s, "/timeline-entries.list", "timeline_entries", obj{"object": "ISS-1", "limit": 2}, bodies)
	if !reflect.DeepEqual(pages, [][]string{{"one", "two"}, {"three"}}) {
		t.Errorf("pages %v", pages)
	}
	r := do(t, s, DefaultToken, http.MethodGet, "/timeline-entries.list?object=ISS-1&visibility=external,public", nil)
	wantStatus(t, r, http.StatusOK)
	if got := bodies(r.body["timeline_entries"]); !reflect.DeepEqual(got, []string{"two"}) {
		t.Errorf("GET list: %v", got)
	}
	for _, bad := range []struct {
		req    obj
		status int
	}{
		{obj{}, 400}, {obj{"object": "ISS-9"}, 404}, {obj{"object": "ISS-1", "visibility": []any{"team"}}, 400},
		{obj{"object": "ISS-1", "collections": []any{"events"}}, 400}, {obj{"object": "ISS-1", "x": 1}, 400},
	} {
		if r := post(t, s, "/timeline-entries.list", bad.req); r.status != bad.status {
			t.Errorf("list %v: %d %s, want %d", bad.req, r.status, r.raw, bad.status)
		}
	}

	// get: by ID, or by external_ref within a work's or an entry's timeline.
	cs := s.Comments()
	iss1 := s.Works()[0].ID
	for _, q := range []obj{{"id": cs[2].ID}, {"id": "ISS-1", "external_ref": "ref-2"}, {"id": iss1, "external_ref": "ref-2"},
		{"id": cs[0].ID, "external_ref": "ref-2"}} {
		r := post(t, s, "/timeline-entries.get", q)
		wantStatus(t, r, http.StatusOK)
		if str(r.body, "timeline_entry", "id") != cs[2].ID {
			t.Errorf("get %v: %s", q, r.raw)
		}
	}
	r = do(t, s, DefaultToken, http.MethodGet, "/timeline-entries.get?id=ISS-1&external_ref=ref-2", nil)
	if r.status != http.StatusOK || str(r.body, "timeline_entry", "body") != "two" {
		t.Errorf("GET get: %d %s", r.status, r.raw)
	}
	for _, q := range []obj{{"id": "ISS-1"}, {"id": "ISS-2", "external_ref": "ref-2"}, {"id": "ISS-9", "external_ref": "ref-2"}, {"id": cs[0].ID + "9"}} {
		if r := post(t, s, "/timeline-entries.get", q); r.status != http.StatusNotFound {
			t.Errorf("get %v: %d %s", q, r.status, r.raw)
		}
	}

	// delete: gone from the list and from get; a second delete is 404.
	r = post(t, s, "/timeline-entries.delete", obj{"id": cs[0].ID})
	wantStatus(t, r, http.StatusOK)
	if string(r.raw) != "{}" {
		t.Errorf("delete answer %s", r.raw)
	}
	wantStatus(t, post(t, s, "/timeline-entries.delete", obj{"id": cs[0].ID}), http.StatusNotFound)
	wantStatus(t, post(t, s, "/timeline-entries.get", obj{"id": cs[0].ID}), http.StatusNotFound)
	r = post(t, s, "/timeline-entries.list", obj{"object": "ISS-1"})
	if got := bodies(r.body["timeline_entries"]); !reflect.DeepEqual(got, []string{"two", "three"}) {
		t.Errorf("after delete: %v", got)
	}
	if c := s.Comments()[0]; !c.Deleted || c.WorkDeleted || c.Live() {
		t.Errorf("Comments()[0] = %+v", c)
	}

	// Deleting the work takes its timeline with it.
	wantStatus(t, post(t, s, "/works.delete", obj{"id": "ISS-1"}), http.StatusOK)
	wantStatus(t, post(t, s, "/timeline-entries.list", obj{"object": "ISS-1"}), http.StatusNotFound)
	wantStatus(t, post(t, s, "/timeline-entries.get", obj{"id": cs[2].ID}), http.StatusNotFound)
	wantStatus(t, post(t, s, "/timeline-entries.delete", obj{"id": cs[2].ID}), http.StatusNotFound)
	live := 0
	for _, c := range s.Comments() {
		if c.Live() {
			live++
			if c.Body != "other work" {
				t.Errorf("live comment %+v", c)
			}
		} else if c.Object == iss1 && !c.WorkDeleted {
			t.Errorf("comment of the deleted work: %+v", c)
		}
	}
	if live != 1 {
		t.Errorf("%d live comments, want 1", live)
	}
}

func TestCommentFaults(t *testing.T) {
	for _, tc := range createFaults {
		t.Run(tc.name, func(t *testing.T) {
			s := start(t, Options{ReadOnlyTokens: map[string]string{"ro": "DEVU-2"}})
			addWorks(t, s, typeIssue)
			wantStatus(t, do(t, s, "ro", http.MethodPost, "/timeline-entries.create", comment("ISS-1", "x")), http.StatusForbidden)
			s.SetFaults(tc.faults)
			r := post(t, s, "/timeline-entries.create", comment("ISS-1", "x"))
			if (r.err != nil) != (tc.status == 0) || r.status != tc.status {
				t.Fatalf("got %d %v %s, want %d", r.status, r.err, r.raw, tc.status)
			}
			if n := len(s.Comments()); (n == 1) != tc.created {
				t.Fatalf("%d comments, want created=%v", n, tc.created)
			}
			wantStatus(t, post(t, s, "/timeline-entries.list", obj{"object": "ISS-1"}), http.StatusOK) // reads are never faulted
			if !tc.created {
				return
			}
			r = post(t, s, "/timeline-entries.delete", obj{"id": s.Comments()[0].ID})
			if (r.err != nil) != (tc.status == 0) || (r.status != 0 && r.status != http.StatusOK) {
				t.Fatalf("delete: %d %v", r.status, r.err)
			}
			if c := s.Comments()[0]; !c.Deleted {
				t.Errorf("the delete was not performed: %+v", c)
			}
		})
	}
}
