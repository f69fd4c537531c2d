// Package workdiff knows, field by field, how a work's values look in the
// three shapes the API has for them: the works.create request the mapping
// builds, the works.update request that changes them, and the work DevRev
// serves (works.get, works.list). With that it detects which fields of a
// row changed (Fields, Hashes, Changed), builds the update that sends only
// those (Update), and compares a row with DevRev's current work (Served,
// Diff, and Doc for reconciliation).
//
// Every shape, limit and nullable comes from DevRev's OpenAPI spec:
// works-create-request, works-update-request and their -issue, -ticket,
// -task and -opportunity variants, stage-update, the works-update-request-*
// list objects, and the work objects (work-base, issue, ticket,
// opportunity, task).
package workdiff

import "strings"

// CustomPrefix starts the name of one custom field as a field of Values:
// "custom_fields.tnt__story_points".
const CustomPrefix = "custom_fields."

// kind is how the work serves a field back, and so how a request value is
// compared with the served one.
type kind int

const (
	kText    kind = iota // string, equal (the API may trim)
	kID                  // one ID; the work has a summary object
	kIDs                 // IDs; the work has summaries (any order)
	kStrings             // strings (any order)
	kDate                // RFC 3339 date-time, equal to the second
	kBool                // boolean
	kEnumV2              // integer; the work has {"id": n, "label": ...}
	kMoney               // {"amount", "currency"}
	kTags                // [{"id", "value"}]; the work has [{"tag": summary, "value"}]
	kStage               // {"name"} or {"id"}; the work has {"name", "stage": summary}
	kCustom              // one custom field: equal by value
	kSkip                // accepted on create but not served back: cannot be compared
)

// shape is how works.update takes a field.
type shape int

const (
	uNone   shape = iota // not a field of the type's update variant
	uScalar              // the create value as it is
	uSet                 // {"set": [...]}
	uList                // a plain array (a ticket's channels_v2)
	uTags                // {"set": [...]} or {"add": [...]}
	uStage               // {"name"} or {"stage": id}
	uCustom              // one key of custom_fields
)

// clearing is what an update sends to empty a field whose cell was emptied.
type clearing int

const (
	cNo    clearing = iota // the field cannot be emptied: a warning
	cNull                  // nullable in the update variant: null
	cEmpty                 // an empty list ({"set": []}, [], or "" for body)
)

// spec is what workdiff knows about one request field of one work type.
type spec struct {
	kind  kind
	shape shape
	clear clearing
	set   bool // a list whose order means nothing (canonical: sorted)
	date  bool // an RFC 3339 date-time (canonical: UTC)
	max   int  // most elements one update may carry; 0 = no limit
}

// common are the fields of every work type (work-base; works-update-request).
var common = map[string]spec{
	"title":             {kind: kText, shape: uScalar},
	"body":              {kind: kText, shape: uScalar, clear: cEmpty},
	"applies_to_part":   {kind: kID, shape: uScalar},
	"owned_by":          {kind: kIDs, shape: uSet, set: true},
	"reported_by":       {kind: kIDs, shape: uSet, clear: cEmpty, set: true},
	"artifacts":         {kind: kIDs, shape: uSet, clear: cEmpty, set: true, max: 50},
	"tags":              {kind: kTags, shape: uTags, clear: cEmpty, set: true},
	"stage":             {kind: kStage, shape: uStage},
	"target_close_date": {kind: kDate, shape: uScalar, clear: cNull, date: true},
}

// custom is the spec of every custom field: custom_fields is a free object
// on create and update, and null clears a key.
var custom = spec{kind: kCustom, shape: uCustom, clear: cNull}

// byType are the type-specific fields: how each type's work object serves
// them (a field the type accepts on create but does not serve, a task's
// start_date, an opportunity's amount, is kSkip) and how its update
// variant takes them (an opportunity's update has no priority or
// forecast_category, a ticket's no source_channel: uNone).
var byType = map[string]map[string]spec{
	"issue": {
		"developed_with":    {kind: kIDs, shape: uSet, clear: cEmpty, set: true, max: 8},
		"priority":          {kind: kText, shape: uScalar},
		"priority_v2":       {kind: kEnumV2, shape: uScalar},
		"sprint":            {kind: kID, shape: uScalar, clear: cNull},
		"target_start_date": {kind: kDate, shape: uScalar, clear: cNull, date: true},
	},
	"ticket": {
		"account":           {kind: kID, shape: uScalar, clear: cNull},
		"channels":          {kind: kStrings, shape: uSet, clear: cEmpty, set: true},
		"channels_v2":       {kind: kIDs, shape: uList, clear: cEmpty, set: true},
		"group":             {kind: kID, shape: uScalar, clear: cNull},
		"is_spam":           {kind: kSkip, shape: uScalar},
		"needs_response":    {kind: kBool, shape: uScalar},
		"rev_org":           {kind: kID, shape: uScalar, clear: cNull},
		"severity":          {kind: kText, shape: uScalar},
		"source_channel":    {kind: kText, shape: uNone},
		"source_channel_v2": {kind: kID, shape: uScalar, clear: cNull},
	},
	"task": {
		"embedded":   {kind: kSkip, shape: uScalar},
		"priority":   {kind: kSkip, shape: uScalar},
		"start_date": {kind: kSkip, shape: uScalar, date: true},
	},
	"opportunity": {
		"account":               {kind: kID, shape: uScalar},
		"amount":                {kind: kSkip, shape: uScalar, clear: cNull},
		"annual_contract_value": {kind: kMoney, shape: uScalar},
		"contacts":              {kind: kIDs, shape: uSet, clear: cEmpty, set: true},
		"customer_budget":       {kind: kSkip, shape: uScalar, clear: cNull},
		"forecast_category":     {kind: kSkip, shape: uNone},
		"forecast_category_v2":  {kind: kEnumV2, shape: uScalar},
		"priority":              {kind: kSkip, shape: uNone},
		"probability":           {kind: kSkip, shape: uScalar, clear: cNull},
		"value":                 {kind: kMoney, shape: uScalar},
	},
}

// requestOnly are the works.create keys that say how the request is
// validated, not what the work holds: they are no field of Values.
var requestOnly = map[string]bool{
	"type": true, "custom_schema_spec": true, "custom_schema_fragments": true, "stage_validation_options": true,
}

// lookup returns the spec of field (a Values name) for works of type typ.
func lookup(typ, field string) (spec, bool) {
	if strings.HasPrefix(field, CustomPrefix) {
		return custom, len(field) > len(CustomPrefix)
	}
	if s, ok := common[field]; ok {
		return s, true
	}
	s, ok := byType[typ][field]
	return s, ok
}

// anyType returns the spec of field for whichever type has it (Fields does
// not depend on the type: the canonical form of a field is the same in
// every type that has it).
func anyType(field string) (spec, bool) {
	if s, ok := lookup("", field); ok {
		return s, true
	}
	for _, typ := range []string{"issue", "ticket", "task", "opportunity"} {
		if s, ok := byType[typ][field]; ok {
			return s, true
		}
	}
	return spec{}, false
}

// known is a Values field's name and spec, looked up by the key's bytes.
type known struct {
	name string
	spec spec
}

// knownFields maps every field name of common and byType to its name and
// anyType spec: walkFields gets the name from here instead of allocating
// a string for every key of every row. It is built once and only read.
var knownFields = func() map[string]known {
	m := make(map[string]known)
	add := func(name string) {
		s, _ := anyType(name)
		m[name] = known{name: name, spec: s}
	}
	for name := range common {
		add(name)
	}
	for _, fields := range byType {
		for name := range fields {
			add(name)
		}
	}
	return m
}()

// fieldOf returns the name and spec of the body key k (without quotes):
// the known field's (no allocation), or a new string and the spec of no
// set or date rules for a key no spec names.
func fieldOf(k []byte) (string, spec) {
	if f, ok := knownFields[string(k)]; ok {
		return f.name, f.spec
	}
	return string(k), spec{}
}

// Comparable reports whether DevRev serves field of a work of type typ
// back, so that a served work can tell whether it holds the value. Fields
// it does not (a task's start_date, an opportunity's amount, a ticket's
// is_spam) are treated by Diff as changed whenever the row has a value.
func Comparable(typ, field string) bool {
	s, ok := lookup(typ, field)
	return ok && s.kind != kSkip
}
