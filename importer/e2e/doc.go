// Package e2e holds the importer's out-of-process end-to-end tests: they
// build the devrev-import binary, run it as a child process against the
// DevRev simulator served on loopback, kill it with SIGKILL, interrupt it
// with SIGINT or SIGTERM, race two runs for one checkpoint, and then check
// through the simulator's own record that every row exists exactly once
// and that the checkpoint agrees.
//
// The package has no code of its own besides this comment; everything
// lives in its _test.go files. TestChaos is the soak test behind
// scripts/chaos; its size comes from CHAOS_ROWS (default 2,000).
package e2e
