package checkpoint

import (
	"fmt"
	"path/filepath"
	"strconv"
	"testing"
	"time"
)

// BenchmarkAppend measures one journal line: marshalling, the write(2),
// and (for sync-each) an fsync per line.
func BenchmarkAppend(b *testing.B) {
	for _, bc := range []struct {
		name  string
		every time.Duration
	}{
		{"batched-200ms", 0},
		{"sync-each", -1},
	} {
		b.Run(bc.name, func(b *testing.B) {
			j, _, _ := openT(b, filepath.Join(b.TempDir(), "cp.jsonl"), testHeader, Options{SyncEvery: bc.every})
			e := Entry{Row: 1, Status: Created, ID: "don:core:dvrv-us-1:devo/1:issue/12345", DisplayID: "ISS-12345", Type: "issue", TS: t0}
			b.ReportAllocs()
			i := 0
			for b.Loop() {
				i++
				e.Row = i
				e.Key = "TKT-" + strconv.Itoa(i)
				if err := j.Append(e); err != nil {
					b.Fatal(err)
				}
			}
			b.StopTimer()
			if err := j.Close(); err != nil {
				b.Fatal(err)
			}
		})
	}
	b.Run("batched-parallel", func(b *testing.B) {
		j, _, _ := openT(b, filepath.Join(b.TempDir(), "cp.jsonl"), testHeader, Options{})
		b.ReportAllocs()
		b.RunParallel(func(pb *testing.PB) {
			e := Entry{Row: 1, Status: Sending, Attempt: 1, Title: "Printer on fire", TS: t0}
			i := 0
			for pb.Next() {
				i++
				e.Key = fmt.Sprintf("TKT-%p-%d", &e, i)
				if err := j.Append(e); err != nil {
					b.Fatal(err)
				}
			}
		})
		b.StopTimer()
		if err := j.Close(); err != nil {
			b.Fatal(err)
		}
	})
}

// BenchmarkRead measures reading a journal back, per line.
func BenchmarkRead(b *testing.B) {
	path := filepath.Join(b.TempDir(), "cp.jsonl")
	j, _, _ := openT(b, path, testHeader, Options{})
	const n = 10_000
	for i := range n {
		key := "TKT-" + strconv.Itoa(i)
		appendT(b, j, Entry{Row: i, Key: key, Status: Sending, Attempt: 1, Title: "Printer on fire", TS: t0})
		appendT(b, j, Entry{Row: i, Key: key, Status: Created, ID: "don:core:dvrv-us-1:devo/1:issue/" + key, DisplayID: "ISS-1", Type: "issue", TS: t0})
	}
	if err := j.Close(); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, st, _, err := Read(path); err != nil || st.Len() != n {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/(2*n), "ns/line")
}

// BenchmarkReadLight measures reading a sync's journal into a light State
// (what an import opens), per line: a sending and a created line per row,
// the created one with the hashes of ten fields and the row's digest, as
// a 100,000-row nightly upsert reads 200,000 of them.
func BenchmarkReadLight(b *testing.B) {
	path := filepath.Join(b.TempDir(), "cp.jsonl")
	j, _, _ := openT(b, path, testHeader, Options{})
	const n = 10_000
	fields := []string{"applies_to_part", "body", "custom_fields.tnt__external_id", "custom_fields.tnt__story_points",
		"owned_by", "priority", "tags", "target_close_date", "title", "type"}
	for i := range n {
		key := "EXT-" + strconv.Itoa(i)
		fh := make(map[string]string, len(fields))
		for k, f := range fields {
			fh[f] = fmt.Sprintf("%08x", i*31+k)
		}
		appendT(b, j, Entry{Row: i + 2, Key: key, Status: Sending, Attempt: 1, Title: "Password reset shows the wrong total", FP: "2c0b8aaea6d6f288"})
		appendT(b, j, Entry{Row: i + 2, Key: key, Status: Created, ID: "don:core:dvrv-us-1:devo/sandbox:issue/" + strconv.Itoa(i),
			DisplayID: "ISS-" + strconv.Itoa(i), Type: "issue", Attempts: 1, FH: fh, RS: "0123456789abcdef"})
	}
	if err := j.Close(); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if st, err := ReadLight(path); err != nil || st.Len() != n {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/(2*n), "ns/line")
}
