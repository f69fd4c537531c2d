package mapping

import (
	"encoding/json"
	"fmt"
	"math"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/devrev-import/devrev-import/importer/source"
)

// convertCase maps the one column "X" of a row to one field, everything
// else the work type needs coming from defaults, so that the cell alone
// decides whether the row is valid.
type convertCase struct {
	typ  string // work type
	tz   string // mapping timezone ("" = UTC)
	rule string // the YAML value of "X:" under columns
	// check tests the converted value of a row without problems.
	check func(w *Work) error
}

// Checks of converted values.
var (
	reDecimal  = regexp.MustCompile(`^-?(0|[1-9][0-9]*)(\.[0-9]*[1-9])?$`)
	reCurrency = regexp.MustCompile(`^[A-Z]{3}$`)
	reDay      = regexp.MustCompile(`^[0-9]{4}-[0-9]{2}-[0-9]{2}$`)
)

func rfc3339(name, v string) error {
	if v == "" {
		return nil
	}
	if _, err := time.Parse(time.RFC3339, v); err != nil {
		return fmt.Errorf("%s %q is not RFC 3339: %v", name, v, err)
	}
	if !strings.HasSuffix(v, "Z") {
		return fmt.Errorf("%s %q is not in UTC", name, v)
	}
	return nil
}

func oneOf(name, v string, set []string) error {
	if v != "" && !slices.Contains(set, v) {
		return fmt.Errorf("%s %q is not one of %v", name, v, set)
	}
	return nil
}

func finite(name string, p *float64) error {
	if p != nil && (math.IsNaN(*p) || math.IsInf(*p, 0)) {
		return fmt.Errorf("%s is %v", name, *p)
	}
	return nil
}

func money(name string, m *Money) error {
	if m == nil {
		return nil
	}
	if !reDecimal.MatchString(m.Amount) || m.Amount == "-0" {
		return fmt.Errorf("%s amount %q is not a canonical decimal", name, m.Amount)
	}
	if !reCurrency.MatchString(m.Currency) {
		return fmt.Errorf("%s currency %q is not an ISO 4217 code", name, m.Currency)
	}
	return nil
}

func custom(w *Work, check func(v any) error) error {
	v, ok := w.CustomFields["tnt__x"]
	if !ok {
		return nil
	}
	return check(v)
}

// convertCases covers every converter: each field kind, dates with and
// without format and timezone, IDs, tags, lookups and each custom type.
var convertCases = []convertCase{
	{typ: "ticket", rule: "type", check: func(w *Work) error { return oneOf("type", w.Type, workTypes[:]) }},
	{typ: "ticket", rule: "title", check: func(w *Work) error {
		if w.Title == "" || strings.TrimSpace(w.Title) != w.Title {
			return fmt.Errorf("title %q empty or not trimmed", w.Title)
		}
		return nil
	}},
	{typ: "ticket", rule: "body"},
	{typ: "ticket", rule: "source_channel"},
	{typ: "ticket", rule: "severity", check: func(w *Work) error { return oneOf("severity", w.Severity, enumSeverity) }},
	{typ: "ticket", rule: "{field: severity, values: {Urgent: blocker, High: high, ' Normal ': medium, low: low}}", check: func(w *Work) error { return oneOf("severity", w.Severity, enumSeverity) }},
	{typ: "issue", rule: "priority", check: func(w *Work) error { return oneOf("priority", w.Priority, enumPriority) }},
	{typ: "opportunity", rule: "forecast_category", check: func(w *Work) error {
		return oneOf("forecast_category", w.ForecastCategory, enumForecastCategory)
	}},
	{typ: "ticket", rule: "channels", check: func(w *Work) error {
		for _, c := range w.Channels {
			if err := oneOf("channel", c, enumChannels); err != nil {
				return err
			}
		}
		return nil
	}},
	{typ: "ticket", rule: "{field: stage_validation_options, split: '|'}"},
	{typ: "issue", rule: "priority_v2", check: func(w *Work) error {
		if p := w.PriorityV2; p != nil && (*p < 1 || *p > 4) {
			return fmt.Errorf("priority_v2 %d", *p)
		}
		return nil
	}},
	{typ: "opportunity", rule: "forecast_category_v2", check: func(w *Work) error {
		if p := w.ForecastCategoryV2; p != nil && (*p < 1 || *p > 6) {
			return fmt.Errorf("forecast_category_v2 %d", *p)
		}
		return nil
	}},
	{typ: "ticket", rule: "is_spam"},
	{typ: "task", rule: "embedded"},
	{typ: "opportunity", rule: "amount", check: func(w *Work) error { return finite("amount", w.Amount) }},
	{typ: "opportunity", rule: "customer_budget", check: func(w *Work) error { return finite("customer_budget", w.CustomerBudget) }},
	{typ: "opportunity", rule: "probability", check: func(w *Work) error {
		if p := w.Probability; p != nil && !(*p >= 0 && *p <= 1) {
			return fmt.Errorf("probability %v outside [0, 1]", *p)
		}
		return nil
	}},
	{typ: "opportunity", rule: "value", check: func(w *Work) error { return money("value", w.Value) }},
	{typ: "opportunity", rule: "annual_contract_value", check: func(w *Work) error {
		return money("annual_contract_value", w.AnnualContractValue)
	}},
	{typ: "opportunity", rule: "value.amount", check: func(w *Work) error { return money("value", w.Value) }},
	{typ: "opportunity", rule: "value.currency", check: func(w *Work) error { return money("value", w.Value) }},
	{typ: "ticket", rule: "target_close_date", check: func(w *Work) error { return rfc3339("target_close_date", w.TargetCloseDate) }},
	{typ: "ticket", tz: "Pacific/Kiritimati", rule: "target_close_date", check: func(w *Work) error {
		return rfc3339("target_close_date", w.TargetCloseDate)
	}},
	{typ: "ticket", tz: "America/New_York", rule: `{field: target_close_date, format: "02.01.2006 15:04"}`, check: func(w *Work) error {
		return rfc3339("target_close_date", w.TargetCloseDate)
	}},
	{typ: "issue", tz: "Pacific/Pago_Pago", rule: `{field: target_start_date, format: "Jan 2, 2006"}`, check: func(w *Work) error {
		return rfc3339("target_start_date", w.TargetStartDate)
	}},
	{typ: "task", rule: `{field: start_date, format: "2006/01/02 3:04PM"}`, check: func(w *Work) error { return rfc3339("start_date", w.StartDate) }},
	{typ: "ticket", rule: "applies_to_part"},
	{typ: "ticket", rule: "{field: owned_by, split: ';'}"},
	{typ: "ticket", rule: "{field: owned_by, lookup: dev_user.email}"},
	{typ: "opportunity", rule: "account"},
	{typ: "opportunity", rule: "contacts"},
	{typ: "ticket", rule: "rev_org"},
	{typ: "ticket", rule: "group"},
	{typ: "issue", rule: "developed_with"},
	{typ: "ticket", rule: "artifacts"},
	{typ: "ticket", rule: "stage.id"},
	{typ: "ticket", rule: "stage"},
	{typ: "ticket", rule: "tags"},
	{typ: "ticket", rule: "{field: tags, lookup: tag.name}"},
	{typ: "ticket", rule: "custom_fields.tnt__x"},
	{typ: "ticket", rule: "{field: custom_fields.tnt__x, as: int}", check: func(w *Work) error {
		return custom(w, func(v any) error {
			if _, ok := v.(int64); !ok {
				return fmt.Errorf("int custom field is %T %v", v, v)
			}
			return nil
		})
	}},
	{typ: "ticket", rule: "{field: custom_fields.tnt__x, as: number}", check: func(w *Work) error {
		return custom(w, func(v any) error {
			f, ok := v.(float64)
			if !ok {
				return fmt.Errorf("number custom field is %T %v", v, v)
			}
			return finite("number custom field", &f)
		})
	}},
	{typ: "ticket", rule: "{field: custom_fields.tnt__x, as: bool}", check: func(w *Work) error {
		return custom(w, func(v any) error {
			if _, ok := v.(bool); !ok {
				return fmt.Errorf("bool custom field is %T %v", v, v)
			}
			return nil
		})
	}},
	{typ: "ticket", tz: "Asia/Kolkata", rule: "{field: custom_fields.tnt__x, as: date}", check: func(w *Work) error {
		return custom(w, func(v any) error {
			if s, ok := v.(string); !ok || !reDay.MatchString(s) {
				return fmt.Errorf("date custom field is %T %v", v, v)
			}
			return nil
		})
	}},
	{typ: "ticket", rule: `{field: custom_fields.tnt__x, as: date, format: "2.1.2006"}`, check: func(w *Work) error {
		return custom(w, func(v any) error {
			if s, ok := v.(string); !ok || !reDay.MatchString(s) {
				return fmt.Errorf("date custom field is %T %v", v, v)
			}
			return nil
		})
	}},
	{typ: "ticket", tz: "Europe/Berlin", rule: "{field: custom_fields.tnt__x, as: timestamp}", check: func(w *Work) error {
		return custom(w, func(v any) error {
			s, ok := v.(string)
			if !ok {
				return fmt.Errorf("timestamp custom field is %T %v", v, v)
			}
			return rfc3339("timestamp custom field", s)
		})
	}},
}

// convertMapping is the mapping file of a case.
func convertMapping(c convertCase) string {
	var b strings.Builder
	fmt.Fprintf(&b, "type: %s\n", c.typ)
	if c.tz != "" {
		fmt.Fprintf(&b, "timezone: %s\n", c.tz)
	}
	fmt.Fprintf(&b, "columns:\n  X: %s\ndefaults:\n  title: T\n  applies_to_part: PROD-1\n  owned_by: [DEVU-1]\n", c.rule)
	if c.typ == "opportunity" {
		b.WriteString("  account: ACC-1\n")
	}
	if strings.HasPrefix(c.rule, "value.") {
		b.WriteString("  value.amount: 1\n  value.currency: EUR\n")
	}
	return b.String()
}

// FuzzConvert drives every value converter with one fuzzed cell (and cell
// kind, as an XLSX reader would give it): Compile + Map on a one-row input.
// Nothing may panic; a row that maps without problems must marshal and its
// value must be well-formed (dates RFC 3339 in UTC, probability in [0, 1],
// enums canonical, money canonical, custom values of their type); MapInto
// on a Work dirtied by every other case must give the same body.
func FuzzConvert(f *testing.F) {
	type compiled struct {
		c convertCase
		m *Mapper
	}
	var cases []compiled
	for _, c := range convertCases {
		cfg, err := Parse("fuzz.yaml", []byte(convertMapping(c)))
		if err != nil {
			f.Fatalf("%s: %v\n%s", c.rule, err, convertMapping(c))
		}
		m, _, err := Compile(cfg, []string{"X"}, Options{})
		if err != nil {
			f.Fatalf("%s: %v", c.rule, err)
		}
		cases = append(cases, compiled{c, m})
	}
	seeds := []string{
		"", " ", "x", "High", "urgent", " Normal ", "p1", "P2", "Strong Upside", "strong-upside", "email; slack",
		"yes", "N", "TRUE", "0", "1", "-0", "12.0", "1e308", "1e309", "-1e-320", "0x10", "NaN", "Inf", "1_000",
		"45%", "100 %", "101%", "-0%", "0.5", "1.0000000000000002",
		"12500.50 USD", "USD 12500.50", "12 usd", "1e3 EUR", "-0.0 GBP", "12 XXX", "EUR",
		"2024-03-01", "2024-03-01T13:30:00Z", "2024-03-01 13:30", "2024-02-30", "0000-01-01", "0000-01-01T00:30",
		"9999-12-31T23:59:59", "9999-12-31T23:59:59-12:00", "45352.5", "2958465.99999", "60", "61",
		"01.03.2024 13:30", "Mar 1, 2024", "2024/03/01 1:30PM", "1.3.2024", "29.2.1900",
		"PROD-1", "DEVU-1;DEVU-2", "DEVU-1,,DEVU-2", "a@b.c", "don:core:dvrv-us-1:devo/0:product/12",
		"don:identity:dvrv-us-1:devo/0:devu/1", "TAG-1=x", "TAG-1=", "=x", "TAG-1=a=b",
		"ACC-1", "REV-1", "REVU-1", "ARTIFACT-1", "issue", "Ticket", "\x00", "\xff", "é", strings.Repeat("x", 300),
	}
	for i, s := range seeds {
		f.Add(s, uint8(i%4))
	}
	f.Fuzz(func(t *testing.T, cell string, kind uint8) {
		row := source.Row{Number: 2, Cells: []source.Cell{{Value: cell, Kind: source.Kind(kind % 4)}}}
		var scratch Work
		for _, c := range cases {
			res := c.m.Map(row)
			if res.Work == nil {
				t.Fatalf("%s: no work", c.c.rule)
			}
			for _, p := range res.Problems {
				if p.Msg == "" {
					t.Fatalf("%s: problem without a message: %+v", c.c.rule, p)
				}
				_ = p.Format("f.csv:2")
			}
			body, err := json.Marshal(res.Work)
			if len(res.Problems) > 0 {
				continue
			}
			if err != nil {
				t.Fatalf("%s: %q maps without problems but does not marshal: %v", c.c.rule, cell, err)
			}
			if c.c.check != nil {
				if err := c.c.check(res.Work); err != nil {
					t.Fatalf("%s (timezone %q, kind %d): %q: %v", c.c.rule, c.c.tz, kind%4, cell, err)
				}
			}
			again, err := json.Marshal(c.m.MapInto(&scratch, row).Work)
			if err != nil || string(again) != string(body) {
				t.Fatalf("%s: MapInto on a reused Work differs:\n%s\n%s", c.c.rule, body, again)
			}
		}
	})
}
