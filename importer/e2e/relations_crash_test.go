package e2e

import (
	"encoding/csv"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/devrev-import/devrev-import/importer/simulator"
)

// jiraMapping maps the generated Jira export as samples/jira-hierarchy.yaml
// does: the key stored in a custom field, Parent by the numeric Issue id,
// "A blocks B" as B is_dependent_on A, Jira comment cells, and a comments
// file with IDs, authors, dates and visibilities.
const jiraMapping = `type: issue
key: Issue key
columns:
  Summary: title
  Issue key: custom_fields.tnt__external_id
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
  visibility: Visibility
  defaults: {visibility: internal}
defaults:
  owned_by: [DEVU-1]
  applies_to_part: PROD-1
ignore: [Issue id, Issue Type]
`

// jiraRow is one issue of the generated export.
type jiraRow struct {
	key, typ string
	id       int
	parent   int      // the parent's Issue id; 0: none
	blocks   []string // keys this issue blocks
	comments []jiraComment
}

// jiraComment is one comment, in the main file's Comment columns or in the
// comments file. token, in its text, tells it apart in DevRev.
type jiraComment struct {
	token, author, text, vis string
	date                     time.Time
	id                       int // the comments file's Comment id; 0: a Comment column's
}

// jiraExport is a generated Jira export: its rows in file order and the
// comments file's comments in file order (by date, every issue's mixed).
type jiraExport struct {
	rows     []jiraRow
	extra    []jiraComment
	keyOf    map[int]string // Issue id → key
	extraKey map[int]string // comment id → the key it is on
}

// genJira makes an export of n issues: a thirtieth epics, three tenths
// stories (each under an epic), the rest sub-tasks (each under a story);
// every third issue blocks another, every fifteenth a second one; a
// twelfth of the issues have three comments in Comment columns and
// another twelfth one; the comments file has 2n comments on random
// issues, sorted by date as an export of comments is, so one issue's
// comments are spread over the file. The file lists the newest issue
// first, as Jira does: children come before their parents.
func genJira(n int, rng *rand.Rand) *jiraExport {
	x := &jiraExport{keyOf: map[int]string{}, extraKey: map[int]string{}}
	epics, stories := max(n/30, 1), max(n*3/10, 1)
	rows := make([]jiraRow, n)
	for i := range rows {
		r := &rows[i]
		r.key, r.id = fmt.Sprintf("PROJ-%d", i+1), 10001+i
		x.keyOf[r.id] = r.key
		switch {
		case i < epics:
			r.typ = "Epic"
		case i < epics+stories:
			r.typ, r.parent = "Story", 10001+rng.IntN(epics)
		default:
			r.typ, r.parent = "Sub-task", 10001+epics+rng.IntN(stories)
		}
		for b := 0; b < 2 && (b == 0 && i%3 == 0 || b == 1 && i%15 == 0); b++ {
			other := fmt.Sprintf("PROJ-%d", 1+rng.IntN(n))
			if other != r.key && !slices.Contains(r.blocks, other) {
				r.blocks = append(r.blocks, other)
			}
		}
		ncom := map[int]int{0: 3, 6: 1}[i%12]
		for c := range ncom {
			r.comments = append(r.comments, jiraComment{
				token: fmt.Sprintf("[m-%s-%d]", r.key, c+1), author: fmt.Sprintf("user%d@example.com", 1+rng.IntN(9)),
				text: "done; see the log", date: time.Date(2024, 3, 1+c, 9+i%8, i%60, 0, 0, time.UTC)})
		}
	}
	start := time.Date(2024, 4, 1, 8, 0, 0, 0, time.UTC)
	for j := range 2 * n {
		c := jiraComment{id: 50001 + j, token: fmt.Sprintf("[f-%d]", 50001+j), author: fmt.Sprintf("user%d@example.com", 1+rng.IntN(9)),
			text: "Checked again, \"quoted\";\nsecond line", date: start.Add(time.Duration(j) * 7 * time.Minute)}
		switch {
		case j%10 == 3:
			c.vis = "external"
		case j%17 == 5:
			c.vis = "private"
		}
		x.extra = append(x.extra, c)
		x.extraKey[c.id] = rows[rng.IntN(n)].key
	}
	slices.Reverse(rows)
	x.rows = rows
	return x
}

// write writes the export's two files.
func (x *jiraExport) write(t *testing.T, main, comments string) {
	t.Helper()
	var b strings.Builder
	w := csv.NewWriter(&b)
	_ = w.Write([]string{"Summary", "Issue key", "Issue id", "Issue Type", "Parent",
		"Outward issue link (Blocks)", "Outward issue link (Blocks)", "Comment", "Comment", "Comment", "Description"})
	for _, r := range x.rows {
		rec := []string{fmt.Sprintf("%s %s: invoices, again", r.typ, r.key), r.key, fmt.Sprint(r.id), r.typ, "", "", "", "", "", "", "Line one\nline two"}
		if r.parent != 0 {
			rec[4] = fmt.Sprint(r.parent)
		}
		for i, k := range r.blocks {
			rec[5+i] = k
		}
		for i, c := range r.comments {
			rec[7+i] = c.date.Format("02/Jan/06 3:04 PM") + ";" + c.author + ";" + c.token + " " + c.text
		}
		_ = w.Write(rec)
	}
	w.Flush()
	writeFile(t, main, b.String())

	b.Reset()
	w = csv.NewWriter(&b)
	_ = w.Write([]string{"Comment id", "Issue key", "Author", "Created", "Body", "Visibility"})
	for _, c := range x.extra {
		_ = w.Write([]string{fmt.Sprint(c.id), x.extraKey[c.id], c.author, c.date.Format("2006-01-02 15:04"), c.token + " " + c.text, c.vis})
	}
	w.Flush()
	writeFile(t, comments, b.String())
}

func writeFile(t *testing.T, path, s string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(s), 0o600); err != nil {
		t.Fatal(err)
	}
}

// wantLinks is every link the export makes, as "SOURCE TYPE TARGET" in
// keys: a parent is_parent_of its child; "A blocks B" is B
// is_dependent_on A.
func (x *jiraExport) wantLinks() map[string]bool {
	out := map[string]bool{}
	for _, r := range x.rows {
		if r.parent != 0 {
			out[x.keyOf[r.parent]+" is_parent_of "+r.key] = true
		}
		for _, b := range r.blocks {
			out[b+" is_dependent_on "+r.key] = true
		}
	}
	return out
}

// wantComments is every work's comments in source order (its Comment
// columns, then the comments file in file order), as "TOKEN VISIBILITY".
func (x *jiraExport) wantComments() map[string][]string {
	out := map[string][]string{}
	for _, r := range x.rows {
		for _, c := range r.comments {
			out[r.key] = append(out[r.key], c.token+" internal")
		}
	}
	for _, c := range x.extra {
		vis := c.vis
		if vis == "" {
			vis = "internal"
		}
		out[x.extraKey[c.id]] = append(out[x.extraKey[c.id]], c.token+" "+vis)
	}
	return out
}

// newJiraFixture is a fixture whose files are the export's, mapped by
// jiraMapping, importing the comments file too.
func newJiraFixture(t *testing.T, x *jiraExport, fo fixtureOptions) *fixture {
	t.Helper()
	fo.rows = 0
	f := newFixture(t, fo)
	f.csv = filepath.Join(f.dir, "jira.csv")
	comments := filepath.Join(f.dir, "jira-comments.csv")
	x.write(t, f.csv, comments)
	writeFile(t, f.mapping, jiraMapping)
	f.args = append(f.args, "--comments", comments)
	f.keys = nil
	for _, r := range x.rows {
		f.keys = append(f.keys, r.key)
	}
	f.rows = len(x.rows)
	return f
}

// tokenRE finds a generated comment's token in its body.
var tokenRE = regexp.MustCompile(`\[[mf]-[^\]]+\]`)

// relationsState is what the simulator holds, in the export's terms: live
// links as "SOURCE TYPE TARGET" in keys, with their count, and each work's
// live comments in creation order as "TOKEN VISIBILITY".
func (f *fixture) relationsState() (links map[string]int, comments map[string][]string) {
	keyOf := map[string]string{}
	for _, w := range f.sim.Works() {
		keyOf[w.ID] = f.identity(w)
	}
	links = map[string]int{}
	for _, l := range f.sim.Links() {
		if l.Live() {
			links[keyOf[l.Source]+" "+l.Type+" "+keyOf[l.Target]]++
		}
	}
	comments = map[string][]string{}
	for _, c := range f.sim.Comments() {
		if c.Live() {
			k := keyOf[c.Object]
			comments[k] = append(comments[k], tokenRE.FindString(c.Body)+" "+c.Visibility)
		}
	}
	return links, comments
}

// todo counts the writes of path the simulator has not performed yet.
func (f *fixture) todo(x *jiraExport, path string) int {
	links, comments := f.relationsState()
	switch path {
	case pathLink:
		return len(x.wantLinks()) - len(links)
	case pathComment:
		n := 0
		for _, cs := range x.wantComments() {
			n += len(cs)
		}
		for _, cs := range comments {
			n -= len(cs)
		}
		return n
	}
	return len(x.rows) - len(f.sim.Works())
}

// assertRelations checks through the simulator's record that every link
// of the export exists exactly once in its direction and no other does,
// and that every work has exactly its comments, each once, in source
// order, with its visibility.
func (f *fixture) assertRelations(x *jiraExport) {
	f.t.Helper()
	links, comments := f.relationsState()
	want := x.wantLinks()
	bad := 0
	report := func(format string, args ...any) {
		if bad++; bad <= 20 {
			f.t.Errorf(format, args...)
		}
	}
	for l := range want {
		if links[l] != 1 {
			report("link %s exists %d times", l, links[l])
		}
	}
	for l, n := range links {
		if !want[l] {
			report("link %s (%d times) is not in the export", l, n)
		}
	}
	wantC := x.wantComments()
	for k, cs := range wantC {
		if !slices.Equal(comments[k], cs) {
			report("work %s has comments %v, want %v", k, comments[k], cs)
		}
	}
	for k, cs := range comments {
		if wantC[k] == nil {
			report("work %s has comments %v, want none", k, cs)
		}
	}
	if bad > 20 {
		f.t.Errorf("... %d problems in all", bad)
	}
}

// TestRelationsKill9 imports a 1,500-row Jira-shaped export (epics,
// stories and sub-tasks by Parent, blocks links, 500 comments in Comment
// columns, 3,000 in a comments file sorted by date) against a simulator
// that performs 10% of writes and drops their answer and answers 2% 500
// and 3% 503, killing the importer with SIGKILL at eight moments: three
// right after a work was created, two after a link, three after a comment
// (each write's answer held back, never read). Then it runs the same
// command until it exits 0. Through the simulator's record: every work
// once, every link once in its direction, every comment once in source
// order with its visibility; a rerun writes nothing; undo removes all.
func TestRelationsKill9(t *testing.T) {
	t.Parallel()
	seed := testSeed(t)
	rng := rand.New(rand.NewPCG(seed, 0x11c5))
	x := genJira(shortOr(1500, 300), rng)
	f := newJiraFixture(t, x, fixtureOptions{
		sim:  simulator.Options{Seed: int64(seed), Faults: simulator.Faults{DropAfter: 0.10, Err500: 0.02, Err503: 0.03}},
		args: []string{"--workers", "16", "--max-consecutive-failures", "200"},
	})
	nComments := 0
	for _, cs := range x.wantComments() {
		nComments += len(cs)
	}
	t.Logf("%d rows, %d links, %d comments", len(x.rows), len(x.wantLinks()), nComments)

	plan := []string{pathCreate, pathCreate, pathCreate, pathLink, pathLink, pathComment, pathComment, pathComment}
	for killed := 0; killed < len(plan); {
		path, left := plan[killed], 0
		for _, p := range plan[killed:] {
			if p == plan[killed] {
				left++
			}
		}
		todo := f.todo(x, path)
		if todo <= 0 {
			t.Fatalf("kill %d: no %s left to kill on", killed+1, path)
		}
		at := 1 + rng.Int64N(int64(max(todo/(left+1), 1)))
		tr := f.obs.armOn(path, at, false)
		p := f.start()
		if f.killWhen(p, tr) {
			killed++
			t.Logf("kill %d (run %d) after %d more %s (of %d to do)", killed, f.runs, at, path, todo)
			continue
		}
		if p.code == exitOK {
			t.Fatalf("run %d finished before its kill point (%d more %s); only %d kills", f.runs, at, path, killed)
		}
		if p.code != exitRows && p.code != exitStopped {
			t.Fatalf("run %d: exit %d\n%s", f.runs, p.code, tail(p.stderr.String(), 3000))
		}
		t.Logf("run %d exited %d before its kill point:\n%s", f.runs, p.code, tail(p.stderr.String(), 1500))
	}
	f.obs.disarm()

	f.finish(5, 3*time.Minute)
	f.assertExactlyOnce()
	f.assertRelations(x)
	obs := f.obs.snapshot()
	t.Logf("%d runs (%d killed); requests: works.create %d %v, links.create %d %v, timeline-entries.create %d %v",
		f.runs, len(plan), obs.Creates, obs.ByStatus, obs.Links, obs.LinkStatus, obs.Comments, obs.CommentStatus)

	before := f.sim.Stats()
	if _, code := f.runOnce(2 * time.Minute); code != exitOK {
		t.Fatalf("rerun: exit %d", code)
	}
	after := f.sim.Stats()
	for _, p := range []string{pathCreate, pathLink, pathComment} {
		if n := after.ByPath[p] - before.ByPath[p]; n != 0 {
			t.Errorf("the rerun sent %d %s", n, p)
		}
	}
	f.assertNoSecret()
	f.assertUndone(x)
}

// assertUndone runs undo until it exits 0 (faults on) and checks that no
// work, link or comment is left.
func (f *fixture) assertUndone(x *jiraExport) {
	f.t.Helper()
	var out string
	for i := 0; ; i++ {
		cmd := exec.Command(binPath, "undo", f.ck, "--yes", "--progress", "never", "--workers", "16")
		cmd.Env = childEnv(f.url)
		b, _ := cmd.CombinedOutput()
		out = string(b)
		if cmd.ProcessState.ExitCode() == exitOK {
			break
		}
		if i == 4 {
			f.t.Fatalf("undo: exit %d after 5 runs\n%s", cmd.ProcessState.ExitCode(), tail(out, 3000))
		}
	}
	f.t.Logf("undo: %s", tail(out, 600))
	if n := len(f.sim.Works()); n != 0 {
		f.t.Errorf("%d works left after undo", n)
	}
	own := 0
	for _, l := range f.sim.Links() {
		if l.Live() {
			f.t.Errorf("link %s %s %s left after undo", l.SourceDisplayID, l.Type, l.TargetDisplayID)
		}
		if !l.Deleted {
			f.t.Errorf("link %s %s %s was not deleted by links.delete", l.SourceDisplayID, l.Type, l.TargetDisplayID)
		}
	}
	for _, c := range f.sim.Comments() {
		if c.Live() {
			f.t.Errorf("comment %s left after undo", c.ExternalRef)
		}
		if c.Deleted {
			own++
		}
	}
	// A comment resent after a lost answer (409) is recorded with the ID
	// read back by its external_ref, so undo deletes it by itself too.
	if own != len(f.sim.Comments()) {
		f.t.Errorf("undo: %d of %d comments deleted by timeline-entries.delete, the rest only with their works", own, len(f.sim.Comments()))
	}
}

// TestRelationsValidate runs validate through the binary on a generated
// export with its hierarchy broken: a Parent naming no row's Issue id, a
// blocks link to no row's key, a parent cycle, a four-level chain, and a
// comment on a key no row has. Each is reported on its row (the chain as
// a warning) and the run exits 1 having written nothing. With the key
// stored in a custom field the two unknown keys are looked up in DevRev
// (no work carries them); without, nothing could find them.
func TestRelationsValidate(t *testing.T) {
	t.Parallel()
	x := genJira(60, rand.New(rand.NewPCG(1, 2)))
	n := len(x.rows)
	id := func(i int) int { return 20001 + i }
	broken := []jiraRow{
		{key: "BAD-1", typ: "Story", id: id(1), parent: 99999},                  // no row has Issue id 99999
		{key: "BAD-2", typ: "Story", id: id(2), blocks: []string{"PROJ-99999"}}, // no row has that key
		{key: "CYC-1", typ: "Story", id: id(3), parent: id(4)},
		{key: "CYC-2", typ: "Story", id: id(4), parent: id(3)},
		{key: "DEEP-1", typ: "Epic", id: id(5)},
		{key: "DEEP-2", typ: "Story", id: id(6), parent: id(5)},
		{key: "DEEP-3", typ: "Sub-task", id: id(7), parent: id(6)},
		{key: "DEEP-4", typ: "Sub-task", id: id(8), parent: id(7)},
	}
	x.rows = append(x.rows, broken...)
	for _, r := range broken {
		x.keyOf[r.id] = r.key
	}
	x.extra = append(x.extra, jiraComment{id: 99001, token: "[f-99001]", text: "lost", date: time.Date(2024, 5, 1, 9, 0, 0, 0, time.UTC)})
	x.extraKey[99001] = "GONE-1"
	f := newJiraFixture(t, x, fixtureOptions{})
	// Every record of the main file is two lines (its Description has a
	// newline, as every comment of the comments file); the header is line 1.
	line := func(i int) string { return fmt.Sprintf("jira.csv:%d ", 2+2*i) }
	hierarchy := []string{
		line(n) + `column "Parent" (parent): "99999" matches no row's "Issue id"`,
		line(n+2) + `column "Parent" (parent): the parent hierarchy has a cycle: CYC-1 → CYC-2 → CYC-1`,
		line(n+7) + `column "Parent" (parent): DEEP-4 is 4 levels deep (DEEP-4 → DEEP-3 → DEEP-2 → DEEP-1`,
	}
	out := f.validate()
	if !regexp.MustCompile(`(?m)^warning: \S*` + regexp.QuoteMeta(line(n+7))).MatchString(out) {
		t.Errorf("the depth is not a warning:\n%s", out)
	}
	f.expect(out, append(hierarchy, "link problems 3  comment problems 1",
		line(n+1)+`column "Outward issue link (Blocks)": "PROJ-99999" is no row's key in this file nor in an earlier run, and no work in DevRev carries it`,
		fmt.Sprintf(`jira-comments.csv:%d: "GONE-1" is no row's key in this file nor in an earlier run, and no work in DevRev carries it`, 2*len(x.extra))))

	// Without the key in a custom field nothing can find those keys.
	writeFile(t, f.mapping, strings.Replace(jiraMapping, "  Issue key: custom_fields.tnt__external_id\n", "", 1))
	out = f.validate()
	f.expect(out, append(hierarchy, "link problems 3  comment problems 1",
		line(n+1)+`column "Outward issue link (Blocks)" (is_dependent_on): "PROJ-99999" is no row's key`,
		fmt.Sprintf(`jira-comments.csv:%d (key): "GONE-1" matches no row's key`, 2*len(x.extra))))
	if st := f.sim.Stats(); st.ByPath[pathCreate]+st.ByPath[pathLink]+st.ByPath[pathComment] != 0 {
		t.Errorf("validate wrote to DevRev: %v", st.ByPath)
	}
}

// validate runs validate on the fixture's files, expecting exit 1.
func (f *fixture) validate() string {
	f.t.Helper()
	cmd := exec.Command(binPath, append([]string{"validate", f.csv, "--mapping", f.mapping}, f.args...)...)
	cmd.Env = childEnv(f.url)
	b, _ := cmd.CombinedOutput()
	if code := cmd.ProcessState.ExitCode(); code != exitRows {
		f.t.Fatalf("validate: exit %d, want %d\n%s", code, exitRows, b)
	}
	return string(b)
}

// expect fails the test for each of want that out does not say.
func (f *fixture) expect(out string, want []string) {
	f.t.Helper()
	for _, w := range want {
		if !strings.Contains(out, w) {
			f.t.Errorf("validate does not say %q:\n%s", w, out)
		}
	}
}
