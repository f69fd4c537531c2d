package workdiff

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"
)

// Doc is a work as DevRev serves it (a works.get, works.list or
// works.update object), decoded once to compare many values with it.
type Doc struct {
	typ string
	m   map[string]any
	cf  map[string]any
}

// ParseDoc decodes a served work object.
func ParseDoc(work json.RawMessage) (*Doc, error) {
	v, err := decode(work)
	if err != nil {
		return nil, fmt.Errorf("decoding the work: %w", err)
	}
	m, ok := v.(map[string]any)
	if !ok {
		return nil, fmt.Errorf("decoding the work: %s is no JSON object", jsonKind(v))
	}
	d := &Doc{m: m}
	d.typ, _ = m["type"].(string)
	d.cf, _ = m["custom_fields"].(map[string]any)
	return d, nil
}

func jsonKind(v any) string {
	switch v.(type) {
	case nil:
		return "null"
	case []any:
		return "an array"
	case string:
		return "a string"
	}
	return "a scalar"
}

// Type is the work's type ("issue", "ticket", "task", "opportunity").
func (d *Doc) Type() string { return d.typ }

// served returns the served value of field and its spec for the work's
// type; ok is false when the work does not serve the field back.
func (d *Doc) served(field string) (got any, s spec, ok bool) {
	s, ok = lookup(d.typ, field)
	if !ok || s.kind == kSkip {
		return nil, s, false
	}
	if key, isCustom := strings.CutPrefix(field, CustomPrefix); isCustom {
		return d.cf[key], s, true
	}
	return d.m[field], s, true
}

// Same reports whether the work holds v, a request-shape value of field
// (as Fields returns it; nil: the field is empty), compared in the shape
// DevRev serves it: IDs by DON or display ID inside the summaries, sets in
// any order, dates to the second, numbers by value, text as the API may
// trim it, a stage name in any case. known is false when DevRev does not
// serve field back for the work's type (a task's start_date), or it is no
// field of that type: then nothing can be said.
func (d *Doc) Same(field string, v json.RawMessage) (same, known bool) {
	got, s, ok := d.served(field)
	if !ok {
		return false, false
	}
	if v == nil || isNull(v) {
		return isEmpty(got), true
	}
	sent, err := decode(v)
	if err != nil {
		return false, true
	}
	return equalAs(s.kind, sent, got), true
}

// Holds reports whether the work holds a non-empty value in field.
func (d *Doc) Holds(field string) bool {
	got, _, ok := d.served(field)
	return ok && !isEmpty(got)
}

// CustomFields lists, sorted, the Values names ("custom_fields.KEY") of the
// custom fields the work holds a non-empty value in.
func (d *Doc) CustomFields() []string {
	var out []string
	for k, v := range d.cf {
		if !isEmpty(v) {
			out = append(out, CustomPrefix+k)
		}
	}
	slices.Sort(out)
	return out
}

// Value returns the work's value of field in request shape, canonical as
// Fields writes it, so that an update can send it back: summaries become
// IDs (the display ID when served, else the DON), tags [{tag, value}]
// become [{id, value}], a stage {name, stage} becomes {name}, an enum
// {id, label} its id, money amounts decimal strings, dates UTC. v is nil
// when the work holds nothing there; ok is false when DevRev does not
// serve the field back (see Same).
func (d *Doc) Value(field string) (v json.RawMessage, ok bool) {
	got, s, ok := d.served(field)
	if !ok {
		return nil, false
	}
	r := requestShape(s.kind, got)
	if isEmpty(r) {
		return nil, true
	}
	out, err := encode(canon(r, s))
	if err != nil {
		return nil, true
	}
	return out, true
}

// requestShape turns a served value of kind k into the request's shape,
// naming objects by display ID.
func requestShape(k kind, got any) any { return requestShapeWith(k, got, false) }

// requestShapeWith is requestShape naming objects by DON when don is set.
func requestShapeWith(k kind, got any, don bool) any {
	switch k {
	case kID:
		return ref(got, don)
	case kIDs:
		list, _ := got.([]any)
		out := make([]any, 0, len(list))
		for _, e := range list {
			if id := ref(e, don); id != nil {
				out = append(out, id)
			}
		}
		return out
	case kEnumV2:
		if m, ok := got.(map[string]any); ok {
			return m["id"]
		}
	case kTags:
		return tagsShape(got, don)
	case kStage:
		return stageShape(got, don)
	case kMoney:
		m, _ := got.(map[string]any)
		if m == nil {
			return nil
		}
		return map[string]any{"amount": m["amount"], "currency": m["currency"]}
	}
	return got
}

// ref returns the ID a summary (or a bare ID) names: its display ID when
// it has one, else its DON; with don, its DON when it has one.
func ref(v any, don bool) any {
	switch x := v.(type) {
	case string:
		if x != "" {
			return x
		}
	case map[string]any:
		first, second := "display_id", "id"
		if don {
			first, second = second, first
		}
		if s, _ := x[first].(string); s != "" {
			return s
		}
		if s, _ := x[second].(string); s != "" {
			return s
		}
	}
	return nil
}

// stageShape is a served stage as the request names it: {name}, or (when
// asked for DONs, or it has no name) {id}.
func stageShape(got any, don bool) any {
	m, _ := got.(map[string]any)
	name, _ := m["name"].(string)
	id := ref(m["stage"], true)
	if name != "" && (id == nil || !don) {
		return map[string]any{"name": name}
	}
	if id != nil {
		return map[string]any{"id": id}
	}
	return nil
}

func tagsShape(got any, don bool) any {
	list, _ := got.([]any)
	out := make([]any, 0, len(list))
	for _, e := range list {
		m, _ := e.(map[string]any)
		id := ref(m["tag"], don)
		if id == nil {
			continue
		}
		t := map[string]any{"id": id}
		if v, _ := m["value"].(string); v != "" {
			t["value"] = v
		}
		out = append(out, t)
	}
	return out
}

// Served reads the work back into request-shape Values (see Doc.Value) for
// the given fields: a field DevRev serves back but holds nothing in is
// JSON null (so that undo clears it: Values.Body leaves it out and Update
// clears what is absent), a field it does not serve back is absent (its
// value is unknown). nil fields means every field the work holds a value
// in. Hash a null only knowingly: Fields never has one.
func Served(work json.RawMessage, fields []string) (Values, error) {
	d, err := ParseDoc(work)
	if err != nil {
		return nil, err
	}
	all := fields == nil
	if all {
		fields = d.fields()
	}
	out := Values{}
	for _, f := range fields {
		v, ok := d.Value(f)
		switch {
		case ok && v != nil:
			out[f] = v
		case ok && !all && !requestOnly[f]:
			out[f] = json.RawMessage("null")
		}
	}
	return out, nil
}

// HasHash reports whether DevRev's value of field hashes to h, the Hash of
// a request value as Fields gave it (a journal's record of what was sent):
// whether the work still holds what this tool sent, or someone changed it
// since. A request may name objects by display ID or by DON, a stage by
// name or by ID; both forms are tried. An empty field matches no hash; a
// field DevRev does not serve back matches every hash (nothing can be
// told).
func (d *Doc) HasHash(field, h string) bool {
	got, s, ok := d.served(field)
	if !ok {
		return true
	}
	for _, don := range []bool{false, true} {
		r := requestShapeWith(s.kind, got, don)
		if isEmpty(r) {
			return false
		}
		if v, err := encode(canon(r, s)); err == nil && Hash(v) == h {
			return true
		}
	}
	return false
}

// fields lists every field the work's type serves back and the custom
// fields the work holds.
func (d *Doc) fields() []string {
	var out []string
	for name, s := range common {
		if s.kind != kSkip {
			out = append(out, name)
		}
	}
	for name, s := range byType[d.typ] {
		if s.kind != kSkip {
			out = append(out, name)
		}
	}
	out = append(out, d.CustomFields()...)
	slices.Sort(out)
	return out
}

// Diff compares the row's values now (as Fields returns them) with the
// work DevRev serves. It looks at every field of mapped (the fields the
// mapping can fill: an empty cell of one means "clear it") and every field
// now has, and returns, sorted, those whose value DevRev does not hold,
// and before: DevRev's values of those fields in request shape (see
// Doc.Value), JSON null where DevRev holds nothing, so an undo can put
// them back with Update(before.Body(type), ...).
//
// Two kinds of fields are not compared: one DevRev does not serve back (a
// task's start_date, an opportunity's amount) is changed whenever the row
// has a value (sending it again is harmless; before has no entry for it,
// as its old value is unknown), and one the row leaves empty that an
// update cannot empty (stage, title, severity, a boolean, ...) is not
// changed (DevRev may set such fields itself: a new work's first stage).
// Request-only names (custom_schema_spec, ...) are ignored.
func Diff(now Values, mapped []string, work json.RawMessage) (changed []string, before Values, err error) {
	d, err := ParseDoc(work)
	if err != nil {
		return nil, nil, err
	}
	names := slices.Clone(mapped)
	for name := range now {
		names = append(names, name)
	}
	slices.Sort(names)
	before = Values{}
	for _, name := range slices.Compact(names) {
		if requestOnly[name] {
			continue
		}
		v := now[name]
		same, known := d.Same(name, v)
		switch {
		case !known:
			if v != nil {
				changed = append(changed, name)
			}
		case same:
		case v == nil && !clearable(d.typ, name):
		default:
			changed = append(changed, name)
			b, _ := d.Value(name)
			if b == nil {
				b = json.RawMessage("null")
			}
			before[name] = b
		}
	}
	return changed, before, nil
}

// clearable reports whether an update can empty field.
func clearable(typ, field string) bool {
	s, ok := lookup(typ, field)
	return ok && s.clear != cNo
}

// Body assembles v into a works.create-shaped body of type typ (custom
// fields back into custom_fields, with the tenant schema hint), which
// Update takes: fields v holds as JSON null are left out, so that Update
// clears them. This is how an undo restores Diff's before values.
func (v Values) Body(typ string) ([]byte, error) {
	top := map[string]json.RawMessage{}
	cf := map[string]json.RawMessage{}
	for name, val := range v {
		if isNull(val) {
			continue
		}
		if key, ok := strings.CutPrefix(name, CustomPrefix); ok {
			cf[key] = val
			continue
		}
		top[name] = val
	}
	t, _ := json.Marshal(typ)
	top["type"] = t
	if len(cf) > 0 {
		b, err := json.Marshal(cf)
		if err != nil {
			return nil, err
		}
		top["custom_fields"] = b
		top["custom_schema_spec"] = json.RawMessage(`{"tenant_fragment":true}`)
	}
	return json.Marshal(top)
}
