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

// record is one link reference or file comment, as the spill holds it.
type record struct {
	kind     byte
	row, col int
	reverse  bool
	link     string // the column's link word
	typ      string // link_type
	by, ref  string
	key      string // the row's key (a link) or the comment's key
	column   string
	where    string
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
	for _, s := range [...]string{r.link, r.typ, r.by, r.ref, r.key, r.column, r.where} {
		b = binary.AppendUvarint(b, uint64(len(s)))
		b = append(b, s...)
	}
	return b
}

// maxString bounds a decoded string: a corrupt spill file cannot make a
// huge allocation.
const maxString = 64 << 20

// read decodes one record; io.EOF at a record boundary.
func (r *record) read(br *bufio.Reader) error {
	kind, err := br.ReadByte()
	if err != nil {
		return err
	}
	r.kind = kind
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
	r.row, r.col, r.reverse = int(row), int(col)-1, flags&1 != 0
	for _, p := range [...]*string{&r.link, &r.typ, &r.by, &r.ref, &r.key, &r.column, &r.where} {
		n, err := binary.ReadUvarint(br)
		if err != nil || n > maxString {
			return corrupt(err)
		}
		buf := make([]byte, n)
		if _, err := io.ReadFull(br, buf); err != nil {
			return corrupt(err)
		}
		*p = string(buf)
	}
	return nil
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
func (s *spill) each(fn func(i uint32, r *record) error) error {
	var src io.Reader = bytes.NewReader(s.buf)
	if s.f != nil {
		if err := s.w.Flush(); err != nil {
			return fmt.Errorf("spilling link records to %s: %w", s.f.Name(), err)
		}
		src = io.MultiReader(io.NewSectionReader(s.f, 0, s.n), bytes.NewReader(s.buf))
	}
	br := bufio.NewReaderSize(src, 64<<10)
	var r record
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
