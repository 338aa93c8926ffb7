// Package glob matches image paths against whittle's path globs:
// path.Match's syntax within a component, plus "**" as a whole component
// for any number of components. Plans, findings and the TUI use it.
package glob

import (
	"fmt"
	"path"
	"strings"
)

// Match reports whether the absolute image path name matches the plan
// glob pattern: path.Match's syntax within a component, plus "**" as a
// whole component matching any number of components (none included), so
// "/usr/share/doc/**" matches /usr/share/doc and everything below it.
// A malformed pattern matches nothing (Parse refuses them).
func Match(pattern, name string) bool { return Compile(pattern).Match(name) }

// Glob is a pattern compiled for matching many names (Match's syntax):
// split into components once, with the literal directory it lies under.
type Glob struct {
	// dir is the pattern's literal leading directory ("/usr/share/doc"
	// for "/usr/share/doc/**"), "" when the pattern starts with a
	// wildcard; a name outside it cannot match.
	dir   string
	parts []string
	// lits are the pattern's literal components (no wildcard, not
	// "**"), each of which a matching name has; suffix is what the
	// name's last component ends with when the pattern's last component
	// is "*" and a literal. Both only rule names out, cheaply, before
	// the components are matched.
	lits   []string
	suffix string
}

// Compile compiles a pattern; a malformed one compiles to a Glob
// that matches nothing.
func Compile(pattern string) Glob {
	g := Glob{parts: split(pattern)}
	for i, part := range g.parts {
		switch {
		case part == "**":
		case !strings.ContainsAny(part, "*?[\\"):
			g.lits = append(g.lits, part)
		case i == len(g.parts)-1 && part[0] == '*' && !strings.ContainsAny(part[1:], "*?[\\"):
			g.suffix = part[1:]
		}
	}
	if i := strings.IndexAny(pattern, "*?[\\"); i > 0 {
		if dir := strings.TrimRight(pattern[:strings.LastIndexByte(pattern[:i], '/')+1], "/"); dir != "" {
			g.dir = "/" + strings.Trim(dir, "/")
		}
	}
	return g
}

// Match reports whether the image path name matches.
func (g Glob) Match(name string) bool {
	if !g.under(name) {
		return false
	}
	var buf [32]string // most paths: no allocation
	parts := AppendSplit(buf[:0], name)
	return g.may(parts) && matchParts(g.parts, parts)
}

// may reports whether a name of these components may match: it has the
// pattern's literal components and suffix.
func (g Glob) may(parts []string) bool {
	if g.suffix != "" && (len(parts) == 0 || !strings.HasSuffix(parts[len(parts)-1], g.suffix)) {
		return false
	}
	for _, l := range g.lits {
		found := false
		for _, p := range parts {
			if p == l {
				found = true
				break
			}
		}
		if !found {
			return false
		}
	}
	return true
}

// MatchSplit is Match for a name already split into its components
// (SplitPath's), for matching one name against many globs.
func (g Glob) MatchSplit(name string, parts []string) bool {
	return g.under(name) && g.may(parts) && matchParts(g.parts, parts)
}

// Dir returns the literal directory every name the glob matches lies in
// or is ("/usr/share/doc" for "/usr/share/doc/**"), "" when the pattern
// starts with a wildcard or has none.
func (g Glob) Dir() string { return g.dir }

// under reports whether name lies in or is the glob's literal directory.
func (g Glob) under(name string) bool {
	if g.dir == "" {
		return true
	}
	n := name
	if !strings.HasPrefix(n, "/") || strings.HasSuffix(n, "/") || strings.HasPrefix(n, "//") {
		n = "/" + strings.Trim(name, "/")
	}
	return n == g.dir || strings.HasPrefix(n, g.dir) && n[len(g.dir)] == '/'
}

// SplitPath splits an image path into its components ("/a/b" → a, b).
func SplitPath(p string) []string { return split(p) }

// AppendSplit appends the components of image path p to dst (SplitPath's,
// without allocating when dst has room: for splitting many paths in
// turn).
func AppendSplit(dst []string, p string) []string {
	p = strings.Trim(p, "/")
	for p != "" {
		i := strings.IndexByte(p, '/')
		if i < 0 {
			return append(dst, p)
		}
		dst = append(dst, p[:i])
		p = p[i+1:]
	}
	return dst
}

func split(p string) []string {
	p = strings.Trim(p, "/")
	if p == "" {
		return nil
	}
	return strings.Split(p, "/")
}

func matchParts(pat, name []string) bool {
	for len(pat) > 0 {
		if pat[0] == "**" {
			rest := pat[1:]
			for i := 0; i <= len(name); i++ {
				if matchParts(rest, name[i:]) {
					return true
				}
			}
			return false
		}
		if len(name) == 0 {
			return false
		}
		if ok, err := path.Match(pat[0], name[0]); err != nil || !ok {
			return false
		}
		pat, name = pat[1:], name[1:]
	}
	return len(name) == 0
}

var globQuoter = strings.NewReplacer(`\`, `\\`, `*`, `\*`, `?`, `\?`, `[`, `\[`)

// Quote returns a glob that matches the path p alone, whatever
// characters its name holds (a file named "a[1].txt" or "x*y").
func Quote(p string) string { return globQuoter.Replace(p) }

// Check checks a glob's syntax: path.Match's, plus "**" as a whole
// path component (any number of directories).
func Check(g string) error {
	for _, part := range strings.Split(g, "/") {
		if part == "**" {
			continue
		}
		if strings.Contains(part, "**") {
			return fmt.Errorf("** must be a whole path component")
		}
		if _, err := path.Match(part, ""); err != nil {
			return err
		}
	}
	return nil
}
