package mapping

import (
	"bytes"
	"encoding/csv"
	"io"
	"strconv"
	"testing"

	"github.com/devrev-import/devrev-import/importer/source"
)

// benchMapping is a typical ticket mapping with ten columns.
const benchMapping = `type: ticket
key: Ticket ID
timezone: Europe/Berlin
columns:
  Ticket ID: custom_fields.tnt__external_id
  Subject: title
  Description: body
  Priority:
    field: severity
    values: {Urgent: blocker, High: high, Normal: medium, Low: low}
  Assignee: owned_by
  Part: applies_to_part
  Due: target_close_date
  Labels: tags
  Spam: is_spam
  Account: account
defaults:
  applies_to_part: PROD-1
`

var benchHeader = []string{"Ticket ID", "Subject", "Description", "Priority", "Assignee", "Part", "Due", "Labels", "Spam", "Account"}

func benchCells(i int) []string {
	return []string{"T-" + strconv.Itoa(i), "Login fails on Safari", "Steps: open the page, click login, nothing happens.",
		"High", "DEVU-12; DEVU-7", "PROD-3", "2024-03-01 14:30", "TAG-1, TAG-2=ui", "no", "ACC-42"}
}

// BenchmarkMap measures Map on one typical 10-column ticket row.
func BenchmarkMap(b *testing.B) {
	m, _ := compileFor(b, benchMapping, benchHeader, Options{})
	row := textRow(benchCells(1)...)
	if res := m.Map(row); len(res.Problems) > 0 {
		b.Fatalf("bench row has problems: %q", probStrings(res.Problems))
	}
	b.ReportAllocs()
	for b.Loop() {
		m.Map(row)
	}
}

// BenchmarkMapInto is BenchmarkMap reusing one Work (the dry-run path).
func BenchmarkMapInto(b *testing.B) {
	m, _ := compileFor(b, benchMapping, benchHeader, Options{})
	row := textRow(benchCells(1)...)
	var w Work
	b.ReportAllocs()
	for b.Loop() {
		m.MapInto(&w, row)
	}
}

// BenchmarkMapIntoHashKey is BenchmarkMapInto without key columns: the
// key is a hash of the cells.
func BenchmarkMapIntoHashKey(b *testing.B) {
	m, _ := compileFor(b, benchMapping, benchHeader, Options{})
	m.keyCols = nil
	row := textRow(benchCells(1)...)
	var w Work
	b.ReportAllocs()
	for b.Loop() {
		m.MapInto(&w, row)
	}
}

// BenchmarkMapInvalid measures a row where most cells are wrong (the slow
// path that builds messages).
func BenchmarkMapInvalid(b *testing.B) {
	m, _ := compileFor(b, benchMapping, benchHeader, Options{})
	row := textRow("T-1", "", "x", "urgent!", "ACC-1", "DEVU-1", "soon", "bug", "maybe", "PROD-1")
	b.ReportAllocs()
	for b.Loop() {
		m.Map(row)
	}
}

// benchCSV is 10,000 rows of the bench file.
func benchCSV(b *testing.B) []byte {
	var buf bytes.Buffer
	w := csv.NewWriter(&buf)
	w.Write(benchHeader)
	for i := 0; i < 10000; i++ {
		w.Write(benchCells(i))
	}
	w.Flush()
	return buf.Bytes()
}

// BenchmarkCSVBare is the yardstick: a bare encoding/csv loop over 10,000
// rows. Compare with BenchmarkCSVMap (the 3x budget of the issue).
func BenchmarkCSVBare(b *testing.B) {
	data := benchCSV(b)
	b.SetBytes(int64(len(data)))
	for b.Loop() {
		r := csv.NewReader(bytes.NewReader(data))
		for {
			if _, err := r.Read(); err == io.EOF {
				break
			} else if err != nil {
				b.Fatal(err)
			}
		}
	}
}

// BenchmarkCSVMap reads the same 10,000 rows and maps each one into a
// reused Work, as the dry run does.
func BenchmarkCSVMap(b *testing.B) {
	data := benchCSV(b)
	m, _ := compileFor(b, benchMapping, benchHeader, Options{})
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	cells := make([]source.Cell, len(benchHeader))
	var w Work
	for b.Loop() {
		r := csv.NewReader(bytes.NewReader(data))
		r.Read()
		n := 1
		for {
			rec, err := r.Read()
			if err == io.EOF {
				break
			} else if err != nil {
				b.Fatal(err)
			}
			n++
			for i, v := range rec {
				cells[i] = source.Cell{Value: v}
			}
			if res := m.MapInto(&w, source.Row{Number: n, Cells: cells}); len(res.Problems) > 0 {
				b.Fatal(probStrings(res.Problems))
			}
		}
	}
}

// genMapping is the mapping scripts/gendata writes for its CSV files (the
// 1M-row file of the validate benchmarks), in YAML's flow style: a type
// column, a value map, a date with format:, custom fields (a string key
// and an int).
const genMapping = `{type: issue, key: External ID, timezone: UTC, columns: {
  External ID: custom_fields.tnt__external_id, Type: type, Title: title, Description: body, Priority: priority,
  Severity: {field: severity, values: {Urgent: blocker, High: high, Normal: medium, Low: low}},
  Owner: owned_by, Tags: tags, Due: {field: target_close_date, format: "02.01.2006 15:04"},
  Story Points: {field: custom_fields.tnt__story_points, as: int}, Part: applies_to_part}}
`

var genHeader = []string{"External ID", "Type", "Title", "Description", "Priority", "Severity", "Owner", "Tags", "Due", "Story Points", "Part"}

// genRows are rows as gendata writes them: issues, tasks and tickets.
func genRows() []source.Row {
	cells := [][]string{
		{"EXT-1", "issue", "Password reset shows the wrong total", "Seen on Chrome 122.\nThe log says: \"timeout\".", "P1", "", "DEVU-2;DEVU-3", "TAG-1;TAG-3", "02.02.2025 16:45", "5", "PROD-1"},
		{"EXT-2", "ticket", "Rate limiter returns 502 intermittently", "Happens after the deploy.", "", "Urgent", "DEVU-3", "TAG-3", "28.03.2025 10:45", "1", "PROD-2"},
		{"EXT-3", "task", "Tax calculation crashes on Android 14", "Steps: open the cart.", "P1", "", "DEVU-1", "TAG-3;TAG-4", "18.02.2025 17:15", "5", "PROD-1"},
		{"EXT-4", "issue", "Tax calculation times out", "Since version 4.2.", "P2", "", "DEVU-4", "", "02.03.2025 14:15", "3", "PROD-1"},
	}
	rows := make([]source.Row, len(cells))
	for i, c := range cells {
		rows[i] = textRow(c...)
		rows[i].Number = i + 2
	}
	return rows
}

// BenchmarkMapIntoGen is BenchmarkMapInto over rows of gendata's CSV
// files (ns/op is per row).
func BenchmarkMapIntoGen(b *testing.B) {
	m, _ := compileFor(b, genMapping, genHeader, Options{})
	rows := genRows()
	var w Work
	for _, row := range rows {
		if res := m.MapInto(&w, row); len(res.Problems) > 0 {
			b.Fatalf("bench row has problems: %q", probStrings(res.Problems))
		}
	}
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		m.MapInto(&w, rows[i%len(rows)])
		i++
	}
}
