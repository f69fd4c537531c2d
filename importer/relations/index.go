// Package relations checks what joins the rows of an import: the links
// between works a mapping's link columns name (parent/child, dependencies,
// duplicates...) and the comments of a separate comments file, over the
// whole file, before anything is sent.
//
// An Index is fed every row as the pipeline maps it (Add) and every row of
// the comments file (AddComment); Finish then reports references to keys
// that are not in the file, links of a row to itself, cycles in the parent
// hierarchy (naming them: BILL-1 → BILL-7 → BILL-1), hierarchies deeper
// than DevRev's importers create (3 levels: a warning), works with two
// parents, and comments on keys no row has.
//
// Memory stays bounded: per row the Index keeps a 64-bit hash of its key
// in a Go map, about 46 bytes a row (measured at 500,000 rows), and per
// by: name (Jira's numeric Issue id) a hash and the named row's key; every
// link reference and file comment is appended to a compact record buffer
// that spills to a temporary file past Options.SpillBytes (4 MiB by
// default) and is read back, streaming, by Finish. Only the parent edges
// are held again while Finish checks the hierarchy (24 bytes each). Two
// different keys whose hashes collide would be taken for one: with 64-bit
// hashes about one chance in 10^7 for a million rows.
package relations

import (
	"errors"
	"fmt"
	"hash/maphash"
	"os"
	"strconv"

	"github.com/devrev-import/devrev-import/importer/source"
	"github.com/devrev-import/devrev-import/mapping"
)

// DefaultSpillBytes is how many bytes of link and comment records an Index
// holds in memory before it spills them to a temporary file.
const DefaultSpillBytes = 4 << 20

// MaxDepth is the deepest hierarchy DevRev's own importers create; a
// deeper one is a warning.
const MaxDepth = 3

// Options configure an Index.
type Options struct {
	// Where names a cell of the main file (source.Reader.Where).
	Where func(row, col int) string
	// Known reports a key an earlier run of the checkpoint created: a
	// reference to it is fine although no row of this file has it. nil:
	// none.
	Known func(key string) bool
	// KeyField is the custom field the key is stored in ("" = none). With
	// one, a key neither the file nor Known has is not a problem: it is
	// listed as unresolved (EachUnresolved), for a lookup in DevRev.
	KeyField string
	// SpillBytes is the record buffer's size before it spills to a file
	// (default DefaultSpillBytes); TempDir where ("" = os.TempDir()).
	SpillBytes int
	TempDir    string
	// MaxProblems is how many problems Report keeps formatted (default
	// 1000); all are counted.
	MaxProblems int
}

// Index collects a file's keys, names, link references and comments. It
// is not safe for concurrent use: the pipeline feeds it from its one
// producing goroutine.
type Index struct {
	opt   Options
	seed  maphash.Seed
	keys  map[uint64]int32  // key hash → row number; negative for an invalid row
	names map[uint64]string // by: name hash → the named row's key
	recs  *spill
	n     uint32 // records so far

	links, comments int // counted on valid rows
}

// New makes an empty Index.
func New(opt Options) *Index {
	if opt.SpillBytes <= 0 {
		opt.SpillBytes = DefaultSpillBytes
	}
	if opt.MaxProblems <= 0 {
		opt.MaxProblems = 1000
	}
	if opt.Where == nil {
		opt.Where = func(row, col int) string { return "row " + strconv.Itoa(row) }
	}
	return &Index{opt: opt, seed: maphash.MakeSeed(), keys: map[uint64]int32{}, names: map[uint64]string{},
		recs: &spill{limit: opt.SpillBytes, dir: opt.TempDir}}
}

// Close removes the spill file, if any.
func (ix *Index) Close() error { return ix.recs.close() }

func (ix *Index) keyHash(key string) uint64 { return maphash.String(ix.seed, key) }

func (ix *Index) nameHash(by, value string) uint64 {
	return maphash.String(ix.seed, by+"\x00"+value)
}

// externalHash is the node of a work outside the file (a DevRev ID or a
// key of an earlier run), apart from every key of the file.
func (ix *Index) externalHash(ref string) uint64 { return maphash.String(ix.seed, "\x01"+ref) }

// Add records one mapped row (valid or not: a link to an invalid row is
// named as such). A row whose key an earlier row had is left out (the
// pipeline fails it as a duplicate). Only valid rows' links and comments
// count.
func (ix *Index) Add(row source.Row, res mapping.Result) error {
	h := ix.keyHash(res.Key)
	if _, dup := ix.keys[h]; dup {
		return nil
	}
	if len(res.Problems) > 0 {
		ix.keys[h] = -int32(row.Number)
		return nil
	}
	ix.keys[h] = int32(row.Number)
	for _, n := range res.Names {
		ix.names[ix.nameHash(n.By, n.Value)] = res.Key
	}
	ix.comments += len(res.Comments)
	for i := range res.Links {
		l := &res.Links[i]
		ix.links++
		r := record{kind: recLink, row: row.Number, col: l.Col, link: l.Link, typ: l.Type, reverse: l.Reverse,
			by: l.By, ref: l.Ref, key: res.Key, column: l.Column, where: ix.opt.Where(row.Number, l.Col)}
		if err := ix.put(&r); err != nil {
			return err
		}
	}
	return nil
}

// AddComment records one valid comment of the comments file, on key;
// where names its row there (for messages).
func (ix *Index) AddComment(row int, key, where string) error {
	return ix.put(&record{kind: recComment, row: row, col: -1, key: key, where: where})
}

func (ix *Index) put(r *record) error {
	if err := ix.recs.add(r); err != nil {
		return fmt.Errorf("relations: %w", err)
	}
	ix.n++
	return nil
}

// Target is what a reference resolves to.
type Target struct {
	Key string // the key of a row of this file ("" when not one)
	Row int    // that row (0 when not one); negative: the row is invalid
	// External is a work outside the file: a key of an earlier run (Known)
	// or a DevRev work ID.
	External bool
	// Unresolved: a key that neither the file nor an earlier run has,
	// with the key in a custom field: to be looked up in DevRev.
	Unresolved bool
}

// Resolve says what a link reference names: a row of this file (a key
// wins over an ID-looking value), a key of an earlier run, a DevRev work
// ID, a key to look up in DevRev; ok is false when nothing can have it.
// Valid after every row was added.
func (ix *Index) Resolve(ref mapping.LinkRef) (t Target, ok bool) {
	key := ref.Ref
	if ref.By != "" {
		k, found := ix.names[ix.nameHash(ref.By, ref.Ref)]
		if !found {
			return Target{External: mapping.IsID(ref.Ref, mapping.IDWork)}, mapping.IsID(ref.Ref, mapping.IDWork)
		}
		key = k
	}
	if row, found := ix.keys[ix.keyHash(key)]; found {
		return Target{Key: key, Row: int(row)}, true
	}
	return ix.outside(key)
}

// outside resolves a key no row of the file has.
func (ix *Index) outside(key string) (Target, bool) {
	switch {
	case ix.opt.Known != nil && ix.opt.Known(key):
		return Target{Key: key, External: true}, true
	case mapping.IsID(key, mapping.IDWork):
		return Target{External: true}, true
	case ix.opt.KeyField != "":
		return Target{Key: key, Unresolved: true}, true
	}
	return Target{}, false
}

// Unresolved is a reference to a key to look up in DevRev (see
// Options.KeyField).
type Unresolved struct {
	Key    string // the key named
	Row    int    // the row (of the comments file for a comment) naming it
	Where  string // that cell, for messages
	Column string // the link column ("" for a comment)
	Link   string // the column's link word ("" for a comment)
}

// EachUnresolved calls fn for every reference (link or file comment) to a
// key neither the file nor an earlier run has, in file order, when the
// key is stored in a custom field: the sending side looks them up in
// DevRev by that field. Valid after every row was added.
func (ix *Index) EachUnresolved(fn func(Unresolved) error) error {
	if ix.opt.KeyField == "" {
		return nil
	}
	return ix.recs.each(func(_ uint32, r *record) error {
		key := r.key
		if r.kind == recLink {
			if r.by != "" {
				return nil // a by: name matches rows of the file only
			}
			key = r.ref
		}
		if t, _ := ix.Resolve(mapping.LinkRef{Ref: key}); !t.Unresolved {
			return nil
		}
		return fn(Unresolved{Key: key, Row: r.row, Where: r.where, Column: r.column, Link: r.link})
	})
}

// errStop ends an iteration early.
var errStop = errors.New("stop")

// removeFile removes a spill file, ignoring one already gone.
func removeFile(path string) error {
	if err := os.Remove(path); err != nil && !errors.Is(err, os.ErrNotExist) {
		return err
	}
	return nil
}
