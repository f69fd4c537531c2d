package report

import "strings"

// Neutralize makes a cell safe to open in a spreadsheet program: a cell that
// starts with '=', '+', '-', '@', a tab or a carriage return would be read
// as a formula (OWASP "CSV injection"), so it gets a leading single quote,
// which spreadsheets show as plain text. Every CSV the tool writes goes
// through it; values sent to DevRev never do (the API stores text as given).
func Neutralize(s string) string {
	if s == "" {
		return s
	}
	switch s[0] {
	case '=', '+', '-', '@', '\t', '\r':
		return "'" + s
	}
	return s
}

// neutralizeAll applies Neutralize to every cell of rec in place.
func neutralizeAll(rec []string) []string {
	for i, s := range rec {
		rec[i] = Neutralize(s)
	}
	return rec
}

// joinMessages joins a row's messages into one cell, one per line.
func joinMessages(msgs []string) string { return strings.Join(msgs, "\n") }
