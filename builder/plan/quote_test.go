package plan

import "testing"

// TestQuoteGlob: a quoted path matches itself alone.
func TestQuoteGlob(t *testing.T) {
	names := []string{"/app/a[1].txt", "/app/a1.txt", "/app/x*y", "/app/xzy", "/app/q?", "/app/qa", `/app/back\slash`, "/etc/evil\x1b[31mRED\x1b[0m"}
	for _, p := range names {
		g := QuoteGlob(p)
		if err := checkGlob(g); err != nil {
			t.Errorf("QuoteGlob(%q) = %q: %v", p, g, err)
		}
		for _, other := range names {
			if got := Match(g, other); got != (other == p) {
				t.Errorf("Match(QuoteGlob(%q), %q) = %v", p, other, got)
			}
		}
	}
}
