package simulator

import (
	"bytes"
	"context"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/devrev-import/devrev-import/importer/throttle/throttletest"
)

func TestAuthentication(t *testing.T) {
	var logs bytes.Buffer
	s := start(t, Options{
		Tokens:         map[string]string{"tok-alice": "DEVU-1", "tok-bob": "DEVU-2"},
		ReadOnlyTokens: map[string]string{"tok-reader": "DEVU-4"},
		Log:            slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug})),
	})
	cases := []struct {
		name, token, path string
		body              any
		status            int
		errType           string
	}{
		{"no token", "", "/works.create", validBody(typeIssue), 401, ErrTypeUnauthenticated},
		{"unknown token", "sandbox-token", "/works.create", validBody(typeIssue), 401, ErrTypeUnauthenticated},
		{"read-only create", "tok-reader", "/works.create", validBody(typeIssue), 403, ErrTypeForbidden},
		{"read-only delete", "tok-reader", "/works.delete", obj{"id": "ISS-1"}, 403, ErrTypeForbidden},
		{"read-only read", "tok-reader", "/works.list", obj{}, 200, ""},
		{"writer create", "tok-bob", "/works.create", validBody(typeIssue), 201, ""},
		{"unknown endpoint", "tok-bob", "/works.frobnicate", obj{}, 404, ErrTypeNotFound},
		{"GET on a POST-only endpoint", "tok-bob", "/works.create", nil, 404, ErrTypeNotFound},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			method := http.MethodPost
			if tc.body == nil {
				method = http.MethodGet
			}
			r := do(t, s, tc.token, method, tc.path, tc.body)
			wantStatus(t, r, tc.status)
			if tc.errType != "" && str(r.body, "type") != tc.errType {
				t.Errorf("type %q, want %q", str(r.body, "type"), tc.errType)
			}
			for _, tok := range []string{"tok-alice", "tok-bob", "tok-reader", "sandbox-token"} {
				if bytes.Contains(r.raw, []byte(tok)) {
					t.Errorf("body echoes a token: %s", r.raw)
				}
			}
		})
	}
	// The work was created by the token's user, and self names that user.
	if ws := s.Works(); len(ws) != 1 || ws[0].CreatedBy != "DEVU-2" {
		t.Errorf("works %+v", ws)
	}
	r := do(t, s, "tok-bob", http.MethodGet, "/dev-users.self", nil)
	wantStatus(t, r, 200)
	if str(r.body, "dev_user", "display_id") != "DEVU-2" || str(r.body, "dev_user", "email") != "bob@example.com" {
		t.Errorf("self: %s", r.raw)
	}
	if strings.Contains(logs.String(), "tok-") || strings.Contains(logs.String(), "sandbox-token") {
		t.Errorf("log mentions a token:\n%s", logs.String())
	}
	if !strings.Contains(logs.String(), "/works.create") {
		t.Errorf("log has no request records:\n%s", logs.String())
	}
}

func TestStartRejectsTokensOfUnknownUsers(t *testing.T) {
	if s, err := Start(Options{Tokens: map[string]string{"x": "DEVU-77"}}); err == nil {
		s.Close()
		t.Fatal("Start accepted a token for an unseeded user")
	}
}

func rateHeaders(r response) (limit, remaining, reset string) {
	return r.header.Get("X-RateLimit-Limit"), r.header.Get("X-RateLimit-Remaining"), r.header.Get("X-RateLimit-Reset")
}

func TestRateLimitFixedWindow(t *testing.T) {
	t0 := time.Unix(1_700_000_000, 0) // a multiple of 10 s
	clock := throttletest.NewFakeClock(t0.Add(2500 * time.Millisecond))
	s := start(t, Options{Limit: 3, Window: 10 * time.Second, Clock: clock})

	paths := []string{"/works.list", "/dev-users.self", "/works.create"} // every endpoint counts
	bodies := []any{obj{}, obj{}, obj{"type": "nope"}}                   // errors count too
	for i := range 3 {
		r := post(t, s, paths[i], bodies[i])
		if r.status == http.StatusTooManyRequests {
			t.Fatalf("request %d throttled", i)
		}
		l, rem, reset := rateHeaders(r)
		if l != "3" || rem != strconv.Itoa(2-i) || reset != "1700000010" {
			t.Errorf("request %d: limit %q remaining %q reset %q", i, l, rem, reset)
		}
	}
	r := post(t, s, "/works.list", obj{})
	wantStatus(t, r, http.StatusTooManyRequests)
	if r.header.Get("Retry-After") != "8" { // 7.5 s left, rounded up
		t.Errorf("Retry-After %q, want 8", r.header.Get("Retry-After"))
	}
	if str(r.body, "type") != ErrTypeTooManyRequests || r.body["retry_after"] != float64(8) {
		t.Errorf("429 body %s", r.raw)
	}
	if _, rem, _ := rateHeaders(r); rem != "0" {
		t.Errorf("remaining on 429: %q", rem)
	}

	clock.Advance(7500 * time.Millisecond) // exactly the next window
	r = post(t, s, "/works.list", obj{})
	wantStatus(t, r, http.StatusOK)
	if l, rem, reset := rateHeaders(r); l != "3" || rem != "2" || reset != "1700000020" {
		t.Errorf("new window: limit %q remaining %q reset %q", l, rem, reset)
	}
	st := s.Stats()
	if st.Throttled != 1 || st.ByStatus[429] != 1 || st.Requests != 5 || st.Early != 0 {
		t.Errorf("stats %+v", st)
	}
}

func TestRateLimitIsPerToken(t *testing.T) {
	clock := throttletest.NewFakeClock(time.Unix(1_700_000_000, 0))
	s := start(t, Options{Limit: 1, Window: time.Minute, Clock: clock,
		Tokens: map[string]string{"a": "DEVU-1", "b": "DEVU-2"}})
	wantStatus(t, do(t, s, "a", "POST", "/works.list", obj{}), 200)
	wantStatus(t, do(t, s, "a", "POST", "/works.list", obj{}), 429)
	wantStatus(t, do(t, s, "b", "POST", "/works.list", obj{}), 200)
}

func TestEarlyCountsRequestsThatIgnoredTheWait(t *testing.T) {
	clock := throttletest.NewFakeClock(time.Unix(1_700_000_000, 0))
	s := start(t, Options{Limit: 1, Window: time.Second, Clock: clock})
	steps := []struct {
		advance time.Duration
		status  int
		early   int
	}{
		{0, 200, 0},
		{0, 429, 0},                      // the 429 that starts the wait (written at t=0)
		{10 * time.Millisecond, 429, 0},  // within the 20 ms in-flight grace
		{20 * time.Millisecond, 429, 1},  // t=30ms: sent after being told to wait
		{500 * time.Millisecond, 429, 2}, // t=530ms: still early
		{470 * time.Millisecond, 200, 2}, // t=1s: the retry instant; allowed, not early
	}
	for i, st := range steps {
		clock.Advance(st.advance)
		r := post(t, s, "/works.list", obj{})
		wantStatus(t, r, st.status)
		if got := s.Stats().Early; got != st.early {
			t.Errorf("step %d: Early %d, want %d", i, got, st.early)
		}
	}
}

func TestRateHeadersOptionalAndUnlimited(t *testing.T) {
	clock := throttletest.NewFakeClock(time.Unix(1_700_000_000, 0))
	s := start(t, Options{Limit: 1, Window: 30 * time.Second, NoRateHeaders: true, Clock: clock})
	r := post(t, s, "/works.list", obj{})
	if l, rem, reset := rateHeaders(r); l != "" || rem != "" || reset != "" {
		t.Errorf("NoRateHeaders still sent %q %q %q", l, rem, reset)
	}
	r = post(t, s, "/works.list", obj{})
	wantStatus(t, r, 429)
	if r.header.Get("Retry-After") != "10" || r.header.Get("X-RateLimit-Limit") != "" { // 1700000000 is 20 s into a 30 s window
		t.Errorf("429 without rate headers: Retry-After %q, limit %q", r.header.Get("Retry-After"), r.header.Get("X-RateLimit-Limit"))
	}

	s.SetLimit(0, time.Minute)
	u := start(t, Options{Clock: clock})
	for range 3 {
		r = post(t, u, "/works.list", obj{})
		wantStatus(t, r, 200)
	}
	if l, rem, reset := rateHeaders(r); l != strconv.Itoa(unlimited) || rem != strconv.Itoa(unlimited-3) || reset != "1700000040" {
		t.Errorf("unlimited headers: %q %q %q", l, rem, reset)
	}
	wantStatus(t, post(t, s, "/works.list", obj{}), 200) // SetLimit(0) lifted the limit
}

func TestSetLimitAtRuntime(t *testing.T) {
	clock := throttletest.NewFakeClock(time.Unix(1_700_000_000, 0))
	s := start(t, Options{Clock: clock})
	wantStatus(t, post(t, s, "/works.list", obj{}), 200)
	s.SetLimit(1, 5*time.Second)
	wantStatus(t, post(t, s, "/works.list", obj{}), 200)
	r := post(t, s, "/works.list", obj{})
	wantStatus(t, r, 429)
	if r.header.Get("Retry-After") != "5" || r.header.Get("X-RateLimit-Reset") != "1700000005" {
		t.Errorf("Retry-After %q reset %q", r.header.Get("Retry-After"), r.header.Get("X-RateLimit-Reset"))
	}
}

func TestFaults(t *testing.T) {
	cases := []struct {
		name    string
		faults  Faults
		status  int // 0 = dropped connection
		errType string
		created bool
	}{
		{"500", Faults{Err500: 1}, 500, ErrTypeInternal, false},
		{"503", Faults{Err503: 1}, 503, ErrTypeServiceUnavailable, false},
		{"drop before", Faults{DropBefore: 1}, 0, "", false},
		{"drop after", Faults{DropAfter: 1}, 0, "", true},
		{"bad body", Faults{BadBody: 1}, 201, "", true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			s := start(t, Options{Faults: tc.faults})
			r := post(t, s, "/works.create", validBody(typeTicket))
			if tc.status == 0 {
				if r.err == nil {
					t.Fatalf("connection not dropped: %d %s", r.status, r.raw)
				}
			} else {
				wantStatus(t, r, tc.status)
				if str(r.body, "type") != tc.errType {
					t.Errorf("error type %q, want %q (%s)", str(r.body, "type"), tc.errType, r.raw)
				}
			}
			if tc.name == "500" && str(r.body, "reference_id") == "" {
				t.Errorf("500 without reference_id: %s", r.raw)
			}
			if tc.name == "bad body" && r.body != nil {
				t.Errorf("bad body parsed as JSON: %s", r.raw)
			}
			st := s.Stats()
			if n := len(s.Works()); (n == 1) != tc.created || st.Creates != n {
				t.Errorf("works %d, Creates %d, want created=%v", n, st.Creates, tc.created)
			}
			if st.ByStatus[tc.status] != 1 {
				t.Errorf("ByStatus %v, want one %d", st.ByStatus, tc.status)
			}
			// Reads are never faulted; clearing the faults restores creates.
			wantStatus(t, post(t, s, "/works.list", obj{}), 200)
			s.SetFaults(Faults{})
			wantStatus(t, post(t, s, "/works.create", validBody(typeTicket)), 201)
		})
	}
}

func TestFaultsOnDelete(t *testing.T) {
	s := start(t, Options{})
	for range 2 {
		wantStatus(t, post(t, s, "/works.create", validBody(typeIssue)), 201)
	}
	s.SetFaults(Faults{Err503: 1})
	wantStatus(t, post(t, s, "/works.delete", obj{"id": "ISS-1"}), 503)
	s.SetFaults(Faults{DropAfter: 1})
	if r := post(t, s, "/works.delete", obj{"id": "ISS-1"}); r.err == nil {
		t.Fatalf("delete not dropped: %d", r.status)
	}
	if ws := s.Works(); len(ws) != 1 || ws[0].DisplayID != "ISS-2" {
		t.Errorf("after dropped delete: %+v", ws)
	}
}

func TestFaultDrawsAreSeeded(t *testing.T) {
	outcomes := func(seed int64) []int {
		s := start(t, Options{Seed: seed, Faults: Faults{Err500: 0.3, Err503: 0.3}})
		var out []int
		for range 60 {
			out = append(out, post(t, s, "/works.create", validBody(typeTask)).status)
		}
		return out
	}
	a, b := outcomes(42), outcomes(42)
	count := map[int]int{}
	for i := range a {
		if a[i] != b[i] {
			t.Fatalf("same seed, different outcome at %d: %d vs %d", i, a[i], b[i])
		}
		count[a[i]]++
	}
	if count[500] == 0 || count[503] == 0 || count[201] == 0 {
		t.Errorf("outcomes %v: every kind should occur in 60 draws", count)
	}
}

func TestLatencyStopsWhenTheClientLeaves(t *testing.T) {
	s := New(Options{Latency: time.Hour})
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	req := httptest.NewRequest(http.MethodPost, "/works.create", strings.NewReader(`{}`)).WithContext(ctx)
	req.Header.Set("Authorization", "Bearer "+DefaultToken)
	rec := httptest.NewRecorder()
	s.ServeHTTP(rec, req) // returns at once: the context is done
	if rec.Body.Len() != 0 {
		t.Errorf("wrote %q to a departed client", rec.Body.String())
	}
	if st := s.Stats(); st.Requests != 1 || st.ByStatus[0] != 1 {
		t.Errorf("stats %+v", st)
	}
}

func TestWorksAsPlainHandler(t *testing.T) {
	s := New(Options{})
	srv := httptest.NewServer(s)
	defer srv.Close()
	s.URL = srv.URL
	wantStatus(t, post(t, s, "/works.create", validBody(typeIssue)), 201)
	s.SetFaults(Faults{DropBefore: 1})
	if r := post(t, s, "/works.create", validBody(typeIssue)); r.err == nil {
		t.Errorf("drop under httptest: got %d", r.status)
	}
	if err := s.Close(); err != nil {
		t.Errorf("Close of an unstarted server: %v", err)
	}
}
