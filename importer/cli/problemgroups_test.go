package cli

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/devrev-import/devrev-import/mapping"
)

// writeBadTickets writes n ticket rows where every 2nd has no subject
// and every 3rd an unknown priority, and the mapping.
func writeBadTickets(t *testing.T, n int) (csvPath, mappingPath string) {
	t.Helper()
	dir := t.TempDir()
	var b strings.Builder
	b.WriteString("Ticket ID,Subject,Description,Priority,Assignee\n")
	for i := 1; i <= n; i++ {
		subject, prio := fmt.Sprintf("Printer %d", i), "High"
		if i%2 == 0 {
			subject = ""
		}
		if i%3 == 0 {
			prio = fmt.Sprintf("urgent%d", i)
		}
		fmt.Fprintf(&b, "ZD-%d,%s,body,%s,DEVU-1\n", i, subject, prio)
	}
	csvPath = filepath.Join(dir, "tickets.csv")
	mappingPath = filepath.Join(dir, "tickets.yaml")
	if err := os.WriteFile(csvPath, []byte(b.String()), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(mappingPath, []byte(ticketMapping), 0o600); err != nil {
		t.Fatal(err)
	}
	return csvPath, mappingPath
}

func TestRepeatedProblemsAreGroupedAfterTheFirst20(t *testing.T) {
	csvPath, mappingPath := writeBadTickets(t, 120)
	res := run(t, "", nil, "validate", csvPath, "--mapping", mappingPath)
	if res.code != ExitRowsFailed {
		t.Fatalf("exit %d\n%s", res.code, res.stderr)
	}
	lines := strings.Split(res.stderr, "\n")
	var problems int
	for _, l := range lines {
		if strings.HasPrefix(l, csvPath+":") {
			problems++
		}
	}
	if problems != 20 {
		t.Errorf("%d cell messages, want the first 20:\n%s", problems, res.stderr)
	}
	// 60 empty subjects and 40 bad priorities: 100 problems, the first 20
	// (rows 2..~26) printed, the rest grouped.
	for _, want := range []string{
		"... and 80 more, by column and rule:\n",
		`column "Subject" (title): required field is empty: rows 27, 29, 31 and 45 more`,
		`column "Priority" (severity): is not one of `,
		"invalid and failed rows: " + csvPath + ".errors.csv\n",
	} {
		if !strings.Contains(res.stderr, want) {
			t.Errorf("stderr lacks %q:\n%s", want, res.stderr)
		}
	}
	if strings.Count(res.stderr, "required field is empty: rows") != 1 {
		t.Errorf("the empty subjects are not one line:\n%s", res.stderr)
	}
}

func TestProblemGroupsAreBounded(t *testing.T) {
	g := newProblemGroups([]string{"A"})
	for i := range 1000 {
		g.add(i+2, mapping.Problem{Col: 0, Msg: fmt.Sprintf("rule %d", i%100)})
	}
	lines := g.lines("x.errors.csv")
	if len(g.groups) != maxProblemGroups || len(lines) != maxProblemGroups+1 {
		t.Fatalf("%d groups, %d lines", len(g.groups), len(lines))
	}
	if want := `column "A": rule 0: rows 2, 102, 202 and 7 more`; lines[0] != want {
		t.Errorf("line 0 = %q, want %q", lines[0], want)
	}
	if want := "... and 500 more problems of other kinds in x.errors.csv"; lines[len(lines)-1] != want {
		t.Errorf("last line = %q, want %q", lines[len(lines)-1], want)
	}
	for _, p := range g.groups {
		if len(p.Rows) > groupRowsShown {
			t.Fatalf("group keeps %d rows", len(p.Rows))
		}
	}
}

func TestRowListWording(t *testing.T) {
	for _, c := range []struct {
		count int
		rows  []int
		want  string
	}{
		{1, []int{4}, "row 4"},
		{2, []int{4, 9}, "rows 4 and 9"},
		{3, []int{4, 9, 12}, "rows 4, 9 and 12"},
		{20, []int{4, 9, 12}, "rows 4, 9, 12 and 17 more"},
	} {
		if got := (&problemGroup{Count: c.count, Rows: c.rows}).rowList(); got != c.want {
			t.Errorf("%d %v: %q, want %q", c.count, c.rows, got, c.want)
		}
	}
}
