package workdiff

import "testing"

// BenchmarkUnchangedRow is the work of an upsert run per unchanged row:
// split the create body into fields and compare their hashes with the
// journal's.
func BenchmarkUnchangedRow(b *testing.B) {
	body := []byte(fullBodies["issue"])
	prev := Hashes(mustFields(b, fullBodies["issue"]))
	b.ReportAllocs()
	for b.Loop() {
		v, err := Fields(body)
		if err != nil {
			b.Fatal(err)
		}
		if len(Changed(prev, v)) != 0 {
			b.Fatal("changed")
		}
	}
}
