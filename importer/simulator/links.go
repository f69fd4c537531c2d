package simulator

import (
	"encoding/json"
	"fmt"
	"net/http"
	"time"
)

// This file serves links.create, links.get, links.list and links.delete,
// written from the spec's links-*-request and link schemas. Links join two
// works of the store (the sandbox seeds no other linkable objects). Nothing
// refuses an identical link, as nothing in the spec does: a client that
// resends one makes a duplicate, which Links shows.

// linkTypes is the spec's link-type enum.
var linkTypes = []string{"custom_link", "developed_with", "imports", "is_analyzed_by", "is_converted_to",
	"is_dependent_on", "is_duplicate_of", "is_follow_up_of", "is_merged_into", "is_parent_of",
	"is_part_of", "is_related_to", "serves"}

// linkEndpointTypes is the spec's link-endpoint-type enum (object_types).
var linkEndpointTypes = []string{"account", "article", "capability", "code_change", "conversation",
	"custom_object", "dev_user", "enhancement", "feature", "incident", "issue", "linkable", "meeting",
	"opportunity", "product", "rev_org", "rev_user", "runnable", "task", "ticket", "widget"}

// linkDirections is the spec's links-direction enum.
var linkDirections = []string{"is_source", "is_target"}

// Link is a snapshot of one link made through links.create, as returned by
// Server.Links.
type Link struct {
	ID              string    // DON ID, e.g. don:core:dvrv-us-1:devo/sandbox:link/1
	Type            string    // link_type, e.g. is_parent_of
	Source, Target  string    // DON IDs of the works it joins
	SourceDisplayID string    // e.g. ISS-1
	TargetDisplayID string    // e.g. ISS-2
	CreatedBy       string    // display ID of the creating dev user
	CreatedDate     time.Time // truncated to milliseconds as served
	// Deleted: links.delete removed it. EndDeleted: one of its works was
	// deleted, which takes the link with it (listings, links.get and
	// links.delete no longer find it).
	Deleted, EndDeleted bool
}

// Live reports whether the API still serves the link.
func (l Link) Live() bool { return !l.Deleted && !l.EndDeleted }

// storedLink is one created link. It is guarded by Server.mu.
type storedLink struct {
	seq            int64
	id             string
	typ            string
	source, target *storedWork
	createdBy      *entity
	created        time.Time
	deleted        bool
}

// live reports whether the link is served: not deleted, both works exist.
func (l *storedLink) live() bool { return !l.deleted && !l.source.deleted && !l.target.deleted }

// linkStore holds created links in creation order. Guarded by Server.mu.
type linkStore struct {
	links []*storedLink
	byID  map[string]*storedLink
}

func newLinkStore() *linkStore { return &linkStore{byID: map[string]*storedLink{}} }

// get returns the live link with the given DON ID, or nil.
func (st *linkStore) get(id string) *storedLink {
	if l := st.byID[id]; l != nil && l.live() {
		return l
	}
	return nil
}

// linkInput is a validated links.create body.
type linkInput struct {
	typ            string
	source, target *storedWork
}

// validateLink checks a links-create-request against the work store. The
// caller holds s.mu.
func (s *Server) validateLink(req map[string]any) (*linkInput, *APIError) {
	if err := onlyKeys("", req, "custom_link_type", "link_type", "source", "target"); err != nil {
		return nil, err
	}
	typ, err := requiredString(req, "link_type", "link_type")
	if err != nil {
		return nil, err
	}
	if !contains(linkTypes, typ) {
		return nil, invalidEnum("link_type", typ, linkTypes)
	}
	if _, ok := req["custom_link_type"]; ok || typ == "custom_link" {
		return nil, badRequest("custom link types are not implemented by the sandbox simulator")
	}
	in := &linkInput{typ: typ}
	for _, end := range []struct {
		field string
		dst   **storedWork
	}{{"source", &in.source}, {"target", &in.target}} {
		ref, err := requiredString(req, end.field, end.field)
		if err != nil {
			return nil, err
		}
		sw, err := s.workArg(end.field, ref)
		if err != nil {
			return nil, err
		}
		*end.dst = sw
	}
	if in.source == in.target {
		return nil, notPermitted("target", "a work cannot be linked to itself")
	}
	return in, nil
}

// workArg resolves a request field naming a work (DON or display ID) to a
// live work, or the invalid_id error the API answers. The caller holds s.mu.
func (s *Server) workArg(field, ref string) (*storedWork, *APIError) {
	if !wellFormedID(ref) {
		return nil, invalidID(field, ref, "malformed ID")
	}
	if sw := s.works.get(ref); sw != nil {
		return sw, nil
	}
	if e := s.dir.lookup(ref); e != nil {
		return nil, invalidID(field, ref, fmt.Sprintf("a %s cannot be used here: the sandbox simulator takes works only", e.kind))
	}
	return nil, invalidID(field, ref, "no such object")
}

// optionalString reads an optional string property ("" when absent).
func optionalString(req map[string]any, field string) (string, bool, *APIError) {
	v, ok := req[field]
	if !ok || v == nil {
		return "", false, nil
	}
	str, ok := v.(string)
	if !ok {
		return "", false, unexpectedType(field, "string", jsonType(v))
	}
	return str, true, nil
}

// create stores a validated link. The caller holds s.mu.
func (st *linkStore) create(in *linkInput, by *entity, now time.Time) *storedLink {
	seq := int64(len(st.links) + 1)
	l := &storedLink{
		seq:       seq,
		id:        fmt.Sprintf("don:core:dvrv-us-1:%s:link/%d", devo, seq),
		typ:       in.typ,
		source:    in.source,
		target:    in.target,
		createdBy: by,
		created:   now.UTC().Truncate(time.Millisecond),
	}
	st.links = append(st.links, l)
	st.byID[l.id] = l
	return l
}

// render builds the served link object (the spec's link schema). The
// caller holds s.mu: the ends' summaries are read from their current state.
func (s *Server) renderLink(l *storedLink) map[string]any {
	by := s.dir.summary(l.createdBy)
	date := l.created.Format(timeLayout)
	return map[string]any{
		"id": l.id, "link_type": l.typ,
		"source": workSummary(l.source), "target": workSummary(l.target),
		"created_by": by, "modified_by": by, "created_date": date, "modified_date": date,
	}
}

// workSummary renders a work as a link end embeds it (the spec's
// link-endpoint-summary: a work-base-summary with its type), from the
// work as it is served now.
func workSummary(sw *storedWork) map[string]any {
	var doc struct {
		OwnedBy json.RawMessage `json:"owned_by"`
		Stage   json.RawMessage `json:"stage"`
		Title   string          `json:"title"`
	}
	// doc was produced by json.Marshal, so it always decodes.
	_ = json.Unmarshal(sw.doc, &doc)
	m := map[string]any{"type": sw.typ, "id": sw.id, "display_id": sw.displayID, "title": doc.Title}
	if len(doc.OwnedBy) > 0 {
		m["owned_by"] = doc.OwnedBy
	}
	if len(doc.Stage) > 0 {
		m["stage"] = doc.Stage
	}
	return m
}

// handleLinksCreate serves POST /links.create.
func (s *Server) handleLinksCreate(w http.ResponseWriter, r *http.Request, c *call) {
	s.serve(w, r, c, createEndpoint, func(req map[string]any) (any, *APIError) {
		in, err := s.validateLink(req)
		if err != nil {
			return nil, err
		}
		return map[string]any{"link": s.renderLink(s.links.create(in, c.user, s.now()))}, nil
	})
}

// linkRef reads the required "id" of a links.get or links.delete request
// and finds the live link. The caller holds s.mu.
func (s *Server) linkRef(req map[string]any) (*storedLink, *APIError) {
	id, err := workRef(req) // the same {id} shape
	if err != nil {
		return nil, err
	}
	l := s.links.get(id)
	if l == nil {
		return nil, notFound("link %q not found", id)
	}
	return l, nil
}

// handleLinksGet serves GET and POST /links.get.
func (s *Server) handleLinksGet(w http.ResponseWriter, r *http.Request, c *call) {
	s.serve(w, r, c, getEndpoint, func(req map[string]any) (any, *APIError) {
		l, err := s.linkRef(req)
		if err != nil {
			return nil, err
		}
		return map[string]any{"link": s.renderLink(l)}, nil
	})
}

// handleLinksDelete serves POST /links.delete.
func (s *Server) handleLinksDelete(w http.ResponseWriter, r *http.Request, c *call) {
	s.serve(w, r, c, deleteEndpoint, func(req map[string]any) (any, *APIError) {
		l, err := s.linkRef(req)
		if err != nil {
			return nil, err
		}
		l.deleted = true
		return emptyAnswer, nil
	})
}

// linksListFilter is a parsed links-list-request.
type linksListFilter struct {
	object      *storedWork
	direction   string            // "" = both
	types       []map[string]bool // link_type and the deprecated types: a link matches each given set
	objectTypes map[string]bool   // the type of the other end
}

var linksListSupported = keys("object", "direction", "link_type", "types", "object_types", "limit", "cursor", "mode")

var linksListQuery = queryShape{arrays: keys("link_type", "types", "object_types"), ints: keys("limit")}

// parseLinksListFilter reads a links-list-request. The caller holds s.mu.
func (s *Server) parseLinksListFilter(req map[string]any) (*linksListFilter, *APIError) {
	if err := checkListKeys(req, linksListSupported, nil); err != nil {
		return nil, err
	}
	ref, err := requiredString(req, "object", "object")
	if err != nil {
		return nil, err
	}
	f := &linksListFilter{}
	if f.object, err = s.workArg("object", ref); err != nil {
		return nil, err
	}
	dir, _, err := optionalString(req, "direction")
	if err != nil {
		return nil, err
	}
	if dir != "" && !contains(linkDirections, dir) {
		return nil, invalidEnum("direction", dir, linkDirections)
	}
	f.direction = dir
	for _, field := range []string{"link_type", "types"} {
		set, err := enumSet(req, field, linkTypes)
		if err != nil {
			return nil, err
		}
		if set != nil {
			f.types = append(f.types, set)
		}
	}
	if f.objectTypes, err = enumSet(req, "object_types", linkEndpointTypes); err != nil {
		return nil, err
	}
	return f, nil
}

// enumSet reads an optional array of enum values; nil when absent.
func enumSet(req map[string]any, field string, allowed []string) (map[string]bool, *APIError) {
	vals, ok, err := stringList(req, field)
	if err != nil || !ok {
		return nil, err
	}
	set := map[string]bool{}
	for _, v := range vals {
		if !contains(allowed, v) {
			return nil, invalidEnum(field, v, allowed)
		}
		set[v] = true
	}
	return set, nil
}

// match reports whether a live link is listed for the filter.
func (f *linksListFilter) match(l *storedLink) bool {
	var other *storedWork
	switch {
	case l.source == f.object && f.direction != "is_target":
		other = l.target
	case l.target == f.object && f.direction != "is_source":
		other = l.source
	default:
		return false
	}
	for _, set := range f.types {
		if !set[l.typ] {
			return false
		}
	}
	return f.objectTypes == nil || f.objectTypes[other.typ]
}

// handleLinksList serves GET and POST /links.list.
func (s *Server) handleLinksList(w http.ResponseWriter, r *http.Request, c *call) {
	s.serve(w, r, c, listEndpoint(linksListQuery), func(req map[string]any) (any, *APIError) {
		p, err := s.listParams(req)
		if err != nil {
			return nil, err
		}
		f, err := s.parseLinksListFilter(req)
		if err != nil {
			return nil, err
		}
		var hits []*storedLink
		for _, l := range s.links.links {
			if l.live() && f.match(l) {
				hits = append(hits, l)
			}
		}
		return page(len(hits), func(i int) int64 { return hits[i].seq }, p, "links",
			func(i int) map[string]any { return s.renderLink(hits[i]) }), nil
	})
}

// Links returns every link ever made through links.create, in creation
// order, duplicates and deleted ones included (see Link.Live), so a test
// can count that each exists exactly once.
func (s *Server) Links() []Link {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]Link, len(s.links.links))
	for i, l := range s.links.links {
		out[i] = Link{ID: l.id, Type: l.typ, Source: l.source.id, Target: l.target.id,
			SourceDisplayID: l.source.displayID, TargetDisplayID: l.target.displayID,
			CreatedBy: l.createdBy.displayID, CreatedDate: l.created,
			Deleted: l.deleted, EndDeleted: l.source.deleted || l.target.deleted}
	}
	return out
}
