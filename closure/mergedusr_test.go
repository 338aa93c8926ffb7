package closure

import (
	"bytes"
	"context"
	"reflect"
	"strings"
	"testing"

	"github.com/whittle-dev/whittle/closure/graph"
	"github.com/whittle-dev/whittle/internal/reprotar"
)

// mergedUsr is the smallest merged-/usr image: /bin is a link to usr/bin,
// the entry point a script whose interpreter is another program there.
func mergedUsr() []reprotar.File {
	return []reprotar.File{
		link("/bin", "usr/bin"),
		reg("/usr/bin/tool", "#!/usr/bin/helper\n", 0o755),
		reg("/usr/bin/helper", strings.Repeat("h", 100), 0o755),
		reg("/usr/share/extra", strings.Repeat("e", 500), 0o644),
	}
}

// TestMergedUsrRoots checks that an entry point named through a
// symlinked directory (/bin/tool with /bin -> usr/bin) resolves to the
// real file and that its closure is what it is for /usr/bin/tool: tool and
// helper reachable (and the /bin link the path needs), only
// /usr/share/extra unreachable. --roots and --why answer alike for the
// /bin and the /usr/bin spelling.
func TestMergedUsrRoots(t *testing.T) {
	im, ix := memImage(t, map[string]any{"Entrypoint": []string{"/bin/tool"}}, mergedUsr()...)
	cl, err := Build(context.Background(), im, ix, Options{})
	if err != nil {
		t.Fatal(err)
	}
	g, an := cl.Graph, cl.Analysis
	id := func(p string) graph.NodeID {
		t.Helper()
		n, ok := g.Lookup(graph.File, p)
		if !ok {
			t.Fatalf("no file node %s", p)
		}
		return n
	}
	tool, helper, bin, extra := id("/usr/bin/tool"), id("/usr/bin/helper"), id("/bin"), id("/usr/share/extra")
	wantRoots := []Root{
		{Spec: "/bin/tool", Path: "/usr/bin/tool", Named: "/bin/tool", Links: []string{"/bin"}, Node: tool, Source: "entrypoint"},
		{Spec: "/bin/tool", Path: "/bin", Node: bin, Source: "link"},
	}
	if !reflect.DeepEqual(cl.Roots, wantRoots) {
		t.Errorf("roots:\n %+v\nwant\n %+v", cl.Roots, wantRoots)
	}
	if got := cl.Roots[0].Resolution(); got != "/bin/tool → /usr/bin/tool" {
		t.Errorf("Resolution() = %q", got)
	}
	if len(cl.Problems) != 0 {
		t.Errorf("problems: %+v", cl.Problems)
	}
	for _, n := range []graph.NodeID{tool, helper, bin} {
		if !an.Reachable(n) {
			t.Errorf("%s is unreachable", g.Get(n).Name)
		}
	}
	if an.Reachable(extra) || an.UnreachableSize() != 500 || an.ClosureSize(tool) != int64(len("#!/usr/bin/helper\n"))+100 {
		t.Errorf("unreachable %d bytes (extra reachable: %v), closure of tool %d", an.UnreachableSize(), an.Reachable(extra), an.ClosureSize(tool))
	}
	var unreachable []string
	for _, n := range cl.unreachableBySize() {
		unreachable = append(unreachable, g.Get(n).Name)
	}
	if !reflect.DeepEqual(unreachable, []string{"/usr/share/extra"}) {
		t.Errorf("unreachable %q", unreachable)
	}

	// --why: /bin/helper is /usr/bin/helper, chains and all.
	why := func(spec string) string {
		t.Helper()
		ids, err := cl.Find(spec)
		if err != nil {
			t.Fatalf("Find(%s): %v", spec, err)
		}
		var out bytes.Buffer
		if err := cl.WriteWhy(&out, ids, 5, 64); err != nil {
			t.Fatal(err)
		}
		return out.String()
	}
	if a, b := why("/bin/helper"), why("/usr/bin/helper"); a != b || !strings.Contains(a, "/usr/bin/tool -[shebang]-> /usr/bin/helper") {
		t.Errorf("--why /bin/helper:\n%s\n--why /usr/bin/helper:\n%s", a, b)
	}
	for _, missing := range []string{"/bin/nope", "/usr/bin/tool/x", "/bin"} {
		if _, err := cl.Find(missing + "/nothing"); err == nil {
			t.Errorf("Find(%s/nothing) found something", missing)
		}
	}

	// --roots: /bin/tool roots what /usr/bin/tool does.
	rootsOf := func(spec string) (*Closure, Root) {
		t.Helper()
		cl, err := Build(context.Background(), im, ix, Options{Roots: []string{spec}, NoConfigRoots: true})
		if err != nil {
			t.Fatalf("--roots %s: %v", spec, err)
		}
		return cl, cl.Roots[0]
	}
	viaBin, r1 := rootsOf("/bin/tool")
	viaUsr, r2 := rootsOf("/usr/bin/tool")
	if r1.Node != r2.Node || r1.Path != "/usr/bin/tool" || r2.Path != "/usr/bin/tool" || r1.Source != "option" {
		t.Errorf("--roots /bin/tool: %+v; --roots /usr/bin/tool: %+v", r1, r2)
	}
	if len(viaBin.Roots) != 2 || viaBin.Roots[1].Path != "/bin" || len(viaUsr.Roots) != 1 {
		t.Errorf("roots via /bin %+v, via /usr/bin %+v", viaBin.Roots, viaUsr.Roots)
	}
	for _, c := range []*Closure{viaBin, viaUsr} {
		if c.Analysis.UnreachableSize() != 500 || !c.Analysis.Reachable(helper) {
			t.Errorf("--roots %s: unreachable %d bytes", c.Roots[0].Spec, c.Analysis.UnreachableSize())
		}
	}
	// A command found through PATH=/bin is the real file too.
	if _, r := rootsOf("tool"); r.Path != "/usr/bin/tool" || r.Node != tool {
		t.Errorf("--roots tool: %+v", r)
	}
}

// TestMergedUsrConfigRoots resolves the other ways a config names a
// program through /bin: a PATH holding /bin only, a sh -c line, a script
// argument; and a loop or a missing program is a problem, not a panic.
func TestMergedUsrConfigRoots(t *testing.T) {
	files := append(mergedUsr(), reg("/usr/bin/sh", "sh", 0o755), link("/loop", "loop"))
	for _, tc := range []struct {
		config map[string]any
		want   []string // spec source resolution
		probs  []string
	}{
		{map[string]any{"Cmd": []string{"tool"}, "Env": []string{"PATH=/bin"}},
			[]string{"tool cmd /bin/tool → /usr/bin/tool", "tool link /bin"}, nil},
		{map[string]any{"Entrypoint": []string{"/bin/sh", "-c", "exec tool", "/bin/helper"}, "Env": []string{"PATH=/bin"}},
			[]string{"/bin/sh entrypoint /bin/sh → /usr/bin/sh", "/bin/sh link /bin", "tool shell /bin/tool → /usr/bin/tool", "/bin/helper argument /bin/helper → /usr/bin/helper"}, nil},
		{map[string]any{"Entrypoint": []string{"/loop/x"}},
			nil, []string{`entrypoint "/loop/x": a symlink loop`}},
		{map[string]any{"Entrypoint": []string{"/bin/nope"}},
			nil, []string{`entrypoint "/bin/nope": not in the image`}},
	} {
		im, ix := memImage(t, tc.config, files...)
		cl, err := Build(context.Background(), im, ix, Options{})
		if err != nil {
			t.Fatal(err)
		}
		var got, probs []string
		for _, r := range cl.Roots {
			got = append(got, r.Spec+" "+r.Source+" "+r.Resolution())
		}
		for _, p := range cl.Problems {
			if p.Kind == "closure/root" && !strings.Contains(p.Message, "names nothing to run") {
				probs = append(probs, p.Message)
			}
		}
		if !reflect.DeepEqual(got, tc.want) || !reflect.DeepEqual(probs, tc.probs) {
			t.Errorf("config %v:\nroots %q\nwant  %q\nproblems %q\nwant     %q", tc.config, got, tc.want, probs, tc.probs)
		}
	}
}
