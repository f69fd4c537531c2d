package pipeline

import (
	"hash/maphash"
	"strconv"
	"testing"
)

func TestKeySet(t *testing.T) {
	var s keySet
	seed := maphash.MakeSeed()
	const n = 100_000 // several grows
	for i := 1; i <= n; i++ {
		if first, dup := s.add(maphash.String(seed, strconv.Itoa(i)), int32(i)); dup {
			t.Fatalf("key %d reported as a duplicate of row %d", i, first)
		}
	}
	for _, i := range []int{1, 4096, 77_777, n} {
		first, dup := s.add(maphash.String(seed, strconv.Itoa(i)), int32(n+i))
		if !dup || first != int32(i) {
			t.Errorf("key %d again: dup %v first %d, want row %d", i, dup, first, i)
		}
	}
	// Hash 0 is a valid hash, stored apart from the empty marker.
	if _, dup := s.add(0, 1); dup {
		t.Error("hash 0 taken for a duplicate on first sight")
	}
	if first, dup := s.add(0, 2); !dup || first != 1 {
		t.Errorf("hash 0 again: dup %v first %d", dup, first)
	}
}

func BenchmarkKeySet(b *testing.B) {
	var s keySet
	seed := maphash.MakeSeed()
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		s.add(maphash.String(seed, strconv.Itoa(i)), int32(i))
	}
}

func TestBloom(t *testing.T) {
	var b bloom
	seed := maphash.MakeSeed()
	const n = 1_000_000
	falsePositives := 0
	for i := range n {
		if b.testAndSet(maphash.String(seed, strconv.Itoa(i))) {
			falsePositives++
		}
	}
	// About one in 4,000 runs at a million keys (four bits a key gave
	// about one in every run).
	if falsePositives > 1 {
		t.Errorf("%d false positives among %d distinct keys", falsePositives, n)
	}
	for _, i := range []int{0, 1, 99_999, n - 1} {
		if !b.testAndSet(maphash.String(seed, strconv.Itoa(i))) {
			t.Errorf("key %d added before, not reported as seen", i)
		}
	}
}
