package throttle

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/devrev-import/devrev-import/importer/devrev"
	"github.com/devrev-import/devrev-import/importer/throttle/throttletest"
)

func TestRetrierDo(t *testing.T) {
	noWait := func(int) time.Duration { return 0 }
	e500 := &devrev.APIError{Status: 500, Type: "internal_error"}
	e400 := &devrev.APIError{Status: 400, Type: "bad_request"}
	cases := []struct {
		name     string
		errs     []error
		max      int
		wantErr  error
		wantCall int
	}{
		{"success", []error{nil}, 3, nil, 1},
		{"5xx then success", []error{e500, e500, nil}, 3, nil, 3},
		{"gives up", []error{e500, e500, e500, nil}, 3, e500, 3},
		{"lost answer retried", []error{&devrev.TransportError{Op: "x", Err: errors.New("reset"), InDoubt: true}, nil}, 3, nil, 2},
		{"400 at once", []error{e400, nil}, 3, e400, 1},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			clock := throttletest.NewFakeClock(time.Unix(1000, 0))
			r := Retrier{Limiter: NewLimiter(Config{Rate: 1000, Burst: 10, Clock: clock}), Backoff: noWait, MaxAttempts: tc.max, Clock: clock}
			calls := 0
			err := r.Do(context.Background(), func() (devrev.Response, error) {
				err := tc.errs[calls]
				calls++
				return devrev.Response{}, err
			})
			if !errors.Is(err, tc.wantErr) || calls != tc.wantCall {
				t.Errorf("err %v calls %d, want %v and %d", err, calls, tc.wantErr, tc.wantCall)
			}
		})
	}
}

func TestRetrierPausesOn429WithoutUsingAttempts(t *testing.T) {
	clock := throttletest.NewFakeClock(time.Unix(1000, 0))
	lim := NewLimiter(Config{Rate: 1000, Burst: 10, Clock: clock})
	r := Retrier{Limiter: lim, MaxAttempts: 1, Clock: clock, Backoff: func(int) time.Duration { return 0 }}
	e429 := &devrev.APIError{Status: 429, Type: "too_many_requests", RetryAfter: 30 * time.Second}
	calls := 0
	done := make(chan error, 1)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go func() {
		done <- r.Do(context.Background(), func() (devrev.Response, error) {
			calls++
			if calls == 1 {
				return devrev.Response{}, e429
			}
			return devrev.Response{}, nil
		})
		cancel()
	}()
	// The second call waits for the pause: advance the fake clock past it
	// whenever the retrier sleeps, until Do returns.
	for clock.BlockUntil(ctx, 1) == nil {
		clock.Advance(time.Second)
	}
	if err := <-done; err != nil || calls != 2 {
		t.Fatalf("err %v calls %d, want nil and 2", err, calls)
	}
	if _, waited := lim.Stats(); waited < 29*time.Second {
		t.Errorf("paused %v, want about the 30 s Retry-After", waited)
	}
}
