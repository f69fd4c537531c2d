package pipeline

import (
	"context"
	"runtime"
	"testing"
	"time"
)

// A reconciliation waits for look-alike requests in flight; while it
// waits or runs, no new look-alike request goes out; other keys are free.
// A context already cancelled shows whether enter would have to wait.
func TestGateReconcileWaitsForLookAlikeRequests(t *testing.T) {
	var g gate
	ctx := context.Background()
	cancelled, cancel := context.WithCancel(ctx)
	cancel()
	mustEnter := func(c context.Context, k uint64, rec bool) func() {
		t.Helper()
		rel, err := g.enter(c, k, rec)
		if err != nil {
			t.Fatalf("enter(%d, reconcile=%v): %v, want admitted", k, rec, err)
		}
		return rel
	}
	mustWait := func(k uint64, rec bool, why string) {
		t.Helper()
		if rel, err := g.enter(cancelled, k, rec); err == nil {
			rel()
			t.Fatalf("enter(%d, reconcile=%v) admitted %s", k, rec, why)
		}
	}
	rel1 := mustEnter(cancelled, 1, false)
	rel2 := mustEnter(cancelled, 1, false) // look-alike requests go out together
	mustWait(1, true, "while look-alike requests are in flight")
	mustEnter(cancelled, 2, true)()

	done := make(chan func())
	go func() {
		rel, err := g.enter(ctx, 1, true)
		if err != nil {
			t.Error(err)
		}
		done <- rel
	}()
	deadline := time.Now().Add(10 * time.Second)
	for waiting := 0; waiting != 1; runtime.Gosched() {
		if time.Now().After(deadline) {
			t.Fatal("the reconciliation never started waiting")
		}
		g.mu.Lock()
		if s := g.slots[1]; s != nil {
			waiting = s.waiting
		}
		g.mu.Unlock()
	}
	mustWait(1, false, "a new request while a reconciliation waits")
	rel1()
	rel2()
	rel := <-done
	mustWait(1, false, "a request during a reconciliation")
	mustWait(1, true, "a second reconciliation")
	rel()
	mustEnter(cancelled, 1, false)()
	if n := len(g.slots); n != 0 {
		t.Errorf("%d slots left after everyone left", n)
	}
}
