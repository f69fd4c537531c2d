package source

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"strconv"
	"unicode/utf8"
)

// Limits of the XML scanner: a tag (its name and attributes), and the text
// of one element (a cell value, a shared string).
const (
	maxTagBytes  = 1 << 20
	maxTextBytes = 32 << 20
	xmlBufSize   = 256 << 10
	maxDepth     = 256
)

// xmlScanner is a small streaming tokenizer for the two SpreadsheetML parts
// read row by row (a worksheet and the shared-strings table): it works on a
// buffer of the inflated bytes with bytes.IndexByte, keeps tags in place,
// and decodes text only where a caller asks for it (character and entity
// references, CDATA sections, CR LF line ends as encoding/xml does).
// Namespace prefixes are dropped from element names, as excelize does.
// Comments, processing instructions and declarations are skipped.
type xmlScanner struct {
	src  io.Reader
	buf  []byte
	r, w int
	rerr error // what src returned once buf is drained (io.EOF at the end)

	// The last tag returned by next: its bytes between '<' and '>' (valid
	// until the next read), its local name, and whether it is an end tag or
	// self-closing.
	tag  []byte
	name []byte
	end  bool
	self bool

	names []byte // skip's stack of open element names, end to end
	ends  []int  // where each name on that stack ends
	raw   []byte // scratch for text cut by the buffer's end, and CDATA
}

func newXMLScanner(r io.Reader) *xmlScanner {
	return &xmlScanner{src: r, buf: make([]byte, xmlBufSize)}
}

// errXMLEnd is the end of the input between tokens.
var errXMLEnd = errors.New("the XML ends early")

// fill reads more input, keeping buf[r:w]; it grows the buffer when it is
// full, up to limit bytes unread. It returns false at the end of the input
// or on a read error (in s.rerr).
func (s *xmlScanner) fill(limit int) bool {
	if s.rerr != nil {
		return false
	}
	if s.r > 0 {
		s.w = copy(s.buf, s.buf[s.r:s.w])
		s.r = 0
	}
	if s.w == len(s.buf) {
		if len(s.buf) >= limit {
			return false
		}
		nb := make([]byte, min(2*len(s.buf), limit+1))
		copy(nb, s.buf[:s.w])
		s.buf = nb
	}
	for {
		n, err := s.src.Read(s.buf[s.w:])
		s.w += n
		if err != nil {
			s.rerr = err
			return n > 0
		}
		if n > 0 {
			return true
		}
	}
}

// drain reads the rest of the input, so that archive/zip checks the
// entry's size and checksum at its end, and reports a read error.
func (s *xmlScanner) drain() error {
	for s.rerr == nil {
		s.r = s.w
		s.fill(len(s.buf))
	}
	if s.rerr != io.EOF {
		return unreadable(s.rerr)
	}
	return nil
}

// readErr explains why the input stopped: damaged data, or its early end.
func (s *xmlScanner) readErr() error {
	if s.rerr == nil || s.rerr == io.EOF {
		return errXMLEnd
	}
	return unreadable(s.rerr)
}

// next skips text and returns at the next start or end tag (in s.tag,
// s.name, s.end, s.self); at the clean end of the input it returns
// errXMLEnd.
func (s *xmlScanner) next() error {
	for {
		i := bytes.IndexByte(s.buf[s.r:s.w], '<')
		if i < 0 {
			s.r = s.w
			if !s.fill(len(s.buf)) {
				return s.readErr()
			}
			continue
		}
		s.r += i
		ok, err := s.markup(nil)
		if err != nil {
			return err
		}
		if ok {
			return nil
		}
	}
}

// markup reads the markup at s.buf[s.r] == '<'. A tag is left in s.tag and
// reported with true; a comment, processing instruction or declaration is
// skipped, and a CDATA section's text appended to *text when text is not
// nil (it is not text the caller wants otherwise).
func (s *xmlScanner) markup(text *[]byte) (bool, error) {
	if s.w-s.r < 9 {
		s.fill(maxTagBytes)
	}
	b := s.buf[s.r:s.w]
	if len(b) > 1 && b[1] != '!' && b[1] != '?' {
		return true, s.readTag()
	}
	switch {
	case bytes.HasPrefix(b, []byte("<!--")):
		return false, s.skipPast(4, "-->")
	case bytes.HasPrefix(b, []byte("<![CDATA[")):
		s.r += 9
		return false, s.cdata(text)
	case bytes.HasPrefix(b, []byte("<?")):
		return false, s.skipPast(2, "?>")
	}
	if err := s.readTag(); err != nil {
		return false, err
	}
	if len(s.tag) > 0 && s.tag[0] == '!' {
		return false, nil // <!DOCTYPE ...> and the like
	}
	return true, nil
}

// skipPast discards input from s.r+from up to and including seq.
func (s *xmlScanner) skipPast(from int, seq string) error {
	s.r += from
	for {
		if i := bytes.Index(s.buf[s.r:s.w], []byte(seq)); i >= 0 {
			s.r += i + len(seq)
			return nil
		}
		s.r = max(s.r, s.w-len(seq)+1)
		if !s.fill(len(s.buf)) {
			return s.readErr()
		}
	}
}

// cdata reads a CDATA section's text (s.r just after "<![CDATA[") up to
// "]]>", appending it to *text when text is not nil.
func (s *xmlScanner) cdata(text *[]byte) error {
	s.raw = s.raw[:0]
	for {
		if i := bytes.Index(s.buf[s.r:s.w], []byte("]]>")); i >= 0 {
			s.raw = append(s.raw, s.buf[s.r:s.r+i]...)
			s.r += i + 3
			break
		}
		keep := max(s.r, s.w-2)
		s.raw = append(s.raw, s.buf[s.r:keep]...)
		s.r = keep
		if len(s.raw) > maxTextBytes {
			return errTooLong
		}
		if !s.fill(len(s.buf)) {
			return s.readErr()
		}
	}
	if text == nil {
		return nil
	}
	return appendRaw(text, s.raw)
}

// readTag reads the tag at s.buf[s.r] == '<' up to the '>' outside quoted
// attribute values, and sets s.tag, s.name, s.end and s.self.
func (s *xmlScanner) readTag() error {
	// Fast path: the first '>' ends the tag when no quoted value before it
	// is open (an even number of '"', no '\'').
	b := s.buf[s.r:s.w]
	if j := bytes.IndexByte(b, '>'); j > 0 {
		if seg := b[1:j]; bytes.Count(seg, []byte{'"'})%2 == 0 && bytes.IndexByte(seg, '\'') < 0 {
			s.setTag(seg)
			s.r += j + 1
			return nil
		}
	}
	i := 1 // where to look on, from s.r
	for {
		b := s.buf[s.r:s.w]
		for i < len(b) {
			j := bytes.IndexByte(b[i:], '>')
			if j < 0 {
				i = len(b)
				break
			}
			q := firstQuote(b[i : i+j])
			if q < 0 {
				s.setTag(b[1 : i+j])
				s.r += i + j + 1
				return nil
			}
			// Skip the quoted value, which may hold a '>'.
			e := bytes.IndexByte(b[i+q+1:], b[i+q])
			if e < 0 {
				i = len(b)
				break
			}
			i += q + 1 + e + 1
		}
		if s.w-s.r > maxTagBytes {
			return errors.New("a tag longer than 1 MiB")
		}
		// Rescan the cut tag from its start once more input is in.
		i = 1
		if !s.fill(maxTagBytes + 2) {
			if s.rerr == io.EOF {
				return errXMLEnd
			}
			return s.readErr()
		}
	}
}

// trimSpace cuts white space (and a stray '/') from both ends of b.
func trimSpace(b []byte) []byte {
	for len(b) > 0 && (isSpace(b[0]) || b[0] == '/') {
		b = b[1:]
	}
	for len(b) > 0 && isSpace(b[len(b)-1]) {
		b = b[:len(b)-1]
	}
	return b
}

// firstQuote returns the index of the first quote character in b, or -1.
func firstQuote(b []byte) int {
	for i, c := range b {
		if c == '"' || c == '\'' {
			return i
		}
	}
	return -1
}

// nextAttr returns the attribute of a tag (as in s.tag) at or after i: its
// local name (any prefix removed) and raw value, and where the next one
// may start; ok is false when there is none. Values are not
// entity-decoded, which the attributes read here never need.
func nextAttr(tag []byte, i int) (key, val []byte, next int, ok bool) {
	if i == 0 {
		for i < len(tag) && !isSpace(tag[i]) && tag[i] != '/' {
			i++ // element name
		}
	}
	for i < len(tag) {
		eq := bytes.IndexByte(tag[i:], '=')
		if eq < 0 {
			return nil, nil, len(tag), false
		}
		key = trimSpace(tag[i : i+eq])
		j := i + eq + 1
		for j < len(tag) && isSpace(tag[j]) {
			j++
		}
		if j >= len(tag) || (tag[j] != '"' && tag[j] != '\'') {
			return nil, nil, len(tag), false
		}
		e := bytes.IndexByte(tag[j+1:], tag[j])
		if e < 0 {
			return nil, nil, len(tag), false
		}
		val = tag[j+1 : j+1+e]
		if k := bytes.IndexByte(key, ':'); k >= 0 {
			key = key[k+1:]
		}
		return key, val, j + 2 + e, true
	}
	return nil, nil, len(tag), false
}

// setTag splits a tag's bytes (between '<' and '>').
func (s *xmlScanner) setTag(t []byte) {
	s.end, s.self = false, false
	if len(t) > 0 && t[0] == '/' {
		s.end = true
		t = t[1:]
	}
	if n := len(t); n > 0 && t[n-1] == '/' {
		s.self = true
	}
	s.tag = t
	i := 0
	for i < len(t) && !isSpace(t[i]) && t[i] != '/' {
		i++
	}
	name := t[:i]
	if j := bytes.LastIndexByte(name, ':'); j >= 0 {
		name = name[j+1:]
	}
	s.name = name
}

// is reports whether the last tag is a start (or self-closing) tag named
// name.
func (s *xmlScanner) is(name string) bool {
	return !s.end && string(s.name) == name
}

// skip skips the content of the element whose start tag was just read, up
// to and including its end tag (nothing when it was self-closing), checking
// that the end tags inside match their start tags.
func (s *xmlScanner) skip() error {
	if s.self {
		return nil
	}
	s.names = append(s.names[:0], s.name...)
	s.ends = append(s.ends[:0], len(s.names))
	for len(s.ends) > 0 {
		if err := s.next(); err != nil {
			return err
		}
		switch {
		case s.self:
		case !s.end:
			if len(s.ends) >= maxDepth {
				return fmt.Errorf("elements nested more than %d deep", maxDepth)
			}
			s.names = append(s.names, s.name...)
			s.ends = append(s.ends, len(s.names))
		default:
			n, start := len(s.ends), 0
			if n > 1 {
				start = s.ends[n-2]
			}
			if top := s.names[start:s.ends[n-1]]; !bytes.Equal(top, s.name) {
				return fmt.Errorf("</%s> closes <%s>", s.name, top)
			}
			s.names, s.ends = s.names[:start], s.ends[:n-1]
		}
	}
	return nil
}

// text appends to dst the decoded character data of the element whose
// start tag (named name) was just read, up to and including its end tag;
// text inside nested elements is skipped, as encoding/xml does for a string
// field.
func (s *xmlScanner) text(dst []byte, name string) ([]byte, error) {
	if s.self {
		return dst, nil
	}
	for {
		b := s.buf[s.r:s.w]
		i := bytes.IndexByte(b, '<')
		if i < 0 {
			// Text cut by the end of the buffer: collect it raw (an
			// entity may be cut too) and decode it once complete.
			s.raw = append(s.raw[:0], b...)
			s.r = s.w
			for {
				if len(s.raw) > maxTextBytes {
					return dst, errTooLong
				}
				if !s.fill(len(s.buf)) {
					return dst, s.readErr()
				}
				b = s.buf[s.r:s.w]
				if i = bytes.IndexByte(b, '<'); i >= 0 {
					break
				}
				s.raw = append(s.raw, b...)
				s.r = s.w
			}
			s.raw = append(s.raw, b[:i]...)
			s.r += i
			var err error
			if dst, err = decodeText(dst, s.raw); err != nil {
				return dst, err
			}
		} else if i > 0 {
			var err error
			if dst, err = decodeText(dst, b[:i]); err != nil {
				return dst, err
			}
			s.r += i
		}
		if len(dst) > maxTextBytes {
			return dst, errTooLong
		}
		ok, err := s.markup(&dst)
		if err != nil {
			return dst, err
		}
		switch {
		case !ok:
		case s.end:
			if string(s.name) != name {
				return dst, fmt.Errorf("</%s> where </%s> was expected", s.name, name)
			}
			return dst, nil
		default:
			if err := s.skip(); err != nil {
				return dst, err
			}
		}
	}
}

var errTooLong = fmt.Errorf("a value longer than %d MiB", maxTextBytes>>20)

// appendRaw appends CDATA text, with line ends normalized.
func appendRaw(dst *[]byte, b []byte) error {
	if !utf8.Valid(b) {
		return errors.New("invalid UTF-8 text")
	}
	for {
		i := bytes.IndexByte(b, '\r')
		if i < 0 {
			*dst = append(*dst, b...)
			return nil
		}
		*dst = append(*dst, b[:i]...)
		*dst = append(*dst, '\n')
		b = b[i+1:]
		if len(b) > 0 && b[0] == '\n' {
			b = b[1:]
		}
	}
}

// decodeText appends character data to dst: references (&amp; &#10;
// &#x1F600;) decoded, CR LF and lone CR turned into LF, as an XML parser
// does. Invalid UTF-8, control characters XML does not allow and unknown
// entities are errors.
func decodeText(dst, b []byte) ([]byte, error) {
	start := 0
	for i := 0; i < len(b); i++ {
		c := b[i]
		if c >= 0x20 && c != '&' {
			continue
		}
		dst = append(dst, b[start:i]...)
		switch c {
		case '\t', '\n':
			dst = append(dst, c)
		case '\r':
			dst = append(dst, '\n')
			if i+1 < len(b) && b[i+1] == '\n' {
				i++
			}
		case '&':
			j := bytes.IndexByte(b[i:], ';')
			if j < 0 || j > 40 {
				return dst, fmt.Errorf("a bare & in text")
			}
			r, ok := entity(b[i+1 : i+j])
			if !ok {
				return dst, fmt.Errorf("unknown entity %q", b[i:i+j+1])
			}
			dst = utf8.AppendRune(dst, r)
			i += j
		default:
			return dst, fmt.Errorf("illegal character code U+%04X", c)
		}
		start = i + 1
	}
	dst = append(dst, b[start:]...)
	if !utf8.Valid(b) {
		return dst, errors.New("invalid UTF-8 text")
	}
	return dst, nil
}

// entity decodes the name of a predefined entity or a character reference
// (without & and ;).
func entity(e []byte) (rune, bool) {
	switch string(e) {
	case "amp":
		return '&', true
	case "lt":
		return '<', true
	case "gt":
		return '>', true
	case "quot":
		return '"', true
	case "apos":
		return '\'', true
	}
	if len(e) < 2 || e[0] != '#' {
		return 0, false
	}
	var n uint64
	var err error
	if e[1] == 'x' {
		n, err = strconv.ParseUint(string(e[2:]), 16, 32)
	} else {
		n, err = strconv.ParseUint(string(e[1:]), 10, 32)
	}
	r := rune(n)
	if err != nil || !xmlChar(r) {
		return 0, false
	}
	return r, true
}

// xmlChar reports whether r is a character XML 1.0 allows.
func xmlChar(r rune) bool {
	return r == 0x09 || r == 0x0A || r == 0x0D ||
		r >= 0x20 && r <= 0xD7FF || r >= 0xE000 && r <= 0xFFFD || r >= 0x10000 && r <= 0x10FFFF
}

// bstrDecode undoes the _xHHHH_ escapes Excel writes for characters XML
// cannot hold (_x000D_ for CR, _x005F_ for a literal underscore), exactly as
// excelize does when it reads a shared or inline string (an escape of a
// surrogate half is dropped).
func bstrDecode(s []byte) []byte {
	i := bytes.Index(s, []byte("_x"))
	if i < 0 {
		return s
	}
	out := make([]byte, 0, len(s))
	for i >= 0 {
		out = append(out, s[:i]...)
		if i+7 <= len(s) && s[i+6] == '_' && isHex4(s[i+2:i+6]) {
			n, _ := strconv.ParseUint(string(s[i+2:i+6]), 16, 32)
			if r := rune(n); utf8.ValidRune(r) {
				out = utf8.AppendRune(out, r)
			}
			s = s[i+7:]
		} else {
			out = append(out, s[i])
			s = s[i+1:]
		}
		i = bytes.Index(s, []byte("_x"))
	}
	return append(out, s...)
}

func isHex4(b []byte) bool {
	for _, c := range b {
		if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F') {
			return false
		}
	}
	return true
}
