package doctor

import (
	"context"
	"reflect"
	"testing"

	"github.com/whittle-dev/whittle/analyze"
	"github.com/whittle-dev/whittle/analyze/testopen"
	"github.com/whittle-dev/whittle/closure"
	"github.com/whittle-dev/whittle/finding"
	"github.com/whittle-dev/whittle/internal/glob"
)

// neverDropsNeeded fails when a drop some finding suggests matches a
// path the closure's roots reach.
func neverDropsNeeded(t *testing.T, fs []finding.Finding, ix *analyze.Index, cl *closure.Closure) {
	t.Helper()
	var needed []string
	ix.Root.Walk(func(n *analyze.Node) bool {
		if !n.IsDir() {
			if id, ok := cl.Owner(n.Path()); ok && cl.Analysis.Reachable(id) {
				needed = append(needed, n.Path())
			}
		}
		return true
	})
	if len(needed) == 0 {
		t.Fatal("nothing is needed")
	}
	for _, f := range fs {
		if f.Change == nil {
			continue
		}
		for _, d := range f.Change.Drop {
			for _, p := range needed {
				if glob.Match(d, p) {
					t.Errorf("%s suggests drop %s, which removes %s that a root needs", f.Kind, d, p)
				}
			}
		}
	}
}

// TestSafeDrops: a store path the roots need part of is no drop of the
// whole store path, only of its unneeded files; with no root there is no
// "unreachable" finding at all.
func TestSafeDrops(t *testing.T) {
	sp := "/nix/store/aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa-tool-1"
	files := append(baseFiles(), program(sp+"/libexec/tool", []string{"libc.so.6"}), link(sp+"/bin/tool", "../libexec/tool"),
		file(sp+"/share/big", 4000, 'b'), file(sp+"/share/small", 10, 's'))
	im, ix := layered(t, map[string]any{"Entrypoint": []string{sp + "/bin/tool"}}, files)
	cl := build(t, im, ix)
	fs, err := Bloat(context.Background(), im, ix, cl, Options{})
	if err != nil {
		t.Fatal(err)
	}
	var un []finding.Finding
	for _, f := range byKind(fs, "bloat/unreachable") {
		if f.Path() == sp {
			un = append(un, f)
		}
	}
	if len(un) != 1 || un[0].Path() != sp || un[0].Bytes != 4010 || un[0].Change == nil ||
		!reflect.DeepEqual(un[0].Change.Drop, []string{sp + "/share/big", sp + "/share/small"}) {
		t.Errorf("unreachable %+v", un)
		if len(un) == 1 && un[0].Change != nil {
			t.Errorf("drop %q", un[0].Change.Drop)
		}
	}
	neverDropsNeeded(t, fs, ix, cl)

	im, ix = layered(t, nil, files)
	cl = build(t, im, ix)
	if fs, err = Bloat(context.Background(), im, ix, cl, Options{}); err != nil {
		t.Fatal(err)
	}
	if got := append(byKind(fs, "bloat/unreachable"), byKind(fs, "bloat/etc")...); len(got) != 0 {
		t.Errorf("with no root: %+v", got)
	}
}

// TestDemoDropsSafe: no finding on the demo image suggests dropping a
// file its roots reach (through the default /etc and the app's
// directory too).
func TestDemoDropsSafe(t *testing.T) {
	im, ix := testopen.Indexed(t, "demo:")
	cl, err := closure.Build(context.Background(), im, ix, closure.Options{})
	if err != nil {
		t.Fatal(err)
	}
	fs, err := All(context.Background(), im, ix, cl, Options{})
	if err != nil {
		t.Fatal(err)
	}
	neverDropsNeeded(t, fs, ix, cl)
	for _, f := range fs {
		if f.Kind == "fs/no-tmp" && (f.Change == nil || len(f.Change.Drop) != 0 || f.Change.Etc["basics"] != "tmp") {
			t.Errorf("fs/no-tmp's change %+v does not add /tmp", f.Change)
		}
	}
}
