package simulator

import (
	"strconv"
	"time"
)

// devo is the sandbox's Dev organization, as it appears in every DON ID.
const devo = "devo/sandbox"

// seedDate is the creation date of every seeded directory object.
var seedDate = time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)

// Entity kinds of the seeded directory; part kinds are also the part "type".
const (
	kindDevUser     = "devu"
	kindRevUser     = "revu"
	kindProduct     = "product"
	kindCapability  = "capability"
	kindFeature     = "feature"
	kindEnhancement = "enhancement"
	kindTag         = "tag"
	kindAccount     = "account"
	kindRevOrg      = "revo"
	kindArtifact    = "artifact"
)

// entity is one seeded directory object (user, part, tag, org, artifact).
type entity struct {
	kind      string
	id        string // DON ID
	displayID string
	name      string // display_name for users and orgs, name for parts and tags
	fullName  string // users only
	email     string // users only
	parent    *entity
	seq       int64          // position in its list, for pagination
	sum       map[string]any // rendered summary, built once; never modified
}

// directory is the fixed, read-only set of objects a work can reference.
// It is built once per Server and never modified, so it needs no lock.
type directory struct {
	byRef     map[string]*entity // both display ID and DON ID
	devUsers  []*entity
	revUsers  []*entity
	parts     []*entity
	tags      []*entity
	accounts  []*entity
	revOrgs   []*entity
	artifacts []*entity
}

func newDirectory() *directory {
	d := &directory{byRef: map[string]*entity{}}
	add := func(list *[]*entity, e *entity) *entity {
		e.seq = int64(len(*list) + 1)
		*list = append(*list, e)
		d.byRef[e.id] = e
		d.byRef[e.displayID] = e
		return e
	}
	donOf := func(service, kind string, n int) string {
		return "don:" + service + ":dvrv-us-1:" + devo + ":" + kind + "/" + strconv.Itoa(n)
	}

	for i, u := range []struct{ name, full, email string }{
		{"alice", "Alice Admin", "alice@example.com"},
		{"bob", "Bob Builder", "bob@example.com"},
		{"carol", "Carol Chen", "carol@example.com"},
		{"dan", "Dan Diaz", "dan@example.com"},
		{"carol.c", "Carol Chen", "carol.chen@example.com"},
	} {
		n := i + 1
		add(&d.devUsers, &entity{kind: kindDevUser, id: donOf("identity", "devu", n), displayID: "DEVU-" + strconv.Itoa(n),
			name: u.name, fullName: u.full, email: u.email})
	}

	for _, p := range []struct{ kind, prefix, name string }{
		{kindProduct, "PROD-1", "Billing"},
		{kindProduct, "PROD-2", "Mobile App"},
		{kindCapability, "CAPL-1", "Invoices"},
		{kindFeature, "FEAT-1", "PDF Export"},
		{kindEnhancement, "ENH-1", "Faster Sync"},
	} {
		n, _ := strconv.Atoi(p.prefix[len(p.prefix)-1:])
		add(&d.parts, &entity{kind: p.kind, id: donOf("core", p.kind, n), displayID: p.prefix, name: p.name})
	}

	for i, name := range []string{"bug", "customer-reported", "regression", "security", "feature-request"} {
		n := i + 1
		add(&d.tags, &entity{kind: kindTag, id: donOf("core", "tag", n), displayID: "TAG-" + strconv.Itoa(n), name: name})
	}
	for i, name := range []string{"Acme Corp", "Globex", "Initech"} {
		n := i + 1
		acc := add(&d.accounts, &entity{kind: kindAccount, id: donOf("identity", "account", n), displayID: "ACC-" + strconv.Itoa(n), name: name})
		add(&d.revOrgs, &entity{kind: kindRevOrg, id: donOf("identity", "revo", n), displayID: "REV-" + strconv.Itoa(n), name: name, parent: acc})
	}
	for i, u := range []struct{ name, email string }{
		{"Wile E.", "wile@acme.example"},
		{"Hank Scorpio", "hank@globex.example"},
	} {
		n := i + 1
		add(&d.revUsers, &entity{kind: kindRevUser, id: donOf("identity", "revu", n), displayID: "REVU-" + strconv.Itoa(n),
			name: u.name, fullName: u.name, email: u.email, parent: d.revOrgs[i]})
	}
	for n := 1; n <= 3; n++ {
		add(&d.artifacts, &entity{kind: kindArtifact, id: donOf("core", "artifact", n), displayID: "ARTIFACT-" + strconv.Itoa(n)})
	}
	// Render every summary now: the directory is read concurrently later.
	for _, list := range [][]*entity{d.devUsers, d.revUsers, d.parts, d.tags, d.accounts, d.revOrgs, d.artifacts} {
		for _, e := range list {
			d.summary(e)
		}
	}
	return d
}

// lookup resolves a display ID or DON ID to a seeded object.
func (d *directory) lookup(ref string) *entity { return d.byRef[ref] }

func isPartKind(k string) bool {
	return k == kindProduct || k == kindCapability || k == kindFeature || k == kindEnhancement
}

// summary renders e the way a referencing object embeds it (the spec's
// *-summary schemas). The map is shared: callers only marshal it.
func (d *directory) summary(e *entity) map[string]any {
	if e.sum == nil {
		e.sum = d.renderSummary(e)
	}
	return e.sum
}

func (d *directory) renderSummary(e *entity) map[string]any {
	m := map[string]any{"id": e.id, "display_id": e.displayID}
	switch {
	case e.kind == kindDevUser:
		m["type"] = "dev_user"
		m["display_name"], m["full_name"], m["email"], m["state"] = e.name, e.fullName, e.email, "active"
	case e.kind == kindRevUser:
		m["type"] = "rev_user"
		m["display_name"], m["full_name"], m["email"], m["state"] = e.name, e.fullName, e.email, "active"
		m["rev_org"] = d.summary(e.parent)
	case isPartKind(e.kind):
		m["type"] = e.kind
		m["name"] = e.name
		m["owned_by"] = []any{d.summary(d.devUsers[0])}
	case e.kind == kindTag:
		m["name"] = e.name
	case e.kind == kindAccount:
		m["display_name"] = e.name
	case e.kind == kindRevOrg:
		m["type"] = "rev_org"
		m["display_name"] = e.name
	}
	return m
}

// object renders e as a list or get endpoint serves it (the spec's full
// dev-user, part, tag, account and rev-org schemas).
func (d *directory) object(e *entity) map[string]any {
	date := seedDate.Format(timeLayout)
	m := map[string]any{"id": e.id, "display_id": e.displayID, "created_date": date, "modified_date": date}
	switch {
	case e.kind == kindDevUser || e.kind == kindRevUser:
		m["display_name"], m["full_name"], m["email"], m["state"] = e.name, e.fullName, e.email, "active"
		if e.kind == kindRevUser {
			m["rev_org"] = d.summary(e.parent)
		}
	case isPartKind(e.kind):
		m["type"] = e.kind
		m["name"] = e.name
		m["owned_by"] = []any{d.summary(d.devUsers[0])}
	case e.kind == kindTag:
		m["name"] = e.name
	case e.kind == kindAccount:
		m["display_name"] = e.name
		m["owned_by"] = []any{d.summary(d.devUsers[0])}
	case e.kind == kindRevOrg:
		m["display_name"] = e.name
		m["account"] = d.summary(e.parent)
	}
	return m
}

// timeLayout is how the API renders date-times: RFC 3339, UTC, milliseconds.
const timeLayout = "2006-01-02T15:04:05.000Z"
