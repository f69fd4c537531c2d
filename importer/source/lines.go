package source

import (
	"errors"
	"sort"
	"sync"
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
	points []linePoint
	first  int // smallest number the map knows (0: from the start)
	newest int // largest number added
}

// add records that row number starts on line; numbers must grow.
func (m *lineMap) add(number, line int) {
	delta := line - number
	m.mu.Lock()
	defer m.mu.Unlock()
	m.newest = number
	if n := len(m.points); n > 0 && m.points[n-1].delta == delta {
		return
	}
	if len(m.points) == maxLinePoints {
		half := maxLinePoints / 2
		m.points = append(m.points[:0], m.points[half:]...)
		m.first = m.points[0].number
	}
	m.points = append(m.points, linePoint{number, delta})
}

// lookup returns the line where row number starts, if known.
func (m *lineMap) lookup(number int) (int, bool) {
	m.mu.RLock()
	defer m.mu.RUnlock()
	if len(m.points) == 0 || number < m.points[0].number || number < m.first || number > m.newest {
		return 0, false
	}
	i := sort.Search(len(m.points), func(i int) bool { return m.points[i].number > number }) - 1
	return number + m.points[i].delta, true
}

// last returns the line of the newest row added.
func (m *lineMap) last() int {
	line, _ := m.lookup(m.newestNumber())
	return line
}

func (m *lineMap) newestNumber() int {
	m.mu.RLock()
	defer m.mu.RUnlock()
	return m.newest
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
