package throttle

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/devrev-import/devrev-import/importer/devrev"
)

func TestClassify(t *testing.T) {
	api := func(status int) error { return &devrev.APIError{Op: "works.create", Status: status, Type: "x"} }
	tests := []struct {
		name string
		err  error
		want Decision
	}{
		{"nil", nil, Done},
		{"400", api(400), Fail},
		{"404", api(404), Fail},
		{"409", api(409), Fail},
		{"422", api(422), Fail},
		{"401", api(401), Fatal},
		{"403", api(403), Fatal},
		{"408", api(408), Retry},
		{"429", api(429), RetryThrottled},
		{"500", api(500), Retry},
		{"502 html", &devrev.APIError{Status: 502, Type: "http_502"}, Retry},
		{"503", api(503), Retry},
		{"504", api(504), Retry},
		{"wrapped 429", fmt.Errorf("row 7: %w", api(429)), RetryThrottled},
		{"refused", &devrev.TransportError{Op: "works.create", Err: errors.New("connection refused")}, Retry},
		{"reset after write", &devrev.TransportError{Op: "works.create", Err: errors.New("EOF"), InDoubt: true}, InDoubt},
		{"timeout after write", &devrev.TransportError{Err: context.DeadlineExceeded, InDoubt: true}, InDoubt},
		{"timeout before write", &devrev.TransportError{Err: context.DeadlineExceeded}, Retry},
		{"cancelled before write", &devrev.TransportError{Err: context.Canceled}, Retry},
		{"bad 2xx body", &devrev.BadResponseError{Op: "works.create", Status: 201}, InDoubt},
		{"wrapped bad body", fmt.Errorf("x: %w", &devrev.BadResponseError{Status: 201}), InDoubt},
		{"context cancelled: not the token's fault", context.Canceled, Abort},
		{"wait deadline", fmt.Errorf("wait: %w", context.DeadlineExceeded), Abort},
		{"wait too long", fmt.Errorf("lookup: %w", &WaitError{Wait: time.Hour, Max: time.Minute}), Abort},
		{"other", errors.New("works.create: request body is not valid JSON"), Fail},
	}
	for _, tt := range tests {
		if got := Classify(tt.err); got != tt.want {
			t.Errorf("%s: Classify = %v, want %v", tt.name, got, tt.want)
		}
	}
}

func TestDecisionString(t *testing.T) {
	for d, want := range map[Decision]string{Done: "done", Retry: "retry", RetryThrottled: "retry_throttled",
		InDoubt: "in_doubt", Fail: "fail", Fatal: "fatal", Decision(42): "decision(42)", Decision(-1): "decision(-1)"} {
		if got := d.String(); got != want {
			t.Errorf("%d.String() = %q, want %q", int(d), got, want)
		}
	}
}

func TestFullJitter(t *testing.T) {
	half := func() float64 { return 0.5 }
	b := FullJitter(time.Second, 10*time.Second, half)
	for attempt, want := range map[int]time.Duration{
		-3: 500 * time.Millisecond, 0: 500 * time.Millisecond, 1: 500 * time.Millisecond,
		2: time.Second, 3: 2 * time.Second, 4: 4 * time.Second, 5: 5 * time.Second, 6: 5 * time.Second,
		64: 5 * time.Second, 1 << 30: 5 * time.Second,
	} {
		if got := b(attempt); got != want {
			t.Errorf("attempt %d: %v, want %v", attempt, got, want)
		}
	}

	// Bounds: U(0, ceiling) for rnd at the edges of [0, 1).
	for _, f := range []float64{0, 0.999999} {
		b := FullJitter(0, 0, func() float64 { return f })
		for attempt := 1; attempt <= 20; attempt++ {
			ceiling := min(DefaultBackoffBase<<(attempt-1), DefaultBackoffMax)
			got := b(attempt)
			if got < 0 || got >= ceiling {
				t.Errorf("rnd=%v attempt %d: %v outside [0, %v)", f, attempt, got, ceiling)
			}
			if f > 0 && got < ceiling*99/100 {
				t.Errorf("rnd=%v attempt %d: %v, want close to %v", f, attempt, got, ceiling)
			}
		}
	}

	// A misbehaving rnd never yields a negative or over-long wait.
	for _, f := range []float64{-1, 1, 7} {
		if got := FullJitter(time.Second, time.Minute, func() float64 { return f })(3); got != 0 {
			t.Errorf("rnd=%v: %v, want 0", f, got)
		}
	}

	// The default rnd stays in bounds.
	def := FullJitter(0, 0, nil)
	for range 1000 {
		if d := def(3); d < 0 || d >= 2*time.Second {
			t.Fatalf("default jitter %v outside [0, 2s)", d)
		}
	}
}

func TestRetryInstant(t *testing.T) {
	now := t0
	tests := []struct {
		name   string
		err    *devrev.APIError
		want   time.Time
		wantOK bool
	}{
		{"nil", nil, time.Time{}, false},
		{"nothing", &devrev.APIError{Status: 429}, time.Time{}, false},
		{"retry after", &devrev.APIError{Status: 429, RetryAfter: 30 * time.Second}, now.Add(30 * time.Second), true},
		{"reset later", &devrev.APIError{Status: 429, RetryAfter: 30 * time.Second,
			Rate: devrev.RateInfo{Reset: now.Add(45 * time.Second), Known: true}}, now.Add(45 * time.Second), true},
		{"retry after later", &devrev.APIError{Status: 429, RetryAfter: time.Minute,
			Rate: devrev.RateInfo{Reset: now.Add(45 * time.Second), Known: true}}, now.Add(time.Minute), true},
		{"reset only", &devrev.APIError{Status: 429,
			Rate: devrev.RateInfo{Reset: now.Add(5 * time.Second), Known: true}}, now.Add(5 * time.Second), true},
		{"reset in the past", &devrev.APIError{Status: 429,
			Rate: devrev.RateInfo{Reset: now.Add(-5 * time.Second), Known: true}}, time.Time{}, false},
		{"reset not known", &devrev.APIError{Status: 429,
			Rate: devrev.RateInfo{Reset: now.Add(5 * time.Second)}}, time.Time{}, false},
	}
	for _, tt := range tests {
		got, ok := RetryInstant(now, tt.err)
		if ok != tt.wantOK || !got.Equal(tt.want) {
			t.Errorf("%s: RetryInstant = %v, %v; want %v, %v", tt.name, got, ok, tt.want, tt.wantOK)
		}
	}
}

func TestRealClock(t *testing.T) {
	c := RealClock()
	before := time.Now()
	if now := c.Now(); now.Before(before) {
		t.Errorf("RealClock().Now() = %v, before %v", now, before)
	}
	if got := <-c.After(0); got.Before(before) {
		t.Errorf("After(0) fired with %v", got)
	}
}
