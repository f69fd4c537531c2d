// Package mapping turns spreadsheet rows into works.create request bodies.
//
// A mapping file (YAML, see Parse) says which column feeds which field of
// a work; without one, header names are field names. Compile binds a
// mapping to a file's header once, precomputing a converter per column, and
// Map then converts each row into a Work plus the complete list of its
// problems, checked against DevRev's works-create-request schema (required
// fields, enums, ID kinds, lengths, dates, money, fields that do not belong
// to the row's work type). The same Mapper serves the dry run (validate)
// and the sending pipeline.
package mapping

import (
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"time"
	_ "time/tzdata" // timezone names must work on machines without a zoneinfo database

	"go.yaml.in/yaml/v3"

	"github.com/devrev-import/devrev-import/importer/source"
)

// Config is a parsed mapping file.
type Config struct {
	File     string                  // name used in messages ("mapping.yaml")
	Type     string                  // default work type ("" if not given)
	Key      []string                // key column(s)
	Timezone string                  // zone name for dates without a zone
	Location *time.Location          // Timezone loaded; nil when Timezone is ""
	Columns  []ColumnRule            // in file order
	Defaults map[string]DefaultValue // field path -> value(s)
	// DefaultOrder lists the Defaults keys in file order.
	DefaultOrder []string
	Ignore       []string // columns to skip without a warning
	// Comments maps a separate comments file (--comments); nil = none.
	Comments *CommentsConfig

	// How the file is read, so a cron line need not repeat it; the
	// --sheet, --encoding and --delimiter flags override them.
	Sheet     string // XLSX sheet ("" = the first visible one)
	Encoding  string // CSV encoding ("" = UTF-8, BOM detected)
	Delimiter rune   // CSV delimiter (0 = detected)
	HeaderRow int    // the header's row (0 = the first row not empty; --header-row)

	// How a run writes, so a nightly cron line need not repeat it; the
	// --mode flag overrides Mode.
	Mode    string // "create", "upsert" or "update" ("" = create)
	TagsAdd bool   // tags: add: an update adds the row's tags instead of setting them

	// Positions in the file of the type and key entries (for messages).
	TypeLine, TypeCol int
	KeyLine, KeyCol   int
}

// ColumnRule maps one column of the file to one field of a work.
type ColumnRule struct {
	Column string            // header name
	Field  string            // target field path: "title", "stage.name", "custom_fields.tnt__x", "value.amount", "type", ...
	Values map[string]string // value map (keys matched case-insensitively after trimming); unmapped values are errors
	// ValueOrder lists the Values keys in file order, for messages.
	ValueOrder []string
	Split      string // list separator; "" = split on "," or ";"
	Format     string // Go time layout for date fields
	As         string // custom field type: text (default), int, number, bool, date, timestamp
	Lookup     string // dev_user.email, dev_user.name, part.name, tag.name, account.name, rev_org.name: values are resolved later, not checked as IDs
	// A link column (Link set) names other works; a comment column
	// (Comment set) holds comments. Neither feeds a field (see Result.Links,
	// Result.Comments).
	Link           string // link: as written: parent, children or a link type
	LinkType       string // the API link_type it makes (is_parent_of for parent and children)
	CustomLinkType string // custom_link_type of link: custom_link
	Reverse        bool   // the named work is the link's source (parent, reverse: true)
	By             string // the column whose values the cells name rows by ("" = the key)
	Comment        string // comment: jira or text
	Visibility     string // comment columns: visibility ("" = the comments: section's default, else internal)
	Line           int    // line of the column entry in the mapping file (0 without a file)
	Col            int    // column of the entry in the mapping file (1-based)

	valuePos [][2]int // line and column of each ValueOrder target
}

// DefaultValue is the value of one entry under "defaults:".
type DefaultValue struct {
	Values []string // one item for a scalar, several for a YAML list
	List   bool     // written as a YAML list
	Tag    string   // YAML tag of a scalar ("!!int", "!!bool", "!!str", ...), used to type custom fields
	Line   int
	Col    int

	itemPos [][2]int // line and column of each item of Values
}

// ConfigError is a mistake in a mapping file or in how it fits a file's
// header. Several may be joined with errors.Join; errors.As finds the first.
type ConfigError struct {
	File   string
	Line   int // 0 when the mistake has no line (a flag, a header)
	Column int
	Msg    string
}

// Error renders "file:line:col: msg", leaving out the parts that are unknown.
func (e *ConfigError) Error() string {
	var b strings.Builder
	if e.File != "" {
		b.WriteString(e.File)
		if e.Line > 0 {
			b.WriteByte(':')
			b.WriteString(strconv.Itoa(e.Line))
			if e.Column > 0 {
				b.WriteByte(':')
				b.WriteString(strconv.Itoa(e.Column))
			}
		}
		b.WriteString(": ")
	}
	b.WriteString(e.Msg)
	return b.String()
}

// topKeys are the keys allowed at the top of a mapping file.
var topKeys = []string{"type", "key", "timezone", "sheet", "encoding", "delimiter", "header_row", "mode", "tags", "columns", "defaults", "ignore", "comments"}

// Modes are the values of mode: (and --mode): how a run writes.
var Modes = []string{"create", "upsert", "update"}

// ruleKeys are the keys allowed in a column's rule.
var ruleKeys = []string{"field", "values", "split", "format", "as", "lookup"}

// Load reads and checks a mapping file. Mistakes are *ConfigError values
// (joined when there are several) naming the line and column.
func Load(path string) (*Config, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("reading mapping file: %w", err)
	}
	return Parse(filepath.Base(path), data)
}

// parser collects the mistakes of one mapping file.
type parser struct {
	file string
	errs []error
	tab  map[string]*fieldDef
}

func (p *parser) errAt(n *yaml.Node, format string, args ...any) {
	e := &ConfigError{File: p.file, Msg: fmt.Sprintf(format, args...)}
	if n != nil {
		e.Line, e.Column = n.Line, n.Column
	}
	p.errs = append(p.errs, e)
}

// Parse reads and checks a mapping file held in data; name is used in
// messages. Every mistake is reported, not just the first: unknown keys and
// fields (with "did you mean"), bad values in value maps and defaults,
// options that do not fit their field, unknown time zones.
func Parse(name string, data []byte) (*Config, error) {
	p := &parser{file: name, tab: fieldTable()}
	cfg := &Config{File: name, Defaults: map[string]DefaultValue{}}
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		return nil, yamlError(name, err)
	}
	if doc.Kind == 0 || len(doc.Content) == 0 {
		return nil, &ConfigError{File: name, Msg: "the mapping file is empty (expected keys: " + strings.Join(topKeys, ", ") + ")"}
	}
	root := resolve(doc.Content[0])
	if root.Kind != yaml.MappingNode {
		p.errAt(root, "the mapping file must be a map of keys (%s)", strings.Join(topKeys, ", "))
		return nil, errors.Join(p.errs...)
	}
	seen := map[string]bool{}
	for i := 0; i+1 < len(root.Content); i += 2 {
		k, v := resolve(root.Content[i]), resolve(root.Content[i+1])
		if seen[k.Value] {
			p.errAt(k, "key %q appears twice", k.Value)
			continue
		}
		seen[k.Value] = true
		switch k.Value {
		case "type":
			p.parseType(cfg, v)
		case "key":
			cfg.Key = p.stringList(v, "key")
			cfg.KeyLine, cfg.KeyCol = v.Line, v.Column
		case "timezone":
			if s, ok := p.scalar(v, "timezone"); ok {
				loc, err := loadZone(s)
				if err != nil {
					p.errAt(v, "unknown time zone %q (use an IANA name such as Europe/Berlin, or UTC)", s)
				} else {
					cfg.Timezone, cfg.Location = s, loc
				}
			}
		case "sheet", "encoding", "delimiter", "header_row":
			p.parseReading(cfg, k.Value, v)
		case "mode":
			p.parseMode(cfg, v)
		case "tags":
			p.parseTags(cfg, v)
		case "columns":
			p.parseColumns(cfg, v)
		case "defaults":
			p.parseDefaults(cfg, v)
		case "ignore":
			cfg.Ignore = p.stringList(v, "ignore")
		case "comments":
			p.parseComments(cfg, v)
		default:
			p.errAt(k, "unknown key %q%s", k.Value, choices(k.Value, topKeys))
		}
	}
	p.checkColumns(cfg)
	if len(p.errs) > 0 {
		sortErrors(p.errs)
		return nil, errors.Join(p.errs...)
	}
	return cfg, nil
}

// sortErrors orders mistakes by position; those without a line go last.
func sortErrors(errs []error) {
	pos := func(e error) (int, int) {
		var ce *ConfigError
		if errors.As(e, &ce) && ce.Line > 0 {
			return ce.Line, ce.Column
		}
		return math.MaxInt, 0
	}
	sort.SliceStable(errs, func(i, j int) bool {
		li, ci := pos(errs[i])
		lj, cj := pos(errs[j])
		return li < lj || li == lj && ci < cj
	})
}

// loadZone loads an IANA zone; "UTC" and "Local" are not special except
// that an empty name is refused.
func loadZone(name string) (*time.Location, error) {
	if name == "" {
		return nil, errors.New("empty time zone")
	}
	return time.LoadLocation(name)
}

// yamlError turns a YAML syntax error into a *ConfigError with its line.
func yamlError(name string, err error) error {
	msg := strings.TrimPrefix(err.Error(), "yaml: ")
	line := 0
	if rest, ok := strings.CutPrefix(msg, "line "); ok {
		if i := strings.IndexByte(rest, ':'); i > 0 {
			if n, err := strconv.Atoi(rest[:i]); err == nil {
				line = n
				msg = strings.TrimSpace(rest[i+1:])
			}
		}
	}
	return &ConfigError{File: name, Line: line, Msg: "not valid YAML: " + msg}
}

// resolve follows YAML aliases.
func resolve(n *yaml.Node) *yaml.Node {
	for i := 0; n != nil && n.Kind == yaml.AliasNode && n.Alias != nil && i < 16; i++ {
		n = n.Alias
	}
	return n
}

// scalar returns the text of a scalar node, reporting anything else.
func (p *parser) scalar(n *yaml.Node, what string) (string, bool) {
	if n.Kind != yaml.ScalarNode || n.Tag == "!!null" {
		p.errAt(n, "%s must be a single value", what)
		return "", false
	}
	return strings.TrimSpace(n.Value), true
}

// stringList reads a scalar or a list of scalars.
func (p *parser) stringList(n *yaml.Node, what string) []string {
	switch n.Kind {
	case yaml.ScalarNode:
		if n.Tag == "!!null" || strings.TrimSpace(n.Value) == "" {
			p.errAt(n, "%s is empty", what)
			return nil
		}
		return []string{strings.TrimSpace(n.Value)}
	case yaml.SequenceNode:
		var out []string
		for _, c := range n.Content {
			c = resolve(c)
			if s, ok := p.scalar(c, what+" entry"); ok {
				if s == "" {
					p.errAt(c, "%s entry is empty", what)
					continue
				}
				out = append(out, s)
			}
		}
		return out
	}
	p.errAt(n, "%s must be a column name or a list of column names", what)
	return nil
}

// parseReading reads the keys that say how the file is read: sheet:,
// encoding:, delimiter: (which keeps its spaces: "\t" is a tab) and
// header_row:.
func (p *parser) parseReading(cfg *Config, key string, v *yaml.Node) {
	if v.Kind != yaml.ScalarNode || v.Tag == "!!null" {
		p.errAt(v, "%s must be a single value", key)
		return
	}
	if strings.TrimSpace(v.Value) == "" && (key != "delimiter" || v.Value == "") {
		p.errAt(v, "%s is empty", key)
		return
	}
	switch key {
	case "sheet":
		cfg.Sheet = strings.TrimSpace(v.Value)
	case "encoding":
		if err := source.CheckEncoding(v.Value); err != nil {
			p.errAt(v, "%v", err)
			return
		}
		cfg.Encoding = strings.TrimSpace(v.Value)
	case "delimiter":
		d, err := source.ParseDelimiter(v.Value)
		if err != nil {
			p.errAt(v, "delimiter: %v", err)
			return
		}
		cfg.Delimiter = d
	case "header_row":
		n, err := strconv.Atoi(strings.TrimSpace(v.Value))
		if err != nil || n < 1 {
			p.errAt(v, "header_row: %q: want the row number the header is on (1 or more)", v.Value)
			return
		}
		cfg.HeaderRow = n
	}
}

// parseMode reads mode: (create, upsert or update).
func (p *parser) parseMode(cfg *Config, v *yaml.Node) {
	s, ok := p.scalar(v, "mode")
	if !ok {
		return
	}
	i := enumIndex(s, Modes)
	if i < 0 {
		p.errAt(v, "unknown mode %q%s", s, choices(s, Modes))
		return
	}
	cfg.Mode = Modes[i]
}

// parseTags reads tags: (set or add): how an update sends a row's tags.
// set (the default) makes the work's tags the row's; add keeps tags
// people added in DevRev.
func (p *parser) parseTags(cfg *Config, v *yaml.Node) {
	s, ok := p.scalar(v, "tags")
	if !ok {
		return
	}
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "set":
	case "add":
		cfg.TagsAdd = true
	default:
		p.errAt(v, "tags: must be set or add (how an update sends a row's tags), not %q", s)
	}
}

// parseType checks the default work type.
func (p *parser) parseType(cfg *Config, v *yaml.Node) {
	s, ok := p.scalar(v, "type")
	if !ok {
		return
	}
	i := enumIndex(s, workTypes[:])
	if i < 0 {
		p.errAt(v, "unknown work type %q%s", s, choices(s, workTypes[:]))
		return
	}
	cfg.Type = workTypes[i]
	cfg.TypeLine, cfg.TypeCol = v.Line, v.Column
}

// parseColumns reads the "columns:" map.
func (p *parser) parseColumns(cfg *Config, v *yaml.Node) {
	if v.Kind == yaml.ScalarNode && v.Tag == "!!null" {
		return
	}
	if v.Kind != yaml.MappingNode {
		p.errAt(v, "columns must be a map of column name to field")
		return
	}
	seen := map[string]*yaml.Node{}
	for i := 0; i+1 < len(v.Content); i += 2 {
		k, val := resolve(v.Content[i]), resolve(v.Content[i+1])
		col := strings.TrimSpace(k.Value)
		if k.Kind != yaml.ScalarNode || col == "" {
			p.errAt(k, "a column name must be a non-empty text")
			continue
		}
		low := strings.ToLower(col)
		if prev, dup := seen[low]; dup {
			p.errAt(k, "column %q is listed twice (first on line %d)", col, prev.Line)
			continue
		}
		seen[low] = k
		rule := ColumnRule{Column: col, Line: k.Line, Col: k.Column}
		switch val.Kind {
		case yaml.ScalarNode:
			if val.Tag == "!!null" || strings.TrimSpace(val.Value) == "" {
				p.errAt(k, "column %q needs a field (for example: %s: title)", col, col)
				continue
			}
			rule.Field = strings.TrimSpace(val.Value)
			if !p.checkField(val, col, &rule) {
				continue
			}
		case yaml.MappingNode:
			if mapHasKey(val, "link") || mapHasKey(val, "comment") {
				if !p.parseRelationRule(val, &rule) {
					continue
				}
				break
			}
			if !p.parseRule(val, k, &rule) {
				continue // no usable field; other mistakes are recorded
			}
		default:
			p.errAt(val, "column %q must map to a field name or to a map with keys %s", col, strings.Join(ruleKeys, ", "))
			continue
		}
		cfg.Columns = append(cfg.Columns, rule)
	}
}

// parseRule reads a column's rule map. It reports false when the rule has
// no usable field; other mistakes are recorded and the rule is kept so
// that later checks (value maps, conflicts) still run.
func (p *parser) parseRule(n, key *yaml.Node, rule *ColumnRule) bool {
	col := rule.Column
	nodes, ok := p.ruleNodes(n, rule) // ok becomes false for mistakes in the options; only the field decides the result
	fieldNode := nodes["field"]
	if fieldNode == nil {
		p.errAt(key, "column %q needs a field (field: ...)", col)
		return false
	}
	if rule.Field == "" {
		p.errAt(fieldNode, "column %q needs a field (field: ...)", col)
		return false
	}
	if !p.checkField(fieldNode, col, rule) {
		return false
	}
	def, custom := p.lookupField(rule.Field)
	k := kCustom
	if !custom {
		k = def.kind
	}
	isDate := isDateRule(k, custom, rule)
	if !p.checkOptions(nodes, rule, def, custom, k, isDate) {
		ok = false
	}
	if !ok {
		// Options that failed their checks are dropped so that the rule
		// stays convertible; their mistakes are recorded.
		if n := nodes["as"]; n != nil && indexOf(asChoices, rule.As) < 0 {
			rule.As = ""
		}
		if n := nodes["format"]; n != nil && (!isDate || !checkLayout(rule.Format)) {
			rule.Format = ""
		}
		if !k.isList() {
			rule.Split = ""
		}
	}
	return true
}

// ruleNodes reads the keys of a column's rule map into rule and returns
// the value node of each key. ok is false when a key is repeated,
// unknown, or not a single value.
func (p *parser) ruleNodes(n *yaml.Node, rule *ColumnRule) (nodes map[string]*yaml.Node, ok bool) {
	col := rule.Column
	nodes, ok = map[string]*yaml.Node{}, true
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := resolve(n.Content[i]), resolve(n.Content[i+1])
		if _, dup := nodes[k.Value]; dup {
			p.errAt(k, "key %q appears twice for column %q", k.Value, col)
			ok = false
			continue
		}
		switch k.Value {
		case "field", "split", "format", "as", "lookup":
			nodes[k.Value] = v
			if v.Kind != yaml.ScalarNode || v.Tag == "!!null" {
				p.errAt(v, "%s of column %q must be a single value", k.Value, col)
				ok = false
				continue
			}
			s := v.Value
			if k.Value != "split" {
				s = strings.TrimSpace(s)
			}
			switch k.Value {
			case "field":
				rule.Field = s
			case "split":
				rule.Split = s
			case "format":
				rule.Format = s
			case "as":
				rule.As = s
			case "lookup":
				rule.Lookup = s
			}
		case "values":
			nodes[k.Value] = v
			p.parseValues(v, rule)
		default:
			p.errAt(k, "unknown key %q for column %q%s", k.Value, col, choices(k.Value, ruleKeys))
			ok = false
		}
	}
	return nodes, ok
}

// isDateRule reports whether the rule's field takes dates (so format:
// applies). A custom field without as: may be a date: the org's schema
// says (Mapper.Typed refuses the format when it is not).
func isDateRule(k kind, custom bool, rule *ColumnRule) bool {
	return k == kDateTime || custom && (rule.As == "" || rule.As == "date" || rule.As == "timestamp")
}

// checkOptions checks a rule's split:, as:, format: and lookup: against
// its field, and reports false after recording any mistake.
func (p *parser) checkOptions(nodes map[string]*yaml.Node, rule *ColumnRule, def *fieldDef, custom bool, k kind, isDate bool) bool {
	ok := true
	col := rule.Column
	if n := nodes["split"]; n != nil {
		switch {
		case !k.isList():
			p.errAt(n, "split is only for list fields (owned_by, reported_by, tags, artifacts, developed_with, contacts, channels, channels_v2, custom_schema_fragments, stage_validation_options), not %s", rule.Field)
			ok = false
		case rule.Split == "":
			p.errAt(n, "split of column %q is empty (leave it out to split on \",\" and \";\")", col)
			ok = false
		}
	}
	if n := nodes["as"]; n != nil {
		if !custom {
			p.errAt(n, "as is only for custom fields (custom_fields.NAME); %s has a fixed type", rule.Field)
			ok = false
		} else if indexOf(asChoices, rule.As) < 0 {
			p.errAt(n, "unknown custom field type %q%s", rule.As, choices(rule.As, asChoices))
			ok = false
		}
	}
	if n := nodes["format"]; n != nil {
		switch {
		case !isDate:
			p.errAt(n, "format is only for date fields (target_close_date, target_start_date, start_date, custom fields that as: or the org's schema makes dates), not %s", rule.Field)
			ok = false
		case !checkLayout(rule.Format):
			p.errAt(n, "format %q is not a Go time layout that can read a date (write the reference time Mon Jan 2 15:04:05 2006 the way the file does, e.g. \"02.01.2006 15:04\")", rule.Format)
			ok = false
		}
	}
	if n := nodes["lookup"]; n != nil {
		var allowed []string
		found := false
		ids, hasIDs := fieldIDKind(def, custom)
		for _, l := range lookupChoices {
			if hasIDs && l.ids == ids {
				allowed = append(allowed, l.name)
				if l.name == rule.Lookup {
					found = true
				}
			}
		}
		switch {
		case len(allowed) == 0:
			p.errAt(n, "lookup is not available for %s (only for owned_by, reported_by, applies_to_part, developed_with, tags, account, rev_org)", rule.Field)
			ok = false
		case !found:
			p.errAt(n, "unknown lookup %q for %s%s", rule.Lookup, rule.Field, choices(rule.Lookup, allowed))
			ok = false
		}
	}
	return ok
}

// fieldIDKind returns the ID kind a lookup of this field must resolve to.
func fieldIDKind(def *fieldDef, custom bool) (idKind, bool) {
	if custom || def == nil {
		return 0, false
	}
	switch def.kind {
	case kID, kIDList, kTags:
		if def.ids == idAny {
			return 0, false
		}
		return def.ids, true
	}
	return 0, false
}

// parseValues reads a value map. Mistakes are recorded; usable entries
// are kept.
func (p *parser) parseValues(n *yaml.Node, rule *ColumnRule) bool {
	if n.Kind != yaml.MappingNode {
		p.errAt(n, "values of column %q must be a map from cell value to field value", rule.Column)
		return false
	}
	rule.Values = map[string]string{}
	seen := map[string]int{}
	ok := true
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := resolve(n.Content[i]), resolve(n.Content[i+1])
		if k.Kind != yaml.ScalarNode || v.Kind != yaml.ScalarNode {
			p.errAt(k, "values of column %q must map single values to single values", rule.Column)
			ok = false
			continue
		}
		key := strings.TrimSpace(k.Value)
		low := strings.ToLower(key)
		if line, dup := seen[low]; dup {
			p.errAt(k, "value %q of column %q is listed twice (first on line %d)", key, rule.Column, line)
			ok = false
			continue
		}
		seen[low] = k.Line
		target := strings.TrimSpace(v.Value)
		if v.Tag == "!!null" {
			target = ""
		}
		rule.Values[key] = target
		rule.ValueOrder = append(rule.ValueOrder, key)
		rule.valuePos = append(rule.valuePos, [2]int{v.Line, v.Column})
	}
	return ok
}

// lookupField finds a stock field (following aliases) or recognises a
// custom field path.
func (p *parser) lookupField(path string) (*fieldDef, bool) {
	return findField(p.tab, path)
}

// findField finds a stock field of tab by path (following aliases), or
// reports that path is a custom field.
func findField(tab map[string]*fieldDef, path string) (*fieldDef, bool) {
	if a, ok := fieldAliases[path]; ok {
		path = a
	}
	if d, ok := tab[path]; ok {
		return d, false
	}
	if strings.HasPrefix(path, customPrefix) {
		return nil, true
	}
	return nil, false
}

// checkField reports an unknown field path or a bad custom field name.
func (p *parser) checkField(n *yaml.Node, col string, rule *ColumnRule) bool {
	msg := fieldProblem(p.tab, rule.Field)
	if msg == "" {
		if a, ok := fieldAliases[rule.Field]; ok {
			rule.Field = a
		}
		return true
	}
	p.errAt(n, "%s for column %q%s", msg, col, fieldHint(p.tab, rule.Field))
	return false
}

// fieldProblem says what is wrong with a field path ("" if nothing).
func fieldProblem(tab map[string]*fieldDef, path string) string {
	def, custom := findField(tab, path)
	switch {
	case def != nil:
		return ""
	case custom:
		name := path[len(customPrefix):]
		if !validCustomName(name) {
			return fmt.Sprintf("custom field name %q must be lower case letters, digits and _ and start with a letter (e.g. custom_fields.tnt__external_id)", name)
		}
		return ""
	}
	return fmt.Sprintf("unknown field %q", path)
}

// fieldHint is the " (did you mean X?)" or allowed-list tail of an unknown
// field message.
func fieldHint(tab map[string]*fieldDef, path string) string {
	if strings.HasPrefix(path, customPrefix) {
		return ""
	}
	names := fieldNames(tab)
	if s := suggest(path, names); s != "" {
		return " (did you mean " + s + "?)"
	}
	return " (fields: " + strings.Join(names, ", ") + ", custom_fields.NAME)"
}

// parseDefaults reads the "defaults:" map.
func (p *parser) parseDefaults(cfg *Config, v *yaml.Node) {
	if v.Kind == yaml.ScalarNode && v.Tag == "!!null" {
		return
	}
	if v.Kind != yaml.MappingNode {
		p.errAt(v, "defaults must be a map of field to value")
		return
	}
	for i := 0; i+1 < len(v.Content); i += 2 {
		k, val := resolve(v.Content[i]), resolve(v.Content[i+1])
		field := strings.TrimSpace(k.Value)
		if a, ok := fieldAliases[field]; ok {
			field = a
		}
		if _, dup := cfg.Defaults[field]; dup {
			p.errAt(k, "default for %q appears twice", field)
			continue
		}
		if msg := fieldProblem(p.tab, field); msg != "" {
			p.errAt(k, "%s in defaults%s", msg, fieldHint(p.tab, field))
			continue
		}
		if field == "type" {
			p.errAt(k, "set the default work type with the top-level key type:, not under defaults")
			continue
		}
		dv := DefaultValue{Line: val.Line, Col: val.Column}
		switch val.Kind {
		case yaml.ScalarNode:
			if val.Tag == "!!null" || strings.TrimSpace(val.Value) == "" {
				p.errAt(val, "default for %s is empty", field)
				continue
			}
			dv.Values = []string{strings.TrimSpace(val.Value)}
			dv.itemPos = [][2]int{{val.Line, val.Column}}
			dv.Tag = val.Tag
		case yaml.SequenceNode:
			dv.List = true
			for _, c := range val.Content {
				c = resolve(c)
				if s, ok := p.scalar(c, "default item"); ok && s != "" {
					dv.Values = append(dv.Values, s)
					dv.itemPos = append(dv.itemPos, [2]int{c.Line, c.Column})
				}
			}
			if len(dv.Values) == 0 {
				p.errAt(val, "default for %s is empty", field)
				continue
			}
		default:
			p.errAt(val, "default for %s must be a value or a list of values", field)
			continue
		}
		cfg.Defaults[field] = dv
		cfg.DefaultOrder = append(cfg.DefaultOrder, field)
	}
}

// checkColumns checks what needs the whole file: ignored columns that are
// also mapped, fields fed by two columns, value maps and defaults that do
// not convert.
func (p *parser) checkColumns(cfg *Config) {
	ignored := map[string]bool{}
	for _, ig := range cfg.Ignore {
		ignored[strings.ToLower(ig)] = true
	}
	for _, r := range cfg.Columns {
		if ignored[strings.ToLower(r.Column)] {
			p.errs = append(p.errs, &ConfigError{File: p.file, Line: r.Line, Column: r.Col, Msg: fmt.Sprintf("column %q is both mapped and listed under ignore", r.Column)})
		}
	}
	for _, e := range targetConflicts(p.tab, cfg.Columns) {
		e.File = p.file
		p.errs = append(p.errs, e)
	}
	loc := cfg.Location
	if loc == nil {
		loc = time.UTC
	}
	// Value maps: every target must convert.
	for i := range cfg.Columns {
		r := &cfg.Columns[i]
		if len(r.Values) == 0 {
			continue
		}
		b := newBinding(p.tab, r, loc)
		for i, key := range r.ValueOrder {
			target := r.Values[key]
			if target == "" {
				continue
			}
			line, col := r.Line, r.Col
			if i < len(r.valuePos) {
				line, col = r.valuePos[i][0], r.valuePos[i][1]
			}
			for _, pr := range b.check(target) {
				p.errs = append(p.errs, &ConfigError{File: p.file, Line: line, Column: col,
					Msg: fmt.Sprintf("value map of column %q: %s maps to %q, which %s", r.Column, strconv.Quote(key), pr.Value, pr.Msg)})
			}
		}
	}
	// Defaults: every value must convert.
	for _, field := range cfg.DefaultOrder {
		dv := cfg.Defaults[field]
		r := defaultRule(cfg, field, dv)
		b := newBinding(p.tab, &r, loc)
		if !b.f.kind.isList() && len(dv.Values) > 1 {
			p.errs = append(p.errs, &ConfigError{File: p.file, Line: dv.Line, Column: dv.Col,
				Msg: fmt.Sprintf("default for %s must be a single value, not a list", field)})
			continue
		}
		for i, v := range dv.Values {
			line, col := dv.Line, dv.Col
			if i < len(dv.itemPos) {
				line, col = dv.itemPos[i][0], dv.itemPos[i][1]
			}
			for _, pr := range b.check(v) {
				p.errs = append(p.errs, &ConfigError{File: p.file, Line: line, Column: col,
					Msg: fmt.Sprintf("default for %s: %s %s", field, strconv.Quote(pr.Value), pr.Msg)})
			}
		}
	}
}

// defaultRule builds the rule a default value is converted with: custom
// fields take their type from a column feeding the same field, or else
// from the YAML tag of the value.
func defaultRule(cfg *Config, field string, dv DefaultValue) ColumnRule {
	r := ColumnRule{Column: "defaults", Field: field, Line: dv.Line, Col: dv.Col}
	if !strings.HasPrefix(field, customPrefix) {
		return r
	}
	for _, c := range cfg.Columns {
		if c.Field == field {
			r.As, r.Format = c.As, c.Format
			return r
		}
	}
	switch dv.Tag {
	case "!!int":
		r.As = "int"
	case "!!float":
		r.As = "number"
	case "!!bool":
		r.As = "bool"
	}
	return r
}

// targetConflicts reports scalar fields fed by more than one column (list
// fields may have several columns: their items are combined).
func targetConflicts(tab map[string]*fieldDef, rules []ColumnRule) []*ConfigError {
	var errs []*ConfigError
	first := map[string]*ColumnRule{}
	for i := range rules {
		r := &rules[i]
		def, _ := findField(tab, r.Field)
		if def != nil && def.kind.isList() || r.isRelation() {
			continue
		}
		group := []string{r.Field}
		if def != nil {
			switch def.kind {
			case kMoney:
				group = append(group, r.Field+".amount", r.Field+".currency")
			case kMoneyAmount, kMoneyCurrency:
				group = append(group, r.Field[:strings.LastIndexByte(r.Field, '.')])
			}
		}
		for _, g := range group {
			if prev, ok := first[g]; ok {
				errs = append(errs, &ConfigError{Line: r.Line, Column: r.Col,
					Msg: fmt.Sprintf("columns %q and %q both set %s (a field that holds one value takes one column)", prev.Column, r.Column, g)})
				break
			}
		}
		first[r.Field] = r
	}
	return errs
}

// indexOf returns the index of s in list, or -1.
func indexOf(list []string, s string) int {
	for i, v := range list {
		if v == s {
			return i
		}
	}
	return -1
}

// MayRepeat reports whether a header may appear more than once in a file:
// when the mapping ignores it or does not map it (its cells are not
// read), makes it a link or comment column, or maps it to a list field (owned_by, tags, ...; its cells are
// combined, as Jira exports multi-value fields). Only a repeated header
// that feeds a field holding one value is refused: which of its cells
// would be the value? A nil Config means header names are field names.
func (c *Config) MayRepeat(header string) bool {
	tab := fieldTable()
	h := strings.TrimSpace(header)
	if c == nil {
		def, custom := findField(tab, normalizeHeader(h))
		if custom {
			return false
		}
		return def == nil || def.kind.isList()
	}
	for _, ig := range c.Ignore {
		if strings.EqualFold(strings.TrimSpace(ig), h) {
			return true
		}
	}
	for _, r := range c.Columns {
		if strings.EqualFold(r.Column, h) {
			if r.isRelation() {
				return true // links and comments: every cell counts
			}
			def, _ := findField(tab, r.Field)
			return def != nil && def.kind.isList()
		}
	}
	return true
}

// normalizeHeader turns a header into a field path when header names are
// field names: trimmed, lower case, spaces and dashes as "_" ("Applies To
// Part" → applies_to_part).
func normalizeHeader(h string) string {
	h = strings.ToLower(strings.TrimSpace(h))
	if strings.HasPrefix(h, customPrefix) {
		return h
	}
	return strings.Map(func(r rune) rune {
		if r == ' ' || r == '-' {
			return '_'
		}
		return r
	}, h)
}
