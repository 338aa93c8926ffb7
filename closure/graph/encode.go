package graph

import (
	"github.com/whittle-dev/whittle/internal/binenc"
)

// AppendEncoded appends g and its analysis a (g.Analyze()'s result) to b
// in binenc's encoding: the nodes (kind, name, self size, files), the
// edges in the order they were added, the roots, and the closure sizes,
// the one part of the analysis that costs more than linear time. A file
// a node lists that is also the name of a File node is written as that
// node's ID, so the image's paths are stored once. Decode reads it back.
func AppendEncoded(b []byte, g *Graph, a *Analysis) []byte {
	g.index()
	b = binenc.AppendUvarint(b, uint64(len(g.nodes)))
	for _, nd := range g.nodes {
		b = append(b, byte(nd.Kind))
		b = binenc.AppendString(b, nd.Name)
		b = binenc.AppendVarint(b, nd.Size)
		b = binenc.AppendUvarint(b, uint64(len(nd.Files)))
		for _, f := range nd.Files {
			if id, ok := g.byKey[File][f]; ok {
				b = binenc.AppendUvarint(b, uint64(id)+1)
			} else {
				b = binenc.AppendUvarint(b, 0)
				b = binenc.AppendString(b, f)
			}
		}
	}
	b = binenc.AppendUvarint(b, uint64(len(g.edges)))
	for _, e := range g.edges {
		b = binenc.AppendUvarint(b, uint64(e.From))
		b = binenc.AppendUvarint(b, uint64(e.To))
		b = binenc.AppendUvarint(b, uint64(e.Kinds))
	}
	b = binenc.AppendUvarint(b, uint64(len(g.roots)))
	for _, r := range g.roots {
		b = binenc.AppendUvarint(b, uint64(r))
	}
	for _, c := range a.closures() {
		b = binenc.AppendVarint(b, c)
	}
	return b
}

// Decode reads what AppendEncoded wrote: the same graph (nodes, edges and
// roots in the same order) and an analysis equal to its Analyze(), the
// closure sizes taken from the encoding and the rest recomputed in linear
// time. The graph's name and edge indexes are built on first use, so a
// caller that only walks the graph never pays for them. It returns
// binenc.ErrCorrupt for input that does not describe a graph (an edge,
// root or file naming no node).
func Decode(d *binenc.Decoder) (*Graph, *Analysis, error) {
	n := d.Count()
	g := &Graph{nodes: make([]Node, n), isRoot: make([]bool, n)}
	type ref struct {
		node, file int
		to         uint64
	}
	var refs []ref // files named by node ID, filled once every node is read
	for i := 0; i < n && d.Err() == nil; i++ {
		nd := &g.nodes[i]
		nd.Kind = Kind(d.Byte())
		if nd.Kind < StorePath || nd.Kind > File {
			return nil, nil, binenc.ErrCorrupt
		}
		nd.Name = d.String()
		nd.Size = d.Varint()
		if nf := d.Count(); nf > 0 {
			nd.Files = make([]string, nf)
			for j := range nd.Files {
				if to := d.Uvarint(); to > 0 {
					refs = append(refs, ref{i, j, to - 1})
				} else {
					nd.Files[j] = d.String()
				}
			}
		}
	}
	for _, r := range refs {
		if r.to >= uint64(n) {
			return nil, nil, binenc.ErrCorrupt
		}
		g.nodes[r.node].Files[r.file] = g.nodes[r.to].Name
	}
	valid := func(v uint64) bool { return v < uint64(n) }
	ne := d.Count()
	g.edges = make([]Edge, ne)
	outLen, inLen := make([]int32, n), make([]int32, n)
	for i := 0; i < ne && d.Err() == nil; i++ {
		from, to, kinds := d.Uvarint(), d.Uvarint(), d.Uvarint()
		if !valid(from) || !valid(to) {
			return nil, nil, binenc.ErrCorrupt
		}
		g.edges[i] = Edge{From: NodeID(from), To: NodeID(to), Kinds: EdgeKind(kinds)}
		outLen[from]++
		inLen[to]++
	}
	g.out, g.in = adjacency(g.edges, outLen, true), adjacency(g.edges, inLen, false)
	nr := d.Count()
	for i := 0; i < nr && d.Err() == nil; i++ {
		r := d.Uvarint()
		if !valid(r) {
			return nil, nil, binenc.ErrCorrupt
		}
		if !g.isRoot[r] {
			g.isRoot[r] = true
			g.roots = append(g.roots, NodeID(r))
		}
	}
	if d.Err() != nil {
		return nil, nil, d.Err()
	}
	a := g.csr()
	a.closure = make([]int64, n)
	for i := range a.closure {
		a.closure[i] = d.Varint()
	}
	a.closureOnce.Do(func() {}) // read, not computed
	if d.Err() != nil {
		return nil, nil, d.Err()
	}
	a.dominators(g.roots)
	a.distances(g.roots)
	return g, a, nil
}

// adjacency lists each node's edge indices by From (out) or To, in edge
// order, all in one backing array; each list's capacity is its length,
// so a later AddEdge copies it rather than writing into the next one.
func adjacency(edges []Edge, count []int32, out bool) [][]int32 {
	lists := make([][]int32, len(count))
	backing := make([]int32, len(edges))
	start := 0
	for v, c := range count {
		lists[v] = backing[start : start : start+int(c)]
		start += int(c)
	}
	for i, e := range edges {
		v := e.To
		if out {
			v = e.From
		}
		lists[v] = append(lists[v], int32(i))
	}
	return lists
}
