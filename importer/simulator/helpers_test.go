package simulator

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"
)

// start runs a simulator on loopback for the test.
func start(t *testing.T, opt Options) *Server {
	t.Helper()
	s, err := Start(opt)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := s.Close(); err != nil {
			t.Errorf("close: %v", err)
		}
	})
	return s
}

// response is one HTTP exchange's outcome.
type response struct {
	status int
	header http.Header
	raw    []byte
	body   map[string]any // nil when the body is not a JSON object
	err    error          // transport error (dropped connection)
}

// client sends requests with a fresh connection each time, so a dropped
// connection never affects the next request.
var client = &http.Client{Transport: &http.Transport{DisableKeepAlives: true}, Timeout: 10 * time.Second}

func do(t *testing.T, s *Server, token, method, path string, body any) response {
	t.Helper()
	var rd io.Reader
	switch b := body.(type) {
	case nil:
	case string:
		rd = strings.NewReader(b)
	default:
		data, err := json.Marshal(b)
		if err != nil {
			t.Fatal(err)
		}
		rd = bytes.NewReader(data)
	}
	req, err := http.NewRequest(method, s.URL+path, rd)
	if err != nil {
		t.Fatal(err)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	if rd != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := client.Do(req)
	if err != nil {
		return response{err: err}
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		return response{status: resp.StatusCode, header: resp.Header, err: err}
	}
	r := response{status: resp.StatusCode, header: resp.Header, raw: raw}
	_ = json.Unmarshal(raw, &r.body)
	return r
}

// post sends a JSON POST with the sandbox token.
func post(t *testing.T, s *Server, path string, body any) response {
	t.Helper()
	return do(t, s, DefaultToken, http.MethodPost, path, body)
}

// obj is shorthand for a JSON object literal.
type obj = map[string]any

// validBody returns a minimal valid works.create body for typ.
func validBody(typ string) obj {
	b := obj{"type": typ, "title": "A " + typ, "applies_to_part": "PROD-1", "owned_by": []any{"DEVU-2"}}
	if typ == typeOpportunity {
		b["account"] = "ACC-1"
	}
	return b
}

func with(b obj, kv ...any) obj {
	out := obj{}
	for k, v := range b {
		out[k] = v
	}
	for i := 0; i+1 < len(kv); i += 2 {
		k := kv[i].(string)
		if kv[i+1] == nil {
			delete(out, k)
		} else {
			out[k] = kv[i+1]
		}
	}
	return out
}

// str digs a string out of a decoded JSON value by path.
func str(v any, path ...string) string {
	for _, p := range path {
		m, ok := v.(map[string]any)
		if !ok {
			return ""
		}
		v = m[p]
	}
	s, _ := v.(string)
	return s
}

// displayIDs lists the display_id of each object in a decoded array.
func displayIDs(v any) []string {
	arr, _ := v.([]any)
	out := []string{}
	for _, it := range arr {
		out = append(out, str(it, "display_id"))
	}
	return out
}

func wantStatus(t *testing.T, r response, status int) {
	t.Helper()
	if r.err != nil {
		t.Fatalf("transport error %v, want HTTP %d", r.err, status)
	}
	if r.status != status {
		t.Fatalf("status %d, want %d; body %s", r.status, status, r.raw)
	}
}

// wantAPIError checks an error answer: status, error type, field_name and a
// message.
func wantAPIError(t *testing.T, r response, status int, errType, field string) {
	t.Helper()
	wantStatus(t, r, status)
	if got := str(r.body, "type"); got != errType {
		t.Errorf("type %q, want %q; body %s", got, errType, r.raw)
	}
	if got := str(r.body, "field_name"); got != field {
		t.Errorf("field_name %q, want %q; body %s", got, field, r.raw)
	}
	if str(r.body, "message") == "" {
		t.Errorf("no message: %s", r.raw)
	}
}

func errorsAs(err error, target any) bool { return errors.As(err, target) }
