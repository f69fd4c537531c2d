// Package schema types and checks the custom fields of works by the org's
// live schema before they are sent.
//
// Offline, the mapping knows a custom field's type only from the column's
// "as:" (text by default); with the schema, Type gives every custom-field
// column the field's type (and an enum's or uenum's labels) and reports,
// once, the mapping's mistakes about custom fields. Fetch asks the org for
// the schema of each work type in use (schemas.aggregated.get with the leaf
// type, which includes the tenant fragment's custom fields;
// schemas.stock.get when the server has no aggregated schema for it), and
// Check reports, per row: a custom field
// the org does not have (with the closest name suggested), a value of the
// wrong type (with the "as:" that fixes it), a required custom field left
// empty, an enum or uenum value that is not allowed, and text or numbers
// outside the field's bounds.
package schema

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"sort"
	"strings"
	"sync"

	"github.com/devrev-import/devrev-import/importer/devrev"
	"github.com/devrev-import/devrev-import/importer/throttle"
)

// Field is one custom field of a work type, named as works.create's
// custom_fields takes it.
type Field struct {
	Name        string // "tnt__story_points"
	DisplayName string // "Story Points" ("" if the server gave none)
	// Type is the schema's field_type: text, rich_text, tokens, int,
	// double, bool, date, timestamp, enum, uenum, id, array, composite,
	// struct, json_value, unknown.
	Type     string
	BaseType string // element type of an array field
	Required bool
	Enum     []string     // allowed values of an enum field
	Uenum    []UenumValue // allowed values of a uenum field
	// Bounds, when the schema gives them.
	MinLen, MaxLen   *int64
	Gt, Gte, Lt, Lte *float64
}

// UenumValue is one allowed value of a uenum field: works.create takes
// its ID.
type UenumValue struct {
	ID    int64
	Label string
}

// typeSchema is the custom part of one work type's schema.
type typeSchema struct {
	leaf     string
	fields   map[string]*Field
	names    []string // sorted
	required []*Field
	err      error // the fetch failed (Enricher fetches lazily)
}

// Schema is the custom fields of the work types fetched so far. It is
// safe for concurrent use.
type Schema struct {
	client  *devrev.Client
	retrier throttle.Retrier

	mu    sync.Mutex
	types map[string]*typeSchema
}

// Fetch asks the org for the schema of each work type in types (issue,
// ticket, task, opportunity), through the run's limiter and retry policy.
// Types not fetched here are fetched when a row of that type is checked by
// the Enricher.
func Fetch(ctx context.Context, client *devrev.Client, retrier throttle.Retrier, types []string) (*Schema, error) {
	if client == nil {
		return nil, errors.New("schema: no API client")
	}
	if retrier.Limiter == nil {
		return nil, errors.New("schema: the retrier has no limiter")
	}
	s := &Schema{client: client, retrier: retrier, types: map[string]*typeSchema{}}
	for _, t := range types {
		if _, ok := s.types[t]; ok {
			continue
		}
		ts := s.fetch(ctx, t)
		if ts.err != nil {
			return nil, ts.err
		}
		s.types[t] = ts
	}
	return s, nil
}

// New returns a Schema from fields already known, per work type (tests,
// a cached schema). Work types not listed are fetched with client when a
// row needs them; client may be nil when every type is listed.
func New(client *devrev.Client, retrier throttle.Retrier, fields map[string][]Field) *Schema {
	s := &Schema{client: client, retrier: retrier, types: map[string]*typeSchema{}}
	for t, fs := range fields {
		s.types[t] = newTypeSchema(t, fs)
	}
	return s
}

// Fields returns the custom fields of a work type fetched so far, by name.
func (s *Schema) Fields(typ string) []Field {
	s.mu.Lock()
	defer s.mu.Unlock()
	ts := s.types[typ]
	if ts == nil {
		return nil
	}
	out := make([]Field, 0, len(ts.names))
	for _, n := range ts.names {
		out = append(out, *ts.fields[n])
	}
	return out
}

// typeOf returns a work type's schema, fetching it on first use.
func (s *Schema) typeOf(ctx context.Context, typ string) *typeSchema {
	s.mu.Lock()
	defer s.mu.Unlock()
	if ts, ok := s.types[typ]; ok {
		return ts
	}
	if s.client == nil || s.retrier.Limiter == nil {
		return nil
	}
	ts := s.fetch(ctx, typ)
	if ts.err != nil && ctx.Err() != nil {
		return ts // the run is stopping: ask again next time
	}
	s.types[typ] = ts
	return ts
}

// fetch reads one work type's schema: the aggregated schema (stock and
// tenant fields), or the stock schema alone when the server has no
// aggregated one (404).
func (s *Schema) fetch(ctx context.Context, typ string) *typeSchema {
	var agg devrev.AggregatedSchema
	err := s.retrier.Do(ctx, func() (devrev.Response, error) {
		var resp devrev.Response
		var err error
		agg, resp, err = s.client.AggregatedSchema(ctx, typ)
		return resp, err
	})
	var ae *devrev.APIError
	if errors.As(err, &ae) && ae.Status == http.StatusNotFound {
		err = s.retrier.Do(ctx, func() (devrev.Response, error) {
			_, resp, err := s.client.StockSchema(ctx, typ)
			return resp, err
		})
		agg = devrev.AggregatedSchema{LeafType: typ}
	}
	if err != nil {
		return &typeSchema{leaf: typ, err: fmt.Errorf("schema of %s works: %w", typ, err)}
	}
	fields := make([]Field, 0, len(agg.CustomFields))
	for _, d := range agg.CustomFields {
		f, err := fieldOf(d)
		if err != nil {
			return &typeSchema{leaf: typ, err: fmt.Errorf("schema of %s works: field %q: %w", typ, d.Name, err)}
		}
		fields = append(fields, f)
	}
	return newTypeSchema(typ, fields)
}

// newTypeSchema indexes a work type's custom fields.
func newTypeSchema(typ string, fields []Field) *typeSchema {
	ts := &typeSchema{leaf: typ, fields: make(map[string]*Field, len(fields))}
	for i := range fields {
		f := &fields[i]
		if _, dup := ts.fields[f.Name]; dup {
			continue
		}
		ts.fields[f.Name] = f
		ts.names = append(ts.names, f.Name)
		if f.Required {
			ts.required = append(ts.required, f)
		}
	}
	sort.Strings(ts.names)
	sort.Slice(ts.required, func(i, j int) bool { return ts.required[i].Name < ts.required[j].Name })
	return ts
}

// fieldOf converts a descriptor. Custom fields are named in works.create
// with their fragment's prefix (tnt__ for the tenant fragment, ctype__ for
// a custom type); a server that sends the bare name gets it added.
func fieldOf(d devrev.FieldDescriptor) (Field, error) {
	f := Field{
		Name: d.Name, DisplayName: d.UI.DisplayName, Type: d.FieldType, BaseType: d.BaseType, Required: d.IsRequired,
		MinLen: d.MinLen, MaxLen: d.MaxLen, Gt: d.Gt, Gte: d.Gte, Lt: d.Lt, Lte: d.Lte,
	}
	switch {
	case strings.Contains(d.Origin, "tenant") && !strings.HasPrefix(f.Name, "tnt__"):
		f.Name = "tnt__" + f.Name
	case strings.Contains(d.Origin, "custom_type") && !strings.HasPrefix(f.Name, "ctype__"):
		f.Name = "ctype__" + f.Name
	}
	if len(d.AllowedValues) == 0 || string(d.AllowedValues) == "null" {
		return f, nil
	}
	enumType := f.Type
	if enumType == "array" {
		enumType = f.BaseType
	}
	switch enumType {
	case "enum":
		if err := json.Unmarshal(d.AllowedValues, &f.Enum); err != nil {
			return f, fmt.Errorf("allowed_values: %w", err)
		}
	case "uenum":
		var vals []struct {
			ID    int64  `json:"id"`
			Label string `json:"label"`
		}
		if err := json.Unmarshal(d.AllowedValues, &vals); err != nil {
			return f, fmt.Errorf("allowed_values: %w", err)
		}
		for _, v := range vals {
			f.Uenum = append(f.Uenum, UenumValue{ID: v.ID, Label: v.Label})
		}
	}
	return f, nil
}
