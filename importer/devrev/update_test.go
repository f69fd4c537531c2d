package devrev

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strings"
	"testing"
)

// UpdateWork posts the body as it is to works.update and decodes the
// served work of the answer; a 404 is an *APIError the caller can tell
// (the work was deleted), a 2xx answer without a work is a
// *BadResponseError (the update may have happened), and an answer over the
// per-call cap is refused.
func TestUpdateWork(t *testing.T) {
	const sent = `{"type":"issue","id":"ISS-7","title":"New title","owned_by":{"set":["DEVU-2"]}}`
	c, _ := newTestClient(t, func(w http.ResponseWriter, r *http.Request) {
		body := checkRequest(t, r, "/works.update")
		switch body["id"] {
		case "ISS-7":
			if want := asJSON(t, json.RawMessage(sent)); !sameJSON(body, want) {
				t.Errorf("body = %v, want %v", body, want)
			}
			_, _ = io.WriteString(w, `{"work":{"id":"don:core:dvrv-us-1:devo/1:issue/7","display_id":"ISS-7","type":"issue","title":"New title","owned_by":[{"id":"don:identity:dvrv-us-1:devo/1:devu/2","display_id":"DEVU-2"}]}}`)
		case "ISS-8":
			w.WriteHeader(http.StatusNotFound)
			_, _ = io.WriteString(w, `{"type":"not_found","message":"work ISS-8 not found"}`)
		case "ISS-9":
			_, _ = io.WriteString(w, `{"work":{"display_id":"ISS-9"}}`)
		case "ISS-10":
			_, _ = io.WriteString(w, `{"work":{"id":"W-10","title":"`+strings.Repeat("x", 3<<20)+`"}}`)
		}
	})
	ctx := context.Background()
	w, resp, err := c.UpdateWork(ctx, []byte(sent))
	if err != nil || resp.Status != 200 {
		t.Fatalf("UpdateWork: %v (status %d)", err, resp.Status)
	}
	if w.ID != "don:core:dvrv-us-1:devo/1:issue/7" || w.DisplayID != "ISS-7" || w.Type != "issue" || w.Title != "New title" || !strings.Contains(string(w.Raw), `"owned_by"`) {
		t.Errorf("work = %+v", w)
	}

	_, resp, err = c.UpdateWork(ctx, []byte(`{"type":"issue","id":"ISS-8","title":"x"}`))
	var ae *APIError
	if !errors.As(err, &ae) || ae.Status != http.StatusNotFound || resp.Status != http.StatusNotFound || ae.Op != "works.update" {
		t.Errorf("deleted work: err %v (%T), status %d; want a 404 *APIError", err, err, resp.Status)
	}

	for _, id := range []string{"ISS-9", "ISS-10"} {
		_, _, err = c.UpdateWork(ctx, []byte(`{"type":"issue","id":"`+id+`","title":"x"}`))
		var be *BadResponseError
		if !errors.As(err, &be) || be.Op != "works.update" {
			t.Errorf("%s: err %v (%T), want a *BadResponseError of works.update", id, err, err)
		}
	}
}

// sameJSON compares decoded JSON values.
func sameJSON(a, b any) bool {
	x, _ := json.Marshal(a)
	y, _ := json.Marshal(b)
	return string(x) == string(y)
}
