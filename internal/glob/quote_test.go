package glob

import "testing"

// TestQuote: a quoted path matches itself alone.
func TestQuote(t *testing.T) {
	names := []string{"/app/a[1].txt", "/app/a1.txt", "/app/x*y", "/app/xzy", "/app/q?", "/app/qa", `/app/back\slash`, "/etc/evil\x1b[31mRED\x1b[0m"}
	for _, p := range names {
		g := Quote(p)
		if err := Check(g); err != nil {
			t.Errorf("Quote(%q) = %q: %v", p, g, err)
		}
		for _, other := range names {
			if got := Match(g, other); got != (other == p) {
				t.Errorf("Match(Quote(%q), %q) = %v", p, other, got)
			}
		}
	}
}
