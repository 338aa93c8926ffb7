package graph

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"reflect"
	"testing"

	"github.com/whittle-dev/whittle/internal/binenc"
)

// encodable makes a random graph with every kind of node, files that
// are and are not other nodes' names, self-loops, repeated edges and
// roots, and analyses it.
func encodable(seed uint64) (*Graph, *Analysis) {
	r := rand.New(rand.NewPCG(seed, 9))
	n := 1 + r.IntN(300)
	g := New()
	for i := 0; i < n; i++ {
		kind := Kind(1 + r.IntN(3))
		id := g.Node(kind, fmt.Sprintf("/n/%d", i))
		g.SetSize(id, int64(r.IntN(5000)))
		if kind != File {
			for j := 0; j < r.IntN(4); j++ {
				g.AddFiles(id, fmt.Sprintf("/n/%d", r.IntN(n)), fmt.Sprintf("/elsewhere/%d", j))
			}
		}
	}
	for i := 0; i < 3*n; i++ {
		g.AddEdge(NodeID(r.IntN(n)), NodeID(r.IntN(n)), EdgeKind(1<<r.IntN(10)))
	}
	for i := 0; i < 1+r.IntN(4); i++ {
		g.AddRoot(NodeID(r.IntN(n)))
	}
	return g, g.Analyze()
}

// sameGraph compares every question a caller can ask of two graphs and
// their analyses.
func sameGraph(t *testing.T, g1 *Graph, a1 *Analysis, g2 *Graph, a2 *Analysis) {
	t.Helper()
	if g1.Len() != g2.Len() || g1.NumEdges() != g2.NumEdges() || !reflect.DeepEqual(g1.Roots(), g2.Roots()) {
		t.Fatalf("shape: %d/%d nodes, %d/%d edges, roots %v/%v", g1.Len(), g2.Len(), g1.NumEdges(), g2.NumEdges(), g1.Roots(), g2.Roots())
	}
	if a1.TotalSize() != a2.TotalSize() || a1.UnreachableSize() != a2.UnreachableSize() || !reflect.DeepEqual(a1.Unreachable(), a2.Unreachable()) {
		t.Fatalf("totals differ")
	}
	for i := 0; i < g1.Len(); i++ {
		id := NodeID(i)
		n1, n2 := g1.Get(id), g2.Get(id)
		if n1.Kind != n2.Kind || n1.Name != n2.Name || n1.Size != n2.Size || !reflect.DeepEqual(n1.Files, n2.Files) {
			t.Fatalf("node %d: %+v, want %+v", i, n2, n1)
		}
		if got, ok := g2.Lookup(n1.Kind, n1.Name); !ok || got != id {
			t.Fatalf("Lookup(%v, %q) = %d, %v", n1.Kind, n1.Name, got, ok)
		}
		if !reflect.DeepEqual(g1.Edges(id), g2.Edges(id)) || !reflect.DeepEqual(g1.Referrers(id), g2.Referrers(id)) || g1.IsRoot(id) != g2.IsRoot(id) {
			t.Fatalf("node %d: edges differ", i)
		}
		d1, ok1 := a1.Dominator(id)
		d2, ok2 := a2.Dominator(id)
		if a1.ClosureSize(id) != a2.ClosureSize(id) || a1.AddedSize(id) != a2.AddedSize(id) || d1 != d2 || ok1 != ok2 ||
			a1.Reachable(id) != a2.Reachable(id) || a1.Distance(id) != a2.Distance(id) || !reflect.DeepEqual(a1.Dominated(id), a2.Dominated(id)) {
			t.Fatalf("node %d: analysis differs", i)
		}
	}
}

// TestEncodeRoundTrip: a decoded graph answers every question as the
// original does, and as a fresh analysis of itself does.
func TestEncodeRoundTrip(t *testing.T) {
	for seed := uint64(0); seed < 40; seed++ {
		g, a := encodable(seed)
		b := AppendEncoded(nil, g, a)
		d := binenc.NewDecoder(b)
		g2, a2, err := Decode(d)
		if err == nil {
			err = d.Done()
		}
		if err != nil {
			t.Fatalf("seed %d: %v", seed, err)
		}
		sameGraph(t, g, a, g2, a2)
		sameGraph(t, g, a, g2, g2.Analyze())
	}
}

// TestDecodedGraphGrows: nodes and edges added to a decoded graph land
// where they would in the original (each adjacency list has its own
// room), and the indexes see them.
func TestDecodedGraphGrows(t *testing.T) {
	g, a := encodable(7)
	g2, _, err := Decode(binenc.NewDecoder(AppendEncoded(nil, g, a)))
	if err != nil {
		t.Fatal(err)
	}
	for _, h := range []*Graph{g, g2} {
		x := h.Node(Package, "added")
		h.AddEdge(0, x, Owns)
		h.AddEdge(x, 1, Runs)
		h.AddEdge(0, 1, Symlink)
		h.AddRoot(x)
	}
	sameGraph(t, g, g.Analyze(), g2, g2.Analyze())
}

// TestDecodeCorrupt: every cut of an encoding, and references to nodes
// that do not exist, fail with ErrCorrupt and never panic.
func TestDecodeCorrupt(t *testing.T) {
	g, a := encodable(3)
	b := AppendEncoded(nil, g, a)
	for n := 0; n < len(b); n++ {
		d := binenc.NewDecoder(b[:n])
		if _, _, err := Decode(d); err == nil && d.Done() == nil {
			t.Fatalf("cut at %d of %d decoded", n, len(b))
		}
	}
	small := New()
	small.Node(File, "a")
	small.AddRoot(0)
	for name, enc := range map[string][]byte{
		"edge to no node": append(binenc.AppendString(append(binenc.AppendUvarint(nil, 1), byte(File)), "a"), 0, 0, 1, 0, 5, 1, 0),
		"root of no node": append(binenc.AppendString(append(binenc.AppendUvarint(nil, 1), byte(File)), "a"), 0, 0, 0, 1, 4, 0),
		"file of no node": append(binenc.AppendString(append(binenc.AppendUvarint(nil, 1), byte(Package)), "a"), 0, 1, 9, 0, 0, 0),
	} {
		if _, _, err := Decode(binenc.NewDecoder(enc)); !errors.Is(err, binenc.ErrCorrupt) {
			t.Errorf("%s: err = %v", name, err)
		}
	}
}

func BenchmarkDecode(b *testing.B) {
	g := largeGraph(10000, 50000)
	enc := AppendEncoded(nil, g, g.Analyze())
	b.SetBytes(int64(len(enc)))
	for b.Loop() {
		if _, _, err := Decode(binenc.NewDecoder(enc)); err != nil {
			b.Fatal(err)
		}
	}
}
