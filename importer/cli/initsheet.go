package cli

import (
	"fmt"
	"strconv"

	"github.com/devrev-import/devrev-import/importer/source"
)

// initCountRows caps the rows init counts on each sheet to compare them:
// past it a sheet is plainly the data.
const initCountRows = 10000

// pickInitSheet chooses the sheet init reads when the workbook has several
// visible ones: the one with the most rows of data (the first of equals),
// not the first, which is often a summary or a README. It returns "" for
// a CSV or a workbook with one visible sheet, and why it chose.
func pickInitSheet(path string, opt source.Options) (string, string, error) {
	sheets, err := source.Sheets(path)
	if err != nil {
		return "", "", err
	}
	var visible []string
	for _, s := range sheets {
		if !s.Hidden {
			visible = append(visible, s.Name)
		}
	}
	if len(visible) < 2 {
		return "", "", nil
	}
	best, bestRows := "", -1
	counts := make([]int, len(visible))
	for i, name := range visible {
		counts[i] = countRows(path, name, opt)
		if counts[i] > bestRows {
			best, bestRows = name, counts[i]
		}
	}
	why := fmt.Sprintf("the sheet with the most rows of data (%s)", rowsCount(bestRows))
	for i, name := range visible {
		if name != best {
			why += fmt.Sprintf("; %s has %s", strconv.Quote(name), rowsCount(counts[i]))
		}
	}
	return best, why, nil
}

// countRows counts a sheet's data rows up to initCountRows; a sheet that
// cannot be read as a table (an empty one) has none.
func countRows(path, sheet string, opt source.Options) int {
	opt.Sheet = sheet
	src, err := source.Open(path, opt)
	if err != nil {
		return 0
	}
	defer src.Close()
	n := 0
	for ; n < initCountRows; n++ {
		if _, err := src.Next(); err != nil {
			break
		}
	}
	return n
}

func rowsCount(n int) string {
	if n >= initCountRows {
		return strconv.Itoa(n) + "+ rows"
	}
	return rowsWord(n)
}
