//go:build !unix

package pipeline

// bloomMemory returns n zeroed filter blocks on the heap (see the unix
// version, which maps them outside it).
func bloomMemory(n int) (blocks [][8]uint64, free func()) {
	return make([][8]uint64, n), func() {}
}
