package cli

import (
	"fmt"
	"time"
)

// maxPool bounds the flags that set how many requests may be in flight
// (--workers, --max-workers, undo's --workers): each is a goroutine and a
// connection. No rate limit needs more (100 requests/s at 2 s latency is
// 200 in flight), and --max-workers 100000 took 290 MB before one row was
// sent.
const maxPool = 1024

// numFlag is a numeric flag's name, value and the range it may take.
type numFlag struct {
	name string
	n    int
	min  int // the least meaningful value
	max  int // 0: no upper bound
	why  string
}

// durFlag is a duration flag's name, value and whether 0 means something
// (no limit, do not wait) or would only be read as the default.
type durFlag struct {
	name     string
	d        time.Duration
	zeroOK   bool
	zeroMean string
}

// checkNumbers refuses numeric flags outside what they can mean (a
// negative timeout, a retry count of -1, a pool of 100,000) instead of
// reading them as the default or letting them exhaust memory.
func checkNumbers(nums []numFlag, durs []durFlag) error {
	for _, f := range nums {
		switch {
		case f.n < f.min:
			return usageError("--%s %d: want at least %d%s", f.name, f.n, f.min, f.why)
		case f.max > 0 && f.n > f.max:
			return usageError("--%s %d: at most %d%s", f.name, f.n, f.max, f.why)
		}
	}
	for _, f := range durs {
		switch {
		case f.d < 0:
			return usageError("--%s %s: want a positive duration%s", f.name, f.d, zeroNote(f))
		case f.d == 0 && !f.zeroOK:
			return usageError("--%s 0: want a positive duration, such as %s", f.name, f.zeroMean)
		}
	}
	return nil
}

func zeroNote(f durFlag) string {
	if f.zeroOK {
		return fmt.Sprintf(" (0 = %s)", f.zeroMean)
	}
	return ""
}
