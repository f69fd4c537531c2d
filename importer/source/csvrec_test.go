package source

import (
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"testing/iotest"
)

// recOpts is one way of reading an input in the differential tests.
type recOpts struct {
	comma     rune
	perRecord int  // FieldsPerRecord
	reuse     bool // ReuseRecord
	bufSize   int  // csvRecords' initial buffer
	// wrap, when set, turns the input into the reader both readers read
	// (one of iotest's, or one that fails).
	wrap func(io.Reader) io.Reader
}

func (o recOpts) String() string {
	return fmt.Sprintf("comma %q, FieldsPerRecord %d, reuse %v, buffer %d", o.comma, o.perRecord, o.reuse, o.bufSize)
}

// diffRecords reads input with encoding/csv and with csvRecords, set up
// alike, and returns the first difference: in a record, a FieldPos, the
// InputOffset after a Read, or an error; "" when there is none.
func diffRecords(input []byte, o recOpts) string {
	var src1, src2 io.Reader = bytes.NewReader(input), bytes.NewReader(input)
	if o.wrap != nil {
		src1, src2 = o.wrap(src1), o.wrap(src2)
	}
	std := csv.NewReader(src1)
	std.Comma, std.FieldsPerRecord, std.ReuseRecord = o.comma, o.perRecord, o.reuse
	ours := newCSVRecords(src2, o.bufSize)
	ours.Comma, ours.FieldsPerRecord, ours.ReuseRecord = o.comma, o.perRecord, o.reuse
	// Every Read consumes a line at least; past that both must be at the
	// end (or stuck on the same error).
	for n := 1; n <= len(input)+3; n++ {
		want, werr := std.Read()
		got, gerr := ours.Read()
		if d := diffErr(werr, gerr); d != "" {
			return fmt.Sprintf("read %d: %s (records %q and %q)", n, d, want, got)
		}
		if !reflect.DeepEqual(want, got) {
			return fmt.Sprintf("read %d: record %q, want %q (err %v)", n, got, want, werr)
		}
		for i := range want {
			wl, wc := std.FieldPos(i)
			gl, gc := ours.FieldPos(i)
			if wl != gl || wc != gc || ours.FieldLine(i) != wl {
				return fmt.Sprintf("read %d: FieldPos(%d) = %d:%d (FieldLine %d), want %d:%d", n, i, gl, gc, ours.FieldLine(i), wl, wc)
			}
		}
		if w, g := std.InputOffset(), ours.InputOffset(); w != g {
			return fmt.Sprintf("read %d: InputOffset %d, want %d", n, g, w)
		}
		if werr == io.EOF {
			return ""
		}
	}
	return ""
}

// diffErr compares two errors from Read: the same *csv.ParseError fields,
// or the same text.
func diffErr(want, got error) string {
	var wp, gp *csv.ParseError
	switch {
	case want == nil && got == nil:
		return ""
	case want == nil || got == nil:
		return fmt.Sprintf("error %v, want %v", got, want)
	case errors.As(want, &wp):
		if !errors.As(got, &gp) || *wp != *gp {
			return fmt.Sprintf("error %#v, want %#v", got, wp)
		}
	case want.Error() != got.Error() || (want == io.EOF) != (got == io.EOF):
		return fmt.Sprintf("error %v, want %v", got, want)
	}
	return ""
}

// checkSame fails t when csvRecords reads input differently from
// encoding/csv under any of the usual options.
func checkSame(t *testing.T, name string, input []byte, commas ...rune) {
	t.Helper()
	for _, o := range recOptions(commas) {
		if d := diffRecords(input, o); d != "" {
			t.Fatalf("%s, %v: %s\ninput %q", name, o, d, cut(input))
		}
	}
}

// recOptions is every combination of the given delimiters with the field
// count checks, ReuseRecord and a tiny and a large buffer.
func recOptions(commas []rune) []recOpts {
	var all []recOpts
	for _, c := range commas {
		for _, per := range []int{-1, 0, 3} {
			for _, size := range []int{16, 4096} {
				all = append(all, recOpts{comma: c, perRecord: per, reuse: size == 16, bufSize: size})
			}
		}
	}
	return all
}

// cut shortens an input for a failure message.
func cut(b []byte) []byte {
	if len(b) > 400 {
		return b[:400]
	}
	return b
}

// TestCSVRecordsFiles reads every CSV file of the repository's test data
// and samples both ways.
func TestCSVRecordsFiles(t *testing.T) {
	var paths []string
	for _, pattern := range []string{"../testdata/*.csv", "../../samples/*.csv", "../cli/testdata/*/*.csv", "../../mapping/testdata/*.csv"} {
		m, err := filepath.Glob(pattern)
		if err != nil {
			t.Fatal(err)
		}
		paths = append(paths, m...)
	}
	if len(paths) < 15 {
		t.Fatalf("found only %d CSV files: %v", len(paths), paths)
	}
	for _, p := range paths {
		data, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		checkSame(t, p, data, ',', ';', '\t', '|')
	}
}

// hostileCSV is a corpus of inputs at the edges of encoding/csv's grammar.
var hostileCSV = []string{
	"", "\n", "\r\n", "\r", "\n\n\r\n\n", "a", "a\r", "a\r\r", "a\n\r", "a\r\n", "a\n", "\ra\n", "a\rb\n",
	"a,b,c\n1,2,3\n", "a,b,c\r\n1,2,3\r\n", "a,b,c\n1,2\n1,2,3,4\n", "a,b,\n,,\n,\n",
	"a,b\n1,2", "a,b\n1,2\r", "a,b\r\n1,2\r", "a,\r\n", "a,\r", ",\n", ",", ",,\r\n",
	`"a","b"` + "\n", `"a""b",c` + "\n", `"""",""` + "\n", `""` + "\n", `"",""`, `""""`,
	`"a` + "\n", `"a`, `"a""`, `a"b,c` + "\n", `a,b"` + "\n", `a,"b"c,d` + "\n", `"a"b` + "\n",
	`"a" ,b` + "\n", ` "a",b` + "\n", `a,"b` + "\nc,d\ne,f\n", `"a` + "\r\nb\r\n" + `c"` + "\r\nd\r\n",
	"\"a\rb\",c\n", "\"a\r\nb\r\n\",c\r\n", "\"a\r\",c\n", "\"a\"\r", "\"a\"\r\r\n", "\"a\"\rb\n",
	"\"a\n\nb\"\n", "\"\n\"\n", "\"\r\n\"\r\n", "\"a\n", "\"a\nb", "\"a\nb\n", "x\n\"a\nb\"c\nd\n",
	"a,b\n\n\n1,2\n\r\n\r\n3,4\n", "\n\n\"a\nb\",c\n\nd\n", "a\x00b,\x00\n\x00\n", "\xff\xfe,\xc3\x28\n\"\xe2\x82\",\xff\n",
	"\xEF\xBB\xBFa,b\n1,2\n", "\xEF\xBB\xBF\"a\",b\n", "a;b\n\"x;\"\"y\"\"\n\";2\n", "a\tb\n\"1\t2\"\t3\n",
	"a€b€c\n1€\"2€\"€3\n\"€\"\n", "€€\n€", "\"a\"€b\n", "a·b\n\"·\"·x\n", "a\xe2\x82,b\n",
	strings.Repeat("x", 100) + "," + strings.Repeat("y", 50) + "\n" + strings.Repeat("z", 70),
	"\"" + strings.Repeat("q\"\"", 40) + "\"," + strings.Repeat("w\n", 3) + "\n",
	"\"" + strings.Repeat("line,\n", 30) + "\",end\n" + strings.Repeat("a,", 30) + "\n",
	"\"" + strings.Repeat("crlf\r\n", 20) + "\"\r\n" + strings.Repeat("b", 40) + "\"\n",
}

// TestCSVRecordsHostile reads the hostile corpus both ways, with every
// delimiter it uses.
func TestCSVRecordsHostile(t *testing.T) {
	for _, s := range hostileCSV {
		checkSame(t, "hostile", []byte(s), ',', ';', '\t', '€', '·')
	}
}

// TestCSVRecordsExhaustive reads every input of up to seven bytes over an
// alphabet of the grammar's bytes both ways, with a buffer of 16 bytes.
func TestCSVRecordsExhaustive(t *testing.T) {
	alphabet := []byte("a,\"\n\r")
	n := 7
	if testing.Short() {
		n = 5
	}
	buf := make([]byte, 0, n)
	var walk func()
	walk = func() {
		o := recOpts{comma: ',', perRecord: -1, bufSize: 16}
		if d := diffRecords(buf, o); d != "" {
			t.Fatalf("%v: %s\ninput %q", o, d, buf)
		}
		if len(buf) == n {
			return
		}
		for _, b := range alphabet {
			buf = append(buf, b)
			walk()
			buf = buf[:len(buf)-1]
		}
	}
	walk()
}

// TestCSVRecordsRandom reads generated inputs of the grammar's tokens
// (long fields, records over the buffer, CRLF, quotes anywhere) both ways.
func TestCSVRecordsRandom(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	count := 3000
	if testing.Short() {
		count = 300
	}
	for range count {
		checkSame(t, "random", randomCSV(rng, ','), ',')
		checkSame(t, "random", randomCSV(rng, '€'), '€', ',')
	}
}

// randomCSV returns an input made of CSV tokens around the delimiter.
func randomCSV(rng *rand.Rand, comma rune) []byte {
	tokens := []string{"a", "bc", string(comma), string(comma), "\"", "\"\"", "\n", "\n", "\r\n", "\r",
		"\"x\"", "\"y\n\"", "\x00", "\xff", "\xe2\x82", "é", " ", strings.Repeat("long", 10)}
	var b bytes.Buffer
	for range rng.IntN(60) {
		b.WriteString(tokens[rng.IntN(len(tokens))])
	}
	return b.Bytes()
}

// errAfter is a reader that fails with errBroken after n bytes, and again
// on every later read.
type errAfter struct {
	r io.Reader
	n int
}

var errBroken = errors.New("disk on fire")

func (e *errAfter) Read(p []byte) (int, error) {
	if e.n <= 0 {
		return 0, errBroken
	}
	p = p[:min(len(p), e.n)]
	n, err := e.r.Read(p)
	e.n -= n
	return n, err
}

// failOnce is a reader that fails with errBroken once, after n bytes, and
// reads on after that.
type failOnce struct {
	r      io.Reader
	n      int
	failed bool
}

func (f *failOnce) Read(p []byte) (int, error) {
	if f.n <= 0 && !f.failed {
		f.failed = true
		return 0, errBroken
	}
	if !f.failed {
		p = p[:min(len(p), f.n)]
	}
	n, err := f.r.Read(p)
	f.n -= n
	return n, err
}

// TestCSVRecordsReaders reads the hostile corpus both ways through readers
// that return a byte at a time, half of what is asked, data with io.EOF,
// and a failure in the middle of the input.
func TestCSVRecordsReaders(t *testing.T) {
	wraps := map[string]func(io.Reader) io.Reader{
		"one byte":  iotest.OneByteReader,
		"half":      iotest.HalfReader,
		"data+EOF":  iotest.DataErrReader,
		"fail at 1": func(r io.Reader) io.Reader { return &errAfter{r: r, n: 1} },
		"fail at 5": func(r io.Reader) io.Reader { return &errAfter{r: r, n: 5} },
		"fail at 9": func(r io.Reader) io.Reader { return &errAfter{r: r, n: 9} },
		"fail once": func(r io.Reader) io.Reader { return &failOnce{r: r, n: 7} },
		"fail at 0": func(r io.Reader) io.Reader { return &failOnce{r: r} },
	}
	for name, wrap := range wraps {
		for _, s := range hostileCSV {
			for _, size := range []int{16, 4096} {
				o := recOpts{comma: ',', perRecord: -1, bufSize: size, wrap: wrap}
				if d := diffRecords([]byte(s), o); d != "" {
					t.Fatalf("%s, %v: %s\ninput %q", name, o, d, s)
				}
			}
		}
	}
}

// TestCSVRecordsInvalidComma returns encoding/csv's error for a delimiter
// it refuses.
func TestCSVRecordsInvalidComma(t *testing.T) {
	for _, c := range []rune{0, '"', '\r', '\n', 0xFFFD, -1} {
		if d := diffRecords([]byte("a,b\n"), recOpts{comma: c, perRecord: -1, bufSize: 16}); d != "" {
			t.Fatalf("comma %q: %s", c, d)
		}
	}
}

// FuzzCSVRecords holds csvRecords to encoding/csv on arbitrary input: the
// same records, FieldPos, InputOffset and errors. mode picks the
// delimiter, field count check, ReuseRecord and buffer size.
func FuzzCSVRecords(f *testing.F) {
	for _, s := range hostileCSV {
		f.Add([]byte(s), uint8(0))
	}
	f.Add([]byte("a;b\n\"x;\"\"y\"\"\n\";2\n"), uint8(1))
	f.Add([]byte("a€b\n\"1€\"€2\n"), uint8(4))
	f.Add([]byte("\"a\r\nb\",c\r\n"), uint8(16))
	f.Fuzz(func(t *testing.T, data []byte, mode uint8) {
		o := recOpts{
			comma:     []rune{',', ';', '\t', '|', '€', '·', 'a', '\x00'}[mode%8],
			perRecord: []int{-1, 0}[mode/8%2],
			reuse:     mode/16%2 == 1,
			bufSize:   []int{16, 64, 4096, 256 << 10}[mode/32%4],
		}
		if mode/128 == 1 {
			o.wrap = iotest.HalfReader
		}
		if d := diffRecords(data, o); d != "" {
			t.Fatalf("%v: %s\ninput %q", o, d, data)
		}
	})
}

// TestCSVRecordsKeepBareQuotes: with KeepBareQuotes a record with a '"'
// inside an unquoted field comes back whole, as encoding/csv's LazyQuotes
// reads it, with the error strict encoding/csv gives (the first bare
// quote's line and column); the records after it are read as always.
// (Where the strict reader's record ended at the bare quote's line while
// the whole record goes on, their later reads differ: only the lazy
// records and no error count there.)
func TestCSVRecordsKeepBareQuotes(t *testing.T) {
	for _, input := range []string{
		"x\"y,3\n4,5\n",
		"a,b\"c\"d,\"q\"\nn,m,o\n",
		"a\"b,c\"d\n",
		"a\"b,\"multi\nline\"\nz,z\n",
		"ok,\"fine\"\nbad \"quote\" here,2\nlast,\"one\"",
		"é\"é,\"\"\"\"\n",
	} {
		strict := csv.NewReader(strings.NewReader(input))
		strict.FieldsPerRecord = -1
		lazy := csv.NewReader(strings.NewReader(input))
		lazy.FieldsPerRecord, lazy.LazyQuotes = -1, true
		ours := newCSVRecords(strings.NewReader(input), 16)
		ours.FieldsPerRecord, ours.KeepBareQuotes = -1, true
		apart := false // strict stopped where the others did not
		for n := 1; ; n++ {
			_, serr := strict.Read()
			want, lerr := lazy.Read()
			got, gerr := ours.Read()
			if apart {
				serr = lerr
			}
			if d := diffErr(serr, gerr); d != "" {
				t.Errorf("%q read %d: %s", input, n, d)
			}
			apart = apart || strict.InputOffset() != lazy.InputOffset()
			if !reflect.DeepEqual(got, want) {
				t.Errorf("%q read %d: record %q, want %q", input, n, got, want)
			}
			if lerr != nil || gerr == io.EOF {
				break
			}
		}
	}
}
