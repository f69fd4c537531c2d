//go:build !unix

package checkpoint

import (
	"crypto/sha256"
	"encoding/hex"
	"os"
	"path/filepath"
	"strings"
)

// fileID names a file by its absolute path with links resolved, lower
// case (these systems' file names ignore case): without inodes, the
// closest to "the same file whatever path names it".
func fileID(path string, _ os.FileInfo) (string, error) {
	p, err := filepath.Abs(path)
	if err != nil {
		return "", err
	}
	if r, err := filepath.EvalSymlinks(p); err == nil {
		p = r
	}
	sum := sha256.Sum256([]byte(strings.ToLower(p)))
	return hex.EncodeToString(sum[:12]), nil
}

// private cannot be checked portably here (no Unix owner or mode bits);
// the default directory is under the user's own temp directory.
func private(os.FileInfo) bool { return true }

// userID names this user in the default lock directory.
func userID() string {
	if u := os.Getenv("USERNAME"); u != "" {
		return u
	}
	return "user"
}
