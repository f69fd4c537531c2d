package relations

// table maps 64-bit hashes to 32-bit values in 12 bytes a slot, at most
// 75% full (16 to 32 bytes an entry; a Go map[uint64]int32 takes about 40):
// open addressing with linear probing. Hash 0 is stored as 1, so two
// hashes 0 and 1 are one; with 64-bit hashes that never matters.
type table struct {
	keys []uint64 // 0 marks an empty slot
	vals []uint32
	n    int
}

// slot finds h's slot: where it is, or the empty one it would go to.
func (t *table) slot(h uint64) (int, bool) {
	mask := uint64(len(t.keys) - 1)
	for i := h & mask; ; i = (i + 1) & mask {
		switch t.keys[i] {
		case 0:
			return int(i), false
		case h:
			return int(i), true
		}
	}
}

func fix(h uint64) uint64 {
	if h == 0 {
		return 1
	}
	return h
}

// get returns h's value.
func (t *table) get(h uint64) (uint32, bool) {
	if t.n == 0 {
		return 0, false
	}
	i, ok := t.slot(fix(h))
	return t.vals[i], ok
}

// put sets h's value, unless h is there already and keep is set; it
// reports whether h was there.
func (t *table) put(h uint64, v uint32, keep bool) bool {
	h = fix(h)
	if (t.n+1)*4 > len(t.keys)*3 {
		t.grow()
	}
	i, found := t.slot(h)
	if found && keep {
		return true
	}
	if !found {
		t.keys[i] = h
		t.n++
	}
	t.vals[i] = v
	return found
}

func (t *table) grow() {
	size := max(1<<10, 2*len(t.keys))
	old, oldVals := t.keys, t.vals
	t.keys, t.vals, t.n = make([]uint64, size), make([]uint32, size), 0
	for i, h := range old {
		if h != 0 {
			t.put(h, oldVals[i], false)
		}
	}
}
