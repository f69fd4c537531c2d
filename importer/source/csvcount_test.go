package source

import (
	"bytes"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"testing"
	"testing/iotest"
)

// countBytes is the byte-by-byte count recordCounter replaced: the
// reference it must agree with.
func countBytes(b []byte) int {
	records, quoted, content := 0, false, false
	for _, ch := range b {
		switch ch {
		case '"':
			quoted, content = !quoted, true
		case '\n':
			if !quoted && content {
				records, content = records+1, false
			}
		case '\r':
		default:
			content = true
		}
	}
	if content {
		records++
	}
	return records
}

// chunked reads b in pieces of random sizes (1 byte to 64 KiB).
type chunked struct {
	b   []byte
	rng *rand.Rand
}

func (c *chunked) Read(p []byte) (int, error) {
	if len(c.b) == 0 {
		return 0, io.EOF
	}
	n := copy(p[:min(len(p), 1+c.rng.IntN(1<<16))], c.b)
	c.b = c.b[n:]
	return n, nil
}

// agreeCount checks recordCounter against countBytes on b read whole, a
// byte at a time and in random pieces.
func agreeCount(t *testing.T, b []byte, seed uint64) {
	t.Helper()
	want := countBytes(b)
	readers := []struct {
		name string
		r    io.Reader
		buf  int
	}{
		{"whole", bytes.NewReader(b), 1 << 20},
		{"a byte at a time", iotest.OneByteReader(bytes.NewReader(b)), 7},
		{"random pieces", &chunked{b: b, rng: rand.New(rand.NewPCG(seed, 1))}, 1 << 16},
	}
	for _, rd := range readers {
		got, err := countRecords(rd.r, make([]byte, rd.buf))
		if err != nil || got != want {
			t.Fatalf("%s: %d records (%v), the byte loop counts %d, in %q", rd.name, got, err, want, b[:min(len(b), 200)])
		}
	}
}

// The fast count agrees with the byte loop on every CSV under testdata and
// samples, and on random text made of the bytes that matter.
func TestCountRecordsAgreesWithByteLoop(t *testing.T) {
	var files []string
	for _, glob := range []string{"../testdata/*.csv", "../../samples/*.csv", "testdata/*.csv"} {
		m, _ := filepath.Glob(glob)
		files = append(files, m...)
	}
	if len(files) < 3 {
		t.Fatalf("only %d CSV files found", len(files))
	}
	for i, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		agreeCount(t, b, uint64(i))
	}
	rng := rand.New(rand.NewPCG(5, 6))
	alphabet := []byte("\"\"\n\n\r,ab")
	for i := range 2000 {
		b := make([]byte, rng.IntN(300))
		for j := range b {
			b[j] = alphabet[rng.IntN(len(alphabet))]
		}
		agreeCount(t, b, uint64(i))
	}
}

// FuzzCountRecords: the fast count and the byte loop agree on any bytes.
func FuzzCountRecords(f *testing.F) {
	for _, s := range []string{"a,b\n1,2\n", "\"x\ny\"\n\r\n\n\"", "a\r\n\r\nb", "\"\"\"\n"} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) { agreeCount(t, b, 1) })
}

// BenchmarkCountRecords counts BENCH_FILE (default: samples/tickets.csv
// repeated to 8 MiB) with the fast count and with the byte loop.
func BenchmarkCountRecords(b *testing.B) {
	data := benchCountData(b)
	b.Run("fast", func(b *testing.B) {
		b.SetBytes(int64(len(data)))
		for b.Loop() {
			if _, err := countRecords(bytes.NewReader(data), make([]byte, csvBufSize)); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("byte loop", func(b *testing.B) {
		b.SetBytes(int64(len(data)))
		for b.Loop() {
			countBytes(data)
		}
	})
}

func benchCountData(b *testing.B) []byte {
	if f := os.Getenv("BENCH_FILE"); f != "" {
		data, err := os.ReadFile(f)
		if err != nil {
			b.Fatal(err)
		}
		return data
	}
	one, err := os.ReadFile("../../samples/tickets.csv")
	if err != nil {
		b.Fatal(err)
	}
	return bytes.Repeat(one, (8<<20)/len(one)+1)
}
