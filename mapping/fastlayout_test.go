package mapping

import (
	"math/rand/v2"
	"testing"
	"time"
)

// parseNumericLayout must read every value it accepts exactly as
// time.ParseInLocation does, and accept the usual ones: random values
// near the layout's shape (digits, separators, spaces, fractions, out of
// range fields, 29 February) over the layouts it handles and some it
// must leave to time.
func TestNumericLayoutIsTimes(t *testing.T) {
	loc, err := time.LoadLocation("Europe/Berlin")
	if err != nil {
		loc = time.FixedZone("X", 3600)
	}
	layouts := []string{"02.01.2006 15:04", "01/02/2006", "2006-01-02 15:04:05", "2006-01-02T15:04", "02/01/2006  15:04",
		"2006-01-02", "15:04 02.01.2006", "2006-01-02 15:04:05.000", "2006-01-02 -0700", "Jan 2, 2006", "2006-1-2", "02.01.06"}
	for _, v := range []string{"05.03.2024 14:30", "5.3.2024 14:30", "05.03.2024 9:30", "29.02.2023 10:00", "29.02.2024 10:00", "31.04.2024 10:00"} {
		got, ok := parseNumericLayout("02.01.2006 15:04", v, loc)
		want, err := time.ParseInLocation("02.01.2006 15:04", v, loc)
		if ok != (err == nil) || ok && !got.Equal(want) {
			t.Errorf("%q: fast %v %v, time %v %v", v, got, ok, want, err)
		}
	}
	const alphabet = "0123456789012345678901234567890123456789 ././::--T,+Z"
	r := rand.New(rand.NewPCG(1, 2))
	accepted := 0
	for i := range 300_000 {
		layout := layouts[i%len(layouts)]
		// A formatted time (of any day, 29 February included), with up to
		// two bytes changed, one cut or one inserted.
		when := time.Date(r.IntN(10000), time.Month(1+r.IntN(12)), 1+r.IntN(31), r.IntN(24), r.IntN(60), r.IntN(60), 0, time.UTC)
		b := []byte(when.Format(layout))
		for range r.IntN(3) {
			b[r.IntN(len(b))] = alphabet[r.IntN(len(alphabet))]
		}
		v := string(b)
		switch r.IntN(10) {
		case 0:
			k := r.IntN(len(v))
			v = v[:k] + v[k+1:]
		case 1:
			k := r.IntN(len(v) + 1)
			v = v[:k] + string(alphabet[r.IntN(len(alphabet))]) + v[k:]
		}
		got, ok := parseNumericLayout(layout, v, loc)
		want, err := time.ParseInLocation(layout, v, loc)
		if ok && (err != nil || !got.Equal(want) || got.Location() != want.Location()) {
			t.Fatalf("layout %q value %q: fast %v, time %v (%v)", layout, v, got, want, err)
		}
		if ok {
			accepted++
			// What convertOne sends for a UTC mapping without time.Date.
			c, _ := numericLayoutFields(layout, v)
			if utc, err := time.ParseInLocation(layout, v, time.UTC); err != nil || c.apiTime() != formatTime(utc) {
				t.Fatalf("layout %q value %q: fast %q, time %v (%v)", layout, v, c.apiTime(), utc, err)
			}
		}
	}
	if accepted < 50_000 {
		t.Errorf("only %d values accepted: the fast path does not serve", accepted)
	}
}
