package simulator

import (
	"fmt"
	"net/http"
	"reflect"
	"testing"
	"time"

	"github.com/devrev-import/devrev-import/importer/throttle/throttletest"
)

// seedWorks creates, one minute apart starting at 10:00 UTC:
// ISS-1 (alice, X-1), TKT-1 (bob, X-2), ISS-2 (alice, X-3), TASK-1 (bob),
// ISS-3 (bob, X-1 again, owned by carol, part PROD-2).
func seedWorks(t *testing.T) (*Server, *throttletest.FakeClock) {
	t.Helper()
	clock := throttletest.NewFakeClock(time.Date(2025, 6, 1, 10, 0, 0, 0, time.UTC))
	s := start(t, Options{Clock: clock, Tokens: map[string]string{"a": "DEVU-1", "b": "DEVU-2", DefaultToken: "DEVU-4"}})
	cf := func(b obj, id string) obj {
		return with(b, "custom_schema_spec", obj{"tenant_fragment": true}, "custom_fields", obj{"tnt__external_id": id})
	}
	steps := []struct {
		token string
		body  obj
	}{
		{"a", cf(validBody(typeIssue), "X-1")},
		{"b", cf(validBody(typeTicket), "X-2")},
		{"a", cf(with(validBody(typeIssue), "tags", []any{obj{"id": "TAG-3"}}), "X-3")},
		{"b", validBody(typeTask)},
		{"b", cf(with(validBody(typeIssue), "owned_by", []any{"DEVU-3"}, "applies_to_part", "PROD-2"), "X-1")},
	}
	for _, st := range steps {
		wantStatus(t, do(t, s, st.token, http.MethodPost, "/works.create", st.body), http.StatusCreated)
		clock.Advance(time.Minute)
	}
	return s, clock
}

func TestWorksListFilters(t *testing.T) {
	s, _ := seedWorks(t)
	rng := func(after, before string) obj {
		m := obj{"type": "range"}
		if after != "" {
			m["after"] = after
		}
		if before != "" {
			m["before"] = before
		}
		return m
	}
	cases := []struct {
		name string
		req  obj
		want []string
	}{
		{"all", obj{}, []string{"ISS-1", "TKT-1", "ISS-2", "TASK-1", "ISS-3"}},
		{"type", obj{"type": []any{"issue"}}, []string{"ISS-1", "ISS-2", "ISS-3"}},
		{"types", obj{"type": []any{"ticket", "task"}}, []string{"TKT-1", "TASK-1"}},
		{"created_by display ID", obj{"created_by": []any{"DEVU-2"}}, []string{"TKT-1", "TASK-1", "ISS-3"}},
		{"created_by DON", obj{"created_by": []any{"don:identity:dvrv-us-1:devo/sandbox:devu/1"}}, []string{"ISS-1", "ISS-2"}},
		{"created_by unknown", obj{"created_by": []any{"DEVU-5"}}, []string{}},
		{"created_date inclusive", obj{"created_date": rng("2025-06-01T10:01:00Z", "2025-06-01T10:03:00Z")}, []string{"TKT-1", "ISS-2", "TASK-1"}},
		{"created_date after only", obj{"created_date": rng("2025-06-01T10:03:30Z", "")}, []string{"ISS-3"}},
		{"created_date before only", obj{"created_date": rng("", "2025-06-01T10:00:59Z")}, []string{"ISS-1"}},
		{"custom field", obj{"custom_fields": obj{"tnt__external_id": []any{"X-1"}}}, []string{"ISS-1", "ISS-3"}},
		{"custom field scalar", obj{"custom_fields": obj{"tnt__external_id": "X-2"}}, []string{"TKT-1"}},
		{"custom fields any of", obj{"custom_fields": obj{"tnt__external_id": []any{"X-2", "X-3"}}}, []string{"TKT-1", "ISS-2"}},
		{"owned_by", obj{"owned_by": []any{"DEVU-3"}}, []string{"ISS-3"}},
		{"applies_to_part", obj{"applies_to_part": []any{"PROD-1"}}, []string{"ISS-1", "TKT-1", "ISS-2", "TASK-1"}},
		{"tags", obj{"tags": []any{"TAG-3"}}, []string{"ISS-2"}},
		{"stage", obj{"stage": obj{"name": []any{"queued"}}}, []string{"TKT-1", "TASK-1"}},
		{"combined", obj{"type": []any{"issue"}, "created_by": []any{"DEVU-1"}, "custom_fields": obj{"tnt__external_id": []any{"X-1"}}}, []string{"ISS-1"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := post(t, s, "/works.list", tc.req)
			wantStatus(t, r, http.StatusOK)
			if got := displayIDs(r.body["works"]); !reflect.DeepEqual(got, tc.want) {
				t.Errorf("got %v, want %v", got, tc.want)
			}
			if _, ok := r.body["next_cursor"]; ok {
				t.Errorf("next_cursor on a last page: %v", r.body["next_cursor"])
			}
		})
	}
}

func TestWorksListRejectsBadRequests(t *testing.T) {
	s, _ := seedWorks(t)
	cases := []struct {
		name    string
		req     obj
		errType string
	}{
		{"bad type", obj{"type": []any{"bug"}}, ErrTypeInvalidEnumValue},
		{"type not array", obj{"type": "issue"}, ErrTypeUnexpectedJSONType},
		{"date filter without type", obj{"created_date": obj{"after": "2025-01-01T00:00:00Z"}}, ErrTypeMissingRequiredField},
		{"bad date", obj{"created_date": obj{"type": "range", "after": "yesterday"}}, ErrTypeValueNotPermitted},
		{"unknown custom field", obj{"custom_fields": obj{"tnt__nope": []any{"x"}}}, ErrTypeCustomization},
		{"bad cursor", obj{"cursor": "not-a-cursor"}, ErrTypeBadRequest},
		{"bad mode", obj{"mode": "sideways"}, ErrTypeInvalidEnumValue},
		{"zero limit", obj{"limit": 0}, ErrTypeValueNotPermitted},
		{"unimplemented filter", obj{"state": []any{"open"}}, ErrTypeBadRequest},
		{"unknown filter", obj{"colour": []any{"red"}}, ErrTypeInvalidField},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := post(t, s, "/works.list", tc.req)
			wantStatus(t, r, http.StatusBadRequest)
			if str(r.body, "type") != tc.errType {
				t.Errorf("type %q, want %q: %s", str(r.body, "type"), tc.errType, r.raw)
			}
		})
	}
}

func TestWorksListCreatedDatePreset(t *testing.T) {
	s, clock := seedWorks(t) // clock is now 10:05
	clock.Advance(24*time.Hour - 2*time.Minute - 30*time.Second)
	r := post(t, s, "/works.list", obj{"created_date": obj{"type": "preset", "preset_type": "last_n_days", "days": 1}})
	wantStatus(t, r, http.StatusOK)
	if got := displayIDs(r.body["works"]); !reflect.DeepEqual(got, []string{"TASK-1", "ISS-3"}) {
		t.Errorf("last 1 day: %v", got)
	}
}

// pageThrough follows next_cursor and returns every page's display IDs.
func pageThrough(t *testing.T, s *Server, path, key string, req obj) [][]string {
	t.Helper()
	return pagesOf(t, s, path, key, req, displayIDs)
}

func TestWorksListPagination(t *testing.T) {
	s, _ := seedWorks(t)
	pages := pageThrough(t, s, "/works.list", "works", obj{"limit": 2})
	want := [][]string{{"ISS-1", "TKT-1"}, {"ISS-2", "TASK-1"}, {"ISS-3"}}
	if !reflect.DeepEqual(pages, want) {
		t.Fatalf("pages %v, want %v", pages, want)
	}
	// prev_cursor with mode "before" goes back a page.
	first := post(t, s, "/works.list", obj{"limit": 2})
	second := post(t, s, "/works.list", obj{"limit": 2, "cursor": first.body["next_cursor"]})
	if _, ok := first.body["prev_cursor"]; ok {
		t.Error("prev_cursor on the first page")
	}
	back := post(t, s, "/works.list", obj{"limit": 2, "mode": "before", "cursor": second.body["prev_cursor"]})
	if got := displayIDs(back.body["works"]); !reflect.DeepEqual(got, []string{"ISS-1", "TKT-1"}) {
		t.Errorf("back a page: %v", got)
	}
	// mode "before" without a cursor starts from the end.
	end := post(t, s, "/works.list", obj{"limit": 2, "mode": "before"})
	if got := displayIDs(end.body["works"]); !reflect.DeepEqual(got, []string{"TASK-1", "ISS-3"}) {
		t.Errorf("last page: %v", got)
	}
	// Filters apply across pages, and a limit over 100 is capped.
	pages = pageThrough(t, s, "/works.list", "works", obj{"limit": 1, "type": []any{"issue"}})
	if !reflect.DeepEqual(pages, [][]string{{"ISS-1"}, {"ISS-2"}, {"ISS-3"}}) {
		t.Errorf("filtered pages %v", pages)
	}
	if r := post(t, s, "/works.list", obj{"limit": 1000}); r.status != 200 || len(displayIDs(r.body["works"])) != 5 {
		t.Errorf("limit 1000: %d %s", r.status, r.raw)
	}
}

func TestWorksListDefaultLimit(t *testing.T) {
	s := start(t, Options{})
	for range 51 {
		if _, err := s.AddWork("", validBody(typeTask)); err != nil {
			t.Fatal(err)
		}
	}
	pages := pageThrough(t, s, "/works.list", "works", obj{})
	if len(pages) != 2 || len(pages[0]) != 50 || len(pages[1]) != 1 {
		t.Errorf("page sizes: %d pages", len(pages))
	}
}

func TestWorksListAndGetByGET(t *testing.T) {
	s, _ := seedWorks(t)
	r := do(t, s, DefaultToken, http.MethodGet, "/works.list?type=issue,ticket&created_by=DEVU-1&limit=1", nil)
	wantStatus(t, r, http.StatusOK)
	if got := displayIDs(r.body["works"]); !reflect.DeepEqual(got, []string{"ISS-1"}) {
		t.Errorf("GET works.list: %v", got)
	}
	r = do(t, s, DefaultToken, http.MethodGet, "/works.get?id=TKT-1", nil)
	wantStatus(t, r, http.StatusOK)
	if str(r.body, "work", "display_id") != "TKT-1" {
		t.Errorf("GET works.get: %s", r.raw)
	}
}

func TestWorksGetAndDelete(t *testing.T) {
	s, _ := seedWorks(t)
	for _, id := range []string{"TKT-1", "don:core:dvrv-us-1:devo/sandbox:ticket/1"} {
		r := post(t, s, "/works.get", obj{"id": id})
		wantStatus(t, r, http.StatusOK)
		if str(r.body, "work", "display_id") != "TKT-1" {
			t.Errorf("get %s: %s", id, r.raw)
		}
	}
	for _, tc := range []struct {
		body    obj
		status  int
		errType string
	}{
		{obj{"id": "TKT-9"}, 404, ErrTypeNotFound},
		{obj{}, 400, ErrTypeMissingRequiredField},
		{obj{"id": 3}, 400, ErrTypeUnexpectedJSONType},
		{obj{"id": "TKT-1", "x": 1}, 400, ErrTypeInvalidField},
	} {
		r := post(t, s, "/works.get", tc.body)
		wantStatus(t, r, tc.status)
		if str(r.body, "type") != tc.errType {
			t.Errorf("get %v: %s", tc.body, r.raw)
		}
	}

	r := post(t, s, "/works.delete", obj{"id": "ISS-2"})
	wantStatus(t, r, http.StatusOK)
	if len(r.body) != 0 || r.body == nil {
		t.Errorf("delete body %s, want {}", r.raw)
	}
	wantStatus(t, post(t, s, "/works.get", obj{"id": "ISS-2"}), 404)
	wantStatus(t, post(t, s, "/works.delete", obj{"id": "ISS-2"}), 404)
	if got := displayIDs(post(t, s, "/works.list", obj{"type": []any{"issue"}}).body["works"]); !reflect.DeepEqual(got, []string{"ISS-1", "ISS-3"}) {
		t.Errorf("list after delete: %v", got)
	}
	var ids []string
	for _, w := range s.Works() {
		ids = append(ids, w.DisplayID)
	}
	if !reflect.DeepEqual(ids, []string{"ISS-1", "TKT-1", "TASK-1", "ISS-3"}) {
		t.Errorf("Works() after delete: %v", ids)
	}
	// Counters do not reuse a deleted number.
	r = post(t, s, "/works.create", validBody(typeIssue))
	if str(r.body, "work", "display_id") != "ISS-4" {
		t.Errorf("next issue after delete: %s", str(r.body, "work", "display_id"))
	}
}

func TestDirectoryLists(t *testing.T) {
	s := start(t, Options{})
	cases := []struct {
		path, key string
		req       obj
		want      []string
	}{
		{"/dev-users.list", "dev_users", obj{}, []string{"DEVU-1", "DEVU-2", "DEVU-3", "DEVU-4", "DEVU-5"}},
		{"/dev-users.list", "dev_users", obj{"email": []any{"carol.chen@example.com", "BOB@example.com"}}, []string{"DEVU-2", "DEVU-5"}},
		{"/dev-users.list", "dev_users", obj{"state": []any{"deactivated"}}, []string{}},
		{"/parts.list", "parts", obj{}, []string{"PROD-1", "PROD-2", "CAPL-1", "FEAT-1", "ENH-1"}},
		{"/parts.list", "parts", obj{"name": []any{"PDF Export", "Billing"}}, []string{"PROD-1", "FEAT-1"}},
		{"/parts.list", "parts", obj{"type": []any{"product"}}, []string{"PROD-1", "PROD-2"}},
		{"/parts.list", "parts", obj{"type": []any{"enhancement"}, "name": []any{"Billing"}}, []string{}},
		{"/tags.list", "tags", obj{"name": []any{"security"}}, []string{"TAG-4"}},
		{"/tags.list", "tags", obj{}, []string{"TAG-1", "TAG-2", "TAG-3", "TAG-4", "TAG-5"}},
		{"/accounts.list", "accounts", obj{"display_name": []any{"Globex"}}, []string{"ACC-2"}},
		{"/accounts.list", "accounts", obj{}, []string{"ACC-1", "ACC-2", "ACC-3"}},
		{"/rev-orgs.list", "rev_orgs", obj{"display_name": []any{"Initech", "Acme Corp"}}, []string{"REV-1", "REV-3"}},
	}
	for _, tc := range cases {
		t.Run(tc.path, func(t *testing.T) {
			r := post(t, s, tc.path, tc.req)
			wantStatus(t, r, http.StatusOK)
			if got := displayIDs(r.body[tc.key]); !reflect.DeepEqual(got, tc.want) {
				t.Errorf("%v: got %v, want %v", tc.req, got, tc.want)
			}
		})
	}

	// Pagination on every list.
	for _, l := range []struct {
		path, key string
		n         int
	}{{"/dev-users.list", "dev_users", 5}, {"/parts.list", "parts", 5}, {"/tags.list", "tags", 5},
		{"/accounts.list", "accounts", 3}, {"/rev-orgs.list", "rev_orgs", 3}} {
		pages := pageThrough(t, s, l.path, l.key, obj{"limit": 2})
		total := 0
		for i, p := range pages {
			if (i < len(pages)-1 && len(p) != 2) || len(p) == 0 {
				t.Errorf("%s page %d: %v", l.path, i, p)
			}
			total += len(p)
		}
		if total != l.n {
			t.Errorf("%s: %d items over %d pages, want %d", l.path, total, len(pages), l.n)
		}
	}

	// Object shapes, and the GET form.
	r := do(t, s, DefaultToken, http.MethodGet, "/dev-users.list?email=carol@example.com", nil)
	wantStatus(t, r, http.StatusOK)
	users, _ := r.body["dev_users"].([]any)
	if len(users) != 1 || str(users[0], "full_name") != "Carol Chen" || str(users[0], "display_name") != "carol" ||
		str(users[0], "id") != "don:identity:dvrv-us-1:devo/sandbox:devu/3" {
		t.Errorf("GET dev-users.list: %s", r.raw)
	}
	r = post(t, s, "/rev-orgs.list", obj{"display_name": []any{"Globex"}})
	if orgs, _ := r.body["rev_orgs"].([]any); len(orgs) != 1 || str(orgs[0], "account", "display_id") != "ACC-2" {
		t.Errorf("rev org shape: %s", r.raw)
	}
	r = do(t, s, DefaultToken, http.MethodGet, "/parts.list?type=capability", nil)
	if parts, _ := r.body["parts"].([]any); len(parts) != 1 || str(parts[0], "name") != "Invoices" || str(parts[0], "type") != "capability" {
		t.Errorf("part shape: %s", r.raw)
	}
	for _, tc := range []struct {
		path    string
		req     obj
		errType string
	}{
		{"/parts.list", obj{"type": []any{"widget"}}, ErrTypeInvalidEnumValue},
		{"/tags.list", obj{"name": "bug"}, ErrTypeUnexpectedJSONType},
		{"/accounts.list", obj{"tier": []any{"gold"}}, ErrTypeBadRequest},
		{"/rev-orgs.list", obj{"nickname": []any{"x"}}, ErrTypeInvalidField},
	} {
		r := post(t, s, tc.path, tc.req)
		wantStatus(t, r, http.StatusBadRequest)
		if str(r.body, "type") != tc.errType {
			t.Errorf("%s %v: %s", tc.path, tc.req, r.raw)
		}
	}
}

func TestDevUsersSelf(t *testing.T) {
	s := start(t, Options{})
	for _, tc := range []struct {
		method string
		body   any
	}{{http.MethodGet, nil}, {http.MethodPost, obj{}}, {http.MethodPost, ""}} {
		r := do(t, s, DefaultToken, tc.method, "/dev-users.self", tc.body)
		wantStatus(t, r, http.StatusOK)
		if str(r.body, "dev_user", "display_id") != "DEVU-1" || str(r.body, "dev_user", "full_name") != "Alice Admin" {
			t.Errorf("%s self: %s", tc.method, r.raw)
		}
	}
	wantStatus(t, post(t, s, "/dev-users.self", obj{"x": 1}), http.StatusBadRequest)
}

func TestSchemas(t *testing.T) {
	s := start(t, Options{})
	names := func(v any) []string {
		arr, _ := v.([]any)
		out := []string{}
		for _, f := range arr {
			out = append(out, str(f, "name"))
		}
		return out
	}
	tenant := []string{"tnt__external_id", "tnt__story_points", "tnt__customer_impact", "tnt__effort_days", "tnt__found_on", "tnt__escalated_at", "tnt__region", "tnt__tier"}

	r := post(t, s, "/schemas.stock.get", obj{"leaf_type": "opportunity"})
	wantStatus(t, r, http.StatusOK)
	frag, _ := r.body["fragment"].(map[string]any)
	fields, _ := frag["fields"].([]any)
	required := map[string]bool{}
	for _, f := range fields {
		if m := f.(map[string]any); m["is_required"] == true {
			required[str(m, "name")] = true
		}
	}
	if !reflect.DeepEqual(required, map[string]bool{"title": true, "applies_to_part": true, "owned_by": true, "account": true}) {
		t.Errorf("required stock fields of opportunity: %v", required)
	}
	if str(frag, "leaf_type") != "opportunity" || frag["composite_schemas"] == nil {
		t.Errorf("stock fragment: %s", r.raw)
	}
	r = do(t, s, DefaultToken, http.MethodGet, "/schemas.stock.get?id="+stockFragmentID("issue"), nil)
	wantStatus(t, r, http.StatusOK)
	if str(r.body, "fragment", "leaf_type") != "issue" {
		t.Errorf("stock by id: %s", r.raw)
	}

	for _, req := range []obj{
		{"leaf_type": "ticket"},
		{"custom_schema_fragments": []any{tenantFragmentID("ticket")}},
		{"leaf_type": "ticket", "stock_schema_fragment": stockFragmentID("ticket"), "custom_schema_fragments": []any{tenantFragmentID("ticket")}},
	} {
		r := post(t, s, "/schemas.aggregated.get", req)
		wantStatus(t, r, http.StatusOK)
		if got := names(str2(r.body["schema"], "custom_fields")); !reflect.DeepEqual(got, tenant) {
			t.Errorf("%v: custom fields %v", req, got)
		}
		if len(names(str2(r.body["schema"], "stock_fields"))) == 0 || str(r.body, "schema", "leaf_type") != "ticket" {
			t.Errorf("%v: schema %s", req, r.raw)
		}
	}
	r = post(t, s, "/schemas.aggregated.get", obj{"stock_schema_fragment": stockFragmentID("task")})
	if got := names(str2(r.body["schema"], "custom_fields")); len(got) != 0 {
		t.Errorf("stock only: custom fields %v", got)
	}
	r = do(t, s, DefaultToken, http.MethodGet, "/schemas.aggregated.get?leaf_type=issue", nil)
	wantStatus(t, r, http.StatusOK)
	cf, _ := str2(r.body["schema"], "custom_fields").([]any)
	var types []string
	for _, f := range cf {
		types = append(types, str(f, "field_type"))
	}
	if want := []string{"text", "int", "bool", "double", "date", "timestamp", "enum", "uenum"}; !reflect.DeepEqual(types, want) {
		t.Errorf("GET aggregated: field types %q, want %q: %s", types, want, r.raw)
	}
	if got := fmt.Sprint(cf[6].(map[string]any)["allowed_values"], cf[7].(map[string]any)["allowed_values"]); got != "[EMEA AMER APAC] [map[id:1 label:Gold ordinal:1] map[id:2 label:Silver ordinal:2] map[id:3 label:Bronze ordinal:3]]" {
		t.Errorf("allowed values: %s", got)
	}

	for _, tc := range []struct {
		path   string
		req    obj
		status int
	}{
		{"/schemas.stock.get", obj{"leaf_type": "epic"}, 404},
		{"/schemas.stock.get", obj{}, 400},
		{"/schemas.aggregated.get", obj{"leaf_type": "epic"}, 404},
		{"/schemas.aggregated.get", obj{"leaf_type": "issue", "custom_schema_fragments": []any{tenantFragmentID("task")}}, 404},
		{"/schemas.aggregated.get", obj{}, 400},
	} {
		wantStatus(t, post(t, s, tc.path, tc.req), tc.status)
	}
}

func TestDevOrgsGet(t *testing.T) {
	s := start(t, Options{})
	for _, tc := range []struct {
		method string
		body   any
	}{{http.MethodGet, nil}, {http.MethodPost, obj{}}, {http.MethodPost, ""}} {
		r := do(t, s, DefaultToken, tc.method, "/dev-orgs.get", tc.body)
		wantStatus(t, r, http.StatusOK)
		if str(r.body, "dev_org", "display_name") != OrgName || str(r.body, "dev_org", "id") != OrgID {
			t.Errorf("%s dev-orgs.get: %s", tc.method, r.raw)
		}
	}
	wantStatus(t, post(t, s, "/dev-orgs.get", obj{"x": 1}), http.StatusBadRequest)
	wantStatus(t, do(t, s, "tok-nobody", http.MethodGet, "/dev-orgs.get", nil), http.StatusUnauthorized)
}
