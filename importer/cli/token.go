package cli

import (
	"errors"
	"fmt"
	"log/slog"
	"os"
	"strings"
	"time"

	"github.com/spf13/pflag"

	"github.com/devrev-import/devrev-import/importer/devrev"
)

// readToken returns the API token from --token-file or $DEVREV_TOKEN. The
// token is never a flag value: flags show up in process lists and shell
// history.
func readToken(path string, env Env) (string, error) {
	if path != "" {
		fi, err := os.Stat(path)
		if err != nil {
			return "", fmt.Errorf("--token-file: %w", err)
		}
		if fi.Mode().Perm()&0o077 != 0 {
			fmt.Fprintf(env.Stderr, "warning: token file %s is readable by others (mode %v); chmod 600 it\n", path, fi.Mode().Perm())
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return "", fmt.Errorf("--token-file: %w", err)
		}
		tok := strings.TrimSpace(string(b))
		if tok == "" {
			return "", fmt.Errorf("--token-file %s is empty", path)
		}
		return tok, nil
	}
	if tok := strings.TrimSpace(env.Getenv("DEVREV_TOKEN")); tok != "" {
		return tok, nil
	}
	return "", errors.New("no API token: set DEVREV_TOKEN or use --token-file (or try the built-in simulator with --sandbox)")
}

// apiFlags are the flags of every command that talks to the API.
type apiFlags struct {
	endpoint, tokenFile string
	timeout             time.Duration
}

func (a *apiFlags) register(fs *pflag.FlagSet) {
	fs.StringVar(&a.endpoint, "endpoint", "", "DevRev API endpoint (default $DEVREV_ENDPOINT, else https://api.devrev.ai)")
	fs.StringVar(&a.tokenFile, "token-file", "", "read the API token from this file (default: $DEVREV_TOKEN)")
	fs.DurationVar(&a.timeout, "timeout", 30*time.Second, "per-request timeout")
}

// newClient builds the API client; endpoint "" means $DEVREV_ENDPOINT, else
// DevRev's public API.
func newClient(endpoint, token string, timeout time.Duration, workers int, log *slog.Logger, env Env) (*devrev.Client, error) {
	if endpoint == "" {
		endpoint = env.Getenv("DEVREV_ENDPOINT")
	}
	return devrev.New(devrev.Options{Endpoint: endpoint, Token: token, Timeout: timeout, MaxConns: workers, UserAgent: "devrev-import/" + Version, Log: log})
}
