package report

import (
	"bufio"
	"bytes"
	"cmp"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
)

// PlanColumns is the header of a plan CSV.
var PlanColumns = []string{"row", "key", "op", "work", "field", "old", "new"}

// PlanLine is one write a dry run found an import would make: a create
// (Field empty) or one changed field of an update (Old is "" when the
// work's current value was not read).
type PlanLine struct {
	Row           int
	Key, Op, Work string
	Field         string
	Old, New      json.RawMessage
	OldUnknown    bool // the current value was not read (shown as "?")
}

// PlanCSV is --plan-csv: what an import would write, one line per create
// and per changed field of an update, written by a dry run, in row order
// (workers finish rows in any order: Close puts them back in the file's).
// It is written to a temporary file renamed into place by Close, so a dry
// run that stops leaves no half plan; cells are neutralized against
// formula injection. Add may be called concurrently.
type PlanCSV struct {
	path, tmp string
	mu        sync.Mutex
	f         *os.File
	bw        *bufio.Writer
	line      bytes.Buffer // one record, encoded
	w         *csv.Writer  // into line
	size      int64        // bytes written to tmp
	head      int64        // of them, the header's
	index     []planRecord // where each line is in tmp, in the order added
	unsorted  bool         // a line came after one of a later row
	err       error
}

// planRecord is where one line of the plan is in the temporary file: 16
// bytes a line, so a plan of a million lines is put in order with 16 MB
// of memory and the lines themselves read back from the file.
type planRecord struct {
	row  int32
	size int32
	at   int64
}

// CreatePlanCSV starts the plan at path (mode 0600).
func CreatePlanCSV(path string) (*PlanCSV, error) {
	f, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".*")
	if err != nil {
		return nil, fmt.Errorf("plan CSV: %w", err)
	}
	p := &PlanCSV{path: path, tmp: f.Name(), f: f, bw: bufio.NewWriter(f)}
	p.w = csv.NewWriter(&p.line)
	p.write(PlanColumns)
	p.head = p.size // the header stays first
	return p, nil
}

// Path is where Close puts the plan.
func (p *PlanCSV) Path() string { return p.path }

// Add appends one line.
func (p *PlanCSV) Add(l PlanLine) {
	old := PlanValue(l.Old)
	if l.OldUnknown {
		old = "?"
	}
	rec := neutralizeAll([]string{strconv.Itoa(l.Row), l.Key, l.Op, l.Work, l.Field, old, PlanValue(l.New)})
	row := int32(min(l.Row, math.MaxInt32))
	p.mu.Lock()
	defer p.mu.Unlock()
	at := p.size
	if n := p.write(rec); n > 0 {
		if k := len(p.index); k > 0 && p.index[k-1].row > row {
			p.unsorted = true
		}
		p.index = append(p.index, planRecord{row: row, size: int32(n), at: at})
	}
}

// write encodes rec as one CSV record and appends it to the temporary
// file, returning its size (0 after a failure, which sticks); the caller
// holds p.mu.
func (p *PlanCSV) write(rec []string) int {
	if p.err != nil {
		return 0
	}
	p.line.Reset()
	if err := p.w.Write(rec); err != nil {
		p.err = err
		return 0
	}
	p.w.Flush()
	if p.err = p.w.Error(); p.err != nil {
		return 0
	}
	n, err := p.bw.Write(p.line.Bytes())
	p.size += int64(n)
	if p.err = err; err != nil {
		return 0
	}
	return n
}

// Close finishes the plan, puts its lines in row order and renames it into
// place; with keep false (the run failed before the plan was complete) it
// removes it instead.
func (p *PlanCSV) Close(keep bool) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	err := p.err
	if err == nil {
		err = p.bw.Flush()
	}
	if err == nil && keep && p.unsorted {
		err = p.sortInto()
	}
	if cerr := p.f.Close(); err == nil {
		err = cerr
	}
	if err != nil || !keep {
		os.Remove(p.tmp)
		if err != nil {
			return fmt.Errorf("plan CSV %s: %w", p.path, err)
		}
		return nil
	}
	if err := os.Rename(p.tmp, p.path); err != nil {
		os.Remove(p.tmp)
		return fmt.Errorf("plan CSV %s: %w", p.path, err)
	}
	return nil
}

// sortInto rewrites the temporary file with its lines in row order (lines
// of one row in the order they were added): into a second temporary file
// that replaces the first.
func (p *PlanCSV) sortInto() error {
	slices.SortStableFunc(p.index, func(a, b planRecord) int { return cmp.Compare(a.row, b.row) })
	out, err := os.CreateTemp(filepath.Dir(p.path), "."+filepath.Base(p.path)+".*")
	if err != nil {
		return err
	}
	bw := bufio.NewWriter(out)
	var buf []byte
	copyLine := func(at int64, size int) error {
		buf = slices.Grow(buf[:0], size)[:size]
		if _, err := p.f.ReadAt(buf, at); err != nil {
			return err
		}
		_, err := bw.Write(buf)
		return err
	}
	err = copyLine(0, int(p.head))
	for i := 0; i < len(p.index) && err == nil; i++ {
		err = copyLine(p.index[i].at, int(p.index[i].size))
	}
	if err == nil {
		err = bw.Flush()
	}
	if cerr := out.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		os.Remove(out.Name())
		return err
	}
	os.Remove(p.tmp)
	p.tmp = out.Name()
	return nil
}

// PlanValue renders a request value for a person: a JSON string as its
// text, a list of strings joined by "; ", null or nothing as "", anything
// else as compact JSON.
func PlanValue(v json.RawMessage) string {
	if len(v) == 0 || string(v) == "null" {
		return ""
	}
	var s string
	if json.Unmarshal(v, &s) == nil {
		return s
	}
	var list []string
	if json.Unmarshal(v, &list) == nil {
		return strings.Join(list, "; ") // owned_by, channels...: as a split cell reads
	}
	return string(v)
}

// FieldCounts renders per-field counts, most first: "title 31, owned_by 6".
func FieldCounts(m map[string]int) string {
	names := make([]string, 0, len(m))
	for k := range m {
		names = append(names, k)
	}
	sort.Slice(names, func(i, j int) bool {
		if m[names[i]] != m[names[j]] {
			return m[names[i]] > m[names[j]]
		}
		return names[i] < names[j]
	})
	parts := make([]string, len(names))
	for i, n := range names {
		parts[i] = n + " " + Thousands(m[n])
	}
	return strings.Join(parts, ", ")
}
