package pipeline

import (
	"context"
	"fmt"
	"math"
	"sync"
	"testing"
	"time"

	"github.com/devrev-import/devrev-import/importer/throttle/throttletest"
)

var sizerT0 = time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)

// feed gives the sizer n observations of the same kind, one per latency.
func feed(s *sizer, now *time.Time, n int, took time.Duration, failed bool, rate float64) int {
	got := 0
	for range n {
		*now = now.Add(took)
		got = s.observe(*now, took, failed, rate)
	}
	return got
}

func TestSizerMeetsLittlesLaw(t *testing.T) {
	for _, tc := range []struct {
		name string
		rate float64
		took time.Duration
		want int
	}{
		{"100/s at 80 ms", 100, 80 * time.Millisecond, 10},   // ceil(100 × 0.08 × 1.25)
		{"100/s at 400 ms", 100, 400 * time.Millisecond, 50}, // ceil(100 × 0.4 × 1.25)
		{"capped", 1000, time.Second, 64},
		{"low rate keeps the start", 1, 10 * time.Millisecond, 4},
		{"no limit: the cap", math.Inf(1), time.Millisecond, 64},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s, now := newSizer(4, 64), sizerT0
			if got := feed(s, &now, 50, tc.took, false, tc.rate); got != tc.want {
				t.Fatalf("limit %d, want %d", got, tc.want)
			}
		})
	}
}

func TestSizerFollowsLatency(t *testing.T) {
	s, now := newSizer(4, 64), sizerT0
	feed(s, &now, 50, 80*time.Millisecond, false, 100)
	if got := feed(s, &now, 50, 400*time.Millisecond, false, 100); got != 50 {
		t.Fatalf("after latency rose to 400 ms: %d, want 50", got)
	}
	if got := feed(s, &now, 50, 80*time.Millisecond, false, 100); got != 10 {
		t.Fatalf("after latency fell back to 80 ms: %d, want 10", got)
	}
}

func TestSizerShrinksOnFailuresAndRecovers(t *testing.T) {
	s, now := newSizer(4, 64), sizerT0
	took := 400 * time.Millisecond
	if got := feed(s, &now, 50, took, false, 100); got != 50 {
		t.Fatalf("healthy: %d, want 50", got)
	}
	low := feed(s, &now, 20, took, true, 100)
	if low >= 10 {
		t.Fatalf("after 20 failures in a row: %d in flight, want < 10", low)
	}
	if low < 1 {
		t.Fatalf("limit %d below 1", low)
	}
	// A single failure among successes does not halve it.
	mid := feed(s, &now, 200, took, false, 100)
	if mid <= low {
		t.Fatalf("no recovery after 200 successes: %d (was %d)", mid, low)
	}
	if got := s.observe(now.Add(took), took, true, 100); got < mid-1 {
		t.Fatalf("one failure among successes cut %d to %d", mid, got)
	}
	if got := feed(s, &now, 5000, took, false, 100); got != 50 {
		t.Fatalf("after a long healthy stretch: %d, want 50", got)
	}
}

func TestSizerCutsOncePerLatency(t *testing.T) {
	s, now := newSizer(4, 64), sizerT0
	feed(s, &now, 50, 400*time.Millisecond, false, 100) // 50
	feed(s, &now, 10, 400*time.Millisecond, true, 100)
	before := s.limit
	// A burst of failures at the same instant (all in flight together)
	// cuts at most once.
	for range 30 {
		s.observe(now, 400*time.Millisecond, true, 100)
	}
	if s.limit < before/2 {
		t.Fatalf("a burst at one instant cut %d to %d", before, s.limit)
	}
}

func TestSizerPausedKeepsLimit(t *testing.T) {
	s, now := newSizer(4, 64), sizerT0
	got := feed(s, &now, 50, 400*time.Millisecond, false, 100)
	if again := feed(s, &now, 5, 400*time.Millisecond, false, 0); again != got {
		t.Fatalf("rate 0 (paused) moved the limit %d -> %d", got, again)
	}
}

func TestSlotsResize(t *testing.T) {
	ctx := context.Background()
	s := newSlots(2)
	for range 2 {
		if err := s.acquire(ctx); err != nil {
			t.Fatal(err)
		}
	}
	got := make(chan struct{})
	go func() {
		if s.acquire(ctx) == nil {
			close(got)
		}
	}()
	select {
	case <-got:
		t.Fatal("a third slot of two was granted")
	default:
	}
	s.resize(3)
	<-got // the growth wakes the waiter
	// Shrinking below what is held lets nobody in until enough are back.
	s.resize(1)
	s.release()
	s.release()
	c, cancel := context.WithCancel(ctx)
	cancel()
	if err := s.acquire(c); err == nil {
		t.Fatal("acquired a slot with 1 held of 1")
	}
	s.release()
	if err := s.acquire(ctx); err != nil {
		t.Fatal(err)
	}
}

func TestSlotsAcquireEndsWithContext(t *testing.T) {
	s := newSlots(1)
	if err := s.acquire(context.Background()); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error)
	go func() { done <- s.acquire(ctx) }()
	cancel()
	if err := <-done; err == nil {
		t.Fatal("acquire returned nil after its context ended")
	}
}

// TestAutoWorkersCapsInFlight runs an import with --workers auto capped at
// 3: the first three requests wait for each other (so the run must allow
// three at once) and no more than three are ever in flight.
func TestAutoWorkersCapsInFlight(t *testing.T) {
	h := &harness{t: t, clock: throttletest.NewFakeClock(t0)}
	var mu sync.Mutex
	inFlight, most := 0, 0
	three := make(chan struct{})
	opened := false // later requests reach three in flight again
	during := func(*harness) {
		mu.Lock()
		inFlight++
		most = max(most, inFlight)
		if inFlight == 3 && !opened {
			opened = true
			close(three)
		}
		mu.Unlock()
		<-three
		mu.Lock()
		inFlight--
		mu.Unlock()
	}
	const rows = 12
	for i := range rows {
		a := created(fmt.Sprint("w", i))
		a.during = during
		h.script = append(h.script, a)
	}
	res, err, _ := h.run(rows, Config{AutoWorkers: true, MaxWorkers: 3})
	if err != nil {
		t.Fatal(err)
	}
	if res.Summary.Created != rows {
		t.Fatalf("created %d of %d", res.Summary.Created, rows)
	}
	if most > 3 {
		t.Fatalf("%d requests in flight, cap 3", most)
	}
}
