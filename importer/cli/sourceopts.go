package cli

import (
	"fmt"
	"strconv"
	"strings"
	"unicode"

	"github.com/devrev-import/devrev-import/importer/source"
	"github.com/devrev-import/devrev-import/mapping"
)

// sourceOptions says how validate and import read the file: the mapping's
// sheet:, encoding: and delimiter: (cfg may be nil), each overridden by
// its flag, so a cron line need not repeat them.
func (f *importFlags) sourceOptions(cfg *mapping.Config) (source.Options, error) {
	opt := source.Options{Sheet: f.sheet, Encoding: f.encoding, MaxCellBytes: f.maxCellBytes, AllowEmbeddedRows: f.allowEmbeddedRows}
	opt.AllowDuplicate = cfg.MayRepeat // nil cfg: header names are field names
	if cfg != nil {
		if opt.Sheet == "" {
			opt.Sheet = cfg.Sheet
		}
		if opt.Encoding == "" {
			opt.Encoding = cfg.Encoding
		}
		opt.Delimiter = cfg.Delimiter
		opt.HeaderRow = cfg.HeaderRow
	}
	if f.headerRow > 0 {
		opt.HeaderRow = f.headerRow
	}
	if f.delimiter != "" {
		d, err := source.ParseDelimiter(f.delimiter)
		if err != nil {
			return opt, fmt.Errorf("--delimiter: %w", err)
		}
		opt.Delimiter = d
	}
	return opt, nil
}

// sheetHint looks, when the mapping does not fit the sheet a workbook run
// reads (the first visible one, say a "Summary" before the data), for the
// sheet with the most of the mapped columns (at least half, more than the
// sheet read has), and says how to pick it; complete reports that it has
// every one. It returns "" for a CSV, without a mapping, or when no sheet
// fits better.
func sheetHint(path string, opt source.Options, cfg *mapping.Config) (hint string, complete bool) {
	if cfg == nil {
		return "", false
	}
	sheets, err := source.Sheets(path)
	if err != nil || len(sheets) < 2 {
		return "", false
	}
	cols := mappedNames(cfg)
	current, how := opt.Sheet, "the sheet read"
	if current == "" {
		for _, s := range sheets {
			if !s.Hidden {
				current, how = s.Name, "the first visible sheet"
				break
			}
		}
	}
	found := false
	for _, s := range sheets {
		found = found || strings.EqualFold(s.Name, current)
	}
	if !found {
		return "", false // no such sheet: the reader's error lists those there are
	}
	best, bestScore, currentScore := "", 0, 0
	for _, s := range sheets {
		score := mappedColumns(path, s.Name, cols)
		if strings.EqualFold(s.Name, current) {
			current, currentScore = s.Name, max(score, 0)
		} else if score > bestScore {
			best, bestScore = s.Name, score
		}
	}
	if best == "" || bestScore <= currentScore || 2*bestScore < len(cols) {
		return "", false
	}
	pick := fmt.Sprintf("pass --sheet %s, or write sheet: %s in the mapping", shellQuote(best), yamlQuote(best))
	if bestScore == len(cols) {
		return fmt.Sprintf("%s: the mapped header is on sheet %q, not on %q (%s): %s", path, best, current, how, pick), true
	}
	return fmt.Sprintf("%s: sheet %q has %d of the %d mapped columns, %q (%s) has %d: %s", path, best, bestScore, len(cols), current, how, currentScore, pick), false
}

// mappedColumns counts the columns of cols that a sheet's header has (-1
// for a sheet that cannot be read, an empty one say).
func mappedColumns(path, sheet string, cols []string) int {
	src, err := source.Open(path, source.Options{Sheet: sheet, AllowDuplicate: func(string) bool { return true }})
	if err != nil {
		return -1
	}
	defer src.Close()
	return countIn(src.Header(), cols)
}

// shellQuote quotes a word for a command line when it needs it.
func shellQuote(s string) string {
	if s != "" && strings.IndexFunc(s, func(r rune) bool {
		return !(r == '-' || r == '_' || r == '.' || r == '/' || unicode.IsLetter(r) || unicode.IsDigit(r))
	}) < 0 {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

// yamlQuote quotes a scalar for a mapping file when it needs it.
func yamlQuote(s string) string {
	if shellQuote(s) == s && !strings.ContainsAny(s[:1], "-.") {
		return s
	}
	return strconv.Quote(s)
}

// failSheet fails for a file the mapping does not fit, saying which sheet
// of the workbook has the mapped header: alone when that sheet has every
// mapped column (each would be reported missing otherwise), after err
// when it has only some.
func (r *importRun) failSheet(opt source.Options, cfg *mapping.Config, err error) error {
	hint, complete := sheetHint(r.file, opt, cfg)
	if hint == "" {
		hint, complete = headerRowHint(r.file, opt, cfg)
	}
	switch {
	case hint == "":
		return r.fail(ExitUsage, "%v", err)
	case complete:
		return r.fail(ExitUsage, "%s", hint)
	}
	return r.fail(ExitUsage, "%v\n%s", err, hint)
}

// describeReading adds how the file was read (sheet, encoding, delimiter,
// header row, when set) to a checkpoint's description of the mapping, so that
// `report --errors-csv` reads the rows' cells from the same sheet.
func describeReading(d map[string]string, opt source.Options) {
	if opt.Sheet != "" {
		d["sheet"] = opt.Sheet
	}
	if opt.Encoding != "" {
		d["encoding"] = opt.Encoding
	}
	if opt.Delimiter != 0 {
		d["delimiter"] = string(opt.Delimiter)
	}
	if opt.HeaderRow > 1 {
		d["header_row"] = strconv.Itoa(opt.HeaderRow)
	}
}

// readingOf is the sheet, encoding and delimiter a checkpoint's input was
// read with, where the flags given do not say.
func readingOf(d map[string]string, sheet, encoding, delimiter string) (string, string, string) {
	pick := func(flag, key string) string {
		if flag != "" {
			return flag
		}
		return d[key]
	}
	return pick(sheet, "sheet"), pick(encoding, "encoding"), pick(delimiter, "delimiter")
}

// untypedFormats warns about custom-field columns with a format: but no
// as: in a run the org's schema does not type (no token, --schema stock):
// their cells are read as text and the format is not used.
func untypedFormats(cfg *mapping.Config) []string {
	if cfg == nil {
		return nil
	}
	var out []string
	for _, r := range cfg.Columns {
		if strings.HasPrefix(r.Field, "custom_fields.") && r.As == "" && r.Format != "" {
			out = append(out, fmt.Sprintf("column %q (%s): format %q unused: without the org's schema (a token) the cells are text; write as: date or as: timestamp", r.Column, r.Field, r.Format))
		}
	}
	return out
}

// headerRowSearch is how many rows headerRowHint looks through for the
// mapped header: a report's title, its filters and a blank line or two.
const headerRowSearch = 30

// headerRowHint looks, when the mapping does not fit the header read (a
// report export whose title and filters sit above the header), for a row
// among the first headerRowSearch holding at least half the mapped
// columns, more than the header read, and says how to start there.
// complete reports that it holds every one.
func headerRowHint(path string, opt source.Options, cfg *mapping.Config) (hint string, complete bool) {
	cols := mappedNames(cfg)
	if len(cols) == 0 {
		return "", false
	}
	rows, err := source.FirstRows(path, opt, headerRowSearch)
	if err != nil || len(rows) == 0 {
		return "", false
	}
	read := 0 // the row read as the header: the first at or after opt.HeaderRow
	for read < len(rows)-1 && rows[read].Number < opt.HeaderRow {
		read++
	}
	have := countIn(rows[read].Values, cols)
	for _, row := range rows {
		n := countIn(row.Values, cols)
		if n <= have || 2*n < len(cols) {
			continue
		}
		pick := fmt.Sprintf("pass --header-row %d, or write header_row: %d in the mapping", row.Number, row.Number)
		if n == len(cols) {
			return fmt.Sprintf("%s: the mapped header is on row %d (what is above it looks like a title): %s", path, row.Number, pick), true
		}
		return fmt.Sprintf("%s: row %d has %d of the %d mapped columns, the header read has %d: %s", path, row.Number, n, len(cols), have, pick), false
	}
	return "", false
}

// mappedNames are the columns a mapping names: its columns and its key.
func mappedNames(cfg *mapping.Config) []string {
	if cfg == nil {
		return nil
	}
	var cols []string
	for _, r := range cfg.Columns {
		cols = append(cols, r.Column)
	}
	return append(cols, cfg.Key...)
}

// countIn counts the names of cols among cells (compared as headers are:
// trimmed, case-insensitively).
func countIn(cells, cols []string) int {
	have := map[string]bool{}
	for _, h := range cells {
		have[strings.ToLower(strings.TrimSpace(h))] = true
	}
	n := 0
	for _, c := range cols {
		if have[strings.ToLower(strings.TrimSpace(c))] {
			n++
		}
	}
	return n
}
