package mapping

import "strings"

// suggest returns the choice closest to input (compared in lower case)
// when it is close enough to be a likely typo, or "".
func suggest(input string, choices []string) string {
	in := strings.ToLower(strings.TrimSpace(input))
	if in == "" {
		return ""
	}
	best, bestDist := "", -1
	for _, c := range choices {
		lc := strings.ToLower(c)
		if lc == in {
			return c
		}
		d := EditDistance(in, lc)
		if bestDist < 0 || d < bestDist {
			best, bestDist = c, d
		}
	}
	limit := len([]rune(in)) / 3
	if limit < 1 {
		limit = 1
	}
	if limit > 3 {
		limit = 3
	}
	if bestDist >= 0 && bestDist <= limit {
		return best
	}
	// A prefix of a longer name ("target_close" for target_close_date).
	if len(in) >= 4 {
		for _, c := range choices {
			if strings.HasPrefix(strings.ToLower(c), in) {
				return c
			}
		}
	}
	return ""
}

// EditDistance is the Levenshtein distance between a and b counting
// adjacent transpositions as one edit (so "sevreity" is one from
// "severity"). The "did you mean" suggestions of every package use it.
func EditDistance(a, b string) int {
	ra, rb := []rune(a), []rune(b)
	if len(ra) > 200 || len(rb) > 200 {
		if a == b {
			return 0
		}
		return 1 << 20 // too long to be a typo worth suggesting
	}
	prev2 := make([]int, len(rb)+1)
	prev := make([]int, len(rb)+1)
	cur := make([]int, len(rb)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(ra); i++ {
		cur[0] = i
		for j := 1; j <= len(rb); j++ {
			cost := 1
			if ra[i-1] == rb[j-1] {
				cost = 0
			}
			v := min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
			if i > 1 && j > 1 && ra[i-1] == rb[j-2] && ra[i-2] == rb[j-1] {
				v = min(v, prev2[j-2]+1)
			}
			cur[j] = v
		}
		prev2, prev, cur = prev, cur, prev2
	}
	return prev[len(rb)]
}

// DidYouMean renders " (did you mean X?)" when input is a likely typo of
// one of choices, else "": the one suggestion rule for every value the
// tool refuses (a mapping's values, a flag's).
func DidYouMean(input string, choices []string) string { return didYouMean(input, choices) }

// didYouMean renders " (did you mean X?)" or "".
func didYouMean(input string, choices []string) string {
	if s := suggest(input, choices); s != "" {
		return " (did you mean " + s + "?)"
	}
	return ""
}

// choices renders " (did you mean X? allowed: a, b)" or " (allowed: a, b)".
func choices(input string, allowed []string) string {
	if s := suggest(input, allowed); s != "" {
		return " (did you mean " + s + "? allowed: " + strings.Join(allowed, ", ") + ")"
	}
	return " (allowed: " + strings.Join(allowed, ", ") + ")"
}
