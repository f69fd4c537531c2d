package cli

import (
	"encoding/json"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/devrev-import/devrev-import/importer/simulator"
)

// jsonEvents parses every stderr line as one JSON object with a msg and
// returns the objects by their msg.
func jsonEvents(t *testing.T, stderr string) map[string][]map[string]any {
	t.Helper()
	events := map[string][]map[string]any{}
	for _, line := range strings.Split(strings.TrimSuffix(stderr, "\n"), "\n") {
		var ev map[string]any
		if err := json.Unmarshal([]byte(line), &ev); err != nil {
			t.Fatalf("stderr line is not JSON: %q (%v)\n%s", line, err, stderr)
		}
		msg, _ := ev["msg"].(string)
		if msg == "" {
			t.Fatalf("line without msg: %q", line)
		}
		events[msg] = append(events[msg], ev)
	}
	return events
}

// summaryOf is the summary event's figures, checking they are numbers.
func summaryOf(t *testing.T, events map[string][]map[string]any) map[string]any {
	t.Helper()
	if len(events["summary"]) != 1 {
		t.Fatalf("%d summary events", len(events["summary"]))
	}
	s, ok := events["summary"][0]["summary"].(map[string]any)
	if !ok {
		t.Fatalf("summary event without figures: %v", events["summary"][0])
	}
	for _, k := range []string{"rows", "valid", "invalid", "created", "failed", "not_attempted", "exit_code", "duration_s"} {
		if _, ok := s[k].(float64); !ok {
			t.Errorf("summary %s = %v (%T), want a number", k, s[k], s[k])
		}
	}
	if _, ok := s["warnings"].([]any); !ok {
		t.Errorf("summary warnings = %v, want a list", s["warnings"])
	}
	return s
}

func TestLogFormatJSONValidateWithInvalidRowsAndWarnings(t *testing.T) {
	csvPath, mappingPath := writeBadTickets(t, 120)
	// An unmapped column is a warning.
	b, _ := os.ReadFile(csvPath)
	lines := strings.Split(strings.TrimSuffix(string(b), "\n"), "\n")
	for i := range lines {
		lines[i] += ",x"
	}
	lines[0] = strings.TrimSuffix(lines[0], ",x") + ",Extra"
	if err := os.WriteFile(csvPath, []byte(strings.Join(lines, "\n")+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	res := run(t, "", nil, "validate", csvPath, "--mapping", mappingPath, "--log-format", "json")
	if res.code != ExitRowsFailed {
		t.Fatalf("exit %d\n%s", res.code, res.stderr)
	}
	ev := jsonEvents(t, res.stderr)
	if len(ev["warning"]) == 0 || len(ev["problem"]) != 20 || len(ev["problem_group"]) != 2 || len(ev["errors_csv"]) != 1 {
		t.Fatalf("events: %d warning, %d problem, %d problem_group, %d errors_csv\n%s",
			len(ev["warning"]), len(ev["problem"]), len(ev["problem_group"]), len(ev["errors_csv"]), res.stderr)
	}
	g := ev["problem_group"][0]
	if g["column"] != "Subject" || g["field"] != "title" || g["rule"] != "required field is empty" || g["count"] != float64(48) {
		t.Errorf("group: %v", g)
	}
	if rows, _ := g["rows"].([]any); len(rows) != 3 || rows[0] != float64(27) {
		t.Errorf("group rows: %v", g["rows"])
	}
	if s := summaryOf(t, ev); s["invalid"] != float64(80) || s["rows"] != float64(120) {
		t.Errorf("summary: %v", s)
	}
	// Text mode is unchanged by the JSON work: plain lines.
	text := run(t, "", nil, "validate", csvPath, "--mapping", mappingPath)
	if strings.Contains(text.stderr, "{") || !strings.Contains(text.stderr, "warning: ") {
		t.Errorf("text mode:\n%s", text.stderr)
	}
}

func TestLogFormatJSONImportWithInvalidRowsAndAStop(t *testing.T) {
	sim := startSim(t, simulator.Options{Latency: 20 * time.Millisecond})
	csvPath, mappingPath := writeBadTickets(t, 300)
	// One worker at 20 ms a request needs seconds: 300 ms stops it early.
	res := run(t, sim.URL, nil, "import", csvPath, "--mapping", mappingPath, "--log-format", "json",
		"--workers", "1", "--max-duration", "300ms")
	if res.code != ExitStopped {
		t.Fatalf("exit %d\n%s", res.code, res.stderr)
	}
	ev := jsonEvents(t, res.stderr)
	if len(ev["error"]) == 0 || len(ev["problem"]) == 0 || len(ev["checkpoint"]) != 1 {
		t.Errorf("events: %d error, %d problem, %d checkpoint\n%s", len(ev["error"]), len(ev["problem"]), len(ev["checkpoint"]), res.stderr)
	}
	if s := summaryOf(t, ev); s["exit_code"] != float64(ExitStopped) || s["stopped"] != "max_duration" {
		t.Errorf("summary: %v", s)
	}
	// The rerun finishes; its progress log lines are JSON too.
	again := run(t, sim.URL, nil, "import", csvPath, "--mapping", mappingPath, "--log-format", "json", "--workers", "8")
	if again.code != ExitRowsFailed {
		t.Fatalf("rerun: exit %d\n%s", again.code, again.stderr)
	}
	if s := summaryOf(t, jsonEvents(t, again.stderr)); s["invalid"] != float64(200) {
		t.Errorf("rerun summary: %v", s)
	}
}

func TestLogFormatIsChecked(t *testing.T) {
	csvPath, mappingPath := writeBadTickets(t, 3)
	res := run(t, "", nil, "validate", csvPath, "--mapping", mappingPath, "--log-format", "yaml")
	if res.code != ExitUsage || !strings.Contains(res.stderr, "--log-format") {
		t.Errorf("exit %d\n%s", res.code, res.stderr)
	}
}
