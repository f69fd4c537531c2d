package checkpoint

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"time"
)

// One run per input, whatever the checkpoint path: two imports of one
// file with different --checkpoint paths would each create every row. So
// an import also takes an exclusive lock that stands for the input file
// itself, and a validate a shared one.
//
// The lock is not taken on the input file: the input may be on read-only
// media or in a directory the user cannot write, flock on the file would
// need it opened for locking by every tool that reads it, and Windows
// locks are mandatory (a locked input could not be read by the run that
// locked it). Instead it is a lock file named after the input's identity
// (device and inode on Unix, so every path that names the file, through
// links or a relative path, finds the same lock) in a directory of the
// user's own: $XDG_RUNTIME_DIR/devrev-import, else the user's cache
// directory's devrev-import/locks (~/.cache/devrev-import/locks), mode
// 0700. Its scope is one user: two users
// importing one file are not kept apart (their checkpoints' locks still
// are when the checkpoint is the same).

// InputLockOptions tune LockInput.
type InputLockOptions struct {
	// Dir holds the lock files; "" means defaultLockDir. It is
	// created (mode 0700) if missing and must be a directory of this user
	// that no one else can write.
	Dir string
	// Shared takes a shared lock (validate: several may read at once, an
	// import may not run meanwhile); otherwise it is exclusive (import).
	Shared bool
	// Wait is how long to wait for another run's lock (0: not at all).
	Wait time.Duration
}

// LockInput takes the lock that stands for the input file at path. If
// another run holds it, it returns a *LockedError with Input set, naming
// the holder when it was an import ("another import of FILE is running
// (pid N since T)").
func LockInput(ctx context.Context, path string, opt InputLockOptions) (*RunLock, error) {
	lp, err := inputLockPath(path, opt.Dir)
	if err != nil {
		return nil, err
	}
	return lockFile(ctx, lp, opt.Shared, opt.Wait, nil, func() *LockedError {
		e := lockedError(path, lp)
		e.Input = true
		return e
	})
}

// inputLockPath is the lock file of the input at path.
func inputLockPath(path, dir string) (string, error) {
	fi, err := os.Stat(path)
	if err != nil {
		return "", fmt.Errorf("locking the input: %w", err)
	}
	id, err := fileID(path, fi)
	if err != nil {
		return "", fmt.Errorf("locking the input %s: %w", path, err)
	}
	if dir == "" {
		dir = defaultLockDir()
	}
	if err := privateDir(dir); err != nil {
		return "", fmt.Errorf("locking the input %s: %w", path, err)
	}
	return filepath.Join(dir, "input-"+id+".lock"), nil
}

// defaultLockDir is the user's cache directory's devrev-import/locks
// (~/.cache on Linux): the user's own, and not a temporary directory that
// is expected to be left empty. Without one, $TMPDIR/devrev-import-UID.
func defaultLockDir() string {
	if c, err := os.UserCacheDir(); err == nil {
		return filepath.Join(c, "devrev-import", "locks")
	}
	return filepath.Join(os.TempDir(), "devrev-import-"+userID())
}

// privateDir makes sure dir exists, is a directory (not a link) owned by
// this user, and is not writable by others: a lock file in a directory
// someone else controls could be swapped for theirs.
func privateDir(dir string) error {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return err
	}
	fi, err := os.Lstat(dir)
	if err != nil {
		return err
	}
	if !fi.IsDir() || !private(fi) {
		return fmt.Errorf("%s is not a private directory of this user (a link, another owner, or writable by others)", dir)
	}
	return nil
}
