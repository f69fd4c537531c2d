package pipeline

import (
	"context"
	"fmt"
	"hash/maphash"
	"io"
	"math"

	"github.com/devrev-import/devrev-import/importer/source"
	"github.com/devrev-import/devrev-import/mapping"
)

// A dry run finds duplicate keys in bounded memory, so validating a file
// of any size stays flat: a blocked Bloom filter of fixed size remembers
// the keys seen; a key the filter may have seen before is a suspect. When
// there are suspects, a second pass over the file (Config.Reopen) tells
// true duplicates from the filter's false positives and reports them with
// the row their key first appeared on. The second pass stops at the last
// suspect's row: nothing after it can change a verdict. Files without
// duplicates are read once.

// bloomBlocks is the filter's size: 2^18 blocks of 512 bits = 16 MiB.
// With 8 bits a key, a million distinct keys give about one false positive
// in 1,200 files (four bits a key gave one per file, so most validates of a
// million rows read the file twice).
const (
	bloomBlockBits = 18
	bloomBlocks    = 1 << bloomBlockBits
)

// bloomBatch is how many keys the filter queues before adding them: 2^18
// keys (2 MiB of hashes queued and 2 MiB sorted, 1 MiB of rows) fall on
// most of the filter's 2^18 blocks, so a flush walks the 16 MiB forward
// nearly block by block and the CPU's prefetcher hides most misses. With
// 2^15 (a few keys in each 4 KiB page, every one a cache miss) the filter
// was 8% of a CSV validate's CPU; 2^17 took twice as many walks of the
// filter a million keys as 2^18 does.
const bloomBatch = 1 << 18

// bloom is a blocked Bloom filter: the bits of a key lie in one 64-byte
// block, picked by the hash's top bits. Keys are queued and added a batch
// at a time in the order of the filter's pages, so the 16 MiB are walked
// forward (a batch touches a few blocks of each page) instead of costing a
// cache and TLB miss per key: that miss was a seventh of a CSV validate's
// CPU.
type bloom struct {
	blocks   [][8]uint64 // from bloomMemory; release frees them
	free     func()
	pending  []uint64 // the queued keys' hashes, in row order
	rows     []uint32 // their rows, less base (only sorting moves less)
	base     int      // the row of the batch's first key
	sorted   []uint64 // pending by segment (see bySegment)
	start    []int32  // bySegment's counts
	suspects map[uint64]struct{}
	last     int // the row of the last suspect
}

// add queues the hash of row's key (rows come in increasing order); flush
// decides whether it is a suspect.
func (b *bloom) add(h uint64, row int) {
	if len(b.pending) > 0 && uint64(row-b.base) > math.MaxUint32 {
		b.flush() // keep the batch's rows within a uint32 of its first
	}
	if len(b.pending) == 0 {
		b.base = row
	}
	b.pending = append(b.pending, h)
	b.rows = append(b.rows, uint32(row-b.base))
	if len(b.pending) == bloomBatch {
		b.flush()
	}
}

// takeSuspects adds the queued keys and returns the hashes that may have
// been added more than once, and the row of the last suspect.
func (b *bloom) takeSuspects() (map[uint64]struct{}, int) {
	b.flush()
	return b.suspects, b.last
}

// flush adds the queued keys in the order of the filter's pages (equal
// hashes in row order, so that a key's later rows are its suspects); a key
// the filter may have held already is a suspect.
func (b *bloom) flush() {
	if len(b.pending) == 0 {
		return
	}
	if b.blocks == nil {
		b.blocks, b.free = bloomMemory(bloomBlocks)
		b.start = make([]int32, 1<<bloomSegBits+1)
	}
	if len(b.sorted) < len(b.pending) {
		b.sorted = make([]uint64, len(b.pending))
	}
	found := false
	for _, h := range b.bySegment() {
		if b.testAndSet(h) {
			if b.suspects == nil {
				b.suspects = make(map[uint64]struct{})
			}
			b.suspects[h] = struct{}{}
			found = true
		}
	}
	if found {
		b.last = max(b.last, b.lastSuspect())
	}
	b.pending, b.rows = b.pending[:0], b.rows[:0]
}

// lastSuspect returns the row of the batch's last key whose hash is a
// suspect. It is the last row that tested positive in flush: of a suspect
// hash's keys in the batch, the last one is always found in the filter
// (by the bits of an earlier key of the batch, or of an earlier batch).
func (b *bloom) lastSuspect() int {
	for i := len(b.pending) - 1; i >= 0; i-- {
		if _, ok := b.suspects[b.pending[i]]; ok {
			return b.base + int(b.rows[i])
		}
	}
	return 0
}

// release frees the filter's blocks; adding to it again starts afresh.
func (b *bloom) release() {
	if b.free != nil {
		b.free()
	}
	b.blocks, b.free, b.suspects, b.last = nil, nil, nil, 0
}

// bloomSegBits: the filter is walked in 2^17 segments of 128 bytes (two
// blocks), about one key a segment in a batch.
const bloomSegBits = 17

// bySegment returns the queued hashes ordered by the filter segment their
// block lies in (a counting sort: two passes, no comparisons), in the
// order they came within a segment, so that equal hashes keep their rows'
// order.
func (b *bloom) bySegment() []uint64 {
	start := b.start
	clear(start)
	for _, h := range b.pending {
		start[h>>(64-bloomSegBits)+1]++
	}
	for i := 1; i < len(start); i++ {
		start[i] += start[i-1]
	}
	out := b.sorted[:len(b.pending)]
	for _, h := range b.pending {
		seg := h >> (64 - bloomSegBits)
		out[start[seg]] = h
		start[seg]++
	}
	return out
}

// testAndSet reports whether h may have been added before, and adds it.
func (b *bloom) testAndSet(h uint64) bool {
	blk := &b.blocks[h>>(64-bloomBlockBits)]
	// The positions come from the other 46 bits of h: two 64-bit mixes,
	// whose top bits (which depend on every bit of the factor) give 9 bits
	// for each of the bloomBits positions, four a mix. Written out rather
	// than looped: the loop's variable shifts and indexing were three
	// quarters of the instructions a key. Without branches: whether a bit
	// was new is a coin toss for a new key, so a branch per bit was
	// mispredicted half the time.
	m := h & (1<<(64-bloomBlockBits) - 1)
	g0, g1 := m*0x9E3779B97F4A7C15, m*0xC2B2AE3D27D4EB4F
	fresh := setBit(blk, g0>>55)
	fresh |= setBit(blk, g0>>46)
	fresh |= setBit(blk, g0>>37)
	fresh |= setBit(blk, g0>>28)
	fresh |= setBit(blk, g1>>55)
	fresh |= setBit(blk, g1>>46)
	fresh |= setBit(blk, g1>>37)
	fresh |= setBit(blk, g1>>28)
	return fresh == 0
}

// bloomBits is how many bits of its block a key sets (testAndSet's eight
// setBit calls).
const bloomBits = 8

// setBit sets bit pos&511 of a block and returns it if it was not set
// before (0 if it was).
func setBit(blk *[8]uint64, pos uint64) uint64 {
	w, m := pos>>6&7, uint64(1)<<(pos&63)
	fresh := m &^ blk[w]
	blk[w] |= m
	return fresh
}

// confirmDuplicates is the second pass, up to row last (the last suspect):
// among the rows whose key hash is a suspect, the first valid row of a key
// keeps it and every later one is a duplicate, counted as failed instead
// of valid.
func (r *run) confirmDuplicates(ctx context.Context, suspects map[uint64]struct{}, last int) error {
	src, err := r.cfg.Reopen()
	if err != nil {
		return err
	}
	defer src.Close()
	first := make(map[uint64]int32, len(suspects))
	var scratch mapping.Work
	for {
		row, err := src.Next()
		if err == io.EOF || (err == nil && row.Number > last) {
			return nil
		}
		if err != nil {
			return err
		}
		res := r.cfg.Mapper.MapInto(&scratch, row)
		if len(res.Problems) > 0 {
			continue
		}
		h := maphash.String(r.seed, res.Key)
		if _, ok := suspects[h]; !ok {
			continue
		}
		if r.cfg.Enrich != nil {
			if probs, err := r.cfg.Enrich(ctx, res.Work, row); err != nil || len(probs) > 0 {
				continue // invalid (or not checked) in the first pass too
			}
		}
		f, seen := first[h]
		if !seen {
			first[h] = int32(row.Number)
			continue
		}
		r.res.Summary.Valid--
		r.duplicate(row, res.Key, f)
	}
}

// duplicate records a row whose key an earlier row of the file has.
func (r *run) duplicate(row source.Row, key string, first int32) {
	r.failed(row, key, 0, "duplicate_key", fmt.Sprintf("key %q was already used by row %d of this file", key, first), 0)
}
