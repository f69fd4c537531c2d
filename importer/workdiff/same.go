package workdiff

import (
	"encoding/json"
	"math/big"
	"strings"
	"time"
)

// This file decides whether a served work holds a value a request sent. A
// request and the work have different shapes: the request names users,
// parts and tags by ID, the work carries summary objects ({"id": DON,
// "display_id": "DEVU-1", ...}); dates come back in another layout;
// user-extensible enums come back as {"id", "label"}. Values are decoded
// JSON with numbers as json.Number.

// equalAs compares a sent value with the served one.
func equalAs(k kind, sent, got any) bool {
	switch k {
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
		return sameValue(sent, got)
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

// isEmpty reports whether a served value holds nothing.
func isEmpty(v any) bool {
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
