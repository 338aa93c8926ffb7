package closure

import (
	"context"
	"maps"
	"testing"

	"github.com/whittle-dev/whittle/analyze"
	"github.com/whittle-dev/whittle/analyze/testopen"
	"github.com/whittle-dev/whittle/closure/graph"
	"github.com/whittle-dev/whittle/internal/testfix"
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

// TestOwnerOfNode: on the Debian root, in both granularities, the owner
// read by node ID is the owner looked up by the node's path, for every
// node of the index, and a closure read from the cache (no IDs) answers
// alike.
func TestOwnerOfNode(t *testing.T) {
	im, ix := testopen.Indexed(t, "rootfs-tar:"+testfix.DebianRootfsTar(t))
	for _, g := range []Granularity{Files, Packages} {
		cl, err := Build(context.Background(), im, ix, Options{Roots: []string{"/usr/bin/python3"}, Granularity: g})
		if err != nil {
			t.Fatal(err)
		}
		owned := 0
		ix.Root.Walk(func(n *analyze.Node) bool {
			byID, ok1 := cl.OwnerOfNode(n)
			byPath, ok2 := cl.OwnerOfPath(n.Path())
			if byID != byPath || ok1 != ok2 {
				t.Fatalf("%s: %s: owner by ID %d %v, by path %d %v", g, n.Path(), byID, ok1, byPath, ok2)
			}
			if ok1 {
				owned++
			}
			return true
		})
		if owned < 1000 {
			t.Errorf("%s: only %d nodes have an owner", g, owned)
		}
		cached := *cl
		cached.byNode = nil
		if id, ok := cached.OwnerOfNode(ix.Root.Lookup("/usr/bin/python3")); !ok || id != mustOwner(t, cl, "/usr/bin/python3") {
			t.Errorf("%s: a closure without IDs finds %d, %v for /usr/bin/python3", g, id, ok)
		}
	}
}

func mustOwner(t *testing.T, cl *Closure, p string) graph.NodeID {
	t.Helper()
	id, ok := cl.OwnerOfPath(p)
	if !ok {
		t.Fatalf("%s has no owner", p)
	}
	return id
}
