package cli

import (
	"bytes"
	"encoding/csv"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/devrev-import/devrev-import/importer/simulator"
)

// samplePath is a file of samples/.
func samplePath(t *testing.T, name string) string {
	t.Helper()
	_, here, _, _ := runtime.Caller(0)
	return filepath.Join(filepath.Dir(here), "..", "..", "samples", name)
}

// The Jira sample's hierarchy, blocks links and comments land exactly
// once although a tenth of the writes are performed and their answers
// dropped, and runs of the same command finish it; a further run sends
// nothing.
func TestJiraSampleLinksAndCommentsExactlyOnce(t *testing.T) {
	sim := startSim(t, simulator.Options{Seed: 7, Faults: simulator.Faults{DropAfter: 0.10, Err503: 0.05}})
	dir := t.TempDir()
	csvPath := filepath.Join(dir, "jira.csv")
	copyFile(t, samplePath(t, "jira-hierarchy.csv"), csvPath)
	args := []string{"import", csvPath, "--mapping", samplePath(t, "jira-hierarchy.yaml"), "--comments", samplePath(t, "jira-comments.csv"), "--max-consecutive-failures", "100"}
	var last result
	for i := 0; i < 6; i++ {
		last = run(t, sim.URL, nil, args...)
		if last.code == 0 {
			break
		}
		if last.code != 3 && last.code != 1 {
			t.Fatalf("run %d: exit %d\n%s", i+1, last.code, last.stderr)
		}
	}
	if last.code != 0 {
		t.Fatalf("not done after 6 runs: exit %d\n%s", last.code, last.stderr)
	}
	links := map[string]int{}
	for _, l := range sim.Links() {
		if l.Live() {
			links[l.SourceDisplayID+" "+l.Type+" "+l.TargetDisplayID]++
		}
	}
	comments := map[string]int{}
	for _, c := range sim.Comments() {
		if c.Live() {
			comments[c.ObjectDisplayID+" "+c.ExternalRef]++
		}
	}
	for k, n := range links {
		if n != 1 {
			t.Errorf("link %s exists %d times", k, n)
		}
	}
	for k, n := range comments {
		if n != 1 {
			t.Errorf("comment %s exists %d times", k, n)
		}
	}
	rel, _ := last.summary["relations"].(map[string]any)
	wantLinks, wantComments := int(rel["links"].(float64)), int(rel["comments"].(float64))
	if len(links) != wantLinks || len(comments) != wantComments {
		t.Errorf("%d links and %d comments in DevRev, the file has %d and %d", len(links), len(comments), wantLinks, wantComments)
	}
	for _, c := range sim.Comments() {
		// Only the one comment the comments file marks external is visible
		// to customers; DevRev's own default would make them all external.
		if c.Visibility == "external" && c.Live() && c.ExternalRef != "devrev-import:c:20006" {
			t.Errorf("comment %s on %s is %s", c.ExternalRef, c.ObjectDisplayID, c.Visibility)
			break
		}
	}
	before := sim.Stats()
	again := run(t, sim.URL, nil, args...)
	if again.code != 0 {
		t.Fatalf("rerun: exit %d\n%s", again.code, again.stderr)
	}
	after := sim.Stats()
	for _, p := range []string{"/links.create", "/timeline-entries.create", "/works.create"} {
		if n := after.ByPath[p] - before.ByPath[p]; n != 0 {
			t.Errorf("rerun sent %d %s", n, p)
		}
	}
	t.Logf("%d links, %d comments; %s", len(links), len(comments), fmt.Sprint(after.ByPath))
}

// copyFile copies src to dst.
func copyFile(t *testing.T, src, dst string) {
	t.Helper()
	b, err := os.ReadFile(src)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(dst, b, 0o600); err != nil {
		t.Fatal(err)
	}
}

// Undo deletes the links and comments an import made, before its works;
// undo again is a no-op.
func TestUndoDeletesLinksAndComments(t *testing.T) {
	sim := startSim(t, simulator.Options{})
	dir := t.TempDir()
	csvPath := filepath.Join(dir, "jira.csv")
	copyFile(t, samplePath(t, "jira-hierarchy.csv"), csvPath)
	if r := run(t, sim.URL, nil, "import", csvPath, "--mapping", samplePath(t, "jira-hierarchy.yaml"), "--comments", samplePath(t, "jira-comments.csv")); r.code != 0 {
		t.Fatalf("import: exit %d\n%s", r.code, r.stderr)
	}
	nLinks, nComments := len(sim.Links()), len(sim.Comments())
	dry := run(t, sim.URL, nil, "undo", csvPath+".checkpoint.jsonl", "--dry-run")
	if want := fmt.Sprintf("%d links and %d comments (deleted first)", nLinks, nComments); dry.code != 0 || !strings.Contains(dry.stdout, want) {
		t.Fatalf("undo --dry-run: exit %d, want %q\n%s%s", dry.code, want, dry.stdout, dry.stderr)
	}
	u := run(t, sim.URL, nil, "undo", csvPath+".checkpoint.jsonl", "--yes")
	if want := fmt.Sprintf("deleted %d of %d links and %d of %d comments", nLinks, nLinks, nComments, nComments); u.code != 0 || !strings.Contains(u.stdout, want) {
		t.Fatalf("undo: exit %d, want %q\n%s%s", u.code, want, u.stdout, u.stderr)
	}
	for _, l := range sim.Links() {
		if !l.Deleted {
			t.Errorf("link %s %s %s was not deleted by links.delete (deleted with a work: %v)", l.SourceDisplayID, l.Type, l.TargetDisplayID, l.EndDeleted)
		}
	}
	for _, c := range sim.Comments() {
		if !c.Deleted {
			t.Errorf("comment %s was not deleted by timeline-entries.delete", c.ExternalRef)
		}
	}
	if n := len(sim.Works()); n != 0 {
		t.Errorf("%d works left", n)
	}
	again := run(t, sim.URL, nil, "undo", csvPath+".checkpoint.jsonl", "--yes")
	if again.code != 0 || !strings.Contains(again.stdout, "nothing to undo") {
		t.Errorf("undo again: exit %d\n%s%s", again.code, again.stdout, again.stderr)
	}
}

// validate with a token asks DevRev for the keys links name that neither
// the file nor a checkpoint has: one another import created is fine, one
// nobody has is a problem.
func TestValidateLooksUnresolvedKeysUp(t *testing.T) {
	sim := startSim(t, simulator.Options{})
	seedKeyedWork(t, sim, "EXT-1")
	dir := t.TempDir()
	mp := filepath.Join(dir, "m.yaml")
	os.WriteFile(mp, []byte("type: issue\nkey: Key\ncolumns:\n  Key: custom_fields.tnt__external_id\n  Title: title\n  Parent: {link: parent}\ndefaults: {applies_to_part: PROD-1, owned_by: [DEVU-1]}\n"), 0o600)
	file := filepath.Join(dir, "f.csv")
	os.WriteFile(file, []byte("Key,Title,Parent\nS-1,one,EXT-1\nS-2,two,EXT-2\n"), 0o600)
	res := run(t, sim.URL, nil, "validate", file, "--mapping", mp)
	if res.code != ExitRowsFailed || !strings.Contains(res.stderr, `"EXT-2" is no row's key in this file nor in an earlier run, and no work in DevRev carries it`) || strings.Contains(res.stderr, `"EXT-1" is no`) {
		t.Fatalf("exit %d\n%s", res.code, res.stderr)
	}
	imp := run(t, sim.URL, nil, "import", file, "--mapping", mp)
	s1 := workOf(t, sim, "S-1").DisplayID
	if imp.code != ExitRowsFailed || len(sim.Links()) != 1 || sim.Links()[0].SourceDisplayID != "ISS-1" || sim.Links()[0].TargetDisplayID != s1 {
		t.Errorf("import: exit %d, links %+v\n%s", imp.code, sim.Links(), imp.stderr)
	}
}

// A row whose links name nothing lands once in the errors CSV, and
// importing that file (fixed) makes the links without a second work.
func TestFailedLinksFeedBack(t *testing.T) {
	sim := startSim(t, simulator.Options{})
	dir := t.TempDir()
	mp := filepath.Join(dir, "m.yaml")
	os.WriteFile(mp, []byte("type: issue\nkey: Key\ncolumns:\n  Title: title\n  Blocks: {link: is_dependent_on, split: \",\"}\ndefaults: {applies_to_part: PROD-1, owned_by: [DEVU-1]}\n"), 0o600)
	file := filepath.Join(dir, "f.csv")
	os.WriteFile(file, []byte("Key,Title,Blocks\nA-1,one,\"A-8,A-9\"\nA-2,two,A-1\n"), 0o600)
	imp := run(t, sim.URL, nil, "import", file, "--mapping", mp)
	if imp.code != ExitRowsFailed || len(sim.Links()) != 1 {
		t.Fatalf("import: exit %d, %d links\n%s", imp.code, len(sim.Links()), imp.stderr)
	}
	errs := readCSVFile(t, file+".errors.csv")
	if len(errs) != 2 || errs[1][0] != "2" {
		t.Fatalf("errors CSV %q, want its header and row 2 once", errs)
	}
	// Fixed: become A-2.
	fixed := filepath.Join(dir, "f.errors.csv")
	os.WriteFile(fixed, []byte("_row,_error,Key,Title,Blocks\n2,x,A-1,one,A-2\n"), 0o600)
	again := run(t, sim.URL, nil, "import", fixed, "--mapping", mp, "--checkpoint", file+".checkpoint.jsonl")
	if again.code != ExitOK || len(sim.Works()) != 2 || len(sim.Links()) != 2 {
		t.Errorf("feed back: exit %d, %d works, %d links\n%s", again.code, len(sim.Works()), len(sim.Links()), again.stderr)
	}
}

func readCSVFile(t *testing.T, path string) [][]string {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	recs, err := csv.NewReader(f).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	return recs
}

// A work's comments come in several batches (its Comment column, then
// each run of its key in a comments file sorted by date), which meet
// different workers; they are still created in source order. The server
// holds A's first comment until either every B comment has arrived (the
// importer waits for it, as it must) or a later comment of A arrives
// while it is held (which is then created first: the order is lost).
func TestCommentsOfOneWorkInSourceOrder(t *testing.T) {
	sim := simulator.New(simulator.Options{})
	var mu sync.Mutex
	heldA, bSeen := false, 0
	release := make(chan struct{})
	var once sync.Once
	free := func() { once.Do(func() { close(release) }) }
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/timeline-entries.create" {
			sim.ServeHTTP(w, r)
			return
		}
		body, _ := io.ReadAll(r.Body)
		r.Body = io.NopCloser(bytes.NewReader(body))
		isA := bytes.Contains(body, []byte("[A"))
		mu.Lock()
		hold := isA && !heldA
		heldA = heldA || isA
		if !isA {
			bSeen++
		}
		last := bSeen == 2
		mu.Unlock()
		if hold {
			select {
			case <-release:
			case <-time.After(30 * time.Second):
				t.Error("A's first comment held for 30 s: neither B's comments nor A's next one came")
			}
		}
		sim.ServeHTTP(w, r)
		if isA && !hold || last {
			free()
		}
	}))
	t.Cleanup(srv.Close)
	t.Cleanup(free)
	dir := t.TempDir()
	csvPath, comments, mappingPath := filepath.Join(dir, "w.csv"), filepath.Join(dir, "c.csv"), filepath.Join(dir, "w.yaml")
	for path, s := range map[string]string{
		csvPath:  "Key,Title,Comment\nA-1,Work A,[A0] in the column\nB-1,Work B,\n",
		comments: "Key,Body\nA-1,[A1] from the file\nB-1,[B1] one\nB-1,[B2] two\n",
		mappingPath: "type: issue\nkey: Key\ncolumns:\n  Key: custom_fields.tnt__external_id\n  Title: title\n  Comment: {comment: text}\n" +
			"comments: {key: Key, body: Body}\ndefaults: {owned_by: [DEVU-1], applies_to_part: PROD-1}\n",
	} {
		if err := os.WriteFile(path, []byte(s), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	if r := run(t, srv.URL, nil, "import", csvPath, "--mapping", mappingPath, "--comments", comments, "--workers", "4"); r.code != 0 {
		t.Fatalf("import: exit %d\n%s", r.code, r.stderr)
	}
	var a []string
	for _, c := range sim.Comments() {
		if strings.Contains(c.Body, "[A") {
			a = append(a, c.Body[strings.Index(c.Body, "[A"):][:4])
		}
	}
	if strings.Join(a, " ") != "[A0] [A1]" {
		t.Errorf("A's comments were created in the order %v, want [A0] [A1]", a)
	}
}

// A comments file's comments on a key of another import (no row of this
// file, stored in the key field of a work in DevRev) land on that work; a
// key nobody has fails its comments, named by the comments file's row.
func TestCommentsOnAnotherImportsKey(t *testing.T) {
	sim := startSim(t, simulator.Options{})
	seedKeyedWork(t, sim, "EXT-1")
	dir := t.TempDir()
	mp, file, comments := filepath.Join(dir, "m.yaml"), filepath.Join(dir, "f.csv"), filepath.Join(dir, "c.csv")
	for path, s := range map[string]string{
		mp: "type: issue\nkey: Key\ncolumns:\n  Key: custom_fields.tnt__external_id\n  Title: title\ncomments: {key: Key, body: Body}\n" +
			"defaults: {applies_to_part: PROD-1, owned_by: [DEVU-1]}\n",
		file:     "Key,Title\nS-1,one\n",
		comments: "Key,Body\nEXT-1,on the other import's work\nS-1,on this one\nEXT-2,on nothing\n",
	} {
		if err := os.WriteFile(path, []byte(s), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	imp := run(t, sim.URL, nil, "import", file, "--mapping", mp, "--comments", comments)
	if imp.code != ExitRowsFailed || !strings.Contains(imp.stderr, `c.csv:4: 1 comments of key "EXT-2": no such key in this import or in DevRev`) {
		t.Errorf("import: exit %d, want %d and EXT-2's comment failed\n%s", imp.code, ExitRowsFailed, imp.stderr)
	}
	got := map[string]string{}
	for _, c := range sim.Comments() {
		got[c.ObjectDisplayID] = c.Body
	}
	if s1 := workOf(t, sim, "S-1").DisplayID; len(got) != 2 || got["ISS-1"] != "on the other import's work" || got[s1] != "on this one" {
		t.Errorf("comments %v, want ISS-1's and %s's", got, s1)
	}
}

// seedKeyedWork adds an issue another import made, its key in
// custom_fields.tnt__external_id.
func seedKeyedWork(t *testing.T, sim *simulator.Server, key string) {
	t.Helper()
	if _, err := sim.AddWork("DEVU-1", map[string]any{"type": "issue", "title": "made elsewhere", "applies_to_part": "PROD-1", "owned_by": []any{"DEVU-1"},
		"custom_fields": map[string]any{"tnt__external_id": key}, "custom_schema_spec": map[string]any{"tenant_fragment": true}}); err != nil {
		t.Fatal(err)
	}
}

// A comment whose answer was lost is refused as already there (409) when
// it is sent again; its ID is read back, so that undo deletes it, whether
// DevRev's timeline-entries.get takes the work's ID with the external_ref
// or only an entry's (then the work's timeline is listed).
func TestGhostCommentsReadBackForUndo(t *testing.T) {
	for _, entryOnly := range []bool{false, true} {
		t.Run(fmt.Sprintf("entry-only-get=%v", entryOnly), func(t *testing.T) {
			sim := startSim(t, simulator.Options{Seed: 3, EntryTimelineGet: entryOnly})
			dir := t.TempDir()
			csvPath := filepath.Join(dir, "jira.csv")
			copyFile(t, samplePath(t, "jira-hierarchy.csv"), csvPath)
			args := []string{"import", csvPath, "--mapping", samplePath(t, "jira-hierarchy.yaml"), "--comments", samplePath(t, "jira-comments.csv")}
			// Works first (a mapping without links and comments), then every
			// link and comment performed with its answer lost.
			plain := filepath.Join(dir, "works.yaml")
			os.WriteFile(plain, []byte("type: issue\nkey: Issue key\ncolumns:\n  Summary: title\n  Issue key: custom_fields.tnt__external_id\nignore: [Issue id, Issue Type, Status, Priority, Description, Parent, Outward issue link (Blocks), Comment]\ndefaults: {owned_by: [DEVU-1], applies_to_part: PROD-1}\n"), 0o600)
			if r := run(t, sim.URL, nil, "import", csvPath, "--mapping", plain); r.code != 0 {
				t.Fatalf("import of the works: exit %d\n%s", r.code, r.stderr)
			}
			sim.SetFaults(simulator.Faults{DropAfter: 1})
			run(t, sim.URL, nil, append(args, "--max-consecutive-failures", "1000", "--max-retries", "0")...)
			sim.SetFaults(simulator.Faults{})
			if r := run(t, sim.URL, nil, args...); r.code != 0 {
				t.Fatalf("rerun: exit %d\n%s", r.code, r.stderr)
			}
			if n, conflicts := len(sim.Comments()), sim.Stats().ByStatus[409]; n == 0 || conflicts < n {
				t.Fatalf("%d comments, %d refused as there already: want every comment resent and refused", n, conflicts)
			}
			if u := run(t, sim.URL, nil, "undo", csvPath+".checkpoint.jsonl", "--yes"); u.code != 0 {
				t.Fatalf("undo: exit %d\n%s%s", u.code, u.stdout, u.stderr)
			}
			for _, c := range sim.Comments() {
				if !c.Deleted {
					t.Errorf("comment %s on %s was not deleted by undo", c.ExternalRef, c.ObjectDisplayID)
				}
			}
		})
	}
}
