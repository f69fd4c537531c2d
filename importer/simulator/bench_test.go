package simulator

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// BenchmarkWorksCreate measures the handler cost of one works.create with
// custom fields, without the network.
func BenchmarkWorksCreate(b *testing.B) {
	s := New(Options{})
	body, err := json.Marshal(with(validBody(typeTicket), "body", strings.Repeat("x", 200), "severity", "high",
		"tags", []any{obj{"id": "TAG-1"}}, "custom_schema_spec", obj{"tenant_fragment": true},
		"custom_fields", obj{"tnt__external_id": "ZD-1", "tnt__story_points": 3}))
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		req := httptest.NewRequest(http.MethodPost, "/works.create", strings.NewReader(string(body)))
		req.Header.Set("Authorization", "Bearer "+DefaultToken)
		rec := httptest.NewRecorder()
		s.ServeHTTP(rec, req)
		if rec.Code != http.StatusCreated {
			b.Fatalf("status %d: %s", rec.Code, rec.Body)
		}
	}
}
