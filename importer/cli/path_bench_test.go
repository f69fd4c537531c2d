package cli_test

import (
	"context"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"testing"

	"github.com/devrev-import/devrev-import/importer/cli"
	"github.com/devrev-import/devrev-import/importer/simulator"
)

// These benchmarks drive the whole command, flags to summary, in-process,
// so that `go test -cpuprofile` / `-memprofile` see the same path as
// `devrev-import validate` and `import` (scripts/bench times the built
// binary). By default they read samples/tickets.csv; point them at a big
// file with
//
//	BENCH_FILE=$PWD/bench-data/works-1000000.csv go test ./importer/cli -run '^$' \
//	    -bench 'Validate$' -benchtime 1x -cpuprofile cpu.prof
//
// (the mapping is BENCH_FILE.yaml; BENCH_WORKERS sets the import's workers;
// BENCH_ENDPOINT points the imports at a simulator in another process, e.g.
// `devrev-import sandbox --limit 0`, so that the profile holds the import's
// CPU alone).

// pathBenchFile returns the input file and its mapping.
func pathBenchFile(b *testing.B) (file, mapping string) {
	b.Helper()
	if f := os.Getenv("BENCH_FILE"); f != "" {
		return f, f + ".yaml"
	}
	return filepath.Join("..", "..", "samples", "tickets.csv"), filepath.Join("..", "..", "samples", "tickets.yaml")
}

// mainQuiet runs the command line with output discarded.
func mainQuiet(args []string, getenv func(string) string) int {
	return cli.Main(context.Background(), args, cli.Env{Stdout: io.Discard, Stderr: io.Discard, Getenv: getenv})
}

// BenchmarkValidate is `devrev-import validate FILE --mapping M`.
func BenchmarkValidate(b *testing.B) {
	file, mp := pathBenchFile(b)
	dir := b.TempDir()
	noEnv := func(string) string { return "" }
	for b.Loop() {
		code := mainQuiet([]string{"validate", file, "--mapping", mp,
			"--errors-csv", filepath.Join(dir, "errors.csv"), "--summary-json", filepath.Join(dir, "summary.json")}, noEnv)
		if code != cli.ExitOK && code != cli.ExitRowsFailed {
			b.Fatalf("validate exit %d", code)
		}
	}
}

// BenchmarkImportSandbox is `devrev-import import FILE --mapping M` into a
// simulator without rate limit or latency, with a fresh checkpoint per
// iteration (so every row is sent every time).
func BenchmarkImportSandbox(b *testing.B) {
	file, mp := pathBenchFile(b)
	workers := "8"
	if w := os.Getenv("BENCH_WORKERS"); w != "" {
		workers = w
	}
	env := map[string]string{"DEVREV_ENDPOINT": benchEndpoint(b), "DEVREV_TOKEN": simulator.DefaultToken}
	dir := b.TempDir()
	i := 0
	for b.Loop() {
		i++
		code := mainQuiet([]string{"import", file, "--mapping", mp, "--workers", workers, "--progress", "never",
			"--checkpoint", filepath.Join(dir, "cp"+strconv.Itoa(i)+".jsonl"),
			"--errors-csv", filepath.Join(dir, "errors.csv"), "--summary-json", filepath.Join(dir, "summary.json")},
			func(k string) string { return env[k] })
		if code != cli.ExitOK && code != cli.ExitRowsFailed {
			b.Fatalf("import exit %d", code)
		}
	}
}

// benchEndpoint returns BENCH_ENDPOINT, or the URL of a simulator without
// rate limit or latency started in this process for the benchmark.
func benchEndpoint(b *testing.B) string {
	b.Helper()
	if u := os.Getenv("BENCH_ENDPOINT"); u != "" {
		return u
	}
	sim, err := simulator.Start(simulator.Options{})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { _ = sim.Close() })
	return sim.URL
}

// BenchmarkUpsertUnchanged is `devrev-import import FILE --mode upsert`
// over a file the checkpoint already holds unchanged (the nightly sync of
// a quiet night): it imports the file once before timing, then each
// iteration compares every row with the checkpoint and sends nothing.
func BenchmarkUpsertUnchanged(b *testing.B) {
	file, mp := pathBenchFile(b)
	sim, err := simulator.Start(simulator.Options{})
	if err != nil {
		b.Fatal(err)
	}
	defer sim.Close()
	env := map[string]string{"DEVREV_ENDPOINT": sim.URL, "DEVREV_TOKEN": simulator.DefaultToken}
	dir := b.TempDir()
	args := []string{"import", file, "--mapping", mp, "--progress", "never", "--checkpoint", filepath.Join(dir, "cp.jsonl"),
		"--errors-csv", filepath.Join(dir, "errors.csv"), "--summary-json", filepath.Join(dir, "summary.json")}
	getenv := func(k string) string { return env[k] }
	if code := mainQuiet(args, getenv); code != cli.ExitOK {
		b.Fatalf("first import exit %d", code)
	}
	writes := func() int { st := sim.Stats(); return st.Creates + st.Updates }
	before := writes()
	args = append(args, "--mode", "upsert")
	for b.Loop() {
		if code := mainQuiet(args, getenv); code != cli.ExitOK {
			b.Fatalf("upsert exit %d", code)
		}
	}
	if n := writes(); n != before {
		b.Fatalf("upsert over unchanged rows wrote %d works", n-before)
	}
}
