package cli

import (
	"context"
	"errors"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/devrev-import/devrev-import/importer/checkpoint"
	"github.com/devrev-import/devrev-import/importer/devrev"
	"github.com/devrev-import/devrev-import/importer/report"
	"github.com/devrev-import/devrev-import/importer/throttle"
	"github.com/devrev-import/devrev-import/mapping"
)

// A checkpoint belongs to one endpoint, one org, one key and one mapping
// (see checkpoint.Open); this file builds that identity for a run and
// keys the run's rows the way its checkpoint does.

// sandboxEndpoint is the endpoint a checkpoint of --sandbox records: the
// in-process simulator's address changes every run.
const sandboxEndpoint = "sandbox"

// defaultCheckpoint is the checkpoint of an import of file without
// --checkpoint: FILE.checkpoint.jsonl, or the checkpoint an errors CSV
// resumes (see resumedCheckpoint). A --sandbox trial has its own
// (FILE.sandbox.checkpoint.jsonl), so that it never makes the real import
// skip rows that exist only in the simulator.
func defaultCheckpoint(file string, sandbox bool) string {
	if ck, ok := resumedCheckpoint(file, sandbox); ok {
		return ck
	}
	return ownCheckpoint(file, sandbox)
}

func ownCheckpoint(file string, sandbox bool) string {
	if sandbox {
		return file + ".sandbox.checkpoint.jsonl"
	}
	return file + ".checkpoint.jsonl"
}

// resumedCheckpoint is X's checkpoint when file is X.errors.csv, an errors
// CSV this tool wrote, and X has a checkpoint: fixed rows fed back resume
// the import they came from, so they are created once and X, rerun,
// skips them.
func resumedCheckpoint(file string, sandbox bool) (string, bool) {
	orig, ok := strings.CutSuffix(file, ".errors.csv")
	if !ok || !report.IsErrorsCSV(file) {
		return "", false
	}
	ck := ownCheckpoint(orig, sandbox)
	_, err := os.Stat(ck)
	return ck, err == nil
}

// endpointName is the API base URL a run talks to, as the checkpoint
// records it: scheme and host in lower case, no trailing slash.
func endpointName(flagEndpoint string, env Env) string {
	e := flagEndpoint
	if e == "" {
		e = env.Getenv("DEVREV_ENDPOINT")
	}
	if e == "" {
		e = devrev.DefaultEndpoint
	}
	u, err := url.Parse(e)
	if err != nil {
		return e
	}
	u.Scheme, u.Host = strings.ToLower(u.Scheme), strings.ToLower(u.Host)
	return strings.TrimRight(u.String(), "/")
}

// orgOf is the Dev org part of a dev user's DON
// ("don:identity:dvrv-us-1:devo/x:devu/1" → "don:identity:dvrv-us-1:devo/x"),
// or "" when the ID has none.
func orgOf(userID string) string {
	parts := strings.Split(userID, ":")
	for i, p := range parts {
		if i >= 3 && strings.HasPrefix(p, "devo/") {
			return strings.Join(parts[:i+1], ":")
		}
	}
	return ""
}

// fetchOrg asks dev-users.self which org the token belongs to. A refused
// token is exit 4. Any other failure leaves the org unknown ("") for this
// run: the run itself then meets the API's state (and stops on it) the
// way it always does, and a later run records the org.
func (r *importRun) fetchOrg(ctx context.Context, client *devrev.Client, lim *throttle.Limiter) (string, error) {
	var self devrev.User
	err := throttle.Retrier{Limiter: lim, MaxAttempts: 2}.Do(ctx, func() (devrev.Response, error) {
		var resp devrev.Response
		var err error
		self, resp, err = client.Self(ctx)
		return resp, err
	})
	if err != nil {
		var ae *devrev.APIError
		if errors.As(err, &ae) && throttle.Classify(err) == throttle.Fatal {
			return "", r.fail(ExitAuth, "the API refused the token: %v", err)
		}
		if ctx.Err() != nil { // Ctrl-C: stop here, nothing was sent
			return "", r.fail(ExitStopped, "interrupted while asking the API for the token's org")
		}
		return "", nil
	}
	return orgOf(self.ID), nil
}

// lockInput takes the lock that stands for the input file (see
// checkpoint.LockInput): exclusive for an import, shared for a validate,
// so that two imports of one file never run at once, whatever their
// checkpoints. It adds the unlock to cleanups, or prints why not and
// returns why not, as lockCheckpoint.
func (r *importRun) lockInput(ctx context.Context, cleanups *[]func()) error {
	opt := checkpoint.InputLockOptions{Shared: r.dry}
	if x := r.env.Getenv("XDG_RUNTIME_DIR"); x != "" {
		opt.Dir = filepath.Join(x, "devrev-import")
	}
	lock, err := takeLock(ctx, r.file, r.f.waitLock, r.env, func(wait time.Duration) (*checkpoint.RunLock, error) {
		opt.Wait = wait
		return checkpoint.LockInput(ctx, r.file, opt)
	})
	if err != nil {
		return err
	}
	*cleanups = append(*cleanups, func() { lock.Unlock() })
	return nil
}

// keyDef is how m keys rows, as a checkpoint records it.
func keyDef(m *mapping.Mapper) *checkpoint.KeyDef {
	if cols := m.KeyNames(); len(cols) > 0 {
		return &checkpoint.KeyDef{Columns: cols}
	}
	return &checkpoint.KeyDef{Hashed: m.HashedColumns()}
}

// rekey returns m keyed the way the checkpoint's rows are: version 1
// checkpoints with the legacy keys, keyless ones hashing the columns the
// checkpoint recorded.
func rekey(m *mapping.Mapper, h checkpoint.Header) (*mapping.Mapper, error) {
	scheme := mapping.KeySchemeCurrent
	if h.Version < 2 {
		scheme = mapping.KeySchemeLegacy
	}
	var hashed []string
	if h.Key != nil && len(h.Key.Columns) == 0 {
		hashed = h.Key.Hashed
	}
	return m.Rekey(scheme, hashed)
}
