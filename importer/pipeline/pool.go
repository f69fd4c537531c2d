package pipeline

import (
	"context"

	"golang.org/x/sync/errgroup"
)

// pool is the one worker pool of the tool (import and undo): feed, in the
// caller's goroutine, sends items to out until it is done or ctx ends;
// workers goroutines run work on each. A worker's error cancels ctx for
// the others and for feed. feed's error wins over the workers'.
func pool[T any](ctx context.Context, workers int, feed func(ctx context.Context, out chan<- T) error, work func(ctx context.Context, item T) error) error {
	g, gctx := errgroup.WithContext(ctx)
	items := make(chan T, workers*2)
	for range max(1, workers) {
		g.Go(func() error {
			for it := range items {
				if err := work(gctx, it); err != nil {
					return err
				}
			}
			return nil
		})
	}
	ferr := feed(gctx, items)
	close(items)
	werr := g.Wait()
	if ferr != nil {
		return ferr
	}
	return werr
}
