package devrev_test

import (
	"bytes"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/devrev-import/devrev-import/importer/devrev"
	"github.com/devrev-import/devrev-import/importer/simulator"
)

// simCreateAnswer returns the simulator's works.create answer for a work
// with a body full of escapes, tags, owners and a date: the shape the
// scanner meets in a real run.
func simCreateAnswer(t testing.TB) []byte {
	t.Helper()
	sim, err := simulator.Start(simulator.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer sim.Close()
	body := `{"type":"issue","title":"Crash \"on\" save\\n","body":"line 1\nline 2\t\u00e9\u2028 </b> & \ud83d\ude00","applies_to_part":"PROD-1",` +
		`"owned_by":["DEVU-1"],"priority":"p1","tags":[{"id":"TAG-1"}],"target_close_date":"2026-12-01T10:00:00Z"}`
	req, err := http.NewRequest(http.MethodPost, sim.URL+"/works.create", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+simulator.DefaultToken)
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil || resp.StatusCode != http.StatusCreated {
		t.Fatalf("works.create: %d %s %v", resp.StatusCode, data, err)
	}
	return data
}

// checkScan fails t unless scanCreated agrees with encoding/json on data:
// whatever it accepts, json.Unmarshal reads the same, with an ID.
func checkScan(t *testing.T, data []byte) (ok bool) {
	t.Helper()
	got, ok := devrev.ScanCreated(data)
	if !ok {
		return false
	}
	want, err := devrev.UnmarshalCreated(data)
	if err != nil || got != want {
		t.Errorf("devrev.ScanCreated(%q) = %+v, encoding/json: %+v, %v", data, got, want, err)
	}
	return true
}

// The fast path reads the simulator's answer, and every answer the
// scanner takes, encoding/json reads the same; every prefix of a real
// answer (a cut connection) and every hostile variant below is left to
// encoding/json, which refuses it or reads it its own way.
func TestScanCreatedAgreesWithEncodingJSON(t *testing.T) {
	answer := simCreateAnswer(t)
	if !checkScan(t, answer) {
		t.Fatalf("scanCreated refused the simulator's answer %s", answer)
	}
	if c, _ := devrev.ScanCreated(answer); !strings.HasPrefix(c.ID, "don:core:") || c.DisplayID != "ISS-1" || c.Type != "issue" {
		t.Errorf("scanCreated = %+v", c)
	}
	for i := range len(answer) - 1 {
		if checkScan(t, answer[:i]) {
			t.Errorf("took the answer cut at byte %d: %q", i, answer[:i])
		}
	}
	// Each case: the answer, and whether the scanner takes it itself.
	cases := []struct {
		data string
		fast bool
	}{
		{`{"work":{"id":"A","display_id":"ISS-1","type":"issue"}}`, true},
		{" \r\n\t{ \"work\" : { \"type\" : \"task\" , \"id\" : \"A\" } } \n", true},
		{`{"x":[1,-0.5e+3,2E-2,true,false,null,{"a":[]},"\"\\\/\b\f\n\r\t\u00e9"],"work":{"id":"don:é","n":{}}}`, true},
		{`{"work":{"id":"A","id":"B"}}`, false},             // repeated: json takes the last
		{`{"work":{"id":"A"},"work":{"type":"x"}}`, false},  // repeated work: json merges
		{`{"Work":{"id":"A"}}`, false},                      // json folds case
		{`{"work":{"ID":"A"}}`, false},                      // json folds case
		{`{"wor\u006b":{"id":"A"}}`, false},                 // escaped key
		{"{\"wor\u212a\":{\"id\":\"A\"}}", false},           // Kelvin sign folds to k
		{`{"work":{"id":"A\u0042"}}`, false},                // escaped value
		{"{\"work\":{\"id\":\"A\xff\"}}", false},            // invalid UTF-8: json writes U+FFFD
		{`{"work":{"id":5}}`, false},                        // not a string
		{`{"work":{"id":null}}`, false},                     // json leaves it empty
		{`{"work":null}`, false},                            // no work
		{`{"work":"A"}`, false},                             // not an object
		{`{"work":{"id":""}}`, false},                       // no id
		{`{"work":{}}`, false},                              // no id
		{`{}`, false},                                       // no work
		{`[]`, false},                                       // not an object
		{`{"work":{"id":"A"}} x`, false},                    // trailing data
		{`{"work":{"id":"A"}}{}`, false},                    // two values
		{`{"work":{"id":"A",}}`, false},                     // trailing comma
		{`{"work":{"id":"A"},"n":01}`, false},               // leading zero
		{`{"work":{"id":"A"},"n":1.}`, false},               // no fraction digits
		{`{"work":{"id":"A"},"n":-}`, false},                // no digits
		{`{"work":{"id":"A"},"n":1e}`, false},               // no exponent digits
		{`{"work":{"id":"A"},"n":+1}`, false},               // plus sign
		{`{"work":{"id":"A"},"s":"\x"}`, false},             // bad escape
		{`{"work":{"id":"A"},"s":"\u12g4"}`, false},         // bad \u
		{"{\"work\":{\"id\":\"A\"},\"s\":\"a\tb\"}", false}, // raw control character
		{`{"work":{"id":"A"},"b":tru}`, false},              // bad literal
		{`{"work":{"id":"A"},"a":[1 2]}`, false},            // missing comma
		{`{"work":{"id":"A"},"o":{"k" 1}}`, false},          // missing colon
		{`{"work":{"id":"A"},"o":{1:2}}`, false},            // key not a string
		{"\xef\xbb\xbf{\"work\":{\"id\":\"A\"}}", false},    // BOM
		{`{"work":{"id":"A"},"d":` + strings.Repeat("[", 100) + strings.Repeat("]", 100) + `}`, false}, // deeper than the scanner goes
	}
	for _, c := range cases {
		if got := checkScan(t, []byte(c.data)); got != c.fast {
			t.Errorf("devrev.ScanCreated(%q) took it: %v, want %v", c.data, got, c.fast)
		}
	}
}

// FuzzScanCreated: whatever the scanner takes, encoding/json reads the
// same identity from.
func FuzzScanCreated(f *testing.F) {
	f.Add(simCreateAnswer(f))
	f.Add([]byte(`{"work":{"id":"A","display_id":"ISS-1","type":"issue"}}`))
	f.Add([]byte(`{"x":[1,-0.5e+3,{"a":"\u00e9"}],"work":{"id":"A","Type":"t"}}`))
	f.Add([]byte(`{"work":{"id":"A"},"work":{"id":"B"}}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		checkScan(t, data)
		if bytes.Contains(data, []byte(`"work"`)) {
			checkScan(t, bytes.ReplaceAll(data, []byte(`"work"`), []byte(`"Work"`)))
		}
	})
}

func BenchmarkDecodeCreated(b *testing.B) {
	answer := simCreateAnswer(b)
	b.Run("scan", func(b *testing.B) {
		for b.Loop() {
			if _, err := devrev.DecodeCreated(answer); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("encoding-json", func(b *testing.B) {
		for b.Loop() {
			if _, err := devrev.UnmarshalCreated(answer); err != nil {
				b.Fatal(err)
			}
		}
	})
}
