package mapping

import (
	"errors"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/devrev-import/devrev-import/importer/source"
)

// Options are the command-line settings that override the mapping file.
type Options struct {
	// Type is the default work type (--type). Precedence: Type, then the
	// mapping's type:, then none; with none and no column mapped to type,
	// Compile fails.
	Type string
	// Key lists the key columns (--key); it replaces the mapping's key:.
	Key []string
	// Location reads dates without a zone (--timezone). nil means the
	// mapping's timezone:, or UTC.
	Location *time.Location
	// Strict makes unmapped columns an error instead of a warning.
	Strict bool
}

// Mapper converts the rows of one file. It is built by Compile, never
// changes afterwards, and is safe for concurrent use by several goroutines.
type Mapper struct {
	header   []string
	loc      *time.Location
	defType  string
	typeBind *binding      // the column mapped to type, if any
	cols     []*binding    // the other mapped columns, in header order
	cells    []cellBinding // cols, one entry a header index (see flatten)
	defaults []defaultBinding
	keyCols  []int
	// keyScheme is how keys are computed: KeySchemeCurrent (0 means it)
	// or KeySchemeLegacy, for a checkpoint written before key schemes.
	keyScheme int
	hashCols  []hashCol // keyless rows: the cells hashed, by name
	required  []requiredField
	lookups   []ColumnRule
	fields    []string
	nCustom   int // number of custom fields fed by columns or defaults

	links    []linkBinding    // link columns, in header order
	comments []commentBinding // comment columns, in header order
	byNames  []string         // by: columns other rows' links name rows by
	byCols   []int            // their header indices
}

// customs is the size hint for a row's custom field map.
func (m *Mapper) customs() int {
	if m == nil {
		return 1
	}
	return m.nCustom
}

// cellBinding is one header index a column binding reads, with the work
// types its field belongs to: mapRow walks these rather than the bindings
// and, inside, their header indices, which cost a tenth of a row's mapping.
type cellBinding struct {
	b     *binding
	col   int
	types typeSet // b.f.types
}

// flatten sets m.cells from m.cols, keeping their order (binding by
// binding, each one's header indices in order). Whatever sets m.cols
// calls it.
func (m *Mapper) flatten() {
	m.cells = nil
	for _, b := range m.cols {
		for _, c := range b.cols {
			m.cells = append(m.cells, cellBinding{b: b, col: c, types: b.f.types})
		}
	}
}

// defaultBinding is a default value ready to be converted into a row.
type defaultBinding struct {
	b      *binding
	values []string
}

// requiredField is a field the API refuses a work without.
type requiredField struct {
	field  string
	types  typeSet // rows of these types need it
	target int     // -1 when no column or default feeds it
	col    int     // first column that feeds it, -1 if none
}

// Compile binds a mapping (nil: header names are field names, matched
// case-insensitively, e.g. "Title", "applies_to_part", "stage.name",
// "custom_fields.tnt__x", "value.amount") to a file's header.
//
// It returns warnings (a column that maps to nothing, a column whose field
// does not exist for the default type) and, for file-level problems, an
// error made of *ConfigError values joined with errors.Join: a mapped or key
// column missing from the header, a repeated header that is not a list
// field, no work type at all, unmapped columns with Strict, a default that
// cannot apply to the only work type.
func Compile(cfg *Config, header []string, opt Options) (*Mapper, []string, error) {
	c := newCompiler(cfg, header, opt)
	c.workType()
	c.claimColumns()
	c.bind()
	c.m.flatten()
	c.addDefaults()
	c.keyColumns()
	c.bindRelations()
	c.requiredFields()
	if len(c.errs) > 0 {
		return nil, c.warns, errors.Join(c.errs...)
	}
	return c.m, c.warns, nil
}

// compiler is the state of one Compile: the Mapper it builds, the
// problems found so far, and what the steps share.
type compiler struct {
	cfg    *Config // nil: header names are field names
	opt    Options
	header []string
	tab    map[string]*fieldDef
	file   string
	errs   []error
	warns  []string
	m      *Mapper

	typeFlagBad bool             // --type is not a work type (reported)
	dupHeaders  map[string][]int // header positions by lower-cased, trimmed name
	ignored     map[string]bool  // lower-cased names of ignored columns
	binds       []boundRule
	targets     map[string]int // target index of each field path
}

func newCompiler(cfg *Config, header []string, opt Options) *compiler {
	c := &compiler{cfg: cfg, opt: opt, header: header, tab: fieldTable(),
		m: &Mapper{header: append([]string(nil), header...)}, targets: map[string]int{}}
	if cfg != nil {
		c.file = cfg.File
	}
	c.m.loc = opt.Location
	if c.m.loc == nil && cfg != nil {
		c.m.loc = cfg.Location
	}
	if c.m.loc == nil {
		c.m.loc = time.UTC
	}
	return c
}

// fail records a problem of the mapping file at line:col.
func (c *compiler) fail(line, col int, format string, args ...any) {
	c.errs = append(c.errs, &ConfigError{File: c.file, Line: line, Column: col, Msg: fmt.Sprintf(format, args...)})
}

// flagFail records a problem of the flags (or of a file without mapping).
func (c *compiler) flagFail(format string, args ...any) {
	c.errs = append(c.errs, &ConfigError{Msg: fmt.Sprintf(format, args...)})
}

// workType sets the default work type: --type, else the mapping's type:.
func (c *compiler) workType() {
	if c.opt.Type != "" {
		i := enumIndex(strings.TrimSpace(c.opt.Type), workTypes[:])
		if i < 0 {
			c.flagFail("--type %q is not a work type%s", c.opt.Type, choices(c.opt.Type, workTypes[:]))
			c.typeFlagBad = true
		} else {
			c.m.defType = workTypes[i]
		}
	} else if c.cfg != nil {
		c.m.defType = c.cfg.Type
	}
}

// claimColumns finds which header positions each rule takes (without a
// mapping, a rule per header name that is a field), reports unmapped
// columns, and refuses a repeated header that feeds a one-value field.
func (c *compiler) claimColumns() {
	cfg, header := c.cfg, c.header
	claimed := make([]bool, len(header))
	c.dupHeaders = map[string][]int{}
	for i, h := range header {
		k := strings.ToLower(strings.TrimSpace(h))
		c.dupHeaders[k] = append(c.dupHeaders[k], i)
	}
	c.ignored = map[string]bool{"": true} // unnamed columns are skipped
	if cfg != nil {
		for _, ig := range cfg.Ignore {
			c.ignored[strings.ToLower(strings.TrimSpace(ig))] = true
		}
	}
	if cfg == nil {
		c.headerRules()
	} else {
		for i := range cfg.Columns {
			r := &cfg.Columns[i]
			cols := c.dupHeaders[strings.ToLower(r.Column)]
			if len(cols) == 0 {
				c.fail(r.Line, r.Col, "column %q is not in the header%s", r.Column, headerHint(r.Column, header))
				continue
			}
			c.binds = append(c.binds, boundRule{r, cols})
		}
	}
	for _, b := range c.binds {
		for _, col := range b.cols {
			claimed[col] = true
		}
	}
	for i, h := range header {
		k := strings.ToLower(strings.TrimSpace(h))
		if claimed[i] || c.ignored[k] {
			continue
		}
		if c.dupHeaders[k][0] != i {
			continue // reported with its first occurrence
		}
		if cfg != nil {
			c.unmapped(h)
		}
	}
	// A repeated header is refused only where it feeds a field that holds
	// one value; ignored and unmapped columns, and list fields, may repeat.
	for _, b := range c.binds {
		if len(b.cols) < 2 || isListField(c.tab, b.rule.Field) || b.rule.isRelation() {
			continue
		}
		c.fail(b.rule.Line, b.rule.Col, "column %q appears %d times in the header (columns %s), but %s holds one value: rename all but one, or map it to a list field (owned_by, tags, ...) whose cells are combined",
			b.rule.Column, len(b.cols), columnList(b.cols), b.rule.Field)
	}
}

// headerRules makes, without a mapping, one rule per header name that is
// a field; other names are unmapped.
func (c *compiler) headerRules() {
	seen := map[string]bool{}
	var rules []ColumnRule
	for _, h := range c.header {
		k := strings.ToLower(strings.TrimSpace(h))
		if c.ignored[k] || seen[k] {
			continue
		}
		seen[k] = true
		path := normalizeHeader(h)
		if a, ok := fieldAliases[path]; ok {
			path = a
		}
		if msg := fieldProblem(c.tab, path); msg != "" {
			if strings.HasPrefix(path, customPrefix) {
				c.flagFail("column %q: %s", h, msg)
			} else {
				c.unmapped(h)
			}
			continue
		}
		rules = append(rules, ColumnRule{Column: strings.TrimSpace(h), Field: path})
	}
	for _, e := range targetConflicts(c.tab, rules) {
		c.errs = append(c.errs, e)
	}
	for i := range rules {
		r := &rules[i]
		c.binds = append(c.binds, boundRule{r, c.dupHeaders[strings.ToLower(r.Column)]})
	}
}

// unmapped reports a column that feeds no field: a warning, an error
// with Strict.
func (c *compiler) unmapped(h string) {
	hint := didYouMean(normalizeHeader(h), fieldNames(c.tab))
	if def, _ := findField(c.tab, normalizeHeader(h)); def != nil && c.cfg != nil {
		// The mapping lists columns: one named like a field is not
		// taken for it.
		hint = fmt.Sprintf(" (it is named like %s: add %q under columns: to import it)", def.name, strings.TrimSpace(h)+": "+def.name)
	}
	msg := fmt.Sprintf("column %q is not mapped to any field%s", h, hint)
	if c.opt.Strict {
		c.flagFail("%s (--strict)", msg)
	} else {
		c.warns = append(c.warns, msg+"; ignored")
	}
}

// target is the index of the body target that field path fills.
func (c *compiler) target(path string) int {
	if i, ok := c.targets[path]; ok {
		return i
	}
	c.targets[path] = len(c.targets)
	return c.targets[path]
}

// bind makes the bindings, in header order, and checks the work type
// their fields need.
func (c *compiler) bind() {
	m := c.m
	sort.SliceStable(c.binds, func(i, j int) bool { return c.binds[i].cols[0] < c.binds[j].cols[0] })
	seenField := map[string]bool{}
	for _, bd := range c.binds {
		if bd.rule.isRelation() {
			continue // bindRelations
		}
		b := newBinding(c.tab, bd.rule, m.loc)
		b.cols = bd.cols
		b.target = c.target(b.field)
		if !seenField[b.field] {
			seenField[b.field] = true
			m.fields = append(m.fields, b.field)
		}
		if bd.rule.Lookup != "" {
			m.lookups = append(m.lookups, *bd.rule)
		}
		if b.f.kind == kType {
			m.typeBind = b
			continue
		}
		m.cols = append(m.cols, b)
	}
	if m.defType == "" && m.typeBind == nil && !c.typeFlagBad {
		c.flagFail("no work type: pass --type (%s), put type: in the mapping, or map a column to type", strings.Join(workTypes[:], ", "))
	}
	if defBit := typeBit(m.defType); m.typeBind == nil && defBit != 0 {
		for _, b := range m.cols {
			if b.f.types&defBit == 0 {
				c.warns = append(c.warns, fmt.Sprintf("column %q feeds %s, which is not a field of %s works (it belongs to %s); every non-empty cell will be an error", b.column, b.field, m.defType, b.f.types.names()))
			}
		}
	}
}

// addDefaults binds the mapping's defaults: values for fields no cell
// fills.
func (c *compiler) addDefaults() {
	cfg, m := c.cfg, c.m
	if cfg == nil {
		return
	}
	defBit := typeBit(m.defType)
	for _, field := range cfg.DefaultOrder {
		dv := cfg.Defaults[field]
		r := defaultRule(cfg, field, dv)
		b := newBinding(c.tab, &r, m.loc)
		if m.typeBind == nil && defBit != 0 && b.f.types&defBit == 0 {
			c.fail(dv.Line, dv.Col, "default for %s cannot be used: %s is not a field of %s works (it belongs to %s)", field, field, m.defType, b.f.types.names())
			continue
		}
		b.target = c.target(b.field)
		m.defaults = append(m.defaults, defaultBinding{b: b, values: dv.Values})
	}
}

// keyColumns finds the key columns (--key, else the mapping's key:): each
// one column of the header.
func (c *compiler) keyColumns() {
	cfg := c.cfg
	keys, fromFlag := c.opt.Key, true
	if len(keys) == 0 && cfg != nil {
		keys, fromFlag = cfg.Key, false
	}
	for _, k := range keys {
		cols := c.dupHeaders[strings.ToLower(strings.TrimSpace(k))]
		if len(cols) == 0 {
			if fromFlag {
				c.flagFail("--key: column %q is not in the header%s", k, headerHint(k, c.header))
			} else {
				c.fail(cfg.KeyLine, cfg.KeyCol, "key column %q is not in the header%s", k, headerHint(k, c.header))
			}
			continue
		}
		if len(cols) > 1 {
			msg := fmt.Sprintf("key column %q appears %d times in the header (columns %s): a key is one column", k, len(cols), columnList(cols))
			if fromFlag {
				c.flagFail("--key: %s", msg)
			} else {
				c.fail(cfg.KeyLine, cfg.KeyCol, "%s", msg)
			}
			continue
		}
		c.m.keyCols = append(c.m.keyCols, cols[0])
	}
}

// requiredFields notes where each field the API requires comes from, and
// the columns a row's look-alike hash covers.
func (c *compiler) requiredFields() {
	m := c.m
	for _, rq := range []struct {
		field string
		types typeSet
	}{{"title", tAll}, {"applies_to_part", tAll}, {"owned_by", tAll}, {"account", tOpportunity}} {
		r := requiredField{field: rq.field, types: rq.types, target: -1, col: -1}
		if i, ok := c.targets[rq.field]; ok {
			r.target = i
		}
		for _, b := range m.cols {
			if b.field == rq.field {
				r.col = b.cols[0]
				break
			}
		}
		m.required = append(m.required, r)
	}
	var mapped []int
	for _, b := range append([]*binding{m.typeBind}, m.cols...) {
		if b != nil {
			mapped = append(mapped, b.cols...)
		}
	}
	m.hashCols = m.hashColumns(mapped)
	for path := range c.targets {
		if strings.HasPrefix(path, customPrefix) {
			m.nCustom++
		}
	}
}

type boundRule struct {
	rule *ColumnRule
	cols []int
}

// isListField reports whether a field path is a list field.
func isListField(tab map[string]*fieldDef, path string) bool {
	def, _ := findField(tab, path)
	return def != nil && def.kind.isList()
}

// columnList names 0-based header positions as spreadsheet columns: "B, E
// and K".
func columnList(cols []int) string {
	names := make([]string, len(cols))
	for i, c := range cols {
		names[i] = source.ColumnName(c)
	}
	if len(names) < 2 {
		return strings.Join(names, "")
	}
	return strings.Join(names[:len(names)-1], ", ") + " and " + names[len(names)-1]
}

// headerHint suggests the closest header name, or lists a short header.
func headerHint(col string, header []string) string {
	if s := suggest(col, header); s != "" {
		return " (did you mean " + strconv.Quote(s) + "?)"
	}
	if len(header) <= 20 {
		q := make([]string, len(header))
		for i, h := range header {
			q[i] = strconv.Quote(h)
		}
		return " (the header has " + strings.Join(q, ", ") + ")"
	}
	return ""
}

// Type returns the default work type ("" when every row's type comes from
// a column).
func (m *Mapper) Type() string { return m.defType }

// Fields returns the field paths fed by columns, in header order.
func (m *Mapper) Fields() []string { return append([]string(nil), m.fields...) }

// LookupColumns returns the rules of columns whose values are names or
// emails to resolve through the API (lookup:). Map leaves their raw values
// in the Work; without a token they stay unchecked.
func (m *Mapper) LookupColumns() []ColumnRule { return append([]ColumnRule(nil), m.lookups...) }

// Header returns the header the Mapper was compiled for.
func (m *Mapper) Header() []string { return append([]string(nil), m.header...) }

// KeyColumns returns the header indices of the key columns (empty: the key
// is a hash of the row's cells).
func (m *Mapper) KeyColumns() []int { return append([]int(nil), m.keyCols...) }

// Key schemes: how row keys are computed. A checkpoint records the scheme
// of its keys, so that a later version of the tool keys rows the same way.
const (
	// KeySchemeLegacy is the scheme of checkpoints that record none: key
	// cells joined with "|", keyless rows hashed over every cell as read
	// ("h:"), so a trailing space or an added column made a new key.
	KeySchemeLegacy = 1
	// KeySchemeCurrent: composite keys as JSON arrays, keyless rows hashed
	// over their mapped cells, trimmed ("h2:"; see Result.Key).
	KeySchemeCurrent = 2
)

// hashCol is a column whose cell goes into a keyless row's hash.
type hashCol struct {
	name string // lower-case header name
	col  int
}

// hashColumns orders header positions by lower-case name (then position),
// so that moving a column does not change the hash.
func (m *Mapper) hashColumns(cols []int) []hashCol {
	out := make([]hashCol, 0, len(cols))
	for _, c := range cols {
		out = append(out, hashCol{name: strings.ToLower(strings.TrimSpace(m.header[c])), col: c})
	}
	sortHashCols(out)
	return out
}

// sortHashCols orders hashed columns by name, then position.
func sortHashCols(cols []hashCol) {
	sort.Slice(cols, func(i, j int) bool {
		if cols[i].name != cols[j].name {
			return cols[i].name < cols[j].name
		}
		return cols[i].col < cols[j].col
	})
}

// KeyNames returns the names of the key columns, in key order (empty:
// rows are keyed by a hash of their cells).
func (m *Mapper) KeyNames() []string {
	out := make([]string, len(m.keyCols))
	for i, c := range m.keyCols {
		out[i] = m.header[c]
	}
	return out
}

// HashedColumns returns the lower-case names of the columns whose cells
// key a keyless row, sorted (each once); nil with key columns.
func (m *Mapper) HashedColumns() []string {
	if len(m.keyCols) > 0 {
		return nil
	}
	var out []string
	for _, hc := range m.hashCols {
		if len(out) == 0 || out[len(out)-1] != hc.name {
			out = append(out, hc.name)
		}
	}
	return out
}

// KeyScheme returns the key scheme m computes keys with.
func (m *Mapper) KeyScheme() int {
	if m.keyScheme == 0 {
		return KeySchemeCurrent
	}
	return m.keyScheme
}

// Rekey returns a copy of m whose keys are those of a checkpoint written
// with scheme and, for keyless rows of KeySchemeCurrent, hashing the named
// columns (nil: m's own) instead of the ones m maps: resuming that
// checkpoint with a changed mapping must not give every row a new key. A
// hashed column missing from the header is an error: its cells would be
// missing from every hash.
func (m *Mapper) Rekey(scheme int, hashed []string) (*Mapper, error) {
	c := *m
	c.keyScheme = scheme
	if len(m.keyCols) > 0 || hashed == nil || scheme == KeySchemeLegacy {
		return &c, nil
	}
	cols, missing := hashColsNamed(m.header, hashed)
	if missing != "" {
		return nil, fmt.Errorf("column %q is not in the header, and the checkpoint's keys hash its cells", missing)
	}
	c.hashCols = cols
	return &c, nil
}

// Describe says what the Mapper does, an entry per mapped column, default
// and setting (`column "Priority"` → `severity, values {Urgent: blocker,
// ...}`), so that a checkpoint can name what changed between two runs.
func (m *Mapper) Describe() map[string]string {
	d := map[string]string{"timezone": m.loc.String()}
	if m.defType != "" {
		d["type"] = m.defType
	}
	for _, b := range append([]*binding{m.typeBind}, m.cols...) {
		if b != nil {
			d["column "+strconv.Quote(b.column)] = describeRule(b.field, b.rule)
		}
	}
	for _, db := range m.defaults {
		d["default "+db.b.field] = strings.Join(db.values, ", ")
	}
	m.describeRelations(d)
	return d
}

// describeRule renders a column's field and options.
func describeRule(field string, r *ColumnRule) string {
	var b strings.Builder
	b.WriteString(field)
	opt := func(name, v string) {
		if v != "" {
			b.WriteString(", " + name + " " + strconv.Quote(v))
		}
	}
	opt("as", r.As)
	opt("format", r.Format)
	opt("split", r.Split)
	opt("lookup", r.Lookup)
	if len(r.ValueOrder) > 0 {
		b.WriteString(", values {")
		for i, k := range r.ValueOrder {
			if i > 0 {
				b.WriteString(", ")
			}
			b.WriteString(k + ": " + r.Values[k])
		}
		b.WriteString("}")
	}
	return b.String()
}
