package e2e

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"maps"
	"net"
	"net/http"
	"sync"
)

// observer wraps the simulator's handler. It counts what reaches
// works.create, works.update, links.create, timeline-entries.create and
// works.list and, when armed, tells the test (through a channel) that a
// chosen write has been
// performed, holding that write's answer back until the test releases it:
// a kill that lands then leaves a row whose write took effect but whose
// answer the importer never read.
type observer struct {
	h http.Handler

	mu      sync.Mutex
	creates int64             // create requests seen so far
	updates int64             // update requests seen so far
	rels    map[string]*int64 // links.create and timeline-entries.create requests seen so far
	trig    *trigger
	all     []*trigger // every trigger ever armed, released at cleanup

	byStatus  map[int]int            // create answers by status; 0 = connection dropped
	updStatus map[int]int            // update answers by status; 0 = connection dropped
	relStatus map[string]map[int]int // link and comment answers by path and status
	lookups   map[string]int
	listCalls int
}

// Write paths the observer counts and can arm on.
const (
	pathCreate  = "/works.create"
	pathUpdate  = "/works.update"
	pathLink    = "/links.create"
	pathComment = "/timeline-entries.create"
)

// trigger is one armed kill point.
type trigger struct {
	path    string // the write it counts: pathCreate, pathUpdate, pathLink or pathComment
	at      int64  // the write (by observer count of path) that fires it
	holdAll bool   // hold every later write of path too, not only the one that fires
	fired   chan struct{}
	release chan struct{}
	once    sync.Once
}

// Fired is closed once the chosen write has been performed by the
// simulator (its answer is held).
func (t *trigger) Fired() <-chan struct{} { return t.fired }

// Release lets held answers go out. It is idempotent.
func (t *trigger) Release() { t.once.Do(func() { close(t.release) }) }

func newObserver(h http.Handler) *observer {
	return &observer{h: h, byStatus: map[int]int{}, updStatus: map[int]int{}, lookups: map[string]int{},
		rels:      map[string]*int64{pathLink: new(int64), pathComment: new(int64)},
		relStatus: map[string]map[int]int{pathLink: {}, pathComment: {}}}
}

// arm fires after n more creates (n >= 1). holdAll also holds every create
// after the firing one until Release (to keep requests in flight).
func (o *observer) arm(n int64, holdAll bool) *trigger { return o.armOn(pathCreate, n, holdAll) }

// armOn is arm for the writes of path (pathCreate, pathUpdate, pathLink
// or pathComment).
func (o *observer) armOn(path string, n int64, holdAll bool) *trigger {
	if n < 1 {
		n = 1
	}
	o.mu.Lock()
	defer o.mu.Unlock()
	t := &trigger{path: path, at: *o.counter(path) + n, holdAll: holdAll, fired: make(chan struct{}), release: make(chan struct{})}
	o.trig = t
	o.all = append(o.all, t)
	return t
}

// disarm forgets the current trigger (releasing anything it holds).
func (o *observer) disarm() {
	o.mu.Lock()
	t := o.trig
	o.trig = nil
	o.mu.Unlock()
	if t != nil {
		t.Release()
	}
}

// releaseAll releases every trigger so no handler stays blocked when the
// server shuts down.
func (o *observer) releaseAll() {
	o.mu.Lock()
	all := o.all
	o.trig = nil
	o.mu.Unlock()
	for _, t := range all {
		t.Release()
	}
}

// counts is a snapshot of what the observer saw.
type counts struct {
	Creates       int64
	Updates       int64
	ByStatus      map[int]int    // create answers by status; 0 = dropped connection
	UpdateStatus  map[int]int    // update answers by status; 0 = dropped connection
	Lookups       map[string]int // first pages of works.list by kind: custom_field or title
	Lists         int            // every works.list call, all pages
	Links         int64          // links.create requests
	Comments      int64          // timeline-entries.create requests
	LinkStatus    map[int]int    // links.create answers by status; 0 = dropped connection
	CommentStatus map[int]int    // timeline-entries.create answers by status; 0 = dropped connection
}

func (o *observer) snapshot() counts {
	o.mu.Lock()
	defer o.mu.Unlock()
	c := counts{Creates: o.creates, Updates: o.updates, ByStatus: maps.Clone(o.byStatus),
		UpdateStatus: maps.Clone(o.updStatus), Lookups: map[string]int{}, Lists: o.listCalls,
		Links: *o.rels[pathLink], Comments: *o.rels[pathComment],
		LinkStatus: maps.Clone(o.relStatus[pathLink]), CommentStatus: maps.Clone(o.relStatus[pathComment])}
	for k, v := range o.lookups {
		c.Lookups[k] = v
	}
	return c
}

func (o *observer) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	switch r.URL.Path {
	case pathCreate, pathUpdate, pathLink, pathComment:
		o.serveWrite(w, r)
	case "/works.list":
		o.noteList(r)
		o.h.ServeHTTP(w, r)
	default:
		o.h.ServeHTTP(w, r)
	}
}

// counter is the request count of the write path; the caller holds o.mu.
func (o *observer) counter(path string) *int64 {
	switch path {
	case pathUpdate:
		return &o.updates
	case pathLink, pathComment:
		return o.rels[path]
	}
	return &o.creates
}

// serveWrite counts a write, and holds its answer when it is
// the armed trigger's.
func (o *observer) serveWrite(w http.ResponseWriter, r *http.Request) {
	path := r.URL.Path
	statuses := o.byStatus
	switch path {
	case pathUpdate:
		statuses = o.updStatus
	case pathLink, pathComment:
		statuses = o.relStatus[path]
	}
	o.mu.Lock()
	c := o.counter(path)
	*c++
	n := *c
	var hold *trigger
	fire := false
	if t := o.trig; t != nil && t.path == path {
		switch {
		case n == t.at:
			hold, fire = t, true
		case n > t.at && t.holdAll:
			hold = t
		}
	}
	o.mu.Unlock()

	if hold == nil {
		sw := &statusWriter{ResponseWriter: w}
		o.h.ServeHTTP(sw, r)
		o.noteStatus(statuses, sw.status, sw.hijacked)
		return
	}
	bw := &bufferedWriter{w: w, hdr: http.Header{}}
	o.h.ServeHTTP(bw, r)
	o.noteStatus(statuses, bw.status, bw.hijacked)
	if fire {
		close(hold.fired)
	}
	<-hold.release
	bw.flush()
}

func (o *observer) noteStatus(statuses map[int]int, status int, hijacked bool) {
	if hijacked {
		status = 0
	}
	o.mu.Lock()
	statuses[status]++
	o.mu.Unlock()
}

// noteList classifies a works.list call by its filter: the importer's
// reconciler looks works up by a custom field holding the key, or by
// creator and creation time (then matches titles).
func (o *observer) noteList(r *http.Request) {
	body, err := io.ReadAll(r.Body)
	r.Body = io.NopCloser(bytes.NewReader(body))
	if err != nil {
		return
	}
	kind := "other"
	switch {
	case bytes.Contains(body, []byte(`"custom_fields"`)):
		kind = "custom_field"
	case bytes.Contains(body, []byte(`"created_by"`)):
		kind = "title"
	}
	o.mu.Lock()
	defer o.mu.Unlock()
	o.listCalls++
	if !bytes.Contains(body, []byte(`"cursor"`)) {
		o.lookups[kind]++
	}
}

// statusWriter passes everything through and remembers the status.
type statusWriter struct {
	http.ResponseWriter
	status   int
	hijacked bool
}

func (s *statusWriter) WriteHeader(code int) {
	if s.status == 0 {
		s.status = code
	}
	s.ResponseWriter.WriteHeader(code)
}

func (s *statusWriter) Write(b []byte) (int, error) {
	if s.status == 0 {
		s.status = http.StatusOK
	}
	n, err := s.ResponseWriter.Write(b)
	if err != nil {
		return n, fmt.Errorf("writing response: %w", err)
	}
	return n, nil
}

func (s *statusWriter) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	s.hijacked = true
	return http.NewResponseController(s.ResponseWriter).Hijack()
}

func (s *statusWriter) Unwrap() http.ResponseWriter { return s.ResponseWriter }

// bufferedWriter keeps a whole answer back until flush; a hijack (a
// simulated dropped connection) goes straight through.
type bufferedWriter struct {
	w        http.ResponseWriter
	hdr      http.Header
	status   int
	body     bytes.Buffer
	hijacked bool
}

func (b *bufferedWriter) Header() http.Header { return b.hdr }

func (b *bufferedWriter) WriteHeader(code int) {
	if b.status == 0 {
		b.status = code
	}
}

func (b *bufferedWriter) Write(p []byte) (int, error) {
	if b.status == 0 {
		b.status = http.StatusOK
	}
	return b.body.Write(p)
}

func (b *bufferedWriter) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	b.hijacked = true
	return http.NewResponseController(b.w).Hijack()
}

// flush sends the held answer (the client may be long gone).
func (b *bufferedWriter) flush() {
	if b.hijacked || b.status == 0 {
		return
	}
	h := b.w.Header()
	for k, v := range b.hdr {
		h[k] = v
	}
	b.w.WriteHeader(b.status)
	_, _ = b.w.Write(b.body.Bytes())
}
