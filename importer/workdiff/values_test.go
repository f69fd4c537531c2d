package workdiff

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"reflect"
	"strings"
	"testing"
)

// Fields splits a create body into canonical fields: the request-only keys
// are dropped, every custom field is its own field, and the same values
// written another way (key order, set order, number and date spelling,
// whitespace) give the same bytes, hence the same hash.
func TestFieldsCanonical(t *testing.T) {
	cases := []struct {
		name string
		a, b string
	}{
		{"key order and spacing",
			`{"type":"issue","title":"T","owned_by":["DEVU-1"]}`,
			`{ "owned_by" : [ "DEVU-1" ], "title" : "T", "type" : "issue" }`},
		{"owners in another order", `{"owned_by":["DEVU-1","DEVU-2"]}`, `{"owned_by":["DEVU-2","DEVU-1"]}`},
		{"tags in another order, keys too",
			`{"tags":[{"id":"TAG-2","value":"x"},{"id":"TAG-1"}]}`,
			`{"tags":[{"id":"TAG-1"},{"value":"x","id":"TAG-2"}]}`},
		{"channels, reporters, contacts, developed_with as sets",
			`{"channels":["slack","email"],"reported_by":["DEVU-3","DEVU-2"],"contacts":["REVU-2","REVU-1"],"developed_with":["PROD-2","CAPL-1"],"artifacts":["ARTIFACT-2","ARTIFACT-1"],"channels_v2":["b","a"]}`,
			`{"channels":["email","slack"],"reported_by":["DEVU-2","DEVU-3"],"contacts":["REVU-1","REVU-2"],"developed_with":["CAPL-1","PROD-2"],"artifacts":["ARTIFACT-1","ARTIFACT-2"],"channels_v2":["a","b"]}`},
		{"numbers by value", `{"amount":1200.50,"probability":0.450,"custom_fields":{"tnt__n":5.0,"tnt__m":1e2}}`, `{"amount":1200.5,"probability":0.45,"custom_fields":{"tnt__n":5,"tnt__m":100}}`},
		{"money amount as a decimal", `{"value":{"amount":"12500.50","currency":"EUR"}}`, `{"value":{"currency":"EUR","amount":"12500.5"}}`},
		{"dates in UTC", `{"target_close_date":"2024-03-01T10:00:00+02:00","start_date":"2024-03-01T08:00:00.000Z"}`, `{"target_close_date":"2024-03-01T08:00:00Z","start_date":"2024-03-01T08:00:00Z"}`},
		{"null and request-only keys are no fields",
			`{"type":"ticket","title":"T","body":null,"custom_fields":{"tnt__a":null,"tnt__b":"x"},"custom_schema_spec":{"tenant_fragment":true},"custom_schema_fragments":["f"],"stage_validation_options":["allow_non_start"]}`,
			`{"type":"issue","title":"T","custom_fields":{"tnt__b":"x"}}`},
	}
	for _, tc := range cases {
		a, err := Fields([]byte(tc.a))
		if err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		b, err := Fields([]byte(tc.b))
		if err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		if !reflect.DeepEqual(Hashes(a), Hashes(b)) {
			t.Errorf("%s: hashes differ:\n%s\n%s", tc.name, show(a), show(b))
		}
	}

	// What a value becomes, exactly.
	v, err := Fields([]byte(`{"type":"issue","title":"a <b> & c","owned_by":["DEVU-2","DEVU-1"],"stage":{"name":"triage"},"priority_v2":2,
		"custom_fields":{"tnt__points":3.50,"tnt__tags":["y","x"]},"custom_schema_spec":{"tenant_fragment":true}}`))
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{
		"title": `"a <b> & c"`, "owned_by": `["DEVU-1","DEVU-2"]`, "stage": `{"name":"triage"}`, "priority_v2": `2`,
		"custom_fields.tnt__points": `3.5`,
		"custom_fields.tnt__tags":   `["y","x"]`, // a custom list keeps its order: it may mean something
	}
	if got := strs(v); !reflect.DeepEqual(got, want) {
		t.Errorf("Fields = %v\nwant     %v", got, want)
	}

	// Different values hash differently.
	x, _ := Fields([]byte(`{"title":"a","tags":[{"id":"TAG-1","value":"x"}]}`))
	y, _ := Fields([]byte(`{"title":"b","tags":[{"id":"TAG-1","value":"y"}]}`))
	hx, hy := Hashes(x), Hashes(y)
	if hx["title"] == hy["title"] || hx["tags"] == hy["tags"] {
		t.Errorf("different values, same hash: %v %v", hx, hy)
	}
	if h := hx["title"]; len(h) != 8 || strings.ContainsAny(h, "+/=") {
		t.Errorf("hash %q is not 8 base64url characters", h)
	}

	for _, bad := range []string{`[1]`, `{"title":`, `{"custom_fields":[1]}`, `nope`} {
		if _, err := Fields([]byte(bad)); err == nil {
			t.Errorf("Fields(%s): no error", bad)
		}
	}
}

// A body the mapping built hashes the same whatever the order of the
// owner and tag cells.
func TestFieldsOfMappedRows(t *testing.T) {
	header := []string{"title", "applies_to_part", "owned_by", "tags", "target_close_date"}
	m := compile(t, "", header, "issue")
	a := mapCells(t, m, []string{"T", "PROD-1", "DEVU-1, DEVU-2", "TAG-1, TAG-2=urgent", "2024-03-01"})
	b := mapCells(t, m, []string{"T", "PROD-1", "DEVU-2, DEVU-1", "TAG-2=urgent, TAG-1", "2024-03-01T00:00:00Z"})
	va, err := Fields(a)
	if err != nil {
		t.Fatal(err)
	}
	vb, _ := Fields(b)
	if got := Changed(Hashes(va), vb); len(got) != 0 {
		t.Errorf("Changed = %v for the same values in another order", got)
	}
	if len(va) != 5 {
		t.Errorf("Fields = %s, want the five mapped fields", show(va))
	}
}

// Changed lists the changed and the emptied fields, sorted, and nothing
// for the same values.
func TestChanged(t *testing.T) {
	prev := Hashes(mustFields(t, `{"type":"issue","title":"T","owned_by":["DEVU-1"],"target_close_date":"2024-03-01T00:00:00Z","custom_fields":{"tnt__a":1,"tnt__b":"x"}}`))
	cases := []struct {
		name, now string
		want      []string
	}{
		{"same", `{"type":"issue","title":"T","owned_by":["DEVU-1"],"target_close_date":"2024-03-01T00:00:00Z","custom_fields":{"tnt__a":1,"tnt__b":"x"}}`, nil},
		{"title and a custom field", `{"title":"U","owned_by":["DEVU-1"],"target_close_date":"2024-03-01T00:00:00Z","custom_fields":{"tnt__a":2,"tnt__b":"x"}}`,
			[]string{"custom_fields.tnt__a", "title"}},
		{"emptied date and custom field, new tags", `{"title":"T","owned_by":["DEVU-1"],"tags":[{"id":"TAG-1"}],"custom_fields":{"tnt__a":1}}`,
			[]string{"custom_fields.tnt__b", "tags", "target_close_date"}},
	}
	for _, tc := range cases {
		if got := Changed(prev, mustFields(t, tc.now)); !reflect.DeepEqual(got, tc.want) {
			t.Errorf("%s: Changed = %v, want %v", tc.name, got, tc.want)
		}
	}
	if got := Changed(nil, mustFields(t, `{"title":"T","body":"B"}`)); !reflect.DeepEqual(got, []string{"body", "title"}) {
		t.Errorf("nothing sent before: Changed = %v, want every field", got)
	}
}

func TestCanonNumber(t *testing.T) {
	for in, want := range map[string]string{
		"5": "5", "5.0": "5", "-0": "0", "-0.0": "0", "0.50": "0.5", "1e2": "100", "1.25E-1": "0.125",
		"007": "7", "-12.3400": "-12.34", "123456789012345678901234567890": "123456789012345678901234567890",
		"x": "x", "0.1": "0.1", "3.14159": "3.14159",
	} {
		if got := string(canonNumber(json.Number(in))); got != want {
			t.Errorf("canonNumber(%s) = %s, want %s", in, got, want)
		}
	}
}

func mustFields(t testing.TB, body string) Values {
	t.Helper()
	v, err := Fields([]byte(body))
	if err != nil {
		t.Fatalf("Fields(%s): %v", body, err)
	}
	return v
}

func strs(v Values) map[string]string {
	out := map[string]string{}
	for k, x := range v {
		out[k] = string(x)
	}
	return out
}

func show(v Values) string {
	b, _ := json.Marshal(strs(v))
	return string(b)
}

// compact re-encodes JSON text canonically (sorted keys) for comparisons.
func compact(t testing.TB, s string) string {
	t.Helper()
	v, err := decode([]byte(s))
	if err != nil {
		t.Fatalf("decoding %s: %v", s, err)
	}
	b, err := encode(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// The cheap way gives what the long way gives, for every value it takes.
func TestFastIsCanonical(t *testing.T) {
	values := []string{`"x"`, `"a <b> & c"`, `"é"`, "\"\u2028\"", `"a\"b"`, `"\u00e9"`, `"a\nb"`, `""`,
		`5`, `-5`, `-0`, `0`, `0.5`, `-0.5`, `2.50`, `2.`, `1.0`, `1e3`, `12345678901234567890`, `true`, `false`, `null`,
		`[]`, `["b","a"]`, `[ "a" , "b" ]`, `["a","a"]`, `["a",1]`, `["a\"b","a"]`, `[["b","a"]]`,
		`{}`, `{"name":"triage"}`, `{"id":"TAG-1","value":"x"}`, `{"value":"x","id":"TAG-1"}`, `{"a":1,"a":2}`, `{"a\u0062":1}`,
		`[{"id":"TAG-2"},{"id":"TAG-1","value":"v"},{"id":"TAG-1"}]`, `{"tenant_fragment":true}`, `{"a":{"c":1,"b":2}}`,
		`{"amount":"12.50","currency":"EUR"}`, `"2024-03-01T10:00:00+02:00"`, `"2024-03-01T08:00:00Z"`, `"2024-03-01T08:00:00.500Z"`,
		`"not a date"`, "\"a\u2029b\"", "\"tab\there\"", `"\u2028"`}
	for _, raw := range values {
		for _, s := range []spec{{}, {set: true}, {date: true}, {kind: kMoney}} {
			long, err := canonicalLong(raw, s)
			short, ok := fastCanon([]byte(raw), s)
			if ok && (err != nil || string(short) != string(long)) {
				t.Errorf("%s (%+v): cheap way %s, long way %s (%v)", raw, s, short, long, err)
			}
		}
	}
	if _, ok := fastCanon([]byte(`{"name":"triage"}`), spec{}); !ok {
		t.Error("a stage took the long way")
	}
}

func canonicalLong(raw string, s spec) (json.RawMessage, error) {
	v, err := decode([]byte(raw))
	if err != nil {
		return nil, err
	}
	return encode(canon(v, s))
}

// Fields takes the long way for bodies the cheap splitter leaves alone
// (escaped or repeated keys) and refuses invalid JSON.
func TestFieldsOddBodies(t *testing.T) {
	v := mustFields(t, `{"t\u0069tle":"A","title":"B","custom_fields":{"tnt__\u0061":1}}`)
	if got := strs(v); !reflect.DeepEqual(got, map[string]string{"title": `"B"`, "custom_fields.tnt__a": `1`}) {
		t.Errorf("Fields = %v", got)
	}
	for _, bad := range []string{`{"title":"A"`, `{"title":"A"} x`, `{"title":}`, `{"custom_fields":{"a":}}`} {
		if _, err := Fields([]byte(bad)); err == nil {
			t.Errorf("Fields(%s): no error", bad)
		}
	}
}

// TestEscapedStringIsTheLongWay: random strings of quotes, backslashes,
// control characters, U+2028/U+2029, "<>&", multi-byte runes, invalid
// UTF-8 and \u escapes (surrogate pairs, lone surrogates), written as
// json.Marshal writes them and by hand: the cheap way gives the bytes
// decode and encode give.
func TestEscapedStringIsTheLongWay(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 8))
	pieces := []string{"a", "Z", " ", `"`, `\`, "\n", "\r", "\t", "\b", "\f", "\x00", "\x1f", "\x7f", "<", ">", "&",
		"é", "€", "😀", "\u2028", "\u2029", "\xff", "\xc3", "\xe2\x80"}
	escapes := []string{`\"`, `\\`, `\/`, `\n`, `\u0041`, `\u00e9`, `\u2028`, `\ud83d\ude00`, `\ud83d`, `\ude00x`, `\u0000`, `\b`, `\f`, "é", "x",
		`\u00E9`, `\uD83D\uDE00`, `\ud83d\u0041`, `\udc00`, `\ud800`, `\u001F`, "\xff", "\xe2\x82"}
	for i := range 20000 {
		var raw []byte
		if i%2 == 0 {
			var b strings.Builder
			for range rng.IntN(12) {
				b.WriteString(pieces[rng.IntN(len(pieces))])
			}
			raw, _ = json.Marshal(b.String())
		} else {
			var b strings.Builder
			b.WriteByte('"')
			for range rng.IntN(8) {
				b.WriteString(escapes[rng.IntN(len(escapes))])
			}
			b.WriteByte('"')
			raw = []byte(b.String())
		}
		long, err := canonicalLong(string(raw), spec{})
		short, ok := escapedString(raw, spec{})
		if !ok || err != nil || string(short) != string(long) {
			t.Fatalf("%s: cheap way %s (%v), long way %s (%v)", raw, short, ok, long, err)
		}
	}
	for _, raw := range []string{`5`, `"2024-03-01T10:00:00+02:00"`, `["a\nb"]`} {
		if _, ok := escapedString([]byte(raw), spec{date: strings.HasPrefix(raw, `"2`)}); ok {
			t.Errorf("%s took the cheap string way", raw)
		}
	}
}

// TestHashesAreEachFieldsHash: Hashes, which cuts its hashes from one
// string, gives every field its own Hash, for fewer fields than its stack
// array holds and for more.
func TestHashesAreEachFieldsHash(t *testing.T) {
	for _, n := range []int{0, 1, 15, 16, 17, 40} {
		v := Values{}
		for i := range n {
			v[fmt.Sprintf("custom_fields.f%d", i)] = json.RawMessage(fmt.Sprintf(`"value %d"`, i))
		}
		got := Hashes(v)
		if len(got) != n {
			t.Fatalf("%d fields: %d hashes", n, len(got))
		}
		for name, val := range v {
			if got[name] != Hash(val) {
				t.Errorf("%d fields: %s: hash %q, want Hash %q", n, name, got[name], Hash(val))
			}
		}
	}
}
