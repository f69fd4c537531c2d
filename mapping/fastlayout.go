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
	c, ok := numericLayoutFields(layout, s)
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
func numericLayoutFields(layout, s string) (t civil, ok bool) {
	year, month, day, hour, minute, sec := 0, -1, -1, 0, 0, 0
	seen := 0 // bits: 1 year, 2 month, 4 day
	for len(layout) > 0 {
		var n int
		switch {
		case len(layout) >= 4 && layout[:4] == "2006":
			if n, s, ok = numAt(s, 4, 4); !ok {
				return t, false
			}
			year, seen, layout = n, seen|1, layout[4:]
		case len(layout) >= 2 && layout[0] == '0' && (layout[1] == '1' || layout[1] == '2' || layout[1] == '4' || layout[1] == '5'),
			len(layout) >= 2 && layout[:2] == "15":
			lo := 2
			if layout[0] == '1' {
				lo = 1 // an hour may have one digit
			}
			if n, s, ok = numAt(s, lo, 2); !ok {
				return t, false
			}
			switch layout[:2] {
			case "01":
				month, seen = n, seen|2
				ok = n >= 1 && n <= 12
			case "02":
				day, seen = n, seen|4
				ok = n >= 1 && n <= 31
			case "15":
				hour, ok = n, n <= 23
			case "04":
				minute, ok = n, n <= 59
			case "05":
				sec, ok = n, n <= 59
				// time reads a fraction after the seconds even when
				// the layout has none.
				ok = ok && !(len(s) >= 2 && (s[0] == '.' || s[0] == ',') && isDigit(s[1]))
			}
			if !ok {
				return t, false
			}
			layout = layout[2:]
		case layout[0] == ' ':
			// time: a run of spaces matches a run of spaces.
			if len(s) == 0 || s[0] != ' ' {
				return t, false
			}
			layout, s = trimSpaces(layout), trimSpaces(s)
		case layout[0] == '/' || layout[0] == ':' || layout[0] == 'T' ||
			(layout[0] == '.' || layout[0] == ',') && !fractionAt(layout) ||
			layout[0] == '-' && !(len(layout) > 2 && layout[1] == '0' && layout[2] == '7'):
			if len(s) == 0 || s[0] != layout[0] {
				return t, false
			}
			layout, s = layout[1:], s[1:]
		default:
			return t, false // another element of time's layouts
		}
	}
	if len(s) > 0 || seen != 7 {
		return t, false
	}
	if day > daysIn(time.Month(month), year) {
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
