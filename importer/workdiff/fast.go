package workdiff

import (
	"bytes"
	"encoding/json"
	"slices"
	"unicode/utf8"
)

// This file is the cheap way to canonical JSON for the values most rows
// have: strings without escapes, integers and short decimals, booleans,
// lists of those, and objects with few plain keys (a stage, tags). An
// upsert run computes Fields of every row, so what leaves most fields
// unchanged must not go through encoding/json's reflection. Anything else
// (escapes, exponents, unsorted keys, money, dates) takes the long way,
// which gives the same bytes (TestFastIsCanonical).

// fastCanon returns the canonical form of raw, a valid JSON value, when
// it can be had without decoding; ok is false otherwise.
func fastCanon(raw []byte, s spec) (out []byte, ok bool) {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 {
		return nil, false
	}
	switch raw[0] {
	case '[':
		return fastList(raw, s)
	case '{':
		if s.kind == kMoney {
			return nil, false
		}
		return fastObject(raw)
	}
	return plainScalar(raw, s)
}

// plainScalar returns raw itself when it already is canonical: a string
// without escapes (encode writes none for it either) outside a date field,
// a number in its shortest form, true or false.
func plainScalar(raw []byte, s spec) ([]byte, bool) {
	if len(raw) == 0 {
		return nil, false
	}
	switch c := raw[0]; {
	case c == '"':
		if !plainString(raw) {
			return nil, false
		}
		if s.date {
			return fastDate(raw)
		}
		return raw, true
	case c == 't' || c == 'f':
		return raw, string(raw) == "true" || string(raw) == "false"
	case c == '-' || c >= '0' && c <= '9':
		return raw, shortestNumber(raw)
	}
	return nil, false
}

// plainString reports whether raw is a JSON string that encode writes
// the same: valid UTF-8 without escapes, control characters, U+2028 or
// U+2029 (encoding/json escapes those two even without HTML escaping).
func plainString(raw []byte) bool {
	if len(raw) < 2 || raw[0] != '"' || raw[len(raw)-1] != '"' {
		return false
	}
	ascii := true
	for i, c := range raw[1 : len(raw)-1] {
		switch {
		case c < 0x20 || c == '"' || c == '\\':
			return false
		case c == 0xE2 && i+3 < len(raw) && raw[i+2] == 0x80 && (raw[i+3] == 0xA8 || raw[i+3] == 0xA9):
			return false
		case c >= 0x80:
			ascii = false
		}
	}
	return ascii || utf8.Valid(raw)
}

// fastDate writes a plain date-time string in UTC, as canonDate does.
func fastDate(raw []byte) ([]byte, bool) {
	s := string(raw[1 : len(raw)-1])
	c := canonDate(s)
	if c == s {
		return raw, true
	}
	return append(append(append(make([]byte, 0, len(c)+2), '"'), c...), '"'), true
}

// shortestNumber reports whether a number literal is already as
// canonNumber writes it: -?(0|[1-9][0-9]*)(.[0-9]*[1-9])?, not -0.
func shortestNumber(b []byte) bool {
	neg := b[0] == '-'
	if neg {
		b = b[1:]
	}
	intPart, frac, hasFrac := bytes.Cut(b, []byte("."))
	if len(intPart) == 0 || len(intPart) > 1 && intPart[0] == '0' || !allDigits(intPart) {
		return false
	}
	if hasFrac {
		return len(frac) > 0 && allDigits(frac) && frac[len(frac)-1] != '0'
	}
	return !neg || intPart[0] != '0'
}

func allDigits(b []byte) bool {
	for _, d := range b {
		if d < '0' || d > '9' {
			return false
		}
	}
	return true
}

// fastList canonicalises a list whose elements all take the cheap way;
// a set's elements are sorted by their canonical bytes, as sortByJSON does.
func fastList(raw []byte, s spec) ([]byte, bool) {
	if s.date {
		return nil, false
	}
	var elems [][]byte
	ok := eachElement(raw, func(e []byte) bool {
		c, ok := fastCanon(e, spec{})
		elems = append(elems, c)
		return ok
	})
	if !ok {
		return nil, false
	}
	if s.set {
		slices.SortStableFunc(elems, bytes.Compare)
	}
	return join('[', elems, ']'), true
}

// fastObject canonicalises an object whose keys are plain and already in
// order, and whose values take the cheap way.
func fastObject(raw []byte) ([]byte, bool) {
	var parts [][]byte
	var last []byte
	ok := eachMember(raw, func(k, v []byte) bool {
		if _, plain := plainScalar(k, spec{}); !plain || last != nil && bytes.Compare(last, k) >= 0 {
			return false
		}
		last = k
		c, ok := fastCanon(v, spec{})
		if !ok {
			return false
		}
		part := make([]byte, 0, len(k)+1+len(c))
		parts = append(parts, append(append(append(part, k...), ':'), c...))
		return true
	})
	if !ok {
		return nil, false
	}
	return join('{', parts, '}'), true
}

func join(open byte, parts [][]byte, close byte) []byte {
	n := 2
	for _, p := range parts {
		n += len(p) + 1
	}
	out := make([]byte, 0, n)
	out = append(out, open)
	for i, p := range parts {
		if i > 0 {
			out = append(out, ',')
		}
		out = append(out, p...)
	}
	return append(out, close)
}

// eachMember calls f with every key (with its quotes) and value of a JSON
// object, stopping when f returns false; false when raw is not an object
// it can split (it expects valid JSON).
func eachMember(raw []byte, f func(k, v []byte) bool) bool {
	return each(raw, '{', '}', f)
}

// eachElement is eachMember for the elements of a JSON array.
func eachElement(raw []byte, f func(e []byte) bool) bool {
	return each(raw, '[', ']', func(_, e []byte) bool { return f(e) })
}

// each walks the members (open '{') or elements (open '[') of raw.
func each(raw []byte, open, close byte, f func(k, v []byte) bool) bool {
	i := skipSpace(raw, 0)
	if i >= len(raw) || raw[i] != open {
		return false
	}
	i = skipSpace(raw, i+1)
	if i < len(raw) && raw[i] == close {
		return skipSpace(raw, i+1) == len(raw)
	}
	for i < len(raw) {
		var key []byte
		if open == '{' {
			kEnd := skipValue(raw, i)
			if kEnd < 0 || raw[i] != '"' {
				return false
			}
			key = raw[i:kEnd]
			if i = skipSpace(raw, kEnd); i >= len(raw) || raw[i] != ':' {
				return false
			}
			i = skipSpace(raw, i+1)
		}
		end := skipValue(raw, i)
		if end < 0 || !f(key, raw[i:end]) {
			return false
		}
		if i = skipSpace(raw, end); i >= len(raw) {
			return false
		}
		switch raw[i] {
		case ',':
			i = skipSpace(raw, i+1)
		case close:
			return skipSpace(raw, i+1) == len(raw)
		default:
			return false
		}
	}
	return false
}

func skipSpace(b []byte, i int) int {
	for i < len(b) && (b[i] == ' ' || b[i] == '\t' || b[i] == '\n' || b[i] == '\r') {
		i++
	}
	return i
}

// skipValue returns the index just after the JSON value starting at b[i],
// or -1 when it runs off the end.
func skipValue(b []byte, i int) int {
	if i >= len(b) {
		return -1
	}
	switch b[i] {
	case '"':
		return skipString(b, i)
	case '{', '[':
		depth := 0
		for ; i < len(b); i++ {
			switch b[i] {
			case '"':
				if i = skipString(b, i); i < 0 {
					return -1
				}
				i--
			case '{', '[':
				depth++
			case '}', ']':
				if depth--; depth == 0 {
					return i + 1
				}
			}
		}
		return -1
	}
	for ; i < len(b); i++ {
		switch b[i] {
		case ',', '}', ']', ' ', '\t', '\n', '\r', ':':
			return i
		}
	}
	return i
}

// skipString returns the index just after the string starting at b[i].
func skipString(b []byte, i int) int {
	for i++; i < len(b); i++ {
		switch b[i] {
		case '\\':
			i++
		case '"':
			return i + 1
		}
	}
	return -1
}

// splitTop returns the members of a JSON object as a map of raw values,
// without reflection; ok is false when the object has a key with escapes
// or invalid UTF-8, or a key twice (encoding/json then decides).
func splitTop(raw []byte) (map[string]json.RawMessage, bool) {
	out := make(map[string]json.RawMessage, 24)
	ok := eachMember(raw, func(k, v []byte) bool {
		if !plainString(k) {
			return false // escapes, invalid UTF-8: as encoding/json reads it
		}
		name := string(k[1 : len(k)-1])
		if _, dup := out[name]; dup {
			return false
		}
		out[name] = v
		return true
	})
	return out, ok
}
