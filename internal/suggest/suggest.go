// Package suggest finds the names closest to a misspelt one, for "did you
// mean" hints in errors about plan keys, image config keys and catalog names.
package suggest

import (
	"sort"
	"strings"
)

// Closest returns up to max candidates near name, nearest first: those
// within an edit distance of a third of the name's length, rounded up (at least 2), and
// those that contain name or are contained in it, compared case-insensitively.
func Closest(name string, candidates []string, max int) []string {
	type scored struct {
		s string
		d int
	}
	lname := strings.ToLower(name)
	limit := (len(name) + 2) / 3
	if limit < 2 {
		limit = 2
	}
	var found []scored
	seen := map[string]bool{}
	for _, c := range candidates {
		if seen[c] {
			continue
		}
		seen[c] = true
		lc := strings.ToLower(c)
		d := Distance(lname, lc)
		if d > limit && !(len(lname) >= 3 && (strings.Contains(lc, lname) || strings.Contains(lname, lc) && len(lc) >= 3)) {
			continue
		}
		found = append(found, scored{c, d})
	}
	sort.SliceStable(found, func(i, j int) bool {
		if found[i].d != found[j].d {
			return found[i].d < found[j].d
		}
		return found[i].s < found[j].s
	})
	if len(found) > max {
		found = found[:max]
	}
	if len(found) == 0 {
		return nil
	}
	out := make([]string, len(found))
	for i, f := range found {
		out[i] = f.s
	}
	return out
}

// Hint formats Closest's answer as ` (did you mean "a" or "b"?)`, or "" when
// nothing is close.
func Hint(name string, candidates []string) string {
	c := Closest(name, candidates, 3)
	if len(c) == 0 {
		return ""
	}
	q := make([]string, len(c))
	for i, s := range c {
		q[i] = `"` + s + `"`
	}
	return " (did you mean " + strings.Join(q, " or ") + "?)"
}

// Distance is the Damerau–Levenshtein (optimal string alignment) distance
// between a and b, counted in bytes.
func Distance(a, b string) int {
	prev2 := make([]int, len(b)+1)
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
			if i > 1 && j > 1 && a[i-1] == b[j-2] && a[i-2] == b[j-1] {
				cur[j] = min(cur[j], prev2[j-2]+1)
			}
		}
		prev2, prev, cur = prev, cur, prev2
	}
	return prev[len(b)]
}
