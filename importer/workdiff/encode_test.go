package workdiff

import (
	"bufio"
	"bytes"
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"testing"

	"github.com/devrev-import/devrev-import/importer/source"
	"github.com/devrev-import/devrev-import/mapping"
)

// checkEncode fails unless Encode(w) is json.Marshal(w) byte for byte
// and FieldsOfValid of that exactly (json.Marshal's error when it has
// one); fast says the one pass must have written it (not the old way).
func checkEncode(t testing.TB, w *mapping.Work, fast bool) {
	t.Helper()
	want, merr := json.Marshal(w)
	body, v, err := Encode(w)
	if merr != nil {
		if err == nil || err.Error() != merr.Error() {
			t.Fatalf("Encode error %v, json.Marshal's %v", err, merr)
		}
		return
	}
	if err != nil {
		t.Fatalf("Encode: %v (json.Marshal wrote %s)", err, want)
	}
	if !bytes.Equal(body, want) {
		t.Fatalf("Encode body\n%s\njson.Marshal\n%s", body, want)
	}
	wantV, err := FieldsOfValid(want)
	if err != nil {
		t.Fatalf("FieldsOfValid(%s): %v", want, err)
	}
	if !reflect.DeepEqual(v, wantV) {
		t.Fatalf("body %s\nEncode values %s\nFieldsOfValid %s", body, show(v), show(wantV))
	}
	if _, _, ok := encodeFast(w); fast && !ok {
		t.Fatalf("Encode took the old way for %s", body)
	}
}

func mustMarshal(t testing.TB, w *mapping.Work) []byte {
	t.Helper()
	b, err := json.Marshal(w)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func ptr[T any](v T) *T { return &v }

// escapes holds a string of every class json.Marshal escapes, or not.
var escapes = []string{
	"", "plain", "a\"b", `back\slash`, "slash/", "\b\f\n\r\t", "\x00\x01\x1f", "\x7f", "<tag> & more",
	"line\u2028para\u2029", "bad \xff\xfe utf8", "cut \xc3", "surrogate \xed\xa0\x80", "emoji 😀", "é ü ß",
	"\ufffd literal", "trailing space ", "Über 20%; \"Acme\" <sometimes>.\n",
}

// dates are date-time texts (and near misses) for the date fields.
var dates = []string{
	"2024-03-01T00:00:00Z", "2024-03-01T10:00:00+02:00", "2024-03-01T10:00:00.500Z", "2024-02-30T00:00:00Z",
	"not a date", "2024-03-01", "2024-03-01T10:00:00\u003c", "2024-03-01T10:00:00+02:00\n", "0001-01-01T00:00:00Z",
}

// floats are numbers of every form encoding/json writes.
var floats = []float64{0, math.Copysign(0, -1), 1e-7, -1e-7, 1e-6, 1e20, 1e21, 0.1, 12500.5, 5, -3,
	math.MaxFloat64, math.SmallestNonzeroFloat64, 123456789.123, 1.5e300, 0.45}

// TestEncodeIsMarshalAndFields: for works of every field set, empty edge
// and string, number and custom value class, Encode is exactly
// json.Marshal and FieldsOfValid, in one pass.
func TestEncodeIsMarshalAndFields(t *testing.T) {
	checkEncode(t, &mapping.Work{}, true)
	checkEncode(t, &mapping.Work{Type: "issue", OwnedBy: []string{}, Tags: []mapping.SetTag{}, CustomFields: map[string]any{},
		Stage: &mapping.StageInit{}, CustomSchemaSpec: &mapping.CustomSchemaSpec{Drop: &mapping.CustomSchemaSpecDrop{}}}, true)
	checkEncode(t, &mapping.Work{Type: "issue", Tags: []mapping.SetTag{{}, {Value: "v"}}, Stage: &mapping.StageInit{Name: "n"}}, true)
	for _, s := range escapes {
		checkEncode(t, &mapping.Work{Type: s, Title: s, Body: s, AppliesToPart: s, Priority: s, Sprint: s, Severity: s,
			OwnedBy: []string{s}, ReportedBy: []string{s, "a"}, Artifacts: []string{"a", s}, StageValidationOptions: []string{s},
			Tags: []mapping.SetTag{{ID: s}, {ID: "T", Value: s}}, Stage: &mapping.StageInit{ID: s, Name: s},
			CustomFields: map[string]any{"tnt__s": s, "tnt__n": int64(1)}, CustomSchemaFragments: []string{s},
			CustomSchemaSpec: &mapping.CustomSchemaSpec{Apps: []string{s}, Subtype: s, Drop: &mapping.CustomSchemaSpecDrop{Apps: []string{s}, Subtype: true}},
			Value:            &mapping.Money{Amount: s, Currency: s}, TargetCloseDate: s, StartDate: s}, true)
	}
	for _, d := range dates {
		checkEncode(t, &mapping.Work{Type: "issue", TargetCloseDate: d, TargetStartDate: d, StartDate: d,
			CustomFields: map[string]any{"tnt__at": d}}, true)
	}
	for _, f := range floats {
		checkEncode(t, &mapping.Work{Type: "opportunity", Amount: ptr(f), CustomerBudget: ptr(-f), Probability: ptr(f / 3),
			CustomFields: map[string]any{"tnt__f": f, "tnt__g": -f}}, true)
	}
	for _, n := range []int64{0, -1, 7, math.MaxInt64, math.MinInt64} {
		checkEncode(t, &mapping.Work{Type: "issue", PriorityV2: ptr(n), ForecastCategoryV2: ptr(-n),
			CustomFields: map[string]any{"tnt__i": n, "tnt__j": int(n)}}, true)
	}
	for _, amount := range []string{"12500.50", "12500.5", "1e3", "-0", "0.10", "", "abc", "007"} {
		checkEncode(t, &mapping.Work{Type: "opportunity", Value: &mapping.Money{Amount: amount, Currency: "EUR"},
			AnnualContractValue: &mapping.Money{Amount: amount}}, true)
	}
	for _, list := range [][]string{{"b", "a"}, {"a", "a"}, {"a", "a "}, {"a ", "a"}, {"a!", "a"}, {"a", "ab"}, {"ab", "a"},
		{"<", "a"}, {"a\n", "a"}, {"é", "z"}, {"DEVU-2", "DEVU-1", "DEVU-10"}} {
		checkEncode(t, &mapping.Work{Type: "ticket", OwnedBy: list, Channels: list, ChannelsV2: list, Contacts: list,
			DevelopedWith: list, Tags: []mapping.SetTag{{ID: list[0]}, {ID: list[1], Value: list[0]}, {ID: list[1]}}}, true)
	}
	for _, b := range []bool{true, false} {
		checkEncode(t, &mapping.Work{Type: "ticket", Embedded: ptr(b), IsSpam: ptr(b), NeedsResponse: ptr(!b),
			CustomFields: map[string]any{"tnt__b": b, "tnt__null": nil}}, true)
	}
	grown := &mapping.Work{Type: "issue", Title: "cut before the body grows", Body: strings.Repeat("<&>\n", 500),
		Tags: []mapping.SetTag{{ID: "TAG-1"}}, CustomFields: map[string]any{"tnt__s": strings.Repeat("\"", 300)}}
	if _, _, ok := encodeFast(grown); ok && bodySize(grown) >= len(mustMarshal(t, grown)) {
		t.Errorf("bodySize %d leaves the body room: no growth tested", bodySize(grown))
	}
	checkEncode(t, grown, true)
	many := map[string]any{}
	for i := range 40 {
		many["tnt__f"+strconv.Itoa(39-i)] = i
	}
	checkEncode(t, &mapping.Work{Type: "issue", CustomFields: many}, true)
}

// TestEncodeOldWay: what Encode does not write itself (NaN, infinities,
// custom values of another type, keys that need escapes, a nil work)
// goes the old way, with json.Marshal's error.
func TestEncodeOldWay(t *testing.T) {
	for _, w := range []*mapping.Work{
		nil,
		{Type: "opportunity", Amount: ptr(math.NaN())},
		{Type: "opportunity", Probability: ptr(math.Inf(1))},
		{Type: "issue", CustomFields: map[string]any{"tnt__f": math.Inf(-1)}},
		{Type: "issue", CustomFields: map[string]any{"tnt__l": []string{"b", "a"}}},
		{Type: "issue", CustomFields: map[string]any{"tnt__i": int32(5)}},
		{Type: "issue", CustomFields: map[string]any{"tnt__m": map[string]any{"b": 1.50, "a": "<"}}},
		{Type: "issue", CustomFields: map[string]any{"a<b": 1, "é": 2}},
		{Type: "issue", CustomFields: map[string]any{"\xff": 1, "\xfe": 2}},
	} {
		checkEncode(t, w, false)
		if _, _, ok := encodeFast(w); ok {
			t.Errorf("Encode wrote %+v itself", w)
		}
	}
}

// TestEncodeFixtures: the works of the test bodies here, of the mapping
// package's golden files, and the rows the round trip tests map (and
// every edit of them) are encoded exactly.
func TestEncodeFixtures(t *testing.T) {
	bodies := []string{}
	for _, b := range fullBodies {
		bodies = append(bodies, b)
	}
	golden, err := filepath.Glob(filepath.Join("..", "..", "mapping", "testdata", "*.golden"))
	if err != nil || len(golden) == 0 {
		t.Fatalf("no golden files of mapping: %v", err)
	}
	for _, path := range golden {
		f, err := os.Open(path)
		if err != nil {
			t.Fatal(err)
		}
		sc := bufio.NewScanner(f)
		sc.Buffer(nil, 1<<20)
		for sc.Scan() {
			if line := strings.TrimSpace(sc.Text()); strings.HasPrefix(line, `{"type"`) {
				bodies = append(bodies, line)
			}
		}
		f.Close()
	}
	if len(bodies) < 8 {
		t.Fatalf("only %d fixture bodies", len(bodies))
	}
	for _, b := range bodies {
		var w mapping.Work
		if err := json.Unmarshal([]byte(b), &w); err != nil {
			t.Fatalf("%s: %v", b, err)
		}
		checkEncode(t, &w, true)
	}
	if n := encodeSamples(t); n < 40 {
		t.Errorf("only %d sample rows", n)
	}
	for _, rt := range roundTrips {
		m := compile(t, rt.mapping, rt.header, "")
		checkEncode(t, mapRow(t, m, rt.cells), true)
		for _, ed := range rt.edits {
			cells := append([]string(nil), rt.cells...)
			cells[ed.col] = ed.value
			checkEncode(t, mapRow(t, m, cells), true)
		}
	}
}

// encodeSamples checks the works of every row of the committed samples
// (samples/NAME.csv mapped by samples/NAME.yaml) and returns their count.
func encodeSamples(t *testing.T) int {
	t.Helper()
	maps, err := filepath.Glob(filepath.Join("..", "..", "samples", "*.yaml"))
	if err != nil || len(maps) == 0 {
		t.Fatalf("no samples: %v", err)
	}
	n := 0
	for _, path := range maps {
		data, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		cfg, err := mapping.Parse(path, data)
		if err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		file, opt := strings.TrimSuffix(path, ".yaml")+".csv", source.Options{AllowDuplicate: func(string) bool { return true }}
		if _, err := os.Stat(file); err != nil {
			file, opt.Sheet = strings.TrimSuffix(path, ".yaml")+".xlsx", "Tickets" // zendesk-tickets: a README sheet first
		}
		r, err := source.Open(file, opt)
		if err != nil {
			t.Fatal(err)
		}
		m, _, err := mapping.Compile(cfg, r.Header(), mapping.Options{})
		if err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		for {
			row, err := r.Next()
			if err != nil {
				break
			}
			checkEncode(t, m.Map(row).Work, true)
			n++
		}
		r.Close()
	}
	return n
}

// mapRow maps one row of text cells to its Work.
func mapRow(t *testing.T, m *mapping.Mapper, cells []string) *mapping.Work {
	t.Helper()
	row := source.Row{Number: 2}
	for _, c := range cells {
		row.Cells = append(row.Cells, source.Cell{Value: c})
	}
	res := m.Map(row)
	if len(res.Problems) > 0 {
		t.Fatalf("row %q: %v", cells, res.Problems)
	}
	return res.Work
}

// TestEncodeKnowsEveryField guards the table against mapping.Work: its
// keys are the Work's json keys in struct order, and a Work whose every
// field (nested ones too, found by reflection) is set encodes exactly. A
// field added to Work or to a type it holds fails here until Encode
// writes it.
func TestEncodeKnowsEveryField(t *testing.T) {
	var keys []string
	wt := reflect.TypeFor[mapping.Work]()
	for i := range wt.NumField() {
		f := wt.Field(i)
		if tag := f.Tag.Get("json"); f.IsExported() && tag != "-" {
			keys = append(keys, strings.Split(tag, ",")[0])
		}
	}
	var table []string
	for _, f := range workFields {
		table = append(table, f.key)
	}
	if !reflect.DeepEqual(keys, table) {
		t.Errorf("mapping.Work's json keys\n%v\nEncode's table\n%v", keys, table)
	}
	var w mapping.Work
	n := 0
	fill(reflect.ValueOf(&w).Elem(), &n)
	w.CustomFields = map[string]any{"tnt__s": "s", "tnt__i": int64(2), "tnt__f": 2.5, "tnt__b": true, "tnt__n": nil}
	checkEncode(t, &w, true)
}

// fill sets every exported field reachable from v to a value that is not
// empty: strings numbered by *n, two elements a list, a key a map.
func fill(v reflect.Value, n *int) {
	*n++
	switch v.Kind() {
	case reflect.String:
		v.SetString("v" + strconv.Itoa(*n))
	case reflect.Bool:
		v.SetBool(true)
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		v.SetInt(int64(*n))
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		v.SetUint(uint64(*n))
	case reflect.Float32, reflect.Float64:
		v.SetFloat(float64(*n) + 0.5)
	case reflect.Pointer:
		v.Set(reflect.New(v.Type().Elem()))
		fill(v.Elem(), n)
	case reflect.Slice:
		v.Set(reflect.MakeSlice(v.Type(), 2, 2))
		fill(v.Index(0), n)
		fill(v.Index(1), n)
	case reflect.Map:
		v.Set(reflect.MakeMap(v.Type()))
		k, e := reflect.New(v.Type().Key()).Elem(), reflect.New(v.Type().Elem()).Elem()
		fill(k, n)
		fill(e, n)
		v.SetMapIndex(k, e)
	case reflect.Interface:
		v.Set(reflect.ValueOf("v" + strconv.Itoa(*n)))
	case reflect.Struct:
		for i := range v.NumField() {
			if v.Type().Field(i).IsExported() {
				fill(v.Field(i), n)
			}
		}
	}
}

// TestUTCSecondIsCanonDate: what utcSecond takes, canonDate keeps, in
// range or not (month 13, February 30, hour 24, second 60, year 0), and
// it refuses what canonDate would change or its shape does not cover.
func TestUTCSecondIsCanonDate(t *testing.T) {
	for _, c := range []struct {
		s    string
		want bool
	}{
		{"2024-03-01T00:00:00Z", true}, {"0000-01-01T00:00:00Z", true}, {"9999-12-31T23:59:59Z", true},
		{"2024-13-01T00:00:00Z", true}, {"2024-02-30T00:00:00Z", true}, {"2024-03-01T24:00:00Z", true},
		{"2024-03-01T00:00:60Z", true}, {"2024-03-01T00:00:00.5Z", true}, {"2024-03-01T00:00:00.123456789Z", true},
		{"2024-03-01T00:00:00.50Z", false}, {"2024-03-01T00:00:00.Z", false}, {"2024-03-01T00:00:00.1234567891Z", false},
		{"2024-03-01T00:00:00+00:00", false}, {"2024-03-01T00:00:00z", false}, {"2024-03-01t00:00:00Z", false},
		{"2024-03-01 00:00:00Z", false}, {"2024-3-01T00:00:00Z", false}, {"", false}, {"Z", false},
	} {
		if got := utcSecond(c.s); got != c.want {
			t.Errorf("utcSecond(%q) = %v, want %v", c.s, got, c.want)
		}
		if utcSecond(c.s) && canonDate(c.s) != c.s {
			t.Errorf("utcSecond(%q), but canonDate writes %q", c.s, canonDate(c.s))
		}
	}
}

// FuzzEncode builds a Work from fuzzed texts and numbers (which fields
// are set, and with what, chosen by the bits of set) and checks Encode's
// contract: json.Marshal's bytes, FieldsOfValid's values, json.Marshal's
// error; and that what utcSecond takes canonDate keeps.
func FuzzEncode(f *testing.F) {
	f.Add(uint64(math.MaxUint64), "T,a\"b", "TAG-1=x,TAG-2", "2024-03-01T00:00:00Z", int64(5), 12500.5)
	f.Add(uint64(0x5555_5555_5555_5555), "<b>&\u2028,\xff", "a,b=\n", "2024-03-01T10:00:00+02:00", int64(-1), 1e-7)
	f.Add(uint64(0xAAAA_AAAA_AAAA_AAAA), "DEVU-2,DEVU-1", "=,", "2024-02-30T00:00:00.50Z", int64(math.MinInt64), 1e21)
	f.Add(uint64(1<<63|1), "", "", "", int64(0), math.Copysign(0, -1))
	f.Add(uint64(0xF0F0_F0F0_F0F0_F0F0), "a ,a", "b,a", "1e3", int64(7), math.MaxFloat64)
	f.Fuzz(func(t *testing.T, set uint64, a, b, c string, n int64, x float64) {
		checkEncode(t, fuzzWork(set, a, b, c, n, x), false)
		if utcSecond(c) && canonDate(c) != c {
			t.Fatalf("utcSecond(%q), but canonDate writes %q", c, canonDate(c))
		}
	})
}

// fuzzWork sets field i of a Work when bit i of set is; texts are a, b
// or c, lists a split at commas, tags b's parts as ID=value, numbers n
// and x (and both as custom fields of every covered type, by the bits).
func fuzzWork(set uint64, a, b, c string, n int64, x float64) *mapping.Work {
	bit := func(i int) bool { return set&(1<<uint(i)) != 0 }
	pick := func(i int) string { return [...]string{a, b, c}[i%3] }
	list := strings.Split(a, ",")
	var tags []mapping.SetTag
	for _, p := range strings.Split(b, ",") {
		id, v, _ := strings.Cut(p, "=")
		tags = append(tags, mapping.SetTag{ID: id, Value: v})
	}
	w := &mapping.Work{Type: pick(int(set >> 60))}
	texts := []*string{&w.Title, &w.Body, &w.AppliesToPart, &w.TargetCloseDate, &w.Priority, &w.Account, &w.Sprint,
		&w.TargetStartDate, &w.ForecastCategory, &w.StartDate, &w.Group, &w.RevOrg, &w.Severity, &w.SourceChannel, &w.SourceChannelV2}
	for i, p := range texts {
		if bit(i) {
			*p = pick(i)
		}
	}
	lists := []*[]string{&w.OwnedBy, &w.ReportedBy, &w.Artifacts, &w.StageValidationOptions, &w.CustomSchemaFragments,
		&w.DevelopedWith, &w.Contacts, &w.Channels, &w.ChannelsV2}
	for i, p := range lists {
		if bit(15 + i) {
			*p = list
		}
	}
	if bit(24) {
		w.Tags = tags
	}
	if bit(25) {
		w.Stage = &mapping.StageInit{ID: pick(set2(set, 0)), Name: pick(set2(set, 1))}
	}
	if bit(26) {
		w.Value = &mapping.Money{Amount: c, Currency: b}
	}
	if bit(27) {
		w.AnnualContractValue = &mapping.Money{Amount: strconv.FormatFloat(x, 'f', -1, 64), Currency: a}
	}
	if bit(28) {
		w.Amount, w.CustomerBudget, w.Probability = &x, ptr(-x), ptr(x/7)
	}
	if bit(29) {
		w.PriorityV2, w.ForecastCategoryV2 = &n, ptr(n/3)
	}
	if bit(30) {
		w.Embedded, w.IsSpam, w.NeedsResponse = ptr(bit(31)), ptr(!bit(31)), ptr(bit(32))
	}
	if bit(33) {
		w.CustomSchemaSpec = &mapping.CustomSchemaSpec{Subtype: pick(set2(set, 2)), TenantFragment: bit(34), ValidateRequiredFields: bit(35)}
		if bit(36) {
			w.CustomSchemaSpec.Apps = list
		}
		if bit(37) {
			w.CustomSchemaSpec.Drop = &mapping.CustomSchemaSpecDrop{Subtype: bit(38)}
		}
	}
	if bit(39) {
		w.CustomFields = map[string]any{}
		values := []any{a, b, c, n, int(n), x, bit(40), nil, list}
		for i, v := range values {
			if bit(41 + i) {
				w.CustomFields["tnt__"+strconv.Itoa(i)] = v
			}
		}
		if bit(50) {
			w.CustomFields[a] = c // a key of any text
		}
	}
	return w
}

// set2 is two bits of set (from 52 on) as a choice of text.
func set2(set uint64, i int) int { return int(set>>(52+2*uint(i))) & 3 }

// FuzzStringWriters: appendHTMLString writes what json.Marshal writes
// for a string, AppendString what an Encoder without HTML escaping
// writes, and plain is true exactly when nothing was escaped.
func FuzzStringWriters(f *testing.F) {
	for _, s := range escapes {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		want, err := json.Marshal(s)
		if err != nil {
			t.Fatal(err)
		}
		got, plain := appendHTMLString(nil, s)
		if !bytes.Equal(got, want) {
			t.Fatalf("appendHTMLString(%q) = %s, json.Marshal %s", s, got, want)
		}
		if plain != (string(got) == `"`+s+`"`) {
			t.Fatalf("appendHTMLString(%q): plain %v for %s", s, plain, got)
		}
		var b bytes.Buffer
		enc := json.NewEncoder(&b)
		enc.SetEscapeHTML(false)
		if err := enc.Encode(s); err != nil {
			t.Fatal(err)
		}
		if got, want := AppendString(nil, s), bytes.TrimSuffix(b.Bytes(), []byte("\n")); !bytes.Equal(got, want) {
			t.Fatalf("AppendString(%q) = %s, an Encoder without HTML escaping %s", s, got, want)
		}
	})
}
