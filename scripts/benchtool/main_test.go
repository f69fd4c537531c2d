package main

import (
	"context"
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"

	"github.com/devrev-import/devrev-import/importer/simulator"
)

// asMain makes the test binary act as benchtool itself, so runChild can use
// it as its `benchtool measure` trampoline.
const asMain = "BENCHTOOL_TEST_AS_MAIN"

func TestMain(m *testing.M) {
	if os.Getenv(asMain) == "1" {
		if err := run(context.Background(), os.Args[1:], os.Stdout, os.Stderr); err != nil {
			os.Stderr.WriteString(err.Error() + "\n")
			os.Exit(1)
		}
		os.Exit(0)
	}
	os.Exit(m.Run())
}

func writeFile(t *testing.T, name, content string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestBareCSV(t *testing.T) {
	for _, tc := range []struct {
		name, content string
		rows          int
		wantErr       bool
	}{
		{"empty", "", 0, false},
		{"header only", "a,b\n", 0, false},
		{"quoted newlines and ragged rows", "a,b\n1,\"x\ny\"\n2\n3,\"q\"\"\",extra\n", 3, false},
		{"bare quote", "a,b\n1,x\"y\n", 0, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			n, err := bareCSV(writeFile(t, "f.csv", tc.content))
			if (err != nil) != tc.wantErr || n != tc.rows {
				t.Fatalf("bareCSV = %d, %v; want %d rows, error %v", n, err, tc.rows, tc.wantErr)
			}
		})
	}
	if _, err := bareCSV(filepath.Join(t.TempDir(), "missing.csv")); err == nil {
		t.Fatal("a missing file gave no error")
	}
}

func TestBareXLSX(t *testing.T) {
	f := excelize.NewFile()
	for i, row := range [][]any{{"Title", "Due"}, {"a", 45000}, {"b", 45001.5}, {"c", true}} {
		cell, _ := excelize.CoordinatesToCellName(1, i+1)
		if err := f.SetSheetRow("Sheet1", cell, &row); err != nil {
			t.Fatal(err)
		}
	}
	p := filepath.Join(t.TempDir(), "f.xlsx")
	if err := f.SaveAs(p); err != nil {
		t.Fatal(err)
	}
	n, err := bareXLSX(p)
	if err != nil || n != 3 {
		t.Fatalf("bareXLSX = %d, %v; want 3 rows", n, err)
	}
	if _, err := bareXLSX(writeFile(t, "not.xlsx", "a,b\n")); err == nil {
		t.Fatal("a CSV named .xlsx gave no error")
	}
}

// works writes a CSV of n valid works (header names are field names).
func works(t *testing.T, n int, bad bool) string {
	t.Helper()
	var b strings.Builder
	b.WriteString("title,type,applies_to_part,owned_by,priority\n")
	for i := range n {
		prio := "P1"
		if bad && i == n-1 {
			prio = "P9"
		}
		b.WriteString("Printer on fire " + string(rune('a'+i%26)) + ",issue,PROD-1,DEVU-1," + prio + "\n")
	}
	return writeFile(t, "works.csv", b.String())
}

func TestBuildBodies(t *testing.T) {
	bodies, err := buildBodies(works(t, 5, false), "", 3)
	if err != nil || len(bodies) != 3 {
		t.Fatalf("buildBodies = %d bodies, %v; want 3", len(bodies), err)
	}
	var w map[string]any
	if err := json.Unmarshal(bodies[0], &w); err != nil || w["title"] != "Printer on fire a" || w["type"] != "issue" {
		t.Fatalf("first body %s (%v)", bodies[0], err)
	}
	if _, err := buildBodies(works(t, 2, false), "", 3); err == nil || !strings.Contains(err.Error(), "fewer than") {
		t.Fatalf("too few rows: err = %v", err)
	}
	if _, err := buildBodies(works(t, 3, true), "", 3); err == nil || !strings.Contains(err.Error(), "invalid") {
		t.Fatalf("invalid row: err = %v", err)
	}
}

func TestPostAllCreatesEveryBodyOnce(t *testing.T) {
	sim, err := startSim(simulator.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer sim.Close()
	bodies, err := buildBodies(works(t, 20, false), "", 20)
	if err != nil {
		t.Fatal(err)
	}
	res, err := postAll(context.Background(), sim.URL+"/works.create", simulator.DefaultToken, bodies, 4)
	if err != nil {
		t.Fatal(err)
	}
	if res.Created != 20 || res.Requests != 20 || sim.Stats().Creates != 20 {
		t.Fatalf("result %+v, simulator creates %d; want 20", res, sim.Stats().Creates)
	}
	sum := 0
	for _, n := range perWindow(sim.Events(), time.Hour).PerWindow {
		sum += n
	}
	if sum != 20 {
		t.Fatalf("the recorder saw %d creates, want 20", sum)
	}
	// A wrong token is answered, not an error: the caller sees the statuses.
	res, err = postAll(context.Background(), sim.URL+"/works.create", "nope", bodies[:2], 2)
	if err != nil || res.ByStatus[http.StatusUnauthorized] != 2 || res.Created != 0 {
		t.Fatalf("wrong token: %+v, %v", res, err)
	}
}

func TestPerWindow(t *testing.T) {
	w := 3 * time.Second
	at := func(win int64, ms int) time.Time { return time.Unix(0, win*w.Nanoseconds()+int64(ms)*1e6) }
	ev := func(win int64, ms int, path string, status int) event {
		return event{At: at(win, ms), Path: path, Status: status}
	}
	for _, tc := range []struct {
		name   string
		events []event
		want   windowStats
	}{
		{"nothing", nil, windowStats{}},
		{"one window", []event{ev(10, 5, "/works.create", 201), ev(10, 9, "/works.create", 201)},
			windowStats{Windows: 1, PerWindow: []int{2}}},
		{"429s early and late, other paths ignored", []event{
			ev(10, 5, "/dev-users.self", 200),
			ev(10, 6, "/works.create", 201), ev(10, 7, "/works.create", 429),
			ev(11, 1, "/works.create", 201), ev(11, 2, "/works.create", 201), ev(11, 3, "/works.create", 429),
			ev(13, 0, "/works.create", 201), ev(14, 0, "/works.list", 429),
		}, windowStats{Windows: 4, FullWindows: 2, FullCreates: 2, Throttled: 2, LateThrottle: 1, PerWindow: []int{1, 2, 0, 1}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := perWindow(tc.events, w)
			got.First, got.Last = time.Time{}, time.Time{}
			gb, _ := json.Marshal(got)
			wb, _ := json.Marshal(tc.want)
			if string(gb) != string(wb) {
				t.Fatalf("perWindow = %s\nwant        %s", gb, wb)
			}
		})
	}
}

func TestRunChildMeasuresThroughTheTrampoline(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("needs sh")
	}
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	p, err := runChild(context.Background(), self, t.TempDir(), []string{asMain + "=1", "BENCH_X=42"},
		"sh", "-c", `echo "out $BENCH_X"; echo err >&2; exit 3`)
	if err != nil {
		t.Fatal(err)
	}
	if p.Exit != 3 || string(p.Stdout) != "out 42\n" || string(p.Stderr) != "err\n" || p.Wall <= 0 {
		t.Fatalf("proc %+v (stdout %q, stderr %q)", p, p.Stdout, p.Stderr)
	}
	if runtime.GOOS == "linux" && p.MaxRSS <= 0 {
		t.Fatalf("no peak RSS measured: %+v", p)
	}
	if err := p.expect("sh", 0); err == nil || !strings.Contains(err.Error(), "err") {
		t.Fatalf("expect(0) on exit 3 = %v", err)
	}
	if err := p.expect("sh", 0, 3); err != nil {
		t.Fatal(err)
	}
	if _, err := runChild(context.Background(), self, t.TempDir(), []string{asMain + "=1"}, filepath.Join(t.TempDir(), "no-such-binary")); err == nil {
		t.Fatal("a binary that cannot start gave no error")
	}
}

func TestRenderMarkdownJudgesTargets(t *testing.T) {
	base := func() *results {
		s := time.Second
		return &results{
			Cfg:         benchConfig{ImportRows: 100, Limit: 300, Window: 3 * s, Latency: 80 * time.Millisecond, LimitedFor: 30 * s, LimitedWorkers: 32},
			Date:        time.Date(2025, 1, 2, 3, 4, 5, 0, time.UTC),
			Machine:     machine{CPUs: 2, Model: "Test CPU", Go: "go1.x"},
			CSVFloor:    []readRun{{Rows: 1000, Wall: s, CPU: s, MaxRSS: 10e6}},
			CSVTool:     []readRun{{Rows: 1000, Wall: 3 * s, CPU: 2 * s, MaxRSS: 20e6}},
			XLSXFloor:   readRun{Rows: 1000, Wall: 10 * s, MaxRSS: 30e6},
			XLSXTool:    readRun{Rows: 1000, Wall: 1 * s, MaxRSS: 40e6},
			SharedFloor: &readRun{Rows: 1000, Wall: 5 * s, MaxRSS: 60e6},
			Shared:      &readRun{Rows: 1000, Wall: s, MaxRSS: 50e6},
			Imports:     [][]importRun{{{Workers: 8, Created: 100, Wall: s, Own: s}, {Workers: 8, Created: 100, Wall: 3 * s}, {Workers: 8, Created: 100, Wall: s / 2}}},
			Loads:       [][]importRun{{{Workers: 8, Created: 100, Wall: s}, {Workers: 8, Created: 100, Wall: s}, {Workers: 8, Created: 100, Wall: s}}},
			Limited: []limitedRun{
				{Label: "disk", Created: 2950, Win: windowStats{FullWindows: 8, FullCreates: 2400, PerWindow: []int{300}}},
				{Label: "tmpfs", Created: 2950},
			},
			Sync: &syncResult{Rows: 100, Upserts: []readRun{{Wall: 3 * s / 2}}, Validates: []readRun{{Wall: s}},
				Unchanged: 100, CreateCk: 1000, SyncCk: 2000, Updated: 100},
		}
	}
	for _, tc := range []struct {
		name   string
		change func(*results)
		missed []string
	}{
		{"all met", func(*results) {}, nil},
		{"slow CSV validate", func(r *results) { r.CSVTool[0].CPU = 2100 * time.Millisecond }, []string{"CSV rows ≤ 2x"}},
		{"slow sync", func(r *results) { r.Sync.Upserts[0].Wall = 2 * time.Second }, []string{"unchanged rows < 2x validate"}},
		{"sync writes and a big checkpoint", func(r *results) { r.Sync.Writes = 1; r.Sync.SyncCk = 2001 },
			[]string{"sends 0 writes", "≤ 2x the create-only"}},
		{"slow import", func(r *results) { r.Imports[0][0].Wall = 2 * time.Second }, []string{"at 8 workers"}},
		{"early requests and late 429s", func(r *results) { r.Limited[0].Early = 1; r.Limited[0].Win.LateThrottle = 2 },
			[]string{"0 early", "no 429 after"}},
		{"costly fsync", func(r *results) { r.Limited[0].Created = 2700 }, []string{"97%", "costs ≤ 5%"}},
		{"big RSS", func(r *results) { r.XLSXTool.MaxRSS = 200e6 }, []string{"XLSX peak RSS < 67 MB"}},
		{"slow XLSX validate", func(r *results) { r.XLSXTool.Wall = 3 * time.Second }, []string{"XLSX rows ≤ 0.2x"}},
		{"slow, big shared strings", func(r *results) { r.Shared.Wall = 2 * time.Second; r.Shared.MaxRSS = 70e6 },
			[]string{"shared strings ≤ 0.2x", "shared strings peak RSS ≤ 64 MiB"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := base()
			tc.change(r)
			md := renderMarkdown(r)
			var missed []string
			for _, line := range strings.Split(md, "\n") {
				if strings.Contains(line, "**MISSED**") {
					missed = append(missed, line)
				}
			}
			if len(missed) != len(tc.missed) {
				t.Fatalf("missed targets:\n%s\nwant %d containing %q\n\n%s", strings.Join(missed, "\n"), len(tc.missed), tc.missed, md)
			}
			for i, want := range tc.missed {
				if !strings.Contains(missed[i], want) {
					t.Errorf("missed target %q does not mention %q", missed[i], want)
				}
			}
			for _, want := range []string{"2025-01-02 03:04 UTC", "Test CPU", "go1.x", "## Commands"} {
				if !strings.Contains(md, want) {
					t.Errorf("table lacks %q", want)
				}
			}
		})
	}
}

func TestThousands(t *testing.T) {
	for n, want := range map[int]string{0: "0", 999: "999", 1000: "1,000", 1234567: "1,234,567", -12345: "-12,345"} {
		if got := thousands(n); got != want {
			t.Errorf("thousands(%d) = %q, want %q", n, got, want)
		}
	}
}

func TestRunRejectsBadUsage(t *testing.T) {
	for _, args := range [][]string{nil, {"nope"}, {"bare-csv"}, {"load", "-workers", "0"}, {"run"}, {"measure"}} {
		if err := run(context.Background(), args, os.Stdout, &strings.Builder{}); err == nil {
			t.Errorf("run(%q) gave no error", args)
		}
	}
}

// TestMedianRateRatio: the import target is the median of the pairs'
// ratios, not the median import over the median loop: here the pairs
// give 50%, 90% and 100% (median 90%) while the medians give 100%.
func TestMedianRateRatio(t *testing.T) {
	s := time.Second
	imps := []importRun{{Created: 100, Wall: 2 * s}, {Created: 90, Wall: s}, {Created: 100, Wall: s}}
	loads := []importRun{{Created: 100, Wall: s}, {Created: 100, Wall: s}, {Created: 100, Wall: s}}
	if got := medianRateRatio(imps, loads); got < 0.899 || got > 0.901 {
		t.Errorf("medianRateRatio = %.3f, want 0.900", got)
	}
	if got := medianRateRatio(nil, loads); got != 0 {
		t.Errorf("medianRateRatio of no pairs = %v, want 0", got)
	}
}
