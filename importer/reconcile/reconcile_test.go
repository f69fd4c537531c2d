package reconcile

import (
	"context"
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
