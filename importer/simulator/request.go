package simulator

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"sort"
	"strconv"
	"strings"
)

// maxBodyBytes bounds a request body; a works.create body is at most a few
// hundred KiB even with a maximal body text.
const maxBodyBytes = 8 << 20

// queryShape says how to turn a GET query into the JSON object the POST form
// of the same endpoint takes: which keys are arrays (comma-separated or
// repeated, as the spec's explode: false parameters are) and which integers.
type queryShape struct {
	arrays map[string]bool
	ints   map[string]bool
	bools  map[string]bool
}

func keys(ks ...string) map[string]bool {
	m := make(map[string]bool, len(ks))
	for _, k := range ks {
		m[k] = true
	}
	return m
}

// readRequest returns the request's parameters as a decoded JSON object:
// the body of a POST, or the query of a GET converted by shape. Numbers are
// json.Number so that integers and fractions can be told apart.
func readRequest(r *http.Request, shape queryShape) (map[string]any, *APIError) {
	if r.Method == http.MethodGet {
		return queryToObject(r, shape)
	}
	data, err := io.ReadAll(io.LimitReader(r.Body, maxBodyBytes+1))
	if err != nil {
		return nil, parseError("reading request body: %v", err)
	}
	if len(data) > maxBodyBytes {
		return nil, badRequest("request body exceeds %d bytes", maxBodyBytes)
	}
	return decodeObject(data)
}

// decodeObject parses data as exactly one JSON object.
func decodeObject(data []byte) (map[string]any, *APIError) {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		if errors.Is(err, io.EOF) {
			return nil, parseError("request body is empty; expected a JSON object")
		}
		return nil, parseError("request body is not valid JSON: %v", err)
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return nil, parseError("request body has data after the JSON object")
	}
	obj, ok := v.(map[string]any)
	if !ok {
		return nil, parseError("request body must be a JSON object, got %s", jsonType(v))
	}
	return obj, nil
}

func queryToObject(r *http.Request, shape queryShape) (map[string]any, *APIError) {
	obj := map[string]any{}
	q := r.URL.Query()
	names := make([]string, 0, len(q))
	for k := range q {
		names = append(names, k)
	}
	sort.Strings(names)
	for _, k := range names {
		var vals []string
		for _, v := range q[k] {
			vals = append(vals, strings.Split(v, ",")...)
		}
		var val any
		switch {
		case shape.arrays[k]:
			arr := make([]any, 0, len(vals))
			for _, v := range vals {
				if v != "" {
					arr = append(arr, v)
				}
			}
			val = arr
		case shape.ints[k]:
			val = json.Number(vals[len(vals)-1])
		case shape.bools[k]:
			b, err := strconv.ParseBool(vals[len(vals)-1])
			if err != nil {
				return nil, unexpectedType(k, "bool", "string")
			}
			val = b
		default:
			val = strings.Join(q[k], ",")
		}
		// Dotted names address nested objects (created_date.after).
		parts := strings.Split(k, ".")
		m := obj
		for _, p := range parts[:len(parts)-1] {
			sub, ok := m[p].(map[string]any)
			if !ok {
				sub = map[string]any{}
				m[p] = sub
			}
			m = sub
		}
		m[parts[len(parts)-1]] = val
	}
	return obj, nil
}

// jsonType names a decoded JSON value's type the way the spec's
// error-bad-request-unexpected-json-type-type enum does.
func jsonType(v any) string {
	switch v.(type) {
	case nil:
		return "null"
	case string:
		return "string"
	case bool:
		return "bool"
	case json.Number, float64:
		return "number"
	case []any:
		return "array"
	case map[string]any:
		return "object"
	}
	return "unknown"
}

// listParams are the paging parameters every list endpoint shares.
type listParams struct {
	limit  int
	cursor int64 // 0 = none
	before bool  // mode "before"
	loop   bool  // Options.LoopCursors: the first page, and the same next cursor, always
}

// listParams reads a list request's paging parameters (parseListParams)
// with the server's options.
func (s *Server) listParams(req map[string]any) (listParams, *APIError) {
	p, err := parseListParams(req)
	p.loop = s.loop
	return p, err
}

const (
	defaultLimit = 50
	maxLimit     = 100
)

// parseListParams reads limit, cursor and mode from a list request.
func parseListParams(req map[string]any) (listParams, *APIError) {
	p := listParams{limit: defaultLimit}
	if v, ok := req["limit"]; ok && v != nil {
		n, ok := v.(json.Number)
		if !ok {
			return p, unexpectedType("limit", "number", jsonType(v))
		}
		i, err := strconv.ParseInt(string(n), 10, 32)
		if err != nil {
			return p, notPermitted("limit", "must be a 32-bit integer")
		}
		if i < 1 {
			return p, notPermitted("limit", "must be at least 1")
		}
		p.limit = int(min(i, maxLimit))
	}
	if v, ok := req["cursor"]; ok && v != nil {
		s, ok := v.(string)
		if !ok {
			return p, unexpectedType("cursor", "string", jsonType(v))
		}
		if s != "" {
			c, err := decodeCursor(s)
			if err != nil {
				return p, badRequest("invalid cursor")
			}
			p.cursor = c
		}
	}
	if v, ok := req["mode"]; ok && v != nil {
		s, ok := v.(string)
		if !ok {
			return p, unexpectedType("mode", "string", jsonType(v))
		}
		switch s {
		case "after":
		case "before":
			p.before = true
		default:
			return p, invalidEnum("mode", s, []string{"after", "before"})
		}
	}
	return p, nil
}

const cursorPrefix = "sim1:"

func encodeCursor(seq int64) string {
	return base64.RawURLEncoding.EncodeToString([]byte(cursorPrefix + strconv.FormatInt(seq, 10)))
}

func decodeCursor(s string) (int64, error) {
	b, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil {
		return 0, err
	}
	rest, ok := strings.CutPrefix(string(b), cursorPrefix)
	if !ok {
		return 0, errors.New("unknown cursor format")
	}
	n, err := strconv.ParseInt(rest, 10, 64)
	if err != nil || n < 0 {
		return 0, errors.New("bad cursor position")
	}
	return n, nil
}

// paginate picks one page from items ordered by ascending seq. A cursor is
// the seq of a page boundary: mode "after" returns items with a larger seq,
// mode "before" the last page of items with a smaller one. next and prev are
// empty when no item lies beyond the page in that direction.
func paginate(n int, seqAt func(int) int64, p listParams) (start, end int, next, prev string) {
	if p.loop && n > 0 {
		return 0, min(n, p.limit), encodeCursor(0), ""
	}
	if p.before {
		end = n
		if p.cursor > 0 {
			end = sort.Search(n, func(i int) bool { return seqAt(i) >= p.cursor })
		}
		start = max(0, end-p.limit)
	} else {
		if p.cursor > 0 {
			start = sort.Search(n, func(i int) bool { return seqAt(i) > p.cursor })
		}
		end = min(n, start+p.limit)
	}
	if end < n {
		var last int64
		if end > 0 {
			last = seqAt(end - 1)
		}
		next = encodeCursor(last)
	}
	if start > 0 {
		prev = encodeCursor(seqAt(start))
	}
	return start, end, next, prev
}

// requiredString reads obj[key], which must be a string; name is how errors
// call it (its path in the request).
func requiredString(obj map[string]any, key, name string) (string, *APIError) {
	v, ok := obj[key]
	if !ok || v == nil {
		return "", missingField(name)
	}
	s, ok := v.(string)
	if !ok {
		return "", unexpectedType(name, "string", jsonType(v))
	}
	return s, nil
}

// stringList reads an optional array-of-strings field.
func stringList(req map[string]any, field string) ([]string, bool, *APIError) {
	v, ok := req[field]
	if !ok || v == nil {
		return nil, false, nil
	}
	arr, ok := v.([]any)
	if !ok {
		return nil, false, unexpectedType(field, "array", jsonType(v))
	}
	out := make([]string, 0, len(arr))
	for _, it := range arr {
		s, ok := it.(string)
		if !ok {
			return nil, false, unexpectedType(field, "string", jsonType(it))
		}
		out = append(out, s)
	}
	return out, true, nil
}

// checkListKeys rejects keys a list request may not carry: names the spec
// does not define for the endpoint (invalid_field), and filters the spec
// defines but the simulator does not implement (bad_request, so a test never
// silently gets unfiltered results). Empty values of unimplemented filters
// are ignored.
func checkListKeys(req map[string]any, supported, unimplemented map[string]bool) *APIError {
	names := make([]string, 0, len(req))
	for k := range req {
		names = append(names, k)
	}
	sort.Strings(names)
	for _, k := range names {
		switch {
		case supported[k]:
		case unimplemented[k]:
			if !isEmptyValue(req[k]) {
				return badRequest("filter %q is not implemented by the sandbox simulator", k)
			}
		default:
			return invalidField(k, "unknown field")
		}
	}
	return nil
}

func isEmptyValue(v any) bool {
	switch t := v.(type) {
	case nil:
		return true
	case []any:
		return len(t) == 0
	case map[string]any:
		return len(t) == 0
	case string:
		return t == ""
	}
	return false
}
