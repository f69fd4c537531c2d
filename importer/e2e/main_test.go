package e2e

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	// The binary these tests run is main.go over importer/cli. Importing
	// cli here makes this test binary, and so go test's cache of its
	// results, depend on every package the tool is built from: without it
	// a change in, say, the pipeline would leave a cached e2e pass standing.
	_ "github.com/devrev-import/devrev-import/importer/cli"
)

// binPath is the devrev-import binary TestMain built for this test run.
var binPath string

// TestMain builds the binary once, from the module root, into a temporary
// directory that is removed afterwards.
func TestMain(m *testing.M) {
	os.Exit(buildAndRun(m))
}

func buildAndRun(m *testing.M) int {
	dir, err := os.MkdirTemp("", "devrev-import-e2e-")
	if err != nil {
		fmt.Fprintf(os.Stderr, "e2e: temp dir: %v\n", err)
		return 2
	}
	defer os.RemoveAll(dir)
	root, err := moduleRoot()
	if err != nil {
		fmt.Fprintf(os.Stderr, "e2e: %v\n", err)
		return 2
	}
	binPath = filepath.Join(dir, "devrev-import")
	build := exec.Command("go", "build", "-o", binPath, ".")
	build.Dir = root
	if out, err := build.CombinedOutput(); err != nil {
		fmt.Fprintf(os.Stderr, "e2e: go build in %s: %v\n%s", root, err, out)
		return 2
	}
	return m.Run()
}

// moduleRoot asks the go command where the module lives, falling back to
// the path relative to this package.
func moduleRoot() (string, error) {
	out, err := exec.Command("go", "list", "-m", "-f", "{{.Dir}}").Output()
	if err == nil {
		if d := strings.TrimSpace(string(out)); d != "" {
			return d, nil
		}
	}
	d, aerr := filepath.Abs(filepath.Join("..", ".."))
	if aerr != nil {
		return "", fmt.Errorf("finding the module root: %w", aerr)
	}
	if _, serr := os.Stat(filepath.Join(d, "go.mod")); serr != nil {
		return "", fmt.Errorf("finding the module root: go list: %v; %s has no go.mod", err, d)
	}
	return d, nil
}

// shortOr returns short under -short and full otherwise.
func shortOr(full, short int) int {
	if testing.Short() {
		return short
	}
	return full
}
