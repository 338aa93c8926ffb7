package closure

import (
	"github.com/whittle-dev/whittle/closure/graph"
	"github.com/whittle-dev/whittle/finding"
)

// unreachedNote is added to the message of a problem no root reaches.
const unreachedNote = " (no root reaches it: nothing the image runs fails for it)"

// dataNote is added to the message of a problem of a file that roots
// reach only as data: named in a file's contents or held in a directory
// kept whole, never run, loaded, imported or linked to.
const dataNote = " (kept only as data: nothing the image runs runs or loads it)"

// demoteUnreached makes the problems of files no root reaches notes: a
// dangling link among the docs or a library nothing loads breaks nothing
// the image runs. Problems without a file path (the roots', the package
// database's) and every problem of a graph without roots keep their
// severity.
func (c *Closure) demoteUnreached(ps []Problem) []Problem {
	if len(c.Roots) == 0 || c.Analysis == nil {
		return ps
	}
	var run map[graph.NodeID]bool
	for i, p := range ps {
		if p.Name() == "root" {
			continue
		}
		path := p.Path()
		if path == "" || path[0] != '/' {
			continue
		}
		id, ok := c.Owner(path)
		switch {
		case !ok:
		case !c.Analysis.Reachable(id):
			ps[i].Severity = finding.Info
			ps[i].Message += unreachedNote
		case ps[i].Severity != finding.Info && !run[id]:
			if run == nil {
				run = c.runReachable()
			}
			if !run[id] {
				ps[i].Severity = finding.Info
				ps[i].Message += dataNote
			}
		}
	}
	return ps
}

// runReachable marks the nodes the roots reach over edges that run, load,
// import or link (every kind but named and contains): the files whose
// problems make a program fail.
func (c *Closure) runReachable() map[graph.NodeID]bool {
	return reachFrom(c.Graph, c.Graph.Roots(), func(k graph.EdgeKind) bool { return k&^(graph.Named|graph.Contains) != 0 })
}

// reachFrom marks the nodes reached from starts (themselves included)
// over the edges whose kinds follow accepts.
func reachFrom(g *graph.Graph, starts []graph.NodeID, follow func(graph.EdgeKind) bool) map[graph.NodeID]bool {
	seen := map[graph.NodeID]bool{}
	var stack []graph.NodeID
	for _, r := range starts {
		if !seen[r] {
			seen[r] = true
			stack = append(stack, r)
		}
	}
	for len(stack) > 0 {
		n := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		for _, e := range g.Edges(n) {
			if !seen[e.To] && follow(e.Kinds) {
				seen[e.To] = true
				stack = append(stack, e.To)
			}
		}
	}
	return seen
}
