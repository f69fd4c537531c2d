package devrev

import (
	"context"
	"encoding/json"
)

// FieldDescriptor is one field of a schema (spec: schema-field-descriptor),
// reduced to what a client needs to check a value before sending it.
type FieldDescriptor struct {
	// Name is the field's name. Tenant custom fields carry their "tnt__"
	// prefix when the server names them as works.create takes them.
	Name string `json:"name"`
	// FieldType is bool, date, double, enum, id, int, rich_text, text,
	// timestamp, tokens, uenum, array, composite, ... ("unknown" for a
	// type the server does not describe).
	FieldType string `json:"field_type"`
	// BaseType is the element type of an array field.
	BaseType   string `json:"base_type,omitempty"`
	IsRequired bool   `json:"is_required,omitempty"`
	// Origin says where the field comes from: "stock", "tenant_fragment",
	// "custom_type_fragment", an app fragment, ...
	Origin string `json:"origin,omitempty"`
	// AllowedValues is kept raw: a list of strings for enum fields, a list
	// of {id, label, ordinal} objects for uenum fields.
	AllowedValues json.RawMessage `json:"allowed_values,omitempty"`
	// Bounds of text lengths (text) and of values (int, double).
	MinLen *int64   `json:"min_len,omitempty"`
	MaxLen *int64   `json:"max_len,omitempty"`
	Gt     *float64 `json:"gt,omitempty"`
	Gte    *float64 `json:"gte,omitempty"`
	Lt     *float64 `json:"lt,omitempty"`
	Lte    *float64 `json:"lte,omitempty"`
	// UI holds the display name people see in the DevRev app.
	UI struct {
		DisplayName string `json:"display_name,omitempty"`
	} `json:"ui"`
}

// AggregatedSchema is the schema of one leaf type as works.create checks
// it: its stock fields plus the custom fields of the fragments asked for
// (spec: aggregated-schema).
type AggregatedSchema struct {
	LeafType     string            `json:"leaf_type"`
	StockFields  []FieldDescriptor `json:"stock_fields"`
	CustomFields []FieldDescriptor `json:"custom_fields"`
}

// AggregatedSchema fetches the schema of a leaf type (issue, ticket, ...)
// with its tenant fragment (schemas.aggregated.get with leaf_type, from
// which the server infers the tenant fragment). The call only reads, so it
// is safe to retry.
func (c *Client) AggregatedSchema(ctx context.Context, leafType string) (AggregatedSchema, Response, error) {
	var out struct {
		Schema AggregatedSchema `json:"schema"`
	}
	resp, err := c.post(ctx, "schemas.aggregated.get", map[string]any{"leaf_type": leafType}, &out)
	if err != nil {
		return AggregatedSchema{}, resp, err
	}
	return out.Schema, resp, nil
}

// StockSchema fetches the stock fields of a leaf type only
// (schemas.stock.get), without any custom field: what an org without
// customization accepts.
func (c *Client) StockSchema(ctx context.Context, leafType string) ([]FieldDescriptor, Response, error) {
	var out struct {
		Fragment struct {
			Fields []FieldDescriptor `json:"fields"`
		} `json:"fragment"`
	}
	resp, err := c.post(ctx, "schemas.stock.get", map[string]any{"leaf_type": leafType}, &out)
	if err != nil {
		return nil, resp, err
	}
	return out.Fragment.Fields, resp, nil
}
