package source

import (
	"bufio"
	"fmt"
	"strings"
)

// ParseDelimiter reads a CSV delimiter as a person writes it (on the
// command line or in a mapping file): one character, or "tab" (also `\t`).
func ParseDelimiter(s string) (rune, error) {
	switch strings.ToLower(s) {
	case "tab", `\t`, "\t":
		return '\t', nil
	}
	r := []rune(s)
	if len(r) != 1 {
		return 0, fmt.Errorf("%q is not a single character (use one of , ; | tab)", s)
	}
	if r[0] == '"' || r[0] == '\r' || r[0] == '\n' {
		return 0, fmt.Errorf("%q cannot be the field delimiter", r[0])
	}
	return r[0], nil
}

// CheckEncoding reports an encoding name Options.Encoding does not take
// (before any file is opened: a mapping file's encoding:).
func CheckEncoding(name string) error {
	_, err := decodeCSV(bufio.NewReader(strings.NewReader("")), name)
	return err
}
