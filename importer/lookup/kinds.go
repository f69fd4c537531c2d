package lookup

import "strings"

// kind is one of the lookups a mapping column may ask for.
type kind uint8

const (
	devUserEmail kind = iota
	devUserName
	partName
	tagName
	accountName
	revOrgName
	numKinds
)

// category is a list endpoint: the objects several kinds search.
type category uint8

const (
	catDevUsers category = iota
	catParts
	catTags
	catAccounts
	catRevOrgs
	numCategories
)

// kindInfo says how a kind is named, searched and recognised.
type kindInfo struct {
	name     string   // as written after lookup: in a mapping
	cat      category // the list it searches
	filtered bool     // the list's filter can ask for the value directly
	email    bool     // values are emails (matched case-insensitively)
	prefixes []string // display ID prefixes of the objects it resolves to
	dons     []string // object types of their DON IDs
}

// kinds is indexed by kind.
var kinds = [numKinds]kindInfo{
	devUserEmail: {name: "dev_user.email", cat: catDevUsers, filtered: true, email: true, prefixes: []string{"DEVU"}, dons: []string{"devu"}},
	devUserName:  {name: "dev_user.name", cat: catDevUsers, prefixes: []string{"DEVU"}, dons: []string{"devu"}},
	partName: {name: "part.name", cat: catParts, filtered: true,
		prefixes: []string{"PROD", "CAPL", "FEAT", "ENH"}, dons: []string{"product", "capability", "feature", "enhancement"}},
	tagName:     {name: "tag.name", cat: catTags, filtered: true, prefixes: []string{"TAG"}, dons: []string{"tag"}},
	accountName: {name: "account.name", cat: catAccounts, filtered: true, prefixes: []string{"ACC"}, dons: []string{"account"}},
	revOrgName:  {name: "rev_org.name", cat: catRevOrgs, filtered: true, prefixes: []string{"REV"}, dons: []string{"revo"}},
}

// categoryNouns names the objects of a list in messages: singular with its
// article, plural.
var categoryNouns = [numCategories][2]string{
	catDevUsers: {"a dev user", "dev users"},
	catParts:    {"a part", "parts"},
	catTags:     {"a tag", "tags"},
	catAccounts: {"an account", "accounts"},
	catRevOrgs:  {"a Rev org", "Rev orgs"},
}

// kindOf returns the kind named by a mapping's lookup: value.
func kindOf(name string) (kind, bool) {
	for k := range numKinds {
		if kinds[k].name == name {
			return k, true
		}
	}
	return 0, false
}

// isID reports whether v already is an ID of the objects k resolves to: a
// display ID with one of the kind's prefixes (DEVU-3, PROD-1) or a DON
// whose last segment has one of its object types (don:…:devu/3). Such
// values are sent as they are.
func isID(k kind, v string) bool {
	info := &kinds[k]
	if strings.HasPrefix(v, "don:") {
		i := strings.LastIndexByte(v, ':')
		seg := v[i+1:]
		slash := strings.IndexByte(seg, '/')
		if slash <= 0 || slash == len(seg)-1 || strings.Count(v, ":") < 3 || strings.ContainsAny(v, " \t\r\n") {
			return false
		}
		for _, d := range info.dons {
			if seg[:slash] == d {
				return true
			}
		}
		return false
	}
	dash := strings.IndexByte(v, '-')
	if dash <= 0 || dash == len(v)-1 {
		return false
	}
	found := false
	for _, p := range info.prefixes {
		if v[:dash] == p {
			found = true
			break
		}
	}
	if !found {
		return false
	}
	for i := dash + 1; i < len(v); i++ {
		c := v[i]
		if !(c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '_') {
			return false
		}
	}
	return true
}
