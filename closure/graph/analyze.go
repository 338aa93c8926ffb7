package graph

import (
	"math/bits"
	"sync"
)

// Analysis holds the sizes and dominators of a graph as it was when
// Analyze was called; later changes to the graph need a new Analyze. It is
// safe for concurrent use.
type Analysis struct {
	n           int
	size        []int64
	outStart    []int32 // CSR of distinct successors, self-loops dropped
	outAdj      []int32
	inStart     []int32 // CSR of the incoming edges, by index into edges
	inEdges     []Edge
	isRoot      []bool
	closure     []int64 // made on first use (closureOnce): most callers never ask
	closureOnce sync.Once
	added       []int64
	idom        []NodeID // -1: dominated only by the virtual root, or unreachable
	reachable   []bool
	dist        []int32 // edges from the nearest root; -1 when unreachable
	domKids     [][]NodeID
	total       int64
	unreach     []NodeID
	unreachSz   int64
}

// Analyze computes, for every node, its closure size (when first asked)
// and added size, the dominator tree over the roots, and what no root
// reaches. It runs in
// about linear time, plus a bit-parallel pass over the strongly connected
// components for the closure sizes.
func (g *Graph) Analyze() *Analysis {
	a := g.csr()
	// The distances and the dominators read the same edges and write
	// apart: side by side.
	done := make(chan struct{})
	go func() {
		defer close(done)
		a.distances(g.roots)
	}()
	a.dominators(g.roots)
	<-done
	return a
}

// csr starts an analysis: the sizes, roots and edges in CSR form.
func (g *Graph) csr() *Analysis {
	n := len(g.nodes)
	a := &Analysis{
		n:      n,
		size:   make([]int64, n),
		isRoot: append([]bool(nil), g.isRoot...),
	}
	for i, nd := range g.nodes {
		a.size[i] = nd.Size
	}
	// Successor lists in CSR form.
	a.outStart = make([]int32, n+1)
	for _, e := range g.edges {
		if e.From != e.To {
			a.outStart[e.From+1]++
		}
	}
	for i := 0; i < n; i++ {
		a.outStart[i+1] += a.outStart[i]
	}
	a.outAdj = make([]int32, a.outStart[n])
	fill := append([]int32(nil), a.outStart[:n]...)
	for _, e := range g.edges {
		if e.From != e.To {
			a.outAdj[fill[e.From]] = int32(e.To)
			fill[e.From]++
		}
	}
	a.inStart = make([]int32, n+1)
	for _, e := range g.edges {
		a.inStart[e.To+1]++
	}
	for i := 0; i < n; i++ {
		a.inStart[i+1] += a.inStart[i]
	}
	a.inEdges = make([]Edge, len(g.edges))
	copy(fill, a.inStart[:n])
	for _, e := range g.edges {
		a.inEdges[fill[e.To]] = e
		fill[e.To]++
	}
	return a
}

// bitsetBudget is how many 64-bit words (2 MiB) the closure-size pass
// may hold at once; a variable so tests can force many blocks. Small
// blocks cost a pass over the edges each, but touching a fresh 14 MB
// bitset for a 10,000-node graph cost more (67 ms of page faults against
// a few ms for the extra passes).
var bitsetBudget = 1 << 18

// closureSizes sums, for every node, the self sizes of all nodes it
// reaches (itself included). Nodes of one strongly connected component
// share a closure; components are processed sinks first, their reachable
// sets held as bitsets over a block of components at a time so memory
// stays bounded.
func (a *Analysis) closureSizes() {
	comp, ncomp := a.scc()
	compSize := make([]int64, ncomp)
	for v := 0; v < a.n; v++ {
		compSize[comp[v]] += a.size[v]
	}
	// Component DAG: a successor always has a smaller component index.
	cStart := make([]int32, ncomp+1)
	members := make([]int32, a.n) // nodes grouped by component
	for v := 0; v < a.n; v++ {
		cStart[comp[v]+1]++
	}
	for c := 0; c < ncomp; c++ {
		cStart[c+1] += cStart[c]
	}
	pos := append([]int32(nil), cStart[:ncomp]...)
	for v := 0; v < a.n; v++ {
		members[pos[comp[v]]] = int32(v)
		pos[comp[v]]++
	}
	var dStart = make([]int32, ncomp+1)
	var dAdj []int32
	seen := make([]int32, ncomp)
	for i := range seen {
		seen[i] = -1
	}
	for c := 0; c < ncomp; c++ {
		for _, v := range members[cStart[c]:cStart[c+1]] {
			for _, w := range a.outAdj[a.outStart[v]:a.outStart[v+1]] {
				if d := comp[w]; d != int32(c) && seen[d] != int32(c) {
					seen[d] = int32(c)
					dAdj = append(dAdj, d)
				}
			}
		}
		dStart[c+1] = int32(len(dAdj))
	}

	// Only components with a predecessor can be reached by another
	// (the bitsets' columns), and only those with a successor reach one
	// (their rows): in a graph of many loose files both are few, and
	// every other component's closure is its own size.
	col := make([]int32, ncomp) // column of a reached component, -1 for none
	for i := range col {
		col[i] = -1
	}
	var colComp []int32 // the component of each column, in component order
	for c := 0; c < ncomp; c++ {
		for _, d := range dAdj[dStart[c]:dStart[c+1]] {
			col[d] = 0
		}
	}
	for c := 0; c < ncomp; c++ {
		if col[c] == 0 {
			col[c] = int32(len(colComp))
			colComp = append(colComp, int32(c))
		}
	}
	rowOf := make([]int32, ncomp) // row of a component with successors, -1 for none
	var rowComp []int32
	for c := 0; c < ncomp; c++ {
		rowOf[c] = -1
		if dStart[c+1] > dStart[c] {
			rowOf[c] = int32(len(rowComp))
			rowComp = append(rowComp, int32(c))
		}
	}
	closure := append([]int64(nil), compSize...)
	ncols, nrows := len(colComp), len(rowComp)
	// Block width in 64-bit words, bounding the bitsets to bitsetBudget.
	words := (ncols + 63) / 64
	maxWords := max(1, bitsetBudget/max(nrows, 1))
	block := min(words, maxWords)
	var set []uint64
	for lo := 0; lo < ncols; lo += block * 64 {
		hi := min(ncols, lo+block*64)
		w := (hi - lo + 63) / 64
		// Rows of components up to the block's first reach nothing in
		// it: successors have smaller component numbers.
		first := 0
		for first < nrows && rowComp[first] <= colComp[lo] {
			first++
		}
		rows := nrows - first
		if cap(set) < rows*w {
			set = make([]uint64, rows*w)
		} else {
			set = set[:rows*w]
			clear(set)
		}
		for r := first; r < nrows; r++ {
			c := rowComp[r]
			row := set[(r-first)*w : (r-first+1)*w]
			for _, d := range dAdj[dStart[c]:dStart[c+1]] {
				if k := int(col[d]); k >= lo && k < hi {
					row[(k-lo)/64] |= 1 << ((k - lo) % 64)
				}
				if rd := int(rowOf[d]); rd >= first {
					src := set[(rd-first)*w : (rd-first+1)*w]
					for k := range row {
						row[k] |= src[k]
					}
				}
			}
			var sum int64
			for k, word := range row {
				for word != 0 {
					b := bits.TrailingZeros64(word)
					word &= word - 1
					sum += compSize[colComp[lo+k*64+b]]
				}
			}
			closure[c] += sum
		}
	}
	a.closure = make([]int64, a.n)
	for v := 0; v < a.n; v++ {
		a.closure[v] = closure[comp[v]]
	}
}

// scc numbers the strongly connected components (Tarjan's algorithm,
// without recursion) in the order Tarjan completes them: every edge
// between two components goes to the one with the smaller number.
func (a *Analysis) scc() ([]int32, int) {
	n := a.n
	index := make([]int32, n)
	low := make([]int32, n)
	comp := make([]int32, n)
	for i := range index {
		index[i] = -1
	}
	onStack := make([]bool, n)
	var stack []int32
	type frame struct{ v, next int32 }
	var call []frame
	next, ncomp := int32(0), 0
	for s := 0; s < n; s++ {
		if index[s] >= 0 {
			continue
		}
		call = append(call, frame{int32(s), a.outStart[s]})
		index[s], low[s] = next, next
		next++
		stack = append(stack, int32(s))
		onStack[s] = true
		for len(call) > 0 {
			f := &call[len(call)-1]
			v := f.v
			if f.next < a.outStart[v+1] {
				w := a.outAdj[f.next]
				f.next++
				if index[w] < 0 {
					index[w], low[w] = next, next
					next++
					stack = append(stack, w)
					onStack[w] = true
					call = append(call, frame{w, a.outStart[w]})
				} else if onStack[w] && index[w] < low[v] {
					low[v] = index[w]
				}
				continue
			}
			if low[v] == index[v] {
				for {
					w := stack[len(stack)-1]
					stack = stack[:len(stack)-1]
					onStack[w] = false
					comp[w] = int32(ncomp)
					if w == v {
						break
					}
				}
				ncomp++
			}
			call = call[:len(call)-1]
			if len(call) > 0 {
				if p := call[len(call)-1].v; low[v] < low[p] {
					low[p] = low[v]
				}
			}
		}
	}
	return comp, ncomp
}

// dominators computes the immediate dominators of the graph with a virtual
// root whose successors are the roots (Lengauer and Tarjan's algorithm,
// with path compression), then the added sizes as sums over dominator
// subtrees.
func (a *Analysis) dominators(roots []NodeID) {
	n := a.n
	a.idom = make([]NodeID, n)
	a.added = make([]int64, n)
	a.reachable = make([]bool, n)
	a.domKids = make([][]NodeID, n)
	for i := range a.idom {
		a.idom[i] = -1
	}
	// Depth-first numbering from the virtual root (number 0); node v has
	// number dfn[v] (0 when unreached) and vertex[k] is the node numbered
	// k (vertex[0] = -1 for the virtual root).
	dfn := make([]int32, n)
	vertex := []int32{-1}
	parent := []int32{-1}
	type frame struct{ v, next int32 }
	var call []frame
	visit := func(v, p int32) {
		dfn[v] = int32(len(vertex))
		vertex = append(vertex, v)
		parent = append(parent, p)
		call = append(call, frame{v, a.outStart[v]})
	}
	for _, r := range roots {
		if dfn[r] != 0 {
			continue
		}
		visit(int32(r), 0)
		for len(call) > 0 {
			f := &call[len(call)-1]
			if f.next == a.outStart[f.v+1] {
				call = call[:len(call)-1]
				continue
			}
			w := a.outAdj[f.next]
			f.next++
			if dfn[w] == 0 {
				visit(w, dfn[f.v])
			}
		}
	}
	m := len(vertex)
	semi := make([]int32, m)
	idom := make([]int32, m)
	ancestor := make([]int32, m)
	label := make([]int32, m)
	for k := range semi {
		semi[k], label[k], ancestor[k] = int32(k), int32(k), -1
	}
	bucketHead := make([]int32, m) // bucket lists threaded through bucketNext
	bucketNext := make([]int32, m)
	for k := range bucketHead {
		bucketHead[k] = -1
	}
	var path []int32
	eval := func(v int32) int32 {
		if ancestor[v] < 0 {
			return v
		}
		// Compress the ancestor path, iteratively.
		path = path[:0]
		for x := v; ancestor[ancestor[x]] >= 0; x = ancestor[x] {
			path = append(path, x)
		}
		for i := len(path) - 1; i >= 0; i-- {
			x := path[i]
			anc := ancestor[x]
			if semi[label[anc]] < semi[label[x]] {
				label[x] = label[anc]
			}
			ancestor[x] = ancestor[anc]
		}
		return label[v]
	}
	isRootNum := func(k int32) bool { return parent[k] == 0 }
	for k := int32(m - 1); k >= 1; k-- {
		v := vertex[k]
		// Predecessors: the virtual root for a root, and every reached
		// referrer.
		if isRootNum(k) || a.isRoot[v] {
			semi[k] = 0
		}
		for _, e := range a.inEdges[a.inStart[v]:a.inStart[v+1]] {
			if e.From == e.To {
				continue
			}
			p := dfn[e.From]
			if p == 0 {
				continue
			}
			if u := eval(p); semi[u] < semi[k] {
				semi[k] = semi[u]
			}
		}
		s := semi[k]
		bucketNext[k] = bucketHead[s]
		bucketHead[s] = k
		p := parent[k]
		ancestor[k] = p // link(parent, k)
		for w := bucketHead[p]; w >= 0; w = bucketNext[w] {
			if u := eval(w); semi[u] < semi[w] {
				idom[w] = u
			} else {
				idom[w] = p
			}
		}
		bucketHead[p] = -1
	}
	for k := int32(1); k < int32(m); k++ {
		if idom[k] != semi[k] {
			idom[k] = idom[idom[k]]
		}
	}
	for k := int32(m - 1); k >= 1; k-- {
		v := vertex[k]
		a.reachable[v] = true
		a.added[v] += a.size[v]
		if d := idom[k]; d > 0 {
			a.idom[v] = NodeID(vertex[d])
			a.added[vertex[d]] += a.added[v]
		}
	}
	for k := int32(1); k < int32(m); k++ {
		v := vertex[k]
		a.total += a.size[v]
		if d := a.idom[v]; d >= 0 {
			a.domKids[d] = append(a.domKids[d], NodeID(v))
		}
	}
	for v := 0; v < n; v++ {
		if !a.reachable[v] {
			a.unreach = append(a.unreach, NodeID(v))
			a.unreachSz += a.size[v]
		}
	}
}

// distances computes each node's distance in edges from the nearest root.
func (a *Analysis) distances(roots []NodeID) {
	a.dist = make([]int32, a.n)
	for i := range a.dist {
		a.dist[i] = -1
	}
	queue := make([]int32, 0, a.n)
	for _, r := range roots {
		if a.dist[r] < 0 {
			a.dist[r] = 0
			queue = append(queue, int32(r))
		}
	}
	for i := 0; i < len(queue); i++ {
		v := queue[i]
		for _, w := range a.outAdj[a.outStart[v]:a.outStart[v+1]] {
			if a.dist[w] < 0 {
				a.dist[w] = a.dist[v] + 1
				queue = append(queue, w)
			}
		}
	}
}

// SelfSize returns the bytes the node holds by itself.
func (a *Analysis) SelfSize(id NodeID) int64 { return a.size[id] }

// ClosureSize returns the self sizes summed over everything the node
// reaches, itself included (nix-tree's "closure size").
func (a *Analysis) ClosureSize(id NodeID) int64 { return a.closures()[id] }

// closures returns every node's closure size, computing them once.
func (a *Analysis) closures() []int64 {
	a.closureOnce.Do(a.closureSizes)
	return a.closure
}

// AddedSize returns the bytes that would leave the image if the node went
// away: the self sizes of every node that no root reaches without passing
// through it (nix-tree's "added size"), itself included. It is exact: the
// sum over the node's subtree in the dominator tree. A node no root
// reaches has added size 0: it does not count towards the image already.
func (a *Analysis) AddedSize(id NodeID) int64 { return a.added[id] }

// Dominator returns the node's immediate dominator: the nearest node that
// every chain from a root to it passes through. It reports false for a
// root, for a node reached from two roots by separate chains, and for an
// unreachable node.
func (a *Analysis) Dominator(id NodeID) (NodeID, bool) {
	d := a.idom[id]
	return d, d >= 0
}

// Dominated returns the nodes the node immediately dominates (its children
// in the dominator tree), sorted by ID.
func (a *Analysis) Dominated(id NodeID) []NodeID {
	out := append([]NodeID(nil), a.domKids[id]...)
	sortIDs(out)
	return out
}

// Reachable reports whether some root reaches the node.
func (a *Analysis) Reachable(id NodeID) bool { return a.reachable[id] }

// Distance returns the number of edges on the shortest chain from a root
// to the node, or -1 when no root reaches it.
func (a *Analysis) Distance(id NodeID) int { return int(a.dist[id]) }

// TotalSize returns the self sizes summed over every node the roots reach.
func (a *Analysis) TotalSize() int64 { return a.total }

// Unreachable returns the nodes no root reaches, sorted by ID.
func (a *Analysis) Unreachable() []NodeID { return append([]NodeID(nil), a.unreach...) }

// UnreachableSize returns the self sizes summed over Unreachable.
func (a *Analysis) UnreachableSize() int64 { return a.unreachSz }

func sortIDs(ids []NodeID) {
	for i := 1; i < len(ids); i++ {
		for j := i; j > 0 && ids[j] < ids[j-1]; j-- {
			ids[j], ids[j-1] = ids[j-1], ids[j]
		}
	}
}
