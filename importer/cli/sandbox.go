package cli

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"time"

	"github.com/spf13/cobra"

	"github.com/devrev-import/devrev-import/importer/simulator"
)

// newSandboxCmd serves the built-in DevRev simulator until interrupted.
func newSandboxCmd(env Env) *cobra.Command {
	c := &cobra.Command{Use: "sandbox", Short: "serve the built-in DevRev simulator on loopback",
		Long: `Serve the built-in DevRev simulator on a loopback address until interrupted, with
the rate limit, faults and latency the flags ask for. Point an import at it with
DEVREV_ENDPOINT and its token (both printed at start).`,
		Example: `  devrev-import sandbox --limit 100 --window 1m
  devrev-import sandbox --addr 127.0.0.1:9000 --fail-503 0.05 --latency 200ms --jitter 100ms`}
	fs := c.Flags()
	addr := fs.String("addr", "127.0.0.1:8089", "loopback address to listen on")
	limit := fs.Int("limit", 0, "requests per window per token (0 = unlimited)")
	window := fs.Duration("window", time.Minute, "rate-limit window")
	f500 := fs.Float64("fail-500", 0, "probability of a 500 internal_error on works.create")
	f503 := fs.Float64("fail-503", 0, "probability of a 503 service_unavailable on works.create")
	dropBefore := fs.Float64("drop-before", 0, "probability of dropping the connection before the create")
	dropAfter := fs.Float64("drop-after", 0, "probability of dropping the connection after the work was created")
	latency := fs.Duration("latency", 0, "added latency per request")
	jitter := fs.Duration("jitter", 0, "random extra latency in [0, jitter)")
	seed := fs.Int64("seed", 1, "seed for faults and jitter")
	var verbose bool
	verboseFlag(fs, &verbose, "log every request")
	withGroups(c, flagGroup{"Server", []string{"addr", "verbose"}}, flagGroup{"Rate limit", []string{"limit", "window"}},
		flagGroup{"Fault", []string{"fail-500", "fail-503", "drop-before", "drop-after", "latency", "jitter", "seed"}})
	c.RunE = func(c *cobra.Command, pos []string) error {
		if len(pos) > 0 {
			return usageError("takes no arguments (got %q)", pos[0])
		}
		return serveSandbox(c.Context(), *addr, verbose, simulator.Options{
			Limit: *limit, Window: *window, Latency: *latency, Jitter: *jitter, Seed: *seed,
			Faults: simulator.Faults{Err500: *f500, Err503: *f503, DropBefore: *dropBefore, DropAfter: *dropAfter},
		}, env)
	}
	return c
}

// serveSandbox serves the simulator with opt at addr until interrupted.
func serveSandbox(ctx context.Context, addr string, verbose bool, opt simulator.Options, env Env) error {
	host, _, err := net.SplitHostPort(addr)
	if err != nil || !isLoopback(host) {
		return usageError("--addr %q: must be a loopback address such as 127.0.0.1:8089", addr)
	}
	level := slog.LevelWarn
	if verbose {
		level = slog.LevelDebug
	}
	opt.Log = slog.New(slog.NewTextHandler(env.Stderr, &slog.HandlerOptions{Level: level}))
	sim, err := simulator.Listen(addr, opt)
	if err != nil {
		return usageError("%v", err)
	}
	fmt.Fprintf(env.Stdout, "DevRev simulator listening on %s\n", sim.URL)
	fmt.Fprintf(env.Stdout, "use: DEVREV_ENDPOINT=%s DEVREV_TOKEN=%s devrev-import import FILE\n", sim.URL, simulator.DefaultToken)
	select {
	case <-ctx.Done():
	case <-env.Signals:
	}
	st := sim.Stats()
	_ = sim.Close()
	fmt.Fprintf(env.Stdout, "served %d requests, created %d works, %d throttled, %d early\n", st.Requests, st.Creates, st.Throttled, st.Early)
	return nil
}

func isLoopback(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}
