package glob

import (
	"math/rand/v2"
	"strings"
	"testing"
)

// TestPrefilterChangesNothing: a compiled glob's literal-component and
// suffix test only rules out names the components would not match, on
// random patterns and names over a small alphabet (so that they match
// often).
func TestPrefilterChangesNothing(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 9))
	pick := func(list []string) string { return list[r.IntN(len(list))] }
	patParts := []string{"**", "*", "a", "b", "ab", "*.py", "*b", "a*", "?b", "[ab]", "x.py", `\*`, "*.p"}
	nameParts := []string{"a", "b", "ab", "x.py", "a.py", "bb", "*", "y.p", "c"}
	matched := 0
	for i := 0; i < 20000; i++ {
		var pp, np []string
		for n := 1 + r.IntN(4); n > 0; n-- {
			pp = append(pp, pick(patParts))
		}
		for n := r.IntN(5); n > 0; n-- {
			np = append(np, pick(nameParts))
		}
		pattern, name := "/"+strings.Join(pp, "/"), "/"+strings.Join(np, "/")
		g := Compile(pattern)
		want := g.under(name) && matchParts(g.parts, split(name))
		if got := g.Match(name); got != want {
			t.Fatalf("Match(%q, %q) = %v, want %v", pattern, name, got, want)
		}
		if got := g.MatchSplit(name, SplitPath(name)); got != want {
			t.Fatalf("MatchSplit(%q, %q) = %v, want %v", pattern, name, got, want)
		}
		if want {
			matched++
		}
	}
	if matched < 500 {
		t.Fatalf("only %d matches: the test compares too little", matched)
	}
}
