package simulator

import (
	"net/http"
	"reflect"
	"strings"
	"testing"
)

// addWorks seeds works of the given types (ISS-1, ISS-2, TKT-1, ...).
func addWorks(t *testing.T, s *Server, types ...string) []Work {
	t.Helper()
	var out []Work
	for _, typ := range types {
		w, err := s.AddWork("", validBody(typ))
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, w)
	}
	return out
}

// pagesOf follows next_cursor and returns every page, each item rendered
// by items.
func pagesOf(t *testing.T, s *Server, path, key string, req obj, items func(any) []string) [][]string {
	t.Helper()
	var pages [][]string
	for range 20 {
		r := post(t, s, path, req)
		wantStatus(t, r, http.StatusOK)
		pages = append(pages, items(r.body[key]))
		next, _ := r.body["next_cursor"].(string)
		if next == "" {
			return pages
		}
		req = with(req, "cursor", next)
	}
	t.Fatal("pagination does not end")
	return nil
}

func link(typ, source, target string) obj {
	return obj{"link_type": typ, "source": source, "target": target}
}

// linkIDs lists "SOURCE type TARGET" of each link in a decoded array.
func linkIDs(v any) []string {
	arr, _ := v.([]any)
	out := []string{}
	for _, it := range arr {
		out = append(out, str(it, "source", "display_id")+" "+str(it, "link_type")+" "+str(it, "target", "display_id"))
	}
	return out
}

func TestLinksCreateServesTheSpecShape(t *testing.T) {
	s := start(t, Options{})
	ws := addWorks(t, s, typeIssue, typeTicket)
	r := post(t, s, "/links.create", link("is_parent_of", "ISS-1", ws[1].ID))
	wantStatus(t, r, http.StatusCreated)
	l := r.body["link"]
	for path, want := range map[string]string{
		"id":                "don:core:dvrv-us-1:devo/sandbox:link/1",
		"link_type":         "is_parent_of",
		"source.id":         ws[0].ID,
		"source.display_id": "ISS-1",
		"source.type":       "issue",
		"source.title":      "A issue",
		"target.display_id": "TKT-1",
		"target.type":       "ticket",
		"target.stage.name": "queued",
		"created_by.id":     "don:identity:dvrv-us-1:devo/sandbox:devu/1",
		"created_date":      str(l, "modified_date"),
	} {
		if got := str(l, strings.Split(path, ".")...); got != want || got == "" {
			t.Errorf("link.%s = %q, want %q (%s)", path, got, want, r.raw)
		}
	}
	if owners, _ := l.(obj)["source"].(obj)["owned_by"].([]any); len(owners) != 1 || str(owners[0], "display_id") != "DEVU-2" {
		t.Errorf("source.owned_by = %v", owners)
	}
	want := []Link{{ID: "don:core:dvrv-us-1:devo/sandbox:link/1", Type: "is_parent_of", Source: ws[0].ID, Target: ws[1].ID,
		SourceDisplayID: "ISS-1", TargetDisplayID: "TKT-1", CreatedBy: "DEVU-1"}}
	got := s.Links()
	for i := range got {
		if got[i].CreatedDate.IsZero() || !got[i].Live() {
			t.Errorf("link %d: %+v", i, got[i])
		}
		got[i].CreatedDate = want[0].CreatedDate
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("Links() = %+v, want %+v", got, want)
	}

	// Nothing refuses an identical link: a resend duplicates it.
	wantStatus(t, post(t, s, "/links.create", link("is_parent_of", ws[0].ID, "TKT-1")), http.StatusCreated)
	if got := s.Links(); len(got) != 2 || got[1].ID == got[0].ID || got[1].Source != got[0].Source {
		t.Errorf("duplicate: %+v", got)
	}
}

func TestLinksCreateRejectsInvalidBodies(t *testing.T) {
	s := start(t, Options{})
	addWorks(t, s, typeIssue, typeIssue, typeIssue)
	wantStatus(t, post(t, s, "/works.delete", obj{"id": "ISS-3"}), http.StatusOK)
	iss1 := s.Works()[0].ID
	cases := []struct {
		name    string
		body    any
		errType string
		field   string
	}{
		{"not JSON", "{", ErrTypeParseError, ""},
		{"no link_type", obj{"source": "ISS-1", "target": "ISS-2"}, ErrTypeMissingRequiredField, "link_type"},
		{"no source", obj{"link_type": "is_related_to", "target": "ISS-2"}, ErrTypeMissingRequiredField, "source"},
		{"no target", obj{"link_type": "is_related_to", "source": "ISS-1"}, ErrTypeMissingRequiredField, "target"},
		{"null target", obj{"link_type": "is_related_to", "source": "ISS-1", "target": nil}, ErrTypeMissingRequiredField, "target"},
		{"link type not in the enum", link("blocks", "ISS-1", "ISS-2"), ErrTypeInvalidEnumValue, "link_type"},
		{"link type not a string", obj{"link_type": 3, "source": "ISS-1", "target": "ISS-2"}, ErrTypeUnexpectedJSONType, "link_type"},
		{"source not a string", obj{"link_type": "is_related_to", "source": []any{"ISS-1"}, "target": "ISS-2"}, ErrTypeUnexpectedJSONType, "source"},
		{"unknown property", with(link("is_related_to", "ISS-1", "ISS-2"), "direction", "is_source"), ErrTypeInvalidField, "direction"},
		{"custom link", link("custom_link", "ISS-1", "ISS-2"), ErrTypeBadRequest, ""},
		{"custom link type", with(link("is_related_to", "ISS-1", "ISS-2"), "custom_link_type", "don:core:dvrv-us-1:devo/sandbox:custom_link_type/1"), ErrTypeBadRequest, ""},
		{"self link", link("is_related_to", "ISS-1", "ISS-1"), ErrTypeValueNotPermitted, "target"},
		{"self link, DON and display ID", link("is_parent_of", iss1, "ISS-1"), ErrTypeValueNotPermitted, "target"},
		{"no such work", link("is_related_to", "ISS-1", "ISS-99"), ErrTypeInvalidID, "target"},
		{"deleted work", link("is_related_to", "ISS-3", "ISS-1"), ErrTypeInvalidID, "source"},
		{"malformed ID", link("is_related_to", "iss 1", "ISS-2"), ErrTypeInvalidID, "source"},
		{"not a work", link("developed_with", "ISS-1", "PROD-1"), ErrTypeInvalidID, "target"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			wantAPIError(t, post(t, s, "/links.create", tc.body), http.StatusBadRequest, tc.errType, tc.field)
		})
	}
	r := post(t, s, "/links.create", link("blocks", "ISS-1", "ISS-2"))
	if got := r.body["allowed_values"].([]any); len(got) != len(linkTypes) {
		t.Errorf("allowed_values %v", got)
	}
	if n := len(s.Links()); n != 0 {
		t.Errorf("%d links made by invalid requests", n)
	}
}

// seedLinks makes ISS-1..3, TKT-1 and: ISS-1 is_parent_of ISS-2, ISS-1
// is_parent_of ISS-3, ISS-3 is_dependent_on ISS-1, ISS-1 is_related_to TKT-1.
func seedLinks(t *testing.T) *Server {
	t.Helper()
	s := start(t, Options{})
	addWorks(t, s, typeIssue, typeIssue, typeIssue, typeTicket)
	for _, l := range []obj{link("is_parent_of", "ISS-1", "ISS-2"), link("is_parent_of", "ISS-1", "ISS-3"),
		link("is_dependent_on", "ISS-3", "ISS-1"), link("is_related_to", "ISS-1", "TKT-1")} {
		wantStatus(t, post(t, s, "/links.create", l), http.StatusCreated)
	}
	return s
}

func TestLinksListFilters(t *testing.T) {
	s := seedLinks(t)
	all := []string{"ISS-1 is_parent_of ISS-2", "ISS-1 is_parent_of ISS-3", "ISS-3 is_dependent_on ISS-1", "ISS-1 is_related_to TKT-1"}
	cases := []struct {
		name string
		req  obj
		want []string
	}{
		{"both directions", obj{"object": "ISS-1"}, all},
		{"by DON", obj{"object": s.Works()[0].ID}, all},
		{"is_source", obj{"object": "ISS-1", "direction": "is_source"}, []string{all[0], all[1], all[3]}},
		{"is_target", obj{"object": "ISS-1", "direction": "is_target"}, []string{all[2]}},
		{"link_type", obj{"object": "ISS-1", "link_type": []any{"is_parent_of", "is_related_to"}}, []string{all[0], all[1], all[3]}},
		{"deprecated types", obj{"object": "ISS-1", "types": []any{"is_dependent_on"}}, []string{all[2]}},
		{"link_type and types both apply", obj{"object": "ISS-1", "link_type": []any{"is_parent_of"}, "types": []any{"is_related_to"}}, []string{}},
		{"object_types: the other end", obj{"object": "ISS-1", "object_types": []any{"ticket"}}, []string{all[3]}},
		{"child's parent", obj{"object": "ISS-2", "direction": "is_target", "link_type": []any{"is_parent_of"}}, []string{all[0]}},
		{"no links", obj{"object": "ISS-2", "direction": "is_source"}, []string{}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := post(t, s, "/links.list", tc.req)
			wantStatus(t, r, http.StatusOK)
			if got := linkIDs(r.body["links"]); !reflect.DeepEqual(got, tc.want) {
				t.Errorf("got %v, want %v", got, tc.want)
			}
		})
	}

	// Pages, with the cursors every list serves.
	pages := pagesOf(t, s, "/links.list", "links", obj{"object": "ISS-1", "limit": 3}, linkIDs)
	if !reflect.DeepEqual(pages, [][]string{all[:3], all[3:]}) {
		t.Errorf("pages %v", pages)
	}

	r := do(t, s, DefaultToken, http.MethodGet, "/links.list?object=ISS-1&direction=is_source&link_type=is_parent_of,is_dependent_on", nil)
	wantStatus(t, r, http.StatusOK)
	if got := linkIDs(r.body["links"]); !reflect.DeepEqual(got, all[:2]) {
		t.Errorf("GET links.list: %v", got)
	}
}

func TestLinksListRejectsBadRequests(t *testing.T) {
	s := seedLinks(t)
	cases := []struct {
		name    string
		req     obj
		errType string
		field   string
	}{
		{"no object", obj{}, ErrTypeMissingRequiredField, "object"},
		{"unknown object", obj{"object": "ISS-9"}, ErrTypeInvalidID, "object"},
		{"bad direction", obj{"object": "ISS-1", "direction": "out"}, ErrTypeInvalidEnumValue, "direction"},
		{"bad link type", obj{"object": "ISS-1", "link_type": []any{"blocks"}}, ErrTypeInvalidEnumValue, "link_type"},
		{"link_type not an array", obj{"object": "ISS-1", "link_type": "is_parent_of"}, ErrTypeUnexpectedJSONType, "link_type"},
		{"bad object type", obj{"object": "ISS-1", "object_types": []any{"work"}}, ErrTypeInvalidEnumValue, "object_types"},
		{"unknown field", obj{"object": "ISS-1", "source": "ISS-1"}, ErrTypeInvalidField, "source"},
		{"bad limit", obj{"object": "ISS-1", "limit": 0}, ErrTypeValueNotPermitted, "limit"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			wantAPIError(t, post(t, s, "/links.list", tc.req), http.StatusBadRequest, tc.errType, tc.field)
		})
	}
}

func TestLinksGetAndDelete(t *testing.T) {
	s := seedLinks(t)
	id := s.Links()[0].ID
	r := do(t, s, DefaultToken, http.MethodGet, "/links.get?id="+id, nil)
	wantStatus(t, r, http.StatusOK)
	if str(r.body, "link", "id") != id || str(r.body, "link", "target", "display_id") != "ISS-2" {
		t.Errorf("links.get: %s", r.raw)
	}
	r = post(t, s, "/links.delete", obj{"id": id})
	wantStatus(t, r, http.StatusOK)
	if string(r.raw) != "{}" {
		t.Errorf("delete answer %s", r.raw)
	}
	for _, path := range []string{"/links.delete", "/links.get"} {
		if r := post(t, s, path, obj{"id": id}); r.status != http.StatusNotFound || str(r.body, "type") != ErrTypeNotFound {
			t.Errorf("%s of a deleted link: %d %s", path, r.status, r.raw)
		}
	}
	for _, bad := range []obj{{}, {"id": 1}, {"id": id, "x": 1}} {
		if r := post(t, s, "/links.delete", bad); r.status != http.StatusBadRequest {
			t.Errorf("delete %v: %d %s", bad, r.status, r.raw)
		}
	}
	r = post(t, s, "/links.list", obj{"object": "ISS-2"})
	if got := linkIDs(r.body["links"]); len(got) != 0 {
		t.Errorf("deleted link listed: %v", got)
	}
	if l := s.Links()[0]; !l.Deleted || l.EndDeleted || l.Live() {
		t.Errorf("Links()[0] = %+v", l)
	}
}

// Deleting a work takes its links with it: they are no longer listed from
// the other end, and links.get and links.delete answer 404.
func TestDeletingAWorkRemovesItsLinks(t *testing.T) {
	s := seedLinks(t)
	wantStatus(t, post(t, s, "/works.delete", obj{"id": "ISS-3"}), http.StatusOK)
	r := post(t, s, "/links.list", obj{"object": "ISS-1"})
	wantStatus(t, r, http.StatusOK)
	if got := linkIDs(r.body["links"]); !reflect.DeepEqual(got, []string{"ISS-1 is_parent_of ISS-2", "ISS-1 is_related_to TKT-1"}) {
		t.Errorf("after deleting ISS-3: %v", got)
	}
	ls := s.Links()
	for i, l := range ls {
		if gone := l.SourceDisplayID == "ISS-3" || l.TargetDisplayID == "ISS-3"; l.EndDeleted != gone || l.Deleted || l.Live() == gone {
			t.Errorf("link %d: %+v", i, l)
		}
	}
	if r := post(t, s, "/links.delete", obj{"id": ls[1].ID}); r.status != http.StatusNotFound {
		t.Errorf("delete a link of a deleted work: %d %s", r.status, r.raw)
	}
	if r := post(t, s, "/links.list", obj{"object": "ISS-3"}); r.status != http.StatusBadRequest || str(r.body, "field_name") != "object" {
		t.Errorf("links of a deleted work: %d %s", r.status, r.raw)
	}
}

// createFaults are the faults of every create: the status a client sees
// (0: a dropped connection) and whether the write was performed.
var createFaults = []struct {
	name    string
	faults  Faults
	status  int
	created bool
}{
	{"500", Faults{Err500: 1}, 500, false},
	{"503", Faults{Err503: 1}, 503, false},
	{"drop before", Faults{DropBefore: 1}, 0, false},
	{"drop after", Faults{DropAfter: 1}, 0, true},
	{"bad body", Faults{BadBody: 1}, 201, true},
}

func TestLinkFaults(t *testing.T) {
	for _, tc := range createFaults {
		t.Run(tc.name, func(t *testing.T) {
			s := start(t, Options{})
			addWorks(t, s, typeIssue, typeIssue)
			s.SetFaults(tc.faults)
			r := post(t, s, "/links.create", link("is_related_to", "ISS-1", "ISS-2"))
			if (r.err != nil) != (tc.status == 0) || r.status != tc.status {
				t.Fatalf("got %d %v %s, want %d", r.status, r.err, r.raw, tc.status)
			}
			if n := len(s.Links()); (n == 1) != tc.created {
				t.Fatalf("%d links, want created=%v", n, tc.created)
			}
			wantStatus(t, post(t, s, "/links.list", obj{"object": "ISS-1"}), http.StatusOK) // reads are never faulted
			if !tc.created {
				return
			}
			id := s.Links()[0].ID
			r = post(t, s, "/links.delete", obj{"id": id})
			if (r.err != nil) != (tc.status == 0) || (r.status != 0 && r.status != http.StatusOK) {
				t.Fatalf("delete: %d %v", r.status, r.err)
			}
			if l := s.Links()[0]; !l.Deleted {
				t.Errorf("the delete was not performed: %+v", l)
			}
		})
	}
}

func TestLinkWritesNeedAWritableTokenAndCountTowardTheLimit(t *testing.T) {
	s := start(t, Options{Limit: 2, ReadOnlyTokens: map[string]string{"ro": "DEVU-2"}})
	addWorks(t, s, typeIssue, typeIssue)
	r := do(t, s, "ro", http.MethodPost, "/links.create", link("is_related_to", "ISS-1", "ISS-2"))
	wantStatus(t, r, http.StatusForbidden)
	wantStatus(t, do(t, s, "ro", http.MethodPost, "/links.list", obj{"object": "ISS-1"}), http.StatusOK)
	wantStatus(t, post(t, s, "/links.create", link("is_related_to", "ISS-1", "ISS-2")), http.StatusCreated)
	wantStatus(t, post(t, s, "/links.list", obj{"object": "ISS-1"}), http.StatusOK)
	r = post(t, s, "/links.create", link("is_related_to", "ISS-1", "ISS-2"))
	wantStatus(t, r, http.StatusTooManyRequests)
	if len(s.Links()) != 1 {
		t.Errorf("links %+v", s.Links())
	}
}
