package simulator

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"time"
)

// Work is a snapshot of one created work, as returned by Server.Works.
type Work struct {
	ID           string         // DON ID, e.g. don:core:dvrv-us-1:devo/sandbox:issue/1
	DisplayID    string         // ISS-1, TKT-1, TASK-1 or OPP-1
	Type         string         // issue, ticket, task or opportunity
	Title        string         // as given
	Body         string         // as given, "" when absent
	CreatedBy    string         // display ID of the creating dev user (DEVU-1)
	CreatedDate  time.Time      // from Options.Now, truncated to milliseconds as served
	ModifiedBy   string         // display ID of the dev user who last created or updated it
	ModifiedDate time.Time      // the creation or the last works.update, as served
	CustomFields map[string]any // as served; JSON numbers decode as float64
	Raw          map[string]any // the stored work exactly as works.get serves it
}

// storedWork is one created work with the attributes works.list filters on.
type storedWork struct {
	seq       int64
	id        string
	displayID string
	typ       string
	createdBy *entity
	created   time.Time
	modBy     *entity   // last writer: the creator, then each works.update's caller
	modified  time.Time // created, then each works.update
	in        *createInput
	doc       json.RawMessage // the served "work" object; replaced (never modified) by an update
	deleted   bool
	updates   []updateEntry // every works.update applied, in order
}

// workStore holds created works. It is guarded by Server.mu.
type workStore struct {
	works    []*storedWork // creation order; deleted ones stay, flagged
	byRef    map[string]*storedWork
	counters map[string]int
	seq      int64
}

func newWorkStore() *workStore {
	return &workStore{byRef: map[string]*storedWork{}, counters: map[string]int{}}
}

var displayPrefix = map[string]string{
	typeIssue: "ISS", typeTicket: "TKT", typeTask: "TASK", typeOpportunity: "OPP",
}

var defaultStage = map[string]string{
	typeIssue: "triage", typeTicket: "queued", typeTask: "queued", typeOpportunity: "qualification",
}

// create stores a validated work and returns it. The caller holds s.mu.
func (st *workStore) create(dir *directory, in *createInput, by *entity, now time.Time) (*storedWork, error) {
	st.counters[in.typ]++
	n := st.counters[in.typ]
	st.seq++
	now = now.UTC().Truncate(time.Millisecond)
	sw := &storedWork{
		seq:       st.seq,
		id:        fmt.Sprintf("don:core:dvrv-us-1:%s:%s/%d", devo, in.typ, n),
		displayID: displayPrefix[in.typ] + "-" + strconv.Itoa(n),
		typ:       in.typ,
		createdBy: by,
		created:   now,
		in:        in,
	}
	if in.stage == "" {
		in.stage = defaultStage[in.typ]
		in.fields["stage"] = map[string]any{"name": in.stage}
	}
	if in.typ == typeIssue {
		syncPriority(in.fields)
	}
	sw.modBy, sw.modified = by, now
	if err := sw.render(dir); err != nil {
		return nil, err
	}
	st.works = append(st.works, sw)
	st.byRef[sw.id] = sw
	st.byRef[sw.displayID] = sw
	return sw, nil
}

// render serializes the work as works.get serves it: its validated fields
// plus the identity, authorship and dates the server keeps.
func (sw *storedWork) render(dir *directory) error {
	in := sw.in
	m := make(map[string]any, len(in.fields)+8)
	for k, v := range in.fields {
		m[k] = v
	}
	m["type"] = sw.typ
	m["id"] = sw.id
	m["display_id"] = sw.displayID
	m["created_by"] = dir.summary(sw.createdBy)
	m["modified_by"] = dir.summary(sw.modBy)
	m["created_date"] = sw.created.Format(timeLayout)
	m["modified_date"] = sw.modified.Format(timeLayout)
	m["stock_schema_fragment"] = stockFragmentID(sw.typ)
	doc, err := json.Marshal(m)
	if err != nil {
		return fmt.Errorf("encoding work %s: %w", sw.displayID, err)
	}
	sw.doc = doc
	return nil
}

// syncPriority fills an issue's priority from priority_v2 or the reverse,
// as DevRev keeps the two in step.
func syncPriority(f map[string]any) {
	if p, ok := f["priority"].(string); ok {
		if _, has := f["priority_v2"]; !has {
			for i, s := range priorityEnum {
				if s == p {
					f["priority_v2"] = enumValue(priorityV2[i], i+1)
				}
			}
		}
		return
	}
	if ev, ok := f["priority_v2"].(map[string]any); ok {
		if id, ok := ev["id"].(int64); ok && id >= 1 && int(id) <= len(priorityEnum) {
			f["priority"] = priorityEnum[id-1]
		}
	}
}

func (st *workStore) get(ref string) *storedWork {
	sw := st.byRef[ref]
	if sw == nil || sw.deleted {
		return nil
	}
	return sw
}

func (st *workStore) delete(sw *storedWork) {
	sw.deleted = true
	delete(st.byRef, sw.id)
	delete(st.byRef, sw.displayID)
}

// snapshot renders a stored work as the exported Work. The caller holds
// Server.mu (an update replaces in and doc).
func (sw *storedWork) snapshot() Work {
	w := Work{
		ID: sw.id, DisplayID: sw.displayID, Type: sw.typ, Title: sw.in.title, Body: sw.in.body,
		CreatedBy: sw.createdBy.displayID, CreatedDate: sw.created,
		ModifiedBy: sw.modBy.displayID, ModifiedDate: sw.modified,
	}
	// doc was produced by json.Marshal, so it always decodes.
	_ = json.Unmarshal(sw.doc, &w.Raw)
	if cf, ok := w.Raw["custom_fields"].(map[string]any); ok {
		w.CustomFields = cf
	}
	return w
}

// worksListFilter is a parsed works-list-request.
type worksListFilter struct {
	types                                       map[string]bool
	createdBy, ownedBy, reportedBy, parts, tags map[string]bool // DON IDs
	stages                                      map[string]bool
	after, before                               *time.Time
	custom                                      map[string][]any
}

var worksListSupported = keys("type", "applies_to_part", "created_by", "created_date", "custom_fields",
	"owned_by", "reported_by", "tags", "stage", "limit", "cursor", "mode")

var worksListUnimplemented = keys("actual_close_date", "issue", "modified_by", "modified_date", "opportunity",
	"sort_by", "staged_info", "state", "sync_metadata", "target_close_date", "ticket")

var worksListQuery = queryShape{
	arrays: keys("type", "applies_to_part", "created_by", "owned_by", "reported_by", "tags", "stage.name",
		"state", "sort_by", "modified_by"),
	ints: keys("limit"),
}

func parseWorksListFilter(dir *directory, req map[string]any, now time.Time) (*worksListFilter, *APIError) {
	if err := checkListKeys(req, worksListSupported, worksListUnimplemented); err != nil {
		return nil, err
	}
	f := &worksListFilter{}
	if types, ok, err := stringList(req, "type"); err != nil {
		return nil, err
	} else if ok {
		f.types = map[string]bool{}
		for _, t := range types {
			if !contains(workTypes, t) {
				return nil, invalidEnum("type", t, workTypes)
			}
			f.types[t] = true
		}
	}
	for _, idf := range []struct {
		name string
		dst  *map[string]bool
	}{{"created_by", &f.createdBy}, {"owned_by", &f.ownedBy}, {"reported_by", &f.reportedBy},
		{"applies_to_part", &f.parts}, {"tags", &f.tags}} {
		ids, ok, err := stringList(req, idf.name)
		if err != nil {
			return nil, err
		}
		if !ok {
			continue
		}
		set := map[string]bool{}
		for _, id := range ids {
			if !wellFormedID(id) {
				return nil, invalidID(idf.name, id, "malformed ID")
			}
			if e := dir.lookup(id); e != nil {
				id = e.id
			}
			set[id] = true
		}
		*idf.dst = set
	}
	if v, ok := req["stage"]; ok && v != nil {
		obj, ok := v.(map[string]any)
		if !ok {
			return nil, unexpectedType("stage", "object", jsonType(v))
		}
		if err := onlyKeys("stage", obj, "name"); err != nil {
			return nil, err
		}
		names, ok, err := stringList(obj, "name")
		if err != nil {
			err.FieldName = "stage." + err.FieldName
			return nil, err
		}
		if ok {
			f.stages = keys(names...)
		}
	}
	if v, ok := req["created_date"]; ok && v != nil {
		after, before, err := parseDateFilter("created_date", v, now)
		if err != nil {
			return nil, err
		}
		f.after, f.before = after, before
	}
	if v, ok := req["custom_fields"]; ok && v != nil {
		obj, ok := v.(map[string]any)
		if !ok {
			return nil, unexpectedType("custom_fields", "object", jsonType(v))
		}
		f.custom = map[string][]any{}
		for k, x := range obj {
			if _, ok := tenantField(k); !ok {
				return nil, customizationError("custom_fields."+k, "field_not_in_schema", fmt.Sprintf("no custom field %q", k))
			}
			if arr, ok := x.([]any); ok {
				f.custom[k] = arr
			} else {
				f.custom[k] = []any{x}
			}
		}
	}
	return f, nil
}

// parseDateFilter reads a date-filter: {"type":"range","after":..,"before":..}
// or {"type":"preset","preset_type":"last_n_days"|"next_n_days","days":n}.
// Both bounds are inclusive.
func parseDateFilter(field string, v any, now time.Time) (after, before *time.Time, err *APIError) {
	obj, ok := v.(map[string]any)
	if !ok {
		return nil, nil, unexpectedType(field, "object", jsonType(v))
	}
	tv, ok := obj["type"]
	if !ok || tv == nil {
		return nil, nil, missingField(field + ".type")
	}
	typ, ok := tv.(string)
	if !ok {
		return nil, nil, unexpectedType(field+".type", "string", jsonType(tv))
	}
	switch typ {
	case "range":
		if err := onlyKeys(field, obj, "type", "after", "before"); err != nil {
			return nil, nil, err
		}
		parse := func(k string) (*time.Time, *APIError) {
			x, ok := obj[k]
			if !ok || x == nil {
				return nil, nil
			}
			s, ok := x.(string)
			if !ok {
				return nil, unexpectedType(field+"."+k, "string", jsonType(x))
			}
			t, err := time.Parse(time.RFC3339Nano, s)
			if err != nil {
				return nil, notPermitted(field+"."+k, "not an RFC 3339 date-time")
			}
			return &t, nil
		}
		if after, err = parse("after"); err != nil {
			return nil, nil, err
		}
		if before, err = parse("before"); err != nil {
			return nil, nil, err
		}
		return after, before, nil
	case "preset":
		if err := onlyKeys(field, obj, "type", "preset_type", "days"); err != nil {
			return nil, nil, err
		}
		pt, _ := obj["preset_type"].(string)
		dv, ok := obj["days"].(json.Number)
		if !ok {
			return nil, nil, missingField(field + ".days")
		}
		days, perr := strconv.ParseInt(string(dv), 10, 64)
		if perr != nil || days < 0 || days > 1<<32-1 {
			return nil, nil, notPermitted(field+".days", "must be an integer from 0 to 4294967295")
		}
		span := time.Duration(days) * 24 * time.Hour
		switch pt {
		case "last_n_days":
			a := now.Add(-span)
			return &a, &now, nil
		case "next_n_days":
			b := now.Add(span)
			return &now, &b, nil
		}
		return nil, nil, invalidEnum(field+".preset_type", pt, []string{"last_n_days", "next_n_days"})
	}
	return nil, nil, invalidEnum(field+".type", typ, []string{"preset", "range"})
}

func (f *worksListFilter) match(sw *storedWork) bool {
	if f.types != nil && !f.types[sw.typ] {
		return false
	}
	if f.createdBy != nil && !f.createdBy[sw.createdBy.id] {
		return false
	}
	if f.parts != nil && !f.parts[sw.in.part] {
		return false
	}
	if f.ownedBy != nil && !anyIn(sw.in.ownedBy, f.ownedBy) {
		return false
	}
	if f.reportedBy != nil && !anyIn(sw.in.reportedBy, f.reportedBy) {
		return false
	}
	if f.tags != nil && !anyIn(sw.in.tags, f.tags) {
		return false
	}
	if f.stages != nil && !f.stages[sw.in.stage] {
		return false
	}
	if f.after != nil && sw.created.Before(*f.after) {
		return false
	}
	if f.before != nil && sw.created.After(*f.before) {
		return false
	}
	for k, want := range f.custom {
		got, ok := sw.in.custom[k]
		if !ok {
			return false
		}
		hit := false
		for _, w := range want {
			if jsonEqual(got, w) {
				hit = true
				break
			}
		}
		if !hit {
			return false
		}
	}
	return true
}

func anyIn(have []string, set map[string]bool) bool {
	for _, h := range have {
		if set[h] {
			return true
		}
	}
	return false
}

// jsonEqual compares two decoded JSON scalars; numbers compare by value.
func jsonEqual(a, b any) bool {
	an, aok := a.(json.Number)
	bn, bok := b.(json.Number)
	if aok && bok {
		if an == bn {
			return true
		}
		af, err1 := an.Float64()
		bf, err2 := bn.Float64()
		return err1 == nil && err2 == nil && af == bf
	}
	return a == b
}

// handleWorksCreate serves POST /works.create.
func (s *Server) handleWorksCreate(w http.ResponseWriter, r *http.Request, c *call) {
	if s.preFaults(w, c) {
		return
	}
	body, apiErr := readRequest(r, queryShape{})
	if apiErr != nil {
		c.fail(w, apiErr)
		return
	}
	in, apiErr := validateCreate(s.dir, body)
	if apiErr != nil {
		c.fail(w, apiErr)
		return
	}
	s.mu.Lock()
	sw, err := s.works.create(s.dir, in, c.user, s.now())
	var doc json.RawMessage
	if err == nil {
		s.stats.Creates++
		doc = sw.doc
	}
	s.mu.Unlock()
	if err != nil {
		c.internal(w, err)
		return
	}
	if s.postFaults(w, c, http.StatusCreated) {
		return
	}
	c.writeRaw(w, http.StatusCreated, workEnvelope(doc))
}

func workEnvelope(doc json.RawMessage) []byte {
	out := make([]byte, 0, len(doc)+10)
	out = append(out, `{"work":`...)
	out = append(out, doc...)
	return append(out, '}')
}

// workRef reads the required "id" of a works.get or works.delete request.
func workRef(req map[string]any) (string, *APIError) {
	id, err := requiredString(req, "id", "id")
	if err != nil {
		return "", err
	}
	if err := onlyKeys("", req, "id"); err != nil {
		return "", err
	}
	return id, nil
}

// handleWorksGet serves GET and POST /works.get.
func (s *Server) handleWorksGet(w http.ResponseWriter, r *http.Request, c *call) {
	req, apiErr := readRequest(r, queryShape{})
	if apiErr != nil {
		c.fail(w, apiErr)
		return
	}
	id, apiErr := workRef(req)
	if apiErr != nil {
		c.fail(w, apiErr)
		return
	}
	s.mu.Lock()
	var doc json.RawMessage
	if sw := s.works.get(id); sw != nil {
		doc = sw.doc
	}
	s.mu.Unlock()
	if doc == nil {
		c.fail(w, notFound("work %q not found", id))
		return
	}
	c.writeRaw(w, http.StatusOK, workEnvelope(doc))
}

// beginWrite starts a works.delete or works.update: it injects the faults
// that strike before a write, then reads the body and the work's ID with
// ref. ok is false when the request has been answered (or dropped).
func (s *Server) beginWrite(w http.ResponseWriter, r *http.Request, c *call,
	ref func(map[string]any) (string, *APIError)) (body map[string]any, id string, ok bool) {
	if s.preFaults(w, c) {
		return nil, "", false
	}
	body, apiErr := readRequest(r, queryShape{})
	if apiErr == nil {
		id, apiErr = ref(body)
	}
	if apiErr != nil {
		c.fail(w, apiErr)
		return nil, "", false
	}
	return body, id, true
}

// handleWorksDelete serves POST /works.delete.
func (s *Server) handleWorksDelete(w http.ResponseWriter, r *http.Request, c *call) {
	_, id, ok := s.beginWrite(w, r, c, workRef)
	if !ok {
		return
	}
	s.mu.Lock()
	sw := s.works.get(id)
	if sw != nil {
		s.works.delete(sw)
	}
	s.mu.Unlock()
	if sw == nil {
		c.fail(w, notFound("work %q not found", id))
		return
	}
	if s.postFaults(w, c, http.StatusOK) {
		return
	}
	c.writeRaw(w, http.StatusOK, []byte("{}"))
}

// handleWorksList serves GET and POST /works.list.
func (s *Server) handleWorksList(w http.ResponseWriter, r *http.Request, c *call) {
	req, apiErr := readRequest(r, worksListQuery)
	if apiErr != nil {
		c.fail(w, apiErr)
		return
	}
	p, apiErr := s.listParams(req)
	if apiErr != nil {
		c.fail(w, apiErr)
		return
	}
	f, apiErr := parseWorksListFilter(s.dir, req, s.now())
	if apiErr != nil {
		c.fail(w, apiErr)
		return
	}
	type hit struct {
		seq int64
		doc json.RawMessage
	}
	s.mu.Lock()
	var hits []hit
	for _, sw := range s.works.works {
		if !sw.deleted && f.match(sw) {
			hits = append(hits, hit{sw.seq, sw.doc})
		}
	}
	s.mu.Unlock()
	start, end, next, prev := paginate(len(hits), func(i int) int64 { return hits[i].seq }, p)
	docs := make([]json.RawMessage, 0, end-start)
	for _, h := range hits[start:end] {
		docs = append(docs, h.doc)
	}
	c.writeJSON(w, http.StatusOK, listResponse("works", docs, next, prev))
}

// listResponse builds {"<key>": items, "next_cursor": .., "prev_cursor": ..},
// omitting absent cursors as the spec's optional properties.
func listResponse[T any](key string, items []T, next, prev string) map[string]any {
	m := map[string]any{key: items}
	if next != "" {
		m["next_cursor"] = next
	}
	if prev != "" {
		m["prev_cursor"] = prev
	}
	return m
}

// AddWork creates a work directly, as if createdBy (a dev user display ID
// or DON ID; "" means DEVU-1) had called works.create with body, bypassing
// authentication, rate limits, faults and statistics. Tests use it to seed
// existing works. body is validated exactly like a works.create request; a
// validation failure is returned as *APIError.
func (s *Server) AddWork(createdBy string, body map[string]any) (Work, error) {
	user, obj, err := s.directRequest(createdBy, body)
	if err != nil {
		return Work{}, fmt.Errorf("add work: %w", err)
	}
	in, apiErr := validateCreate(s.dir, obj)
	if apiErr != nil {
		return Work{}, fmt.Errorf("add work: %w", apiErr)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	sw, err := s.works.create(s.dir, in, user, s.now())
	if err != nil {
		return Work{}, fmt.Errorf("add work: %w", err)
	}
	return sw.snapshot(), nil
}

// directRequest resolves the dev user (display ID or DON ID; "" means
// DEVU-1) of a call made directly by a test, and turns body into what the
// HTTP API would decode (numbers as json.Number).
func (s *Server) directRequest(who string, body map[string]any) (*entity, map[string]any, error) {
	if who == "" {
		who = "DEVU-1"
	}
	user := s.dir.lookup(who)
	if user == nil || user.kind != kindDevUser {
		return nil, nil, fmt.Errorf("%q is not a seeded dev user", who)
	}
	data, err := json.Marshal(body)
	if err != nil {
		return nil, nil, fmt.Errorf("encoding body: %w", err)
	}
	obj, apiErr := decodeObject(data)
	if apiErr != nil {
		return nil, nil, apiErr
	}
	return user, obj, nil
}

// Works returns a snapshot of the created, not deleted works in creation
// order.
func (s *Server) Works() []Work {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]Work, 0, len(s.works.works))
	for _, sw := range s.works.works {
		if !sw.deleted {
			out = append(out, sw.snapshot())
		}
	}
	return out
}
