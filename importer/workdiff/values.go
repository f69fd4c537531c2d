package workdiff

import (
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"math/big"
	"slices"
	"sort"
	"strings"
	"time"
	"unicode/utf16"
	"unicode/utf8"
)

// Values is a works.create body split into fields: every top-level key
// except the request-only ones (type, custom_schema_spec,
// custom_schema_fragments, stage_validation_options), and each custom field
// as its own field "custom_fields.KEY". Values are canonical JSON: compact,
// object keys sorted, lists that are sets (owned_by, reported_by,
// artifacts, tags, developed_with, contacts, channels, channels_v2) sorted,
// numbers in their shortest decimal form (5.0 is 5), money amounts as such
// decimal strings, and the date-time fields (target_close_date,
// target_start_date, start_date) in UTC, so that equal values are equal
// bytes. A field the body leaves out (or sends as null) is absent.
type Values map[string]json.RawMessage

// Fields splits body, the works.create JSON the mapping produced
// (mapping.Work), into canonical Values.
func Fields(body []byte) (Values, error) {
	if !json.Valid(body) {
		var m map[string]json.RawMessage
		err := json.Unmarshal(body, &m) // its error says where
		return nil, fmt.Errorf("decoding the create body: %w", err)
	}
	return FieldsOfValid(body)
}

// FieldsOfValid is Fields of a body known to be valid JSON, one
// json.Marshal wrote: it skips Fields' check, a fifth of its time.
func FieldsOfValid(body []byte) (Values, error) {
	if out, ok := walkFields(body); ok {
		return out, nil
	}
	return mapFields(body)
}

// mapFields is FieldsOfValid by way of a map of the body's members.
func mapFields(body []byte) (Values, error) {
	top, err := membersOfValid(body)
	if err != nil {
		return nil, fmt.Errorf("decoding the create body: %w", err)
	}
	out := make(Values, len(top))
	for name, raw := range top {
		if requestOnly[name] || isNull(raw) {
			continue
		}
		if name == "custom_fields" {
			if err := splitCustom(raw, out); err != nil {
				return nil, err
			}
			continue
		}
		s, _ := anyType(name) // unknown fields: canonical JSON, no set or date rules
		c, err := canonical(raw, s)
		if err != nil {
			return nil, fmt.Errorf("field %s: %w", name, err)
		}
		out[name] = c
	}
	return out, nil
}

// walkFields is FieldsOfValid in one walk over body, without a map of
// members first (two maps a row were most of the garbage a create made).
// ok is false where the map path decides: a key with escapes or invalid
// UTF-8, a key twice, a custom_fields that is not an object, a value
// canonical refuses.
func walkFields(body []byte) (Values, bool) {
	out := make(Values, 12) // a map of 16 slots: a body's fields, mostly
	var top, cf keySet
	ok := eachMember(body, func(k, v []byte) bool {
		k, fresh := top.add(k)
		switch {
		case !fresh:
			return false
		case requestOnly[string(k)] || isNull(v):
			return true
		case string(k) == "custom_fields":
			return eachMember(v, func(k, v []byte) bool {
				k, fresh := cf.add(k)
				if !fresh {
					return false
				}
				return isNull(v) || addCanonical(out, CustomPrefix+string(k), v, custom)
			})
		}
		name, s := fieldOf(k)
		return addCanonical(out, name, v, s)
	})
	return out, ok
}

// keySet remembers the keys of one object walkFields saw, by hash: a
// repeated key is always found; two keys of one hash (or more keys than
// it holds) also read as a repeat, which only sends the body the map
// path's way.
type keySet struct {
	hashes [32]uint64
	n      int
}

// add returns the plain key k without its quotes, and false when it has
// escapes or invalid UTF-8 or may be a repeat.
func (ks *keySet) add(k []byte) ([]byte, bool) {
	if !plainString(k) || ks.n == len(ks.hashes) {
		return nil, false
	}
	k = k[1 : len(k)-1]
	h := uint64(14695981039346656037) // FNV-1a
	for _, c := range k {
		h = (h ^ uint64(c)) * 1099511628211
	}
	for _, seen := range ks.hashes[:ks.n] {
		if seen == h {
			return nil, false
		}
	}
	ks.hashes[ks.n] = h
	ks.n++
	return k, true
}

// addCanonical sets out[name] to raw's canonical form, false if it has none.
func addCanonical(out Values, name string, raw json.RawMessage, s spec) bool {
	c, err := canonical(raw, s)
	if err != nil {
		return false
	}
	out[name] = c
	return true
}

// membersOfValid splits raw, a JSON object known to be valid JSON (the
// cheap splitters and fastCanon rely on it), into its members.
func membersOfValid(raw []byte) (map[string]json.RawMessage, error) {
	var m map[string]json.RawMessage
	if m, ok := splitTop(raw); ok {
		return m, nil
	}
	if err := json.Unmarshal(raw, &m); err != nil {
		return nil, err
	}
	return m, nil
}

// splitCustom adds every non-null key of a custom_fields object to out.
func splitCustom(raw json.RawMessage, out Values) error {
	cf, err := membersOfValid(raw)
	if err != nil {
		return fmt.Errorf("field custom_fields: %w", err)
	}
	for k, v := range cf {
		if isNull(v) {
			continue
		}
		c, err := canonical(v, custom)
		if err != nil {
			return fmt.Errorf("field %s%s: %w", CustomPrefix, k, err)
		}
		out[CustomPrefix+k] = c
	}
	return nil
}

func isNull(raw json.RawMessage) bool {
	return len(bytes.TrimSpace(raw)) == 0 || string(bytes.TrimSpace(raw)) == "null"
}

// Hash is 8 base64url characters of a 48-bit hash (the first bytes of
// SHA-256) of v, a canonical value as Fields or Served return it. 48 bits:
// two different values of one field of one row collide about once in
// 2.8e14 changes, and the checkpoint keeps a few bytes a field.
func Hash(v json.RawMessage) string {
	return string(appendHash(make([]byte, 0, hashLen), v))
}

// appendHash appends v's Hash to dst.
func appendHash(dst []byte, v json.RawMessage) []byte {
	sum := sha256.Sum256(v)
	return base64.RawURLEncoding.AppendEncode(dst, sum[:hashBytes])
}

// Hashes returns the Hash of every field of v. The hashes are cut from
// one string (one allocation a row, not one a field).
func Hashes(v Values) map[string]string {
	out := make(map[string]string, len(v))
	var small [16]string
	names := small[:0]
	text := make([]byte, 0, hashLen*len(v))
	for name, val := range v {
		text = appendHash(text, val)
		names = append(names, name)
	}
	all := string(text)
	for i, name := range names {
		out[name] = all[i*hashLen : (i+1)*hashLen]
	}
	return out
}

// hashBytes of SHA-256 make a Hash of hashLen base64url characters.
const (
	hashBytes = 6
	hashLen   = 8
)

// Changed lists, sorted, the fields of now whose hash differs from prev
// (or that prev lacks), and the fields of prev absent in now: their cell
// was emptied, and the update clears them.
func Changed(prev map[string]string, now Values) []string {
	var out []string
	for name, val := range now {
		if h, ok := prev[name]; !ok || h != Hash(val) {
			out = append(out, name)
		}
	}
	for name := range prev {
		if _, ok := now[name]; !ok {
			out = append(out, name)
		}
	}
	sort.Strings(out)
	return out
}

// canonical returns raw, valid JSON, as canonical JSON under the rules of s.
func canonical(raw json.RawMessage, s spec) (json.RawMessage, error) {
	if c, ok := fastCanon(raw, s); ok {
		return c, nil
	}
	if c, ok := escapedString(raw, s); ok {
		return c, nil
	}
	v, err := decode(raw)
	if err != nil {
		return nil, err
	}
	return encode(canon(v, s))
}

// escapedString is the canonical form of raw, a valid JSON string with
// escapes (a description with newlines, a title with quotes or "<", which
// json.Marshal writes as \u003c: most rows have one) outside a date
// field: what decode and encode give, without a Decoder, an Encoder and
// an interface value per field (an unchanged row's upsert spent most of
// its time there). ok is false for anything but a string.
func escapedString(raw []byte, s spec) ([]byte, bool) {
	raw = bytes.TrimSpace(raw)
	if s.date || len(raw) < 2 || raw[0] != '"' {
		return nil, false
	}
	if c, ok := reescapeASCII(make([]byte, 0, len(raw)), raw[1:len(raw)-1]); ok {
		return c, true
	}
	str, ok := unquote(raw[1 : len(raw)-1])
	if !ok {
		return nil, false
	}
	return AppendString(make([]byte, 0, len(raw)), str), true
}

// reescapeASCII appends to dst, quoted, what AppendString writes for the
// string whose JSON text (without quotes) is s, in one pass without
// decoding it first: for an ASCII string (a \u escape of a character
// beyond ASCII, or a byte beyond, is !ok: unquote's way decides those).
func reescapeASCII(dst, s []byte) ([]byte, bool) {
	dst = append(dst, '"')
	for r := 0; r < len(s); {
		c := s[r]
		switch {
		case c == '\\':
			if r+1 >= len(s) {
				return nil, false
			}
			switch e := s[r+1]; e {
			case '"', '\\', 'b', 'f', 'n', 'r', 't':
				dst = append(dst, '\\', e)
			case '/':
				dst = append(dst, '/')
			case 'u':
				rr, ok := hex4(s[r+2:])
				if !ok || rr >= utf8.RuneSelf {
					return nil, false
				}
				dst = appendASCII(dst, byte(rr))
				r += 6
				continue
			default:
				return nil, false
			}
			r += 2
		case c == '"' || c < ' ' || c >= utf8.RuneSelf:
			return nil, false
		default:
			dst = append(dst, c)
			r++
		}
	}
	return append(dst, '"'), true
}

// unquote decodes the inside of a JSON string as encoding/json does:
// escapes by name and \uXXXX (a surrogate pair is one rune, a lone
// surrogate U+FFFD), invalid UTF-8 as U+FFFD. ok is false for what is no
// valid inside of a string (encoding/json then decides).
func unquote(s []byte) (string, bool) {
	b := make([]byte, 0, len(s))
	for r := 0; r < len(s); {
		c := s[r]
		switch {
		case c == '\\':
			if r+1 >= len(s) {
				return "", false
			}
			switch e := s[r+1]; e {
			case '"', '\\', '/':
				b = append(b, e)
			case 'b':
				b = append(b, '\b')
			case 'f':
				b = append(b, '\f')
			case 'n':
				b = append(b, '\n')
			case 'r':
				b = append(b, '\r')
			case 't':
				b = append(b, '\t')
			case 'u':
				rr, ok := hex4(s[r+2:])
				if !ok {
					return "", false
				}
				r += 6
				if utf16.IsSurrogate(rr) {
					if len(s) >= r+2 && s[r] == '\\' && s[r+1] == 'u' {
						if rr1, ok := hex4(s[r+2:]); ok {
							if d := utf16.DecodeRune(rr, rr1); d != utf8.RuneError {
								b = utf8.AppendRune(b, d)
								r += 6
								continue
							}
						}
					}
					rr = utf8.RuneError
				}
				b = utf8.AppendRune(b, rr)
				continue
			default:
				return "", false
			}
			r += 2
		case c == '"' || c < ' ':
			return "", false
		case c < utf8.RuneSelf:
			b = append(b, c)
			r++
		default:
			rr, size := utf8.DecodeRune(s[r:])
			b = utf8.AppendRune(b, rr)
			r += size
		}
	}
	return string(b), true
}

// hex4 reads the four hex digits of a \u escape.
func hex4(s []byte) (rune, bool) {
	if len(s) < 4 {
		return 0, false
	}
	var r rune
	for _, c := range s[:4] {
		switch {
		case '0' <= c && c <= '9':
			c -= '0'
		case 'a' <= c && c <= 'f':
			c = c - 'a' + 10
		case 'A' <= c && c <= 'F':
			c = c - 'A' + 10
		default:
			return 0, false
		}
		r = r*16 + rune(c)
	}
	return r, true
}

// AppendString appends s, quoted, as encoding/json does without HTML escaping:
// quote, backslash and control characters escaped (\b \f \n \r \t by
// name, the others as \u00XX), U+2028 and U+2029 as \u2028 and \u2029,
// invalid UTF-8 as \ufffd.
func AppendString(dst []byte, s string) []byte {
	dst, _ = appendQuoted(dst, s, &jsonSafe)
	return dst
}

// appendASCII appends the ASCII character b as AppendString writes it.
func appendASCII(dst []byte, b byte) []byte {
	const hex = "0123456789abcdef"
	switch b {
	case '"', '\\':
		return append(dst, '\\', b)
	case '\b':
		return append(dst, '\\', 'b')
	case '\f':
		return append(dst, '\\', 'f')
	case '\n':
		return append(dst, '\\', 'n')
	case '\r':
		return append(dst, '\\', 'r')
	case '\t':
		return append(dst, '\\', 't')
	}
	if b < 0x20 {
		return append(dst, '\\', 'u', '0', '0', hex[b>>4], hex[b&0xF])
	}
	return append(dst, b)
}

// decode reads JSON keeping numbers as json.Number.
func decode(raw []byte) (any, error) {
	d := json.NewDecoder(bytes.NewReader(raw))
	d.UseNumber()
	var v any
	if err := d.Decode(&v); err != nil {
		return nil, err
	}
	if d.More() {
		return nil, fmt.Errorf("more than one JSON value")
	}
	return v, nil
}

// encode writes v compactly, object keys sorted, without HTML escaping.
func encode(v any) (json.RawMessage, error) {
	var b bytes.Buffer
	e := json.NewEncoder(&b)
	e.SetEscapeHTML(false)
	if err := e.Encode(v); err != nil {
		return nil, err
	}
	return bytes.TrimSuffix(b.Bytes(), []byte("\n")), nil
}

// canon puts a decoded value into canonical form: numbers shortest, a
// set's elements sorted by their canonical JSON, date-times in UTC, money
// amounts as decimal strings.
func canon(v any, s spec) any {
	switch x := v.(type) {
	case json.Number:
		return canonNumber(x)
	case string:
		if s.date {
			return canonDate(x)
		}
		return x
	case []any:
		for i := range x {
			x[i] = canon(x[i], spec{})
		}
		if s.set {
			sortByJSON(x)
		}
		return x
	case map[string]any:
		for k, e := range x {
			x[k] = canon(e, spec{})
		}
		if s.kind == kMoney {
			if n, ok := x["amount"].(json.Number); ok {
				x["amount"] = string(n)
			}
			if a, ok := x["amount"].(string); ok {
				x["amount"] = string(canonNumber(json.Number(a)))
			}
		}
		return x
	}
	return v
}

// sortByJSON sorts decoded values by their compact JSON.
func sortByJSON(list []any) {
	keys := make([]string, len(list))
	for i, e := range list {
		b, _ := encode(e)
		keys[i] = string(b)
	}
	idx := make([]int, len(list))
	for i := range idx {
		idx[i] = i
	}
	sort.SliceStable(idx, func(a, b int) bool { return keys[idx[a]] < keys[idx[b]] })
	sorted := make([]any, len(list))
	for i, j := range idx {
		sorted[i] = list[j]
	}
	copy(list, sorted)
}

// canonNumber writes a number in its shortest exact decimal form: 5.0 is
// 5, 1e2 is 100, -0 is 0, 0.50 is 0.5. A literal that is no number, or
// one whose exact form would be huge, is kept as it is.
func canonNumber(n json.Number) json.Number {
	s := string(n)
	if !strings.ContainsAny(s, ".eE") && !strings.HasPrefix(s, "-0") && !strings.HasPrefix(s, "0") {
		return n // an integer already in canonical form: the common case
	}
	if len(s) > 64 {
		return n
	}
	r, ok := new(big.Rat).SetString(s)
	if !ok {
		return n
	}
	if r.IsInt() {
		if len(r.Num().String()) > 64 {
			return n
		}
		return json.Number(r.Num().String())
	}
	// The literal is decimal, so its exact expansion ends within as many
	// digits as its denominator's factors of 2 and 5 need.
	digits := r.Denom().BitLen() * 2
	if digits > 64 {
		return n
	}
	out := strings.TrimRight(r.FloatString(digits), "0")
	return json.Number(out)
}

// canonDate writes an RFC 3339 date-time in UTC; text that is no
// date-time is kept.
func canonDate(s string) string {
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return s
	}
	return t.UTC().Format(time.RFC3339Nano)
}

// Names returns the field names of v, sorted.
func (v Values) Names() []string {
	out := make([]string, 0, len(v))
	for name := range v {
		out = append(out, name)
	}
	slices.Sort(out)
	return out
}
