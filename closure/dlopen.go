package closure

import (
	"path"
	"strings"

	"github.com/whittle-dev/whittle/analyze"
	"github.com/whittle-dev/whittle/closure/elfdeps"
	"github.com/whittle-dev/whittle/finding"
)

// Dlopen: a reachable ELF object names dlopen and no run-time rule says
// what it loads: libraries it opens by a computed name are unknown to the
// closure.
const Dlopen = "dlopen"

// dlopenNotes adds a Dlopen problem for each reachable object that names
// dlopen and that no run-time rule covers (OpenSSL's providers, an
// interpreter's modules, glibc's NSS and gconv modules are the rules'; the
// C library and the loader, which implement dlopen, aside).
func (b *builder) dlopenNotes() {
	b.ix.Root.Walk(func(n *analyze.Node) bool {
		if n.Content == nil {
			return true
		}
		f := b.facts[n.Content]
		if f == nil || !f.Dlopen {
			return true
		}
		p := n.Path()
		id, ok := b.nodeOf(p)
		if !ok || !b.c.Analysis.Reachable(id) || b.ruled[p] || implementsDlopen(p, soname(b.elfInfo[n.Content])) {
			return true
		}
		b.problems.Add(Problem{Kind: "closure/" + Dlopen, Severity: finding.Info, Paths: []string{p},
			Message: path.Base(p) + " calls dlopen: what it loads by a name computed at run time is not in the closure; keep it, or learn: a command that loads it",
			Fix:     "keep the libraries it loads (plan keep:), or trace them (learn:)"})
		return true
	})
}

// implementsDlopen reports whether the object is the C library or the
// loader (or libdl), which define dlopen rather than call it for a
// program's own reasons.
func implementsDlopen(p, soname string) bool {
	name := soname
	if name == "" {
		name = path.Base(p)
	}
	for _, prefix := range []string{"libc.so", "ld-linux", "ld-musl", "libdl.so", "libc.musl", "ld64.so"} {
		if strings.HasPrefix(name, prefix) {
			return true
		}
	}
	return false
}

func soname(info *elfdeps.Info) string {
	if info == nil {
		return ""
	}
	return info.Soname
}
