package lookup

import (
	"strconv"
	"strings"
	"unicode"

	"github.com/devrev-import/devrev-import/mapping"
)

// object is one directory object a value may resolve to.
type object struct {
	id        string   // DON ID (what is sent)
	displayID string   // DEVU-3, PROD-1 (for messages)
	names     []string // display name and full name of users; the name of others
	email     string   // dev users only
}

// ref is what an object resolves to: its DON ID, or its display ID when
// the server sent no DON.
func (o *object) ref() string {
	if o.id != "" {
		return o.id
	}
	return o.displayID
}

// label names an object in a list of candidates: "DEVU-3
// (carol@example.com)", "PROD-1 (Billing)".
func (o *object) label() string {
	id := o.displayID
	if id == "" {
		id = o.id
	}
	detail := o.email
	if detail == "" && len(o.names) > 0 {
		detail = o.names[0]
	}
	if detail == "" {
		return id
	}
	return id + " (" + detail + ")"
}

// outcome is the answer to one lookup: an ID, or a message for the cell.
type outcome struct {
	id  string
	msg string // "" when id is set
	// transient marks a failure to ask (network, server): it is never
	// written to the cache file.
	transient bool
	// err is why asking failed, when it is the API's or the run's state
	// (throttle.RunEnding): the run stops rather than fail the row.
	err error
}

// fold makes a name comparable ignoring case and whitespace: lower case,
// runs of spaces collapsed, no leading or trailing space.
func fold(s string) string {
	return strings.Join(strings.FieldsFunc(strings.ToLower(s), unicode.IsSpace), " ")
}

// exactMatches returns the objects whose email (case-insensitively) or name
// (exactly) is v.
func exactMatches(k kind, objs []object, v string) []*object {
	var out []*object
	for i := range objs {
		o := &objs[i]
		if kinds[k].email {
			if o.email != "" && strings.EqualFold(o.email, v) {
				out = append(out, o)
			}
			continue
		}
		for _, n := range o.names {
			if n == v {
				out = append(out, o)
				break
			}
		}
	}
	return out
}

// foldedMatches returns the objects whose email or name is v ignoring case
// and whitespace.
func foldedMatches(k kind, objs []object, v string) []*object {
	fv := fold(v)
	var out []*object
	for i := range objs {
		o := &objs[i]
		if kinds[k].email {
			if o.email != "" && fold(o.email) == fv {
				out = append(out, o)
			}
			continue
		}
		for _, n := range o.names {
			if fold(n) == fv {
				out = append(out, o)
				break
			}
		}
	}
	return out
}

// decide turns the matches of a value into an outcome: one is the answer,
// several are listed, none is a miss.
func decide(k kind, v string, matches []*object) (outcome, bool) {
	switch len(matches) {
	case 0:
		return outcome{}, false
	case 1:
		return outcome{id: matches[0].ref()}, true
	}
	nouns := categoryNouns[kinds[k].cat]
	labels := make([]string, len(matches))
	for i, o := range matches {
		labels[i] = o.label()
	}
	return outcome{msg: "matches " + strconv.Itoa(len(matches)) + " " + nouns[1] + ": " + strings.Join(labels, ", ")}, true
}

// resolveIn resolves v against a complete list: exact matches, then
// matches ignoring case and whitespace, else a miss with the closest value
// as a suggestion.
func resolveIn(k kind, objs []object, v string) outcome {
	if out, ok := decide(k, v, exactMatches(k, objs, v)); ok {
		return out
	}
	if out, ok := decide(k, v, foldedMatches(k, objs, v)); ok {
		return out
	}
	return miss(k, objs, v)
}

// miss is the outcome of a value that matches nothing:
// `is not a dev user in this org (did you mean bob@example.com?)`.
func miss(k kind, objs []object, v string) outcome {
	msg := "is not " + categoryNouns[kinds[k].cat][0] + " in this org"
	var choices []string
	for i := range objs {
		if kinds[k].email {
			if objs[i].email != "" {
				choices = append(choices, objs[i].email)
			}
			continue
		}
		choices = append(choices, objs[i].names...)
	}
	if s := suggest(v, choices); s != "" {
		msg += " (did you mean " + s + "?)"
	}
	return outcome{msg: msg}
}

// suggest returns the choice closest to v when it is close enough to be a
// likely typo (an edit distance of at most a third of v's length, 1 to 3),
// or "".
func suggest(v string, choices []string) string {
	in := fold(v)
	if in == "" {
		return ""
	}
	limit := min(max(len([]rune(in))/3, 1), 3)
	best, bestDist := "", limit+1
	for _, c := range choices {
		if c == "" {
			continue
		}
		if d := mapping.EditDistance(in, fold(c)); d < bestDist {
			best, bestDist = c, d
		}
	}
	return best
}
