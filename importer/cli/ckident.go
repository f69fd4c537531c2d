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
// --checkpoint. A --sandbox trial has its own, so that it never makes the
// real import skip rows that exist only in the simulator. Fixed rows fed
// back as X.errors.csv (an errors CSV this tool wrote) resume X's
// checkpoint when there is one, so that X's rows stay done and X, rerun,
// skips the rows fixed there.
func defaultCheckpoint(file string, sandbox bool) string {
	own := func(f string) string {
		if sandbox {
			return f + ".sandbox.checkpoint.jsonl"
		}
		return f + ".checkpoint.jsonl"
	}
	if orig, ok := strings.CutSuffix(file, ".errors.csv"); ok && report.IsErrorsCSV(file) {
		if _, err := os.Stat(own(orig)); err == nil {
			return own(orig)
		}
	}
	return own(file)
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
