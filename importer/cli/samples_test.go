package cli

import (
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/devrev-import/devrev-import/importer/simulator"
)

// The rows of samples/ that are invalid on purpose (samples/README.md).
var sampleInvalid = map[string][]int{
	"tickets":       {7, 9, 12},
	"issues":        {8, 11, 13},
	"tasks":         {7, 9},
	"opportunities": {6, 9, 10},
}

// errorRows reads the _row column of an errors CSV.
func errorRows(t *testing.T, path string) []int {
	t.Helper()
	recs := readCSVFile(t, path)
	var rows []int
	for _, r := range recs[1:] {
		n, err := strconv.Atoi(r[0])
		if err != nil {
			t.Fatalf("_row %q: %v", r[0], err)
		}
		rows = append(rows, n)
	}
	return rows
}

func TestValidateSamplesFindsExactlyTheInvalidRows(t *testing.T) {
	for name, want := range sampleInvalid {
		for _, ext := range []string{".csv", ".xlsx"} {
			t.Run(name+ext, func(t *testing.T) {
				errs := filepath.Join(t.TempDir(), "errors.csv")
				res := run(t, "", nil, "validate", filepath.Join("..", "..", "samples", name+ext),
					"--mapping", filepath.Join("..", "..", "samples", name+".yaml"), "--errors-csv", errs)
				if res.code != ExitRowsFailed {
					t.Fatalf("exit %d, want %d\n%s", res.code, ExitRowsFailed, res.stderr)
				}
				if got := errorRows(t, errs); !slices.Equal(got, want) {
					t.Errorf("invalid rows %v, want %v\n%s", got, want, res.stderr)
				}
				if res.num("invalid") != len(want) || res.num("rows") != res.num("valid")+len(want) {
					t.Errorf("summary %v", res.summary)
				}
				if name != "tickets" || ext != ".csv" {
					return
				}
				// The errors CSV feeds back as it is: _row and _error are ignored.
				again := filepath.Join(t.TempDir(), "again.csv")
				res2 := run(t, "", nil, "validate", errs, "--mapping", filepath.Join("..", "..", "samples", name+".yaml"), "--errors-csv", again)
				if res2.code != ExitRowsFailed || res2.num("invalid") != len(want) || res2.num("rows") != len(want) {
					t.Errorf("re-validating the errors CSV: exit %d summary %v\n%s", res2.code, res2.summary, res2.stderr)
				}
			})
		}
	}
}

func TestImportSamplesIntoTheSimulator(t *testing.T) {
	for name, want := range sampleInvalid {
		t.Run(name, func(t *testing.T) {
			sim := startSim(t, simulator.Options{})
			dir := t.TempDir()
			src := filepath.Join("..", "..", "samples", name+".xlsx")
			b, err := os.ReadFile(src)
			if err != nil {
				t.Fatal(err)
			}
			file := filepath.Join(dir, name+".xlsx")
			if err := os.WriteFile(file, b, 0o600); err != nil {
				t.Fatal(err)
			}
			res := run(t, sim.URL, nil, "import", file, "--mapping", filepath.Join("..", "..", "samples", name+".yaml"))
			if res.code != ExitRowsFailed {
				t.Fatalf("exit %d\n%s", res.code, res.stderr)
			}
			if res.num("failed") != 0 || res.num("invalid") != len(want) || res.num("created") != len(sim.Works()) || len(sim.Works()) == 0 {
				t.Errorf("summary %v, simulator holds %d works\n%s", res.summary, len(sim.Works()), res.stderr)
			}
		})
	}
}

func TestDuplicateKeyFailsTheSecondRow(t *testing.T) {
	sim := startSim(t, simulator.Options{})
	dir := t.TempDir()
	file := filepath.Join(dir, "dup.csv")
	data := "Ticket ID,Subject,Description,Priority,Assignee\nZD-1,a,b,High,DEVU-1\nZD-2,c,d,High,DEVU-1\nZD-1,e,f,Low,DEVU-2\n"
	if err := os.WriteFile(file, []byte(data), 0o600); err != nil {
		t.Fatal(err)
	}
	mp := filepath.Join(dir, "m.yaml")
	if err := os.WriteFile(mp, []byte(ticketMapping), 0o600); err != nil {
		t.Fatal(err)
	}
	res := run(t, sim.URL, nil, "import", file, "--mapping", mp)
	if res.code != ExitRowsFailed || res.num("created") != 2 || res.num("failed") != 1 {
		t.Fatalf("exit %d summary %v\n%s", res.code, res.summary, res.stderr)
	}
	if got := errorRows(t, file+".errors.csv"); !slices.Equal(got, []int{4}) {
		t.Errorf("failed rows %v, want [4]", got)
	}
}

// The export-shaped samples use lookups: with the simulator they resolve
// names to IDs and find exactly the rows broken on purpose.
var lookupSamples = []struct {
	file, mapping string
	extra         []string
	invalid       []int
}{
	{"jira-issues.csv", "jira-issues.yaml", nil, []int{6, 8, 11}},
	{"zendesk-tickets.xlsx", "zendesk-tickets.yaml", []string{"--sheet", "Tickets"}, []int{5, 9, 13}},
}

func TestValidateLookupSamples(t *testing.T) {
	for _, s := range lookupSamples {
		t.Run(s.file, func(t *testing.T) {
			file := filepath.Join("..", "..", "samples", s.file)
			mp := filepath.Join("..", "..", "samples", s.mapping)
			errs := filepath.Join(t.TempDir(), "errors.csv")
			args := append([]string{"validate", file, "--mapping", mp, "--errors-csv", errs, "--sandbox"}, s.extra...)
			res := run(t, "", nil, args...)
			if res.code != ExitRowsFailed {
				t.Fatalf("exit %d\n%s", res.code, res.stderr)
			}
			if got := errorRows(t, errs); !slices.Equal(got, s.invalid) {
				t.Errorf("invalid rows %v, want %v\n%s", got, s.invalid, res.stderr)
			}
			// Without a token the lookups are reported as unchecked.
			noTok := run(t, "", nil, append([]string{"validate", file, "--mapping", mp, "--errors-csv", errs}, s.extra...)...)
			if !strings.Contains(noTok.stderr, "unchecked: needs a token") {
				t.Errorf("no 'unchecked' warning without a token:\n%s", noTok.stderr)
			}
		})
	}
}

func TestImportLookupSampleResolvesNames(t *testing.T) {
	sim := startSim(t, simulator.Options{})
	dir := t.TempDir()
	b, err := os.ReadFile(filepath.Join("..", "..", "samples", "jira-issues.csv"))
	if err != nil {
		t.Fatal(err)
	}
	file := filepath.Join(dir, "jira.csv")
	os.WriteFile(file, b, 0o600)
	res := run(t, sim.URL, nil, "import", file, "--mapping", filepath.Join("..", "..", "samples", "jira-issues.yaml"))
	if res.code != ExitRowsFailed || res.num("invalid") != 3 || res.num("created") != res.num("rows")-3 {
		t.Fatalf("exit %d summary %v\n%s", res.code, res.summary, res.stderr)
	}
	for _, w := range sim.Works() {
		owners, _ := w.Raw["owned_by"].([]any)
		if len(owners) == 0 {
			t.Errorf("%s has no owner", w.DisplayID)
		}
	}
	// 12 rows with a handful of distinct names: a handful of lookups, not one per row.
	lists := 0
	for path, n := range sim.Stats().ByPath {
		if strings.HasSuffix(path, ".list") && path != "/works.list" {
			lists += n
		}
	}
	if lists == 0 || lists > 20 {
		t.Errorf("%d directory list calls for %d rows", lists, res.num("rows"))
	}
}

// validate finds duplicate keys with a bounded filter and a confirming
// second pass; it must report exactly what import's exact index reports.
func TestValidateFindsDuplicateKeysLikeImport(t *testing.T) {
	dir := t.TempDir()
	var b strings.Builder
	b.WriteString("Ticket ID,Subject,Description,Priority,Assignee\n")
	for i := 1; i <= 300; i++ {
		id := i
		if i%100 == 0 {
			id = i / 100 // rows 101, 201, 301 repeat keys ZD-1, ZD-2, ZD-3
		}
		b.WriteString("ZD-" + strconv.Itoa(id) + ",t" + strconv.Itoa(i) + ",b,High,DEVU-1\n")
	}
	b.WriteString("ZD-5,again,b,Nope,DEVU-1\n") // row 302: invalid, so not a duplicate
	file := filepath.Join(dir, "dups.csv")
	os.WriteFile(file, []byte(b.String()), 0o600)
	mp := filepath.Join(dir, "m.yaml")
	os.WriteFile(mp, []byte(ticketMapping), 0o600)

	errs := filepath.Join(dir, "v.errors.csv")
	v := run(t, "", nil, "validate", file, "--mapping", mp, "--errors-csv", errs)
	if v.code != ExitRowsFailed || v.num("valid") != 297 || v.num("invalid") != 1 {
		t.Fatalf("validate: exit %d summary %v\n%s", v.code, v.summary, v.stderr)
	}
	if got := errorRows(t, errs); !slices.Equal(got, []int{302, 101, 201, 301}) {
		t.Errorf("validate's error rows %v", got)
	}
	if !strings.Contains(v.stderr, `key "ZD-2" was already used by row 3 of this file`) {
		t.Errorf("no duplicate message naming the first row:\n%s", v.stderr)
	}

	sim := startSim(t, simulator.Options{})
	imp := run(t, sim.URL, nil, "import", file, "--mapping", mp, "--errors-csv", filepath.Join(dir, "i.errors.csv"))
	if imp.num("valid") != v.num("valid") || imp.num("failed") != 3 || imp.num("created") != 297 {
		t.Errorf("import summary %v, validate summary %v", imp.summary, v.summary)
	}
}
