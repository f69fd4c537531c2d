package relations

import (
	"fmt"
	"sort"
	"strconv"
	"strings"

	"github.com/devrev-import/devrev-import/mapping"
)

// Problem is one thing wrong with the links or comments of a file.
type Problem struct {
	Row     int    // the row of the main file, or of the comments file (Comment)
	Text    string // the message, starting with its cell reference
	Warning bool   // a hierarchy deeper than MaxDepth: said, not an error
	Comment bool   // about a row of the comments file
}

// Report is what Finish found.
type Report struct {
	Links    int // link references of valid rows
	Comments int // comments of valid rows and of the comments file
	// Unresolved counts references to keys to look up in DevRev (see
	// Options.KeyField and Index.EachUnresolved).
	Unresolved int
	// LinkErrors, CommentErrors (file comments on no row) and Warnings
	// count the problems; Problems holds the first Options.MaxProblems of
	// them: links and comments in file order, then the hierarchy's.
	LinkErrors, CommentErrors, Warnings int
	Problems                            []Problem
}

// Errors counts the problems that are not warnings.
func (r *Report) Errors() int { return r.LinkErrors + r.CommentErrors }

// pedge is a parent edge: child is_parent_of'd by parent, from record rec.
type pedge struct {
	child, parent uint64
	rec           uint32
}

// pending is a hierarchy problem whose message needs the names of the
// records involved (read back in one more pass).
type pending struct {
	kind    byte     // 'c' cycle, 't' two parents, 'd' too deep
	recs    []uint32 // the edges, child → parent order
	depth   int
	warning bool
}

// Finish checks every reference recorded. Call it once, after the last
// Add and AddComment.
func (ix *Index) Finish() (*Report, error) {
	rep := &Report{Links: ix.links, Comments: ix.comments}
	var edges []pedge
	err := ix.recs.each(func(i uint32, v *view) error {
		if v.kind == recComment {
			ix.checkComment(rep, v)
			return nil
		}
		if e, ok := ix.checkLink(rep, v, i); ok {
			edges = append(edges, e)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	pend := ix.hierarchy(edges)
	if len(pend) == 0 {
		return rep, nil
	}
	// In file order, whatever the hashes' order was.
	sort.SliceStable(pend, func(i, j int) bool { return pend[i].recs[0] < pend[j].recs[0] })
	return rep, ix.describe(rep, pend)
}

// add counts a problem and keeps it while there is room.
func (ix *Index) add(rep *Report, p Problem) {
	switch {
	case p.Warning:
		rep.Warnings++
	case p.Comment:
		rep.CommentErrors++
	default:
		rep.LinkErrors++
	}
	if len(rep.Problems) < ix.opt.MaxProblems {
		rep.Problems = append(rep.Problems, p)
	}
}

// problem formats a message about a record's cell.
func (ix *Index) problem(v *view, msg string) string {
	return mapping.Problem{Field: string(v.link), Value: mapping.CutValue(string(v.ref)), Msg: msg}.Format(ix.where(v))
}

// checkLink resolves one link reference; a parent edge it makes is
// returned for the hierarchy checks.
func (ix *Index) checkLink(rep *Report, v *view, i uint32) (pedge, bool) {
	ht, ok := ix.lookup(v.by, v.ref)
	switch {
	case !ok:
		ix.add(rep, Problem{Row: v.row, Text: ix.problem(v, ix.noSuchMsg(string(v.by)))})
		return pedge{}, false
	case ht.unresolved:
		rep.Unresolved++
	case ht.row < 0:
		ix.add(rep, Problem{Row: v.row, Text: ix.problem(v, fmt.Sprintf("names %s, whose row %d is invalid: fix that row and the link is made", ix.refName(v), -ht.row))})
		return pedge{}, false
	case ht.row > 0 && ht.h == ix.keyHashB(v.key):
		ix.add(rep, Problem{Row: v.row, Text: ix.problem(v, "links the row to itself")})
		return pedge{}, false
	}
	if string(v.typ) != mapping.ParentLink {
		return pedge{}, false
	}
	self, other := ix.keyHashB(v.key), ht.h
	if ht.row == 0 {
		other = ix.externalHash(v.ref)
	}
	if v.reverse {
		return pedge{child: self, parent: other, rec: i}, true
	}
	return pedge{child: other, parent: self, rec: i}, true
}

// noSuchMsg says that a reference names nothing.
func (ix *Index) noSuchMsg(by string) string {
	if by != "" {
		return fmt.Sprintf("matches no row's %q in this file (and is not a DevRev work ID such as ISS-12)", by)
	}
	msg := "is no row's key in this file"
	if ix.opt.Known != nil {
		msg += " nor in an earlier run"
	}
	return msg + " (and is not a DevRev work ID such as ISS-12)"
}

// checkComment checks that a file comment's key names a row.
func (ix *Index) checkComment(rep *Report, v *view) {
	ht, ok := ix.lookup(nil, v.key)
	switch {
	case !ok:
		msg := "matches no row's key in the main file"
		if ix.opt.Known != nil {
			msg += " nor an earlier run's"
		}
		ix.add(rep, Problem{Row: v.row, Comment: true, Text: mapping.Problem{Field: "key", Value: mapping.CutValue(string(v.key)), Msg: msg}.Format(ix.where(v))})
		return
	case ht.unresolved:
		rep.Unresolved++
	case ht.row < 0:
		return // on an invalid row, which is reported
	}
	rep.Comments++
}

// hierarchy checks the parent edges: two parents, cycles, depth.
func (ix *Index) hierarchy(edges []pedge) []pending {
	sort.Slice(edges, func(i, j int) bool {
		if edges[i].child != edges[j].child {
			return edges[i].child < edges[j].child
		}
		return edges[i].rec < edges[j].rec
	})
	var pend []pending
	u := edges[:0] // one parent edge per child, the first in file order
	for i, e := range edges {
		if i > 0 && e.child == edges[i-1].child {
			first := u[len(u)-1]
			if e.parent != first.parent && len(pend) < ix.opt.MaxProblems {
				pend = append(pend, pending{kind: 't', recs: []uint32{first.rec, e.rec}})
			}
			continue // the same link named twice (Parent and Sub-tasks) is one
		}
		u = append(u, e)
	}
	return append(pend, ix.depths(u)...)
}

// Depth states of a node in depths.
const (
	depthUnknown  = 0
	depthVisiting = -1
	depthNone     = -2 // in or under a cycle
)

// depths walks every child up to its root, finding cycles and chains
// deeper than MaxDepth (u is sorted by child).
func (ix *Index) depths(u []pedge) []pending {
	find := func(h uint64) int {
		i := sort.Search(len(u), func(i int) bool { return u[i].child >= h })
		if i < len(u) && u[i].child == h {
			return i
		}
		return -1
	}
	depth := make([]int32, len(u))
	var pend []pending
	var path []int
	for i := range u {
		if depth[i] != depthUnknown {
			continue
		}
		path = path[:0]
		base := int32(1) // the depth of the node above the path's top
		for j := i; ; {
			if depth[j] == depthVisiting {
				k := indexOf(path, j)
				pend = append(pend, ix.cycle(u, path[k:]))
				base = depthNone
				break
			}
			if depth[j] != depthUnknown {
				base = depth[j]
				break
			}
			depth[j] = depthVisiting
			path = append(path, j)
			if j = find(u[j].parent); j < 0 {
				break // the parent is a root
			}
		}
		for k := len(path) - 1; k >= 0; k-- {
			j := path[k]
			if base != depthNone {
				base++
			}
			depth[j] = base
			if base == MaxDepth+1 && len(pend) < ix.opt.MaxProblems {
				pend = append(pend, pending{kind: 'd', recs: chain(u, j, find), depth: int(base), warning: true})
			}
		}
	}
	return pend
}

// cycle is the pending problem of the nodes of a cycle, starting at the
// edge found first in the file.
func (ix *Index) cycle(u []pedge, nodes []int) pending {
	start := 0
	for k, j := range nodes {
		if u[j].rec < u[nodes[start]].rec {
			start = k
		}
	}
	var recs []uint32
	for k := range nodes {
		recs = append(recs, u[nodes[(start+k)%len(nodes)]].rec)
	}
	return pending{kind: 'c', recs: recs}
}

// chain lists the edges from node j up to its root.
func chain(u []pedge, j int, find func(uint64) int) []uint32 {
	var recs []uint32
	for ; j >= 0 && len(recs) <= MaxDepth+1; j = find(u[j].parent) {
		recs = append(recs, u[j].rec)
	}
	return recs
}

func indexOf(s []int, v int) int {
	for i, x := range s {
		if x == v {
			return i
		}
	}
	return -1
}

// describe reads back the records the pending problems name and adds
// their messages to rep.
func (ix *Index) describe(rep *Report, pend []pending) error {
	need := map[uint32]*view{}
	for _, p := range pend {
		for _, r := range p.recs {
			need[r] = nil
		}
	}
	err := ix.recs.each(func(i uint32, v *view) error {
		if _, ok := need[i]; ok {
			need[i] = v.clone()
		}
		return nil
	})
	if err != nil {
		return err
	}
	for _, p := range pend {
		recs := make([]*view, len(p.recs))
		for i, n := range p.recs {
			recs[i] = need[n]
		}
		first := recs[0]
		var msg string
		switch p.kind {
		case 'c':
			names := []string{}
			for _, r := range recs {
				names = append(names, ix.childName(r))
			}
			names = append(names, names[0])
			msg = "the parent hierarchy has a cycle: " + strings.Join(names, " → ") + " (each → its parent)"
		case 't':
			msg = fmt.Sprintf("%s has two parents, %s (%s) and %s (%s); a work has one", ix.childName(recs[1]),
				ix.parentName(recs[0]), ix.where(recs[0]), ix.parentName(recs[1]), ix.where(recs[1]))
		case 'd':
			names := []string{}
			for _, r := range recs {
				names = append(names, ix.childName(r))
			}
			names = append(names, ix.parentName(recs[len(recs)-1]))
			msg = ix.childName(first) + " is " + strconv.Itoa(p.depth) + " levels deep (" + strings.Join(names, " → ") +
				", each → its parent); DevRev's importers create hierarchies of at most " + strconv.Itoa(MaxDepth) + " levels"
		}
		text := mapping.Problem{Field: string(first.link), Msg: msg}.Format(ix.where(first))
		ix.add(rep, Problem{Row: first.row, Text: text, Warning: p.warning})
		switch p.kind {
		case 'c': // the cycle's edge met first in the file: the rest stand
			ix.refuse(first, msg)
		case 't': // the second parent
			ix.refuse(recs[1], msg)
		}
	}
	return nil
}

// refuse records that the link of record v is not to be created.
func (ix *Index) refuse(v *view, why string) {
	if ix.refused == nil {
		ix.refused = map[linkAt]string{}
	}
	ix.refused[linkAt{v.row, v.col, string(v.ref)}] = why
}

// refName names the work a record's cell refers to: the key of the row
// it names by a by: column, else the reference as written.
func (ix *Index) refName(v *view) string {
	if len(v.by) > 0 {
		if off, ok := ix.names.get(ix.nameHash(v.by, v.ref)); ok {
			return string(ix.keyAt(off))
		}
	}
	return string(v.ref)
}

// childName and parentName name the two ends of a parent edge's record.
func (ix *Index) childName(v *view) string {
	if v.reverse {
		return string(v.key)
	}
	return ix.refName(v)
}

func (ix *Index) parentName(v *view) string {
	if v.reverse {
		return ix.refName(v)
	}
	return string(v.key)
}
