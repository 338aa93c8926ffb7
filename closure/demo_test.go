package closure

import (
	"context"
	"reflect"
	"sort"
	"testing"

	"github.com/whittle-dev/whittle/analyze"
	"github.com/whittle-dev/whittle/analyze/source"
	"github.com/whittle-dev/whittle/analyze/testopen"
	"github.com/whittle-dev/whittle/closure/graph"
	"github.com/whittle-dev/whittle/internal/demo"
)

func demoClosure(t testing.TB) (*Closure, *analyze.Index) {
	im, ix := testopen.Indexed(t, "demo:")
	cl, err := Build(context.Background(), im, ix, Options{Granularity: Packages})
	if err != nil {
		t.Fatal(err)
	}
	return cl, ix
}

// TestDemo checks the graph of the demo image against what the demo says
// it holds: the app's closure, the store paths nothing needs, and every
// store path's references as written into its bytes.
func TestDemo(t *testing.T) {
	want, err := demo.Describe("")
	if err != nil {
		t.Fatal(err)
	}
	cl, ix := demoClosure(t)
	g, an := cl.Graph, cl.Analysis
	// Every visible byte belongs to exactly one node.
	if got := an.TotalSize() + an.UnreachableSize(); got != ix.Totals.VisibleBytes {
		t.Errorf("graph holds %d bytes, the image shows %d", got, ix.Totals.VisibleBytes)
	}
	r := cl.NewReport("demo:", nil, 0, 0)
	if r.Totals.Bytes != ix.Totals.VisibleBytes || r.Totals.ReachableBytes+r.Totals.UnreachableBytes != r.Totals.Bytes {
		t.Errorf("report totals %+v", r.Totals)
	}
	var reached, unreached []string
	for i := 0; i < g.Len(); i++ {
		n := g.Get(graph.NodeID(i))
		if n.Kind != graph.StorePath {
			continue
		}
		if an.Reachable(graph.NodeID(i)) {
			reached = append(reached, n.Name)
		} else {
			unreached = append(unreached, n.Name)
		}
		var refs []string
		for _, e := range g.Edges(graph.NodeID(i)) {
			if e.Kinds.Has(graph.NixReference) {
				refs = append(refs, g.Get(e.To).Name)
			}
		}
		sort.Strings(refs)
		var wantRefs []string
		for _, r := range want.Refs[n.Name] {
			if r != n.Name {
				wantRefs = append(wantRefs, r)
			}
		}
		sort.Strings(wantRefs)
		if !reflect.DeepEqual(refs, wantRefs) {
			t.Errorf("references of %s:\n got %q\nwant %q", n.Name, refs, wantRefs)
		}
	}
	sort.Strings(reached)
	sort.Strings(unreached)
	if !reflect.DeepEqual(reached, want.Closure) {
		t.Errorf("closure:\n got %q\nwant %q", reached, want.Closure)
	}
	if !reflect.DeepEqual(unreached, want.Unreachable) {
		t.Errorf("unreachable store paths:\n got %q\nwant %q", unreached, want.Unreachable)
	}
	// The entry point, and the WorkingDir as the app's own directory (in
	// packages granularity the app's store path is the entry's node, and
	// /etc is the etc output's).
	if len(cl.Roots) != 2 || cl.Roots[0].Path != want.Entrypoint[0] || cl.Roots[1].Path != want.WorkingDir || cl.Roots[1].Source != SourceAppDir {
		t.Errorf("roots %+v, want the entrypoint %s and the app directory %s", cl.Roots, want.Entrypoint[0], want.WorkingDir)
	}
	// The app alone keeps itself; glibc is needed by everything, so only
	// the app's going would free it.
	app, _ := g.Lookup(graph.StorePath, want.App)
	if an.AddedSize(app) != an.ClosureSize(app) {
		t.Errorf("the root's added size %d differs from its closure %d", an.AddedSize(app), an.ClosureSize(app))
	}
}

// BenchmarkBuildDemo builds the demo image's graph (39 MB, 18 store paths,
// 112 ELF files) from an index in memory.
func BenchmarkBuildDemo(b *testing.B) {
	im, err := source.Open(context.Background(), "demo:", source.Options{})
	if err != nil {
		b.Fatal(err)
	}
	ix, err := analyze.IndexImage(context.Background(), im, analyze.IndexOptions{})
	if err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := Build(context.Background(), im, ix, Options{}); err != nil {
			b.Fatal(err)
		}
	}
}
