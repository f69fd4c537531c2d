package cli

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"sync"
	"time"

	"github.com/spf13/pflag"

	"github.com/devrev-import/devrev-import/importer/pipeline"
	"github.com/devrev-import/devrev-import/importer/report"
)

// output is what validate and import write to stderr besides the
// progress: in text mode the lines people read, with --log-format json
// one JSON object per line, each with its event in "msg", the line people
// would read in "text" and the event's figures as typed attributes.
type output struct {
	w    io.Writer // stderr (in JSON mode, through jsonLines)
	log  *slog.Logger
	json bool
}

// event writes one line: text, or in JSON mode the event name with text
// and attrs (key, value pairs as slog takes them).
func (o *output) event(level slog.Level, name, text string, attrs ...any) {
	if !o.json {
		io.WriteString(o.w, text+"\n")
		return
	}
	o.log.Log(context.Background(), level, name, append([]any{"text", text}, attrs...)...)
}

// warning is `warning: TEXT`, or the event "warning".
func (o *output) warning(text string) {
	o.event(slog.LevelWarn, "warning", "warning: "+text)
}

// failure is `devrev-import: TEXT`, or the event "error".
func (o *output) failure(text string) {
	o.event(slog.LevelError, "error", "devrev-import: "+text)
}

// addLogFormat registers --log-format on fs.
func addLogFormat(fs *pflag.FlagSet, p *string) {
	fs.StringVar(p, "log-format", "text", "stderr format: text, or json (one JSON object per line: warnings, problems, the summary)")
}

// logEnv checks --log-format and, for json, makes every stderr line of
// the command a JSON object (see jsonLines).
func logEnv(env Env, format string) (Env, error) {
	switch format {
	case "text":
	case "json":
		env.Stderr = newJSONLines(env.Stderr)
	default:
		return env, usageError("--log-format %q: must be text or json", format)
	}
	return env, nil
}

// newOutput is a command's stderr events for --log-format format, on
// env.Stderr as logEnv made it.
func newOutput(env Env, format string) *output {
	return &output{w: env.Stderr, log: newLogger(env, format, slog.LevelInfo), json: format == "json"}
}

// jsonLines turns every line written to it that is not already a JSON
// object (lines the slog JSON handler writes) into one, so that with
// --log-format json no stderr line of a run is plain text, whichever
// part of the command wrote it: `warning: X` becomes the event "warning",
// `note: X` the event "note", `devrev-import: X` the event "error", any
// other line the event "info".
type jsonLines struct {
	mu  sync.Mutex
	w   io.Writer
	log *slog.Logger // a JSON logger writing to w
	buf []byte       // a line not ended yet
}

func newJSONLines(w io.Writer) *jsonLines {
	return &jsonLines{w: w, log: slog.New(slog.NewJSONHandler(w, nil))}
}

func (j *jsonLines) Write(p []byte) (int, error) {
	j.mu.Lock()
	defer j.mu.Unlock()
	j.buf = append(j.buf, p...)
	for {
		i := bytes.IndexByte(j.buf, '\n')
		if i < 0 {
			return len(p), nil
		}
		line := string(j.buf[:i+1])
		j.buf = j.buf[i+1:]
		if err := j.line(line); err != nil {
			return len(p), err
		}
	}
}

// line writes one ended line.
func (j *jsonLines) line(line string) error {
	text := strings.TrimSpace(line)
	switch {
	case text == "":
		return nil
	case strings.HasPrefix(text, "{"):
		_, err := io.WriteString(j.w, line)
		return err
	case strings.HasPrefix(text, "warning: "):
		j.log.Warn("warning", "text", text)
	case strings.HasPrefix(text, "note: "):
		j.log.Info("note", "text", text)
	case strings.HasPrefix(text, "devrev-import"):
		j.log.Error("error", "text", text)
	default:
		j.log.Info("info", "text", text)
	}
	return nil
}

// printRows writes the first row messages (event "problem"), the rest
// grouped, and where the rows went (event "errors_csv").
func (r *importRun) printRows(res pipeline.Result, errs *report.ErrorsCSV) {
	for _, m := range res.Messages {
		r.out.event(slog.LevelInfo, "problem", m)
	}
	if more := res.MessageCount - len(res.Messages); more > 0 {
		r.out.event(slog.LevelInfo, "problems_more", fmt.Sprintf("... and %s more, by column and rule:", report.Thousands(more)), "count", more)
		r.groups.print(r.out, errs.Path())
	}
	if errs.Rows() > 0 {
		r.out.event(slog.LevelInfo, "errors_csv", "invalid and failed rows: "+errs.Path(), "path", errs.Path(), "rows", errs.Rows())
	}
}

// printSummary writes the summary line (event "summary", with the
// summary's figures as numbers) and where the checkpoint and the created
// CSV are: after it for people, before it in JSON, where the summary is
// the last line a log has.
func (r *importRun) printSummary(s report.Summary, sent bool) {
	if s.Rows == 0 && s.Error == "" {
		// An empty nightly delta is not an error.
		r.out.event(slog.LevelInfo, "empty", r.file+": 0 data rows (the file has only a header)", "file", r.file)
	}
	d := time.Duration(s.DurationS * float64(time.Second))
	line := s.Line(d)
	if r.dry {
		line = fmt.Sprintf("%s; %d warnings", line, len(s.Warnings))
	}
	if s.Warnings == nil {
		s.Warnings = []string{} // as --summary-json writes it: a list, never null
	}
	if r.out.json {
		r.printPaths(sent)
	}
	r.out.event(slog.LevelInfo, "summary", line, "summary", s)
	if !r.out.json {
		r.printPaths(sent)
	}
}

// printPaths says where the checkpoint and the created CSV are.
func (r *importRun) printPaths(sent bool) {
	if !r.dry && sent {
		r.out.event(slog.LevelInfo, "checkpoint", "checkpoint: "+r.ckPath, "path", r.ckPath)
	}
	if !r.dry && r.created != nil {
		r.out.event(slog.LevelInfo, "created_csv", "created works: "+r.created.Path(), "path", r.created.Path())
	}
}
