package devrev

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"
)

// Created identifies a work that works.create made.
type Created struct {
	ID        string // globally unique ID (a DON)
	DisplayID string // human-readable ID, e.g. "ISS-12"
	Type      string // "issue", "ticket", "task", "opportunity"
}

// Work is the part of a DevRev work object the importer reads back.
type Work struct {
	ID, DisplayID, Type, Title, Body string
	CreatedDate                      time.Time
	// CustomFields holds the work's custom fields as decoded JSON
	// (strings, float64 numbers, bools, []any, nil).
	CustomFields map[string]any
	// Raw is the work object exactly as served (works.list, works.get), so
	// reconciliation can compare every field a request carried.
	Raw json.RawMessage
}

// wireWork is the JSON shape of a work in works-* responses.
type wireWork struct {
	ID           string         `json:"id"`
	DisplayID    string         `json:"display_id"`
	Type         string         `json:"type"`
	Title        string         `json:"title"`
	Body         string         `json:"body"`
	CreatedDate  string         `json:"created_date"`
	CustomFields map[string]any `json:"custom_fields"`
}

func (w wireWork) work() Work {
	out := Work{ID: w.ID, DisplayID: w.DisplayID, Type: w.Type, Title: w.Title,
		Body: w.Body, CustomFields: w.CustomFields}
	if t, err := time.Parse(time.RFC3339Nano, w.CreatedDate); err == nil {
		out.CreatedDate = t
	}
	return out
}

// decodeWork reads one served work object, keeping its raw JSON.
func decodeWork(raw json.RawMessage) (Work, error) {
	if len(raw) == 0 || string(raw) == "null" {
		return Work{}, nil
	}
	var w wireWork
	if err := json.Unmarshal(raw, &w); err != nil {
		return Work{}, fmt.Errorf("decoding a work: %w", err)
	}
	out := w.work()
	out.Raw = raw
	return out, nil
}

// CreateWork posts body (an already-marshalled works-create-request) to
// works.create. A 2xx answer without a usable work.id is a
// *BadResponseError: the work may have been created.
func (c *Client) CreateWork(ctx context.Context, body []byte) (Created, Response, error) {
	const op = "works.create"
	var created Created
	resp, err := c.callPooled(ctx, op, body, func(data []byte, status int) error {
		var err error
		if created, err = decodeCreated(data); err != nil {
			return &BadResponseError{Op: op, Status: status, Snippet: c.snip(data), Err: err}
		}
		return nil
	})
	if err != nil {
		return Created{}, resp, err
	}
	return created, resp, nil
}

// DeleteWork deletes the work with the given ID (works.delete).
func (c *Client) DeleteWork(ctx context.Context, id string) (Response, error) {
	var out struct{}
	return c.post(ctx, "works.delete", struct {
		ID string `json:"id"`
	}{id}, &out)
}

// GetWork reads one work by ID or display ID (works.get).
func (c *Client) GetWork(ctx context.Context, id string) (Work, Response, error) {
	const op = "works.get"
	var out struct {
		Work json.RawMessage `json:"work"`
	}
	resp, err := c.post(ctx, op, struct {
		ID string `json:"id"`
	}{id}, &out)
	if err != nil {
		return Work{}, resp, err
	}
	w, err := decodeWork(out.Work)
	if err == nil && w.ID == "" {
		err = errors.New("no work.id in the answer")
	}
	if err != nil {
		return Work{}, resp, &BadResponseError{Op: op, Status: resp.Status, Err: err}
	}
	return w, resp, nil
}

// ListWorksRequest filters works.list. Zero fields are left out of the
// request. CreatedAfter and CreatedBefore form a created_date range filter
// (both ends inclusive, as the API defines it).
type ListWorksRequest struct {
	Type          []string // work types: "issue", "ticket", ...
	CreatedBy     []string // dev user IDs
	CreatedAfter  time.Time
	CreatedBefore time.Time
	// CustomFields filters on custom field values: field name (e.g.
	// "tnt__import_key") to the accepted values.
	CustomFields map[string][]string
	Cursor       string
	Limit        int
}

// dateRange is the spec's date-filter with type "range".
type dateRange struct {
	Type   string `json:"type"`
	After  string `json:"after,omitempty"`
	Before string `json:"before,omitempty"`
}

// wireListWorks is the works-list-request JSON shape.
type wireListWorks struct {
	Type         []string            `json:"type,omitempty"`
	CreatedBy    []string            `json:"created_by,omitempty"`
	CreatedDate  *dateRange          `json:"created_date,omitempty"`
	CustomFields map[string][]string `json:"custom_fields,omitempty"`
	Cursor       string              `json:"cursor,omitempty"`
	Limit        int                 `json:"limit,omitempty"`
}

// MarshalJSON renders the spec's works-list-request shape.
func (r ListWorksRequest) MarshalJSON() ([]byte, error) {
	w := wireListWorks{Type: r.Type, CreatedBy: r.CreatedBy, CustomFields: r.CustomFields,
		Cursor: r.Cursor, Limit: r.Limit}
	if !r.CreatedAfter.IsZero() || !r.CreatedBefore.IsZero() {
		w.CreatedDate = &dateRange{Type: "range", After: apiTime(r.CreatedAfter), Before: apiTime(r.CreatedBefore)}
	}
	return json.Marshal(w)
}

// apiTime formats t as the API's date-time (RFC 3339, UTC); "" for zero.
func apiTime(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format(time.RFC3339Nano)
}

// ListWorks returns one page of works matching req and the cursor of the
// next page ("" when this is the last).
func (c *Client) ListWorks(ctx context.Context, req ListWorksRequest) ([]Work, string, Response, error) {
	var out struct {
		Works      []json.RawMessage `json:"works"`
		NextCursor string            `json:"next_cursor"`
	}
	resp, err := c.post(ctx, "works.list", req, &out)
	if err != nil {
		return nil, "", resp, err
	}
	works := make([]Work, 0, len(out.Works))
	for _, raw := range out.Works {
		w, err := decodeWork(raw)
		if err != nil {
			return nil, "", resp, &BadResponseError{Op: "works.list", Status: resp.Status, Err: err}
		}
		works = append(works, w)
	}
	return works, out.NextCursor, resp, nil
}

// UpdateWork posts body (an already-marshalled works-update-request, as
// workdiff.Update builds it) to works.update and returns the work as the
// answer serves it. A 2xx answer without a usable work.id is a
// *BadResponseError: the update may have been performed.
func (c *Client) UpdateWork(ctx context.Context, body []byte) (Work, Response, error) {
	const op = "works.update"
	data, resp, err := c.call(ctx, op, body)
	if err != nil {
		return Work{}, resp, err
	}
	var out struct {
		Work json.RawMessage `json:"work"`
	}
	err = json.Unmarshal(data, &out)
	var w Work
	if err == nil {
		w, err = decodeWork(out.Work)
	}
	if err == nil && w.ID == "" {
		err = errors.New("no work.id in the answer")
	}
	if err != nil {
		return Work{}, resp, &BadResponseError{Op: op, Status: resp.Status,
			Snippet: c.snip(data), Err: err}
	}
	return w, resp, nil
}
