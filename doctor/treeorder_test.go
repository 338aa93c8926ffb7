package doctor

import (
	"testing"

	"github.com/whittle-dev/whittle/analyze"
	"github.com/whittle-dev/whittle/internal/glob"
	"github.com/whittle-dev/whittle/internal/reprotar"
)

// TestTreeLessIsWalkOrder: a walk of the index visits paths in treeLess
// order (names with bytes below and above the separator included), and
// matchesAny, which searches that order for a glob's directory, answers
// as matching every path does.
func TestTreeLessIsWalkOrder(t *testing.T) {
	var files []reprotar.File
	for _, p := range []string{"/a/bb", "/a-c", "/a.d/x", "/a/b c/y", "/a/b-c", "/a/b/c/d", "/ab", "/a!", "/usr/share/doc/x/y", "/usr/share/doc-base/z", "/usr/share/docs", "/usr/share/do"} {
		files = append(files, textFile(p, "x"))
	}
	_, ix := layered(t, nil, files)
	var paths []string
	ix.Root.Walk(func(n *analyze.Node) bool {
		if !n.IsDir() {
			paths = append(paths, n.Path())
		}
		return true
	})
	for i := 1; i < len(paths); i++ {
		if !treeLess(paths[i-1], paths[i]) {
			t.Errorf("walk visits %q before %q, which treeLess orders after", paths[i-1], paths[i])
		}
	}
	for _, d := range []string{"/usr/share/doc/**", "/usr/share/doc-base/**", "/a/**", "/a/bb", "/a/b/**", "/a-c", "/usr/share/d*", "/**/y", "/a/b c/*", "/nothing/**"} {
		want := false
		for _, p := range paths {
			want = want || glob.Match(d, p)
		}
		if got := matchesAny(d, paths); got != want {
			t.Errorf("matchesAny(%q) = %v, want %v", d, got, want)
		}
	}
}
