package report

import (
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"sort"
	"strconv"
	"strings"

	"github.com/devrev-import/devrev-import/importer/checkpoint"
	"github.com/devrev-import/devrev-import/importer/source"
	"github.com/devrev-import/devrev-import/mapping"
)

// FailedMessage is the message of a row the API (or the run) refused, as
// the errors CSV and the console show it:
// `tickets.csv:14: HTTP 400 bad_request: title is too long`. where names
// the row (source.Reader.Where(row, -1)); status 0 means no HTTP answer
// decided it (a duplicate key, a lost connection).
func FailedMessage(where string, status int, typ, msg string) string {
	if status > 0 {
		return fmt.Sprintf("%s: HTTP %d %s: %s", where, status, typ, msg)
	}
	return fmt.Sprintf("%s: %s: %s", where, typ, msg)
}

// Reloaded says what WriteCheckpointErrors wrote.
type Reloaded struct {
	// Written is the number of rows in the errors CSV.
	Written int
	// Missing are the row numbers of failed or invalid entries the input
	// no longer holds: the row is gone, or its cells no longer give the
	// entry's key (the file changed since the import). They are left out,
	// since their cells would be another row's.
	Missing []int
}

// WriteCheckpointErrors writes the rows a checkpoint records as invalid or
// failed to an errors CSV at path, in the layout the import itself writes
// (`_row`, `_error`, then the input's header and the row's cells), so the
// file can be fixed and imported as it is. The checkpoint keeps only keys
// and messages, so the cells are read again from in, the input the
// checkpoint was written for; a row counts as found when its number and
// its key both match. As with the import, no file is left when there is no
// such row. key is how the checkpoint keys rows (Header.Key; nil if it
// does not say).
func WriteCheckpointErrors(path string, key *checkpoint.KeyDef, st *checkpoint.State, in source.Reader) (Reloaded, error) {
	want, total := problemEntries(st)
	kc := keyCheck{header: in.Header()}
	if key != nil {
		kc.hashed = key.Hashed
	}
	out := NewErrorsCSV(path, in.Header())
	var res Reloaded
	for res.Written < total {
		row, err := in.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			out.Close()
			return res, err
		}
		if e, ok := takeEntry(want, row, kc); ok {
			if err := out.Add(row.Number, entryMessages(e, in.Where(row.Number, -1)), cellValues(row.Cells)); err != nil {
				out.Close()
				return res, err
			}
			res.Written++
		}
	}
	for n, es := range want {
		for range es {
			res.Missing = append(res.Missing, n)
		}
	}
	sort.Ints(res.Missing)
	return res, out.Close()
}

// problemEntries returns the invalid, failed and ambiguous entries by row
// number, and the failed last updates of works.
func problemEntries(st *checkpoint.State) (map[int][]checkpoint.Entry, int) {
	want := make(map[int][]checkpoint.Entry)
	n := 0
	st.Each(func(e checkpoint.Entry) bool {
		if e.Status == checkpoint.Invalid || e.Status == checkpoint.Failed || e.Status == checkpoint.Ambiguous {
			want[e.Row] = append(want[e.Row], e)
			n++
		}
		return true
	})
	for _, r := range st.Restores() {
		if e := r.LastUpdate; e != nil && e.Status == checkpoint.Failed {
			want[e.Row] = append(want[e.Row], *e)
			n++
		}
	}
	return want, n
}

// takeEntry removes and returns the entry for row, if one has row's number
// and a key the row's cells give.
func takeEntry(want map[int][]checkpoint.Entry, row source.Row, kc keyCheck) (checkpoint.Entry, bool) {
	es := want[row.Number]
	for i, e := range es {
		if !kc.matches(e.Key, row.Cells) {
			continue
		}
		es = append(es[:i], es[i+1:]...)
		if len(es) == 0 {
			delete(want, row.Number)
		} else {
			want[row.Number] = es
		}
		return e, true
	}
	return checkpoint.Entry{}, false
}

// keyCheck tells whether a row's cells give a key, knowing the input's
// header and, for keyless rows, the columns the checkpoint hashes.
type keyCheck struct {
	header, hashed []string
}

// matches reports whether cells can be the row a key was made from: the
// hash of its cells (no key columns: "h:" every cell, "h2:" the hashed
// columns), or key columns' values (one, joined by "|", or a JSON array),
// each of which must be one of the cells. Without the mapping the key
// columns are unknown, so this is a check against a changed file, not a
// proof.
func (kc keyCheck) matches(key string, cells []source.Cell) bool {
	switch {
	case strings.HasPrefix(key, "h:") && len(key) == 18 && mapping.HashKey(cells) == key:
		return true
	case strings.HasPrefix(key, "h2:") && len(key) == 19 && mapping.HashKeyOf(kc.header, kc.hashed, cells) == key:
		return true
	}
	has := func(v string) bool {
		for _, c := range cells {
			if strings.TrimSpace(c.Value) == v {
				return true
			}
		}
		return false
	}
	if has(key) {
		return true
	}
	var parts []string
	if !strings.HasPrefix(key, "[") || json.Unmarshal([]byte(key), &parts) != nil {
		parts = strings.Split(key, "|")
	}
	if len(parts) < 2 {
		return false
	}
	for _, p := range parts {
		if p != "" && !has(p) {
			return false
		}
	}
	return true
}

// entryMessages is what the import wrote in `_error` for the entry's row.
func entryMessages(e checkpoint.Entry, where string) []string {
	if e.Status == checkpoint.Invalid {
		return e.Errors
	}
	typ, msg := "failed", ""
	if e.Error != nil {
		typ, msg = e.Error.Type, e.Error.Message
	}
	return []string{FailedMessage(where, e.HTTPStatus, typ, msg)}
}

// cellValues returns the cells' text, as the input had it.
func cellValues(cells []source.Cell) []string {
	out := make([]string, len(cells))
	for i, c := range cells {
		out[i] = c.Value
	}
	return out
}

// WriteCreatedMap writes `row,key,id,display_id,op` for every work a
// checkpoint records as created (op `created`) or as found in DevRev and
// updated (op `updated`): the old-ID to new-ID map a migration keeps. The
// file is created with mode 0600 and every cell is neutralized against
// formula injection. It returns the number of rows written.
func WriteCreatedMap(path string, st *checkpoint.State) (int, error) {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o600)
	if err != nil {
		return 0, fmt.Errorf("create %s: %w", path, err)
	}
	w := csv.NewWriter(f)
	err = w.Write(neutralizeAll([]string{"row", "key", "id", "display_id", "op"}))
	n := 0
	for _, r := range st.Restores() {
		if err != nil {
			break
		}
		op := "created"
		if !r.Created {
			if !r.Updated {
				continue
			}
			op = "updated"
		}
		err = w.Write(neutralizeAll([]string{strconv.Itoa(r.Row), r.Key, r.ID, r.DisplayID, op}))
		n++
	}
	w.Flush()
	if err == nil {
		err = w.Error()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return n, fmt.Errorf("write %s: %w", path, err)
	}
	return n, nil
}
