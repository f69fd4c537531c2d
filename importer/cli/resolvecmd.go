package cli

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/devrev-import/devrev-import/importer/checkpoint"
	"github.com/devrev-import/devrev-import/importer/devrev"
	"github.com/devrev-import/devrev-import/importer/throttle"
)

// newResolveCmd settles a row that reconciliation left ambiguous (several
// works match a request that may have been performed): the import never
// sends such a row again by itself. With only CHECKPOINT it lists them;
// with a ROW, --id records that work as the row's (after checking that it
// exists and that no other row claims it) and --send marks the row so the
// next import sends it. A row still in doubt (its lookup could not finish,
// e.g. too many candidates) can be settled the same way.
func newResolveCmd(env Env) *cobra.Command {
	c := &cobra.Command{Use: "resolve CHECKPOINT [ROW --id ID | ROW --send]", Short: "list rows left ambiguous, or settle one",
		Long: `List the rows of CHECKPOINT that reconciliation left ambiguous (several works
match a request that may have been performed) or in doubt, or settle one: --id
records that work as the row's, --send makes the next import send it.`,
		Example: `  devrev-import resolve export.csv.checkpoint.jsonl
  devrev-import resolve export.csv.checkpoint.jsonl 17 --id ISS-1234
  devrev-import resolve export.csv.checkpoint.jsonl 17 --send`}
	fs := c.Flags()
	id := fs.String("id", "", "record this work (display ID or DON) as the row's; it must exist")
	send := fs.Bool("send", false, "none of the candidates is the row's: the next import sends it")
	var api apiFlags
	api.register(fs)
	waitLock := fs.Duration("wait-lock", 0, "wait this long for another run's checkpoint lock instead of exiting 5")
	var logFormat string
	addLogFormat(fs, &logFormat)
	withGroups(c, flagGroup{"Settling", []string{"id", "send"}},
		flagGroup{"API", []string{"endpoint", "token-file", "timeout"}}, flagGroup{"Resume", []string{"wait-lock"}},
		flagGroup{"Output", []string{"log-format"}})
	c.RunE = func(c *cobra.Command, pos []string) error {
		env, err := logEnv(env, logFormat)
		if err != nil {
			return err
		}
		return runResolve(c.Context(), pos, *id, *send, api, *waitLock, env)
	}
	return c
}

// runResolve is resolve with its flags parsed.
func runResolve(ctx context.Context, pos []string, id string, send bool, api apiFlags, waitLock time.Duration, env Env) error {
	switch {
	case len(pos) == 1 && id == "" && !send:
		return listAmbiguous(pos[0], env)
	case len(pos) != 2:
		return usageError("need CHECKPOINT, or CHECKPOINT ROW with --id ID or --send")
	case (id == "") == !send:
		return usageError("give exactly one of --id ID and --send")
	}
	path := pos[0]
	in, stopWatch := watchSignals(ctx, env) // Ctrl-C ends a --wait-lock or the lookup
	defer stopWatch()
	ctx = in.ctx
	lock, err := lockCheckpoint(ctx, path, waitLock, env)
	if err != nil {
		return err
	}
	defer lock.Unlock()
	hdr, state, _, err := checkpoint.Read(path)
	if err != nil {
		return usageError("%v", err)
	}
	e, err := unsettledRow(state, pos[1])
	if err != nil {
		return usageError("%s: %v", path, err)
	}
	next := checkpoint.Entry{Row: e.Row, Key: e.Key, Status: checkpoint.Failed,
		Error: &checkpoint.ErrorInfo{Type: "resolved_send", Message: "marked with devrev-import resolve --send: the next import sends it"}}
	if id != "" {
		w, err := getWork(ctx, id, api, env)
		if err != nil {
			return err
		}
		if state.WasCreated(w.ID) {
			return usageError("%s (%s) is recorded as another row's work in %s; it cannot be this row's too", w.DisplayID, w.ID, path)
		}
		if len(e.Candidates) > 0 && !slices.Contains(e.Candidates, w.DisplayID) && !slices.Contains(e.Candidates, w.ID) {
			fmt.Fprintf(env.Stderr, "note: %s was not among the candidates (%s)\n", w.DisplayID, strings.Join(e.Candidates, ", "))
		}
		next = checkpoint.Entry{Row: e.Row, Key: e.Key, Status: checkpoint.Created, ID: w.ID, DisplayID: w.DisplayID, Type: w.Type}
	}
	journal, _, _, err := checkpoint.Open(path, hdr, checkpoint.Options{})
	if err != nil {
		return usageError("%v", err)
	}
	err = journal.Append(next)
	if cerr := journal.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return usageError("%v", err)
	}
	if id != "" {
		fmt.Fprintf(env.Stdout, "row %d: recorded as created: %s (%s)\n", e.Row, next.DisplayID, next.ID)
	} else {
		fmt.Fprintf(env.Stdout, "row %d: the next import sends it\n", e.Row)
	}
	return nil
}

// listAmbiguous prints every ambiguous row of the checkpoint with its
// candidates. It only reads, so it needs no lock.
func listAmbiguous(path string, env Env) error {
	_, state, warns, err := checkpoint.Read(path)
	if err != nil {
		return usageError("%v", err)
	}
	for _, w := range warns {
		fmt.Fprintf(env.Stderr, "warning: %s\n", w)
	}
	n, doubt := 0, 0
	state.Each(func(e checkpoint.Entry) bool {
		switch e.Status {
		case checkpoint.Ambiguous:
			n++
			fmt.Fprintf(env.Stdout, "row %d (key %s): candidates %s\n", e.Row, e.Key, strings.Join(e.Candidates, ", "))
		case checkpoint.Sending:
			doubt++
			fmt.Fprintf(env.Stdout, "row %d (key %s): in doubt, not looked up yet (the next import does)\n", e.Row, e.Key)
		}
		return true
	})
	if n+doubt == 0 {
		fmt.Fprintf(env.Stdout, "no ambiguous rows in %s\n", path)
		return nil
	}
	fmt.Fprintf(env.Stdout, "%d ambiguous, %d in doubt; settle a row with: devrev-import resolve %s ROW --id ID (that work is the row's) or --send (none is)\n", n, doubt, path)
	return nil
}

// unsettledRow finds the ambiguous (or in-doubt) entry that ref names: a
// row number, or else a row key.
func unsettledRow(state *checkpoint.State, ref string) (checkpoint.Entry, error) {
	row, numErr := strconv.Atoi(ref)
	var hits []checkpoint.Entry
	var other *checkpoint.Entry
	state.Each(func(e checkpoint.Entry) bool {
		if e.Key == ref || (numErr == nil && e.Row == row) {
			if e.Status == checkpoint.Ambiguous || e.Status == checkpoint.Sending {
				hits = append(hits, e)
			} else if other == nil {
				other = &e
			}
		}
		return true
	})
	switch {
	case len(hits) == 1:
		return hits[0], nil
	case len(hits) > 1:
		keys := make([]string, len(hits))
		for i, e := range hits {
			keys[i] = e.Key
		}
		return checkpoint.Entry{}, fmt.Errorf("several unsettled rows match %q (keys %s): name one by its key", ref, strings.Join(keys, ", "))
	case other != nil:
		return checkpoint.Entry{}, fmt.Errorf("row %d (key %s) is %s, not ambiguous or in doubt: nothing to resolve", other.Row, other.Key, other.Status)
	}
	return checkpoint.Entry{}, fmt.Errorf("no row %q", ref)
}

// getWork reads one work through the API, retrying what is worth
// retrying; its errors carry their exit code.
func getWork(ctx context.Context, id string, api apiFlags, env Env) (devrev.Work, error) {
	token, err := readToken(api.tokenFile, env)
	if err != nil {
		return devrev.Work{}, usageError("%v", err)
	}
	client, err := newClient(api.endpoint, token, api.timeout, 1, nil, env)
	if err != nil {
		return devrev.Work{}, usageError("%v", err)
	}
	var w devrev.Work
	retrier := throttle.Retrier{Limiter: throttle.NewLimiter(throttle.Config{MaxWait: throttle.DefaultMaxWait})}
	err = retrier.Do(ctx, func() (devrev.Response, error) {
		var resp devrev.Response
		var err error
		w, resp, err = client.GetWork(ctx, id)
		return resp, err
	})
	var ae *devrev.APIError
	switch {
	case err == nil:
		return w, nil
	case errors.As(err, &ae) && ae.Status == 404:
		return devrev.Work{}, usageError("no work %s in DevRev", id)
	case throttle.Classify(err) == throttle.Fatal:
		return devrev.Work{}, authError("the API refused the token: %w", err)
	}
	return devrev.Work{}, stoppedError("reading work %s: %w", id, err)
}
