package mapping

import (
	"slices"
	"sort"
	"strings"
)

// typeSet is a set of work types, one bit per type.
type typeSet uint8

const (
	tIssue typeSet = 1 << iota
	tOpportunity
	tTask
	tTicket
	tAll = tIssue | tOpportunity | tTask | tTicket
)

// workTypes are the values of the spec's work-type enum, in bit order.
var workTypes = [...]string{"issue", "opportunity", "task", "ticket"}

// WorkTypes returns the work types an import may create ("issue",
// "opportunity", "task", "ticket"): the one list every package uses.
func WorkTypes() []string { return slices.Clone(workTypes[:]) }

// typeBit returns the bit of a canonical work type name (0 if unknown).
func typeBit(name string) typeSet {
	for i, t := range workTypes {
		if t == name {
			return 1 << i
		}
	}
	return 0
}

// names lists the types of a set: "ticket", "opportunity, ticket".
func (s typeSet) names() string {
	var b strings.Builder
	for i, t := range workTypes {
		if s&(1<<i) != 0 {
			if b.Len() > 0 {
				b.WriteString(", ")
			}
			b.WriteString(t)
		}
	}
	return b.String()
}

// kind says how a field's cell is converted.
type kind uint8

const (
	kText          kind = iota // string, with rune length limits
	kID                        // one ID of an idKind
	kIDList                    // list of IDs of an idKind
	kEnum                      // one value of an enum
	kEnumList                  // list of enum values
	kUenum                     // integer id of a unified enum, or its label
	kBool                      // boolean
	kFloat                     // number
	kProbability               // number in 0..1, or a percentage
	kDateTime                  // RFC 3339 timestamp in UTC
	kMoney                     // "12500.50 USD"
	kMoneyAmount               // amount part of a money field
	kMoneyCurrency             // currency part of a money field
	kStageName                 // stage.name
	kStageID                   // stage.id
	kType                      // work type
	kTags                      // list of TAG-1 or TAG-1=value
	kCustom                    // custom_fields.NAME, converted per As
)

// isList reports whether cells of this kind hold several items.
func (k kind) isList() bool { return k == kIDList || k == kEnumList || k == kTags }

// uenumValue is one stock value of a unified enum (priority_v2,
// forecast_category_v2): the id sent and the label people write.
type uenumValue struct {
	id    int64
	label string
}

// fieldDef describes one target field of a works.create request.
type fieldDef struct {
	name   string  // path as written in a mapping: "title", "stage.name", "value.amount"
	kind   kind    // conversion
	types  typeSet // work types that have this field
	ids    idKind  // for kID, kIDList, kTags
	enum   []string
	uenum  []uenumValue
	minLen int // runes (text)
	maxLen int // runes (text) or items (lists); 0 = no limit
	money  func(*Work) **Money
	str    func(*Work) *string
	strs   func(*Work) *[]string
	boolp  func(*Work) **bool
	float  func(*Work) **float64
	int64p func(*Work) **int64
}

// Enum values in the order people rank them (messages list them this way).
var (
	enumPriority         = []string{"p0", "p1", "p2", "p3"}
	enumSeverity         = []string{"blocker", "high", "medium", "low"}
	enumChannels         = []string{"email", "plug", "slack", "twilio", "twilio_sms"}
	enumForecastCategory = []string{"omitted", "pipeline", "upside", "strong_upside", "commit", "won"}
	enumStageValidation  = []string{"allow_non_start"}
	uenumPriorityV2      = []uenumValue{{1, "P0"}, {2, "P1"}, {3, "P2"}, {4, "P3"}}
	uenumForecastV2      = []uenumValue{{1, "Omitted"}, {2, "Pipeline"}, {3, "Upside"}, {4, "Strong Upside"}, {5, "Commit"}, {6, "Won"}}
)

// fieldTable returns the stock fields of works-create-request and its four
// variants, keyed by path. It is built fresh for each caller so no package
// state is shared or mutated.
func fieldTable() map[string]*fieldDef {
	defs := []*fieldDef{
		// works-create-request (every type)
		{name: "type", kind: kType, types: tAll, enum: workTypes[:]},
		// id names an existing work (ISS-12, a DON): the row updates it
		// (--mode update, upsert); it is never part of a create body.
		{name: "id", kind: kID, types: tAll, ids: idWork, str: func(w *Work) *string { return &w.ID }},
		{name: "title", kind: kText, types: tAll, minLen: 1, maxLen: 256, str: func(w *Work) *string { return &w.Title }},
		{name: "body", kind: kText, types: tAll, maxLen: 65536, str: func(w *Work) *string { return &w.Body }},
		{name: "applies_to_part", kind: kID, types: tAll, ids: idPart, str: func(w *Work) *string { return &w.AppliesToPart }},
		{name: "artifacts", kind: kIDList, types: tAll, ids: idArtifact, strs: func(w *Work) *[]string { return &w.Artifacts }},
		{name: "custom_schema_fragments", kind: kIDList, types: tAll, ids: idAny, strs: func(w *Work) *[]string { return &w.CustomSchemaFragments }},
		{name: "owned_by", kind: kIDList, types: tAll, ids: idDevUser, strs: func(w *Work) *[]string { return &w.OwnedBy }},
		{name: "reported_by", kind: kIDList, types: tAll, ids: idDevUser, strs: func(w *Work) *[]string { return &w.ReportedBy }},
		{name: "stage.name", kind: kStageName, types: tAll},
		{name: "stage.id", kind: kStageID, types: tAll, ids: idAny},
		{name: "stage_validation_options", kind: kEnumList, types: tAll, enum: enumStageValidation, strs: func(w *Work) *[]string { return &w.StageValidationOptions }},
		{name: "tags", kind: kTags, types: tAll, ids: idTag},
		{name: "target_close_date", kind: kDateTime, types: tAll, str: func(w *Work) *string { return &w.TargetCloseDate }},

		// shared by several variants
		{name: "priority", kind: kEnum, types: tIssue | tTask | tOpportunity, enum: enumPriority, str: func(w *Work) *string { return &w.Priority }},
		{name: "account", kind: kID, types: tOpportunity | tTicket, ids: idAccount, str: func(w *Work) *string { return &w.Account }},

		// works-create-request-issue
		{name: "developed_with", kind: kIDList, types: tIssue, ids: idPart, maxLen: 8, strs: func(w *Work) *[]string { return &w.DevelopedWith }},
		{name: "priority_v2", kind: kUenum, types: tIssue, uenum: uenumPriorityV2, int64p: func(w *Work) **int64 { return &w.PriorityV2 }},
		{name: "sprint", kind: kID, types: tIssue, ids: idAny, str: func(w *Work) *string { return &w.Sprint }},
		{name: "target_start_date", kind: kDateTime, types: tIssue, str: func(w *Work) *string { return &w.TargetStartDate }},

		// works-create-request-opportunity
		{name: "amount", kind: kFloat, types: tOpportunity, float: func(w *Work) **float64 { return &w.Amount }},
		{name: "annual_contract_value", kind: kMoney, types: tOpportunity, money: func(w *Work) **Money { return &w.AnnualContractValue }},
		{name: "annual_contract_value.amount", kind: kMoneyAmount, types: tOpportunity, money: func(w *Work) **Money { return &w.AnnualContractValue }},
		{name: "annual_contract_value.currency", kind: kMoneyCurrency, types: tOpportunity, money: func(w *Work) **Money { return &w.AnnualContractValue }},
		{name: "contacts", kind: kIDList, types: tOpportunity, ids: idRevUser, strs: func(w *Work) *[]string { return &w.Contacts }},
		{name: "customer_budget", kind: kFloat, types: tOpportunity, float: func(w *Work) **float64 { return &w.CustomerBudget }},
		{name: "forecast_category", kind: kEnum, types: tOpportunity, enum: enumForecastCategory, str: func(w *Work) *string { return &w.ForecastCategory }},
		{name: "forecast_category_v2", kind: kUenum, types: tOpportunity, uenum: uenumForecastV2, int64p: func(w *Work) **int64 { return &w.ForecastCategoryV2 }},
		{name: "probability", kind: kProbability, types: tOpportunity, float: func(w *Work) **float64 { return &w.Probability }},
		{name: "value", kind: kMoney, types: tOpportunity, money: func(w *Work) **Money { return &w.Value }},
		{name: "value.amount", kind: kMoneyAmount, types: tOpportunity, money: func(w *Work) **Money { return &w.Value }},
		{name: "value.currency", kind: kMoneyCurrency, types: tOpportunity, money: func(w *Work) **Money { return &w.Value }},

		// works-create-request-task
		{name: "embedded", kind: kBool, types: tTask, boolp: func(w *Work) **bool { return &w.Embedded }},
		{name: "start_date", kind: kDateTime, types: tTask, str: func(w *Work) *string { return &w.StartDate }},

		// works-create-request-ticket
		{name: "channels", kind: kEnumList, types: tTicket, enum: enumChannels, strs: func(w *Work) *[]string { return &w.Channels }},
		{name: "channels_v2", kind: kIDList, types: tTicket, ids: idAny, strs: func(w *Work) *[]string { return &w.ChannelsV2 }},
		{name: "group", kind: kID, types: tTicket, ids: idAny, str: func(w *Work) *string { return &w.Group }},
		{name: "is_spam", kind: kBool, types: tTicket, boolp: func(w *Work) **bool { return &w.IsSpam }},
		{name: "needs_response", kind: kBool, types: tTicket, boolp: func(w *Work) **bool { return &w.NeedsResponse }},
		{name: "rev_org", kind: kID, types: tTicket, ids: idRevOrg, str: func(w *Work) *string { return &w.RevOrg }},
		{name: "severity", kind: kEnum, types: tTicket, enum: enumSeverity, str: func(w *Work) *string { return &w.Severity }},
		{name: "source_channel", kind: kText, types: tTicket, str: func(w *Work) *string { return &w.SourceChannel }},
		{name: "source_channel_v2", kind: kID, types: tTicket, ids: idAny, str: func(w *Work) *string { return &w.SourceChannelV2 }},
	}
	m := make(map[string]*fieldDef, len(defs))
	for _, d := range defs {
		m[d.name] = d
	}
	return m
}

// fieldAliases are other spellings of a field path.
var fieldAliases = map[string]string{"stage": "stage.name"}

// customPrefix starts the path of a custom field.
const customPrefix = "custom_fields."

// fieldNames returns every stock field path, sorted, for messages and
// suggestions.
func fieldNames(tab map[string]*fieldDef) []string {
	out := make([]string, 0, len(tab)+1)
	for n := range tab {
		out = append(out, n)
	}
	out = append(out, "stage")
	sort.Strings(out)
	return out
}

// validCustomName reports whether name (after "custom_fields.") is a valid
// custom field name: ^[a-z][a-z0-9_]*$.
func validCustomName(name string) bool {
	if name == "" || name[0] < 'a' || name[0] > 'z' {
		return false
	}
	for i := 1; i < len(name); i++ {
		c := name[i]
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '_') {
			return false
		}
	}
	return true
}

// customAs is how a custom field's cells are converted.
type customAs uint8

const (
	asText customAs = iota
	asInt
	asNumber
	asBool
	asDate
	asTimestamp
)

// asChoices are the accepted values of a column's "as:" key, in asXxx order.
var asChoices = []string{"text", "int", "number", "bool", "date", "timestamp"}

// lookupChoices maps each accepted "lookup:" value to the ID kind it
// resolves to; a lookup is only valid on a field of that kind.
var lookupChoices = []struct {
	name string
	ids  idKind
}{
	{"dev_user.email", idDevUser},
	{"dev_user.name", idDevUser},
	{"part.name", idPart},
	{"tag.name", idTag},
	{"account.name", idAccount},
	{"rev_org.name", idRevOrg},
}
