package cli

import (
	"strings"

	"github.com/spf13/cobra"

	"github.com/devrev-import/devrev-import/importer/source"
)

// newInitCmd prints a commented mapping skeleton for a file's header,
// guessed from the column names and the first rows' cells.
func newInitCmd(env Env) *cobra.Command {
	c := &cobra.Command{Use: "init FILE", Short: "print a commented mapping guessed from FILE's header and first rows",
		Long: `Print a mapping for FILE guessed from its header and its first 200 rows: the
work type, each column's field and how its cells read, every guess commented
with why, and TODOs for what it could not tell. Check it, then validate with it.`,
		Example: `  devrev-import init jira-export.csv > jira.yaml
  devrev-import init export.xlsx --sheet Issues --type issue > export.yaml`}
	fs := c.Flags()
	typ := fs.String("type", "", "work type the mapping is for: issue|ticket|task|opportunity (default: guessed from the header)")
	sheet := fs.String("sheet", "", "XLSX sheet (default: the visible sheet with the most rows)")
	encoding := fs.String("encoding", "", "CSV encoding: utf-8|windows-1252|utf-16 (default utf-8, with BOM detection)")
	headerRow := fs.Int("header-row", 0, "the row the header is on, when a report's title sits above it (written as header_row:)")
	withGroups(c, flagGroup{"Input", []string{"sheet", "encoding", "header-row"}}, flagGroup{"Mapping", []string{"type"}})
	c.RunE = func(_ *cobra.Command, pos []string) error {
		if *headerRow < 0 {
			return usageError("--header-row %d: want the row number the header is on (1 or more)", *headerRow)
		}
		return runInit(pos, *typ, *sheet, *encoding, *headerRow, env)
	}
	return c
}

// runInit is init with its flags parsed.
func runInit(pos []string, typ, sheet, encoding string, headerRow int, env Env) error {
	if len(pos) != 1 {
		return usageError("need exactly one FILE")
	}
	if _, ok := requiredByType[typ]; !ok && typ != "" {
		return usageError("--type %q: must be one of issue, ticket, task, opportunity", typ)
	}
	opt := source.Options{Sheet: sheet, Encoding: encoding, HeaderRow: headerRow, AllowEmbeddedRows: true, AllowDuplicate: func(string) bool { return true }}
	in := skeletonInput{file: pos[0], typ: typ, headerRow: headerRow}
	if opt.Sheet == "" {
		var err error
		if in.sheet, in.why, err = pickInitSheet(pos[0], opt); err != nil {
			return usageError("%v", err)
		}
		opt.Sheet = in.sheet
	}
	src, err := source.Open(pos[0], opt)
	if err != nil {
		return usageError("%v", err)
	}
	defer src.Close()
	in.cols, in.rows = sampleColumns(src, initSampleRows)
	writeSkeleton(env.Stdout, in)
	return nil
}

// initSampleRows is how many rows init reads to guess from.
const initSampleRows = 200

// sampleColumns reads up to n rows and returns each distinct header (the
// first of a repeated one) with the non-empty cells of all its copies.
func sampleColumns(src source.Reader, n int) ([]*sampledColumn, int) {
	header := src.Header()
	var cols []*sampledColumn
	byName := map[string]*sampledColumn{}
	at := make([]*sampledColumn, len(header))
	for i, h := range header {
		key := strings.ToLower(strings.TrimSpace(h))
		c, ok := byName[key]
		if !ok {
			c = &sampledColumn{header: h}
			byName[key] = c
			cols = append(cols, c)
		}
		c.copies++
		at[i] = c
	}
	rows := 0
	for ; rows < n; rows++ {
		row, err := src.Next()
		if err != nil {
			break
		}
		filled := map[*sampledColumn]bool{}
		for i, cell := range row.Cells {
			if i < len(at) && strings.TrimSpace(cell.Value) != "" {
				at[i].cells = append(at[i].cells, cell)
				filled[at[i]] = true
			}
		}
		for c := range filled {
			c.rowsFilled++
		}
	}
	return cols, rows
}
