package simulator

import (
	"encoding/json"
	"fmt"
	"math"
	"regexp"
	"sort"
	"strconv"
	"time"
	"unicode/utf8"
)

// This file validates a works.create body. It is written from the OpenAPI
// schemas works-create-request and its -issue, -ticket, -task and
// -opportunity variants, independently of the importer's own validator, so
// that one misreading of the spec cannot pass both.

// The work types of the spec's work-type enum.
const (
	typeIssue       = "issue"
	typeOpportunity = "opportunity"
	typeTask        = "task"
	typeTicket      = "ticket"
)

var workTypes = []string{typeIssue, typeOpportunity, typeTask, typeTicket}

// fieldKind is how a request field is checked and rendered.
type fieldKind int

const (
	fText     fieldKind = iota // string with optional length bounds
	fID                        // one ID
	fIDList                    // array of IDs
	fEnum                      // string from a fixed set
	fEnumList                  // array of strings from a fixed set
	fUenum                     // integer from a user-extensible enum (stock values)
	fBool                      // boolean
	fNumber                    // number, optional bounds
	fDateTime                  // RFC 3339 date-time string
	fMoney                     // set-money object
	fTags                      // array of set-tag-with-value
	fStage                     // stage-init object
	fSpecial                   // custom_fields, custom_schema_fragments, custom_schema_spec
)

// uenumValue is one stock value of a user-extensible enum.
type uenumValue struct {
	id    int64
	label string
}

// fieldSpec describes one request field.
type fieldSpec struct {
	name     string
	kind     fieldKind
	minLen   int
	maxLen   int // 0 = unbounded
	maxItems int // 0 = unbounded
	idKinds  []string
	enum     []string
	uenum    []uenumValue
	min, max float64 // fNumber bounds when max > min
}

var (
	priorityEnum  = []string{"p0", "p1", "p2", "p3"}
	severityEnum  = []string{"blocker", "high", "low", "medium"}
	channelsEnum  = []string{"email", "plug", "slack", "twilio", "twilio_sms"}
	forecastEnum  = []string{"commit", "omitted", "pipeline", "strong_upside", "upside", "won"}
	stageOptsEnum = []string{"allow_non_start"}
	partKinds     = []string{kindProduct, kindCapability, kindFeature, kindEnhancement}

	priorityV2 = []uenumValue{{1, "P0"}, {2, "P1"}, {3, "P2"}, {4, "P3"}}
	forecastV2 = []uenumValue{{1, "Omitted"}, {2, "Pipeline"}, {3, "Upside"}, {4, "Strong Upside"}, {5, "Commit"}, {6, "Won"}}
)

// commonFields are the properties of works-create-request itself, in the
// order they are checked.
var commonFields = []fieldSpec{
	{name: "title", kind: fText, minLen: 1, maxLen: 256},
	{name: "body", kind: fText, maxLen: 65536},
	{name: "applies_to_part", kind: fID, idKinds: partKinds},
	{name: "owned_by", kind: fIDList, idKinds: []string{kindDevUser}},
	{name: "reported_by", kind: fIDList, idKinds: []string{kindDevUser, kindRevUser}},
	{name: "artifacts", kind: fIDList, idKinds: []string{kindArtifact}},
	{name: "tags", kind: fTags},
	{name: "stage", kind: fStage},
	{name: "stage_validation_options", kind: fEnumList, enum: stageOptsEnum},
	{name: "target_close_date", kind: fDateTime},
	{name: "custom_schema_spec", kind: fSpecial},
	{name: "custom_schema_fragments", kind: fSpecial},
	{name: "custom_fields", kind: fSpecial},
}

// typeFields are the properties of each works-create-request-<type> variant.
var typeFields = map[string][]fieldSpec{
	typeIssue: {
		{name: "developed_with", kind: fIDList, idKinds: partKinds, maxItems: 8},
		{name: "priority", kind: fEnum, enum: priorityEnum},
		{name: "priority_v2", kind: fUenum, uenum: priorityV2},
		{name: "sprint", kind: fID},
		{name: "target_start_date", kind: fDateTime},
	},
	typeOpportunity: {
		{name: "account", kind: fID, idKinds: []string{kindAccount}},
		{name: "amount", kind: fNumber},
		{name: "annual_contract_value", kind: fMoney},
		{name: "contacts", kind: fIDList, idKinds: []string{kindRevUser}},
		{name: "customer_budget", kind: fNumber},
		{name: "forecast_category", kind: fEnum, enum: forecastEnum},
		{name: "forecast_category_v2", kind: fUenum, uenum: forecastV2},
		{name: "priority", kind: fEnum, enum: priorityEnum},
		{name: "probability", kind: fNumber, min: 0, max: 1},
		{name: "value", kind: fMoney},
	},
	typeTask: {
		{name: "embedded", kind: fBool},
		{name: "priority", kind: fEnum, enum: priorityEnum},
		{name: "start_date", kind: fDateTime},
	},
	typeTicket: {
		{name: "account", kind: fID, idKinds: []string{kindAccount}},
		{name: "channels", kind: fEnumList, enum: channelsEnum},
		{name: "channels_v2", kind: fIDList},
		{name: "group", kind: fID},
		{name: "is_spam", kind: fBool},
		{name: "needs_response", kind: fBool},
		{name: "rev_org", kind: fID, idKinds: []string{kindRevOrg}},
		{name: "severity", kind: fEnum, enum: severityEnum},
		{name: "source_channel", kind: fText},
		{name: "source_channel_v2", kind: fID},
	},
}

// requiredFields lists, per type, the fields that must be present. The
// base schema requires applies_to_part, owned_by, title and type for every
// type (the prose only mentions tickets and issues); the opportunity variant
// adds account.
func requiredFields(typ string) []string {
	req := []string{"title", "applies_to_part", "owned_by"}
	if typ == typeOpportunity {
		req = append(req, "account")
	}
	return req
}

// Tenant custom fields, the same for all four work types.
type customFieldType string

const (
	cfText      customFieldType = "text"
	cfInt       customFieldType = "int"
	cfBool      customFieldType = "bool"
	cfDouble    customFieldType = "double"
	cfDate      customFieldType = "date"
	cfTimestamp customFieldType = "timestamp"
	cfEnum      customFieldType = "enum"
	cfUenum     customFieldType = "uenum"
)

type customFieldDef struct {
	name, displayName string
	typ               customFieldType
	enum              []string     // cfEnum: the allowed values
	uenum             []uenumValue // cfUenum: the allowed values, sent by ID
}

var tenantFields = []customFieldDef{
	{name: "tnt__external_id", displayName: "External ID", typ: cfText},
	{name: "tnt__story_points", displayName: "Story Points", typ: cfInt},
	{name: "tnt__customer_impact", displayName: "Customer Impact", typ: cfBool},
	{name: "tnt__effort_days", displayName: "Effort (days)", typ: cfDouble},
	{name: "tnt__found_on", displayName: "Found On", typ: cfDate},
	{name: "tnt__escalated_at", displayName: "Escalated At", typ: cfTimestamp},
	{name: "tnt__region", displayName: "Region", typ: cfEnum, enum: []string{"EMEA", "AMER", "APAC"}},
	{name: "tnt__tier", displayName: "Customer Tier", typ: cfUenum, uenum: []uenumValue{{1, "Gold"}, {2, "Silver"}, {3, "Bronze"}}},
}

func tenantField(name string) (customFieldDef, bool) {
	for _, f := range tenantFields {
		if f.name == name {
			return f, true
		}
	}
	return customFieldDef{}, false
}

// tenantFragmentID is the DON ID of the tenant schema fragment of a leaf type.
func tenantFragmentID(leaf string) string {
	return "don:core:dvrv-us-1:" + devo + ":tenant_fragment/" + leaf
}

// stockFragmentID is the DON ID of the stock schema fragment of a leaf type.
func stockFragmentID(leaf string) string {
	return "don:core:dvrv-us-1:stock_sf/" + leaf
}

var (
	donPattern     = regexp.MustCompile(`^don:[a-z_]+:[a-z0-9-]+:devo/[A-Za-z0-9_-]+(:[a-z_]+/[A-Za-z0-9_.-]+)+$`)
	displayPattern = regexp.MustCompile(`^[A-Z]+(_[A-Z]+)*-[A-Za-z0-9]+$`)
)

func wellFormedID(s string) bool { return donPattern.MatchString(s) || displayPattern.MatchString(s) }

// createInput is a validated works.create body, rendered into the fields
// the served work carries.
type createInput struct {
	typ    string
	fields map[string]any // served fields, keyed by response property

	// Indexed for works.list filters.
	ownedBy, reportedBy, tags []string // DON IDs
	part                      string   // DON ID
	stage                     string
	title, body               string
	custom                    map[string]any
}

// validator checks one works.create body against the seeded directory.
type validator struct {
	dir  *directory
	body map[string]any
	in   *createInput
}

// validateCreate checks body and returns what the created work will hold,
// or the error the API answers.
func validateCreate(dir *directory, body map[string]any) (*createInput, *APIError) {
	v := &validator{dir: dir, body: body, in: &createInput{fields: map[string]any{}}}
	if err := v.run(); err != nil {
		return nil, err
	}
	return v.in, nil
}

func (v *validator) run() *APIError {
	typ, err := requiredString(v.body, "type", "type")
	if err != nil {
		return err
	}
	if _, ok := typeFields[typ]; !ok {
		return invalidEnum("type", typ, workTypes)
	}
	v.in.typ = typ

	// Every property must belong to the base schema or this type's variant.
	specs := map[string]fieldSpec{}
	for _, f := range commonFields {
		specs[f.name] = f
	}
	for _, f := range typeFields[typ] {
		specs[f.name] = f
	}
	names := make([]string, 0, len(v.body))
	for k := range v.body {
		names = append(names, k)
	}
	sort.Strings(names)
	for _, k := range names {
		if k == "type" {
			continue
		}
		if _, ok := specs[k]; !ok {
			if other := typeOwning(k); other != "" {
				return invalidField(k, fmt.Sprintf("not a field of type %s (it belongs to %s)", typ, other))
			}
			return invalidField(k, "unknown field")
		}
	}

	for _, k := range requiredFields(typ) {
		val, ok := v.body[k]
		if !ok || val == nil {
			return missingField(k)
		}
		if arr, isArr := val.([]any); isArr && len(arr) == 0 {
			return missingField(k)
		}
	}

	for _, f := range append(append([]fieldSpec(nil), commonFields...), typeFields[typ]...) {
		val, ok := v.body[f.name]
		if !ok || val == nil || f.kind == fSpecial {
			continue
		}
		if err := v.field(f, val); err != nil {
			return err
		}
	}
	return v.custom()
}

// typeOwning names the first other work type that defines field, or "".
func typeOwning(field string) string {
	for _, t := range workTypes {
		for _, f := range typeFields[t] {
			if f.name == field {
				return t
			}
		}
	}
	return ""
}

func (v *validator) field(f fieldSpec, val any) *APIError {
	switch f.kind {
	case fText:
		s, ok := val.(string)
		if !ok {
			return unexpectedType(f.name, "string", jsonType(val))
		}
		n := utf8.RuneCountInString(s)
		if n < f.minLen {
			return notPermitted(f.name, fmt.Sprintf("must be at least %d characters", f.minLen))
		}
		if f.maxLen > 0 && n > f.maxLen {
			return notPermitted(f.name, fmt.Sprintf("must be at most %d characters, got %d", f.maxLen, n))
		}
		v.in.fields[f.name] = s
		switch f.name {
		case "title":
			v.in.title = s
		case "body":
			v.in.body = s
		}
	case fID:
		s, ok := val.(string)
		if !ok {
			return unexpectedType(f.name, "string", jsonType(val))
		}
		rendered, don, err := v.resolve(f, s)
		if err != nil {
			return err
		}
		v.in.fields[f.name] = rendered
		if f.name == "applies_to_part" {
			v.in.part = don
		}
	case fIDList:
		arr, ok := val.([]any)
		if !ok {
			return unexpectedType(f.name, "array", jsonType(val))
		}
		if f.maxItems > 0 && len(arr) > f.maxItems {
			return notPermitted(f.name, fmt.Sprintf("at most %d items allowed, got %d", f.maxItems, len(arr)))
		}
		out := make([]any, 0, len(arr))
		dons := make([]string, 0, len(arr))
		for _, it := range arr {
			s, ok := it.(string)
			if !ok {
				return unexpectedType(f.name, "string", jsonType(it))
			}
			rendered, don, err := v.resolve(f, s)
			if err != nil {
				return err
			}
			out = append(out, rendered)
			dons = append(dons, don)
		}
		v.in.fields[f.name] = out
		switch f.name {
		case "owned_by":
			v.in.ownedBy = dons
		case "reported_by":
			v.in.reportedBy = dons
		}
	case fEnum:
		s, ok := val.(string)
		if !ok {
			return unexpectedType(f.name, "string", jsonType(val))
		}
		if !contains(f.enum, s) {
			return invalidEnum(f.name, s, f.enum)
		}
		v.in.fields[f.name] = s
	case fEnumList:
		arr, ok := val.([]any)
		if !ok {
			return unexpectedType(f.name, "array", jsonType(val))
		}
		out := make([]any, 0, len(arr))
		for _, it := range arr {
			s, ok := it.(string)
			if !ok {
				return unexpectedType(f.name, "string", jsonType(it))
			}
			if !contains(f.enum, s) {
				return invalidEnum(f.name, s, f.enum)
			}
			out = append(out, s)
		}
		v.in.fields[f.name] = out
	case fUenum:
		n, ok := val.(json.Number)
		if !ok {
			return unexpectedType(f.name, "number", jsonType(val))
		}
		allowed := make([]string, len(f.uenum))
		for i, u := range f.uenum {
			allowed[i] = strconv.FormatInt(u.id, 10)
		}
		id, err := strconv.ParseInt(string(n), 10, 64)
		if err != nil {
			return invalidEnum(f.name, string(n), allowed)
		}
		for i, u := range f.uenum {
			if u.id == id {
				v.in.fields[f.name] = enumValue(u, i+1)
				return nil
			}
		}
		return invalidEnum(f.name, string(n), allowed)
	case fBool:
		b, ok := val.(bool)
		if !ok {
			return unexpectedType(f.name, "bool", jsonType(val))
		}
		v.in.fields[f.name] = b
	case fNumber:
		n, ok := val.(json.Number)
		if !ok {
			return unexpectedType(f.name, "number", jsonType(val))
		}
		x, err := n.Float64()
		if err != nil || math.IsInf(x, 0) {
			return notPermitted(f.name, "not a finite double")
		}
		if f.max > f.min && (x < f.min || x > f.max) {
			return notPermitted(f.name, fmt.Sprintf("must lie between %g and %g", f.min, f.max))
		}
		v.in.fields[f.name] = n
	case fDateTime:
		s, ok := val.(string)
		if !ok {
			return unexpectedType(f.name, "string", jsonType(val))
		}
		t, err := time.Parse(time.RFC3339Nano, s)
		if err != nil {
			return notPermitted(f.name, "not an RFC 3339 date-time")
		}
		v.in.fields[f.name] = t.UTC().Format(timeLayout)
	case fMoney:
		return v.money(f.name, val)
	case fTags:
		return v.tags(val)
	case fStage:
		return v.stage(val)
	}
	return nil
}

// resolve checks an ID against the field's allowed kinds. Fields of kinds
// the sandbox does not seed (sprint, group, channels) accept any well-formed
// ID and render as a bare summary.
func (v *validator) resolve(f fieldSpec, s string) (rendered any, don string, err *APIError) {
	if len(f.idKinds) == 0 {
		if !wellFormedID(s) {
			return nil, "", invalidID(f.name, s, "malformed ID")
		}
		return map[string]any{"id": s}, s, nil
	}
	e := v.dir.lookup(s)
	if e == nil {
		if !wellFormedID(s) {
			return nil, "", invalidID(f.name, s, "malformed ID")
		}
		return nil, "", invalidID(f.name, s, "no such object")
	}
	if !contains(f.idKinds, e.kind) {
		return nil, "", invalidID(f.name, s, fmt.Sprintf("a %s cannot be used here", e.kind))
	}
	return v.dir.summary(e), e.id, nil
}

func (v *validator) money(field string, val any) *APIError {
	obj, ok := val.(map[string]any)
	if !ok {
		return unexpectedType(field, "object", jsonType(val))
	}
	if err := onlyKeys(field, obj, "amount", "currency"); err != nil {
		return err
	}
	out := map[string]any{}
	for _, k := range []string{"amount", "currency"} {
		x, ok := obj[k]
		if !ok || x == nil {
			return missingField(field + "." + k)
		}
		s, ok := x.(string)
		if !ok {
			return unexpectedType(field+"."+k, "string", jsonType(x))
		}
		out[k] = s
	}
	v.in.fields[field] = out
	return nil
}

func (v *validator) tags(val any) *APIError {
	arr, ok := val.([]any)
	if !ok {
		return unexpectedType("tags", "array", jsonType(val))
	}
	out := make([]any, 0, len(arr))
	for _, it := range arr {
		obj, ok := it.(map[string]any)
		if !ok {
			return unexpectedType("tags", "object", jsonType(it))
		}
		if err := onlyKeys("tags", obj, "id", "value"); err != nil {
			return err
		}
		id, err := requiredString(obj, "id", "tags.id")
		if err != nil {
			return err
		}
		rendered, don, err := v.resolve(fieldSpec{name: "tags", idKinds: []string{kindTag}}, id)
		if err != nil {
			return err
		}
		entry := map[string]any{"tag": rendered}
		if x, ok := obj["value"]; ok && x != nil {
			s, ok := x.(string)
			if !ok {
				return unexpectedType("tags.value", "string", jsonType(x))
			}
			// Seeded tags define no allowed values, so no value is permitted.
			return notPermitted("tags.value", fmt.Sprintf("tag %s has no allowed values; got %q", id, s))
		}
		out = append(out, entry)
		v.in.tags = append(v.in.tags, don)
	}
	v.in.fields["tags"] = out
	return nil
}

func (v *validator) stage(val any) *APIError {
	obj, ok := val.(map[string]any)
	if !ok {
		return unexpectedType("stage", "object", jsonType(val))
	}
	if err := onlyKeys("stage", obj, "id", "name"); err != nil {
		return err
	}
	out := map[string]any{}
	if x, ok := obj["id"]; ok && x != nil {
		s, ok := x.(string)
		if !ok {
			return unexpectedType("stage.id", "string", jsonType(x))
		}
		if !wellFormedID(s) {
			return invalidID("stage.id", s, "malformed ID")
		}
		out["stage"] = map[string]any{"id": s}
	}
	if x, ok := obj["name"]; ok && x != nil {
		s, ok := x.(string)
		if !ok {
			return unexpectedType("stage.name", "string", jsonType(x))
		}
		if s == "" {
			return notPermitted("stage.name", "must not be empty")
		}
		out["name"] = s
		v.in.stage = s
	}
	v.in.fields["stage"] = out
	return nil
}

// custom checks custom_schema_spec, custom_schema_fragments and
// custom_fields together: custom fields need a schema naming them.
func (v *validator) custom() *APIError {
	tenant := false
	if val, ok := v.body["custom_schema_spec"]; ok && val != nil {
		obj, ok := val.(map[string]any)
		if !ok {
			return unexpectedType("custom_schema_spec", "object", jsonType(val))
		}
		if err := onlyKeys("custom_schema_spec", obj, "apps", "drop", "subtype", "tenant_fragment", "validate_required_fields"); err != nil {
			return err
		}
		for _, k := range []string{"tenant_fragment", "validate_required_fields"} {
			if x, ok := obj[k]; ok && x != nil {
				b, ok := x.(bool)
				if !ok {
					return unexpectedType("custom_schema_spec."+k, "bool", jsonType(x))
				}
				if k == "tenant_fragment" {
					tenant = b
				}
			}
		}
		if apps, _, err := stringList(obj, "apps"); err != nil {
			err.FieldName = "custom_schema_spec." + err.FieldName
			return err
		} else if len(apps) > 0 {
			return customizationError("custom_schema_spec.apps", "fragment_not_found", fmt.Sprintf("no app fragment %q in this sandbox", apps[0]))
		}
		if x, ok := obj["subtype"]; ok && x != nil {
			s, ok := x.(string)
			if !ok {
				return unexpectedType("custom_schema_spec.subtype", "string", jsonType(x))
			}
			if s != "" {
				return customizationError("custom_schema_spec.subtype", "fragment_not_found", fmt.Sprintf("no subtype %q in this sandbox", s))
			}
		}
		if x, ok := obj["drop"]; ok && x != nil {
			if _, ok := x.(map[string]any); !ok {
				return unexpectedType("custom_schema_spec.drop", "object", jsonType(x))
			}
		}
	}
	if ids, ok, err := stringList(v.body, "custom_schema_fragments"); err != nil {
		return err
	} else if ok {
		for _, id := range ids {
			if !wellFormedID(id) {
				return invalidID("custom_schema_fragments", id, "malformed ID")
			}
			if id != tenantFragmentID(v.in.typ) {
				return customizationError("custom_schema_fragments", "fragment_not_found",
					fmt.Sprintf("no schema fragment %q for leaf type %s", id, v.in.typ))
			}
			tenant = true
		}
	}

	if tenant {
		v.in.fields["custom_schema_fragments"] = []any{tenantFragmentID(v.in.typ)}
	}
	val, ok := v.body["custom_fields"]
	if !ok || val == nil {
		return nil
	}
	obj, ok := val.(map[string]any)
	if !ok {
		return unexpectedType("custom_fields", "object", jsonType(val))
	}
	if len(obj) > 0 && !tenant {
		return badRequest("custom_fields requires a schema: set custom_schema_spec with tenant_fragment: true, or custom_schema_fragments")
	}
	names := make([]string, 0, len(obj))
	for k := range obj {
		names = append(names, k)
	}
	sort.Strings(names)
	out := map[string]any{}
	for _, k := range names {
		field := "custom_fields." + k
		def, ok := tenantField(k)
		if !ok {
			return customizationError(field, "field_not_in_schema", fmt.Sprintf("no custom field %q in the schema of %s", k, v.in.typ))
		}
		x := obj[k]
		if x == nil {
			continue
		}
		switch def.typ {
		case cfText:
			if _, ok := x.(string); !ok {
				return customizationError(field, "wrong_type", fmt.Sprintf("expected text, got %s", jsonType(x)))
			}
		case cfInt:
			n, ok := x.(json.Number)
			if !ok {
				return customizationError(field, "wrong_type", fmt.Sprintf("expected int, got %s", jsonType(x)))
			}
			if _, err := strconv.ParseInt(string(n), 10, 64); err != nil {
				return customizationError(field, "wrong_type", fmt.Sprintf("expected int, got %s", string(n)))
			}
		case cfBool:
			if _, ok := x.(bool); !ok {
				return customizationError(field, "wrong_type", fmt.Sprintf("expected bool, got %s", jsonType(x)))
			}
		default:
			if err := checkCustomValue(field, def, x); err != nil {
				return err
			}
		}
		out[k] = x
	}
	v.in.custom = out
	v.in.fields["custom_fields"] = out
	return nil
}

// onlyKeys rejects properties of a nested object that its schema lacks.
func onlyKeys(prefix string, obj map[string]any, allowed ...string) *APIError {
	names := make([]string, 0, len(obj))
	for k := range obj {
		names = append(names, k)
	}
	sort.Strings(names)
	for _, k := range names {
		if !contains(allowed, k) {
			name := k
			if prefix != "" {
				name = prefix + "." + k
			}
			return invalidField(name, "unknown field")
		}
	}
	return nil
}

func enumValue(u uenumValue, ordinal int) map[string]any {
	return map[string]any{"id": u.id, "label": u.label, "ordinal": ordinal}
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}
