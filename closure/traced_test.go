package closure

import (
	"context"
	"reflect"
	"testing"

	"github.com/whittle-dev/whittle/closure/graph"
	"github.com/whittle-dev/whittle/internal/reprotar"
)

// TestTracedEdges: traced paths in the image become traced edges from the
// first root (a final symlink with its target, a symlinked directory on
// the way with the file), each explained by the command that touched it;
// paths not in the image and directories get none; TracedCount counts
// what the static closure misses without them.
func TestTracedEdges(t *testing.T) {
	im, ix := memImage(t, map[string]any{"Cmd": []string{"/app/run"}},
		reg("/app/run", "#!/app/run\n", 0o755),
		reg("/data/real/file", "data", 0o644),
		reg("/data/real/other", "other", 0o644),
		link("/data/link", "real/file"),
		link("/data/dirlink", "real"),
		reprotar.File{Path: "/data/empty", Kind: reprotar.Dir, Mode: 0o755},
	)
	traced := []Traced{
		{Path: "/data/link", Op: "open", By: "cat /data/link"},
		{Path: "/data/dirlink/other", Op: "stat"},
		{Path: "/data/empty", Op: "list", By: "ls /data/empty"},
		{Path: "/not/there", Op: "open", By: "cat /not/there"},
	}
	ctx := context.Background()
	plain, err := Build(ctx, im, ix, Options{})
	if err != nil {
		t.Fatal(err)
	}
	inImage, missed := plain.TracedCount(traced)
	var got []string
	for _, m := range missed {
		got = append(got, m.Path)
		got = append(got, m.Unreached...)
	}
	want := []string{"/data/link", "/data/link", "/data/real/file", "/data/dirlink/other", "/data/dirlink", "/data/real/other"}
	if inImage != 2 || !reflect.DeepEqual(got, want) {
		t.Errorf("TracedCount = %d, %q; want 2, %q", inImage, got, want)
	}

	c, err := Build(ctx, im, ix, Options{Traced: traced})
	if err != nil {
		t.Fatal(err)
	}
	if in, missed := c.TracedCount(traced); in != 2 || len(missed) != 0 {
		t.Errorf("with traced edges: %d in the image, missed %+v", in, missed)
	}
	root, _ := c.Owner("/app/run")
	explain := map[string][]string{}
	for _, e := range c.Graph.Edges(root) {
		if e.Kinds.Has(graph.Traced) {
			explain[c.Graph.Get(e.To).Name] = c.Explain(root, e.To)
		}
	}
	wantExplain := map[string][]string{
		"/data/link":       {"/data/link opened by `cat /data/link`"},
		"/data/real/file":  {"/data/link opened by `cat /data/link`"},
		"/data/dirlink":    {"/data/dirlink/other looked up by a learn: command (the plan's learned: list)"},
		"/data/real/other": {"/data/dirlink/other looked up by a learn: command (the plan's learned: list)"},
	}
	if !reflect.DeepEqual(explain, wantExplain) {
		t.Errorf("traced edges:\n%q\nwant\n%q", explain, wantExplain)
	}
	for _, p := range []string{"/data/real/file", "/data/real/other", "/data/link", "/data/dirlink"} {
		id, _ := c.Owner(p)
		if !c.Analysis.Reachable(id) {
			t.Errorf("%s unreachable", p)
		}
	}
}
