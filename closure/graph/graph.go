// Package graph is whittle's dependency graph and the questions asked of
// it, free of I/O: nodes (Nix store paths, packages, files) with their own
// sizes, typed edges, roots; self, closure and added sizes (as nix-tree
// defines them, the added size exact from the dominator tree), referrers,
// why-chains from the roots, and what no root reaches.
package graph

import (
	"fmt"
	"slices"
	"sort"
	"strings"
	"sync"
)

// Kind is what a node stands for.
type Kind uint8

// Node kinds.
const (
	// StorePath is a Nix store path.
	StorePath Kind = iota + 1
	// Package is an installed dpkg or apk package.
	Package
	// File is a file (or directory or symlink) of the image.
	File
)

var kindNames = map[Kind]string{StorePath: "store-path", Package: "package", File: "file"}

// String returns the kind's name: "store-path", "package" or "file".
func (k Kind) String() string {
	if s, ok := kindNames[k]; ok {
		return s
	}
	return fmt.Sprintf("kind(%d)", uint8(k))
}

// EdgeKind is a set of reasons one node needs another; an edge between two
// nodes carries every reason found for it.
type EdgeKind uint16

// Edge kinds.
const (
	// NixReference: a store path's contents name another's hash part.
	NixReference EdgeKind = 1 << iota
	// ELFNeeded: an ELF object's DT_NEEDED resolves to the library.
	ELFNeeded
	// ELFInterpreter: an ELF executable's PT_INTERP.
	ELFInterpreter
	// Shebang: a script's #! interpreter (or the command env runs).
	Shebang
	// Symlink: a symlink's target.
	Symlink
	// PackageDepends: a package's Depends/Pre-Depends (dpkg) or D: (apk).
	PackageDepends
	// Owns: a package or store path holds the file.
	Owns
	// Runtime: a program opens the file or directory at run time, by a
	// rule of the closure/runtime table (the rule names itself).
	Runtime
	// Contains: a directory a program opens holds the file.
	Contains
	// Runs: a shell script runs the program (or sources the file).
	Runs
	// Named: the file's contents name the path (a configuration file, a
	// script, an ELF object's strings).
	Named
	// Imports: a program loads the module by name through its
	// interpreter's search path (Python import, Node require/import,
	// Perl use/require), or the module needs the rest of its
	// distribution or package.
	Imports
	// Traced: a command run under the file-access tracer (a plan's
	// learn:) touched the path.
	Traced

	// LastKind is the highest kind; kinds run from NixReference to it.
	LastKind = Traced
)

var edgeKindNames = []string{"nix-reference", "elf-needed", "elf-interpreter", "shebang", "symlink", "package-depends", "owns", "runtime", "contains", "runs", "named", "imports", "traced"}

// String returns the names of the kinds in the set joined by "|", such as
// "elf-needed|symlink".
func (k EdgeKind) String() string {
	var parts []string
	for i, name := range edgeKindNames {
		if k&(1<<i) != 0 {
			parts = append(parts, name)
		}
	}
	if rest := k &^ (1<<len(edgeKindNames) - 1); rest != 0 {
		parts = append(parts, fmt.Sprintf("0x%x", uint16(rest)))
	}
	return strings.Join(parts, "|")
}

// Has reports whether k holds every kind of o.
func (k EdgeKind) Has(o EdgeKind) bool { return k&o == o }

// NodeID identifies a node of one Graph.
type NodeID int32

// Node is one node.
type Node struct {
	Kind Kind
	// Name is the node's identity within its kind: the store path, the
	// package's name ("bash", or "libc6:amd64"), the file's path.
	Name string
	// Size is the node's self size: the bytes it holds by itself.
	Size int64
	// Files are the image paths the node owns (a package's or a store
	// path's files), when the builder records them.
	Files []string
}

// Edge is a directed edge: From needs To, for the reasons in Kinds.
type Edge struct {
	From, To NodeID
	Kinds    EdgeKind
}

// Graph is a dependency graph under construction. It is not safe for
// concurrent mutation; Analyze takes a snapshot that is.
type Graph struct {
	nodes []Node
	// byKey indexes nodes by kind, then name (a map keyed by the string
	// alone hashes faster); hubEdges the edges between hubs (see
	// findEdge). A decoded graph builds them on first use (indexOnce).
	byKey     *[File + 1]map[string]NodeID
	edges     []Edge
	hubEdges  map[uint64]int32
	indexOnce sync.Once
	out       [][]int32 // edge indices by From
	in        [][]int32 // edge indices by To
	roots     []NodeID
	isRoot    []bool
	oneFile   []string // the rest of the block AddFiles cuts one-file lists from
	oneEdge   []int32  // the rest of the block appendEdge cuts one-edge lists from
}

// New returns an empty graph.
func New() *Graph {
	return &Graph{byKey: newKeys(0), hubEdges: map[uint64]int32{}}
}

// newKeys returns an empty node index with room for n file nodes.
func newKeys(n int) *[File + 1]map[string]NodeID {
	return &[File + 1]map[string]NodeID{StorePath: {}, Package: {}, File: make(map[string]NodeID, n)}
}

// Node returns the node of that kind and name, adding it (with size 0)
// when it is new.
func (g *Graph) Node(kind Kind, name string) NodeID {
	g.index()
	if id, ok := g.byKey[kind][name]; ok {
		return id
	}
	id := NodeID(len(g.nodes))
	g.nodes = append(g.nodes, Node{Kind: kind, Name: name})
	g.out = append(g.out, nil)
	g.in = append(g.in, nil)
	g.isRoot = append(g.isRoot, false)
	g.byKey[kind][name] = id
	return id
}

// NewNode is Node for a node the caller expects to be new (a path met
// once in a walk of the image): one map operation, not two. Should the
// node exist after all, it is found (by a scan of every node: the caller
// was wrong, and pays for it) and returned unchanged, as Node would.
func (g *Graph) NewNode(kind Kind, name string) NodeID {
	g.index()
	m := g.byKey[kind]
	before := len(m)
	id := NodeID(len(g.nodes))
	m[name] = id
	if len(m) == before {
		for i := range g.nodes {
			if g.nodes[i].Kind == kind && g.nodes[i].Name == name {
				m[name] = NodeID(i)
				return NodeID(i)
			}
		}
	}
	g.nodes = append(g.nodes, Node{Kind: kind, Name: name})
	g.out = append(g.out, nil)
	g.in = append(g.in, nil)
	g.isRoot = append(g.isRoot, false)
	return id
}

// Grow makes room for n more nodes, so that adding them (Node) does not
// grow the graph's tables again and again.
func (g *Graph) Grow(n int) {
	g.index()
	if n <= 0 {
		return
	}
	g.nodes = slices.Grow(g.nodes, n)
	g.out = slices.Grow(g.out, n)
	g.in = slices.Grow(g.in, n)
	g.isRoot = slices.Grow(g.isRoot, n)
	if len(g.byKey[File]) == 0 {
		g.byKey[File] = make(map[string]NodeID, n)
	}
}

// index builds the node and edge indexes of a graph made without them
// (Decode), once; it is safe to call from many goroutines reading the
// graph.
func (g *Graph) index() {
	g.indexOnce.Do(func() {
		if g.byKey != nil {
			return
		}
		g.byKey = newKeys(len(g.nodes))
		for i, nd := range g.nodes {
			g.byKey[nd.Kind][nd.Name] = NodeID(i)
		}
		g.hubEdges = map[uint64]int32{}
		for i, e := range g.edges {
			if g.isHubEdge(e.From, e.To) {
				g.hubEdges[edgeKey(e.From, e.To)] = int32(i)
			}
		}
	})
}

// Lookup returns the node of that kind and name, if there is one.
func (g *Graph) Lookup(kind Kind, name string) (NodeID, bool) {
	g.index()
	if kind > File {
		return 0, false
	}
	id, ok := g.byKey[kind][name]
	return id, ok
}

// SetSize sets a node's self size.
func (g *Graph) SetSize(id NodeID, size int64) { g.nodes[id].Size = size }

// AddSize adds bytes to a node's self size.
func (g *Graph) AddSize(id NodeID, bytes int64) { g.nodes[id].Size += bytes }

// AddFiles records files the node owns.
func (g *Graph) AddFiles(id NodeID, files ...string) {
	if len(files) == 1 && g.nodes[id].Files == nil {
		// Most nodes own one file (a file node's own path): their lists
		// are cut from a shared block, not allocated one by one.
		if len(g.oneFile) == 0 {
			g.oneFile = make([]string, 4096)
		}
		g.oneFile[0] = files[0]
		g.nodes[id].Files, g.oneFile = g.oneFile[:1:1], g.oneFile[1:]
		return
	}
	g.nodes[id].Files = append(g.nodes[id].Files, files...)
}

// Get returns a node.
func (g *Graph) Get(id NodeID) Node { return g.nodes[id] }

// Len returns the number of nodes; their IDs are 0 to Len()-1.
func (g *Graph) Len() int { return len(g.nodes) }

// AddEdge records that from needs to, for the reasons in kind; the kinds of
// repeated edges between the same two nodes accumulate on one edge.
func (g *Graph) AddEdge(from, to NodeID, kind EdgeKind) {
	g.index()
	if i, ok := g.findEdge(from, to); ok {
		g.edges[i].Kinds |= kind
		return
	}
	i := int32(len(g.edges))
	g.edges = append(g.edges, Edge{From: from, To: to, Kinds: kind})
	g.out[from] = g.appendEdge(g.out[from], i)
	g.in[to] = g.appendEdge(g.in[to], i)
	// Keep hubEdges holding every edge between two hubs: this one, and
	// when a node has just become a hub, its edges to or from hubs.
	if g.isHubEdge(from, to) {
		g.hubEdges[edgeKey(from, to)] = i
	}
	if len(g.out[from]) == hubDegree {
		for _, j := range g.out[from] {
			if e := g.edges[j]; g.isHubEdge(e.From, e.To) {
				g.hubEdges[edgeKey(e.From, e.To)] = j
			}
		}
	}
	if len(g.in[to]) == hubDegree {
		for _, j := range g.in[to] {
			if e := g.edges[j]; g.isHubEdge(e.From, e.To) {
				g.hubEdges[edgeKey(e.From, e.To)] = j
			}
		}
	}
}

// hubDegree is the number of edges out of a node, or into it, from which
// it is a hub that way: its edges are no longer found by scanning its
// list.
const hubDegree = 32

// isHubEdge reports whether an edge from from to to joins a node that is
// a hub of its outgoing edges to one that is a hub of its incoming ones.
func (g *Graph) isHubEdge(from, to NodeID) bool {
	return len(g.out[from]) >= hubDegree && len(g.in[to]) >= hubDegree
}

func edgeKey(from, to NodeID) uint64 { return uint64(uint32(from))<<32 | uint64(uint32(to)) }

// findEdge returns the index of the edge from from to to. It scans the
// shorter of from's outgoing and to's incoming lists when one is under
// hubDegree long, and looks the edge up in hubEdges otherwise: a graph of
// a few hundred thousand files (a directory kept whole holds an edge to
// each) keeps no map of every edge, and no node's list is scanned long.
func (g *Graph) findEdge(from, to NodeID) (int32, bool) {
	out, in := g.out[from], g.in[to]
	switch {
	case len(out) < hubDegree && len(out) <= len(in):
		for _, i := range out {
			if g.edges[i].To == to {
				return i, true
			}
		}
		return 0, false
	case len(in) < hubDegree:
		for _, i := range in {
			if g.edges[i].From == from {
				return i, true
			}
		}
		return 0, false
	}
	i, ok := g.hubEdges[edgeKey(from, to)]
	return i, ok
}

// appendEdge appends edge index i to a node's list; a node's first edge
// goes in a list cut from a shared block (most nodes have one edge each
// way), not one allocated for it.
func (g *Graph) appendEdge(list []int32, i int32) []int32 {
	if list != nil {
		return append(list, i)
	}
	if len(g.oneEdge) == 0 {
		g.oneEdge = make([]int32, 4096)
	}
	g.oneEdge[0] = i
	list, g.oneEdge = g.oneEdge[:1:1], g.oneEdge[1:]
	return list
}

// EdgeKinds returns the reasons from needs to (0 when it does not).
func (g *Graph) EdgeKinds(from, to NodeID) EdgeKind {
	g.index()
	if i, ok := g.findEdge(from, to); ok {
		return g.edges[i].Kinds
	}
	return 0
}

// NumEdges returns the number of distinct (from, to) edges.
func (g *Graph) NumEdges() int { return len(g.edges) }

// AddRoot marks a node as a root: something the image's user runs or
// keeps, from which everything needed is reached.
func (g *Graph) AddRoot(id NodeID) {
	if !g.isRoot[id] {
		g.isRoot[id] = true
		g.roots = append(g.roots, id)
	}
}

// Roots returns the roots in the order they were added.
func (g *Graph) Roots() []NodeID { return append([]NodeID(nil), g.roots...) }

// IsRoot reports whether the node is a root.
func (g *Graph) IsRoot(id NodeID) bool { return g.isRoot[id] }

// Edges returns the node's outgoing edges (what it needs), in the order
// they were added.
func (g *Graph) Edges(id NodeID) []Edge {
	out := make([]Edge, len(g.out[id]))
	for i, e := range g.out[id] {
		out[i] = g.edges[e]
	}
	return out
}

// Referrers returns the node's incoming edges (what needs it), sorted by
// the referrer's ID.
func (g *Graph) Referrers(id NodeID) []Edge {
	out := make([]Edge, len(g.in[id]))
	for i, e := range g.in[id] {
		out[i] = g.edges[e]
	}
	sort.Slice(out, func(i, j int) bool { return out[i].From < out[j].From })
	return out
}
