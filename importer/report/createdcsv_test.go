package report

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/devrev-import/devrev-import/importer/source"
)

// A row cut short by a crash (no newline at the end) does not swallow the
// next run's first row.
func TestCreatedCSVStartsAfterATornRow(t *testing.T) {
	path := filepath.Join(t.TempDir(), "t.csv.created.csv")
	torn := "_row,_key,_id,_display_id,Subject\n2,ZD-1,don:1,TKT-1,Print"
	if err := os.WriteFile(path, []byte(torn), 0o600); err != nil {
		t.Fatal(err)
	}
	c, err := OpenCreatedCSV(path, []string{"Subject"})
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Add(source.Row{Number: 3, Cells: []source.Cell{{Value: "Monitor"}}}, "ZD-2", "don:2", "TKT-2"); err != nil {
		t.Fatal(err)
	}
	if err := c.Close(); err != nil {
		t.Fatal(err)
	}
	b, _ := os.ReadFile(path)
	if want := torn + "\n3,ZD-2,don:2,TKT-2,Monitor\n"; string(b) != want {
		t.Errorf("file:\n%q\nwant\n%q", b, want)
	}
}
