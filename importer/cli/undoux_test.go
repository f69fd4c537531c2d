package cli

import (
	"bytes"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/devrev-import/devrev-import/importer/checkpoint"
	"github.com/devrev-import/devrev-import/importer/simulator"
)

// runUndoWith runs undo against url with stdin (a terminal when tty) and
// stderr a terminal when bar.
func runUndoWith(t *testing.T, url, stdin string, tty, bar bool, args ...string) result {
	t.Helper()
	var out, errb bytes.Buffer
	env := Env{Stdout: &out, Stderr: &errb, Stdin: strings.NewReader(stdin), StdinIsTerminal: tty, IsTerminal: bar, Getenv: simGetenv(url)}
	code := Main(t.Context(), append([]string{"undo"}, args...), env)
	return result{code: code, stdout: out.String(), stderr: errb.String()}
}

// Without a terminal to ask on (cron, a pipe) and without --yes, undo
// deletes nothing and says what to pass.
func TestUndoWithoutATerminalNeedsYes(t *testing.T) {
	sim, _, _, ck := importedTickets(t, 4)
	res := runUndoWith(t, sim.URL, "yes\n", false, false, ck)
	if res.code != ExitUsage || !strings.Contains(res.stderr, "not a terminal: pass --yes") {
		t.Fatalf("exit %d\nstdout:\n%s\nstderr:\n%s", res.code, res.stdout, res.stderr)
	}
	if strings.Contains(res.stdout, "type yes") {
		t.Errorf("prompted without a terminal:\n%s", res.stdout)
	}
	if n := len(sim.Works()); n != 4 {
		t.Errorf("%d works left, want 4", n)
	}
}

// The prompt names how many works, the org the checkpoint recorded and
// the endpoint the deletes go to; the deletes show the import's bar.
func TestUndoPromptNamesOrgAndEndpointAndShowsProgress(t *testing.T) {
	sim, _, _, ck := importedTickets(t, 7)
	hdr, _, _, err := checkpoint.Read(ck)
	if err != nil || hdr.Org == "" {
		t.Fatalf("checkpoint header: org %q, %v", hdr.Org, err)
	}
	res := runUndoWith(t, sim.URL, "no\n", true, false, ck)
	if hdr.Org != simulator.OrgID {
		t.Fatalf("checkpoint header: org %q, want %q", hdr.Org, simulator.OrgID)
	}
	want := fmt.Sprintf("delete 7 works from org %q at %s? type yes: ", simulator.OrgName, strings.TrimRight(strings.ToLower(sim.URL), "/"))
	if res.code != ExitUsage || !strings.Contains(res.stdout, want) || !strings.Contains(res.stdout, "nothing deleted") {
		t.Fatalf("exit %d, want the prompt %q\nstdout:\n%s\nstderr:\n%s", res.code, want, res.stdout, res.stderr)
	}
	if n := len(sim.Works()); n != 7 {
		t.Fatalf("%d works left after no, want 7", n)
	}

	res = runUndoWith(t, sim.URL, "yes\n", true, true, ck)
	if res.code != ExitOK || !strings.Contains(res.stdout, "deleted 7 of 7, failed 0") {
		t.Fatalf("exit %d\nstdout:\n%s\nstderr:\n%s", res.code, res.stdout, res.stderr)
	}
	// The bar clears itself once done; its frames stay in the output.
	if !strings.Contains(res.stderr, "/7)") || !strings.Contains(res.stderr, "deleted 7 failed 0") {
		t.Errorf("no bar of 7 deletes on stderr:\n%q", res.stderr)
	}
	if n := len(sim.Works()); n != 0 {
		t.Errorf("%d works left, want 0", n)
	}
}

// When the API does not say the org's name (dev-orgs.get fails), the
// prompt names the org by the DON the checkpoint recorded.
func TestUndoPromptFallsBackToTheOrgsDON(t *testing.T) {
	sim := simulator.New(simulator.Options{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/dev-orgs.get" {
			http.Error(w, `{"type":"not_found","message":"no such endpoint"}`, http.StatusNotFound)
			return
		}
		sim.ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)
	csvPath, mappingPath := writeTickets(t, 3)
	if res := run(t, srv.URL, nil, "import", csvPath, "--mapping", mappingPath); res.code != ExitOK {
		t.Fatalf("import: exit %d\n%s", res.code, res.stderr)
	}
	res := runUndoWith(t, srv.URL, "no\n", true, false, csvPath+".checkpoint.jsonl")
	if want := fmt.Sprintf("delete 3 works from org %q at ", simulator.OrgID); res.code != ExitUsage || !strings.Contains(res.stdout, want) {
		t.Fatalf("exit %d, want the prompt %q\nstdout:\n%s\nstderr:\n%s", res.code, want, res.stdout, res.stderr)
	}
}

// simGetenv is an environment with url as DEVREV_ENDPOINT and the
// simulator's token.
func simGetenv(url string) func(string) string {
	return func(k string) string {
		switch k {
		case "DEVREV_ENDPOINT":
			return url
		case "DEVREV_TOKEN":
			return "sandbox-token"
		}
		return ""
	}
}

// An undo pointed at another endpoint than the import's is refused,
// with --yes and --dry-run too: nothing is deleted anywhere.
func TestUndoRefusesAnotherEndpoint(t *testing.T) {
	sim, _, _, ck := importedTickets(t, 2)
	other := startSim(t, simulator.Options{})
	for _, args := range [][]string{{ck}, {ck, "--yes"}, {ck, "--dry-run"}} {
		res := runUndoWith(t, other.URL, "yes\n", true, false, args...)
		if res.code != ExitUsage || !strings.Contains(res.stderr, "the checkpoint's works were created at "+sim.URL) || strings.Contains(res.stdout, "type yes") {
			t.Fatalf("%v: exit %d\nstdout:\n%s\nstderr:\n%s", args, res.code, res.stdout, res.stderr)
		}
	}
	if n := len(sim.Works()); n != 2 {
		t.Errorf("%d works left where they were created, want 2", n)
	}
}
