package simulator

import (
	"encoding/json"
	"fmt"
	"net/http"
)

// Error types from the spec's error-* schemas (the "type" discriminator).
const (
	ErrTypeBadRequest           = "bad_request"
	ErrTypeParseError           = "parse_error"
	ErrTypeMissingRequiredField = "missing_required_field"
	ErrTypeInvalidEnumValue     = "invalid_enum_value"
	ErrTypeInvalidField         = "invalid_field"
	ErrTypeInvalidID            = "invalid_id"
	ErrTypeUnexpectedJSONType   = "unexpected_json_type"
	ErrTypeValueNotPermitted    = "value_not_permitted"
	ErrTypeCustomization        = "customization_validation_error"
	ErrTypeUnauthenticated      = "unauthenticated"
	ErrTypeForbidden            = "forbidden"
	ErrTypeNotFound             = "not_found"
	ErrTypeConflict             = "conflict"
	ErrTypeTooManyRequests      = "too_many_requests"
	ErrTypeInternal             = "internal_error"
	ErrTypeServiceUnavailable   = "service_unavailable"
)

// APIError is an error response as the simulator serves it: an HTTP status
// and a body following the spec's error-* schemas. It is exported so that
// helpers such as AddWork can return the same validation errors the HTTP API
// would, and callers can inspect them with errors.As.
type APIError struct {
	Status        int      `json:"-"`
	Type          string   `json:"type"`
	Message       string   `json:"message,omitempty"`
	FieldName     string   `json:"field_name,omitempty"`
	Value         string   `json:"value,omitempty"`
	AllowedValues []string `json:"allowed_values,omitempty"`
	Subtype       string   `json:"subtype,omitempty"`  // customization_validation_error only
	Reason        string   `json:"reason,omitempty"`   // customization_validation_error, value_not_permitted
	Actual        string   `json:"actual,omitempty"`   // unexpected_json_type only
	Expected      string   `json:"expected,omitempty"` // unexpected_json_type only
	ReferenceID   string   `json:"reference_id,omitempty"`
	RetryAfter    *int64   `json:"retry_after,omitempty"`
}

// Error implements error.
func (e *APIError) Error() string {
	s := fmt.Sprintf("%d %s", e.Status, e.Type)
	if e.FieldName != "" {
		s += " (" + e.FieldName + ")"
	}
	if e.Message != "" {
		s += ": " + e.Message
	}
	return s
}

func badRequest(format string, a ...any) *APIError {
	return &APIError{Status: http.StatusBadRequest, Type: ErrTypeBadRequest, Message: fmt.Sprintf(format, a...)}
}

func parseError(format string, a ...any) *APIError {
	return &APIError{Status: http.StatusBadRequest, Type: ErrTypeParseError, Message: fmt.Sprintf(format, a...)}
}

func missingField(field string) *APIError {
	return &APIError{Status: http.StatusBadRequest, Type: ErrTypeMissingRequiredField, FieldName: field,
		Message: fmt.Sprintf("missing required field %q", field)}
}

func invalidField(field, why string) *APIError {
	return &APIError{Status: http.StatusBadRequest, Type: ErrTypeInvalidField, FieldName: field,
		Message: fmt.Sprintf("invalid field %q: %s", field, why)}
}

func invalidEnum(field, value string, allowed []string) *APIError {
	return &APIError{Status: http.StatusBadRequest, Type: ErrTypeInvalidEnumValue, FieldName: field, Value: value,
		AllowedValues: append([]string(nil), allowed...),
		Message:       fmt.Sprintf("invalid value %q for field %q", value, field)}
}

func invalidID(field, id, why string) *APIError {
	return &APIError{Status: http.StatusBadRequest, Type: ErrTypeInvalidID, FieldName: field,
		Message: fmt.Sprintf("invalid ID %q for field %q: %s", id, field, why)}
}

func unexpectedType(field, expected, actual string) *APIError {
	return &APIError{Status: http.StatusBadRequest, Type: ErrTypeUnexpectedJSONType, FieldName: field,
		Expected: expected, Actual: actual,
		Message: fmt.Sprintf("field %q: expected %s, got %s", field, expected, actual)}
}

func notPermitted(field, reason string) *APIError {
	return &APIError{Status: http.StatusBadRequest, Type: ErrTypeValueNotPermitted, FieldName: field, Reason: reason,
		Message: fmt.Sprintf("value of field %q not permitted: %s", field, reason)}
}

func customizationError(field, subtype, reason string) *APIError {
	return &APIError{Status: http.StatusBadRequest, Type: ErrTypeCustomization, FieldName: field, Subtype: subtype,
		Reason: reason, Message: fmt.Sprintf("custom field %q: %s", field, reason)}
}

func conflict(format string, a ...any) *APIError {
	return &APIError{Status: http.StatusConflict, Type: ErrTypeConflict, Message: fmt.Sprintf(format, a...)}
}

func notFound(format string, a ...any) *APIError {
	return &APIError{Status: http.StatusNotFound, Type: ErrTypeNotFound, Message: fmt.Sprintf(format, a...)}
}

// writeJSON writes v as a JSON response with the given status.
func writeJSON(w http.ResponseWriter, status int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		// Only our own response values are marshalled; failing here is a bug,
		// answered the way the real API answers its own failures.
		status = http.StatusInternalServerError
		b = []byte(`{"type":"internal_error","message":"response encoding failed"}`)
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Content-Length", fmt.Sprint(len(b)+1))
	w.WriteHeader(status)
	_, _ = w.Write(append(b, '\n'))
}

func writeError(w http.ResponseWriter, e *APIError) {
	writeJSON(w, e.Status, e)
}
