package source

import (
	"fmt"
	"io"
	"path/filepath"
	"reflect"
	"testing"
)

// With ReuseCells a CSV reader yields the rows it yields without, each
// valid until the next Next: every CSV in importer/testdata and files with
// stray quotes (whose handling reads a row ahead) and a header-only file.
func TestReuseCellsReadsTheSame(t *testing.T) {
	files, _ := filepath.Glob(filepath.Join("..", "testdata", "*.csv"))
	files = append(files,
		writeFile(t, "quotes.csv", "a,b,c\n1,\"x\"y,3\n4,5,6\n7,\"8\"\"\",9\n\"q\"r,\"s\"t,u\n10,11,12\n"),
		writeFile(t, "two.csv", "a,b\n1,2\n3,\"4\n"),
		writeFile(t, "only.csv", "a,b\n"))
	for _, f := range files {
		want, wantErr := readCopies(f, Options{})
		got, gotErr := readCopies(f, Options{ReuseCells: true})
		if fmt.Sprint(wantErr) != fmt.Sprint(gotErr) || !reflect.DeepEqual(got, want) {
			t.Errorf("%s: with ReuseCells\n%q (%v)\nwithout\n%q (%v)", f, got, gotErr, want, wantErr)
		}
	}
}

// readCopies reads every row of path, copying each row's number, values
// and errors before asking for the next.
func readCopies(path string, opt Options) ([]string, error) {
	r, err := OpenCSV(path, opt)
	if err != nil {
		return nil, err
	}
	defer r.Close()
	var out []string
	for {
		row, err := r.Next()
		if err == io.EOF {
			return out, nil
		}
		if err != nil {
			return out, err
		}
		out = append(out, fmt.Sprintf("%d %q %v", row.Number, values([]Row{row})[0], row.Err))
	}
}
