package pipeline

import (
	"encoding/binary"

	"github.com/devrev-import/devrev-import/importer/checkpoint"
	"github.com/devrev-import/devrev-import/importer/source"
)

// A row whose cells are those of the row its work was last written from
// maps to the values the work holds: with the same mapping, header and
// settings (Config.RowSalt) mapping is a function of the cells. The
// outcome lines that record a work's field hashes carry a digest of the
// cells they came from (checkpoint.Entry.RS), so that a nightly upsert
// over 100,000 unchanged rows settles each from its cells and the
// checkpoint in memory, without mapping, encoding or hashing its values.
//
// What the digest cannot see: DevRev's side of a lookup (an e-mail that
// now resolves to another user), which a row with changed cells, or a run
// with another salt, sees again.

// rowDigest hashes rows' cells; the zero value is off (no salt).
type rowDigest struct {
	seed uint64
}

// newRowDigest is the digest of a run with salt (Config.RowSalt) over a
// file with header; off when salt is "".
func newRowDigest(salt string, header []string) rowDigest {
	if salt == "" {
		return rowDigest{}
	}
	h := words(uint64(len(salt)), salt)
	for _, name := range header {
		h = words(h^uint64(len(name)), name)
	}
	return rowDigest{seed: h | 1}
}

// of returns the digest of row's cells (each its kind, length and value,
// so that no two rows share a framing), never 0; 0 when the digest is off.
// It is stored in checkpoints: changing it only costs one slower run.
func (d rowDigest) of(row source.Row) uint64 {
	if d.seed == 0 {
		return 0
	}
	h := d.seed
	for _, c := range row.Cells {
		h = words(h^uint64(c.Kind)<<32^uint64(len(c.Value)), c.Value)
	}
	h = words(h^uint64(len(row.Cells)), "")
	if sum := mix(h); sum != 0 {
		return sum
	}
	return 1
}

// words folds s into h eight bytes at a time (a multiply and a shift a
// word: cells are not chosen to collide, and the cells' lengths frame
// them), its tail zero-padded.
func words(h uint64, s string) uint64 {
	for len(s) >= 8 {
		h = (h ^ binary.LittleEndian.Uint64([]byte(s[:8]))) * wordPrime
		h ^= h >> 29
		s = s[8:]
	}
	var tail [8]byte
	copy(tail[:], s)
	h = (h ^ binary.LittleEndian.Uint64(tail[:])) * wordPrime
	return h ^ h>>29
}

// wordPrime is a 64-bit odd constant with well-spread bits (from
// splitmix64).
const wordPrime = 0x9e3779b97f4a7c15

// mix is splitmix64's finalizer: FNV's high bits are weak.
func mix(x uint64) uint64 {
	x ^= x >> 30
	x *= 0xbf58476d1ce4e5b9
	x ^= x >> 27
	x *= 0x94d049bb133111eb
	return x ^ x>>31
}

// rs is the digest an outcome line of op records: only beside the row's
// own field hashes (not, say, a stale create's, recorded without them).
func (op *Op) rs() string {
	if op.FH == nil || op.rowSum == 0 {
		return ""
	}
	return checkpoint.FormatRowSum(op.rowSum)
}

// sameCells reports, for a row of a sync that is being sent (not a dry
// run without workers), whether its cells are those of the row its key's
// work was last written from; key is the row's key.
func (r *run) sameCells(row source.Row, sum uint64) (key string, same bool) {
	if sum == 0 || r.cfg.Relations != nil {
		return "", false // a relations phase needs every row mapped
	}
	key, ok := r.cfg.Mapper.Key(row)
	return key, ok && r.cellsAsSent(row, key, sum)
}

// cellsAsSent reports whether row, with digest sum and key, has the cells
// of the row the key's work was last written from. A row with a problem
// of its own (row.Err) is never taken for one.
func (r *run) cellsAsSent(row source.Row, key string, sum uint64) bool {
	if sum == 0 || row.Err != nil {
		return false
	}
	was, ok := r.cfg.State.RowSum(key)
	return ok && was == sum
}
