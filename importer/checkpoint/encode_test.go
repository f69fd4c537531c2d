package checkpoint

import (
	"bytes"
	"encoding/json"
	"math/rand/v2"
	"os"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"time"
)

// hostileStrings are what a journal's strings may hold: a title or an
// error message from a spreadsheet or a server.
var hostileStrings = []string{
	"", "a", "ISS-12", `"quoted" \back\slash /slash`, "\x00\x01\x1f\x7f", "\b\f\n\r\t",
	"<b>&amp;</b>", "\u2028 line \u2029 para", "\xff\xfe bad UTF-8 \xe2\x82", "é😀 ǅ K ſ",
	"}{][,:", strings.Repeat("x", 300), "\ufffd", "don:core:dvrv-us-1:devo/1:issue/12",
}

// hostileRaws are Before values: raw JSON in the request's shape, with
// the white space and escapes a server may send.
var hostileRaws = []json.RawMessage{
	nil, json.RawMessage(`null`), json.RawMessage(` { "a" : [ 1 , 2.5e3 , "x\u00e9" ] }` + "\n"),
	json.RawMessage(`"<&>\u2028"`), json.RawMessage(`[]`), json.RawMessage(`true`), json.RawMessage(`-0.0`),
}

// hostileTimes are journal stamps: with a monotonic reading, zones, the
// ends of the years encoding/json writes.
var hostileTimes = []time.Time{
	time.Now(), {}, time.Date(2026, 12, 1, 22, 8, 0, 123456789, time.UTC),
	time.Date(2026, 1, 2, 3, 4, 5, 0, time.FixedZone("", -(9*3600+30*60))),
	time.Date(2026, 1, 2, 3, 4, 5, 100, time.FixedZone("X", 14*3600)),
	time.Date(0, 1, 1, 0, 0, 0, 0, time.UTC), time.Date(9999, 12, 31, 23, 59, 59, 999999999, time.UTC),
	time.Date(2026, 6, 1, 0, 0, 0, 0, time.FixedZone("", 23*3600+59*60)),
}

// fillEntry sets every field of e from r by its type (each left zero
// half the time, for omitempty), failing on a type it does not know:
// a new Entry field must be taught to appendEntry and to this test.
func fillEntry(t *testing.T, r *rand.Rand, e *Entry) {
	t.Helper()
	str := func() string { return hostileStrings[r.IntN(len(hostileStrings))] }
	v := reflect.ValueOf(e).Elem()
	for i := range v.NumField() {
		f, sf := v.Field(i), v.Type().Field(i)
		if r.IntN(2) == 0 || !sf.IsExported() {
			continue
		}
		switch x := f.Addr().Interface().(type) {
		case *string:
			*x = str()
		case *Op:
			*x = Op(str())
		case *Status:
			*x = Status(str())
		case *int:
			*x = r.IntN(2000) - 1000
		case *time.Time:
			*x = hostileTimes[r.IntN(len(hostileTimes))]
		case *[]string:
			*x = []string{}
			for range r.IntN(4) {
				*x = append(*x, str())
			}
		case **ErrorInfo:
			*x = &ErrorInfo{Type: str(), Message: str()}
		case *map[string]string:
			*x = map[string]string{}
			for i := range r.IntN(24) { // more than appendHashes keeps on its stack, at times
				(*x)[str()+strconv.Itoa(i%5)] = str()
			}
		case *map[string]json.RawMessage:
			*x = map[string]json.RawMessage{}
			for range r.IntN(4) {
				(*x)[str()] = hostileRaws[r.IntN(len(hostileRaws))]
			}
		default:
			t.Fatalf("Entry.%s (%s): teach appendEntry and fillEntry this field", sf.Name, sf.Type)
		}
	}
}

// encodeJSON is what the journal wrote before appendEntry.
func encodeJSON(e *Entry) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	err := enc.Encode(e)
	return buf.Bytes(), err
}

// appendEntry writes what encoding/json writes for every field of Entry,
// hostile strings, zero values, zones and Before values included, and
// declines only what encoding/json refuses.
func TestAppendEntryMatchesEncodingJSON(t *testing.T) {
	if !fastEntry {
		t.Fatalf("Entry has %d exported fields, appendEntry writes %d: teach it the new ones", exportedFields(reflect.TypeFor[Entry]()), entryFields)
	}
	r := rand.New(rand.NewPCG(15, 80))
	for i := range 20000 {
		var e Entry
		fillEntry(t, r, &e)
		want, err := encodeJSON(&e)
		got, ok := appendEntry([]byte("prefix"), &e)
		switch {
		case err != nil:
			t.Fatalf("entry %d: encoding/json: %v", i, err)
		case !ok:
			t.Fatalf("entry %d: appendEntry declined %+v", i, e)
		case !bytes.Equal(got, append([]byte("prefix"), want...)):
			t.Fatalf("entry %d:\nappendEntry  %s\nencoding/json %s", i, got[len("prefix"):], want)
		}
	}
}

// What encoding/json refuses, appendEntry declines (the journal then
// reports encoding/json's error), leaving dst as it was.
func TestAppendEntryDeclines(t *testing.T) {
	for _, e := range []Entry{
		{Key: "k", TS: time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC)},
		{Key: "k", TS: time.Date(-1, 1, 1, 0, 0, 0, 0, time.UTC)},
		{Key: "k", TS: time.Date(2026, 1, 1, 0, 0, 0, 0, time.FixedZone("", 24*3600))},
		{Key: "k", Before: map[string]json.RawMessage{"title": json.RawMessage(`{"a":`)}},
		{Key: "k", Before: map[string]json.RawMessage{"title": {}}},
	} {
		if _, err := encodeJSON(&e); err == nil {
			t.Errorf("encoding/json took %+v", e)
		}
		if got, ok := appendEntry([]byte("x"), &e); ok || string(got) != "x" {
			t.Errorf("appendEntry(%+v) = %q, %v; want it declined", e, got, ok)
		}
	}
}

// A journal line appendEntry wrote reads back as the entry, and an
// entry it declines is refused by Append as before.
func TestAppendReadsBack(t *testing.T) {
	path := filepath.Join(t.TempDir(), "cp.jsonl")
	j, _, _ := openT(t, path, testHeader, Options{})
	want := Entry{Row: 7, Key: "K-\u2028\"7\"", Status: Created, TS: time.Date(2026, 12, 1, 22, 8, 0, 5, time.UTC),
		ID: "don:x", DisplayID: "ISS-7", Type: "issue", FH: map[string]string{"title": "abc", "body": "d\te"}}
	appendT(t, j, want)
	err := j.Append(Entry{Row: 8, Key: "K-8", Status: Created, TS: t0, Before: map[string]json.RawMessage{"title": json.RawMessage(`{`)}})
	if err == nil || !strings.Contains(err.Error(), "encoding checkpoint line") {
		t.Errorf("Append of a bad Before value: %v", err)
	}
	if err := j.Close(); err != nil {
		t.Fatal(err)
	}
	_, st, _, err := Read(path)
	if err != nil {
		t.Fatal(err)
	}
	want.Op, want.V = OpCreate, EntryVersion
	if got, ok := st.Last(want.Key); !ok || got.ID != want.ID || got.TS != want.TS {
		t.Errorf("read back %+v, %v; want %+v", got, ok, want)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	line, err := encodeJSON(&want)
	if err != nil || !bytes.HasSuffix(data, line) {
		t.Errorf("journal ends %q, want %q (%v)", data[max(0, len(data)-len(line)):], line, err)
	}
}
