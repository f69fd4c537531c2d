package report

import (
	"fmt"
	"regexp"
	"strings"
)

// rowWarning splits a run-time warning about one row, "WHERE: key "K"
// REST", into its location and key and what it says.
var rowWarning = regexp.MustCompile(`^(.+?): key ("(?:[^"\\]|\\.)*")(.*)$`)

// GroupWarnings renders warnings for stderr. Up to max of them are shown
// as they are. Beyond that, warnings about rows that say the same thing
// but for the row are grouped: the first one in full, followed by how many
// more rows it applies to and the first few of them, so 30 in-doubt rows
// are one line, not 30; and at most max lines are printed, the rest
// counted. All of them stay in --summary-json.
func GroupWarnings(ws []string, max int) []string {
	if len(ws) <= max {
		return ws
	}
	type group struct {
		first string
		where []string
	}
	var order []*group
	byRest := map[string]*group{}
	for _, w := range ws {
		m := rowWarning.FindStringSubmatch(w)
		if m == nil {
			order = append(order, &group{first: w})
			continue
		}
		if g, ok := byRest[m[3]]; ok {
			g.where = append(g.where, m[1])
			continue
		}
		g := &group{first: w}
		byRest[m[3]] = g
		order = append(order, g)
	}
	const named = 5
	var out []string
	for i, g := range order {
		if i == max {
			out = append(out, fmt.Sprintf("... and %s more warnings (--summary-json lists every one)", Thousands(len(order)-max)))
			break
		}
		line := g.first
		if n := len(g.where); n > 0 {
			shown := g.where[:min(n, named)]
			more := ""
			if n > named {
				more = ", …"
			}
			line += fmt.Sprintf(" (and %s more rows like it: %s%s)", Thousands(n), strings.Join(shown, ", "), more)
		}
		out = append(out, line)
	}
	return out
}
