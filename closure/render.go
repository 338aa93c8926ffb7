package closure

import (
	"fmt"
	"io"
	"path"
	"sort"
	"strings"

	"github.com/dustin/go-humanize"

	"github.com/whittle-dev/whittle/closure/graph"
	"github.com/whittle-dev/whittle/closure/nixref"
)

// GraphSchema names the JSON schema of Report (docs/graph-json.md).
const GraphSchema = "whittle.graph/v1"

// Definitions says what the sizes mean, in every report.
const Definitions = "self: the bytes of the node's own files; closure: self plus everything it needs, transitively; " +
	"added: the bytes that would leave the image if this node went away (what it alone keeps), as nix-tree defines them"

// Report is the JSON form of a closure.
type Report struct {
	Schema        string       `json:"schema"`
	Reference     string       `json:"reference"`
	Definitions   string       `json:"definitions"`
	Totals        ReportTotals `json:"totals"`
	Roots         []ReportRoot `json:"roots"`
	Nodes         []ReportNode `json:"nodes"`
	Unreachable   []int        `json:"unreachable"`
	Problems      []Problem    `json:"problems"`
	NixMismatches []string     `json:"nix_mismatches"`
	Why           *ReportWhy   `json:"why,omitempty"`
}

// ReportTotals sums the graph up.
type ReportTotals struct {
	Nodes            int   `json:"nodes"`
	Edges            int   `json:"edges"`
	Bytes            int64 `json:"bytes"`
	ReachableBytes   int64 `json:"reachable_bytes"`
	UnreachableBytes int64 `json:"unreachable_bytes"`
	// DynamicCommands counts the dynamic-command findings: commands
	// reachable scripts choose at run time, which the graph cannot follow.
	DynamicCommands int `json:"dynamic_commands"`
}

// ReportRoot is one root.
type ReportRoot struct {
	Node   int    `json:"node"`
	Spec   string `json:"spec"`
	Path   string `json:"path,omitempty"`
	Source string `json:"source"`
}

// ReportNode is one node with its sizes and outgoing edges.
type ReportNode struct {
	ID        int          `json:"id"`
	Kind      string       `json:"kind"`
	Name      string       `json:"name"`
	Self      int64        `json:"self_bytes"`
	Closure   int64        `json:"closure_bytes"`
	Added     int64        `json:"added_bytes"`
	NarSize   int64        `json:"nar_bytes,omitempty"`
	Reachable bool         `json:"reachable"`
	Files     int          `json:"files"`
	Edges     []ReportEdge `json:"edges"`
}

// ReportEdge is one edge: the node needed and why.
type ReportEdge struct {
	To    int      `json:"to"`
	Kinds []string `json:"kinds"`
}

// ReportWhy answers --why: chains from a root to the target, shortest
// first; each step names the node and the reasons it needs the next.
type ReportWhy struct {
	Target []int         `json:"target"`
	Chains [][]ReportHop `json:"chains"`
}

// ReportHop is one node of a chain; Kinds are why it needs the next node
// (empty on the last).
type ReportHop struct {
	Node  int      `json:"node"`
	Kinds []string `json:"kinds,omitempty"`
	// Explain says what the edge to the next node stands for, when known
	// ("SCRIPT line N runs NAME → PATH").
	Explain []string `json:"explain,omitempty"`
}

// NewReport builds the JSON form. why, when set, holds --why's targets.
func (c *Closure) NewReport(ref string, why []graph.NodeID, maxChains, maxLen int) *Report {
	g, a := c.Graph, c.Analysis
	r := &Report{
		Schema: GraphSchema, Reference: ref, Definitions: Definitions,
		Roots: []ReportRoot{}, Nodes: []ReportNode{}, Unreachable: []int{},
		Problems: c.Problems, NixMismatches: c.NixMismatches,
	}
	if r.Problems == nil {
		r.Problems = []Problem{}
	}
	if r.NixMismatches == nil {
		r.NixMismatches = []string{}
	}
	r.Totals = ReportTotals{
		Nodes: g.Len(), Edges: g.NumEdges(), Bytes: a.TotalSize() + a.UnreachableSize(),
		ReachableBytes: a.TotalSize(), UnreachableBytes: a.UnreachableSize(),
		DynamicCommands: c.DynamicCommands(),
	}
	for _, root := range c.Roots {
		r.Roots = append(r.Roots, ReportRoot{Node: int(root.Node), Spec: root.Spec, Path: root.Path, Source: root.Source})
	}
	for i := 0; i < g.Len(); i++ {
		id := graph.NodeID(i)
		n := g.Get(id)
		rn := ReportNode{
			ID: i, Kind: n.Kind.String(), Name: n.Name, Self: a.SelfSize(id), Closure: a.ClosureSize(id),
			Added: a.AddedSize(id), NarSize: c.NarSize[id], Reachable: a.Reachable(id), Files: len(n.Files), Edges: []ReportEdge{},
		}
		for _, e := range g.Edges(id) {
			rn.Edges = append(rn.Edges, ReportEdge{To: int(e.To), Kinds: kindNames(e.Kinds)})
		}
		r.Nodes = append(r.Nodes, rn)
	}
	for _, id := range c.unreachableBySize() {
		r.Unreachable = append(r.Unreachable, int(id))
	}
	if why != nil {
		r.Why = &ReportWhy{Chains: [][]ReportHop{}}
		for _, t := range why {
			r.Why.Target = append(r.Why.Target, int(t))
			for _, ch := range a.Why(t, maxChains, maxLen) {
				var hops []ReportHop
				for i, n := range ch.Nodes {
					h := ReportHop{Node: int(n)}
					if i < len(ch.Kinds) {
						h.Kinds = kindNames(ch.Kinds[i])
						h.Explain = c.Explain(n, ch.Nodes[i+1])
					}
					hops = append(hops, h)
				}
				r.Why.Chains = append(r.Why.Chains, hops)
			}
		}
	}
	return r
}

func kindNames(k graph.EdgeKind) []string {
	var out []string
	for bit := graph.NixReference; bit <= graph.Runs; bit <<= 1 {
		if k.Has(bit) {
			out = append(out, bit.String())
		}
	}
	return out
}

// unreachableBySize returns the unreachable nodes, largest first.
func (c *Closure) unreachableBySize() []graph.NodeID {
	ids := c.Analysis.Unreachable()
	sort.SliceStable(ids, func(i, j int) bool {
		si, sj := c.Analysis.SelfSize(ids[i]), c.Analysis.SelfSize(ids[j])
		if si != sj {
			return si > sj
		}
		return c.Graph.Get(ids[i]).Name < c.Graph.Get(ids[j]).Name
	})
	return ids
}

// DisplayName is how text output names a node: a store path by the name
// after its hash, a package by its ID, a file by its path.
func (c *Closure) DisplayName(id graph.NodeID) string {
	n := c.Graph.Get(id)
	if n.Kind == graph.StorePath {
		if sp, err := nixref.ParseBase(path.Base(n.Name)); err == nil {
			return sp.Name
		}
	}
	return n.Name
}

func size(n int64) string { return humanize.Bytes(uint64(n)) }

// TreeOptions tune WriteTree.
type TreeOptions struct {
	// Depth bounds the levels below the roots (0: no bound).
	Depth int
	// Unreachable appends the nodes no root needs.
	Unreachable bool
}

// WriteTree prints the closure as an indented tree from each root,
// children sorted by closure size; a node already printed is shown again
// as a one-line reference.
func (c *Closure) WriteTree(w io.Writer, ref string, opts TreeOptions) error {
	g, a := c.Graph, c.Analysis
	p := &errWriter{w: w}
	p.printf("# %s — %d nodes, %d edges; %s in the graph, %s needed by the roots, %s unreachable; %d dynamic commands\n",
		ref, g.Len(), g.NumEdges(), size(a.TotalSize()+a.UnreachableSize()), size(a.TotalSize()), size(a.UnreachableSize()), c.DynamicCommands())
	p.printf("# %s\n", Definitions)
	shown := map[graph.NodeID]bool{}
	var walk func(id graph.NodeID, prefix string, last bool, depth int, kinds graph.EdgeKind, top bool)
	walk = func(id graph.NodeID, prefix string, last bool, depth int, kinds graph.EdgeKind, top bool) {
		branch, next := "├── ", "│   "
		if last {
			branch, next = "└── ", "    "
		}
		if top {
			branch, next = "", ""
		}
		via := ""
		if kinds != 0 {
			via = " [" + strings.Join(kindNames(kinds), ",") + "]"
		}
		line := fmt.Sprintf("%s%s%s (%s)%s", prefix, branch, c.DisplayName(id), g.Get(id).Kind, via)
		if shown[id] {
			p.printf("%s  … shown above\n", line)
			return
		}
		shown[id] = true
		p.printf("%-80s closure %8s  added %8s  self %8s\n", line, size(a.ClosureSize(id)), size(a.AddedSize(id)), size(a.SelfSize(id)))
		if opts.Depth > 0 && depth >= opts.Depth {
			if len(g.Edges(id)) > 0 {
				p.printf("%s… needs %d more (--depth)\n", prefix+next, len(g.Edges(id)))
			}
			return
		}
		edges := g.Edges(id)
		sort.SliceStable(edges, func(i, j int) bool {
			ci, cj := a.ClosureSize(edges[i].To), a.ClosureSize(edges[j].To)
			if ci != cj {
				return ci > cj
			}
			return c.DisplayName(edges[i].To) < c.DisplayName(edges[j].To)
		})
		for i, e := range edges {
			walk(e.To, prefix+next, i == len(edges)-1, depth+1, e.Kinds, false)
		}
	}
	for _, r := range c.Roots {
		p.printf("\nroot %s (%s %q)\n", r.Spec, r.Source, r.Path)
		walk(r.Node, "", true, 0, 0, true)
	}
	if opts.Unreachable {
		c.writeUnreachable(p)
	}
	c.writeProblems(p)
	return p.err
}

func (c *Closure) writeUnreachable(p *errWriter) {
	ids := c.unreachableBySize()
	p.printf("\nunreachable: %d nodes, %s that no root needs\n", len(ids), size(c.Analysis.UnreachableSize()))
	for _, id := range ids {
		p.printf("  %8s  %s (%s)\n", size(c.Analysis.SelfSize(id)), c.DisplayName(id), c.Graph.Get(id).Kind)
	}
}

func (c *Closure) writeProblems(p *errWriter) {
	if len(c.Problems) == 0 && len(c.NixMismatches) == 0 {
		return
	}
	p.printf("\nproblems: %d\n", len(c.Problems)+len(c.NixMismatches))
	for _, pr := range c.Problems {
		where := ""
		if pr.Path() != "" {
			where = pr.Path() + ": "
		}
		p.printf("  %-8s %-20s %s%s\n", pr.Severity, pr.Name(), where, pr.Message)
	}
	for _, m := range c.NixMismatches {
		p.printf("  %-20s %s\n", "nix", m)
	}
}

// WriteUnreachable prints only the unreachable set.
func (c *Closure) WriteUnreachable(w io.Writer) error {
	p := &errWriter{w: w}
	c.writeUnreachable(p)
	return p.err
}

// WriteWhy prints the chains from a root to each target, shortest first.
func (c *Closure) WriteWhy(w io.Writer, targets []graph.NodeID, maxChains, maxLen int) error {
	p := &errWriter{w: w}
	for _, t := range targets {
		chains := c.Analysis.Why(t, maxChains, maxLen)
		p.printf("why %s (%s): closure %s, added %s\n", c.DisplayName(t), c.Graph.Get(t).Kind, size(c.Analysis.ClosureSize(t)), size(c.Analysis.AddedSize(t)))
		if len(chains) == 0 {
			p.printf("  no root needs it: it is unreachable (%s)\n", size(c.Analysis.SelfSize(t)))
			continue
		}
		for _, ch := range chains {
			var parts []string
			for i, n := range ch.Nodes {
				s := c.DisplayName(n)
				if i < len(ch.Kinds) {
					s += " -[" + strings.Join(kindNames(ch.Kinds[i]), ",") + "]->"
				}
				parts = append(parts, s)
			}
			p.printf("  %s\n", strings.Join(parts, " "))
			for i := range ch.Kinds {
				for _, e := range c.Explain(ch.Nodes[i], ch.Nodes[i+1]) {
					p.printf("      %s\n", e)
				}
			}
		}
	}
	return p.err
}

// WriteDOT prints the graph in Graphviz's language, as `nix-store -q
// --graph` does: the nodes the roots need (all nodes with all set), labelled
// with their sizes, and edges labelled with their kinds.
func (c *Closure) WriteDOT(w io.Writer, all bool) error {
	g, a := c.Graph, c.Analysis
	p := &errWriter{w: w}
	p.printf("digraph whittle {\n  rankdir=LR;\n  node [shape=box, fontname=\"monospace\"];\n")
	include := func(id graph.NodeID) bool { return all || a.Reachable(id) }
	for i := 0; i < g.Len(); i++ {
		id := graph.NodeID(i)
		if !include(id) {
			continue
		}
		attrs := ""
		if g.IsRoot(id) {
			attrs = ", style=bold"
		}
		p.printf("  n%d [label=%q%s];\n", i, fmt.Sprintf("%s\nself %s, added %s", c.DisplayName(id), size(a.SelfSize(id)), size(a.AddedSize(id))), attrs)
	}
	for i := 0; i < g.Len(); i++ {
		id := graph.NodeID(i)
		if !include(id) {
			continue
		}
		for _, e := range g.Edges(id) {
			if include(e.To) {
				p.printf("  n%d -> n%d [label=%q];\n", i, e.To, strings.Join(kindNames(e.Kinds), ","))
			}
		}
	}
	p.printf("}\n")
	return p.err
}

type errWriter struct {
	w   io.Writer
	err error
}

func (p *errWriter) printf(format string, args ...any) {
	if p.err == nil {
		_, p.err = fmt.Fprintf(p.w, format, args...)
	}
}
