package lookup

import (
	"context"
	"net"
	"testing"
	"time"

	"github.com/devrev-import/devrev-import/importer/devrev"
	"github.com/devrev-import/devrev-import/importer/simulator"
	"github.com/devrev-import/devrev-import/importer/source"
	"github.com/devrev-import/devrev-import/importer/throttle"
	"github.com/devrev-import/devrev-import/mapping"
)

// don is the DON ID of a seeded object of the simulator.
func don(service, typ, n string) string {
	return "don:" + service + ":dvrv-us-1:devo/sandbox:" + typ + "/" + n
}

// startSim starts a simulator for the test.
func startSim(t *testing.T) *simulator.Server {
	t.Helper()
	s, err := simulator.Start(simulator.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Close() })
	return s
}

// retrier is a fast retry policy: no backoff wait, two attempts.
func retrier() throttle.Retrier {
	return throttle.Retrier{
		Limiter:     throttle.NewLimiter(throttle.Config{Rate: 1e6, Burst: 1000}),
		Backoff:     func(int) time.Duration { return 0 },
		MaxAttempts: 2,
	}
}

// newClient returns a client for endpoint with the sandbox token.
func newClient(t *testing.T, endpoint string) *devrev.Client {
	t.Helper()
	c, err := devrev.New(devrev.Options{Endpoint: endpoint, Token: simulator.DefaultToken, Timeout: 10 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// newResolver returns a Resolver talking to s.
func newResolver(t *testing.T, s *simulator.Server, opt Options) *Resolver {
	t.Helper()
	opt.Client = newClient(t, s.URL)
	opt.Retrier = retrier()
	r, err := New(opt)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// listCalls counts the simulator's list requests, by path.
func listCalls(s *simulator.Server) map[string]int {
	out := map[string]int{}
	for p, n := range s.Stats().ByPath {
		if p != "/works.create" {
			out[p] = n
		}
	}
	return out
}

// deadURL is a loopback address nothing listens on.
func deadURL(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	_ = l.Close()
	return "http://" + addr
}

// compile builds a Mapper from a mapping text and a header.
func compile(t *testing.T, yml string, header []string) *mapping.Mapper {
	t.Helper()
	cfg, err := mapping.Parse("test.yaml", []byte(yml))
	if err != nil {
		t.Fatal(err)
	}
	m, _, err := mapping.Compile(cfg, header, mapping.Options{})
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// textRow builds a row of text cells.
func textRow(n int, cells ...string) source.Row {
	row := source.Row{Number: n}
	for _, c := range cells {
		row.Cells = append(row.Cells, source.Cell{Value: c})
	}
	return row
}

// enrich maps a row and runs the enricher on it when it mapped cleanly.
func enrich(t *testing.T, m *mapping.Mapper, f func(context.Context, *mapping.Work, source.Row) ([]mapping.Problem, error), row source.Row) (*mapping.Work, []mapping.Problem) {
	t.Helper()
	res := m.Map(row)
	if len(res.Problems) > 0 {
		t.Fatalf("row %d: mapping problems before lookups: %+v", row.Number, res.Problems)
	}
	probs, err := f(context.Background(), res.Work, row)
	if err != nil {
		t.Fatalf("row %d: %v", row.Number, err)
	}
	return res.Work, probs
}
