package report

import (
	"encoding/csv"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
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

func TestErrorsCSVRemovesStaleFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "x.errors.csv")
	if err := os.WriteFile(path, []byte("old"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := NewErrorsCSV(path, nil).Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(path); !os.IsNotExist(err) {
		t.Errorf("stale errors CSV still there: %v", err)
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
