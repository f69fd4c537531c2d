package pipeline

import (
	"context"
	"path/filepath"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/devrev-import/devrev-import/importer/checkpoint"
	"github.com/devrev-import/devrev-import/importer/devrev"
	"github.com/devrev-import/devrev-import/importer/throttle"
	"github.com/devrev-import/devrev-import/importer/throttle/throttletest"
)

// Undo deletes through the pool: a deleted or already gone (404) work
// gets a "deleted" line, a refused one is reported and the rest goes on, a
// refused token ends the undo with its error.
func TestUndoScripted(t *testing.T) {
	answers := map[string]error{
		"w1": nil,
		"w2": apiErr(404, "not_found"),
		"w3": apiErr(400, "bad_request"),
	}
	tests := []struct {
		name    string
		ids     []string
		deleted []string // keys with a deleted line
		failed  []string
		wantErr throttle.Decision
		workers int
	}{
		{name: "deleted, gone, refused", ids: []string{"w1", "w2", "w3"}, deleted: []string{"k-w1", "k-w2"}, failed: []string{"k-w3"}, workers: 3},
		{name: "a refused token stops", ids: []string{"w401"}, wantErr: throttle.Fatal, workers: 1},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ck := filepath.Join(t.TempDir(), "u.checkpoint.jsonl")
			j, _, _, err := checkpoint.Open(ck, checkpoint.Header{Input: "in.csv", Endpoint: "test"}, checkpoint.Options{SyncEvery: -1})
			if err != nil {
				t.Fatal(err)
			}
			var todo []UndoItem
			for i, id := range tc.ids {
				todo = append(todo, UndoItem{Restore: checkpoint.Restore{Row: i + 2, Key: "k-" + id, Created: true, ID: id}})
			}
			var mu sync.Mutex
			var failed []string
			clock := throttletest.NewFakeClock(t0)
			res, err := Undo(context.Background(), UndoConfig{
				Delete: func(_ context.Context, id string) (devrev.Response, error) {
					if id == "w401" {
						return devrev.Response{Status: 401}, apiErr(401, "unauthenticated")
					}
					return devrev.Response{}, answers[id]
				},
				Retrier: throttle.Retrier{Limiter: throttle.NewLimiter(throttle.Config{Rate: 1e6, Burst: 100, Clock: clock}),
					Backoff: func(int) time.Duration { return 0 }, MaxAttempts: 1},
				Journal: j,
				Workers: tc.workers,
				Failed: func(e UndoItem, err error) {
					mu.Lock()
					defer mu.Unlock()
					failed = append(failed, e.Key)
				},
			}, todo)
			if got := throttle.Classify(err); got != tc.wantErr {
				t.Errorf("Undo: %v (%s), want %s", err, got, tc.wantErr)
			}
			if err := j.Close(); err != nil {
				t.Fatal(err)
			}
			var deleted []string
			for _, e := range readEntries(t, ck) {
				if e.Status != checkpoint.Deleted || e.Op != KindCreate || e.V != checkpoint.EntryVersion {
					t.Errorf("journal entry %+v, want a version %d deleted create", e, checkpoint.EntryVersion)
				}
				deleted = append(deleted, e.Key)
			}
			slices.Sort(deleted)
			slices.Sort(failed)
			if !slices.Equal(deleted, tc.deleted) || !slices.Equal(failed, tc.failed) {
				t.Errorf("deleted %q failed %q, want %q and %q", deleted, failed, tc.deleted, tc.failed)
			}
			if res.Deleted != len(tc.deleted) || res.Failed != len(tc.failed) {
				t.Errorf("result %+v, want %d deleted %d failed", res, len(tc.deleted), len(tc.failed))
			}
		})
	}
}
