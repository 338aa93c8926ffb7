package closure

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"sort"
	"strings"
	"testing"

	"github.com/whittle-dev/whittle/analyze/testopen"
	"github.com/whittle-dev/whittle/closure/graph"
	"github.com/whittle-dev/whittle/internal/testfix"
)

// nixStore is nix-store's absolute path, found once, so tests that hide
// nix from the code under test (PATH) can still ask it.
var nixStore = func() string {
	p, err := exec.LookPath("nix-store")
	if err != nil {
		return "nix-store"
	}
	return p
}()

func nixLines(t *testing.T, args ...string) []string {
	t.Helper()
	out, err := testfix.RunNix(nixStore, args...)
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Fields(string(out))
	sort.Strings(lines)
	return lines
}

// checkAgainstNix compares a closure with nix-store's answers for root:
// the store paths the roots reach equal `nix-store -qR`, and each one's
// references equal `nix-store -q --references` (itself left out).
func checkAgainstNix(t *testing.T, cl *Closure, root string) {
	t.Helper()
	g, an := cl.Graph, cl.Analysis
	var reached []string
	for i := 0; i < g.Len(); i++ {
		n := g.Get(graph.NodeID(i))
		if n.Kind == graph.StorePath && an.Reachable(graph.NodeID(i)) {
			reached = append(reached, n.Name)
		}
	}
	sort.Strings(reached)
	want := nixLines(t, "-qR", root)
	if !reflect.DeepEqual(reached, want) {
		t.Errorf("closure of %s:\n got %q\nwant %q (nix-store -qR)", root, reached, want)
	}
	for _, sp := range want {
		id, _ := g.Lookup(graph.StorePath, sp)
		var refs []string
		for _, e := range g.Edges(id) {
			if e.Kinds.Has(graph.NixReference) {
				refs = append(refs, g.Get(e.To).Name)
			}
		}
		sort.Strings(refs)
		var wantRefs []string
		for _, r := range nixLines(t, "-q", "--references", sp) {
			if r != sp {
				wantRefs = append(wantRefs, r)
			}
		}
		if !reflect.DeepEqual(refs, wantRefs) {
			t.Errorf("references of %s:\n got %q\nwant %q (nix-store -q --references)", sp, refs, wantRefs)
		}
	}
}

func graphOf(t *testing.T, ref string, opts Options) *Closure {
	t.Helper()
	im, ix := testopen.Indexed(t, ref)
	if im.Nix != nil && opts.NixInfo == nil {
		opts.NixInfo = im.Nix.Info
	}
	cl, err := Build(context.Background(), im, ix, opts)
	if err != nil {
		t.Fatal(err)
	}
	return cl
}

// TestNixStore checks the closure and every reference against nix-store,
// for each fixture path: from the local store (nix:), from the local store
// with nix hidden (the scan alone), and from an image of the closure
// (rootfs-tar: of the store paths).
func TestNixStore(t *testing.T) {
	st := testfix.NixFixture(t)
	for _, name := range testfix.NixAttrs {
		root := st.Out[name]
		t.Run(name, func(t *testing.T) {
			cl := graphOf(t, "nix:"+root, Options{Granularity: Packages})
			checkAgainstNix(t, cl, root)
			if len(cl.NixMismatches) > 0 {
				t.Errorf("the scan disagrees with nix path-info: %q", cl.NixMismatches)
			}
			if len(cl.Roots) != 1 || cl.Roots[0].Path != root || cl.Roots[0].Source != "nix" {
				t.Errorf("roots %+v", cl.Roots)
			}
			// The files granularity reaches the same store paths and
			// finds the same references.
			fl := graphOf(t, "nix:"+root, Options{})
			if got, want := fl.StorePathsReached(), nixLines(t, "-qR", root); !reflect.DeepEqual(got, want) {
				t.Errorf("files: store paths reached:\n got %q\nwant %q (nix-store -qR)", got, want)
			}
			if len(fl.NixMismatches) > 0 {
				t.Errorf("files: the scan disagrees with nix path-info: %q", fl.NixMismatches)
			}
			// Nix's NAR sizes are reported for every store path.
			for i := 0; i < cl.Graph.Len(); i++ {
				if cl.Graph.Get(graph.NodeID(i)).Kind == graph.StorePath && cl.NarSize[graph.NodeID(i)] <= 0 {
					t.Errorf("no NAR size for %s", cl.Graph.Get(graph.NodeID(i)).Name)
				}
			}
		})
	}
	top := st.Out["top"]
	t.Run("scan without nix", func(t *testing.T) {
		t.Setenv("PATH", t.TempDir())
		cl := graphOf(t, "nix:"+filepath.Join(st.GCRoots, "top"), Options{Granularity: Packages})
		checkAgainstNix(t, cl, top)
	})
	t.Run("image of the closure", func(t *testing.T) {
		paths := nixLines(t, "-qR", top)
		args := []string{"-C", "/", "-cf", filepath.Join(t.TempDir(), "closure.tar")}
		for _, p := range paths {
			args = append(args, strings.TrimPrefix(p, "/"))
		}
		if out, err := testfix.Run("", "tar", args...); err != nil {
			t.Fatalf("%v\n%s", err, out)
		}
		cl := graphOf(t, "rootfs-tar:"+args[3], Options{Roots: []string{top}, Granularity: Packages})
		checkAgainstNix(t, cl, top)
		fl := graphOf(t, "rootfs-tar:"+args[3], Options{Roots: []string{top}})
		if got := fl.StorePathsReached(); !reflect.DeepEqual(got, paths) {
			t.Errorf("files: store paths reached:\n got %q\nwant %q (nix-store -qR)", got, paths)
		}
	})
	t.Run("split hash", func(t *testing.T) {
		b, err := os.ReadFile(st.SplitFile)
		if err != nil {
			t.Fatal(err)
		}
		if len(b) < testfix.NixSplitOffset+32 {
			t.Fatalf("split file has %d bytes", len(b))
		}
	})
}
