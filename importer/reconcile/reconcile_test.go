package reconcile

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/devrev-import/devrev-import/importer/devrev"
	"github.com/devrev-import/devrev-import/importer/simulator"
	"github.com/devrev-import/devrev-import/importer/throttle"
	"github.com/devrev-import/devrev-import/mapping"
)

// setup starts the simulator with some existing works and returns a
// reconciler for it.
func setup(t *testing.T, keyField string, works ...map[string]any) (*Reconciler, *simulator.Server) {
	t.Helper()
	sim, err := simulator.Start(simulator.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { sim.Close() })
	for _, w := range works {
		body := map[string]any{"type": "ticket", "applies_to_part": "PROD-1", "owned_by": []any{"DEVU-1"}}
		for k, v := range w {
			body[k] = v
		}
		if _, ok := body["custom_fields"]; ok {
			body["custom_schema_spec"] = map[string]any{"tenant_fragment": true}
		}
		if _, err := sim.AddWork("", body); err != nil {
			t.Fatal(err)
		}
	}
	client, err := devrev.New(devrev.Options{Endpoint: sim.URL, Token: "sandbox-token"})
	if err != nil {
		t.Fatal(err)
	}
	lim := throttle.NewLimiter(throttle.Config{Rate: 1000, Burst: 10})
	return New(Options{Client: client, Limiter: lim, KeyField: keyField}), sim
}

func ticket(title, body, ext string) *mapping.Work {
	w := &mapping.Work{Type: "ticket", Title: title, Body: body}
	if ext != "" {
		w.CustomFields = map[string]any{"tnt__external_id": ext}
	}
	return w
}

func TestFindByCustomField(t *testing.T) {
	r, _ := setup(t, "tnt__external_id",
		map[string]any{"title": "A", "custom_fields": map[string]any{"tnt__external_id": "ZD-1"}},
		map[string]any{"title": "B", "custom_fields": map[string]any{"tnt__external_id": "ZD-2"}},
	)
	ctx := context.Background()
	res, err := r.Find(ctx, Query{Key: "ZD-2", Work: ticket("B", "", "ZD-2"), SentAt: time.Now()})
	if err != nil {
		t.Fatal(err)
	}
	if res.Outcome != Found || res.DisplayID != "TKT-2" || res.By != "custom_field" {
		t.Errorf("got %+v, want TKT-2 found by custom field", res)
	}
	res, err = r.Find(ctx, Query{Key: "ZD-3", Work: ticket("C", "", "ZD-3"), SentAt: time.Now()})
	if err != nil || res.Outcome != NotFound {
		t.Errorf("ZD-3: %+v %v, want not found", res, err)
	}
}

func TestFindByTitle(t *testing.T) {
	r, _ := setup(t, "",
		map[string]any{"title": "Printer on fire", "body": "x"},
		map[string]any{"title": "Twice", "body": "same"},
		map[string]any{"title": "Twice", "body": "same"},
		map[string]any{"title": "Known", "body": "k"},
	)
	ctx := context.Background()
	now := time.Now()
	cases := []struct {
		name    string
		work    *mapping.Work
		known   string
		want    Outcome
		display string
	}{
		{"one match", ticket("Printer on fire", "x", ""), "", Found, "TKT-1"},
		{"body differs", ticket("Printer on fire", "y", ""), "", NotFound, ""},
		{"no such title", ticket("Nope", "", ""), "", NotFound, ""},
		{"two matches", ticket("Twice", "same", ""), "", Ambiguous, ""},
		{"already recorded by this import", ticket("Known", "k", ""), "TKT-4", NotFound, ""},
		{"other type", &mapping.Work{Type: "issue", Title: "Printer on fire"}, "", NotFound, ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if tc.known != "" {
				res, err := r.Find(ctx, Query{Work: tc.work, SentAt: now})
				if err != nil || res.Outcome != Found {
					t.Fatalf("before Known: %+v %v", res, err)
				}
				r.Known(res.ID)
			}
			res, err := r.Find(ctx, Query{Work: tc.work, SentAt: now})
			if err != nil {
				t.Fatal(err)
			}
			if res.Outcome != tc.want || res.DisplayID != tc.display {
				t.Errorf("got %+v, want outcome %d %s", res, tc.want, tc.display)
			}
			if tc.want == Ambiguous && len(res.Candidates) != 2 {
				t.Errorf("candidates %v, want 2", res.Candidates)
			}
		})
	}
}

func TestFindOutsideTheWindowIsNotFound(t *testing.T) {
	r, _ := setup(t, "", map[string]any{"title": "Old"})
	// A request sent an hour from now cannot have created a work that exists already.
	res, err := r.Find(context.Background(), Query{Work: ticket("Old", "", ""), SentAt: time.Now().Add(time.Hour)})
	if err != nil || res.Outcome != NotFound {
		t.Errorf("got %+v %v, want not found", res, err)
	}
}

// An issue with most fields set; each case changes one field of the
// request: only the request that carries exactly what the work holds
// (in the request's shapes: DONs or display IDs, another date layout)
// finds it.
func TestFindComparesEveryFieldTheRequestCarried(t *testing.T) {
	existing := map[string]any{
		"type": "issue", "title": "Crash", "body": "on start", "owned_by": []any{"DEVU-2"}, "reported_by": []any{"DEVU-3"},
		"tags": []any{map[string]any{"id": "TAG-1"}}, "stage": map[string]any{"name": "triage"},
		"target_close_date": "2026-03-01T10:00:00+02:00", "priority_v2": 2,
		"custom_fields": map[string]any{"tnt__story_points": 5},
	}
	points := func(v any) map[string]any { return map[string]any{"tnt__story_points": v} }
	p := func(n int64) *int64 { return &n }
	base := func() *mapping.Work {
		return &mapping.Work{Type: "issue", Title: "Crash", Body: "on start", AppliesToPart: "PROD-1",
			OwnedBy: []string{"don:identity:dvrv-us-1:devo/sandbox:devu/2"}, ReportedBy: []string{"DEVU-3"},
			Tags: []mapping.SetTag{{ID: "TAG-1"}}, Stage: &mapping.StageInit{Name: "triage"},
			TargetCloseDate: "2026-03-01T08:00:00Z", PriorityV2: p(2), CustomFields: points(5),
			CustomSchemaSpec: &mapping.CustomSchemaSpec{TenantFragment: true}}
	}
	cases := []struct {
		name   string
		change func(w *mapping.Work)
		want   Outcome
	}{
		{"the same request", func(*mapping.Work) {}, Found},
		{"fewer fields (DevRev may add some)", func(w *mapping.Work) {
			w.ReportedBy, w.Tags, w.Stage, w.TargetCloseDate, w.PriorityV2, w.CustomFields, w.CustomSchemaSpec = nil, nil, nil, "", nil, nil, nil
		}, Found},
		{"other owner", func(w *mapping.Work) { w.OwnedBy = []string{"DEVU-1"} }, NotFound},
		{"an owner more", func(w *mapping.Work) { w.OwnedBy = append(w.OwnedBy, "DEVU-1") }, NotFound},
		{"other reporter", func(w *mapping.Work) { w.ReportedBy = []string{"DEVU-2"} }, NotFound},
		{"other tag", func(w *mapping.Work) { w.Tags = []mapping.SetTag{{ID: "TAG-2"}} }, NotFound},
		{"other stage", func(w *mapping.Work) { w.Stage = &mapping.StageInit{Name: "backlog"} }, NotFound},
		{"other date", func(w *mapping.Work) { w.TargetCloseDate = "2026-03-02T08:00:00Z" }, NotFound},
		{"other priority", func(w *mapping.Work) { w.PriorityV2 = p(3) }, NotFound},
		{"other custom field value", func(w *mapping.Work) { w.CustomFields = points(8) }, NotFound},
		{"other part", func(w *mapping.Work) { w.AppliesToPart = "PROD-2" }, NotFound},
		{"other body", func(w *mapping.Work) { w.Body = "on exit" }, NotFound},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r, _ := setup(t, "", existing)
			w := base()
			tc.change(w)
			res, err := r.Find(context.Background(), Query{Work: w, SentAt: time.Now()})
			if err != nil {
				t.Fatal(err)
			}
			if res.Outcome != tc.want {
				t.Errorf("got %+v, want outcome %d", res, tc.want)
			}
		})
	}
}

// Three identical works and a request that three rows sent: each Find
// claims another one; a fourth finds none. With two claimants, three
// matching works are ambiguous.
func TestFindClaimsIdenticalWorksAsAMultiset(t *testing.T) {
	same := map[string]any{"title": "Refund", "body": "money back"}
	r, _ := setup(t, "", same, same, same)
	q := Query{Work: &mapping.Work{Type: "ticket", Title: "Refund", Body: "money back", AppliesToPart: "PROD-1", OwnedBy: []string{"DEVU-1"}},
		SentAt: time.Now(), Claimants: 3}
	seen := map[string]bool{}
	for i := range 3 {
		res, err := r.Find(context.Background(), q)
		if err != nil || res.Outcome != Found || seen[res.ID] {
			t.Fatalf("find %d: %+v %v (claimed so far %v)", i+1, res, err, seen)
		}
		seen[res.ID] = true
	}
	if res, err := r.Find(context.Background(), q); err != nil || res.Outcome != NotFound {
		t.Errorf("fourth find: %+v %v, want not found", res, err)
	}

	r2, _ := setup(t, "", same, same, same)
	q.Claimants = 2
	res, err := r2.Find(context.Background(), q)
	if err != nil || res.Outcome != Ambiguous || len(res.Candidates) != 3 {
		t.Errorf("two claimants, three works: %+v %v, want ambiguous with 3 candidates", res, err)
	}
}

// A listing that never ends cannot tell whether the work exists: Find
// says so with ErrTooManyCandidates instead of guessing.
func TestFindGivesUpOnEndlessCandidates(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		switch req.URL.Path {
		case "/dev-users.self":
			fmt.Fprint(w, `{"dev_user":{"id":"don:identity:dvrv-us-1:devo/x:devu/1","display_id":"DEVU-1"}}`)
		case "/works.list":
			fmt.Fprint(w, `{"works":[{"id":"don:core:dvrv-us-1:devo/x:ticket/1","display_id":"TKT-1","type":"ticket","title":"other"}],"next_cursor":"more"}`)
		default:
			http.NotFound(w, req)
		}
	}))
	defer srv.Close()
	client, err := devrev.New(devrev.Options{Endpoint: srv.URL, Token: "t"})
	if err != nil {
		t.Fatal(err)
	}
	r := New(Options{Client: client, Limiter: throttle.NewLimiter(throttle.Config{Rate: 10000, Burst: 100})})
	_, err = r.Find(context.Background(), Query{Work: ticket("A", "", ""), SentAt: time.Now()})
	if !errors.Is(err, ErrTooManyCandidates) {
		t.Fatalf("err %v, want ErrTooManyCandidates", err)
	}
}
