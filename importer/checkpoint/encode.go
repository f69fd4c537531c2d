package checkpoint

import (
	"bytes"
	"encoding/json"
	"reflect"
	"slices"
	"strconv"
	"strings"

	"github.com/devrev-import/devrev-import/importer/workdiff"
)

// entryFields is the number of Entry fields appendEntry writes. When Entry
// gains a field and appendEntry is not taught it, fastEntry turns the fast
// path off (lines are then encoded by encoding/json, so no field is ever
// dropped) and TestAppendEntryMatchesEncodingJSON fails.
const entryFields = 21

// fastEntry says appendEntry knows every field of Entry (the exported
// ones: the others are never written).
var fastEntry = exportedFields(reflect.TypeFor[Entry]()) == entryFields

// exportedFields counts the exported fields of the struct type t.
func exportedFields(t reflect.Type) int {
	n := 0
	for i := range t.NumField() {
		if t.Field(i).IsExported() {
			n++
		}
	}
	return n
}

// appendEntry appends e as one journal line (ending in '\n'), byte for
// byte what a json.Encoder with SetEscapeHTML(false) writes for it, without
// reflection: two lines a row were a tenth of an import's CPU. It answers
// !ok (dst unchanged) where it does not vouch for that: a TS that
// encoding/json refuses (year outside 0-9999), Before values that are not
// JSON, or an Entry with a field it does not know (fastEntry).
func appendEntry(dst []byte, e *Entry) ([]byte, bool) {
	if !fastEntry {
		return dst, false
	}
	b := append(dst, `{"row":`...)
	b = strconv.AppendInt(b, int64(e.Row), 10)
	b = workdiff.AppendString(append(b, `,"key":`...), e.Key)
	if e.Op != "" {
		b = workdiff.AppendString(append(b, `,"op":`...), string(e.Op))
	}
	b = appendInt(b, `,"v":`, e.V)
	b = workdiff.AppendString(append(b, `,"status":`...), string(e.Status))
	b = append(b, `,"ts":"`...)
	b, err := e.TS.AppendText(b)
	if err != nil {
		return dst, false
	}
	b = append(b, '"')
	b = appendInt(b, `,"attempt":`, e.Attempt)
	b = appendStr(b, `,"title":`, e.Title)
	b = appendStr(b, `,"fp":`, e.FP)
	b = appendStr(b, `,"id":`, e.ID)
	b = appendStr(b, `,"display_id":`, e.DisplayID)
	b = appendStr(b, `,"type":`, e.Type)
	b = appendStrings(b, `,"errors":`, e.Errors)
	b = appendInt(b, `,"http_status":`, e.HTTPStatus)
	if e.Error != nil {
		b = workdiff.AppendString(append(b, `,"error":{"type":`...), e.Error.Type)
		b = append(workdiff.AppendString(append(b, `,"message":`...), e.Error.Message), '}')
	}
	b = appendInt(b, `,"attempts":`, e.Attempts)
	b = appendStrings(b, `,"candidates":`, e.Candidates)
	b = appendStrings(b, `,"fields":`, e.Fields)
	if len(e.FH) > 0 {
		b = appendHashes(append(b, `,"fh":`...), e.FH)
	}
	if len(e.Before) > 0 {
		var ok bool
		b = append(b, `,"before":`...)
		if b, ok = appendMap(b, e.Before, appendRaw); !ok {
			return dst, false
		}
	}
	b = appendStr(b, `,"rs":`, e.RS)
	return append(b, '}', '\n'), true
}

// appendInt appends name and v unless v is 0 (omitempty).
func appendInt(b []byte, name string, v int) []byte {
	if v == 0 {
		return b
	}
	return strconv.AppendInt(append(b, name...), int64(v), 10)
}

// appendStr appends name and v unless v is empty (omitempty).
func appendStr(b []byte, name, v string) []byte {
	if v == "" {
		return b
	}
	return workdiff.AppendString(append(b, name...), v)
}

// appendStrings appends name and the array vs unless it is empty.
func appendStrings(b []byte, name string, vs []string) []byte {
	if len(vs) == 0 {
		return b
	}
	b = append(b, name...)
	for i, v := range vs {
		b = append(b, "[,"[min(i, 1)])
		b = workdiff.AppendString(b, v)
	}
	return append(b, ']')
}

// appendMap appends m as a JSON object, keys sorted as encoding/json sorts
// them, each value by value (false: cannot).
func appendMap[V any](b []byte, m map[string]V, value func([]byte, V) ([]byte, bool)) ([]byte, bool) {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for i, k := range keys {
		b = append(b, "{,"[min(i, 1)])
		b = append(workdiff.AppendString(b, k), ':')
		var ok bool
		if b, ok = value(b, m[k]); !ok {
			return b, false
		}
	}
	return append(b, '}'), true
}

// appendHashes appends fh as a JSON object, keys sorted as encoding/json
// sorts them: appendMap without the map lookup per key (a row's hashes
// are a dozen short strings).
func appendHashes(b []byte, fh map[string]string) []byte {
	type pair struct{ k, v string }
	var arr [16]pair
	pairs := arr[:0]
	for k, v := range fh {
		pairs = append(pairs, pair{k, v})
	}
	slices.SortFunc(pairs, func(x, y pair) int { return strings.Compare(x.k, y.k) })
	for i, p := range pairs {
		b = append(b, "{,"[min(i, 1)])
		b = append(workdiff.AppendString(b, p.k), ':')
		b = workdiff.AppendString(b, p.v)
	}
	return append(b, '}')
}

// appendRaw appends raw JSON compacted, as encoding/json writes a
// json.RawMessage (null for a nil one); false if it is not JSON.
func appendRaw(b []byte, raw json.RawMessage) ([]byte, bool) {
	if raw == nil {
		return append(b, "null"...), true
	}
	buf := bytes.NewBuffer(b)
	if err := json.Compact(buf, raw); err != nil {
		return b, false
	}
	return buf.Bytes(), true
}
