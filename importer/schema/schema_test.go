package schema

import (
	"context"
	"fmt"
	"net"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/devrev-import/devrev-import/importer/devrev"
	"github.com/devrev-import/devrev-import/importer/simulator"
	"github.com/devrev-import/devrev-import/importer/source"
	"github.com/devrev-import/devrev-import/importer/throttle"
	"github.com/devrev-import/devrev-import/mapping"
)

func startSim(t *testing.T) (*simulator.Server, *devrev.Client) {
	t.Helper()
	s, err := simulator.Start(simulator.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Close() })
	return s, newClient(t, s.URL)
}

func newClient(t *testing.T, url string) *devrev.Client {
	t.Helper()
	c, err := devrev.New(devrev.Options{Endpoint: url, Token: simulator.DefaultToken, Timeout: 10 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func retrier() throttle.Retrier {
	return throttle.Retrier{
		Limiter:     throttle.NewLimiter(throttle.Config{Rate: 1e6, Burst: 1000}),
		Backoff:     func(int) time.Duration { return 0 },
		MaxAttempts: 2,
	}
}

func compile(t *testing.T, yml string, header []string) (*mapping.Config, *mapping.Mapper) {
	t.Helper()
	cfg, err := mapping.Parse("test.yaml", []byte(yml))
	if err != nil {
		t.Fatal(err)
	}
	m, _, err := mapping.Compile(cfg, header, mapping.Options{})
	if err != nil {
		t.Fatal(err)
	}
	return cfg, m
}

func textRow(n int, cells ...string) source.Row {
	row := source.Row{Number: n}
	for _, c := range cells {
		row.Cells = append(row.Cells, source.Cell{Value: c})
	}
	return row
}

func problemsText(probs []mapping.Problem) string {
	var lines []string
	for _, p := range probs {
		lines = append(lines, fmt.Sprintf("col %d %s (%s) %q: %s", p.Col, p.Column, p.Field, p.Value, p.Msg))
	}
	return strings.Join(lines, "\n")
}

func TestFetch(t *testing.T) {
	s, c := startSim(t)
	sch, err := Fetch(context.Background(), c, retrier(), []string{"issue", "ticket", "issue"})
	if err != nil {
		t.Fatal(err)
	}
	want := []Field{
		{Name: "tnt__customer_impact", DisplayName: "Customer Impact", Type: "bool"},
		{Name: "tnt__effort_days", DisplayName: "Effort (days)", Type: "double"},
		{Name: "tnt__escalated_at", DisplayName: "Escalated At", Type: "timestamp"},
		{Name: "tnt__external_id", DisplayName: "External ID", Type: "text"},
		{Name: "tnt__found_on", DisplayName: "Found On", Type: "date"},
		{Name: "tnt__region", DisplayName: "Region", Type: "enum", Enum: []string{"EMEA", "AMER", "APAC"}},
		{Name: "tnt__story_points", DisplayName: "Story Points", Type: "int"},
		{Name: "tnt__tier", DisplayName: "Customer Tier", Type: "uenum", Uenum: []UenumValue{{1, "Gold"}, {2, "Silver"}, {3, "Bronze"}}},
	}
	for _, typ := range []string{"issue", "ticket"} {
		if got := sch.Fields(typ); !reflect.DeepEqual(got, want) {
			t.Errorf("%s fields %+v, want %+v", typ, got, want)
		}
	}
	if got := s.Stats().ByPath["/schemas.aggregated.get"]; got != 2 {
		t.Errorf("%d schemas.aggregated.get calls, want 2 (one per type)", got)
	}
}

func TestFetchErrors(t *testing.T) {
	s, c := startSim(t)
	// No aggregated schema (404): the stock schema is asked, which has
	// none either for this made-up type.
	_, err := Fetch(context.Background(), c, retrier(), []string{"widget"})
	if err == nil || !strings.Contains(err.Error(), "schema of widget works") {
		t.Errorf("widget: %v", err)
	}
	st := s.Stats().ByPath
	if st["/schemas.aggregated.get"] != 1 || st["/schemas.stock.get"] != 1 {
		t.Errorf("calls %v; want one aggregated and one stock", st)
	}
	// No server at all.
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	dead := "http://" + l.Addr().String()
	_ = l.Close()
	if _, err := Fetch(context.Background(), newClient(t, dead), retrier(), []string{"issue"}); err == nil {
		t.Error("dead server: no error")
	}
	if _, err := Fetch(context.Background(), c, throttle.Retrier{}, nil); err == nil {
		t.Error("no limiter: no error")
	}
}

// TestCheckSimulator maps rows with custom field columns and checks them
// against the simulator's tenant fields.
func TestCheckSimulator(t *testing.T) {
	_, c := startSim(t)
	sch, err := Fetch(context.Background(), c, retrier(), []string{"issue"})
	if err != nil {
		t.Fatal(err)
	}
	header := []string{"Title", "Key", "Points", "Impact", "Estimate", "Ext"}
	for _, tc := range []struct {
		name    string
		columns string
		cells   []string
		want    string
	}{
		{"valid", `
  Key: custom_fields.tnt__external_id
  Points: {field: custom_fields.tnt__story_points, as: int}
  Impact: {field: custom_fields.tnt__customer_impact, as: bool}`,
			[]string{"t", "JRA-1", "5", "yes", "", ""}, ""},
		{"unknown field with a suggestion", `
  Points: {field: custom_fields.tnt__story_point, as: int}
  Estimate: {field: custom_fields.tnt__estimate, as: number}
  Ext: custom_fields.tnt__externalid`,
			[]string{"t", "", "5", "", "2.5", "x"}, strings.Join([]string{
				`col 4 Estimate (custom_fields.tnt__estimate) "": is not a custom field of issue works in this org (its custom fields: tnt__customer_impact, tnt__effort_days, tnt__escalated_at, tnt__external_id, tnt__found_on, tnt__region, tnt__story_points, tnt__tier)`,
				`col 5 Ext (custom_fields.tnt__externalid) "": is not a custom field of issue works in this org (did you mean custom_fields.tnt__external_id?)`,
				`col 2 Points (custom_fields.tnt__story_point) "": is not a custom field of issue works in this org (did you mean custom_fields.tnt__story_points?)`,
			}, "\n")},
		{"wrong types", `
  Key: {field: custom_fields.tnt__external_id, as: int}
  Points: custom_fields.tnt__story_points
  Impact: custom_fields.tnt__customer_impact`,
			[]string{"t", "1001", "5", "yes", "", ""}, strings.Join([]string{
				`col 3 Impact (custom_fields.tnt__customer_impact) "yes": is text, but custom_fields.tnt__customer_impact (Customer Impact) is a yes/no field (write "as: bool" on its column)`,
				`col 1 Key (custom_fields.tnt__external_id) "1001": is a whole number, but custom_fields.tnt__external_id (External ID) is a text field (write "as: text" on its column)`,
				`col 2 Points (custom_fields.tnt__story_points) "5": is text, but custom_fields.tnt__story_points (Story Points) is a whole-number field (write "as: int" on its column)`,
			}, "\n")},
		{"number into an int field", `
  Points: {field: custom_fields.tnt__story_points, as: number}`,
			[]string{"t", "", "2.5", "", "", ""},
			`col 2 Points (custom_fields.tnt__story_points) "2.5": is not a whole number`},
		{"whole number as number is fine", `
  Points: {field: custom_fields.tnt__story_points, as: number}`,
			[]string{"t", "", "3", "", "", ""}, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			yml := "type: issue\ndefaults:\n  applies_to_part: PROD-1\n  owned_by: [DEVU-1]\ncolumns:\n  Title: title" + tc.columns + "\n"
			cfg, m := compile(t, yml, header)
			res := m.Map(textRow(2, tc.cells...))
			if len(res.Problems) > 0 {
				t.Fatalf("mapping problems %+v", res.Problems)
			}
			got := problemsText(sch.Check(res.Work, ColumnsOf(cfg, m)))
			if got != tc.want {
				t.Errorf("problems:\n%s\nwant:\n%s", got, tc.want)
			}
		})
	}
}

func ptr(f float64) *float64 { return &f }

// TestCheckRules covers the field types the simulator does not serve:
// required fields, enums, uenums, dates, bounds, lists.
func TestCheckRules(t *testing.T) {
	maxLen := int64(5)
	sch := New(nil, throttle.Retrier{}, map[string][]Field{"ticket": {
		{Name: "tnt__region", Type: "enum", Enum: []string{"EMEA", "AMER", "APAC"}, Required: true, DisplayName: "Region"},
		{Name: "tnt__tier", Type: "uenum", Uenum: []UenumValue{{1, "Gold"}, {2, "Silver"}}},
		{Name: "tnt__since", Type: "date"},
		{Name: "tnt__seen", Type: "timestamp"},
		{Name: "tnt__code", Type: "text", MaxLen: &maxLen},
		{Name: "tnt__score", Type: "double", Gte: ptr(0), Lte: ptr(10)},
		{Name: "tnt__seats", Type: "int", Gt: ptr(0)},
		{Name: "tnt__labels", Type: "array", BaseType: "text"},
		{Name: "tnt__blob", Type: "json_value"},
	}})
	for _, tc := range []struct {
		name   string
		fields map[string]any
		want   string
	}{
		{"all fine", map[string]any{"tnt__region": "EMEA", "tnt__tier": int64(2), "tnt__since": "2024-03-01",
			"tnt__seen": "2024-03-01T10:00:00Z", "tnt__code": "AB", "tnt__score": 9.5, "tnt__seats": int64(3), "tnt__blob": "x"}, ""},
		{"required missing", map[string]any{"tnt__tier": int64(1)},
			`col -1  (custom_fields.tnt__region) "": required custom field is empty (Region)`},
		{"enum", map[string]any{"tnt__region": "emea"},
			`col -1  (custom_fields.tnt__region) "emea": is not one of EMEA, AMER, APAC (did you mean EMEA?)`},
		{"enum unknown", map[string]any{"tnt__region": "LATAM"},
			`col -1  (custom_fields.tnt__region) "LATAM": is not one of EMEA, AMER, APAC`},
		{"uenum id", map[string]any{"tnt__region": "APAC", "tnt__tier": int64(3)},
			`col -1  (custom_fields.tnt__tier) "3": is not one of 1 (Gold), 2 (Silver)`},
		{"uenum label", map[string]any{"tnt__region": "APAC", "tnt__tier": "gold"},
			`col -1  (custom_fields.tnt__tier) "gold": is a label: custom_fields.tnt__tier takes the value's ID (Gold = 1); map labels to IDs with values: and write "as: int"`},
		{"date given a timestamp", map[string]any{"tnt__region": "APAC", "tnt__since": "2024-03-01T10:00:00Z"},
			`col -1  (custom_fields.tnt__since) "2024-03-01T10:00:00Z": is a timestamp, but custom_fields.tnt__since is a date field (write "as: date" on its column)`},
		{"timestamp given a date", map[string]any{"tnt__region": "APAC", "tnt__seen": "2024-03-01"},
			`col -1  (custom_fields.tnt__seen) "2024-03-01": is a date without a time, but custom_fields.tnt__seen is a timestamp field (write "as: timestamp" on its column)`},
		{"too long", map[string]any{"tnt__region": "APAC", "tnt__code": "ABCDEF"},
			`col -1  (custom_fields.tnt__code) "ABCDEF": is too long: at most 5 characters, this has 6`},
		{"bounds", map[string]any{"tnt__region": "APAC", "tnt__score": 11.0, "tnt__seats": int64(0)}, strings.Join([]string{
			`col -1  (custom_fields.tnt__score) "11": must be at most 10`,
			`col -1  (custom_fields.tnt__seats) "0": must be greater than 0`,
		}, "\n")},
		{"list field", map[string]any{"tnt__region": "APAC", "tnt__labels": "a"},
			`col -1  (custom_fields.tnt__labels) "a": cannot be set from one cell: custom_fields.tnt__labels is a list field (of text)`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			w := &mapping.Work{Type: "ticket", CustomFields: tc.fields}
			if got := problemsText(sch.Check(w, Columns{})); got != tc.want {
				t.Errorf("problems:\n%s\nwant:\n%s", got, tc.want)
			}
		})
	}
	// A type with no schema, with custom fields: one row-level problem.
	if got := sch.Check(&mapping.Work{Type: "issue", CustomFields: map[string]any{"x": "y"}}, Columns{}); len(got) != 1 || got[0].Col != -1 {
		t.Errorf("unfetched type: %+v", got)
	}
}

// TestEnricherFetchesOnDemand: a type not fetched up front is fetched the
// first time a row of that type comes, once.
func TestEnricherFetchesOnDemand(t *testing.T) {
	s, c := startSim(t)
	sch, err := Fetch(context.Background(), c, retrier(), nil)
	if err != nil {
		t.Fatal(err)
	}
	header := []string{"Type", "Title", "Points"}
	cfg, m := compile(t, `
columns:
  Type: type
  Title: title
  Points: custom_fields.tnt__story_points
defaults:
  applies_to_part: PROD-1
  owned_by: [DEVU-1]
`, header)
	f := Chain(nil, sch.Enricher(cfg, m))
	for i, typ := range []string{"issue", "task", "issue", "task"} {
		row := textRow(i+2, typ, "t", "3")
		res := m.Map(row)
		if len(res.Problems) > 0 {
			t.Fatalf("mapping: %+v", res.Problems)
		}
		probs, err := f(context.Background(), res.Work, row)
		if err != nil || len(probs) != 1 || probs[0].Col != 2 || probs[0].Column != "Points" {
			t.Errorf("row %d: %+v", i+2, probs)
		}
	}
	if got := s.Stats().ByPath["/schemas.aggregated.get"]; got != 2 {
		t.Errorf("%d schema calls, want 2 (issue, task)", got)
	}
}

func TestColumnsOfHeader(t *testing.T) {
	header := []string{"title", "Custom_Fields.tnt__story_points", "type"}
	m, _, err := mapping.Compile(nil, header, mapping.Options{})
	if err != nil {
		t.Fatal(err)
	}
	cols := ColumnsOf(nil, m)
	if i, name := cols.at("tnt__story_points"); i != 1 || name != header[1] {
		t.Errorf("at = %d, %q", i, name)
	}
	if i, _ := cols.at("tnt__other"); i != -1 {
		t.Errorf("unknown field at %d", i)
	}
}

func TestChain(t *testing.T) {
	p := func(msg string) EnrichFunc {
		return func(context.Context, *mapping.Work, source.Row) ([]mapping.Problem, error) {
			return []mapping.Problem{{Col: -1, Msg: msg}}, nil
		}
	}
	got, err := Chain(p("a"), nil, p("b"))(context.Background(), &mapping.Work{}, source.Row{})
	if err != nil || len(got) != 2 || got[0].Msg != "a" || got[1].Msg != "b" {
		t.Errorf("Chain: %+v %v", got, err)
	}
}

func TestTypeReportsEachMistakeOnce(t *testing.T) {
	_, c := startSim(t)
	all := []string{"issue", "ticket", "task", "opportunity"}
	sch, err := Fetch(context.Background(), c, retrier(), all)
	if err != nil {
		t.Fatal(err)
	}
	cfg, m := compile(t, `columns:
  Kind: type
  Title: title
  Points: {field: custom_fields.tnt__story_points, as: number}
  Impact: {field: custom_fields.tnt__customer_impact, as: bool}
  Estimate: custom_fields.tnt__story_point
  Tier: {field: custom_fields.tnt__tier, values: {High: Platinum, Mid: Silver}}
defaults:
  custom_fields.tnt__extrnal_id: X-1
  custom_fields.tnt__found_on: yesterday
  applies_to_part: PROD-1
  owned_by: [DEVU-1]
`, []string{"Kind", "Title", "Points", "Impact", "Estimate", "Tier"})
	_, errs := sch.Type(cfg, m, all)
	var got []string
	for _, e := range errs {
		got = append(got, e.Error())
	}
	want := []string{
		`test.yaml:6:3: custom_fields.tnt__story_point is not a custom field of issue, ticket, task and opportunity works in this org (did you mean custom_fields.tnt__story_points?)`,
		`test.yaml:9:34: custom_fields.tnt__extrnal_id is not a custom field of issue, ticket, task and opportunity works in this org (did you mean custom_fields.tnt__external_id?)`,
		`test.yaml:4:3: column "Points" (custom_fields.tnt__story_points): the org's schema says int; the mapping says as: number (leave as: out: the schema types the column)`,
		`test.yaml:7:57: value map of column "Tier": "High" maps to "Platinum", which is not one of Gold, Silver, Bronze (the org's schema says custom_fields.tnt__tier is uenum)`,
		`test.yaml:10:32: default for custom_fields.tnt__found_on: "yesterday" is not a date (write 2024-03-01, 2024-03-01 14:30, RFC 3339 such as 2024-03-01T14:30:00+01:00, or an Excel serial number) (the org's schema says date)`,
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("Type:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

func TestTypeConvertsCellsByTheSchema(t *testing.T) {
	_, c := startSim(t)
	sch, err := Fetch(context.Background(), c, retrier(), []string{"issue"})
	if err != nil {
		t.Fatal(err)
	}
	header := []string{"Title", "Points", "Impact", "Effort", "Found", "Escalated", "Region", "Tier"}
	cfg, m := compile(t, `type: issue
timezone: Europe/Berlin
columns:
  Title: title
  Points: custom_fields.tnt__story_points
  Impact: custom_fields.tnt__customer_impact
  Effort: custom_fields.tnt__effort_days
  Found: custom_fields.tnt__found_on
  Escalated: custom_fields.tnt__escalated_at
  Region: custom_fields.tnt__region
  Tier: custom_fields.tnt__tier
defaults:
  applies_to_part: PROD-1
  owned_by: [DEVU-1]
  custom_fields.tnt__external_id: X-1
`, header)
	typed, errs := sch.Type(cfg, m, []string{"issue"})
	if len(errs) > 0 {
		t.Fatal(errs)
	}
	r := typed.Map(textRow(2, "A", "3.0", "yes", "1.5", "2024-03-01", "2024-03-01 14:30", "emea", "silver"))
	if len(r.Problems) > 0 {
		t.Fatalf("problems: %s", problemsText(r.Problems))
	}
	want := map[string]any{
		"tnt__story_points": int64(3), "tnt__customer_impact": true, "tnt__effort_days": 1.5, "tnt__found_on": "2024-03-01",
		"tnt__escalated_at": "2024-03-01T13:30:00Z", "tnt__region": "EMEA", "tnt__tier": int64(2), "tnt__external_id": "X-1",
	}
	if !reflect.DeepEqual(r.Work.CustomFields, want) {
		t.Errorf("custom fields %#v\nwant %#v", r.Work.CustomFields, want)
	}
	if probs := sch.Check(r.Work, ColumnsOf(cfg, typed)); len(probs) > 0 {
		t.Errorf("the schema refuses what it typed: %s", problemsText(probs))
	}
	r = typed.Map(textRow(3, "B", "x", "maybe", "1,5kg", "someday", "soon", "Mars", "Platinum"))
	wantProbs := []string{
		`col 1 Points (custom_fields.tnt__story_points) "x": is not a whole number`,
		`col 2 Impact (custom_fields.tnt__customer_impact) "maybe": is not a yes/no value (true, false, yes, no, y, n, 1, 0)`,
		`col 3 Effort (custom_fields.tnt__effort_days) "1,5kg": is not a number`,
		`col 4 Found (custom_fields.tnt__found_on) "someday": is not a date (write 2024-03-01, 2024-03-01 14:30, RFC 3339 such as 2024-03-01T14:30:00+01:00, or an Excel serial number)`,
		`col 5 Escalated (custom_fields.tnt__escalated_at) "soon": is not a date (write 2024-03-01, 2024-03-01 14:30, RFC 3339 such as 2024-03-01T14:30:00+01:00, or an Excel serial number)`,
		`col 6 Region (custom_fields.tnt__region) "Mars": is not one of EMEA, AMER, APAC`,
		`col 7 Tier (custom_fields.tnt__tier) "Platinum": is not one of Gold, Silver, Bronze`,
	}
	if got := problemsText(r.Problems); got != strings.Join(wantProbs, "\n") {
		t.Errorf("problems:\n%s\nwant:\n%s", got, strings.Join(wantProbs, "\n"))
	}
	// A value map's targets are labels or IDs too.
	_, m = compile(t, `type: issue
columns:
  Title: title
  Size: {field: custom_fields.tnt__tier, values: {S: Bronze, M: "2", L: gold}}
defaults: {applies_to_part: PROD-1, owned_by: [DEVU-1]}
`, []string{"Title", "Size"})
	typed, errs = sch.Type(nil, m, []string{"issue"})
	if len(errs) > 0 {
		t.Fatal(errs)
	}
	for cell, id := range map[string]int64{"S": 3, "m": 2, "L": 1} {
		if r := typed.Map(textRow(2, "A", cell)); len(r.Problems) > 0 || r.Work.CustomFields["tnt__tier"] != id {
			t.Errorf("%s: %v %s", cell, r.Work.CustomFields, problemsText(r.Problems))
		}
	}
}

func TestTypeFieldTypedDifferentlyByTwoWorkTypes(t *testing.T) {
	sch := New(nil, throttle.Retrier{}, map[string][]Field{
		"issue":  {{Name: "tnt__x", Type: "int"}, {Name: "tnt__y", Type: "bool"}},
		"ticket": {{Name: "tnt__x", Type: "text"}, {Name: "tnt__y", Type: "bool"}},
	})
	types := []string{"issue", "ticket"}
	header := []string{"Kind", "Title", "X", "Y"}
	cfg, m := compile(t, "columns: {Kind: type, Title: title, Y: custom_fields.tnt__y}\n", header)
	if _, errs := sch.Type(cfg, m, types); len(errs) > 0 {
		t.Errorf("a field the mapping does not use is no mistake: %v", errs)
	}
	cfg, m = compile(t, "columns: {Kind: type, Title: title, X: custom_fields.tnt__x, Y: custom_fields.tnt__y}\n", header)
	typed, errs := sch.Type(cfg, m, types)
	if len(errs) != 1 || errs[0].Error() != "custom_fields.tnt__x is int for issue works and text for ticket works: write as: on its column" {
		t.Errorf("errors %v", errs)
	}
	if r := typed.Map(textRow(2, "issue", "A", "3", "yes")); r.Work.CustomFields["tnt__y"] != true {
		t.Errorf("tnt__y, the same for both, is typed: %v", r.Work.CustomFields)
	}
}
