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
// ones wait for it, from the moment it waits (so a stream of look-alike
// rows cannot starve it).
type gate struct {
	mu    sync.Mutex
	slots map[uint64]*slot
}

type slot struct {
	inFlight    int
	waiting     int // reconciliations waiting for requests in flight
	reconciling bool
	changed     chan struct{} // made by a waiter, closed (and dropped) on every change
}

// enter waits until the slot of k admits the caller (a request: no
// reconciliation running; a reconciliation: nothing in flight and no other
// reconciliation), takes it, and returns the function that gives it back.
func (g *gate) enter(ctx context.Context, k uint64, reconcile bool) (func(), error) {
	g.mu.Lock()
	s := g.slot(k)
	if reconcile {
		s.waiting++ // keeps the slot, and holds new requests back
	}
	for {
		if reconcile && !s.reconciling && s.inFlight == 0 {
			s.waiting--
			s.reconciling = true
			break
		}
		if !reconcile && !s.reconciling && s.waiting == 0 {
			s.inFlight++
			break
		}
		if s.changed == nil {
			s.changed = make(chan struct{})
		}
		ch := s.changed
		g.mu.Unlock()
		select {
		case <-ch:
		case <-ctx.Done():
			if reconcile {
				g.mu.Lock()
				s.waiting--
				g.changedLocked(k, s)
				g.mu.Unlock()
			}
			return nil, ctx.Err()
		}
		g.mu.Lock()
		if !reconcile {
			s = g.slot(k) // an idle slot may have been forgotten meanwhile
		}
	}
	g.mu.Unlock()
	return func() { g.leave(k, s, reconcile) }, nil
}

// slot returns k's slot, made if there is none; the caller holds g.mu.
func (g *gate) slot(k uint64) *slot {
	if g.slots == nil {
		g.slots = make(map[uint64]*slot)
	}
	s := g.slots[k]
	if s == nil {
		s = &slot{}
		g.slots[k] = s
	}
	return s
}

func (g *gate) leave(k uint64, s *slot, reconcile bool) {
	g.mu.Lock()
	defer g.mu.Unlock()
	if reconcile {
		s.reconciling = false
	} else {
		s.inFlight--
	}
	g.changedLocked(k, s)
}

// changedLocked wakes the slot's waiters and forgets an idle slot; the
// caller holds g.mu. The channel is made only when somebody waits: a
// request that nobody waits for (nearly all) makes none.
func (g *gate) changedLocked(k uint64, s *slot) {
	if s.changed != nil {
		close(s.changed)
		s.changed = nil
	}
	if s.inFlight == 0 && s.waiting == 0 && !s.reconciling {
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
