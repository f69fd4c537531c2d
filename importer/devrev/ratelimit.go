package devrev

import (
	"math"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// RateInfo is the server's rate-limit window as reported by the
// X-RateLimit-Limit, X-RateLimit-Remaining and X-RateLimit-Reset headers of
// one response. Known is false when Remaining or Reset was absent or
// unparsable; the other fields are then meaningless.
type RateInfo struct {
	// Limit is the window's total budget (0 if the header was absent).
	Limit int
	// Remaining is the budget left in the window after this request.
	Remaining int
	// Reset is the instant the window ends and the budget refills.
	Reset time.Time
	// Known reports whether Remaining and Reset were both present.
	Known bool
}

// Response describes the HTTP answer of one call, also when the call
// returned an error (it is zero when no answer arrived at all).
type Response struct {
	// Status is the HTTP status code.
	Status int
	// Rate holds the rate-limit headers of the answer.
	Rate RateInfo
	// RetryAfter is the Retry-After header (delta seconds or HTTP date),
	// 0 if absent or already past.
	RetryAfter time.Duration
}

// parseRate reads the X-RateLimit-* headers. DevRev sends Reset as seconds
// since the Unix epoch; as a defence against other conventions, a value in
// milliseconds (> 1e12), microseconds (> 1e14) or nanoseconds (> 1e17) is
// accepted, and a small value (< 1e9, before 2001) is taken as seconds
// from now.
func parseRate(h http.Header, now time.Time) RateInfo {
	var ri RateInfo
	if v, err := strconv.Atoi(strings.TrimSpace(header(h, hdrLimit))); err == nil && v >= 0 {
		ri.Limit = v
	}
	rem, err := strconv.Atoi(strings.TrimSpace(header(h, hdrRemaining)))
	if err != nil {
		return ri
	}
	if rem < 0 {
		rem = 0
	}
	reset, ok := parseReset(header(h, hdrReset), now)
	if !ok {
		return ri
	}
	ri.Remaining, ri.Reset, ri.Known = rem, reset, true
	return ri
}

// The rate headers' names as net/http keys them (X-Ratelimit-Limit):
// http.Header.Get of "X-RateLimit-Limit" builds that string anew on every
// call.
var (
	hdrLimit     = http.CanonicalHeaderKey("X-RateLimit-Limit")
	hdrRemaining = http.CanonicalHeaderKey("X-RateLimit-Remaining")
	hdrReset     = http.CanonicalHeaderKey("X-RateLimit-Reset")
)

// header is h.Get(key) for a key in canonical form.
func header(h http.Header, key string) string {
	if v := h[key]; len(v) > 0 {
		return v[0]
	}
	return ""
}

func parseReset(s string, now time.Time) (time.Time, bool) {
	v, err := strconv.ParseFloat(strings.TrimSpace(s), 64)
	if err != nil || v < 0 || math.IsInf(v, 0) || math.IsNaN(v) {
		return time.Time{}, false
	}
	switch {
	case v > 1e17: // nanoseconds since the epoch
		return time.Unix(0, int64(v)), true
	case v > 1e14: // microseconds since the epoch
		return time.UnixMicro(int64(v)), true
	case v > 1e12: // milliseconds since the epoch
		return time.UnixMilli(int64(v)), true
	case v >= 1e9: // seconds since the epoch (DevRev)
		sec, frac := math.Modf(v)
		return time.Unix(int64(sec), int64(frac*1e9)), true
	default: // seconds from now
		return now.Add(time.Duration(v * float64(time.Second))), true
	}
}

// MaxRetryAfter is the longest Retry-After kept (about 31 years): a larger
// value is taken as this, a wait no run accepts, rather than as no hint.
const MaxRetryAfter = 1e9 * time.Second

// parseRetryAfter reads a Retry-After value: delta seconds (possibly
// fractional) or an HTTP date. It returns 0 when absent, invalid or past.
func parseRetryAfter(s string, now time.Time) time.Duration {
	s = strings.TrimSpace(s)
	if s == "" {
		return 0
	}
	if v, err := strconv.ParseFloat(s, 64); err == nil {
		if v <= 0 || math.IsNaN(v) {
			return 0
		}
		if v >= MaxRetryAfter.Seconds() {
			return MaxRetryAfter
		}
		return time.Duration(math.Ceil(v * float64(time.Second)))
	}
	if t, err := http.ParseTime(s); err == nil {
		if d := t.Sub(now); d > 0 {
			return d
		}
	}
	return 0
}
