package closure

import (
	"fmt"
	"io"
	"path"
	"sort"
	"strings"

	"github.com/dustin/go-humanize"

	"github.com/whittle-dev/whittle/closure/graph"
	"github.com/whittle-dev/whittle/internal/nixref"
	"github.com/whittle-dev/whittle/internal/text"
)

// GraphSchema names the JSON schema of Report (docs/graph-json.md).
const GraphSchema = "whittle.graph/v1"

// Definitions says what the sizes mean, in every report.
const Definitions = "self: the bytes of the node's own files; closure: self plus everything it needs, transitively; " +
	"added: the bytes that would leave the image if this node went away (what it alone keeps), as nix-tree defines them"

// Report is the JSON form of a closure.
type Report struct {
	Schema    string `json:"schema"`
	Reference string `json:"reference"`
	// Closure is the granularity: "files" or "packages".
	Closure       string       `json:"closure"`
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
	// DynamicImports counts the dynamic-import findings: modules
	// reachable programs name at run time, which the graph cannot follow.
	DynamicImports int `json:"dynamic_imports"`
}

// ReportRoot is one root. Like every name in the report, Spec and Path
// are text.JSONString's form: the name itself when it is valid UTF-8,
// escaped otherwise, with the raw bytes in the _bytes sibling
// (docs/graph-json.md).
type ReportRoot struct {
	Node      int    `json:"node"`
	Spec      string `json:"spec"`
	SpecBytes []byte `json:"spec_bytes,omitempty"`
	Path      string `json:"path,omitempty"`
	PathBytes []byte `json:"path_bytes,omitempty"`
	Source    string `json:"source"`
	// Reason says why the runtime implies the root (app-dir, etc roots).
	Reason string `json:"reason,omitempty"`

	// Named and Links say how Path was found when symlinks lay on the way.
	Named string   `json:"named,omitempty"`
	Links []string `json:"links,omitempty"`
}

// ReportNode is one node with its sizes and outgoing edges.
type ReportNode struct {
	ID        int    `json:"id"`
	Kind      string `json:"kind"`
	Name      string `json:"name"`
	NameBytes []byte `json:"name_bytes,omitempty"` // Name's raw bytes when not valid UTF-8
	Self      int64  `json:"self_bytes"`
	Closure   int64  `json:"closure_bytes"`
	Added     int64  `json:"added_bytes"`
	NarSize   int64  `json:"nar_bytes,omitempty"`
	Reachable bool   `json:"reachable"`
	Files     int    `json:"files"`
	// Group is, in files granularity, the node of the package or store
	// path holding the file.
	Group *int         `json:"group,omitempty"`
	Edges []ReportEdge `json:"edges"`
}

// ReportEdge is one edge: the node needed and why.
type ReportEdge struct {
	To    int      `json:"to"`
	Kinds []string `json:"kinds"`
	// Rules name the run-time rules behind a runtime edge.
	Rules []string `json:"rules,omitempty"`
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
	// Rules name the run-time rules behind the step to the next node.
	Rules []string `json:"rules,omitempty"`
	// Explain says what the edge to the next node stands for, when known
	// ("SCRIPT line N runs NAME → PATH").
	Explain []string `json:"explain,omitempty"`
}

// NewReport builds the JSON form. why, when set, holds --why's targets.
func (c *Closure) NewReport(ref string, why []graph.NodeID, maxChains, maxLen int) *Report {
	g, a := c.Graph, c.Analysis
	r := &Report{
		Schema: GraphSchema, Reference: ref, Closure: string(c.Granularity), Definitions: Definitions,
		Roots: []ReportRoot{}, Nodes: []ReportNode{}, Unreachable: []int{},
		Problems: c.Problems, NixMismatches: text.JSONStrings(c.NixMismatches),
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
		DynamicCommands: c.DynamicCommands(), DynamicImports: c.DynamicImports(),
	}
	for _, root := range c.Roots {
		rr := ReportRoot{Node: int(root.Node),
			Spec: text.JSONString(root.Spec), SpecBytes: text.NonUTF8(root.Spec),
			Path: text.JSONString(root.Path), PathBytes: text.NonUTF8(root.Path), Source: root.Source, Reason: root.Reason}
		if root.Named != root.Path {
			rr.Named, rr.Links = text.JSONString(root.Named), text.JSONStrings(root.Links)
		}
		r.Roots = append(r.Roots, rr)
	}
	for i := 0; i < g.Len(); i++ {
		id := graph.NodeID(i)
		n := g.Get(id)
		rn := ReportNode{
			ID: i, Kind: n.Kind.String(), Name: text.JSONString(n.Name), NameBytes: text.NonUTF8(n.Name), Self: a.SelfSize(id), Closure: a.ClosureSize(id),
			Added: a.AddedSize(id), NarSize: c.NarSize[id], Reachable: a.Reachable(id), Files: len(n.Files), Edges: []ReportEdge{},
		}
		if grp, ok := c.Group(id); ok {
			gi := int(grp)
			rn.Group = &gi
		}
		for _, e := range g.Edges(id) {
			rn.Edges = append(rn.Edges, ReportEdge{To: int(e.To), Kinds: kindNames(e.Kinds), Rules: c.ruleNames(id, e.To)})
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
			for _, ch := range a.Why(c.whyTarget(t), maxChains, maxLen) {
				var hops []ReportHop
				for i, n := range ch.Nodes {
					h := ReportHop{Node: int(n)}
					if i < len(ch.Kinds) {
						h.Kinds = kindNames(ch.Kinds[i])
						h.Rules = c.ruleNames(n, ch.Nodes[i+1])
						h.Explain = text.JSONStrings(c.Explain(n, ch.Nodes[i+1]))
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
	for bit := graph.NixReference; bit <= graph.LastKind; bit <<= 1 {
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

// Every text form below (tree, why, unreachable, problems, DOT) escapes
// the names and messages that came from the image with text.Escape, so
// none can hold a control byte or break a line.

// WriteTree prints the closure as an indented tree from each root,
// children sorted by closure size; a node already printed is shown again
// as a one-line reference.
func (c *Closure) WriteTree(w io.Writer, ref string, opts TreeOptions) error {
	g, a := c.Graph, c.Analysis
	p := &errWriter{w: w}
	p.printf("# %s — closure of %s; %d nodes, %d edges; %s in the graph, %s needed by the roots, %s unreachable; %d dynamic commands\n",
		text.Escape(ref), c.Granularity, g.Len(), g.NumEdges(), size(a.TotalSize()+a.UnreachableSize()), size(a.TotalSize()), size(a.UnreachableSize()), c.DynamicCommands())
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
		line := fmt.Sprintf("%s%s%s (%s)%s", prefix, branch, text.Escape(c.DisplayName(id)), g.Get(id).Kind, via)
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
		p.printf("\nroot %s (%s \"%s\")\n", text.Escape(r.Spec), r.Source, text.Escape(r.Resolution()))
		if r.Reason != "" {
			p.printf("# %s\n", r.Reason)
		}
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
		p.printf("  %8s  %s (%s)\n", size(c.Analysis.SelfSize(id)), text.Escape(c.DisplayName(id)), c.Graph.Get(id).Kind)
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
			where = text.Escape(pr.Path()) + ": "
		}
		p.printf("  %-8s %-20s %s%s\n", pr.Severity, text.Escape(pr.Name()), where, text.Escape(pr.Message))
	}
	for _, m := range c.NixMismatches {
		p.printf("  %-20s %s\n", "nix", text.Escape(m))
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
		via := c.whyTarget(t)
		chains := c.Analysis.Why(via, maxChains, maxLen)
		p.printf("why %s (%s): closure %s, added %s; closure of %s\n", text.Escape(c.DisplayName(t)), c.Graph.Get(t).Kind, size(c.Analysis.ClosureSize(t)), size(c.Analysis.AddedSize(t)), c.Granularity)
		if via != t {
			p.printf("  needed through its file %s\n", text.Escape(c.DisplayName(via)))
		}
		if len(chains) == 0 {
			p.printf("  no root needs it: it is unreachable (%s)\n", size(c.Analysis.SelfSize(t)))
			continue
		}
		for _, ch := range chains {
			var parts []string
			for i, n := range ch.Nodes {
				s := text.Escape(c.DisplayName(n))
				if i < len(ch.Kinds) {
					s += " -[" + strings.Join(kindNames(ch.Kinds[i]), ",") + "]->"
				}
				parts = append(parts, s)
			}
			p.printf("  %s\n", strings.Join(parts, " "))
			if why := c.rootReason(ch.Nodes[0]); why != "" {
				p.printf("    root: %s\n", why)
			}
			for _, line := range c.ruleLines(ch.Nodes) {
				p.printf("    %s\n", text.Escape(line))
			}
			for i := range ch.Kinds {
				for _, e := range c.Explain(ch.Nodes[i], ch.Nodes[i+1]) {
					p.printf("      %s\n", text.Escape(e))
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
		p.printf("  n%d [label=%s%s];\n", i, text.DOT(c.DisplayName(id), fmt.Sprintf("self %s, added %s", size(a.SelfSize(id)), size(a.AddedSize(id)))), attrs)
	}
	for i := 0; i < g.Len(); i++ {
		id := graph.NodeID(i)
		if !include(id) {
			continue
		}
		for _, e := range g.Edges(id) {
			if include(e.To) {
				p.printf("  n%d -> n%d [label=%s];\n", i, e.To, text.DOT(strings.Join(kindNames(e.Kinds), ",")))
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

// rootReason says why the runtime implies the root id ("" for a root the
// config or the user names, or no root).
func (c *Closure) rootReason(id graph.NodeID) string {
	for _, r := range c.Roots {
		if r.Node == id && r.Reason != "" {
			return text.Escape(r.Spec) + " " + r.Reason
		}
	}
	return ""
}
