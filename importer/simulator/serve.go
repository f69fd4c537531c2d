package simulator

import (
	"encoding/json"
	"net/http"
)

// endpoint says how serve answers the calls of one endpoint.
type endpoint struct {
	shape  queryShape // how the GET form's query reads, for endpoints with one
	write  bool       // faults strike: before the call, and after it took effect
	status int        // the status of a success
}

var (
	createEndpoint = endpoint{write: true, status: http.StatusCreated}
	deleteEndpoint = endpoint{write: true, status: http.StatusOK}
	getEndpoint    = endpoint{status: http.StatusOK}
)

// serve answers one call of the links and timeline endpoints: a write's
// faults, the request read, then do under s.mu, which returns the answer
// (a json.RawMessage is sent as it is, anything else marshalled) or the
// error the API answers.
func (s *Server) serve(w http.ResponseWriter, r *http.Request, c *call, ep endpoint,
	do func(req map[string]any) (any, *APIError)) {
	if ep.write && s.preFaults(w, c) {
		return
	}
	req, apiErr := readRequest(r, ep.shape)
	if apiErr != nil {
		c.fail(w, apiErr)
		return
	}
	s.mu.Lock()
	answer, apiErr := do(req)
	s.mu.Unlock()
	if apiErr != nil {
		c.fail(w, apiErr)
		return
	}
	if ep.write && s.postFaults(w, c, ep.status) {
		return
	}
	if raw, ok := answer.(json.RawMessage); ok {
		c.writeRaw(w, ep.status, raw)
		return
	}
	c.writeJSON(w, ep.status, answer)
}

// listEndpoint is a list's endpoint: its GET form reads as shape.
func listEndpoint(shape queryShape) endpoint { return endpoint{shape: shape, status: http.StatusOK} }

// page picks one page of n items ordered by ascending seq, as every list
// serves them, and renders it with item.
func page[T any](n int, seqAt func(int) int64, p listParams, key string, item func(int) T) map[string]any {
	start, end, next, prev := paginate(n, seqAt, p)
	items := make([]T, 0, end-start)
	for i := start; i < end; i++ {
		items = append(items, item(i))
	}
	return listResponse(key, items, next, prev)
}

// emptyAnswer is the {} of a delete.
var emptyAnswer = json.RawMessage("{}")
