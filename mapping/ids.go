package mapping

import "strings"

// idKind is the kind of object an ID field must point at.
type idKind uint8

const (
	idAny idKind = iota // any well-formed display ID or DON
	idDevUser
	idPart
	idAccount
	idRevOrg
	idTag
	idRevUser
	idArtifact
	idWork
)

// IDKind is the kind of object an ID points at (a dev user, a part...),
// for the packages that recognise IDs by the mapping's rules (lookup).
type IDKind = idKind

// The ID kinds other packages ask about.
const (
	IDDevUser = idDevUser
	IDPart    = idPart
	IDAccount = idAccount
	IDRevOrg  = idRevOrg
	IDTag     = idTag
	IDWork    = idWork
)

// IsID reports whether s already is, exactly as written, a display ID or
// DON of objects of kind k: a value the mapping sends unchanged ("DEVU-3",
// "don:…:devu/3"; not "devu-3", which it sends upper-cased).
func IsID(s string, k IDKind) bool {
	id, ok := checkID(s, k)
	return ok && id == s
}

// idKindInfo says how to recognise IDs of one kind: display ID prefixes
// (PROD-12) and the object type of a DON's last segment (…:product/12).
type idKindInfo struct {
	noun     string   // "a dev user ID"
	prefixes []string // display ID prefixes
	dons     []string // DON object types
}

// idKinds is indexed by idKind.
var idKinds = [...]idKindInfo{
	idAny:      {noun: "an ID"},
	idDevUser:  {noun: "a dev user ID", prefixes: []string{"DEVU"}, dons: []string{"devu"}},
	idPart:     {noun: "a part ID", prefixes: []string{"PROD", "CAPL", "FEAT", "ENH"}, dons: []string{"product", "capability", "feature", "enhancement"}},
	idAccount:  {noun: "an account ID", prefixes: []string{"ACC"}, dons: []string{"account"}},
	idRevOrg:   {noun: "a Rev org ID", prefixes: []string{"REV"}, dons: []string{"revo"}},
	idTag:      {noun: "a tag ID", prefixes: []string{"TAG"}, dons: []string{"tag"}},
	idRevUser:  {noun: "a Rev user ID", prefixes: []string{"REVU"}, dons: []string{"revu"}},
	idArtifact: {noun: "an artifact ID", prefixes: []string{"ARTIFACT"}, dons: []string{"artifact"}},
	idWork:     {noun: "a work ID", prefixes: []string{"ISS", "TKT", "TASK", "OPP"}, dons: []string{"issue", "ticket", "task", "opportunity"}},
}

// idRule returns the message for a value that is not an ID of kind k in
// field, e.g. "is not a dev user ID (owned_by needs DEVU-… or
// don:…:devu/…)". It is computed once per column, never per row.
func idRule(field string, k idKind) string {
	info := idKinds[k]
	if k == idAny {
		return "is not an ID (" + field + " needs a display ID such as PROD-12 or a DON such as don:core:dvrv-us-1:devo/0:product/12)"
	}
	var b strings.Builder
	b.WriteString("is not ")
	b.WriteString(info.noun)
	b.WriteString(" (")
	b.WriteString(field)
	b.WriteString(" needs ")
	for i, p := range info.prefixes {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(p)
		b.WriteString("-…")
	}
	b.WriteString(" or ")
	for i, d := range info.dons {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString("don:…:")
		b.WriteString(d)
		b.WriteString("/…")
	}
	b.WriteString(")")
	return b.String()
}

// checkID reports whether s is a display ID or DON of kind k. It returns
// the ID to send: display ID prefixes are upper-cased ("devu-3" → "DEVU-3").
func checkID(s string, k idKind) (string, bool) {
	info := &idKinds[k]
	if len(s) > 4 && s[:4] == "don:" {
		typ, ok := donType(s)
		if !ok {
			return s, false
		}
		if k == idAny {
			return s, true
		}
		for _, d := range info.dons {
			if typ == d {
				return s, true
			}
		}
		return s, false
	}
	// PREFIX-suffix: letters, a dash, then letters, digits or "_".
	dash, upper := -1, true
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c == '-' {
			dash = i
			break
		}
		if c >= 'A' && c <= 'Z' {
			continue
		}
		if c >= 'a' && c <= 'z' {
			upper = false
			continue
		}
		return s, false
	}
	if dash <= 0 || dash == len(s)-1 {
		return s, false
	}
	for i := dash + 1; i < len(s); i++ {
		c := s[i]
		if !(c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '_') {
			return s, false
		}
	}
	if k != idAny {
		prefix := s[:dash]
		found := false
		for _, p := range info.prefixes {
			if len(p) == len(prefix) && (prefix == p || !upper && strings.EqualFold(prefix, p)) {
				found = true
				break
			}
		}
		if !found {
			return s, false
		}
	}
	if !upper {
		s = strings.ToUpper(s[:dash]) + s[dash:]
	}
	return s, true
}

// donType checks the shape of a DON, don:SERVICE:PARTITION:TYPE/ID[:TYPE/ID…],
// and returns the object type of its last segment.
func donType(s string) (string, bool) {
	rest := s[len("don:"):]
	var parts int
	var last string
	for {
		i := strings.IndexByte(rest, ':')
		seg := rest
		if i >= 0 {
			seg = rest[:i]
		}
		if seg == "" {
			return "", false
		}
		for j := 0; j < len(seg); j++ {
			if c := seg[j]; c <= ' ' || c == 0x7f {
				return "", false
			}
		}
		parts++
		if parts >= 3 {
			slash := strings.IndexByte(seg, '/')
			if slash <= 0 || slash == len(seg)-1 || strings.IndexByte(seg[slash+1:], '/') >= 0 {
				return "", false
			}
			last = seg[:slash]
		}
		if i < 0 {
			break
		}
		rest = rest[i+1:]
	}
	if parts < 3 {
		return "", false
	}
	return last, true
}

// IDCheck returns a test that says whether a value is an ID the field
// (a field path such as "owned_by") accepts, with the same rules the
// mapping converts it by; nil when the field takes no IDs. Tools that
// guess a mapping (init) use it so that IDs are recognised in one place.
func IDCheck(field string) func(string) bool {
	def, _ := findField(fieldTable(), field)
	if def == nil || (def.kind != kID && def.kind != kIDList && def.kind != kTags) {
		return nil
	}
	k := def.ids
	return func(s string) bool {
		_, ok := checkID(s, k)
		return ok
	}
}
