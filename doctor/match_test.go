package doctor

import (
	"strings"
	"testing"

	"github.com/whittle-dev/whittle/internal/glob"
)

// TestMatchIndexed: Match, which tries only the categories with a
// pattern under a path's top directory, gives what trying every category
// in table order gives, for paths made from every pattern of the table
// and paths beside them.
func TestMatchIndexed(t *testing.T) {
	brute := func(p string, exists func(string) bool) string {
		parts := glob.SplitPath(p)
		for _, c := range compiledCategories().cats {
			if c.matches(p, parts, exists) {
				return c.id
			}
		}
		return ""
	}
	var paths []string
	for _, c := range Categories {
		for _, pat := range append(c.Patterns, globs(c.Except...)...) {
			for _, fill := range []string{"x", "a/b", "pip", "__pycache__"} {
				p := strings.NewReplacer("**", fill, "*", "y"+fill).Replace(pat.Glob)
				paths = append(paths, p, p+"/z.pyc", p+".py", "/app"+p, strings.TrimPrefix(p, "/usr"), "/opt/"+fill+"/m.pyc")
			}
		}
	}
	exists := func(p string) bool { return strings.HasSuffix(p, ".py") || strings.Contains(p, "__pycache__") }
	matched := 0
	for _, p := range paths {
		got, want := Match(p, exists), brute(p, exists)
		if got != want {
			t.Errorf("Match(%q) = %q, want %q", p, got, want)
		}
		if got != "" {
			matched++
		}
	}
	if matched < len(paths)/4 {
		t.Errorf("only %d of %d paths match a category: the test paths miss the table", matched, len(paths))
	}
}
