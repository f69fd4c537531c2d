package devrev

import (
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// APIError is a non-2xx answer, decoded from the spec's error-* shapes
// (error-bad-request-*, error-unauthorized, error-too-many-requests, ...).
// An answer whose body is not such a JSON object (a proxy's HTML 502 page)
// gets Type "http_<status>" and a short, sanitized snippet as Message.
type APIError struct {
	// Op is the API operation, e.g. "works.create".
	Op string
	// Status is the HTTP status code.
	Status int
	// Type is the error's discriminator: "too_many_requests",
	// "invalid_enum_value", "unauthenticated", ..., or "http_<status>".
	Type string
	// Message and Detail are the server's human-readable texts.
	Message string
	Detail  string
	// FieldName, Value and AllowedValues locate a bad-request error.
	FieldName     string
	Value         string
	AllowedValues []string
	// RetryAfter is the larger of the Retry-After header and the body's
	// retry_after; 0 if neither was given.
	RetryAfter time.Duration
	// ReferenceID identifies an internal server error for DevRev support.
	ReferenceID string
	// Rate holds the rate-limit headers of the answer.
	Rate RateInfo
}

// Error renders the error on one line, e.g.
//
//	works.create: 400 invalid_enum_value: severity: "urgent" is not one of low, medium, high (unknown severity)
func (e *APIError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s: %d %s", e.Op, e.Status, e.Type)
	switch {
	case e.FieldName != "" && e.Value != "" && len(e.AllowedValues) > 0:
		fmt.Fprintf(&b, ": %s: %q is not one of %s", e.FieldName, e.Value, strings.Join(e.AllowedValues, ", "))
	case e.FieldName != "" && len(e.AllowedValues) > 0:
		fmt.Fprintf(&b, ": %s: must be one of %s", e.FieldName, strings.Join(e.AllowedValues, ", "))
	case e.FieldName != "" && e.Value != "":
		fmt.Fprintf(&b, ": %s: %q", e.FieldName, e.Value)
	case e.FieldName != "":
		fmt.Fprintf(&b, ": %s", e.FieldName)
	case e.Value != "":
		fmt.Fprintf(&b, ": %q", e.Value)
	}
	var notes []string
	if e.Message != "" {
		notes = append(notes, e.Message)
	}
	if e.Detail != "" && e.Detail != e.Message {
		notes = append(notes, e.Detail)
	}
	if e.ReferenceID != "" {
		notes = append(notes, "reference_id "+e.ReferenceID)
	}
	if e.RetryAfter > 0 {
		notes = append(notes, "retry after "+e.RetryAfter.String())
	}
	if len(notes) > 0 {
		fmt.Fprintf(&b, " (%s)", strings.Join(notes, "; "))
	}
	return b.String()
}

// TransportError is a call that got no HTTP answer: a timeout, a reset,
// refused or dropped connection. InDoubt reports whether the request had
// been written completely before the failure, so the server may have
// performed it; a caller must then reconcile (look the work up) before
// sending it again.
type TransportError struct {
	Op      string
	Err     error
	InDoubt bool
}

// Error describes the failure and whether the request may have been done.
func (e *TransportError) Error() string {
	s := fmt.Sprintf("%s: no answer: %v", e.Op, e.Err)
	if e.InDoubt {
		s += " (in doubt: the request was sent and may have been performed)"
	}
	return s
}

// Unwrap returns the underlying network or context error, so that
// errors.Is(err, context.DeadlineExceeded) works.
func (e *TransportError) Unwrap() error { return e.Err }

// BadResponseError is a 2xx answer whose body cannot be used: not JSON, or
// a created work without an id. The action may have happened (in doubt).
type BadResponseError struct {
	Op      string
	Status  int
	Snippet string // start of the body, sanitized
	Err     error  // decode or read error, if any
}

// Error describes the unusable answer.
func (e *BadResponseError) Error() string {
	s := fmt.Sprintf("%s: unusable %d answer", e.Op, e.Status)
	if e.Err != nil {
		s += ": " + e.Err.Error()
	}
	if e.Snippet != "" {
		s += fmt.Sprintf(" (body: %q)", e.Snippet)
	}
	return s
}

// Unwrap returns the decode or read error.
func (e *BadResponseError) Unwrap() error { return e.Err }

// errorBody is the union of the fields of the spec's error-* schemas that
// the importer uses.
type errorBody struct {
	Type          string          `json:"type"`
	Message       string          `json:"message"`
	Detail        string          `json:"detail"`
	FieldName     string          `json:"field_name"`
	Value         json.RawMessage `json:"value"`
	AllowedValues []string        `json:"allowed_values"`
	RetryAfter    *float64        `json:"retry_after"`
	ReferenceID   string          `json:"reference_id"`
}

// apiError decodes a non-2xx body into *APIError.
func (c *Client) apiError(op string, resp Response, raw []byte) *APIError {
	e := &APIError{Op: op, Status: resp.Status, Rate: resp.Rate, RetryAfter: resp.RetryAfter}
	var body errorBody
	if err := json.Unmarshal(raw, &body); err == nil && body.Type != "" {
		e.Type = clean(c.Redact(body.Type), 64)
		e.Message = clean(c.Redact(body.Message), 500)
		e.Detail = clean(c.Redact(body.Detail), 500)
		e.FieldName = clean(c.Redact(body.FieldName), 200)
		e.Value = clean(c.Redact(rawValue(body.Value)), 200)
		for _, v := range body.AllowedValues {
			e.AllowedValues = append(e.AllowedValues, clean(c.Redact(v), 200))
		}
		e.ReferenceID = clean(c.Redact(body.ReferenceID), 200)
		if body.RetryAfter != nil && *body.RetryAfter > 0 {
			d := MaxRetryAfter
			if *body.RetryAfter < MaxRetryAfter.Seconds() {
				d = time.Duration(*body.RetryAfter * float64(time.Second))
			}
			if d > e.RetryAfter {
				e.RetryAfter = d
			}
		}
		return e
	}
	e.Type = "http_" + strconv.Itoa(resp.Status)
	// A JSON object without a type may still carry a message.
	if json.Valid(raw) && body.Message != "" {
		e.Message = clean(c.Redact(body.Message), 500)
		return e
	}
	e.Message = c.snip(raw)
	return e
}

// rawValue renders the error's "value" (a string in the spec, but be
// lenient about numbers and the like).
func rawValue(v json.RawMessage) string {
	if len(v) == 0 || string(v) == "null" {
		return ""
	}
	var s string
	if json.Unmarshal(v, &s) == nil {
		return s
	}
	return string(v)
}

// snip is snippet of raw with the token redacted first, so that cutting
// the text cannot leave the start of the token behind.
func (c *Client) snip(raw []byte) string {
	return snippet([]byte(c.Redact(string(raw))))
}

// snippetLen bounds the body excerpt kept in errors.
const snippetLen = 160

// snippet returns a short single-line excerpt of a body: HTML tags removed,
// whitespace collapsed, control characters dropped, at most snippetLen runes.
func snippet(raw []byte) string {
	s := string(raw)
	if !utf8.ValidString(s) {
		s = strings.ToValidUTF8(s, "?")
	}
	if strings.Contains(s, "<") {
		s = stripTags(s)
	}
	return clean(s, snippetLen)
}

// stripTags removes <...> markup and the content of <script> and <style>.
func stripTags(s string) string {
	var b strings.Builder
	lower := strings.ToLower(s)
	for i := 0; i < len(s); {
		if s[i] != '<' {
			b.WriteByte(s[i])
			i++
			continue
		}
		for _, tag := range []string{"<script", "<style"} {
			if strings.HasPrefix(lower[i:], tag) {
				end := strings.Index(lower[i:], "</"+tag[1:])
				if end < 0 {
					return b.String()
				}
				i += end
				break
			}
		}
		end := strings.IndexByte(s[i:], '>')
		if end < 0 {
			break
		}
		i += end + 1
		b.WriteByte(' ')
	}
	return b.String()
}

// clean collapses whitespace, drops control and format characters and cuts
// s to at most n runes (adding "…" when cut).
func clean(s string, n int) string {
	var b strings.Builder
	space := false
	count := 0
	for _, r := range s {
		if unicode.IsSpace(r) {
			space = b.Len() > 0
			continue
		}
		if unicode.IsControl(r) || unicode.Is(unicode.Cf, r) {
			continue
		}
		if space {
			b.WriteByte(' ')
			space = false
			count++
		}
		if count >= n {
			b.WriteString("…")
			break
		}
		b.WriteRune(r)
		count++
	}
	return b.String()
}
