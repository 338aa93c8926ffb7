package closure

import (
	"context"
	"reflect"
	"sort"
	"strings"
	"testing"

	"github.com/whittle-dev/whittle/closure/graph"
	"github.com/whittle-dev/whittle/internal/reprotar"
)

const (
	hashA = "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	hashB = "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb"
	hashC = "cccccccccccccccccccccccccccccccc"
	hashD = "dddddddddddddddddddddddddddddddd"
)

// TestBuildBrokenInput feeds Build a small Nix image full of breakage: a
// reference cycle, a zoneinfo posix -> . loop, a symlink loop, a dangling
// symlink, a malformed ELF, a script whose interpreter is missing and a
// corrupt dpkg status file. Every one must come back as a node, an edge or
// a problem, with exact sizes, and nothing may hang.
func TestBuildBrokenInput(t *testing.T) {
	a, b, c, d := "/nix/store/"+hashA+"-app-1", "/nix/store/"+hashB+"-lib-2", "/nix/store/"+hashC+"-tzdata-3", "/nix/store/"+hashD+"-unused-4"
	im, ix := memImage(t, map[string]any{"Entrypoint": []string{a + "/bin/app"}, "Env": []string{"PATH=/bin"}},
		reg(a+"/bin/app", "#!"+b+"/bin/interp\nuses "+c+"/share/zoneinfo\n", 0o755),
		reg(b+"/bin/interp", "\x7fELF garbage that is no ELF "+a+"\n", 0o755), // cycle b -> a
		reg(c+"/share/zoneinfo/UTC", "TZif", 0o644),
		link(c+"/share/zoneinfo/posix", "."),
		link(c+"/share/loop1", "loop2"), link(c+"/share/loop2", "loop1"),
		link(c+"/share/dangling", "/nix/store/"+hashD+"-unused-4/nothing"),
		reg(d+"/data", strings.Repeat("x", 1000), 0o644),
		reg("/bin/tool", "#!/bin/missing-shell\n", 0o755),
		reg("/var/lib/dpkg/status", "Package: broken\nStatus install ok installed\n\n", 0o644),
	)
	cl, err := Build(context.Background(), im, ix, Options{Granularity: Packages})
	if err != nil {
		t.Fatal(err)
	}
	g, an := cl.Graph, cl.Analysis
	id := func(kind graph.Kind, name string) graph.NodeID {
		n, ok := g.Lookup(kind, name)
		if !ok {
			t.Fatalf("no %s node %s", kind, name)
		}
		return n
	}
	nA, nB, nC, nD := id(graph.StorePath, a), id(graph.StorePath, b), id(graph.StorePath, c), id(graph.StorePath, d)
	edges := map[[2]graph.NodeID]graph.EdgeKind{}
	for i := 0; i < g.Len(); i++ {
		for _, e := range g.Edges(graph.NodeID(i)) {
			edges[[2]graph.NodeID{e.From, e.To}] = e.Kinds
		}
	}
	want := map[[2]graph.NodeID]graph.EdgeKind{
		{nA, nB}: graph.NixReference | graph.Shebang,
		{nA, nC}: graph.NixReference,
		{nB, nA}: graph.NixReference,
		{nC, nD}: graph.NixReference, // the dangling link's target names d
	}
	for k, v := range want {
		if edges[k] != v {
			t.Errorf("edge %s -> %s: %v, want %v", g.Get(k[0]).Name, g.Get(k[1]).Name, edges[k], v)
		}
	}
	if !an.Reachable(nA) || !an.Reachable(nB) || !an.Reachable(nC) || !an.Reachable(nD) {
		t.Error("the cycle's closure is not reachable from the entrypoint")
	}
	sizeA := int64(len("#!" + b + "/bin/interp\nuses " + c + "/share/zoneinfo\n"))
	sizeB := int64(len("\x7fELF garbage that is no ELF " + a + "\n"))
	if an.ClosureSize(nA) != an.ClosureSize(nB) || an.ClosureSize(nA) != sizeA+sizeB+4+1000 {
		t.Errorf("closure sizes %d/%d, want %d for both (a cycle)", an.ClosureSize(nA), an.ClosureSize(nB), sizeA+sizeB+4+1000)
	}
	var kinds []string
	for _, p := range cl.Problems {
		kinds = append(kinds, p.Name()+" "+p.Path())
	}
	sort.Strings(kinds)
	wantKinds := []string{
		"bad-elf " + b + "/bin/interp",
		"dangling-symlink " + c + "/share/dangling",
		"missing-interpreter /bin/tool",
		"package-database ",
		"symlink-loop " + c + "/share/loop1",
		"symlink-loop " + c + "/share/loop2",
	}
	if !reflect.DeepEqual(kinds, wantKinds) {
		t.Errorf("problems:\n%s\nwant:\n%s", strings.Join(kinds, "\n"), strings.Join(wantKinds, "\n"))
	}
	if root := cl.Roots; len(root) != 1 || root[0].Node != nA || root[0].Source != "entrypoint" {
		t.Errorf("roots %+v", root)
	}
	tool := id(graph.File, "/bin/tool")
	if an.Reachable(tool) || an.UnreachableSize() != int64(len("#!/bin/missing-shell\n"))+int64(len("Package: broken\nStatus install ok installed\n\n")) {
		t.Errorf("unreachable size %d", an.UnreachableSize())
	}
}

// TestRootsFromConfig resolves Entrypoint and Cmd as a runtime would: a
// command through PATH, `sh -c` command lines, script arguments.
func TestRootsFromConfig(t *testing.T) {
	files := []reprotar.File{
		reg("/usr/bin/python3.11", "\x7fELF", 0o755), link("/usr/bin/python3", "python3.11"),
		reg("/bin/sh", "sh", 0o755), reg("/app/main.py", "print()", 0o644), reg("/usr/local/bin/serve", "#!/bin/sh\n", 0o755),
	}
	for _, tc := range []struct {
		config map[string]any
		want   []string // spec source path
	}{
		{map[string]any{"Cmd": []string{"python3", "/app/main.py"}, "Env": []string{"PATH=/usr/local/bin:/usr/bin"}},
			[]string{"python3 cmd /usr/bin/python3", "/app/main.py argument /app/main.py", "/app app-dir /app"}},
		{map[string]any{"Entrypoint": []string{"/bin/sh", "-c"}, "Cmd": []string{"FOO=1 exec serve --port 80"}, "Env": []string{"PATH=/usr/local/bin:/bin"}},
			[]string{"/bin/sh entrypoint /bin/sh", "serve shell /usr/local/bin/serve"}},
		{map[string]any{"Entrypoint": []string{"./main.py"}, "WorkingDir": "/app"},
			[]string{"./main.py entrypoint /app/main.py", "/app app-dir /app"}},
	} {
		im, ix := memImage(t, tc.config, files...)
		cl, err := Build(context.Background(), im, ix, Options{})
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, r := range cl.Roots {
			got = append(got, r.Spec+" "+r.Source+" "+r.Path)
		}
		if !reflect.DeepEqual(got, tc.want) {
			t.Errorf("config %v: roots %q, want %q", tc.config, got, tc.want)
		}
	}
	im, ix := memImage(t, map[string]any{"Cmd": []string{"nope"}}, files...)
	cl, err := Build(context.Background(), im, ix, Options{Roots: []string{"python3"}})
	if err != nil {
		t.Fatal(err)
	}
	var rootProblems []string
	for _, p := range cl.Problems {
		if p.Kind == "closure/root" {
			rootProblems = append(rootProblems, p.Message)
		}
	}
	if len(cl.Roots) != 1 || cl.Roots[0].Path != "/usr/bin/python3" || !reflect.DeepEqual(rootProblems, []string{`cmd "nope": not found in PATH /usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin`}) {
		t.Errorf("roots %+v, root problems %q", cl.Roots, rootProblems)
	}
	if _, err := Build(context.Background(), im, ix, Options{Roots: []string{"pyton3"}}); err == nil || !strings.Contains(err.Error(), `"pyton3" is neither`) {
		t.Errorf("unknown root: %v", err)
	}
}
