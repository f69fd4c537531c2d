package mapping

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/devrev-import/devrev-import/importer/source"
)

const jiraLinks = `
type: issue
key: Issue key
columns:
  Summary: title
  Issue key: custom_fields.tnt__external_id
  Parent: {link: parent, by: Issue id}
  Sub-tasks: {link: children, split: ","}
  Outward issue link (Blocks): {link: is_dependent_on, reverse: true}
  Relates: {link: is_related_to, split: "|"}
  Comment: {comment: jira}
  Note: {comment: text, visibility: private}
defaults:
  applies_to_part: PROD-1
  owned_by: [DEVU-1]
ignore: [Issue id]
`

var jiraHeader = []string{"Issue key", "Issue id", "Summary", "Parent", "Sub-tasks",
	"Outward issue link (Blocks)", "Outward issue link (Blocks)", "Relates", "Comment", "Comment", "Note"}

func TestMapLinksAndComments(t *testing.T) {
	m, warns := compileFor(t, jiraLinks, jiraHeader, Options{})
	if len(warns) > 0 {
		t.Errorf("warnings %v", warns)
	}
	res := m.Map(textRow("BILL-2", "10002", "Story", "10001", "BILL-3, BILL-4,", "BILL-9", "ISS-12", "BILL-5|don:core:dvrv-us-1:devo/1:issue/7",
		"05/Mar/24 2:30 PM;alice@example.com;Fixed; see the log; twice", "", "remember the rollback"))
	if len(res.Problems) > 0 {
		t.Fatalf("problems %v", probStrings(res.Problems))
	}
	want := []LinkRef{
		{Type: "is_parent_of", Reverse: true, Ref: "10001", By: "Issue id", Col: 3, Column: "Parent", Link: "parent"},
		{Type: "is_parent_of", Ref: "BILL-3", Col: 4, Column: "Sub-tasks", Link: "children"},
		{Type: "is_parent_of", Ref: "BILL-4", Col: 4, Column: "Sub-tasks", Link: "children"},
		{Type: "is_dependent_on", Reverse: true, Ref: "BILL-9", Col: 5, Column: "Outward issue link (Blocks)", Link: "is_dependent_on"},
		{Type: "is_dependent_on", Reverse: true, Ref: "ISS-12", Col: 6, Column: "Outward issue link (Blocks)", Link: "is_dependent_on"},
		{Type: "is_related_to", Ref: "BILL-5", Col: 7, Column: "Relates", Link: "is_related_to"},
		{Type: "is_related_to", Ref: "don:core:dvrv-us-1:devo/1:issue/7", Col: 7, Column: "Relates", Link: "is_related_to"},
	}
	if !reflect.DeepEqual(res.Links, want) {
		t.Errorf("links\n%+v\nwant\n%+v", res.Links, want)
	}
	wantC := []Comment{
		{Body: "Fixed; see the log; twice", Author: "alice@example.com", Date: time.Date(2024, 3, 5, 14, 30, 0, 0, time.UTC), Visibility: "internal", Position: 1, Col: 8, Column: "Comment"},
		{Body: "remember the rollback", Visibility: "private", Position: 2, Col: 10, Column: "Note"},
	}
	if !reflect.DeepEqual(res.Comments, wantC) {
		t.Errorf("comments\n%+v\nwant\n%+v", res.Comments, wantC)
	}
	if want := []RowName{{By: "Issue id", Value: "10002"}}; !reflect.DeepEqual(res.Names, want) {
		t.Errorf("names %+v", res.Names)
	}
	// Nothing of it reaches the create body.
	b, _ := json.Marshal(res.Work)
	for _, s := range []string{"BILL-3", "10001", "rollback", "alice"} {
		if strings.Contains(string(b), s) {
			t.Errorf("body %s holds %q", b, s)
		}
	}
	if d := m.Describe(); d[`column "Parent"`] != `link parent, by "Issue id"` || d[`column "Note"`] != "comment text, visibility private" {
		t.Errorf("describe %v", d)
	}
}

func TestJiraCommentCells(t *testing.T) {
	ny, _ := time.LoadLocation("America/New_York")
	for _, tc := range []struct {
		name, cell, layout string
		body, author       string
		date               time.Time
		msg                string
	}{
		{name: "plain", cell: "05/Mar/24 2:30 PM;alice@example.com;looks good", body: "looks good", author: "alice@example.com", date: time.Date(2024, 3, 5, 14, 30, 0, 0, ny)},
		{name: "semicolons and lines", cell: "05/Mar/24 9:05 AM;bob;a;b;\nc", body: "a;b;\nc", author: "bob", date: time.Date(2024, 3, 5, 9, 5, 0, 0, ny)},
		{name: "iso date", cell: "2024-03-05 14:30;carol;ok", body: "ok", author: "carol", date: time.Date(2024, 3, 5, 14, 30, 0, 0, ny)},
		{name: "own layout", cell: "05.03.2024 14:30;dan;ok", layout: "02.01.2006 15:04", body: "ok", author: "dan", date: time.Date(2024, 3, 5, 14, 30, 0, 0, ny)},
		{name: "no author", cell: "05/Mar/24 2:30 PM;;anonymous", body: "anonymous", date: time.Date(2024, 3, 5, 14, 30, 0, 0, ny)},
		{name: "odd date", cell: "yesterday;alice;hi", msg: `is not a Jira comment: the date "yesterday" is not in the form "02/Jan/06 3:04 PM"`},
		{name: "month name wrong", cell: "05/Mrz/24 2:30 PM;alice;hi", msg: "is not a Jira comment: the date"},
		{name: "empty text", cell: "05/Mar/24 2:30 PM;alice; ", msg: "is a Jira comment without text"},
		{name: "no fields", cell: "just a note", msg: "is not a Jira comment (DATE;AUTHOR;TEXT"},
		{name: "one field", cell: "05/Mar/24 2:30 PM;alice", msg: "is not a Jira comment (DATE;AUTHOR;TEXT"},
		{name: "empty date", cell: ";alice;hi", msg: "the date is empty"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			layout := tc.layout
			if layout == "" {
				layout = JiraCommentLayout
			}
			c, msg := parseJiraComment(tc.cell, layout, ny, Comment{})
			if tc.msg != "" {
				if !strings.Contains(msg, tc.msg) {
					t.Errorf("message %q, want %q", msg, tc.msg)
				}
				return
			}
			if msg != "" || c.Body != tc.body || c.Author != tc.author || !c.Date.Equal(tc.date) {
				t.Errorf("got %+v %q", c, msg)
			}
		})
	}
}

func TestCommentCellProblemMarksTheRow(t *testing.T) {
	m, _ := compileFor(t, jiraLinks, jiraHeader, Options{})
	res := m.Map(textRow("BILL-2", "10002", "Story", "", "", "", "", "", "not a jira cell", "05/Mar/24 2:30 PM;a;ok", ""))
	got := probStrings(res.Problems)
	if len(got) != 1 || !strings.Contains(got[0], `@8 (comment): "not a jira cell" is not a Jira comment`) {
		t.Errorf("problems %v", got)
	}
	if len(res.Comments) != 1 || res.Comments[0].Col != 9 {
		t.Errorf("comments %+v", res.Comments)
	}
}

func TestRelationRuleMistakes(t *testing.T) {
	for _, tc := range []struct{ yaml, want string }{
		{"columns:\n  Parent: {link: parnt}\n", `mapping.yaml:2:18: unknown link "parnt" for column "Parent" (did you mean parent?`},
		{"columns:\n  Blocks: {link: is_dependant_on}\n", `mapping.yaml:2:18: unknown link "is_dependant_on" for column "Blocks" (did you mean is_dependent_on?`},
		{"columns:\n  Parent: {link: parent, reverse: true}\n", `mapping.yaml:2:35: reverse is not for link: parent`},
		{"columns:\n  X: {link: is_related_to, reverse: maybe}\n", `mapping.yaml:2:37: reverse of column "X" must be true or false`},
		{"columns:\n  X: {link: is_related_to, spilt: \",\"}\n", `mapping.yaml:2:28: unknown key "spilt" for link column "X" (did you mean split?`},
		{"columns:\n  X: {link: custom_link}\n", `mapping.yaml:2:13: link: custom_link of column "X" needs custom_link_type`},
		{"columns:\n  X: {link: is_related_to, custom_link_type: ABC}\n", `custom_link_type is only for link: custom_link`},
		{"columns:\n  X: {link: is_related_to, split: \"\"}\n", `split of column "X" is empty`},
		{"columns:\n  X: {link: is_related_to, comment: text}\n", `mapping.yaml:2:6: column "X" is either a link or a comment column, not both`},
		{"columns:\n  C: {comment: html}\n", `mapping.yaml:2:16: unknown comment format "html" for column "C" (allowed: jira, text)`},
		{"columns:\n  C: {comment: text, format: \"02/01/06\"}\n", `format is only for comment: jira`},
		{"columns:\n  C: {comment: jira, visibility: secret}\n", `mapping.yaml:2:34: unknown visibility "secret" (allowed: private, internal, external, public)`},
		{"columns:\n  C: {comment: jira, visibilty: private}\n", `unknown key "visibilty" for comment column "C" (did you mean visibility?`},
		{"comments:\n  key: K\n", `mapping.yaml:2:3: comments needs body: the column holding each comment's text`},
		{"comments:\n  body: B\n  bdy: C\n", `mapping.yaml:3:3: unknown key "bdy" in comments (did you mean body?`},
		{"comments:\n  key: K\n  body: B\n  defaults: {visibility: externl}\n", `unknown visibility "externl" (did you mean external?`},
		{"comments:\n  key: K\n  body: B\n  format: \"02.01.2006\"\n", `comments format is for the date column, and comments has no date:`},
		{"comments: [a]\n", `comments must be a map`},
	} {
		_, err := Parse("mapping.yaml", []byte(tc.yaml))
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%q:\n got %v\nwant %s", tc.yaml, err, tc.want)
		}
	}
}

func TestCompileRelationColumns(t *testing.T) {
	for _, tc := range []struct {
		yaml   string
		header []string
		want   string
	}{
		{"type: issue\nkey: K\ncolumns:\n  P: {link: parent, by: Isue id}\n", []string{"K", "P", "Issue id"}, `mapping.yaml:4:3: by: column "Isue id" of column "P" is not in the header (did you mean "Issue id"?)`},
		{"type: issue\nkey: K\ncolumns:\n  P: {link: parent, by: N}\n", []string{"K", "P", "N", "N"}, `by: column "N" of column "P" appears 2 times in the header`},
		{"type: issue\ncolumns:\n  P: {link: parent}\n", []string{"K", "P"}, `link column "P" names works by their key, but rows have no key`},
		{"type: issue\nkey: K\ncolumns:\n  Parnt: {link: parent}\n", []string{"K", "Parent"}, `column "Parnt" is not in the header (did you mean "Parent"?)`},
	} {
		cfg, err := Parse("mapping.yaml", []byte(tc.yaml))
		if err != nil {
			t.Fatal(err)
		}
		_, _, err = Compile(cfg, tc.header, Options{})
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%q:\n got %v\nwant %s", tc.yaml, err, tc.want)
		}
	}
	// by: the key column is the key; repeated link and comment headers are fine.
	cfg, err := Parse("m.yaml", []byte("type: issue\nkey: K\ncolumns:\n  P: {link: parent, by: K}\n  C: {comment: text}\n"))
	if err != nil {
		t.Fatal(err)
	}
	m, _, err := Compile(cfg, []string{"K", "P", "P", "C", "C"}, Options{})
	if err != nil {
		t.Fatal(err)
	}
	res := m.Map(textRow("A", "B", "C", "one", "two"))
	if len(res.Links) != 2 || res.Links[0].By != "" || len(res.Names) != 0 || len(res.Comments) != 2 || res.Comments[1].Position != 2 {
		t.Errorf("%+v", res)
	}
	if !cfg.MayRepeat("P") || !cfg.MayRepeat("c") {
		t.Error("link and comment headers may repeat")
	}
}

func TestCommentsFileMapping(t *testing.T) {
	cfg, err := Parse("m.yaml", []byte(`type: issue
key: Issue key
comments:
  key: Issue
  body: Text
  id: Comment id
  author: By
  date: When
  format: "2006-01-02 15:04"
  visibility: Audience
  defaults: {visibility: private}
`))
	if err != nil {
		t.Fatal(err)
	}
	header := []string{"Comment id", "Issue", "By", "When", "Text", "Audience"}
	cm, err := CompileComments(cfg, header, nil)
	if err != nil {
		t.Fatal(err)
	}
	row := func(cells ...string) source.Row { return textRow(cells...) }
	got := cm.Map(row("c1", "BILL-1", "alice", "2024-03-05 14:30", "hello", ""))
	want := Comment{Body: "hello", Author: "alice", Date: time.Date(2024, 3, 5, 14, 30, 0, 0, time.UTC), SourceID: "c1", Visibility: "private", Col: 4, Column: "Text"}
	if got.Key != "BILL-1" || !reflect.DeepEqual(got.Comment, want) || len(got.Problems) > 0 {
		t.Errorf("got %+v", got)
	}
	if got := cm.Map(row("c2", "BILL-1", "", "", "hi", "External")); got.Comment.Visibility != "external" {
		t.Errorf("visibility %q", got.Comment.Visibility)
	}
	bad := cm.Map(row("c3", "", "", "5 March", " ", "customers"))
	want2 := []string{
		`@1 (key): the comment's key is empty: which work is it on?`,
		`@4 (body): the comment's text is empty`,
		`@3 (date): "5 March" is not a date in the form "2006-01-02 15:04"`,
		`@5 (visibility): "customers" is not one of private, internal, external, public`,
	}
	gotP := probStrings(bad.Problems)
	if len(gotP) != len(want2) {
		t.Fatalf("problems %v", gotP)
	}
	for i := range want2 {
		if !strings.HasPrefix(gotP[i], want2[i]) {
			t.Errorf("problem %d: %q, want %q", i, gotP[i], want2[i])
		}
	}
	if _, err := CompileComments(cfg, []string{"Issue", "Txt"}, nil); err == nil || !strings.Contains(err.Error(), `m.yaml:4:3: comments body: column "Text" is not in the comments file's header (did you mean "Txt"?)`) {
		t.Errorf("missing column: %v", err)
	}
	noSection, _ := Parse("m.yaml", []byte("type: issue\n"))
	if _, err := CompileComments(noSection, header, nil); err == nil || !strings.Contains(err.Error(), "needs a comments: section") {
		t.Errorf("no section: %v", err)
	}
}

// Any cell: no panic; a comment read has text, and its text ends the cell.
func FuzzJiraComment(f *testing.F) {
	for _, s := range []string{"05/Mar/24 2:30 PM;alice@example.com;text", ";;", "a;b;c;d", "05/Mar/24 2:30 PM;;\n", "2024-03-05T14:30:00Z;x;y", "\xff;\xfe;\xfd"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		c, msg := parseJiraComment(s, JiraCommentLayout, time.UTC, Comment{})
		if msg != "" {
			return
		}
		if c.Body == "" || !strings.Contains(s, c.Body) || c.Date.IsZero() {
			t.Errorf("%q read as %+v", s, c)
		}
	})
}
