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
	defer b.release()
	seed := maphash.MakeSeed()
	const n = 1_000_000
	for i := range n {
		b.add(maphash.String(seed, strconv.Itoa(i)), i+2)
	}
	// About one in 1,200 runs at a million keys (four bits a key gave
	// about one in every run).
	if fp, _ := b.takeSuspects(); len(fp) > 1 {
		t.Errorf("%d false positives among %d distinct keys", len(fp), n)
	}
	// Again: keys of an earlier batch, twice in one batch, and twice in
	// the last (partial) one, which takeSuspects flushes.
	row := n + 2
	add := func(k string) { b.add(maphash.String(seed, k), row); row++ }
	for _, k := range []string{"0", "1", "99999", strconv.Itoa(n - 1), "new", "new"} {
		add(k)
	}
	for range bloomBatch {
		add("x")
	}
	add("late")
	add("late")
	suspects, last := b.takeSuspects()
	for _, k := range []string{"0", "1", "99999", strconv.Itoa(n - 1), "new", "x", "late"} {
		if _, ok := suspects[maphash.String(seed, k)]; !ok {
			t.Errorf("key %q added twice, not a suspect", k)
		}
	}
	// The second pass reads up to the last suspect: the second "late",
	// although both are in one batch, sorted by hash.
	if last != row-1 {
		t.Errorf("last suspect at row %d, want %d", last, row-1)
	}
}
