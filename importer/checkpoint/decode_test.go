package checkpoint

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

// agree checks the fast decoder against json.Unmarshal on one line: when
// it decodes the line, json.Unmarshal must accept it and give the same
// anyLine. It reports whether the fast way took the line.
func agree(t testing.TB, d *entryDecoder, line []byte) bool {
	t.Helper()
	agreeLight(t, line)
	var fast anyLine
	if !d.decodeEntry(line, &fast) {
		return false
	}
	var slow anyLine
	if err := json.Unmarshal(line, &slow); err != nil {
		t.Fatalf("the fast way took a line json.Unmarshal refuses (%v):\n%q", err, line)
	}
	if !reflect.DeepEqual(fast, slow) {
		t.Fatalf("the fast way decoded\n%q\nas\n%+v\njson.Unmarshal as\n%+v", line, fast.Entry, slow.Entry)
	}
	return true
}

// agreeLight is agree for a light read: what it keeps equals
// json.Unmarshal's, and the hashes' sum is SumHashes of its fh.
func agreeLight(t testing.TB, line []byte) {
	t.Helper()
	d := entryDecoder{light: true}
	var fast anyLine
	if !d.decodeEntry(line, &fast) {
		return
	}
	var slow anyLine
	if err := json.Unmarshal(line, &slow); err != nil {
		t.Fatalf("the light way took a line json.Unmarshal refuses (%v):\n%q", err, line)
	}
	if sum, ok := slow.hashSum(); ok != fast.summed || sum != fast.fhSum {
		t.Fatalf("light sum %x %v, want %x %v:\n%q", fast.fhSum, fast.summed, sum, ok, line)
	}
	slow.Title, slow.Errors, slow.Candidates, slow.Before, slow.FH = "", nil, nil, nil, nil
	slow.fhSum, slow.summed = fast.fhSum, fast.summed
	if !reflect.DeepEqual(fast, slow) {
		t.Fatalf("the light way decoded\n%q\nas\n%+v\njson.Unmarshal as\n%+v", line, fast.Entry, slow.Entry)
	}
}

// Every line of the committed checkpoints decodes as json.Unmarshal
// decodes it (or is left to it).
func TestDecodeEntryFixtures(t *testing.T) {
	paths, _ := filepath.Glob("testdata/*.jsonl")
	more, _ := filepath.Glob("../cli/testdata/*/*.jsonl")
	paths = append(paths, more...)
	if len(paths) < 3 {
		t.Fatalf("found only %v", paths)
	}
	var d entryDecoder
	taken := 0
	for _, p := range paths {
		f, err := os.Open(p)
		if err != nil {
			t.Fatal(err)
		}
		sc := bufio.NewScanner(f)
		sc.Buffer(nil, 1<<20)
		for sc.Scan() {
			if agree(t, &d, sc.Bytes()) {
				taken++
			}
		}
		f.Close()
	}
	if taken == 0 {
		t.Error("the fast way took no fixture line")
	}
}

// Lines Append writes, of every status and op with hostile contents,
// decode as json.Unmarshal decodes them, and the usual ones take the fast
// way.
func TestDecodeEntryAppended(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	strs := []string{"", "plain", `quote " and \ backslash`, "line\nbreak\ttab\r", "<html> & co", "\u2028\u2029",
		"ünïcödé 😀", "\x00\x01\x1f", "\xff\xfe invalid", strings.Repeat("long ", 3000), "\xed\xa0\x80 surrogate bytes"}
	pick := func() string { return strs[rng.IntN(len(strs))] }
	statuses := statuses[:]
	path := filepath.Join(t.TempDir(), "cp.jsonl")
	j, _, _ := openT(t, path, testHeader, Options{})
	var want []Entry
	for i := range 3000 {
		e := Entry{Row: rng.IntN(1 << 30), Key: fmt.Sprintf("K-%d %s", i, pick()), Status: statuses[rng.IntN(len(statuses))],
			Attempt: rng.IntN(3), Title: pick(), FP: pick(), ID: pick(), DisplayID: pick(), Type: pick(),
			HTTPStatus: rng.IntN(600), Attempts: rng.IntN(9), RS: pick()}
		if e.Status == Found || e.Status == Updating || e.Status == Updated {
			e.Op = OpUpdate
		}
		if rng.IntN(4) == 0 {
			e.Errors = []string{pick(), pick()}
		}
		if rng.IntN(4) == 0 {
			e.Error = &ErrorInfo{Type: pick(), Message: pick()}
		}
		if rng.IntN(4) == 0 {
			e.Candidates, e.Fields = []string{pick()}, []string{"title", pick()}
		}
		if rng.IntN(2) == 0 {
			e.FH = map[string]string{"title": "aaaaaaaa", "custom_fields.tnt__x": pick()}
		}
		if rng.IntN(3) == 0 {
			b, _ := json.Marshal(pick())
			e.Before = map[string]json.RawMessage{"title": b, "owned_by": json.RawMessage(`["DEVU-1",{"a":[1,-2.5e+3,true,null]}]`)}
		}
		if e.Op == "" {
			e.Op = opOf(e.Status) // as Append does before it validates
		}
		if e.validate() != nil {
			continue
		}
		appendT(t, j, e)
		want = append(want, e)
	}
	if err := j.Close(); err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var d entryDecoder
	taken, lines := 0, bytes.Split(bytes.TrimSuffix(data, []byte("\n")), []byte("\n"))
	for _, line := range lines[1:] {
		if agree(t, &d, line) {
			taken++
		}
	}
	// Only the lines with invalid UTF-8 or an escape json.Unmarshal must
	// decode (lone surrogates) may go the long way.
	if taken < len(lines)/2 {
		t.Errorf("the fast way took %d of %d lines", taken, len(lines)-1)
	}
	if len(want) < 2000 {
		t.Fatalf("only %d entries", len(want))
	}
}

// Hand-made lines that are not Append's shape: the fast way leaves them
// to json.Unmarshal, or decodes them as it does.
func TestDecodeEntryHostile(t *testing.T) {
	lines := []string{
		`{"row":1,"key":"a","status":"created"}`,
		`{"row":1,"key":"a","key":"b","status":"created"}`,
		`{"row":1,"Key":"a","status":"created"}`,
		`{"row":1,"key":"a","status":"created","extra":1}`,
		`{"row":1.0,"key":"a"}`, `{"row":1e3,"key":"a"}`, `{"row":01,"key":"a"}`, `{"row":-0,"key":"a"}`,
		`{"row":99999999999999999999,"key":"a"}`, `{"row":9223372036854775807,"key":"a"}`, `{"row":-,"key":"a"}`,
		`{"row":1,"key":null}`, `{"row":1,"key":"a" }`, `{ "row":1}`, `{"row":1,"key":"a"}x`, `{"row":1,"key":"a"`,
		`{"row":1,"key":"a\u0000b"}`, `{"row":1,"key":"a\x"}`, `{"row":1,"key":"a\u12"}`, `{"row":1,"key":"\ud83d\ude00"}`,
		`{"row":1,"key":"\udead"}`, "{\"row\":1,\"key\":\"a\xffb\"}", "{\"row\":1,\"key\":\"a\tb\"}",
		`{"ts":"2026-12-01T22:17:15.28280567Z","key":"a"}`, `{"ts":"2026-12-01T22:17:15+02:00","key":"a"}`,
		`{"ts":"2026-12-01 22:17:15Z","key":"a"}`, `{"ts":"2026-13-01T22:17:15Z","key":"a"}`, `{"ts":1,"key":"a"}`,
		`{"fh":{},"key":"a"}`, `{"fh":{"t":"x","t":"y"},"key":"a"}`, `{"fh":{"t":1},"key":"a"}`, `{"fh":{"t":"x",},"key":"a"}`,
		`{"errors":[],"key":"a"}`, `{"errors":["a",],"key":"a"}`, `{"errors":[null],"key":"a"}`,
		`{"error":{"type":"x","message":"y"},"key":"a"}`, `{"error":{"type":"x","type":"y"},"key":"a"}`, `{"error":{},"key":"a"}`,
		`{"error":null,"key":"a"}`, `{"error":{"code":1},"key":"a"}`,
		`{"before":{"t":"x","o":[1,{"a":null}],"n":-0.5e-7,"b":true},"key":"a"}`, `{"before":{"t":01},"key":"a"}`,
		`{"before":{"t":[1,]},"key":"a"}`, `{"before":{"t":{"a"}},"key":"a"}`, `{"before":{"t":tru},"key":"a"}`,
		`{"before":{"t":"\q"},"key":"a"}`, `{"before":{"t":` + strings.Repeat("[", 100) + strings.Repeat("]", 100) + `},"key":"a"}`,
		`{"before":{"t":1.},"key":"a"}`, `{"before":{"t":.5},"key":"a"}`, `{"before":{"t":1e},"key":"a"}`,
		`{}`, `{"checkpoint":2,"input":"x"}`, `{"run":2}`, `[]`, `"x"`, ``, `{`,
	}
	var d entryDecoder
	for _, l := range lines {
		agree(t, &d, []byte(l))
	}
}

// A journal read through scan gives the same State with the fast way as
// with json.Unmarshal alone.
func TestDecodeEntryStateSame(t *testing.T) {
	path := filepath.Join(t.TempDir(), "cp.jsonl")
	j, _, _ := openT(t, path, testHeader, Options{})
	for i := range 500 {
		key := fmt.Sprintf("TKT-%d", i)
		appendT(t, j, Entry{Row: i + 2, Key: key, Status: Sending, Attempt: 1, Title: "Printer <on> fire", FP: "0123456789abcdef"})
		appendT(t, j, Entry{Row: i + 2, Key: key, Status: Created, ID: fmt.Sprintf("don:core:dvrv-us-1:devo/x:issue/%d", i), DisplayID: "ISS-1",
			Type: "issue", Attempts: 1, FH: fh("title", "aaaaaaaa", "owned_by", fmt.Sprint(i)), RS: FormatRowSum(uint64(i) + 1)})
	}
	if err := j.Close(); err != nil {
		t.Fatal(err)
	}
	_, st, _ := readT(t, path)
	for i := range 500 {
		key := fmt.Sprintf("TKT-%d", i)
		sent, has, _ := st.Sent(key)
		rs, ok := st.RowSum(key)
		if !has || sent.FH["owned_by"] != fmt.Sprint(i) || !ok || rs != uint64(i)+1 {
			t.Fatalf("%s: %+v %v %x %v", key, sent, has, rs, ok)
		}
	}
}

// FuzzDecodeEntry: whatever line the fast way decodes, json.Unmarshal
// decodes the same.
func FuzzDecodeEntry(f *testing.F) {
	f.Add([]byte(`{"row":2,"key":"EXT-1","op":"create","v":2,"status":"created","ts":"2026-12-01T22:17:15.286951859Z","id":"don:core:dvrv-us-1:devo/sandbox:task/2","display_id":"TASK-2","type":"task","attempts":1,"fh":{"title":"W_e118w2"},"rs":"0123456789abcdef"}`))
	f.Add([]byte(`{"row":2,"key":"EXT-1","op":"update","v":2,"status":"updating","ts":"2026-12-01T22:17:22.623436508Z","id":"x","fields":["title"],"before":{"title":"\"Old\" \u003c","owned_by":["DEVU-1"]}}`))
	f.Add([]byte(`{"row":15,"key":"TKT-10","op":"create","v":2,"status":"invalid","ts":"2026-12-01T22:17:15Z","errors":["priority: unknown value \"P9\""]}`))
	f.Add([]byte(`{"row":3,"key":"k","status":"failed","http_status":400,"error":{"type":"bad_request","message":"no"},"candidates":["ISS-1"]}`))
	f.Fuzz(func(t *testing.T, line []byte) {
		var d entryDecoder
		agree(t, &d, line)
	})
}
