package closure

import (
	"fmt"

	"github.com/whittle-dev/whittle/closure/graph"
)

// Granularity is what one node of the graph stands for.
type Granularity string

const (
	// Files: every file of the image is a node, and a file needs what it
	// executes and loads (ELF interpreter and libraries, #! interpreters,
	// symlink targets, the run-time payload) and the Nix store paths it
	// names (the subpath named, else the whole store path: nixfiles.go).
	// Packages and store paths group files: a node of theirs owns its
	// files and is reached when named as a root, or, for a store path,
	// when needed whole. This is what a trim keeps.
	Files Granularity = "files"
	// Packages: a node is a package or a store path (a file of neither is
	// a node of its own), linked also by package dependencies and Nix
	// references: what the package manager would keep.
	Packages Granularity = "packages"
)

// ParseGranularity reads "files" or "packages".
func ParseGranularity(s string) (Granularity, error) {
	switch Granularity(s) {
	case Files, Packages:
		return Granularity(s), nil
	}
	return "", fmt.Errorf("closure granularity %q: want files or packages", s)
}

func (g Granularity) orDefault() Granularity {
	if g == "" {
		return Files
	}
	return g
}

// fileNode returns the node a file of owner id is, by granularity: the
// owner itself (packages), else a file node of its own that the owner
// holds (files).
func (b *builder) fileNode(id graph.NodeID, p string) graph.NodeID {
	if b.c.Granularity != Files || b.g.Get(id).Kind == graph.File {
		return id
	}
	f := b.g.Node(graph.File, p)
	b.c.group[f] = id
	b.g.AddEdge(id, f, graph.Owns)
	return f
}

// Group returns the package or store path that holds a file node in files
// granularity; false otherwise (a loose file, or packages granularity).
func (c *Closure) Group(id graph.NodeID) (graph.NodeID, bool) {
	g, ok := c.group[id]
	return g, ok
}

// whyTarget is what --why explains for a node: itself, or, for a package
// or store path that is no root in files granularity (it only groups its
// files), its reachable file nearest to a root.
func (c *Closure) whyTarget(id graph.NodeID) graph.NodeID {
	if c.Granularity != Files || c.Analysis.Reachable(id) || c.Graph.Get(id).Kind == graph.File {
		return id
	}
	best, bestDist := id, -1
	for _, e := range c.Graph.Edges(id) {
		if d := c.Analysis.Distance(e.To); e.Kinds.Has(graph.Owns) && d >= 0 && (bestDist < 0 || d < bestDist) {
			best, bestDist = e.To, d
		}
	}
	return best
}
