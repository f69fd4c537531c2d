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
	h := fnvBytes(fnvOffset, salt)
	for _, name := range header {
		h = fnvBytes(fnvLen(h, len(name)), name)
	}
	return rowDigest{seed: h | 1}
}

// of returns the digest of row's cells (each its kind, length and value,
// so that no two rows share a framing), never 0; 0 when the digest is off.
func (d rowDigest) of(row source.Row) uint64 {
	if d.seed == 0 {
		return 0
	}
	h := d.seed
	for _, c := range row.Cells {
		h = (h ^ uint64(c.Kind)) * fnvPrime
		h = fnvBytes(fnvLen(h, len(c.Value)), c.Value)
	}
	h = fnvLen(h, len(row.Cells))
	if sum := mix(h); sum != 0 {
		return sum
	}
	return 1
}

const (
	fnvOffset = 14695981039346656037
	fnvPrime  = 1099511628211
)

// fnvBytes folds s into the FNV-1a hash h.
func fnvBytes(h uint64, s string) uint64 {
	for i := 0; i < len(s); i++ {
		h = (h ^ uint64(s[i])) * fnvPrime
	}
	return h
}

// fnvLen folds n, as a uvarint, into the FNV-1a hash h.
func fnvLen(h uint64, n int) uint64 {
	var b [binary.MaxVarintLen64]byte
	return fnvBytes(h, string(b[:binary.PutUvarint(b[:], uint64(n))]))
}

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
	if sum == 0 || row.Err != nil || r.cfg.Relations != nil {
		return "", false // a relations phase needs every row mapped
	}
	key, ok := r.cfg.Mapper.Key(row)
	if !ok {
		return "", false
	}
	was, ok := r.cfg.State.RowSum(key)
	return key, ok && was == sum
}
