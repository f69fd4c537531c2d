package checkpoint

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"os"
	"time"
)

// Version is the format version this tool writes in the header's
// "checkpoint" key. Version 2 records the checkpoint's identity (endpoint,
// org, key, mapping) and keys rows with mapping.KeySchemeCurrent; version 1
// files, written before, are still read and resumed with the keys they
// have (mapping.KeySchemeLegacy), and an older tool refuses version 2
// instead of keying its rows differently.
const Version = 2

// Header describes the run that created a journal: which input it was for,
// where its works were created, how its rows are keyed and with which
// mapping. Journal.Header and Read return what the checkpoint recorded.
type Header struct {
	// Version is the format version (Read and Journal.Header; Open writes
	// Version).
	Version int
	// Input is the absolute path of the input file.
	Input string
	// Size is the input file's size in bytes.
	Size int64
	// MappingHash identifies the mapping, e.g. "sha256:...".
	MappingHash string
	// Mapping describes the mapping entry by entry (see
	// mapping.Mapper.Describe), so that a change can be named.
	Mapping map[string]string
	// Endpoint is the API the works were created through ("sandbox" for
	// the in-process simulator).
	Endpoint string
	// Org is the Dev org of the token (dev-users.self's DON without the
	// user, e.g. "don:identity:dvrv-us-1:devo/x").
	Org string
	// Key is how rows are keyed; nil when not recorded (version 1).
	Key *KeyDef
	// Tool names the writer, e.g. "devrev-import/0.1.0".
	Tool string
	// Created is when the journal was created (defaults to Options.Clock).
	Created time.Time
}

// identity is the part of a header and a run line that says whom a
// checkpoint belongs to and how it maps rows.
type identity struct {
	Input       string            `json:"input"`
	Size        int64             `json:"size"`
	MappingHash string            `json:"mapping_hash"`
	Mapping     map[string]string `json:"mapping,omitempty"`
	Endpoint    string            `json:"endpoint,omitempty"`
	Org         string            `json:"org,omitempty"`
	KeyedBy     *KeyDef           `json:"keyed_by,omitempty"`
	Tool        string            `json:"tool"`
}

func identityOf(h Header) identity {
	return identity{Input: h.Input, Size: h.Size, MappingHash: h.MappingHash, Mapping: h.Mapping,
		Endpoint: h.Endpoint, Org: h.Org, KeyedBy: h.Key, Tool: h.Tool}
}

// headerLine is the JSON form of line 1.
type headerLine struct {
	Checkpoint int `json:"checkpoint"`
	identity
	Created time.Time `json:"created"`
}

// runLine is the JSON form of the line a later run appends before its
// entries.
type runLine struct {
	Run     int       `json:"run"`
	Started time.Time `json:"started"`
	identity
}

// anyLine decodes every kind of line in one pass; which keys are set says
// which kind it is.
type anyLine struct {
	Entry
	Checkpoint  int               `json:"checkpoint"`
	Run         int               `json:"run"`
	Started     time.Time         `json:"started"`
	Input       string            `json:"input"`
	Size        int64             `json:"size"`
	MappingHash string            `json:"mapping_hash"`
	Mapping     map[string]string `json:"mapping"`
	Endpoint    string            `json:"endpoint"`
	Org         string            `json:"org"`
	KeyedBy     *KeyDef           `json:"keyed_by"`
	Created     time.Time         `json:"created"`
	Tool        string            `json:"tool"`
}

// headerPrefix is how every header line starts; a torn first line that
// matches it is a header cut short while the file was being created.
const headerPrefix = `{"checkpoint":`

// scanned is what scan learned about a journal.
type scanned struct {
	// header is line 1, with what it did not record (version 1: the
	// endpoint, org and key) taken from the first run line that did.
	header    Header
	hasHeader bool
	// last is the latest run's mapping (header or run line).
	lastHash    string
	lastMapping map[string]string
	// hashKeys and otherKeys count the entries whose key looks like a
	// keyless row's hash ("h:" and 16 hex digits) and the others: a
	// version 1 checkpoint does not record its key, but this tells a
	// keyless one from a keyed one.
	hashKeys, otherKeys int
	state               *State
	warnings            []string
	// end is the offset just past the last line worth keeping: Open
	// truncates the file there before appending.
	end int64
	// unterminated says the kept part does not end in '\n' (the last line
	// is complete JSON that lost only its newline).
	unterminated bool
	// torn says a torn last line was dropped (end is before it).
	torn bool
	// lines is how many lines were read and crc the CRC-32C (Castagnoli)
	// of their bytes: of the bytes before end when nothing was torn, what
	// a snapshot records of the part of the journal it stands for.
	lines int
	crc   uint32
}

// readPos is where readLines is in a journal: the offset, the lines
// before it and the CRC-32C of the bytes before it.
type readPos struct {
	off  int64
	line int
	crc  uint32
}

// badLine is a line that is not valid JSON; it is an error unless it turns
// out to be the last line.
type badLine struct {
	no    int
	start int64
	size  int
	head  []byte // first bytes, to recognise a torn header
	err   error
}

// Read parses the journal at path: its header, the State earlier runs
// left, and warnings. A torn last line (left by a crash) is ignored with a
// warning; a damaged line elsewhere is an error naming its line number. An
// empty file yields a zero Header and a warning.
func Read(path string) (Header, *State, []string, error) {
	f, err := os.Open(path)
	if err != nil {
		return Header{}, nil, nil, fmt.Errorf("reading checkpoint: %w", err)
	}
	defer f.Close()
	sc, err := scan(f, path, false)
	if err != nil {
		return Header{}, nil, nil, err
	}
	if !sc.hasHeader && !sc.torn {
		sc.warnings = append(sc.warnings, fmt.Sprintf("checkpoint %s is empty", path))
	}
	return sc.header, sc.state, sc.warnings, nil
}

// ReadLight reads the journal at path into a light State (see State): the
// last status and work ID of every key, in about a fifth of a full
// State's memory. Sent cannot read lines back from it; Last and Each-free
// lookups are what it is for (an import's second phase, resolving the
// keys links name to the works the first phase created).
func ReadLight(path string) (*State, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("reading checkpoint: %w", err)
	}
	defer f.Close()
	sc, err := scan(f, path, true)
	if err != nil {
		return nil, err
	}
	return sc.state, nil
}

// scan reads a whole journal from r; name is used in messages.
func scan(r io.Reader, name string, light bool) (*scanned, error) {
	sc := &scanned{state: &State{}}
	if light {
		sc.state = newLightState()
	}
	return sc, sc.read(r, name, light)
}

// read folds the lines of r, the journal from offset sc.end on (after
// sc.lines lines, whose CRC is sc.crc), into sc. A goroutine reads and
// decodes the lines (readLines) while this one folds them into the State
// in file order: on a sync's journal of hundreds of thousands of lines the
// two halves take about as long as each other.
func (sc *scanned) read(r io.Reader, name string, light bool) error {
	warn := func(msg string) { sc.warnings = append(sc.warnings, msg) }
	lines, free, done := make(chan []decoded, 2), make(chan []decoded, 4), make(chan struct{})
	type result struct {
		at      readPos
		pending *badLine
		err     error
	}
	res := make(chan result, 1)
	from := readPos{off: sc.end, line: sc.lines, crc: sc.crc}
	go func() {
		at, p, err := readLines(r, from, name, light, lines, free, done)
		close(lines)
		res <- result{at, p, err}
	}()
	var failed error
	for batch := range lines {
		for i := 0; i < len(batch) && failed == nil; i++ {
			d := &batch[i]
			if !d.blank {
				if err := sc.take(&d.l, d.start, warn); err != nil {
					failed = fmt.Errorf("checkpoint %s line %d: %w", name, d.no, err)
					close(done) // the reader stops; the loop drains what it sent
					break
				}
			}
			sc.end, sc.unterminated = d.end, !d.terminated
		}
		select {
		case free <- batch[:0]:
		default:
		}
	}
	rr := <-res
	switch {
	case failed != nil:
		return failed // the first error in file order: lines before the reader's are taken first
	case rr.err != nil:
		return rr.err
	}
	sc.lines, sc.crc = rr.at.line, rr.at.crc
	if pending := rr.pending; pending != nil {
		sc.torn = true
		if !sc.hasHeader {
			if !bytes.HasPrefix(pending.head, []byte(headerPrefix)) && !bytes.HasPrefix([]byte(headerPrefix), pending.head) {
				return fmt.Errorf("checkpoint %s is not a checkpoint file (line %d: %v)", name, pending.no, pending.err)
			}
			warn(fmt.Sprintf("checkpoint %s: ignoring its torn header (%d bytes) left by an interrupted first run", name, pending.size))
		} else {
			warn(fmt.Sprintf("checkpoint %s line %d: ignoring torn last line (%d bytes) left by an interrupted run", name, pending.no, pending.size))
		}
		sc.end, sc.unterminated = pending.start, false
	}
	return nil
}

// decoded is one line of a journal as readLines hands it on.
type decoded struct {
	l          anyLine
	start, end int64 // where the line starts, and just past its newline
	no         int   // its line number
	blank      bool  // white space only: it moves the end, nothing else
	terminated bool  // it ends in '\n'
}

// batchLines is how many lines readLines hands on at once.
const batchLines = 256

// readLines reads r, the journal from position at on, line by line, decodes each (the fast way, else
// json.Unmarshal) and sends them on out in batches, taking emptied batches
// back from free, and returns the position after the last line. A line that is not JSON is held back (pending): it is
// returned when it turns out to be the last one (torn by a crash), an
// error when something follows it. It stops early when done is closed.
func readLines(r io.Reader, at readPos, name string, light bool, out chan<- []decoded, free <-chan []decoded, done <-chan struct{}) (readPos, *badLine, error) {
	br := bufio.NewReaderSize(r, 64<<10)
	dec := entryDecoder{light: light}
	crcs := crcTable()
	var (
		off, lineNo, crc = at.off, at.line, at.crc
		pending          *badLine
		long             []byte
	)
	pos := func() readPos { return readPos{off: off, line: lineNo, crc: crc} }
	batch := make([]decoded, 0, batchLines)
	flush := func() bool {
		if len(batch) == 0 {
			return true
		}
		select {
		case out <- batch:
		case <-done:
			return false
		}
		select {
		case batch = <-free:
		default:
			batch = make([]decoded, 0, batchLines)
		}
		return true
	}
	for {
		line, err := br.ReadSlice('\n')
		if errors.Is(err, bufio.ErrBufferFull) {
			long = append(long[:0], line...)
			for errors.Is(err, bufio.ErrBufferFull) {
				line, err = br.ReadSlice('\n')
				long = append(long, line...)
			}
			line = long
		}
		if err != nil && !errors.Is(err, io.EOF) {
			flush()
			return pos(), nil, fmt.Errorf("reading checkpoint %s: %w", name, err)
		}
		if len(line) == 0 {
			break
		}
		lineNo++
		crc = crc32.Update(crc, crcs, line)
		start := off
		off += int64(len(line))
		terminated := line[len(line)-1] == '\n'
		content := bytes.TrimRight(line, "\r\n")

		if len(bytes.TrimSpace(content)) == 0 {
			if pending == nil {
				batch = append(batch, decoded{start: start, end: off, no: lineNo, blank: true, terminated: terminated})
			}
		} else {
			if pending != nil {
				// Something follows the bad line, so it was not torn by a crash.
				flush()
				return pos(), nil, fmt.Errorf("checkpoint %s line %d: damaged line: %w", name, pending.no, pending.err)
			}
			if lineNo == 1 && bytes.TrimLeft(content, " \t")[0] != '{' {
				// No line this tool writes starts otherwise, torn or not:
				// a CSV, the mapping or a summary given as CHECKPOINT.
				flush()
				return pos(), nil, fmt.Errorf("%s is not a checkpoint file (its first line is not a JSON object): a checkpoint is the FILE.checkpoint.jsonl an import writes", name)
			}
			batch = append(batch, decoded{start: start, end: off, no: lineNo, terminated: terminated})
			d := &batch[len(batch)-1]
			var derr error
			if !dec.decodeEntry(content, &d.l) {
				d.l = anyLine{} // what the fast way filled before it gave up
				derr = json.Unmarshal(content, &d.l)
			}
			if derr != nil {
				batch = batch[:len(batch)-1]
				var syn *json.SyntaxError
				if !errors.As(derr, &syn) {
					flush()
					return pos(), nil, fmt.Errorf("checkpoint %s line %d: %w", name, lineNo, derr)
				}
				pending = &badLine{no: lineNo, start: start, size: len(line), head: bytes.Clone(content[:min(len(content), len(headerPrefix))]), err: derr}
			}
		}
		if len(batch) == cap(batch) && !flush() {
			return pos(), nil, nil
		}
	}
	if !flush() {
		return pos(), nil, nil
	}
	return pos(), pending, nil
}

// crcTable is the CRC-32C (Castagnoli) table: hardware-accelerated on
// amd64 and arm64, and stronger than IEEE's for detecting edits.
func crcTable() *crc32.Table { return crc32.MakeTable(crc32.Castagnoli) }

// take interprets one well-formed line, which starts at offset off.
func (sc *scanned) take(l *anyLine, off int64, warn func(string)) error {
	if !sc.hasHeader {
		switch {
		case l.Checkpoint == 0:
			return errors.New("not a checkpoint file: the first line is not a checkpoint header")
		case l.Checkpoint < 1 || l.Checkpoint > Version:
			return fmt.Errorf("checkpoint format version %d is not supported (this tool reads versions 1 to %d)", l.Checkpoint, Version)
		}
		sc.hasHeader = true
		sc.header = Header{Version: l.Checkpoint, Input: l.Input, Size: l.Size, MappingHash: l.MappingHash, Mapping: l.Mapping,
			Endpoint: l.Endpoint, Org: l.Org, Key: l.KeyedBy, Tool: l.Tool, Created: l.Created}
		sc.lastHash, sc.lastMapping = l.MappingHash, l.Mapping
		sc.state.runs = 1
		return nil
	}
	switch {
	case l.Checkpoint != 0:
		return errors.New("unexpected second checkpoint header")
	case l.Run != 0:
		sc.state.runs++
		h := &sc.header
		if h.Endpoint == "" {
			h.Endpoint = l.Endpoint
		}
		if h.Org == "" {
			h.Org = l.Org
		}
		if h.Key == nil {
			h.Key = l.KeyedBy
		}
		sc.lastHash, sc.lastMapping = l.MappingHash, l.Mapping
		return nil
	}
	if err := l.Entry.validate(); err != nil {
		return err
	}
	l.Entry.upgrade()
	if legacyHash(l.Entry.Key) {
		sc.hashKeys++
	} else {
		sc.otherKeys++
	}
	sc.state.applyAt(l.Entry, off, warn)
	return nil
}

// legacyHash reports whether key has the shape of a keyless row's key in
// a version 1 checkpoint: "h:" and 16 lower-case hex digits.
func legacyHash(key string) bool {
	if len(key) != 18 || key[:2] != "h:" {
		return false
	}
	for _, c := range key[2:] {
		if (c < '0' || c > '9') && (c < 'a' || c > 'f') {
			return false
		}
	}
	return true
}
