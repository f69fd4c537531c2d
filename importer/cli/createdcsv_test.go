package cli

import (
	"encoding/csv"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/devrev-import/devrev-import/importer/simulator"
)

// readCreated reads a created CSV: its header and its rows.
func readCreated(t *testing.T, path string) (header []string, rows [][]string) {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	recs, err := csv.NewReader(f).ReadAll()
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	if len(recs) == 0 {
		t.Fatalf("%s is empty", path)
	}
	return recs[0], recs[1:]
}

// checkCreatedMatchesSim checks that the created CSV maps every key of the
// simulator's works exactly once, to that work's ID and display ID, with
// the row's original cells after the four columns of its own.
func checkCreatedMatchesSim(t *testing.T, sim *simulator.Server, path string, n int) {
	t.Helper()
	header, rows := readCreated(t, path)
	want := "_row,_key,_id,_display_id,Ticket ID,Subject,Description,Priority,Assignee"
	if got := strings.Join(header, ","); got != want {
		t.Errorf("header %q, want %q", got, want)
	}
	works := map[string]simulator.Work{}
	for _, w := range sim.Works() {
		works[fmt.Sprint(w.CustomFields["tnt__external_id"])] = w
	}
	seen := map[string]bool{}
	for _, r := range rows {
		key := r[4] // the row's own Ticket ID cell (the run's key may be more columns)
		if seen[key] {
			t.Errorf("key %s appears twice", key)
		}
		seen[key] = true
		w, ok := works[key]
		if !ok || r[2] != w.ID || r[3] != w.DisplayID {
			t.Errorf("row %v: the simulator has %s as %s %s", r[:5], key, w.ID, w.DisplayID)
		}
		var num int
		fmt.Sscanf(key, "ZD-%d", &num)
		if r[0] != fmt.Sprint(num+1) || !strings.Contains(r[1], key) { // row 1 is the header
			t.Errorf("row %v: the row number or key is not the row's", r[:5])
		}
	}
	if len(rows) != n {
		t.Errorf("%d rows, want %d", len(rows), n)
	}
}

func TestCreatedCSVAppendsAcrossAResumedImport(t *testing.T) {
	sim, url, csvPath, mappingPath, first := interruptedImport(t, 120)
	created := csvPath + ".created.csv"
	if !strings.Contains(first.stderr, "created works: "+created) {
		t.Errorf("the run does not name its created CSV:\n%s", first.stderr)
	}
	fi, err := os.Stat(created)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o600 {
		t.Errorf("mode %v, want 0600", fi.Mode().Perm())
	}
	_, rows := readCreated(t, created)
	if len(rows) != first.num("created") {
		t.Errorf("after the interrupted run: %d rows, %d created", len(rows), first.num("created"))
	}
	before, _ := os.ReadFile(created)

	second := run(t, url, nil, "import", csvPath, "--mapping", mappingPath)
	if second.code != ExitOK {
		t.Fatalf("resumed run: exit %d\n%s", second.code, second.stderr)
	}
	after, _ := os.ReadFile(created)
	if !strings.HasPrefix(string(after), string(before)) {
		t.Error("the resumed run changed what the first wrote")
	}
	checkCreatedMatchesSim(t, sim, created, 120)

	// A run with nothing left to do adds nothing (and truncates nothing).
	third := run(t, url, nil, "import", csvPath, "--mapping", mappingPath)
	if third.code != ExitOK {
		t.Fatalf("third run: exit %d\n%s", third.code, third.stderr)
	}
	if again, _ := os.ReadFile(created); string(again) != string(after) {
		t.Error("a run that created nothing changed the created CSV")
	}
}

func TestCreatedCSVNeutralizesFormulasAndMatchesTheReport(t *testing.T) {
	sim := startSim(t, simulator.Options{})
	dir := t.TempDir()
	csvPath := writeFile(t, dir, "tickets.csv", "Ticket ID,Subject,Description,Priority,Assignee\n"+
		"ZD-1,\"=HYPERLINK(\"\"http://evil\"\")\",\"+1 line\",Urgent,DEVU-1\n"+
		"ZD-2,@SUM(A1),-2,High,DEVU-2\n")
	mappingPath := writeFile(t, dir, "tickets.yaml", ticketMapping)
	out := filepath.Join(dir, "map.csv")
	res := run(t, sim.URL, nil, "import", csvPath, "--mapping", mappingPath, "--created-csv", out)
	if res.code != ExitOK {
		t.Fatalf("exit %d\n%s", res.code, res.stderr)
	}
	if _, err := os.Stat(csvPath + ".created.csv"); !os.IsNotExist(err) {
		t.Errorf("--created-csv given, yet the default path was written (%v)", err)
	}
	_, rows := readCreated(t, out)
	if len(rows) != 2 {
		t.Fatalf("%d rows, want 2", len(rows))
	}
	got := map[string][]string{}
	for _, r := range rows {
		got[r[1]] = r
	}
	if r := got["ZD-1"]; r[5] != `'=HYPERLINK("http://evil")` || r[6] != "'+1 line" {
		t.Errorf("ZD-1 cells not neutralized: %q", r)
	}
	if r := got["ZD-2"]; r[5] != "'@SUM(A1)" || r[6] != "'-2" {
		t.Errorf("ZD-2 cells not neutralized: %q", r)
	}
	if s := string(mustRead(t, out)); strings.Contains(s, ",=") || strings.Contains(s, ",@") {
		t.Errorf("a formula reached the file:\n%s", s)
	}

	// The checkpoint stays the source of truth: report rebuilds the same map.
	rebuilt := filepath.Join(dir, "rebuilt.csv")
	if rep := run(t, sim.URL, nil, "report", csvPath+".checkpoint.jsonl", "--created-csv", rebuilt); rep.code != ExitOK {
		t.Fatalf("report: exit %d\n%s", rep.code, rep.stderr)
	}
	_, fromReport := readCreated(t, rebuilt)
	for _, r := range fromReport {
		if c := got[r[1]]; c == nil || c[2] != r[2] || c[3] != r[3] {
			t.Errorf("report has %v, the created CSV %v", r, c)
		}
	}
	if len(fromReport) != len(rows) {
		t.Errorf("report has %d works, the created CSV %d", len(fromReport), len(rows))
	}
}

func TestCreatedCSVRefusesAFileItDidNotWrite(t *testing.T) {
	sim := startSim(t, simulator.Options{})
	csvPath, mappingPath := writeTickets(t, 3)
	theirs := csvPath + ".created.csv"
	if err := os.WriteFile(theirs, []byte("Name,Amount\nAcme,10\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	res := run(t, sim.URL, nil, "import", csvPath, "--mapping", mappingPath)
	if res.code != ExitUsage {
		t.Fatalf("exit %d, want %d\n%s", res.code, ExitUsage, res.stderr)
	}
	if !strings.Contains(res.stderr, theirs) || !strings.Contains(res.stderr, "--created-csv") {
		t.Errorf("the message does not name the file and the flag:\n%s", res.stderr)
	}
	if n := sim.Stats().Creates; n != 0 {
		t.Errorf("%d works created", n)
	}
	if s := string(mustRead(t, theirs)); s != "Name,Amount\nAcme,10\n" {
		t.Errorf("the file was changed:\n%s", s)
	}
}

func TestSandboxCreatedCSVIsNamedAfterItsCheckpoint(t *testing.T) {
	csvPath, mappingPath := writeTickets(t, 2)
	res := run(t, "", nil, "import", csvPath, "--mapping", mappingPath, "--sandbox")
	if res.code != ExitOK {
		t.Fatalf("exit %d\n%s", res.code, res.stderr)
	}
	_, rows := readCreated(t, csvPath+".sandbox.created.csv")
	if len(rows) != 2 {
		t.Errorf("%d rows, want 2", len(rows))
	}
	if _, err := os.Stat(csvPath + ".created.csv"); !os.IsNotExist(err) {
		t.Errorf("a sandbox run wrote the real import's created CSV (%v)", err)
	}
}

func mustRead(t *testing.T, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestCreatedCSVKeepsItsHeaderWhenTheInputsColumnsMove(t *testing.T) {
	sim := startSim(t, simulator.Options{})
	dir := t.TempDir()
	mp := writeFile(t, dir, "m.yaml", ticketMapping)
	first := writeFile(t, dir, "t.csv", "Ticket ID,Subject,Description,Priority,Assignee\nZD-1,Printer,smoke,High,DEVU-1\n")
	ck, out := first+".checkpoint.jsonl", first+".created.csv"
	if res := run(t, sim.URL, nil, "import", first, "--mapping", mp); res.code != ExitOK {
		t.Fatalf("first run: exit %d\n%s", res.code, res.stderr)
	}
	moved := writeFile(t, dir, "t2.csv", "Notes,Assignee,Subject,Ticket ID,Description,Priority\nn,DEVU-1,Printer,ZD-1,smoke,High\nx,DEVU-2,Monitor,ZD-2,dark,Low\n")
	res := run(t, sim.URL, nil, "import", moved, "--mapping", mp, "--checkpoint", ck)
	if res.code != ExitOK || res.num("created") != 1 {
		t.Fatalf("moved columns: exit %d summary %v\n%s", res.code, res.summary, res.stderr)
	}
	if !strings.Contains(res.stderr, `rows go under its header by column name (columns "Notes", not in it, are left out)`) {
		t.Errorf("no warning about the header:\n%s", res.stderr)
	}
	header, rows := readCreated(t, out)
	if len(header) != 9 || len(rows) != 2 {
		t.Fatalf("header %q, %d rows", header, len(rows))
	}
	if r := rows[1]; strings.Join(r[4:], ",") != "ZD-2,Monitor,dark,Low,DEVU-2" {
		t.Errorf("the second run's row is not under the first run's header: %q", r)
	}
}
