package closure

import (
	"context"
	"reflect"
	"sort"
	"testing"

	"github.com/whittle-dev/whittle/closure/graph"
	"github.com/whittle-dev/whittle/internal/reprotar"
)

// TestEntrypointHardlinkToSymlink: /opt/b is a tar hardlink to the
// symlink /opt/a -> real, so running /opt/b runs /opt/real, a script whose
// interpreter is /opt/interp. All four are in the closure.
func TestEntrypointHardlinkToSymlink(t *testing.T) {
	im, ix := memImage(t, map[string]any{"Entrypoint": []string{"/opt/b"}},
		reg("/opt/real", "#!/opt/interp\n", 0o755), reg("/opt/interp", "\x7fELF", 0o755),
		link("/opt/a", "real"),
		reprotar.File{Path: "/opt/b", Kind: reprotar.Hardlink, Link: "/opt/a"},
		reg("/opt/unused", "x", 0o644),
	)
	cl, err := Build(context.Background(), im, ix, Options{})
	if err != nil {
		t.Fatal(err)
	}
	var reach []string
	for i := 0; i < cl.Graph.Len(); i++ {
		if id := graph.NodeID(i); cl.Analysis.Reachable(id) {
			reach = append(reach, cl.DisplayName(id))
		}
	}
	sort.Strings(reach)
	if want := []string{"/opt/b", "/opt/interp", "/opt/real"}; !reflect.DeepEqual(reach, want) {
		t.Errorf("reachable %q, want %q", reach, want)
	}
	for _, p := range cl.Problems {
		if p.Kind == "closure/root" || p.Kind == "closure/missing-interpreter" {
			t.Errorf("problem %+v", p)
		}
	}
}

// TestHardlinkedScripts: every path of a hardlinked script runs its
// interpreter (before, only the path that sorts first had the #! edge;
// reprotar writes entries in path order, so the file is a.sh here).
func TestHardlinkedScripts(t *testing.T) {
	for _, root := range []string{"/usr/bin/a.sh", "/usr/bin/b.sh", "/usr/bin/z.sh"} {
		im, ix := memImage(t, nil,
			reg("/usr/bin/a.sh", "#!/bin/sh\necho hi\n", 0o755), reg("/bin/sh", "\x7fELF", 0o755),
			reprotar.File{Path: "/usr/bin/b.sh", Kind: reprotar.Hardlink, Link: "/usr/bin/a.sh"},
			reprotar.File{Path: "/usr/bin/z.sh", Kind: reprotar.Hardlink, Link: "/usr/bin/a.sh"},
		)
		cl, err := Build(context.Background(), im, ix, Options{Roots: []string{root}})
		if err != nil {
			t.Fatal(err)
		}
		sh, ok := cl.Graph.Lookup(graph.File, "/bin/sh")
		if !ok || !cl.Analysis.Reachable(sh) {
			t.Errorf("--roots %s: /bin/sh is not reached", root)
		}
	}
}
