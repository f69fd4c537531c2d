package mapping

import (
	"encoding/json"
	"errors"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/devrev-import/devrev-import/importer/source"
)

// compileFor builds a Mapper from a mapping text ("" = no mapping file).
func compileFor(t testing.TB, mappingYAML string, header []string, opt Options) (*Mapper, []string) {
	t.Helper()
	var cfg *Config
	if mappingYAML != "" {
		var err error
		cfg, err = Parse("mapping.yaml", []byte(mappingYAML))
		if err != nil {
			t.Fatalf("Parse: %v", err)
		}
	}
	m, warns, err := Compile(cfg, header, opt)
	if err != nil {
		t.Fatalf("Compile: %v", err)
	}
	return m, warns
}

// textRow makes a row of text cells.
func textRow(cells ...string) source.Row {
	r := source.Row{Number: 2}
	for _, c := range cells {
		r.Cells = append(r.Cells, source.Cell{Value: c})
	}
	return r
}

// probStrings renders problems with their header index as location.
func probStrings(ps []Problem) []string {
	var out []string
	for _, p := range ps {
		out = append(out, p.Format("@"+strconv.Itoa(p.Col)))
	}
	return out
}

// workJSON renders a work as a generic JSON value for comparisons.
func workJSON(t *testing.T, w *Work) map[string]any {
	t.Helper()
	b, err := json.Marshal(w)
	if err != nil {
		t.Fatal(err)
	}
	var v map[string]any
	if err := json.Unmarshal(b, &v); err != nil {
		t.Fatal(err)
	}
	return v
}

func parseJSON(t *testing.T, s string) map[string]any {
	t.Helper()
	var v map[string]any
	if err := json.Unmarshal([]byte(s), &v); err != nil {
		t.Fatalf("bad want JSON %s: %v", s, err)
	}
	return v
}

// base is the three fields every work needs.
var base = []string{"title", "applies_to_part", "owned_by"}
var baseCells = []string{"T", "PROD-1", "DEVU-1"}

func TestMap(t *testing.T) {
	tests := []struct {
		name    string
		mapping string // "" = header names are field names
		opt     Options
		header  []string
		cells   []string
		want    string   // JSON of the work ("" = do not check)
		probs   []string // formatted with "@col"
	}{
		{
			name: "minimal ticket", opt: Options{Type: "ticket"}, header: base, cells: baseCells,
			want: `{"type":"ticket","title":"T","applies_to_part":"PROD-1","owned_by":["DEVU-1"]}`,
		},
		{
			name: "header names are case-insensitive field names", opt: Options{Type: "ticket"},
			header: []string{"Title", "Applies To Part", "OWNED_BY", "Stage"}, cells: []string{"T", "PROD-1", "DEVU-1", "Triage"},
			want: `{"type":"ticket","title":"T","applies_to_part":"PROD-1","owned_by":["DEVU-1"],"stage":{"name":"Triage"}}`,
		},
		{
			name: "every ticket field", opt: Options{Type: "ticket"},
			header: append(append([]string{}, base...), "severity", "account", "channels", "channels_v2", "group", "is_spam", "needs_response", "rev_org", "source_channel", "source_channel_v2", "body", "reported_by", "artifacts", "target_close_date", "tags", "stage.name", "stage_validation_options", "custom_schema_fragments"),
			cells:  append(append([]string{}, baseCells...), "Blocker", "ACC-9", "Email; Twilio SMS", "don:core:dvrv-us-1:devo/0:channel/1", "GRP-1", "no", "Y", "REV-AbCd", "web", "CHAN-1", "Body", "DEVU-2, DEVU-3", "ARTIFACT-1", "2024-03-01", "TAG-1, TAG-2=urgent", "Triage", "allow non start", "don:core:dvrv-us-1:devo/0:custom_type_fragment/x"),
			want: `{"type":"ticket","title":"T","applies_to_part":"PROD-1","owned_by":["DEVU-1"],"severity":"blocker","account":"ACC-9",
				"channels":["email","twilio_sms"],"channels_v2":["don:core:dvrv-us-1:devo/0:channel/1"],"group":"GRP-1","is_spam":false,"needs_response":true,
				"rev_org":"REV-AbCd","source_channel":"web","source_channel_v2":"CHAN-1","body":"Body","reported_by":["DEVU-2","DEVU-3"],
				"artifacts":["ARTIFACT-1"],"target_close_date":"2024-03-01T00:00:00Z","tags":[{"id":"TAG-1"},{"id":"TAG-2","value":"urgent"}],
				"stage":{"name":"Triage"},"stage_validation_options":["allow_non_start"],"custom_schema_fragments":["don:core:dvrv-us-1:devo/0:custom_type_fragment/x"]}`,
		},
		{
			name: "every issue field", opt: Options{Type: "issue"},
			header: append(append([]string{}, base...), "priority", "priority_v2", "sprint", "target_start_date", "developed_with", "stage.id"),
			cells:  append(append([]string{}, baseCells...), "P1", "P1", "SPR-4", "2024-03-01 14:30", "PROD-2; CAPL-3", "don:core:dvrv-us-1:devo/0:custom_stage/7"),
			want: `{"type":"issue","title":"T","applies_to_part":"PROD-1","owned_by":["DEVU-1"],"priority":"p1","priority_v2":2,"sprint":"SPR-4",
				"target_start_date":"2024-03-01T14:30:00Z","developed_with":["PROD-2","CAPL-3"],"stage":{"id":"don:core:dvrv-us-1:devo/0:custom_stage/7"}}`,
		},
		{
			name: "every opportunity field", opt: Options{Type: "opportunity"},
			header: append(append([]string{}, base...), "account", "amount", "annual_contract_value", "contacts", "customer_budget", "forecast_category", "forecast_category_v2", "priority", "probability", "value"),
			cells:  append(append([]string{}, baseCells...), "ACC-1", "1200.5", "USD 1000", "REVU-1, REVU-2", "5e3", "Strong Upside", "strong-upside", "p0", "45%", "12500.50 eur"),
			want: `{"type":"opportunity","title":"T","applies_to_part":"PROD-1","owned_by":["DEVU-1"],"account":"ACC-1","amount":1200.5,
				"annual_contract_value":{"amount":"1000","currency":"USD"},"contacts":["REVU-1","REVU-2"],"customer_budget":5000,
				"forecast_category":"strong_upside","forecast_category_v2":4,"priority":"p0","probability":0.45,"value":{"amount":"12500.5","currency":"EUR"}}`,
		},
		{
			name: "every task field", opt: Options{Type: "task"},
			header: append(append([]string{}, base...), "embedded", "priority", "start_date"),
			cells:  append(append([]string{}, baseCells...), "yes", "P3", "2024-03-01T10:00:00+02:00"),
			want:   `{"type":"task","title":"T","applies_to_part":"PROD-1","owned_by":["DEVU-1"],"embedded":true,"priority":"p3","start_date":"2024-03-01T08:00:00Z"}`,
		},
		{
			name: "bad enum", opt: Options{Type: "ticket"},
			header: append(append([]string{}, base...), "severity"), cells: append(append([]string{}, baseCells...), "urgent"),
			probs: []string{`@3 (severity): "urgent" is not one of blocker, high, medium, low`},
		},
		{
			name: "bad enums of every kind", opt: Options{Type: "opportunity"},
			header: append(append([]string{}, base...), "account", "priority", "forecast_category", "forecast_category_v2"),
			cells:  append(append([]string{}, baseCells...), "ACC-1", "P5", "lost", "7"),
			probs: []string{
				`@4 (priority): "P5" is not one of p0, p1, p2, p3`,
				`@5 (forecast_category): "lost" is not one of omitted, pipeline, upside, strong_upside, commit, won`,
				`@6 (forecast_category_v2): "7" is not one of 1, 2, 3, 4, 5, 6 or Omitted, Pipeline, Upside, Strong Upside, Commit, Won`,
			},
		},
		{
			name: "bad channel, stage validation option, priority_v2", opt: Options{Type: "ticket"},
			header: append(append([]string{}, base...), "channels", "stage_validation_options"),
			cells:  append(append([]string{}, baseCells...), "email, fax", "skip"),
			probs: []string{
				`@3 (channels): "fax" is not one of email, plug, slack, twilio, twilio_sms`,
				`@4 (stage_validation_options): "skip" is not one of allow_non_start`,
			},
		},
		{
			name: "field of another type", opt: Options{Type: "issue"},
			header: append(append([]string{}, base...), "severity", "account"), cells: append(append([]string{}, baseCells...), "high", "ACC-1"),
			probs: []string{
				`@3 (severity): "high" cannot be set: severity is not a field of issue works (it belongs to ticket)`,
				`@4 (account): "ACC-1" cannot be set: account is not a field of issue works (it belongs to opportunity, ticket)`,
			},
		},
		{
			name: "booleans", opt: Options{Type: "ticket"},
			header: append(append([]string{}, base...), "is_spam", "needs_response"), cells: append(append([]string{}, baseCells...), "TRUE", "maybe"),
			probs: []string{`@4 (needs_response): "maybe" is not a yes/no value (true, false, yes, no, y, n, 1, 0)`},
		},
		{
			name: "numbers and probability", opt: Options{Type: "opportunity"},
			header: append(append([]string{}, base...), "account", "amount", "customer_budget", "probability"),
			cells:  append(append([]string{}, baseCells...), "ACC-1", "1,200", "lots", "1.2"),
			probs: []string{
				`@4 (amount): "1,200" is not a number`,
				`@5 (customer_budget): "lots" is not a number`,
				`@6 (probability): "1.2" is not a probability (a number from 0 to 1, or a percentage such as 45%)`,
			},
		},
		{
			name: "money forms", opt: Options{Type: "opportunity"},
			header: append(append([]string{}, base...), "account", "value", "annual_contract_value"),
			cells:  append(append([]string{}, baseCells...), "ACC-1", "12,500 USD", "12 XYZ"),
			probs: []string{
				`@4 (value): "12,500 USD" is not an amount of money (write "12500.50 USD" or "USD 12500.50")`,
				`@5 (annual_contract_value): "12 XYZ" has an unknown currency "XYZ" (use an ISO 4217 code such as USD, EUR, GBP)`,
			},
		},
		{
			name: "money without currency", opt: Options{Type: "opportunity"},
			header: append(append([]string{}, base...), "account", "value"), cells: append(append([]string{}, baseCells...), "ACC-1", "12500"),
			probs: []string{`@4 (value): has an amount but no currency (write "12500.50 USD", or add a currency column or default)`},
		},
		{
			name: "money from two columns", opt: Options{Type: "opportunity"},
			header: append(append([]string{}, base...), "account", "value.amount", "value.currency", "annual_contract_value.currency"),
			cells:  append(append([]string{}, baseCells...), "ACC-1", "0012500.50", "chf", "USD"),
			want: `{"type":"opportunity","title":"T","applies_to_part":"PROD-1","owned_by":["DEVU-1"],"account":"ACC-1","value":{"amount":"12500.5","currency":"CHF"},
				"annual_contract_value":{"amount":"","currency":"USD"}}`,
			probs: []string{`@6 (annual_contract_value): has a currency but no amount`},
		},
		{
			name: "bad money parts", opt: Options{Type: "opportunity"},
			header: append(append([]string{}, base...), "account", "value.amount", "value.currency"),
			cells:  append(append([]string{}, baseCells...), "ACC-1", "ten", "dollars"),
			probs: []string{
				`@4 (value.amount): "ten" is not an amount (a decimal number such as 12500.50)`,
				`@5 (value.currency): "dollars" is not an ISO 4217 currency code (such as USD, EUR, GBP)`,
			},
		},
		{
			name: "dates", opt: Options{Type: "issue", Location: mustZone(t, "Europe/Berlin")},
			header: append(append([]string{}, base...), "target_close_date", "target_start_date"),
			cells:  append(append([]string{}, baseCells...), "45352", "yesterday"),
			want:   `{"type":"issue","title":"T","applies_to_part":"PROD-1","owned_by":["DEVU-1"],"target_close_date":"2024-02-29T23:00:00Z"}`,
			probs:  []string{`@4 (target_start_date): "yesterday" is not a date (write 2024-03-01, 2024-03-01 14:30, RFC 3339 such as 2024-03-01T14:30:00+01:00, or an Excel serial number)`},
		},
		{
			name: "dates outside RFC 3339 years once in UTC", opt: Options{Type: "issue", Location: mustZone(t, "America/New_York")},
			header: append(append([]string{}, base...), "target_close_date", "target_start_date"),
			cells:  append(append([]string{}, baseCells...), "9999-12-31T23:59:59", "9999-12-31T18:59:59"),
			want:   `{"type":"issue","title":"T","applies_to_part":"PROD-1","owned_by":["DEVU-1"],"target_start_date":"9999-12-31T23:59:59Z"}`,
			probs:  []string{`@3 (target_close_date): "9999-12-31T23:59:59" is out of range: in UTC it falls outside the years 0000 to 9999`},
		},
		{
			name: "ID kinds", opt: Options{Type: "ticket"},
			header: append(append([]string{}, base...), "account", "rev_org", "tags", "artifacts"),
			cells:  []string{"T", "DEVU-1", "ACC-9, DEVU-2", "PROD-1", "REVU-1", "TAG-1=a, ISS-2=b", "ART-1"},
			probs: []string{
				`@1 (applies_to_part): "DEVU-1" is not a part ID (applies_to_part needs PROD-…, CAPL-…, FEAT-…, ENH-… or don:…:product/…, don:…:capability/…, don:…:feature/…, don:…:enhancement/…)`,
				`@2 (owned_by): "ACC-9" is not a dev user ID (owned_by needs DEVU-… or don:…:devu/…)`,
				`@3 (account): "PROD-1" is not an account ID (account needs ACC-… or don:…:account/…)`,
				`@4 (rev_org): "REVU-1" is not a Rev org ID (rev_org needs REV-… or don:…:revo/…)`,
				`@5 (tags): "ISS-2=b" is not a tag ID (tags needs TAG-… or don:…:tag/…); write TAG-1 or TAG-1=value`,
				`@6 (artifacts): "ART-1" is not an artifact ID (artifacts needs ARTIFACT-… or don:…:artifact/…)`,
			},
		},
		{
			name: "malformed IDs of any kind", opt: Options{Type: "issue"},
			header: append(append([]string{}, base...), "sprint"), cells: append(append([]string{}, baseCells...), "Sprint 4"),
			probs: []string{`@3 (sprint): "Sprint 4" is not an ID (sprint needs a display ID such as PROD-12 or a DON such as don:core:dvrv-us-1:devo/0:product/12)`},
		},
		{
			name: "title length counts characters", opt: Options{Type: "ticket"},
			header: base, cells: []string{strings.Repeat("ä", 256), "PROD-1", "DEVU-1"},
		},
		{
			name: "title too long", opt: Options{Type: "ticket"},
			header: base, cells: []string{strings.Repeat("a", 257), "PROD-1", "DEVU-1"},
			probs: []string{`@0 (title): "` + strings.Repeat("a", 79) + `…" is too long: at most 256 characters, this has 257`},
		},
		{
			name: "body too long", opt: Options{Type: "ticket"},
			header: append(append([]string{}, base...), "body"), cells: append(append([]string{}, baseCells...), strings.Repeat("b", 65537)),
			probs: []string{`@3 (body): "` + strings.Repeat("b", 79) + `…" is too long: at most 65536 characters, this has 65537`},
		},
		{
			name: "developed_with at most 8", opt: Options{Type: "issue"},
			header: append(append([]string{}, base...), "developed_with"),
			cells:  append(append([]string{}, baseCells...), "PROD-1,PROD-2,PROD-3,PROD-4,PROD-5,PROD-6,PROD-7,PROD-8,PROD-9"),
			probs:  []string{`@3 (developed_with): has 9 parts; at most 8 are allowed`},
		},
		{
			name: "required fields without columns", opt: Options{Type: "opportunity"},
			header: []string{"body"}, cells: []string{"x"},
			probs: []string{
				`@-1 (title): required field is empty`,
				`@-1 (applies_to_part): required field is empty`,
				`@-1 (owned_by): required field is empty`,
				`@-1 (account): required field is empty`,
			},
		},
		{
			name: "required fields with empty cells", opt: Options{Type: "ticket"},
			header: base, cells: []string{"  ", "", " , ;"},
			probs: []string{
				`@0 (title): required field is empty`,
				`@1 (applies_to_part): required field is empty`,
				`@2 (owned_by): required field is empty`,
			},
		},
		{
			name: "all problems of a row", opt: Options{Type: "ticket"},
			header: append(append([]string{}, base...), "severity", "is_spam"), cells: []string{"", "X", "DEVU-1", "urgent", "perhaps"},
			probs: []string{
				`@1 (applies_to_part): "X" is not a part ID (applies_to_part needs PROD-…, CAPL-…, FEAT-…, ENH-… or don:…:product/…, don:…:capability/…, don:…:feature/…, don:…:enhancement/…)`,
				`@3 (severity): "urgent" is not one of blocker, high, medium, low`,
				`@4 (is_spam): "perhaps" is not a yes/no value (true, false, yes, no, y, n, 1, 0)`,
				`@0 (title): required field is empty`,
			},
		},
		{
			name: "list splitting", opt: Options{Type: "ticket"},
			header: base, cells: []string{"T", "PROD-1", " DEVU-1 ;DEVU-2,, DEVU-3 ; "},
			want: `{"type":"ticket","title":"T","applies_to_part":"PROD-1","owned_by":["DEVU-1","DEVU-2","DEVU-3"]}`,
		},
		{
			name: "repeated list header is combined", opt: Options{Type: "ticket"},
			header: []string{"title", "applies_to_part", "owned_by", "tags", "owned_by", "tags"},
			cells:  []string{"T", "PROD-1", "DEVU-1", "TAG-1", "DEVU-2", "TAG-2=x"},
			want:   `{"type":"ticket","title":"T","applies_to_part":"PROD-1","owned_by":["DEVU-1","DEVU-2"],"tags":[{"id":"TAG-1"},{"id":"TAG-2","value":"x"}]}`,
		},
		{
			name: "display ID prefix is upper-cased", opt: Options{Type: "ticket"},
			header: base, cells: []string{"T", "prod-1", "devu-1"},
			want: `{"type":"ticket","title":"T","applies_to_part":"PROD-1","owned_by":["DEVU-1"]}`,
		},
		{
			name: "type column per row", opt: Options{Type: "ticket"},
			header: append([]string{"type"}, base...), cells: append([]string{"Issue"}, baseCells...),
			want: `{"type":"issue","title":"T","applies_to_part":"PROD-1","owned_by":["DEVU-1"]}`,
		},
		{
			name: "empty type cell falls back to the default", opt: Options{Type: "task"},
			header: append([]string{"type"}, base...), cells: append([]string{""}, baseCells...),
			want: `{"type":"task","title":"T","applies_to_part":"PROD-1","owned_by":["DEVU-1"]}`,
		},
		{
			name: "bad type cell", opt: Options{Type: "ticket"},
			header: append([]string{"type", "severity"}, base...), cells: append([]string{"bug", "high"}, baseCells...),
			probs: []string{`@0 (type): "bug" is not one of issue, opportunity, task, ticket`},
		},
		{
			name: "no type at all", header: append([]string{"type"}, base...), cells: append([]string{""}, baseCells...),
			probs: []string{`@-1 (type): required field is empty (no type in this row and no default type)`},
		},
		{
			name: "custom fields from header", opt: Options{Type: "ticket"},
			header: append(append([]string{}, base...), "custom_fields.tnt__external_id"), cells: append(append([]string{}, baseCells...), "EXT-1"),
			want: `{"type":"ticket","title":"T","applies_to_part":"PROD-1","owned_by":["DEVU-1"],"custom_fields":{"tnt__external_id":"EXT-1"},"custom_schema_spec":{"tenant_fragment":true}}`,
		},
		{
			name: "custom field types",
			mapping: `type: ticket
columns:
  title: title
  applies_to_part: applies_to_part
  owned_by: owned_by
  Points: {field: custom_fields.tnt__points, as: int}
  Score: {field: custom_fields.tnt__score, as: number}
  Vip: {field: custom_fields.tnt__vip, as: bool}
  Day: {field: custom_fields.tnt__day, as: date, format: "02.01.2006"}
  When: {field: custom_fields.tnt__when, as: timestamp}
  Note: custom_fields.tnt__note
`,
			header: append(append([]string{}, base...), "Points", "Score", "Vip", "Day", "When", "Note"),
			cells:  append(append([]string{}, baseCells...), "5", "2.5", "yes", "01.03.2024", "2024-03-01 10:00", "hi"),
			want: `{"type":"ticket","title":"T","applies_to_part":"PROD-1","owned_by":["DEVU-1"],"custom_schema_spec":{"tenant_fragment":true},
				"custom_fields":{"tnt__points":5,"tnt__score":2.5,"tnt__vip":true,"tnt__day":"2024-03-01","tnt__when":"2024-03-01T10:00:00Z","tnt__note":"hi"}}`,
		},
		{
			name: "bad custom field values",
			mapping: `type: ticket
columns:
  Points: {field: custom_fields.tnt__points, as: int}
  Score: {field: custom_fields.tnt__score, as: number}
  Vip: {field: custom_fields.tnt__vip, as: bool}
  Day: {field: custom_fields.tnt__day, as: date}
defaults: {title: T, applies_to_part: PROD-1, owned_by: DEVU-1}
`,
			header: []string{"Points", "Score", "Vip", "Day"},
			cells:  []string{"5.5", "x", "si", "soon"},
			probs: []string{
				`@0 (custom_fields.tnt__points): "5.5" is not a whole number`,
				`@1 (custom_fields.tnt__score): "x" is not a number`,
				`@2 (custom_fields.tnt__vip): "si" is not a yes/no value (true, false, yes, no, y, n, 1, 0)`,
				`@3 (custom_fields.tnt__day): "soon" is not a date (write 2024-03-01, 2024-03-01 14:30, RFC 3339 such as 2024-03-01T14:30:00+01:00, or an Excel serial number)`,
			},
		},
		{
			name: "value map, format, split, lookup",
			mapping: `type: ticket
timezone: Europe/Berlin
columns:
  Subject: title
  Priority:
    field: severity
    values: {Urgent: blocker, High: high, Normal: medium, Low: low, None: ""}
  Assignee: {field: owned_by, split: " / ", lookup: dev_user.email}
  Due: {field: target_close_date, format: "02.01.2006 15:04"}
  Labels: {field: tags, lookup: tag.name}
defaults:
  applies_to_part: PROD-1
`,
			header: []string{"Subject", "Priority", "Assignee", "Due", "Labels"},
			cells:  []string{"T", " urgent ", "ann@example.com / Doe, John", "01.03.2024 14:30", "bug, ui=dark"},
			want: `{"type":"ticket","title":"T","severity":"blocker","owned_by":["ann@example.com","Doe, John"],"target_close_date":"2024-03-01T13:30:00Z",
				"tags":[{"id":"bug"},{"id":"ui","value":"dark"}],"applies_to_part":"PROD-1"}`,
		},
		{
			name: "unmapped value and empty mapped value",
			mapping: `type: ticket
columns:
  Priority:
    field: severity
    values: {Urgent: blocker, None: ""}
defaults: {title: T, applies_to_part: PROD-1, owned_by: [DEVU-1]}
`,
			header: []string{"Priority"}, cells: []string{"Critical"},
			probs: []string{`@0 (severity): "Critical" is not one of Urgent, None (the values of column "Priority")`},
		},
		{
			name: "defaults fill empty cells and absent columns",
			mapping: `type: opportunity
columns:
  Name: title
  Owner: owned_by
  Amount: value.amount
defaults:
  owned_by: [DEVU-1, DEVU-2]
  applies_to_part: PROD-1
  account: ACC-1
  value.currency: usd
  probability: 50%
  tags: "TAG-1=x"
`,
			header: []string{"Name", "Owner", "Amount"}, cells: []string{"Deal", "", "100"},
			want: `{"type":"opportunity","title":"Deal","owned_by":["DEVU-1","DEVU-2"],"applies_to_part":"PROD-1","account":"ACC-1",
				"value":{"amount":"100","currency":"USD"},"probability":0.5,"tags":[{"id":"TAG-1","value":"x"}]}`,
		},
		{
			name: "a currency default alone makes no money value",
			mapping: `type: opportunity
columns:
  Name: title
  Amount: value.amount
defaults: {owned_by: DEVU-1, applies_to_part: PROD-1, account: ACC-1, value.currency: EUR}
`,
			header: []string{"Name", "Amount"}, cells: []string{"Deal", ""},
			want: `{"type":"opportunity","title":"Deal","owned_by":["DEVU-1"],"applies_to_part":"PROD-1","account":"ACC-1"}`,
		},
		{
			name: "defaults of another type are skipped per row",
			mapping: `type: ticket
columns:
  Kind: type
  Name: title
defaults: {owned_by: DEVU-1, applies_to_part: PROD-1, severity: low, priority: p2}
`,
			header: []string{"Kind", "Name"}, cells: []string{"issue", "Bug"},
			want: `{"type":"issue","title":"Bug","owned_by":["DEVU-1"],"applies_to_part":"PROD-1","priority":"p2"}`,
		},
		{
			name: "bad cell is not replaced by a default",
			mapping: `type: ticket
columns:
  Sev: severity
defaults: {title: T, owned_by: DEVU-1, applies_to_part: PROD-1, severity: low}
`,
			header: []string{"Sev"}, cells: []string{"meh"},
			want:  `{"type":"ticket","title":"T","owned_by":["DEVU-1"],"applies_to_part":"PROD-1"}`,
			probs: []string{`@0 (severity): "meh" is not one of blocker, high, medium, low`},
		},
		{
			name: "missing trailing cells are empty", opt: Options{Type: "ticket"},
			header: append(append([]string{}, base...), "severity"), cells: baseCells,
			want: `{"type":"ticket","title":"T","applies_to_part":"PROD-1","owned_by":["DEVU-1"]}`,
		},
		{
			name: "key column that is empty", opt: Options{Type: "ticket", Key: []string{"Ext"}},
			header: append(append([]string{}, base...), "Ext"), cells: append(append([]string{}, baseCells...), ""),
			probs: []string{`@3: key is empty (key column "Ext"): the row cannot be told apart from others across runs`},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m, _ := compileFor(t, tt.mapping, tt.header, tt.opt)
			res := m.Map(textRow(tt.cells...))
			if got := probStrings(res.Problems); !reflect.DeepEqual(got, tt.probs) {
				t.Errorf("problems:\n got %q\nwant %q", got, tt.probs)
			}
			if tt.want != "" {
				got, want := workJSON(t, res.Work), parseJSON(t, tt.want)
				if !reflect.DeepEqual(got, want) {
					gb, _ := json.Marshal(got)
					wb, _ := json.Marshal(want)
					t.Errorf("work:\n got %s\nwant %s", gb, wb)
				}
			}
		})
	}
}

func mustZone(t *testing.T, name string) *time.Location {
	t.Helper()
	loc, err := time.LoadLocation(name)
	if err != nil {
		t.Fatal(err)
	}
	return loc
}

func TestMapCellKinds(t *testing.T) {
	m, _ := compileFor(t, `type: opportunity
timezone: Europe/Berlin
columns:
  Name: title
  Amount: amount
  Value: value.amount
  Close: target_close_date
  Flag: {field: custom_fields.tnt__flag, as: bool}
  Day: {field: custom_fields.tnt__day, as: date}
defaults: {owned_by: DEVU-1, applies_to_part: PROD-1, account: ACC-1, value.currency: EUR}
`, []string{"Name", "Amount", "Value", "Close", "Flag", "Day"}, Options{})
	row := source.Row{Number: 2, Cells: []source.Cell{
		{Value: "Deal"},
		{Value: "12500.5", Kind: source.Number},
		{Value: "12500.5", Kind: source.Number},
		{Value: "2024-03-01T14:30:00Z", Kind: source.Date},
		{Value: "true", Kind: source.Bool},
		{Value: "45352", Kind: source.Number},
	}}
	res := m.Map(row)
	if len(res.Problems) > 0 {
		t.Fatalf("problems: %q", probStrings(res.Problems))
	}
	got := workJSON(t, res.Work)
	want := parseJSON(t, `{"type":"opportunity","title":"Deal","amount":12500.5,"value":{"amount":"12500.5","currency":"EUR"},
		"target_close_date":"2024-03-01T13:30:00Z","custom_fields":{"tnt__flag":true,"tnt__day":"2024-03-01"},"custom_schema_spec":{"tenant_fragment":true},
		"owned_by":["DEVU-1"],"applies_to_part":"PROD-1","account":"ACC-1"}`)
	if !reflect.DeepEqual(got, want) {
		t.Errorf("work:\n got %v\nwant %v", got, want)
	}
}

func TestMapRowError(t *testing.T) {
	m, _ := compileFor(t, "", base, Options{Type: "ticket"})
	row := textRow(baseCells...)
	row.Err = &source.RowError{Where: "t.csv:3", Msg: "has 4 fields, the header has 3"}
	res := m.Map(row)
	want := []string{`@-1: has 4 fields, the header has 3`}
	if got := probStrings(res.Problems); !reflect.DeepEqual(got, want) {
		t.Errorf("got %q; want %q", got, want)
	}
	row.Err = errors.New("plain")
	if got := m.Map(row).Problems; len(got) != 1 || got[0].Msg != "plain" || got[0].Col != -1 {
		t.Errorf("plain error: got %+v", got)
	}
	// Every error of a join, each cell error at its column.
	row.Err = errors.Join(
		&source.RowError{Where: "t.csv:3", Msg: "has 4 fields, the header has 3"},
		&source.RowError{Where: `t.csv:3 column "owned_by"`, Msg: "cell is 9 bytes, over the limit of 8", Column: 3},
		&source.RowError{Where: "t.csv:3 column Z", Msg: "invalid UTF-8", Column: 99},
	)
	res = m.Map(row)
	want = []string{`@-1: has 4 fields, the header has 3`, `@2: cell is 9 bytes, over the limit of 8`, `@-1: invalid UTF-8`}
	if got := probStrings(res.Problems); !reflect.DeepEqual(got, want) {
		t.Errorf("joined: got %q; want %q", got, want)
	}
	if res.Problems[1].Column != "owned_by" {
		t.Errorf("cell problem names column %q, want owned_by", res.Problems[1].Column)
	}
}

func TestMapKey(t *testing.T) {
	header := append(append([]string{}, base...), "A", "B")
	const mapAB = "type: ticket\ncolumns: {title: title, applies_to_part: applies_to_part, owned_by: owned_by, A: body, B: stage.name}\n"
	m, _ := compileFor(t, mapAB, header, Options{})
	key := func(m *Mapper, cells ...string) string {
		t.Helper()
		res := m.Map(textRow(cells...))
		if k, ok := m.Key(textRow(cells...)); !ok || k != res.Key {
			t.Errorf("Key = %q, %v; Map's key %q", k, ok, res.Key)
		}
		return res.Key
	}
	r1 := key(m, "T", "PROD-1", "DEVU-1", "x", "y")
	if !strings.HasPrefix(r1, "h2:") || len(r1) != 19 {
		t.Fatalf("hash key %q: want h2: and 16 hex digits", r1)
	}
	if r2 := key(m, "T", "PROD-1", "DEVU-1", "xy", ""); r1 == r2 {
		t.Errorf("hash key ignores cell boundaries: %q", r1)
	}
	if r2 := key(m, "T", "PROD-1", "DEVU-1", "y", "x"); r1 == r2 {
		t.Errorf("hash key ignores which column a value is in: %q", r1)
	}
	// The key is pinned: it must not change between releases, or resumed
	// runs would create duplicates. (SHA-256 over, per non-empty mapped
	// cell by lower-case column name: uvarint length + name, uvarint
	// length + trimmed value.)
	if r1 != "h2:1bbfb90da2c36715" {
		t.Errorf("hash key is %q; want h2:1bbfb90da2c36715", r1)
	}
	if got := key(m, " T ", "PROD-1", "DEVU-1\t", "x", "y "); got != r1 {
		t.Errorf("spaces around cells changed the key: %q, want %q", got, r1)
	}
	// Columns added (unmapped or ignored) or moved leave the key alone.
	moved := []string{"B", "Notes", "title", "owned_by", "applies_to_part", "Group", "A"}
	m2, _ := compileFor(t, mapAB+"ignore: [Group]\n", moved, Options{})
	if got := key(m2, "y", "a note", "T", "DEVU-1", "PROD-1", "g", "x"); got != r1 {
		t.Errorf("added and moved columns changed the key: %q, want %q", got, r1)
	}
	if got, want := m.HashedColumns(), []string{"a", "applies_to_part", "b", "owned_by", "title"}; !reflect.DeepEqual(got, want) {
		t.Errorf("HashedColumns = %q; want %q", got, want)
	}
	// A checkpoint's hashed columns win over the mapping's.
	m3, _ := compileFor(t, "type: ticket\ncolumns: {title: title, applies_to_part: applies_to_part, owned_by: owned_by, A: body}\n", header, Options{})
	if got := key(m3, "T", "PROD-1", "DEVU-1", "x", "y"); got == r1 {
		t.Errorf("dropping column B from the mapping kept the key %q", got)
	}
	re, err := m3.Rekey(KeySchemeCurrent, m.HashedColumns())
	if err != nil {
		t.Fatal(err)
	}
	if got := key(re, "T", "PROD-1", "DEVU-1", "x", "y"); got != r1 {
		t.Errorf("rekeyed to the checkpoint's columns: %q, want %q", got, r1)
	}
	if _, err := m3.Rekey(KeySchemeCurrent, []string{"title", "gone"}); err == nil || !strings.Contains(err.Error(), `"gone"`) {
		t.Errorf("Rekey with a missing column: %v", err)
	}
	// Checkpoints written before key schemes keep their keys: every cell
	// as read, in header order (computed independently: SHA-256 over
	// uvarint length + bytes per cell).
	legacy, _ := m.Rekey(KeySchemeLegacy, nil)
	if got := key(legacy, "T", "PROD-1", "DEVU-1", "x", "y"); got != "h:a8366773f1abf739" {
		t.Errorf("legacy hash key is %q; want h:a8366773f1abf739", got)
	}

	m, _ = compileFor(t, "", header, Options{Type: "ticket", Key: []string{"b", "A"}})
	if got := key(m, "T", "PROD-1", "DEVU-1", " x ", "y"); got != `["y","x"]` {
		t.Errorf("composite key = %q; want [\"y\",\"x\"]", got)
	}
	if a, b := key(m, "T", "PROD-1", "DEVU-1", "C", "A|B"), key(m, "T", "PROD-1", "DEVU-1", "B|C", "A"); a == b {
		t.Errorf("composite keys (A|B, C) and (A, B|C) are both %q", a)
	}
	legacy, _ = m.Rekey(KeySchemeLegacy, nil)
	if got := key(legacy, "T", "PROD-1", "DEVU-1", " x ", "y"); got != "y|x" {
		t.Errorf("legacy composite key = %q; want y|x", got)
	}
	if got := key(m, "T", "PROD-1", "DEVU-1", "", "y"); got != `["y",""]` {
		t.Errorf("composite key with one empty cell = %q", got)
	}
	m, _ = compileFor(t, "type: ticket\nkey: A\ncolumns: {title: title}\n", header, Options{})
	if got := key(m, "T", "PROD-1", "DEVU-1", "K-1", "y"); got != "K-1" {
		t.Errorf("mapping key = %q; want K-1", got)
	}
	if m.HashedColumns() != nil || !reflect.DeepEqual(m.KeyNames(), []string{"A"}) {
		t.Errorf("KeyNames %q, HashedColumns %q", m.KeyNames(), m.HashedColumns())
	}
}

func TestEmptyKeyIsInvalidUnderAStandIn(t *testing.T) {
	header := append(append([]string{}, base...), "A", "B")
	m, _ := compileFor(t, "", header, Options{Type: "ticket", Key: []string{"A", "B"}})
	row := textRow("T", "PROD-1", "DEVU-1", " ", "")
	row.Number = 17
	res := m.Map(row)
	if res.Key != EmptyKey(17) || res.Key == "" {
		t.Errorf("key %q; want the stand-in %q", res.Key, EmptyKey(17))
	}
	want := []string{`@3: key is empty (key columns "A", "B"): the row cannot be told apart from others across runs`}
	if got := probStrings(res.Problems); !reflect.DeepEqual(got, want) {
		t.Errorf("problems %q; want %q", got, want)
	}
	if _, ok := m.Key(row); ok {
		t.Error("Key reports an empty key as ok")
	}
	// No key computed from cells can equal a stand-in.
	m, _ = compileFor(t, "", header, Options{Type: "ticket", Key: []string{"A"}})
	row = textRow("T", "PROD-1", "DEVU-1", EmptyKey(17), "")
	if k, _ := m.Key(row); k == EmptyKey(17) {
		t.Errorf("a cell's key equals the stand-in %q", k)
	}
}

func TestProblemFormat(t *testing.T) {
	tests := []struct {
		p     Problem
		where string
		want  string
	}{
		{Problem{Col: 3, Column: "Priority", Field: "severity", Value: "urgent", Msg: "is not one of blocker, high, medium, low"},
			`tickets.csv:14 column "Priority"`, `tickets.csv:14 column "Priority" (severity): "urgent" is not one of blocker, high, medium, low`},
		{Problem{Col: -1, Field: "title", Msg: "required field is empty"}, "tickets.csv:14", `tickets.csv:14 (title): required field is empty`},
		{Problem{Col: -1, Msg: "has 4 fields"}, "Tickets!12", `Tickets!12: has 4 fields`},
		{Problem{Col: 0, Field: "title", Value: `say "hi"`, Msg: "x"}, "Tickets!A2", `Tickets!A2 (title): "say \"hi\"" x`},
	}
	for _, tt := range tests {
		if got := tt.p.Format(tt.where); got != tt.want {
			t.Errorf("Format = %q; want %q", got, tt.want)
		}
	}
}

func TestMapperAccessors(t *testing.T) {
	m, _ := compileFor(t, `type: task
columns:
  Name: title
  Who: {field: owned_by, lookup: dev_user.name}
  Also: owned_by
`, []string{"Also", "Name", "Who"}, Options{})
	if m.Type() != "task" {
		t.Errorf("Type() = %q", m.Type())
	}
	if got, want := m.Fields(), []string{"owned_by", "title"}; !reflect.DeepEqual(got, want) {
		t.Errorf("Fields() = %q; want %q", got, want)
	}
	lc := m.LookupColumns()
	if len(lc) != 1 || lc[0].Column != "Who" || lc[0].Lookup != "dev_user.name" || lc[0].Field != "owned_by" {
		t.Errorf("LookupColumns() = %+v", lc)
	}
	m, _ = compileFor(t, "", base, Options{Type: "Opportunity"})
	if m.Type() != "opportunity" {
		t.Errorf("--type is normalised: %q", m.Type())
	}
}

func TestCompileWarnings(t *testing.T) {
	_, warns := compileFor(t, "", []string{"title", "Sevrity", "severity", ""}, Options{Type: "issue"})
	want := []string{
		`column "Sevrity" is not mapped to any field (did you mean severity?); ignored`,
		`column "severity" feeds severity, which is not a field of issue works (it belongs to ticket); every non-empty cell will be an error`,
	}
	if !reflect.DeepEqual(warns, want) {
		t.Errorf("warnings:\n got %q\nwant %q", warns, want)
	}
	_, warns = compileFor(t, "type: ticket\ncolumns: {T: title}\nignore: [Group]\n", []string{"T", "Group", "Created"}, Options{})
	if want := []string{`column "Created" is not mapped to any field; ignored`}; !reflect.DeepEqual(warns, want) {
		t.Errorf("warnings:\n got %q\nwant %q", warns, want)
	}
}

func TestParseReadingKeys(t *testing.T) {
	for _, tc := range []struct {
		yaml       string
		sheet, enc string
		delim      rune
	}{
		{"sheet: ' Issues '\nencoding: windows-1252\ndelimiter: ';'\n", "Issues", "windows-1252", ';'},
		{"delimiter: tab\n", "", "", '\t'},
		{"delimiter: \"\\t\"\n", "", "", '\t'},
		{"delimiter: '|'\nencoding: UTF-16\n", "", "UTF-16", '|'},
		{"", "", "", 0},
	} {
		cfg, err := Parse("m.yaml", []byte("type: issue\ncolumns: {T: title}\n"+tc.yaml))
		if err != nil {
			t.Errorf("%q: %v", tc.yaml, err)
			continue
		}
		if cfg.Sheet != tc.sheet || cfg.Encoding != tc.enc || cfg.Delimiter != tc.delim {
			t.Errorf("%q: sheet %q encoding %q delimiter %q", tc.yaml, cfg.Sheet, cfg.Encoding, cfg.Delimiter)
		}
	}
	cfg, err := Parse("m.yaml", []byte("type: issue\nheader_row: 4\ncolumns: {T: title}\n"))
	if err != nil || cfg.HeaderRow != 4 {
		t.Errorf("header_row: 4: %v, HeaderRow %d", err, cfg.HeaderRow)
	}
	for _, bad := range []string{"0", "-2", "four", "[4]"} {
		if _, err := Parse("m.yaml", []byte("type: issue\nheader_row: "+bad+"\ncolumns: {T: title}\n")); err == nil || !strings.Contains(err.Error(), "header_row") {
			t.Errorf("header_row: %s: err %v, want one naming header_row", bad, err)
		}
	}
}

func TestMayRepeat(t *testing.T) {
	cfg, err := Parse("m.yaml", []byte("type: ticket\ncolumns:\n  Watchers: {field: owned_by, lookup: dev_user.name}\n  Labels: tags\n  Summary: title\n  Points: custom_fields.tnt__points\nignore: [Sprint]\n"))
	if err != nil {
		t.Fatal(err)
	}
	for h, want := range map[string]bool{"Watchers": true, "labels": true, " sprint ": true, "Other": true, "Summary": false, "points": false} {
		if got := cfg.MayRepeat(h); got != want {
			t.Errorf("MayRepeat(%q) = %v; want %v", h, got, want)
		}
	}
	var none *Config
	for h, want := range map[string]bool{"Owned_By": true, "tags": true, "channels": true, "Watchers": true, "title": false, "Title ": false, "custom_fields.tnt__x": false} {
		if got := none.MayRepeat(h); got != want {
			t.Errorf("nil MayRepeat(%q) = %v; want %v", h, got, want)
		}
	}
}

func TestMapConcurrent(t *testing.T) {
	m, _ := compileFor(t, "", append(append([]string{}, base...), "custom_fields.tnt__x"), Options{Type: "ticket"})
	done := make(chan Result)
	for i := 0; i < 8; i++ {
		go func(i int) {
			done <- m.Map(textRow("T"+strconv.Itoa(i), "PROD-1", "DEVU-1", "v"))
		}(i)
	}
	for i := 0; i < 8; i++ {
		if r := <-done; len(r.Problems) > 0 {
			t.Errorf("problems: %q", probStrings(r.Problems))
		}
	}
}

// TestMapIntoReuse maps very different rows into one reused Work and checks
// each result against a fresh Map: nothing may leak from one row to the next.
func TestMapIntoReuse(t *testing.T) {
	header := []string{"type", "title", "applies_to_part", "owned_by", "tags", "stage", "value", "annual_contract_value.amount",
		"annual_contract_value.currency", "account", "custom_fields.tnt__x", "severity", "is_spam", "developed_with", "priority_v2"}
	m, _ := compileFor(t, "", header, Options{Type: "ticket"})
	rows := [][]string{
		{"opportunity", "A", "PROD-1", "DEVU-1, DEVU-2", "TAG-1=x", "won", "10 USD", "5", "EUR", "ACC-1", "x1", "", "", "", ""},
		{"ticket", "B", "PROD-2", "DEVU-3", "", "", "", "", "", "ACC-2", "", "high", "yes", "", ""},
		{"issue", "", "", "", "TAG-9", "", "", "", "", "", "x3", "", "", "PROD-1,PROD-2", "P2"},
		{"opportunity", "D", "PROD-1", "DEVU-1", "", "", "", "", "", "ACC-1", "", "", "", "", ""},
		{"ticket", "E", "PROD-2", "DEVU-3", "", "open", "", "", "", "", "x5", "low", "no", "", ""},
	}
	var w Work
	for i, cells := range rows {
		fresh := m.Map(textRow(cells...))
		reused := m.MapInto(&w, textRow(cells...))
		if reused.Work != &w {
			t.Fatal("MapInto did not return its Work")
		}
		fb, _ := json.Marshal(fresh.Work)
		rb, _ := json.Marshal(reused.Work)
		if string(fb) != string(rb) {
			t.Errorf("row %d:\n Map     %s\n MapInto %s", i, fb, rb)
		}
		if !reflect.DeepEqual(probStrings(fresh.Problems), probStrings(reused.Problems)) || fresh.Key != reused.Key {
			t.Errorf("row %d: problems or key differ: %q %q / %q %q", i, probStrings(fresh.Problems), fresh.Key, probStrings(reused.Problems), reused.Key)
		}
	}
}

// TestWorkReset fills every exported field of a Work and checks that
// reset empties all of them (a field added to Work but not to reset would
// leak from one row into the next in MapInto).
func TestWorkReset(t *testing.T) {
	var w Work
	v := reflect.ValueOf(&w).Elem()
	for i := 0; i < v.NumField(); i++ {
		f := v.Field(i)
		if !v.Type().Field(i).IsExported() {
			continue
		}
		switch f.Kind() {
		case reflect.String:
			f.SetString("x")
		case reflect.Slice:
			f.Set(reflect.MakeSlice(f.Type(), 1, 1))
		case reflect.Pointer:
			f.Set(reflect.New(f.Type().Elem()))
		case reflect.Map:
			f.Set(reflect.MakeMap(f.Type()))
			f.SetMapIndex(reflect.ValueOf("k"), reflect.ValueOf(any(1)))
		default:
			t.Fatalf("field %s has unexpected kind %s", v.Type().Field(i).Name, f.Kind())
		}
	}
	w.reset()
	for i := 0; i < v.NumField(); i++ {
		f := v.Field(i)
		if !v.Type().Field(i).IsExported() {
			continue
		}
		if (f.Kind() == reflect.Slice || f.Kind() == reflect.Map) && f.Len() == 0 {
			continue
		}
		if !f.IsZero() {
			t.Errorf("reset left %s = %v", v.Type().Field(i).Name, f.Interface())
		}
	}
	if b, _ := json.Marshal(&w); string(b) != `{"type":""}` {
		t.Errorf("reset work marshals as %s", b)
	}
}
