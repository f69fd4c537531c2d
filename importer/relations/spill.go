package relations

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"
)

// Record kinds.
const (
	recLink    byte = 1
	recComment byte = 2
)

// record is one link reference or file comment, as Add writes it.
type record struct {
	kind     byte
	row, col int
	reverse  bool
	link     string // the column's link word
	typ      string // link_type
	by, ref  string
	key      string // the row's key (a link) or the comment's key
	column   string
}

// append encodes r: kind, row, col+1, flags, then length-prefixed strings.
func (r *record) append(b []byte) []byte {
	b = append(b, r.kind)
	b = binary.AppendUvarint(b, uint64(r.row))
	b = binary.AppendUvarint(b, uint64(r.col+1))
	flags := byte(0)
	if r.reverse {
		flags = 1
	}
	b = append(b, flags)
	for _, s := range [...]string{r.link, r.typ, r.by, r.ref, r.key, r.column} {
		b = binary.AppendUvarint(b, uint64(len(s)))
		b = append(b, s...)
	}
	return b
}

// view is a record read back. Its text fields point into buf, which the
// next read reuses: reading a million records allocates nothing.
type view struct {
	kind                            byte
	row, col                        int
	reverse                         bool
	link, typ, by, ref, key, column []byte
	buf                             []byte
	ends                            [6]int // where each text field ends in buf
}

// maxString bounds a decoded string: a corrupt spill file cannot make a
// huge allocation.
const maxString = 64 << 20

// read decodes one record; io.EOF at a record boundary.
func (v *view) read(br *bufio.Reader) error {
	kind, err := br.ReadByte()
	if err != nil {
		return err
	}
	v.kind = kind
	row, err := binary.ReadUvarint(br)
	if err != nil {
		return corrupt(err)
	}
	col, err := binary.ReadUvarint(br)
	if err != nil {
		return corrupt(err)
	}
	flags, err := br.ReadByte()
	if err != nil {
		return corrupt(err)
	}
	v.row, v.col, v.reverse = int(row), int(col)-1, flags&1 != 0
	v.buf = v.buf[:0]
	for i := range v.ends {
		n, err := binary.ReadUvarint(br)
		if err != nil || n > maxString {
			return corrupt(err)
		}
		start := len(v.buf)
		v.buf = append(v.buf, make([]byte, n)...)
		if _, err := io.ReadFull(br, v.buf[start:]); err != nil {
			return corrupt(err)
		}
		v.ends[i] = len(v.buf)
	}
	v.slice()
	return nil
}

// slice points the text fields at their parts of buf.
func (v *view) slice() {
	field := func(i int) []byte {
		start := 0
		if i > 0 {
			start = v.ends[i-1]
		}
		return v.buf[start:v.ends[i]:v.ends[i]]
	}
	v.link, v.typ, v.by, v.ref, v.key, v.column = field(0), field(1), field(2), field(3), field(4), field(5)
}

// clone copies v out of the shared buffer.
func (v *view) clone() *view {
	c := *v
	c.buf = append([]byte(nil), v.buf...)
	c.slice()
	return &c
}

func corrupt(err error) error {
	if err == nil || errors.Is(err, io.EOF) {
		err = io.ErrUnexpectedEOF
	}
	return fmt.Errorf("reading back the link records: %w", err)
}

// spill is an append-only record log: in memory up to limit bytes, then in
// a temporary file.
type spill struct {
	limit int
	dir   string
	buf   []byte
	f     *os.File // nil until the buffer first overflows
	w     *bufio.Writer
	n     int64 // bytes written to f
}

func (s *spill) add(r *record) error {
	s.buf = r.append(s.buf)
	if len(s.buf) < s.limit {
		return nil
	}
	if s.f == nil {
		f, err := os.CreateTemp(s.dir, "devrev-import-links-*.bin")
		if err != nil {
			return fmt.Errorf("spilling link records: %w", err)
		}
		s.f, s.w = f, bufio.NewWriterSize(f, 64<<10)
	}
	if _, err := s.w.Write(s.buf); err != nil {
		return fmt.Errorf("spilling link records to %s: %w", s.f.Name(), err)
	}
	s.n += int64(len(s.buf))
	s.buf = s.buf[:0]
	return nil
}

// spilled reports whether the records went to a file.
func (s *spill) spilled() bool { return s.f != nil }

// each calls fn with every record in order and its ordinal; fn returning
// errStop ends the walk without an error.
func (s *spill) each(fn func(i uint32, v *view) error) error {
	var src io.Reader = bytes.NewReader(s.buf)
	if s.f != nil {
		if err := s.w.Flush(); err != nil {
			return fmt.Errorf("spilling link records to %s: %w", s.f.Name(), err)
		}
		src = io.MultiReader(io.NewSectionReader(s.f, 0, s.n), bytes.NewReader(s.buf))
	}
	br := bufio.NewReaderSize(src, 64<<10)
	var r view
	for i := uint32(0); ; i++ {
		if err := r.read(br); err == io.EOF {
			return nil
		} else if err != nil {
			return err
		}
		if err := fn(i, &r); err == errStop {
			return nil
		} else if err != nil {
			return err
		}
	}
}

func (s *spill) close() error {
	if s.f == nil {
		return nil
	}
	name := s.f.Name()
	s.f.Close()
	s.f = nil
	return removeFile(name)
}
