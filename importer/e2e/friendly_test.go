package e2e

import (
	"bytes"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// A mistyped flag or command is one short line with a suggestion and
// where to look, not pages of usage.
func TestFlagSuggestions(t *testing.T) {
	for _, tt := range []struct {
		args []string
		want string
	}{
		{[]string{"import", "x.csv", "--worker", "3"}, "unknown flag --worker; did you mean --workers? (see 'devrev-import import --help')"},
		{[]string{"imprt", "x.csv"}, `unknown command "imprt"; did you mean import?`},
		{[]string{"undo", "x.jsonl", "--ye"}, "did you mean --yes?"},
	} {
		out := runTool(t, 2, tt.args...)
		if !strings.Contains(out, tt.want) {
			t.Errorf("%s: output lacks %q:\n%s", strings.Join(tt.args, " "), tt.want, out)
		}
		if n := strings.Count(out, "\n"); n > 2 {
			t.Errorf("%s: %d lines, want a short error:\n%s", strings.Join(tt.args, " "), n, out)
		}
	}
}

// With --log-format json every stderr line of every command is one JSON
// object with its event in msg, numbers as numbers: a failing import (its
// last line the summary), the undo of it (with a summary event), resolve
// and report, and a command's usage error.
func TestJSONLogsEveryLine(t *testing.T) {
	f := newFixture(t, fixtureOptions{rows: 30, invalid: 7})
	p, code := f.runOnce(2*time.Minute, "--log-format", "json")
	if code != exitRows {
		t.Fatalf("exit %d, want %d (invalid rows)\n%s", code, exitRows, p.stderr.String())
	}
	events := parseJSONLines(t, "import", p.stderr.String())
	if len(events) == 0 {
		t.Fatal("the import wrote nothing on stderr")
	}
	last := events[len(events)-1]
	if last["msg"] != "summary" {
		t.Fatalf("the import's last line is %v, want the summary", last)
	}
	s, _ := last["summary"].(map[string]any)
	if s["created"] != 26.0 || s["invalid"] != 4.0 || s["exit_code"] != 1.0 {
		t.Errorf("summary figures (want numbers: created 26, invalid 4, exit_code 1): %v", s)
	}
	if n := countEvents(events, "problem"); n != 4 {
		t.Errorf("%d problem events, want 4", n)
	}

	for _, args := range [][]string{
		{"resolve", f.ck, "--log-format", "json"},
		{"report", f.ck, "--log-format", "json"},
		{"undo", f.ck, "--yes", "--log-format", "json"},
	} {
		stderr := runSplit(t, f.url, 0, args...)
		events := parseJSONLines(t, args[0], stderr)
		if args[0] != "undo" {
			continue
		}
		if len(events) == 0 {
			t.Fatal("undo wrote nothing on stderr")
		}
		sum := events[len(events)-1]
		if sum["msg"] != "summary" || sum["deleted"] != 26.0 || sum["failed"] != 0.0 {
			t.Errorf("undo's last line is %v, want a summary of 26 deleted", sum)
		}
	}
	// A checkpoint cut in the middle of a line (a crash): report warns.
	torn := filepath.Join(f.dir, "torn.checkpoint.jsonl")
	b, err := os.ReadFile(f.ck)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(torn, append(b, `{"row":3,"st`...), 0o600); err != nil {
		t.Fatal(err)
	}
	if ev := parseJSONLines(t, "report", runSplit(t, f.url, 0, "report", torn, "--log-format", "json")); countEvents(ev, "warning") == 0 {
		t.Errorf("report of a torn checkpoint: no warning event: %v", ev)
	}
	stderr := runSplit(t, f.url, 2, "report", filepath.Join(f.dir, "none.jsonl"), "--log-format", "json")
	if ev := parseJSONLines(t, "report", stderr); len(ev) != 1 || ev[0]["msg"] != "error" || !strings.Contains(ev[0]["text"].(string), "none.jsonl") {
		t.Errorf("report's error: %v", ev)
	}
}

// runSplit runs the binary against url and returns its stderr; an exit
// code other than want fails the test.
func runSplit(t *testing.T, url string, want int, args ...string) string {
	t.Helper()
	var stdout, stderr bytes.Buffer
	cmd := exec.Command(binPath, args...)
	cmd.Env = childEnv(url)
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	if cmd.ProcessState == nil || cmd.ProcessState.ExitCode() != want {
		t.Fatalf("devrev-import %s: %v, want exit %d\nstdout:\n%s\nstderr:\n%s", strings.Join(args, " "), err, want, stdout.String(), stderr.String())
	}
	return stderr.String()
}

// parseJSONLines parses every line of out as a JSON object with a msg.
func parseJSONLines(t *testing.T, what, out string) []map[string]any {
	t.Helper()
	var events []map[string]any
	for _, line := range strings.Split(out, "\n") {
		if line == "" {
			continue
		}
		var ev map[string]any
		if err := json.Unmarshal([]byte(line), &ev); err != nil || ev["msg"] == nil {
			t.Fatalf("%s: a stderr line is not a JSON event (%v): %q", what, err, line)
		}
		events = append(events, ev)
	}
	return events
}

func countEvents(events []map[string]any, msg string) int {
	n := 0
	for _, ev := range events {
		if ev["msg"] == msg {
			n++
		}
	}
	return n
}
