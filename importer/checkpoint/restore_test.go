package checkpoint

import (
	"encoding/json"
	"path/filepath"
	"reflect"
	"testing"

	"github.com/devrev-import/devrev-import/importer/workdiff"
)

// Restores says, per key with a work, whether undo deletes it (created
// here) or puts back the first value of every field updates changed.
func TestRestores(t *testing.T) {
	id := func(n string) string { return "don:core:dvrv-us-1:devo/x:issue/" + n }
	before := func(kv ...string) map[string]json.RawMessage {
		m := map[string]json.RawMessage{}
		for i := 0; i+1 < len(kv); i += 2 {
			m[kv[i]] = raw(kv[i+1])
		}
		return m
	}
	fh1, fh2, fh3 := fh("title", "11111111", "owned_by", "aaaaaaaa"), fh("title", "22222222", "owned_by", "aaaaaaaa"), fh("title", "22222222", "owned_by", "bbbbbbbb")
	in := []Entry{
		// created, then updated: undo deletes it.
		{Row: 2, Key: "c", Status: Created, ID: id("1"), DisplayID: "ISS-1", Type: "issue", FH: fh1},
		{Row: 2, Key: "c", Status: Updating, ID: id("1"), Fields: []string{"title"}},
		{Row: 2, Key: "c", Status: Updated, ID: id("1"), DisplayID: "ISS-1", Type: "issue", Fields: []string{"title"}, FH: fh2},
		// found, updated twice: the first value of each field is kept.
		{Row: 3, Key: "f", Status: Found, ID: id("2"), DisplayID: "ISS-2", Type: "issue", FH: fh1, Before: before("title", `"Old"`)},
		{Row: 3, Key: "f", Status: Updating, ID: id("2"), Fields: []string{"title"}, Before: before("title", `"Not first"`)},
		{Row: 3, Key: "f", Status: Updated, ID: id("2"), Fields: []string{"title"}, FH: fh2},
		{Row: 3, Key: "f", Status: Updating, ID: id("2"), Fields: []string{"owned_by"}, Before: before("owned_by", `["DEVU-1"]`)},
		{Row: 3, Key: "f", Status: Updated, ID: id("2"), Fields: []string{"owned_by"}, FH: fh3},
		// found, nothing sent.
		{Row: 4, Key: "u", Status: Found, ID: id("3"), DisplayID: "ISS-3", Type: "issue", FH: fh1},
		// found, update in doubt.
		{Row: 5, Key: "d", Status: Found, ID: id("4"), FH: fh1},
		{Row: 5, Key: "d", Status: Updating, ID: id("4"), Fields: []string{"title"}, Before: before("title", `"T"`)},
		// found, update refused.
		{Row: 6, Key: "x", Status: Found, ID: id("5"), FH: fh1},
		{Row: 6, Key: "x", Status: Updating, ID: id("5"), Fields: []string{"title"}},
		{Row: 6, Key: "x", Op: OpUpdate, Status: Failed, HTTPStatus: 400, Error: &ErrorInfo{Type: "bad_request", Message: "no"}},
		// gone or never made: not listed.
		{Row: 7, Key: "g", Status: Created, ID: id("6")},
		{Row: 7, Key: "g", Status: Deleted, ID: id("6")},
		{Row: 8, Key: "i", Status: Invalid, Errors: []string{"x"}},
	}
	path := filepath.Join(t.TempDir(), "cp.jsonl")
	j, _, _ := openT(t, path, testHeader, Options{})
	for _, e := range in {
		appendT(t, j, e)
	}
	if err := j.Close(); err != nil {
		t.Fatal(err)
	}
	_, st, _ := readT(t, path)
	got := map[string]Restore{}
	var order []string
	for _, r := range st.Restores() {
		if r.LastUpdate != nil {
			r.LastUpdate.TS = t0 // Append stamped it
		}
		got[r.Key] = r
		order = append(order, r.Key)
	}
	if want := []string{"c", "f", "u", "d", "x"}; !reflect.DeepEqual(order, want) {
		t.Fatalf("Restores lists %v, want %v", order, want)
	}
	check := func(key string, want Restore) {
		t.Helper()
		r := got[key]
		var last Status
		if r.LastUpdate != nil {
			last = r.LastUpdate.Status
		}
		var wantLast Status
		if want.LastUpdate != nil {
			wantLast = want.LastUpdate.Status
		}
		r.LastUpdate, want.LastUpdate = nil, nil
		if !reflect.DeepEqual(r, want) || last != wantLast {
			t.Errorf("Restore %s =\n %+v (last update %s)\nwant\n %+v (%s)", key, r, last, want, wantLast)
		}
	}
	check("c", Restore{Key: "c", Row: 2, ID: id("1"), DisplayID: "ISS-1", Type: "issue", Created: true, LastFH: fh2, Fields: []string{"title"}, Updated: true, LastUpdate: &Entry{Status: Updated}})
	check("f", Restore{Key: "f", Row: 3, ID: id("2"), DisplayID: "ISS-2", Type: "issue", LastFH: fh3, Before: before("title", `"Old"`, "owned_by", `["DEVU-1"]`),
		Fields: []string{"owned_by", "title"}, Updated: true, LastUpdate: &Entry{Status: Updated}})
	check("u", Restore{Key: "u", Row: 4, ID: id("3"), DisplayID: "ISS-3", Type: "issue", LastFH: fh1})
	check("d", Restore{Key: "d", Row: 5, ID: id("4"), LastFH: fh1, Before: before("title", `"T"`), Fields: []string{"title"}, InDoubt: []string{"title"}, LastUpdate: &Entry{Status: Updating}})
	check("x", Restore{Key: "x", Row: 6, ID: id("5"), LastFH: fh1, Fields: []string{"title"}, InDoubt: []string{"title"}, LastUpdate: &Entry{Status: Failed}})
	if e := got["x"]; e.LastUpdate == nil || e.LastUpdate.Error == nil || e.LastUpdate.Error.Message != "no" {
		t.Errorf("x's last update %+v, want the failed line", e.LastUpdate)
	}

	j, light, _ := openT(t, path, testHeader, Options{Light: true})
	defer j.Close()
	if r := light.Restores(); r != nil {
		t.Errorf("light Restores = %v, want nil", r)
	}
}

// Pending is what an undo still has to put back: every field updates
// sent, until an undo's updated line records the Before values' hashes
// (no hash for a field empty before); a field in doubt stays pending.
func TestRestorePending(t *testing.T) {
	id := "don:core:dvrv-us-1:devo/x:issue/1"
	old := map[string]json.RawMessage{"title": raw(`"Old"`), "target_close_date": raw(`null`)}
	path := filepath.Join(t.TempDir(), "cp.jsonl")
	j, _, _ := openT(t, path, testHeader, Options{})
	appendT(t, j, Entry{Row: 2, Key: "f", Status: Updating, ID: id, Fields: []string{"target_close_date", "title"}, Before: old})
	appendT(t, j, Entry{Row: 2, Key: "f", Status: Updated, ID: id, Type: "issue", Fields: []string{"target_close_date", "title"},
		FH: fh("title", "newtitle", "target_close_date", "somedate", "type", "issuehsh")})
	appendT(t, j, Entry{Row: 3, Key: "c", Status: Created, ID: id + "0", FH: fh("title", "x")})
	appendT(t, j, Entry{Row: 3, Key: "c", Status: Updated, ID: id + "0", Fields: []string{"title"}, FH: fh("title", "y")})
	pending := func(want ...string) {
		t.Helper()
		_, st, _ := readT(t, path)
		got := map[string][]string{}
		for _, r := range st.Restores() {
			got[r.Key] = r.Pending()
		}
		if !reflect.DeepEqual(got["f"], want) || got["c"] != nil {
			t.Errorf("Pending: f %q (want %q), created c %q (want none)", got["f"], want, got["c"])
		}
	}
	pending("target_close_date", "title")
	// An undo put the title back, then the date (cleared: no hash).
	appendT(t, j, Entry{Row: 2, Key: "f", Op: OpUpdate, Status: Updated, ID: id, Fields: []string{"title"},
		FH: fh("title", workdiff.Hash(raw(`"Old"`)), "target_close_date", "somedate", "type", "issuehsh")})
	pending("target_close_date")
	appendT(t, j, Entry{Row: 2, Key: "f", Op: OpUpdate, Status: Updated, ID: id, Fields: []string{"target_close_date"},
		FH: fh("title", workdiff.Hash(raw(`"Old"`)), "type", "issuehsh")})
	pending()
	// A later sync's update in doubt makes its field pending again.
	appendT(t, j, Entry{Row: 2, Key: "f", Status: Updating, ID: id, Fields: []string{"title"}})
	pending("title")
	if err := j.Close(); err != nil {
		t.Fatal(err)
	}
}
