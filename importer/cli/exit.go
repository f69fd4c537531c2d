package cli

import (
	"errors"
	"fmt"

	"github.com/spf13/pflag"

	"github.com/devrev-import/devrev-import/importer/checkpoint"
	"github.com/devrev-import/devrev-import/importer/pipeline"
	"github.com/devrev-import/devrev-import/importer/source"
)

// exitError is an error that decides its command's exit code. With a nil
// err the command has already said everything (as gh's SilentError): only
// the code is left to return.
type exitError struct {
	code int
	err  error
}

func (e *exitError) Error() string {
	if e.err == nil {
		return fmt.Sprintf("exit status %d", e.code)
	}
	return e.err.Error()
}

func (e *exitError) Unwrap() error { return e.err }

// usageError is a usage, mapping or file-level problem: nothing was sent (2).
func usageError(format string, a ...any) error {
	return &exitError{ExitUsage, fmt.Errorf(format, a...)}
}

// stoppedError is a command stopped before the end, resumable (3).
func stoppedError(format string, a ...any) error {
	return &exitError{ExitStopped, fmt.Errorf(format, a...)}
}

// authError is the token or its permissions refused (4).
func authError(format string, a ...any) error {
	return &exitError{ExitAuth, fmt.Errorf(format, a...)}
}

// exitStatus ends a command that printed its outcome itself with code
// (nil for ExitOK).
func exitStatus(code int) error {
	if code == ExitOK {
		return nil
	}
	return &exitError{code: code}
}

// exitFor maps the error a command returned to its exit code and the
// message to print ("" for none). It is the one place that decides exit
// codes from errors:
//   - nil: 0; pflag.ErrHelp (-h printed the help): 0;
//   - an exitError: its code;
//   - a *source.FileError: 2, nothing was sent;
//   - a *pipeline.StopError: 4 when the token was refused, 1 when
//     --max-errors stopped the run, 2 when create mode found the file
//     imported before (nothing created), else 3 (resumable);
//   - a *checkpoint.LockedError: 5;
//   - anything else: 3, the command stopped before the end.
func exitFor(err error) (int, string) {
	var ee *exitError
	var fe *source.FileError
	var se *pipeline.StopError
	var le *checkpoint.LockedError
	switch {
	case err == nil, errors.Is(err, pflag.ErrHelp):
		return ExitOK, ""
	case errors.As(err, &ee):
		if ee.err == nil {
			return ee.code, ""
		}
		return ee.code, ee.err.Error()
	case errors.As(err, &fe):
		return ExitUsage, fe.Error()
	case errors.As(err, &se):
		return stopExit(se)
	case errors.As(err, &le):
		return ExitLocked, le.Error()
	}
	return ExitStopped, err.Error()
}

// stopExit is the exit code and message of a run the pipeline stopped.
func stopExit(se *pipeline.StopError) (int, string) {
	switch se.Reason {
	case pipeline.ReasonUnauthorized:
		return ExitAuth, fmt.Sprintf("the API refused the token: %v", se.Err)
	case pipeline.ReasonMaxErrors:
		return ExitRowsFailed, fmt.Sprintf("stopped: %v", se.Err)
	case pipeline.ReasonImportedBefore:
		// Not resumable as it is: the same command would stop again.
		return ExitUsage, fmt.Sprintf("stopped: %v", se.Err)
	}
	return ExitStopped, fmt.Sprintf("stopped (%s): run the same command again to resume", se)
}
