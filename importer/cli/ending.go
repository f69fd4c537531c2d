package cli

import (
	"errors"
	"fmt"
	"net/http"

	"github.com/devrev-import/devrev-import/importer/devrev"
	"github.com/devrev-import/devrev-import/importer/report"
	"github.com/devrev-import/devrev-import/importer/throttle"
)

// maxWarningLines is how many run-time warning lines stderr shows before
// they are grouped (all of them stay in --summary-json).
const maxWarningLines = 10

// apiFailure is the exit code and message for a setup call (the schema
// fetch) that failed: the token refused (4), the run interrupted or a wait
// too long (3), the API unreachable or failing (3). hint is added only
// when it may help: when the API answered and refused this call itself
// (a 403 for the schema, a 400 or 404), not when it is down or the token
// is wrong.
func apiFailure(what string, err error, hint string) (int, string) {
	var ae *devrev.APIError
	isAPI := errors.As(err, &ae)
	switch d := throttle.Classify(err); {
	case d == throttle.Fatal && ae.Status == http.StatusForbidden:
		return ExitAuth, fmt.Sprintf("%s: the API refused the token's permissions: %v %s", what, err, hint)
	case d == throttle.Fatal:
		return ExitAuth, fmt.Sprintf("%s: the API refused the token: %v", what, err)
	case d == throttle.Abort && !isWait(err):
		return ExitStopped, fmt.Sprintf("%s: interrupted", what)
	case d == throttle.Fail && isAPI:
		return ExitStopped, fmt.Sprintf("%s: %v %s", what, err, hint)
	case isWait(err):
		// The wait's own message says how long, why, and to run again.
		return ExitStopped, fmt.Sprintf("%s: %v", what, err)
	}
	return ExitStopped, fmt.Sprintf("%s: %v: the API is not available; run again later", what, err)
}

func isWait(err error) bool {
	var we *throttle.WaitError
	return errors.As(err, &we)
}

// printWarnings shows the warnings a run produced on stderr, grouped when
// there are many.
func (r *importRun) printWarnings(ws []string) {
	for _, w := range report.GroupWarnings(ws, maxWarningLines) {
		r.out.warning(w)
	}
}

// writeSummaryOnExit writes --summary-json for a run that ended before
// finish (a usage, mapping, lock or setup failure), so a cron wrapper
// always finds the exit code and the error. A path that clashes with
// another file is never written.
func (r *importRun) writeSummaryOnExit(code int, msg string) {
	if r.f.summaryJSON == "" || r.summaryDone || !r.summarySafe {
		return
	}
	s := report.Summary{DryRun: r.dry, ExitCode: code, Error: msg, Checkpoint: r.ckPath}
	if err := s.WriteJSON(r.f.summaryJSON); err != nil {
		fmt.Fprintf(r.env.Stderr, "devrev-import: %v\n", err)
	}
}
