package glob

import (
	"slices"
	"testing"
)

func TestMatch(t *testing.T) {
	for _, tc := range []struct {
		pattern, name string
		want          bool
	}{
		{"/usr/share/doc/**", "/usr/share/doc", true},
		{"/usr/share/doc/**", "/usr/share/doc/a/b/c", true},
		{"/usr/share/doc/**", "/usr/share/docs", false},
		{"/**/*.pyc", "/a.pyc", true},
		{"/**/*.pyc", "/usr/lib/x/a.pyc", true},
		{"/**/*.pyc", "/usr/lib/x/a.py", false},
		{"/usr/*/doc", "/usr/share/doc", true},
		{"/usr/*/doc", "/usr/a/b/doc", false},
		{"/app/**/test/**", "/app/x/test/y", true},
		{"/app/**/test/**", "/app/x/tests/y", false},
		{"/etc/passwd", "/etc/passwd", true},
		{"/a/[x", "/a/[x", false},
		{"/**", "/", true},
	} {
		if got := Match(tc.pattern, tc.name); got != tc.want {
			t.Errorf("Match(%q, %q) = %v, want %v", tc.pattern, tc.name, got, tc.want)
		}
	}
}

// TestAppendSplit: AppendSplit gives SplitPath's components, after what
// dst held.
func TestAppendSplit(t *testing.T) {
	for _, p := range []string{"", "/", "//", "/a", "a", "/a/b/", "a//b", "/usr/share/doc/x y/z", "///a///"} {
		want := append([]string{"keep"}, SplitPath(p)...)
		got := AppendSplit([]string{"keep"}, p)
		if !slices.Equal(got, want) {
			t.Errorf("AppendSplit(%q) = %q, want %q", p, got, want)
		}
	}
}
