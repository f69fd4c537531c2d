package report

import (
	"encoding/csv"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestPlanCSV(t *testing.T) {
	path := filepath.Join(t.TempDir(), "plan.csv")
	p, err := CreatePlanCSV(path)
	if err != nil {
		t.Fatal(err)
	}
	p.Add(PlanLine{Row: 2, Key: "K1", Op: "create"})
	p.Add(PlanLine{Row: 3, Key: "K2", Op: "update", Work: "TKT-3", Field: "owned_by", Old: json.RawMessage(`["DEVU-1"]`), New: json.RawMessage(`["DEVU-2","DEVU-3"]`)})
	p.Add(PlanLine{Row: 4, Key: "=cmd", Op: "update", Work: "TKT-4", Field: "target_close_date", OldUnknown: true})
	if _, err := os.Stat(path); err == nil {
		t.Fatal("the plan is in place before Close")
	}
	if err := p.Close(true); err != nil {
		t.Fatal(err)
	}
	recs := readPlan(t, path)
	got := make([]string, len(recs))
	for i, r := range recs {
		got[i] = strings.Join(r, "|")
	}
	want := []string{"row|key|op|work|field|old|new", "2|K1|create||||", "3|K2|update|TKT-3|owned_by|DEVU-1|DEVU-2; DEVU-3", "4|'=cmd|update|TKT-4|target_close_date|?|"}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("plan:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	// A plan that did not finish leaves nothing.
	q, _ := CreatePlanCSV(filepath.Join(t.TempDir(), "p2.csv"))
	q.Add(PlanLine{Row: 2, Op: "create"})
	q.Close(false)
	if m, _ := filepath.Glob(filepath.Join(filepath.Dir(q.Path()), "*")); len(m) != 0 {
		t.Errorf("an unfinished plan left %v", m)
	}
}

// Lines added out of row order (workers finish rows in any order) are
// written in row order, the lines of one row in the order they came, with
// multi-line values intact; nothing but the plan is left in its directory.
func TestPlanCSVInRowOrder(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "plan.csv")
	p, err := CreatePlanCSV(path)
	if err != nil {
		t.Fatal(err)
	}
	for _, l := range []PlanLine{
		{Row: 9, Key: "K9", Op: "update", Field: "title", New: json.RawMessage(`"line one\nline two"`)},
		{Row: 3, Key: "K3", Op: "create"},
		{Row: 9, Key: "K9", Op: "update", Field: "body", New: json.RawMessage(`"b"`)},
		{Row: 5, Key: "K5", Op: "create"},
		{Row: 3, Key: "K3b", Op: "create"},
	} {
		p.Add(l)
	}
	if err := p.Close(true); err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, r := range readPlan(t, path) {
		got = append(got, r[0]+" "+r[1]+" "+r[4]+" "+r[6])
	}
	want := []string{"row key field new", "3 K3  ", "3 K3b  ", "5 K5  ", "9 K9 title line one\nline two", "9 K9 body b"}
	if strings.Join(got, "|") != strings.Join(want, "|") {
		t.Errorf("plan:\n%q\nwant:\n%q", got, want)
	}
	if m, _ := filepath.Glob(filepath.Join(dir, "*")); len(m) != 1 {
		t.Errorf("files left: %v", m)
	}
	if m, _ := filepath.Glob(filepath.Join(dir, ".*")); len(m) != 0 {
		t.Errorf("temporary files left: %v", m)
	}
}

// readPlan reads the plan CSV at path.
func readPlan(t *testing.T, path string) [][]string {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	recs, err := csv.NewReader(strings.NewReader(string(data))).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	return recs
}
