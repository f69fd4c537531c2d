package mapping

import "time"

// parseNumericLayout is time.ParseInLocation(layout, s, loc) for the
// layouts most mappings give as format: (02.01.2006 15:04, 01/02/2006,
// 2006-01-02 15:04:05), without time's general machinery, which cost a
// tenth of a CSV validate's CPU. It handles layouts made of 2006, 01, 02,
// 15, 04, 05 and the separators space / : . , - T; ok is false for any
// other layout and for any value it does not read exactly as time would,
// so that the caller falls back to time.ParseInLocation, whose result (and
// error) then decides. Where ok is true the result is time's.
func parseNumericLayout(layout, s string, loc *time.Location) (time.Time, bool) {
	l := compileNumericLayout(layout)
	return l.parse(s, loc)
}

// parse is parseNumericLayout by a layout taken apart already.
func (l *numericLayout) parse(s string, loc *time.Location) (time.Time, bool) {
	c, ok := l.read(s)
	if !ok {
		return time.Time{}, false
	}
	return time.Date(c.year, time.Month(c.month), c.day, c.hour, c.minute, c.sec, 0, loc), true
}

// civil is a wall-clock time read by numericLayoutFields: a year of four
// digits and fields in their ranges, the day one its month has.
type civil struct{ year, month, day, hour, minute, sec int }

// apiTime is formatTime(time.Date(c..., time.UTC)) without time's
// calendar arithmetic: a CSV validate formats a date a row.
func (c civil) apiTime() string {
	var b [20]byte
	put2 := func(i, v int) { b[i], b[i+1] = byte('0'+v/10), byte('0'+v%10) }
	put2(0, c.year/100)
	put2(2, c.year%100)
	b[4] = '-'
	put2(5, c.month)
	b[7] = '-'
	put2(8, c.day)
	b[10] = 'T'
	put2(11, c.hour)
	b[13] = ':'
	put2(14, c.minute)
	b[16] = ':'
	put2(17, c.sec)
	b[19] = 'Z'
	return string(b[:])
}

// numericLayoutFields reads s by layout for parseNumericLayout.
func numericLayoutFields(layout, s string) (civil, bool) {
	l := compileNumericLayout(layout)
	return l.read(s)
}

// numericLayout is a layout numericLayoutFields handles, taken apart once
// (a binding keeps it) so that reading a cell by it does not walk the
// layout string again: that walk was half the cost of a date cell. It is
// an array, not a slice, so that taking a layout apart for one value
// (readDate) allocates nothing.
type numericLayout struct {
	ok    bool // the layout is one read handles
	n     int  // elements used
	elems [maxLayoutElems]layoutElem
}

// maxLayoutElems bounds a numericLayout; a longer layout (none of the
// usual ones comes near) is left to time.
const maxLayoutElems = 24

// layoutElem is one element of a numericLayout: a field (op) or a
// separator byte that must be there (opLit, c).
type layoutElem struct {
	op byte
	c  byte
}

// The elements of a numericLayout.
const (
	opYear   byte = iota // 2006: four digits
	opMonth              // 01: two digits, 1..12
	opDay                // 02: two digits, 1..31
	opHour               // 15: one or two digits, 0..23
	opMinute             // 04: two digits, 0..59
	opSecond             // 05: two digits, 0..59, no fraction after them
	opSpaces             // a run of spaces matches a run of spaces
	opLit                // the byte c
)

// compileNumericLayout takes layout apart for read. The result is not ok
// (read accepts no value) for a layout with another element of time's
// layouts, or without a year, a month and a day.
func compileNumericLayout(layout string) numericLayout {
	var l numericLayout
	seen := 0 // bits: 1 year, 2 month, 4 day
	for len(layout) > 0 {
		var e layoutElem
		switch {
		case len(layout) >= 4 && layout[:4] == "2006":
			e, seen, layout = layoutElem{op: opYear}, seen|1, layout[4:]
		case len(layout) >= 2 && layout[:2] == "01":
			e, seen, layout = layoutElem{op: opMonth}, seen|2, layout[2:]
		case len(layout) >= 2 && layout[:2] == "02":
			e, seen, layout = layoutElem{op: opDay}, seen|4, layout[2:]
		case len(layout) >= 2 && layout[:2] == "15":
			e, layout = layoutElem{op: opHour}, layout[2:]
		case len(layout) >= 2 && layout[:2] == "04":
			e, layout = layoutElem{op: opMinute}, layout[2:]
		case len(layout) >= 2 && layout[:2] == "05":
			e, layout = layoutElem{op: opSecond}, layout[2:]
		case layout[0] == ' ':
			e, layout = layoutElem{op: opSpaces}, trimSpaces(layout)
		case layout[0] == '/' || layout[0] == ':' || layout[0] == 'T' ||
			(layout[0] == '.' || layout[0] == ',') && !fractionAt(layout) ||
			layout[0] == '-' && !(len(layout) > 2 && layout[1] == '0' && layout[2] == '7'):
			e, layout = layoutElem{op: opLit, c: layout[0]}, layout[1:]
		default:
			return numericLayout{} // another element of time's layouts
		}
		if l.n == maxLayoutElems {
			return numericLayout{}
		}
		l.elems[l.n] = e
		l.n++
	}
	l.ok = seen == 7
	return l
}

// read reads s by l as time would, with the ranges time checks; ok is
// false for anything else (see parseNumericLayout).
func (l *numericLayout) read(s string) (t civil, ok bool) {
	if !l.ok {
		return t, false
	}
	year, month, day, hour, minute, sec := 0, 1, 1, 0, 0, 0
	for _, e := range l.elems[:l.n] {
		var n int
		switch e.op {
		case opYear:
			if n, s, ok = numAt(s, 4, 4); !ok {
				return t, false
			}
			year = n
		case opMonth:
			if n, s, ok = twoDigits(s); !ok || n < 1 || n > 12 {
				return t, false
			}
			month = n
		case opDay:
			if n, s, ok = twoDigits(s); !ok || n < 1 || n > 31 {
				return t, false
			}
			day = n
		case opHour:
			if n, s, ok = numAt(s, 1, 2); !ok || n > 23 {
				return t, false
			}
			hour = n
		case opMinute:
			if n, s, ok = twoDigits(s); !ok || n > 59 {
				return t, false
			}
			minute = n
		case opSecond:
			if n, s, ok = twoDigits(s); !ok || n > 59 {
				return t, false
			}
			// time reads a fraction after the seconds even when the
			// layout has none.
			if len(s) >= 2 && (s[0] == '.' || s[0] == ',') && isDigit(s[1]) {
				return t, false
			}
			sec = n
		case opSpaces:
			if len(s) == 0 || s[0] != ' ' {
				return t, false
			}
			s = trimSpaces(s)
		default: // opLit
			if len(s) == 0 || s[0] != e.c {
				return t, false
			}
			s = s[1:]
		}
	}
	if len(s) > 0 || day > daysIn(time.Month(month), year) {
		return t, false
	}
	return civil{year, month, day, hour, minute, sec}, true
}

// numAt reads between lo and hi decimal digits (as many as there are, up
// to hi) from the start of s.
func numAt(s string, lo, hi int) (n int, rest string, ok bool) {
	i := 0
	for i < hi && i < len(s) && isDigit(s[i]) {
		n = n*10 + int(s[i]-'0')
		i++
	}
	return n, s[i:], i >= lo
}

// twoDigits is numAt(s, 2, 2) without the loop: most fields are two
// digits.
func twoDigits(s string) (n int, rest string, ok bool) {
	if len(s) < 2 || !isDigit(s[0]) || !isDigit(s[1]) {
		return 0, s, false
	}
	return int(s[0]-'0')*10 + int(s[1]-'0'), s[2:], true
}

func isDigit(c byte) bool { return '0' <= c && c <= '9' }

func trimSpaces(s string) string {
	for len(s) > 0 && s[0] == ' ' {
		s = s[1:]
	}
	return s
}

// fractionAt reports whether layout starts with time's fractional-second
// element: a '.' or ',' then a run of 0s or of 9s not followed by a digit.
func fractionAt(layout string) bool {
	if len(layout) < 2 || layout[1] != '0' && layout[1] != '9' {
		return false
	}
	j := 1
	for j < len(layout) && layout[j] == layout[1] {
		j++
	}
	return j == len(layout) || !isDigit(layout[j])
}
