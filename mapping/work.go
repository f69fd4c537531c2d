package mapping

// Work is the body of a POST /works.create request. json.Marshal of a Work
// is exactly what is sent: every field of the four request variants (issue,
// opportunity, task, ticket) is here with its spec name, and empty fields
// are omitted. Fields that exist for one type only are left empty by Map
// for rows of another type. Optional scalars whose zero value means
// something (false, 0) are pointers so that "absent" and "zero" differ.
type Work struct {
	// Fields of every work type.

	// ID is the existing work a row names in a column mapped to id
	// (ISS-12, a DON): what an update is sent to. Never sent on create.
	ID                     string            `json:"-"`
	Type                   string            `json:"type"`
	Title                  string            `json:"title,omitempty"`
	Body                   string            `json:"body,omitempty"`
	AppliesToPart          string            `json:"applies_to_part,omitempty"`
	OwnedBy                []string          `json:"owned_by,omitempty"`
	ReportedBy             []string          `json:"reported_by,omitempty"`
	Artifacts              []string          `json:"artifacts,omitempty"`
	Tags                   []SetTag          `json:"tags,omitempty"`
	Stage                  *StageInit        `json:"stage,omitempty"`
	StageValidationOptions []string          `json:"stage_validation_options,omitempty"`
	TargetCloseDate        string            `json:"target_close_date,omitempty"`
	CustomFields           map[string]any    `json:"custom_fields,omitempty"`
	CustomSchemaFragments  []string          `json:"custom_schema_fragments,omitempty"`
	CustomSchemaSpec       *CustomSchemaSpec `json:"custom_schema_spec,omitempty"`

	// Priority is a field of issues, tasks and opportunities (p0..p3).
	Priority string `json:"priority,omitempty"`
	// Account is a field of opportunities (required) and tickets.
	Account string `json:"account,omitempty"`

	// Issue fields.

	DevelopedWith   []string `json:"developed_with,omitempty"`
	PriorityV2      *int64   `json:"priority_v2,omitempty"`
	Sprint          string   `json:"sprint,omitempty"`
	TargetStartDate string   `json:"target_start_date,omitempty"`

	// Opportunity fields.

	Amount              *float64 `json:"amount,omitempty"`
	AnnualContractValue *Money   `json:"annual_contract_value,omitempty"`
	Contacts            []string `json:"contacts,omitempty"`
	CustomerBudget      *float64 `json:"customer_budget,omitempty"`
	ForecastCategory    string   `json:"forecast_category,omitempty"`
	ForecastCategoryV2  *int64   `json:"forecast_category_v2,omitempty"`
	Probability         *float64 `json:"probability,omitempty"`
	Value               *Money   `json:"value,omitempty"`

	// Task fields.

	Embedded  *bool  `json:"embedded,omitempty"`
	StartDate string `json:"start_date,omitempty"`

	// Ticket fields.

	Channels        []string `json:"channels,omitempty"`
	ChannelsV2      []string `json:"channels_v2,omitempty"`
	Group           string   `json:"group,omitempty"`
	IsSpam          *bool    `json:"is_spam,omitempty"`
	NeedsResponse   *bool    `json:"needs_response,omitempty"`
	RevOrg          string   `json:"rev_org,omitempty"`
	Severity        string   `json:"severity,omitempty"`
	SourceChannel   string   `json:"source_channel,omitempty"`
	SourceChannelV2 string   `json:"source_channel_v2,omitempty"`

	// spare keeps the sub-objects of a reused Work (see Mapper.MapInto).
	spare *workSpare
}

// workSpare holds sub-objects of a Work that MapInto recycles.
type workSpare struct {
	stage      *StageInit
	value, acv *Money
	spec       *CustomSchemaSpec
	// The backing arrays of the last Result's Links, Comments and Names
	// (MapInto hands them out again).
	links    []LinkRef
	comments []Comment
	names    []RowName
}

// reset empties w for MapInto, keeping the backing arrays of its lists,
// its custom field map (cleared) and its sub-objects for reuse.
func (w *Work) reset() {
	sp := w.spare
	if sp == nil {
		sp = &workSpare{}
	}
	if w.Stage != nil {
		sp.stage = w.Stage
	}
	if w.Value != nil {
		sp.value = w.Value
	}
	if w.AnnualContractValue != nil {
		sp.acv = w.AnnualContractValue
	}
	if w.CustomSchemaSpec != nil {
		sp.spec = w.CustomSchemaSpec
	}
	clear(w.CustomFields)
	// Field by field rather than *w = Work{...}: a whole-struct copy of a
	// Work costs a bulk write barrier while the GC runs.
	w.ID, w.Type, w.Title, w.Body, w.AppliesToPart = "", "", "", "", ""
	w.OwnedBy, w.ReportedBy, w.Artifacts = w.OwnedBy[:0], w.ReportedBy[:0], w.Artifacts[:0]
	w.Tags, w.Stage, w.StageValidationOptions = w.Tags[:0], nil, w.StageValidationOptions[:0]
	w.TargetCloseDate, w.CustomSchemaFragments, w.CustomSchemaSpec = "", w.CustomSchemaFragments[:0], nil
	w.Priority, w.Account = "", ""
	w.DevelopedWith, w.PriorityV2, w.Sprint, w.TargetStartDate = w.DevelopedWith[:0], nil, "", ""
	w.Amount, w.AnnualContractValue, w.Contacts, w.CustomerBudget = nil, nil, w.Contacts[:0], nil
	w.ForecastCategory, w.ForecastCategoryV2, w.Probability, w.Value = "", nil, nil, nil
	w.Embedded, w.StartDate = nil, ""
	w.Channels, w.ChannelsV2, w.Group, w.IsSpam, w.NeedsResponse = w.Channels[:0], w.ChannelsV2[:0], "", nil, nil
	w.RevOrg, w.Severity, w.SourceChannel, w.SourceChannelV2 = "", "", "", ""
	w.spare = sp
}

// newStage returns an empty stage, recycled when possible.
func (w *Work) newStage() *StageInit {
	if sp := w.spare; sp != nil && sp.stage != nil {
		s := sp.stage
		sp.stage = nil
		*s = StageInit{}
		return s
	}
	return &StageInit{}
}

// newMoney returns an empty money value, recycled when possible.
func (w *Work) newMoney(acv bool) *Money {
	if sp := w.spare; sp != nil {
		p := &sp.value
		if acv {
			p = &sp.acv
		}
		if m := *p; m != nil {
			*p = nil
			*m = Money{}
			return m
		}
	}
	return &Money{}
}

// newSpec returns a custom schema spec asking for the tenant fragment.
func (w *Work) newSpec() *CustomSchemaSpec {
	if sp := w.spare; sp != nil && sp.spec != nil {
		s := sp.spec
		sp.spec = nil
		*s = CustomSchemaSpec{TenantFragment: true}
		return s
	}
	return &CustomSchemaSpec{TenantFragment: true}
}

// SetTag is one tag of a work (spec: set-tag-with-value). Value is only
// sent when the cell said "TAG-1=value".
type SetTag struct {
	ID    string `json:"id"`
	Value string `json:"value,omitempty"`
}

// StageInit sets the initial stage of a work (spec: stage-init). When ID is
// set the API ignores Name.
type StageInit struct {
	ID   string `json:"id,omitempty"`
	Name string `json:"name,omitempty"`
}

// Money is an amount of money (spec: set-money). Amount is a decimal string
// in canonical form ("12500.5"); Currency an ISO 4217 code ("USD").
type Money struct {
	Amount   string `json:"amount"`
	Currency string `json:"currency"`
}

// CustomSchemaSpec says which custom schemas the custom fields of a request
// belong to (spec: custom-schema-spec). Map sets TenantFragment whenever a
// work carries custom fields: without it the API answers 400.
type CustomSchemaSpec struct {
	Apps                   []string              `json:"apps,omitempty"`
	Drop                   *CustomSchemaSpecDrop `json:"drop,omitempty"`
	Subtype                string                `json:"subtype,omitempty"`
	TenantFragment         bool                  `json:"tenant_fragment,omitempty"`
	ValidateRequiredFields bool                  `json:"validate_required_fields,omitempty"`
}

// CustomSchemaSpecDrop lists schemas to drop from an object (spec:
// custom-schema-spec-drop). Never set by Map; here for completeness.
type CustomSchemaSpecDrop struct {
	Apps    []string `json:"apps,omitempty"`
	Subtype bool     `json:"subtype,omitempty"`
}
