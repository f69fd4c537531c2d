// Package devrev is a small client for the part of the DevRev REST API the
// importer needs: creating, reading, updating, listing and deleting works,
// links between works (links.go) and comments on them (timeline.go), and
// the lookups that resolve names to IDs (dev users, parts, tags, accounts,
// Rev orgs).
//
// Every call is a POST with a JSON body. Every call returns a Response with
// the rate-limit headers it saw, also on errors, so that a shared limiter can
// pace the whole run. Failures come back as one of three typed errors that a
// retry policy can tell apart with errors.As:
//
//   - *APIError: the server answered with a non-2xx status;
//   - *TransportError: no HTTP answer (refused, reset, timeout); InDoubt says
//     whether the request may have been performed;
//   - *BadResponseError: a 2xx answer whose body cannot be used; the action
//     may have happened.
//
// The API token is sent only in the Authorization header and is redacted
// from every error text the package produces.
package devrev

import (
	"bytes"
	"context"
	"crypto/tls"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptrace"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// Defaults applied by New for zero Options fields.
const (
	DefaultEndpoint = "https://api.devrev.ai"
	DefaultTimeout  = 30 * time.Second
	DefaultMaxConns = 8
)

// Read limits. A 2xx answer larger than its operation's limit (see
// answerLimit) is refused rather than buffered, so a hostile or broken
// server cannot make every worker hold a huge body; error bodies are short
// by nature and are cut at maxErrorBytes. After a call, at most
// maxDrainBytes of an unread body are drained so the keep-alive connection
// can be reused.
const (
	maxAnswerBytes = 2 << 20  // one work, one user: a created work is a few KiB
	maxPageBytes   = 16 << 20 // a list page (100 works of 65,536-character bodies fit) or a schema
	maxErrorBytes  = 64 << 10
	maxDrainBytes  = 256 << 10
)

// answerLimit returns the largest 2xx body read for op.
func answerLimit(op string) int64 {
	if strings.HasSuffix(op, ".list") || strings.HasPrefix(op, "schemas.") {
		return maxPageBytes
	}
	return maxAnswerBytes
}

// Options configures a Client. Only Token is required.
type Options struct {
	// Endpoint is the API base URL, default "https://api.devrev.ai".
	// Plain http:// is refused unless the host is loopback (127.0.0.0/8,
	// ::1, localhost), so a token never crosses a network in clear text.
	Endpoint string
	// Token is the personal access token or service token. It is sent as
	// "Authorization: Bearer <token>" and never appears in an error text.
	Token string
	// Timeout bounds one call (connect, write, wait, read); default 30s.
	Timeout time.Duration
	// MaxConns is the number of keep-alive connections to keep to the
	// endpoint; size it to the worker count. Default 8.
	MaxConns int
	// UserAgent is sent as User-Agent, e.g. "devrev-import/0.1.0".
	UserAgent string
	// Transport replaces the default tuned *http.Transport (tests, proxies).
	Transport http.RoundTripper
	// Log, when set, receives one debug line per request (-v): the call,
	// its status, time and rate headers, with the Authorization header
	// shown as "Bearer ***". Bodies are never logged.
	Log *slog.Logger
}

// Client calls the DevRev API. It is safe for concurrent use by many
// goroutines; share one per run so connections are reused.
type Client struct {
	base    string
	token   string
	ua      string
	timeout time.Duration
	http    *http.Client
	now     func() time.Time // wall clock; replaced in tests
	log     *slog.Logger     // -v request lines; nil = none
	// header is every request's header, built once: the transport only
	// reads a request's header, and four Sets a call were four allocations.
	header http.Header
	// answers recycles the buffers of answers read by callPooled.
	answers sync.Pool
}

// New validates opt, applies defaults and returns a Client.
func New(opt Options) (*Client, error) {
	if opt.Token == "" {
		return nil, errors.New("devrev: no API token given")
	}
	if strings.ContainsAny(opt.Token, "\r\n\x00") {
		return nil, errors.New("devrev: the API token contains a control character")
	}
	endpoint := opt.Endpoint
	if endpoint == "" {
		endpoint = DefaultEndpoint
	}
	base, err := checkEndpoint(endpoint)
	if err != nil {
		return nil, err
	}
	timeout := opt.Timeout
	if timeout <= 0 {
		timeout = DefaultTimeout
	}
	maxConns := opt.MaxConns
	if maxConns <= 0 {
		maxConns = DefaultMaxConns
	}
	var rt http.RoundTripper
	switch t := opt.Transport.(type) {
	case nil:
		rt = trackWrites(newTransport(maxConns))
	case *http.Transport:
		rt = trackWrites(t.Clone())
	default:
		rt = t
	}
	return &Client{
		base:    base,
		token:   opt.Token,
		ua:      opt.UserAgent,
		timeout: timeout,
		http: &http.Client{
			Transport: rt,
			// Redirects would re-send the request (and its token) somewhere
			// else; the API does not redirect, so treat one as an answer.
			CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
		},
		now:    time.Now,
		log:    opt.Log,
		header: requestHeader(opt.Token, opt.UserAgent),
	}, nil
}

// requestHeader is the header every call sends.
func requestHeader(token, ua string) http.Header {
	h := http.Header{}
	h.Set("Authorization", "Bearer "+token)
	h.Set("Content-Type", "application/json")
	h.Set("Accept", "application/json")
	if ua != "" {
		h.Set("User-Agent", ua)
	}
	return h
}

// checkEndpoint parses the base URL and enforces https except on loopback.
// It returns the base without a trailing slash.
func checkEndpoint(endpoint string) (string, error) {
	u, err := url.Parse(endpoint)
	if err != nil {
		return "", fmt.Errorf("devrev: endpoint is not a URL: %w", err)
	}
	if u.Host == "" {
		return "", fmt.Errorf("devrev: endpoint %q has no host", u.Redacted())
	}
	if u.User != nil {
		return "", fmt.Errorf("devrev: endpoint %q must not carry credentials", u.Redacted())
	}
	if u.RawQuery != "" || u.Fragment != "" {
		return "", fmt.Errorf("devrev: endpoint %q must not have a query or fragment", u.Redacted())
	}
	switch u.Scheme {
	case "https":
	case "http":
		if !isLoopback(u.Hostname()) {
			return "", fmt.Errorf("devrev: endpoint %q uses plain http to a non-loopback host; use https", u.Redacted())
		}
	default:
		return "", fmt.Errorf("devrev: endpoint %q: scheme must be https", u.Redacted())
	}
	return strings.TrimRight(u.String(), "/"), nil
}

// isLoopback reports whether host is localhost or a loopback IP address.
func isLoopback(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// newTransport returns a transport tuned for many small requests to one
// host: enough idle connections for every worker, verified TLS 1.2+.
// It speaks HTTP/1.1 only: one request per connection at a time is what
// lets a failed call tell whether its request was fully written (see
// trackWrites), and workers each get their own connection anyway.
func newTransport(maxConns int) *http.Transport {
	t := http.DefaultTransport.(*http.Transport).Clone()
	t.MaxIdleConns = maxConns * 2
	t.MaxIdleConnsPerHost = maxConns
	t.IdleConnTimeout = 90 * time.Second
	t.ForceAttemptHTTP2 = false
	t.TLSClientConfig = &tls.Config{MinVersion: tls.VersionTLS12}
	var p http.Protocols
	p.SetHTTP1(true)
	t.Protocols = &p
	return t
}

// trackWrites makes t's connections record failed writes. net/http reports
// WroteRequest when the request is in the connection's buffer, before the
// flush, and does not expose a failed flush; a failed socket write during a
// call means the server cannot have received the whole request.
func trackWrites(t *http.Transport) *http.Transport {
	dial := t.DialContext
	if dial == nil {
		dial = (&net.Dialer{Timeout: 30 * time.Second, KeepAlive: 30 * time.Second}).DialContext
	}
	t.DialContext = func(ctx context.Context, network, addr string) (net.Conn, error) {
		conn, err := dial(ctx, network, addr)
		if err != nil {
			return nil, err
		}
		return &trackedConn{Conn: conn}, nil
	}
	if dialTLS := t.DialTLSContext; dialTLS != nil {
		t.DialTLSContext = func(ctx context.Context, network, addr string) (net.Conn, error) {
			conn, err := dialTLS(ctx, network, addr)
			if err != nil {
				return nil, err
			}
			return &trackedConn{Conn: conn}, nil
		}
	}
	return t
}

// trackedConn counts failed writes.
type trackedConn struct {
	net.Conn
	writeFails atomic.Int64
}

func (c *trackedConn) Write(p []byte) (int, error) {
	n, err := c.Conn.Write(p)
	if err != nil {
		c.writeFails.Add(1)
	}
	return n, err
}

// underlying returns the trackedConn beneath conn (a *tls.Conn wraps it),
// or nil.
func underlying(conn net.Conn) *trackedConn {
	for range 4 {
		switch c := conn.(type) {
		case *trackedConn:
			return c
		case interface{ NetConn() net.Conn }:
			conn = c.NetConn()
		default:
			return nil
		}
	}
	return nil
}

// Redact returns s with every occurrence of the client's token replaced by
// "[REDACTED]". Use it on any text that may have seen a request.
func (c *Client) Redact(s string) string {
	return redactToken(s, c.token)
}

// wholeTokenBelow is the length under which a token is redacted only where
// it stands alone. DevRev's tokens are JWTs of hundreds of bytes, redacted
// wherever they appear; a short one (a test's, a typo's) replaced
// everywhere would mangle the very message that says what went wrong: the
// token "x" turned "context deadline exceeded" into
// "conte[REDACTED]t deadline e[REDACTED]ceeded".
const wholeTokenBelow = 16

func redactToken(s, token string) string {
	if token == "" || !strings.Contains(s, token) {
		return s
	}
	if len(token) >= wholeTokenBelow {
		return strings.ReplaceAll(s, token, "[REDACTED]")
	}
	var b strings.Builder
	for {
		i := strings.Index(s, token)
		if i < 0 {
			break
		}
		end := i + len(token)
		alone := (i == 0 || !tokenByte(s[i-1])) && (end == len(s) || !tokenByte(s[end]))
		b.WriteString(s[:i])
		if alone {
			b.WriteString("[REDACTED]")
		} else {
			b.WriteString(token)
		}
		s = s[end:]
	}
	b.WriteString(s)
	return b.String()
}

// tokenByte reports whether c may continue a token's text (JWT and PAT
// alphabets): a short token next to one is part of another word.
func tokenByte(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_' || c == '.' || c >= 0x80
}

// readOnly reports whether op only reads (DevRev names reads .get, .list
// and .self): one performed without its answer changed nothing, so it is
// never in doubt, and saying so ("may have been performed") would send a
// person looking for a write that cannot have happened.
func readOnly(op string) bool {
	return strings.HasSuffix(op, ".get") || strings.HasSuffix(op, ".list") || strings.HasSuffix(op, ".self")
}

// call performs one POST of body to path and returns the response body of a
// 2xx answer. Non-2xx answers become *APIError, failures without an answer
// *TransportError; resp is filled in whenever an answer arrived.
func (c *Client) call(ctx context.Context, op string, body []byte) (data []byte, resp Response, err error) {
	var buf bytes.Buffer
	if resp, err = c.callInto(ctx, op, body, &buf); err != nil {
		return nil, resp, err
	}
	return buf.Bytes(), resp, nil
}

// callPooled is call with the answer in a pooled buffer, valid only while
// read runs (with the answer's status): for works.create, whose answer (the whole work, a few KiB)
// is read once for its identity, an allocation a row otherwise.
func (c *Client) callPooled(ctx context.Context, op string, body []byte, read func(data []byte, status int) error) (Response, error) {
	buf, _ := c.answers.Get().(*bytes.Buffer)
	if buf == nil {
		buf = new(bytes.Buffer)
	}
	defer func() {
		if buf.Cap() <= 64<<10 {
			buf.Reset()
			c.answers.Put(buf)
		}
	}()
	resp, err := c.callInto(ctx, op, body, buf)
	if err != nil {
		return resp, err
	}
	return resp, read(buf.Bytes(), resp.Status)
}

// callInto is call with the answer of a 2xx read into buf.
func (c *Client) callInto(ctx context.Context, op string, body []byte, buf *bytes.Buffer) (resp Response, err error) {
	ctx, cancel := context.WithTimeout(ctx, c.timeout)
	defer cancel()

	// In-doubt bookkeeping: did the request leave completely?
	var (
		wrote     atomic.Bool
		conn      atomic.Pointer[trackedConn]
		failsBase atomic.Int64
	)
	trace := &httptrace.ClientTrace{
		GotConn: func(info httptrace.GotConnInfo) {
			if tc := underlying(info.Conn); tc != nil {
				failsBase.Store(tc.writeFails.Load())
				conn.Store(tc)
			}
		},
		WroteRequest: func(info httptrace.WroteRequestInfo) {
			if info.Err == nil {
				wrote.Store(true)
			}
		},
	}
	req, err := http.NewRequestWithContext(httptrace.WithClientTrace(ctx, trace),
		http.MethodPost, c.base+"/"+op, bytes.NewReader(body))
	if err != nil {
		return resp, &TransportError{Op: op, Err: c.safeErr(err)}
	}
	req.Header = c.header

	start := time.Now()
	hr, err := c.http.Do(req)
	if c.log != nil {
		c.logCall(op, req, hr, err, time.Since(start))
	}
	if err != nil {
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err // drop the method and URL: the op names the call
		}
		// WroteRequest fires once the request is in the connection's buffer;
		// a failed socket write during the call means the server cannot
		// have the whole request, so it cannot have performed it.
		inDoubt := wrote.Load() && !isWriteError(err)
		if tc := conn.Load(); tc != nil && tc.writeFails.Load() > failsBase.Load() {
			inDoubt = false
		}
		return resp, &TransportError{Op: op, Err: c.safeErr(err), InDoubt: inDoubt && !readOnly(op)}
	}
	defer func() {
		_, _ = io.Copy(io.Discard, io.LimitReader(hr.Body, maxDrainBytes))
		_ = hr.Body.Close()
	}()

	now := c.now()
	resp = Response{
		Status:     hr.StatusCode,
		Rate:       parseRate(hr.Header, now),
		RetryAfter: parseRetryAfter(hr.Header.Get("Retry-After"), now),
	}
	if hr.StatusCode < 200 || hr.StatusCode > 299 {
		raw, _ := io.ReadAll(io.LimitReader(hr.Body, maxErrorBytes))
		return resp, c.apiError(op, resp, raw)
	}
	if err := readAnswer(hr, op, buf); err != nil {
		return resp, &BadResponseError{Op: op, Status: hr.StatusCode,
			Snippet: c.snip(buf.Bytes()), Err: c.safeErr(err)}
	}
	return resp, nil
}

// readAnswer reads a 2xx body of at most answerLimit(op) bytes into buf:
// one announcing more is refused before it is read, one that turns out
// longer is cut off there (buf keeps the start of it for the error's
// snippet). The buffer grows with what arrives, never past the limit.
func readAnswer(hr *http.Response, op string, buf *bytes.Buffer) error {
	limit := answerLimit(op)
	tooLarge := func() error {
		return fmt.Errorf("the answer is larger than %d MiB, the most this tool reads from %s", limit>>20, op)
	}
	if hr.ContentLength > limit {
		return tooLarge()
	}
	if hr.ContentLength > 0 {
		// ReadFrom wants MinRead bytes free before each read, the one that
		// sees EOF too: without them, a body of exactly ContentLength bytes
		// is copied into a second, larger buffer.
		buf.Grow(int(hr.ContentLength) + bytes.MinRead)
	}
	_, err := buf.ReadFrom(io.LimitReader(hr.Body, limit+1))
	if err == nil && int64(buf.Len()) > limit {
		buf.Truncate(snippetLen * 4)
		return tooLarge()
	}
	return err
}

// isWriteError reports whether err is a failed write to the connection.
func isWriteError(err error) bool {
	var op *net.OpError
	return errors.As(err, &op) && op.Op == "write"
}

// safeErr returns err unchanged unless its text contains the token, in which
// case the text is redacted (errors.Is and errors.As still see the cause).
func (c *Client) safeErr(err error) error {
	if err == nil || c.token == "" || !strings.Contains(err.Error(), c.token) {
		return err
	}
	return &redactedError{msg: c.Redact(err.Error()), cause: err}
}

type redactedError struct {
	msg   string
	cause error
}

func (e *redactedError) Error() string { return e.msg }
func (e *redactedError) Unwrap() error { return e.cause }

// post marshals in, performs the call and decodes a 2xx body into out.
// A 2xx body that is not valid JSON becomes *BadResponseError.
func (c *Client) post(ctx context.Context, op string, in, out any) (Response, error) {
	body, err := json.Marshal(in)
	if err != nil {
		return Response{}, fmt.Errorf("%s: encode request: %w", op, err)
	}
	data, resp, err := c.call(ctx, op, body)
	if err != nil {
		return resp, err
	}
	if err := json.Unmarshal(data, out); err != nil {
		return resp, &BadResponseError{Op: op, Status: resp.Status,
			Snippet: c.snip(data), Err: err}
	}
	return resp, nil
}

// logCall writes the -v line of one request. The token never appears: the
// Authorization header is shown redacted, and errors pass through Redact.
func (c *Client) logCall(op string, req *http.Request, hr *http.Response, err error, d time.Duration) {
	attrs := []any{"op", op, "ms", d.Milliseconds(), "authorization", "Bearer ***", "user_agent", req.Header.Get("User-Agent")}
	if err != nil {
		attrs = append(attrs, "err", c.Redact(err.Error()))
	}
	if hr != nil {
		attrs = append(attrs, "status", hr.StatusCode,
			"ratelimit_limit", hr.Header.Get("X-RateLimit-Limit"),
			"ratelimit_remaining", hr.Header.Get("X-RateLimit-Remaining"),
			"ratelimit_reset", hr.Header.Get("X-RateLimit-Reset"))
		if ra := hr.Header.Get("Retry-After"); ra != "" {
			attrs = append(attrs, "retry_after", ra)
		}
	}
	c.log.Debug("api request", attrs...)
}
