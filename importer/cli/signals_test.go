package cli

import (
	"bytes"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/devrev-import/devrev-import/importer/checkpoint"
	"github.com/devrev-import/devrev-import/importer/simulator"
)

// Ctrl-C works from the first second: during every wait of setup, and in
// undo. Signals go through Env.Signals, as main.go delivers them.

// watchWriter is an output that is safe to read while the command runs
// and tells when a text has appeared in it.
type watchWriter struct {
	mu    sync.Mutex
	b     bytes.Buffer
	waits map[string]chan struct{}
}

// seen returns a channel closed once text has been written.
func (w *watchWriter) seen(text string) <-chan struct{} {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.waits == nil {
		w.waits = map[string]chan struct{}{}
	}
	ch, ok := w.waits[text]
	if !ok {
		ch = make(chan struct{})
		w.waits[text] = ch
		w.notifyLocked()
	}
	return ch
}

func (w *watchWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	n, err := w.b.Write(p)
	w.notifyLocked()
	return n, err
}

func (w *watchWriter) notifyLocked() {
	for text, ch := range w.waits {
		if ch != nil && strings.Contains(w.b.String(), text) {
			close(ch)
			w.waits[text] = nil
		}
	}
}

func (w *watchWriter) String() string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.b.String()
}

// started is a command line running in the background, in-process.
type started struct {
	code           chan int
	stdout, stderr *watchWriter
	sigs           chan os.Signal
}

// start runs the command line with the given endpoint (and the sandbox
// token) and stdin (nil: none).
func start(t *testing.T, url string, stdin io.Reader, args ...string) *started {
	t.Helper()
	s := &started{code: make(chan int, 1), stdout: new(watchWriter), stderr: new(watchWriter), sigs: make(chan os.Signal, 2)}
	env := Env{Stdout: s.stdout, Stderr: s.stderr, Stdin: stdin, StdinIsTerminal: stdin != nil, Signals: s.sigs, Getenv: simGetenv(url)}
	go func() { s.code <- Main(t.Context(), args, env) }()
	return s
}

// interruptWhen sends SIGINT once ready is closed and returns the exit
// code, failing the test if either takes too long.
func (s *started) interruptWhen(t *testing.T, ready <-chan struct{}, what string) int {
	t.Helper()
	select {
	case <-ready:
	case code := <-s.code:
		t.Fatalf("exit %d before %s\n%s", code, what, s.stderr.String())
	case <-time.After(30 * time.Second):
		t.Fatalf("no %s in 30 s\n%s", what, s.stderr.String())
	}
	s.sigs <- os.Interrupt
	select {
	case code := <-s.code:
		return code
	case <-time.After(30 * time.Second):
		t.Fatalf("still running 30 s after SIGINT\n%s", s.stderr.String())
		return -1
	}
}

// hangingStub is an API whose calls to paths (every call but works.create
// when none is given) never answer (until the test ends), telling arrived
// about each such request; other calls answer 404.
// hangProxy forwards to the stub at u.
func hangProxy(t *testing.T, u string) http.Handler {
	t.Helper()
	target, err := url.Parse(u)
	if err != nil {
		t.Fatal(err)
	}
	return httputil.NewSingleHostReverseProxy(target)
}

func hangingStub(t *testing.T, arrived chan<- struct{}, paths ...string) string {
	release := make(chan struct{})
	url := stub(t, nil, func(w http.ResponseWriter, r *http.Request) {
		if len(paths) > 0 && !slices.Contains(paths, r.URL.Path) {
			http.Error(w, `{"type":"not_found"}`, http.StatusNotFound)
			return
		}
		if arrived != nil {
			select {
			case arrived <- struct{}{}:
			default:
			}
		}
		select {
		case <-release:
		case <-r.Context().Done():
		}
	})
	t.Cleanup(func() { close(release) }) // runs before the server closes
	return url
}

func TestInterruptDuringTheSchemaFetch(t *testing.T) {
	url := hangingStub(t, nil, "/schemas.aggregated.get") // the schema call never answers
	csvPath, mappingPath := writeTickets(t, 5)
	summary := filepath.Join(t.TempDir(), "s.json")
	s := start(t, url, nil, "import", csvPath, "--mapping", mappingPath, "--summary-json", summary, "--progress", "never")
	if code := s.interruptWhen(t, s.stderr.seen("fetching the org's schema"), "schema message"); code != ExitStopped {
		t.Fatalf("exit %d, want %d\n%s", code, ExitStopped, s.stderr.String())
	}
	if out := s.stderr.String(); !strings.Contains(out, "fetching the org's schema: interrupted") || strings.Contains(out, "refused") {
		t.Errorf("stderr:\n%s", out)
	}
	if b, err := os.ReadFile(summary); err != nil || !strings.Contains(string(b), `"exit_code": 3`) {
		t.Errorf("summary %s (%v)", b, err)
	}
}

func TestInterruptWhileWaitingForTheLock(t *testing.T) {
	sim, csvPath, mappingPath, ck := importedTickets(t, 5)
	lock, err := checkpoint.Lock(t.Context(), ck, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer lock.Unlock()
	holder := fmt.Sprintf("waiting for the lock held by pid %d since ", os.Getpid())
	for _, args := range [][]string{
		{"import", csvPath, "--mapping", mappingPath, "--wait-lock", "1h", "--progress", "never"},
		{"undo", ck, "--yes", "--wait-lock", "1h"},
	} {
		s := start(t, sim.URL, nil, args...)
		if code := s.interruptWhen(t, s.stderr.seen(holder), "waiting message"); code != ExitStopped {
			t.Fatalf("%s: exit %d, want %d\n%s", args[0], code, ExitStopped, s.stderr.String())
		}
		if !strings.Contains(s.stderr.String(), "interrupted while waiting for the lock") {
			t.Errorf("%s: stderr:\n%s", args[0], s.stderr.String())
		}
	}
	if n := len(sim.Works()); n != 5 {
		t.Errorf("%d works, want the 5 of the first import", n)
	}
}

func TestInterruptWhileReadingTheMappingFromAFIFO(t *testing.T) {
	csvPath, _ := writeTickets(t, 5)
	fifo := filepath.Join(t.TempDir(), "mapping.fifo")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Skipf("mkfifo: %v", err)
	}
	// Nobody writes the FIFO: reading it blocks until SIGINT, whenever
	// that comes.
	now := make(chan struct{})
	close(now)
	s := start(t, "", nil, "validate", csvPath, "--mapping", fifo)
	code := s.interruptWhen(t, now, "start")
	// Let the background read finish: open the FIFO for writing, close it.
	if f, err := os.OpenFile(fifo, os.O_WRONLY, 0); err == nil {
		f.Close()
	}
	if code != ExitStopped || !strings.Contains(s.stderr.String(), "interrupted while reading the mapping") {
		t.Fatalf("exit %d, want %d\n%s", code, ExitStopped, s.stderr.String())
	}
}

func TestMappingReadIsBounded(t *testing.T) {
	csvPath, _ := writeTickets(t, 5)
	res := runNoSummary(t, "", "validate", csvPath, "--mapping", "/dev/zero")
	if res.code != ExitUsage || !strings.Contains(res.stderr, "larger than 4 MiB") || !strings.Contains(res.stderr, "/dev/zero") {
		t.Fatalf("exit %d\n%s", res.code, res.stderr)
	}
}

func TestInterruptedUndoSaysInterrupted(t *testing.T) {
	// One endpoint for the import and the undo (undo refuses another):
	// the simulator behind a front whose deletes never answer, so the
	// undo is interrupted mid-request.
	sim := startSim(t, simulator.Options{})
	deleting := make(chan struct{}, 1)
	hang := hangingStub(t, deleting)
	target, err := url.Parse(sim.URL)
	if err != nil {
		t.Fatal(err)
	}
	toSim, toHang := httputil.NewSingleHostReverseProxy(target), hangProxy(t, hang)
	front := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/works.delete" {
			toHang.ServeHTTP(w, r)
			return
		}
		toSim.ServeHTTP(w, r)
	}))
	t.Cleanup(front.Close)
	url := front.URL
	csvPath, mappingPath := writeTickets(t, 6)
	if res := run(t, url, nil, "import", csvPath, "--mapping", mappingPath); res.code != ExitOK {
		t.Fatalf("import: exit %d\n%s", res.code, res.stderr)
	}
	ck := csvPath + ".checkpoint.jsonl"
	s := start(t, url, nil, "undo", ck, "--yes")
	if code := s.interruptWhen(t, deleting, "works.delete"); code != ExitStopped {
		t.Fatalf("exit %d, want %d\n%s", code, ExitStopped, s.stderr.String())
	}
	if out := s.stderr.String(); !strings.Contains(out, "interrupted") || strings.Contains(out, "refused the token") || strings.Contains(out, "context canceled") {
		t.Errorf("stderr:\n%s", out)
	}

	// At the confirmation prompt, with stdin that never answers.
	stdin, w := io.Pipe()
	defer w.Close()
	s = start(t, url, stdin, "undo", ck)
	if code := s.interruptWhen(t, s.stdout.seen("type yes"), "prompt"); code != ExitStopped {
		t.Fatalf("at the prompt: exit %d, want %d\n%s", code, ExitStopped, s.stderr.String())
	}
	if !strings.Contains(s.stderr.String(), "interrupted: nothing deleted") {
		t.Errorf("at the prompt: stderr:\n%s", s.stderr.String())
	}
	if n := len(sim.Works()); n != 6 {
		t.Errorf("%d works left, want 6", n)
	}
}

func TestInterruptDuringALookup(t *testing.T) {
	looking := make(chan struct{}, 1)
	url := hangingStub(t, looking, "/dev-users.list") // the lookup never answers
	csvPath, mappingPath := writeLookupTickets(t, 10)
	s := start(t, url, nil, "import", csvPath, "--mapping", mappingPath, "--schema", "stock", "--progress", "never", "--timeout", "1h")
	if code := s.interruptWhen(t, looking, "a lookup"); code != ExitStopped {
		t.Fatalf("exit %d, want %d\n%s", code, ExitStopped, s.stderr.String())
	}
	if out := s.stderr.String(); !strings.Contains(out, "stopped (interrupted") || !strings.Contains(out, "not attempted 10") {
		t.Errorf("stderr:\n%s", out)
	}
}

func TestInterruptWhileAskingForTheOrg(t *testing.T) {
	asked := make(chan struct{}, 1)
	url := hangingStub(t, asked, "/dev-users.self")
	csvPath, mappingPath := writeTickets(t, 5)
	s := start(t, url, nil, "import", csvPath, "--mapping", mappingPath, "--schema", "stock", "--progress", "never", "--timeout", "1h")
	if code := s.interruptWhen(t, asked, "dev-users.self"); code != ExitStopped {
		t.Fatalf("exit %d, want %d\n%s", code, ExitStopped, s.stderr.String())
	}
	if out := s.stderr.String(); !strings.Contains(out, "interrupted while asking the API") {
		t.Errorf("stderr:\n%s", out)
	}
}
