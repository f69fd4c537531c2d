package reconcile

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math/big"
	"strings"
	"time"
)

// This file decides whether a served work is what a works.create request
// asked for. A request and the work it made have different shapes: the
// request names users, parts and tags by ID, the work carries summary
// objects ({"id": DON, "display_id": "DEVU-1", ...}); dates come back in
// another format; user-extensible enums come back as {"id", "label"}.
// Every field the request carried is compared in its own shape, so two
// rows with the same title but other owners, tags or custom fields are
// told apart.

// fieldKind is how one request field is compared with the served work.
type fieldKind int

const (
	kText    fieldKind = iota // string, equal
	kID                       // one ID; the work has a summary object
	kIDs                      // IDs; the work has summaries (any order)
	kStrings                  // strings (any order)
	kDate                     // RFC 3339 date-time, equal to the second
	kBool                     // boolean
	kNumber                   // number, equal by value
	kEnumV2                   // integer; the work has {"id": n, "label": ...}
	kMoney                    // {"amount", "currency"}
	kTags                     // [{"id", "value"}]; the work has [{"tag": summary, "value"}]
	kStage                    // {"name"} or {"id"}; the work has {"name", "stage": summary}
	kCustom                   // custom_fields: every key sent, equal by value
	kSkip                     // not served back (or not a property of the work)
)

// commonKinds are the works-create-request fields every type shares, with
// how the work (the spec's work-base) serves them back.
var commonKinds = map[string]fieldKind{
	"title": kText, "body": kText, "applies_to_part": kID, "owned_by": kIDs, "reported_by": kIDs,
	"artifacts": kIDs, "tags": kTags, "stage": kStage, "target_close_date": kDate, "custom_fields": kCustom,
	// Request-only: how the work is validated, not a property of it.
	"stage_validation_options": kSkip, "custom_schema_spec": kSkip, "custom_schema_fragments": kSkip,
}

// typeKinds are the type-specific fields the spec's issue, ticket, task
// and opportunity objects serve back. A field a type accepts on create but
// does not serve (a task's start_date, an opportunity's amount) cannot be
// compared and is left out.
var typeKinds = map[string]map[string]fieldKind{
	"issue": {"developed_with": kIDs, "priority": kText, "priority_v2": kEnumV2, "sprint": kID, "target_start_date": kDate},
	"ticket": {"account": kID, "channels": kStrings, "channels_v2": kIDs, "group": kID, "needs_response": kBool,
		"rev_org": kID, "severity": kText, "source_channel": kText, "source_channel_v2": kID},
	"opportunity": {"account": kID, "annual_contract_value": kMoney, "contacts": kIDs, "forecast_category_v2": kEnumV2, "value": kMoney},
}

// request is a decoded works.create body.
type request struct {
	typ    string
	fields map[string]any
}

// decodeRequest reads the JSON body a create sent.
func decodeRequest(body []byte) (request, error) {
	var m map[string]any
	if err := decodeJSON(body, &m); err != nil {
		return request{}, fmt.Errorf("decoding the request: %w", err)
	}
	typ, _ := m["type"].(string)
	delete(m, "type")
	return request{typ: typ, fields: m}, nil
}

func decodeJSON(b []byte, v any) error {
	d := json.NewDecoder(bytes.NewReader(b))
	d.UseNumber()
	return d.Decode(v)
}

// matches reports whether the served work w carries every field the
// request carried, each equal in its own shape.
func (q request) matches(w map[string]any) bool {
	if t, _ := w["type"].(string); t != q.typ {
		return false
	}
	for name, sent := range q.fields {
		kind, ok := commonKinds[name]
		if !ok {
			kind, ok = typeKinds[q.typ][name]
		}
		if !ok || kind == kSkip || sent == nil {
			continue
		}
		if !equalAs(kind, sent, w[name]) {
			return false
		}
	}
	return true
}

// extras reports whether w carries values in fields the request left
// empty (tags, reporters, artifacts, a close date, custom fields). Such a
// work is still a match (DevRev may fill fields by itself), but a work
// without extras is the better one.
func (q request) extras(w map[string]any) bool {
	for _, name := range []string{"tags", "reported_by", "artifacts", "target_close_date"} {
		if _, sent := q.fields[name]; !sent && !empty(w[name]) {
			return true
		}
	}
	cf, _ := w["custom_fields"].(map[string]any)
	sentCF, _ := q.fields["custom_fields"].(map[string]any)
	for k, v := range cf {
		if _, sent := sentCF[k]; !sent && !empty(v) {
			return true
		}
	}
	return false
}

func empty(v any) bool {
	switch x := v.(type) {
	case nil:
		return true
	case string:
		return x == ""
	case []any:
		return len(x) == 0
	case map[string]any:
		return len(x) == 0
	}
	return false
}

// equalAs compares a sent value with the served one.
func equalAs(kind fieldKind, sent, got any) bool {
	switch kind {
	case kText:
		s, ok1 := sent.(string)
		g, ok2 := got.(string)
		return ok1 && ok2 && sameText(s, g)
	case kID:
		s, ok := sent.(string)
		return ok && sameID(s, got)
	case kIDs:
		return sameMultiset(sent, got, func(s, g any) bool {
			id, ok := s.(string)
			return ok && sameID(id, g)
		})
	case kStrings:
		return sameMultiset(sent, got, func(s, g any) bool { return s == g })
	case kDate:
		return sameTime(sent, got)
	case kBool:
		s, ok1 := sent.(bool)
		g, ok2 := got.(bool)
		return ok1 && ok2 && s == g
	case kNumber:
		return sameNumber(sent, got)
	case kEnumV2:
		if m, ok := got.(map[string]any); ok {
			got = m["id"]
		}
		return sameNumber(sent, got)
	case kMoney:
		s, ok1 := sent.(map[string]any)
		g, ok2 := got.(map[string]any)
		return ok1 && ok2 && sameNumber(s["amount"], g["amount"]) && s["currency"] == g["currency"]
	case kTags:
		return sameMultiset(sent, got, sameTag)
	case kStage:
		return sameStage(sent, got)
	case kCustom:
		s, ok1 := sent.(map[string]any)
		g, ok2 := got.(map[string]any)
		if !ok1 {
			return false
		}
		for k, v := range s {
			if v == nil {
				continue
			}
			if !ok2 || !sameValue(v, g[k]) {
				return false
			}
		}
		return true
	}
	return true
}

// sameID reports whether the served value (a summary object, or a bare
// ID) names the object the request named by DON or display ID.
func sameID(sent string, got any) bool {
	switch g := got.(type) {
	case string:
		return g == sent
	case map[string]any:
		id, _ := g["id"].(string)
		disp, _ := g["display_id"].(string)
		return sent != "" && (id == sent || disp == sent)
	}
	return false
}

// sameMultiset reports whether two JSON arrays hold equal elements in any
// order, each served element standing for one sent element.
func sameMultiset(sent, got any, eq func(s, g any) bool) bool {
	s, ok := sent.([]any)
	if !ok {
		return false
	}
	g, _ := got.([]any)
	if len(s) != len(g) {
		return false
	}
	used := make([]bool, len(g))
	for _, x := range s {
		hit := false
		for i, y := range g {
			if !used[i] && eq(x, y) {
				used[i], hit = true, true
				break
			}
		}
		if !hit {
			return false
		}
	}
	return true
}

func sameTag(sent, got any) bool {
	s, ok1 := sent.(map[string]any)
	g, ok2 := got.(map[string]any)
	if !ok1 || !ok2 {
		return false
	}
	id, _ := s["id"].(string)
	if !sameID(id, g["tag"]) {
		return false
	}
	sv, _ := s["value"].(string)
	gv, _ := g["value"].(string)
	return sv == gv
}

func sameStage(sent, got any) bool {
	s, ok1 := sent.(map[string]any)
	g, ok2 := got.(map[string]any)
	if !ok1 || !ok2 {
		return false
	}
	if name, ok := s["name"].(string); ok && name != "" {
		if gn, _ := g["name"].(string); !strings.EqualFold(strings.TrimSpace(gn), strings.TrimSpace(name)) {
			return false
		}
	}
	if id, ok := s["id"].(string); ok && id != "" {
		if !sameID(id, g["stage"]) && !sameID(id, g["id"]) {
			return false
		}
	}
	return true
}

// sameText compares text the API may have trimmed.
func sameText(s, g string) bool {
	return s == g || strings.TrimSpace(s) == strings.TrimSpace(g)
}

// sameTime compares two RFC 3339 date-times to the second: the API may
// serve another layout or drop sub-second digits.
func sameTime(sent, got any) bool {
	s, ok1 := sent.(string)
	g, ok2 := got.(string)
	if !ok1 || !ok2 {
		return false
	}
	if s == g {
		return true
	}
	ts, err1 := time.Parse(time.RFC3339Nano, s)
	tg, err2 := time.Parse(time.RFC3339Nano, g)
	return err1 == nil && err2 == nil && ts.Truncate(time.Second).Equal(tg.Truncate(time.Second))
}

// sameNumber compares numbers (json.Number or numeric strings) by value.
func sameNumber(a, b any) bool {
	x, ok1 := number(a)
	y, ok2 := number(b)
	return ok1 && ok2 && x.Cmp(y) == 0
}

func number(v any) (*big.Rat, bool) {
	var s string
	switch x := v.(type) {
	case json.Number:
		s = string(x)
	case string:
		s = x
	default:
		return nil, false
	}
	r, ok := new(big.Rat).SetString(s)
	return r, ok
}

// sameValue compares decoded JSON values: numbers by value, text as
// sameText, date-times as sameTime, arrays in any order, objects key by
// key.
func sameValue(a, b any) bool {
	switch x := a.(type) {
	case string:
		y, ok := b.(string)
		return ok && (sameText(x, y) || sameTime(x, y))
	case json.Number:
		return sameNumber(x, b)
	case []any:
		return sameMultiset(x, b, sameValue)
	case map[string]any:
		y, ok := b.(map[string]any)
		if !ok || len(x) != len(y) {
			return false
		}
		for k, v := range x {
			if !sameValue(v, y[k]) {
				return false
			}
		}
		return true
	}
	return a == b
}
