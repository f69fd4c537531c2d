package throttle

import (
	"context"
	"math"
	"sync"
	"testing"
	"time"

	"github.com/devrev-import/devrev-import/importer/devrev"
	"github.com/devrev-import/devrev-import/importer/throttle/throttletest"
)

var t0 = time.Date(2025, 1, 1, 12, 0, 0, 0, time.UTC)

// guard returns a context that ends the test's waiting if the code under
// test deadlocks; it is a safety net, not a timing assertion.
func guard(t *testing.T) context.Context {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// waiter runs Wait in a goroutine and reports the fake time it returned.
type result struct {
	at  time.Time
	err error
}

func goWait(ctx context.Context, l *Limiter, fc *throttletest.FakeClock, out chan<- result) {
	go func() {
		err := l.Wait(ctx)
		out <- result{fc.Now(), err}
	}()
}

// receive takes n results or fails the test.
func receive(t *testing.T, ctx context.Context, ch <-chan result, n int) []result {
	t.Helper()
	var got []result
	for len(got) < n {
		select {
		case r := <-ch:
			if r.err != nil {
				t.Fatalf("Wait: %v", r.err)
			}
			got = append(got, r)
		case <-ctx.Done():
			t.Fatalf("only %d of %d Waits returned", len(got), n)
		}
	}
	return got
}

// noMore fails if a result is ready. Call it only once every goroutine
// that has not returned is known to be asleep on the clock.
func noMore(t *testing.T, ch <-chan result) {
	t.Helper()
	select {
	case r := <-ch:
		t.Fatalf("unexpected Wait return at %v (err %v)", r.at, r.err)
	default:
	}
}

func blockUntil(t *testing.T, ctx context.Context, fc *throttletest.FakeClock, n int) {
	t.Helper()
	if err := fc.BlockUntil(ctx, n); err != nil {
		t.Fatalf("%d goroutines never blocked on the clock (%d timers)", n, fc.Timers())
	}
}

// waitDriven runs one Wait and advances the fake clock to each deadline it
// sleeps on until it returns; it reports the fake time it returned. Only
// one goroutine may use the clock meanwhile.
func waitDriven(t *testing.T, ctx context.Context, l *Limiter, fc *throttletest.FakeClock) time.Time {
	t.Helper()
	ch := make(chan result, 1)
	goWait(ctx, l, fc, ch)
	for {
		asleep := make(chan struct{})
		bctx, cancel := context.WithCancel(ctx)
		go func() {
			if fc.BlockUntil(bctx, 1) == nil {
				close(asleep)
			}
		}()
		select {
		case r := <-ch:
			cancel()
			if r.err != nil {
				t.Fatalf("Wait: %v", r.err)
			}
			return r.at
		case <-asleep:
			cancel()
			next, _ := fc.NextDeadline()
			fc.AdvanceTo(next)
		case <-ctx.Done():
			cancel()
			t.Fatal("Wait neither returned nor slept")
		}
	}
}

func known(remaining int, reset time.Time) devrev.RateInfo {
	return devrev.RateInfo{Limit: 100, Remaining: remaining, Reset: reset, Known: true}
}

func TestWaitHonoursPauseUntil(t *testing.T) {
	ctx := guard(t)
	fc := throttletest.NewFakeClock(t0)
	l := NewLimiter(Config{Rate: 1000, Burst: 10, Clock: fc})

	if d := l.PauseUntil(t0.Add(30 * time.Second)); d != 30*time.Second {
		t.Errorf("PauseUntil returned %v, want 30s", d)
	}
	if got := l.Paused(); !got.Equal(t0.Add(30 * time.Second)) {
		t.Errorf("Paused() = %v", got)
	}
	// An earlier instant does not shorten the pause.
	if d := l.PauseUntil(t0.Add(5 * time.Second)); d != 30*time.Second {
		t.Errorf("PauseUntil(earlier) returned %v, want 30s", d)
	}

	ch := make(chan result, 2)
	goWait(ctx, l, fc, ch)
	goWait(ctx, l, fc, ch)
	blockUntil(t, ctx, fc, 2)
	fc.Advance(29 * time.Second)
	noMore(t, ch)

	// Extend the pause while they sleep: they must not leave at 30s.
	l.PauseUntil(t0.Add(40 * time.Second))
	fc.Advance(time.Second) // 30s: the old timers fire, the waiters sleep again
	blockUntil(t, ctx, fc, 2)
	noMore(t, ch)
	fc.Advance(9 * time.Second) // 39s
	noMore(t, ch)
	fc.Advance(time.Second) // 40s
	for _, r := range receive(t, ctx, ch, 2) {
		if !r.at.Equal(t0.Add(40 * time.Second)) {
			t.Errorf("Wait returned at %v, want t0+40s", r.at.Sub(t0))
		}
	}
	if got := l.Paused(); !got.IsZero() {
		t.Errorf("Paused() after the pause = %v, want zero", got)
	}
	pauses, waited := l.Stats()
	if pauses != 1 || waited != 40*time.Second {
		t.Errorf("Stats() = %d, %v; want 1, 40s", pauses, waited)
	}

	// A second, separate pause counts again.
	l.PauseUntil(fc.Now().Add(3 * time.Second))
	if pauses, waited := l.Stats(); pauses != 2 || waited != 43*time.Second {
		t.Errorf("Stats() = %d, %v; want 2, 43s", pauses, waited)
	}
}

func TestWaitCancelled(t *testing.T) {
	fc := throttletest.NewFakeClock(t0)
	l := NewLimiter(Config{Rate: 1, Clock: fc})
	l.PauseUntil(t0.Add(time.Hour))
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- l.Wait(ctx) }()
	blockUntil(t, guard(t), fc, 1)
	cancel()
	if err := <-done; err != context.Canceled {
		t.Errorf("Wait = %v, want context.Canceled", err)
	}

	// Cancelled while waiting for a token: the token goes back.
	l2 := NewLimiter(Config{Rate: 1, Clock: fc})
	if err := l2.Wait(guard(t)); err != nil {
		t.Fatal(err)
	}
	ctx2, cancel2 := context.WithCancel(context.Background())
	go func() { done <- l2.Wait(ctx2) }()
	blockUntil(t, guard(t), fc, 2)
	cancel2()
	if err := <-done; err != context.Canceled {
		t.Errorf("Wait = %v, want context.Canceled", err)
	}
	fc.Advance(time.Second)
	ch := make(chan result, 1)
	goWait(guard(t), l2, fc, ch)
	receive(t, guard(t), ch, 1) // one token accrued, not consumed by the cancelled Wait
}

// TestBudget checks that after Remaining=r, exactly the right number of
// Waits return before Reset, counting requests in flight.
func TestBudget(t *testing.T) {
	reset := t0.Add(10 * time.Second)
	tests := []struct {
		name string
		// setup sends requests and observes answers; it returns how many
		// more Waits may return before reset.
		setup func(t *testing.T, l *Limiter, fc *throttletest.FakeClock) int
	}{
		{
			name: "no requests in flight",
			setup: func(t *testing.T, l *Limiter, fc *throttletest.FakeClock) int {
				l.Observe(devrev.Response{Rate: known(5, reset)}, t0)
				return 5
			},
		},
		{
			name: "other request in flight",
			setup: func(t *testing.T, l *Limiter, fc *throttletest.FakeClock) int {
				mustWait(t, l, 2) // X and Y leave at t0
				l.Observe(devrev.Response{Rate: known(5, reset)}, t0)
				return 4 // Y may still be counted by the server
			},
		},
		{
			name: "requests sent after this one",
			setup: func(t *testing.T, l *Limiter, fc *throttletest.FakeClock) int {
				mustWait(t, l, 1) // X at t0
				fc.Advance(time.Second)
				mustWait(t, l, 2) // Y, Z at t0+1s
				l.Observe(devrev.Response{Rate: known(5, reset)}, t0)
				return 3
			},
		},
		{
			// Answers out of order: the view stays safe, if conservative
			// by the request that was in flight when Y's answer came.
			name: "answers out of order",
			setup: func(t *testing.T, l *Limiter, fc *throttletest.FakeClock) int {
				mustWait(t, l, 1) // X at t0
				fc.Advance(time.Second)
				mustWait(t, l, 1) // Y at t0+1s
				l.Observe(devrev.Response{Rate: known(4, reset)}, t0.Add(time.Second))
				// X answers last, with a higher Remaining (the server
				// counted it first): the lower view stands.
				l.Observe(devrev.Response{Rate: known(5, reset)}, t0)
				return 3
			},
		},
		{
			name: "lowest remaining for the same reset wins",
			setup: func(t *testing.T, l *Limiter, fc *throttletest.FakeClock) int {
				l.Observe(devrev.Response{Rate: known(3, reset)}, t0)
				l.Observe(devrev.Response{Rate: known(9, reset)}, t0)
				return 3
			},
		},
		{
			name: "budget is consumed by sends",
			setup: func(t *testing.T, l *Limiter, fc *throttletest.FakeClock) int {
				l.Observe(devrev.Response{Rate: known(6, reset)}, t0)
				fc.Advance(time.Second)
				mustWait(t, l, 2)
				l.Observe(devrev.Response{Rate: known(4, reset)}, fc.Now()) // one of the two; the other in flight
				return 3
			},
		},
		{
			name: "a later reset starts a new window",
			setup: func(t *testing.T, l *Limiter, fc *throttletest.FakeClock) int {
				l.Observe(devrev.Response{Rate: known(1, t0.Add(time.Second))}, t0)
				l.Observe(devrev.Response{Rate: known(7, reset)}, t0)
				return 7
			},
		},
		{
			name: "answer from an older window is ignored",
			setup: func(t *testing.T, l *Limiter, fc *throttletest.FakeClock) int {
				l.Observe(devrev.Response{Rate: known(4, reset)}, t0)
				l.Observe(devrev.Response{Rate: known(0, t0.Add(time.Second))}, t0)
				return 4
			},
		},
		{
			name: "remaining zero",
			setup: func(t *testing.T, l *Limiter, fc *throttletest.FakeClock) int {
				l.Observe(devrev.Response{Rate: known(0, reset)}, t0)
				return 0
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx := guard(t)
			fc := throttletest.NewFakeClock(t0)
			l := NewLimiter(Config{Rate: 1e6, Burst: 100, Clock: fc})
			allowed := tt.setup(t, l, fc)
			const extra = 3
			ch := make(chan result, allowed+extra)
			for range allowed + extra {
				goWait(ctx, l, fc, ch)
			}
			got := receive(t, ctx, ch, allowed)
			blockUntil(t, ctx, fc, extra)
			noMore(t, ch)
			for _, r := range got {
				if !r.at.Before(reset) {
					t.Errorf("Wait returned at %v, after reset", r.at)
				}
			}
			if p := l.Paused(); !p.Equal(reset) {
				t.Errorf("Paused() = %v, want the reset %v", p, reset)
			}
			// At Reset the budget is unknown again: the rest go through.
			fc.AdvanceTo(reset)
			for _, r := range receive(t, ctx, ch, extra) {
				if !r.at.Equal(reset) {
					t.Errorf("blocked Wait returned at %v, want the reset", r.at)
				}
			}
		})
	}
}

// mustWait calls Wait n times; each must return at once.
func mustWait(t *testing.T, l *Limiter, n int) {
	t.Helper()
	for range n {
		if err := l.Wait(guard(t)); err != nil {
			t.Fatal(err)
		}
	}
}

// TestBudgetConcurrent hammers one Limiter from many goroutines against a
// fake server that counts requests: no more than the budget leaves before
// Reset, and at most one request per other worker is lost to caution.
func TestBudgetConcurrent(t *testing.T) {
	ctx := guard(t)
	fc := throttletest.NewFakeClock(t0)
	l := NewLimiter(Config{Rate: 1e6, Burst: 1000, Clock: fc})
	reset := t0.Add(time.Minute)
	const limit, workers = 50, 16
	l.Observe(devrev.Response{Rate: known(limit, reset)}, t0)

	var mu sync.Mutex
	served := 0 // the fake server's count in this window
	var wg sync.WaitGroup
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				if err := l.Wait(ctx); err != nil {
					return
				}
				sentAt := fc.Now()
				if !sentAt.Before(reset) {
					return
				}
				mu.Lock()
				served++
				remaining := max(0, limit-served)
				mu.Unlock()
				l.Observe(devrev.Response{Rate: known(remaining, reset)}, sentAt)
			}
		}()
	}
	blockUntil(t, ctx, fc, workers)
	mu.Lock()
	if served > limit || served < limit-(workers-1) {
		t.Errorf("%d requests left before reset, want %d (at least %d)", served, limit, limit-(workers-1))
	}
	mu.Unlock()
	fc.AdvanceTo(reset)
	wg.Wait()
}

func TestAutoStartsGently(t *testing.T) {
	ctx := guard(t)
	fc := throttletest.NewFakeClock(t0)
	l := NewLimiter(Config{Clock: fc})
	var times []time.Duration
	for range 4 {
		times = append(times, waitDriven(t, ctx, l, fc).Sub(t0))
	}
	step := time.Duration(float64(time.Second) / AutoStartRate)
	want := []time.Duration{0, step, 2 * step, 3 * step}
	for i := range want {
		if times[i] != want[i] {
			t.Errorf("requests left at %v, want %v", times, want)
			break
		}
	}
}

// TestAutoPacing: with Remaining=10 and Reset in 10s, the auto limiter
// spreads the ten requests one second apart and sends none early.
func TestAutoPacing(t *testing.T) {
	ctx := guard(t)
	fc := throttletest.NewFakeClock(t0)
	l := NewLimiter(Config{Clock: fc})
	reset := t0.Add(10 * time.Second)
	l.Observe(devrev.Response{Rate: known(10, reset)}, t0)
	if got := l.Rate(); math.Abs(got-1.1) > 1e-9 {
		t.Errorf("Rate() = %v, want 1.1/s (10 requests, 11 gaps in 10s)", got)
	}
	var times []time.Duration
	for range 11 {
		at := waitDriven(t, ctx, l, fc)
		times = append(times, at.Sub(t0))
		l.Observe(devrev.Response{Rate: known(10-len(times), reset)}, at) // the server's count
	}
	want := []time.Duration{0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10}
	for i := range want {
		want[i] *= time.Second
	}
	if len(times) != len(want) {
		t.Fatalf("times = %v", times)
	}
	for i := range want {
		if times[i] != want[i] {
			t.Errorf("request %d left at %v, want %v (all: %v)", i, times[i], want[i], times)
		}
	}
	// After the window, auto mode starts gently again.
	if got := l.Rate(); got != AutoStartRate {
		t.Errorf("Rate() after the window = %v, want %v", got, AutoStartRate)
	}
}

func TestObserveUnknownAndPast(t *testing.T) {
	ctx := guard(t)
	fc := throttletest.NewFakeClock(t0)
	l := NewLimiter(Config{Rate: 1e6, Burst: 10, Clock: fc})
	l.Observe(devrev.Response{Rate: devrev.RateInfo{}}, t0)              // no headers
	l.Observe(devrev.Response{Rate: known(0, t0.Add(-time.Second))}, t0) // window already over
	l.Observe(devrev.Response{Rate: known(0, t0)}, t0)                   // ends now
	ch := make(chan result, 5)
	for range 5 {
		goWait(ctx, l, fc, ch)
	}
	receive(t, ctx, ch, 5)
	if p := l.Paused(); !p.IsZero() {
		t.Errorf("Paused() = %v", p)
	}
}

func TestInFlightExpires(t *testing.T) {
	fc := throttletest.NewFakeClock(t0)
	l := NewLimiter(Config{Rate: 1e6, Burst: 10, Clock: fc})
	mustWait(t, l, 3) // never observed: a caller that skipped Observe
	fc.Advance(inFlightTTL + time.Second)
	mustWait(t, l, 1)
	l.Observe(devrev.Response{Rate: known(5, fc.Now().Add(time.Minute))}, fc.Now())
	l.mu.Lock()
	budget, n := l.budget, len(l.sends)
	l.mu.Unlock()
	if budget != 5 || n != 0 {
		t.Errorf("budget = %d, %d records; want 5, 0 (stale in-flight requests dropped)", budget, n)
	}
}

func BenchmarkLimiterWait(b *testing.B) {
	l := NewLimiter(Config{Rate: 1e9, Burst: 1 << 20})
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		if err := l.Wait(ctx); err != nil {
			b.Fatal(err)
		}
		l.Observe(devrev.Response{Rate: devrev.RateInfo{}}, time.Now())
	}
}

func BenchmarkLimiterWaitParallel(b *testing.B) {
	l := NewLimiter(Config{Rate: 1e9, Burst: 1 << 20})
	ctx := context.Background()
	reset := time.Now().Add(time.Hour)
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if err := l.Wait(ctx); err != nil {
				b.Error(err)
				return
			}
			l.Observe(devrev.Response{Rate: devrev.RateInfo{Remaining: 1 << 30, Reset: reset, Known: true}}, time.Now())
		}
	})
}
