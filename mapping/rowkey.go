package mapping

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"

	"github.com/devrev-import/devrev-import/importer/source"
)

// HashKey is the key of a row when the mapping names no key columns:
// "h:" and 16 hex digits of a SHA-256 over every cell's exact value. It is
// exported so that a report can tell whether a row of the input still is
// the row a checkpoint entry was written for.
func HashKey(cells []source.Cell) string {
	// One Sum256 over a buffer is much cheaper than many small Writes;
	// rows up to the buffer size need no allocation.
	var stack [1024]byte
	buf := stack[:0]
	for _, c := range cells {
		buf = binary.AppendUvarint(buf, uint64(len(c.Value)))
		buf = append(buf, c.Value...)
	}
	sum := sha256.Sum256(buf)
	var out [2 + 16]byte
	out[0], out[1] = 'h', ':'
	hex.Encode(out[2:], sum[:8])
	return string(out[:])
}
