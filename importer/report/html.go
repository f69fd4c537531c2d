package report

import (
	"bytes"
	_ "embed"
	"fmt"
	"html/template"
	"io"
	"os"
	"path/filepath"
	"time"

	"github.com/devrev-import/devrev-import/importer/checkpoint"
)

// The page is one html/template: every value from the input file, the API
// or the journal is escaped for where it lands (text, attribute, SVG), the
// styles are inline and there is no script, and its Content-Security-Policy
// forbids loading anything at all, so the page shows the same offline, in
// a mail attachment, years later.
//
//go:embed report.html.tmpl
var pageSource string

var pageTemplate = template.Must(template.New("report").Funcs(template.FuncMap{
	"f1":   func(v float64) string { return fmt.Sprintf("%.1f", v) },
	"num":  Thousands,
	"rate": formatNumber,
	"dur":  humanDuration,
	"when": func(t time.Time) string {
		if t.IsZero() {
			return "unknown"
		}
		return t.UTC().Format("2006-01-02 15:04:05 UTC")
	},
	"base":     filepath.Base,
	"num64":    func(n int64) string { return Thousands(int(n)) },
	"plus":     func(d, v float64) float64 { return v + d },
	"minus":    func(d, v float64) float64 { return v - d },
	"problemX": func() float64 { return problemBarX0 },
	"tagClass": func(status string) string {
		if status == "in doubt" {
			return "doubt"
		}
		return status
	},
}).Parse(pageSource))

// WriteHTML renders the page.
func WriteHTML(w io.Writer, p Page) error {
	return pageTemplate.Execute(w, p)
}

// WriteHTMLFile writes the HTML report of the checkpoint at ckPath (read
// with checkpoint.Read into hdr and st) to path, with mode 0600.
func WriteHTMLFile(path, ckPath string, hdr checkpoint.Header, st *checkpoint.State) error {
	runs, err := ReadTimeline(ckPath)
	if err != nil {
		return err
	}
	var buf bytes.Buffer
	if err := WriteHTML(&buf, BuildPage(ckPath, hdr, st, runs, time.Now())); err != nil {
		return fmt.Errorf("render HTML report: %w", err)
	}
	if err := os.WriteFile(path, buf.Bytes(), 0o600); err != nil {
		return fmt.Errorf("write HTML report: %w", err)
	}
	return nil
}
