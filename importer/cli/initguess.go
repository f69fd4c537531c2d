package cli

import (
	"fmt"
	"math"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/devrev-import/devrev-import/importer/source"
	"github.com/devrev-import/devrev-import/mapping"
)

// sampledColumn is what init saw of one header: the non-empty cells of
// the first rows (of every copy of a repeated header).
type sampledColumn struct {
	header     string
	copies     int // how often the header appears
	cells      []source.Cell
	rowsFilled int // sampled rows with a value in the column
}

// guess is init's proposal for one column: a field with its options, or
// nothing (the column goes to ignore:), and why.
type guess struct {
	col    *sampledColumn
	field  string
	opts   []string // "lookup: dev_user.email", "split: \" \"", ...
	values []string // lines of a value map, some commented out
	why    []string
	dates  bool   // the field holds dates read without a zone
	rel    string // a link or comment rule instead of a field ("{link: parent}")
}

var requiredByType = map[string][]string{
	"issue":       {"title", "applies_to_part", "owned_by"},
	"ticket":      {"title", "applies_to_part", "owned_by"},
	"task":        {"title", "applies_to_part", "owned_by"},
	"opportunity": {"title", "applies_to_part", "owned_by", "account"},
}

// synonyms maps a normalised header name to a field, per work type where it differs.
var synonyms = map[string]string{
	"title": "title", "summary": "title", "subject": "title", "name": "title", "opportunityname": "title",
	"description": "body", "body": "body", "details": "body",
	"assignee": "owned_by", "owner": "owned_by", "ownedby": "owned_by", "assignedto": "owned_by", "opportunityowner": "owned_by",
	"assigneeemail": "owned_by", "owneremail": "owned_by",
	"reporter": "reported_by", "reportedby": "reported_by",
	"due": "target_close_date", "duedate": "target_close_date", "targetclosedate": "target_close_date", "closedate": "target_close_date",
	"startdate": "start_date", "targetstartdate": "target_start_date",
	"labels": "tags", "tags": "tags", "tag": "tags",
	"component": "applies_to_part", "components": "applies_to_part", "part": "applies_to_part", "product": "applies_to_part", "appliestopart": "applies_to_part",
	"account": "account", "accountname": "account", "company": "account", "organization": "account", "customer": "account",
	"type": "type", "worktype": "type",
	"severity": "severity", "priority": "priority",
	"amount": "amount", "probability": "probability", "forecastcategory": "forecast_category",
	"budget": "customer_budget", "customerbudget": "customer_budget",
	"channel": "channels", "channels": "channels", "via": "channels", "spam": "is_spam", "isspam": "is_spam",
	"needsresponse": "needs_response", "contacts": "contacts", "revorg": "rev_org",
	"issuekey": "custom_fields.tnt__external_id", "ticketid": "custom_fields.tnt__external_id", "key": "custom_fields.tnt__external_id",
	"id": "custom_fields.tnt__external_id", "externalid": "custom_fields.tnt__external_id",
	"storypoints": "custom_fields.tnt__story_points", "points": "custom_fields.tnt__story_points",
	"customfieldstorypoints": "custom_fields.tnt__story_points", "customerimpact": "custom_fields.tnt__customer_impact",
	"value": "value", "dealvalue": "value", "acv": "annual_contract_value", "annualcontractvalue": "annual_contract_value",
	"task": "title", "taskname": "title", "notes": "body", "project": "applies_to_part", "start": "start_date",
	"taskid": "custom_fields.tnt__external_id", "opportunityid": "custom_fields.tnt__external_id", "dealid": "custom_fields.tnt__external_id",
}

// ignoreWhy explains columns a person would leave out although a field
// sounds close.
var ignoreWhy = map[string]string{
	"issuetype":      "the tool's own issue types (Bug, Story, Task...); they are all DevRev issues",
	"tickettype":     "the help desk's ticket types; they are all DevRev tickets",
	"status":         "a stage must be one of the org's stages: map it to stage.name with values: to import it",
	"stage":          "a stage must be one of the org's stages: map it to stage.name with values: to import it",
	"created":        "DevRev sets the creation date itself",
	"createdat":      "DevRev sets the creation date itself",
	"updated":        "DevRev sets the modification date itself",
	"updatedat":      "DevRev sets the modification date itself",
	"issueid":        "Jira's internal number; the issue key is the row's key",
	"requester":      "requesters are customers (Rev users), not dev users",
	"requesteremail": "requesters are customers (Rev users), not dev users",
}

var enumTargets = map[string][]string{
	"severity":          {"blocker", "high", "medium", "low"},
	"priority":          {"p0", "p1", "p2", "p3"},
	"forecast_category": {"commit", "omitted", "pipeline", "strong_upside", "upside", "won"},
	"type":              {"issue", "ticket", "task", "opportunity"},
	"channels":          {"email", "plug", "slack", "twilio", "twilio_sms"},
}

// urgency lists the words people use for priorities by level, most urgent
// first. The last level has no DevRev level of its own and joins the one
// before ("Lowest" and "Low" both become p3).
var urgency = [][]string{
	{"blocker", "highest", "critical", "urgent", "p0", "showstopper"},
	{"high", "major", "p1"},
	{"medium", "normal", "moderate", "p2"},
	{"low", "minor", "p3"},
	{"lowest", "trivial", "p4"},
}

// channelWords are help-desk names of channels.
var channelWords = map[string]string{
	"mail": "email", "e_mail": "email", "web_widget": "plug", "widget": "plug", "web": "plug", "chat": "plug",
	"messaging": "plug", "phone": "twilio", "voice": "twilio", "call": "twilio", "sms": "twilio_sms", "text": "twilio_sms",
}

// helpDesk are headers that only help-desk exports have.
var helpDesk = []string{"ticketid", "tickettype", "requester", "requesteremail", "requestername", "via", "channel",
	"needsresponse", "group", "organization", "customer", "satisfaction", "satisfactionscore", "sla"}

// workTypeHeaders are headers that name the other work types.
var workTypeHeaders = map[string][]string{
	"issue":       {"issuekey", "issuetype", "issueid", "sprint", "epiclink", "storypoints", "customfieldstorypoints", "components", "fixversions"},
	"task":        {"taskid", "task", "taskname", "section", "parenttask"},
	"opportunity": {"opportunityid", "opportunityname", "forecast", "forecastcategory", "probability", "amount", "dealvalue", "closedate"},
}

func normHeader(s string) string {
	var b strings.Builder
	for _, r := range strings.ToLower(s) {
		if (r >= 'a' && r <= 'z') || (r >= '0' && r <= '9') {
			b.WriteRune(r)
		}
	}
	return b.String()
}

// guessType picks the work type from the header: the type whose telltale
// columns are most present; a ticket only when the columns look like a
// help desk's (two or more of them, or a ticket ID), an issue otherwise.
func guessType(cols []*sampledColumn) (string, string) {
	have := map[string]string{}
	for _, c := range cols {
		have[normHeader(c.header)] = c.header
	}
	found := func(names []string) []string {
		var out []string
		for _, n := range names {
			if h, ok := have[n]; ok {
				out = append(out, strconv.Quote(h))
			}
		}
		return out
	}
	best, bestHits := "", []string(nil)
	for _, t := range []string{"issue", "task", "opportunity"} {
		if hits := found(workTypeHeaders[t]); len(hits) > len(bestHits) {
			best, bestHits = t, hits
		}
	}
	if desk := found(helpDesk); len(desk) >= 2 && len(desk) > len(bestHits) || have["ticketid"] != "" {
		return "ticket", "help-desk columns: " + joinMax(desk, 4)
	}
	if best == "" {
		return "issue", "no column names a work type and none looks like a help desk's (pass --type to choose)"
	}
	verb := " name "
	if len(bestHits) == 1 {
		verb = " names "
	}
	return best, joinMax(bestHits, 4) + verb + article(best) + " " + best
}

func article(t string) string {
	if strings.IndexByte("aeiou", t[0]) >= 0 {
		return "an"
	}
	return "a"
}

func joinMax(s []string, n int) string {
	if len(s) > n {
		return strings.Join(s[:n], ", ") + "..."
	}
	return strings.Join(s, ", ")
}

// guessField proposes a field for a header (before looking at its cells),
// or "" and why the column is left out.
func guessField(header, typ string) (string, string) {
	n := normHeader(header)
	if why, ok := ignoreWhy[n]; ok {
		return "", why
	}
	f, ok := synonyms[n]
	if !ok && strings.HasPrefix(n, "customfield") {
		f, ok = synonyms[strings.TrimPrefix(n, "customfield")]
	}
	if !ok {
		return "", "no obvious field"
	}
	switch {
	case f == "priority" && typ == "ticket":
		return "severity", "a ticket's urgency is its severity"
	case f == "severity" && typ != "ticket":
		return "priority", article(typ) + " " + typ + "'s urgency is its priority"
	case f == "priority":
		return f, article(typ) + " " + typ + "'s urgency is its priority"
	case f == "start_date" && typ == "issue":
		return "target_start_date", "an issue's start is its target start date"
	case f == "target_start_date" && typ == "task":
		return "start_date", "a task's start is its start date"
	case f == "account" && typ != "ticket" && typ != "opportunity":
		return "", "only tickets and opportunities have an account"
	case f == "custom_fields.tnt__external_id":
		return f, "names the row in the old tool: kept in tnt__external_id, and the key"
	}
	return f, fmt.Sprintf("a usual header for %s", f)
}

// guessColumns proposes a field for each column. When two columns read as
// the same field, the one whose cells fit it best wins (IDs, then emails,
// then names: "Assignee email" over "Assignee"); the other is ignored.
func guessColumns(cols []*sampledColumn, typ string) []*guess {
	var out []*guess
	byField := map[string]*guess{}
	for _, c := range cols {
		if g := guessRelation(c, cols); g != nil {
			out = append(out, g)
			continue
		}
		field, why := guessField(c.header, typ)
		g := &guess{col: c, field: field, why: []string{why}}
		out = append(out, g)
		if field == "" {
			continue
		}
		if prev, ok := byField[field]; ok {
			if fitScore(c, field) > fitScore(prev.col, field) {
				prev.field, prev.why = "", []string{fmt.Sprintf("%q feeds %s, with cells that fit it better", c.header, field)}
			} else {
				g.field, g.why = "", []string{fmt.Sprintf("%q feeds %s already", prev.col.header, field)}
				continue
			}
		}
		byField[field] = g
	}
	for _, g := range out {
		if g.field != "" {
			guessOptions(g)
		}
	}
	return out
}

// fitScore ranks how well a column's cells fit an ID field.
func fitScore(c *sampledColumn, field string) int {
	switch {
	case len(c.cells) == 0:
		return 0
	case mostMatch(c.cells, mapping.IDCheck(field)):
		return 3
	case mostMatch(c.cells, isEmail):
		return 2
	}
	return 1
}

func isEmail(s string) bool {
	at := strings.IndexByte(s, '@')
	return at > 0 && at == strings.LastIndexByte(s, '@') && strings.IndexByte(s[at:], '.') > 1 &&
		!strings.HasSuffix(s, ".") && !strings.ContainsAny(s, " \t")
}

// listItems splits a cell as a list field's default split does (on "," or ";").
func listItems(v string) []string {
	var out []string
	for _, p := range strings.FieldsFunc(v, func(r rune) bool { return r == ',' || r == ';' }) {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}

// mostMatch reports whether at least 4 in 5 of the list items of the cells
// pass ok: a few bad cells are the rows validate will name, not a reason
// to guess differently.
func mostMatch(cells []source.Cell, ok func(string) bool) bool {
	if ok == nil {
		return false
	}
	n, good := 0, 0
	for _, c := range cells {
		for _, p := range listItems(c.Value) {
			n++
			if ok(p) {
				good++
			}
		}
	}
	return n > 0 && good*5 >= n*4
}

// guessOptions fills in a column's options from its cells.
func guessOptions(g *guess) {
	cells := g.col.cells
	switch g.field {
	case "owned_by", "reported_by":
		guessLookup(g, "dev_user", "dev user IDs")
	case "applies_to_part":
		guessLookup(g, "part", "part IDs")
	case "account":
		guessLookup(g, "account", "account IDs")
	case "tags":
		guessTags(g)
	case "target_close_date", "target_start_date", "start_date":
		guessDates(g)
	case "custom_fields.tnt__story_points":
		guessNumber(g)
	case "custom_fields.tnt__customer_impact":
		if mostMatch(cells, isBool) {
			g.opts = append(g.opts, "as: bool")
			g.why = append(g.why, "yes/no values: as: bool")
		}
	}
	if g.col.copies > 1 {
		g.why = append(g.why, fmt.Sprintf("the header appears %d times; the list collects every copy", g.col.copies))
	}
	if targets, ok := enumTargets[g.field]; ok && len(cells) > 0 {
		if g.values = valueMap(cells, g.field, targets); g.values != nil {
			g.why = append(g.why, valueWhy(g.field))
		} else {
			g.why = append(g.why, "TODO: too many distinct values to guess a map: add values:")
		}
	}
}

func valueWhy(field string) string {
	switch field {
	case "priority", "severity":
		return "each value by its urgency; check the TODOs"
	}
	return "each value by its name; check the TODOs"
}

func isBool(s string) bool {
	switch strings.ToLower(s) {
	case "yes", "no", "true", "false", "y", "n":
		return true
	}
	return false
}

// guessLookup leaves a column of IDs as it is and looks names and emails up.
func guessLookup(g *guess, object, ids string) {
	cells := g.col.cells
	switch {
	case len(cells) == 0:
		g.why = append(g.why, "no values in the first rows")
	case mostMatch(cells, mapping.IDCheck(g.field)):
		g.why = append(g.why, "the values are "+ids+" already")
	case object == "dev_user" && mostMatch(cells, isEmail):
		g.opts = append(g.opts, "lookup: dev_user.email")
		g.why = append(g.why, "emails: looked up as dev users by email")
	default:
		g.opts = append(g.opts, "lookup: "+object+".name")
		g.why = append(g.why, fmt.Sprintf("names such as %q: looked up by name", cells[0].Value))
	}
}

// guessTags splits space-separated tags (Zendesk's) on spaces.
func guessTags(g *guess) {
	cells := g.col.cells
	spaced := false
	for _, c := range cells {
		if strings.ContainsAny(c.Value, ",;") {
			spaced = false
			break
		}
		if strings.Contains(strings.TrimSpace(c.Value), " ") {
			spaced = true
		}
	}
	split := func(v string) []string { return listItems(v) }
	if spaced {
		g.opts = append(g.opts, `split: " "`)
		g.why = append(g.why, "tags separated by spaces")
		split = strings.Fields
	}
	isTag := mapping.IDCheck("tags")
	for _, c := range cells {
		for _, t := range split(c.Value) {
			if !isTag(t) {
				g.opts = append(g.opts, "lookup: tag.name")
				g.why = append(g.why, fmt.Sprintf("names such as %q: looked up by name", t))
				return
			}
		}
	}
}

// guessDates writes the layout of text dates; date cells need none.
func guessDates(g *guess) {
	text := 0
	for _, c := range g.col.cells {
		if c.Kind == source.Text {
			text++
		}
	}
	switch layout := guessLayout(g.col.cells); {
	case layout != "":
		g.opts = append(g.opts, "format: "+strconv.Quote(layout))
		g.why = append(g.why, fmt.Sprintf("dates like %q", firstText(g.col.cells)))
	case text == 0 && len(g.col.cells) > 0:
		g.why = append(g.why, "date cells: no format needed")
	}
	for _, c := range g.col.cells {
		if !hasZone(c) {
			g.dates = true
			break
		}
	}
}

func firstText(cells []source.Cell) string {
	for _, c := range cells {
		if c.Kind == source.Text {
			return c.Value
		}
	}
	return ""
}

// hasZone reports whether a cell says its time zone (RFC 3339 with an offset).
func hasZone(c source.Cell) bool {
	if c.Kind != source.Text {
		return false
	}
	_, err := time.Parse(time.RFC3339, c.Value)
	return err == nil
}

// guessNumber reads numbers as int, or as number when a value has a fraction.
func guessNumber(g *guess) {
	n, numeric := 0, 0
	fraction := ""
	for _, c := range g.col.cells {
		n++
		f, err := strconv.ParseFloat(strings.TrimSpace(c.Value), 64)
		if err != nil {
			continue
		}
		numeric++
		if f != math.Trunc(f) && fraction == "" {
			fraction = c.Value
		}
	}
	switch {
	case n == 0 || numeric*5 < n*4:
		g.why = append(g.why, "not numbers in the first rows: read as text")
	case fraction != "":
		g.opts = append(g.opts, "as: number")
		g.why = append(g.why, fmt.Sprintf("%q has a fraction: as: number", fraction))
	default:
		g.opts = append(g.opts, "as: int")
		g.why = append(g.why, "whole numbers: as: int")
	}
}

// guessLayout returns a Go layout that parses every text date cell, or "".
func guessLayout(cells []source.Cell) string {
	layouts := []string{"02.01.2006 15:04", "02.01.2006", "01/02/2006 15:04", "01/02/2006", "02/01/2006 15:04", "02/01/2006", "2/Jan/06 3:04 PM", "02/Jan/06 3:04 PM", "2 Jan 2006", "2 Jan 2006 15:04", "2 January 2006", "Jan 2, 2006", "Jan 2 2006", "2006/01/02", "1/2/2006 15:04", "1/2/2006", "02-01-2006", "01-02-2006"}
	var text []string
	for _, c := range cells {
		if c.Kind == source.Text {
			if _, err := time.Parse(time.RFC3339, c.Value); err == nil {
				continue
			}
			if _, err := time.Parse("2006-01-02", c.Value); err == nil {
				continue
			}
			text = append(text, c.Value)
		}
	}
	if len(text) == 0 {
		return ""
	}
	// The layout that reads the most cells wins, if it reads most of them:
	// a few bad dates must not hide the format of the rest.
	best, bestN := "", 0
	for _, l := range layouts {
		n := 0
		for _, v := range text {
			if _, err := time.Parse(l, v); err == nil {
				n++
			}
		}
		if n > bestN {
			best, bestN = l, n
		}
	}
	if bestN*5 < len(text)*4 {
		return ""
	}
	return best
}

// valueMap returns the lines of a value map for the distinct values seen,
// each with a guessed target. A value with no obvious target, or one that
// reads as the same level as a more common value ("Critical" beside
// "Urgent"), is written commented out as a TODO: validate then names its
// rows instead of the import quietly merging two levels.
func valueMap(cells []source.Cell, field string, targets []string) []string {
	// Value maps match case-insensitively: "High" and "high" are one key,
	// spelt as first seen.
	count := map[string]int{}
	spelling := map[string]string{}
	var keys []string
	for _, c := range cells {
		v := strings.TrimSpace(c.Value)
		if first, ok := spelling[strings.ToLower(v)]; ok {
			v = first
		} else {
			spelling[strings.ToLower(v)] = v
			keys = append(keys, v)
		}
		count[v]++
	}
	if len(keys) == 0 || len(keys) > 30 {
		return nil
	}
	sort.Strings(keys)
	level := map[string]int{}
	winner := map[int]string{} // urgency level -> most common value
	for _, k := range keys {
		if l := urgencyLevel(k); l >= 0 && urgent(targets) {
			level[k] = l
			if w, ok := winner[l]; !ok || count[k] > count[w] {
				winner[l] = k
			}
		}
	}
	var lines []string
	for _, k := range keys {
		target, note := guessTarget(k, field, targets)
		if l, ok := level[k]; ok && winner[l] != k {
			lines = append(lines, fmt.Sprintf("# %s: %s  # TODO: %s; reads as %s like %q (%s): uncomment if meant",
				yamlString(k), target, rowsWord(count[k]), target, winner[l], rowsWord(count[winner[l]])))
			continue
		}
		switch {
		case target == "":
			lines = append(lines, fmt.Sprintf("# %s: ?  # TODO: %s; no obvious %s (%s)", yamlString(k), rowsWord(count[k]), field, strings.Join(targets, ", ")))
		case note != "":
			lines = append(lines, fmt.Sprintf("%s: %s  # %s", yamlString(k), target, note))
		default:
			lines = append(lines, fmt.Sprintf("%s: %s", yamlString(k), target))
		}
	}
	return lines
}

func rowsWord(n int) string {
	if n == 1 {
		return "1 row"
	}
	return strconv.Itoa(n) + " rows"
}

// urgent reports whether targets are an urgency scale.
func urgent(targets []string) bool { return targets[0] == "blocker" || targets[0] == "p0" }

// urgencyLevel is the urgency table's level of a value, or -1.
func urgencyLevel(v string) int {
	n := normValue(v)
	for level, words := range urgency {
		for _, w := range words {
			if n == w {
				return level
			}
		}
	}
	return -1
}

func normValue(v string) string {
	return strings.ToLower(strings.Join(strings.Fields(strings.NewReplacer("-", " ", "_", " ").Replace(v)), "_"))
}

// guessTarget returns the value's target and a note, or "" when none is obvious.
func guessTarget(v, field string, targets []string) (string, string) {
	n := normValue(v)
	for _, t := range targets {
		if n == t {
			return t, ""
		}
	}
	if urgent(targets) {
		if l := urgencyLevel(v); l >= len(targets) {
			return targets[len(targets)-1], "DevRev has no lower level"
		} else if l >= 0 {
			return targets[l], ""
		}
	}
	if field == "channels" {
		if t, ok := channelWords[n]; ok {
			return t, ""
		}
	}
	return "", ""
}

// yamlString quotes s when YAML would not read it back as the same string.
func yamlString(s string) string {
	if s == "" || strings.ContainsAny(s, ":#{}[],&*!|>'\"%@`\n\t\\") || strings.TrimSpace(s) != s ||
		strings.ContainsAny(s[:1], "-?.") ||
		strings.EqualFold(s, "yes") || strings.EqualFold(s, "no") || strings.EqualFold(s, "true") ||
		strings.EqualFold(s, "false") || strings.EqualFold(s, "null") || strings.EqualFold(s, "on") || strings.EqualFold(s, "off") || s == "~" || s == "-" {
		return strconv.Quote(s)
	}
	if _, err := strconv.ParseFloat(s, 64); err == nil {
		return strconv.Quote(s)
	}
	if _, err := strconv.ParseInt(s, 0, 64); err == nil {
		return strconv.Quote(s)
	}
	return s
}
