package pipeline

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"hash/maphash"
	"slices"
	"sync"

	"github.com/devrev-import/devrev-import/importer/checkpoint"
	"github.com/devrev-import/devrev-import/mapping"
)

// fingerprint identifies a create request across runs: rows whose requests
// are byte for byte the same share it. It is written on the sending line.
func fingerprint(body []byte) string {
	sum := sha256.Sum256(body)
	return hex.EncodeToString(sum[:8])
}

// lookAlike hashes the fields every create request carries and
// reconciliation always compares (type, title, part, owners): two requests
// whose works could be mistaken for each other share it.
func lookAlike(seed maphash.Seed, w *mapping.Work) uint64 {
	var h maphash.Hash
	h.SetSeed(seed)
	for _, s := range []string{w.Type, w.Title, w.AppliesToPart} {
		h.WriteString(s)
		h.WriteByte(0)
	}
	owners := slices.Clone(w.OwnedBy)
	slices.Sort(owners)
	for _, o := range owners {
		h.WriteString(o)
		h.WriteByte(0)
	}
	return h.Sum64()
}

// gate keeps a reconciliation from looking while a request that looks
// alike is in flight: that request's work may already be listed, unclaimed,
// and would be taken for the reconciled row's. Requests that look alike
// still go out concurrently; only a reconciliation waits for them, and new
// ones wait for it.
type gate struct {
	mu    sync.Mutex
	slots map[uint64]*slot
}

type slot struct {
	inFlight    int
	reconciling bool
	changed     chan struct{} // closed and replaced on every change
}

// enter waits until the slot of k admits the caller (a request: no
// reconciliation running; a reconciliation: nothing in flight and no other
// reconciliation), takes it, and returns the function that gives it back.
func (g *gate) enter(ctx context.Context, k uint64, reconcile bool) (func(), error) {
	for {
		g.mu.Lock()
		if g.slots == nil {
			g.slots = make(map[uint64]*slot)
		}
		s := g.slots[k]
		if s == nil {
			s = &slot{changed: make(chan struct{})}
			g.slots[k] = s
		}
		if !s.reconciling && (!reconcile || s.inFlight == 0) {
			if reconcile {
				s.reconciling = true
			} else {
				s.inFlight++
			}
			g.mu.Unlock()
			return func() { g.leave(k, s, reconcile) }, nil
		}
		ch := s.changed
		g.mu.Unlock()
		select {
		case <-ch:
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
}

func (g *gate) leave(k uint64, s *slot, reconcile bool) {
	g.mu.Lock()
	defer g.mu.Unlock()
	if reconcile {
		s.reconciling = false
	} else {
		s.inFlight--
	}
	close(s.changed)
	s.changed = make(chan struct{})
	if s.inFlight == 0 && !s.reconciling {
		delete(g.slots, k)
	}
}

// claimants counts, per request fingerprint, the rows that may have
// created a work with no outcome recorded: the rows an earlier run left in
// doubt (from the checkpoint) plus this run's changes. Reconciliation
// claims at most that many look-alike works.
type claimants struct {
	state *checkpoint.State
	mu    sync.Mutex
	delta map[string]int
}

func (c *claimants) add(fp string, d int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.delta == nil {
		c.delta = make(map[string]int)
	}
	c.delta[fp] += d
}

func (c *claimants) count(fp string) int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.state.DoubtCount(fp) + c.delta[fp]
}
