package main

import (
	"bytes"
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"

	"github.com/devrev-import/devrev-import/importer/simulator"
)

// syncResult is the nightly-sync measurement (issue 13): an upsert over a
// file the checkpoint holds unchanged against validate of the same file,
// and the checkpoint's size after a create-only import and after an
// upsert that changed every row.
type syncResult struct {
	Rows      int
	Upserts   []readRun // import --mode upsert over the unchanged file, Repeat runs
	Validates []readRun // validate of the same file, run right after each upsert
	Writes    int       // creates + updates the simulator received during those upserts
	Unchanged int       // the last unchanged upsert's summary count
	CreateCk  int64     // bytes of the checkpoint after the create-only import
	SyncCk    int64     // bytes after the upsert that changed every row
	Updated   int       // that upsert's summary count
	// Resalted are two upserts over the unchanged file after a comment was
	// added to the mapping (the row digests' salt changes, as after an
	// upgrade of the tool): the first compares every row and records its
	// new digest, the second settles them from their cells again.
	// ResaltedCk is how many bytes the first added to the checkpoint.
	Resalted   []readRun
	ResaltedCk int64
}

// syncCheck imports SyncFile (a copy, in Tmp/sync) into a fresh simulator,
// then runs Repeat pairs of an upsert over the unchanged copy and a
// validate of it, then edits every row's title and upserts again, then
// salts the digests anew and upserts twice (resalted).
func (b *bench) syncCheck(ctx context.Context) (*syncResult, error) {
	c := b.cfg
	dir := filepath.Join(c.Tmp, "sync")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("sync: %w", err)
	}
	file := filepath.Join(dir, "sync.csv")
	for _, ext := range []string{"", ".yaml"} {
		if err := copyFile(c.SyncFile+ext, file+ext); err != nil {
			return nil, fmt.Errorf("sync: %w", err)
		}
	}
	defer os.RemoveAll(dir)
	sim, err := startSim(simulator.Options{})
	if err != nil {
		return nil, err
	}
	defer sim.Close()
	ck := filepath.Join(dir, "sync.checkpoint.jsonl")
	sum := filepath.Join(c.Tmp, "sync.summary.json")
	args := []string{"import", file, "--mapping", file + ".yaml", "--progress", "never", "--checkpoint", ck,
		"--errors-csv", filepath.Join(c.Tmp, "sync.errors.csv"), "--summary-json", sum}
	upsert := append(slices.Clone(args), "--mode", "upsert")
	b.note(nil, "# simulator served by benchtool in-process, as `devrev-import sandbox --limit 0 --latency 0`; sync.csv: a copy of the -sync-file CSV")
	b.note([]string{"DEVREV_ENDPOINT=http://127.0.0.1:PORT", "DEVREV_TOKEN=" + simulator.DefaultToken}, c.Bin, upsert...)
	res := &syncResult{}
	run := func(what string, argv []string) (proc, summary, error) {
		p, err := runChild(ctx, c.Self, c.Tmp, sandboxEnv(sim.URL), c.Bin, argv...)
		if err == nil {
			err = p.expect(what, 0)
		}
		if err != nil {
			return p, summary{}, err
		}
		s, err := readSummary(sum)
		return p, s, err
	}
	b.logf("sync: create-only import of %s", c.SyncFile)
	_, s, err := run("sync: create-only import", args)
	if err != nil {
		return nil, err
	}
	res.Rows = s.Rows
	if s.Created != s.Rows {
		return nil, fmt.Errorf("sync: the create-only import created %d of %d rows", s.Created, s.Rows)
	}
	if res.CreateCk, err = fileBytes(ck); err != nil {
		return nil, err
	}
	writes := func() int { st := sim.Stats(); return st.Creates + st.Updates }
	before := writes()
	for i := range c.Repeat {
		b.logf("sync: upsert over the unchanged file and validate, pair %d of %d", i+1, c.Repeat)
		p, s, err := run("sync: upsert over the unchanged file", upsert)
		if err != nil {
			return nil, err
		}
		if s.Unchanged != res.Rows {
			return nil, fmt.Errorf("sync: upsert over the unchanged file found %d of %d rows unchanged", s.Unchanged, res.Rows)
		}
		res.Unchanged = s.Unchanged
		res.Upserts = append(res.Upserts, readRun{Name: "upsert", Rows: s.Rows, Wall: p.Wall, CPU: p.CPU, MaxRSS: p.MaxRSS})
		v, err := b.validate(ctx, file)
		if err != nil {
			return nil, err
		}
		res.Validates = append(res.Validates, v)
	}
	res.Writes = writes() - before
	b.logf("sync: every title edited, upsert")
	if err := editColumn(file, "Title", " (edited)"); err != nil {
		return nil, fmt.Errorf("sync: %w", err)
	}
	if _, s, err = run("sync: upsert of the edited file", upsert); err != nil {
		return nil, err
	}
	res.Updated = s.Updated
	if s.Updated != res.Rows {
		return nil, fmt.Errorf("sync: the upsert of the edited file updated %d of %d rows", s.Updated, res.Rows)
	}
	if res.SyncCk, err = fileBytes(ck); err != nil {
		return nil, err
	}
	if err := b.resalted(res, file, ck, func(what string) (proc, summary, error) { return run(what, upsert) }); err != nil {
		return nil, err
	}
	return res, nil
}

// resalted adds a comment to the mapping at file + ".yaml" (salting every
// row digest anew, as a new build of the tool does) and times two upserts
// over the unchanged file.
func (b *bench) resalted(res *syncResult, file, ck string, upsert func(string) (proc, summary, error)) error {
	mp, err := os.ReadFile(file + ".yaml")
	if err != nil {
		return fmt.Errorf("sync: %w", err)
	}
	if err := os.WriteFile(file+".yaml", append([]byte("# the digests' salt changes, as after an upgrade\n"), mp...), 0o644); err != nil {
		return fmt.Errorf("sync: %w", err)
	}
	size, err := fileBytes(ck)
	if err != nil {
		return err
	}
	for i := range 2 {
		b.logf("sync: upsert after the mapping's salt changed, night %d of 2", i+1)
		p, s, err := upsert("sync: upsert after the salt changed")
		if err != nil {
			return err
		}
		if s.Unchanged != res.Rows {
			return fmt.Errorf("sync: upsert after the salt changed found %d of %d rows unchanged", s.Unchanged, res.Rows)
		}
		res.Resalted = append(res.Resalted, readRun{Name: "upsert", Rows: s.Rows, Wall: p.Wall, CPU: p.CPU, MaxRSS: p.MaxRSS})
		if i == 0 {
			now, err := fileBytes(ck)
			if err != nil {
				return err
			}
			res.ResaltedCk = now - size
		}
	}
	return nil
}

// editColumn appends suffix to every data cell of the named column of a
// CSV file, in place.
func editColumn(path, column, suffix string) error {
	data, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	r := csv.NewReader(bytes.NewReader(data))
	r.FieldsPerRecord = -1
	w := csv.NewWriter(f)
	col := -1
	for {
		rec, err := r.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			f.Close()
			return err
		}
		switch {
		case col < 0:
			if col = slices.Index(rec, column); col < 0 {
				f.Close()
				return fmt.Errorf("%s has no column %q", path, column)
			}
		case col < len(rec):
			rec[col] += suffix
		}
		if err := w.Write(rec); err != nil {
			f.Close()
			return err
		}
	}
	w.Flush()
	if err := w.Error(); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// copyFile copies src to dst.
func copyFile(src, dst string) error {
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.Create(dst)
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		return err
	}
	return out.Close()
}

// fileBytes is a file's size.
func fileBytes(path string) (int64, error) {
	st, err := os.Stat(path)
	if err != nil {
		return 0, fmt.Errorf("sync: %w", err)
	}
	return st.Size(), nil
}
