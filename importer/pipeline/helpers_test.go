package pipeline

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/devrev-import/devrev-import/importer/source"
	"github.com/devrev-import/devrev-import/mapping"
)

// openMapped writes csv to in.csv in dir and returns its reader (closed
// with the test), a function that opens it again, and the mapping yml
// compiled against its header.
func openMapped(t *testing.T, dir, csv, yml string) (source.Reader, func() (source.Reader, error), *mapping.Mapper) {
	t.Helper()
	in := filepath.Join(dir, "in.csv")
	if err := os.WriteFile(in, []byte(csv), 0o600); err != nil {
		t.Fatal(err)
	}
	open := func() (source.Reader, error) { return source.OpenCSV(in, source.Options{}) }
	src, err := open()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { src.Close() })
	mcfg, err := mapping.Parse("m.yaml", []byte(yml))
	if err != nil {
		t.Fatal(err)
	}
	m, _, err := mapping.Compile(mcfg, src.Header(), mapping.Options{})
	if err != nil {
		t.Fatal(err)
	}
	return src, open, m
}
