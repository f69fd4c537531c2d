package mapping

import (
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/devrev-import/devrev-import/importer/source"
)

// binding is a column (or a default) bound to a field, with everything its
// conversion needs computed once: the value map in lower case, the
// separator, the layout, the messages.
type binding struct {
	cols   []int  // header indices; several for a repeated list header; nil for defaults
	column string // header name ("defaults" for a default)
	field  string // field path for messages
	f      *fieldDef
	target int // index in the row's filled set
	rule   *ColumnRule

	values   *valueMap
	split    string // "" = "," or ";"
	layout   string
	nl       numericLayout // layout taken apart, when numericLayout reads it
	serials  bool          // accept Excel serial numbers in text cells
	lookup   bool          // values are names resolved later: no ID check
	loc      *time.Location
	custom   string     // custom field name (kCustom)
	as       customAs   // custom field type
	choices  *choiceSet // enum/uenum custom field: its labels (Mapper.Typed)
	ruleMsg  string     // the message for a value this field does not accept
	tooLong  string     // text fields: message prefix for values over the limit
	listItem bool       // list kinds: convert item by item
}

// valueMap is a column's value map prepared for case-insensitive lookup.
type valueMap struct {
	keys    []string // lower case, trimmed
	targets []string
	byKey   map[string]string // for large maps
	msg     string            // "is not one of Urgent, High, ..."
}

// get maps a trimmed cell value.
func (v *valueMap) get(s string) (string, bool) {
	if v.byKey != nil {
		t, ok := v.byKey[strings.ToLower(s)]
		return t, ok
	}
	for i, k := range v.keys {
		if len(k) == len(s) && strings.EqualFold(k, s) {
			return v.targets[i], true
		}
	}
	return "", false
}

// newBinding prepares a rule (from a mapping file, a header, or a default)
// for conversion. The rule must have passed Parse's checks.
func newBinding(tab map[string]*fieldDef, r *ColumnRule, loc *time.Location) *binding {
	b := &binding{column: r.Column, field: r.Field, rule: r, split: r.Split, layout: r.Format, loc: loc, lookup: r.Lookup != ""}
	def, custom := findField(tab, r.Field)
	if custom {
		b.custom = r.Field[len(customPrefix):]
		if i := indexOf(asChoices, r.As); i >= 0 {
			b.as = customAs(i)
		}
		def = &fieldDef{name: r.Field, kind: kCustom, types: tAll}
	}
	if def == nil { // unreachable after Parse; keep the binding harmless
		def = &fieldDef{name: r.Field, kind: kText, types: tAll, str: func(w *Work) *string { return new(string) }}
	}
	b.f = def
	b.field = def.name
	b.listItem = def.kind.isList()
	b.serials = b.layout == ""
	b.nl = compileNumericLayout(b.layout)
	if len(r.Values) > 0 {
		vm := &valueMap{}
		for _, k := range r.ValueOrder {
			vm.keys = append(vm.keys, strings.ToLower(k))
			vm.targets = append(vm.targets, r.Values[k])
		}
		if len(vm.keys) > 16 {
			vm.byKey = make(map[string]string, len(vm.keys))
			for i, k := range vm.keys {
				vm.byKey[k] = vm.targets[i]
			}
		}
		vm.msg = "is not one of " + listChoices(r.ValueOrder) + " (the values of column " + strconv.Quote(r.Column) + ")"
		b.values = vm
	}
	b.ruleMsg = ruleMessage(def, b)
	if def.kind == kText && def.maxLen > 0 {
		b.tooLong = "is too long: at most " + strconv.Itoa(def.maxLen) + " characters, this has "
	}
	return b
}

// listChoices renders allowed values for a message, eliding long lists.
func listChoices(vals []string) string {
	if len(vals) > 20 {
		return strings.Join(vals[:20], ", ") + ", … (" + strconv.Itoa(len(vals)) + " values)"
	}
	return strings.Join(vals, ", ")
}

// ruleMessage is the message for a value a field does not accept.
func ruleMessage(def *fieldDef, b *binding) string {
	switch def.kind {
	case kType, kEnum, kEnumList:
		return "is not one of " + strings.Join(def.enum, ", ")
	case kUenum:
		var ids, labels []string
		for _, v := range def.uenum {
			ids = append(ids, strconv.FormatInt(v.id, 10))
			labels = append(labels, v.label)
		}
		return "is not one of " + strings.Join(ids, ", ") + " or " + strings.Join(labels, ", ")
	case kID, kIDList, kStageID:
		return idRule(def.name, def.ids)
	case kTags:
		return idRule(def.name, def.ids) + `; write TAG-1 or TAG-1=value`
	case kBool:
		return "is not a yes/no value (true, false, yes, no, y, n, 1, 0)"
	case kFloat:
		return "is not a number"
	case kProbability:
		return "is not a probability (a number from 0 to 1, or a percentage such as 45%)"
	case kDateTime:
		return dateMessage(b.layout)
	case kMoney:
		return `is not an amount of money (write "12500.50 USD" or "USD 12500.50")`
	case kMoneyAmount:
		return "is not an amount (a decimal number such as 12500.50)"
	case kMoneyCurrency:
		return "is not an ISO 4217 currency code (such as USD, EUR, GBP)"
	case kCustom:
		switch b.as {
		case asInt:
			return "is not a whole number"
		case asNumber:
			return "is not a number"
		case asBool:
			return "is not a yes/no value (true, false, yes, no, y, n, 1, 0)"
		case asDate, asTimestamp:
			return dateMessage(b.layout)
		}
	}
	return "is not valid"
}

// dateMessage is the message for a value that is not a date.
func dateMessage(layout string) string {
	if layout != "" {
		return "is not a date in the form " + strconv.Quote(layout) + " (nor RFC 3339 such as 2024-03-01T14:30:00Z)"
	}
	return "is not a date (write 2024-03-01, 2024-03-01 14:30, RFC 3339 such as 2024-03-01T14:30:00+01:00, or an Excel serial number)"
}

// rowState is the work in progress of one Map call.
type rowState struct {
	m      *Mapper
	w      *Work
	probs  []Problem
	filled bitset
	col    int // header index of the cell being converted, -1 for defaults
}

// problem records a problem of the cell being converted.
func (st *rowState) problem(b *binding, value, msg string) {
	p := Problem{Col: st.col, Field: b.field, Value: cut(value), Msg: msg}
	if st.col >= 0 && st.m != nil && st.col < len(st.m.header) {
		p.Column = st.m.header[st.col]
	}
	st.probs = append(st.probs, p)
}

// check converts one value into a scratch work and returns its problems.
// Parse uses it for value-map targets and defaults.
func (b *binding) check(s string) []Problem {
	st := rowState{w: &Work{}, col: -1}
	b.convert(&st, trim(s), source.Text)
	return st.probs
}

// apply converts one non-empty, trimmed cell (value map first). It
// reports false for a list cell without any item (only separators), which
// counts as empty.
func (b *binding) apply(st *rowState, s string, k source.Kind) bool {
	if !b.listItem {
		if b.values != nil {
			t, ok := b.values.get(s)
			if !ok {
				st.problem(b, s, b.values.msg)
				return true
			}
			if t == "" {
				return true
			}
			s, k = t, source.Text
		}
		b.convertOne(st, s, k)
		return true
	}
	found := false
	for s != "" {
		var item string
		if item, s = b.nextItem(s); item == "" {
			continue
		}
		found = true
		if b.values != nil {
			t, ok := b.values.get(item)
			if !ok {
				st.problem(b, item, b.values.msg)
				continue
			}
			if t == "" {
				continue
			}
			item = t
		}
		b.convertItem(st, item)
	}
	return found
}

// convert converts a value that is already past the value map (a map
// target or a default): lists are split, scalars converted.
func (b *binding) convert(st *rowState, s string, k source.Kind) {
	if s == "" {
		return
	}
	if !b.listItem {
		b.convertOne(st, s, k)
		return
	}
	for s != "" {
		var item string
		if item, s = b.nextItem(s); item != "" {
			b.convertItem(st, item)
		}
	}
}

// nextItem splits the first item off a list cell: it returns the item,
// trimmed ("" for an empty one), and the rest of the cell.
func (b *binding) nextItem(s string) (item, rest string) {
	if b.split != "" {
		if i := strings.Index(s, b.split); i >= 0 {
			return trim(s[:i]), s[i+len(b.split):]
		}
		return trim(s), ""
	}
	for j := 0; j < len(s); j++ {
		if s[j] == ',' || s[j] == ';' {
			return trim(s[:j]), s[j+1:]
		}
	}
	return trim(s), ""
}

// convertItem converts one item of a list field.
func (b *binding) convertItem(st *rowState, s string) {
	f := b.f
	switch f.kind {
	case kIDList:
		id := s
		if !b.lookup {
			var ok bool
			if id, ok = checkID(s, f.ids); !ok {
				st.problem(b, s, b.ruleMsg)
				return
			}
		}
		p := f.strs(st.w)
		*p = append(*p, id)
	case kEnumList:
		i := enumIndex(s, f.enum)
		if i < 0 {
			st.problem(b, s, b.ruleMsg)
			return
		}
		p := f.strs(st.w)
		*p = append(*p, f.enum[i])
	case kTags:
		id, val := s, ""
		if i := strings.IndexByte(s, '='); i >= 0 {
			id, val = trim(s[:i]), trim(s[i+1:])
		}
		if !b.lookup {
			var ok bool
			if id, ok = checkID(id, f.ids); !ok {
				st.problem(b, s, b.ruleMsg)
				return
			}
		} else if id == "" {
			st.problem(b, s, "has no tag name before \"=\"")
			return
		}
		st.w.Tags = append(st.w.Tags, SetTag{ID: id, Value: val})
	}
}

// convertOne converts the value of a scalar field and stores it.
func (b *binding) convertOne(st *rowState, s string, k source.Kind) {
	f, w := b.f, st.w
	switch f.kind {
	case kText:
		if n := len(s); n > f.maxLen && f.maxLen > 0 {
			if r := utf8.RuneCountInString(s); r > f.maxLen {
				st.problem(b, s, b.tooLong+strconv.Itoa(r))
				return
			}
		}
		*f.str(w) = s
	case kID:
		id := s
		if !b.lookup {
			var ok bool
			if id, ok = checkID(s, f.ids); !ok {
				st.problem(b, s, b.ruleMsg)
				return
			}
		}
		*f.str(w) = id
	case kEnum:
		i := enumIndex(s, f.enum)
		if i < 0 {
			st.problem(b, s, b.ruleMsg)
			return
		}
		*f.str(w) = f.enum[i]
	case kType:
		i := enumIndex(s, f.enum)
		if i < 0 {
			st.problem(b, s, b.ruleMsg)
			return
		}
		w.Type = f.enum[i]
	case kUenum:
		v, ok := parseUenum(s, f.uenum)
		if !ok {
			st.problem(b, s, b.ruleMsg)
			return
		}
		*f.int64p(w) = &v
	case kBool:
		v, ok := parseBool(s)
		if !ok {
			st.problem(b, s, b.ruleMsg)
			return
		}
		*f.boolp(w) = &v
	case kFloat:
		v, ok := parseNumber(s)
		if !ok {
			st.problem(b, s, b.ruleMsg)
			return
		}
		*f.float(w) = &v
	case kProbability:
		v, ok := parseProbability(s)
		if !ok {
			st.problem(b, s, b.ruleMsg)
			return
		}
		*f.float(w) = &v
	case kDateTime:
		if k == source.Text && b.loc == time.UTC {
			// The usual CSV date: what the steps below give, cheaper.
			if c, ok := b.nl.read(s); ok {
				*f.str(w) = c.apiTime()
				return
			}
		}
		t, ok := b.date(s, k)
		if !ok {
			st.problem(b, s, b.ruleMsg)
			return
		}
		if !yearOK(t, time.UTC) {
			st.problem(b, s, msgDateRange)
			return
		}
		*f.str(w) = formatTime(t)
	case kMoney:
		amount, cur := splitMoney(s)
		a, ok := canonicalDecimal(amount)
		if !ok {
			st.problem(b, s, b.ruleMsg)
			return
		}
		c := ""
		if cur != "" {
			if c, ok = normCurrency(cur); !ok {
				st.problem(b, s, "has an unknown currency "+strconv.Quote(cur)+" (use an ISO 4217 code such as USD, EUR, GBP)")
				return
			}
		}
		m := moneyOf(f, w)
		m.Amount = a
		if c != "" {
			m.Currency = c
		}
	case kMoneyAmount:
		a, ok := canonicalDecimal(s)
		if !ok {
			st.problem(b, s, b.ruleMsg)
			return
		}
		moneyOf(f, w).Amount = a
	case kMoneyCurrency:
		c, ok := normCurrency(s)
		if !ok {
			st.problem(b, s, b.ruleMsg)
			return
		}
		moneyOf(f, w).Currency = c
	case kStageName:
		if w.Stage == nil {
			w.Stage = w.newStage()
		}
		w.Stage.Name = s
	case kStageID:
		id, ok := checkID(s, idAny)
		if !ok {
			st.problem(b, s, b.ruleMsg)
			return
		}
		if w.Stage == nil {
			w.Stage = w.newStage()
		}
		w.Stage.ID = id
	case kCustom:
		v, ok := b.customValue(s, k)
		if !ok {
			st.problem(b, s, b.ruleMsg)
			return
		}
		if w.CustomFields == nil {
			w.CustomFields = make(map[string]any, st.m.customs())
		}
		w.CustomFields[b.custom] = v
	case kIDList, kEnumList, kTags:
		b.convertItem(st, s)
	}
}

// moneyOf returns the money value of a field, creating it.
func moneyOf(f *fieldDef, w *Work) *Money {
	p := f.money(w)
	if *p == nil {
		*p = w.newMoney(p == &w.AnnualContractValue)
	}
	return *p
}

// date reads a date cell: XLSX date cells hold the wall clock as UTC RFC
// 3339, XLSX number cells an Excel serial, text cells any accepted form.
func (b *binding) date(s string, k source.Kind) (time.Time, bool) {
	switch k {
	case source.Date:
		return fromCellDate(s, b.loc)
	case source.Number:
		f, ok := parseNumber(s)
		if !ok {
			return time.Time{}, false
		}
		return excelSerial(f, b.loc)
	}
	return parseDateTimeBy(s, b.layout, &b.nl, b.loc, b.serials)
}

// customValue converts a custom field's value per its "as:" type.
func (b *binding) customValue(s string, k source.Kind) (any, bool) {
	if b.choices != nil {
		return b.choices.get(s)
	}
	switch b.as {
	case asInt:
		return parseInt(s)
	case asNumber:
		return parseNumber(s)
	case asBool:
		return parseBool(s)
	case asDate:
		t, ok := b.date(s, k)
		if !ok || !yearOK(t, b.loc) {
			return nil, false
		}
		return t.In(b.loc).Format(time.DateOnly), true
	case asTimestamp:
		t, ok := b.date(s, k)
		if !ok || !yearOK(t, time.UTC) {
			return nil, false
		}
		return formatTime(t), true
	}
	return s, true
}

// bitset is a set of small integers (the targets a row has filled); the
// first 64 need no allocation.
type bitset struct {
	lo uint64
	hi []uint64
}

func (s *bitset) set(i int) {
	if i < 64 {
		s.lo |= 1 << uint(i)
		return
	}
	i -= 64
	for len(s.hi) <= i/64 {
		s.hi = append(s.hi, 0)
	}
	s.hi[i/64] |= 1 << uint(i%64)
}

func (s *bitset) has(i int) bool {
	if i < 64 {
		return s.lo&(1<<uint(i)) != 0
	}
	i -= 64
	return i/64 < len(s.hi) && s.hi[i/64]&(1<<uint(i%64)) != 0
}
