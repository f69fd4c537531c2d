package mapping

import (
	"math"
	"strconv"
	"strings"
	"time"
)

// This file holds the value converters. They take one trimmed, non-empty
// string and never allocate on the valid path unless the result needs a
// new string.

// parseBool accepts true/false/yes/no/y/n/1/0 in any case.
func parseBool(s string) (bool, bool) {
	switch len(s) {
	case 1:
		switch s[0] {
		case '1', 'y', 'Y':
			return true, true
		case '0', 'n', 'N':
			return false, true
		}
	case 2:
		if strings.EqualFold(s, "no") {
			return false, true
		}
	case 3:
		if strings.EqualFold(s, "yes") {
			return true, true
		}
	case 4:
		if strings.EqualFold(s, "true") {
			return true, true
		}
	case 5:
		if strings.EqualFold(s, "false") {
			return false, true
		}
	}
	return false, false
}

// isDecimal reports whether s is a plain decimal number: an optional sign,
// digits with at most one decimal point, and an optional exponent. It
// rejects the extra forms strconv accepts (hex, inf, nan, underscores).
func isDecimal(s string) bool {
	i := 0
	if i < len(s) && (s[i] == '+' || s[i] == '-') {
		i++
	}
	digits, dot := 0, false
	for ; i < len(s); i++ {
		c := s[i]
		if c >= '0' && c <= '9' {
			digits++
		} else if c == '.' && !dot {
			dot = true
		} else {
			break
		}
	}
	if digits == 0 {
		return false
	}
	if i < len(s) && (s[i] == 'e' || s[i] == 'E') {
		i++
		if i < len(s) && (s[i] == '+' || s[i] == '-') {
			i++
		}
		exp := 0
		for ; i < len(s) && s[i] >= '0' && s[i] <= '9'; i++ {
			exp++
		}
		if exp == 0 {
			return false
		}
	}
	return i == len(s)
}

// parseNumber parses a finite decimal number.
func parseNumber(s string) (float64, bool) {
	if !isDecimal(s) {
		return 0, false
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil || math.IsInf(f, 0) || math.IsNaN(f) {
		return 0, false
	}
	return f, true
}

// parseProbability accepts a number in 0..1 or a percentage in 0%..100%
// ("45%" and "45 %" → 0.45).
func parseProbability(s string) (float64, bool) {
	pct := false
	if strings.HasSuffix(s, "%") {
		pct = true
		s = strings.TrimRight(s[:len(s)-1], " ")
	}
	f, ok := parseNumber(s)
	if !ok {
		return 0, false
	}
	if pct {
		f /= 100
	}
	if f < 0 || f > 1 {
		return 0, false
	}
	return f, true
}

// parseInt accepts an integer, also written with a zero fraction ("12.0",
// as spreadsheets sometimes store whole numbers).
func parseInt(s string) (int64, bool) {
	if n, ok := atoi64(s); ok {
		return n, true
	}
	f, ok := parseNumber(s)
	if !ok || f != math.Trunc(f) || f < math.MinInt64 || f >= math.MaxInt64 {
		return 0, false
	}
	return int64(f), true
}

// atoi64 is strconv.ParseInt(s, 10, 64) without its error value.
func atoi64(s string) (int64, bool) {
	if n, ok := shortInt(s); ok {
		return n, true
	}
	n, err := strconv.ParseInt(s, 10, 64)
	return n, err == nil
}

// shortInt is strconv.ParseInt(s, 10, 64) for the usual whole number
// cell, a sign and up to 18 digits (which cannot overflow), at a third of
// its cost; ok is false for anything else, which ParseInt then decides.
func shortInt(s string) (int64, bool) {
	neg, digits := false, s
	if len(digits) > 0 && (digits[0] == '-' || digits[0] == '+') {
		neg, digits = digits[0] == '-', digits[1:]
	}
	if len(digits) == 0 || len(digits) > 18 {
		return 0, false
	}
	var n int64
	for i := 0; i < len(digits); i++ {
		c := digits[i]
		if c < '0' || c > '9' {
			return 0, false
		}
		n = n*10 + int64(c-'0')
	}
	if neg {
		n = -n
	}
	return n, true
}

// canonicalDecimal rewrites a decimal number without exponent, sign "+",
// leading zeros or trailing fractional zeros: "012500.50" → "12500.5",
// "1.5e3" → "1500", "-0.0" → "0". Already canonical input is returned
// without allocating.
func canonicalDecimal(s string) (string, bool) {
	if !isDecimal(s) {
		return "", false
	}
	if isCanonicalDecimal(s) {
		return s, true
	}
	neg := false
	switch s[0] {
	case '-':
		neg = true
		s = s[1:]
	case '+':
		s = s[1:]
	}
	mant, exp := s, 0
	if i := strings.IndexAny(s, "eE"); i >= 0 {
		mant = s[:i]
		e, err := strconv.Atoi(s[i+1:])
		if err != nil || e > 1000 || e < -1000 {
			return "", false
		}
		exp = e
	}
	intPart, frac := mant, ""
	if i := strings.IndexByte(mant, '.'); i >= 0 {
		intPart, frac = mant[:i], mant[i+1:]
	}
	digits := intPart + frac
	point := len(intPart) + exp // position of the decimal point in digits
	// Drop leading zeros.
	lead := 0
	for lead < len(digits) && digits[lead] == '0' {
		lead++
	}
	digits = digits[lead:]
	point -= lead
	// Drop trailing zeros behind the point.
	for len(digits) > 0 && digits[len(digits)-1] == '0' && len(digits) > point {
		digits = digits[:len(digits)-1]
	}
	if digits == "" {
		return "0", true
	}
	if point > 40 || point < -40 {
		return "", false // absurd magnitude for money
	}
	var b strings.Builder
	if neg {
		b.WriteByte('-')
	}
	switch {
	case point <= 0:
		b.WriteString("0.")
		b.WriteString(strings.Repeat("0", -point))
		b.WriteString(digits)
	case point >= len(digits):
		b.WriteString(digits)
		b.WriteString(strings.Repeat("0", point-len(digits)))
	default:
		b.WriteString(digits[:point])
		b.WriteByte('.')
		b.WriteString(digits[point:])
	}
	return b.String(), true
}

// isCanonicalDecimal reports whether s already is in canonicalDecimal form.
func isCanonicalDecimal(s string) bool {
	if s == "0" {
		return true
	}
	i := 0
	if s[0] == '-' {
		i = 1
	}
	start := i
	for i < len(s) && s[i] >= '0' && s[i] <= '9' {
		i++
	}
	intLen := i - start
	if intLen == 0 || (intLen > 1 && s[start] == '0') {
		return false
	}
	if i == len(s) {
		return !(intLen == 1 && s[start] == '0') // "-0" is not canonical
	}
	if s[i] != '.' {
		return false
	}
	i++
	fracStart := i
	for i < len(s) && s[i] >= '0' && s[i] <= '9' {
		i++
	}
	return i == len(s) && i > fracStart && s[len(s)-1] != '0'
}

// splitMoney splits "12500.50 USD" or "USD 12500.50" into amount and
// currency. A lone amount gives an empty currency (a value.currency column
// or default may supply it).
func splitMoney(s string) (amount, currency string) {
	i := strings.IndexAny(s, " \t\u00a0")
	if i < 0 {
		return s, ""
	}
	a, b := s[:i], strings.TrimSpace(s[i+1:])
	if len(a) == 3 && isLetters(a) {
		return b, a
	}
	return a, b
}

// isLetters reports whether s holds ASCII letters only.
func isLetters(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i] | 0x20
		if c < 'a' || c > 'z' {
			return false
		}
	}
	return true
}

// normCurrency upper-cases a currency code and checks it against ISO 4217.
func normCurrency(s string) (string, bool) {
	if len(s) != 3 || !isLetters(s) {
		return "", false
	}
	if s[0] > 'Z' || s[1] > 'Z' || s[2] > 'Z' {
		s = strings.ToUpper(s)
	}
	return s, isCurrency(s)
}

// enumIndex finds s among canonical enum values (lower case, "_" between
// words), ignoring case and treating " ", "-" and "_" alike: "Strong
// Upside", "strong-upside" and "STRONG_UPSIDE" all match strong_upside.
func enumIndex(s string, values []string) int {
	for i, v := range values {
		if len(s) == len(v) && isCanonicalForm(s, v) {
			return i
		}
	}
	return -1
}

// isCanonicalForm is enumEqual(s, v) for a canonical v of s's length: v
// needs no folding, and a byte of s equal to v's needs none either (the
// usual cell is written as the value is).
func isCanonicalForm(s, v string) bool {
	for i := 0; i < len(s) && i < len(v); i++ {
		c := s[i]
		if c == v[i] {
			continue
		}
		if c >= 'A' && c <= 'Z' {
			c += 'a' - 'A'
		} else if c == ' ' || c == '-' {
			c = '_'
		}
		if c != v[i] {
			return false
		}
	}
	return true
}

// enumEqual compares input s with canonical value v as enumIndex does.
func enumEqual(s, v string) bool {
	if len(s) != len(v) {
		return false
	}
	for i := 0; i < len(s); i++ {
		c, d := s[i], v[i]
		if c >= 'A' && c <= 'Z' {
			c += 'a' - 'A'
		}
		if c == ' ' || c == '-' {
			c = '_'
		}
		if d >= 'A' && d <= 'Z' {
			d += 'a' - 'A'
		}
		if d == ' ' || d == '-' {
			d = '_'
		}
		if c != d {
			return false
		}
	}
	return true
}

// parseUenum accepts a stock id ("2") or a label ("P1", "strong upside").
func parseUenum(s string, vals []uenumValue) (int64, bool) {
	if n, ok := atoi64(s); ok {
		for _, v := range vals {
			if v.id == n {
				return n, true
			}
		}
		return 0, false
	}
	for _, v := range vals {
		if enumEqual(s, v.label) {
			return v.id, true
		}
	}
	return 0, false
}

// Excel serial numbers: 1 is 1900-01-01 and 2958465 is 9999-12-31.
const (
	excelMinSerial = 1
	excelMaxSerial = 2958465
)

// parseDateTime converts a date cell to a time. layout, when set, is tried
// first; then RFC 3339 and its relaxed forms (2024-03-01, 2024-03-01 14:30,
// 2024-03-01 14:30:05, with "T" or a space, with or without zone); then, if
// serials is true, an Excel serial number. Values without a zone are read
// in loc.
func parseDateTime(s, layout string, loc *time.Location, serials bool) (time.Time, bool) {
	nl := compileNumericLayout(layout)
	return parseDateTimeBy(s, layout, &nl, loc, serials)
}

// parseDateTimeBy is parseDateTime with the layout taken apart already
// (nl, from compileNumericLayout(layout)).
func parseDateTimeBy(s, layout string, nl *numericLayout, loc *time.Location, serials bool) (time.Time, bool) {
	if layout != "" {
		if t, ok := nl.parse(s, loc); ok {
			return t, true
		}
		if t, err := time.ParseInLocation(layout, s, loc); err == nil {
			return t, true
		}
	}
	if t, ok := parseISO(s, loc); ok {
		return t, true
	}
	if serials {
		if f, ok := parseNumber(s); ok {
			return excelSerial(f, loc)
		}
	}
	return time.Time{}, false
}

// excelSerial converts an Excel (1900 date system) serial number to the
// wall-clock time it shows, in loc.
func excelSerial(f float64, loc *time.Location) (time.Time, bool) {
	if f < excelMinSerial || f >= excelMaxSerial+1 {
		return time.Time{}, false
	}
	days := math.Floor(f)
	secs := int(math.Round((f - days) * 86400))
	d := int(days)
	// Excel counts a 29 February 1900 that never was: serials from 61 on
	// are one day ahead of a plain count from 1899-12-31.
	if d >= 61 {
		return time.Date(1899, 12, 30+d, 0, 0, secs, 0, loc), true
	}
	return time.Date(1899, 12, 31+d, 0, 0, secs, 0, loc), true
}

// fromCellDate reads an XLSX date cell (RFC 3339 with the UTC wall clock
// Excel showed) as that wall clock in loc.
func fromCellDate(s string, loc *time.Location) (time.Time, bool) {
	t, ok := parseISO(s, time.UTC)
	if !ok {
		return time.Time{}, false
	}
	if loc == time.UTC {
		return t, true
	}
	y, mo, d := t.Date()
	h, mi, sec := t.Clock()
	return time.Date(y, mo, d, h, mi, sec, t.Nanosecond(), loc), true
}

// parseISO parses YYYY-MM-DD, optionally followed by "T" or " " and
// HH:MM[:SS[.fraction]], optionally followed by "Z" or ±HH:MM (only after a
// time). Values without a zone are read in loc.
func parseISO(s string, loc *time.Location) (time.Time, bool) {
	if len(s) < 10 || s[4] != '-' || s[7] != '-' {
		return time.Time{}, false
	}
	y, ok1 := digits(s[0:4])
	mo, ok2 := digits(s[5:7])
	d, ok3 := digits(s[8:10])
	if !ok1 || !ok2 || !ok3 || mo < 1 || mo > 12 || d < 1 || d > daysIn(time.Month(mo), y) {
		return time.Time{}, false
	}
	rest := s[10:]
	if rest == "" {
		return time.Date(y, time.Month(mo), d, 0, 0, 0, 0, loc), true
	}
	if rest[0] != 'T' && rest[0] != 't' && rest[0] != ' ' {
		return time.Time{}, false
	}
	rest = rest[1:]
	if len(rest) < 5 || rest[2] != ':' {
		return time.Time{}, false
	}
	h, ok1 := digits(rest[0:2])
	mi, ok2 := digits(rest[3:5])
	if !ok1 || !ok2 || h > 23 || mi > 59 {
		return time.Time{}, false
	}
	rest = rest[5:]
	sec, nsec := 0, 0
	if len(rest) >= 3 && rest[0] == ':' {
		var ok bool
		if sec, ok = digits(rest[1:3]); !ok || sec > 59 {
			return time.Time{}, false
		}
		rest = rest[3:]
		if len(rest) > 1 && (rest[0] == '.' || rest[0] == ',') {
			i := 1
			scale := 100000000
			for i < len(rest) && rest[i] >= '0' && rest[i] <= '9' {
				nsec += int(rest[i]-'0') * scale
				scale /= 10
				i++
			}
			if i == 1 {
				return time.Time{}, false
			}
			rest = rest[i:]
		}
	}
	switch {
	case rest == "":
		return time.Date(y, time.Month(mo), d, h, mi, sec, nsec, loc), true
	case rest == "Z" || rest == "z":
		return time.Date(y, time.Month(mo), d, h, mi, sec, nsec, time.UTC), true
	case len(rest) == 6 && (rest[0] == '+' || rest[0] == '-') && rest[3] == ':':
		oh, ok1 := digits(rest[1:3])
		om, ok2 := digits(rest[4:6])
		if !ok1 || !ok2 || oh > 23 || om > 59 {
			return time.Time{}, false
		}
		off := (oh*60 + om) * 60
		if rest[0] == '-' {
			off = -off
		}
		t := time.Date(y, time.Month(mo), d, h, mi, sec, nsec, time.UTC)
		return t.Add(-time.Duration(off) * time.Second), true
	}
	return time.Time{}, false
}

// digits parses a short run of ASCII digits.
func digits(s string) (int, bool) {
	n := 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < '0' || c > '9' {
			return 0, false
		}
		n = n*10 + int(c-'0')
	}
	return n, true
}

// daysIn returns the number of days of month m in year y.
func daysIn(m time.Month, y int) int {
	switch m {
	case time.February:
		if y%4 == 0 && (y%100 != 0 || y%400 == 0) {
			return 29
		}
		return 28
	case time.April, time.June, time.September, time.November:
		return 30
	}
	return 31
}

// msgDateRange is the problem of a date that exists where it was written
// but not in the years RFC 3339 can write once moved to UTC.
const msgDateRange = "is out of range: in UTC it falls outside the years 0000 to 9999"

// yearOK reports whether t in loc has a four-digit year, as RFC 3339 and
// YYYY-MM-DD require ("9999-12-31 23:00" in New York is in the year 10000
// in UTC).
func yearOK(t time.Time, loc *time.Location) bool {
	y := t.In(loc).Year()
	return y >= 0 && y <= 9999
}

// formatTime renders a time for the API: RFC 3339 in UTC, with fractional
// seconds only when there are some ("2024-03-01T13:30:00Z").
func formatTime(t time.Time) string {
	t = t.UTC()
	y, mo, d := t.Date()
	h, mi, s := t.Clock()
	if t.Nanosecond() != 0 || y < 0 || y > 9999 {
		return t.Format(time.RFC3339Nano)
	}
	return civil{y, int(mo), d, h, mi, s}.apiTime()
}

// trim is strings.TrimSpace with a fast path for the usual cell that has
// no surrounding space at all.
func trim(s string) string {
	if s == "" || !untrimmed(s) {
		return s
	}
	return strings.TrimSpace(s)
}

// untrimmed reports whether strings.TrimSpace may shorten s, which is not
// empty: it starts or ends with a space or a byte of a multi-byte rune.
func untrimmed(s string) bool {
	a, z := s[0], s[len(s)-1]
	return a <= ' ' || a >= 0x80 || z <= ' ' || z >= 0x80
}

// checkLayout reports whether a Go time layout can both print and read a
// date: formatting a reference time with it and parsing the result back
// must work and keep the day.
func checkLayout(layout string) bool {
	ref := time.Date(2024, 3, 17, 14, 30, 5, 0, time.UTC)
	out := ref.Format(layout)
	if out == layout {
		return false // no layout element at all
	}
	t, err := time.Parse(layout, out)
	if err != nil {
		return false
	}
	return t.Year() == 2024 && t.Month() == 3 && t.Day() == 17
}

// cut shortens a value for messages to at most 80 characters, ending in
// "…" when cut.
func cut(s string) string {
	const max = 80
	if len(s) <= max {
		return s
	}
	n := 0
	for i := range s {
		if n == max-1 {
			return s[:i] + "…"
		}
		n++
	}
	return s
}
