package source

import (
	"archive/zip"
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"
	"runtime"
)

// The shared-strings table is kept compact: the strings, each as a uvarint
// length and its bytes, sit in memory up to sstMemLimit bytes and in a temp
// file after that; an index holds the offset of every sstStride-th string
// only; reads from the file go through a window of sstWindow bytes (Excel
// writes strings in order of first use, so the lookups of a sheet read walk
// the file forwards); a small direct-mapped cache keeps repeated strings
// from being allocated again.
const (
	sstMemLimit  = 1 << 20
	sstStride    = 64
	sstWindow    = 32 << 10
	sstCacheSize = 4096
	// Longer strings are not cached, so that the cache stays under 4 MiB.
	sstCacheMaxLen = 1 << 10
)

// sharedStrings is a workbook's shared-strings table, read once, in
// streaming fashion, so that a table of hundreds of MB (Excel writes every
// text cell there) stays out of the heap.
type sharedStrings struct {
	n     int
	index []int64 // offset of string k*sstStride
	size  int64   // bytes stored

	mem    []byte // the first strings
	memEnd int64  // where the file's strings start (len(mem) once spilled)
	file   *os.File
	w      *bufio.Writer
	hint   int    // the part's size, to size mem
	win    []byte // a window over the file at winOff
	winOff int64

	nextI   int   // the string after the last one read from the store
	nextOff int64 // and its offset

	cache [sstCacheSize]struct {
		i int // index + 1; 0 is an empty slot
		s string
	}
}

// loadSharedStrings reads the shared-strings part zf; its errors name the
// part. The caller closes the table.
func loadSharedStrings(zf *zip.File) (*sharedStrings, error) {
	t := &sharedStrings{hint: int(min(zf.UncompressedSize64, sstMemLimit))}
	rc, err := zf.Open()
	if err != nil {
		return t, fmt.Errorf("part %s is damaged: %w", zf.Name, unreadable(err))
	}
	defer rc.Close()
	if err := t.read(newXMLScanner(rc)); err != nil {
		if errors.Is(err, errXMLEnd) {
			err = errors.New("its XML ends before </sst>")
		}
		return t, fmt.Errorf("part %s is damaged: %w", zf.Name, err)
	}
	if t.w != nil {
		if err := t.w.Flush(); err != nil {
			return t, fmt.Errorf("shared strings: temp file: %w", err)
		}
	}
	return t, nil
}

// read stores every <si> up to </sst>, then reads to the end of the part
// so that archive/zip checks its checksum.
func (t *sharedStrings) read(s *xmlScanner) error {
	var item stringItem
	for {
		if err := s.next(); err != nil {
			return err
		}
		switch {
		case s.end && string(s.name) == "sst":
			return s.drain()
		case s.is("si"):
			b, err := item.read(s, "si")
			if err != nil {
				return fmt.Errorf("string %d: %w", t.n, err)
			}
			if err := t.add(b); err != nil {
				return err
			}
		}
	}
}

// add appends a string.
func (t *sharedStrings) add(b []byte) error {
	if t.n%sstStride == 0 {
		t.index = append(t.index, t.size)
	}
	var hdr [binary.MaxVarintLen64]byte
	k := binary.PutUvarint(hdr[:], uint64(len(b)))
	if t.file == nil && len(t.mem)+k+len(b) > sstMemLimit {
		if err := t.spill(); err != nil {
			return err
		}
	}
	if t.file == nil {
		if t.mem == nil {
			t.mem = make([]byte, 0, min(t.hint, sstMemLimit))
		}
		t.mem = append(append(t.mem, hdr[:k]...), b...)
	} else {
		_, _ = t.w.Write(hdr[:k])
		if _, err := t.w.Write(b); err != nil {
			return fmt.Errorf("shared strings: temp file: %w", err)
		}
	}
	t.size += int64(k + len(b))
	t.n++
	return nil
}

// spill starts the temp file. On systems that allow it the file is
// unlinked at once, so that nothing is left behind even if the process is
// killed; elsewhere Close removes it.
func (t *sharedStrings) spill() error {
	f, err := os.CreateTemp("", "devrev-import-strings-*")
	if err != nil {
		return fmt.Errorf("shared strings: temp file: %w", err)
	}
	if runtime.GOOS != "windows" {
		_ = os.Remove(f.Name())
	}
	t.file, t.w, t.memEnd = f, bufio.NewWriterSize(f, 64<<10), int64(len(t.mem))
	return nil
}

// get returns string i.
func (t *sharedStrings) get(i int) (string, error) {
	if t == nil || i < 0 || i >= t.n {
		n := 0
		if t != nil {
			n = t.n
		}
		return "", fmt.Errorf("shared string %d does not exist (the table has %d)", i, n)
	}
	slot := &t.cache[i%sstCacheSize]
	if slot.i == i+1 {
		return slot.s, nil
	}
	// Walk from the index entry before i, or from where the last lookup
	// ended when that is nearer (sheets mostly use strings in order).
	off, k := t.index[i/sstStride], i%sstStride
	if t.nextI <= i && i-t.nextI < k {
		off, k = t.nextOff, i-t.nextI
	}
	for ; k >= 0; k-- {
		l, w, err := t.uvarint(off)
		if err != nil {
			return "", err
		}
		off += int64(w)
		if k == 0 {
			b, err := t.bytes(off, int(l))
			if err != nil {
				return "", err
			}
			t.nextI, t.nextOff = i+1, off+int64(l)
			v := string(b)
			if len(v) <= sstCacheMaxLen {
				slot.i, slot.s = i+1, v
			}
			return v, nil
		}
		off += int64(l)
	}
	panic("unreachable")
}

// uvarint reads a length at off.
func (t *sharedStrings) uvarint(off int64) (uint64, int, error) {
	end := t.size
	if t.file == nil || off < t.memEnd {
		end = int64(len(t.mem))
	}
	b, err := t.bytes(off, int(min(binary.MaxVarintLen64, end-off)))
	if err != nil {
		return 0, 0, err
	}
	l, w := binary.Uvarint(b)
	if w <= 0 || l > uint64(t.size-off) {
		return 0, 0, errors.New("shared strings: bad temp file")
	}
	return l, w, nil
}

// bytes returns the n stored bytes at off (valid until the next call).
func (t *sharedStrings) bytes(off int64, n int) ([]byte, error) {
	if t.file == nil || off < t.memEnd {
		if off < 0 || n < 0 || off+int64(n) > int64(len(t.mem)) {
			return nil, errors.New("shared strings: bad offset")
		}
		return t.mem[off : off+int64(n)], nil
	}
	if off >= t.winOff && off+int64(n) <= t.winOff+int64(len(t.win)) {
		return t.win[off-t.winOff : off-t.winOff+int64(n)], nil
	}
	size := max(sstWindow, n)
	if cap(t.win) < size {
		t.win = make([]byte, size)
	}
	t.win = t.win[:size]
	got, err := t.file.ReadAt(t.win, off-t.memEnd)
	if got < n {
		if err == nil || err == io.EOF {
			err = io.ErrUnexpectedEOF
		}
		t.win = t.win[:0]
		return nil, fmt.Errorf("shared strings: temp file: %w", err)
	}
	t.win, t.winOff = t.win[:got], off
	if n > sstWindow {
		// Do not keep a huge window for one long string.
		b := t.win
		t.win = nil
		return b, nil
	}
	return t.win[:n], nil
}

// Close removes the temp file.
func (t *sharedStrings) Close() error {
	if t == nil || t.file == nil {
		return nil
	}
	err := t.file.Close()
	_ = os.Remove(t.file.Name())
	t.file = nil
	return err
}

// stringItem reads the text of a string item: a shared string <si> or an
// inline string <is>. Like excelize, it joins the item's own <t> (the last
// one, if several) and the <t> of each rich-text run <r> in turn, skips
// phonetic runs (<rPh>) and formatting, and then undoes Excel's _xHHHH_
// escapes.
type stringItem struct {
	plain, runs, out []byte
}

// read reads the item whose start tag (named name) was just read; the
// result is valid until the next call.
func (it *stringItem) read(s *xmlScanner, name string) ([]byte, error) {
	it.plain, it.runs = it.plain[:0], it.runs[:0]
	if s.self {
		return nil, nil
	}
	for {
		if err := s.next(); err != nil {
			return nil, err
		}
		var err error
		switch {
		case s.end:
			if string(s.name) != name {
				return nil, fmt.Errorf("</%s> where </%s> was expected", s.name, name)
			}
			if len(it.runs) == 0 {
				return bstrDecode(it.plain), nil
			}
			it.out = append(append(it.out[:0], it.plain...), it.runs...)
			return bstrDecode(it.out), nil
		case s.is("t"):
			it.plain, err = s.text(it.plain[:0], "t")
		case s.is("r"):
			err = it.run(s)
		default:
			err = s.skip()
		}
		if err != nil {
			return nil, err
		}
	}
}

// run reads a rich-text run <r>: its last <t>.
func (it *stringItem) run(s *xmlScanner) error {
	if s.self {
		return nil
	}
	start := len(it.runs)
	for {
		if err := s.next(); err != nil {
			return err
		}
		var err error
		switch {
		case s.end:
			if string(s.name) != "r" {
				return fmt.Errorf("</%s> where </r> was expected", s.name)
			}
			return nil
		case s.is("t"):
			it.runs, err = s.text(it.runs[:start], "t")
		default:
			err = s.skip()
		}
		if err != nil {
			return err
		}
	}
}
