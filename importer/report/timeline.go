package report

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"time"
)

// A pause is a stretch during a run in which no request was sent, of at
// least PauseMin and at least pauseFactor times the run's median time
// between two requests (so that a run with one worker and slow answers
// does not pause at every row). The journal does not say why no request
// left (a rate-limit wait, slow answers, retries backing off); it only has
// the time of every line, so a pause is what those times can honestly show.
const (
	PauseMin    = time.Second
	pauseFactor = 3
)

// maxPauses bounds the pauses kept per run for drawing; all are counted.
const maxPauses = 500

// maxCandidates bounds the gaps of at least PauseMin kept per run until
// the run's median gap is known.
const maxCandidates = 100_000

// RunTimes is what one run's journal lines say about when it wrote.
type RunTimes struct {
	N          int       // 1 for the run that created the journal
	Start, End time.Time // End is the time of its last entry (Start if none)
	Sent       int       // `sending` lines: requests that left
	// Created and Failed count the run's outcome lines per Unix second.
	Created, Failed map[int64]int
	Pauses          []Pause // the first maxPauses pauses
	PauseCount      int
	Paused          time.Duration
	PauseThreshold  time.Duration // the shortest gap that counts as a pause

	gaps       gapHistogram
	candidates []Pause // gaps of at least PauseMin, until finish
	lastSend   time.Time
}

// Pause is a stretch of at least PauseMin during a run in which no request
// was sent.
type Pause struct{ From, To time.Time }

// Duration returns how long the pause lasted.
func (p Pause) Duration() time.Duration { return p.To.Sub(p.From) }

// timeLine is the part of a journal line the timeline needs.
type timeLine struct {
	Checkpoint int       `json:"checkpoint"`
	Created    time.Time `json:"created"`
	Run        int       `json:"run"`
	Started    time.Time `json:"started"`
	Status     string    `json:"status"`
	TS         time.Time `json:"ts"`
}

// ReadTimeline reads the time of every line of the journal at path, run by
// run. It is meant for a journal checkpoint.Read has accepted: a line that
// does not parse (the torn last line Read warns about) is skipped. Memory
// grows with the number of distinct seconds the journal spans, not with its
// lines.
func ReadTimeline(path string) ([]*RunTimes, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("reading checkpoint: %w", err)
	}
	defer f.Close()
	var (
		runs []*RunTimes
		cur  *RunTimes
	)
	br := bufio.NewReaderSize(f, 64<<10)
	for {
		line, err := br.ReadBytes('\n')
		if err != nil && !errors.Is(err, io.EOF) {
			return nil, fmt.Errorf("reading checkpoint %s: %w", path, err)
		}
		var l timeLine
		if len(line) > 0 && json.Unmarshal(line, &l) == nil {
			switch {
			case l.Checkpoint != 0 || l.Run != 0:
				start := l.Started
				if l.Checkpoint != 0 {
					start = l.Created
				}
				cur = &RunTimes{N: len(runs) + 1, Start: start, End: start, Created: map[int64]int{}, Failed: map[int64]int{}}
				runs = append(runs, cur)
			case cur != nil && !l.TS.IsZero():
				cur.take(l)
			}
		}
		if err != nil {
			for _, r := range runs {
				r.finish()
			}
			return runs, nil
		}
	}
}

// take counts one entry line of the run.
func (r *RunTimes) take(l timeLine) {
	if l.TS.Before(r.Start) {
		r.Start = l.TS // the header's time has whole seconds only
	}
	if l.TS.After(r.End) {
		r.End = l.TS
	}
	switch l.Status {
	case "sending":
		r.Sent++
		if !r.lastSend.IsZero() {
			gap := l.TS.Sub(r.lastSend)
			r.gaps.add(gap)
			if gap >= PauseMin && len(r.candidates) < maxCandidates {
				r.candidates = append(r.candidates, Pause{From: r.lastSend, To: l.TS})
			}
		}
		if l.TS.After(r.lastSend) {
			r.lastSend = l.TS
		}
	case "created":
		r.Created[l.TS.Unix()]++
	case "failed":
		r.Failed[l.TS.Unix()]++
	}
}

// finish picks the pauses out of the candidate gaps, now that the run's
// median gap is known.
func (r *RunTimes) finish() {
	r.PauseThreshold = max(PauseMin, pauseFactor*r.gaps.median())
	for _, p := range r.candidates {
		if p.Duration() < r.PauseThreshold {
			continue
		}
		r.PauseCount++
		r.Paused += p.Duration()
		if len(r.Pauses) < maxPauses {
			r.Pauses = append(r.Pauses, p)
		}
	}
	r.candidates = nil
}

// gapHistogram counts gaps between requests in buckets a quarter of an
// octave wide (1 µs to about 3 days): a median within 10%, in fixed memory.
type gapHistogram struct {
	n       int
	buckets [4 * 38]int
}

func (h *gapHistogram) add(d time.Duration) {
	b := 0
	if us := d.Microseconds(); us > 1 {
		b = min(int(4*math.Log2(float64(us))), len(h.buckets)-1)
	}
	h.buckets[b]++
	h.n++
}

// median returns the middle of the bucket holding the median gap, 0
// without gaps.
func (h *gapHistogram) median() time.Duration {
	seen := 0
	for b, k := range h.buckets {
		seen += k
		if k > 0 && 2*seen >= h.n {
			return time.Duration(math.Exp2((float64(b)+0.5)/4)) * time.Microsecond
		}
	}
	return 0
}

// Duration returns how long the run wrote.
func (r *RunTimes) Duration() time.Duration { return r.End.Sub(r.Start) }
