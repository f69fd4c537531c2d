package simulator

import (
	"encoding/json"
	"fmt"
	"net/http"
	"sort"
	"time"
)

// This file serves works.update. It is written from the OpenAPI schemas
// works-update-request and its -issue, -ticket, -task and -opportunity
// variants, which are not the create variants: lists come wrapped
// ({set}, {add, remove, set}), the stage takes stage-update ({name} or
// {stage: <id>}), some properties are nullable (null clears them) and each
// type accepts a different set of properties. Values are checked with the
// same per-kind rules as works.create (validator.field), so a value the
// create refuses is refused here too.

// updateShape is how an update property carries its value.
type updateShape int

const (
	uValue         updateShape = iota // the value replaces the field, checked like create's
	uSet                              // {set: [...]}: the list replaces the field
	uAddRemoveSet                     // {add, remove, set}: artifacts and tags
	uStage                            // stage-update: {name} or {stage: <id>}
	uOption                           // checked, not stored (stage_validation_options)
	uSpecial                          // custom_fields and its schema, checked together
	uUnimplemented                    // defined by the spec, refused by the sandbox unless empty
)

// updateSpec describes one works.update property.
type updateSpec struct {
	fieldSpec
	shape       updateShape
	nullable    bool // null clears the field
	setRequired bool // the wrapper's "set" is required (contacts)
	nonEmpty    bool // the set must not be empty (owned_by)
}

var (
	updateStageOpts = []string{"allow_invalid_transition"}
	sentimentV2     = []uenumValue{{1, "Delighted"}, {2, "Happy"}, {3, "Neutral"}, {4, "Unhappy"}, {5, "Frustrated"}}
)

// Shorthands for the tables below.
func plain(f fieldSpec) updateSpec                 { return updateSpec{fieldSpec: f} }
func clearable(f fieldSpec) updateSpec             { return updateSpec{fieldSpec: f, nullable: true} }
func setOf(f fieldSpec) updateSpec                 { return updateSpec{fieldSpec: f, shape: uSet} }
func shaped(f fieldSpec, s updateShape) updateSpec { return updateSpec{fieldSpec: f, shape: s} }

// updateCommon are the properties of works-update-request itself (besides
// id and type), in the order they are applied.
var updateCommon = []updateSpec{
	plain(fieldSpec{name: "title", kind: fText, minLen: 1, maxLen: 256}),
	plain(fieldSpec{name: "body", kind: fText, maxLen: 65536}),
	plain(fieldSpec{name: "applies_to_part", kind: fID, idKinds: partKinds}),
	shaped(fieldSpec{name: "artifacts", kind: fIDList, idKinds: []string{kindArtifact}, maxItems: 50}, uAddRemoveSet),
	{fieldSpec: fieldSpec{name: "owned_by", kind: fIDList, idKinds: []string{kindDevUser}}, shape: uSet, nonEmpty: true},
	setOf(fieldSpec{name: "reported_by", kind: fIDList, idKinds: []string{kindDevUser, kindRevUser}}),
	shaped(fieldSpec{name: "tags", kind: fTags}, uAddRemoveSet),
	shaped(fieldSpec{name: "stage", kind: fStage}, uStage),
	shaped(fieldSpec{name: "stage_validation_options", kind: fEnumList, enum: updateStageOpts}, uOption),
	shaped(fieldSpec{name: "staged_info"}, uUnimplemented),
	clearable(fieldSpec{name: "target_close_date", kind: fDateTime}),
	shaped(fieldSpec{name: "custom_schema_spec", kind: fSpecial}, uSpecial),
	shaped(fieldSpec{name: "custom_schema_fragments", kind: fSpecial}, uSpecial),
	shaped(fieldSpec{name: "custom_fields", kind: fSpecial}, uSpecial),
}

// updateTypeFields are the properties of each works-update-request-<type>
// variant.
var updateTypeFields = map[string][]updateSpec{
	typeIssue: {
		setOf(fieldSpec{name: "developed_with", kind: fIDList, idKinds: partKinds, maxItems: 8}),
		plain(fieldSpec{name: "priority", kind: fEnum, enum: priorityEnum}),
		plain(fieldSpec{name: "priority_v2", kind: fUenum, uenum: priorityV2}),
		clearable(fieldSpec{name: "sprint", kind: fID}),
		clearable(fieldSpec{name: "target_start_date", kind: fDateTime}),
	},
	typeOpportunity: {
		plain(fieldSpec{name: "account", kind: fID, idKinds: []string{kindAccount}}),
		clearable(fieldSpec{name: "amount", kind: fNumber}),
		plain(fieldSpec{name: "annual_contract_value", kind: fMoney}),
		{fieldSpec: fieldSpec{name: "contacts", kind: fIDList, idKinds: []string{kindRevUser}}, shape: uSet, setRequired: true},
		clearable(fieldSpec{name: "customer_budget", kind: fNumber}),
		plain(fieldSpec{name: "forecast_category_v2", kind: fUenum, uenum: forecastV2}),
		clearable(fieldSpec{name: "probability", kind: fNumber, min: 0, max: 1}),
		plain(fieldSpec{name: "value", kind: fMoney}),
	},
	typeTask: {
		plain(fieldSpec{name: "embedded", kind: fBool}),
		plain(fieldSpec{name: "priority", kind: fEnum, enum: priorityEnum}),
		plain(fieldSpec{name: "start_date", kind: fDateTime}),
	},
	typeTicket: {
		clearable(fieldSpec{name: "account", kind: fID, idKinds: []string{kindAccount}}),
		setOf(fieldSpec{name: "channels", kind: fEnumList, enum: channelsEnum}),
		plain(fieldSpec{name: "channels_v2", kind: fIDList}),
		clearable(fieldSpec{name: "group", kind: fID}),
		plain(fieldSpec{name: "is_archived", kind: fBool}),
		plain(fieldSpec{name: "is_frozen", kind: fBool}),
		plain(fieldSpec{name: "is_spam", kind: fBool}),
		plain(fieldSpec{name: "needs_response", kind: fBool}),
		clearable(fieldSpec{name: "rev_org", kind: fID, idKinds: []string{kindRevOrg}}),
		plain(fieldSpec{name: "sentiment", kind: fUenum, uenum: sentimentV2}),
		plain(fieldSpec{name: "sentiment_modified_date", kind: fDateTime}),
		plain(fieldSpec{name: "sentiment_summary", kind: fText}),
		plain(fieldSpec{name: "severity", kind: fEnum, enum: severityEnum}),
		clearable(fieldSpec{name: "source_channel_v2", kind: fID}),
	},
}

// UpdateRecord is one works.update the server applied, as returned by
// Server.Updates. Refused updates are not recorded; an update whose answer
// was lost (Faults.DropAfter, BadBody) is.
type UpdateRecord struct {
	Fields []string       // the properties sent, sorted, without id and type
	Body   map[string]any // the request body as decoded (JSON numbers as json.Number); a fresh copy per call
	By     string         // display ID of the dev user who sent it
	Time   time.Time      // when it was applied (Options.Clock), truncated to milliseconds as served
}

// updateEntry is the stored form of an UpdateRecord.
type updateEntry struct {
	fields []string
	body   []byte // the request re-encoded, decoded afresh for each caller
	by     *entity
	at     time.Time
}

// updater checks one works.update body against the stored work and builds
// the work's new content in a copy, so that a refused update changes
// nothing.
type updater struct {
	dir  *directory
	body map[string]any
	v    *validator // writes into the copy
}

// validateUpdate checks body against sw and returns the work's new content,
// or the error the API answers. sw is not modified.
func validateUpdate(dir *directory, sw *storedWork, body map[string]any) (*createInput, *APIError) {
	if err := checkUpdateType(sw, body); err != nil {
		return nil, err
	}
	specs := append(append([]updateSpec(nil), updateCommon...), updateTypeFields[sw.typ]...)
	if err := checkUpdateKeys(sw.typ, body, specs); err != nil {
		return nil, err
	}
	u := &updater{dir: dir, body: body, v: &validator{dir: dir, body: body, in: sw.in.clone()}}
	for _, f := range specs {
		x, ok := body[f.name]
		if !ok {
			continue
		}
		if err := u.apply(f, x); err != nil {
			return nil, err
		}
	}
	if err := u.custom(); err != nil {
		return nil, err
	}
	in := u.v.in
	if in.typ == typeIssue {
		// DevRev keeps priority and priority_v2 in step: the one sent wins.
		if _, ok := body["priority"]; ok {
			delete(in.fields, "priority_v2")
		} else if _, ok := body["priority_v2"]; ok {
			delete(in.fields, "priority")
		}
		syncPriority(in.fields)
	}
	return in, nil
}

// checkUpdateType requires the work's own type: the request is a oneOf
// keyed by type, and works cannot change type.
func checkUpdateType(sw *storedWork, body map[string]any) *APIError {
	typ, err := requiredString(body, "type", "type")
	if err != nil {
		return err
	}
	if !contains(workTypes, typ) {
		return invalidEnum("type", typ, workTypes)
	}
	if typ != sw.typ {
		return invalidField("type", fmt.Sprintf("works cannot change type: %s is a %s, not a %s", sw.displayID, sw.typ, typ))
	}
	return nil
}

// checkUpdateKeys refuses properties that are not in the base schema or
// typ's update variant, naming where a misplaced one belongs.
func checkUpdateKeys(typ string, body map[string]any, specs []updateSpec) *APIError {
	known := map[string]bool{"id": true, "type": true}
	for _, f := range specs {
		known[f.name] = true
	}
	for _, k := range sortedKeys(body) {
		if known[k] {
			continue
		}
		for _, f := range append(append([]fieldSpec(nil), commonFields...), typeFields[typ]...) {
			if f.name == k {
				return invalidField(k, fmt.Sprintf("%s can be set on create but not updated on a %s", k, typ))
			}
		}
		for _, t := range workTypes {
			for _, f := range updateTypeFields[t] {
				if f.name == k {
					return invalidField(k, fmt.Sprintf("not a field of type %s (it belongs to %s)", typ, t))
				}
			}
		}
		return invalidField(k, "unknown field")
	}
	return nil
}

// apply checks one property and writes its effect into the copy.
func (u *updater) apply(f updateSpec, x any) *APIError {
	in := u.v.in
	if x == nil {
		switch {
		case f.shape == uSpecial || f.shape == uOption || f.shape == uUnimplemented:
			return nil // as on create, a null wrapper or option is absent
		case f.nullable:
			delete(in.fields, f.name)
			return nil
		}
		return notPermitted(f.name, "not nullable: it cannot be cleared")
	}
	switch f.shape {
	case uValue:
		return u.v.field(f.fieldSpec, x)
	case uSet:
		return u.set(f, x)
	case uAddRemoveSet:
		return u.addRemoveSet(f, x)
	case uStage:
		return u.stage(x)
	case uOption:
		_, err := u.scratch().checkField(f.fieldSpec, x)
		return err
	case uUnimplemented:
		if !isEmptyValue(x) {
			return badRequest("%s is not implemented by the sandbox simulator", f.name)
		}
	}
	return nil // uSpecial: see custom
}

// scratch is a validator writing into a throwaway input, to check a value
// without touching the copy.
func (u *updater) scratch() *validator {
	return &validator{dir: u.dir, body: u.body, in: &createInput{typ: u.v.in.typ, fields: map[string]any{}}}
}

// checkField checks val as f and returns it rendered.
func (v *validator) checkField(f fieldSpec, val any) (any, *APIError) {
	if err := v.field(f, val); err != nil {
		return nil, err
	}
	return v.in.fields[f.name], nil
}

// wrapper reads a {set}-style object, allowing only the given keys.
func wrapper(name string, x any, allowed ...string) (map[string]any, *APIError) {
	obj, ok := x.(map[string]any)
	if !ok {
		return nil, unexpectedType(name, "object", jsonType(x))
	}
	if err := onlyKeys(name, obj, allowed...); err != nil {
		return nil, err
	}
	return obj, nil
}

// set applies {set: [...]}: the list replaces the field.
func (u *updater) set(f updateSpec, x any) *APIError {
	obj, err := wrapper(f.name, x, "set")
	if err != nil {
		return err
	}
	list, ok := obj["set"]
	if !ok || list == nil {
		if f.setRequired {
			return missingField(f.name + ".set")
		}
		return nil
	}
	if arr, ok := list.([]any); ok && len(arr) == 0 && f.nonEmpty {
		return notPermitted(f.name+".set", "must not be empty")
	}
	inner := f.fieldSpec
	inner.name += ".set"
	rendered, err := u.scratch().checkField(inner, list)
	if err != nil {
		return err
	}
	u.assign(f.name, rendered.([]any))
	return nil
}

// assign stores a list field (absent when empty, as a cleared field) and
// keeps the works.list indexes in step.
func (u *updater) assign(name string, list []any) {
	in := u.v.in
	if len(list) == 0 {
		delete(in.fields, name)
	} else {
		in.fields[name] = list
	}
	switch name {
	case "owned_by":
		in.ownedBy = servedIDs(list)
	case "reported_by":
		in.reportedBy = servedIDs(list)
	}
}

// servedIDs returns the "id" of each rendered summary in list.
func servedIDs(list []any) []string {
	out := make([]string, 0, len(list))
	for _, it := range list {
		if m, ok := it.(map[string]any); ok {
			if id, ok := m["id"].(string); ok {
				out = append(out, id)
			}
		}
	}
	return out
}

// addRemoveSet applies {add, remove, set} to artifacts or tags: set
// replaces the list; add appends what is not there yet, remove drops what is
// (removing an absent one is no error). set cannot be combined with the
// others.
func (u *updater) addRemoveSet(f updateSpec, x any) *APIError {
	obj, err := wrapper(f.name, x, "add", "remove", "set")
	if err != nil {
		return err
	}
	has := func(k string) bool { v, ok := obj[k]; return ok && v != nil }
	if has("set") && (has("add") || has("remove")) {
		return badRequest("%s: set cannot be combined with add or remove", f.name)
	}
	ids := u.currentRefs(f.name)
	for _, op := range []string{"set", "add", "remove"} {
		if !has(op) {
			continue
		}
		refs, err := u.refs(f, op, obj[op])
		if err != nil {
			return err
		}
		switch op {
		case "set":
			ids = dedupe(refs)
		case "add":
			ids = dedupe(append(ids, refs...))
		case "remove":
			ids = without(ids, refs)
		}
	}
	u.assignRefs(f.name, ids)
	return nil
}

// currentRefs lists the DON IDs the work's artifacts or tags hold now.
func (u *updater) currentRefs(name string) []string {
	in := u.v.in
	if name == "tags" {
		return append([]string(nil), in.tags...)
	}
	list, _ := in.fields[name].([]any)
	return servedIDs(list)
}

// refs checks the IDs of one add/remove/set list and returns their DON IDs.
func (u *updater) refs(f updateSpec, op string, x any) ([]string, *APIError) {
	name := f.name + "." + op
	if f.name != "tags" {
		inner := f.fieldSpec
		inner.name = name
		rendered, err := u.scratch().checkField(inner, x)
		if err != nil {
			return nil, err
		}
		return servedIDs(rendered.([]any)), nil
	}
	arr, ok := x.([]any)
	if !ok {
		return nil, unexpectedType(name, "array", jsonType(x))
	}
	if op != "remove" {
		sv := u.scratch()
		if err := sv.tags(arr); err != nil { // set-/add-tag-with-value: {id, value}
			return nil, err
		}
		return sv.in.tags, nil
	}
	out := make([]string, 0, len(arr))
	for _, it := range arr { // remove-tag-with-value: {id}
		obj, err := wrapper(name, it, "id")
		if err != nil {
			return nil, err
		}
		id, err := requiredString(obj, "id", name+".id")
		if err != nil {
			return nil, err
		}
		_, don, err := u.v.resolve(fieldSpec{name: name, idKinds: []string{kindTag}}, id)
		if err != nil {
			return nil, err
		}
		out = append(out, don)
	}
	return out, nil
}

// assignRefs stores artifacts or tags as the DON IDs ids, rendered as
// create renders them.
func (u *updater) assignRefs(name string, ids []string) {
	list := make([]any, 0, len(ids))
	for _, id := range ids {
		sum := u.dir.summary(u.dir.lookup(id))
		if name == "tags" {
			list = append(list, map[string]any{"tag": sum})
		} else {
			list = append(list, sum)
		}
	}
	if name == "tags" {
		u.v.in.tags = ids
	}
	u.assign(name, list)
}

func dedupe(ids []string) []string {
	seen := map[string]bool{}
	out := ids[:0:0]
	for _, id := range ids {
		if !seen[id] {
			seen[id] = true
			out = append(out, id)
		}
	}
	return out
}

func without(ids, drop []string) []string {
	out := ids[:0:0]
	for _, id := range ids {
		if !contains(drop, id) {
			out = append(out, id)
		}
	}
	return out
}

// stage applies stage-update: {stage: <id>} (the name is then ignored) or
// {name}; an empty object leaves the stage unchanged. The create shape
// {id} is refused.
func (u *updater) stage(x any) *APIError {
	obj, err := wrapper("stage", x, "name", "stage")
	if err != nil {
		return err
	}
	in := u.v.in
	if sv, ok := obj["stage"]; ok && sv != nil {
		s, ok := sv.(string)
		if !ok {
			return unexpectedType("stage.stage", "string", jsonType(sv))
		}
		if !wellFormedID(s) {
			return invalidID("stage.stage", s, "malformed ID")
		}
		in.fields["stage"] = map[string]any{"stage": map[string]any{"id": s}}
		in.stage = ""
		return nil
	}
	nv, ok := obj["name"]
	if !ok || nv == nil {
		return nil
	}
	s, ok := nv.(string)
	if !ok {
		return unexpectedType("stage.name", "string", jsonType(nv))
	}
	if s == "" {
		return notPermitted("stage.name", "must not be empty")
	}
	in.fields["stage"] = map[string]any{"name": s}
	in.stage = s
	return nil
}

// custom checks custom_schema_spec, custom_schema_fragments and
// custom_fields with create's rules, then merges: keys sent replace, keys
// not sent are left alone, a null value clears its key.
func (u *updater) custom() *APIError {
	sv := u.scratch()
	if err := sv.custom(); err != nil {
		return err
	}
	in := u.v.in
	if frags, ok := sv.in.fields["custom_schema_fragments"]; ok {
		in.fields["custom_schema_fragments"] = frags
	}
	sent, _ := u.body["custom_fields"].(map[string]any)
	if len(sent) == 0 {
		return nil
	}
	merged := make(map[string]any, len(in.custom)+len(sent))
	for k, x := range in.custom {
		merged[k] = x
	}
	for k, x := range sent {
		if x == nil {
			delete(merged, k)
		} else {
			merged[k] = sv.in.custom[k]
		}
	}
	in.custom = merged
	if len(merged) == 0 {
		delete(in.fields, "custom_fields")
	} else {
		in.fields["custom_fields"] = merged
	}
	return nil
}

// clone copies a work's content for an update to change. Field values are
// replaced, never modified, so the copy of the map is shallow.
func (in *createInput) clone() *createInput {
	c := *in
	c.fields = make(map[string]any, len(in.fields))
	for k, v := range in.fields {
		c.fields[k] = v
	}
	return &c
}

func sortedKeys(m map[string]any) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// update replaces sw's content with in, as sent by by at now, and records
// the request if record is set. The caller holds Server.mu.
func (st *workStore) update(dir *directory, sw *storedWork, in *createInput, by *entity, now time.Time, body map[string]any, record bool) error {
	old := struct {
		in       *createInput
		doc      json.RawMessage
		by       *entity
		modified time.Time
	}{sw.in, sw.doc, sw.modBy, sw.modified}
	now = now.UTC().Truncate(time.Millisecond)
	sw.in, sw.modBy, sw.modified = in, by, now
	if err := sw.render(dir); err != nil {
		sw.in, sw.doc, sw.modBy, sw.modified = old.in, old.doc, old.by, old.modified
		return err
	}
	if !record {
		return nil
	}
	raw, err := json.Marshal(body)
	if err != nil {
		return fmt.Errorf("recording update of %s: %w", sw.displayID, err)
	}
	var fields []string
	for _, k := range sortedKeys(body) {
		if k != "id" && k != "type" {
			fields = append(fields, k)
		}
	}
	sw.updates = append(sw.updates, updateEntry{fields: fields, body: raw, by: by, at: now})
	return nil
}

// handleWorksUpdate serves POST /works.update.
func (s *Server) handleWorksUpdate(w http.ResponseWriter, r *http.Request, c *call) {
	body, id, ok := s.beginWrite(w, r, c, updateRef)
	if !ok {
		return
	}
	doc, apiErr, err := s.updateWork(id, body, c.user)
	switch {
	case err != nil:
		c.internal(w, err)
		return
	case apiErr != nil:
		c.fail(w, apiErr)
		return
	}
	if s.postFaults(w, c, http.StatusOK) {
		return
	}
	c.writeRaw(w, http.StatusOK, workEnvelope(doc))
}

// updateWork validates and applies one works.update request under the
// lock, so that concurrent updates of one work apply one after the other,
// and returns the served work.
func (s *Server) updateWork(id string, body map[string]any, by *entity) (json.RawMessage, *APIError, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	sw, apiErr, err := s.applyUpdate(id, body, by, true)
	if sw == nil {
		return nil, apiErr, err
	}
	s.stats.Updates++
	return sw.doc, nil, nil
}

// applyUpdate validates body against the work id and applies it,
// recording it in Updates when record is set. The caller holds s.mu.
func (s *Server) applyUpdate(id string, body map[string]any, by *entity, record bool) (*storedWork, *APIError, error) {
	sw := s.works.get(id)
	if sw == nil {
		return nil, notFound("work %q not found", id), nil
	}
	in, apiErr := validateUpdate(s.dir, sw, body)
	if apiErr != nil {
		return nil, apiErr, nil
	}
	if err := s.works.update(s.dir, sw, in, by, s.now(), body, record); err != nil {
		return nil, nil, err
	}
	return sw, nil, nil
}

// EditWork changes a work directly, as if editedBy (a dev user display ID
// or DON ID; "" means DEVU-1) had changed it in DevRev's UI: body is a
// works.update request (id and type included), validated exactly like one,
// bypassing authentication, rate limits, faults and statistics, and not
// recorded in Updates, which holds only the requests the server received.
// Tests use it for "someone edited the work since the import". A refused
// body is returned as *APIError (404 not_found for an unknown id).
func (s *Server) EditWork(editedBy string, body map[string]any) (Work, error) {
	user, obj, err := s.directRequest(editedBy, body)
	if err != nil {
		return Work{}, fmt.Errorf("edit work: %w", err)
	}
	id, apiErr := updateRef(obj)
	if apiErr != nil {
		return Work{}, fmt.Errorf("edit work: %w", apiErr)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	sw, apiErr, err := s.applyUpdate(id, obj, user, false)
	switch {
	case err != nil:
		return Work{}, fmt.Errorf("edit work: %w", err)
	case apiErr != nil:
		return Work{}, fmt.Errorf("edit work: %w", apiErr)
	}
	return sw.snapshot(), nil
}

// updateRef reads the required, well-formed "id" of a works.update request.
func updateRef(body map[string]any) (string, *APIError) {
	id, err := requiredString(body, "id", "id")
	if err != nil {
		return "", err
	}
	if !wellFormedID(id) {
		return "", invalidID("id", id, "malformed ID")
	}
	return id, nil
}

// Updates returns the works.update requests applied to the work with this
// DON or display ID (deleted works included), oldest first; nil when there
// were none or no such work was ever created.
func (s *Server) Updates(idOrDisplayID string) []UpdateRecord {
	s.mu.Lock()
	defer s.mu.Unlock()
	sw := s.works.byRef[idOrDisplayID]
	if sw == nil {
		for _, cand := range s.works.works {
			if cand.id == idOrDisplayID || cand.displayID == idOrDisplayID {
				sw = cand
			}
		}
	}
	if sw == nil || len(sw.updates) == 0 {
		return nil
	}
	out := make([]UpdateRecord, len(sw.updates))
	for i, e := range sw.updates {
		body, _ := decodeObject(e.body) // encoded by json.Marshal from a decoded object
		out[i] = UpdateRecord{Fields: append([]string(nil), e.fields...), Body: body, By: e.by.displayID, Time: e.at}
	}
	return out
}
