// Package simulator is an in-process fake of the DevRev REST API: the test
// double for the importer's end-to-end tests and the server behind
// `devrev-import sandbox` and `import --sandbox`.
//
// It serves works.create, works.update, works.get, works.list and
// works.delete against an
// in-memory store, a fixed seeded directory (dev users, parts, tags,
// accounts, rev orgs, rev users, artifacts) through dev-users.self and the
// *.list endpoints, and the stock and tenant schemas through
// schemas.stock.get and schemas.aggregated.get, and links and comments
// between works (links.create/get/list/delete, timeline-entries.create/get/
// list/delete; links.go, timeline.go). Requests are validated from
// the OpenAPI spec directly (not with the importer's validator), errors follow
// the spec's error-* schemas, and every token gets a fixed-window rate limit
// with X-RateLimit-* headers and 429 + Retry-After. Faults (500, 503, dropped
// connections, garbage bodies) and latency can be injected to test the
// client's retry logic; Stats counts what happened, including requests that
// ignored a Retry-After.
package simulator

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"math"
	"math/rand/v2"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/devrev-import/devrev-import/importer/throttle"
)

// DefaultToken is the bearer token accepted when Options.Tokens is nil; it
// authenticates as DEVU-1 (alice).
const DefaultToken = "sandbox-token"

// earlyGrace is how long after a 429 was written a request from the same
// token still counts as already in flight rather than early.
const earlyGrace = 20 * time.Millisecond

// unlimited is the X-RateLimit-Limit advertised when Options.Limit is 0.
const unlimited = math.MaxInt32

// Options configures a Server. The zero value is a working sandbox.
type Options struct {
	// Tokens maps a bearer token to the display ID of the seeded dev user it
	// authenticates as. nil means {"sandbox-token": "DEVU-1"}. A token whose
	// user is not seeded is rejected with 401 (Start reports it as an error).
	Tokens map[string]string
	// ReadOnlyTokens authenticate like Tokens but get 403 forbidden on
	// writes (the routes marked write: works.create, works.update,
	// works.delete, and the links and timeline-entries writes).
	ReadOnlyTokens map[string]string
	// Limit is the number of requests per Window per token; 0 = unlimited
	// (rate headers are still sent, with a large limit).
	Limit int
	// Window is the fixed rate-limit window; windows start at multiples of
	// Window since the Unix epoch. Default 1m.
	Window time.Duration
	// NoRateHeaders omits the X-RateLimit-* headers, to test a client that
	// must cope without them. 429 responses keep Retry-After.
	NoRateHeaders bool
	// EntryTimelineGet makes timeline-entries.get with an external_ref
	// read its id as a timeline entry's only, the narrow reading of the
	// spec ("for the provided entry ID's timeline"): a work's ID is 404.
	// By default a work's ID names its timeline too. Clients must cope
	// with either.
	EntryTimelineGet bool
	// LoopCursors makes every list answer its first page with the same
	// next_cursor, whatever cursor it was asked for: a server whose paging
	// never ends, which a client must notice instead of following it
	// forever.
	LoopCursors bool
	// Faults are injected into every write: works.create, works.update,
	// works.delete, links.create, links.delete, timeline-entries.create
	// and timeline-entries.delete.
	Faults Faults
	// Latency plus a uniform random duration in [0, Jitter) is added to
	// every request before it is handled.
	Latency, Jitter time.Duration
	// Seed seeds fault and jitter randomness, for deterministic tests.
	Seed int64
	// Clock is the clock for rate windows, Early counting and created
	// dates; nil means the real clock. Latency always sleeps in real time.
	Clock throttle.Clock
	// Log receives one debug record per request (never a token); nil
	// discards.
	Log *slog.Logger
}

// Faults are probabilities in [0, 1] of failures injected into every write
// (see Options.Faults), each drawn independently per request after
// authentication and the rate limit. For writes other than works.create,
// "create the work" below reads "perform the write": DropAfter on
// works.update is the ghost update, applied with its answer lost.
type Faults struct {
	Err500     float64 // answer 500 internal_error with a reference_id; the work is not created
	Err503     float64 // answer 503 service_unavailable; the work is not created
	DropBefore float64 // close the connection without answering; the work is not created
	DropAfter  float64 // create the work, then close the connection without answering
	BadBody    float64 // create the work, then answer 201 (200 for update/delete) with a body that is not JSON
}

// Stats counts what the server saw; see Server.Stats.
type Stats struct {
	Requests  int            // all requests
	Creates   int            // works actually created through works.create (including DropAfter/BadBody ones)
	Updates   int            // works.update requests actually applied (including DropAfter/BadBody ones); see Server.Updates
	ByStatus  map[int]int    // responses by HTTP status; dropped connections and vanished clients under 0
	Throttled int            // 429s sent
	Early     int            // requests that arrived while their token was told to wait (see Server)
	ByPath    map[string]int // requests per URL path
}

// Server is the simulated DevRev API. It implements http.Handler, so it
// can be mounted under httptest.NewServer, or run on loopback with Start.
//
// Early counting: when a 429 is written to a token, the server records the
// instant of that write and the end of the window (the retry instant). A
// later request from the token that arrives more than 20 ms after that write
// and before the retry instant is counted in Stats.Early: it left the client
// after the client had been told to wait.
type Server struct {
	// URL is "http://127.0.0.1:PORT" once Start or Listen has returned; ""
	// for a Server made with New.
	URL string

	dir      *directory
	tokens   map[string]*entity
	readOnly map[string]*entity
	now      func() time.Time
	log      *slog.Logger
	latency  time.Duration
	jitter   time.Duration
	noRate   bool
	entryGet bool // Options.EntryTimelineGet
	loop     bool // Options.LoopCursors

	mu     sync.Mutex // guards everything below
	works  *workStore
	stats  Stats
	faults Faults
	limit  int
	window time.Duration
	rate   map[string]*tokenState
	refSeq int64

	// Also guarded by mu: links and comments, which join works.
	links    *linkStore
	timeline *timelineStore

	rngMu sync.Mutex
	rng   *rand.Rand

	srv  *http.Server
	done chan struct{}
}

// tokenState is one token's rate-limit window and its last 429.
type tokenState struct {
	windowStart int64 // UnixNano
	count       int
	throttledAt time.Time // first 429 write of the current wait
	retryAt     time.Time // end of the window that 429 pointed at
}

// New builds a Server with the seeded directory and no works.
func New(opt Options) *Server {
	s := &Server{
		dir:      newDirectory(),
		tokens:   map[string]*entity{},
		readOnly: map[string]*entity{},
		log:      opt.Log,
		latency:  opt.Latency,
		jitter:   opt.Jitter,
		noRate:   opt.NoRateHeaders,
		entryGet: opt.EntryTimelineGet,
		loop:     opt.LoopCursors,
		works:    newWorkStore(),
		links:    newLinkStore(),
		timeline: newTimelineStore(),
		faults:   opt.Faults,
		rate:     map[string]*tokenState{},
		rng:      rand.New(rand.NewPCG(uint64(opt.Seed), 0x5eed_d0c5_de7e_2e77)),
	}
	s.stats.ByStatus = map[int]int{}
	s.stats.ByPath = map[string]int{}
	if s.now = time.Now; opt.Clock != nil {
		s.now = opt.Clock.Now
	}
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	s.limit, s.window = opt.Limit, opt.Window
	if s.window <= 0 {
		s.window = time.Minute
	}
	tokens := opt.Tokens
	if tokens == nil {
		tokens = map[string]string{DefaultToken: "DEVU-1"}
	}
	for tok, user := range tokens {
		if e := s.dir.lookup(user); e != nil && e.kind == kindDevUser {
			s.tokens[tok] = e
		}
	}
	for tok, user := range opt.ReadOnlyTokens {
		if e := s.dir.lookup(user); e != nil && e.kind == kindDevUser {
			s.readOnly[tok] = e
		}
	}
	return s
}

// checkOptions reports token users that are not seeded dev users.
func checkOptions(opt Options) error {
	dir := newDirectory()
	for _, m := range []map[string]string{opt.Tokens, opt.ReadOnlyTokens} {
		for _, user := range m {
			if e := dir.lookup(user); e == nil || e.kind != kindDevUser {
				return fmt.Errorf("simulator: token user %q is not a seeded dev user (DEVU-1..DEVU-5)", user)
			}
		}
	}
	return nil
}

// Start is New plus listening on 127.0.0.1 on a free port and serving in
// the background; s.URL is then "http://127.0.0.1:PORT". Close stops it.
func Start(opt Options) (*Server, error) {
	return Listen("127.0.0.1:0", opt)
}

// Listen is like Start but listens on addr (for `devrev-import sandbox
// --addr`).
func Listen(addr string, opt Options) (*Server, error) {
	if err := checkOptions(opt); err != nil {
		return nil, err
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("simulator: listen on %s: %w", addr, err)
	}
	s := New(opt)
	s.URL = "http://" + ln.Addr().String()
	s.srv = &http.Server{Handler: s, ReadHeaderTimeout: 30 * time.Second}
	s.done = make(chan struct{})
	go func() {
		defer close(s.done)
		_ = s.srv.Serve(ln) // returns http.ErrServerClosed after Close
	}()
	return s, nil
}

// Close stops a server started with Start or Listen, closing open
// connections; it is a no-op for a Server made with New.
func (s *Server) Close() error {
	if s.srv == nil {
		return nil
	}
	err := s.srv.Close()
	<-s.done
	if err != nil {
		return fmt.Errorf("simulator: close: %w", err)
	}
	return nil
}

// SetFaults replaces the fault probabilities; safe for concurrent use.
func (s *Server) SetFaults(f Faults) {
	s.mu.Lock()
	s.faults = f
	s.mu.Unlock()
}

// SetLimit changes the rate limit (0 = unlimited) and window (<= 0 means
// 1m), starting every token afresh; safe for concurrent use.
func (s *Server) SetLimit(limit int, window time.Duration) {
	if window <= 0 {
		window = time.Minute
	}
	s.mu.Lock()
	s.limit, s.window = limit, window
	s.rate = map[string]*tokenState{}
	s.mu.Unlock()
}

// Stats returns a copy of the counters.
func (s *Server) Stats() Stats {
	s.mu.Lock()
	defer s.mu.Unlock()
	st := s.stats
	st.ByStatus = make(map[int]int, len(s.stats.ByStatus))
	for k, v := range s.stats.ByStatus {
		st.ByStatus[k] = v
	}
	st.ByPath = make(map[string]int, len(s.stats.ByPath))
	for k, v := range s.stats.ByPath {
		st.ByPath[k] = v
	}
	return st
}

// handler serves one endpoint for an authenticated call.
type handler func(s *Server, w http.ResponseWriter, r *http.Request, c *call)

// route is one endpoint: its handler, whether GET is allowed (the spec
// defines a GET form), and whether it writes.
type route struct {
	h     handler
	get   bool
	write bool
}

var routes = map[string]route{
	"/works.create":           {h: (*Server).handleWorksCreate, write: true},
	"/works.delete":           {h: (*Server).handleWorksDelete, write: true},
	"/works.update":           {h: (*Server).handleWorksUpdate, write: true},
	"/works.get":              {h: (*Server).handleWorksGet, get: true},
	"/works.list":             {h: (*Server).handleWorksList, get: true},
	"/dev-users.self":         {h: (*Server).handleDevUsersSelf, get: true},
	"/dev-orgs.get":           {h: (*Server).handleDevOrgsGet, get: true},
	"/dev-users.list":         {h: (*Server).handleDevUsersList, get: true},
	"/parts.list":             {h: (*Server).handlePartsList, get: true},
	"/tags.list":              {h: (*Server).handleTagsList, get: true},
	"/accounts.list":          {h: (*Server).handleAccountsList, get: true},
	"/rev-orgs.list":          {h: (*Server).handleRevOrgsList, get: true},
	"/schemas.aggregated.get": {h: (*Server).handleSchemasAggregatedGet, get: true},
	"/schemas.stock.get":      {h: (*Server).handleSchemasStockGet, get: true},

	"/links.create":            {h: (*Server).handleLinksCreate, write: true},
	"/links.delete":            {h: (*Server).handleLinksDelete, write: true},
	"/links.get":               {h: (*Server).handleLinksGet, get: true},
	"/links.list":              {h: (*Server).handleLinksList, get: true},
	"/timeline-entries.create": {h: (*Server).handleTimelineCreate, write: true},
	"/timeline-entries.delete": {h: (*Server).handleTimelineDelete, write: true},
	"/timeline-entries.get":    {h: (*Server).handleTimelineGet, get: true},
	"/timeline-entries.list":   {h: (*Server).handleTimelineList, get: true},
}

// call carries one request through the pipeline and records its outcome.
type call struct {
	s        *Server
	path     string
	token    string
	user     *entity
	status   int  // 0 until a response is written; stays 0 for dropped connections
	recorded bool // the outcome has been counted in Stats.ByStatus
}

// record counts the call's outcome before its response leaves, so that a
// client that has read a response sees it in Stats.
func (c *call) record(status int) {
	c.status, c.recorded = status, true
	c.s.mu.Lock()
	c.s.stats.ByStatus[status]++
	c.s.mu.Unlock()
}

// ServeHTTP implements http.Handler.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	entry := s.now()
	began := time.Now()
	c := &call{s: s, path: r.URL.Path}
	s.mu.Lock()
	s.stats.Requests++
	s.stats.ByPath[c.path]++
	s.mu.Unlock()
	defer func() {
		if !c.recorded {
			c.record(0) // the client went away before anything was written
		}
		s.log.Debug("simulator request", "method", r.Method, "path", c.path, "status", c.status,
			"user", userID(c.user), "elapsed", time.Since(began))
	}()

	if !s.sleep(r.Context()) {
		return // the client went away during the simulated latency
	}

	user, ok := s.tokens[bearer(r)]
	readOnly := false
	if !ok {
		user, readOnly = s.readOnly[bearer(r)], true
	}
	if user == nil {
		c.fail(w, &APIError{Status: http.StatusUnauthorized, Type: ErrTypeUnauthenticated,
			Message: "missing or unknown bearer token"})
		return
	}
	c.token, c.user = bearer(r), user

	if !s.admit(w, c, entry) {
		return
	}

	rt, ok := routes[c.path]
	if !ok || (r.Method != http.MethodPost && !(rt.get && r.Method == http.MethodGet)) {
		c.fail(w, notFound("no endpoint %s %s", r.Method, c.path))
		return
	}
	if rt.write && readOnly {
		c.fail(w, &APIError{Status: http.StatusForbidden, Type: ErrTypeForbidden,
			Message: "this token may not modify works"})
		return
	}
	rt.h(s, w, r, c)
}

func userID(e *entity) string {
	if e == nil {
		return ""
	}
	return e.displayID
}

// bearer extracts the token of an "Authorization: Bearer <token>" header.
// A bare token without the scheme is accepted too, as DevRev accepts PATs.
func bearer(r *http.Request) string {
	h := strings.TrimSpace(r.Header.Get("Authorization"))
	if len(h) > 7 && strings.EqualFold(h[:7], "bearer ") {
		return strings.TrimSpace(h[7:])
	}
	return h
}

// sleep waits Latency plus jitter, returning false if ctx ended first.
func (s *Server) sleep(ctx context.Context) bool {
	d := s.latency
	if s.jitter > 0 {
		s.rngMu.Lock()
		d += time.Duration(s.rng.Int64N(int64(s.jitter)))
		s.rngMu.Unlock()
	}
	if d <= 0 {
		return true
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	}
}

// admit applies the token's fixed-window rate limit: it sets the
// X-RateLimit-* headers, counts early requests, and answers 429 when the
// window is used up. It reports whether the request may proceed.
func (s *Server) admit(w http.ResponseWriter, c *call, entry time.Time) bool {
	now := s.now()
	s.mu.Lock()
	st := s.rate[c.token]
	if st == nil {
		st = &tokenState{}
		s.rate[c.token] = st
	}
	if entry.Before(st.retryAt) && entry.Sub(st.throttledAt) > earlyGrace {
		s.stats.Early++
	}
	window := s.window
	win := window.Nanoseconds()
	ns := now.UnixNano()
	start := ns - ((ns%win)+win)%win
	end := start + win
	if st.windowStart != start {
		st.windowStart, st.count = start, 0
	}
	st.count++
	limit := s.limit
	over := limit > 0 && st.count > limit
	if limit <= 0 {
		limit = unlimited
	}
	remaining := max(0, limit-st.count)
	s.mu.Unlock()

	if !s.noRate {
		h := w.Header()
		h.Set("X-RateLimit-Limit", strconv.Itoa(limit))
		h.Set("X-RateLimit-Remaining", strconv.Itoa(remaining))
		h.Set("X-RateLimit-Reset", strconv.FormatInt(ceilDiv(end, int64(time.Second)), 10))
	}
	if !over {
		return true
	}
	retry := max(1, ceilDiv(end-ns, int64(time.Second)))
	// Record the wait before writing, so that no request the client sends
	// after reading this 429 can be checked against an older record. The
	// write itself is covered by the grace period.
	retryAt := time.Unix(0, end)
	s.mu.Lock()
	s.stats.Throttled++
	if !st.retryAt.Equal(retryAt) {
		st.throttledAt, st.retryAt = s.now(), retryAt
	}
	s.mu.Unlock()
	w.Header().Set("Retry-After", strconv.FormatInt(retry, 10))
	c.fail(w, &APIError{Status: http.StatusTooManyRequests, Type: ErrTypeTooManyRequests,
		Message:    fmt.Sprintf("rate limit of %d requests per %s exceeded", limit, window),
		RetryAfter: &retry})
	return false
}

func ceilDiv(a, b int64) int64 {
	q := a / b
	if a%b != 0 && (a > 0) == (b > 0) {
		q++
	}
	return q
}

// draw reports whether an event of probability p happens.
func (s *Server) draw(p float64) bool {
	if p <= 0 {
		return false
	}
	if p >= 1 {
		return true
	}
	s.rngMu.Lock()
	defer s.rngMu.Unlock()
	return s.rng.Float64() < p
}

// preFaults injects the faults that strike before a write takes effect;
// it reports whether the request has been answered (or dropped).
func (s *Server) preFaults(w http.ResponseWriter, c *call) bool {
	s.mu.Lock()
	f := s.faults
	s.mu.Unlock()
	switch {
	case s.draw(f.Err500):
		s.mu.Lock()
		s.refSeq++
		ref := fmt.Sprintf("sim-%08d", s.refSeq)
		s.mu.Unlock()
		c.fail(w, &APIError{Status: http.StatusInternalServerError, Type: ErrTypeInternal,
			Message: "injected internal error", ReferenceID: ref})
		return true
	case s.draw(f.Err503):
		c.fail(w, &APIError{Status: http.StatusServiceUnavailable, Type: ErrTypeServiceUnavailable,
			Message: "injected service unavailability"})
		return true
	case s.draw(f.DropBefore):
		c.drop(w)
		return true
	}
	return false
}

// postFaults injects the faults that strike after a write took effect.
func (s *Server) postFaults(w http.ResponseWriter, c *call, okStatus int) bool {
	s.mu.Lock()
	f := s.faults
	s.mu.Unlock()
	switch {
	case s.draw(f.DropAfter):
		c.drop(w)
		return true
	case s.draw(f.BadBody):
		w.Header().Set("Content-Type", "application/json")
		c.record(okStatus)
		w.WriteHeader(okStatus)
		_, _ = io.WriteString(w, "<html><body>upstream hiccup</body></html>")
		return true
	}
	return false
}

// drop closes the connection without writing a response. Where the
// connection cannot be hijacked (HTTP/2), it aborts the handler the way
// net/http documents, which resets the stream.
func (c *call) drop(w http.ResponseWriter) {
	c.record(0)
	conn, _, err := http.NewResponseController(w).Hijack()
	if err != nil {
		panic(http.ErrAbortHandler)
	}
	_ = conn.Close()
}

func (c *call) fail(w http.ResponseWriter, e *APIError) {
	c.record(e.Status)
	writeError(w, e)
}

func (c *call) writeJSON(w http.ResponseWriter, status int, v any) {
	c.record(status)
	writeJSON(w, status, v)
}

func (c *call) writeRaw(w http.ResponseWriter, status int, body []byte) {
	c.record(status)
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(status)
	_, _ = w.Write(body)
}

// internal answers 500 for a failure of the simulator itself.
func (c *call) internal(w http.ResponseWriter, err error) {
	c.s.log.Error("simulator internal error", "path", c.path, "err", err)
	c.fail(w, &APIError{Status: http.StatusInternalServerError, Type: ErrTypeInternal, Message: "internal error"})
}
