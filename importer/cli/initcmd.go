package cli

import (
	"context"
	"fmt"
	"io"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/devrev-import/devrev-import/importer/source"
)

// runInit prints a commented mapping skeleton for a file's header, guessed
// from the column names and the first rows' cells.
func runInit(_ context.Context, args []string, env Env) int {
	fs := newFlagSet("init", "init FILE [--type T] [--sheet S] [--encoding E]", env)
	typ := fs.String("type", "ticket", "work type the mapping is for: issue|ticket|task|opportunity")
	sheet := fs.String("sheet", "", "XLSX sheet (default: the first visible sheet)")
	encoding := fs.String("encoding", "", "CSV encoding: utf-8|windows-1252|utf-16 (default utf-8, with BOM detection)")
	pos, code, ok := parseOrExit(fs, args, env)
	if !ok {
		return code
	}
	if len(pos) != 1 {
		fmt.Fprintln(env.Stderr, "devrev-import init: need exactly one FILE")
		return ExitUsage
	}
	if _, ok := requiredByType[*typ]; !ok {
		fmt.Fprintf(env.Stderr, "devrev-import init: --type %q: must be one of issue, ticket, task, opportunity\n", *typ)
		return ExitUsage
	}
	src, err := source.Open(pos[0], source.Options{Sheet: *sheet, Encoding: *encoding, AllowEmbeddedRows: true, AllowDuplicate: func(string) bool { return true }})
	if err != nil {
		fmt.Fprintf(env.Stderr, "devrev-import init: %v\n", err)
		return ExitUsage
	}
	defer src.Close()
	header := src.Header()
	samples := make([][]source.Cell, len(header))
	rowsSeen := 0
	for ; rowsSeen < 200; rowsSeen++ {
		row, err := src.Next()
		if err != nil {
			break
		}
		for i, c := range row.Cells {
			if i < len(samples) && c.Value != "" {
				samples[i] = append(samples[i], c)
			}
		}
	}
	writeSkeleton(env.Stdout, pos[0], *typ, header, samples, rowsSeen)
	return ExitOK
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
	"reporter": "reported_by", "reportedby": "reported_by",
	"due": "target_close_date", "duedate": "target_close_date", "targetclosedate": "target_close_date", "closedate": "target_close_date",
	"startdate": "start_date", "targetstartdate": "target_start_date",
	"labels": "tags", "tags": "tags", "tag": "tags",
	"component": "applies_to_part", "components": "applies_to_part", "part": "applies_to_part", "product": "applies_to_part", "appliestopart": "applies_to_part",
	"account": "account", "accountname": "account", "company": "account", "organization": "account",
	"status": "stage.name", "stage": "stage.name",
	"type": "type", "issuetype": "type", "worktype": "type",
	"severity": "severity", "priority": "priority",
	"amount": "amount", "probability": "probability", "forecastcategory": "forecast_category",
	"budget": "customer_budget", "customerbudget": "customer_budget",
	"channel": "channels", "channels": "channels", "spam": "is_spam", "isspam": "is_spam",
	"needsresponse": "needs_response", "contacts": "contacts", "revorg": "rev_org",
	"issuekey": "custom_fields.tnt__external_id", "ticketid": "custom_fields.tnt__external_id", "key": "custom_fields.tnt__external_id",
	"id": "custom_fields.tnt__external_id", "externalid": "custom_fields.tnt__external_id", "completed": "",
	"storypoints": "custom_fields.tnt__story_points", "points": "custom_fields.tnt__story_points",
	"value": "value", "dealvalue": "value", "acv": "annual_contract_value", "annualcontractvalue": "annual_contract_value",
	"task": "title", "taskname": "title", "notes": "body", "project": "applies_to_part", "start": "start_date",
	"taskid": "custom_fields.tnt__external_id", "opportunityid": "custom_fields.tnt__external_id", "dealid": "custom_fields.tnt__external_id",
	"issueid": "custom_fields.tnt__external_id", "customfieldstorypoints": "custom_fields.tnt__story_points",
}

var enumTargets = map[string][]string{
	"severity":          {"blocker", "high", "medium", "low"},
	"priority":          {"p0", "p1", "p2", "p3"},
	"forecast_category": {"commit", "omitted", "pipeline", "strong_upside", "upside", "won"},
	"type":              {"issue", "ticket", "task", "opportunity"},
	"channels":          {"email", "plug", "slack", "twilio", "twilio_sms"},
}

// words people use for priorities, in order from most to least urgent.
var urgency = [][]string{
	{"blocker", "highest", "critical", "urgent", "p0", "p1-critical"},
	{"high", "major", "p1"},
	{"medium", "normal", "moderate", "p2"},
	{"low", "lowest", "minor", "trivial", "p3", "p4"},
}

var (
	emailRe = regexp.MustCompile(`^[^@\s]+@[^@\s]+\.[^@\s]+$`)
	idRe    = regexp.MustCompile(`^([A-Z]+-[A-Za-z0-9]+|don:.+)$`)
)

func normHeader(s string) string {
	var b strings.Builder
	for _, r := range strings.ToLower(s) {
		if (r >= 'a' && r <= 'z') || (r >= '0' && r <= '9') {
			b.WriteRune(r)
		}
	}
	return b.String()
}

func guessField(header, typ string) string {
	f, ok := synonyms[normHeader(header)]
	if !ok {
		return ""
	}
	if f == "priority" && typ == "ticket" {
		return "severity"
	}
	if f == "severity" && typ != "ticket" {
		return "priority"
	}
	if f == "start_date" && typ == "issue" {
		return "target_start_date"
	}
	if f == "target_start_date" && typ == "task" {
		return "start_date"
	}
	return f
}

// example is a placeholder default per required field.
var example = map[string]string{"title": `"Untitled"`, "applies_to_part": "PROD-1", "owned_by": "[DEVU-1]", "account": "ACC-1"}

func writeSkeleton(w io.Writer, file, typ string, header []string, samples [][]source.Cell, rowsSeen int) {
	fmt.Fprintf(w, "# Mapping for %s, generated by devrev-import init from the header and first rows.\n", file)
	fmt.Fprintf(w, "# Check every line, then: devrev-import validate %s --mapping THIS_FILE\n", file)
	fmt.Fprintf(w, "type: %s\n", typ)
	covered, emptyCells, coveredBy := map[string]bool{}, map[string]bool{}, map[string]string{}
	var ignored []string
	var keyCol string
	fmt.Fprintln(w, "columns:")
	seen := map[string]bool{}
	for i, h := range header {
		if seen[h] {
			continue
		}
		seen[h] = true
		field := guessField(h, typ)
		if field == "" || covered[field] {
			ignored = append(ignored, h)
			continue
		}
		covered[field] = true
		coveredBy[field] = h
		if len(samples[i]) < rowsSeen {
			emptyCells[field] = true
		}
		if field == "custom_fields.tnt__external_id" && keyCol == "" {
			keyCol = h
		}
		writeColumn(w, h, field, samples[i])
	}
	if keyCol != "" {
		fmt.Fprintf(w, "key: %s  # identifies a row across runs: only new rows are created on a rerun\n", yamlString(keyCol))
	}
	// Required fields that no column covers, or whose column has empty
	// cells, need a default. They are written commented out, as TODOs, so
	// the file parses as it is and validate names every row that lacks one.
	var todo []string
	for _, f := range requiredByType[typ] {
		switch {
		case !covered[f]:
			todo = append(todo, fmt.Sprintf("  # %s: %s  # TODO: required, and no column covers it", f, example[f]))
		case emptyCells[f]:
			todo = append(todo, fmt.Sprintf("  # %s: %s  # TODO: required, and some %q cells are empty", f, example[f], coveredBy[f]))
		}
	}
	if len(todo) > 0 {
		fmt.Fprintln(w, "defaults:  # used where a cell is empty or a column is absent; uncomment and fill in")
		for _, l := range todo {
			fmt.Fprintln(w, l)
		}
	}
	if len(ignored) > 0 {
		fmt.Fprintln(w, "ignore:  # columns with no obvious field; map them under columns: to import them")
		for _, h := range ignored {
			fmt.Fprintf(w, "  - %s\n", yamlString(h))
		}
	}
}

func writeColumn(w io.Writer, header, field string, cells []source.Cell) {
	var opts []string
	switch field {
	case "owned_by", "reported_by":
		if allMatch(cells, emailRe.MatchString) {
			opts = append(opts, "lookup: dev_user.email")
		} else if len(cells) > 0 && !allMatch(cells, idRe.MatchString) {
			opts = append(opts, "lookup: dev_user.name")
		}
	case "applies_to_part":
		if len(cells) > 0 && !allMatch(cells, idRe.MatchString) {
			opts = append(opts, "lookup: part.name")
		}
	case "account":
		if len(cells) > 0 && !allMatch(cells, idRe.MatchString) {
			opts = append(opts, "lookup: account.name")
		}
	case "tags":
		if len(cells) > 0 && !allMatch(cells, func(s string) bool { return strings.HasPrefix(s, "TAG-") }) {
			opts = append(opts, "lookup: tag.name")
		}
	case "target_close_date", "target_start_date", "start_date":
		if layout := guessLayout(cells); layout != "" {
			opts = append(opts, "format: "+strconv.Quote(layout))
		}
	case "custom_fields.tnt__story_points":
		opts = append(opts, "as: int")
	}
	if targets, ok := enumTargets[field]; ok {
		if vm := valueMap(cells, targets); vm != "" {
			opts = append(opts, "values:"+vm)
		}
	}
	if len(opts) == 0 {
		fmt.Fprintf(w, "  %s: %s\n", yamlString(header), field)
		return
	}
	fmt.Fprintf(w, "  %s:\n    field: %s\n", yamlString(header), field)
	for _, o := range opts {
		fmt.Fprintf(w, "    %s\n", o)
	}
}

func allMatch(cells []source.Cell, ok func(string) bool) bool {
	for _, c := range cells {
		for _, part := range strings.FieldsFunc(c.Value, func(r rune) bool { return r == ',' || r == ';' }) {
			if p := strings.TrimSpace(part); p != "" && !ok(p) {
				return false
			}
		}
	}
	return len(cells) > 0
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

// valueMap lists the distinct values seen with a guessed target each.
func valueMap(cells []source.Cell, targets []string) string {
	distinct := map[string]bool{}
	for _, c := range cells {
		distinct[strings.TrimSpace(c.Value)] = true
	}
	if len(distinct) == 0 || len(distinct) > 30 {
		return ""
	}
	keys := make([]string, 0, len(distinct))
	for k := range distinct {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var b strings.Builder
	for _, k := range keys {
		b.WriteString("\n      " + yamlString(k) + ": " + guessTarget(k, targets))
	}
	return b.String()
}

func guessTarget(v string, targets []string) string {
	n := strings.ToLower(strings.Join(strings.Fields(strings.NewReplacer("-", " ", "_", " ").Replace(v)), "_"))
	for _, t := range targets {
		if n == t {
			return t
		}
	}
	for level, words := range urgency {
		for _, w := range words {
			if n == w && level < len(targets) && (targets[0] == "blocker" || targets[0] == "p0") {
				return targets[level]
			}
		}
	}
	return targets[0] + "  # TODO: check"
}

// yamlString quotes s when YAML would not read it back as the same string.
func yamlString(s string) string {
	if s == "" || strings.ContainsAny(s, ":#{}[],&*!|>'\"%@`\n") || strings.TrimSpace(s) != s ||
		strings.EqualFold(s, "yes") || strings.EqualFold(s, "no") || strings.EqualFold(s, "true") ||
		strings.EqualFold(s, "false") || strings.EqualFold(s, "null") || strings.EqualFold(s, "on") || strings.EqualFold(s, "off") || s == "~" || s == "-" {
		return strconv.Quote(s)
	}
	if _, err := strconv.ParseFloat(s, 64); err == nil {
		return strconv.Quote(s)
	}
	return s
}
