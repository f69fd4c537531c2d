package pipeline

import (
	"context"
	"fmt"
	"hash/maphash"
	"io"
	"math/bits"

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
// in 4,000 files (four bits a key gave one per file, so most validates of a
// million rows read the file twice).
const bloomBlocks = 1 << 18

// bloomBits is how many bits of its block a key sets.
const bloomBits = 8

// bloom is a blocked Bloom filter: the bits of a key lie in one 64-byte
// block, so a lookup costs one cache miss.
type bloom struct {
	blocks [][8]uint64
}

// testAndSet reports whether h may have been added before, and adds it.
func (b *bloom) testAndSet(h uint64) bool {
	if b.blocks == nil {
		b.blocks = make([][8]uint64, bloomBlocks)
	}
	blk := &b.blocks[h&(bloomBlocks-1)]
	// Two 64-bit mixes of h give 9 bits for each position in the block.
	g := [2]uint64{bits.RotateLeft64(h, 23) * 0x9E3779B97F4A7C15, bits.RotateLeft64(h, 47) * 0xC2B2AE3D27D4EB4F}
	seen := true
	for i := 0; i < bloomBits; i++ {
		pos := (g[i/4] >> (9 * (i % 4))) & 511
		w, m := pos>>6, uint64(1)<<(pos&63)
		if blk[w]&m == 0 {
			seen = false
			blk[w] |= m
		}
	}
	return seen
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
