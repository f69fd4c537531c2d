package cli

import (
	"fmt"
	"strconv"
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
		if err := checkNumbers([]numFlag{{name: "header-row", n: *headerRow, min: 0, why: " (0 = the first row that is not empty)"}}, nil); err != nil {
			return err
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
	if opt.HeaderRow == 0 {
		if row, why := guessHeaderRow(pos[0], opt); row > 1 {
			opt.HeaderRow, in.headerRow, in.headerWhy = row, row, why
		}
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

// guessHeaderRow finds a report's title above the header: when the first
// rows that are not empty hold one or two cells and a later one (within
// headerRowSearch), before any other row of three or more cells, is as
// wide as the widest of them and reads as labels, that row is the header.
// 0 when the first row is.
func guessHeaderRow(path string, opt source.Options) (int, string) {
	rows, err := source.FirstRows(path, opt, headerRowSearch)
	if err != nil || len(rows) < 3 {
		return 0, ""
	}
	filled := make([]int, len(rows))
	widest := 0
	for i, r := range rows {
		for _, v := range r.Values {
			if strings.TrimSpace(v) != "" {
				filled[i]++
			}
		}
		widest = max(widest, filled[i])
	}
	if widest < 3 || filled[0] > 2 {
		return 0, ""
	}
	for i := 1; i < len(rows); i++ {
		if filled[i] == widest && labels(rows[i].Values) {
			return rows[i].Number, fmt.Sprintf("a title above it (rows of one or two cells); row %d is the first as wide as the rows below it, and names its columns", rows[i].Number)
		}
		if filled[i] > 2 {
			return 0, "" // a narrower row that is no title: no guess
		}
	}
	return 0, ""
}

// labels reports whether the cells read as a header: distinct, and none a
// number.
func labels(values []string) bool {
	seen := map[string]bool{}
	for _, v := range values {
		v = strings.ToLower(strings.TrimSpace(v))
		if v == "" {
			continue
		}
		if _, err := strconv.ParseFloat(v, 64); err == nil || seen[v] {
			return false
		}
		seen[v] = true
	}
	return true
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
