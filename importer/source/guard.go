package source

import (
	"bytes"
	"io"
	"unicode/utf8"
)

// minRecordLimit is the smallest record a recordGuard lets through whole.
const minRecordLimit = 16 << 20

// recordLimit is the longest CSV record read whole for a cell limit: room
// for two cells at the limit and the rest of a wide row, at least 16 MiB.
func recordLimit(maxCell int) int64 {
	return max(minRecordLimit, 2*int64(maxCell)+1<<20)
}

// guardState is where a recordGuard is in encoding/csv's grammar.
type guardState uint8

const (
	outside   guardState = iota // in an unquoted field, or between fields
	quoted                      // inside a quoted field
	quoteSeen                   // inside a quoted field, just after a '"'
	quoteCR                     // after a '"' and a '\r' (a "\r\n" closes the field)
	skipLine                    // after a quote error: encoding/csv drops the rest of the line
)

// recordGuard sits between the text of a CSV file and encoding/csv and cuts
// every record longer than limit bytes, so that a hostile file (a 50 MB
// cell, or a quote that never closes over millions of lines) cannot make
// encoding/csv, which holds a whole record and grows its buffers by
// doubling, use hundreds of megabytes: it holds at most about a limit.
//
// It follows encoding/csv's strict grammar (a quote opens a field only at
// its start; inside one, "" is a quote and a lone " must close it; after a
// quote error the rest of the line is dropped) to know where records end.
// That costs an IndexByte per quote and per chunk, not a loop over bytes.
// Past the limit it drops the record's bytes up to its end and hands
// encoding/csv a closing quote (when inside one) and the record's
// newlines, so the record ends there and line numbers stay those of the
// file. cuts holds, for every cut record, the offset in its output at
// which the cut happened, for the reader to mark that record's row.
//
// The delimiter must be one byte.
type recordGuard struct {
	r     io.Reader
	limit int64
	delim byte

	st         guardState
	fieldStart bool  // outside: the next byte starts a field
	in         int64 // offset in the input of the next byte read
	recStart   int64 // input offset of the current record's first byte
	out        int64 // bytes handed on

	dropping bool    // inside a record past the limit: drop until its end
	emit     []byte  // bytes to hand on before reading more
	cuts     []int64 // output offsets of the cuts not yet claimed by a record
	err      error   // from r, returned once emit is empty

	// suspect lists the output ranges that may hold invalid UTF-8, in
	// order: a chunk that is not valid UTF-8 and the ends of a chunk where
	// a sequence may be split across two reads. A record outside all of them is valid UTF-8 as a whole,
	// so each of its cells is (see takeSuspect).
	suspect []span
}

// span is a range of output offsets, from inclusive, to exclusive.
type span struct{ from, to int64 }

// maxSuspects bounds the suspect list: past it a new range is merged into
// the last one, which only makes more records checked cell by cell.
const maxSuspects = 64

func newRecordGuard(r io.Reader, limit int64, delim byte) *recordGuard {
	return &recordGuard{r: r, limit: limit, delim: delim, fieldStart: true}
}

// Read implements io.Reader.
func (g *recordGuard) Read(p []byte) (int, error) {
	for {
		if len(g.emit) > 0 {
			n := copy(p, g.emit)
			g.emit = g.emit[n:]
			g.out += int64(n)
			return n, nil
		}
		if g.err != nil {
			return 0, g.err
		}
		n, err := g.r.Read(p)
		g.err = err
		if n == 0 {
			continue
		}
		if !g.dropping && g.recStart+g.limit-g.in >= int64(n) {
			// The common case: no record can reach the limit in p.
			g.scan(p[:n], g.in)
			g.checkUTF8(p[:n], g.out)
			g.in += int64(n)
			g.out += int64(n)
			return n, nil
		}
		g.slow(p[:n])
		g.checkUTF8(g.emit, g.out) // what is handed on of p, at g.out once emit is empty
	}
}

// checkUTF8 adds to the suspect ranges what of chunk, handed on at output
// offset off, may not be valid UTF-8: up to three continuation bytes at
// its start and an unfinished sequence at its end (a sequence split
// between two reads; the record holding it is checked cell by cell), and
// the rest of the chunk when that is not valid UTF-8. utf8.Valid over a
// whole chunk costs less than utf8.ValidString over each cell.
func (g *recordGuard) checkUTF8(chunk []byte, off int64) {
	head := 0
	for head < len(chunk) && head < utf8.UTFMax-1 && !utf8.RuneStart(chunk[head]) {
		head++
	}
	if head > 0 {
		g.markSuspect(off, off+int64(head))
	}
	body := trimPartialRune(chunk[head:])
	end := off + int64(head+len(body))
	if len(body) < len(chunk)-head {
		g.markSuspect(end, off+int64(len(chunk)))
	}
	if !utf8.Valid(body) {
		g.markSuspect(off+int64(head), end)
	}
}

// markSuspect adds the range [from, to) to the suspect ranges.
func (g *recordGuard) markSuspect(from, to int64) {
	if from >= to {
		return
	}
	if n := len(g.suspect); n > 0 && (from <= g.suspect[n-1].to || n >= maxSuspects) {
		last := &g.suspect[n-1]
		last.from, last.to = min(last.from, from), max(last.to, to)
		return
	}
	g.suspect = append(g.suspect, span{from, to})
}

// takeSuspect reports whether the record encoding/csv just returned, which
// spans output offsets [from, to), overlaps a range that may hold invalid
// UTF-8, and forgets the ranges that end within it. Ranges are added in
// the order the guard hands bytes on, ahead of encoding/csv, so every
// range that ends before from belonged to earlier records.
func (g *recordGuard) takeSuspect(from, to int64) bool {
	for len(g.suspect) > 0 && g.suspect[0].to <= from {
		g.suspect = g.suspect[1:]
	}
	hit := len(g.suspect) > 0 && g.suspect[0].from < to
	for len(g.suspect) > 0 && g.suspect[0].to <= to {
		g.suspect = g.suspect[1:]
	}
	return hit
}

// slow runs the grammar over a chunk in which a record reaches the limit
// (or which is dropped), queueing in emit what is handed on: the bytes
// before the cut, a closing quote when the cut is inside one, a newline
// for each newline of the dropped part, and the bytes after the record's
// end.
func (g *recordGuard) slow(chunk []byte) {
	base := g.in
	g.in += int64(len(chunk))
	for i := 0; i < len(chunk); {
		if g.dropping {
			i = g.drop(chunk, base, i)
			continue
		}
		budget := g.recStart + g.limit - base // index where the record reaches the limit
		if budget >= int64(len(chunk)) {
			g.scan(chunk[i:], base+int64(i))
			g.emit = append(g.emit, chunk[i:]...)
			return
		}
		if budget > int64(i) {
			start := g.recStart
			g.scan(chunk[i:budget], base+int64(i))
			g.emit = append(g.emit, chunk[i:budget]...)
			i = int(budget)
			if g.recStart != start {
				continue // a record ended before the limit
			}
		}
		g.cuts = append(g.cuts, g.out+int64(len(g.emit)))
		if g.st == quoted {
			g.emit = append(g.emit, '"')
		}
		g.dropping = true
	}
}

// drop runs the grammar over chunk[i:] without handing it on, queueing a
// newline for each one dropped, until the record being dropped ends. It
// returns the index after the record's last byte (len(chunk) when the
// record goes on).
func (g *recordGuard) drop(chunk []byte, base int64, i int) int {
	start := g.recStart
	for k := i; k < len(chunk); {
		nl := bytes.IndexByte(chunk[k:], '\n')
		end := len(chunk)
		if nl >= 0 {
			end = k + nl + 1
		}
		g.scan(chunk[k:end], base+int64(k))
		if nl >= 0 {
			g.emit = append(g.emit, '\n')
		}
		if g.recStart != start {
			g.dropping = false
			return end
		}
		k = end
	}
	return len(chunk)
}

// scan advances the grammar over b, whose first byte is at input offset
// off, moving recStart to the start of the last record that begins in b.
func (g *recordGuard) scan(b []byte, off int64) {
	// The last unquoted stretch holding a newline, resolved at the end:
	// LastIndexByte is a plain loop, IndexByte is vectorized.
	var nlSeg []byte
	var nlOff int64
	defer func() {
		if nlSeg != nil {
			g.recStart = nlOff + int64(bytes.LastIndexByte(nlSeg, '\n')+1)
		}
	}()
	for i := 0; i < len(b); {
		switch g.st {
		case outside:
			q := bytes.IndexByte(b[i:], '"')
			seg := b[i:]
			if q >= 0 {
				seg = b[i : i+q]
			}
			if bytes.IndexByte(seg, '\n') >= 0 {
				nlSeg, nlOff = seg, off+int64(i)
			}
			if len(seg) > 0 {
				last := seg[len(seg)-1]
				g.fieldStart = last == g.delim || last == '\n'
			}
			if q < 0 {
				return
			}
			if g.fieldStart {
				g.st = quoted
			} else {
				g.st = skipLine // a bare quote
			}
			g.fieldStart = false
			i += q + 1
		case quoted:
			q := bytes.IndexByte(b[i:], '"')
			if q < 0 {
				return
			}
			g.st = quoteSeen
			i += q + 1
		case quoteSeen:
			switch b[i] {
			case '"':
				g.st = quoted
			case g.delim:
				g.st, g.fieldStart = outside, true
			case '\n':
				g.st, g.fieldStart = outside, true
				g.recStart, nlSeg = off+int64(i+1), nil
			case '\r':
				g.st = quoteCR
			default:
				g.st = skipLine
			}
			i++
		case quoteCR:
			if b[i] == '\n' {
				g.st, g.fieldStart = outside, true
				g.recStart, nlSeg = off+int64(i+1), nil
				i++
			} else {
				g.st = skipLine
			}
		case skipLine:
			nl := bytes.IndexByte(b[i:], '\n')
			if nl < 0 {
				return
			}
			g.st, g.fieldStart = outside, true
			i += nl + 1
			g.recStart, nlSeg = off+int64(i), nil
		}
	}
}

// takeCut reports whether the record encoding/csv just returned, which
// ended at output offset end, was cut. The guard reads ahead of
// encoding/csv, so a pending cut belongs to this record or a later one; a
// cut record ends after its cut, or at it when the file ends there.
func (g *recordGuard) takeCut(end int64) bool {
	if len(g.cuts) == 0 || g.cuts[0] > end {
		return false
	}
	g.cuts = g.cuts[1:]
	return true
}
