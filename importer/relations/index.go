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
// in an open-addressing table (12 bytes a slot, 16 to 32 bytes a row), and
// per by: name (Jira's numeric Issue id) a hash and the named row's key
// text; every link reference and file comment is appended to a compact
// record buffer that spills to a temporary file past Options.SpillBytes
// (4 MiB by default) and is read back, streaming and without allocating,
// by Finish. Only the parent edges are held again while Finish checks the
// hierarchy (24 bytes each). A validate of 1,000,000 rows with 1,250,000
// links (Parent by Issue id) and 1,000,000 comments in a comments file
// peaks at 244 MB RSS (58 MB without link and comment columns). Two
// different keys whose hashes collide would be taken for one: with 64-bit
// hashes about one chance in 10^7 for a million rows.
package relations

import (
	"encoding/binary"
	"errors"
	"fmt"
	"hash/maphash"
	"math"
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
	// Where names a cell of the main file (source.Reader.Where), and
	// CommentWhere one of the comments file (Check sets it): messages are
	// made after the last row, so a CSV's line numbers must still be known
	// (source.Reader.Where keeps them for 65,536 multi-line records).
	Where, CommentWhere func(row, col int) string
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
	keys  table  // key hash → row number (as int32 bits); negative for an invalid row
	names table  // by: name hash → offset+1 of the named row's key in arena
	arena []byte // keys of rows that have by: names, each length-prefixed
	recs  *spill

	links, comments int // counted on valid rows
	// refused are the parent links Finish found closing a cycle or giving
	// a work a second parent: an import does not create them.
	refused map[linkAt]string
}

// linkAt names one link reference: its row, its cell's column, the text.
type linkAt struct {
	row, col int
	ref      string
}

// Refused says whether the link reference of row's column col that reads
// ref would close a cycle in the parent hierarchy or give a work a second
// parent (the second one met in the file), and why: such a link is not
// created, the others of the hierarchy are. Valid after Finish.
func (ix *Index) Refused(row, col int, ref string) (string, bool) {
	why, ok := ix.refused[linkAt{row, col, ref}]
	return why, ok
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
	return &Index{opt: opt, seed: maphash.MakeSeed(), recs: &spill{limit: opt.SpillBytes, dir: opt.TempDir}}
}

// Close removes the spill file, if any.
func (ix *Index) Close() error { return ix.recs.close() }

// Hashes: maphash.String and maphash.Bytes agree on the same text, so a
// key hashed from a row and from a record read back are the same.
func (ix *Index) keyHash(key string) uint64  { return maphash.String(ix.seed, key) }
func (ix *Index) keyHashB(key []byte) uint64 { return maphash.Bytes(ix.seed, key) }

func (ix *Index) nameHash(by, value []byte) uint64 {
	var h maphash.Hash
	h.SetSeed(ix.seed)
	h.Write(by)
	h.WriteByte(0)
	h.Write(value)
	return h.Sum64()
}

// externalHash is the node of a work outside the file (a DevRev ID or a
// key of an earlier run), apart from every key of the file.
func (ix *Index) externalHash(ref []byte) uint64 {
	var h maphash.Hash
	h.SetSeed(ix.seed)
	h.WriteByte(1)
	h.Write(ref)
	return h.Sum64()
}

// storeKey keeps key in the arena and returns its offset + 1 (0: the
// arena is full at 4 GiB, and the key is not kept).
func (ix *Index) storeKey(key string) uint32 {
	off := len(ix.arena)
	if uint64(off)+uint64(len(key))+binary.MaxVarintLen64 >= math.MaxUint32 {
		return 0
	}
	ix.arena = binary.AppendUvarint(ix.arena, uint64(len(key)))
	ix.arena = append(ix.arena, key...)
	return uint32(off) + 1
}

// keyAt is the key stored at offset off-1.
func (ix *Index) keyAt(off uint32) []byte {
	b := ix.arena[off-1:]
	n, w := binary.Uvarint(b)
	return b[w : w+int(n)]
}

// Add records one mapped row (valid or not: a link to an invalid row is
// named as such). A valid row whose key an earlier valid row had is left
// out (the pipeline fails it as a duplicate). Only valid rows' links and
// comments count.
func (ix *Index) Add(row source.Row, res mapping.Result) error {
	h := ix.keyHash(res.Key)
	if len(res.Problems) > 0 {
		ix.keys.put(h, uint32(int32(-row.Number)), true)
		return nil
	}
	if prev, found := ix.keys.get(h); found && int32(prev) > 0 {
		return nil
	}
	ix.keys.put(h, uint32(int32(row.Number)), false) // a valid row wins over an invalid one with its key
	if len(res.Names) > 0 {
		off := ix.storeKey(res.Key)
		for _, n := range res.Names {
			if off == 0 {
				break
			}
			ix.names.put(ix.nameHash([]byte(n.By), []byte(n.Value)), off, true)
		}
	}
	ix.comments += len(res.Comments)
	for i := range res.Links {
		l := &res.Links[i]
		ix.links++
		r := record{kind: recLink, row: row.Number, col: l.Col, link: l.Link, typ: l.Type, reverse: l.Reverse,
			by: l.By, ref: l.Ref, key: res.Key, column: l.Column}
		if err := ix.put(&r); err != nil {
			return err
		}
	}
	return nil
}

// AddComment records one valid comment of the comments file, on key, from
// its row (named by Options.CommentWhere in messages).
func (ix *Index) AddComment(row int, key string) error {
	return ix.put(&record{kind: recComment, row: row, col: -1, key: key})
}

func (ix *Index) put(r *record) error {
	if err := ix.recs.add(r); err != nil {
		return fmt.Errorf("relations: %w", err)
	}
	return nil
}

// where names a record's cell.
func (ix *Index) where(v *view) string {
	if v.kind == recComment {
		if ix.opt.CommentWhere == nil {
			return "comments row " + strconv.Itoa(v.row)
		}
		return ix.opt.CommentWhere(v.row, -1)
	}
	return ix.opt.Where(v.row, v.col)
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
	ht, ok := ix.lookup([]byte(ref.By), []byte(ref.Ref))
	t = Target{Row: ht.row, External: ht.external, Unresolved: ht.unresolved}
	switch {
	case ht.off > 0:
		t.Key = string(ix.keyAt(ht.off))
	case ht.row != 0 || ht.unresolved || ht.known:
		t.Key = ref.Ref
	}
	return t, ok
}

// hit is what lookup found.
type hit struct {
	h          uint64 // the row's key hash (row != 0)
	row        int    // the row; negative: invalid; 0: not in the file
	off        uint32 // by: names: where the row's key is in the arena
	external   bool   // an earlier run's key or a DevRev ID
	known      bool   // an earlier run's key
	unresolved bool   // a key to look up in DevRev
}

// lookup resolves a reference without allocating when it names a row.
func (ix *Index) lookup(by, ref []byte) (hit, bool) {
	var ht hit
	key := ref
	if len(by) > 0 {
		off, found := ix.names.get(ix.nameHash(by, ref))
		if !found {
			id := mapping.IsID(string(ref), mapping.IDWork)
			return hit{external: id}, id
		}
		ht.off, key = off, ix.keyAt(off)
	}
	ht.h = ix.keyHashB(key)
	if row, found := ix.keys.get(ht.h); found {
		ht.row = int(int32(row))
		return ht, true
	}
	k := string(key)
	switch {
	case ix.opt.Known != nil && ix.opt.Known(k):
		return hit{external: true, known: true}, true
	case mapping.IsID(k, mapping.IDWork):
		return hit{external: true}, true
	case ix.opt.KeyField != "":
		return hit{unresolved: true}, true
	}
	return hit{}, false
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
	return ix.recs.each(func(_ uint32, v *view) error {
		key := v.key
		if v.kind == recLink {
			if len(v.by) > 0 {
				return nil // a by: name matches rows of the file only
			}
			key = v.ref
		}
		if ht, _ := ix.lookup(nil, key); !ht.unresolved {
			return nil
		}
		return fn(Unresolved{Key: string(key), Row: v.row, Where: ix.where(v), Column: string(v.column), Link: string(v.link)})
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
