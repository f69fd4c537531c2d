package cli

import (
	"strings"
	"testing"

	"github.com/devrev-import/devrev-import/importer/simulator"
)

// A token given as a flag is refused on every command, in every spelling,
// before anything is read or sent, and its value is never echoed.
func TestTokenFlagIsRefusedWithoutEchoingTheValue(t *testing.T) {
	sim := startSim(t, simulator.Options{})
	csvPath, mappingPath := writeTickets(t, 3)
	const secret = "s3cr3t-PAT-value"
	for _, args := range [][]string{
		{"import", csvPath, "--mapping", mappingPath, "--token", secret},
		{"import", "-token", secret, csvPath, "--mapping", mappingPath},
		{"validate", csvPath, "--token=" + secret},
		{"undo", csvPath + ".checkpoint.jsonl", "-token=" + secret, "--yes"},
		{"report", "x.jsonl", "--token", secret},
		{"resolve", "x.jsonl", "--token", secret},
		{"init", csvPath, "--token", secret},
		{"--token", secret, "import", csvPath},
	} {
		res := runNoSummary(t, sim.URL, args...)
		if res.code != ExitUsage {
			t.Errorf("%v: exit %d, want %d\n%s", args[:1], res.code, ExitUsage, res.stderr)
		}
		if !strings.Contains(res.stderr, "--token is not accepted (flags end up in process lists and shell history): set DEVREV_TOKEN or use --token-file PATH") {
			t.Errorf("%v: stderr:\n%s", args[:1], res.stderr)
		}
		if strings.Contains(res.stdout+res.stderr, secret) {
			t.Errorf("%v: the token's value is in the output:\n%s%s", args[:1], res.stdout, res.stderr)
		}
	}
	if n := len(sim.Works()); n != 0 {
		t.Errorf("%d works created, want none", n)
	}
	// --token-file and a positional "--token" after "--" are not refused.
	if res := runNoSummary(t, sim.URL, "validate", csvPath, "--mapping", mappingPath, "--token-file", "/nonexistent"); strings.Contains(res.stderr, "--token is not accepted") {
		t.Errorf("--token-file refused:\n%s", res.stderr)
	}
}
