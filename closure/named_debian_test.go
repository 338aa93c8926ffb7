package closure

import (
	"github.com/whittle-dev/whittle/closure/graph"
	"path/filepath"
	"reflect"
	"sort"
	"strings"
	"testing"

	"github.com/whittle-dev/whittle/internal/testfix"
)

// TestNamedDebian: on the real Debian root, a configuration file named as
// a root keeps exactly itself and what it names, as the files on disk
// say: ld.so.conf its include's matches (the files of
// /etc/ld.so.conf.d/*.conf, found here by filepath.Glob), whose
// directories (/usr/local/lib, the multiarch ones) every image shares, so
// nothing more.
func TestNamedDebian(t *testing.T) {
	if testing.Short() {
		t.Skip("builds a Debian root (-short)")
	}
	root := testfix.DebianRootfsDir(t)
	ref := "rootfs-tar:" + testfix.DebianRootfsTar(t)
	under := func(p string) string { return strings.TrimPrefix(p, root) }

	includes, err := filepath.Glob(filepath.Join(root, "etc/ld.so.conf.d/*.conf"))
	if err != nil || len(includes) == 0 {
		t.Fatalf("no ld.so.conf.d/*.conf in the fixture: %v", err)
	}
	ldso := []string{"/etc/ld.so.conf"}
	for _, p := range includes {
		ldso = append(ldso, under(p))
	}

	for _, tt := range []struct {
		root string
		want []string
	}{{"/etc/ld.so.conf", ldso}} {
		t.Run(tt.root, func(t *testing.T) {
			cl := graphOf(t, ref, Options{Roots: []string{tt.root}})
			// What the root alone reaches: the default /etc roots beside
			// it are another rule's (etcdefaults.go).
			var got []string
			for _, r := range cl.Roots {
				if r.Spec == tt.root {
					got = filesFrom(cl, r.Node)
				}
			}
			sort.Strings(tt.want)
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("reachable from %s\n got %q\nwant %q", tt.root, got, tt.want)
			}
		})
	}
}

// filesFrom lists, sorted, the files of the nodes reachable from id
// (itself included) over every edge.
func filesFrom(cl *Closure, id graph.NodeID) []string {
	var files []string
	for n := range reachFrom(cl.Graph, []graph.NodeID{id}, func(graph.EdgeKind) bool { return true }) {
		files = append(files, cl.Graph.Get(n).Files...)
	}
	sort.Strings(files)
	return files
}
