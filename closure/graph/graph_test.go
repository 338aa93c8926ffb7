package graph

import (
	"fmt"
	"maps"
	"math/rand/v2"
	"reflect"
	"sort"
	"testing"

	"github.com/whittle-dev/whittle/internal/binenc"
)

// build makes a graph from a compact description: node names with sizes,
// edges "a>b", roots.
func build(t testing.TB, sizes map[string]int64, edges []string, roots ...string) (*Graph, map[string]NodeID) {
	t.Helper()
	g := New()
	ids := map[string]NodeID{}
	names := make([]string, 0, len(sizes))
	for n := range sizes {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		ids[n] = g.Node(File, n)
		g.SetSize(ids[n], sizes[n])
	}
	for _, e := range edges {
		var from, to string
		if _, err := fmt.Sscanf(e, "%1s>%1s", &from, &to); err != nil {
			t.Fatalf("edge %q: %v", e, err)
		}
		g.AddEdge(ids[from], ids[to], NixReference)
	}
	for _, r := range roots {
		g.AddRoot(ids[r])
	}
	return g, ids
}

func TestHandMadeSizes(t *testing.T) {
	type want struct {
		closure, added int64
		idom           string // "" when none
	}
	tests := []struct {
		name    string
		sizes   map[string]int64
		edges   []string
		roots   []string
		want    map[string]want
		total   int64
		unreach []string
	}{
		{
			name:  "diamond",
			sizes: map[string]int64{"r": 1, "a": 2, "b": 4, "c": 8, "d": 16},
			edges: []string{"r>a", "r>b", "a>c", "b>c", "c>d"},
			roots: []string{"r"},
			want: map[string]want{
				"r": {31, 31, ""}, "a": {26, 2, "r"}, "b": {28, 4, "r"}, "c": {24, 24, "r"}, "d": {16, 16, "c"},
			},
			total: 31,
		},
		{
			name:  "cycle",
			sizes: map[string]int64{"r": 1, "a": 10, "b": 100, "c": 1000},
			edges: []string{"r>a", "a>b", "b>a", "b>c", "a>a"},
			roots: []string{"r"},
			want: map[string]want{
				"r": {1111, 1111, ""}, "a": {1110, 1110, "r"}, "b": {1110, 1100, "a"}, "c": {1000, 1000, "b"},
			},
			total: 1111,
		},
		{
			name:  "two roots, shared and unreachable",
			sizes: map[string]int64{"p": 1, "q": 2, "x": 4, "y": 8, "u": 50, "v": 7},
			edges: []string{"p>x", "q>x", "x>y", "u>y", "u>v"},
			roots: []string{"p", "q"},
			want: map[string]want{
				"p": {13, 1, ""}, "q": {14, 2, ""}, "x": {12, 12, ""}, "y": {8, 8, "x"},
				"u": {65, 0, ""}, "v": {7, 0, ""},
			},
			total:   15,
			unreach: []string{"u", "v"},
		},
		{
			name:  "root below a root",
			sizes: map[string]int64{"p": 1, "q": 2, "x": 4},
			edges: []string{"p>q", "q>x"},
			roots: []string{"p", "q"},
			want: map[string]want{
				"p": {7, 1, ""}, "q": {6, 6, ""}, "x": {4, 4, "q"},
			},
			total: 7,
		},
		{
			// zoneinfo/posix -> . : the directory and the link need each
			// other; the zone files hang off the directory.
			name:  "symlink loop",
			sizes: map[string]int64{"r": 0, "z": 10, "p": 1, "u": 100, "l": 200},
			edges: []string{"r>p", "p>z", "z>p", "z>u", "z>l", "r>u"},
			roots: []string{"r"},
			want: map[string]want{
				"r": {311, 311, ""}, "p": {311, 211, "r"}, "z": {311, 210, "p"}, "u": {100, 100, "r"}, "l": {200, 200, "z"},
			},
			total: 311,
		},
		{
			name:    "no roots",
			sizes:   map[string]int64{"a": 3, "b": 4},
			edges:   []string{"a>b"},
			want:    map[string]want{"a": {7, 0, ""}, "b": {4, 0, ""}},
			total:   0,
			unreach: []string{"a", "b"},
		},
	}
	for _, tt := range tests {
		g, ids := build(t, tt.sizes, tt.edges, tt.roots...)
		an := g.Analyze()
		names := map[NodeID]string{}
		for n, id := range ids {
			names[id] = n
		}
		for n, w := range tt.want {
			id := ids[n]
			idom := ""
			if d, ok := an.Dominator(id); ok {
				idom = names[d]
			}
			got := want{an.ClosureSize(id), an.AddedSize(id), idom}
			if got != w {
				t.Errorf("%s: %s: closure, added, idom = %v, want %v", tt.name, n, got, w)
			}
			if an.SelfSize(id) != tt.sizes[n] {
				t.Errorf("%s: %s: SelfSize = %d", tt.name, n, an.SelfSize(id))
			}
		}
		if an.TotalSize() != tt.total {
			t.Errorf("%s: TotalSize = %d, want %d", tt.name, an.TotalSize(), tt.total)
		}
		var un []string
		var unSize int64
		for _, id := range an.Unreachable() {
			un = append(un, names[id])
			unSize += tt.sizes[names[id]]
			if an.Reachable(id) {
				t.Errorf("%s: %s unreachable and reachable", tt.name, names[id])
			}
		}
		sort.Strings(un)
		if !reflect.DeepEqual(un, tt.unreach) {
			t.Errorf("%s: Unreachable = %v, want %v", tt.name, un, tt.unreach)
		}
		if an.UnreachableSize() != unSize {
			t.Errorf("%s: UnreachableSize = %d, want %d", tt.name, an.UnreachableSize(), unSize)
		}
	}
}

func TestNodesAndEdges(t *testing.T) {
	g := New()
	a := g.Node(StorePath, "/nix/store/a")
	b := g.Node(File, "/nix/store/a")
	if a == b {
		t.Fatal("nodes of different kinds share an ID")
	}
	if again := g.Node(StorePath, "/nix/store/a"); again != a {
		t.Errorf("Node returned %d then %d", a, again)
	}
	if id, ok := g.Lookup(File, "/nix/store/a"); !ok || id != b {
		t.Errorf("Lookup = %d, %v", id, ok)
	}
	if _, ok := g.Lookup(Package, "bash"); ok {
		t.Error("Lookup found a node never added")
	}
	c := g.Node(Package, "bash")
	g.AddEdge(a, b, Owns)
	g.AddEdge(a, b, Symlink)
	g.AddEdge(c, b, PackageDepends)
	g.AddRoot(c)
	g.AddRoot(c)
	g.AddFiles(c, "/bin/bash", "/usr/share/doc/bash")
	if g.NumEdges() != 2 {
		t.Errorf("NumEdges = %d, want 2", g.NumEdges())
	}
	if got, want := g.Edges(a), []Edge{{a, b, Owns | Symlink}}; !reflect.DeepEqual(got, want) {
		t.Errorf("Edges = %v, want %v", got, want)
	}
	if got, want := g.Referrers(b), []Edge{{a, b, Owns | Symlink}, {c, b, PackageDepends}}; !reflect.DeepEqual(got, want) {
		t.Errorf("Referrers = %v, want %v", got, want)
	}
	if got := g.Roots(); !reflect.DeepEqual(got, []NodeID{c}) || !g.IsRoot(c) || g.IsRoot(a) {
		t.Errorf("Roots = %v", got)
	}
	if got := g.Get(c); got.Kind != Package || got.Name != "bash" || !reflect.DeepEqual(got.Files, []string{"/bin/bash", "/usr/share/doc/bash"}) {
		t.Errorf("Get = %+v", got)
	}
	if g.Len() != 3 {
		t.Errorf("Len = %d", g.Len())
	}
}

func TestKindStrings(t *testing.T) {
	tests := []struct{ got, want string }{
		{StorePath.String(), "store-path"},
		{Package.String(), "package"},
		{File.String(), "file"},
		{Kind(9).String(), "kind(9)"},
		{(ELFNeeded | Symlink).String(), "elf-needed|symlink"},
		{NixReference.String(), "nix-reference"},
		{(Owns | PackageDepends | Shebang | ELFInterpreter).String(), "elf-interpreter|shebang|package-depends|owns"},
		{EdgeKind(0).String(), ""},
		{EdgeKind(1 << 13).String(), "0x2000"},
	}
	for _, tt := range tests {
		if tt.got != tt.want {
			t.Errorf("String() = %q, want %q", tt.got, tt.want)
		}
	}
	if !(ELFNeeded | Symlink).Has(Symlink) || Symlink.Has(ELFNeeded|Symlink) {
		t.Error("Has is wrong")
	}
}

// randomGraph makes a small graph with cycles, self-loops, parallel edges
// of different kinds, several roots and unreachable parts.
func randomGraph(r *rand.Rand, n, m int) *Graph {
	g := New()
	for i := 0; i < n; i++ {
		id := g.Node(File, fmt.Sprint(i))
		g.SetSize(id, int64(r.IntN(1000)))
	}
	for i := 0; i < m; i++ {
		g.AddEdge(NodeID(r.IntN(n)), NodeID(r.IntN(n)), EdgeKind(1<<r.IntN(7)))
	}
	for i := r.IntN(4); i > 0; i-- {
		g.AddRoot(NodeID(r.IntN(n)))
	}
	return g
}

// reach returns the nodes reachable from the roots, skipping removed.
func reach(g *Graph, from []NodeID, removed NodeID) []bool {
	seen := make([]bool, g.Len())
	var stack []NodeID
	for _, r := range from {
		if r != removed && !seen[r] {
			seen[r] = true
			stack = append(stack, r)
		}
	}
	for len(stack) > 0 {
		v := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		for _, e := range g.Edges(v) {
			if e.To != removed && !seen[e.To] {
				seen[e.To] = true
				stack = append(stack, e.To)
			}
		}
	}
	return seen
}

func sizeOf(g *Graph, set []bool) int64 {
	var s int64
	for i, in := range set {
		if in {
			s += g.Get(NodeID(i)).Size
		}
	}
	return s
}

// TestAgainstBruteForce checks every size and dominator on random graphs
// (fixed seeds) against the definitions: added size by removing the node
// and recomputing the reachable bytes, closure size by a search from the
// node, dominators by removal.
func TestAgainstBruteForce(t *testing.T) {
	for seed := uint64(0); seed < 1500; seed++ {
		r := rand.New(rand.NewPCG(seed, 99))
		n := 1 + r.IntN(25)
		g := randomGraph(r, n, r.IntN(3*n+1))
		an := g.Analyze()
		roots := g.Roots()
		all := reach(g, roots, -1)
		total := sizeOf(g, all)
		if an.TotalSize() != total {
			t.Fatalf("seed %d: TotalSize %d, want %d", seed, an.TotalSize(), total)
		}
		// strict dominators by removal
		doms := make([][]NodeID, n)
		for d := 0; d < n; d++ {
			without := reach(g, roots, NodeID(d))
			for v := 0; v < n; v++ {
				if v != d && all[v] && !without[v] {
					doms[v] = append(doms[v], NodeID(d))
				}
			}
			wantAdded := int64(0)
			if all[d] {
				wantAdded = total - sizeOf(g, without)
			}
			if got := an.AddedSize(NodeID(d)); got != wantAdded {
				t.Fatalf("seed %d: AddedSize(%d) = %d, want %d", seed, d, got, wantAdded)
			}
			if got, want := an.ClosureSize(NodeID(d)), sizeOf(g, reach(g, []NodeID{NodeID(d)}, -1)); got != want {
				t.Fatalf("seed %d: ClosureSize(%d) = %d, want %d", seed, d, got, want)
			}
			if an.Reachable(NodeID(d)) != all[d] {
				t.Fatalf("seed %d: Reachable(%d) = %v", seed, d, !all[d])
			}
		}
		for v := 0; v < n; v++ {
			// The immediate dominator is the strict dominator with the
			// most dominators of its own.
			want, ok := NodeID(-1), false
			for _, d := range doms[v] {
				if !ok || len(doms[d]) > len(doms[want]) {
					want, ok = d, true
				}
			}
			got, gotOK := an.Dominator(NodeID(v))
			if gotOK != ok || (ok && got != want) {
				t.Fatalf("seed %d: Dominator(%d) = %d %v, want %d %v", seed, v, got, gotOK, want, ok)
			}
		}
	}
}

// TestWhyAgainstBruteForce enumerates every chain on random graphs and
// requires Why to return the shortest ones, valid, in order.
func TestWhyAgainstBruteForce(t *testing.T) {
	for seed := uint64(0); seed < 400; seed++ {
		r := rand.New(rand.NewPCG(seed, 7))
		n := 1 + r.IntN(9)
		g := randomGraph(r, n, r.IntN(3*n+1))
		an := g.Analyze()
		const maxChains, maxLen = 5, 4
		for target := NodeID(0); int(target) < n; target++ {
			lengths := allChainLengths(g, target, maxLen)
			got := an.Why(target, maxChains, maxLen)
			if want := min(len(lengths), maxChains); len(got) != want {
				t.Fatalf("seed %d: Why(%d) gave %d chains, want %d", seed, target, len(got), want)
			}
			for i, c := range got {
				checkChain(t, g, c, target, maxLen)
				if c.Len() != lengths[i] {
					t.Fatalf("seed %d: Why(%d) chain %d has length %d, want %d (all: %v)", seed, target, i, c.Len(), lengths[i], lengths)
				}
			}
			if len(got) > 0 && got[0].Len() != an.Distance(target) {
				t.Fatalf("seed %d: first chain length %d, distance %d", seed, got[0].Len(), an.Distance(target))
			}
		}
	}
}

// allChainLengths lists, sorted, the lengths of every simple chain from a
// root to target of at most maxLen edges that meets no other root.
func allChainLengths(g *Graph, target NodeID, maxLen int) []int {
	var lengths []int
	var walk func(v NodeID, depth int, on map[NodeID]bool)
	walk = func(v NodeID, depth int, on map[NodeID]bool) {
		if g.IsRoot(v) {
			lengths = append(lengths, depth)
			return
		}
		if depth == maxLen {
			return
		}
		for _, e := range g.Referrers(v) {
			if e.From != v && !on[e.From] {
				on[e.From] = true
				walk(e.From, depth+1, on)
				delete(on, e.From)
			}
		}
	}
	walk(target, 0, map[NodeID]bool{target: true})
	sort.Ints(lengths)
	return lengths
}

func checkChain(t *testing.T, g *Graph, c Chain, target NodeID, maxLen int) {
	t.Helper()
	if len(c.Nodes) != len(c.Kinds)+1 || c.Len() > maxLen {
		t.Fatalf("malformed chain %+v", c)
	}
	if !g.IsRoot(c.Nodes[0]) || c.Nodes[len(c.Nodes)-1] != target {
		t.Fatalf("chain %+v does not run from a root to %d", c, target)
	}
	seen := map[NodeID]bool{}
	for i, v := range c.Nodes {
		if seen[v] {
			t.Fatalf("chain %+v repeats %d", c, v)
		}
		seen[v] = true
		if i > 0 && g.IsRoot(v) {
			t.Fatalf("chain %+v passes through root %d", c, v)
		}
		if i < len(c.Kinds) {
			found := false
			for _, e := range g.Edges(v) {
				if e.To == c.Nodes[i+1] && e.Kinds == c.Kinds[i] {
					found = true
				}
			}
			if !found {
				t.Fatalf("chain %+v uses a missing edge %d->%d", c, v, c.Nodes[i+1])
			}
		}
	}
}

func TestWhyExact(t *testing.T) {
	g := New()
	app := g.Node(File, "/app")
	libc := g.Node(File, "/lib/libc.so.6")
	libssl := g.Node(File, "/lib/libssl.so.3")
	python := g.Node(File, "/usr/bin/python3")
	ld := g.Node(File, "/lib/ld-linux-x86-64.so.2")
	g.AddEdge(app, python, Shebang)
	g.AddEdge(python, libc, ELFNeeded)
	g.AddEdge(python, libssl, ELFNeeded)
	g.AddEdge(libssl, libc, ELFNeeded)
	g.AddEdge(python, ld, ELFInterpreter)
	g.AddEdge(libc, ld, ELFNeeded)
	g.AddRoot(app)
	an := g.Analyze()
	got := an.Why(libc, 10, 10)
	want := []Chain{
		{Nodes: []NodeID{app, python, libc}, Kinds: []EdgeKind{Shebang, ELFNeeded}},
		{Nodes: []NodeID{app, python, libssl, libc}, Kinds: []EdgeKind{Shebang, ELFNeeded, ELFNeeded}},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("Why(libc) = %+v, want %+v", got, want)
	}
	if got := an.Why(libc, 1, 10); !reflect.DeepEqual(got, want[:1]) {
		t.Errorf("Why(libc, 1) = %+v", got)
	}
	if got := an.Why(libc, 10, 2); !reflect.DeepEqual(got, want[:1]) {
		t.Errorf("Why(libc, maxLen 2) = %+v", got)
	}
	if got := an.Why(libc, 10, 1); got != nil {
		t.Errorf("Why(libc, maxLen 1) = %+v", got)
	}
	if got := an.Why(app, 10, 10); !reflect.DeepEqual(got, []Chain{{Nodes: []NodeID{app}}}) {
		t.Errorf("Why(root) = %+v", got)
	}
	if got := an.Dominated(python); !reflect.DeepEqual(got, []NodeID{libc, libssl, ld}) {
		t.Errorf("Dominated(python) = %v", got)
	}
	if an.Distance(ld) != 2 || an.Distance(app) != 0 {
		t.Errorf("Distance = %d, %d", an.Distance(ld), an.Distance(app))
	}
	orphan := g.Node(File, "/orphan")
	an = g.Analyze()
	if got := an.Why(orphan, 10, 10); got != nil || an.Distance(orphan) != -1 {
		t.Errorf("Why(unreachable) = %+v, distance %d", got, an.Distance(orphan))
	}
}

// largeGraph builds n nodes and about m edges as a store would: named
// nodes, edges to earlier nodes (a DAG whose closures are large) plus some
// back edges making cycles.
func largeGraph(n, m int) *Graph {
	r := rand.New(rand.NewPCG(42, 42))
	g := New()
	ids := make([]NodeID, n)
	for i := range ids {
		ids[i] = g.Node(StorePath, fmt.Sprintf("/nix/store/%032d-node-%d", i, i))
		g.SetSize(ids[i], int64(r.IntN(1<<20)))
	}
	for i := 0; i < m; i++ {
		from := 1 + r.IntN(n-1)
		to := r.IntN(from)
		if r.IntN(50) == 0 {
			from, to = to, from
		}
		g.AddEdge(ids[from], ids[to], NixReference)
	}
	for i := 0; i < 10; i++ {
		g.AddRoot(ids[n-1-i])
	}
	return g
}

// TestScale builds and analyses a 10,000-node, 50,000-edge graph (its
// speed is BenchmarkAnalyze's to measure).
func TestScale(t *testing.T) {
	g := largeGraph(10000, 50000)
	an := g.Analyze()
	if an.TotalSize() == 0 || g.NumEdges() < 45000 {
		t.Errorf("degenerate graph: total %d, %d edges", an.TotalSize(), g.NumEdges())
	}
}

func BenchmarkBuildAndAnalyze(b *testing.B) {
	for b.Loop() {
		g := largeGraph(10000, 50000)
		g.Analyze()
	}
}

func BenchmarkAnalyze(b *testing.B) {
	g := largeGraph(10000, 50000)
	for b.Loop() {
		g.Analyze()
	}
}

func BenchmarkWhy(b *testing.B) {
	g := largeGraph(10000, 50000)
	an := g.Analyze()
	for b.Loop() {
		an.Why(NodeID(0), 10, 20)
	}
}

// TestClosureSizesInBlocks forces the closure-size pass to work in blocks
// of 64 components and checks it against searches from every node.
func TestClosureSizesInBlocks(t *testing.T) {
	defer func(old int) { bitsetBudget = old }(bitsetBudget)
	bitsetBudget = 1
	for seed := uint64(0); seed < 20; seed++ {
		r := rand.New(rand.NewPCG(seed, 3))
		n := 200 + r.IntN(200)
		g := New()
		for i := 0; i < n; i++ {
			g.SetSize(g.Node(File, fmt.Sprint(i)), int64(r.IntN(1000)))
		}
		for i := 0; i < 3*n; i++ {
			from := 1 + r.IntN(n-1)
			to := r.IntN(from)
			if r.IntN(30) == 0 {
				from, to = to, from
			}
			g.AddEdge(NodeID(from), NodeID(to), NixReference)
		}
		an := g.Analyze()
		for v := 0; v < n; v++ {
			if got, want := an.ClosureSize(NodeID(v)), sizeOf(g, reach(g, []NodeID{NodeID(v)}, -1)); got != want {
				t.Fatalf("seed %d: ClosureSize(%d) = %d, want %d", seed, v, got, want)
			}
		}
	}
}

// TestEdgesThroughHubs: AddEdge and EdgeKinds find every edge, whether
// its ends are hubs or not, in a graph built and in one decoded and grown
// further, against a map of every edge. Half the edges leave or enter a
// few hub nodes, so nodes cross hubDegree both ways while edges are added
// between them.
func TestEdgesThroughHubs(t *testing.T) {
	for seed := uint64(0); seed < 20; seed++ {
		rng := rand.New(rand.NewPCG(seed, 1))
		g := New()
		const n = 300
		for i := 0; i < n; i++ {
			g.Node(File, fmt.Sprint(i))
		}
		want := map[[2]NodeID]EdgeKind{}
		pick := func() NodeID {
			if rng.IntN(2) == 0 {
				return NodeID(rng.IntN(4)) // a hub
			}
			return NodeID(rng.IntN(n))
		}
		add := func(h *Graph, m map[[2]NodeID]EdgeKind, count int) {
			for i := 0; i < count; i++ {
				from, to, k := pick(), pick(), EdgeKind(1)<<rng.IntN(4)
				h.AddEdge(from, to, k)
				m[[2]NodeID{from, to}] |= k
			}
		}
		check := func(h *Graph, m map[[2]NodeID]EdgeKind) {
			t.Helper()
			if h.NumEdges() != len(m) {
				t.Fatalf("seed %d: %d edges, want %d", seed, h.NumEdges(), len(m))
			}
			for from := NodeID(0); from < n; from++ {
				for to := NodeID(0); to < n; to++ {
					if got, w := h.EdgeKinds(from, to), m[[2]NodeID{from, to}]; got != w {
						t.Fatalf("seed %d: edge %d>%d kinds %b, want %b", seed, from, to, got, w)
					}
				}
			}
		}
		add(g, want, 3000)
		check(g, want)
		g2, _, err := Decode(binenc.NewDecoder(AppendEncoded(nil, g, g.Analyze())))
		if err != nil {
			t.Fatal(err)
		}
		want2 := maps.Clone(want)
		check(g2, want2)
		add(g2, want2, 3000)
		check(g2, want2)
	}
}

// TestNewNode: NewNode adds a new node as Node does, and gives an
// existing one back unchanged.
func TestNewNode(t *testing.T) {
	g := New()
	a := g.Node(File, "/a")
	g.AddEdge(a, g.Node(Package, "p"), Owns)
	b := g.NewNode(File, "/b")
	if again := g.NewNode(File, "/a"); again != a {
		t.Errorf("NewNode of an existing node = %d, want %d", again, a)
	}
	if id, ok := g.Lookup(File, "/a"); !ok || id != a {
		t.Errorf("Lookup(/a) = %d, %v after NewNode of it, want %d", id, ok, a)
	}
	if id, ok := g.Lookup(File, "/b"); !ok || id != b || g.Len() != 3 {
		t.Errorf("Lookup(/b) = %d, %v, %d nodes; want %d and 3 nodes", id, ok, g.Len(), b)
	}
	if n := g.NewNode(Package, "/a"); n == a || g.Get(n).Kind != Package {
		t.Errorf("NewNode(Package, /a) = %d (%v), want a new package node", n, g.Get(n).Kind)
	}
}
