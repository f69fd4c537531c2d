package devrev

import (
	"context"
	"encoding/json"
)

// ListRequest pages through a lookup list. Filter holds the values of the
// list's main filter: email for dev users, name for parts and tags,
// display_name for accounts and Rev orgs.
type ListRequest struct {
	Filter []string
	Cursor string
	Limit  int
}

// User is a dev user (an agent of the Dev org).
type User struct {
	ID, DisplayID, DisplayName, FullName, Email string
}

// Named is an object resolved by name: a part, tag, account or Rev org.
type Named struct {
	ID, DisplayID, Name string
}

type wireUser struct {
	ID          string `json:"id"`
	DisplayID   string `json:"display_id"`
	DisplayName string `json:"display_name"`
	FullName    string `json:"full_name"`
	Email       string `json:"email"`
}

func (u wireUser) user() User {
	return User{ID: u.ID, DisplayID: u.DisplayID, DisplayName: u.DisplayName, FullName: u.FullName, Email: u.Email}
}

// wireNamed covers parts and tags (name) and accounts and Rev orgs
// (display_name).
type wireNamed struct {
	ID          string `json:"id"`
	DisplayID   string `json:"display_id"`
	Name        string `json:"name"`
	DisplayName string `json:"display_name"`
}

func (n wireNamed) named() Named {
	name := n.Name
	if name == "" {
		name = n.DisplayName
	}
	return Named{ID: n.ID, DisplayID: n.DisplayID, Name: name}
}

// listBody builds a *-list-request with the filter under the given key.
func listBody(key string, req ListRequest) map[string]any {
	m := map[string]any{}
	if len(req.Filter) > 0 {
		m[key] = req.Filter
	}
	if req.Cursor != "" {
		m["cursor"] = req.Cursor
	}
	if req.Limit > 0 {
		m["limit"] = req.Limit
	}
	return m
}

// Self returns the user the token belongs to (dev-users.self).
func (c *Client) Self(ctx context.Context) (User, Response, error) {
	var out struct {
		DevUser wireUser `json:"dev_user"`
	}
	resp, err := c.post(ctx, "dev-users.self", struct{}{}, &out)
	if err != nil {
		return User{}, resp, err
	}
	return out.DevUser.user(), resp, nil
}

// ListDevUsers returns one page of dev users whose email is in req.Filter
// (dev-users.list) and the next cursor.
func (c *Client) ListDevUsers(ctx context.Context, req ListRequest) ([]User, string, Response, error) {
	var out struct {
		DevUsers   []wireUser `json:"dev_users"`
		NextCursor string     `json:"next_cursor"`
	}
	resp, err := c.post(ctx, "dev-users.list", listBody("email", req), &out)
	if err != nil {
		return nil, "", resp, err
	}
	users := make([]User, 0, len(out.DevUsers))
	for _, u := range out.DevUsers {
		users = append(users, u.user())
	}
	return users, out.NextCursor, resp, nil
}

// listNamed calls a *.list operation whose answer holds the objects under
// itemsKey ("parts", "tags", "accounts", "rev_orgs").
func (c *Client) listNamed(ctx context.Context, op, filterKey, itemsKey string, req ListRequest) ([]Named, string, Response, error) {
	var out map[string]json.RawMessage
	resp, err := c.post(ctx, op, listBody(filterKey, req), &out)
	if err != nil {
		return nil, "", resp, err
	}
	var items []wireNamed
	var next string
	if raw, ok := out[itemsKey]; ok {
		err = json.Unmarshal(raw, &items)
	}
	if raw, ok := out["next_cursor"]; ok && err == nil {
		err = json.Unmarshal(raw, &next)
	}
	if err != nil {
		return nil, "", resp, &BadResponseError{Op: op, Status: resp.Status, Err: err}
	}
	named := make([]Named, 0, len(items))
	for _, n := range items {
		named = append(named, n.named())
	}
	return named, next, resp, nil
}

// ListParts returns one page of parts whose name is in req.Filter.
func (c *Client) ListParts(ctx context.Context, req ListRequest) ([]Named, string, Response, error) {
	return c.listNamed(ctx, "parts.list", "name", "parts", req)
}

// ListTags returns one page of tags whose name is in req.Filter.
func (c *Client) ListTags(ctx context.Context, req ListRequest) ([]Named, string, Response, error) {
	return c.listNamed(ctx, "tags.list", "name", "tags", req)
}

// ListAccounts returns one page of accounts whose display_name is in
// req.Filter.
func (c *Client) ListAccounts(ctx context.Context, req ListRequest) ([]Named, string, Response, error) {
	return c.listNamed(ctx, "accounts.list", "display_name", "accounts", req)
}

// ListRevOrgs returns one page of Rev orgs whose display_name is in
// req.Filter.
func (c *Client) ListRevOrgs(ctx context.Context, req ListRequest) ([]Named, string, Response, error) {
	return c.listNamed(ctx, "rev-orgs.list", "display_name", "rev_orgs", req)
}
