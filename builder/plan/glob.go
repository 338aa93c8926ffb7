package plan

import (
	"path"
	"strings"
)

// Match reports whether the absolute image path name matches the plan
// glob pattern: path.Match's syntax within a component, plus "**" as a
// whole component matching any number of components (none included), so
// "/usr/share/doc/**" matches /usr/share/doc and everything below it.
// A malformed pattern matches nothing (Parse refuses them).
func Match(pattern, name string) bool {
	// Most patterns start with literal directories ("/usr/share/doc/**"):
	// a name outside them cannot match, and most names are outside.
	if i := strings.IndexAny(pattern, "*?[\\"); i > 0 {
		if dir := strings.TrimRight(pattern[:strings.LastIndexByte(pattern[:i], '/')+1], "/"); dir != "" {
			n := "/" + strings.Trim(name, "/")
			d := "/" + strings.Trim(dir, "/")
			if n != d && !strings.HasPrefix(n, d+"/") {
				return false
			}
		}
	}
	return matchParts(split(pattern), split(name))
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

// QuoteGlob returns a glob that matches the path p alone, whatever
// characters its name holds (a file named "a[1].txt" or "x*y").
func QuoteGlob(p string) string { return globQuoter.Replace(p) }
