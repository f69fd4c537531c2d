package cli

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/devrev-import/devrev-import/importer/checkpoint"
)

// fileRole is one file a command touches, named the way the user gave it
// (a flag, or FILE), and whether the command writes (or replaces, appends
// to, deletes) it.
type fileRole struct {
	name    string // "--errors-csv", "FILE", "the checkpoint lock"
	path    string
	written bool
}

// PathClashError is two roles of one command that resolve to the same file
// while at least one of them is written: running on would truncate an input
// while it is read, or overwrite one output with another.
type PathClashError struct {
	A, B fileRole
}

func (e *PathClashError) Error() string {
	return fmt.Sprintf("%s %s and %s %s are the same file: %s would destroy the other; give it another path",
		e.A.name, e.A.path, e.B.name, e.B.path, e.writer().name)
}

// writer is the role that would do the damage (the output).
func (e *PathClashError) writer() fileRole {
	if e.A.written {
		return e.A
	}
	return e.B
}

// checkPaths refuses, before anything is read or sent, any two roles that
// are the same file when one of them is written: the same file by
// os.SameFile when both exist, else the same cleaned absolute path (with
// the directory's symlinks resolved). Roles with an empty path are unused.
// Every command that writes files calls it with all of its paths.
func checkPaths(roles ...fileRole) error {
	ids := make([]fileID, len(roles))
	for i, r := range roles {
		if r.path != "" {
			ids[i] = identify(r.path)
		}
	}
	for i := range roles {
		for j := i + 1; j < len(roles); j++ {
			a, b := roles[i], roles[j]
			if a.path == "" || b.path == "" || !(a.written || b.written) {
				continue
			}
			if ids[i].same(ids[j]) {
				return &PathClashError{A: a, B: b}
			}
		}
	}
	return nil
}

// fileID is what identifies a file: its FileInfo when it exists, and its
// resolved absolute path.
type fileID struct {
	info os.FileInfo // nil when the file does not exist (yet)
	path string
}

func identify(p string) fileID {
	id := fileID{path: resolvedPath(p)}
	if fi, err := os.Stat(p); err == nil {
		id.info = fi
	}
	return id
}

func (a fileID) same(b fileID) bool {
	if a.info != nil && b.info != nil {
		return os.SameFile(a.info, b.info)
	}
	return a.path == b.path
}

// resolvedPath is p made absolute and clean, with the symlinks of its
// directory resolved when the directory exists, so "dir/x" and
// "link-to-dir/x" compare equal before x is created.
func resolvedPath(p string) string {
	abs, err := filepath.Abs(p)
	if err != nil {
		return filepath.Clean(p)
	}
	if dir, err := filepath.EvalSymlinks(filepath.Dir(abs)); err == nil {
		return filepath.Join(dir, filepath.Base(abs))
	}
	return abs
}

// checkpointPath is the import's journal: --checkpoint, else next to FILE.
func (r *importRun) checkpointPath() string {
	if r.f.checkpoint != "" {
		return r.f.checkpoint
	}
	return defaultCheckpoint(r.file, r.f.sandbox)
}

// errorsPath is where invalid and failed rows go: --errors-csv, else next
// to FILE.
func (r *importRun) errorsPath() string {
	if r.f.errorsCSV != "" {
		return r.f.errorsCSV
	}
	return r.file + ".errors.csv"
}

// createdPath is where created works go: --created-csv, else the
// checkpoint's name with .created.csv for .checkpoint.jsonl
// (tickets.csv.created.csv, tickets.csv.sandbox.created.csv).
func (r *importRun) createdPath() string {
	if r.f.createdCSV != "" {
		return r.f.createdCSV
	}
	ck := r.checkpointPath()
	return strings.TrimSuffix(ck, ".checkpoint.jsonl") + ".created.csv"
}

// fileRoles lists every file validate or import reads or writes.
func (r *importRun) fileRoles() []fileRole {
	f := &r.f
	roles := []fileRole{
		{name: "FILE", path: r.file},
		{name: "--mapping", path: f.mappingPath},
		{name: "--comments", path: f.comments},
		{name: "--token-file", path: f.tokenFile},
		{name: "--lookup-cache", path: f.lookupCache, written: true},
		{name: "--errors-csv", path: r.errorsPath(), written: true},
		{name: "--summary-json", path: f.summaryJSON, written: true},
		{name: "--plan-csv", path: f.planCSV, written: true},
	}
	if !r.dry {
		ck := r.checkpointPath()
		roles = append(roles,
			fileRole{name: "--checkpoint", path: ck, written: true},
			fileRole{name: "the checkpoint's lock", path: ck + ".lock", written: true},
			fileRole{name: "the checkpoint's snapshot", path: ck + checkpoint.SnapshotSuffix, written: true},
			fileRole{name: "--created-csv", path: r.createdPath(), written: true})
	}
	return roles
}

// clashFree reports whether the role called name is a file of its own,
// whatever clashes the other roles have among themselves.
func clashFree(roles []fileRole, name string) bool {
	only := make([]fileRole, len(roles))
	for i, r := range roles {
		r.written = r.name == name
		only[i] = r
	}
	return checkPaths(only...) == nil
}
