package tui

import (
	"strings"

	"github.com/whittle-dev/whittle/closure"
	"github.com/whittle-dev/whittle/internal/glob"
	"github.com/whittle-dev/whittle/plan"
)

// The plan estimate: which files of the merged tree a build of the plan
// keeps, by the rule the builder applies (pipeline's trim): a path that a
// drop glob matches goes; one a keep glob matches stays; any other file
// stays when a root reaches the node that owns it. Directories are kept
// when they hold something kept, so they count nothing by themselves.

// globSet is a list of plan globs, with the common forms matched without
// plan.Match: "/a/b/**" (a subtree) and a plain path.
type globSet struct {
	subtrees []string // "/a/b" for "/a/b/**"
	exact    map[string]bool
	others   []string
}

func newGlobSet(globs []string) globSet {
	g := globSet{exact: map[string]bool{}}
	for _, p := range globs {
		switch {
		case strings.HasSuffix(p, "/**") && !strings.ContainsAny(p[:len(p)-3], "*?[\\"):
			g.subtrees = append(g.subtrees, strings.TrimSuffix(p, "/**"))
		case !strings.ContainsAny(p, "*?[\\"):
			g.exact[p] = true
		default:
			g.others = append(g.others, p)
		}
	}
	return g
}

func (g globSet) match(path string) bool {
	if g.exact[path] {
		return true
	}
	for _, s := range g.subtrees {
		if path == s || strings.HasPrefix(path, s) && len(path) > len(s) && path[len(s)] == '/' || s == "" {
			return true
		}
	}
	for _, o := range g.others {
		if glob.Match(o, path) {
			return true
		}
	}
	return false
}

// markReach records, on each file of the merged tree, whether a root of
// the closure reaches it.
func markReach(root *fnode, cl *closure.Closure) {
	var walk func(n *fnode)
	walk = func(n *fnode) {
		if !n.dir {
			id, ok := cl.Owner(n.full)
			n.reach = ok && cl.Analysis.Reachable(id)
			return
		}
		n.reach = false
		for _, c := range n.children {
			walk(c)
			n.reach = n.reach || c.reach
		}
	}
	walk(root)
}

// estimateTree marks every node of the merged tree kept or dropped under
// p and returns the bytes kept. known says whether reach is known (a
// closure was computed); without it every file not dropped counts.
func estimateTree(root *fnode, p *plan.Plan, known bool) int64 {
	drop, keep := newGlobSet(p.Drop), newGlobSet(p.Keep)
	var walk func(n *fnode) int64
	walk = func(n *fnode) int64 {
		n.dropped = n.parent != nil && drop.match(n.full)
		if !n.dir {
			n.kept = !n.dropped && (!known || n.reach || keep.match(n.full))
			n.keptBytes = 0
			if n.kept {
				n.keptBytes = n.bytes
			}
			return n.keptBytes
		}
		var sum int64
		for _, c := range n.children {
			sum += walk(c)
		}
		n.keptBytes = sum
		n.kept = sum > 0
		return sum
	}
	return walk(root)
}
