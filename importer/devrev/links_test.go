package devrev_test

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/devrev-import/devrev-import/importer/devrev"
	"github.com/devrev-import/devrev-import/importer/simulator"
)

// simToken authenticates against the simulator; errors must never show it.
const simToken = "sim-S3CRET-0123456789abcdef"

// startSim runs a simulator on loopback with works of the given types
// (ISS-1, ISS-2, TKT-1, ...) and returns it with a client for it.
func startSim(t *testing.T, types ...string) (*simulator.Server, *devrev.Client) {
	t.Helper()
	s, err := simulator.Start(simulator.Options{Tokens: map[string]string{simToken: "DEVU-1"}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Close() })
	for _, typ := range types {
		if _, err := s.AddWork("", map[string]any{"type": typ, "title": "T", "applies_to_part": "PROD-1", "owned_by": []any{"DEVU-1"}}); err != nil {
			t.Fatal(err)
		}
	}
	c, err := devrev.New(devrev.Options{Endpoint: s.URL, Token: simToken, Timeout: 5 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	return s, c
}

func marshal(t *testing.T, v any) []byte {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// apiError asserts err is an *APIError of op with the given status.
func apiError(t *testing.T, err error, op string, status int) *devrev.APIError {
	t.Helper()
	var ae *devrev.APIError
	if !errors.As(err, &ae) || ae.Op != op || ae.Status != status {
		t.Fatalf("err = %v, want a %d *APIError from %s", err, status, op)
	}
	if strings.Contains(err.Error(), simToken) {
		t.Errorf("the error shows the token: %v", err)
	}
	return ae
}

func TestCreateListDeleteLinks(t *testing.T) {
	s, c := startSim(t, "issue", "issue", "ticket")
	ctx := context.Background()
	ws := s.Works()

	l, resp, err := c.CreateLink(ctx, marshal(t, devrev.LinkRequest{LinkType: "is_parent_of", Source: "ISS-1", Target: ws[1].ID}))
	if err != nil || resp.Status != http.StatusCreated {
		t.Fatalf("CreateLink: %v (status %d)", err, resp.Status)
	}
	want := devrev.Link{ID: s.Links()[0].ID, Type: "is_parent_of", CreatedDate: s.Links()[0].CreatedDate,
		Source: devrev.LinkEnd{ID: ws[0].ID, DisplayID: "ISS-1", Type: "issue"},
		Target: devrev.LinkEnd{ID: ws[1].ID, DisplayID: "ISS-2", Type: "issue"}}
	if !reflect.DeepEqual(l, want) {
		t.Errorf("CreateLink = %+v, want %+v", l, want)
	}
	if resp.Rate.Limit == 0 {
		t.Errorf("no rate headers in %+v", resp)
	}
	if _, _, err := c.CreateLink(ctx, marshal(t, devrev.LinkRequest{LinkType: "is_related_to", Source: "TKT-1", Target: "ISS-1"})); err != nil {
		t.Fatal(err)
	}

	// Paged, filtered by direction and type.
	var got []string
	req := devrev.ListLinksRequest{Object: "ISS-1", Limit: 1}
	for range 5 {
		page, next, _, err := c.ListLinks(ctx, req)
		if err != nil {
			t.Fatal(err)
		}
		for _, l := range page {
			got = append(got, l.Source.DisplayID+" "+l.Type+" "+l.Target.DisplayID)
		}
		if req.Cursor = next; next == "" {
			break
		}
	}
	if want := []string{"ISS-1 is_parent_of ISS-2", "TKT-1 is_related_to ISS-1"}; !reflect.DeepEqual(got, want) {
		t.Errorf("pages %v, want %v", got, want)
	}
	page, next, _, err := c.ListLinks(ctx, devrev.ListLinksRequest{Object: "ISS-2", Direction: devrev.DirectionIsTarget,
		LinkType: []string{"is_parent_of"}, ObjectTypes: []string{"issue"}})
	if err != nil || next != "" || len(page) != 1 || page[0].ID != l.ID {
		t.Errorf("ISS-2's parent: %+v %q %v", page, next, err)
	}
	page, _, _, err = c.ListLinks(ctx, devrev.ListLinksRequest{Object: "ISS-1", Direction: devrev.DirectionIsTarget, LinkType: []string{"is_parent_of"}})
	if err != nil || len(page) != 0 {
		t.Errorf("ISS-1 has no parent: %+v %v", page, err)
	}

	if _, err := c.DeleteLink(ctx, l.ID); err != nil {
		t.Fatal(err)
	}
	_, err = c.DeleteLink(ctx, l.ID)
	apiError(t, err, "links.delete", http.StatusNotFound)
	if ls := s.Links(); !ls[0].Deleted || !ls[1].Live() {
		t.Errorf("after the delete: %+v", ls)
	}
}

func TestLinkErrors(t *testing.T) {
	s, c := startSim(t, "issue", "issue")
	ctx := context.Background()
	_, _, err := c.CreateLink(ctx, marshal(t, devrev.LinkRequest{LinkType: "blocks", Source: "ISS-1", Target: "ISS-2"}))
	if ae := apiError(t, err, "links.create", http.StatusBadRequest); ae.Type != "invalid_enum_value" || ae.FieldName != "link_type" || len(ae.AllowedValues) == 0 {
		t.Errorf("bad link type: %+v", ae)
	}
	_, _, err = c.CreateLink(ctx, marshal(t, devrev.LinkRequest{LinkType: "is_related_to", Source: "ISS-1", Target: "ISS-1"}))
	apiError(t, err, "links.create", http.StatusBadRequest)
	_, _, _, err = c.ListLinks(ctx, devrev.ListLinksRequest{})
	if ae := apiError(t, err, "links.list", http.StatusBadRequest); ae.FieldName != "object" {
		t.Errorf("no object: %+v", ae)
	}

	// A dropped connection after the link was made: in doubt, and made.
	s.SetFaults(simulator.Faults{DropAfter: 1})
	_, _, err = c.CreateLink(ctx, marshal(t, devrev.LinkRequest{LinkType: "is_related_to", Source: "ISS-1", Target: "ISS-2"}))
	var te *devrev.TransportError
	if !errors.As(err, &te) || !te.InDoubt || te.Op != "links.create" {
		t.Errorf("drop after: %v, want an in-doubt *TransportError", err)
	}
	// A 2xx answer that is not JSON: the link may exist.
	s.SetFaults(simulator.Faults{BadBody: 1})
	_, _, err = c.CreateLink(ctx, marshal(t, devrev.LinkRequest{LinkType: "is_related_to", Source: "ISS-1", Target: "ISS-2"}))
	var be *devrev.BadResponseError
	if !errors.As(err, &be) || be.Op != "links.create" {
		t.Errorf("bad body: %v, want a *BadResponseError", err)
	}
	s.SetFaults(simulator.Faults{Err503: 1})
	_, err = c.DeleteLink(ctx, s.Links()[0].ID)
	apiError(t, err, "links.delete", http.StatusServiceUnavailable)
	if n := len(s.Links()); n != 2 {
		t.Errorf("%d links, want the 2 whose answers were lost", n)
	}
}
