package devrev

import (
	"context"
	"errors"
	"io"
	"net/http"
	"strconv"
	"strings"
	"testing"
)

// writeCalls calls each link and timeline method once, and the work
// writes whose answers are read the same way.
var writeCalls = map[string]func(c *Client) error{
	"works.create": func(c *Client) error { _, _, err := c.CreateWork(context.Background(), []byte(`{}`)); return err },
	"works.update": func(c *Client) error { _, _, err := c.UpdateWork(context.Background(), []byte(`{}`)); return err },
	"links.create": func(c *Client) error { _, _, err := c.CreateLink(context.Background(), []byte(`{}`)); return err },
	"links.list": func(c *Client) error {
		_, _, _, err := c.ListLinks(context.Background(), ListLinksRequest{Object: "ISS-1"})
		return err
	},
	"links.delete": func(c *Client) error { _, err := c.DeleteLink(context.Background(), "L"); return err },
	"timeline-entries.create": func(c *Client) error {
		_, _, err := c.CreateComment(context.Background(), []byte(`{}`))
		return err
	},
	"timeline-entries.list": func(c *Client) error {
		_, _, _, err := c.ListTimeline(context.Background(), ListTimelineRequest{Object: "ISS-1"})
		return err
	},
	"timeline-entries.delete": func(c *Client) error { _, err := c.DeleteTimelineEntry(context.Background(), "E"); return err },
}

// The link and timeline calls read at most what every other call reads: 2 MiB for one
// object, 16 MiB for a page.
func TestLinkAndTimelineAnswerSizeLimits(t *testing.T) {
	var size int
	c, _ := newTestClient(t, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Length", strconv.Itoa(size))
		w.WriteHeader(http.StatusOK)
		head := `{"work":{"id":"W"},"link":{"id":"L"},"timeline_entry":{"id":"E"},"links":[],"timeline_entries":[],"pad":"`
		_, _ = io.WriteString(w, head+strings.Repeat("x", size-len(head)-2)+`"}`)
	})
	for op, call := range writeCalls {
		limit, readable := "2 MiB", 1<<20
		if strings.HasSuffix(op, ".list") {
			limit, readable = "16 MiB", 12<<20
		}
		size = readable
		if err := call(c); err != nil {
			t.Errorf("%s, %d bytes: %v", op, size, err)
		}
		if size = 16 << 20; limit == "16 MiB" {
			size = 17 << 20
		}
		err := call(c)
		var be *BadResponseError
		want := "the answer is larger than " + limit + ", the most this tool reads from " + op
		if !errors.As(err, &be) || be.Op != op || !strings.Contains(err.Error(), want) {
			t.Errorf("%s, %d bytes: err %v, want a BadResponseError with %q", op, size, err, want)
		}
	}
}

// The token never shows, not even cut short where a long text is cut.
func TestLinkAndTimelineErrorsNeverShowTheToken(t *testing.T) {
	bodies := []struct {
		status int
		body   func(auth string) string
	}{
		{409, func(a string) string { return `{"type":"conflict","message":"` + a + `","detail":"` + a + `"}` }},
		{400, func(a string) string {
			return `{"type":"invalid_field","message":"` + strings.Repeat("m", 480) + a + `","field_name":"` + strings.Repeat("f", 180) + a + `"}`
		}},
		{502, func(a string) string { return "<html><body>" + strings.Repeat("b", 140) + a + "</body></html>" }},
		{201, func(a string) string {
			return `{"link":{"title":"` + strings.Repeat("t", 120) + a + `"},"timeline_entry":{"title":"` + a + `"},"links":[{"x":"` + a + `"}],"timeline_entries":[{"body":"` + a + `"}]}`
		}},
	}
	for _, b := range bodies {
		c, _ := newTestClient(t, func(w http.ResponseWriter, r *http.Request) {
			w.WriteHeader(b.status)
			_, _ = io.WriteString(w, b.body(r.Header.Get("Authorization")))
		})
		for op, call := range writeCalls {
			err := call(c)
			if b.status == 201 && strings.HasSuffix(op, ".delete") {
				continue // a delete reads nothing back
			}
			if err == nil {
				t.Errorf("%s, %d: no error", op, b.status)
				continue
			}
			if strings.Contains(strings.ReplaceAll(err.Error(), "[REDACTED]", ""), "S3CRET") {
				t.Errorf("%s, %d: error text leaks the token: %q", op, b.status, err.Error())
			}
			if IsConflict(err) != (b.status == 409) {
				t.Errorf("%s, %d: IsConflict %v for %v", op, b.status, IsConflict(err), err)
			}
		}
	}
}
