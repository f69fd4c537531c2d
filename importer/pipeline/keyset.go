package pipeline

// keySet remembers the 64-bit hashes of the keys of a file's rows, with the
// row each first appeared on, so a duplicate key names its first row. It
// takes 12 bytes a key at most 75% full (a map[uint64]int32 took about 37
// MB live and twice that while growing at 1M rows): open addressing with
// linear probing. Two different keys whose hashes collide would be taken
// for duplicates; with 64-bit hashes that is about one chance in 10^7 for
// a million rows.
type keySet struct {
	hashes []uint64 // 0 marks an empty slot
	rows   []int32
	n      int
}

// add records h for row, or returns the row h was first recorded for.
func (s *keySet) add(h uint64, row int32) (first int32, dup bool) {
	if h == 0 {
		h = 1 // 0 marks empty slots
	}
	if (s.n+1)*4 > len(s.hashes)*3 {
		s.grow()
	}
	mask := uint64(len(s.hashes) - 1)
	for i := h & mask; ; i = (i + 1) & mask {
		switch s.hashes[i] {
		case 0:
			s.hashes[i], s.rows[i] = h, row
			s.n++
			return 0, false
		case h:
			return s.rows[i], true
		}
	}
}

func (s *keySet) grow() {
	size := max(1<<12, 2*len(s.hashes))
	old, oldRows := s.hashes, s.rows
	s.hashes, s.rows, s.n = make([]uint64, size), make([]int32, size), 0
	for i, h := range old {
		if h != 0 {
			s.add(h, oldRows[i])
		}
	}
}
