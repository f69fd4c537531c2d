package main

import (
	"bytes"
	"io"
	"os"
	"path/filepath"
	"testing"

	"github.com/devrev-import/devrev-import/importer/relations"
	"github.com/devrev-import/devrev-import/importer/source"
	"github.com/devrev-import/devrev-import/mapping"
)

// The generated export maps without a problem, and every link and comment
// resolves: 1,500 issues 3 levels deep, 500 comment cells, 3,000 comments.
func TestJiraExport(t *testing.T) {
	dir := t.TempDir()
	out := filepath.Join(dir, "jira.csv")
	var stdout bytes.Buffer
	if err := run([]string{"jira", "-rows", "1500", "-comments", "3000", "-out", out}, &stdout, io.Discard); err != nil {
		t.Fatal(err)
	}
	cfg, err := mapping.Load(out + ".yaml")
	if err != nil {
		t.Fatal(err)
	}
	src, err := source.Open(out, source.Options{AllowDuplicate: cfg.MayRepeat})
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	m, warns, err := mapping.Compile(cfg, src.Header(), mapping.Options{})
	if err != nil || len(warns) > 0 {
		t.Fatalf("compile: %v %v", err, warns)
	}
	ix := relations.New(relations.Options{Where: src.Where})
	defer ix.Close()
	rows, parents := 0, 0
	for {
		row, err := src.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		rows++
		res := m.Map(row)
		if len(res.Problems) > 0 {
			t.Fatalf("row %d: %v", row.Number, res.Problems)
		}
		for _, l := range res.Links {
			if l.Link == "parent" {
				parents++
			}
		}
		if err := ix.Add(row, res); err != nil {
			t.Fatal(err)
		}
	}
	cf, err := relations.OpenComments(out+".comments.csv", source.Options{}, cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer cf.Close()
	if msgs, n, err := relations.Check(cf, ix, 5); err != nil || n > 0 {
		t.Fatalf("comments file: %v %v", msgs, err)
	}
	rep, err := ix.Finish()
	if err != nil {
		t.Fatal(err)
	}
	if rows != 1500 || parents != 1425 || rep.Comments != 3500 || len(rep.Problems) > 0 || rep.Links != 1425+450 {
		t.Errorf("rows %d parents %d, report %+v", rows, parents, rep)
	}
	// The same seed, the same files.
	again := filepath.Join(dir, "again.csv")
	if err := run([]string{"jira", "-rows", "1500", "-comments", "3000", "-out", again}, io.Discard, io.Discard); err != nil {
		t.Fatal(err)
	}
	for _, suffix := range []string{"", ".comments.csv"} {
		a, _ := os.ReadFile(out + suffix)
		b, _ := os.ReadFile(again + suffix)
		if !bytes.Equal(a, b) {
			t.Errorf("%s differs between two runs with the same seed", suffix)
		}
	}
}
