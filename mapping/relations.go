package mapping

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/devrev-import/devrev-import/importer/source"
)

// Links and comments: a column may name other works (link:) or hold
// comments (comment:) instead of feeding a field. Their cells never reach
// the create body: Map returns them in Result.Links and Result.Comments,
// and the relations package checks them over the whole file.

// LinkTypes are the link types of the API (the spec's link-type enum).
var LinkTypes = []string{"custom_link", "developed_with", "imports", "is_analyzed_by", "is_converted_to",
	"is_dependent_on", "is_duplicate_of", "is_follow_up_of", "is_merged_into", "is_parent_of", "is_part_of",
	"is_related_to", "serves"}

// linkWords are the values link: takes: parent and children (is_parent_of
// seen from the child and from the parent), or a link type.
var linkWords = append([]string{"parent", "children"}, LinkTypes...)

// ParentLink is the link type of a hierarchy: the source is the parent.
const ParentLink = "is_parent_of"

// Comment column formats (comment:).
const (
	CommentJira = "jira" // "05/Mar/24 2:30 PM;alice@example.com;text": date, author, text
	CommentText = "text" // the cell is the comment's text
)

var commentFormats = []string{CommentJira, CommentText}

// Visibilities are the visibility values of a timeline comment.
var Visibilities = []string{"private", "internal", "external", "public"}

// DefaultVisibility is the visibility of an imported comment unless the
// mapping says otherwise. DevRev's own default is external (visible to
// customers), which a migration never wants by accident.
const DefaultVisibility = "internal"

// JiraCommentLayout is how Jira writes a comment's date by default
// ("dd/MMM/yy h:mm a").
const JiraCommentLayout = "02/Jan/06 3:04 PM"

var (
	linkRuleKeys    = []string{"link", "split", "reverse", "by", "custom_link_type"}
	commentRuleKeys = []string{"comment", "format", "visibility"}
)

// LinkRef is one reference a row's link column makes to another work.
type LinkRef struct {
	// Type is the API's link_type ("is_parent_of" for parent: and children:).
	Type string
	// CustomType is the custom link type's ID of a custom_link.
	CustomType string
	// Reverse: the named work is the link's source and this row its target
	// (parent:, reverse: true); else this row is the source.
	Reverse bool
	// Ref is the item as written, trimmed: a key, a by: value or a DevRev
	// work ID (ISS-12, a DON). A key of the file wins over an ID.
	Ref string
	// By is the column whose values name rows ("" = the key).
	By string
	// Col and Column are the cell's header index and name, for messages;
	// Link is the column's link: word (parent, children, is_dependent_on...).
	Col    int
	Column string
	Link   string
}

// Comment is one comment of a row, from a comment column or a comments
// file.
type Comment struct {
	Body       string    // the text, without any prefix
	Author     string    // "" when unknown
	Date       time.Time // zero when unknown
	SourceID   string    // the source comment's ID ("" when none)
	Visibility string    // private, internal, external or public
	// Position is the comment's 1-based place among its work's comments
	// from the same source (the row's comment columns, or the comments
	// file), in source order.
	Position int
	Col      int    // header index of the cell, -1 when none
	Column   string // header name
}

// RowName is a row's value of a column other rows' links name rows by
// (by:).
type RowName struct {
	By    string // the by: column
	Value string // the row's trimmed cell
}

// CommentsConfig is the comments: section: how a separate comments file
// (--comments) maps, one comment a row.
type CommentsConfig struct {
	Key, Body                    string // required columns
	ID, Author, Date, Visibility string // optional columns ("" = none)
	Format                       string // Go layout of Date cells ("" = the usual forms)
	Sheet                        string // XLSX sheet ("" = the first visible one)
	DefaultVisibility            string // where no visibility column says ("" = DefaultVisibility)
	Line, Col                    int
	pos                          map[string][2]int // line and column of each entry
}

// isRelation reports whether a rule is a link or a comment column.
func (r *ColumnRule) isRelation() bool { return r.Link != "" || r.Comment != "" }

// mapHasKey reports whether a YAML map has key k.
func mapHasKey(n *yaml.Node, k string) bool {
	for i := 0; i+1 < len(n.Content); i += 2 {
		if resolve(n.Content[i]).Value == k {
			return true
		}
	}
	return false
}

// parseRelationRule reads a column's {link: ...} or {comment: ...} rule.
func (p *parser) parseRelationRule(n *yaml.Node, rule *ColumnRule) bool {
	col := rule.Column
	allowed := linkRuleKeys
	if !mapHasKey(n, "link") {
		allowed = commentRuleKeys
	}
	if mapHasKey(n, "link") && mapHasKey(n, "comment") {
		p.errAt(n, "column %q is either a link or a comment column, not both", col)
		return false
	}
	ok := true
	nodes := map[string]*yaml.Node{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := resolve(n.Content[i]), resolve(n.Content[i+1])
		if _, dup := nodes[k.Value]; dup {
			p.errAt(k, "key %q appears twice for column %q", k.Value, col)
			ok = false
			continue
		}
		if indexOf(allowed, k.Value) < 0 {
			p.errAt(k, "unknown key %q for %s column %q%s", k.Value, allowed[0], col, choices(k.Value, allowed))
			ok = false
			continue
		}
		nodes[k.Value] = v
		if v.Kind != yaml.ScalarNode || v.Tag == "!!null" || (k.Value != "split" && strings.TrimSpace(v.Value) == "") {
			p.errAt(v, "%s of column %q must be a single value", k.Value, col)
			ok = false
		}
	}
	if !ok {
		return false
	}
	if v := nodes["link"]; v != nil {
		return p.linkRule(nodes, rule)
	}
	return p.commentRule(nodes, rule)
}

// linkRule checks a link column's options.
func (p *parser) linkRule(nodes map[string]*yaml.Node, rule *ColumnRule) bool {
	v := nodes["link"]
	word := strings.TrimSpace(v.Value)
	if indexOf(linkWords, word) < 0 {
		p.errAt(v, "unknown link %q for column %q%s", word, rule.Column, choices(word, linkWords))
		return false
	}
	rule.Link, rule.LinkType = word, word
	ok := true
	switch word {
	case "parent":
		rule.LinkType, rule.Reverse = ParentLink, true
	case "children":
		rule.LinkType = ParentLink
	}
	if n := nodes["reverse"]; n != nil {
		b, good := parseBool(strings.TrimSpace(n.Value))
		switch {
		case !good:
			p.errAt(n, "reverse of column %q must be true or false", rule.Column)
			ok = false
		case word == "parent" || word == "children":
			p.errAt(n, "reverse is not for link: %s (parent: the named work is the parent; children: this row is)", word)
			ok = false
		default:
			rule.Reverse = b
		}
	}
	if n := nodes["split"]; n != nil {
		if n.Value == "" {
			p.errAt(n, "split of column %q is empty (leave it out to split on \",\" and \";\")", rule.Column)
			ok = false
		}
		rule.Split = n.Value
	}
	if n := nodes["by"]; n != nil {
		rule.By = strings.TrimSpace(n.Value)
	}
	n := nodes["custom_link_type"]
	switch {
	case word == "custom_link" && n == nil:
		p.errAt(v, "link: custom_link of column %q needs custom_link_type: the ID of the org's custom link type", rule.Column)
		ok = false
	case word != "custom_link" && n != nil:
		p.errAt(n, "custom_link_type is only for link: custom_link")
		ok = false
	case n != nil:
		rule.CustomLinkType = strings.TrimSpace(n.Value)
	}
	return ok
}

// commentRule checks a comment column's options.
func (p *parser) commentRule(nodes map[string]*yaml.Node, rule *ColumnRule) bool {
	v := nodes["comment"]
	f := strings.TrimSpace(v.Value)
	if indexOf(commentFormats, f) < 0 {
		p.errAt(v, "unknown comment format %q for column %q%s", f, rule.Column, choices(f, commentFormats))
		return false
	}
	rule.Comment = f
	ok := true
	if n := nodes["format"]; n != nil {
		rule.Format = strings.TrimSpace(n.Value)
		switch {
		case f != CommentJira:
			p.errAt(n, "format is only for comment: jira (the date of each comment)")
			ok = false
		case !checkLayout(rule.Format):
			p.errAt(n, "format %q is not a Go time layout that can read a date (Jira's default is %q)", rule.Format, JiraCommentLayout)
			ok = false
		}
	}
	if n := nodes["visibility"]; n != nil {
		if rule.Visibility = p.visibility(n); rule.Visibility == "" {
			ok = false
		}
	}
	return ok
}

// visibility reads a visibility value, reporting a bad one.
func (p *parser) visibility(n *yaml.Node) string {
	s := strings.ToLower(strings.TrimSpace(n.Value))
	if indexOf(Visibilities, s) < 0 {
		p.errAt(n, "unknown visibility %q%s", n.Value, choices(n.Value, Visibilities))
		return ""
	}
	return s
}

// commentsKeys are the keys of the comments: section.
var commentsKeys = []string{"key", "body", "id", "author", "date", "visibility", "format", "sheet", "defaults"}

// parseComments reads the comments: section.
func (p *parser) parseComments(cfg *Config, v *yaml.Node) {
	if v.Kind != yaml.MappingNode {
		p.errAt(v, "comments must be a map naming the comments file's columns (key, body, id, author, date, visibility)")
		return
	}
	cc := &CommentsConfig{Line: v.Line, Col: v.Column, pos: map[string][2]int{}}
	fields := map[string]*string{"key": &cc.Key, "body": &cc.Body, "id": &cc.ID, "author": &cc.Author,
		"date": &cc.Date, "visibility": &cc.Visibility, "sheet": &cc.Sheet, "format": &cc.Format}
	for i := 0; i+1 < len(v.Content); i += 2 {
		k, val := resolve(v.Content[i]), resolve(v.Content[i+1])
		if _, dup := cc.pos[k.Value]; dup {
			p.errAt(k, "key %q appears twice in comments", k.Value)
			continue
		}
		if indexOf(commentsKeys, k.Value) < 0 {
			p.errAt(k, "unknown key %q in comments%s", k.Value, choices(k.Value, commentsKeys))
			continue
		}
		cc.pos[k.Value] = [2]int{val.Line, val.Column}
		if k.Value == "defaults" {
			p.commentDefaults(cc, val)
			continue
		}
		s, ok := p.scalar(val, "comments "+k.Value)
		if !ok {
			continue
		}
		if s == "" {
			p.errAt(val, "comments %s is empty", k.Value)
			continue
		}
		if k.Value == "format" && !checkLayout(s) {
			p.errAt(val, "format %q is not a Go time layout that can read a date (write the reference time Mon Jan 2 15:04:05 2006 the way the file does)", s)
			continue
		}
		*fields[k.Value] = s
	}
	for _, req := range []struct{ name, val string }{{"key", cc.Key}, {"body", cc.Body}} {
		if req.val == "" && cc.pos[req.name] == [2]int{} {
			p.errAt(v, "comments needs %s: the column holding each comment's %s", req.name, map[string]string{"key": "work's key", "body": "text"}[req.name])
		}
	}
	if cc.Format != "" && cc.Date == "" {
		l := cc.pos["format"]
		p.errs = append(p.errs, &ConfigError{File: p.file, Line: l[0], Column: l[1], Msg: "comments format is for the date column, and comments has no date:"})
	}
	cfg.Comments = cc
}

// commentDefaults reads comments: defaults: (visibility only).
func (p *parser) commentDefaults(cc *CommentsConfig, v *yaml.Node) {
	if v.Kind != yaml.MappingNode {
		p.errAt(v, "comments defaults must be a map (visibility: internal)")
		return
	}
	for i := 0; i+1 < len(v.Content); i += 2 {
		k, val := resolve(v.Content[i]), resolve(v.Content[i+1])
		if k.Value != "visibility" {
			p.errAt(k, "unknown default %q in comments (allowed: visibility)", k.Value)
			continue
		}
		cc.DefaultVisibility = p.visibility(val)
	}
}

// linkBinding is a link column bound to its header positions.
type linkBinding struct {
	rule *ColumnRule
	cols []int
}

// commentBinding is a comment column bound to its header positions.
type commentBinding struct {
	rule       *ColumnRule
	cols       []int
	layout     string
	visibility string
}

// bindRelations binds the link and comment columns (after the key
// columns: a by: naming the key column is the key).
func (c *compiler) bindRelations() {
	for _, bd := range c.binds {
		if bd.rule.isRelation() {
			c.bindRelation(bd)
		}
	}
}

// bindRelation binds a link or comment column and checks its by: column.
func (c *compiler) bindRelation(bd boundRule) {
	r := bd.rule
	if r.Link != "" && r.By == "" && len(c.m.keyCols) == 0 && len(c.errs) == 0 {
		c.fail(r.Line, r.Col, "link column %q names works by their key, but rows have no key (add key: naming the column its cells refer to, or by: COLUMN)", r.Column)
		return
	}
	if r.Link != "" {
		if r.By != "" {
			cols := c.dupHeaders[strings.ToLower(r.By)]
			switch {
			case len(cols) == 0:
				c.fail(r.Line, r.Col, "by: column %q of column %q is not in the header%s", r.By, r.Column, headerHint(r.By, c.header))
				return
			case len(cols) > 1:
				c.fail(r.Line, r.Col, "by: column %q of column %q appears %d times in the header (columns %s): rows are named by one column", r.By, r.Column, len(cols), columnList(cols))
				return
			}
			if len(c.m.keyCols) == 1 && c.m.keyCols[0] == cols[0] {
				r.By = "" // the key itself
			} else if indexOf(c.m.byNames, r.By) < 0 {
				c.m.byNames = append(c.m.byNames, r.By)
				c.m.byCols = append(c.m.byCols, cols[0])
			}
		}
		c.m.links = append(c.m.links, linkBinding{rule: r, cols: bd.cols})
		return
	}
	vis := r.Visibility
	if vis == "" && c.cfg.Comments != nil {
		vis = c.cfg.Comments.DefaultVisibility
	}
	if vis == "" {
		vis = DefaultVisibility
	}
	layout := r.Format
	if layout == "" {
		layout = JiraCommentLayout
	}
	c.m.comments = append(c.m.comments, commentBinding{rule: r, cols: bd.cols, layout: layout, visibility: vis})
}

// describeRelations adds the link and comment columns to a Describe.
func (m *Mapper) describeRelations(d map[string]string) {
	for _, l := range m.links {
		v := "link " + l.rule.Link
		if l.rule.Reverse && l.rule.Link != "parent" {
			v += ", reverse"
		}
		if l.rule.By != "" {
			v += ", by " + strconv.Quote(l.rule.By)
		}
		if l.rule.Split != "" {
			v += ", split " + strconv.Quote(l.rule.Split)
		}
		d["column "+strconv.Quote(l.rule.Column)] = v
	}
	for _, cb := range m.comments {
		d["column "+strconv.Quote(cb.rule.Column)] = "comment " + cb.rule.Comment + ", visibility " + cb.visibility
	}
}

// HasRelations reports whether m has link or comment columns.
func (m *Mapper) HasRelations() bool { return len(m.links) > 0 || len(m.comments) > 0 }

// LinkColumns returns the rules of the link columns, in header order.
func (m *Mapper) LinkColumns() []ColumnRule {
	out := make([]ColumnRule, len(m.links))
	for i, l := range m.links {
		out[i] = *l.rule
	}
	return out
}

// mapRelations fills the row's links, comments and names; after MapInto
// they reuse the previous row's arrays (valid until the next MapInto).
func (m *Mapper) mapRelations(st *rowState, cells []source.Cell, res *Result) {
	if sp := st.w.spare; sp != nil {
		res.Links, res.Comments, res.Names = sp.links[:0], sp.comments[:0], sp.names[:0]
		defer func() { sp.links, sp.comments, sp.names = res.Links, res.Comments, res.Names }()
	}
	for _, l := range m.links {
		for _, c := range l.cols {
			s, _ := cellAt(cells, c)
			for s != "" {
				var item string
				item, s = splitItem(s, l.rule.Split)
				if item == "" {
					continue
				}
				res.Links = append(res.Links, LinkRef{Type: l.rule.LinkType, CustomType: l.rule.CustomLinkType, Reverse: l.rule.Reverse,
					Ref: item, By: l.rule.By, Col: c, Column: m.header[c], Link: l.rule.Link})
			}
		}
	}
	for i := range m.comments {
		cb := &m.comments[i]
		for _, c := range cb.cols {
			s, k := cellAt(cells, c)
			if s == "" {
				continue
			}
			st.col = c
			cm, msg := m.comment(cb, s, k)
			if msg != "" {
				st.probs = append(st.probs, Problem{Col: c, Column: m.header[c], Field: "comment", Value: cut(s), Msg: msg})
				continue
			}
			cm.Col, cm.Column, cm.Position = c, m.header[c], len(res.Comments)+1
			res.Comments = append(res.Comments, cm)
		}
	}
	for i, c := range m.byCols {
		if s, _ := cellAt(cells, c); s != "" {
			res.Names = append(res.Names, RowName{By: m.byNames[i], Value: s})
		}
	}
	st.col = -1
}

// splitItem splits the first item off a list of references: on sep, or
// on "," or ";" when sep is "".
func splitItem(s, sep string) (item, rest string) {
	i, n := -1, len(sep)
	if sep != "" {
		i = strings.Index(s, sep)
	} else if i = strings.IndexAny(s, ",;"); i >= 0 {
		n = 1
	}
	if i < 0 {
		return trim(s), ""
	}
	return trim(s[:i]), s[i+n:]
}

// comment reads one non-empty comment cell; msg says what is wrong.
func (m *Mapper) comment(cb *commentBinding, s string, k source.Kind) (Comment, string) {
	c := Comment{Visibility: cb.visibility}
	if cb.rule.Comment == CommentText {
		c.Body = s
		return c, ""
	}
	return parseJiraComment(s, cb.layout, m.loc, c)
}

// jiraShape is what a Jira comment cell looks like.
const jiraShape = `is not a Jira comment (DATE;AUTHOR;TEXT, e.g. "05/Mar/24 2:30 PM;alice@example.com;text")`

// parseJiraComment reads "05/Mar/24 2:30 PM;alice@example.com;text": the
// text may hold ";" and line breaks; the date is read with layout (also
// RFC 3339 and 2024-03-05 14:30) in loc.
func parseJiraComment(s, layout string, loc *time.Location, c Comment) (Comment, string) {
	date, rest, ok1 := strings.Cut(s, ";")
	author, text, ok2 := strings.Cut(rest, ";")
	if !ok1 || !ok2 {
		return c, jiraShape
	}
	date, author, text = trim(date), trim(author), strings.TrimSpace(text)
	if date == "" {
		return c, jiraShape + ": the date is empty"
	}
	t, ok := readDate(date, source.Text, layout, loc)
	if !ok {
		return c, fmt.Sprintf("is not a Jira comment: the date %s is not in the form %q (set format: on the column to the export's date format)", strconv.Quote(cut(date)), layout)
	}
	if text == "" {
		return c, "is a Jira comment without text"
	}
	c.Date, c.Author, c.Body = t, author, text
	return c, ""
}

// readDate reads a date cell as a date field with layout would.
func readDate(s string, k source.Kind, layout string, loc *time.Location) (time.Time, bool) {
	b := binding{layout: layout, nl: compileNumericLayout(layout), loc: loc, serials: layout == ""}
	return b.date(s, k)
}

// CommentsMapper converts the rows of a comments file (--comments) as the
// mapping's comments: section says. It is safe for concurrent use.
type CommentsMapper struct {
	header                      []string
	key, body, id, author, date int // header indices, -1 = none
	vis                         int
	layout                      string
	loc                         *time.Location
	defVis                      string
}

// CommentRow is one converted row of a comments file. Comment.Position is
// left 0: it depends on the rows before (see relations.CommentsFile).
type CommentRow struct {
	Key      string
	Comment  Comment
	Problems []Problem
}

// CompileComments binds the mapping's comments: section to a comments
// file's header. A column missing from the header is a *ConfigError with
// the section's line.
func CompileComments(cfg *Config, header []string, loc *time.Location) (*CommentsMapper, error) {
	if cfg == nil || cfg.Comments == nil {
		file := ""
		if cfg != nil {
			file = cfg.File
		}
		return nil, &ConfigError{File: file, Msg: "--comments needs a comments: section in the mapping naming the file's columns (key: and body: at least)"}
	}
	cc := cfg.Comments
	if loc == nil {
		loc = cfg.Location
	}
	if loc == nil {
		loc = time.UTC
	}
	cm := &CommentsMapper{header: header, layout: cc.Format, loc: loc, defVis: cc.DefaultVisibility}
	if cm.defVis == "" {
		cm.defVis = DefaultVisibility
	}
	var errs []string
	find := func(entry, name string) int {
		if name == "" {
			return -1
		}
		for i, h := range header {
			if strings.EqualFold(strings.TrimSpace(h), name) {
				return i
			}
		}
		errs = append(errs, fmt.Sprintf("comments %s: column %q is not in the comments file's header%s", entry, name, headerHint(name, header)))
		return -1
	}
	cm.key, cm.body = find("key", cc.Key), find("body", cc.Body)
	cm.id, cm.author, cm.date, cm.vis = find("id", cc.ID), find("author", cc.Author), find("date", cc.Date), find("visibility", cc.Visibility)
	if len(errs) > 0 {
		return nil, &ConfigError{File: cfg.File, Line: cc.Line, Column: cc.Col, Msg: strings.Join(errs, "; ")}
	}
	return cm, nil
}

// Header returns the comments file's header.
func (cm *CommentsMapper) Header() []string { return cm.header }

// Map converts one row of the comments file: an empty key or body, a bad
// date or visibility are problems.
func (cm *CommentsMapper) Map(row source.Row) CommentRow {
	cells := row.Cells
	var out CommentRow
	prob := func(col int, field, value, msg string) {
		p := Problem{Col: col, Field: field, Value: cut(value), Msg: msg}
		if col >= 0 && col < len(cm.header) {
			p.Column = cm.header[col]
		}
		out.Problems = append(out.Problems, p)
	}
	if row.Err != nil {
		prob(-1, "", "", row.Err.Error())
	}
	out.Key, _ = cellAt(cells, cm.key)
	if out.Key == "" {
		prob(cm.key, "key", "", "the comment's key is empty: which work is it on?")
	}
	c := Comment{Col: cm.body, Column: cm.header[cm.body], Visibility: cm.defVis}
	if c.Body, _ = cellAt(cells, cm.body); c.Body == "" {
		prob(cm.body, "body", "", "the comment's text is empty")
	}
	c.SourceID, _ = cellAt(cells, cm.id)
	c.Author, _ = cellAt(cells, cm.author)
	if s, k := cellAt(cells, cm.date); s != "" {
		t, ok := readDate(s, k, cm.layout, cm.loc)
		if !ok {
			prob(cm.date, "date", s, dateMessage(cm.layout))
		}
		c.Date = t
	}
	if s, _ := cellAt(cells, cm.vis); s != "" {
		if v := strings.ToLower(s); indexOf(Visibilities, v) >= 0 {
			c.Visibility = v
		} else {
			prob(cm.vis, "visibility", s, "is not one of "+strings.Join(Visibilities, ", "))
		}
	}
	out.Comment = c
	return out
}

// IsJiraComment reports whether s reads as a Jira comment cell
// ("05/Mar/24 2:30 PM;alice@example.com;text"), as comment: jira reads it
// by default: init recognises Jira's comment columns by it.
func IsJiraComment(s string) bool {
	_, msg := parseJiraComment(trim(s), JiraCommentLayout, time.UTC, Comment{})
	return msg == ""
}
