package mapping

import (
	"encoding/json"
	"errors"
	"strconv"
	"strings"

	"github.com/devrev-import/devrev-import/importer/source"
)

// Result is one converted row.
type Result struct {
	// Work is the request body. It is filled as far as the row allows even
	// when there are problems; a row with problems must not be sent.
	Work *Work
	// Key identifies the row across runs: the trimmed key cell; with
	// several key columns a JSON array of their trimmed cells, in key
	// column order; without key columns "h2:" and 16 hex digits of a hash
	// of the mapped cells (see hashKey). KeySchemeLegacy keys differ (see
	// Rekey). A row whose key cells are all empty is invalid and keyed
	// EmptyKey(row number).
	Key string
	// Problems lists everything wrong with the row; empty means valid.
	Problems []Problem
	// Links are the references the row's link columns make to other
	// works, in header order; Comments the comments of its comment
	// columns, in header order; Names its values of the by: columns other
	// rows' links name rows by. None of them is part of Work.
	Links    []LinkRef
	Comments []Comment
	Names    []RowName
}

// Problem is one thing wrong with a row.
type Problem struct {
	Col    int    // header index, -1 for the row as a whole
	Column string // header name ("" for row-level)
	Field  string // target field ("" when the problem is not about a field)
	Value  string // offending value, cut to 80 characters with "…"
	Msg    string // the rule, e.g. "is not one of blocker, high, medium, low"
}

// CutValue is a Problem's Value for the offending value s: cut to 80
// characters with "…". Packages that add problems of their own (lookup,
// schema) cut by it, so every message shows values alike.
func CutValue(s string) string { return cut(s) }

// Format renders a problem after a location from the reader
// (source.Reader.Where(row, col)):
//
//	tickets.csv:14 column "Priority" (severity): "urgent" is not one of blocker, high, medium, low
//	tickets.csv:14 (title): required field is empty
func (p Problem) Format(where string) string {
	var b strings.Builder
	b.Grow(len(where) + len(p.Field) + len(p.Value) + len(p.Msg) + 8)
	b.WriteString(where)
	if p.Field != "" {
		b.WriteString(" (")
		b.WriteString(p.Field)
		b.WriteByte(')')
	}
	b.WriteString(": ")
	if p.Value != "" {
		b.WriteString(strconv.Quote(p.Value))
		b.WriteByte(' ')
	}
	b.WriteString(p.Msg)
	return b.String()
}

// Messages that do not depend on the row.
const (
	msgRequired   = "required field is empty"
	msgNoType     = "required field is empty (no type in this row and no default type)"
	msgEmptyKey   = "key is empty"
	msgNoAmount   = "has a currency but no amount"
	msgNoCurrency = "has an amount but no currency (write \"12500.50 USD\", or add a currency column or default)"
)

// Map converts one row. It never fails as a whole: every problem of the
// row is listed, including each error of row.Err (with the column of the
// cell a *source.RowError names, else Col -1).
func (m *Mapper) Map(row source.Row) Result {
	return m.mapRow(&Work{}, row)
}

// MapInto is Map writing into w instead of a new Work: w is emptied first
// and its lists, custom field map and sub-objects are reused, so a dry run
// that only needs the problems allocates almost nothing per row. The
// result's Work is w, and its Links, Comments and Names reuse w's arrays
// too: they are only valid until the next MapInto with the same w. Use
// one w per goroutine.
func (m *Mapper) MapInto(w *Work, row source.Row) Result {
	w.reset()
	return m.mapRow(w, row)
}

// mapRow converts row into w, which must be empty.
func (m *Mapper) mapRow(w *Work, row source.Row) Result {
	st := rowState{m: m, w: w}
	if row.Err != nil {
		st.probs = m.readerProblems(st.probs, row.Err)
	}
	cells := row.Cells

	// The row's work type comes first: it decides which fields are allowed.
	st.w.Type = m.defType
	typeFailed := false
	if b := m.typeBind; b != nil {
		for _, c := range b.cols {
			if s, k := cellAt(cells, c); s != "" {
				st.col = c
				before := len(st.probs)
				b.apply(&st, s, k)
				if typeFailed = len(st.probs) > before; typeFailed {
					st.w.Type = "" // unknown: no field can be checked against it
				}
				st.filled.set(b.target)
				break
			}
		}
	}
	typ := typeBit(st.w.Type)
	if st.w.Type == "" && !typeFailed {
		st.probs = append(st.probs, m.rowProblem("type", -1, msgNoType))
	}

	for _, cb := range m.cells {
		// cellAt written out (with a call it cost a sixth of a row).
		if uint(cb.col) >= uint(len(cells)) {
			continue
		}
		s, k := cells[cb.col].Value, cells[cb.col].Kind
		if s != "" && untrimmed(s) {
			s = strings.TrimSpace(s)
		}
		if s == "" {
			continue
		}
		b := cb.b
		st.col = cb.col
		if typ != 0 && cb.types&typ == 0 {
			st.filled.set(b.target)
			st.problem(b, s, "cannot be set: "+b.field+" is not a field of "+st.w.Type+" works (it belongs to "+b.f.types.names()+")")
			continue
		}
		if b.apply(&st, s, k) {
			st.filled.set(b.target)
		}
	}

	st.col = -1
	for _, d := range m.defaults {
		b := d.b
		if st.filled.has(b.target) || (typ != 0 && b.f.types&typ == 0) || !defaultApplies(b, st.w) {
			continue
		}
		for _, v := range d.values {
			b.convert(&st, v, source.Text)
		}
	}

	var res Result
	if len(m.links)+len(m.comments)+len(m.byCols) > 0 {
		m.mapRelations(&st, cells, &res)
	}
	m.finish(&st, typ)
	key, ok := m.rowKey(cells)
	if !ok {
		st.probs = append(st.probs, m.emptyKeyProblem())
		key = EmptyKey(row.Number)
	}
	res.Work, res.Key, res.Problems = st.w, key, st.probs
	return res
}

// defaultApplies reports whether a money default fits what the row has:
// a currency default completes an amount, it never creates a value alone.
func defaultApplies(b *binding, w *Work) bool {
	switch b.f.kind {
	case kMoney:
		return *b.f.money(w) == nil
	case kMoneyAmount:
		mo := *b.f.money(w)
		return mo == nil || mo.Amount == ""
	case kMoneyCurrency:
		mo := *b.f.money(w)
		return mo != nil && mo.Currency == ""
	}
	return true
}

// finish runs the checks that need the whole row: required fields, list
// lengths, complete money values, the custom schema spec.
func (m *Mapper) finish(st *rowState, typ typeSet) {
	w := st.w
	for i := range m.required {
		r := &m.required[i]
		if r.types&typ == 0 && r.types != tAll {
			continue // not required for this type, or the type is unknown
		}
		if r.target >= 0 && st.filled.has(r.target) {
			continue // a cell was there; if it was bad, that is reported
		}
		if !isEmptyField(w, r.field) {
			continue // a default filled it
		}
		st.probs = append(st.probs, m.rowProblem(r.field, r.col, msgRequired))
	}
	if n := len(w.DevelopedWith); n > 8 {
		st.probs = append(st.probs, m.rowProblem("developed_with", m.firstCol("developed_with"), "has "+strconv.Itoa(n)+" parts; at most 8 are allowed"))
	}
	if w.Value != nil || w.AnnualContractValue != nil { // the rare row with money
		m.checkMoney(st, w.Value, "value")
		m.checkMoney(st, w.AnnualContractValue, "annual_contract_value")
	}
	if len(w.CustomFields) > 0 {
		w.CustomSchemaSpec = w.newSpec()
	}
}

// checkMoney reports a money value with only one of its two parts.
func (m *Mapper) checkMoney(st *rowState, v *Money, field string) {
	if v == nil {
		return
	}
	if v.Amount == "" {
		st.probs = append(st.probs, m.rowProblem(field, m.firstCol(field, field+".amount", field+".currency"), msgNoAmount))
	}
	if v.Currency == "" {
		st.probs = append(st.probs, m.rowProblem(field, m.firstCol(field, field+".amount", field+".currency"), msgNoCurrency))
	}
}

// isEmptyField reports whether a required field has no value in w.
func isEmptyField(w *Work, field string) bool {
	switch field {
	case "title":
		return w.Title == ""
	case "applies_to_part":
		return w.AppliesToPart == ""
	case "owned_by":
		return len(w.OwnedBy) == 0
	case "account":
		return w.Account == ""
	}
	return false
}

// firstCol returns the first header index feeding any of fields, or -1.
func (m *Mapper) firstCol(fields ...string) int {
	for _, b := range m.cols {
		for _, f := range fields {
			if b.field == f {
				return b.cols[0]
			}
		}
	}
	return -1
}

// rowProblem builds a problem about a field as a whole.
func (m *Mapper) rowProblem(field string, col int, msg string) Problem {
	p := Problem{Col: col, Field: field, Msg: msg}
	if col >= 0 && col < len(m.header) {
		p.Column = m.header[col]
	}
	return p
}

// readerProblems appends one problem per error the reader found in a row
// (row.Err is one error or an errors.Join of several). A *source.RowError
// about a cell keeps that cell's column, so the message names the cell.
func (m *Mapper) readerProblems(probs []Problem, err error) []Problem {
	errs := []error{err}
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		errs = j.Unwrap()
	}
	for _, e := range errs {
		var re *source.RowError
		if !errors.As(e, &re) {
			probs = append(probs, Problem{Col: -1, Msg: e.Error()})
			continue
		}
		col := re.Column - 1
		if col >= len(m.header) {
			col = -1
		}
		probs = append(probs, m.rowProblem("", col, re.Msg))
	}
	return probs
}

// cellAt returns the trimmed value and kind of a cell (empty if missing).
func cellAt(cells []source.Cell, i int) (string, source.Kind) {
	if i < 0 || i >= len(cells) {
		return "", source.Text
	}
	c := cells[i]
	return trim(c.Value), c.Kind
}

// EmptyKey is the key an invalid row whose key cells are all empty is
// journaled under: its row number after a leading space. No computed key
// starts with a space (key cells are trimmed; composite keys start with
// "[", hashes with "h"), so a stand-in never matches a real row's key.
func EmptyKey(row int) string {
	return " row " + strconv.Itoa(row) + ": empty key"
}

// Key returns the row's key as Map computes it, without mapping the row,
// so that a row already imported can be skipped before it is validated.
// ok is false when the key cells are all empty (Map reports that row
// invalid, under EmptyKey).
func (m *Mapper) Key(row source.Row) (key string, ok bool) {
	return m.rowKey(row.Cells)
}

// rowKey computes the row's key (see Result.Key).
func (m *Mapper) rowKey(cells []source.Cell) (string, bool) {
	switch {
	case len(m.keyCols) == 0 && m.keyScheme == KeySchemeLegacy:
		return HashKey(cells), true
	case len(m.keyCols) == 0:
		return m.hashKey(cells), true
	case len(m.keyCols) == 1:
		s, _ := cellAt(cells, m.keyCols[0])
		return s, s != ""
	}
	parts := make([]string, len(m.keyCols))
	empty := true
	for i, c := range m.keyCols {
		parts[i], _ = cellAt(cells, c)
		empty = empty && parts[i] == ""
	}
	if empty {
		return "", false
	}
	if m.keyScheme == KeySchemeLegacy {
		return strings.Join(parts, "|"), true
	}
	// A JSON array: ("A|B", "C") and ("A", "B|C") stay two keys.
	b, _ := json.Marshal(parts) // strings always marshal
	return string(b), true
}

// hashKey is the keyless key of KeySchemeCurrent (see hashOf).
func (m *Mapper) hashKey(cells []source.Cell) string {
	return hashOf(m.hashCols, cells)
}

// emptyKeyProblem reports a row whose key cells are all empty, naming them.
func (m *Mapper) emptyKeyProblem() Problem {
	names := make([]string, len(m.keyCols))
	for i, c := range m.keyCols {
		names[i] = strconv.Quote(m.header[c])
	}
	msg := msgEmptyKey + " (key column " + names[0] + ")"
	if len(names) > 1 {
		msg = msgEmptyKey + " (key columns " + strings.Join(names, ", ") + ")"
	}
	msg += ": the row cannot be told apart from others across runs"
	return m.rowProblem("", m.keyCols[0], msg)
}
