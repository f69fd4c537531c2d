package pipeline

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/devrev-import/devrev-import/importer/checkpoint"
	"github.com/devrev-import/devrev-import/importer/devrev"
	"github.com/devrev-import/devrev-import/importer/throttle"
	"github.com/devrev-import/devrev-import/importer/throttle/throttletest"
)

// t0 is when every scripted run starts, on the fake clock.
var t0 = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

// attempt is one scripted answer of the API: what Config.Request returns.
type attempt struct {
	ans Answer
	err error
	// during, when set, runs while the request is "in flight".
	during func(h *harness)
}

func created(id string) attempt {
	return attempt{ans: Answer{ID: id, DisplayID: "ISS-" + id, Type: "issue"}}
}

func apiErr(status int, typ string) *devrev.APIError {
	return &devrev.APIError{Op: "works.create", Status: status, Type: typ, Message: "scripted"}
}

func throttled(retryAfter time.Duration, reset time.Time) attempt {
	e := apiErr(429, "too_many_requests")
	e.RetryAfter = retryAfter
	if !reset.IsZero() {
		e.Rate = devrev.RateInfo{Known: true, Limit: 10, Reset: reset}
	}
	return attempt{err: e}
}

func failedWith(status int, typ string) attempt { return attempt{err: apiErr(status, typ)} }

func dropped(inDoubt bool) attempt {
	return attempt{err: &devrev.TransportError{Op: "works.create", Err: io.ErrUnexpectedEOF, InDoubt: inDoubt}}
}

func badBody() attempt {
	return attempt{err: &devrev.BadResponseError{Op: "works.create", Status: 201, Snippet: "<html>"}}
}

// harness runs the pipeline over a one-column CSV with a scripted Request,
// a real journal and a fake clock that an advancer goroutine moves to the
// next pending timer whenever the run waits: no sleeps, no HTTP.
type harness struct {
	t      *testing.T
	clock  *throttletest.FakeClock
	script []attempt
	stop   chan struct{}
	cancel context.CancelFunc

	mu     sync.Mutex
	calls  []time.Time // when each attempt was sent, on the fake clock
	pauses []time.Time // Config.Throttle's instants
}

func (h *harness) request(ctx context.Context, op *Op) (Answer, devrev.Response, error) {
	h.mu.Lock()
	n := len(h.calls)
	h.calls = append(h.calls, h.clock.Now())
	h.mu.Unlock()
	if op.Kind != KindCreate || !strings.Contains(string(op.Body), `"title":"`) {
		h.t.Errorf("attempt %d: op %s with body %s", n+1, op.Kind, op.Body)
	}
	if n >= len(h.script) {
		h.t.Errorf("attempt %d not scripted", n+1)
		return Answer{}, devrev.Response{}, apiErr(400, "unscripted")
	}
	a := h.script[n]
	if a.during != nil {
		a.during(h)
	}
	var resp devrev.Response
	if ae := (*devrev.APIError)(nil); errors.As(a.err, &ae) {
		resp = devrev.Response{Status: ae.Status, Rate: ae.Rate, RetryAfter: ae.RetryAfter}
	} else if a.err == nil {
		resp.Status = 201
	}
	return a.ans, resp, a.err
}

// run imports rows titled A, B, ... through the script with cfg's limits
// and returns the result, the error and the journal's entries.
func (h *harness) run(rows int, cfg Config) (Result, error, []checkpoint.Entry) {
	t := h.t
	dir := t.TempDir()
	csv := "Title\n"
	for i := range rows {
		csv += string(rune('A'+i)) + "\n"
	}
	src, _, m := openMapped(t, dir, csv, "type: issue\ndefaults:\n  applies_to_part: PROD-1\n  owned_by: [DEVU-1]\ncolumns:\n  Title: title\n")
	in := filepath.Join(dir, "in.csv")
	ck := filepath.Join(dir, "in.checkpoint.jsonl")
	j, _, _, err := checkpoint.Open(ck, checkpoint.Header{Input: in, Endpoint: "test"}, checkpoint.Options{SyncEvery: -1, Clock: h.clock})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	h.cancel, h.stop = cancel, make(chan struct{})
	go h.advance(ctx)

	cfg.Source, cfg.Mapper, cfg.Journal = src, m, j
	cfg.Request, cfg.Clock, cfg.Stop = h.request, h.clock, h.stop
	cfg.Workers = 1
	cfg.Limiter = throttle.NewLimiter(throttle.Config{Rate: 1e6, Burst: 100, Clock: h.clock})
	if cfg.Backoff == nil {
		cfg.Backoff = func(n int) time.Duration { return time.Duration(n) * time.Second }
	}
	cfg.Throttle = func(until time.Time) {
		h.mu.Lock()
		defer h.mu.Unlock()
		h.pauses = append(h.pauses, until)
	}
	res, runErr := Run(ctx, cfg)
	if err := j.Close(); err != nil {
		t.Fatal(err)
	}
	return res, runErr, readEntries(t, ck)
}

// advance moves the fake clock to each timer the run waits on.
func (h *harness) advance(ctx context.Context) {
	for h.clock.BlockUntil(ctx, 1) == nil {
		if at, ok := h.clock.NextDeadline(); ok {
			h.clock.AdvanceTo(at)
		}
	}
}

// readEntries decodes the journal's entry lines (not its header and run
// lines).
func readEntries(t *testing.T, path string) []checkpoint.Entry {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out []checkpoint.Entry
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		var e checkpoint.Entry
		if err := json.Unmarshal(sc.Bytes(), &e); err != nil {
			t.Fatalf("journal line %q: %v", sc.Text(), err)
		}
		if e.Status != "" {
			out = append(out, e)
		}
	}
	return out
}

// line renders an entry as the test tables spell it.
func line(e checkpoint.Entry) string {
	s := fmt.Sprintf("row%d %s", e.Row, e.Status)
	switch e.Status {
	case checkpoint.Created:
		s += fmt.Sprintf(" %s attempts=%d", e.ID, e.Attempts)
	case checkpoint.Failed:
		s += fmt.Sprintf(" %d %s attempts=%d", e.HTTPStatus, e.Error.Type, e.Attempts)
	}
	return s
}

func offsets(ts []time.Time) []time.Duration {
	out := make([]time.Duration, len(ts))
	for i, t := range ts {
		out[i] = t.Sub(t0)
	}
	return out
}

// TestSendScripted drives send through every kind of answer the API gives
// and checks what reaches the journal, when each attempt went out (on the
// fake clock: backoffs and 429 pauses), the pauses announced and the
// outcome.
func TestSendScripted(t *testing.T) {
	s := time.Second
	tests := []struct {
		name    string
		rows    int
		cfg     Config
		script  []attempt
		journal []string
		calls   []time.Duration // when each attempt was sent
		pauses  []time.Duration
		stopped string // the StopError's reason, "" = none
		sum     string // created/failed/not attempted
		warns   int
	}{{
		name:    "2xx",
		script:  []attempt{created("1")},
		journal: []string{"row2 sending", "row2 created 1 attempts=1"},
		calls:   []time.Duration{0},
		sum:     "created=1 failed=0 not_attempted=0",
	}, {
		name:    "400 fails the row at once",
		script:  []attempt{failedWith(400, "invalid_enum_value")},
		journal: []string{"row2 sending", "row2 failed 400 invalid_enum_value attempts=1"},
		calls:   []time.Duration{0},
		sum:     "created=0 failed=1 not_attempted=0",
	}, {
		name:    "401 stops the run, the row is sent again next time",
		rows:    2,
		script:  []attempt{failedWith(401, "unauthenticated")},
		journal: []string{"row2 sending", "row2 failed 0 interrupted attempts=1"},
		calls:   []time.Duration{0},
		stopped: "unauthorized",
		sum:     "created=0 failed=0 not_attempted=2",
	}, {
		name:    "429 with Retry-After pauses until then, without using a retry",
		script:  []attempt{throttled(7*s, time.Time{}), created("1")},
		journal: []string{"row2 sending", "row2 created 1 attempts=1"},
		calls:   []time.Duration{0, 7 * s},
		pauses:  []time.Duration{7 * s},
		sum:     "created=1 failed=0 not_attempted=0",
	}, {
		name:    "429 with the window's reset pauses until the reset",
		script:  []attempt{throttled(2*s, t0.Add(20*s)), created("1")},
		journal: []string{"row2 sending", "row2 created 1 attempts=1"},
		calls:   []time.Duration{0, 20 * s},
		pauses:  []time.Duration{20 * s},
		sum:     "created=1 failed=0 not_attempted=0",
	}, {
		name:    "429 without a hint backs off on its own",
		script:  []attempt{throttled(0, time.Time{}), throttled(0, time.Time{}), created("1")},
		journal: []string{"row2 sending", "row2 created 1 attempts=1"},
		calls:   []time.Duration{0, 1 * s, 3 * s},
		pauses:  []time.Duration{1 * s, 3 * s},
		sum:     "created=1 failed=0 not_attempted=0",
	}, {
		name:    "429 asking for more than --max-wait stops the run",
		cfg:     Config{MaxWait: time.Minute},
		script:  []attempt{throttled(time.Hour, time.Time{})},
		journal: []string{"row2 sending", "row2 failed 0 interrupted attempts=0"}, // a 429 was not performed: not in doubt
		calls:   []time.Duration{0},
		stopped: "wait_too_long",
		sum:     "created=0 failed=0 not_attempted=1",
	}, {
		name:    "interrupted during a 429 pause: not in doubt, sent again next run",
		script:  []attempt{{err: throttled(7*s, time.Time{}).err, during: func(h *harness) { h.cancel() }}},
		journal: []string{"row2 sending", "row2 failed 0 interrupted attempts=0"},
		calls:   []time.Duration{0},
		pauses:  []time.Duration{7 * s},
		sum:     "created=0 failed=0 not_attempted=1",
	}, {
		name:    "5xx then 2xx retries after a backoff",
		script:  []attempt{failedWith(503, "service_unavailable"), failedWith(500, "internal_error"), created("1")},
		journal: []string{"row2 sending", "row2 created 1 attempts=3"},
		calls:   []time.Duration{0, 1 * s, 3 * s},
		sum:     "created=1 failed=0 not_attempted=0",
	}, {
		name:    "5xx past the retry budget fails the row",
		cfg:     Config{MaxRetries: 1},
		script:  []attempt{failedWith(500, "internal_error"), failedWith(500, "internal_error")},
		journal: []string{"row2 sending", "row2 failed 500 internal_error attempts=2"},
		calls:   []time.Duration{0, 1 * s},
		sum:     "created=0 failed=1 not_attempted=0",
	}, {
		name:    "5xx in a row past --max-consecutive-failures stops the run",
		rows:    2,
		cfg:     Config{MaxConsecutiveFailures: 2},
		script:  []attempt{failedWith(502, "http_502"), failedWith(500, "internal_error")},
		journal: []string{"row2 sending", "row2 failed 0 interrupted attempts=2"},
		calls:   []time.Duration{0, 1 * s},
		stopped: "api_unavailable",
		sum:     "created=0 failed=0 not_attempted=2",
	}, {
		name:    "dropped before the request was written: resent",
		script:  []attempt{dropped(false), created("1")},
		journal: []string{"row2 sending", "row2 created 1 attempts=2"},
		calls:   []time.Duration{0, 1 * s},
		sum:     "created=1 failed=0 not_attempted=0",
	}, {
		name:    "dropped after it was written, --on-doubt resend: resent",
		cfg:     Config{OnDoubt: OnDoubtResend},
		script:  []attempt{dropped(true), created("1")},
		journal: []string{"row2 sending", "row2 created 1 attempts=2"},
		calls:   []time.Duration{0, 1 * s},
		sum:     "created=1 failed=0 not_attempted=0",
	}, {
		name:    "every answer lost: left in doubt (sending), never failed",
		cfg:     Config{MaxRetries: 1},
		script:  []attempt{dropped(true), badBody()},
		journal: []string{"row2 sending"},
		calls:   []time.Duration{0, 1 * s},
		sum:     "created=0 failed=0 not_attempted=1",
		warns:   1,
	}, {
		name:    "bad 2xx body then 2xx",
		script:  []attempt{badBody(), created("1")},
		journal: []string{"row2 sending", "row2 created 1 attempts=2"},
		calls:   []time.Duration{0, 1 * s},
		sum:     "created=1 failed=0 not_attempted=0",
	}, {
		name:    "interrupt (Ctrl-C) in flight: the request finishes, no new row starts",
		rows:    3,
		script:  []attempt{{ans: Answer{ID: "1", Type: "issue"}, during: func(h *harness) { close(h.stop) }}},
		journal: []string{"row2 sending", "row2 created 1 attempts=1"},
		calls:   []time.Duration{0},
		stopped: "interrupted",
		sum:     "created=1 failed=0 not_attempted=2",
	}, {
		name: "abandoned in flight (the context ends) after a retry: the row stays in doubt",
		rows: 2,
		script: []attempt{failedWith(503, "service_unavailable"), {
			err:    &devrev.TransportError{Op: "works.create", Err: context.Canceled, InDoubt: true},
			during: func(h *harness) { h.cancel() },
		}},
		journal: []string{"row2 sending"},
		calls:   []time.Duration{0, 1 * s},
		sum:     "created=0 failed=0 not_attempted=2",
	}}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			h := &harness{t: t, clock: throttletest.NewFakeClock(t0), script: tc.script}
			res, err, entries := h.run(max(tc.rows, 1), tc.cfg)
			var got []string
			for _, e := range entries {
				got = append(got, line(e))
				if e.Op != KindCreate || e.V != checkpoint.EntryVersion {
					t.Errorf("%s: op %q version %d, want a version %d create", line(e), e.Op, e.V, checkpoint.EntryVersion)
				}
			}
			if !slices.Equal(got, tc.journal) {
				t.Errorf("journal:\n  got  %q\n  want %q", got, tc.journal)
			}
			if c := offsets(h.calls); fmt.Sprint(c) != fmt.Sprint(tc.calls) {
				t.Errorf("attempts sent at %v, want %v", c, tc.calls)
			}
			if p := offsets(h.pauses); fmt.Sprint(p) != fmt.Sprint(tc.pauses) && len(p)+len(tc.pauses) > 0 {
				t.Errorf("pauses until %v, want %v", p, tc.pauses)
			}
			var se *StopError
			switch {
			case tc.stopped == "" && err != nil:
				t.Errorf("Run: %v, want no error", err)
			case tc.stopped != "" && !errors.As(err, &se):
				t.Errorf("Run: %v, want a StopError %q", err, tc.stopped)
			case tc.stopped != "" && fmt.Sprint(se.Reason) != tc.stopped:
				t.Errorf("stopped for %q (%v), want %q", se.Reason, err, tc.stopped)
			}
			sm := res.Summary
			if s := fmt.Sprintf("created=%d failed=%d not_attempted=%d", sm.Created, sm.Failed, sm.NotAttempted); s != tc.sum {
				t.Errorf("summary %s, want %s", s, tc.sum)
			}
			if oc := sm.Ops[string(KindCreate)]; len(sm.Ops) != 1 || oc.Done != sm.Created || oc.Failed != sm.Failed {
				t.Errorf("summary per op kind %+v, want create: done %d failed %d", sm.Ops, sm.Created, sm.Failed)
			}
			if sm.Requests != len(tc.calls) {
				t.Errorf("summary counts %d requests, want %d", sm.Requests, len(tc.calls))
			}
			if len(sm.Warnings) != tc.warns {
				t.Errorf("warnings %q, want %d", sm.Warnings, tc.warns)
			}
		})
	}
}
