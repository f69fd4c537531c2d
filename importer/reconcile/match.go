package reconcile

import (
	"encoding/json"
	"fmt"

	"github.com/devrev-import/devrev-import/importer/workdiff"
)

// This file decides whether a served work is what a works.create request
// asked for: every field the request carried must be held by the work,
// each compared in the shape DevRev serves it (workdiff knows the shapes),
// so two rows with the same title but other owners, tags or custom fields
// are told apart. A field DevRev does not serve back cannot be compared
// and is left out.

// request is a decoded works.create body.
type request struct {
	typ    string
	fields workdiff.Values
}

// decodeRequest reads the JSON body a create sent.
func decodeRequest(body []byte) (request, error) {
	var head struct {
		Type string `json:"type"`
	}
	if err := json.Unmarshal(body, &head); err != nil {
		return request{}, fmt.Errorf("decoding the request: %w", err)
	}
	fields, err := workdiff.Fields(body)
	if err != nil {
		return request{}, fmt.Errorf("decoding the request: %w", err)
	}
	return request{typ: head.Type, fields: fields}, nil
}

// matches reports whether the served work d carries every field the
// request carried, each equal in its own shape.
func (q request) matches(d *workdiff.Doc) bool {
	if d.Type() != q.typ {
		return false
	}
	for name, sent := range q.fields {
		if same, known := d.Same(name, sent); known && !same {
			return false
		}
	}
	return true
}

// extras reports whether d carries values in fields the request left
// empty (tags, reporters, artifacts, a close date, custom fields). Such a
// work is still a match (DevRev may fill fields by itself), but a work
// without extras is the better one.
func (q request) extras(d *workdiff.Doc) bool {
	for _, name := range []string{"tags", "reported_by", "artifacts", "target_close_date"} {
		if _, sent := q.fields[name]; !sent && d.Holds(name) {
			return true
		}
	}
	for _, name := range d.CustomFields() {
		if _, sent := q.fields[name]; !sent {
			return true
		}
	}
	return false
}
