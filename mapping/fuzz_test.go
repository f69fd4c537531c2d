package mapping

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/devrev-import/devrev-import/importer/source"
)

// FuzzMapping feeds arbitrary mapping files, headers and rows through
// Parse, Compile, Map and MapInto. None of them may panic; a row that maps
// must marshal; Map and MapInto must agree.
//
// The seed corpus holds every mapping in testdata and the rows of the
// table tests; header and row are passed as "\x1f"-separated cells.
func FuzzMapping(f *testing.F) {
	files, _ := filepath.Glob(filepath.Join("testdata", "*.yaml"))
	for _, file := range files {
		data, err := os.ReadFile(file)
		if err != nil {
			f.Fatal(err)
		}
		header, opt := directives(data)
		if header == nil {
			header = []string{"Subject", "Priority", "Owner"}
		}
		f.Add(string(data), strings.Join(header, "\x1f"), "x\x1fHigh\x1fDEVU-1", opt.Type, byte(0))
	}
	f.Add(benchMapping, strings.Join(benchHeader, "\x1f"), strings.Join(benchCells(1), "\x1f"), "", byte(2))
	f.Add("", "title\x1fapplies_to_part\x1fowned_by\x1fvalue\x1ftags", "T\x1fPROD-1\x1fDEVU-1\x1f12 USD\x1fTAG-1=x", "opportunity", byte(1))
	f.Add("", "type\x1ftarget_close_date\x1fprobability\x1fcustom_fields.tnt__x", "issue\x1f45352.5\x1f45%\x1fy", "ticket", byte(3))
	f.Add("", "owned_by\x1fowned_by\x1fstage.id", "don:identity:dvrv-us-1:devo/0:devu/1\x1fDEVU-2;\x1fdon:", "task", byte(1))

	f.Fuzz(func(t *testing.T, mappingYAML, header, row, typ string, kinds byte) {
		var cfg *Config
		if mappingYAML != "" {
			var err error
			if cfg, err = Parse("fuzz.yaml", []byte(mappingYAML)); err != nil {
				if err.Error() == "" {
					t.Fatal("empty error message")
				}
				return
			}
		}
		m, _, err := Compile(cfg, strings.Split(header, "\x1f"), Options{Type: typ, Strict: kinds&0x80 != 0})
		if err != nil {
			return
		}
		r := source.Row{Number: 2}
		for i, c := range strings.Split(row, "\x1f") {
			r.Cells = append(r.Cells, source.Cell{Value: c, Kind: source.Kind((int(kinds) >> (i % 4)) % 4)})
		}
		res := m.Map(r)
		if res.Work == nil {
			t.Fatal("Map returned no work")
		}
		a, err := json.Marshal(res.Work)
		if err != nil {
			t.Fatalf("marshal: %v", err)
		}
		var w Work
		m.MapInto(&w, r) // dirty w first
		res2 := m.MapInto(&w, r)
		b, _ := json.Marshal(res2.Work)
		if string(a) != string(b) || len(res.Problems) != len(res2.Problems) || res.Key != res2.Key {
			t.Fatalf("Map and MapInto differ:\n%s\n%s", a, b)
		}
		for _, p := range res.Problems {
			if p.Msg == "" {
				t.Fatalf("problem without message: %+v", p)
			}
			_ = p.Format("where")
		}
	})
}
