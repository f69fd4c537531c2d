package pipeline

import (
	"context"
	"errors"

	"github.com/devrev-import/devrev-import/importer/checkpoint"
	"github.com/devrev-import/devrev-import/importer/devrev"
	"github.com/devrev-import/devrev-import/importer/progress"
	"github.com/devrev-import/devrev-import/importer/throttle"
)

// UndoConfig wires an undo: deleting the works a checkpoint records as
// created, through the import's worker pool.
type UndoConfig struct {
	// Delete deletes one work (works.delete); nil means Client.DeleteWork.
	Delete  func(ctx context.Context, id string) (devrev.Response, error)
	Client  *devrev.Client
	Retrier throttle.Retrier // the limiter, backoff and attempts of every delete
	Journal *checkpoint.Journal
	Workers int // default 1
	// Failed is told about each work the API refused to delete; the undo
	// goes on. Called from the workers.
	Failed func(e checkpoint.Entry, err error)
	// Counters, when not nil, are kept live for a progress display
	// (Done, Deleted, Failed).
	Counters *progress.Counters
}

// UndoResult counts what an undo did.
type UndoResult struct {
	Deleted, Failed int
}

// Undo deletes the work of every entry of todo and appends a "deleted"
// line for each, so an interrupted undo resumes where it stopped. A work
// already gone (404: deleted by hand, or by an undo whose line was lost)
// counts as deleted. It returns early, with the error, when the token is
// refused (throttle.Classify says Fatal), the run is interrupted or a wait
// is too long (Abort), or the journal cannot be written.
func Undo(ctx context.Context, cfg UndoConfig, todo []checkpoint.Entry) (UndoResult, error) {
	del := cfg.Delete
	if del == nil {
		del = cfg.Client.DeleteWork
	}
	c := cfg.Counters
	if c == nil {
		c = new(progress.Counters)
	}
	feed := func(ctx context.Context, out chan<- checkpoint.Entry) error {
		for _, e := range todo {
			select {
			case out <- e:
			case <-ctx.Done():
				return nil
			}
		}
		return nil
	}
	work := func(ctx context.Context, e checkpoint.Entry) error {
		err := cfg.Retrier.Do(ctx, func() (devrev.Response, error) { return del(ctx, e.ID) })
		var ae *devrev.APIError
		switch {
		case err == nil, errors.As(err, &ae) && ae.Status == 404:
			if err := cfg.Journal.Append(checkpoint.Entry{Row: e.Row, Key: e.Key, Op: e.Op, Status: checkpoint.Deleted, ID: e.ID, DisplayID: e.DisplayID, Type: e.Type}); err != nil {
				return err
			}
			c.Deleted.Add(1)
			c.Done.Add(1)
		case throttle.Classify(err) == throttle.Fatal, throttle.Classify(err) == throttle.Abort:
			return err
		default:
			c.Failed.Add(1)
			c.Done.Add(1)
			if cfg.Failed != nil {
				cfg.Failed(e, err)
			}
		}
		return nil
	}
	err := pool(ctx, cfg.Workers, feed, work)
	return UndoResult{Deleted: int(c.Deleted.Load()), Failed: int(c.Failed.Load())}, err
}
