package cli

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/devrev-import/devrev-import/importer/checkpoint"
)

// Honest endings: a run that did not do everything never says it did.

// stub serves the DevRev API's shape on loopback: creates answer with
// create (nil: a work), every other call with other (nil: an empty
// works.list, else 404).
func stub(t *testing.T, create, other http.HandlerFunc) string {
	t.Helper()
	var n atomic.Int64
	if create == nil {
		create = func(w http.ResponseWriter, _ *http.Request) {
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusCreated)
			i := n.Add(1)
			fmt.Fprintf(w, `{"work":{"id":"don:core:dvrv-us-1:devo/1:ticket/%d","display_id":"TKT-%d","type":"ticket"}}`, i, i)
		}
	}
	if other == nil {
		other = func(w http.ResponseWriter, r *http.Request) {
			if r.URL.Path == "/works.list" {
				// No work holds any key: the org is new to this file.
				w.Header().Set("Content-Type", "application/json")
				fmt.Fprint(w, `{"works":[]}`)
				return
			}
			http.Error(w, `{"type":"not_found"}`, http.StatusNotFound)
		}
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/works.create" {
			create(w, r)
			return
		}
		other(w, r)
	}))
	t.Cleanup(srv.Close)
	return srv.URL
}

func TestServerThatNeverAnswersIsNotASuccess(t *testing.T) {
	release := make(chan struct{})
	url := stub(t, func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-release:
		case <-r.Context().Done():
		}
	}, nil)
	t.Cleanup(func() { close(release) }) // before the server closes
	csvPath, mappingPath := writeTickets(t, 30)
	res := run(t, url, nil, "import", csvPath, "--mapping", mappingPath, "--schema", "stock", "--timeout", "1s",
		"--on-doubt", "resend", "--max-retries", "0", "--max-consecutive-failures", "1000", "--workers", "10", "--rate", "1000")
	if res.code != ExitStopped {
		t.Fatalf("exit %d, want %d\n%s", res.code, ExitStopped, res.stderr)
	}
	// A request whose timeout fired after it was written is in doubt (not
	// attempted); on a loaded machine one may time out before it was
	// written, and then it failed for sure. Either way nothing succeeded.
	doubt, failed := res.num("not_attempted"), res.num("failed")
	if res.num("created") != 0 || doubt == 0 || doubt+failed != 30 || res.num("exit_code") != ExitStopped {
		t.Errorf("summary %v", res.summary)
	}
	if !strings.Contains(res.stderr, fmt.Sprintf("%d rows not attempted or left in doubt", doubt)) {
		t.Errorf("stderr does not say why the run is not done:\n%s", res.stderr)
	}
	// The warnings are on stderr, grouped.
	if doubt > 10 && (!strings.Contains(res.stderr, "more rows like it") || strings.Count(res.stderr, "warning: ") > maxWarningLines) {
		t.Errorf("warnings not shown grouped:\n%s", res.stderr)
	}
	if w, _ := res.summary["warnings"].([]any); len(w) != doubt {
		t.Errorf("summary has %d warnings, want one per row in doubt (%d)", len(w), doubt)
	}
}

// rateLimited answers every create 201 with the given X-RateLimit headers.
func rateLimited(remaining int, reset string) http.HandlerFunc {
	var n atomic.Int64
	return func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("X-RateLimit-Limit", "100")
		w.Header().Set("X-RateLimit-Remaining", strconv.Itoa(remaining))
		w.Header().Set("X-RateLimit-Reset", reset)
		w.WriteHeader(http.StatusCreated)
		i := n.Add(1)
		fmt.Fprintf(w, `{"work":{"id":"don:core:dvrv-us-1:devo/1:ticket/%d","display_id":"TKT-%d","type":"ticket"}}`, i, i)
	}
}

func TestAbsurdWindowResetStopsInsteadOfSleeping(t *testing.T) {
	now := time.Now()
	for _, c := range []struct {
		name  string
		reset string
	}{
		{"115 days away", strconv.FormatInt(now.Add(115*24*time.Hour).Unix(), 10)},
		{"a past epoch below 1e9, read as seconds from now", "999999999"},
		{"milliseconds, a day away", strconv.FormatInt(now.Add(24*time.Hour).UnixMilli(), 10)},
	} {
		t.Run(c.name, func(t *testing.T) {
			url := stub(t, rateLimited(0, c.reset), nil)
			csvPath, mappingPath := writeTickets(t, 5)
			res := run(t, url, nil, "import", csvPath, "--mapping", mappingPath, "--schema", "stock", "--workers", "1", "--max-wait", "1m")
			if res.code != ExitStopped || res.summary["stopped"] != "wait_too_long" {
				t.Fatalf("exit %d summary %v\n%s", res.code, res.summary, res.stderr)
			}
			if res.num("created") != 1 || res.num("not_attempted") != 4 {
				t.Errorf("summary %v", res.summary)
			}
			if !strings.Contains(res.stderr, "X-RateLimit-Reset") || !strings.Contains(res.stderr, "--max-wait 1m") {
				t.Errorf("the message does not say what asked for the wait:\n%s", res.stderr)
			}
		})
	}
}

func TestResetInMicrosecondsAlreadyPastDoesNotBlock(t *testing.T) {
	url := stub(t, rateLimited(0, strconv.FormatInt(time.Now().Add(-time.Second).UnixMicro(), 10)), nil)
	csvPath, mappingPath := writeTickets(t, 5)
	res := run(t, url, nil, "import", csvPath, "--mapping", mappingPath, "--schema", "stock", "--workers", "1", "--rate", "1000")
	if res.code != ExitOK || res.num("created") != 5 {
		t.Fatalf("exit %d summary %v\n%s", res.code, res.summary, res.stderr)
	}
}

// tooMany answers every create 429 with the given Retry-After.
func tooMany(retryAfter string) http.HandlerFunc {
	return func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		if retryAfter != "" {
			w.Header().Set("Retry-After", retryAfter)
		}
		w.WriteHeader(http.StatusTooManyRequests)
		fmt.Fprint(w, `{"type":"too_many_requests","message":"slow down"}`)
	}
}

func TestEndless429sStop(t *testing.T) {
	for _, c := range []struct {
		name, retryAfter, want string
	}{
		{"Retry-After above 1e9 seconds", "2000000000", "277777h46m40s"},
		{"a short Retry-After forever", "0.05", "answered 429 since"},
	} {
		t.Run(c.name, func(t *testing.T) {
			url := stub(t, tooMany(c.retryAfter), nil)
			csvPath, mappingPath := writeTickets(t, 5)
			res := run(t, url, nil, "import", csvPath, "--mapping", mappingPath, "--schema", "stock", "--workers", "2", "--max-wait", "300ms", "--rate", "1000")
			if res.code != ExitStopped || res.summary["stopped"] != "wait_too_long" {
				t.Fatalf("exit %d summary %v\n%s", res.code, res.summary, res.stderr)
			}
			if !strings.Contains(res.stderr, c.want) || res.num("created") != 0 || res.num("not_attempted") != 5 {
				t.Errorf("summary %v; stderr lacks %q:\n%s", res.summary, c.want, res.stderr)
			}
		})
	}
}

// lookupMapping is ticketMapping with the assignees looked up by email.
var lookupMapping = strings.Replace(ticketMapping, "Assignee: owned_by", "Assignee: {field: owned_by, lookup: dev_user.email}", 1)

// answer returns a handler answering every call with status and a JSON error.
func answer(status int) http.HandlerFunc {
	return func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(status)
		fmt.Fprintf(w, `{"type":"http_%d","message":"no"}`, status)
	}
}

func TestLookupAndSchemaFailuresAreTheAPIsState(t *testing.T) {
	dead := httptest.NewServer(http.NotFoundHandler())
	deadURL := dead.URL
	dead.Close()
	for _, c := range []struct {
		name, url, schema string
		code              int
		want, notWant     string
	}{
		{"lookups, API unreachable", deadURL, "stock", ExitStopped, "api_unavailable: looking names up", "use --schema stock"},
		{"lookups, 503", stub(t, nil, answer(503)), "stock", ExitStopped, "503", "use --schema stock"},
		{"lookups, 403", stub(t, nil, answer(403)), "stock", ExitAuth, "403", "use --schema stock"},
		{"schema, API unreachable", deadURL, "live", ExitStopped, "fetching the org's schema", "use --schema stock"},
		{"schema, 503", stub(t, nil, answer(503)), "live", ExitStopped, "fetching the org's schema", "use --schema stock"},
		{"schema, 401", stub(t, nil, answer(401)), "live", ExitAuth, "refused the token", "use --schema stock"},
		{"schema, 403: stock may help", stub(t, nil, answer(403)), "live", ExitAuth, "use --schema stock", ""},
	} {
		t.Run(c.name, func(t *testing.T) {
			csvPath, lookups := writeLookupTickets(t, 40)
			res := run(t, c.url, nil, "import", csvPath, "--mapping", lookups, "--schema", c.schema, "--max-retries", "0", "--workers", "2", "--rate", "1000")
			if res.code != c.code {
				t.Fatalf("exit %d, want %d\n%s", res.code, c.code, res.stderr)
			}
			if res.num("invalid") != 0 || strings.Count(res.stderr, "could not be looked up") > 0 {
				t.Errorf("rows made invalid by the API's state: summary %v\n%s", res.summary, res.stderr)
			}
			if !strings.Contains(res.stderr, c.want) || (c.notWant != "" && strings.Contains(res.stderr, c.notWant)) {
				t.Errorf("stderr should say %q and not %q:\n%s", c.want, c.notWant, res.stderr)
			}
			if res.num("exit_code") != c.code || res.summary["error"] == nil {
				t.Errorf("summary %v", res.summary)
			}
			if _, err := os.Stat(csvPath + ".errors.csv"); err == nil {
				t.Errorf("an errors CSV was written")
			}
		})
	}
}

func TestSummaryJSONOnEveryExit(t *testing.T) {
	csvPath, mappingPath := writeTickets(t, 3)
	badMapping := filepath.Join(t.TempDir(), "bad.yaml")
	os.WriteFile(badMapping, []byte("columns:\n  Subject: titel\n"), 0o600)
	lock, err := checkpoint.Lock(t.Context(), csvPath+".checkpoint.jsonl", 0)
	if err != nil {
		t.Fatal(err)
	}
	defer lock.Unlock()
	for _, c := range []struct {
		name string
		args []string
		code int
		want string
	}{
		{"mapping error", []string{"validate", csvPath, "--mapping", badMapping}, ExitUsage, "titel"},
		{"lock held", []string{"import", csvPath, "--mapping", mappingPath}, ExitLocked, "another import"},
		{"token refused", []string{"import", csvPath, "--mapping", mappingPath, "--checkpoint", csvPath + ".other.jsonl"}, ExitAuth, "refused the token"},
	} {
		t.Run(c.name, func(t *testing.T) {
			res := run(t, stub(t, answer(401), answer(401)), nil, c.args...)
			if res.code != c.code {
				t.Fatalf("exit %d, want %d\n%s", res.code, c.code, res.stderr)
			}
			if res.summary == nil || res.num("exit_code") != c.code {
				t.Fatalf("summary %v", res.summary)
			}
			if e, _ := res.summary["error"].(string); !strings.Contains(e, c.want) {
				t.Errorf("summary error %q, want it to say %q", e, c.want)
			}
		})
	}
}

func TestSummaryJSONIsNotWrittenOverAnInput(t *testing.T) {
	csvPath, mappingPath := writeTickets(t, 3)
	before, _ := os.ReadFile(mappingPath)
	res := runNoSummary(t, "", "validate", csvPath, "--mapping", mappingPath, "--summary-json", mappingPath)
	after, _ := os.ReadFile(mappingPath)
	if res.code != ExitUsage || string(after) != string(before) {
		t.Fatalf("exit %d; mapping changed: %v", res.code, string(after) != string(before))
	}
	var probe map[string]any
	if json.Unmarshal(after, &probe) == nil {
		t.Errorf("the mapping was replaced by a summary")
	}
}

// writeLookupTickets writes n tickets whose assignees are emails, to be
// looked up, and a mapping that says so.
func writeLookupTickets(t *testing.T, n int) (csvPath, mappingPath string) {
	t.Helper()
	dir := t.TempDir()
	var b strings.Builder
	b.WriteString("Ticket ID,Subject,Description,Priority,Assignee\n")
	for i := 1; i <= n; i++ {
		fmt.Fprintf(&b, "ZD-%d,Printer %d,on fire,High,user%d@example.com\n", i, i, i%7)
	}
	csvPath, mappingPath = filepath.Join(dir, "tickets.csv"), filepath.Join(dir, "lookup.yaml")
	if err := os.WriteFile(csvPath, []byte(b.String()), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(mappingPath, []byte(lookupMapping), 0o600); err != nil {
		t.Fatal(err)
	}
	return csvPath, mappingPath
}

// TestSchemaFetchAskedToWaitAYear: the first call of a run (the live
// schema) answered 429 with a year's Retry-After stops at once with exit 3,
// and its one message says how long, why, and to run again, once.
func TestSchemaFetchAskedToWaitAYear(t *testing.T) {
	url := stub(t, nil, tooMany("31536000"))
	csvPath, mappingPath := writeTickets(t, 3)
	res := run(t, url, nil, "import", csvPath, "--mapping", mappingPath, "--workers", "1")
	if res.code != ExitStopped {
		t.Fatalf("exit %d, want %d\n%s", res.code, ExitStopped, res.stderr)
	}
	if !strings.Contains(res.stderr, "8760h0m0s") || !strings.Contains(res.stderr, "--max-wait") {
		t.Errorf("the message does not say the wait and the limit:\n%s", res.stderr)
	}
	if n := strings.Count(res.stderr, "run again later"); n != 1 {
		t.Errorf("\"run again later\" said %d times:\n%s", n, res.stderr)
	}
}
