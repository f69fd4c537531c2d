package workdiff

import (
	"bytes"
	"encoding/json"
	"math"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/devrev-import/devrev-import/mapping"
)

// This file writes a work's works.create body and its canonical Values in
// one pass over the Work, instead of json.Marshal and then FieldsOfValid
// parsing the bytes it just wrote (every string walked three or four
// times; the import's CPU a work is what bounds an unlimited run).
//
// The body must be byte-identical to json.Marshal(w): its SHA-256 is
// recorded in checkpoints and compared across builds for rows in doubt.
// The Values must be exactly FieldsOfValid(body): every field hash is
// what older builds recorded. So Encode writes what encoding/json writes
// (struct order, omitempty, HTML escaping, floats as encoding/json
// formats them, custom field keys sorted), takes a field's body bytes as
// its canonical form only where FieldsOfValid would return them
// unchanged, builds a plain text's canonical form directly, and leaves
// every other field to canonical, the function FieldsOfValid uses.
// Whatever it does not know (a custom value of another type, NaN, a key
// that needs escapes) goes the old way (TestEncodeIsMarshalAndFields,
// FuzzEncode, TestEncodeKnowsEveryField).

// Encode returns json.Marshal(w) and FieldsOfValid of it, in one pass.
// The error is json.Marshal's (a NaN or infinite number).
func Encode(w *mapping.Work) (body []byte, v Values, err error) {
	if body, v, ok := encodeFast(w); ok {
		return body, v, nil
	}
	return encodeSlow(w)
}

// encodeFast is Encode in one pass; ok is false for a work it leaves to
// encodeSlow: nil, a NaN or infinity, a custom value of another type than
// it covers, a custom key that needs escapes.
func encodeFast(w *mapping.Work) (body []byte, v Values, ok bool) {
	if w == nil {
		return nil, nil, false
	}
	e := encoder{body: make([]byte, 0, bodySize(w)), out: make(Values, 12)} // 16 slots: a work's fields, mostly
	if !e.work(w) {
		return nil, nil, false
	}
	return e.body, e.out, true
}

// encodeSlow is Encode the old way: json.Marshal and FieldsOfValid.
func encodeSlow(w *mapping.Work) ([]byte, Values, error) {
	body, err := json.Marshal(w)
	if err != nil {
		return nil, nil, err
	}
	v, err := FieldsOfValid(body)
	if err != nil {
		return nil, nil, err
	}
	return body, v, nil
}

// workField is one json-tagged field of mapping.Work: its key, and the
// function that appends it (with its separator) when it is not empty,
// false for a value it cannot write (Encode then takes the old way).
type workField struct {
	fieldPut
	// The key's spec, as FieldsOfValid finds it, and whether the key is a
	// field of Values at all (not request-only).
	spec    spec
	isField bool
}

// fieldPut is a key of the table and the function that writes it.
type fieldPut struct {
	key string
	put func(e *encoder, f *workField, w *mapping.Work) bool
}

// workFields are the fields of mapping.Work in struct order, the order
// json.Marshal writes them in (TestEncodeKnowsEveryField checks the
// table against the struct's tags).
var workFields = withSpecs([]fieldPut{
	{"type", func(e *encoder, f *workField, w *mapping.Work) bool { return e.text(f, w.Type, true) }},
	{"title", func(e *encoder, f *workField, w *mapping.Work) bool { return e.text(f, w.Title, false) }},
	{"body", func(e *encoder, f *workField, w *mapping.Work) bool { return e.text(f, w.Body, false) }},
	{"applies_to_part", func(e *encoder, f *workField, w *mapping.Work) bool { return e.text(f, w.AppliesToPart, false) }},
	{"owned_by", func(e *encoder, f *workField, w *mapping.Work) bool { return e.list(f, w.OwnedBy) }},
	{"reported_by", func(e *encoder, f *workField, w *mapping.Work) bool { return e.list(f, w.ReportedBy) }},
	{"artifacts", func(e *encoder, f *workField, w *mapping.Work) bool { return e.list(f, w.Artifacts) }},
	{"tags", func(e *encoder, f *workField, w *mapping.Work) bool { return e.tags(f, w.Tags) }},
	{"stage", func(e *encoder, f *workField, w *mapping.Work) bool { return e.stage(f, w.Stage) }},
	{"stage_validation_options", func(e *encoder, f *workField, w *mapping.Work) bool { return e.list(f, w.StageValidationOptions) }},
	{"target_close_date", func(e *encoder, f *workField, w *mapping.Work) bool { return e.text(f, w.TargetCloseDate, false) }},
	{"custom_fields", func(e *encoder, f *workField, w *mapping.Work) bool { return e.custom(f, w.CustomFields) }},
	{"custom_schema_fragments", func(e *encoder, f *workField, w *mapping.Work) bool { return e.list(f, w.CustomSchemaFragments) }},
	{"custom_schema_spec", func(e *encoder, f *workField, w *mapping.Work) bool { return e.schemaSpec(f, w.CustomSchemaSpec) }},
	{"priority", func(e *encoder, f *workField, w *mapping.Work) bool { return e.text(f, w.Priority, false) }},
	{"account", func(e *encoder, f *workField, w *mapping.Work) bool { return e.text(f, w.Account, false) }},
	{"developed_with", func(e *encoder, f *workField, w *mapping.Work) bool { return e.list(f, w.DevelopedWith) }},
	{"priority_v2", func(e *encoder, f *workField, w *mapping.Work) bool { return e.integer(f, w.PriorityV2) }},
	{"sprint", func(e *encoder, f *workField, w *mapping.Work) bool { return e.text(f, w.Sprint, false) }},
	{"target_start_date", func(e *encoder, f *workField, w *mapping.Work) bool { return e.text(f, w.TargetStartDate, false) }},
	{"amount", func(e *encoder, f *workField, w *mapping.Work) bool { return e.float(f, w.Amount) }},
	{"annual_contract_value", func(e *encoder, f *workField, w *mapping.Work) bool { return e.money(f, w.AnnualContractValue) }},
	{"contacts", func(e *encoder, f *workField, w *mapping.Work) bool { return e.list(f, w.Contacts) }},
	{"customer_budget", func(e *encoder, f *workField, w *mapping.Work) bool { return e.float(f, w.CustomerBudget) }},
	{"forecast_category", func(e *encoder, f *workField, w *mapping.Work) bool { return e.text(f, w.ForecastCategory, false) }},
	{"forecast_category_v2", func(e *encoder, f *workField, w *mapping.Work) bool { return e.integer(f, w.ForecastCategoryV2) }},
	{"probability", func(e *encoder, f *workField, w *mapping.Work) bool { return e.float(f, w.Probability) }},
	{"value", func(e *encoder, f *workField, w *mapping.Work) bool { return e.money(f, w.Value) }},
	{"embedded", func(e *encoder, f *workField, w *mapping.Work) bool { return e.boolean(f, w.Embedded) }},
	{"start_date", func(e *encoder, f *workField, w *mapping.Work) bool { return e.text(f, w.StartDate, false) }},
	{"channels", func(e *encoder, f *workField, w *mapping.Work) bool { return e.list(f, w.Channels) }},
	{"channels_v2", func(e *encoder, f *workField, w *mapping.Work) bool { return e.list(f, w.ChannelsV2) }},
	{"group", func(e *encoder, f *workField, w *mapping.Work) bool { return e.text(f, w.Group, false) }},
	{"is_spam", func(e *encoder, f *workField, w *mapping.Work) bool { return e.boolean(f, w.IsSpam) }},
	{"needs_response", func(e *encoder, f *workField, w *mapping.Work) bool { return e.boolean(f, w.NeedsResponse) }},
	{"rev_org", func(e *encoder, f *workField, w *mapping.Work) bool { return e.text(f, w.RevOrg, false) }},
	{"severity", func(e *encoder, f *workField, w *mapping.Work) bool { return e.text(f, w.Severity, false) }},
	{"source_channel", func(e *encoder, f *workField, w *mapping.Work) bool { return e.text(f, w.SourceChannel, false) }},
	{"source_channel_v2", func(e *encoder, f *workField, w *mapping.Work) bool { return e.text(f, w.SourceChannelV2, false) }},
})

// withSpecs adds to every key of the table its spec and isField.
func withSpecs(puts []fieldPut) []workField {
	fields := make([]workField, len(puts))
	for i, p := range puts {
		_, s := fieldOf([]byte(p.key))
		fields[i] = workField{fieldPut: p, spec: s, isField: !requestOnly[p.key]}
	}
	return fields
}

// from says where a field's canonical form is.
type from uint8

const (
	fromBody      from = iota // the field's body bytes as they are
	fromSide                  // bytes Encode wrote to the side buffer
	fromCanonical             // canonical of the body bytes, with the field's spec
)

// encoder holds a body being written and the Values of its fields. A
// value cut from the body (or the side buffer) stays valid when the
// buffer grows: bytes once written are never changed, and the old array
// lives on under the value (bodySize makes that rare).
type encoder struct {
	body []byte
	side []byte // canonical forms of escaped texts
	out  Values
	bad  bool // canonical refused a value (it does not for valid JSON)
}

// work appends every field of w, in struct order; false when one has a
// value it does not write.
func (e *encoder) work(w *mapping.Work) bool {
	e.body = append(e.body, '{')
	for i := range workFields {
		if f := &workFields[i]; !f.put(e, f, w) {
			return false
		}
	}
	e.body = append(e.body, '}')
	return !e.bad
}

// add sets field name of the Values from the bytes at start:end of the
// body (or the side buffer), as they are or by canonical under s.
func (e *encoder) add(name string, s spec, how from, start, end int) {
	switch how {
	case fromBody:
		e.out[name] = e.body[start:end:end]
	case fromSide:
		e.out[name] = e.side[start:end:end]
	default:
		c, err := canonical(e.body[start:end], s)
		if err != nil {
			e.bad = true
			return
		}
		e.out[name] = c
	}
}

// addValue records, when f is a field of Values, the value written
// since start with its canonical form had as how.
func (e *encoder) addValue(f *workField, start int, how from) {
	if f.isField {
		e.add(f.key, f.spec, how, start, len(e.body))
	}
}

// member appends the separator (unless the object opened at open is
// still empty) and "key":.
func (e *encoder) member(open int, key string) {
	if len(e.body) > open+1 {
		e.body = append(e.body, ',')
	}
	e.body = append(e.body, '"')
	e.body = append(e.body, key...)
	e.body = append(e.body, '"', ':')
}

// text appends a string field (always, for type: it has no omitempty).
func (e *encoder) text(f *workField, s string, always bool) bool {
	if s == "" && !always {
		return true
	}
	e.member(0, f.key)
	e.textValue(f.key, f.spec, f.isField, s)
	return true
}

// textValue appends s quoted and, if it is a field, records where its
// canonical form is: the body's bytes when s needed no escape, else s
// written again the canonical way (no HTML escaping) to the side buffer.
// A date not already in UTC to the second, and a string with invalid
// UTF-8, are left to canonical (json.Marshal writes each bad byte as
// \ufffd, which canonical reads back as U+FFFD, not as the byte).
func (e *encoder) textValue(name string, s spec, isField bool, str string) {
	start := len(e.body)
	var plain bool
	e.body, plain = appendHTMLString(e.body, str)
	switch {
	case !isField:
	case s.date && !(plain && utcSecond(str)):
		e.add(name, s, fromCanonical, start, len(e.body)) // in UTC: canonical's
	case plain:
		e.add(name, s, fromBody, start, len(e.body))
	case utf8.ValidString(str):
		if e.side == nil {
			e.side = make([]byte, 0, len(e.body)-start+64) // its body bytes, and room for another text
		}
		sideStart := len(e.side)
		e.side = AppendString(e.side, str)
		e.add(name, s, fromSide, sideStart, len(e.side))
	default:
		e.add(name, s, fromCanonical, start, len(e.body))
	}
}

// list appends a list of strings. A set's canonical form is its elements
// sorted: the body's bytes when every element is plain and the list
// already in order, else canonical's.
func (e *encoder) list(f *workField, l []string) bool {
	if len(l) == 0 {
		return true
	}
	e.member(0, f.key)
	start := len(e.body)
	e.addValue(f, start, plainOr(e.stringList(l)))
	return true
}

// stringList appends l as a JSON array; plainSorted as for array.
func (e *encoder) stringList(l []string) (plainSorted bool) {
	return e.array(len(l), func(i int) (p bool) {
		e.body, p = appendHTMLString(e.body, l[i])
		return p
	})
}

// array appends n elements, each written by put (which reports whether it
// needed no escape), between brackets. plainSorted reports that every
// element was plain and each one's bytes sort after the last one's: the
// array is then the canonical form of a set of them.
func (e *encoder) array(n int, put func(i int) bool) (plainSorted bool) {
	e.body = append(e.body, '[')
	plainSorted = true
	prev := 0
	for i := range n {
		if i > 0 {
			e.body = append(e.body, ',')
		}
		at := len(e.body)
		p := put(i)
		plainSorted = plainSorted && p && (i == 0 || bytes.Compare(e.body[prev:at-1], e.body[at:]) <= 0)
		prev = at
	}
	e.body = append(e.body, ']')
	return plainSorted
}

// plainOr is fromBody for a value written plain and in canonical order.
func plainOr(plain bool) from {
	if plain {
		return fromBody
	}
	return fromCanonical
}

// tags appends the tags ({"id", "value"} objects, value omitempty); as
// for list, plain tags in order are their own canonical form.
func (e *encoder) tags(f *workField, tags []mapping.SetTag) bool {
	if len(tags) == 0 {
		return true
	}
	e.member(0, f.key)
	start := len(e.body)
	plain := e.array(len(tags), func(i int) bool { return e.object(keyID, tags[i].ID, true, keyValue, tags[i].Value) })
	e.addValue(f, start, plainOr(plain))
	return true
}

// Keys of the small objects, in the order json.Marshal writes them
// (which is also sorted: canonical's order).
const (
	keyID    = "id"
	keyValue = "value"
	keyName  = "name"
)

// object appends {"k1": v1, "k2": v2}, a member omitted when its value
// is empty (k1 only unless keep1: a tag's id has no omitempty). plain
// reports that no value needed an escape.
func (e *encoder) object(k1, v1 string, keep1 bool, k2, v2 string) (plain bool) {
	open := len(e.body)
	e.body = append(e.body, '{')
	plain = true
	var p bool
	if v1 != "" || keep1 {
		e.member(open, k1)
		e.body, p = appendHTMLString(e.body, v1)
		plain = p
	}
	if v2 != "" {
		e.member(open, k2)
		e.body, p = appendHTMLString(e.body, v2)
		plain = plain && p
	}
	e.body = append(e.body, '}')
	return plain
}

// stage appends the stage object ({"id", "name"}, both omitempty).
func (e *encoder) stage(f *workField, s *mapping.StageInit) bool {
	if s == nil {
		return true
	}
	e.member(0, f.key)
	start := len(e.body)
	e.addValue(f, start, plainOr(e.object(keyID, s.ID, false, keyName, s.Name)))
	return true
}

// money appends a money object (amount and currency, always both); its
// canonical amount is a number's shortest form: canonical's.
func (e *encoder) money(f *workField, m *mapping.Money) bool {
	if m == nil {
		return true
	}
	e.member(0, f.key)
	start := len(e.body)
	e.body = append(e.body, '{')
	e.member(start, "amount")
	e.body, _ = appendHTMLString(e.body, m.Amount)
	e.member(start, "currency")
	e.body, _ = appendHTMLString(e.body, m.Currency)
	e.body = append(e.body, '}')
	e.addValue(f, start, fromCanonical)
	return true
}

// integer appends an optional integer: canonical as written.
func (e *encoder) integer(f *workField, n *int64) bool {
	if n == nil {
		return true
	}
	e.member(0, f.key)
	start := len(e.body)
	e.body = strconv.AppendInt(e.body, *n, 10)
	e.addValue(f, start, fromBody)
	return true
}

// float appends an optional number as encoding/json does; false for NaN
// or an infinity (json.Marshal's error).
func (e *encoder) float(f *workField, x *float64) bool {
	if x == nil {
		return true
	}
	e.member(0, f.key)
	start := len(e.body)
	var ok bool
	if e.body, ok = appendFloat(e.body, *x); !ok {
		return false
	}
	e.addValue(f, start, fromCanonical) // 1e-7, -0: canonical's (the span when shortest)
	return true
}

// boolean appends an optional boolean: canonical as written.
func (e *encoder) boolean(f *workField, b *bool) bool {
	if b == nil {
		return true
	}
	e.member(0, f.key)
	start := len(e.body)
	e.body = strconv.AppendBool(e.body, *b)
	e.addValue(f, start, fromBody)
	return true
}

// custom appends the custom fields, keys sorted as json.Marshal sorts a
// map's: each key is a field of Values. It covers what mapping puts
// there (string, int64, float64, bool; nil is null, no field) and int;
// false for anything else and for a key that needs escapes.
func (e *encoder) custom(f *workField, cf map[string]any) bool {
	if len(cf) == 0 {
		return true
	}
	var small [16]string
	keys := small[:0]
	for k := range cf {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	size := 0
	for _, k := range keys {
		if !plainKey(k) {
			return false
		}
		size += len(CustomPrefix) + len(k)
	}
	var names strings.Builder // "custom_fields.KEY" of every key, in one string
	names.Grow(size)
	for _, k := range keys {
		names.WriteString(CustomPrefix)
		names.WriteString(k)
	}
	all, at := names.String(), 0
	e.member(0, f.key)
	open := len(e.body)
	e.body = append(e.body, '{')
	for _, k := range keys {
		e.member(open, k)
		name := all[at : at+len(CustomPrefix)+len(k)]
		at += len(name)
		if !e.customValue(name, cf[k]) {
			return false
		}
	}
	e.body = append(e.body, '}')
	return true
}

// customValue appends the value of a custom field and records it as
// name ("custom_fields.KEY").
func (e *encoder) customValue(name string, v any) bool {
	start := len(e.body)
	how := fromBody
	switch x := v.(type) {
	case nil:
		e.body = append(e.body, "null"...)
		return true // null: no field
	case string:
		e.textValue(name, custom, true, x)
		return true
	case int64:
		e.body = strconv.AppendInt(e.body, x, 10)
	case int:
		e.body = strconv.AppendInt(e.body, int64(x), 10)
	case bool:
		e.body = strconv.AppendBool(e.body, x)
	case float64:
		var ok bool
		if e.body, ok = appendFloat(e.body, x); !ok {
			return false
		}
		how = fromCanonical
	default:
		return false
	}
	e.add(name, custom, how, start, len(e.body))
	return true
}

// schemaSpec appends the custom schema spec (request-only: no field).
func (e *encoder) schemaSpec(f *workField, s *mapping.CustomSchemaSpec) bool {
	if s == nil {
		return true
	}
	e.member(0, f.key)
	open := len(e.body)
	e.body = append(e.body, '{')
	e.inner(open, "apps", s.Apps)
	if d := s.Drop; d != nil {
		e.member(open, "drop")
		dOpen := len(e.body)
		e.body = append(e.body, '{')
		e.inner(dOpen, "apps", d.Apps)
		e.flag(dOpen, "subtype", d.Subtype)
		e.body = append(e.body, '}')
	}
	if s.Subtype != "" {
		e.member(open, "subtype")
		e.body, _ = appendHTMLString(e.body, s.Subtype)
	}
	e.flag(open, "tenant_fragment", s.TenantFragment)
	e.flag(open, "validate_required_fields", s.ValidateRequiredFields)
	e.body = append(e.body, '}')
	return true
}

// inner appends an omitempty list of strings inside the object opened at
// open (no field of Values).
func (e *encoder) inner(open int, key string, l []string) {
	if len(l) == 0 {
		return
	}
	e.member(open, key)
	e.stringList(l)
}

// flag appends an omitempty boolean inside the object opened at open.
func (e *encoder) flag(open int, key string, b bool) {
	if b {
		e.member(open, key)
		e.body = append(e.body, "true"...)
	}
}

// plainKey reports whether json.Marshal writes the map key k unescaped
// (a key with escapes goes the old way: two keys may then be one).
func plainKey(k string) bool {
	for i := 0; i < len(k); i++ {
		if !htmlSafe[k[i]] {
			return false // non-ASCII keys too: rare, and the old way is exact
		}
	}
	return true
}

// appendFloat appends f as encoding/json writes a float64 (ES6 style:
// exponent below 1e-6 and from 1e21, "e-07" as "e-7"); false for NaN and
// the infinities.
func appendFloat(dst []byte, f float64) ([]byte, bool) {
	if math.IsInf(f, 0) || math.IsNaN(f) {
		return dst, false
	}
	format := byte('f')
	if abs := math.Abs(f); abs != 0 && (abs < 1e-6 || abs >= 1e21) {
		format = 'e'
	}
	dst = strconv.AppendFloat(dst, f, format, -1, 64)
	if format == 'e' {
		if n := len(dst); n >= 4 && dst[n-4] == 'e' && dst[n-3] == '-' && dst[n-2] == '0' {
			dst[n-2] = dst[n-1]
			dst = dst[:n-1]
		}
	}
	return dst, true
}

// htmlSafe are the bytes json.Marshal writes as they are, whatever
// follows: ASCII but control characters, quote, backslash, and (HTML
// escaping) < > &. Bytes beyond ASCII are false: they start a rune that
// appendQuoted decodes. jsonSafe are those without HTML escaping (what
// AppendString writes as they are): < > & too.
var htmlSafe, jsonSafe = func() (html, plain [256]bool) {
	for c := 0x20; c < utf8.RuneSelf; c++ {
		plain[c] = c != '"' && c != '\\'
		html[c] = plain[c] && c != '<' && c != '>' && c != '&'
	}
	return html, plain
}()

// appendHTMLString appends s quoted as json.Marshal does (HTML escaping
// on: < > & as \u003c \u003e \u0026; U+2028, U+2029 and invalid UTF-8
// escaped too). plain reports that nothing needed an escape: the bytes
// are then also s's canonical form (outside a date field).
func appendHTMLString(dst []byte, s string) ([]byte, bool) {
	return appendQuoted(dst, s, &htmlSafe)
}

// appendQuoted appends s quoted as encoding/json does, with HTML escaping
// when safe is &htmlSafe and without when it is &jsonSafe; plain reports
// that nothing needed an escape.
func appendQuoted(dst []byte, s string, safe *[256]bool) ([]byte, bool) {
	const hex = "0123456789abcdef"
	dst = append(dst, '"')
	start, plain := 0, true
	for i := 0; ; {
		for i < len(s) && safe[s[i]] { // one lookup a byte: most of a text
			i++
		}
		if i >= len(s) {
			break
		}
		if b := s[i]; b < utf8.RuneSelf {
			plain = false
			dst = append(dst, s[start:i]...)
			switch b {
			case '<', '>', '&': // only with HTML escaping: they are safe without
				dst = append(dst, '\\', 'u', '0', '0', hex[b>>4], hex[b&0xF])
			default:
				dst = appendASCII(dst, b)
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && size == 1:
			dst = append(append(dst, s[start:i]...), `\ufffd`...)
		case r == '\u2028' || r == '\u2029':
			dst = append(append(dst, s[start:i]...), '\\', 'u', '2', '0', '2', hex[r&0xF])
		default:
			i += size
			continue
		}
		plain = false
		i += size
		start = i
	}
	return append(append(dst, s[start:]...), '"'), plain
}

// bodySize is about the length of w's body (its texts with a key and
// punctuation each, and a sixteenth for escapes), so that the body is
// allocated once, and not much larger than it needs, for most works.
func bodySize(w *mapping.Work) int {
	n := 16 + len(w.Type)
	for _, s := range [...]string{w.Title, w.Body, w.AppliesToPart, w.TargetCloseDate, w.Priority, w.Account, w.Sprint,
		w.TargetStartDate, w.ForecastCategory, w.StartDate, w.Group, w.RevOrg, w.Severity, w.SourceChannel, w.SourceChannelV2} {
		if s != "" {
			n += 16 + len(s)
		}
	}
	for _, l := range [...][]string{w.OwnedBy, w.ReportedBy, w.Artifacts, w.DevelopedWith, w.Contacts, w.Channels, w.ChannelsV2} {
		if len(l) > 0 {
			n += 16
		}
		for _, s := range l {
			n += len(s) + 3
		}
	}
	for _, t := range w.Tags {
		n += len(t.ID) + len(t.Value) + 20
	}
	for k, v := range w.CustomFields {
		n += len(k) + 24
		if s, ok := v.(string); ok {
			n += len(s)
		}
	}
	if w.CustomSchemaSpec != nil {
		n += 48
	}
	return n + n/16 + 64 // escapes, and fields of other kinds
}

// utcSecond reports whether canonDate keeps the date-time s as it is,
// without parsing it: YYYY-MM-DDTHH:MM:SS, a fraction of one to nine
// digits not ending in 0 or none, and Z (what mapping writes). Either
// time.Parse refuses s (a 30th of February), and canonDate keeps it, or
// it reads s in UTC, and Format writes the same digits back
// (TestUTCSecondIsCanonDate).
func utcSecond(s string) bool {
	const layout = "dddd-dd-ddTdd:dd:dd"
	if len(s) < len(layout)+1 || s[len(s)-1] != 'Z' {
		return false
	}
	for i := 0; i < len(layout); i++ {
		if c := s[i]; layout[i] == 'd' && (c < '0' || c > '9') || layout[i] != 'd' && c != layout[i] {
			return false
		}
	}
	frac := s[len(layout) : len(s)-1]
	if frac == "" {
		return true
	}
	if len(frac) < 2 || len(frac) > 10 || frac[0] != '.' || frac[len(frac)-1] == '0' {
		return false
	}
	for _, c := range frac[1:] {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}
