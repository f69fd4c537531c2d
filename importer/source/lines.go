package source

import (
	"errors"
	"sort"
	"sync"
	"sync/atomic"
)

// maxLinePoints bounds the memory of lineMap.
const maxLinePoints = 1 << 16

// linePoint says that from row number on, line = row + delta (until the
// next point).
type linePoint struct{ number, delta int }

// lineMap maps CSV row numbers (record ordinals) to the line where each
// record starts without storing a line per row: line - number only changes
// after a record spanning several lines or blank lines, so it keeps one
// point per change. It keeps the last maxLinePoints changes; rows before the
// oldest kept point are unknown. It is safe for concurrent use.
type lineMap struct {
	mu     sync.RWMutex
	points []linePoint  // guarded by mu
	newest atomic.Int64 // largest number added; stored after its point
	delta  int          // the newest point's delta (only add touches it)
	any    bool         // a point was added (only add touches it)
}

// add records that row number starts on line; numbers must grow. Only one
// goroutine may call it; the common case (same delta as the previous row)
// takes no lock.
func (m *lineMap) add(number, line int) {
	delta := line - number
	if !m.any || delta != m.delta {
		m.mu.Lock()
		if len(m.points) == maxLinePoints {
			half := maxLinePoints / 2
			m.points = append(m.points[:0], m.points[half:]...)
		}
		m.points = append(m.points, linePoint{number, delta})
		m.mu.Unlock()
		m.any, m.delta = true, delta
	}
	m.newest.Store(int64(number))
}

// lookup returns the line where row number starts, if known.
func (m *lineMap) lookup(number int) (int, bool) {
	newest := int(m.newest.Load())
	m.mu.RLock()
	defer m.mu.RUnlock()
	if len(m.points) == 0 || number < m.points[0].number || number > newest {
		return 0, false
	}
	i := sort.Search(len(m.points), func(i int) bool { return m.points[i].number > number }) - 1
	return number + m.points[i].delta, true
}

// last returns the line of the newest row added.
func (m *lineMap) last() int {
	line, _ := m.lookup(int(m.newest.Load()))
	return line
}

// joinErrs combines row errors: nil for none, the error itself for one, an
// errors.Join (flattened) for several.
func joinErrs(errs ...error) error {
	var flat []error
	for _, err := range errs {
		if err == nil {
			continue
		}
		if j, ok := err.(interface{ Unwrap() []error }); ok {
			flat = append(flat, j.Unwrap()...)
			continue
		}
		flat = append(flat, err)
	}
	switch len(flat) {
	case 0:
		return nil
	case 1:
		return flat[0]
	}
	return errors.Join(flat...)
}
