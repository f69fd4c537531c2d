package mapping

import (
	"encoding/csv"
	"encoding/json"
	"errors"
	"flag"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/devrev-import/devrev-import/importer/source"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

// checkGolden compares got with testdata/name.golden (or rewrites it).
func checkGolden(t *testing.T, name, got string) {
	t.Helper()
	path := filepath.Join("testdata", name+".golden")
	if *update {
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test ./mapping -run %s -update to create it)", err, t.Name())
	}
	if got != string(want) {
		t.Errorf("%s differs from the golden file:\n--- got\n%s\n--- want\n%s", path, got, want)
	}
}

// directives reads "# header: a,b", "# options: strict", "# type: X" and
// "# key: A,B" comment lines at the top of a test mapping.
func directives(data []byte) (header []string, opt Options) {
	for _, line := range strings.Split(string(data), "\n") {
		rest, ok := strings.CutPrefix(line, "# ")
		if !ok {
			break
		}
		k, v, _ := strings.Cut(rest, ": ")
		switch k {
		case "header":
			header = strings.Split(v, ",")
		case "options":
			opt.Strict = v == "strict"
		case "type":
			opt.Type = v
		case "key":
			opt.Key = strings.Split(v, ",")
		}
	}
	return header, opt
}

// errLines renders a (joined) error one message per line, checking that
// every part is a *ConfigError.
func errLines(t *testing.T, err error) string {
	t.Helper()
	var parts []error
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		parts = j.Unwrap()
	} else {
		parts = []error{err}
	}
	var b strings.Builder
	for _, p := range parts {
		var ce *ConfigError
		if !errors.As(p, &ce) {
			t.Errorf("error %q is not a *ConfigError", p)
		}
		b.WriteString(p.Error())
		b.WriteByte('\n')
	}
	return b.String()
}

// TestConfigMessages runs every testdata/*.yaml mapping through Parse and,
// when it has a "# header:" line, Compile, and compares the messages with
// the golden file of the same name.
func TestConfigMessages(t *testing.T) {
	files, err := filepath.Glob(filepath.Join("testdata", "*.yaml"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no test mappings: %v", err)
	}
	for _, f := range files {
		name := strings.TrimSuffix(filepath.Base(f), ".yaml")
		if name == "rows" {
			continue // TestRowMessages
		}
		t.Run(name, func(t *testing.T) {
			data, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			var out strings.Builder
			cfg, err := Parse(filepath.Base(f), data)
			if err != nil {
				out.WriteString("Parse:\n")
				out.WriteString(errLines(t, err))
			} else {
				out.WriteString("Parse: ok\n")
				if header, opt := directives(data); header != nil {
					_, warns, err := Compile(cfg, header, opt)
					for _, w := range warns {
						out.WriteString("warning: " + w + "\n")
					}
					if err != nil {
						out.WriteString("Compile:\n")
						out.WriteString(errLines(t, err))
					} else {
						out.WriteString("Compile: ok\n")
					}
				}
			}
			checkGolden(t, name, out.String())
		})
	}
}

// TestRowMessages maps testdata/rows.csv with testdata/rows.yaml and
// compares every row's key, work and formatted problems with the golden
// file. The locations imitate the CSV reader's Where.
func TestRowMessages(t *testing.T) {
	cfg, err := Load(filepath.Join("testdata", "rows.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	f, err := os.Open(filepath.Join("testdata", "rows.csv"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	records, err := csv.NewReader(f).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	header := records[0]
	m, warns, err := Compile(cfg, header, Options{})
	if err != nil {
		t.Fatal(err)
	}
	var out strings.Builder
	for _, w := range warns {
		out.WriteString("warning: " + w + "\n")
	}
	for i, rec := range records[1:] {
		row := source.Row{Number: i + 2}
		for _, c := range rec {
			row.Cells = append(row.Cells, source.Cell{Value: c})
		}
		res := m.Map(row)
		body, err := json.Marshal(res.Work)
		if err != nil {
			t.Fatal(err)
		}
		out.WriteString("row " + strconv.Itoa(row.Number) + " key " + strconv.Quote(res.Key) + "\n  " + string(body) + "\n")
		for _, p := range res.Problems {
			where := "rows.csv:" + strconv.Itoa(row.Number)
			if p.Col >= 0 {
				where += " column " + strconv.Quote(header[p.Col])
			}
			out.WriteString("  " + p.Format(where) + "\n")
		}
	}
	checkGolden(t, "rows", out.String())
}
