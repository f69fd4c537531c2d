package simulator

import (
	"net/http"
	"strings"
)

// handleDevUsersSelf serves GET and POST /dev-users.self: the caller.
func (s *Server) handleDevUsersSelf(w http.ResponseWriter, r *http.Request, c *call) {
	// dev-users-self-request has no properties.
	if apiErr := emptyRequest(r); apiErr != nil {
		c.fail(w, apiErr)
		return
	}
	c.writeJSON(w, http.StatusOK, map[string]any{"dev_user": s.dir.object(c.user)})
}

// dirList describes one directory list endpoint.
type dirList struct {
	key           string // response property holding the items
	items         func(d *directory) []*entity
	supported     map[string]bool // request properties implemented
	unimplemented map[string]bool // filters the spec has but the simulator lacks
	query         queryShape
	// filter builds the item predicate from the request.
	filter func(req map[string]any) (func(*entity) bool, *APIError)
}

var paging = []string{"limit", "cursor", "mode"}

// nameFilter matches items whose name is one of the request's field values,
// exactly (or case-insensitively for fold).
func nameFilter(field string, fold bool) func(req map[string]any) (func(*entity) bool, *APIError) {
	return func(req map[string]any) (func(*entity) bool, *APIError) {
		want, ok, err := stringList(req, field)
		if err != nil || !ok {
			return nil, err
		}
		return func(e *entity) bool {
			for _, w := range want {
				if e.name == w || (fold && strings.EqualFold(e.name, w)) {
					return true
				}
			}
			return false
		}, nil
	}
}

var userStates = []string{"active", "deactivated", "deleted", "locked", "shadow", "unassigned"}

var devUsersList = dirList{
	key:           "dev_users",
	items:         func(d *directory) []*entity { return d.devUsers },
	supported:     keys(append([]string{"email", "state"}, paging...)...),
	unimplemented: keys("created_date", "custom_fields", "external_identity", "modified_date", "sort_by"),
	query:         queryShape{arrays: keys("email", "state", "sort_by"), ints: keys("limit")},
	filter: func(req map[string]any) (func(*entity) bool, *APIError) {
		emails, hasEmail, err := stringList(req, "email")
		if err != nil {
			return nil, err
		}
		states, hasState, err := stringList(req, "state")
		if err != nil {
			return nil, err
		}
		for _, st := range states {
			if !contains(userStates, st) {
				return nil, invalidEnum("state", st, userStates)
			}
		}
		if !hasEmail && !hasState {
			return nil, nil
		}
		return func(e *entity) bool {
			if hasState && !contains(states, "active") { // every seeded user is active
				return false
			}
			if !hasEmail {
				return true
			}
			for _, m := range emails {
				if strings.EqualFold(e.email, m) {
					return true
				}
			}
			return false
		}, nil
	},
}

var partTypes = []string{"capability", "enhancement", "feature", "linkable", "product", "runnable"}

var partsList = dirList{
	key:       "parts",
	items:     func(d *directory) []*entity { return d.parts },
	supported: keys(append([]string{"name", "type"}, paging...)...),
	unimplemented: keys("created_by", "custom_fields", "enhancement", "modified_by", "owned_by", "parent_part",
		"sort_by", "subtype", "tags"),
	query: queryShape{arrays: keys("name", "type", "created_by", "modified_by", "owned_by", "sort_by", "subtype", "tags"),
		ints: keys("limit")},
	filter: func(req map[string]any) (func(*entity) bool, *APIError) {
		byName, err := nameFilter("name", false)(req)
		if err != nil {
			return nil, err
		}
		types, hasType, err := stringList(req, "type")
		if err != nil {
			return nil, err
		}
		for _, t := range types {
			if !contains(partTypes, t) {
				return nil, invalidEnum("type", t, partTypes)
			}
		}
		if byName == nil && !hasType {
			return nil, nil
		}
		return func(e *entity) bool {
			return (byName == nil || byName(e)) && (!hasType || contains(types, e.kind))
		}, nil
	},
}

var tagsList = dirList{
	key:           "tags",
	items:         func(d *directory) []*entity { return d.tags },
	supported:     keys(append([]string{"name"}, paging...)...),
	unimplemented: keys("sort_by"),
	query:         queryShape{arrays: keys("name", "sort_by"), ints: keys("limit")},
	filter:        nameFilter("name", false),
}

var accountsList = dirList{
	key:       "accounts",
	items:     func(d *directory) []*entity { return d.accounts },
	supported: keys(append([]string{"display_name"}, paging...)...),
	unimplemented: keys("created_by", "created_date", "custom_fields", "domains", "external_refs", "modified_date",
		"owned_by", "sort_by", "stage", "subtype", "tags", "tier", "websites"),
	query: queryShape{arrays: keys("display_name", "created_by", "domains", "external_refs", "owned_by", "sort_by",
		"stage", "subtype", "tags", "tier", "websites"), ints: keys("limit")},
	filter: nameFilter("display_name", false),
}

var revOrgsList = dirList{
	key:       "rev_orgs",
	items:     func(d *directory) []*entity { return d.revOrgs },
	supported: keys(append([]string{"display_name"}, paging...)...),
	unimplemented: keys("account", "created_by", "created_date", "custom_field_filter", "custom_fields",
		"external_ref", "modified_date", "sort_by", "tags"),
	query: queryShape{arrays: keys("display_name", "account", "created_by", "custom_field_filter", "external_ref",
		"sort_by", "tags"), ints: keys("limit")},
	filter: nameFilter("display_name", false),
}

func (s *Server) serveDirList(w http.ResponseWriter, r *http.Request, c *call, l dirList) {
	req, apiErr := readRequest(r, l.query)
	if apiErr != nil {
		c.fail(w, apiErr)
		return
	}
	if apiErr := checkListKeys(req, l.supported, l.unimplemented); apiErr != nil {
		c.fail(w, apiErr)
		return
	}
	p, apiErr := s.listParams(req)
	if apiErr != nil {
		c.fail(w, apiErr)
		return
	}
	match, apiErr := l.filter(req)
	if apiErr != nil {
		c.fail(w, apiErr)
		return
	}
	var hits []*entity
	for _, e := range l.items(s.dir) {
		if match == nil || match(e) {
			hits = append(hits, e)
		}
	}
	start, end, next, prev := paginate(len(hits), func(i int) int64 { return hits[i].seq }, p)
	out := make([]map[string]any, 0, end-start)
	for _, e := range hits[start:end] {
		out = append(out, s.dir.object(e))
	}
	c.writeJSON(w, http.StatusOK, listResponse(l.key, out, next, prev))
}

func (s *Server) handleDevUsersList(w http.ResponseWriter, r *http.Request, c *call) {
	s.serveDirList(w, r, c, devUsersList)
}

func (s *Server) handlePartsList(w http.ResponseWriter, r *http.Request, c *call) {
	s.serveDirList(w, r, c, partsList)
}

func (s *Server) handleTagsList(w http.ResponseWriter, r *http.Request, c *call) {
	s.serveDirList(w, r, c, tagsList)
}

func (s *Server) handleAccountsList(w http.ResponseWriter, r *http.Request, c *call) {
	s.serveDirList(w, r, c, accountsList)
}

func (s *Server) handleRevOrgsList(w http.ResponseWriter, r *http.Request, c *call) {
	s.serveDirList(w, r, c, revOrgsList)
}
