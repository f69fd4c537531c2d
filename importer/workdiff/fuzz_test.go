package workdiff

import (
	"encoding/json"
	"reflect"
	"slices"
	"strings"
	"testing"
)

// fullBodies hold every create field of each type, and two custom fields.
var fullBodies = map[string]string{
	"issue": `{"type":"issue","title":"T","body":"B","applies_to_part":"PROD-1","owned_by":["DEVU-1"],"reported_by":["DEVU-3"],"artifacts":["ARTIFACT-1"],
		"tags":[{"id":"TAG-1"}],"stage":{"name":"triage"},"target_close_date":"2024-03-01T00:00:00Z","priority":"p1","priority_v2":2,"sprint":"SPR-4",
		"target_start_date":"2024-03-01T14:30:00Z","developed_with":["PROD-2"],"custom_fields":{"tnt__a":5,"tnt__b":"x"},"custom_schema_spec":{"tenant_fragment":true}}`,
	"ticket": `{"type":"ticket","title":"T","applies_to_part":"PROD-1","owned_by":["DEVU-1"],"severity":"blocker","account":"ACC-9","channels":["email"],
		"channels_v2":["CH-1"],"group":"GRP-1","is_spam":false,"needs_response":true,"rev_org":"REV-AbCd","source_channel":"web","source_channel_v2":"CHAN-1",
		"stage":{"id":"STAGE-1"},"custom_fields":{"tnt__a":5}}`,
	"task": `{"type":"task","title":"T","applies_to_part":"PROD-1","owned_by":["DEVU-1"],"embedded":true,"priority":"p3","start_date":"2024-03-01T10:00:00Z"}`,
	"opportunity": `{"type":"opportunity","title":"T","applies_to_part":"PROD-1","owned_by":["DEVU-1"],"account":"ACC-1","amount":1200.5,
		"annual_contract_value":{"amount":"1000","currency":"USD"},"contacts":["REVU-1"],"customer_budget":5000,"forecast_category":"won",
		"forecast_category_v2":4,"priority":"p0","probability":0.45,"value":{"amount":"12500.5","currency":"EUR"}}`,
}

// candidates are the field names a fuzzed field set is drawn from: every
// field of every type, two custom fields and a name no type has.
func candidates() []string {
	set := map[string]bool{"custom_fields.tnt__a": true, "custom_fields.tnt__b": true, "colour": true}
	for name := range common {
		set[name] = true
	}
	for _, fs := range byType {
		for name := range fs {
			set[name] = true
		}
	}
	out := make([]string, 0, len(set))
	for name := range set {
		out = append(out, name)
	}
	slices.Sort(out)
	return out
}

// FuzzUpdateCarriesExactlyTheFields: for any type, any subset of fields,
// from a full body or an empty one (every field emptied), with any
// options, the update is a JSON object that carries type and id, each
// named field either sent (custom ones inside custom_fields) or named by
// exactly one warning, and nothing else but the schema hint and the stage
// validation option.
func FuzzUpdateCarriesExactlyTheFields(f *testing.F) {
	f.Add(uint8(0), uint64(0), false, uint8(0))
	f.Add(uint8(1), ^uint64(0), true, uint8(3))
	f.Add(uint8(3), uint64(0x5555555555555555), false, uint8(1))
	names := candidates()
	types := []string{"issue", "ticket", "task", "opportunity"}
	f.Fuzz(func(t *testing.T, ti uint8, mask uint64, empty bool, opts uint8) {
		typ := types[int(ti)%len(types)]
		body := fullBodies[typ]
		if empty {
			body = `{"type":"` + typ + `"}`
		}
		var fields []string
		for i, name := range names {
			if mask&(1<<(i%64)) != 0 {
				fields = append(fields, name)
			}
		}
		opt := UpdateOptions{TagsAdd: opts&1 != 0, AllowInvalidTransition: opts&2 != 0}
		out, warns, err := Update([]byte(body), "ISS-9", typ, fields, opt)
		if err != nil {
			t.Fatalf("Update(%s, %v): %v", typ, fields, err)
		}
		checkCarries(t, out, warns, typ, fields, opt, !strings.Contains(body, `"tags"`))
	})
}

func checkCarries(t *testing.T, out []byte, warns []string, typ string, fields []string, opt UpdateOptions, noTags bool) {
	t.Helper()
	var got map[string]json.RawMessage
	if err := json.Unmarshal(out, &got); err != nil {
		t.Fatalf("the update is no JSON object: %s", out)
	}
	if string(got["type"]) != `"`+typ+`"` || string(got["id"]) != `"ISS-9"` {
		t.Fatalf("type or id missing: %s", out)
	}
	var cf map[string]json.RawMessage
	if raw, ok := got["custom_fields"]; ok {
		if err := json.Unmarshal(raw, &cf); err != nil || len(cf) == 0 {
			t.Fatalf("custom_fields %s", raw)
		}
		if _, ok := got["custom_schema_spec"]; !ok {
			if _, ok := got["custom_schema_fragments"]; !ok {
				t.Fatalf("custom fields without a schema hint: %s", out)
			}
		}
	}
	allowed := map[string]bool{"type": true, "id": true, "custom_fields": cf != nil,
		"custom_schema_spec": cf != nil, "custom_schema_fragments": cf != nil}
	sent := 0
	for _, name := range fields {
		warned := 0
		for _, w := range warns {
			if strings.HasPrefix(w, name+" ") || strings.HasPrefix(w, name+":") {
				warned++
			}
		}
		var in bool
		if key, ok := strings.CutPrefix(name, CustomPrefix); ok {
			_, in = cf[key]
		} else {
			_, in = got[name]
			allowed[name] = true
		}
		if in {
			sent++
		}
		silent := noTags && name == "tags" && opt.TagsAdd // tags: add never removes
		if ok := (in && warned == 0) || (!in && warned == 1) || (!in && warned == 0 && silent); !ok {
			t.Fatalf("%s %s: sent %v, %d warnings %q; body %s", typ, name, in, warned, warns, out)
		}
		if name == "stage" && in && opt.AllowInvalidTransition {
			allowed["stage_validation_options"] = true
		}
	}
	for key := range got {
		if !allowed[key] {
			t.Fatalf("%s carries %s, not asked for: %s", typ, key, out)
		}
	}
	if len(warns)+sent > len(fields) {
		t.Fatalf("%d warnings and %d fields sent for %d fields: %q", len(warns), sent, len(fields), warns)
	}
}

// FuzzFieldsCheapWayIsTheLongWay: Fields never panics, and on any body it
// accepts it gives exactly what decoding every value with encoding/json
// gives.
func FuzzFieldsCheapWayIsTheLongWay(f *testing.F) {
	for _, b := range fullBodies {
		f.Add([]byte(b))
	}
	f.Add([]byte(`{"title":"a\"b","owned_by":["b","a"],"tags":[{"value":"x","id":"T"}],"custom_fields":{"x":1.50,"y":"2024-01-01T00:00:00+01:00"}}`))
	f.Add([]byte(`{"target_close_date":"2024-03-01T10:00:00+02:00","amount":-0,"a":{"b":[1,2]}}`))
	f.Fuzz(func(t *testing.T, body []byte) {
		got, err := Fields(body)
		if err != nil {
			return
		}
		var top map[string]json.RawMessage
		if err := json.Unmarshal(body, &top); err != nil {
			t.Fatalf("Fields accepted %q, encoding/json does not: %v", body, err)
		}
		want := Values{}
		add := func(name string, raw json.RawMessage, s spec) {
			if isNull(raw) {
				return
			}
			c, err := canonicalLong(string(raw), s)
			if err != nil {
				t.Fatalf("%s: %v", name, err)
			}
			want[name] = c
		}
		for name, raw := range top {
			switch {
			case requestOnly[name]:
			case name == "custom_fields":
				var cf map[string]json.RawMessage
				if json.Unmarshal(raw, &cf) != nil {
					t.Fatalf("Fields accepted custom_fields %s", raw)
				}
				for k, v := range cf {
					add(CustomPrefix+k, v, custom)
				}
			default:
				s, _ := anyType(name)
				add(name, raw, s)
			}
		}
		if !reflect.DeepEqual(strs(got), strs(want)) {
			t.Fatalf("body %s\ncheap %s\nlong  %s", body, show(got), show(want))
		}
	})
}
