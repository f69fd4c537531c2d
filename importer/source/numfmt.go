package source

// builtinDateFormat reports whether a built-in number format id shows a date
// or time: 14-22 and 45-47 everywhere, plus the East Asian date/time ids
// 27-36 and 50-58 (those ids mean nothing else in any locale).
func builtinDateFormat(id int) bool {
	switch {
	case id >= 14 && id <= 22, id >= 45 && id <= 47:
		return true
	case id >= 27 && id <= 36, id >= 50 && id <= 58:
		return true
	}
	return false
}

// customDateFormat reports whether a custom number format code shows a date
// or time: whether it has a d, m, y, h or s token outside quoted text,
// escaped characters (\x), padding and fill characters (_x, *x) and
// bracketed sections. A bracket holding only h, m or s (elapsed time, [h])
// counts as a time token; other brackets ([Red], [$-409], [>=100]) do not.
func customDateFormat(code string) bool {
	for i := 0; i < len(code); i++ {
		switch c := code[i]; c {
		case '"':
			for i++; i < len(code) && code[i] != '"'; i++ {
			}
		case '\\', '_', '*':
			i++ // the next character is literal
		case '[':
			j := i + 1
			elapsed := j < len(code) && code[j] != ']'
			for ; j < len(code) && code[j] != ']'; j++ {
				switch code[j] | 0x20 {
				case 'h', 'm', 's':
				default:
					elapsed = false
				}
			}
			if elapsed {
				return true
			}
			i = j
		default:
			switch c | 0x20 {
			case 'd', 'm', 'y', 'h', 's':
				return true
			}
		}
	}
	return false
}
