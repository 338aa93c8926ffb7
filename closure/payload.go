package closure

import (
	"errors"
	"fmt"
	"path"
	"strings"

	"github.com/whittle-dev/whittle/analyze"
	"github.com/whittle-dev/whittle/closure/graph"
	"github.com/whittle-dev/whittle/closure/runtime"
	"github.com/whittle-dev/whittle/internal/imagefs"
)

// runtimeConfig reports the small files the run-time rules read, preloaded
// with the package databases.
func runtimeConfig(p string) bool {
	base := path.Base(p)
	return p == "/etc/nsswitch.conf" || base == "gconv-modules" ||
		strings.HasSuffix(p, ".conf") && strings.Contains(p, "/gconv-modules.d/") ||
		strings.HasSuffix(base, ".pth")
}

// env is the environment the image's programs run with: the config's Env
// and Options.Env.
func (b *builder) env(extra []string) map[string]string {
	env := map[string]string{}
	var list []string
	if b.im.Config != nil {
		list = append(list, b.im.Config.Config.Env...)
	}
	for _, kv := range append(list, extra...) {
		if k, v, ok := strings.Cut(kv, "="); ok {
			env[k] = v
		}
	}
	return env
}

// runtimeEdges adds the edges of the run-time payload rules: each ELF
// object to the files and directories it opens at run time.
func (b *builder) runtimeEdges() error {
	in := &runtime.Input{FS: b.fsys, Env: b.env(b.extraEnv)}
	b.ix.Root.Walk(func(n *analyze.Node) bool {
		if n.Content != nil && b.elfInfo[n.Content] != nil {
			in.Objects = append(in.Objects, runtime.Object{Path: n.Path(), Soname: b.elfInfo[n.Content].Soname, Facts: b.facts[n.Content]})
		}
		return true
	})
	for _, e := range runtime.Edges(in) {
		b.ruled[e.From] = true // dlopen.go
		from, ok := b.nodeOf(e.From)
		if !ok {
			continue
		}
		if e.Rule.EtcOutput && b.generated(e.To) {
			continue // see below
		}
		if b.skipRuntime(e) {
			continue // the module search keeps what is imported (modulesearch.go)
		}
		res, err := imagefs.Resolve(b.fsys, e.To)
		if err != nil {
			if errors.Is(err, imagefs.ErrLoop) {
				b.problem("symlink-loop", e.To, "symlink loop (opened at run time: "+e.Rule.Explain+")")
			}
			continue
		}
		if e.Rule.EtcOutput && b.generated(res.Path) {
			// What the etc output writes under /etc is its own
			// (etcgen writes the users, name service files, zones and
			// certificates the user chose, replacing the image's). The
			// links that lead there from elsewhere are kept. Without an
			// etc: section nothing is skipped: the image's /etc is
			// what runs.
			for _, l := range res.Links {
				if ln, ok := b.nodeOf(l); ok && ln != from && !b.generated(l) {
					b.g.AddEdge(from, ln, graph.Runtime)
				}
			}
			continue
		}
		var to graph.NodeID
		if _, fi, err := imagefs.Stat(b.fsys, res.Path); err == nil && fi.IsDir() {
			to = b.dirNode(res.Path)
		} else if to, ok = b.nodeOf(res.Path); !ok {
			continue
		}
		for _, l := range res.Links {
			if ln, ok := b.nodeOf(l); ok && ln != from {
				b.g.AddEdge(from, ln, graph.Runtime)
			}
		}
		if to == from {
			continue
		}
		b.g.AddEdge(from, to, graph.Runtime)
		k := [2]graph.NodeID{from, to}
		if !hasRule(b.c.rules[k], e.Rule) {
			b.c.rules[k] = append(b.c.rules[k], e.Rule)
		}
	}
	return nil
}

func hasRule(rs []*runtime.Rule, r *runtime.Rule) bool {
	for _, x := range rs {
		if x == r {
			return true
		}
	}
	return false
}

// dirNode is the node of a directory a program opens: it contains every
// file below it (symlinks included, not followed).
func (b *builder) dirNode(dir string) graph.NodeID {
	if id, ok := b.dirs[dir]; ok {
		return id
	}
	id := b.g.Node(graph.File, dir)
	b.dirs[dir] = id
	n, err := b.fsys.Node(imagefs.Name(dir))
	if err != nil {
		return id
	}
	n.Walk(func(m *analyze.Node) bool {
		if m == n || m.IsDir() {
			return true
		}
		if to, ok := b.nodeOf(m.Path()); ok && to != id {
			b.g.AddEdge(id, to, graph.Contains)
		}
		return true
	})
	return id
}

// EdgeRules returns the run-time rules behind the edge from → to (empty
// for an edge of another kind).
func (c *Closure) EdgeRules(from, to graph.NodeID) []*runtime.Rule {
	return c.rules[[2]graph.NodeID{from, to}]
}

// ruleNames names the run-time rules behind the edge from → to.
func (c *Closure) ruleNames(from, to graph.NodeID) []string {
	var out []string
	for _, r := range c.EdgeRules(from, to) {
		out = append(out, r.Name)
	}
	return out
}

// ruleLines explains each run-time step of a chain: "python3.11 loads
// /usr/lib/python3.11 — interpreter standard library (python-stdlib)".
func (c *Closure) ruleLines(chain []graph.NodeID) []string {
	var out []string
	for i := 0; i+1 < len(chain); i++ {
		for _, r := range c.EdgeRules(chain[i], chain[i+1]) {
			out = append(out, fmt.Sprintf("%s loads %s — %s (%s)", path.Base(c.DisplayName(chain[i])), c.DisplayName(chain[i+1]), r.Explain, r.Name))
		}
	}
	return out
}
