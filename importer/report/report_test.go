package report

import (
	"encoding/csv"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
	"unicode/utf8"
)

func TestNeutralize(t *testing.T) {
	cases := map[string]string{
		`=HYPERLINK("http://evil.example","x")`: `'=HYPERLINK("http://evil.example","x")`,
		`=cmd|' /C calc'!A0`:                    `'=cmd|' /C calc'!A0`,
		`@SUM(1+1)*cmd|' /C calc'!A0`:           `'@SUM(1+1)*cmd|' /C calc'!A0`,
		"+1":                                    "'+1",
		"-2":                                    "'-2",
		"\tx":                                   "'\tx",
		"\rx":                                   "'\rx",
		"plain":                                 "plain",
		"":                                      "",
		"a=b":                                   "a=b",
	}
	for in, want := range cases {
		if got := Neutralize(in); got != want {
			t.Errorf("Neutralize(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestErrorsCSV(t *testing.T) {
	path := filepath.Join(t.TempDir(), "x.errors.csv")
	e := NewErrorsCSV(path, []string{"Subject", "Priority"})
	if err := e.Add(3, []string{"a", "b"}, []string{"=evil()", "Urgent"}); err != nil {
		t.Fatal(err)
	}
	if err := e.Close(); err != nil {
		t.Fatal(err)
	}
	if err := e.Close(); err != nil {
		t.Fatalf("second Close: %v", err)
	}
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o600 {
		t.Errorf("mode %v, want 0600", fi.Mode().Perm())
	}
	f, _ := os.Open(path)
	defer f.Close()
	recs, err := csv.NewReader(f).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	want := [][]string{{"_row", "_error", "Subject", "Priority"}, {"3", "a\nb", "'=evil()", "Urgent"}}
	if len(recs) != 2 || strings.Join(recs[0], ",") != strings.Join(want[0], ",") || strings.Join(recs[1], ",") != strings.Join(want[1], ",") {
		t.Errorf("got %q, want %q", recs, want)
	}
}

// TestErrorsCSVStaleFile: a run without invalid or failed rows removes an
// errors CSV an earlier run wrote, and leaves any other file at that path
// (the input itself, a checkpoint, a directory) as it is, with a warning.
func TestErrorsCSVStaleFile(t *testing.T) {
	dir := t.TempDir()
	for _, tc := range []struct {
		name, content string
		removed       bool
	}{
		{"ours", "_row,_error,Subject\n3,bad,x\n", true},
		{"ours, header only", "_row,_error", true},
		{"an input CSV", "Subject,Priority\nA,High\n", false},
		{"a checkpoint", `{"type":"header"}` + "\n", false},
		{"_row alone", "_row,Subject\n", false},
		{"empty", "", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			path := filepath.Join(dir, strings.ReplaceAll(tc.name, " ", "_")+".csv")
			if err := os.WriteFile(path, []byte(tc.content), 0o600); err != nil {
				t.Fatal(err)
			}
			e := NewErrorsCSV(path, nil)
			if err := e.Close(); err != nil {
				t.Fatal(err)
			}
			_, err := os.Stat(path)
			if gone := os.IsNotExist(err); gone != tc.removed {
				t.Fatalf("removed = %v, want %v", gone, tc.removed)
			}
			if w := e.Warning(); (w == "") != tc.removed || (w != "" && !strings.Contains(w, path+" was left as it is")) {
				t.Errorf("warning %q", w)
			}
			if !tc.removed {
				if b, _ := os.ReadFile(path); string(b) != tc.content {
					t.Errorf("file changed to %q", b)
				}
			}
		})
	}
	sub := filepath.Join(dir, "a-dir")
	if err := os.Mkdir(sub, 0o700); err != nil {
		t.Fatal(err)
	}
	e := NewErrorsCSV(sub, nil)
	if err := e.Close(); err != nil || e.Warning() == "" {
		t.Errorf("a directory at the path: err %v, warning %q", err, e.Warning())
	}
	if _, err := os.Stat(sub); err != nil {
		t.Errorf("directory removed: %v", err)
	}
	if err := NewErrorsCSV(filepath.Join(dir, "none.csv"), nil).Close(); err != nil {
		t.Errorf("nothing at the path: %v", err)
	}
}

// TestErrorsCSVCutsHugeCells: a cell over MaxCellBytes is cut at a rune
// boundary, the note names the column and both sizes, the caller's cells
// are untouched.
func TestErrorsCSVCutsHugeCells(t *testing.T) {
	path := filepath.Join(t.TempDir(), "x.errors.csv")
	e := NewErrorsCSV(path, []string{"Subject", "Body"})
	huge := "=" + strings.Repeat("é", MaxCellBytes) // 2 bytes a rune, a formula start
	cells := []string{"ok", huge}
	if err := e.Add(7, []string{"body is too long"}, cells); err != nil {
		t.Fatal(err)
	}
	if err := e.Close(); err != nil {
		t.Fatal(err)
	}
	if cells[1] != huge {
		t.Error("Add changed the caller's cells")
	}
	f, _ := os.Open(path)
	defer f.Close()
	recs, err := csv.NewReader(f).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	got := recs[1]
	if len(got[3]) > MaxCellBytes+1 || !strings.HasPrefix(huge, got[3][1:]) || !utf8.ValidString(got[3]) || got[3][0] != '\'' {
		t.Errorf("cut cell: %d bytes, prefix %q", len(got[3]), got[3][:8])
	}
	want := fmt.Sprintf("body is too long\ncolumn \"Body\": cut here to its first %d of %d bytes", MaxCellBytes-1, len(huge))
	if !strings.HasPrefix(got[1], want) {
		t.Errorf("_error %q, want it to start %q", got[1], want)
	}
}

func TestThousands(t *testing.T) {
	for n, want := range map[int]string{0: "0", 12: "12", 999: "999", 1000: "1,000", 9870: "9,870", 1234567: "1,234,567", -1234: "-1,234"} {
		if got := Thousands(n); got != want {
			t.Errorf("Thousands(%d) = %q, want %q", n, got, want)
		}
	}
}

func TestSummaryLine(t *testing.T) {
	s := Summary{Rows: 10000, Created: 9870, Invalid: 12, Failed: 118, Throttled: 3, ThrottledS: 41}
	got := s.Line(16*time.Minute + 40*time.Second)
	want := "created 9,870  skipped 0  invalid 12  failed 118  in 16m40s (10.0 rows/s); 3 rate-limit waits (41 s)"
	if got != want {
		t.Errorf("got  %q\nwant %q", got, want)
	}
}

func TestGroupWarnings(t *testing.T) {
	few := []string{`a.csv:2: key "K1" is in doubt`, "duplicate keys not checked"}
	if got := GroupWarnings(few, 10); len(got) != 2 || got[0] != few[0] {
		t.Errorf("few warnings changed: %q", got)
	}
	var many []string
	for i := 2; i < 32; i++ {
		many = append(many, fmt.Sprintf(`a.csv:%d: key "ZD-%d" is in doubt and could not be reconciled: works.list: timeout`, i, i))
	}
	many = append(many, `a.csv:40: key "x \"q\"" was in flight when an earlier run stopped; skipped (--on-doubt skip)`, "duplicate keys not checked")
	got := GroupWarnings(many, 10)
	want := []string{
		`a.csv:2: key "ZD-2" is in doubt and could not be reconciled: works.list: timeout (and 29 more rows like it: a.csv:3, a.csv:4, a.csv:5, a.csv:6, a.csv:7, …)`,
		`a.csv:40: key "x \"q\"" was in flight when an earlier run stopped; skipped (--on-doubt skip)`,
		"duplicate keys not checked",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("grouped:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	var kinds []string
	for i := range 15 {
		kinds = append(kinds, fmt.Sprintf("warning %d", i))
	}
	if got := GroupWarnings(kinds, 10); len(got) != 11 || !strings.Contains(got[10], "5 more warnings") {
		t.Errorf("15 kinds: %q", got)
	}
}

// The summary JSON counts an import's writes per op kind under "ops", as
// the README shows; a summary without ops (a dry run) has no "ops" key.
func TestSummaryJSONCountsPerOpKind(t *testing.T) {
	dir := t.TempDir()
	for _, tc := range []struct {
		s    Summary
		want string
	}{
		{Summary{Created: 12, Failed: 1, Ops: map[string]OpCounts{"create": {Done: 12, Failed: 1}}}, `"ops": {
    "create": {
      "done": 12,
      "failed": 1
    }
  }`},
		{Summary{DryRun: true}, ""},
	} {
		path := filepath.Join(dir, "s.json")
		if err := tc.s.WriteJSON(path); err != nil {
			t.Fatal(err)
		}
		b, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		got := string(b)
		if tc.want == "" && strings.Contains(got, `"ops"`) || !strings.Contains(got, tc.want) {
			t.Errorf("summary JSON:\n%s\nwant it to hold %q", got, tc.want)
		}
	}
}
