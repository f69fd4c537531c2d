package devrev

import "context"

// DevOrg is the Dev organization a token belongs to (dev-orgs.get).
type DevOrg struct {
	ID          string `json:"id"` // its DON, e.g. don:identity:dvrv-us-1:devo/0
	DisplayID   string `json:"display_id"`
	DisplayName string `json:"display_name"` // the org's name, as people know it
	DevSlug     string `json:"dev_slug"`
}

// DevOrg returns the token's Dev organization (dev-orgs.get), so that a
// prompt can name the org ("Acme") instead of its DON.
func (c *Client) DevOrg(ctx context.Context) (DevOrg, Response, error) {
	var out struct {
		DevOrg DevOrg `json:"dev_org"`
	}
	resp, err := c.post(ctx, "dev-orgs.get", struct{}{}, &out)
	if err != nil {
		return DevOrg{}, resp, err
	}
	return out.DevOrg, resp, nil
}
