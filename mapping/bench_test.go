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
