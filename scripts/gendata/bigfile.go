package main

import (
	"bufio"
	"encoding/csv"
	"fmt"
	"math/rand/v2"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/xuri/excelize/v2"
)

// benchHeader is the header of the generated benchmark files.
var benchHeader = []string{
	"External ID", "Type", "Title", "Description", "Priority", "Severity",
	"Owner", "Tags", "Due", "Story Points", "Part",
}

// csvDueLayout is how the CSV spells the Due column (the mapping's format).
const csvDueLayout = "02.01.2006 15:04"

// benchRow is one generated work.
type benchRow struct {
	Key, Type, Title, Body string
	Priority, Severity     string // one of them is set: priority for issues and tasks, severity for tickets
	Owner, Tags, Part      string
	Due                    time.Time
	Points                 int
}

// generator makes realistic, valid works from a seeded random source, so
// the same seed always gives the same rows.
type generator struct {
	rng  *rand.Rand
	body strings.Builder
}

func newGenerator(seed uint64) *generator {
	return &generator{rng: rand.New(rand.NewPCG(seed, 0x5eed))}
}

var (
	benchTypes      = []string{"issue", "ticket", "task"}
	benchPriorities = []string{"P0", "P1", "P2", "P3"}
	benchSeverities = []string{"Urgent", "High", "Normal", "Low"}
	benchPoints     = []int{1, 2, 3, 5, 8, 13}
	benchSubjects   = []string{
		"Invoice export", "SEPA payment", "Login with SSO", "Password reset",
		"PDF rendering", "Mobile sync", "Credit note", "Tax calculation",
		"Address form", "Rate limiter", "Search index", "Webhook delivery",
	}
	benchSymptoms = []string{
		"fails for large accounts", "is slow on 3G", "shows the wrong total",
		"times out after 30 s", "drops the last line", "crashes on Android 14",
		"ignores the time zone", "rejects valid input", "sends duplicate e-mails",
		"returns 502 intermittently",
	}
	benchSentences = []string{
		`Customer "Acme Corp" reports that the page fails, intermittently, since the last deploy.`,
		"Steps: open the account, click \"Export\", wait; nothing happens.",
		`Expected: a file with net, VAT and gross amounts. Actual: an empty file, 0 bytes.`,
		"Seen on Chrome 122, Firefox 123 and the mobile app, version 4.2.",
		`The log says: "timeout waiting for worker", then "retrying (3/5)".`,
		"Affects roughly 40 customers, mostly in the EU region, starting Monday 07:40.",
		`Workaround: reload twice; the second try usually works, but not always.`,
		"Über 20% der Anfragen schlagen fehl; the German locale seems to matter.",
		`Priority agreed with support: fix before the "March close", if possible.`,
		"See the attached HAR file, lines 120-180, and the screenshot.",
	}
	benchStrides = []int{1, 3, 7, 9} // coprime to len(benchSentences)
	benchBaseDue = time.Date(2025, 1, 6, 9, 0, 0, 0, time.UTC)
)

// row returns the n-th work (n from 1).
func (g *generator) row(n int) benchRow {
	r := benchRow{
		Key:   "EXT-" + strconv.Itoa(n),
		Type:  benchTypes[(n-1)%len(benchTypes)],
		Title: benchSubjects[g.rng.IntN(len(benchSubjects))] + " " + benchSymptoms[g.rng.IntN(len(benchSymptoms))],
		Part:  "PROD-" + strconv.Itoa(1+g.rng.IntN(2)),
		Due: benchBaseDue.AddDate(0, 0, g.rng.IntN(180)).
			Add(time.Duration(g.rng.IntN(10)) * time.Hour).
			Add(time.Duration(g.rng.IntN(4)) * 15 * time.Minute),
		Points: benchPoints[g.rng.IntN(len(benchPoints))],
	}
	if r.Type == "ticket" {
		r.Severity = benchSeverities[g.rng.IntN(len(benchSeverities))]
	} else {
		r.Priority = benchPriorities[g.rng.IntN(len(benchPriorities))]
	}
	owner := 1 + g.rng.IntN(4)
	r.Owner = "DEVU-" + strconv.Itoa(owner)
	if g.rng.IntN(5) == 0 { // a second, different owner
		r.Owner += ";DEVU-" + strconv.Itoa(1+(owner+g.rng.IntN(3))%4)
	}
	switch g.rng.IntN(3) {
	case 1:
		r.Tags = "TAG-" + strconv.Itoa(1+g.rng.IntN(5))
	case 2:
		a := 1 + g.rng.IntN(5)
		b := 1 + (a+g.rng.IntN(4))%5 // a different tag
		r.Tags = "TAG-" + strconv.Itoa(a) + ";TAG-" + strconv.Itoa(b)
	}
	r.Body = g.makeBody()
	return r
}

// makeBody joins random sentences into a multi-line body of about 200-400
// bytes with quotes and commas.
func (g *generator) makeBody() string {
	g.body.Reset()
	target := 200 + g.rng.IntN(200)
	// Walk the sentences from a random start with a stride coprime to
	// their count, so no sentence repeats within a body.
	i, stride := g.rng.IntN(len(benchSentences)), benchStrides[g.rng.IntN(len(benchStrides))]
	for g.body.Len() < target {
		if g.body.Len() > 0 {
			g.body.WriteByte('\n')
		}
		g.body.WriteString(benchSentences[i])
		i = (i + stride) % len(benchSentences)
	}
	return g.body.String()
}

// writeCSV streams rows generated works to path through a bufio.Writer.
func writeCSV(path string, rows int, seed uint64) (err error) {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	defer func() {
		if cerr := f.Close(); err == nil && cerr != nil {
			err = cerr
		}
	}()
	bw := bufio.NewWriterSize(f, 1<<20)
	w := csv.NewWriter(bw) // reuses bw: it is already a large enough bufio.Writer
	if err := w.Write(benchHeader); err != nil {
		return fmt.Errorf("write header: %w", err)
	}
	g := newGenerator(seed)
	rec := make([]string, len(benchHeader))
	for n := 1; n <= rows; n++ {
		r := g.row(n)
		rec[0], rec[1], rec[2], rec[3] = r.Key, r.Type, r.Title, r.Body
		rec[4], rec[5], rec[6], rec[7] = r.Priority, r.Severity, r.Owner, r.Tags
		rec[8], rec[9], rec[10] = r.Due.Format(csvDueLayout), strconv.Itoa(r.Points), r.Part
		if err := w.Write(rec); err != nil {
			return fmt.Errorf("write row %d: %w", n+1, err)
		}
	}
	w.Flush()
	if err := w.Error(); err != nil {
		return fmt.Errorf("flush: %w", err)
	}
	return nil
}

// writeXLSX streams rows generated works to path with excelize's
// StreamWriter (sheet "Works"); Due cells are real dates with a date style,
// Story Points are numbers.
func writeXLSX(path string, rows int, seed uint64) (err error) {
	f := excelize.NewFile()
	defer func() {
		if cerr := f.Close(); err == nil && cerr != nil {
			err = cerr
		}
	}()
	const sheet = "Works"
	if err := f.SetSheetName("Sheet1", sheet); err != nil {
		return fmt.Errorf("name sheet: %w", err)
	}
	dueFmt := "yyyy-mm-dd hh:mm"
	dateStyle, err := f.NewStyle(&excelize.Style{CustomNumFmt: &dueFmt})
	if err != nil {
		return fmt.Errorf("date style: %w", err)
	}
	sw, err := f.NewStreamWriter(sheet)
	if err != nil {
		return fmt.Errorf("stream writer: %w", err)
	}
	for _, cw := range []struct {
		col   int
		width float64
	}{{1, 12}, {3, 40}, {4, 60}, {9, 17}} {
		if err := sw.SetColWidth(cw.col, cw.col, cw.width); err != nil {
			return fmt.Errorf("column width: %w", err)
		}
	}
	cells := make([]any, len(benchHeader))
	for i, h := range benchHeader {
		cells[i] = h
	}
	if err := sw.SetRow("A1", cells); err != nil {
		return fmt.Errorf("write header: %w", err)
	}
	g := newGenerator(seed)
	for n := 1; n <= rows; n++ {
		r := g.row(n)
		cells[0], cells[1], cells[2], cells[3] = r.Key, r.Type, r.Title, r.Body
		cells[4], cells[5], cells[6], cells[7] = orNil(r.Priority), orNil(r.Severity), r.Owner, orNil(r.Tags)
		cells[8] = excelize.Cell{StyleID: dateStyle, Value: r.Due}
		cells[9], cells[10] = r.Points, r.Part
		cell, err := excelize.CoordinatesToCellName(1, n+1)
		if err != nil {
			return err
		}
		if err := sw.SetRow(cell, cells); err != nil {
			return fmt.Errorf("write row %d: %w", n+1, err)
		}
	}
	if err := sw.Flush(); err != nil {
		return fmt.Errorf("flush: %w", err)
	}
	return saveXLSX(f, path)
}

// orNil leaves an empty string's cell out of the sheet.
func orNil(s string) any {
	if s == "" {
		return nil
	}
	return s
}

// benchMapping is the mapping file matching the generated benchmark file.
func benchMapping(kind string) string {
	due := `  Due: {field: target_close_date, format: "` + csvDueLayout + `"}`
	if kind == "xlsx" {
		due = "  Due: target_close_date       # real date cells"
	}
	return `# Mapping for a file written by "gendata ` + kind + `".
type: issue                     # each row's Type column overrides it
key: External ID
timezone: UTC
columns:
  External ID: custom_fields.tnt__external_id
  Type: type
  Title: title
  Description: body
  Priority: priority            # issues and tasks: P0..P3
  Severity:                     # tickets
    field: severity
    values: {Urgent: blocker, High: high, Normal: medium, Low: low}
  Owner: owned_by
  Tags: tags
` + due + `
  Story Points: {field: custom_fields.tnt__story_points, as: int}
  Part: applies_to_part
`
}
