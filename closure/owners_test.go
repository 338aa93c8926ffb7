package closure

import (
	"maps"
	"testing"

	"github.com/whittle-dev/whittle/closure/graph"
)

// TestOwners: paths held by the file node of their name and paths held
// by other nodes answer alike, a later holder replaces an earlier one
// either way, and each and len see every path once.
func TestOwners(t *testing.T) {
	g := graph.New()
	pkg := g.Node(graph.Package, "libc6")
	a := g.Node(graph.File, "/a")
	b := g.Node(graph.File, "/b")
	g.Node(graph.File, "/app") // a file node no path is held by
	o := newOwners(g)
	o.set("/a", a)   // itself
	o.set("/b", pkg) // a package
	o.set("/b", b)   // then itself
	o.set("/c", pkg) // no node of its name
	o.set("/a", pkg) // itself, then a package
	o.set("/d", g.Node(graph.File, "/d"))
	want := map[string]graph.NodeID{"/a": pkg, "/b": b, "/c": pkg, "/d": 4}
	got := map[string]graph.NodeID{}
	o.each(func(p string, id graph.NodeID) {
		if _, seen := got[p]; seen {
			t.Errorf("each gives %s twice", p)
		}
		got[p] = id
	})
	if !maps.Equal(got, want) || o.len() != len(want) {
		t.Errorf("each gives %v (len %d), want %v", got, o.len(), want)
	}
	for p, id := range want {
		if h, ok := o.get(p); !ok || h != id {
			t.Errorf("get(%s) = %d, %v; want %d", p, h, ok, id)
		}
	}
	for _, p := range []string{"/app", "/e", ""} {
		if h, ok := o.get(p); ok {
			t.Errorf("get(%q) = %d, want none", p, h)
		}
	}
}
