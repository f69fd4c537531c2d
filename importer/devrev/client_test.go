package devrev

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

const testToken = "tok-S3CRET-abcdef0123456789"

// newTestClient starts a loopback server with h and returns a client for it.
func newTestClient(t *testing.T, h http.HandlerFunc) (*Client, *httptest.Server) {
	t.Helper()
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	c, err := New(Options{Endpoint: srv.URL, Token: testToken, UserAgent: "devrev-import/test", Timeout: 5 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	return c, srv
}

// checkRequest asserts the parts every call shares and returns the decoded
// JSON body.
func checkRequest(t *testing.T, r *http.Request, path string) map[string]any {
	t.Helper()
	if r.Method != http.MethodPost {
		t.Errorf("method = %s, want POST", r.Method)
	}
	if r.URL.Path != path {
		t.Errorf("path = %s, want %s", r.URL.Path, path)
	}
	if got := r.Header.Get("Authorization"); got != "Bearer "+testToken {
		t.Errorf("Authorization = %q", got)
	}
	if got := r.Header.Get("User-Agent"); got != "devrev-import/test" {
		t.Errorf("User-Agent = %q", got)
	}
	if got := r.Header.Get("Content-Type"); got != "application/json" {
		t.Errorf("Content-Type = %q", got)
	}
	var body map[string]any
	if err := json.NewDecoder(r.Body).Decode(&body); err != nil {
		t.Errorf("request body: %v", err)
	}
	return body
}

// asJSON normalises v through JSON for comparison with a decoded body.
func asJSON(t *testing.T, v any) map[string]any {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	return m
}

func TestEndpoints(t *testing.T) {
	created := time.Date(2024, 3, 1, 12, 30, 0, 0, time.UTC)
	after := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
	before := time.Date(2024, 2, 1, 0, 0, 0, 0, time.FixedZone("X", 3600))
	work := map[string]any{"id": "don:core:dvrv-us-1:devo/1:issue/7", "display_id": "ISS-7", "type": "issue",
		"title": "T", "body": "B", "created_date": "2024-03-01T12:30:00Z",
		"custom_fields": map[string]any{"tnt__import_key": "k1", "tnt__n": 3}}
	wantWork := Work{ID: "don:core:dvrv-us-1:devo/1:issue/7", DisplayID: "ISS-7", Type: "issue", Title: "T", Body: "B",
		CreatedDate: created, CustomFields: map[string]any{"tnt__import_key": "k1", "tnt__n": float64(3)}}

	tests := []struct {
		name     string
		path     string
		wantBody map[string]any
		answer   any
		call     func(c *Client) (any, error)
		want     any
	}{
		{
			name:     "create",
			path:     "/works.create",
			wantBody: map[string]any{"type": "issue", "title": "T", "applies_to_part": "PROD-1"},
			answer:   map[string]any{"work": work},
			call: func(c *Client) (any, error) {
				cr, _, err := c.CreateWork(context.Background(), []byte(`{"type":"issue","title":"T","applies_to_part":"PROD-1"}`))
				return cr, err
			},
			want: Created{ID: "don:core:dvrv-us-1:devo/1:issue/7", DisplayID: "ISS-7", Type: "issue"},
		},
		{
			name:     "delete",
			path:     "/works.delete",
			wantBody: map[string]any{"id": "ISS-7"},
			answer:   map[string]any{},
			call: func(c *Client) (any, error) {
				_, err := c.DeleteWork(context.Background(), "ISS-7")
				return nil, err
			},
		},
		{
			name:     "get",
			path:     "/works.get",
			wantBody: map[string]any{"id": "ISS-7"},
			answer:   map[string]any{"work": work},
			call: func(c *Client) (any, error) {
				w, _, err := c.GetWork(context.Background(), "ISS-7")
				return rawChecked(t, w), err
			},
			want: wantWork,
		},
		{
			name: "list works",
			path: "/works.list",
			wantBody: asJSON(t, map[string]any{
				"type":          []string{"issue", "ticket"},
				"created_by":    []string{"DEVU-1"},
				"created_date":  map[string]any{"type": "range", "after": "2024-01-01T00:00:00Z", "before": "2024-01-31T23:00:00Z"},
				"custom_fields": map[string]any{"tnt__import_key": []string{"k1", "k2"}},
				"cursor":        "c1",
				"limit":         100,
			}),
			answer: map[string]any{"works": []any{work}, "next_cursor": "c2"},
			call: func(c *Client) (any, error) {
				ws, next, _, err := c.ListWorks(context.Background(), ListWorksRequest{
					Type: []string{"issue", "ticket"}, CreatedBy: []string{"DEVU-1"},
					CreatedAfter: after, CreatedBefore: before,
					CustomFields: map[string][]string{"tnt__import_key": {"k1", "k2"}},
					Cursor:       "c1", Limit: 100,
				})
				for i := range ws {
					ws[i] = rawChecked(t, ws[i])
				}
				return []any{ws, next}, err
			},
			want: []any{[]Work{wantWork}, "c2"},
		},
		{
			name:     "list works empty request",
			path:     "/works.list",
			wantBody: map[string]any{},
			answer:   map[string]any{"works": []any{}},
			call: func(c *Client) (any, error) {
				ws, next, _, err := c.ListWorks(context.Background(), ListWorksRequest{})
				return []any{ws, next}, err
			},
			want: []any{[]Work{}, ""},
		},
		{
			name:     "self",
			path:     "/dev-users.self",
			wantBody: map[string]any{},
			answer: map[string]any{"dev_user": map[string]any{"id": "don:identity:dvrv-us-1:devo/1:devu/1",
				"display_id": "DEVU-1", "display_name": "ann", "full_name": "Ann Lee", "email": "ann@example.com"}},
			call: func(c *Client) (any, error) {
				u, _, err := c.Self(context.Background())
				return u, err
			},
			want: User{ID: "don:identity:dvrv-us-1:devo/1:devu/1", DisplayID: "DEVU-1", DisplayName: "ann", FullName: "Ann Lee", Email: "ann@example.com"},
		},
		{
			name:     "dev users",
			path:     "/dev-users.list",
			wantBody: asJSON(t, map[string]any{"email": []string{"ann@example.com"}, "cursor": "x", "limit": 10}),
			answer: map[string]any{"dev_users": []any{map[string]any{"id": "u1", "display_id": "DEVU-1",
				"display_name": "ann", "full_name": "Ann Lee", "email": "ann@example.com"}}, "next_cursor": "y"},
			call: func(c *Client) (any, error) {
				us, next, _, err := c.ListDevUsers(context.Background(), ListRequest{Filter: []string{"ann@example.com"}, Cursor: "x", Limit: 10})
				return []any{us, next}, err
			},
			want: []any{[]User{{ID: "u1", DisplayID: "DEVU-1", DisplayName: "ann", FullName: "Ann Lee", Email: "ann@example.com"}}, "y"},
		},
		{
			name:     "parts",
			path:     "/parts.list",
			wantBody: asJSON(t, map[string]any{"name": []string{"Billing"}}),
			answer:   map[string]any{"parts": []any{map[string]any{"id": "p1", "display_id": "PROD-1", "name": "Billing"}}},
			call: func(c *Client) (any, error) {
				ns, next, _, err := c.ListParts(context.Background(), ListRequest{Filter: []string{"Billing"}})
				return []any{ns, next}, err
			},
			want: []any{[]Named{{ID: "p1", DisplayID: "PROD-1", Name: "Billing"}}, ""},
		},
		{
			name:     "tags",
			path:     "/tags.list",
			wantBody: asJSON(t, map[string]any{"name": []string{"bug"}, "limit": 5}),
			answer:   map[string]any{"tags": []any{map[string]any{"id": "t1", "display_id": "TAG-1", "name": "bug"}}, "next_cursor": "n"},
			call: func(c *Client) (any, error) {
				ns, next, _, err := c.ListTags(context.Background(), ListRequest{Filter: []string{"bug"}, Limit: 5})
				return []any{ns, next}, err
			},
			want: []any{[]Named{{ID: "t1", DisplayID: "TAG-1", Name: "bug"}}, "n"},
		},
		{
			name:     "accounts",
			path:     "/accounts.list",
			wantBody: asJSON(t, map[string]any{"display_name": []string{"Acme"}}),
			answer:   map[string]any{"accounts": []any{map[string]any{"id": "a1", "display_id": "ACC-1", "display_name": "Acme"}}},
			call: func(c *Client) (any, error) {
				ns, next, _, err := c.ListAccounts(context.Background(), ListRequest{Filter: []string{"Acme"}})
				return []any{ns, next}, err
			},
			want: []any{[]Named{{ID: "a1", DisplayID: "ACC-1", Name: "Acme"}}, ""},
		},
		{
			name:     "rev orgs",
			path:     "/rev-orgs.list",
			wantBody: asJSON(t, map[string]any{"display_name": []string{"Acme EU"}}),
			answer:   map[string]any{"rev_orgs": []any{map[string]any{"id": "r1", "display_id": "REV-1", "display_name": "Acme EU"}}},
			call: func(c *Client) (any, error) {
				ns, next, _, err := c.ListRevOrgs(context.Background(), ListRequest{Filter: []string{"Acme EU"}})
				return []any{ns, next}, err
			},
			want: []any{[]Named{{ID: "r1", DisplayID: "REV-1", Name: "Acme EU"}}, ""},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, _ := newTestClient(t, func(w http.ResponseWriter, r *http.Request) {
				body := checkRequest(t, r, tt.path)
				if !reflect.DeepEqual(body, tt.wantBody) {
					t.Errorf("request body = %v, want %v", body, tt.wantBody)
				}
				w.Header().Set("Content-Type", "application/json")
				w.Header().Set("X-RateLimit-Limit", "100")
				w.Header().Set("X-RateLimit-Remaining", "42")
				w.Header().Set("X-RateLimit-Reset", "1720636800")
				_ = json.NewEncoder(w).Encode(tt.answer)
			})
			got, err := tt.call(c)
			if err != nil {
				t.Fatalf("call: %v", err)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("got %#v\nwant %#v", got, tt.want)
			}
		})
	}
}

func TestResponseRateInfo(t *testing.T) {
	c, _ := newTestClient(t, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("X-Ratelimit-Limit", "1000")
		w.Header().Set("X-Ratelimit-Remaining", "900")
		w.Header().Set("X-Ratelimit-Reset", "1720636800")
		w.WriteHeader(http.StatusCreated)
		_, _ = io.WriteString(w, `{"work":{"id":"w1","display_id":"ISS-1","type":"issue"}}`)
	})
	_, resp, err := c.CreateWork(context.Background(), []byte(`{}`))
	if err != nil {
		t.Fatal(err)
	}
	want := Response{Status: 201, Rate: RateInfo{Limit: 1000, Remaining: 900, Reset: time.Unix(1720636800, 0), Known: true}}
	if !reflect.DeepEqual(resp, want) {
		t.Errorf("resp = %+v, want %+v", resp, want)
	}
}

func TestParseRate(t *testing.T) {
	now := time.Unix(1720636000, 0)
	tests := []struct {
		limit, rem, reset string
		want              RateInfo
	}{
		{"10", "3", "1720636800", RateInfo{Limit: 10, Remaining: 3, Reset: time.Unix(1720636800, 0), Known: true}},
		{"", "3", "1720636800", RateInfo{Remaining: 3, Reset: time.Unix(1720636800, 0), Known: true}},
		{"10", "3", "1720636800500", RateInfo{Limit: 10, Remaining: 3, Reset: time.UnixMilli(1720636800500), Known: true}},
		{"10", "3", "30", RateInfo{Limit: 10, Remaining: 3, Reset: now.Add(30 * time.Second), Known: true}},
		{"10", "-1", "30", RateInfo{Limit: 10, Remaining: 0, Reset: now.Add(30 * time.Second), Known: true}},
		{"10", "", "1720636800", RateInfo{Limit: 10}},
		{"10", "3", "", RateInfo{Limit: 10}},
		{"10", "3", "soon", RateInfo{Limit: 10}},
	}
	for _, tt := range tests {
		h := http.Header{}
		for k, v := range map[string]string{"X-RateLimit-Limit": tt.limit, "X-RateLimit-Remaining": tt.rem, "X-RateLimit-Reset": tt.reset} {
			if v != "" {
				h.Set(k, v)
			}
		}
		if got := parseRate(h, now); !reflect.DeepEqual(got, tt.want) {
			t.Errorf("parseRate(%q,%q,%q) = %+v, want %+v", tt.limit, tt.rem, tt.reset, got, tt.want)
		}
	}
}

func TestAPIErrors(t *testing.T) {
	now := time.Date(2024, 5, 1, 10, 0, 0, 0, time.UTC)
	tests := []struct {
		name    string
		status  int
		header  map[string]string
		body    string
		want    APIError
		wantMsg string // substring of Error()
	}{
		{
			name:   "invalid enum",
			status: 400,
			body:   `{"type":"invalid_enum_value","message":"bad severity","field_name":"severity","value":"urgent","allowed_values":["low","medium","high"]}`,
			want: APIError{Op: "works.create", Status: 400, Type: "invalid_enum_value", Message: "bad severity",
				FieldName: "severity", Value: "urgent", AllowedValues: []string{"low", "medium", "high"}},
			wantMsg: `works.create: 400 invalid_enum_value: severity: "urgent" is not one of low, medium, high (bad severity)`,
		},
		{
			name:    "missing required field",
			status:  400,
			body:    `{"type":"missing_required_field","message":"m","detail":"d","field_name":"title"}`,
			want:    APIError{Op: "works.create", Status: 400, Type: "missing_required_field", Message: "m", Detail: "d", FieldName: "title"},
			wantMsg: "works.create: 400 missing_required_field: title (m; d)",
		},
		{
			name:    "value not permitted",
			status:  400,
			body:    `{"type":"value_not_permitted","field_name":"stage","allowed_values":["triage"]}`,
			want:    APIError{Op: "works.create", Status: 400, Type: "value_not_permitted", FieldName: "stage", AllowedValues: []string{"triage"}},
			wantMsg: "stage: must be one of triage",
		},
		{
			name:    "invalid id",
			status:  400,
			body:    `{"type":"invalid_id","message":"no such part","field_name":"applies_to_part"}`,
			want:    APIError{Op: "works.create", Status: 400, Type: "invalid_id", Message: "no such part", FieldName: "applies_to_part"},
			wantMsg: "400 invalid_id: applies_to_part (no such part)",
		},
		{
			name:    "unauthorized",
			status:  401,
			body:    `{"type":"unauthenticated","message":"token expired"}`,
			want:    APIError{Op: "works.create", Status: 401, Type: "unauthenticated", Message: "token expired"},
			wantMsg: "401 unauthenticated (token expired)",
		},
		{
			name:   "forbidden",
			status: 403,
			body:   `{"type":"forbidden","message":"no"}`,
			want:   APIError{Op: "works.create", Status: 403, Type: "forbidden", Message: "no"},
		},
		{
			name:   "not found",
			status: 404,
			body:   `{"type":"not_found","message":"gone"}`,
			want:   APIError{Op: "works.create", Status: 404, Type: "not_found", Message: "gone"},
		},
		{
			name:   "conflict",
			status: 409,
			body:   `{"type":"conflict"}`,
			want:   APIError{Op: "works.create", Status: 409, Type: "conflict"},
		},
		{
			name:   "429 retry-after seconds, body larger",
			status: 429,
			header: map[string]string{"Retry-After": "30", "X-RateLimit-Limit": "10", "X-RateLimit-Remaining": "0", "X-RateLimit-Reset": "1714557660"},
			body:   `{"type":"too_many_requests","message":"slow down","retry_after":45}`,
			want: APIError{Op: "works.create", Status: 429, Type: "too_many_requests", Message: "slow down", RetryAfter: 45 * time.Second,
				Rate: RateInfo{Limit: 10, Remaining: 0, Reset: time.Unix(1714557660, 0), Known: true}},
			wantMsg: "429 too_many_requests (slow down; retry after 45s)",
		},
		{
			name:   "429 retry-after http date",
			status: 429,
			header: map[string]string{"Retry-After": now.Add(90 * time.Second).Format(http.TimeFormat)},
			body:   `{"type":"too_many_requests","retry_after":5}`,
			want:   APIError{Op: "works.create", Status: 429, Type: "too_many_requests", RetryAfter: 90 * time.Second},
		},
		{
			name:   "429 body retry_after only",
			status: 429,
			body:   `{"type":"too_many_requests","retry_after":7}`,
			want:   APIError{Op: "works.create", Status: 429, Type: "too_many_requests", RetryAfter: 7 * time.Second},
		},
		{
			name:    "500 reference id",
			status:  500,
			body:    `{"type":"internal_error","message":"oops","reference_id":"ref-123"}`,
			want:    APIError{Op: "works.create", Status: 500, Type: "internal_error", Message: "oops", ReferenceID: "ref-123"},
			wantMsg: "500 internal_error (oops; reference_id ref-123)",
		},
		{
			name:   "503",
			status: 503,
			header: map[string]string{"Retry-After": "2"},
			body:   `{"type":"service_unavailable"}`,
			want:   APIError{Op: "works.create", Status: 503, Type: "service_unavailable", RetryAfter: 2 * time.Second},
		},
		{
			name:    "html 502",
			status:  502,
			header:  map[string]string{"Content-Type": "text/html"},
			body:    "<html><head><style>p{color:red}</style><title>502 Bad Gateway</title></head>\n<body>\n<h1>Bad\tGateway</h1>\x07</body></html>",
			want:    APIError{Op: "works.create", Status: 502, Type: "http_502", Message: "502 Bad Gateway Bad Gateway"},
			wantMsg: "works.create: 502 http_502 (502 Bad Gateway Bad Gateway)",
		},
		{
			name:   "json without type",
			status: 504,
			body:   `{"message":"upstream timed out"}`,
			want:   APIError{Op: "works.create", Status: 504, Type: "http_504", Message: "upstream timed out"},
		},
		{
			name:   "empty body",
			status: 503,
			want:   APIError{Op: "works.create", Status: 503, Type: "http_503"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, _ := newTestClient(t, func(w http.ResponseWriter, r *http.Request) {
				for k, v := range tt.header {
					w.Header().Set(k, v)
				}
				w.WriteHeader(tt.status)
				_, _ = io.WriteString(w, tt.body)
			})
			c.now = func() time.Time { return now }
			_, resp, err := c.CreateWork(context.Background(), []byte(`{"type":"issue"}`))
			var ae *APIError
			if !errors.As(err, &ae) {
				t.Fatalf("err = %v (%T), want *APIError", err, err)
			}
			if !reflect.DeepEqual(*ae, tt.want) {
				t.Errorf("APIError = %#v\nwant %#v", *ae, tt.want)
			}
			if resp.Status != tt.status || resp.Rate != tt.want.Rate {
				t.Errorf("resp = %+v", resp)
			}
			if tt.wantMsg != "" && !strings.Contains(ae.Error(), tt.wantMsg) {
				t.Errorf("Error() = %q, want it to contain %q", ae.Error(), tt.wantMsg)
			}
		})
	}
}

func TestBadResponse(t *testing.T) {
	tests := []struct {
		name, body string
		status     int
	}{
		{"html 201", "<html>created?</html>", 201},
		{"no work id", `{"work":{"display_id":"ISS-1"}}`, 201},
		{"no work", `{}`, 200},
		{"truncated json", `{"work":{"id":"w`, 201},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, _ := newTestClient(t, func(w http.ResponseWriter, r *http.Request) {
				w.WriteHeader(tt.status)
				_, _ = io.WriteString(w, tt.body)
			})
			_, resp, err := c.CreateWork(context.Background(), []byte(`{}`))
			var be *BadResponseError
			if !errors.As(err, &be) {
				t.Fatalf("err = %v (%T), want *BadResponseError", err, err)
			}
			if be.Status != tt.status || resp.Status != tt.status || be.Op != "works.create" {
				t.Errorf("err = %+v, resp = %+v", be, resp)
			}
		})
	}
}

// TestKeepAlive checks that answers, also error answers, are drained so
// sequential calls reuse one connection.
func TestKeepAlive(t *testing.T) {
	var conns atomic.Int32
	var n atomic.Int32
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if n.Add(1)%2 == 0 {
			w.WriteHeader(500)
			_, _ = io.WriteString(w, `{"type":"internal_error","message":"`+strings.Repeat("x", 10000)+`"}`)
			return
		}
		_, _ = io.WriteString(w, `{"works":[]}`)
	}))
	srv.Config.ConnState = func(_ net.Conn, s http.ConnState) {
		if s == http.StateNew {
			conns.Add(1)
		}
	}
	srv.Start()
	t.Cleanup(srv.Close)
	c, err := New(Options{Endpoint: srv.URL, Token: testToken})
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 6; i++ {
		_, _, _, _ = c.ListWorks(context.Background(), ListWorksRequest{})
	}
	if got := conns.Load(); got != 1 {
		t.Errorf("%d connections for 6 sequential calls, want 1 (keep-alive)", got)
	}
}

func TestTransportErrors(t *testing.T) {
	t.Run("refused", func(t *testing.T) {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		addr := ln.Addr().String()
		_ = ln.Close()
		c, err := New(Options{Endpoint: "http://" + addr, Token: testToken})
		if err != nil {
			t.Fatal(err)
		}
		_, _, err = c.CreateWork(context.Background(), []byte(`{}`))
		wantTransport(t, err, false)
	})

	t.Run("dropped before write", func(t *testing.T) {
		// The server resets every connection at once; the client's dialer
		// waits until it has seen the reset, so the request cannot be written.
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = ln.Close() })
		go func() {
			for {
				conn, err := ln.Accept()
				if err != nil {
					return
				}
				_ = conn.(*net.TCPConn).SetLinger(0)
				_ = conn.Close()
			}
		}()
		tr := &http.Transport{DialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
			conn, err := (&net.Dialer{}).DialContext(ctx, network, addr)
			if err != nil {
				return nil, err
			}
			_ = conn.SetReadDeadline(time.Now().Add(10 * time.Second)) // guard only
			_, _ = conn.Read(make([]byte, 1))
			_ = conn.SetReadDeadline(time.Time{})
			return conn, nil
		}}
		c, err := New(Options{Endpoint: "http://" + ln.Addr().String(), Token: testToken, Transport: tr})
		if err != nil {
			t.Fatal(err)
		}
		_, _, err = c.CreateWork(context.Background(), []byte(`{"title":"x"}`))
		wantTransport(t, err, false)
	})

	t.Run("closed after reading body", func(t *testing.T) {
		c, _ := newTestClient(t, func(w http.ResponseWriter, r *http.Request) {
			_, _ = io.ReadAll(r.Body)
			conn, _, err := http.NewResponseController(w).Hijack()
			if err != nil {
				t.Error(err)
				return
			}
			_ = conn.Close()
		})
		_, _, err := c.CreateWork(context.Background(), []byte(`{"title":"x"}`))
		wantTransport(t, err, true)
	})

	t.Run("timeout after write", func(t *testing.T) {
		c := silentAfterRead(t)
		_, _, err := c.CreateWork(context.Background(), []byte(`{"title":"x"}`))
		wantTransport(t, err, true)
		if !errors.Is(err, context.DeadlineExceeded) {
			t.Errorf("err = %v, want it to wrap context.DeadlineExceeded", err)
		}
	})

	// A read that timed out after it was written changed nothing: it is
	// not in doubt, and its message does not say it may have been done.
	t.Run("read timed out after write", func(t *testing.T) {
		c := silentAfterRead(t)
		reads := map[string]func() error{
			"works.get":              func() error { _, _, err := c.GetWork(context.Background(), "ISS-1"); return err },
			"dev-users.self":         func() error { _, _, err := c.Self(context.Background()); return err },
			"schemas.aggregated.get": func() error { _, _, err := c.AggregatedSchema(context.Background(), "ticket"); return err },
		}
		for op, read := range reads {
			var te *TransportError
			if err := read(); !errors.As(err, &te) || te.InDoubt || te.Op != op || strings.Contains(err.Error(), "doubt") {
				t.Errorf("%s: err = %v (in doubt %v), want a transport error not in doubt", op, err, te != nil && te.InDoubt)
			}
		}
	})

	t.Run("cancelled before sending", func(t *testing.T) {
		c, _ := newTestClient(t, func(w http.ResponseWriter, r *http.Request) {
			t.Error("request reached the server")
		})
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		_, _, err := c.CreateWork(ctx, []byte(`{}`))
		wantTransport(t, err, false)
		if !errors.Is(err, context.Canceled) {
			t.Errorf("err = %v, want it to wrap context.Canceled", err)
		}
	})
}

// silentAfterRead is a client with a 100 ms timeout of a server that
// reads each request whole and never answers.
func silentAfterRead(t *testing.T) *Client {
	t.Helper()
	release := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.ReadAll(r.Body)
		<-release
	}))
	t.Cleanup(srv.Close)
	t.Cleanup(func() { close(release) })
	c, err := New(Options{Endpoint: srv.URL, Token: testToken, Timeout: 100 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func wantTransport(t *testing.T, err error, inDoubt bool) {
	t.Helper()
	var te *TransportError
	if !errors.As(err, &te) {
		t.Fatalf("err = %v (%T), want *TransportError", err, err)
	}
	if te.InDoubt != inDoubt {
		t.Errorf("InDoubt = %v, want %v (err: %v)", te.InDoubt, inDoubt, err)
	}
	if te.Op != "works.create" {
		t.Errorf("Op = %q", te.Op)
	}
}

func TestNewEndpoint(t *testing.T) {
	tests := []struct {
		endpoint string
		ok       bool
		base     string
	}{
		{"", true, "https://api.devrev.ai"},
		{"https://api.devrev.ai/", true, "https://api.devrev.ai"},
		{"https://example.com/devrev", true, "https://example.com/devrev"},
		{"http://127.0.0.1:8080", true, "http://127.0.0.1:8080"},
		{"http://127.5.6.7:8080/", true, "http://127.5.6.7:8080"},
		{"http://[::1]:9000", true, "http://[::1]:9000"},
		{"http://localhost:9000", true, "http://localhost:9000"},
		{"http://api.devrev.ai", false, ""},
		{"http://10.0.0.1", false, ""},
		{"http://localhost.evil.com", false, ""},
		{"ftp://api.devrev.ai", false, ""},
		{"https://user:pw@api.devrev.ai", false, ""},
		{"api.devrev.ai", false, ""},
		{"https://api.devrev.ai?x=1", false, ""},
		{"://bad", false, ""},
	}
	for _, tt := range tests {
		c, err := New(Options{Endpoint: tt.endpoint, Token: testToken})
		if (err == nil) != tt.ok {
			t.Errorf("New(%q) err = %v, want ok=%v", tt.endpoint, err, tt.ok)
			continue
		}
		if err != nil {
			if strings.Contains(err.Error(), "pw") {
				t.Errorf("New(%q) error leaks the password: %v", tt.endpoint, err)
			}
			continue
		}
		if c.base != tt.base {
			t.Errorf("New(%q) base = %q, want %q", tt.endpoint, c.base, tt.base)
		}
	}
	for _, tok := range []string{"", "a\nb", "a\rb"} {
		if _, err := New(Options{Token: tok}); err == nil {
			t.Errorf("New(token %q) accepted", tok)
		} else if tok != "" && strings.Contains(err.Error(), tok) {
			t.Errorf("error leaks token: %v", err)
		}
	}
}

// TestTokenNeverInErrors makes a server echo the Authorization header into
// every place an error text is built from, and checks no error string
// carries the token.
func TestTokenNeverInErrors(t *testing.T) {
	bodies := []struct {
		status int
		body   func(auth string) string
	}{
		{400, func(a string) string {
			return `{"type":"invalid_enum_value","message":"` + a + `","detail":"` + a + `","field_name":"` + a + `","value":"` + a + `","allowed_values":["` + a + `"]}`
		}},
		{500, func(a string) string {
			return `{"type":"internal_error","reference_id":"` + a + `","message":"` + a + `"}`
		}},
		{502, func(a string) string { return "<html><body>bad gateway for " + a + "</body></html>" }},
		{504, func(a string) string { return `{"message":"` + a + `"}` }},
		{201, func(a string) string { return "<html>" + a + "</html>" }},
		{201, func(a string) string { return `{"work":{"title":"` + a + `"}}` }},
	}
	var errs []error
	for _, b := range bodies {
		c, _ := newTestClient(t, func(w http.ResponseWriter, r *http.Request) {
			w.WriteHeader(b.status)
			_, _ = io.WriteString(w, b.body(r.Header.Get("Authorization")))
		})
		_, _, err := c.CreateWork(context.Background(), []byte(`{}`))
		errs = append(errs, err)
		if _, _, _, err := c.ListWorks(context.Background(), ListWorksRequest{}); err != nil || b.status >= 300 {
			errs = append(errs, err)
		}
	}
	// Transport errors: refused and timed out.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	_ = ln.Close()
	c, err := New(Options{Endpoint: "http://" + addr, Token: testToken})
	if err != nil {
		t.Fatal(err)
	}
	_, _, err = c.Self(context.Background())
	errs = append(errs, err)
	_, err = New(Options{Endpoint: "http://example.com", Token: testToken})
	errs = append(errs, err)

	for i, err := range errs {
		if err == nil {
			t.Errorf("case %d: no error", i)
			continue
		}
		for e := err; e != nil; e = errors.Unwrap(e) {
			if strings.Contains(e.Error(), testToken) {
				t.Errorf("case %d: error text leaks the token: %q", i, e.Error())
			}
		}
		if strings.Contains(strings.ReplaceAll(err.Error(), "[REDACTED]", ""), "S3CRET") {
			t.Errorf("case %d: partial token in %q", i, err.Error())
		}
	}
}

func TestRedact(t *testing.T) {
	c, err := New(Options{Token: testToken})
	if err != nil {
		t.Fatal(err)
	}
	if got := c.Redact("a " + testToken + " b " + testToken); got != "a [REDACTED] b [REDACTED]" {
		t.Errorf("Redact = %q", got)
	}
	if got := c.Redact("nothing here"); got != "nothing here" {
		t.Errorf("Redact = %q", got)
	}
	// Short tokens only where they stand alone: not inside the words of
	// the message.
	for token, cases := range map[string][][2]string{
		"x": {
			{"context deadline exceeded", "context deadline exceeded"},
			{"x", "[REDACTED]"},
			{"Bearer x: refused", "Bearer [REDACTED]: refused"},
			{`"x" and x-ratelimit and x`, `"[REDACTED]" and x-ratelimit and [REDACTED]`},
		},
		"abc.12": {
			{"token=abc.12; abc.123 abc.12é", "token=[REDACTED]; abc.123 abc.12é"},
		},
	} {
		short, err := New(Options{Token: token})
		if err != nil {
			t.Fatal(err)
		}
		for _, tc := range cases {
			if got := short.Redact(tc[0]); got != tc[1] {
				t.Errorf("token %q: Redact(%q) = %q, want %q", token, tc[0], got, tc[1])
			}
		}
	}
}

func TestSnippet(t *testing.T) {
	long := strings.Repeat("é", 500)
	if got := snippet([]byte(long)); len([]rune(got)) != snippetLen+1 || !strings.HasSuffix(got, "…") {
		t.Errorf("snippet of long text has %d runes", len([]rune(got)))
	}
	if got := snippet([]byte("a\x00b\u202ec \r\n d\xff")); got != "abc d?" {
		t.Errorf("snippet = %q", got)
	}
	if got := snippet([]byte("<p>x</p><script>alert(1)</script><b>y")); got != "x y" {
		t.Errorf("snippet = %q", got)
	}
}

func TestTLS(t *testing.T) {
	var hijack atomic.Bool
	srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.ReadAll(r.Body)
		if hijack.Load() {
			conn, _, err := http.NewResponseController(w).Hijack()
			if err == nil {
				_ = conn.Close()
			}
			return
		}
		w.WriteHeader(http.StatusCreated)
		_, _ = io.WriteString(w, `{"work":{"id":"w1","display_id":"ISS-1","type":"issue"}}`)
	}))
	t.Cleanup(srv.Close)
	c, err := New(Options{Endpoint: srv.URL, Token: testToken, Transport: srv.Client().Transport})
	if err != nil {
		t.Fatal(err)
	}
	cr, _, err := c.CreateWork(context.Background(), []byte(`{}`))
	if err != nil || cr.ID != "w1" {
		t.Fatalf("CreateWork = %+v, %v", cr, err)
	}
	hijack.Store(true)
	_, _, err = c.CreateWork(context.Background(), []byte(`{}`))
	wantTransport(t, err, true)
}

func TestUnderlying(t *testing.T) {
	a, b := net.Pipe()
	t.Cleanup(func() { _ = a.Close(); _ = b.Close() })
	tc := &trackedConn{Conn: a}
	if underlying(tc) != tc {
		t.Error("trackedConn not found")
	}
	if underlying(a) != nil {
		t.Error("plain conn reported as tracked")
	}
	_ = b.Close()
	if _, err := tc.Write([]byte("x")); err == nil {
		t.Fatal("write to closed pipe succeeded")
	}
	if tc.writeFails.Load() != 1 {
		t.Errorf("writeFails = %d, want 1", tc.writeFails.Load())
	}
}

// TestAnswerSizeLimits: a 2xx answer over its operation's limit is a
// *BadResponseError naming the operation (a create's is in doubt: the work
// may exist), whether it announces its length or streams without one;
// answers under the limit, also large ones, are read.
func TestAnswerSizeLimits(t *testing.T) {
	c, _ := newTestClient(t, func(w http.ResponseWriter, r *http.Request) {
		n, _ := strconv.Atoi(r.Header.Get("X-Test-Size"))
		if r.Header.Get("X-Test-Length") != "" {
			w.Header().Set("Content-Length", strconv.Itoa(n))
		}
		w.WriteHeader(http.StatusCreated)
		// {"work":{"id":"W-1","display_id":"ISS-1"},"pad":"xxx..."}
		head := `{"work":{"id":"W-1","display_id":"ISS-1"},"works":[],"pad":"`
		if _, err := io.WriteString(w, head); err != nil {
			return
		}
		chunk := strings.Repeat("x", 64<<10)
		for left := n - len(head) - 2; left > 0; left -= len(chunk) {
			if _, err := io.WriteString(w, chunk[:min(left, len(chunk))]); err != nil {
				return
			}
		}
		_, _ = io.WriteString(w, `"}`)
	})
	do := func(op string, size int, length bool) error {
		hdr := map[string]string{"X-Test-Size": strconv.Itoa(size)}
		if length {
			hdr["X-Test-Length"] = "1"
		}
		c.http.Transport = headerTransport{base: c.http.Transport, hdr: hdr}
		defer func() { c.http.Transport = c.http.Transport.(headerTransport).base }()
		var err error
		switch op {
		case "works.create":
			_, _, err = c.CreateWork(context.Background(), []byte(`{}`))
		case "works.list":
			_, _, _, err = c.ListWorks(context.Background(), ListWorksRequest{})
		}
		return err
	}
	for _, tc := range []struct {
		op     string
		size   int
		length bool
		limit  string // "" when the answer must be read
	}{
		{"works.create", 100 << 20, false, "2 MiB"},
		{"works.create", 100 << 20, true, "2 MiB"},
		{"works.create", 2<<20 + 1, false, "2 MiB"},
		{"works.create", 1 << 20, false, ""},
		{"works.list", 17 << 20, false, "16 MiB"},
		{"works.list", 12 << 20, true, ""},
	} {
		err := do(tc.op, tc.size, tc.length)
		if tc.limit == "" {
			if err != nil {
				t.Errorf("%s, %d bytes: %v", tc.op, tc.size, err)
			}
			continue
		}
		var be *BadResponseError
		want := "the answer is larger than " + tc.limit + ", the most this tool reads from " + tc.op
		if !errors.As(err, &be) || be.Op != tc.op || !strings.Contains(err.Error(), want) {
			t.Errorf("%s, %d bytes (length %v): err %v, want a BadResponseError with %q", tc.op, tc.size, tc.length, err, want)
		}
		if len(be.Snippet) > 200 {
			t.Errorf("snippet of %d bytes", len(be.Snippet))
		}
	}
}

// headerTransport adds headers to every request (the test server's
// instructions).
type headerTransport struct {
	base http.RoundTripper
	hdr  map[string]string
}

func (h headerTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	r = r.Clone(r.Context())
	for k, v := range h.hdr {
		r.Header.Set(k, v)
	}
	return h.base.RoundTrip(r)
}

// rawChecked checks that w keeps the served object as Raw and returns w
// without it, to compare the decoded fields.
func rawChecked(t *testing.T, w Work) Work {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(w.Raw, &m); err != nil || m["id"] != w.ID || m["title"] != w.Title {
		t.Errorf("Raw %s does not hold the served work (%v)", w.Raw, err)
	}
	w.Raw = nil
	return w
}
