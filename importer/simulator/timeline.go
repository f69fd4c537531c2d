package simulator

import (
	"encoding/json"
	"fmt"
	"net/http"
	"time"
	"unicode/utf8"
)

// This file serves timeline-entries.create (type timeline_comment),
// timeline-entries.get, .list and .delete on works, written from the
// spec's timeline-entries-*-request and timeline-comment schemas. The
// sandbox's timelines hold comments only (no change events).

// Limits and enums of timeline-entries-create-request(-timeline-comment).
const (
	maxCommentArtifacts = 50
	maxEntryLabels      = 16
	maxLabelLen         = 64
	maxExternalRefLen   = 512
)

var (
	visibilities     = []string{"external", "internal", "private", "public"}
	commentBodyTypes = []string{"data", "snap_kit", "snap_widget", "text"}
	entryTypes       = []string{"timeline_comment"}
)

// defaultVisibility is the spec's default: visible to customers too.
const defaultVisibility = "external"

// Comment is a snapshot of one comment made through
// timeline-entries.create, as returned by Server.Comments.
type Comment struct {
	ID              string // DON ID, e.g. don:core:dvrv-us-1:devo/sandbox:issue/1:comment/1
	Object          string // DON ID of the work
	ObjectDisplayID string // e.g. ISS-1
	Body            string
	BodyType        string // "text"
	Visibility      string // external (the default), internal, private or public
	ExternalRef     string // "" when none was given
	Labels          []string
	Artifacts       []string // DON IDs
	CreatedBy       string   // display ID of the creating dev user
	CreatedDate     time.Time
	// Deleted: timeline-entries.delete removed it. WorkDeleted: its work
	// was deleted, which takes the timeline with it.
	Deleted, WorkDeleted bool
}

// Live reports whether the API still serves the comment.
func (c Comment) Live() bool { return !c.Deleted && !c.WorkDeleted }

// storedEntry is one created comment. Guarded by Server.mu.
type storedEntry struct {
	seq     int64
	id      string
	work    *storedWork
	snap    Comment         // the exported view, without the deletion flags
	doc     json.RawMessage // the served timeline_entry object
	deleted bool
}

func (e *storedEntry) live() bool { return !e.deleted && !e.work.deleted }

// timelineStore holds created comments. Guarded by Server.mu.
type timelineStore struct {
	entries []*storedEntry          // creation order
	byID    map[string]*storedEntry // DON ID
	byWork  map[*storedWork][]*storedEntry
	byRef   map[timelineRef]*storedEntry // live entries with an external_ref
	seq     int64
}

// timelineRef is an external_ref within one work's timeline.
type timelineRef struct {
	work *storedWork
	ref  string
}

func newTimelineStore() *timelineStore {
	return &timelineStore{byID: map[string]*storedEntry{}, byWork: map[*storedWork][]*storedEntry{},
		byRef: map[timelineRef]*storedEntry{}}
}

// get returns the live entry with the given DON ID, or nil.
func (st *timelineStore) get(id string) *storedEntry {
	if e := st.byID[id]; e != nil && e.live() {
		return e
	}
	return nil
}

// byExternalRef returns the live entry of sw's timeline with ref, or nil.
func (st *timelineStore) byExternalRef(sw *storedWork, ref string) *storedEntry {
	if e := st.byRef[timelineRef{sw, ref}]; e != nil && e.live() {
		return e
	}
	return nil
}

var timelineCreateKeys = []string{"type", "object", "collections", "expires_at", "labels", "private_to", "visibility",
	"artifacts", "body", "body_type", "external_ref", "link_previews", "snap_kit_body", "snap_widget_body"}

// timelineCreateUnimplemented are properties the spec defines that the
// sandbox does not implement: refused when not empty, never ignored.
var timelineCreateUnimplemented = []string{"collections", "expires_at", "link_previews", "snap_kit_body", "snap_widget_body"}

// validateComment checks a timeline-entries-create-request and returns the
// comment it makes (ID, date and author not yet set). The caller holds s.mu.
func (s *Server) validateComment(req map[string]any) (*storedEntry, *APIError) {
	if err := onlyKeys("", req, timelineCreateKeys...); err != nil {
		return nil, err
	}
	for _, k := range timelineCreateUnimplemented {
		if !isEmptyValue(req[k]) {
			return nil, badRequest("%q is not implemented by the sandbox simulator", k)
		}
	}
	typ, err := requiredString(req, "type", "type")
	if err != nil {
		return nil, err
	}
	if !contains(entryTypes, typ) {
		return nil, invalidEnum("type", typ, entryTypes)
	}
	ref, err := requiredString(req, "object", "object")
	if err != nil {
		return nil, err
	}
	sw, err := s.workArg("object", ref)
	if err != nil {
		return nil, err
	}
	e := &storedEntry{work: sw, snap: Comment{Object: sw.id, ObjectDisplayID: sw.displayID}}
	c := &e.snap
	if c.Body, _, err = optionalString(req, "body"); err != nil {
		return nil, err
	}
	if c.BodyType, err = optionalEnum(req, "body_type", commentBodyTypes, "text"); err != nil {
		return nil, err
	}
	if c.BodyType != "text" {
		return nil, badRequest("body_type %q is not implemented by the sandbox simulator", c.BodyType)
	}
	if c.Visibility, err = optionalEnum(req, "visibility", visibilities, defaultVisibility); err != nil {
		return nil, err
	}
	if err := s.checkPrivateTo(req); err != nil {
		return nil, err
	}
	if c.Labels, err = labels(req); err != nil {
		return nil, err
	}
	if c.Artifacts, err = s.artifacts(req); err != nil {
		return nil, err
	}
	xref, has, err := optionalString(req, "external_ref")
	if err != nil {
		return nil, err
	}
	if has {
		if n := utf8.RuneCountInString(xref); n < 1 || n > maxExternalRefLen {
			return nil, notPermitted("external_ref", fmt.Sprintf("must be 1 to %d characters long", maxExternalRefLen))
		}
		if s.timeline.byExternalRef(sw, xref) != nil {
			return nil, conflict("a timeline entry with external_ref %q already exists on %s", xref, sw.displayID)
		}
		c.ExternalRef = xref
	}
	return e, nil
}

// optionalEnum reads an optional enum string, def when absent.
func optionalEnum(req map[string]any, field string, allowed []string, def string) (string, *APIError) {
	v, has, err := optionalString(req, field)
	if err != nil || !has {
		return def, err
	}
	if !contains(allowed, v) {
		return "", invalidEnum(field, v, allowed)
	}
	return v, nil
}

// checkPrivateTo checks that private_to names seeded dev users.
func (s *Server) checkPrivateTo(req map[string]any) *APIError {
	ids, _, err := stringList(req, "private_to")
	if err != nil {
		return err
	}
	for _, id := range ids {
		if e := s.dir.lookup(id); e == nil || e.kind != kindDevUser {
			return invalidID("private_to", id, "not a dev user")
		}
	}
	return nil
}

// labels reads labels: at most 16, each 1 to 64 characters.
func labels(req map[string]any) ([]string, *APIError) {
	ls, _, err := stringList(req, "labels")
	if err != nil {
		return nil, err
	}
	if len(ls) > maxEntryLabels {
		return nil, notPermitted("labels", fmt.Sprintf("at most %d labels", maxEntryLabels))
	}
	for _, l := range ls {
		if n := utf8.RuneCountInString(l); n < 1 || n > maxLabelLen {
			return nil, notPermitted("labels", fmt.Sprintf("a label must be 1 to %d characters long", maxLabelLen))
		}
	}
	return ls, nil
}

// artifacts reads artifacts: at most 50 IDs of seeded artifacts, as DON IDs.
func (s *Server) artifacts(req map[string]any) ([]string, *APIError) {
	ids, _, err := stringList(req, "artifacts")
	if err != nil {
		return nil, err
	}
	if len(ids) > maxCommentArtifacts {
		return nil, notPermitted("artifacts", fmt.Sprintf("at most %d artifacts", maxCommentArtifacts))
	}
	out := make([]string, 0, len(ids))
	for _, id := range ids {
		e := s.dir.lookup(id)
		switch {
		case e == nil && !wellFormedID(id):
			return nil, invalidID("artifacts", id, "malformed ID")
		case e == nil:
			return nil, invalidID("artifacts", id, "no such object")
		case e.kind != kindArtifact:
			return nil, invalidID("artifacts", id, fmt.Sprintf("a %s cannot be used here", e.kind))
		}
		out = append(out, e.id)
	}
	return out, nil
}

// createComment stores a validated comment. The caller holds s.mu.
func (s *Server) createComment(e *storedEntry, by *entity, now time.Time) *storedEntry {
	st := s.timeline
	st.seq++
	e.seq = st.seq
	e.id = fmt.Sprintf("%s:comment/%d", e.work.id, e.seq)
	c := &e.snap
	c.ID, c.CreatedBy, c.CreatedDate = e.id, by.displayID, now.UTC().Truncate(time.Millisecond)
	date := c.CreatedDate.Format(timeLayout)
	doc := map[string]any{
		"type": "timeline_comment", "id": e.id,
		"object": e.work.id, "object_display_id": e.work.displayID, "object_type": e.work.typ,
		"body": c.Body, "body_type": c.BodyType, "visibility": c.Visibility,
		"created_by": s.dir.summary(by), "modified_by": s.dir.summary(by),
		"created_date": date, "modified_date": date,
	}
	if c.ExternalRef != "" {
		doc["external_ref"] = c.ExternalRef
	}
	if len(c.Labels) > 0 {
		doc["labels"] = c.Labels
	}
	if len(c.Artifacts) > 0 {
		sums := make([]any, len(c.Artifacts))
		for i, id := range c.Artifacts {
			sums[i] = s.dir.summary(s.dir.lookup(id))
		}
		doc["artifacts"] = sums
	}
	// Strings, string lists and directory summaries always encode.
	e.doc, _ = json.Marshal(doc)
	st.entries = append(st.entries, e)
	st.byID[e.id] = e
	st.byWork[e.work] = append(st.byWork[e.work], e)
	if c.ExternalRef != "" {
		st.byRef[timelineRef{e.work, c.ExternalRef}] = e
	}
	return e
}

// delete removes a live comment; its external_ref may be used again.
func (st *timelineStore) delete(e *storedEntry) {
	e.deleted = true
	if e.snap.ExternalRef != "" {
		delete(st.byRef, timelineRef{e.work, e.snap.ExternalRef})
	}
}

func entryEnvelope(doc json.RawMessage) json.RawMessage {
	out := make([]byte, 0, len(doc)+20)
	out = append(out, `{"timeline_entry":`...)
	out = append(out, doc...)
	return append(out, '}')
}

// handleTimelineCreate serves POST /timeline-entries.create.
func (s *Server) handleTimelineCreate(w http.ResponseWriter, r *http.Request, c *call) {
	s.serve(w, r, c, createEndpoint, func(req map[string]any) (any, *APIError) {
		e, err := s.validateComment(req)
		if err != nil {
			return nil, err
		}
		return entryEnvelope(s.createComment(e, c.user, s.now()).doc), nil
	})
}

// findEntry resolves a timeline-entries-get-request: id names an entry,
// or, with external_ref, the timeline (an entry's or a work's) to look
// the reference up in. The caller holds s.mu.
func (s *Server) findEntry(req map[string]any) (*storedEntry, *APIError) {
	if err := onlyKeys("", req, "id", "external_ref"); err != nil {
		return nil, err
	}
	id, err := requiredString(req, "id", "id")
	if err != nil {
		return nil, err
	}
	xref, has, err := optionalString(req, "external_ref")
	if err != nil {
		return nil, err
	}
	e := s.timeline.get(id)
	if !has {
		if e == nil {
			return nil, notFound("timeline entry %q not found", id)
		}
		return e, nil
	}
	var sw *storedWork
	switch {
	case e != nil:
		sw = e.work
	case !s.entryGet:
		sw = s.works.get(id)
	}
	if sw == nil {
		return nil, notFound("timeline %q not found", id)
	}
	if e = s.timeline.byExternalRef(sw, xref); e == nil {
		return nil, notFound("no timeline entry with external_ref %q on %s", xref, sw.displayID)
	}
	return e, nil
}

// handleTimelineGet serves GET and POST /timeline-entries.get.
func (s *Server) handleTimelineGet(w http.ResponseWriter, r *http.Request, c *call) {
	s.serve(w, r, c, getEndpoint, func(req map[string]any) (any, *APIError) {
		e, err := s.findEntry(req)
		if err != nil {
			return nil, err
		}
		return entryEnvelope(e.doc), nil
	})
}

// handleTimelineDelete serves POST /timeline-entries.delete. An unknown
// or already deleted entry is 404 not_found, as for works and links.
func (s *Server) handleTimelineDelete(w http.ResponseWriter, r *http.Request, c *call) {
	s.serve(w, r, c, deleteEndpoint, func(req map[string]any) (any, *APIError) {
		id, err := workRef(req) // the same {id} shape
		if err != nil {
			return nil, err
		}
		e := s.timeline.get(id)
		if e == nil {
			return nil, notFound("timeline entry %q not found", id)
		}
		s.timeline.delete(e)
		return emptyAnswer, nil
	})
}

var timelineListSupported = keys("object", "labels", "visibility", "limit", "cursor", "mode")

var timelineListQuery = queryShape{arrays: keys("collections", "labels", "visibility"), ints: keys("limit")}

// timelineListFilter is a parsed timeline-entries-list-request.
type timelineListFilter struct {
	work       *storedWork
	labels     map[string]bool
	visibility map[string]bool
}

// parseTimelineListFilter reads a timeline-entries-list-request. An
// object that is not a live work is 404, as the spec allows for this call.
// The caller holds s.mu.
func (s *Server) parseTimelineListFilter(req map[string]any) (*timelineListFilter, *APIError) {
	if err := checkListKeys(req, timelineListSupported, keys("collections")); err != nil {
		return nil, err
	}
	ref, err := requiredString(req, "object", "object")
	if err != nil {
		return nil, err
	}
	if !wellFormedID(ref) {
		return nil, invalidID("object", ref, "malformed ID")
	}
	f := &timelineListFilter{work: s.works.get(ref)}
	if f.work == nil {
		return nil, notFound("object %q not found", ref)
	}
	ls, ok, err := stringList(req, "labels")
	if err != nil {
		return nil, err
	}
	if ok {
		f.labels = keys(ls...)
	}
	if f.visibility, err = enumSet(req, "visibility", visibilities); err != nil {
		return nil, err
	}
	return f, nil
}

func (f *timelineListFilter) match(e *storedEntry) bool {
	if f.visibility != nil && !f.visibility[e.snap.Visibility] {
		return false
	}
	if len(f.labels) == 0 { // "if no labels are provided, then no label filtering is done"
		return true
	}
	for _, l := range e.snap.Labels {
		if f.labels[l] {
			return true
		}
	}
	return false
}

// handleTimelineList serves GET and POST /timeline-entries.list: the
// work's comments, oldest first.
func (s *Server) handleTimelineList(w http.ResponseWriter, r *http.Request, c *call) {
	s.serve(w, r, c, listEndpoint(timelineListQuery), func(req map[string]any) (any, *APIError) {
		p, err := s.listParams(req)
		if err != nil {
			return nil, err
		}
		f, err := s.parseTimelineListFilter(req)
		if err != nil {
			return nil, err
		}
		var hits []*storedEntry
		for _, e := range s.timeline.byWork[f.work] {
			if !e.deleted && f.match(e) {
				hits = append(hits, e)
			}
		}
		return page(len(hits), func(i int) int64 { return hits[i].seq }, p, "timeline_entries",
			func(i int) json.RawMessage { return hits[i].doc }), nil
	})
}

// Comments returns every comment ever made through timeline-entries.create,
// in creation order, deleted ones included (see Comment.Live), so a test
// can count that each exists exactly once.
func (s *Server) Comments() []Comment {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]Comment, len(s.timeline.entries))
	for i, e := range s.timeline.entries {
		c := e.snap
		c.Labels = append([]string(nil), c.Labels...)
		c.Artifacts = append([]string(nil), c.Artifacts...)
		c.Deleted, c.WorkDeleted = e.deleted, e.work.deleted
		out[i] = c
	}
	return out
}
