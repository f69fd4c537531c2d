package report

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"strconv"
	"testing"

	"github.com/devrev-import/devrev-import/importer/checkpoint"
)

// writeSyncJournal writes the journal of two sync runs: works created,
// found, updated, left unchanged, an update refused, one in doubt and a
// row whose work was not found.
func writeSyncJournal(t *testing.T) string {
	t.Helper()
	path, j, add := openTestJournal(t)
	id := func(n int) string { return "don:core:dvrv-us-1:devo/x:issue/" + strconv.Itoa(n) }
	fh := map[string]string{"title": "11111111"}
	before := map[string]json.RawMessage{"title": json.RawMessage(`"Old"`)}
	for _, e := range []checkpoint.Entry{
		{Row: 2, Key: "K2", Status: checkpoint.Created, ID: id(2), DisplayID: "ISS-2", Type: "issue", FH: fh},
		{Row: 3, Key: "K3", Status: checkpoint.Created, ID: id(3), DisplayID: "ISS-3", Type: "issue", FH: fh},
		{Row: 3, Key: "K3", Status: checkpoint.Updating, ID: id(3), Fields: []string{"title"}},
		{Row: 3, Key: "K3", Status: checkpoint.Updated, ID: id(3), DisplayID: "ISS-3", Type: "issue", Fields: []string{"title"}, FH: fh},
		{Row: 4, Key: "K4", Status: checkpoint.Found, ID: id(4), DisplayID: "ISS-4", Type: "issue", FH: fh, Before: before},
		{Row: 4, Key: "K4", Status: checkpoint.Updating, ID: id(4), Fields: []string{"title"}, Before: before},
		{Row: 4, Key: "K4", Status: checkpoint.Updated, ID: id(4), DisplayID: "ISS-4", Type: "issue", Fields: []string{"title"}, FH: fh},
		{Row: 5, Key: "K5", Status: checkpoint.Found, ID: id(5), DisplayID: "ISS-5", Type: "issue", FH: fh},
		{Row: 6, Key: "K6", Status: checkpoint.Found, ID: id(6), DisplayID: "ISS-6", Type: "issue", FH: fh},
		{Row: 6, Key: "K6", Status: checkpoint.Updating, ID: id(6), Fields: []string{"title"}},
		{Row: 6, Key: "K6", Op: checkpoint.OpUpdate, Status: checkpoint.Failed, HTTPStatus: 400, Error: &checkpoint.ErrorInfo{Type: "bad_request", Message: "title too long"}},
		{Row: 7, Key: "K7", Status: checkpoint.Found, ID: id(7), DisplayID: "ISS-7", Type: "issue", FH: fh},
		{Row: 7, Key: "K7", Status: checkpoint.Updating, ID: id(7), Fields: []string{"title"}},
		{Row: 8, Key: "K8", Op: checkpoint.OpUpdate, Status: checkpoint.Failed, Error: &checkpoint.ErrorInfo{Type: "not_found", Message: "no work has key K8"}},
		{Row: 9, Key: "K9", Status: checkpoint.Failed, HTTPStatus: 400, Error: &checkpoint.ErrorInfo{Type: "bad_request", Message: "x"}},
	} {
		add(e)
	}
	if err := j.Close(); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestCheckpointOpsCountsPerKind(t *testing.T) {
	_, st, _, err := checkpoint.Read(writeSyncJournal(t))
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]OpCounts{
		"create": {Done: 2, Failed: 1},
		"update": {Done: 2, Unchanged: 1, Failed: 2, InDoubt: 1},
	}
	if got := CheckpointOps(st); !reflect.DeepEqual(got, want) {
		t.Errorf("CheckpointOps = %+v, want %+v", got, want)
	}
	if got, want := OpsLine("update", want["update"]), "updated 2, unchanged 1, failed 2, in doubt 1"; got != want {
		t.Errorf("OpsLine = %q, want %q", got, want)
	}
	// A create-only checkpoint has no update counts.
	_, st, _, err = checkpoint.Read(writeJournal(t))
	if err != nil {
		t.Fatal(err)
	}
	if got := CheckpointOps(st); len(got) != 1 || got["create"] != (OpCounts{Done: 12, Failed: 1, InDoubt: 1}) {
		t.Errorf("create-only CheckpointOps = %+v", got)
	}
}

// The created map names each work's op; its columns before op are the
// ones it always had, so readers by position keep working.
func TestCreatedMapNamesTheOp(t *testing.T) {
	_, st, _, err := checkpoint.Read(writeSyncJournal(t))
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "created.csv")
	n, err := WriteCreatedMap(path, st)
	if err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	recs, err := csv.NewReader(bytes.NewReader(b)).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	id := "don:core:dvrv-us-1:devo/x:issue/"
	want := [][]string{
		{"row", "key", "id", "display_id", "op"},
		{"2", "K2", id + "2", "ISS-2", "created"},
		{"3", "K3", id + "3", "ISS-3", "created"}, // created here, then updated: still created
		{"4", "K4", id + "4", "ISS-4", "updated"},
	}
	if n != 3 || !reflect.DeepEqual(recs, want) {
		t.Errorf("created map (%d rows):\n%q\nwant\n%q", n, recs, want)
	}
}

// A refused update of a work goes to the errors CSV like a refused create.
func TestProblemEntriesHoldFailedUpdates(t *testing.T) {
	_, st, _, err := checkpoint.Read(writeSyncJournal(t))
	if err != nil {
		t.Fatal(err)
	}
	want, n := problemEntries(st)
	if n != 3 || len(want[6]) != 1 || len(want[8]) != 1 || len(want[9]) != 1 {
		t.Fatalf("problem entries %v (%d), want rows 6, 8 and 9", want, n)
	}
	if msgs := entryMessages(want[6][0], "t.csv:6"); len(msgs) != 1 || msgs[0] != "t.csv:6: HTTP 400 bad_request: title too long" {
		t.Errorf("row 6's message %q", msgs)
	}
}

func TestHTMLCountsUpdates(t *testing.T) {
	_, doc := renderPage(t, writeSyncJournal(t))
	got := map[string]int{}
	for _, n := range findAll(doc, withAttr("data-total")) {
		k, _ := attr(n, "data-total")
		if _, ok := attr(n, "data-value"); ok && k != "per-minute" {
			got[k] = intAttr(t, n, "data-value")
		}
	}
	for k, v := range map[string]int{"rows": 8, "created": 2, "updated": 2, "unchanged": 1, "failed": 2} {
		if got[k] != v {
			t.Errorf("card %s = %d, want %d (all: %v)", k, got[k], v, got)
		}
	}
	if len(findAll(doc, byTag("rect", "found"))) != 1 {
		t.Error("the outcome bar has no segment for works found in DevRev")
	}
}
