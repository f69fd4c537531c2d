package cli

import (
	"errors"
	"fmt"
	"testing"

	"github.com/spf13/pflag"

	"github.com/devrev-import/devrev-import/importer/checkpoint"
	"github.com/devrev-import/devrev-import/importer/pipeline"
	"github.com/devrev-import/devrev-import/importer/source"
)

// TestExitFor pins the one mapping from a command's error to its exit
// code, the codes the README documents.
func TestExitFor(t *testing.T) {
	locked := &checkpoint.LockedError{Path: "x.checkpoint.jsonl", PID: 42}
	for _, tc := range []struct {
		err  error
		code int
		msg  string
	}{
		{nil, ExitOK, ""},
		{pflag.ErrHelp, ExitOK, ""},
		{exitStatus(ExitRowsFailed), ExitRowsFailed, ""},
		{usageError("--rate: %s", "bad"), ExitUsage, "--rate: bad"},
		{fmt.Errorf("reading: %w", &source.FileError{Path: "a.csv", Err: errors.New("not UTF-8")}), ExitUsage, "a.csv: not UTF-8"},
		{&pipeline.StopError{Reason: pipeline.ReasonUnauthorized, Err: errors.New("401")}, ExitAuth, "the API refused the token: 401"},
		{&pipeline.StopError{Reason: pipeline.ReasonMaxErrors, Err: errors.New("5 rows failed")}, ExitRowsFailed, "stopped: 5 rows failed"},
		{&pipeline.StopError{Reason: pipeline.ReasonInterrupted}, ExitStopped, "stopped (interrupted): run the same command again to resume"},
		{fmt.Errorf("lock: %w", locked), ExitLocked, locked.Error()},
		{stoppedError("interrupted"), ExitStopped, "interrupted"},
		{authError("refused"), ExitAuth, "refused"},
		{errors.New("disk full"), ExitStopped, "disk full"},
	} {
		code, msg := exitFor(tc.err)
		if code != tc.code || msg != tc.msg {
			t.Errorf("exitFor(%v) = %d, %q; want %d, %q", tc.err, code, msg, tc.code, tc.msg)
		}
	}
}
