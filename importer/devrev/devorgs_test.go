package devrev_test

import (
	"context"
	"errors"
	"testing"

	"github.com/devrev-import/devrev-import/importer/devrev"
	"github.com/devrev-import/devrev-import/importer/simulator"
)

// DevOrg against the simulator's dev-orgs.get: the token's org, with its
// name; a token the API refuses is a 401 *APIError.
func TestDevOrgAgainstTheSimulator(t *testing.T) {
	sim, c := simClient(t)
	org, _, err := c.DevOrg(context.Background())
	if err != nil || org.ID != simulator.OrgID || org.DisplayName != simulator.OrgName {
		t.Errorf("DevOrg = %+v, %v; want %s named %q", org, err, simulator.OrgID, simulator.OrgName)
	}
	bad, err := devrev.New(devrev.Options{Endpoint: sim.URL, Token: "tok-nobody"})
	if err != nil {
		t.Fatal(err)
	}
	var ae *devrev.APIError
	if _, _, err := bad.DevOrg(context.Background()); !errors.As(err, &ae) || ae.Status != 401 {
		t.Errorf("DevOrg with a bad token: %v, want a 401", err)
	}
}

// simClient starts a simulator and returns it with a client holding its
// token.
func simClient(t *testing.T) (*simulator.Server, *devrev.Client) {
	t.Helper()
	sim, err := simulator.Start(simulator.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { sim.Close() })
	c, err := devrev.New(devrev.Options{Endpoint: sim.URL, Token: "sandbox-token"})
	if err != nil {
		t.Fatal(err)
	}
	return sim, c
}
