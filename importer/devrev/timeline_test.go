package devrev_test

import (
	"context"
	"errors"
	"net/http"
	"reflect"
	"testing"

	"github.com/devrev-import/devrev-import/importer/devrev"
	"github.com/devrev-import/devrev-import/importer/simulator"
)

func TestCommentRequestJSON(t *testing.T) {
	got := string(marshal(t, devrev.CommentRequest{Object: "ISS-1", Body: "b", Visibility: devrev.VisibilityInternal, ExternalRef: "r"}))
	want := `{"type":"timeline_comment","object":"ISS-1","body":"b","visibility":"internal","external_ref":"r"}`
	if got != want {
		t.Errorf("got %s, want %s", got, want)
	}
}

func TestCreateListDeleteComments(t *testing.T) {
	s, c := startSim(t, "issue", "ticket")
	ctx := context.Background()
	iss := s.Works()[0]

	e, resp, err := c.CreateComment(ctx, marshal(t, devrev.CommentRequest{Object: "ISS-1", Body: "Originally by bob on 2024-03-05:\nhi",
		Visibility: devrev.VisibilityInternal, ExternalRef: "jira:10001", Labels: []string{"imported"}, Artifacts: []string{"ARTIFACT-1"}}))
	if err != nil || resp.Status != http.StatusCreated {
		t.Fatalf("CreateComment: %v (status %d)", err, resp.Status)
	}
	sc := s.Comments()[0]
	want := devrev.TimelineEntry{ID: sc.ID, Type: "timeline_comment", Object: iss.ID, ObjectDisplayID: "ISS-1",
		Body: "Originally by bob on 2024-03-05:\nhi", BodyType: "text", Visibility: "internal", ExternalRef: "jira:10001",
		Labels: []string{"imported"}, Artifacts: []string{sc.Artifacts[0]}, CreatedDate: sc.CreatedDate}
	if !reflect.DeepEqual(e, want) {
		t.Errorf("CreateComment = %+v, want %+v", e, want)
	}

	// The same external_ref again: a 409 callers tell apart.
	_, _, err = c.CreateComment(ctx, marshal(t, devrev.CommentRequest{Object: iss.ID, Body: "again", ExternalRef: "jira:10001"}))
	if ae := apiError(t, err, "timeline-entries.create", http.StatusConflict); ae.Type != "conflict" || !devrev.IsConflict(err) {
		t.Errorf("duplicate external_ref: %+v", ae)
	}
	if devrev.IsConflict(errors.New("x")) {
		t.Error("IsConflict of a plain error")
	}
	// ...and the comment that holds it, read back by the reference.
	if got, _, err := c.CommentByRef(ctx, iss.ID, "jira:10001"); err != nil || got.ID != e.ID {
		t.Errorf("CommentByRef = %+v, %v; want %s", got, err, e.ID)
	}
	_, _, err = c.CommentByRef(ctx, "ISS-1", "jira:nope")
	apiError(t, err, "timeline-entries.get", http.StatusNotFound)
	for _, b := range []string{"second", "third"} {
		if _, _, err := c.CreateComment(ctx, marshal(t, devrev.CommentRequest{Object: "ISS-1", Body: b})); err != nil {
			t.Fatal(err)
		}
	}

	var got []string
	req := devrev.ListTimelineRequest{Object: "ISS-1", Limit: 2}
	for range 5 {
		page, next, _, err := c.ListTimeline(ctx, req)
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range page {
			got = append(got, e.Visibility+" "+e.Body)
		}
		if req.Cursor = next; next == "" {
			break
		}
	}
	if want := []string{"internal " + want.Body, "external second", "external third"}; !reflect.DeepEqual(got, want) {
		t.Errorf("pages %q, want %q", got, want)
	}
	page, _, _, err := c.ListTimeline(ctx, devrev.ListTimelineRequest{Object: "ISS-1", Visibility: []string{devrev.VisibilityInternal}, Labels: []string{"imported"}})
	if err != nil || len(page) != 1 || page[0].ID != e.ID {
		t.Errorf("filtered: %+v %v", page, err)
	}
	_, _, _, err = c.ListTimeline(ctx, devrev.ListTimelineRequest{Object: "ISS-9"})
	apiError(t, err, "timeline-entries.list", http.StatusNotFound)

	if _, err := c.DeleteTimelineEntry(ctx, e.ID); err != nil {
		t.Fatal(err)
	}
	_, err = c.DeleteTimelineEntry(ctx, e.ID)
	apiError(t, err, "timeline-entries.delete", http.StatusNotFound)
	if cs := s.Comments(); !cs[0].Deleted || !cs[1].Live() || len(cs) != 3 {
		t.Errorf("after the delete: %+v", cs)
	}
}

func TestCommentErrors(t *testing.T) {
	s, c := startSim(t, "issue")
	ctx := context.Background()
	_, _, err := c.CreateComment(ctx, marshal(t, devrev.CommentRequest{Object: "ISS-1", Body: "b", Visibility: "team"}))
	if ae := apiError(t, err, "timeline-entries.create", http.StatusBadRequest); ae.FieldName != "visibility" || devrev.IsConflict(err) {
		t.Errorf("bad visibility: %+v", ae)
	}
	s.SetFaults(simulator.Faults{DropAfter: 1})
	_, _, err = c.CreateComment(ctx, marshal(t, devrev.CommentRequest{Object: "ISS-1", Body: "b", ExternalRef: "r"}))
	var te *devrev.TransportError
	if !errors.As(err, &te) || !te.InDoubt {
		t.Errorf("drop after: %v, want an in-doubt *TransportError", err)
	}
	s.SetFaults(simulator.Faults{BadBody: 1})
	_, _, err = c.CreateComment(ctx, marshal(t, devrev.CommentRequest{Object: "ISS-1", Body: "b", ExternalRef: "r2"}))
	var be *devrev.BadResponseError
	if !errors.As(err, &be) || be.Op != "timeline-entries.create" {
		t.Errorf("bad body: %v, want a *BadResponseError", err)
	}
	// The resend of the ghost is refused: it is already there.
	s.SetFaults(simulator.Faults{})
	_, _, err = c.CreateComment(ctx, marshal(t, devrev.CommentRequest{Object: "ISS-1", Body: "b", ExternalRef: "r"}))
	if !devrev.IsConflict(err) {
		t.Errorf("resend of the ghost: %v, want a conflict", err)
	}
	if n := len(s.Comments()); n != 2 {
		t.Errorf("%d comments, want 2", n)
	}
}
