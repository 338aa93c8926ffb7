package closure

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	v1 "github.com/google/go-containerregistry/pkg/v1"

	"github.com/whittle-dev/whittle/analyze"
	"github.com/whittle-dev/whittle/analyze/source"
	"github.com/whittle-dev/whittle/analyze/testopen"
	"github.com/whittle-dev/whittle/closure/graph"
	"github.com/whittle-dev/whittle/internal/nixref"
	"github.com/whittle-dev/whittle/internal/testfix"
)

// rendered is everything a closure prints: the JSON report (with why
// chains to every reachable node), the tree with the unreachable, the
// whole DOT graph and the why text.
func rendered(t *testing.T, c *Closure) []byte {
	t.Helper()
	var why []graph.NodeID
	for i := 0; i < c.Graph.Len(); i += 7 {
		why = append(why, graph.NodeID(i))
	}
	var out bytes.Buffer
	enc := json.NewEncoder(&out)
	enc.SetIndent("", " ")
	if err := enc.Encode(c.NewReport("x", why, 3, 64)); err != nil {
		t.Fatal(err)
	}
	if err := c.WriteTree(&out, "x", TreeOptions{Unreachable: true}); err != nil {
		t.Fatal(err)
	}
	if err := c.WriteDOT(&out, true); err != nil {
		t.Fatal(err)
	}
	if err := c.WriteWhy(&out, why, 3, 64); err != nil {
		t.Fatal(err)
	}
	return out.Bytes()
}

// sameClosure checks that warm answers every question as cold does: what
// it prints, its fields, each node's group and each edge's rules and
// explanations, and path lookups (Find, Owner, Loads) of every file.
func sameClosure(t *testing.T, cold, warm *Closure) {
	t.Helper()
	if a, b := rendered(t, cold), rendered(t, warm); !bytes.Equal(a, b) {
		t.Fatalf("the cached closure prints differently (%d and %d bytes)", len(a), len(b))
	}
	if !reflect.DeepEqual(cold.Roots, warm.Roots) || !reflect.DeepEqual(cold.Problems, warm.Problems) ||
		!reflect.DeepEqual(cold.NarSize, warm.NarSize) || !reflect.DeepEqual(cold.NixMismatches, warm.NixMismatches) ||
		cold.Granularity != warm.Granularity || cold.DynamicCommands() != warm.DynamicCommands() {
		t.Fatalf("fields differ:\n%+v\n%+v", cold.Roots, warm.Roots)
	}
	var files []string
	for i := 0; i < cold.Graph.Len(); i++ {
		id := graph.NodeID(i)
		g1, ok1 := cold.Group(id)
		g2, ok2 := warm.Group(id)
		if g1 != g2 || ok1 != ok2 {
			t.Fatalf("Group(%d) = %d, %v; want %d, %v", i, g2, ok2, g1, ok1)
		}
		for _, e := range cold.Graph.Edges(id) {
			if !reflect.DeepEqual(cold.ruleNames(e.From, e.To), warm.ruleNames(e.From, e.To)) || !reflect.DeepEqual(cold.Explain(e.From, e.To), warm.Explain(e.From, e.To)) {
				t.Fatalf("edge %d→%d: rules or explanations differ", e.From, e.To)
			}
		}
		n := cold.Graph.Get(id)
		files = append(files, n.Files...)
		if n.Kind == graph.File {
			files = append(files, n.Name)
		}
	}
	for _, r := range cold.Roots {
		files = append(files, r.Spec, r.Named)
	}
	for _, p := range files {
		o1, ok1 := cold.Owner(p)
		o2, ok2 := warm.Owner(p)
		ids1, err1 := cold.Find(p)
		ids2, err2 := warm.Find(p)
		if o1 != o2 || ok1 != ok2 || !reflect.DeepEqual(cold.Loads(p), warm.Loads(p)) || !reflect.DeepEqual(ids1, ids2) || (err1 == nil) != (err2 == nil) {
			t.Fatalf("lookups of %q differ", p)
		}
	}
}

// TestResultCache: a closure comes back from the cache equal in every
// respect to the one computed, without the index until a path is looked
// up, on the demo image and, without -short, the Debian root and a Nix
// store; a corrupt entry is recomputed.
func TestResultCache(t *testing.T) {
	type tc struct {
		name string
		ref  func(t *testing.T) string
		opts Options
		real bool
	}
	cases := []tc{
		{"demo packages", func(*testing.T) string { return "demo:" }, Options{Granularity: Packages}, false},
		{"demo files", func(*testing.T) string { return "demo:" }, Options{Env: []string{"LANG=C.UTF-8"}}, false},
		{"debian python3 files", func(t *testing.T) string { return "rootfs-tar:" + testfix.DebianRootfsTar(t) },
			Options{Roots: []string{"/usr/bin/python3", "/bin/sh"}, Env: []string{"TZ=Europe/Riga"}}, true},
		{"debian python3 packages", func(t *testing.T) string { return "rootfs-tar:" + testfix.DebianRootfsTar(t) },
			Options{Roots: []string{"python3"}, Granularity: Packages}, true},
		{"nix packages", func(t *testing.T) string { return "nix:" + testfix.NixFixture(t).Out[testfix.NixAttrs[0]] },
			Options{Granularity: Packages}, true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if c.real && testing.Short() {
				t.Skip("a real image: not with -short")
			}
			ref := c.ref(t)
			cache := &analyze.Cache{Dir: t.TempDir()}
			im, err := source.Open(context.Background(), ref, source.Options{})
			if err != nil {
				t.Fatal(err)
			}
			defer im.Close()
			opts := c.opts
			opts.Cache = cache
			if im.Nix != nil {
				opts.NixInfo = im.Nix.Info
			}
			indexed := 0
			index := func() (*analyze.Index, error) {
				indexed++
				return analyze.IndexImage(context.Background(), im, analyze.IndexOptions{Cache: cache})
			}
			if _, ok := Cached(context.Background(), im, opts, index); ok {
				t.Fatal("Cached before anything was computed")
			}
			ix, err := index()
			if err != nil {
				t.Fatal(err)
			}
			cold, err := Build(context.Background(), im, ix, opts)
			if err != nil {
				t.Fatal(err)
			}
			indexed = 0
			warm, ok := Cached(context.Background(), im, opts, index)
			if !ok {
				t.Fatal("Cached after Build: not there")
			}
			rendered(t, warm)
			if indexed != 0 {
				t.Errorf("printing a cached closure indexed the image %d times", indexed)
			}
			sameClosure(t, cold, warm)
			if indexed != 1 {
				t.Errorf("path lookups indexed the image %d times, want once", indexed)
			}
			again, err := Build(context.Background(), im, ix, opts)
			if err != nil {
				t.Fatal(err)
			}
			sameClosure(t, cold, again)

			// A damaged entry is not used: Build computes and rewrites it.
			key, _ := resultKey(im, opts)
			entry := filepath.Join(cache.Dir, resultKind+"-"+key)
			data, err := os.ReadFile(entry)
			if err != nil {
				t.Fatal(err)
			}
			data[len(data)/2] ^= 0x40
			if err := os.WriteFile(entry, data, 0o644); err != nil {
				t.Fatal(err)
			}
			if _, ok := Cached(context.Background(), im, opts, index); ok {
				t.Fatal("Cached used a damaged entry")
			}
			rebuilt, err := Build(context.Background(), im, ix, opts)
			if err != nil {
				t.Fatal(err)
			}
			sameClosure(t, cold, rebuilt)
			if _, ok := Cached(context.Background(), im, opts, index); !ok {
				t.Fatal("Build did not rewrite the damaged entry")
			}
		})
	}
}

// TestResultKey: every input of a closure changes its key, and nothing
// else does.
func TestResultKey(t *testing.T) {
	im, _ := testopen.Indexed(t, "demo:")
	cache := &analyze.Cache{Dir: t.TempDir()}
	base := Options{Cache: cache, Roots: []string{"/a", "/b"}, Env: []string{"LANG=C"}}
	key0, ok := resultKey(im, base)
	if !ok {
		t.Fatal("the demo image's closure is not cacheable")
	}
	if again, _ := resultKey(im, Options{Cache: &analyze.Cache{Dir: "/elsewhere"}, Roots: []string{"/a", "/b"}, Env: []string{"LANG=C"}, Granularity: Files}); again != key0 {
		t.Error("the key depends on the cache directory or on spelling out the default granularity")
	}
	withConfig := func(edit func(*v1.Config)) *source.Image {
		cp := *im
		cfg := *im.Config
		cfg.Config.Env = append([]string(nil), cfg.Config.Env...)
		edit(&cfg.Config)
		cp.Config = &cfg
		return &cp
	}
	withLayer := func() *source.Image {
		cp := *im
		cp.Layers = append([]*source.Layer(nil), im.Layers...)
		l := *cp.Layers[0]
		l.DiffID = v1.Hash{Algorithm: "sha256", Hex: strings.Repeat("0", 64)}
		cp.Layers[0] = &l
		return &cp
	}
	for name, k := range map[string]struct {
		im   *source.Image
		opts Options
	}{
		"roots reordered": {im, Options{Cache: cache, Roots: []string{"/b", "/a"}, Env: base.Env}},
		"another root":    {im, Options{Cache: cache, Roots: []string{"/a", "/b", "/c"}, Env: base.Env}},
		"env":             {im, Options{Cache: cache, Roots: base.Roots, Env: []string{"LANG=C.UTF-8"}}},
		"granularity":     {im, Options{Cache: cache, Roots: base.Roots, Env: base.Env, Granularity: Packages}},
		"no config roots": {im, Options{Cache: cache, Roots: base.Roots, Env: base.Env, NoConfigRoots: true}},
		"nix path info":   {im, Options{Cache: cache, Roots: base.Roots, Env: base.Env, NixInfo: []nixref.PathInfo{{Path: "/nix/store/x"}}}},
		"config cmd":      {withConfig(func(c *v1.Config) { c.Cmd = []string{"/other"} }), base},
		"config env":      {withConfig(func(c *v1.Config) { c.Env = append(c.Env, "TZ=UTC") }), base},
		"config workdir":  {withConfig(func(c *v1.Config) { c.WorkingDir = "/srv" }), base},
		"another layer":   {withLayer(), base},
	} {
		key, ok := resultKey(k.im, k.opts)
		if !ok || key == key0 {
			t.Errorf("%s: key %q (cacheable %v) equals the base key", name, key, ok)
		}
	}
	unknown := withLayer()
	unknown.Layers[0].DiffID = v1.Hash{}
	if _, ok := resultKey(unknown, base); ok {
		t.Error("a layer without a diff ID is cacheable")
	}
	if _, ok := resultKey(im, Options{}); ok {
		t.Error("cacheable without a cache")
	}
}

// TestBuildDeterministic: two computations of one closure print the same
// bytes (edges keep the order they were added in, so no step may add
// them in a map's order).
func TestBuildDeterministic(t *testing.T) {
	type image struct {
		ref   func(*testing.T) string
		roots []string
	}
	images := map[string]image{"demo": {func(*testing.T) string { return "demo:" }, nil}}
	if !testing.Short() {
		images["debian"] = image{func(t *testing.T) string { return "rootfs-tar:" + testfix.DebianRootfsTar(t) }, []string{"/usr/bin/python3", "/bin/sh"}}
	}
	for name, img := range images {
		for _, gran := range []Granularity{Files, Packages} {
			t.Run(name+"/"+string(gran), func(t *testing.T) {
				im, ix := testopen.Indexed(t, img.ref(t))
				opts := Options{Roots: img.roots, Granularity: gran}
				first, err := Build(context.Background(), im, ix, opts)
				if err != nil {
					t.Fatal(err)
				}
				for range 3 {
					again, err := Build(context.Background(), im, ix, opts)
					if err != nil {
						t.Fatal(err)
					}
					if !bytes.Equal(rendered(t, first), rendered(t, again)) {
						t.Fatal("a second computation prints differently")
					}
				}
			})
		}
	}
}

// TestResultRefresh: the cache is trusted (a valid entry is used as it
// is), and Refresh computes afresh and replaces it.
func TestResultRefresh(t *testing.T) {
	im, ix := testopen.Indexed(t, "demo:")
	cache := &analyze.Cache{Dir: t.TempDir()}
	files := Options{Cache: cache}
	packages := Options{Cache: cache, Granularity: Packages}
	want, err := Build(context.Background(), im, ix, files)
	if err != nil {
		t.Fatal(err)
	}
	other, err := Build(context.Background(), im, ix, packages)
	if err != nil {
		t.Fatal(err)
	}
	key, _ := resultKey(im, files)
	if err := cache.PutData(resultKind, key, encodeResult(other)); err != nil {
		t.Fatal(err)
	}
	if got, err := Build(context.Background(), im, ix, files); err != nil || got.Granularity != Packages {
		t.Fatalf("a valid entry was not used as it is (%v)", err)
	}
	files.Refresh = true
	if _, ok := Cached(context.Background(), im, files, nil); ok {
		t.Error("Cached with Refresh")
	}
	got, err := Build(context.Background(), im, ix, files)
	if err != nil {
		t.Fatal(err)
	}
	sameClosure(t, want, got)
	files.Refresh = false
	again, ok := Cached(context.Background(), im, files, func() (*analyze.Index, error) { return ix, nil })
	if !ok || again.Granularity != Files {
		t.Error("Refresh did not replace the entry")
	}
}
