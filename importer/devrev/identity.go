package devrev

import (
	"encoding/json"
	"errors"
	"unicode/utf8"
)

// scanCreated reads work.id, work.display_id and work.type from a
// works.create answer without encoding/json: the answer is the whole work
// (title, body, custom fields, authors, dates), and validating and skipping
// it with json.Unmarshal was the biggest single CPU cost of a row.
//
// It walks the whole answer with a strict JSON grammar (so a truncated or
// damaged answer is never taken) and answers ok only where json.Unmarshal
// into CreateWork's struct would give the same three strings and a
// non-empty ID. Anything it does not handle the way encoding/json would,
// it leaves to json.Unmarshal by answering !ok: escapes or non-ASCII bytes
// in a key (encoding/json matches keys case-insensitively, with Unicode
// folding), a key differing from work, id, display_id or type only in case,
// a repeated one, an escaped or invalid-UTF-8 identity value, a non-string
// one, a work that is not an object, nesting deeper than maxScanDepth.
func scanCreated(data []byte) (c Created, ok bool) {
	s := scanner{b: data}
	s.space()
	if !s.eat('{') {
		return Created{}, false
	}
	seenWork := false
	ok = s.members(func(key []byte) bool {
		switch k, exact := match(key, "work"); {
		case k && !exact:
			return false
		case k:
			if seenWork {
				return false
			}
			seenWork = true
			c, ok = s.work()
			return ok
		}
		return s.skip(0)
	})
	s.space()
	if !ok || !seenWork || s.i != len(s.b) || c.ID == "" {
		return Created{}, false
	}
	return c, true
}

// maxScanDepth bounds the nesting scanCreated skips itself.
const maxScanDepth = 64

// scanner is a cursor over a JSON text.
type scanner struct {
	b []byte
	i int
}

// work reads the work object's identity members and skips the others.
func (s *scanner) work() (Created, bool) {
	s.space()
	if !s.eat('{') {
		return Created{}, false
	}
	var c Created
	var seen [3]bool
	fields := [3]struct {
		name string
		dst  *string
	}{{"id", &c.ID}, {"display_id", &c.DisplayID}, {"type", &c.Type}}
	ok := s.members(func(key []byte) bool {
		for i, f := range fields {
			k, exact := match(key, f.name)
			if !k {
				continue
			}
			if !exact || seen[i] {
				return false
			}
			seen[i] = true
			v, ok := s.plainString()
			*f.dst = v
			return ok
		}
		return s.skip(1)
	})
	return c, ok
}

// match reports whether key is name to encoding/json (equal ignoring
// ASCII case; keys with escapes or non-ASCII bytes never reach here) and
// whether it is exactly name.
func match(key []byte, name string) (matches, exact bool) {
	if len(key) != len(name) {
		return false, false
	}
	exact = true
	for i := range len(key) {
		a, b := key[i], name[i]
		if a == b {
			continue
		}
		exact = false
		if a|0x20 != b || b < 'a' || b > 'z' {
			return false, false
		}
	}
	return true, exact
}

// members reads the members of an object whose '{' was eaten, through the
// closing '}', calling value after each key's ':' to read its value.
func (s *scanner) members(value func(key []byte) bool) bool {
	s.space()
	if s.eat('}') {
		return true
	}
	for {
		s.space()
		key, ok := s.key()
		if !ok {
			return false
		}
		s.space()
		if !s.eat(':') || !value(key) {
			return false
		}
		if more, ok := s.more('}'); !more {
			return ok
		}
	}
}

// more reads what follows a member or an element: the closing byte (no
// more, ok) or a comma (more to come); anything else is !ok.
func (s *scanner) more(close byte) (more, ok bool) {
	s.space()
	if s.eat(close) {
		return false, true
	}
	if s.eat(',') {
		return true, true
	}
	return false, false
}

// key reads a member name; keys with escapes or non-ASCII bytes are not
// ok (see scanCreated).
func (s *scanner) key() ([]byte, bool) {
	if !s.eat('"') {
		return nil, false
	}
	rest := s.b[s.i:]
	n := 0
	for n < len(rest) && plainByte[rest[n]] && rest[n] < utf8.RuneSelf {
		n++
	}
	if n == len(rest) || rest[n] != '"' {
		return nil, false // the end, an escape, a control or non-ASCII byte
	}
	s.i += n + 1
	return rest[:n], true
}

// plainString reads a string value without escapes and of valid UTF-8,
// which json.Unmarshal would return byte for byte.
func (s *scanner) plainString() (string, bool) {
	s.space()
	if !s.eat('"') {
		return "", false
	}
	start := s.i
	for ; s.i < len(s.b); s.i++ {
		c := s.b[s.i]
		switch {
		case c == '"':
			s.i++
			v := s.b[start : s.i-1]
			return string(v), utf8.Valid(v)
		case c == '\\' || c < 0x20:
			return "", false
		}
	}
	return "", false
}

// skip reads one JSON value of any kind, checking its grammar.
func (s *scanner) skip(depth int) bool {
	s.space()
	if s.i >= len(s.b) {
		return false
	}
	switch c := s.b[s.i]; {
	case c == '"':
		s.i++
		return s.skipString()
	case c == '{':
		if depth >= maxScanDepth {
			return false
		}
		s.i++
		return s.members(func([]byte) bool { return s.skip(depth + 1) })
	case c == '[':
		if depth >= maxScanDepth {
			return false
		}
		s.i++
		return s.elements(depth + 1)
	case c == 't':
		return s.literal("true")
	case c == 'f':
		return s.literal("false")
	case c == 'n':
		return s.literal("null")
	default:
		return s.number()
	}
}

// elements reads an array's values after its '[' through its ']'.
func (s *scanner) elements(depth int) bool {
	s.space()
	if s.eat(']') {
		return true
	}
	for {
		if !s.skip(depth) {
			return false
		}
		if more, ok := s.more(']'); !more {
			return ok
		}
	}
}

// plainByte is true for the bytes a JSON string holds as they are: all
// but the quote, the backslash and the control characters. A table lookup
// a byte is what lets skipString run over a body or a title fast.
var plainByte = func() (t [256]bool) {
	for c := 0x20; c < len(t); c++ {
		t[c] = c != '"' && c != '\\'
	}
	return t
}()

// skipString reads the rest of a string after its opening quote.
func (s *scanner) skipString() bool {
	for s.i < len(s.b) {
		rest := s.b[s.i:]
		n := 0
		for n < len(rest) && plainByte[rest[n]] {
			n++
		}
		s.i += n
		if n == len(rest) {
			return false
		}
		c := rest[n]
		s.i++
		switch {
		case c == '"':
			return true
		case c < 0x20:
			return false
		case c == '\\':
			if s.i >= len(s.b) {
				return false
			}
			e := s.b[s.i]
			s.i++
			switch e {
			case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
			case 'u':
				if s.i+4 > len(s.b) {
					return false
				}
				for _, h := range s.b[s.i : s.i+4] {
					if !isHex(h) {
						return false
					}
				}
				s.i += 4
			default:
				return false
			}
		}
	}
	return false
}

// number reads a JSON number: -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?
func (s *scanner) number() bool {
	s.eat('-')
	switch {
	case s.eat('0'):
	case s.i < len(s.b) && s.b[s.i] >= '1' && s.b[s.i] <= '9':
		s.digits()
	default:
		return false
	}
	if s.eat('.') && !s.digits() {
		return false
	}
	if s.eat('e') || s.eat('E') {
		if !s.eat('+') {
			s.eat('-')
		}
		if !s.digits() {
			return false
		}
	}
	return true
}

// digits reads [0-9]* and reports whether it read any.
func (s *scanner) digits() bool {
	start := s.i
	for s.i < len(s.b) && s.b[s.i] >= '0' && s.b[s.i] <= '9' {
		s.i++
	}
	return s.i > start
}

func (s *scanner) literal(word string) bool {
	if len(s.b)-s.i < len(word) || string(s.b[s.i:s.i+len(word)]) != word {
		return false
	}
	s.i += len(word)
	return true
}

// eat consumes c if it is next.
func (s *scanner) eat(c byte) bool {
	if s.i < len(s.b) && s.b[s.i] == c {
		s.i++
		return true
	}
	return false
}

// space skips JSON whitespace.
func (s *scanner) space() {
	for s.i < len(s.b) {
		switch s.b[s.i] {
		case ' ', '\t', '\n', '\r':
			s.i++
		default:
			return
		}
	}
}

func isHex(c byte) bool {
	return c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F'
}

// decodeCreated reads the created work's identity from a works.create
// answer: by scanCreated, or by encoding/json where it does not vouch for
// the answer. An answer without a work.id is an error: the work may exist.
func decodeCreated(data []byte) (Created, error) {
	if c, ok := scanCreated(data); ok {
		return c, nil
	}
	return unmarshalCreated(data)
}

// unmarshalCreated is decodeCreated by encoding/json alone. Only the
// identity is read back: decoding the whole spec-shaped work was a third
// of the client's CPU per row.
func unmarshalCreated(data []byte) (Created, error) {
	var out struct {
		Work *struct {
			ID        string `json:"id"`
			DisplayID string `json:"display_id"`
			Type      string `json:"type"`
		} `json:"work"`
	}
	err := json.Unmarshal(data, &out)
	if err == nil && (out.Work == nil || out.Work.ID == "") {
		err = errors.New("no work.id in the answer")
	}
	if err != nil {
		return Created{}, err
	}
	return Created{ID: out.Work.ID, DisplayID: out.Work.DisplayID, Type: out.Work.Type}, nil
}
