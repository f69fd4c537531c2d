package lookup

import "github.com/devrev-import/devrev-import/mapping"

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
	name     string         // as written after lookup: in a mapping
	cat      category       // the list it searches
	filtered bool           // the list's filter can ask for the value directly
	email    bool           // values are emails (matched case-insensitively)
	ids      mapping.IDKind // the objects it resolves to
}

// kinds is indexed by kind.
var kinds = [numKinds]kindInfo{
	devUserEmail: {name: "dev_user.email", cat: catDevUsers, filtered: true, email: true, ids: mapping.IDDevUser},
	devUserName:  {name: "dev_user.name", cat: catDevUsers, ids: mapping.IDDevUser},
	partName:     {name: "part.name", cat: catParts, filtered: true, ids: mapping.IDPart},
	tagName:      {name: "tag.name", cat: catTags, filtered: true, ids: mapping.IDTag},
	accountName:  {name: "account.name", cat: catAccounts, filtered: true, ids: mapping.IDAccount},
	revOrgName:   {name: "rev_org.name", cat: catRevOrgs, filtered: true, ids: mapping.IDRevOrg},
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
// whose last segment has one of its object types (don:…:devu/3), by the
// mapping's rules (mapping.IsID). Such values are sent as they are.
func isID(k kind, v string) bool {
	return mapping.IsID(v, kinds[k].ids)
}
