package pipeline

import (
	"math/rand/v2"
	"testing"
)

// BenchmarkBloom adds a million distinct random key hashes to a fresh
// filter, as a dry run of a million-row file does.
func BenchmarkBloom(b *testing.B) {
	rng := rand.New(rand.NewPCG(1, 2))
	hs := make([]uint64, 1<<20)
	for i := range hs {
		hs[i] = rng.Uint64()
	}
	for b.Loop() {
		var f bloom
		for i, h := range hs {
			f.add(h, i+2)
		}
		s, _ := f.takeSuspects()
		f.release()
		if len(s) > 0 {
			b.Fatalf("%d suspects", len(s))
		}
	}
}
