package lookup

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

// cacheVersion is the format version of the cache file.
const cacheVersion = 1

// cacheFile is the JSON content of a --lookup-cache file:
//
//	{"version": 1, "org": "dvrv-us-1:devo/x",
//	 "ids": {"dev_user.email": {"bob@example.com": "don:identity:…:devu/2"}}}
//
// IDs maps a lookup kind and a value (emails in lower case) to the ID it
// resolved to. Only resolved values are stored.
type cacheFile struct {
	Version int                          `json:"version"`
	Org     string                       `json:"org"`
	IDs     map[string]map[string]string `json:"ids"`
}

// readCacheFile reads a cache file; a missing one is an empty cache.
func readCacheFile(path string) (*cacheFile, error) {
	data, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return &cacheFile{Version: cacheVersion}, nil
	}
	if err != nil {
		return nil, errorf(path, err)
	}
	var f cacheFile
	if err := json.Unmarshal(data, &f); err != nil {
		return nil, errorf(path, fmt.Errorf("not a lookup cache (delete it to start afresh): %w", err))
	}
	if f.Version != cacheVersion {
		return nil, errorf(path, fmt.Errorf("version %d is not %d (delete it to start afresh)", f.Version, cacheVersion))
	}
	return &f, nil
}

// Close writes the cache file (when Options.CachePath is set): the entries
// read from it, if they belong to this run's org, plus every value this
// run resolved to an ID. Misses, ambiguities and failures are not stored.
// When no answer told which org this run talked to, the file is left as
// it is. Close may be called more than once.
func (r *Resolver) Close() error {
	if r.cachePath == "" {
		return nil
	}
	r.orgMu.Lock()
	org := r.org
	var old *cacheFile
	if r.file != nil && r.file.Org == org {
		old = r.file
	}
	r.orgMu.Unlock()
	if org == "" {
		return nil
	}
	out := cacheFile{Version: cacheVersion, Org: org, IDs: map[string]map[string]string{}}
	put := func(kindName, v, id string) {
		m := out.IDs[kindName]
		if m == nil {
			m = map[string]string{}
			out.IDs[kindName] = m
		}
		m[v] = id
	}
	if old != nil {
		for k, m := range old.IDs {
			for v, id := range m {
				put(k, v, id)
			}
		}
	}
	r.mu.Lock()
	for key, e := range r.entries {
		select {
		case <-e.done:
		default:
			continue // still being asked
		}
		if e.out.id != "" && orgOf(e.out.id) == org {
			put(kinds[key.k].name, key.v, e.out.id)
		}
	}
	r.mu.Unlock()
	data, err := json.MarshalIndent(out, "", "  ")
	if err != nil {
		return errorf(r.cachePath, err)
	}
	return writeFileAtomic(r.cachePath, append(data, '\n'))
}

// writeFileAtomic writes data to path with mode 0600 through a temporary
// file in the same directory, so a crash never leaves half a file.
func writeFileAtomic(path string, data []byte) (err error) {
	dir, base := filepath.Split(path)
	if dir == "" {
		dir = "."
	}
	tmp, err := os.CreateTemp(dir, "."+strings.TrimPrefix(base, ".")+".tmp*")
	if err != nil {
		return errorf(path, err)
	}
	defer func() {
		if err != nil {
			_ = os.Remove(tmp.Name())
		}
	}()
	if err := tmp.Chmod(0o600); err != nil {
		_ = tmp.Close()
		return errorf(path, err)
	}
	if _, err := tmp.Write(data); err != nil {
		_ = tmp.Close()
		return errorf(path, err)
	}
	if err := tmp.Close(); err != nil {
		return errorf(path, err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return errorf(path, err)
	}
	return nil
}
