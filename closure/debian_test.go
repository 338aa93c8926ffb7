package closure

import (
	"context"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"sort"
	"strings"
	"testing"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/types"
	"github.com/whittle-dev/whittle/analyze"
	"github.com/whittle-dev/whittle/analyze/source"
	"github.com/whittle-dev/whittle/analyze/testopen"
	"github.com/whittle-dev/whittle/closure/graph"
	"github.com/whittle-dev/whittle/internal/imagefs"
	"github.com/whittle-dev/whittle/internal/testfix"
)

// dpkgClosure computes, from dpkg-query's own output on the root, the
// packages pkg needs: Pre-Depends and Depends, each alternative list
// satisfied by its first installed alternative (by name or Provides).
// Versions are not checked: dpkg keeps the installed set consistent.
func dpkgClosure(t *testing.T, root, pkg string) []string {
	out, err := testfix.Run("", "dpkg-query", "--admindir="+filepath.Join(root, "var/lib/dpkg"), "-W",
		"-f", "${Package}\t${Pre-Depends}\t${Depends}\t${Provides}\n")
	if err != nil {
		t.Fatal(err)
	}
	deps := map[string][][]string{}
	provides := map[string]string{}
	name := func(rel string) string {
		rel = strings.TrimSpace(rel)
		if i := strings.IndexAny(rel, " ("); i >= 0 {
			rel = rel[:i]
		}
		n, _, _ := strings.Cut(rel, ":")
		return n
	}
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		f := strings.Split(line, "\t")
		p := f[0]
		deps[p] = nil
		for _, field := range f[1:3] {
			for _, d := range strings.Split(field, ",") {
				if strings.TrimSpace(d) == "" {
					continue
				}
				var alts []string
				for _, a := range strings.Split(d, "|") {
					alts = append(alts, name(a))
				}
				deps[p] = append(deps[p], alts)
			}
		}
		for _, v := range strings.Split(f[3], ",") {
			if n := name(v); n != "" {
				provides[n] = p
			}
		}
	}
	seen := map[string]bool{pkg: true}
	queue := []string{pkg}
	for len(queue) > 0 {
		p := queue[0]
		queue = queue[1:]
		for _, alts := range deps[p] {
			for _, a := range alts {
				q := a
				if _, installed := deps[q]; !installed {
					q = provides[a]
				}
				if q == "" {
					continue
				}
				if !seen[q] {
					seen[q] = true
					queue = append(queue, q)
				}
				break
			}
		}
	}
	var list []string
	for p := range seen {
		list = append(list, p)
	}
	sort.Strings(list)
	return list
}

// TestDebianPython checks the closure of /usr/bin/python3 on a real Debian
// root: its packages equal dpkg's own answer, and the libraries the graph
// resolves for python3 are the files ldd picks inside the root.
func TestDebianPython(t *testing.T) {
	root := testfix.DebianRootfsDir(t)
	cl := graphOf(t, "rootfs-tar:"+testfix.DebianRootfsTar(t), Options{Roots: []string{"/usr/bin/python3"}, Granularity: Packages})

	owner, err := testfix.Run("", "dpkg-query", "--admindir="+filepath.Join(root, "var/lib/dpkg"), "-S", "/usr/bin/python3")
	if err != nil {
		t.Fatal(err)
	}
	rootPkg, _, _ := strings.Cut(string(owner), ":")
	want := dpkgClosure(t, root, rootPkg)
	if len(want) < 5 {
		t.Fatalf("dpkg closure suspiciously small: %q", want)
	}
	// The package closure: the root's package and what its dependencies
	// reach, along package-depends edges only.
	g := cl.Graph
	start, ok := cl.Owner("/usr/bin/python3")
	if !ok {
		t.Fatal("/usr/bin/python3 has no owner")
	}
	seen := map[graph.NodeID]bool{start: true}
	queue := []graph.NodeID{start}
	for len(queue) > 0 {
		id := queue[0]
		queue = queue[1:]
		for _, e := range g.Edges(id) {
			if e.Kinds.Has(graph.PackageDepends) && !seen[e.To] {
				seen[e.To] = true
				queue = append(queue, e.To)
			}
		}
	}
	name := func(id graph.NodeID) string { n, _, _ := strings.Cut(g.Get(id).Name, ":"); return n }
	var got []string
	for id := range seen {
		got = append(got, name(id))
	}
	sort.Strings(got)
	if !reflect.DeepEqual(got, want) {
		t.Errorf("package closure of /usr/bin/python3:\n got %q\nwant %q (dpkg-query)", got, want)
	}
	// Everything else the roots reach is there for a file's sake: an
	// essential package a script or binary uses without declaring it
	// (dpkg's perl scripts need perl-base). Each has a chain that says so.
	for i := 0; i < g.Len(); i++ {
		id := graph.NodeID(i)
		if g.Get(id).Kind != graph.Package || !cl.Analysis.Reachable(id) || seen[id] {
			continue
		}
		chains := cl.Analysis.Why(id, 1, 64)
		if len(chains) == 0 {
			t.Errorf("%s is reachable but has no chain", name(id))
			continue
		}
		fileEdge := false
		for _, k := range chains[0].Kinds {
			fileEdge = fileEdge || k&^graph.PackageDepends != 0
		}
		if !fileEdge {
			t.Errorf("%s is reached through package dependencies only, yet dpkg's closure lacks it", name(id))
		}
	}

	testfix.NeedTool(t, "bwrap")
	sb := testfix.Sandbox{Mounts: []testfix.Mount{{Src: root, Dst: "/"}}, Env: []string{"PATH=/usr/bin:/bin"}}
	res := sb.Run(t, "ldd", "/usr/bin/python3")
	if res.ExitCode != 0 {
		t.Fatalf("ldd: %d %s", res.ExitCode, res.Stderr)
	}
	fsys := os.DirFS(root)
	var lddFiles []string
	re := regexp.MustCompile(`(?m)^\s*(?:\S+ => )?(/\S+) \(0x`)
	for _, m := range re.FindAllStringSubmatch(res.Stdout, -1) {
		r, err := imagefs.Resolve(fsys, m[1])
		if err != nil {
			t.Fatalf("ldd names %s: %v", m[1], err)
		}
		lddFiles = append(lddFiles, r.Path)
	}
	real, err := imagefs.Resolve(fsys, "/usr/bin/python3")
	if err != nil {
		t.Fatal(err)
	}
	loads := append([]string(nil), cl.Loads(real.Path)...)
	sort.Strings(loads)
	sort.Strings(lddFiles)
	if len(lddFiles) < 4 || !reflect.DeepEqual(loads, lddFiles) {
		t.Errorf("libraries of %s:\n got %q\nwant %q (ldd)", real.Path, loads, lddFiles)
	}
}

// TestDebianMergedUsrEntrypoint runs the graph of a real Debian root
// (bookworm is merged-/usr: /bin -> usr/bin) whose entry point is
// `/bin/sh -c "exec ls -l /etc"` with PATH=/bin: /bin/sh resolves to
// /usr/bin/sh (which is a link to dash), dash is reachable, and so is ls,
// found through the symlinked /bin.
func TestDebianMergedUsrEntrypoint(t *testing.T) {
	tarPath := testfix.DebianRootfsTar(t)
	ref, err := source.ParseReference("rootfs-tar:" + tarPath)
	if err != nil {
		t.Fatal(err)
	}
	fi, err := os.Stat(tarPath)
	if err != nil {
		t.Fatal(err)
	}
	im := source.NewRootfsImage(ref, nil, source.LayerSource{
		Size: fi.Size(), MediaType: types.OCILayer, Command: "rootfs-tar",
		Open: func() (io.ReadCloser, error) { return os.Open(tarPath) },
	}, v1.Config{Entrypoint: []string{"/bin/sh", "-c", "exec ls -l /etc"}, Env: []string{"PATH=/bin"}})
	ix := testopen.Index(t, im)
	cl, err := Build(context.Background(), im, ix, Options{})
	if err != nil {
		t.Fatal(err)
	}
	fsys := analyze.NewFS(context.Background(), im, ix)
	if target, err := fsys.ReadLink("bin"); err != nil || target != "usr/bin" {
		t.Fatalf("the Debian fixture is not merged-/usr: /bin -> %q, %v", target, err)
	}
	sh, err := imagefs.Resolve(fsys, "/bin/sh")
	if err != nil || sh.Path != "/usr/bin/dash" || !reflect.DeepEqual(sh.Links, []string{"/bin", "/usr/bin/sh"}) {
		t.Fatalf("/bin/sh resolves to %+v, %v; want /usr/bin/dash through /bin and /usr/bin/sh", sh, err)
	}
	var roots []string
	for _, r := range cl.Roots {
		if r.Source != SourceEtc { // etcdefaults_test.go
			roots = append(roots, r.Spec+" "+r.Source+" "+r.Resolution())
		}
	}
	want := []string{"/bin/sh entrypoint /bin/sh → /usr/bin/sh", "/bin/sh link /bin", "ls shell /bin/ls → /usr/bin/ls"}
	if !reflect.DeepEqual(roots, want) {
		t.Errorf("roots\n %q\nwant\n %q", roots, want)
	}
	for _, p := range cl.Problems {
		if p.Kind == "closure/root" {
			t.Errorf("root problem: %s: %s", p.Path(), p.Message)
		}
	}
	for _, p := range []string{"/usr/bin/dash", "/bin/sh", "/usr/bin/ls", "/bin/ls"} {
		id, ok := cl.Owner(p)
		if !ok || !cl.Analysis.Reachable(id) {
			t.Errorf("%s (owner %v, found %v) is not reachable", p, id, ok)
		}
	}
	dash, _ := cl.Owner("/usr/bin/dash")
	if pkg, ok := cl.Group(dash); !ok || cl.Graph.Get(pkg).Kind != graph.Package || !strings.HasPrefix(cl.Graph.Get(pkg).Name, "dash") {
		t.Errorf("/usr/bin/dash is in group %v (%v), want the dash package", cl.Graph.Get(pkg), ok)
	}
	// --why /bin/dash finds the same node as /usr/bin/dash.
	if ids, err := cl.Find("/bin/dash"); err != nil || len(ids) != 1 || ids[0] != dash {
		t.Errorf("Find(/bin/dash) = %v, %v; want %v", ids, err, dash)
	}
}
