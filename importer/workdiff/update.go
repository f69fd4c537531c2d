package workdiff

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"
)

// UpdateOptions tunes the update request.
type UpdateOptions struct {
	// TagsAdd sends tags as {"add": [...]} (the mapping's "tags: add"):
	// tags people added in DevRev are kept, and tags removed from the
	// file stay on the work. Default: {"set": [...]}, the file's tags.
	TagsAdd bool
	// AllowInvalidTransition adds stage_validation_options
	// ["allow_invalid_transition"] when the stage is sent, so DevRev takes
	// a stage its stage diagram does not lead to from the current one
	// (moving back, as a re-imported export may).
	AllowInvalidTransition bool
}

// TypeChangeError is Update's answer to a row whose mapped type is not the
// work's: works cannot change type.
type TypeChangeError struct {
	ID, From, To string // the work, its type in DevRev, the row's type
}

func (e *TypeChangeError) Error() string {
	return fmt.Sprintf("work %s is of type %s and the row maps to type %s: works cannot change type", e.ID, e.From, e.To)
}

// Update builds a works-update-request body for the work id of type typ
// that sends exactly the named fields (Values names) of createBody, the
// works.create JSON the mapping built for the row, in the update shapes of
// the spec:
//   - type and id always (the request is a oneOf keyed by type);
//   - scalars as they are; owned_by, reported_by, artifacts,
//     developed_with, contacts and channels as {"set": [...]}; a ticket's
//     channels_v2 as a plain list; tags as {"set"} or, with opt.TagsAdd,
//     {"add"}; stage {"name"} as it is and {"id"} as {"stage": id};
//   - custom fields: only the named keys, with the create body's
//     custom_schema_spec and custom_schema_fragments (the schema hint
//     DevRev needs; {"tenant_fragment": true} when the body has none);
//   - a named field absent from createBody (its cell was emptied) is
//     cleared where the update variant allows it: null for the nullable
//     ones (target_close_date, an issue's sprint and target_start_date, a
//     ticket's account, group, rev_org, source_channel_v2, an
//     opportunity's amount, customer_budget, probability, a custom
//     field), an empty set for lists, "" for body.
//
// A field that cannot be sent is left out with a warning naming it: one
// that cannot be emptied (title, applies_to_part, owned_by, stage,
// priority, severity, booleans, money, enums), one the type's update
// variant lacks (an opportunity's priority and forecast_category, a
// ticket's source_channel), a list over the update's limit (artifacts: 50).
// A createBody of another type than typ is a *TypeChangeError.
func Update(createBody []byte, id, typ string, fields []string, opt UpdateOptions) (body []byte, warnings []string, err error) {
	if id == "" {
		return nil, nil, fmt.Errorf("update: no work ID")
	}
	if _, ok := byType[typ]; !ok {
		return nil, nil, fmt.Errorf("update: %q is not a work type", typ)
	}
	var top map[string]json.RawMessage
	if err := json.Unmarshal(createBody, &top); err != nil {
		return nil, nil, fmt.Errorf("update: decoding the create body: %w", err)
	}
	var rowType string
	if err := json.Unmarshal(top["type"], &rowType); err == nil && rowType != "" && rowType != typ {
		return nil, nil, &TypeChangeError{ID: id, From: typ, To: rowType}
	}
	vals, err := Fields(createBody)
	if err != nil {
		return nil, nil, fmt.Errorf("update: %w", err)
	}
	b := builder{typ: typ, opt: opt, out: map[string]any{"type": typ, "id": id}, custom: map[string]any{}}
	names := slices.Clone(fields)
	slices.Sort(names)
	for _, name := range slices.Compact(names) {
		if requestOnly[name] {
			continue // no field of a work: the hint goes with the custom fields
		}
		b.add(name, vals[name])
	}
	if len(b.custom) > 0 {
		b.out["custom_fields"] = b.custom
		b.schemaHint(top)
	}
	body, err = encode(b.out)
	if err != nil {
		return nil, nil, fmt.Errorf("update: %w", err)
	}
	return body, b.warnings, nil
}

// builder collects the update body field by field.
type builder struct {
	typ      string
	opt      UpdateOptions
	out      map[string]any
	custom   map[string]any
	warnings []string
}

func (b *builder) warn(format string, a ...any) {
	b.warnings = append(b.warnings, fmt.Sprintf(format, a...))
}

// add puts field name with the canonical create value v (nil: emptied)
// into the body in its update shape, or warns why it cannot.
func (b *builder) add(name string, v json.RawMessage) {
	s, ok := lookup(b.typ, name)
	switch {
	case !ok:
		b.warn("%s is not a field of %s works; not updated", name, b.typ)
		return
	case s.shape == uNone:
		b.warn("%s: works.update has no such field for %s works; not updated", name, b.typ)
		return
	}
	if v != nil && (string(v) == "[]" || string(v) == `""`) && s.shape != uCustom {
		v = nil // an empty list or text is an emptied cell
	}
	if v == nil {
		b.clear(name, s)
		return
	}
	if s.max > 0 {
		var list []json.RawMessage
		if json.Unmarshal(v, &list) == nil && len(list) > s.max {
			b.warn("%s: %d values, works.update sets at most %d; not updated", name, len(list), s.max)
			return
		}
	}
	switch s.shape {
	case uSet:
		b.out[name] = map[string]json.RawMessage{"set": v}
	case uTags:
		op := "set"
		if b.opt.TagsAdd {
			op = "add"
		}
		b.out[name] = map[string]json.RawMessage{op: v}
	case uStage:
		b.stage(v)
	case uCustom:
		b.custom[strings.TrimPrefix(name, CustomPrefix)] = v
	default:
		b.out[name] = v
	}
}

// clear empties field name where the update allows it.
func (b *builder) clear(name string, s spec) {
	switch {
	case s.clear == cNull && s.shape == uCustom:
		b.custom[strings.TrimPrefix(name, CustomPrefix)] = nil
	case s.clear == cNull:
		b.out[name] = nil
	case s.clear == cEmpty && s.shape == uTags && b.opt.TagsAdd:
		// tags: add never removes tags: an emptied cell adds none.
	case s.clear == cEmpty && (s.shape == uSet || s.shape == uTags):
		b.out[name] = map[string]any{"set": []any{}}
	case s.clear == cEmpty && s.shape == uList:
		b.out[name] = []any{}
	case s.clear == cEmpty:
		b.out[name] = ""
	default:
		b.warn("%s was emptied, but works.update cannot empty it; DevRev keeps its value", name)
	}
}

// stage writes a stage-init ({"name"} or {"id"}) as a stage-update
// ({"name"} or {"stage": id}).
func (b *builder) stage(v json.RawMessage) {
	var st struct {
		ID   string `json:"id"`
		Name string `json:"name"`
	}
	if json.Unmarshal(v, &st) != nil || (st.ID == "" && st.Name == "") {
		b.warn("stage: %s is neither a stage name nor an ID; not updated", v)
		return
	}
	if st.ID != "" {
		b.out["stage"] = map[string]string{"stage": st.ID}
	} else {
		b.out["stage"] = map[string]string{"name": st.Name}
	}
	if b.opt.AllowInvalidTransition {
		b.out["stage_validation_options"] = []string{"allow_invalid_transition"}
	}
}

// schemaHint copies the create body's custom schema keys, or asks for the
// tenant fragment when it has none (a row whose custom fields were all
// emptied has no hint of its own).
func (b *builder) schemaHint(top map[string]json.RawMessage) {
	spec, frags := top["custom_schema_spec"], top["custom_schema_fragments"]
	if !isNull(spec) {
		b.out["custom_schema_spec"] = spec
	}
	if !isNull(frags) {
		b.out["custom_schema_fragments"] = frags
	}
	if isNull(spec) && isNull(frags) {
		b.out["custom_schema_spec"] = map[string]bool{"tenant_fragment": true}
	}
}
