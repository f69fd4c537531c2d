package main

import (
	"fmt"
	"net"
	"net/http"
	"runtime"
	"sync"
	"time"

	"github.com/devrev-import/devrev-import/importer/simulator"
)

// event is one request the simulator answered.
type event struct {
	At     time.Time // when the answer was complete (the simulator admits a request just before it answers)
	Path   string
	Status int
}

// recordedSim is the simulator served on loopback behind a handler that
// records every answer, so that creates and 429s can be counted per
// rate-limit window.
type recordedSim struct {
	*simulator.Server
	URL string

	srv  *http.Server
	done chan struct{}

	mu     sync.Mutex
	events []event
}

// startSim serves a new simulator with opt on a free loopback port. It
// collects the garbage of the simulators before it first (the works they
// held): otherwise whichever run comes next pays for the last one's.
func startSim(opt simulator.Options) (*recordedSim, error) {
	runtime.GC()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("simulator: listen: %w", err)
	}
	rs := &recordedSim{Server: simulator.New(opt), URL: "http://" + ln.Addr().String(), done: make(chan struct{})}
	rs.srv = &http.Server{Handler: rs, ReadHeaderTimeout: 30 * time.Second}
	go func() {
		defer close(rs.done)
		_ = rs.srv.Serve(ln) // http.ErrServerClosed after Close
	}()
	return rs, nil
}

// ServeHTTP passes the request to the simulator and records the answer.
func (rs *recordedSim) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	sw := &statusWriter{ResponseWriter: w}
	rs.Server.ServeHTTP(sw, r)
	ev := event{At: time.Now(), Path: r.URL.Path, Status: sw.status}
	rs.mu.Lock()
	rs.events = append(rs.events, ev)
	rs.mu.Unlock()
}

// Events returns a copy of the answers recorded so far.
func (rs *recordedSim) Events() []event {
	rs.mu.Lock()
	defer rs.mu.Unlock()
	return append([]event(nil), rs.events...)
}

// Close stops serving.
func (rs *recordedSim) Close() error {
	err := rs.srv.Close()
	<-rs.done
	if err != nil {
		return fmt.Errorf("simulator: close: %w", err)
	}
	return nil
}

// statusWriter remembers the status code written.
type statusWriter struct {
	http.ResponseWriter
	status int
}

func (w *statusWriter) WriteHeader(code int) {
	if w.status == 0 {
		w.status = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	return w.ResponseWriter.Write(b)
}

// Unwrap lets http.ResponseController reach the connection (the simulator
// hijacks it to drop connections when faults are set).
func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// windowStats summarises works.create answers per fixed rate-limit window
// (windows start at multiples of the window since the Unix epoch, as in
// the simulator).
type windowStats struct {
	Windows      int   // windows with at least one works.create answer
	FullWindows  int   // windows strictly between the first and the last one
	FullCreates  int   // 201s in the full windows
	Throttled    int   // 429s in all windows
	LateThrottle int   // 429s after the first window
	PerWindow    []int // 201s in each window, first to last
	First, Last  time.Time
}

// perWindow counts the works.create answers of events by window.
func perWindow(events []event, window time.Duration) windowStats {
	var ws windowStats
	creates := map[int64]int{}
	var first, last int64
	seen := false
	for _, e := range events {
		if e.Path != "/works.create" {
			continue
		}
		idx := e.At.UnixNano() / window.Nanoseconds()
		if !seen || idx < first {
			first = idx
		}
		if !seen || idx > last {
			last = idx
		}
		if !seen || e.At.Before(ws.First) {
			ws.First = e.At
		}
		if !seen || e.At.After(ws.Last) {
			ws.Last = e.At
		}
		seen = true
		if e.Status == http.StatusCreated {
			creates[idx]++
		}
	}
	if !seen {
		return ws
	}
	ws.Windows = int(last - first + 1)
	for _, e := range events {
		if e.Path != "/works.create" || e.Status != http.StatusTooManyRequests {
			continue
		}
		ws.Throttled++
		if e.At.UnixNano()/window.Nanoseconds() > first {
			ws.LateThrottle++
		}
	}
	for idx := first; idx <= last; idx++ {
		ws.PerWindow = append(ws.PerWindow, creates[idx])
		if idx > first && idx < last {
			ws.FullWindows++
			ws.FullCreates += creates[idx]
		}
	}
	return ws
}
