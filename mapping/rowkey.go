package mapping

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"strings"

	"github.com/devrev-import/devrev-import/importer/source"
)

// HashKey is the key of a keyless row under KeySchemeLegacy (checkpoints
// of format version 1): "h:" and 16 hex digits of a SHA-256 over every
// cell's exact value, in header order. It is exported so that a report can
// tell whether a row of the input still is the row a checkpoint entry was
// written for.
func HashKey(cells []source.Cell) string {
	// One Sum256 over a buffer is much cheaper than many small Writes;
	// rows up to the buffer size need no allocation.
	var stack [1024]byte
	buf := stack[:0]
	for _, c := range cells {
		buf = binary.AppendUvarint(buf, uint64(len(c.Value)))
		buf = append(buf, c.Value...)
	}
	return hexKey("h:", buf)
}

// HashKeyOf is the key of a keyless row under KeySchemeCurrent, hashing the
// named columns of header (as Mapper.HashedColumns and a checkpoint record
// them): for a report, which has the checkpoint but not the mapping.
func HashKeyOf(header, hashed []string, cells []source.Cell) string {
	cols, _ := hashColsNamed(header, hashed)
	return hashOf(cols, cells)
}

// hashOf is "h2:" and the first 16 hex digits of a SHA-256 over the
// non-empty trimmed cells of cols, each after its lower-case column name,
// in cols order (by name): a column added to the file or to ignore:, a
// column moved, or a trailing space leaves the key alone.
func hashOf(cols []hashCol, cells []source.Cell) string {
	var stack [1024]byte
	buf := stack[:0]
	for _, hc := range cols {
		v, _ := cellAt(cells, hc.col)
		if v == "" {
			continue
		}
		buf = binary.AppendUvarint(buf, uint64(len(hc.name)))
		buf = append(buf, hc.name...)
		buf = binary.AppendUvarint(buf, uint64(len(v)))
		buf = append(buf, v...)
	}
	return hexKey("h2:", buf)
}

// hexKey is prefix and the first 16 hex digits of buf's SHA-256.
func hexKey(prefix string, buf []byte) string {
	sum := sha256.Sum256(buf)
	var out [3 + 16]byte
	n := copy(out[:], prefix)
	hex.Encode(out[n:], sum[:8])
	return string(out[:n+16])
}

// hashColsNamed returns every position of header holding one of names
// (case-insensitively), ordered for hashOf, and the first name it does not
// find.
func hashColsNamed(header, names []string) (cols []hashCol, missing string) {
	for _, name := range names {
		n := len(cols)
		for i, h := range header {
			if strings.EqualFold(strings.TrimSpace(h), name) {
				cols = append(cols, hashCol{name: strings.ToLower(strings.TrimSpace(h)), col: i})
			}
		}
		if len(cols) == n && missing == "" {
			missing = name
		}
	}
	sortHashCols(cols)
	return cols, missing
}
