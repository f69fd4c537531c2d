package devrev

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"time"
)

// Visibilities of a timeline entry (the spec's timeline-entry-visibility).
// DevRev's default is VisibilityExternal: visible to customers too.
const (
	VisibilityPrivate  = "private"
	VisibilityInternal = "internal"
	VisibilityExternal = "external"
	VisibilityPublic   = "public"
)

// MaxCommentArtifacts is the most artifacts one comment may carry.
const MaxCommentArtifacts = 50

// CommentRequest is a timeline-entries-create-request of type
// timeline_comment; json.Marshal of it is a body for CreateComment.
type CommentRequest struct {
	Object   string `json:"object"` // the work's ID (DON or display ID)
	Body     string `json:"body,omitempty"`
	BodyType string `json:"body_type,omitempty"` // "text" when empty
	// Visibility: one of the Visibility* constants; empty means DevRev's
	// default, external.
	Visibility string `json:"visibility,omitempty"`
	// ExternalRef (1 to 512 characters) must be unique within the object's
	// timeline: a second create with it is refused with 409 (see
	// IsConflict), which makes a comment exactly once by construction.
	ExternalRef string   `json:"external_ref,omitempty"`
	Labels      []string `json:"labels,omitempty"`    // at most 16, 1 to 64 characters each
	Artifacts   []string `json:"artifacts,omitempty"` // artifact IDs, at most MaxCommentArtifacts
}

// MarshalJSON adds the request's type, timeline_comment.
func (r CommentRequest) MarshalJSON() ([]byte, error) {
	type plain CommentRequest
	return json.Marshal(struct {
		Type string `json:"type"`
		plain
	}{"timeline_comment", plain(r)})
}

// TimelineEntry is a timeline entry as timeline-entries.create and
// timeline-entries.list serve it; comments fill every field, other
// entries (change events) only the first four.
type TimelineEntry struct {
	ID              string
	Type            string // "timeline_comment", "timeline_change_event"
	Object          string // the ID of the object the entry is on
	ObjectDisplayID string // e.g. "ISS-12"
	Body            string
	BodyType        string
	Visibility      string
	ExternalRef     string
	Labels          []string
	Artifacts       []string // artifact IDs
	CreatedDate     time.Time
}

// wireEntry is the JSON shape of the spec's timeline-entry (the part read).
type wireEntry struct {
	ID              string   `json:"id"`
	Type            string   `json:"type"`
	Object          string   `json:"object"`
	ObjectDisplayID string   `json:"object_display_id"`
	Body            string   `json:"body"`
	BodyType        string   `json:"body_type"`
	Visibility      string   `json:"visibility"`
	ExternalRef     string   `json:"external_ref"`
	Labels          []string `json:"labels"`
	Artifacts       []struct {
		ID string `json:"id"`
	} `json:"artifacts"`
	CreatedDate string `json:"created_date"`
}

func (w wireEntry) entry() TimelineEntry {
	e := TimelineEntry{ID: w.ID, Type: w.Type, Object: w.Object, ObjectDisplayID: w.ObjectDisplayID,
		Body: w.Body, BodyType: w.BodyType, Visibility: w.Visibility, ExternalRef: w.ExternalRef,
		Labels: w.Labels, CreatedDate: parseTime(w.CreatedDate)}
	for _, a := range w.Artifacts {
		e.Artifacts = append(e.Artifacts, a.ID)
	}
	return e
}

// CreateComment posts body (an already-marshalled
// timeline-entries-create-request, e.g. a CommentRequest) to
// timeline-entries.create. A comment whose external_ref the object's
// timeline already holds is a 409 *APIError (IsConflict). A 2xx answer
// without a usable timeline_entry.id is a *BadResponseError: the comment may
// have been created.
func (c *Client) CreateComment(ctx context.Context, body []byte) (TimelineEntry, Response, error) {
	const op = "timeline-entries.create"
	var out struct {
		Entry *wireEntry `json:"timeline_entry"`
	}
	data, resp, err := c.call(ctx, op, body)
	if err != nil {
		return TimelineEntry{}, resp, err
	}
	err = json.Unmarshal(data, &out)
	if err == nil && (out.Entry == nil || out.Entry.ID == "") {
		err = errors.New("no timeline_entry.id in the answer")
	}
	if err != nil {
		return TimelineEntry{}, resp, &BadResponseError{Op: op, Status: resp.Status,
			Snippet: c.snip(data), Err: err}
	}
	return out.Entry.entry(), resp, nil
}

// IsConflict reports whether err is a 409 answer: for CreateComment, an
// entry with the request's external_ref already exists on the object.
func IsConflict(err error) bool {
	var ae *APIError
	return errors.As(err, &ae) && ae.Status == http.StatusConflict
}

// ListTimelineRequest is a timeline-entries-list-request. Object is
// required; zero fields are left out of the request.
type ListTimelineRequest struct {
	Object     string   `json:"object"`
	Visibility []string `json:"visibility,omitempty"` // exactly these visibilities; none = all
	Labels     []string `json:"labels,omitempty"`     // entries with at least one of them; none = all
	Cursor     string   `json:"cursor,omitempty"`
	Limit      int      `json:"limit,omitempty"`
}

// ListTimeline returns one page of the timeline entries of req.Object and
// the cursor of the next page ("" when this is the last).
func (c *Client) ListTimeline(ctx context.Context, req ListTimelineRequest) ([]TimelineEntry, string, Response, error) {
	const op = "timeline-entries.list"
	var out struct {
		Entries    []wireEntry `json:"timeline_entries"`
		NextCursor string      `json:"next_cursor"`
	}
	resp, err := c.post(ctx, op, req, &out)
	if err != nil {
		return nil, "", resp, err
	}
	entries := make([]TimelineEntry, 0, len(out.Entries))
	for i, w := range out.Entries {
		if w.ID == "" {
			return nil, "", resp, &BadResponseError{Op: op, Status: resp.Status,
				Err: fmt.Errorf("timeline entry %d of the page has no id", i)}
		}
		entries = append(entries, w.entry())
	}
	return entries, out.NextCursor, resp, nil
}

// DeleteTimelineEntry deletes the timeline entry with the given ID
// (timeline-entries.delete).
func (c *Client) DeleteTimelineEntry(ctx context.Context, id string) (Response, error) {
	var out struct{}
	return c.post(ctx, "timeline-entries.delete", struct {
		ID string `json:"id"`
	}{id}, &out)
}

// CommentByRef returns the timeline entry with externalRef on object's
// timeline (timeline-entries.get with external_ref): the comment a 409 to
// CreateComment says is there, so that its ID can be recorded. None is a
// 404 *APIError.
func (c *Client) CommentByRef(ctx context.Context, object, externalRef string) (TimelineEntry, Response, error) {
	const op = "timeline-entries.get"
	var out struct {
		Entry *wireEntry `json:"timeline_entry"`
	}
	resp, err := c.post(ctx, op, struct {
		ID          string `json:"id"`
		ExternalRef string `json:"external_ref"`
	}{object, externalRef}, &out)
	if err != nil {
		return TimelineEntry{}, resp, err
	}
	if out.Entry == nil || out.Entry.ID == "" {
		return TimelineEntry{}, resp, &BadResponseError{Op: op, Status: resp.Status, Err: errors.New("no timeline_entry.id in the answer")}
	}
	return out.Entry.entry(), resp, nil
}
