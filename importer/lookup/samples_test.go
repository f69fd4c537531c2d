package lookup

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"reflect"
	"sort"
	"strings"
	"testing"

	"github.com/devrev-import/devrev-import/importer/schema"
	"github.com/devrev-import/devrev-import/importer/source"
	"github.com/devrev-import/devrev-import/mapping"
)

// TestSamples maps the Jira and Zendesk samples with their mappings, runs
// the lookups and the live-schema check against the simulator, and
// creates every valid row there: exactly the rows listed in
// samples/README.md fail, each for its one reason, and the rest are
// accepted by works.create.
func TestSamples(t *testing.T) {
	for _, tc := range []struct {
		file, mapping string
		opt           source.Options
		rows          int
		invalid       map[int]string
		maxListCalls  int
	}{
		{
			file: "jira-issues.csv", mapping: "jira-issues.yaml",
			opt:  source.Options{AllowDuplicate: func(h string) bool { return strings.EqualFold(h, "Labels") }},
			rows: 15,
			invalid: map[int]string{
				6:  `col 6 Assignee (owned_by) "bob@exmaple.com": is not a dev user in this org (did you mean bob@example.com?)`,
				8:  `col 14 Component/s (applies_to_part) "Payments": is not a part in this org`,
				11: `col 7 Reporter (reported_by) "Carol Chen": matches 2 dev users: DEVU-3 (carol@example.com), DEVU-5 (carol.chen@example.com)`,
			},
			maxListCalls: 25,
		},
		{
			file: "zendesk-tickets.xlsx", mapping: "zendesk-tickets.yaml",
			opt:  source.Options{Sheet: "Tickets"},
			rows: 15,
			invalid: map[int]string{
				5:  `col 9 Assignee email (owned_by) "dan@exampel.com": is not a dev user in this org (did you mean dan@example.com?)`,
				9:  `col 10 Organization (account) "Umbrella Corp": is not an account in this org`,
				13: `col 12 Tags (tags) "securty": is not a tag in this org (did you mean security?)`,
			},
			maxListCalls: 25,
		},
	} {
		t.Run(tc.file, func(t *testing.T) {
			s := startSim(t)
			r := newResolver(t, s, Options{})
			cfg, err := mapping.Load(filepath.Join("..", "..", "samples", tc.mapping))
			if err != nil {
				t.Fatal(err)
			}
			src, err := source.Open(filepath.Join("..", "..", "samples", tc.file), tc.opt)
			if err != nil {
				t.Fatal(err)
			}
			defer src.Close()
			m, warns, err := mapping.Compile(cfg, src.Header(), mapping.Options{Strict: true})
			if err != nil || len(warns) > 0 {
				t.Fatalf("compile: %v %v", err, warns)
			}
			client := newClient(t, s.URL)
			sch, err := schema.Fetch(context.Background(), client, retrier(), []string{m.Type()})
			if err != nil {
				t.Fatal(err)
			}
			enrich := schema.Chain(r.Enricher(m), sch.Enricher(cfg, m))

			got := map[int]string{}
			valid := 0
			for {
				row, err := src.Next()
				if errors.Is(err, io.EOF) {
					break
				}
				if err != nil {
					t.Fatal(err)
				}
				res := m.Map(row)
				if len(res.Problems) == 0 {
					if res.Problems, err = enrich(context.Background(), res.Work, row); err != nil {
						t.Fatal(err)
					}
				}
				if len(res.Problems) > 0 {
					got[row.Number] = problemsText(res.Problems)
					continue
				}
				valid++
				checkResolved(t, row.Number, res.Work)
				body, err := json.Marshal(res.Work)
				if err != nil {
					t.Fatal(err)
				}
				if _, _, err := client.CreateWork(context.Background(), body); err != nil {
					t.Errorf("row %d: works.create refused the resolved body: %v\n%s", row.Number, err, body)
				}
			}
			if !reflect.DeepEqual(got, tc.invalid) {
				t.Errorf("invalid rows:\n%s\nwant:\n%s", render(got), render(tc.invalid))
			}
			if want := tc.rows - len(tc.invalid); valid != want {
				t.Errorf("%d valid rows, want %d", valid, want)
			}
			lists := 0
			for p, n := range listCalls(s) {
				if strings.HasSuffix(p, ".list") {
					lists += n
				}
			}
			if lists > tc.maxListCalls {
				t.Errorf("%d list calls for %d rows; lookups are not cached (%v)", lists, tc.rows, listCalls(s))
			}
		})
	}
}

// checkResolved fails when a lookup field of a valid row still holds a
// name instead of an ID.
func checkResolved(t *testing.T, row int, w *mapping.Work) {
	t.Helper()
	vals := append(append(append([]string{}, w.OwnedBy...), w.ReportedBy...), w.AppliesToPart, w.Account, w.RevOrg)
	for _, tag := range w.Tags {
		vals = append(vals, tag.ID)
	}
	for _, v := range vals {
		if v != "" && !isAnyID(v) {
			t.Errorf("row %d: %q was not resolved", row, v)
		}
	}
}

func render(m map[int]string) string {
	var keys []int
	for k := range m {
		keys = append(keys, k)
	}
	sort.Ints(keys)
	var b strings.Builder
	for _, k := range keys {
		fmt.Fprintf(&b, "  row %d: %s\n", k, m[k])
	}
	return b.String()
}
