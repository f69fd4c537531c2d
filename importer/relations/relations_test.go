package relations

import (
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/devrev-import/devrev-import/importer/source"
	"github.com/devrev-import/devrev-import/mapping"
)

const testMapping = `type: issue
key: Key
columns:
  Title: title
  Parent: {link: parent}
  Parent id: {link: parent, by: Id}
  Subs: {link: children}
  Blocks: {link: is_dependent_on, reverse: true}
defaults:
  applies_to_part: PROD-1
  owned_by: [DEVU-1]
ignore: [Id]
`

var testHeader = []string{"Key", "Id", "Title", "Parent", "Parent id", "Subs", "Blocks"}

// fixture maps rows of testHeader (Key, Id, Title, Parent, Parent id,
// Subs, Blocks) into an Index.
type fixture struct {
	t  *testing.T
	m  *mapping.Mapper
	ix *Index
	n  int
}

func newFixture(t *testing.T, opt Options) *fixture {
	t.Helper()
	cfg, err := mapping.Parse("m.yaml", []byte(testMapping))
	if err != nil {
		t.Fatal(err)
	}
	m, _, err := mapping.Compile(cfg, testHeader, mapping.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if opt.Where == nil {
		opt.Where = func(row, col int) string {
			if col < 0 {
				return "f.csv:" + strconv.Itoa(row)
			}
			return "f.csv:" + strconv.Itoa(row) + " column " + strconv.Quote(testHeader[col])
		}
	}
	ix := New(opt)
	t.Cleanup(func() { ix.Close() })
	return &fixture{t: t, m: m, ix: ix, n: 1}
}

// row adds a row; title "" makes it invalid.
func (f *fixture) row(cells ...string) {
	f.t.Helper()
	f.n++
	r := source.Row{Number: f.n}
	for i := range testHeader {
		v := ""
		if i < len(cells) {
			v = cells[i]
		}
		r.Cells = append(r.Cells, source.Cell{Value: v})
	}
	if err := f.ix.Add(r, f.m.Map(r)); err != nil {
		f.t.Fatal(err)
	}
}

func (f *fixture) finish() *Report {
	f.t.Helper()
	rep, err := f.ix.Finish()
	if err != nil {
		f.t.Fatal(err)
	}
	return rep
}

func texts(rep *Report) []string {
	var out []string
	for _, p := range rep.Problems {
		s := p.Text
		if p.Warning {
			s = "warning: " + s
		}
		out = append(out, s)
	}
	return out
}

func wantProblems(t *testing.T, rep *Report, want ...string) {
	t.Helper()
	got := texts(rep)
	if len(got) != len(want) {
		t.Fatalf("problems:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("problem %d:\n got %s\nwant %s", i, got[i], want[i])
		}
	}
}

func TestValidHierarchyAndLinks(t *testing.T) {
	f := newFixture(t, Options{})
	f.row("EPIC-1", "100", "epic", "", "", "STORY-2")
	f.row("STORY-2", "101", "story", "", "", "", "STORY-3")
	f.row("STORY-3", "102", "story", "EPIC-1", "", "", "ISS-40, don:core:dvrv-us-1:devo/1:issue/9")
	f.row("SUB-4", "103", "sub", "", "101")
	f.row("ISS-5", "104", "a key that looks like an ID", "EPIC-1")
	f.row("SUB-6", "105", "sub", "ISS-5")
	f.row("SUB-7", "106", "sub", "STORY-3")
	rep := f.finish()
	wantProblems(t, rep)
	if rep.Links != 9 || rep.Errors() != 0 || rep.Warnings != 0 {
		t.Errorf("report %+v", rep)
	}
	tgt, ok := f.ix.Resolve(mapping.LinkRef{Ref: "101", By: "Id"})
	if !ok || tgt.Key != "STORY-2" || tgt.Row != 3 {
		t.Errorf("by: Id 101 resolves to %+v %v", tgt, ok)
	}
	if tgt, ok := f.ix.Resolve(mapping.LinkRef{Ref: "ISS-5"}); !ok || tgt.Key != "ISS-5" || tgt.External {
		t.Errorf("a key of the file wins over an ID: %+v", tgt)
	}
	if tgt, ok := f.ix.Resolve(mapping.LinkRef{Ref: "ISS-40"}); !ok || !tgt.External {
		t.Errorf("a DevRev ID is external: %+v", tgt)
	}
}

func TestDanglingSelfAndInvalid(t *testing.T) {
	f := newFixture(t, Options{})
	f.row("A-1", "1", "a", "PROJ-9")
	f.row("A-2", "2", "b", "", "777", "", "A-2")
	f.row("A-3", "3", "", "") // invalid: no title
	f.row("A-4", "4", "d", "A-3")
	rep := f.finish()
	wantProblems(t, rep,
		`f.csv:2 column "Parent" (parent): "PROJ-9" is no row's key in this file (and is not a DevRev work ID such as ISS-12)`,
		`f.csv:3 column "Parent id" (parent): "777" matches no row's "Id" in this file (and is not a DevRev work ID such as ISS-12)`,
		`f.csv:3 column "Blocks" (is_dependent_on): "A-2" links the row to itself`,
		`f.csv:5 column "Parent" (parent): "A-3" names A-3, whose row 4 is invalid: fix that row and the link is made`,
	)
	if rep.Errors() != 4 {
		t.Errorf("errors %d", rep.Errors())
	}
}

func TestKnownAndUnresolvedKeys(t *testing.T) {
	known := func(k string) bool { return k == "OLD-1" }
	f := newFixture(t, Options{Known: known, KeyField: "custom_fields.tnt__external_id",
		CommentWhere: func(row, col int) string { return "c.csv:" + strconv.Itoa(row) }})
	f.row("A-1", "1", "a", "OLD-1")
	f.row("A-2", "2", "b", "PROJ-9", "", "", "PROJ-10")
	if err := f.ix.AddComment(5, "PROJ-11"); err != nil {
		t.Fatal(err)
	}
	rep := f.finish()
	wantProblems(t, rep)
	if rep.Unresolved != 3 {
		t.Errorf("unresolved %d", rep.Unresolved)
	}
	var got []string
	err := f.ix.EachUnresolved(func(u Unresolved) error {
		got = append(got, u.Key+"@"+u.Where+"/"+u.Link)
		return nil
	})
	want := `PROJ-9@f.csv:3 column "Parent"/parent PROJ-10@f.csv:3 column "Blocks"/is_dependent_on PROJ-11@c.csv:5/`
	if err != nil || strings.Join(got, " ") != want {
		t.Errorf("unresolved %q %v\nwant %q", got, err, want)
	}
	// Without the key in a custom field they are problems, and the message
	// says that earlier runs were asked.
	g := newFixture(t, Options{Known: known})
	g.row("A-1", "1", "a", "PROJ-9")
	wantProblems(t, g.finish(), `f.csv:2 column "Parent" (parent): "PROJ-9" is no row's key in this file nor in an earlier run (and is not a DevRev work ID such as ISS-12)`)
}

func TestCycleIsNamed(t *testing.T) {
	f := newFixture(t, Options{})
	f.row("ZD-5", "5", "unrelated", "ZD-1")
	f.row("ZD-1", "1", "a", "ZD-7")
	f.row("ZD-7", "7", "b")
	f.row("ZD-3", "3", "c", "", "", "ZD-7") // ZD-3 is ZD-7's parent
	rep := f.finish()
	wantProblems(t, rep,
		`warning: f.csv:2 column "Parent" (parent): ZD-5 is 4 levels deep (ZD-5 → ZD-1 → ZD-7 → ZD-3, each → its parent); DevRev's importers create hierarchies of at most 3 levels`,
	)
	g := newFixture(t, Options{})
	g.row("ZD-1", "1", "a", "ZD-7")
	g.row("ZD-7", "7", "b", "ZD-1")
	g.row("ZD-9", "9", "c", "ZD-7") // under the cycle: no depth warning
	wantProblems(t, g.finish(), `f.csv:2 column "Parent" (parent): the parent hierarchy has a cycle: ZD-1 → ZD-7 → ZD-1 (each → its parent)`)
	// The cycle's edge met first is not to be created; the rest stand.
	wantRefused(t, g.ix, map[[2]int]string{{2, 3}: "ZD-7"}, map[[2]int]string{{3, 3}: "ZD-1", {4, 3}: "ZD-7"})
	h := newFixture(t, Options{})
	h.row("ZD-2", "2", "a", "", "", "ZD-4")
	h.row("ZD-4", "4", "b", "", "", "ZD-2")
	h.row("ZD-6", "6", "c", "ZD-6")
	wantProblems(t, h.finish(),
		`f.csv:4 column "Parent" (parent): "ZD-6" links the row to itself`,
		`f.csv:2 column "Subs" (children): the parent hierarchy has a cycle: ZD-4 → ZD-2 → ZD-4 (each → its parent)`,
	)
	wantRefused(t, h.ix, map[[2]int]string{{2, 5}: "ZD-4"}, map[[2]int]string{{3, 5}: "ZD-2"})
}

// wantRefused checks Index.Refused for the link references at {row,
// column} reading the texts given: refused, and not.
func wantRefused(t *testing.T, ix *Index, refused, kept map[[2]int]string) {
	t.Helper()
	for at, ref := range refused {
		if why, ok := ix.Refused(at[0], at[1], ref); !ok || why == "" {
			t.Errorf("row %d column %d %q not refused", at[0], at[1], ref)
		}
	}
	for at, ref := range kept {
		if why, ok := ix.Refused(at[0], at[1], ref); ok {
			t.Errorf("row %d column %d %q refused: %s", at[0], at[1], ref, why)
		}
	}
}

func TestDepthWarning(t *testing.T) {
	f := newFixture(t, Options{})
	f.row("L1", "1", "root")
	f.row("L2", "2", "x", "L1")
	f.row("L3", "3", "x", "L2")
	f.row("L3b", "33", "x", "L2")
	rep := f.finish()
	wantProblems(t, rep)
	f.row("L4", "4", "x", "", "3")
	f.row("L5", "5", "x", "L4")
	rep = newRun(t, f)
	wantProblems(t, rep, `warning: f.csv:6 column "Parent id" (parent): L4 is 4 levels deep (L4 → L3 → L2 → L1, each → its parent); DevRev's importers create hierarchies of at most 3 levels`)
	if rep.Warnings != 1 || rep.Errors() != 0 {
		t.Errorf("%+v", rep)
	}
}

// newRun finishes f's Index again (Finish only reads the records).
func newRun(t *testing.T, f *fixture) *Report {
	t.Helper()
	return f.finish()
}

func TestTwoParents(t *testing.T) {
	f := newFixture(t, Options{})
	f.row("P-1", "1", "a", "", "", "C-3")
	f.row("P-2", "2", "b")
	f.row("C-3", "3", "c", "P-2")
	f.row("C-4", "4", "d", "P-1", "", "")
	f.row("P-5", "5", "e", "", "", "C-4") // C-4 is P-1's from its own Parent, and P-5's: two
	f.row("P-6", "6", "f", "", "", "C-9, ISS-3")
	f.row("C-7", "7", "g", "ISS-3") // ISS-3 is P-6's child and C-7's parent: fine
	f.row("P-1b", "11", "h", "", "", "")
	rep := f.finish()
	wantProblems(t, rep,
		`f.csv:7 column "Subs" (children): "C-9" is no row's key in this file (and is not a DevRev work ID such as ISS-12)`,
		`f.csv:2 column "Subs" (children): C-3 has two parents, P-1 (f.csv:2 column "Subs") and P-2 (f.csv:4 column "Parent"); a work has one`,
		`f.csv:5 column "Parent" (parent): C-4 has two parents, P-1 (f.csv:5 column "Parent") and P-5 (f.csv:6 column "Subs"); a work has one`,
	)
	// The second parent met in the file is not to be linked.
	wantRefused(t, f.ix, map[[2]int]string{{4, 3}: "P-2", {6, 5}: "C-4"}, map[[2]int]string{{2, 5}: "C-3", {5, 3}: "P-1", {8, 3}: "ISS-3"})
	// The same link named from both ends is one link, not two parents.
	g := newFixture(t, Options{})
	g.row("P-1", "1", "a", "", "", "C-2")
	g.row("C-2", "2", "b", "P-1")
	wantProblems(t, g.finish())
}

func TestDuplicateKeyRowIsLeftOut(t *testing.T) {
	f := newFixture(t, Options{})
	f.row("A-1", "1", "a")
	f.row("A-1", "1", "again", "NOPE-1")
	f.row("B-1", "2", "") // invalid, then valid with its key: the valid one is created
	f.row("B-1", "2", "b")
	f.row("C-1", "3", "c", "B-1")
	rep := f.finish()
	wantProblems(t, rep)
	if rep.Links != 1 {
		t.Errorf("links %d", rep.Links)
	}
}

// The records spill to a temporary file past SpillBytes; the checks read
// them back and report exactly what they report in memory; Close removes
// the file.
func TestSpillPath(t *testing.T) {
	dir := t.TempDir()
	build := func(spill int) (*fixture, *Report) {
		f := newFixture(t, Options{SpillBytes: spill, TempDir: dir})
		for i := 1; i <= 300; i++ {
			parent := ""
			if i > 1 {
				parent = "K-" + strconv.Itoa((i-1)/3+1) // a tree, 6 levels deep
			}
			f.row("K-"+strconv.Itoa(i), strconv.Itoa(i), "t", parent, "", "", "K-"+strconv.Itoa(i%17+1)+";GONE-"+strconv.Itoa(i%5))
		}
		f.row("K-1", "1", "dup")
		f.row("C-1", "c1", "x", "C-2")
		f.row("C-2", "c2", "x", "C-1")
		return f, f.finish()
	}
	mem, inMem := build(0)
	if mem.ix.recs.spilled() {
		t.Fatal("the default buffer spilled 900 records")
	}
	sp, spilled := build(64)
	if !sp.ix.recs.spilled() {
		t.Fatal("a 64-byte buffer did not spill")
	}
	if strings.Join(texts(inMem), "\n") != strings.Join(texts(spilled), "\n") || inMem.Errors() != spilled.Errors() || inMem.Warnings != spilled.Warnings || inMem.Links != spilled.Links {
		t.Errorf("in memory:\n%v\nspilled:\n%v", texts(inMem), texts(spilled))
	}
	if spilled.Errors() < 300 || spilled.Warnings == 0 || !strings.Contains(strings.Join(texts(spilled), "\n"), "cycle: C-1 → C-2 → C-1") {
		t.Errorf("errors %d warnings %d", spilled.Errors(), spilled.Warnings)
	}
	if files, _ := os.ReadDir(dir); len(files) != 1 {
		t.Errorf("spill files %v", files)
	}
	sp.ix.Close()
	if files, _ := os.ReadDir(dir); len(files) != 0 {
		t.Errorf("Close left %v", files)
	}
}

func TestMaxProblemsKeepsCounting(t *testing.T) {
	f := newFixture(t, Options{MaxProblems: 2})
	for i := 0; i < 5; i++ {
		f.row("A-"+strconv.Itoa(i), "", "t", "NOPE")
	}
	rep := f.finish()
	if rep.Errors() != 5 || len(rep.Problems) != 2 {
		t.Errorf("errors %d, kept %d", rep.Errors(), len(rep.Problems))
	}
}

func TestExternalRefAndBody(t *testing.T) {
	at := time.Date(2024, 3, 5, 14, 30, 0, 0, time.UTC)
	c := mapping.Comment{Body: "looks good", Author: "alice@example.com", Date: at, Position: 1}
	r1 := ExternalRef("BILL-1", c)
	if !strings.HasPrefix(r1, "devrev-import:h:") || len(r1) != len("devrev-import:h:")+32 || ExternalRef("BILL-1", c) != r1 {
		t.Errorf("hash ref %q", r1)
	}
	for _, other := range []mapping.Comment{
		{Body: "looks good!", Author: c.Author, Date: at, Position: 1},
		{Body: c.Body, Author: "bob", Date: at, Position: 1},
		{Body: c.Body, Author: c.Author, Date: at.Add(time.Minute), Position: 1},
		{Body: c.Body, Author: c.Author, Date: at, Position: 2},
	} {
		if ExternalRef("BILL-1", other) == r1 {
			t.Errorf("%+v has the same ref", other)
		}
	}
	if ExternalRef("BILL-2", c) == r1 {
		t.Error("another key, the same ref")
	}
	c.SourceID = "10042"
	if got := ExternalRef("BILL-1", c); got != "devrev-import:c:10042" {
		t.Errorf("source id ref %q", got)
	}
	c.SourceID = strings.Repeat("x", 65)
	if got := ExternalRef("BILL-1", c); len(got) != len("devrev-import:c:")+32 {
		t.Errorf("long id ref %q", got)
	}
	if got := CommentBody(c); got != "Originally by alice@example.com on 2024-03-05 14:30 UTC:\n\nlooks good" {
		t.Errorf("body %q", got)
	}
	if got := CommentBody(mapping.Comment{Body: "x", Author: "bob"}); got != "Originally by bob:\n\nx" {
		t.Errorf("body %q", got)
	}
	if got := CommentBody(mapping.Comment{Body: "x"}); got != "x" {
		t.Errorf("body %q", got)
	}
}

func TestCommentsFile(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "comments.csv")
	data := "Comment id,Issue key,Author,Created,Body\n" +
		"c1,A-1,alice,2024-03-05 14:30,first\n" +
		"c2,A-1,bob,,\"second; with\nlines\"\n" +
		"c3,,bob,,orphan\n" +
		"c4,A-9,bob,,on nothing\n" +
		"c5,A-2,bob,someday,bad date\n" +
		"c6,A-2,carol,, \n" +
		"c7,A-1,dan,,third\n"
	if err := os.WriteFile(path, []byte(data), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg, err := mapping.Parse("m.yaml", []byte("type: issue\nkey: Key\ncomments:\n  key: Issue key\n  body: Body\n  id: Comment id\n  author: Author\n  date: Created\n"))
	if err != nil {
		t.Fatal(err)
	}
	cf, err := OpenComments(path, source.Options{}, cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer cf.Close()
	var positions []string
	for {
		it, err := cf.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		if it.Key == "A-1" {
			positions = append(positions, it.Comment.SourceID+"="+strconv.Itoa(it.Comment.Position))
		}
	}
	if got := strings.Join(positions, " "); got != "c1=1 c2=2 c7=3" {
		t.Errorf("positions %s", got)
	}

	f := newFixture(t, Options{})
	f.row("A-1", "1", "a")
	f.row("A-2", "2", "b")
	cf2, err := OpenComments(path, source.Options{}, cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer cf2.Close()
	msgs, n, err := Check(cf2, f.ix, 10)
	if err != nil {
		t.Fatal(err)
	}
	base := path + ":"
	want := []string{
		base + `5 column "Issue key" (key): the comment's key is empty: which work is it on?`,
		base + `7 column "Created" (date): "someday" is not a date`,
		base + `8 column "Body" (body): the comment's text is empty`,
	}
	if n != 3 || len(msgs) != 3 {
		t.Fatalf("problems %d %q", n, msgs)
	}
	for i := range want {
		if !strings.HasPrefix(msgs[i], want[i]) {
			t.Errorf("problem %d: %q, want %q", i, msgs[i], want[i])
		}
	}
	rep := f.finish()
	wantProblems(t, rep, base+`6 (key): "A-9" matches no row's key in the main file`)
	if rep.Comments != 3 || !rep.Problems[0].Comment || rep.CommentErrors != 1 || rep.LinkErrors != 0 {
		t.Errorf("report %+v", rep)
	}

	noSection, _ := mapping.Parse("m.yaml", []byte("type: issue\n"))
	if _, err := OpenComments(path, source.Options{}, noSection, nil); err == nil || !strings.Contains(err.Error(), "comments: section") {
		t.Errorf("no section: %v", err)
	}
	bad, _ := mapping.Parse("m.yaml", []byte("type: issue\ncomments:\n  key: Key\n  body: Body\n"))
	if _, err := OpenComments(path, source.Options{}, bad, nil); err == nil || !strings.Contains(err.Error(), `comments key: column "Key" is not in the comments file's header`) {
		t.Errorf("missing column: %v", err)
	}
}

func TestTable(t *testing.T) {
	var tb table
	if _, ok := tb.get(7); ok {
		t.Fatal("an empty table has 7")
	}
	for i := uint64(1); i < 5000; i++ {
		if tb.put(i*0x9e3779b97f4a7c15, uint32(i), true) {
			t.Fatalf("%d was there", i)
		}
	}
	if tb.put(0, 99, true) || !tb.put(0, 98, true) {
		t.Error("hash 0 is stored, once")
	}
	if v, ok := tb.get(0); !ok || v != 99 {
		t.Errorf("hash 0: %d %v", v, ok)
	}
	for i := uint64(1); i < 5000; i++ {
		if v, ok := tb.get(i * 0x9e3779b97f4a7c15); !ok || uint64(v) != i {
			t.Fatalf("%d: %d %v", i, v, ok)
		}
	}
	tb.put(0x9e3779b97f4a7c15, 42, false)
	if v, _ := tb.get(0x9e3779b97f4a7c15); v != 42 || tb.n != 5000 {
		t.Errorf("overwrite: %d, n %d", v, tb.n)
	}
}
