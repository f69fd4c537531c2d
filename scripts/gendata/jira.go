package main

import (
	"bufio"
	"encoding/csv"
	"fmt"
	"math/rand/v2"
	"os"
	"strconv"
	"time"
)

// The jira kind: a Jira Cloud export with a hierarchy, for the tests and
// benchmarks of links and comments. Rows come in groups of 20: an epic,
// 7 stories under it (each blocking the next), 12 sub-tasks under its
// stories; Parent holds the parent's numeric Issue id, as Jira writes it.
// Every third row has a comment in one of its two Comment columns; the
// comments file spreads its comments over the rows, several per row, in
// file order per row.

var jiraHeader = []string{"Summary", "Issue key", "Issue id", "Issue Type", "Priority", "Parent",
	"Outward issue link (Blocks)", "Outward issue link (Blocks)", "Comment", "Comment", "Description"}

var jiraCommentsHeader = []string{"Comment id", "Issue key", "Author", "Created", "Body"}

// jiraMapping maps the generated files (the comments: section reads the
// comments file).
const jiraMapping = `type: issue
key: Issue key
columns:
  Summary: title
  Issue key: custom_fields.tnt__external_id
  Priority:
    field: priority
    values: {Highest: p0, High: p1, Medium: p2, Low: p3}
  Description: body
  Parent: {link: parent, by: Issue id}
  Outward issue link (Blocks): {link: is_dependent_on, reverse: true}
  Comment: {comment: jira}
comments:
  key: Issue key
  body: Body
  id: Comment id
  author: Author
  date: Created
  format: "2006-01-02 15:04"
defaults:
  owned_by: [DEVU-1]
  applies_to_part: PROD-1
ignore: [Issue id, Issue Type]
`

var (
	jiraAuthors    = []string{"alice@example.com", "bob@example.com", "carol@example.com", "dan@example.com"}
	jiraPriorities = []string{"Highest", "High", "Medium", "Low"}
	jiraBase       = time.Date(2024, 3, 4, 9, 0, 0, 0, time.UTC)
)

// jiraKey and jiraID name row n (1-based data row).
func jiraKey(n int) string { return "JRA-" + strconv.Itoa(n) }
func jiraID(n int) string  { return strconv.Itoa(10000 + n) }

// jiraRow is data row n: its type, parent row (0: none) and the row it
// blocks (0: none).
func jiraRow(n, rows int) (typ string, parent, blocks int) {
	pos := (n - 1) % 20
	epic := n - pos
	switch {
	case pos == 0:
		return "Epic", 0, 0
	case pos <= 7:
		if pos < 7 && n+1 <= rows {
			blocks = n + 1
		}
		return "Story", epic, blocks
	}
	return "Sub-task", epic + 1 + (pos-8)%7, 0
}

// writeJira writes rows issues to out and comments comments to
// commentsOut; the same seed gives the same files.
func writeJira(out, commentsOut string, rows, comments int, seed uint64) error {
	rng := rand.New(rand.NewPCG(seed, 0x71a))
	err := writeCSVFile(out, jiraHeader, rows, func(n int) []string {
		typ, parent, blocks := jiraRow(n, rows)
		rec := []string{fmt.Sprintf("%s %s (%s)", benchSubjects[rng.IntN(len(benchSubjects))], benchSymptoms[rng.IntN(len(benchSymptoms))], typ),
			jiraKey(n), jiraID(n), typ, jiraPriorities[rng.IntN(len(jiraPriorities))], "", "", "", "", "", benchSentences[rng.IntN(len(benchSentences))]}
		if parent > 0 {
			rec[5] = jiraID(parent)
		}
		if blocks > 0 {
			rec[6] = jiraKey(blocks)
		}
		if n%3 == 0 {
			at := jiraBase.Add(time.Duration(n) * time.Minute)
			rec[8+n%2] = at.Format("02/Jan/06 3:04 PM") + ";" + jiraAuthors[n%len(jiraAuthors)] + ";" + benchSentences[rng.IntN(len(benchSentences))]
		}
		return rec
	})
	if err != nil || commentsOut == "" {
		return err
	}
	return writeCSVFile(commentsOut, jiraCommentsHeader, comments, func(j int) []string {
		row := (j*7)%max(rows, 1) + 1
		at := jiraBase.Add(time.Duration(j) * time.Minute)
		return []string{strconv.Itoa(50000 + j), jiraKey(row), jiraAuthors[j%len(jiraAuthors)], at.Format("2006-01-02 15:04"),
			benchSentences[rng.IntN(len(benchSentences))]}
	})
}

// writeCSVFile streams a header and n records made by rec(1..n) to path.
func writeCSVFile(path string, header []string, n int, rec func(i int) []string) (err error) {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	defer func() {
		if cerr := f.Close(); err == nil {
			err = cerr
		}
	}()
	bw := bufio.NewWriterSize(f, 1<<20)
	w := csv.NewWriter(bw)
	if err := w.Write(header); err != nil {
		return err
	}
	for i := 1; i <= n; i++ {
		if err := w.Write(rec(i)); err != nil {
			return err
		}
	}
	w.Flush()
	if err := w.Error(); err != nil {
		return err
	}
	return bw.Flush()
}
