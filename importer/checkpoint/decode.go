package checkpoint

import (
	"bytes"
	"encoding/json"
	"math"
	"unicode/utf8"
)

// This file reads entry lines without encoding/json's reflection: a
// journal of a 100,000-row sync holds several hundred thousand of them,
// and reading them back was most of a nightly upsert over unchanged rows.
//
// decodeEntry accepts only the compact shape Journal.Append writes (the
// keys of Entry, once each, spelled exactly, no whitespace, valid UTF-8,
// no nulls) and reports false for anything else, which scan then hands to
// json.Unmarshal: whatever it accepts, it decodes exactly as
// json.Unmarshal into an anyLine would (the differential test and
// FuzzDecodeEntry hold it to that), and every other line, damaged or
// merely unusual, is read as before.

// maxDepth bounds the nesting of a "before" value the decoder skips over.
const maxDepth = 64

// entryDecoder is one line being decoded; names interns the field names
// of fh maps (every row of a mapping has the same) across lines.
type entryDecoder struct {
	b     []byte
	i     int
	names map[string]string
	// light decodes only what a light State keeps: titles, errors,
	// candidates and before values are checked and skipped, and fh is
	// summed (Entry.fhSum) instead of kept.
	light bool
	seen  [][]byte // light: the fh field names of the line so far
}

// decodeEntry decodes the entry line b into l (zero on entry) and reports
// whether it could; false leaves l to be decoded by json.Unmarshal.
func (d *entryDecoder) decodeEntry(b []byte, l *anyLine) bool {
	d.b, d.i = b, 0
	var seen uint32
	return d.object(func(key []byte) bool {
		bit, ok := d.member(key, &l.Entry)
		ok = ok && seen&bit == 0 // a key twice: encoding/json keeps the last; Append never writes one
		seen |= bit
		return ok
	}) && d.i == len(b)
}

// member decodes the value of key into e; bit is the key's, to refuse a
// key twice (encoding/json would keep the last; Append never writes one).
func (d *entryDecoder) member(key []byte, e *Entry) (bit uint32, ok bool) {
	switch string(key) {
	case "row":
		return 1 << 0, d.int(&e.Row)
	case "key":
		return 1 << 1, d.str(&e.Key)
	case "op":
		s, ok := d.known(opNames[:])
		e.Op = Op(s)
		return 1 << 2, ok
	case "v":
		return 1 << 3, d.int(&e.V)
	case "status":
		s, ok := d.known(statusNames[:])
		e.Status = Status(s)
		return 1 << 4, ok
	case "ts":
		return 1 << 5, d.time(e)
	case "attempt":
		return 1 << 6, d.int(&e.Attempt)
	case "title":
		return 1 << 7, d.unkeptStr(&e.Title)
	case "fp":
		return 1 << 8, d.str(&e.FP)
	case "id":
		return 1 << 9, d.str(&e.ID)
	case "display_id":
		return 1 << 10, d.str(&e.DisplayID)
	case "type":
		e.Type, ok = d.known(workTypes[1:])
		return 1 << 11, ok
	case "errors":
		return 1 << 12, d.unkeptStrs(&e.Errors)
	case "http_status":
		return 1 << 13, d.int(&e.HTTPStatus)
	case "error":
		e.Error = new(ErrorInfo)
		return 1 << 14, d.errorInfo(e.Error)
	case "attempts":
		return 1 << 15, d.int(&e.Attempts)
	case "candidates":
		return 1 << 16, d.unkeptStrs(&e.Candidates)
	case "fields":
		return 1 << 17, d.strs(&e.Fields)
	case "fh":
		if d.light {
			return 1 << 18, d.sumHashes(e)
		}
		return 1 << 18, d.fieldHashes(e)
	case "before":
		if d.light {
			return 1 << 19, d.skipObject()
		}
		return 1 << 19, d.before(e)
	case "rs":
		return 1 << 20, d.str(&e.RS)
	}
	return 0, false
}

// unkeptStr reads a string a light State does not keep: into v, or in a
// light read only checked.
func (d *entryDecoder) unkeptStr(v *string) bool {
	if d.light {
		_, _, ok := d.stringToken()
		return ok
	}
	return d.str(v)
}

// unkeptStrs is unkeptStr for an array of strings.
func (d *entryDecoder) unkeptStrs(v *[]string) bool {
	if d.light {
		return d.skipStrs()
	}
	return d.strs(v)
}

// byte consumes c if it is next.
func (d *entryDecoder) byte(c byte) bool {
	if d.i < len(d.b) && d.b[d.i] == c {
		d.i++
		return true
	}
	return false
}

// plainKey reads an object key without escapes or non-ASCII bytes.
func (d *entryDecoder) plainKey() ([]byte, bool) {
	if !d.byte('"') {
		return nil, false
	}
	start := d.i
	for d.i < len(d.b) {
		c := d.b[d.i]
		switch {
		case c == '"':
			d.i++
			return d.b[start : d.i-1], true
		case c == '\\' || c < 0x20 || c >= utf8.RuneSelf:
			return nil, false
		}
		d.i++
	}
	return nil, false
}

// int reads a JSON integer that fits an int (as encoding/json would
// accept it into one: no fraction, no exponent).
func (d *entryDecoder) int(v *int) bool {
	start, neg := d.i, d.byte('-')
	digits := d.i
	var n uint64
	for d.i < len(d.b) && d.b[d.i] >= '0' && d.b[d.i] <= '9' {
		if n > (math.MaxInt64-9)/10 {
			return false // too many digits to be sure: the long way
		}
		n = n*10 + uint64(d.b[d.i]-'0')
		d.i++
	}
	switch {
	case d.i == digits, d.b[digits] == '0' && d.i-digits > 1, d.i-start > 19:
		return false // empty, a leading zero, or longer than any int64
	case d.i < len(d.b) && (d.b[d.i] == '.' || d.b[d.i] == 'e' || d.b[d.i] == 'E'):
		return false
	}
	*v = int(n)
	if neg {
		*v = -int(n)
	}
	return true
}

// opNames and statusNames are the strings known reads without allocating.
var (
	opNames     = [...]string{string(OpCreate), string(OpUpdate), string(OpLink), string(OpComment)}
	statusNames = func() (out [len(statuses)]string) {
		for i, st := range statuses {
			out[i] = string(st)
		}
		return out
	}()
)

// known reads a JSON string, as one of names when it is one.
func (d *entryDecoder) known(names []string) (string, bool) {
	start := d.i
	raw, plain, ok := d.stringToken()
	if ok && plain {
		for _, n := range names {
			if string(raw[1:len(raw)-1]) == n {
				return n, true
			}
		}
	}
	d.i = start
	var s string
	ok = d.str(&s)
	return s, ok
}

// str reads a JSON string into v.
func (d *entryDecoder) str(v *string) bool {
	raw, plain, ok := d.stringToken()
	if !ok {
		return false
	}
	if plain {
		*v = string(raw[1 : len(raw)-1])
		return true
	}
	// Escapes (json.Marshal writes \" \\ \n and \u003c for <, among
	// others): encoding/json decodes the one token, as it would inside the
	// line.
	return json.Unmarshal(raw, v) == nil
}

// stringToken scans a JSON string at d.i and returns it with its quotes;
// plain says it has no escapes. Control bytes and invalid UTF-8 (which
// encoding/json would replace) report false.
func (d *entryDecoder) stringToken() (raw []byte, plain, ok bool) {
	if !d.byte('"') {
		return nil, false, false
	}
	start, plain, ascii := d.i-1, true, true
	for d.i < len(d.b) {
		for d.i < len(d.b) && plainByte[d.b[d.i]] {
			d.i++ // the common bytes, by table
		}
		if d.i == len(d.b) {
			break
		}
		c := d.b[d.i]
		switch {
		case c == '"':
			d.i++
			raw = d.b[start:d.i]
			return raw, plain, ascii || utf8.Valid(raw)
		case c == '\\':
			plain = false
			if !d.escape() {
				return nil, false, false
			}
			continue
		case c < 0x20:
			return nil, false, false
		case c >= utf8.RuneSelf:
			ascii = false
		}
		d.i++
	}
	return nil, false, false
}

// escape steps over the escape sequence at d.i (its backslash first),
// checking it is one JSON has.
func (d *entryDecoder) escape() bool {
	if d.i+1 >= len(d.b) {
		return false
	}
	switch d.b[d.i+1] {
	case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
		d.i += 2
		return true
	case 'u':
		if d.i+6 > len(d.b) {
			return false
		}
		for _, h := range d.b[d.i+2 : d.i+6] {
			if !('0' <= h && h <= '9' || 'a' <= h && h <= 'f' || 'A' <= h && h <= 'F') {
				return false
			}
		}
		d.i += 6
		return true
	}
	return false
}

// plainByte marks the bytes a string holds as they are: printable ASCII
// but the quote and the backslash.
var plainByte = func() (t [256]bool) {
	for c := 0x20; c < utf8.RuneSelf; c++ {
		t[c] = c != '"' && c != '\\'
	}
	return t
}()

// time reads "ts" as time.Time's UnmarshalJSON does (it is what
// json.Unmarshal calls).
func (d *entryDecoder) time(e *Entry) bool {
	raw, _, ok := d.stringToken()
	return ok && e.TS.UnmarshalJSON(raw) == nil
}

// strs reads an array of strings; [] is an empty, non-nil slice, as
// encoding/json makes it.
func (d *entryDecoder) strs(v *[]string) bool {
	out := []string{}
	ok := d.array(func() bool {
		var s string
		ok := d.str(&s)
		out = append(out, s)
		return ok
	})
	*v = out
	return ok
}

// skipStrs steps over an array of strings, checking it.
func (d *entryDecoder) skipStrs() bool {
	return d.array(func() bool {
		_, _, ok := d.stringToken()
		return ok
	})
}

// skipObject steps over an object of any values, checking it (a light
// State keeps no "before" values); a field twice is left to the long way.
func (d *entryDecoder) skipObject() bool {
	d.seen = d.seen[:0]
	return d.object(func(key []byte) bool { return !d.seenBefore(key) && d.skipValue(0) })
}

// seenBefore reports whether name was seen in this object, and notes it.
func (d *entryDecoder) seenBefore(name []byte) bool {
	for _, s := range d.seen {
		if bytes.Equal(s, name) {
			return true
		}
	}
	d.seen = append(d.seen, name)
	return false
}

// sumHashes reads "fh" into Entry.fhSum, SumHashes of the map
// json.Unmarshal would make, without making it.
func (d *entryDecoder) sumHashes(e *Entry) bool {
	d.seen = d.seen[:0]
	var sum uint64
	ok := d.object(func(key []byte) bool {
		raw, plain, ok := d.stringToken()
		if !ok || !plain || d.seenBefore(key) {
			return false
		}
		sum += pairHash(key, raw[1:len(raw)-1])
		return true
	})
	e.fhSum, e.summed = sum, ok
	return ok
}

// errorInfo reads an "error" object.
func (d *entryDecoder) errorInfo(v *ErrorInfo) bool {
	var seen uint8
	return d.object(func(key []byte) bool {
		var bit uint8
		ok := false
		switch string(key) {
		case "type":
			bit, ok = 1, d.str(&v.Type)
		case "message":
			bit, ok = 2, d.str(&v.Message)
		}
		ok = ok && seen&bit == 0
		seen |= bit
		return ok
	})
}

// fieldHashes reads "fh", interning its field names.
func (d *entryDecoder) fieldHashes(e *Entry) bool {
	m := map[string]string{}
	e.FH = m
	return d.object(func(key []byte) bool {
		name, ok := d.names[string(key)]
		if !ok {
			if d.names == nil {
				d.names = map[string]string{}
			}
			name = string(key)
			d.names[name] = name
		}
		if _, dup := m[name]; dup {
			return false
		}
		var h string
		ok = d.str(&h)
		m[name] = h
		return ok
	})
}

// before reads "before": raw values by field, copied.
func (d *entryDecoder) before(e *Entry) bool {
	m := map[string]json.RawMessage{}
	e.Before = m
	return d.object(func(key []byte) bool {
		if _, dup := m[string(key)]; dup {
			return false
		}
		start := d.i
		if !d.skipValue(0) {
			return false
		}
		m[string(key)] = append(json.RawMessage(nil), d.b[start:d.i]...)
		return true
	})
}

// skipValue steps over one compact JSON value, checking its syntax.
func (d *entryDecoder) skipValue(depth int) bool {
	if d.i >= len(d.b) || depth > maxDepth {
		return false
	}
	switch c := d.b[d.i]; {
	case c == '"':
		_, _, ok := d.stringToken()
		return ok
	case c == '{', c == '[':
		return d.skipContainer(depth)
	case c == '-' || c >= '0' && c <= '9':
		return d.skipNumber()
	}
	for _, lit := range [...]string{"true", "false", "null"} {
		if len(d.b)-d.i >= len(lit) && string(d.b[d.i:d.i+len(lit)]) == lit {
			d.i += len(lit)
			return true
		}
	}
	return false
}

// skipContainer steps over an object (keys with any escapes) or an array.
func (d *entryDecoder) skipContainer(depth int) bool {
	if d.byte('[') {
		return d.elements(']', func() bool { return d.skipValue(depth + 1) })
	}
	d.i++ // '{'
	return d.elements('}', func() bool {
		_, _, ok := d.stringToken()
		return ok && d.byte(':') && d.skipValue(depth+1)
	})
}

// object reads a JSON object: fn gets each key (without escapes, see
// plainKey) with d.i at its value, and consumes the value.
func (d *entryDecoder) object(fn func(key []byte) bool) bool {
	return d.byte('{') && d.elements('}', func() bool {
		key, ok := d.plainKey()
		return ok && d.byte(':') && fn(key)
	})
}

// array reads a JSON array: fn consumes each element.
func (d *entryDecoder) array(fn func() bool) bool {
	return d.byte('[') && d.elements(']', fn)
}

// elements reads comma-separated elements with fn up to end, the opening
// bracket already read.
func (d *entryDecoder) elements(end byte, fn func() bool) bool {
	for first := true; ; first = false {
		if d.byte(end) {
			return true
		}
		if !first && !d.byte(',') || !fn() {
			return false
		}
	}
}

// skipNumber steps over a JSON number: -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?
func (d *entryDecoder) skipNumber() bool {
	d.byte('-')
	switch {
	case d.byte('0'):
	case d.digits() == 0:
		return false
	}
	if d.byte('.') && d.digits() == 0 {
		return false
	}
	if d.byte('e') || d.byte('E') {
		if !d.byte('+') {
			d.byte('-')
		}
		if d.digits() == 0 {
			return false
		}
	}
	return true
}

// digits steps over decimal digits and returns how many.
func (d *entryDecoder) digits() int {
	start := d.i
	for d.i < len(d.b) && d.b[d.i] >= '0' && d.b[d.i] <= '9' {
		d.i++
	}
	return d.i - start
}
