//go:build unix

package checkpoint

import (
	"errors"
	"os"
	"strconv"
	"syscall"
)

// fileID names a file by device and inode: the same for every path to it.
func fileID(_ string, fi os.FileInfo) (string, error) {
	st, ok := fi.Sys().(*syscall.Stat_t)
	if !ok {
		return "", errors.New("no device and inode")
	}
	return strconv.FormatUint(uint64(st.Dev), 10) + "-" + strconv.FormatUint(uint64(st.Ino), 10), nil
}

// private reports whether this process's user owns the file and no one
// else may write it.
func private(fi os.FileInfo) bool {
	st, ok := fi.Sys().(*syscall.Stat_t)
	return ok && int(st.Uid) == os.Geteuid() && fi.Mode().Perm()&0o022 == 0
}

// userID names this user in the default lock directory.
func userID() string { return strconv.Itoa(os.Geteuid()) }
