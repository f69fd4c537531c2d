package workdiff

import (
	"fmt"
	"reflect"
	"strings"
	"testing"
)

// walkFields reads what the map path reads, and leaves to it the bodies
// where one walk cannot tell: a repeated key (encoding/json keeps the
// last, null or not; a second custom_fields replaces the first), an
// escaped key, more keys than its set holds.
func TestWalkFieldsIsTheMapPath(t *testing.T) {
	many := make([]string, 40)
	for i := range many {
		many[i] = fmt.Sprintf(`"f%d":%d`, i, i)
	}
	for _, c := range []struct {
		body string
		walk bool
	}{
		{fullBodies["issue"], true},
		{fullBodies["ticket"], true},
		{fullBodies["opportunity"], true},
		{`{"title":"a\"b\n<c>","body":null,"custom_fields":{"tnt__a":null,"tnt__b":"\u00e9"},"type":"issue"}`, true},
		{`{"title":"A","title":null}`, false},
		{`{"title":"A","title":"B"}`, false},
		{`{"custom_fields":{"tnt__a":1},"custom_fields":{"tnt__b":2}}`, false},
		{`{"custom_fields":{"tnt__a":1,"tnt__a":null}}`, false},
		{`{"custom_fields":"x"}`, false},
		{`{"custom_fields":null,"title":"A"}`, true},
		{`{"tit\u006ce":"A"}`, false},
		{`{` + strings.Join(many, ",") + `}`, false},
		{`{` + strings.Join(many[:32], ",") + `}`, true},
	} {
		got, ok := walkFields([]byte(c.body))
		want, err := mapFields([]byte(c.body))
		if ok != c.walk {
			t.Errorf("walkFields(%s) ok = %v, want %v", c.body, ok, c.walk)
		}
		if ok && (err != nil || !reflect.DeepEqual(strs(got), strs(want))) {
			t.Errorf("walkFields(%s) = %s, the map path %s (%v)", c.body, show(got), show(want), err)
		}
		if f, ferr := Fields([]byte(c.body)); (ferr == nil) != (err == nil) || err == nil && !reflect.DeepEqual(strs(f), strs(want)) {
			t.Errorf("Fields(%s) = %s, %v; the map path %s, %v", c.body, show(f), ferr, show(want), err)
		}
	}
}

// FuzzReescapeASCII: whatever reescapeASCII takes, unquoting and
// AppendString (the long way, escapedString's before) write the same.
func FuzzReescapeASCII(f *testing.F) {
	for _, s := range []string{`plain`, `a\"b\\c\/d\b\f\n\r\t`, `\u003c\u003E\u0026\u0000\u001f\u007f\u0022\u005c\u002F`,
		`\u00e9`, `\ud83d\ude00`, "caf\xc3\xa9", `\x`, `\u12`, `"`, "\x01"} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, s []byte) {
		got, ok := reescapeASCII([]byte("x"), s)
		if !ok {
			return
		}
		str, uok := unquote(s)
		if want := AppendString([]byte("x"), str); !uok || string(got) != string(want) {
			t.Fatalf("reescapeASCII(%q) = %q; unquote %v, AppendString %q", s, got, uok, want)
		}
	})
}
