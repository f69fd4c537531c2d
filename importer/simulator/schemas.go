package simulator

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// This file serves the work schemas: the stock fragment of each work type
// (its create-able fields, derived from the same field table the
// works.create validator uses) and the tenant fragment holding the
// sandbox custom fields (text, int, bool, double, date, timestamp, enum,
// uenum: tenantFields), so a client can type and validate custom fields
// before sending them.

// idTypeNames maps seeded kinds to the object types a schema's id_type
// lists.
var idTypeNames = map[string]string{
	kindDevUser: "dev_user", kindRevUser: "rev_user", kindProduct: "product", kindCapability: "capability",
	kindFeature: "feature", kindEnhancement: "enhancement", kindTag: "tag", kindAccount: "account",
	kindRevOrg: "rev_org", kindArtifact: "artifact",
}

// descriptor renders one create-able field as a schema-field-descriptor.
func descriptor(f fieldSpec, required bool) map[string]any {
	d := map[string]any{"name": f.name, "is_required": required, "origin": "stock"}
	idTypes := func() []string {
		out := make([]string, 0, len(f.idKinds))
		for _, k := range f.idKinds {
			out = append(out, idTypeNames[k])
		}
		return out
	}
	switch f.kind {
	case fText:
		d["field_type"] = "text"
		if f.name == "body" {
			d["field_type"] = "rich_text"
		}
		if f.minLen > 0 {
			d["min_len"] = f.minLen
		}
		if f.maxLen > 0 {
			d["max_len"] = f.maxLen
		}
	case fID:
		d["field_type"] = "id"
		if len(f.idKinds) > 0 {
			d["id_type"] = idTypes()
		}
	case fIDList:
		d["field_type"], d["base_type"] = "array", "id"
		if len(f.idKinds) > 0 {
			d["id_type"] = idTypes()
		}
		if f.maxItems > 0 {
			d["max_items"] = f.maxItems
		}
	case fEnum:
		d["field_type"], d["allowed_values"] = "enum", f.enum
	case fEnumList:
		d["field_type"], d["base_type"], d["allowed_values"] = "array", "enum", f.enum
	case fUenum:
		vals := make([]any, len(f.uenum))
		for i, u := range f.uenum {
			vals[i] = enumValue(u, i+1)
		}
		d["field_type"], d["allowed_values"] = "uenum", vals
	case fBool:
		d["field_type"] = "bool"
	case fNumber:
		d["field_type"] = "double"
	case fDateTime:
		d["field_type"] = "timestamp"
	case fTags:
		d["field_type"], d["base_type"], d["composite_type"] = "array", "composite", "tag_with_value"
	case fMoney:
		d["field_type"], d["composite_type"] = "composite", "money"
	case fStage:
		d["field_type"], d["composite_type"] = "composite", "stage"
	}
	return d
}

// stockFields lists a leaf type's create-able stock fields.
func stockFields(leaf string) []map[string]any {
	req := map[string]bool{}
	for _, k := range requiredFields(leaf) {
		req[k] = true
	}
	var out []map[string]any
	for _, f := range append(append([]fieldSpec(nil), commonFields...), typeFields[leaf]...) {
		if f.kind == fSpecial {
			continue
		}
		out = append(out, descriptor(f, req[f.name]))
	}
	return out
}

// tenantDescriptors lists the tenant fragment's custom fields, named as
// works.create's custom_fields takes them (tnt__ prefix included).
func tenantDescriptors() []map[string]any {
	out := make([]map[string]any, 0, len(tenantFields))
	for _, f := range tenantFields {
		d := map[string]any{
			"name": f.name, "field_type": string(f.typ), "is_required": false, "is_filterable": true,
			"origin": "tenant_fragment", "ui": map[string]any{"display_name": f.displayName},
		}
		switch f.typ {
		case cfEnum:
			d["allowed_values"] = f.enum
		case cfUenum:
			vals := make([]any, len(f.uenum))
			for i, u := range f.uenum {
				vals[i] = enumValue(u, i+1)
			}
			d["allowed_values"] = vals
		}
		out = append(out, d)
	}
	return out
}

// leafOfFragment returns the work type a stock or tenant fragment ID
// belongs to, or "".
func leafOfFragment(id string, tenant bool) string {
	for _, t := range workTypes {
		if (tenant && id == tenantFragmentID(t)) || (!tenant && id == stockFragmentID(t)) {
			return t
		}
	}
	return ""
}

func optString(req map[string]any, field string) (string, *APIError) {
	v, ok := req[field]
	if !ok || v == nil {
		return "", nil
	}
	s, ok := v.(string)
	if !ok {
		return "", unexpectedType(field, "string", jsonType(v))
	}
	return s, nil
}

// handleSchemasStockGet serves GET and POST /schemas.stock.get.
func (s *Server) handleSchemasStockGet(w http.ResponseWriter, r *http.Request, c *call) {
	req, apiErr := readRequest(r, queryShape{})
	if apiErr == nil {
		apiErr = onlyKeys("", req, "id", "leaf_type")
	}
	var id, leaf string
	if apiErr == nil {
		id, apiErr = optString(req, "id")
	}
	if apiErr == nil {
		leaf, apiErr = optString(req, "leaf_type")
	}
	if apiErr != nil {
		c.fail(w, apiErr)
		return
	}
	switch {
	case id != "":
		byID := leafOfFragment(id, false)
		if byID == "" || (leaf != "" && leaf != byID) {
			c.fail(w, notFound("no stock schema fragment %q", id))
			return
		}
		leaf = byID
	case leaf != "":
		if !contains(workTypes, leaf) {
			c.fail(w, notFound("no stock schema fragment for leaf type %q", leaf))
			return
		}
	default:
		c.fail(w, badRequest("one of id or leaf_type is required"))
		return
	}
	date := seedDate.Format(timeLayout)
	c.writeJSON(w, http.StatusOK, map[string]any{"fragment": map[string]any{
		"id": stockFragmentID(leaf), "leaf_type": leaf, "title": leaf, "description": "Stock " + leaf + " schema",
		"fields": stockFields(leaf), "composite_schemas": []any{}, "created_date": date, "modified_date": date,
	}})
}

// handleSchemasAggregatedGet serves GET and POST /schemas.aggregated.get:
// the stock fields of the leaf type plus the tenant custom fields when the
// tenant fragment is named or inferred from leaf_type.
func (s *Server) handleSchemasAggregatedGet(w http.ResponseWriter, r *http.Request, c *call) {
	req, apiErr := readRequest(r, queryShape{arrays: keys("custom_schema_fragments", "custom_schema_spec.apps"),
		bools: keys("is_custom_leaf_type")})
	if apiErr == nil {
		apiErr = onlyKeys("", req, "custom_schema_fragments", "custom_schema_spec", "is_custom_leaf_type",
			"leaf_type", "stock_schema_fragment")
	}
	var leaf, stock string
	if apiErr == nil {
		leaf, apiErr = optString(req, "leaf_type")
	}
	if apiErr == nil {
		stock, apiErr = optString(req, "stock_schema_fragment")
	}
	var frags []string
	if apiErr == nil {
		frags, _, apiErr = stringList(req, "custom_schema_fragments")
	}
	if apiErr == nil {
		if v, ok := req["is_custom_leaf_type"]; ok && v != nil {
			if b, ok := v.(bool); !ok {
				apiErr = unexpectedType("is_custom_leaf_type", "bool", jsonType(v))
			} else if b {
				apiErr = notFound("no custom leaf types in this sandbox")
			}
		}
	}
	if apiErr == nil {
		apiErr = checkReadSpec(req["custom_schema_spec"])
	}
	if apiErr != nil {
		c.fail(w, apiErr)
		return
	}

	tenant := leaf != ""
	if leaf != "" && !contains(workTypes, leaf) {
		c.fail(w, notFound("no schema for leaf type %q", leaf))
		return
	}
	setLeaf := func(l string) bool {
		if leaf != "" && leaf != l {
			return false
		}
		leaf = l
		return true
	}
	if stock != "" {
		l := leafOfFragment(stock, false)
		if l == "" || !setLeaf(l) {
			c.fail(w, notFound("no stock schema fragment %q for this leaf type", stock))
			return
		}
	}
	for _, id := range frags {
		l := leafOfFragment(id, true)
		if l == "" || !setLeaf(l) {
			c.fail(w, notFound("no custom schema fragment %q for this leaf type", id))
			return
		}
		tenant = true
	}
	if leaf == "" {
		c.fail(w, badRequest("one of leaf_type, stock_schema_fragment or custom_schema_fragments is required"))
		return
	}
	custom := []map[string]any{}
	if tenant {
		custom = tenantDescriptors()
	}
	c.writeJSON(w, http.StatusOK, map[string]any{"schema": map[string]any{
		"leaf_type": leaf, "title": leaf, "is_custom_leaf_type": false,
		"stock_fields": stockFields(leaf), "custom_fields": custom,
		"stock_composite_schemas": []any{}, "custom_composite_schemas": []any{},
	}})
}

// checkReadSpec validates a custom-schema-spec-for-read: the sandbox has no
// apps and no subtypes, so naming one is a not-found.
func checkReadSpec(v any) *APIError {
	if v == nil {
		return nil
	}
	obj, ok := v.(map[string]any)
	if !ok {
		return unexpectedType("custom_schema_spec", "object", jsonType(v))
	}
	if err := onlyKeys("custom_schema_spec", obj, "apps", "subtype"); err != nil {
		return err
	}
	apps, _, err := stringList(obj, "apps")
	if err != nil {
		err.FieldName = "custom_schema_spec." + err.FieldName
		return err
	}
	if len(apps) > 0 {
		return notFound("no app fragments %s in this sandbox", strings.Join(apps, ", "))
	}
	sub, err := optString(obj, "subtype")
	if err != nil {
		err.FieldName = "custom_schema_spec." + err.FieldName
		return err
	}
	if sub != "" {
		return notFound("no subtype %q in this sandbox", sub)
	}
	return nil
}

// checkCustomValue validates a value of a double, date, timestamp, enum or
// uenum tenant field, as DevRev does: by the JSON type and the field's
// allowed values, independently of what any client converted.
func checkCustomValue(field string, def customFieldDef, x any) *APIError {
	wrong := func(want string) *APIError {
		return customizationError(field, "wrong_type", fmt.Sprintf("expected %s, got %s", want, jsonType(x)))
	}
	switch def.typ {
	case cfDouble:
		n, ok := x.(json.Number)
		if !ok {
			return wrong("double")
		}
		if _, err := strconv.ParseFloat(string(n), 64); err != nil {
			return wrong("double")
		}
	case cfDate, cfTimestamp:
		str, ok := x.(string)
		if !ok {
			return wrong(string(def.typ))
		}
		layout := time.RFC3339
		if def.typ == cfDate {
			layout = time.DateOnly
		}
		if _, err := time.Parse(layout, str); err != nil {
			return customizationError(field, string(def.typ)+"_parse_error", fmt.Sprintf("expected a %s (%s), got %q", def.typ, layout, str))
		}
	case cfEnum:
		str, ok := x.(string)
		if !ok {
			return wrong("enum")
		}
		if !contains(def.enum, str) {
			return customizationError(field, "enum_out_of_range", fmt.Sprintf("%q is not one of %s", str, strings.Join(def.enum, ", ")))
		}
	case cfUenum:
		n, ok := x.(json.Number)
		if !ok {
			return wrong("uenum (an int64 ID)")
		}
		id, err := strconv.ParseInt(string(n), 10, 64)
		if err == nil {
			for _, c := range def.uenum {
				if c.id == id {
					return nil
				}
			}
		}
		return customizationError(field, "enum_out_of_range", fmt.Sprintf("%s is not the ID of a value of %s", string(n), def.name))
	}
	return nil
}
