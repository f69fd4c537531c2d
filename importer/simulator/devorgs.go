package simulator

import (
	"bytes"
	"io"
	"net/http"
)

// OrgName is the display name of the sandbox's Dev organization.
const OrgName = "Sandbox"

// OrgID is the DON of the sandbox's Dev organization.
const OrgID = "don:identity:dvrv-us-1:" + devo

// handleDevOrgsGet serves GET and POST /dev-orgs.get: the caller's Dev
// organization.
func (s *Server) handleDevOrgsGet(w http.ResponseWriter, r *http.Request, c *call) {
	if apiErr := emptyRequest(r); apiErr != nil {
		c.fail(w, apiErr)
		return
	}
	c.writeJSON(w, http.StatusOK, map[string]any{"dev_org": map[string]any{
		"id": OrgID, "display_id": "DEVO-sandbox", "display_name": OrgName, "dev_slug": "sandbox",
		"created_date": seedDate.Format(timeLayout),
	}})
}

// emptyRequest checks the body of a POST whose request has no properties
// (additionalProperties: false): an empty body is accepted as well as {}.
func emptyRequest(r *http.Request) *APIError {
	if r.Method != http.MethodPost {
		return nil
	}
	data, err := io.ReadAll(io.LimitReader(r.Body, maxBodyBytes))
	if err != nil {
		return parseError("reading request body: %v", err)
	}
	if len(bytes.TrimSpace(data)) == 0 {
		return nil
	}
	req, apiErr := decodeObject(data)
	if apiErr == nil {
		apiErr = onlyKeys("", req)
	}
	return apiErr
}
