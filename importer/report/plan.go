package report

import (
	"bufio"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
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
// and per changed field of an update, written by a dry run. It is written
// to a temporary file renamed into place by Close, so a dry run that
// stops leaves no half plan; cells are neutralized against formula
// injection. Add may be called concurrently.
type PlanCSV struct {
	path, tmp string
	mu        sync.Mutex
	f         *os.File
	bw        *bufio.Writer
	w         *csv.Writer
	err       error
}

// CreatePlanCSV starts the plan at path (mode 0600).
func CreatePlanCSV(path string) (*PlanCSV, error) {
	f, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".*")
	if err != nil {
		return nil, fmt.Errorf("plan CSV: %w", err)
	}
	p := &PlanCSV{path: path, tmp: f.Name(), f: f, bw: bufio.NewWriter(f)}
	p.w = csv.NewWriter(p.bw)
	p.err = p.w.Write(PlanColumns)
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
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.err == nil {
		p.err = p.w.Write(rec)
	}
}

// Close finishes the plan and renames it into place; with keep false (the
// run failed before the plan was complete) it removes it instead.
func (p *PlanCSV) Close(keep bool) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.w.Flush()
	err := p.err
	if err == nil {
		err = p.w.Error()
	}
	if err == nil {
		err = p.bw.Flush()
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
