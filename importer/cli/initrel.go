package cli

import (
	"fmt"
	"strings"

	"github.com/devrev-import/devrev-import/importer/source"
	"github.com/devrev-import/devrev-import/mapping"
)

// Jira's link columns are "Outward issue link (Blocks)" and "Inward issue
// link (Blocks)": outward reads "this issue blocks the named one", inward
// "is blocked by". jiraLinks maps Jira's link type names to the DevRev
// link type and whether, outward, the named work is the link's source.
var jiraLinks = map[string]struct {
	typ           string
	outwardSource bool // outward: the named work is the source (reverse: true)
}{
	"blocks":     {"is_dependent_on", true},  // A blocks B: B is_dependent_on A
	"duplicate":  {"is_duplicate_of", false}, // A duplicates B: A is_duplicate_of B
	"relates":    {"is_related_to", false},
	"cloners":    {"is_related_to", false},
	"dependency": {"is_dependent_on", false}, // A depends on B
}

// relationHeaders are headers that name other works or hold comments.
var relationHeaders = map[string]string{
	"parent": "parent", "parentid": "parent", "parentkey": "parent", "parentissue": "parent", "parentlink": "parent", "epiclink": "parent",
	"subtasks": "children", "children": "children", "childissues": "children",
	"blockedby": "is_dependent_on", "dependson": "is_dependent_on", "relatesto": "is_related_to", "related": "is_related_to",
	"duplicateof": "is_duplicate_of",
	"comment":     "comment", "comments": "comment",
}

// guessRelation proposes a link or comment column for c, or nil.
func guessRelation(c *sampledColumn, cols []*sampledColumn) *guess {
	n := normHeader(c.header)
	if dir, name, ok := jiraLinkHeader(c.header); ok {
		jl, known := jiraLinks[normHeader(name)]
		if !known {
			return &guess{col: c, rel: "{link: is_related_to}", why: []string{fmt.Sprintf("Jira's %q links; TODO: pick the DevRev link type (%s)", name, strings.Join(mapping.LinkTypes, ", "))}}
		}
		rev := jl.outwardSource == (dir == "outward")
		rule, why := "{link: "+jl.typ+"}", fmt.Sprintf("Jira's %s %q links: this row %s each one named", dir, name, jl.typ)
		if rev {
			rule, why = "{link: "+jl.typ+", reverse: true}", fmt.Sprintf("Jira's %s %q links: each one named %s this row", dir, name, jl.typ)
		}
		return &guess{col: c, rel: rule, why: []string{why}}
	}
	kind, ok := relationHeaders[n]
	if !ok {
		return nil
	}
	switch kind {
	case "comment":
		if cellsMatch(c.cells, mapping.IsJiraComment) {
			return &guess{col: c, rel: "{comment: jira}", why: []string{"Jira's comment cells (DATE;AUTHOR;TEXT): one comment each, on the row's work"}}
		}
		return &guess{col: c, rel: "{comment: text}", why: []string{"one comment a cell, on the row's work"}}
	case "parent":
		if by := numericParent(c, cols); by != "" {
			return &guess{col: c, rel: "{link: parent, by: " + yamlString(by) + "}", why: []string{fmt.Sprintf("the parent's %q, as Jira writes it: the parent is_parent_of this row", by)}}
		}
		return &guess{col: c, rel: "{link: parent}", why: []string{"the parent's key: the parent is_parent_of this row"}}
	case "children":
		return &guess{col: c, rel: "{link: children}", why: []string{"the children's keys: this row is_parent_of each one"}}
	}
	return &guess{col: c, rel: "{link: " + kind + "}", why: []string{"this row " + kind + " each one named"}}
}

// jiraLinkHeader splits "Outward issue link (Blocks)" into outward, Blocks.
func jiraLinkHeader(h string) (dir, name string, ok bool) {
	h = strings.TrimSpace(h)
	for _, d := range []string{"outward", "inward"} {
		prefix := d + " issue link ("
		if len(h) > len(prefix)+1 && strings.EqualFold(h[:len(prefix)], prefix) && strings.HasSuffix(h, ")") {
			return d, strings.TrimSpace(h[len(prefix) : len(h)-1]), true
		}
	}
	return "", "", false
}

// numericParent is the header of the column a numeric parent cell names
// rows by (Jira's "Issue id"), when the cells are numbers and there is
// such a column; "" otherwise.
func numericParent(c *sampledColumn, cols []*sampledColumn) string {
	if !cellsMatch(c.cells, isDigits) {
		return ""
	}
	for _, o := range cols {
		if n := normHeader(o.header); o != c && (n == "issueid" || n == "id") {
			return o.header
		}
	}
	return ""
}

// cellsMatch reports whether at least 4 in 5 of the (non-empty) cells
// pass ok, taken whole.
func cellsMatch(cells []source.Cell, ok func(string) bool) bool {
	good := 0
	for _, c := range cells {
		if ok(c.Value) {
			good++
		}
	}
	return len(cells) > 0 && good*5 >= len(cells)*4
}

func isDigits(s string) bool {
	s = strings.TrimSpace(s)
	for _, r := range s {
		if r < '0' || r > '9' {
			return false
		}
	}
	return s != ""
}
