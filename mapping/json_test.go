package mapping

import (
	"encoding/json"
	"reflect"
	"sort"
	"strings"
	"testing"
)

// specFields are the properties of works-create-request and its variants
// in DevRev's OpenAPI spec (written out here: tests must not read the spec).
var specFields = map[string][]string{
	"common": {"type", "applies_to_part", "artifacts", "body", "custom_fields", "custom_schema_fragments", "custom_schema_spec",
		"owned_by", "reported_by", "stage", "stage_validation_options", "tags", "target_close_date", "title"},
	"issue":       {"developed_with", "priority", "priority_v2", "sprint", "target_start_date"},
	"opportunity": {"account", "amount", "annual_contract_value", "contacts", "customer_budget", "forecast_category", "forecast_category_v2", "priority", "probability", "value"},
	"task":        {"embedded", "priority", "start_date"},
	"ticket":      {"account", "channels", "channels_v2", "group", "is_spam", "needs_response", "rev_org", "severity", "source_channel", "source_channel_v2"},
}

// sampleCells is a valid cell for every column-mappable field.
var sampleCells = map[string]string{
	"title": "T", "body": "B", "applies_to_part": "PROD-1", "artifacts": "ARTIFACT-1",
	"custom_schema_fragments": "don:core:dvrv-us-1:devo/0:custom_type_fragment/1", "owned_by": "DEVU-1", "reported_by": "DEVU-2",
	"stage.name": "triage", "stage_validation_options": "allow_non_start", "tags": "TAG-1=v", "target_close_date": "2024-03-01",
	"custom_fields.tnt__x": "x",
	"developed_with":       "PROD-2", "priority": "p1", "priority_v2": "P2", "sprint": "SPR-1", "target_start_date": "2024-03-01",
	"account": "ACC-1", "amount": "0", "annual_contract_value": "100 USD", "contacts": "REVU-1", "customer_budget": "0",
	"forecast_category": "won", "forecast_category_v2": "won", "probability": "0", "value": "1 EUR",
	"embedded": "false", "start_date": "2024-03-01",
	"channels": "email", "channels_v2": "CHAN-1", "group": "GRP-1", "is_spam": "false", "needs_response": "no",
	"rev_org": "REV-1", "severity": "low", "source_channel": "web", "source_channel_v2": "CHAN-2",
}

// TestWorkJSONNames maps a row holding every field of each work type and
// checks that the marshalled body has exactly the spec's property names
// for that type, zero values (false, 0) included.
func TestWorkJSONNames(t *testing.T) {
	tab := fieldTable()
	for _, typ := range workTypes {
		t.Run(typ, func(t *testing.T) {
			bit := typeBit(typ)
			var header, cells []string
			for col, v := range sampleCells {
				path := col
				if strings.HasPrefix(col, customPrefix) {
					path = ""
				}
				if d := tab[path]; path != "" && (d == nil || d.types&bit == 0) {
					continue
				}
				header = append(header, col)
				cells = append(cells, v)
			}
			m, _ := compileFor(t, "", header, Options{Type: typ})
			res := m.Map(textRow(cells...))
			if len(res.Problems) > 0 {
				t.Fatalf("problems: %q", probStrings(res.Problems))
			}
			body, err := json.Marshal(res.Work)
			if err != nil {
				t.Fatal(err)
			}
			var got map[string]json.RawMessage
			if err := json.Unmarshal(body, &got); err != nil {
				t.Fatal(err)
			}
			want := append(append([]string{}, specFields["common"]...), specFields[typ]...)
			if g, w := sortedKeys(got), sortedSet(want); !reflect.DeepEqual(g, w) {
				t.Errorf("JSON names for %s:\n got %q\nwant %q", typ, g, w)
			}
		})
	}
}

// TestWorkStructTags checks that Work declares no JSON name outside the
// union of the four request variants.
func TestWorkStructTags(t *testing.T) {
	var union []string
	for _, names := range specFields {
		union = append(union, names...)
	}
	var tags []string
	rt := reflect.TypeOf(Work{})
	for i := 0; i < rt.NumField(); i++ {
		if !rt.Field(i).IsExported() {
			continue
		}
		name, _, _ := strings.Cut(rt.Field(i).Tag.Get("json"), ",")
		if name == "-" {
			continue // not sent (Work.ID)
		}
		tags = append(tags, name)
	}
	if g, w := sortedSet(tags), sortedSet(union); !reflect.DeepEqual(g, w) {
		t.Errorf("Work JSON names:\n got %q\nwant %q", g, w)
	}
}

// TestEmptyWorkJSON checks that an empty work sends nothing but its type.
func TestEmptyWorkJSON(t *testing.T) {
	b, err := json.Marshal(&Work{Type: "task"})
	if err != nil {
		t.Fatal(err)
	}
	if string(b) != `{"type":"task"}` {
		t.Errorf("empty work = %s", b)
	}
}

func sortedKeys(m map[string]json.RawMessage) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

func sortedSet(in []string) []string {
	seen := map[string]bool{}
	var out []string
	for _, s := range in {
		if !seen[s] {
			seen[s] = true
			out = append(out, s)
		}
	}
	sort.Strings(out)
	return out
}
