package lookup

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"sync"
	"testing"

	"github.com/devrev-import/devrev-import/importer/devrev"
	"github.com/devrev-import/devrev-import/importer/simulator"
	"github.com/devrev-import/devrev-import/importer/throttle"
	"github.com/devrev-import/devrev-import/mapping"
)

func TestResolve(t *testing.T) {
	s := startSim(t)
	r := newResolver(t, s, Options{})
	for _, tc := range []struct {
		kind, value string
		id          string // want this ID
		msg         string // or this message
	}{
		// dev_user.email: case-insensitive.
		{"dev_user.email", "bob@example.com", don("identity", "devu", "2"), ""},
		{"dev_user.email", "Carol.Chen@Example.COM", don("identity", "devu", "5"), ""},
		{"dev_user.email", "bob@exmaple.com", "", "is not a dev user in this org (did you mean bob@example.com?)"},
		{"dev_user.email", "zed@nowhere.invalid", "", "is not a dev user in this org"},
		// dev_user.name: display name or full name, exact then folded.
		{"dev_user.name", "Bob Builder", don("identity", "devu", "2"), ""},
		{"dev_user.name", "dan", don("identity", "devu", "4"), ""},
		{"dev_user.name", "carol", don("identity", "devu", "3"), ""},
		{"dev_user.name", "carol.c", don("identity", "devu", "5"), ""},
		{"dev_user.name", "alice   ADMIN", don("identity", "devu", "1"), ""},
		{"dev_user.name", "Carol Chen", "", "matches 2 dev users: DEVU-3 (carol@example.com), DEVU-5 (carol.chen@example.com)"},
		{"dev_user.name", "carol chen", "", "matches 2 dev users: DEVU-3 (carol@example.com), DEVU-5 (carol.chen@example.com)"},
		{"dev_user.name", "Dan Dias", "", "is not a dev user in this org (did you mean Dan Diaz?)"},
		// part.name, tag.name, account.name, rev_org.name.
		{"part.name", "Billing", don("core", "product", "1"), ""},
		{"part.name", "pdf export", don("core", "feature", "1"), ""},
		{"part.name", "Faster Sync", don("core", "enhancement", "1"), ""},
		{"part.name", "Invoices", don("core", "capability", "1"), ""},
		{"part.name", "Billling", "", "is not a part in this org (did you mean Billing?)"},
		{"part.name", "Warehouse", "", "is not a part in this org"},
		{"tag.name", "bug", don("core", "tag", "1"), ""},
		{"tag.name", "Customer-Reported", don("core", "tag", "2"), ""},
		{"tag.name", "regresion", "", "is not a tag in this org (did you mean regression?)"},
		{"account.name", "Acme Corp", don("identity", "account", "1"), ""},
		{"account.name", "initech", don("identity", "account", "3"), ""},
		{"account.name", "Umbrella Corp", "", "is not an account in this org"},
		{"rev_org.name", "Globex", don("identity", "revo", "2"), ""},
		{"rev_org.name", "Globx", "", "is not a Rev org in this org (did you mean Globex?)"},
		// IDs pass through unchanged, whatever their form.
		{"dev_user.email", "DEVU-3", "DEVU-3", ""},
		{"dev_user.name", don("identity", "devu", "3"), don("identity", "devu", "3"), ""},
		{"part.name", "PROD-1", "PROD-1", ""},
		{"part.name", "ENH-1", "ENH-1", ""},
		{"tag.name", "TAG-2", "TAG-2", ""},
		{"account.name", "ACC-1", "ACC-1", ""},
		{"rev_org.name", "REV-3", "REV-3", ""},
		// An ID of another kind is a value like any other.
		{"dev_user.email", "TAG-1", "", "is not a dev user in this org"},
	} {
		t.Run(tc.kind+"/"+tc.value, func(t *testing.T) {
			k, ok := kindOf(tc.kind)
			if !ok {
				t.Fatalf("unknown kind %q", tc.kind)
			}
			out := r.resolve(context.Background(), k, tc.value)
			if out.id != tc.id || out.msg != tc.msg {
				t.Errorf("resolve(%s, %q) = id %q msg %q; want id %q msg %q", tc.kind, tc.value, out.id, out.msg, tc.id, tc.msg)
			}
		})
	}
}

func TestIDsMakeNoCalls(t *testing.T) {
	s := startSim(t)
	r := newResolver(t, s, Options{})
	for _, v := range []string{"DEVU-1", "DEVU-5", don("identity", "devu", "2")} {
		if out := r.resolve(context.Background(), devUserEmail, v); out.id != v {
			t.Errorf("%q resolved to %+v", v, out)
		}
	}
	if calls := listCalls(s); len(calls) != 0 {
		t.Errorf("IDs made calls: %v", calls)
	}
	if asked, cached := r.Stats(); asked != 0 || cached != 0 {
		t.Errorf("Stats() = %d, %d; want 0, 0", asked, cached)
	}
}

func TestIsID(t *testing.T) {
	for _, tc := range []struct {
		k    kind
		v    string
		want bool
	}{
		{devUserEmail, "DEVU-12", true},
		{devUserEmail, "devu-12", false},
		{devUserEmail, "DEVU-", false},
		{devUserEmail, "DEVU-1 2", false},
		{devUserEmail, "don:identity:dvrv-us-1:devo/0:devu/7", true},
		{devUserEmail, "don:identity:dvrv-us-1:devo/0:revu/7", false},
		{devUserEmail, "don:devu/7", false},
		{partName, "CAPL-3", true},
		{partName, "PDF-Export", false},
		{tagName, "customer-reported", false},
		{tagName, "feature-request", false},
		{revOrgName, "REV-1", true},
		{revOrgName, "REVU-1", false},
		{accountName, "don:identity:dvrv-us-1:devo/0:account/1", true},
	} {
		if got := isID(tc.k, tc.v); got != tc.want {
			t.Errorf("isID(%s, %q) = %v, want %v", kinds[tc.k].name, tc.v, got, tc.want)
		}
	}
}

// TestCacheHits: 300 rows with 3 distinct assignees and 2 distinct
// components make one call per distinct value.
func TestCacheHits(t *testing.T) {
	s := startSim(t)
	r := newResolver(t, s, Options{})
	header := []string{"Summary", "Assignee", "Component"}
	m := compile(t, `
type: issue
columns:
  Summary: title
  Assignee: {field: owned_by, lookup: dev_user.email}
  Component: {field: applies_to_part, lookup: part.name}
`, header)
	f := r.Enricher(m)
	emails := []string{"bob@example.com", "Dan@Example.com", "carol@example.com"}
	parts := []string{"Billing", "Mobile App"}
	wantOwner := []string{don("identity", "devu", "2"), don("identity", "devu", "4"), don("identity", "devu", "3")}
	wantPart := []string{don("core", "product", "1"), don("core", "product", "2")}
	const rows = 300
	for i := range rows {
		w, probs := enrich(t, m, f, textRow(i+2, fmt.Sprintf("row %d", i), emails[i%3], parts[i%2]))
		if len(probs) > 0 {
			t.Fatalf("row %d: %+v", i+2, probs)
		}
		if !reflect.DeepEqual(w.OwnedBy, []string{wantOwner[i%3]}) || w.AppliesToPart != wantPart[i%2] {
			t.Fatalf("row %d: owned_by %v, applies_to_part %q", i+2, w.OwnedBy, w.AppliesToPart)
		}
	}
	calls := listCalls(s)
	if calls["/dev-users.list"] != 3 || calls["/parts.list"] != 2 || len(calls) != 2 {
		t.Errorf("list calls %v; want 3 dev-users.list and 2 parts.list", calls)
	}
	if asked, cached := r.Stats(); asked != 5 || cached != 2*rows-5 {
		t.Errorf("Stats() = %d, %d; want 5, %d", asked, cached, 2*rows-5)
	}
}

// TestPagination reads a list longer than one page by its cursors, once.
func TestPagination(t *testing.T) {
	s := startSim(t)
	r := newResolver(t, s, Options{PageSize: 2})
	for _, tc := range []struct{ name, id string }{
		{"Carol C", ""}, // a miss reads the whole list: 5 users in 3 pages
		{"carol.c", don("identity", "devu", "5")}, // on the last page
		{"Dan Diaz", don("identity", "devu", "4")},
		{"alice", don("identity", "devu", "1")},
	} {
		out := r.resolve(context.Background(), devUserName, tc.name)
		if out.id != tc.id {
			t.Errorf("%q: %+v, want %q", tc.name, out, tc.id)
		}
	}
	if got := listCalls(s)["/dev-users.list"]; got != 3 {
		t.Errorf("%d dev-users.list calls; want 3 (5 users, pages of 2, read once)", got)
	}
	// A filtered kind of the same list uses the index read above.
	if out := r.resolve(context.Background(), devUserEmail, "dan@example.com"); out.id != don("identity", "devu", "4") {
		t.Errorf("email after index: %+v", out)
	}
	if got := listCalls(s)["/dev-users.list"]; got != 3 {
		t.Errorf("%d dev-users.list calls after an email lookup; want still 3", got)
	}
}

// TestEnricherFields resolves every lookup field of a row, list fields
// element by element, keeps IDs and reports each bad cell at its column.
func TestEnricherFields(t *testing.T) {
	s := startSim(t)
	r := newResolver(t, s, Options{})
	header := []string{"Subject", "Assignee", "Reporter", "Product", "Customer", "Org", "Labels", "Labels", "Labels"}
	m := compile(t, `
type: ticket
columns:
  Subject: title
  Assignee: {field: owned_by, lookup: dev_user.email, split: ";"}
  Reporter: {field: reported_by, lookup: dev_user.name}
  Product: {field: applies_to_part, lookup: part.name}
  Customer: {field: account, lookup: account.name}
  Org: {field: rev_org, lookup: rev_org.name}
  Labels: {field: tags, lookup: tag.name}
defaults:
  owned_by: [DEVU-1]
`, header)
	f := r.Enricher(m)

	w, probs := enrich(t, m, f, textRow(2, "ok", "bob@example.com; DEVU-4;DAN@example.com", "carol,Bob Builder", "billing", "Globex", "Initech", "bug", "customer-reported=high", ""))
	want := problemsText(nil)
	if got := problemsText(probs); got != want {
		t.Errorf("row 2 problems:\n%s", got)
	}
	if want := []string{don("identity", "devu", "2"), "DEVU-4", don("identity", "devu", "4")}; !reflect.DeepEqual(w.OwnedBy, want) {
		t.Errorf("owned_by %v, want %v", w.OwnedBy, want)
	}
	if w.AppliesToPart != don("core", "product", "1") || w.Account != don("identity", "account", "2") || w.RevOrg != don("identity", "revo", "3") {
		t.Errorf("part %q account %q rev_org %q", w.AppliesToPart, w.Account, w.RevOrg)
	}
	if want := []mapping.SetTag{{ID: don("core", "tag", "1")}, {ID: don("core", "tag", "2"), Value: "high"}}; !reflect.DeepEqual(w.Tags, want) {
		t.Errorf("tags %+v, want %+v", w.Tags, want)
	}
	if want := []string{don("identity", "devu", "3"), don("identity", "devu", "2")}; !reflect.DeepEqual(w.ReportedBy, want) {
		t.Errorf("reported_by %v, want %v", w.ReportedBy, want)
	}

	_, probs = enrich(t, m, f, textRow(3, "bad", "bob@exmaple.com", "Carol Chen", "Billling", "Umbrella", "Globex", "bug", "", "regresion"))
	want = strings.Join([]string{
		`col 1 Assignee (owned_by) "bob@exmaple.com": is not a dev user in this org (did you mean bob@example.com?)`,
		`col 2 Reporter (reported_by) "Carol Chen": matches 2 dev users: DEVU-3 (carol@example.com), DEVU-5 (carol.chen@example.com)`,
		`col 3 Product (applies_to_part) "Billling": is not a part in this org (did you mean Billing?)`,
		`col 4 Customer (account) "Umbrella": is not an account in this org`,
		`col 8 Labels (tags) "regresion": is not a tag in this org (did you mean regression?)`,
	}, "\n")
	if got := problemsText(probs); got != want {
		t.Errorf("row 3 problems:\n%s\nwant:\n%s", got, want)
	}

	// An empty assignee takes the default ID, which needs no lookup.
	w, probs = enrich(t, m, f, textRow(4, "default", "", "", "PROD-2", "", "", "", "", ""))
	if len(probs) != 0 || !reflect.DeepEqual(w.OwnedBy, []string{"DEVU-1"}) || w.AppliesToPart != "PROD-2" {
		t.Errorf("row 4: owned_by %v part %q problems %+v", w.OwnedBy, w.AppliesToPart, probs)
	}
}

// TestEnricherTwoColumnsOneField: two lookup columns of different kinds
// feed one list field; each value is resolved with its own column's kind.
func TestEnricherTwoColumnsOneField(t *testing.T) {
	s := startSim(t)
	r := newResolver(t, s, Options{})
	header := []string{"Title", "Owner email", "Owner name"}
	m := compile(t, `
type: issue
columns:
  Title: title
  Owner email: {field: owned_by, lookup: dev_user.email}
  Owner name: {field: owned_by, lookup: dev_user.name}
defaults:
  applies_to_part: PROD-1
`, header)
	f := r.Enricher(m)
	w, probs := enrich(t, m, f, textRow(2, "x", "bob@example.com", "Dan Diaz"))
	if len(probs) != 0 || !reflect.DeepEqual(w.OwnedBy, []string{don("identity", "devu", "2"), don("identity", "devu", "4")}) {
		t.Errorf("owned_by %v problems %+v", w.OwnedBy, probs)
	}
	_, probs = enrich(t, m, f, textRow(3, "x", "bob@example.com", "Dan Dias"))
	if got, want := problemsText(probs), `col 2 Owner name (owned_by) "Dan Dias": is not a dev user in this org (did you mean Dan Diaz?)`; got != want {
		t.Errorf("problems:\n%s\nwant:\n%s", got, want)
	}
}

// problemsText renders problems one a line for comparisons.
func problemsText(probs []mapping.Problem) string {
	var lines []string
	for _, p := range probs {
		lines = append(lines, fmt.Sprintf("col %d %s (%s) %q: %s", p.Col, p.Column, p.Field, p.Value, p.Msg))
	}
	return strings.Join(lines, "\n")
}

func TestCacheFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "lookups.json")

	s1 := startSim(t)
	r1 := newResolver(t, s1, Options{CachePath: path})
	for _, c := range []struct {
		k kind
		v string
	}{{devUserEmail, "Bob@Example.com"}, {partName, "Billing"}, {devUserName, "Carol Chen"}, {tagName, "nope"}} {
		r1.resolve(context.Background(), c.k, c.v)
	}
	if err := r1.Close(); err != nil {
		t.Fatal(err)
	}
	st, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if st.Mode().Perm() != 0o600 {
		t.Errorf("cache file mode %v, want 0600", st.Mode().Perm())
	}
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var f cacheFile
	if err := json.Unmarshal(data, &f); err != nil {
		t.Fatal(err)
	}
	want := cacheFile{Version: 1, Org: "dvrv-us-1:devo/sandbox", IDs: map[string]map[string]string{
		"dev_user.email": {"bob@example.com": don("identity", "devu", "2")},
		"part.name":      {"Billing": don("core", "product", "1")},
	}}
	if !reflect.DeepEqual(f, want) {
		t.Errorf("cache file %+v, want %+v (misses and ambiguities are not stored)", f, want)
	}

	// A second run answers from the file: one dev-users.self, no list call.
	s2 := startSim(t)
	r2 := newResolver(t, s2, Options{CachePath: path})
	if out := r2.resolve(context.Background(), devUserEmail, "BOB@example.com"); out.id != don("identity", "devu", "2") {
		t.Errorf("from file: %+v", out)
	}
	if out := r2.resolve(context.Background(), partName, "Billing"); out.id != don("core", "product", "1") {
		t.Errorf("from file: %+v", out)
	}
	if calls := listCalls(s2); !reflect.DeepEqual(calls, map[string]int{"/dev-users.self": 1}) {
		t.Errorf("second run calls %v; want only one dev-users.self", calls)
	}
	if asked, cached := r2.Stats(); asked != 0 || cached != 2 {
		t.Errorf("Stats() = %d, %d; want 0, 2", asked, cached)
	}
	// New resolutions are added to the file, old ones kept.
	r2.resolve(context.Background(), tagName, "bug")
	if err := r2.Close(); err != nil {
		t.Fatal(err)
	}
	f = cacheFile{}
	data, _ = os.ReadFile(path)
	if err := json.Unmarshal(data, &f); err != nil {
		t.Fatal(err)
	}
	if len(f.IDs["dev_user.email"]) != 1 || len(f.IDs["part.name"]) != 1 || f.IDs["tag.name"]["bug"] != don("core", "tag", "1") {
		t.Errorf("merged cache %+v", f.IDs)
	}

	// A file written for another org is not used.
	other := strings.ReplaceAll(string(data), "devo/sandbox", "devo/elsewhere")
	if err := os.WriteFile(path, []byte(other), 0o600); err != nil {
		t.Fatal(err)
	}
	s3 := startSim(t)
	r3 := newResolver(t, s3, Options{CachePath: path})
	if out := r3.resolve(context.Background(), devUserEmail, "bob@example.com"); out.id != don("identity", "devu", "2") {
		t.Errorf("other org: %+v", out)
	}
	if got := listCalls(s3)["/dev-users.list"]; got != 1 {
		t.Errorf("other org's file: %d dev-users.list calls, want 1", got)
	}
}

func TestCacheFileBad(t *testing.T) {
	s := startSim(t)
	dir := t.TempDir()
	for name, content := range map[string]string{
		"garbage": "{not json",
		"version": `{"version": 7, "org": "x", "ids": {}}`,
	} {
		path := filepath.Join(dir, name)
		if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
		_, err := New(Options{Client: newClient(t, s.URL), Retrier: retrier(), CachePath: path})
		if err == nil || !strings.Contains(err.Error(), "delete it") {
			t.Errorf("%s: err %v, want a lookup cache error", name, err)
		}
	}
	// A missing file is an empty cache, and nothing resolved leaves none.
	path := filepath.Join(dir, "new.json")
	r := newResolver(t, s, Options{CachePath: path})
	if err := r.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(path); !os.IsNotExist(err) {
		t.Errorf("Close without lookups wrote %s (%v)", path, err)
	}
}

func TestNewChecks(t *testing.T) {
	if _, err := New(Options{Retrier: retrier()}); err == nil {
		t.Error("no client: no error")
	}
	if _, err := New(Options{Client: newClient(t, "http://127.0.0.1:1")}); err == nil {
		t.Error("no limiter: no error")
	}
}

// TestConcurrent resolves the same few values from many goroutines: each
// is asked once, every caller gets the same answer.
func TestConcurrent(t *testing.T) {
	s := startSim(t)
	r := newResolver(t, s, Options{})
	header := []string{"Title", "Assignee", "Tags"}
	m := compile(t, `
type: issue
columns:
  Title: title
  Assignee: {field: owned_by, lookup: dev_user.email}
  Tags: {field: tags, lookup: tag.name}
defaults:
  applies_to_part: PROD-1
`, header)
	f := r.Enricher(m)
	emails := []string{"alice@example.com", "bob@example.com", "carol@example.com", "dan@example.com", "bob@exmaple.com"}
	tags := []string{"bug", "security", "regression"}
	var wg sync.WaitGroup
	errs := make(chan string, 64)
	for g := range 16 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 50 {
				n := g*50 + i
				res := m.Map(textRow(n+2, "t", emails[n%5], tags[n%3]))
				probs, err := f(context.Background(), res.Work, textRow(n+2, "t", emails[n%5], tags[n%3]))
				bad := n%5 == 4
				if err != nil || bad != (len(probs) == 1) || (!bad && len(res.Work.OwnedBy) != 1) {
					errs <- fmt.Sprintf("row %d: %+v %+v", n, res.Work.OwnedBy, probs)
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for e := range errs {
		t.Error(e)
	}
	calls := listCalls(s)
	// 5 emails (the typo also reads the whole list once) and 3 tags.
	if calls["/dev-users.list"] != 6 || calls["/tags.list"] != 3 {
		t.Errorf("calls %v; want 6 dev-users.list, 3 tags.list", calls)
	}
	if asked, cached := r.Stats(); asked != 8 || asked+cached != 16*50*2 {
		t.Errorf("Stats() = %d, %d", asked, cached)
	}
}

// TestNetworkFailure: a lookup the retrier gives up on because the API is
// unreachable stops the run (an error, not a problem on the cell) and is
// not written to the cache file.
func TestNetworkFailure(t *testing.T) {
	path := filepath.Join(t.TempDir(), "c.json")
	r, err := New(Options{Client: newClient(t, deadURL(t)), Retrier: retrier(), CachePath: path})
	if err != nil {
		t.Fatal(err)
	}
	header := []string{"Title", "Assignee"}
	m := compile(t, "type: issue\ncolumns:\n  Title: title\n  Assignee: {field: owned_by, lookup: dev_user.email}\ndefaults:\n  applies_to_part: PROD-1\n", header)
	row := textRow(2, "t", "bob@example.com")
	res := m.Map(row)
	probs, err := r.Enricher(m)(context.Background(), res.Work, row)
	var te *devrev.TransportError
	if len(probs) != 0 || !errors.As(err, &te) || !throttle.RunEnding(err) {
		t.Errorf("problems %+v, err %v; want no problem and the transport error", probs, err)
	}
	if err := r.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(path); !os.IsNotExist(err) {
		t.Errorf("a failed lookup wrote the cache file (%v)", err)
	}

	// A cancelled run: the problem says so and the value is asked again
	// next time.
	s := startSim(t)
	r2 := newResolver(t, s, Options{})
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if out := r2.resolve(ctx, devUserEmail, "bob@example.com"); out.id != "" || !strings.Contains(out.msg, "context canceled") {
		t.Errorf("cancelled: %+v", out)
	}
	if out := r2.resolve(context.Background(), devUserEmail, "bob@example.com"); out.id != don("identity", "devu", "2") {
		t.Errorf("after cancel: %+v", out)
	}
}

func TestSuggest(t *testing.T) {
	choices := []string{"bob@example.com", "carol@example.com", "Billing", "Mobile App"}
	for _, tc := range []struct{ in, want string }{
		{"bob@exmaple.com", "bob@example.com"},
		{"billng", "Billing"},
		{"mobile  app", "Mobile App"},
		{"Warehouse", ""},
		{"", ""},
	} {
		if got := suggest(tc.in, choices); got != tc.want {
			t.Errorf("suggest(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

// BenchmarkEnricherCached measures the per-row cost of resolving values
// already cached (the steady state of a large import).
func BenchmarkEnricherCached(b *testing.B) {
	s, err := simulator.Start(simulator.Options{})
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	c, err := devrev.New(devrev.Options{Endpoint: s.URL, Token: simulator.DefaultToken})
	if err != nil {
		b.Fatal(err)
	}
	r, err := New(Options{Client: c, Retrier: retrier()})
	if err != nil {
		b.Fatal(err)
	}
	header := []string{"Title", "Assignee", "Labels", "Labels"}
	cfg, err := mapping.Parse("b.yaml", []byte("type: issue\ncolumns:\n  Title: title\n  Assignee: {field: owned_by, lookup: dev_user.email}\n  Labels: {field: tags, lookup: tag.name}\ndefaults:\n  applies_to_part: PROD-1\n"))
	if err != nil {
		b.Fatal(err)
	}
	m, _, err := mapping.Compile(cfg, header, mapping.Options{})
	if err != nil {
		b.Fatal(err)
	}
	f := r.Enricher(m)
	row := textRow(2, "t", "bob@example.com", "bug", "security")
	var w mapping.Work
	m.MapInto(&w, row)
	if probs, err := f(context.Background(), &w, row); len(probs) > 0 || err != nil {
		b.Fatal(probs, err)
	}
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		m.MapInto(&w, row)
		f(context.Background(), &w, row)
	}
}

// TestAPIStateIsNotTheRowsFault: a list call refused for the request
// (400) is a problem on the cell; a server failing (503), refusing the
// token (401) or its permissions (403) is the API's state: an error that
// stops the run, never an invalid row.
func TestAPIStateIsNotTheRowsFault(t *testing.T) {
	header := []string{"Title", "Assignee"}
	m := compile(t, "type: issue\ncolumns:\n  Title: title\n  Assignee: {field: owned_by, lookup: dev_user.email}\ndefaults:\n  applies_to_part: PROD-1\n", header)
	for _, c := range []struct {
		status  int
		rowProb bool
	}{{400, true}, {401, false}, {403, false}, {503, false}} {
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(c.status)
			fmt.Fprintf(w, `{"type":"http_%d","message":"no"}`, c.status)
		}))
		r, err := New(Options{Client: newClient(t, srv.URL), Retrier: retrier()})
		if err != nil {
			t.Fatal(err)
		}
		row := textRow(2, "t", "bob@example.com")
		res := m.Map(row)
		probs, err := r.Enricher(m)(context.Background(), res.Work, row)
		if c.rowProb && (err != nil || len(probs) != 1) {
			t.Errorf("%d: problems %+v err %v, want one problem on the cell", c.status, probs, err)
		}
		if !c.rowProb && (err == nil || len(probs) != 0) {
			t.Errorf("%d: problems %+v err %v, want an error and no problem", c.status, probs, err)
		}
		srv.Close()
	}
}
