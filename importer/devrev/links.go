package devrev

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"
)

// Link directions of links.list (the spec's links-direction): the listed
// object is the link's source, or its target.
const (
	DirectionIsSource = "is_source"
	DirectionIsTarget = "is_target"
)

// LinkRequest is a links-create-request; json.Marshal of it is a body for
// CreateLink. Parent/child is LinkType "is_parent_of" with the parent as
// Source.
type LinkRequest struct {
	LinkType string `json:"link_type"`
	Source   string `json:"source"` // ID (DON or display ID) of the source object
	Target   string `json:"target"`
}

// Link is a link as links.create and links.list serve it.
type Link struct {
	ID          string
	Type        string // link_type, e.g. "is_parent_of"
	Source      LinkEnd
	Target      LinkEnd
	CreatedDate time.Time
}

// LinkEnd is one end of a link: the linked object's identity.
type LinkEnd struct {
	ID        string `json:"id"`         // a DON
	DisplayID string `json:"display_id"` // e.g. "ISS-12"
	Type      string `json:"type"`       // the object's type: "issue", "ticket", "product", ...
}

// wireLink is the JSON shape of the spec's link schema (the part read).
type wireLink struct {
	ID          string  `json:"id"`
	LinkType    string  `json:"link_type"`
	Source      LinkEnd `json:"source"`
	Target      LinkEnd `json:"target"`
	CreatedDate string  `json:"created_date"`
}

func (w wireLink) link() Link {
	return Link{ID: w.ID, Type: w.LinkType, Source: w.Source, Target: w.Target, CreatedDate: parseTime(w.CreatedDate)}
}

// parseTime reads an API date-time; zero when absent or unreadable.
func parseTime(s string) time.Time {
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return time.Time{}
	}
	return t
}

// CreateLink posts body (an already-marshalled links-create-request, e.g.
// a LinkRequest) to links.create. A 2xx answer without a usable link.id is
// a *BadResponseError: the link may have been created. Nothing in the API
// refuses an identical link, so a caller in doubt looks it up with
// ListLinks before sending it again.
func (c *Client) CreateLink(ctx context.Context, body []byte) (Link, Response, error) {
	const op = "links.create"
	var out struct {
		Link *wireLink `json:"link"`
	}
	data, resp, err := c.call(ctx, op, body)
	if err != nil {
		return Link{}, resp, err
	}
	err = json.Unmarshal(data, &out)
	if err == nil && (out.Link == nil || out.Link.ID == "") {
		err = errors.New("no link.id in the answer")
	}
	if err != nil {
		return Link{}, resp, &BadResponseError{Op: op, Status: resp.Status,
			Snippet: c.snip(data), Err: err}
	}
	return out.Link.link(), resp, nil
}

// ListLinksRequest is a links-list-request. Object is required; zero
// fields are left out of the request.
type ListLinksRequest struct {
	Object      string   `json:"object"`
	Direction   string   `json:"direction,omitempty"`    // DirectionIsSource, DirectionIsTarget; "" = both
	LinkType    []string `json:"link_type,omitempty"`    // link types to keep; none = all
	ObjectTypes []string `json:"object_types,omitempty"` // types of the objects linked; none = all
	Cursor      string   `json:"cursor,omitempty"`
	Limit       int      `json:"limit,omitempty"`
}

// ListLinks returns one page of the links of req.Object and the cursor of
// the next page ("" when this is the last).
func (c *Client) ListLinks(ctx context.Context, req ListLinksRequest) ([]Link, string, Response, error) {
	const op = "links.list"
	var out struct {
		Links      []wireLink `json:"links"`
		NextCursor string     `json:"next_cursor"`
	}
	resp, err := c.post(ctx, op, req, &out)
	if err != nil {
		return nil, "", resp, err
	}
	links := make([]Link, 0, len(out.Links))
	for i, w := range out.Links {
		if w.ID == "" {
			return nil, "", resp, &BadResponseError{Op: op, Status: resp.Status,
				Err: fmt.Errorf("link %d of the page has no id", i)}
		}
		links = append(links, w.link())
	}
	return links, out.NextCursor, resp, nil
}

// DeleteLink deletes the link with the given ID (links.delete). A link
// already gone is a 404 *APIError.
func (c *Client) DeleteLink(ctx context.Context, id string) (Response, error) {
	var out struct{}
	return c.post(ctx, "links.delete", struct {
		ID string `json:"id"`
	}{id}, &out)
}
