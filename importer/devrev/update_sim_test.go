package devrev_test

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"testing"

	"github.com/devrev-import/devrev-import/importer/devrev"
)

// UpdateWork against the simulator's works.update: the answer is the
// updated work; an unknown work is a 404 *APIError; a body the API refuses
// (an owner list set empty) is a 400 *APIError naming the field, and
// changes nothing.
func TestUpdateWorkAgainstTheSimulator(t *testing.T) {
	_, c := simClient(t)
	ctx := context.Background()
	created, _, err := c.CreateWork(ctx, []byte(`{"type":"issue","title":"Old","applies_to_part":"PROD-1","owned_by":["DEVU-1"]}`))
	if err != nil {
		t.Fatal(err)
	}
	w, resp, err := c.UpdateWork(ctx, []byte(`{"type":"issue","id":"`+created.DisplayID+`","title":"New","owned_by":{"set":["DEVU-2"]}}`))
	if err != nil || resp.Status != http.StatusOK {
		t.Fatalf("UpdateWork: %v (status %d)", err, resp.Status)
	}
	if w.ID != created.ID || w.Title != "New" || !strings.Contains(string(w.Raw), `"DEVU-2"`) {
		t.Errorf("updated work = %+v", w)
	}

	_, resp, err = c.UpdateWork(ctx, []byte(`{"type":"issue","id":"ISS-999","title":"x"}`))
	var ae *devrev.APIError
	if !errors.As(err, &ae) || ae.Status != http.StatusNotFound || resp.Status != http.StatusNotFound {
		t.Errorf("unknown work: %v, want a 404 *APIError", err)
	}

	_, _, err = c.UpdateWork(ctx, []byte(`{"type":"issue","id":"`+created.DisplayID+`","title":"Newer","owned_by":{"set":[]}}`))
	if !errors.As(err, &ae) || ae.Status != http.StatusBadRequest || !strings.Contains(ae.Error(), "owned_by") {
		t.Errorf("empty owners: %v, want a 400 *APIError about owned_by", err)
	}
	got, _, err := c.GetWork(ctx, created.ID)
	if err != nil || got.Title != "New" {
		t.Errorf("after a refused update: %+v %v, want the title unchanged", got, err)
	}
}
