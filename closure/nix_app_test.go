package closure

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/whittle-dev/whittle/analyze"
	"github.com/whittle-dev/whittle/analyze/source"
	"github.com/whittle-dev/whittle/closure/graph"
	"github.com/whittle-dev/whittle/internal/testfix"
)

// reachableFiles returns the image paths of the reachable file nodes
// below prefix, sorted.
func reachableNixFiles(cl *Closure, prefix string) []string {
	var out []string
	for i := 0; i < cl.Graph.Len(); i++ {
		id := graph.NodeID(i)
		n := cl.Graph.Get(id)
		if n.Kind == graph.File && cl.Analysis.Reachable(id) {
			for _, f := range n.Files {
				if strings.HasPrefix(f, prefix) {
					out = append(out, f)
				}
			}
		}
	}
	sort.Strings(out)
	return slices.Compact(out)
}

// TestNixAppFiles is the Nix oracle of the files granularity: the store
// paths a store-path root reaches are exactly nix-store -qR of it, with
// no false mismatch against nix path-info, in both granularities; what a
// file names with a subpath keeps that subpath alone (the CA bundle, not
// cacert's README; zoneinfo, not tzdata's NEWS), what it names whole
// keeps the store path whole; --why says which file names what.
func TestNixAppFiles(t *testing.T) {
	if testing.Short() {
		t.Skip("builds a Nix store (-short)")
	}
	fx := testfix.NixAppFixture(t)
	out := fx.Out
	for _, root := range []string{"app", "system"} {
		t.Run(root, func(t *testing.T) {
			for _, gran := range []Granularity{Files, Packages} {
				cl := graphOf(t, "nix:"+out[root], Options{Granularity: gran})
				want := nixLines(t, "-qR", out[root])
				if got := cl.StorePathsReached(); !reflect.DeepEqual(got, want) {
					t.Errorf("%s: store paths reached:\n got %q\nwant %q (nix-store -qR)", gran, got, want)
				}
				if len(cl.NixMismatches) > 0 {
					t.Errorf("%s: false mismatches with nix path-info: %q", gran, cl.NixMismatches)
				}
				if gran == Packages {
					checkAgainstNix(t, cl, out[root])
				}
				t.Logf("%s: %d store paths, %d of %d bytes needed", gran, len(want), cl.Analysis.TotalSize(), cl.Analysis.TotalSize()+cl.Analysis.UnreachableSize())
			}
		})
	}

	cl := graphOf(t, "nix:"+out["app"], Options{})
	for _, c := range []struct {
		store string
		want  []string
	}{
		{"cacert", []string{"/etc/ssl/certs/ca-bundle.crt"}},
		{"tzdata", []string{"/share/zoneinfo/Europe/Riga", "/share/zoneinfo/UTC", "/share/zoneinfo/posix"}},
		{"data", []string{"/a.txt", "/b.txt"}},
		{"busybox", []string{"/bin/busybox", "/bin/date", "/bin/head", "/bin/sh"}},
	} {
		var want []string
		for _, w := range c.want {
			want = append(want, out[c.store]+w)
		}
		if got := reachableNixFiles(cl, out[c.store]+"/"); !reflect.DeepEqual(got, want) {
			t.Errorf("reachable files of %s:\n got %q\nwant %q", c.store, got, want)
		}
	}
	// "needed by the roots" is the app's closure less the two documents.
	var buf bytes.Buffer
	if err := cl.WriteWhy(&buf, mustFind(t, cl, out["cacert"]+"/etc/ssl/certs/ca-bundle.crt"), 1, 50); err != nil {
		t.Fatal(err)
	}
	if want := out["app"] + "/bin/app names " + out["cacert"] + "/etc/ssl/certs/ca-bundle.crt"; !strings.Contains(buf.String(), want) {
		t.Errorf("--why of the bundle does not say %q:\n%s", want, buf.String())
	}
	buf.Reset()
	if err := cl.WriteTree(&buf, "nix:app", TreeOptions{}); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(buf.String(), "nix says") {
		t.Errorf("the tree reports false nix problems:\n%s", buf.String())
	}
}

func mustFind(t *testing.T, cl *Closure, spec string) []graph.NodeID {
	t.Helper()
	ids, err := cl.Find(spec)
	if err != nil {
		t.Fatal(err)
	}
	return ids
}

// TestNixOSTrimToApp trims the NixOS-shaped system to its app (the Cmd
// /run/current-system/sw/bin/app): the store paths kept are the app's
// closure (its own store path is the application's directory, kept
// whole, so the data it names by hash comes too), the system and system
// path whose links lead to it, and the etc store path's link of the CA
// bundle /etc/ssl/certs/ca-certificates.crt leads through (a default
// /etc root); the kernel and the bloat are left out; the reachable files copied
// into a fresh root run the app, which prints its certificate line and
// time.
func TestNixOSTrimToApp(t *testing.T) {
	if testing.Short() {
		t.Skip("builds a Nix store (-short)")
	}
	testfix.NeedTool(t, "bwrap")
	fx := testfix.NixAppFixture(t)
	out := fx.Out
	cl := graphOf(t, "docker-archive:"+fx.NixOS, Options{})
	var want []string
	for _, a := range []string{"busybox", "cacert", "tzdata", "data", "app", "sw", "etc", "system"} {
		want = append(want, out[a])
	}
	sort.Strings(want)
	if got := cl.StorePathsReached(); !reflect.DeepEqual(got, want) {
		t.Errorf("store paths reached:\n got %q\nwant %q", got, want)
	}
	for _, p := range cl.Problems {
		t.Logf("problem: %s %s %s", p.Name(), p.Path(), p.Message)
	}
	root := filepath.Join(t.TempDir(), "nixos-root")
	testfix.UnpackDockerArchive(t, fx.NixOS, root)
	fresh := filepath.Join(t.TempDir(), "fresh")
	files, copied := copyReachable(t, cl, root, fresh)
	t.Logf("%d reachable files, %d bytes copied; %d of %d bytes needed", len(files), copied, cl.Analysis.TotalSize(), cl.Analysis.TotalSize()+cl.Analysis.UnreachableSize())
	sb := &testfix.Sandbox{Mounts: []testfix.Mount{{Src: fresh, Dst: "/"}}, Env: testfix.NixOSEnv}
	res := sb.Run(t, testfix.NixOSCmd...)
	if wantOut := testfix.NixAppCertLine + "\n" + testfix.NixAppTimeLine + "\n"; res.ExitCode != 0 || res.Stdout != wantOut {
		t.Errorf("the app in the trimmed root: exit %d, stdout %q (want %q), stderr %q", res.ExitCode, res.Stdout, wantOut, res.Stderr)
	}
}

// appClosureTar writes the fixture app's closure (nix-store -qR) as a
// root file system tarball.
func appClosureTar(t *testing.T, app string) string {
	t.Helper()
	tarball := filepath.Join(t.TempDir(), "closure.tar")
	args := []string{"-C", "/", "-cf", tarball}
	for _, p := range nixLines(t, "-qR", app) {
		args = append(args, strings.TrimPrefix(p, "/"))
	}
	if o, err := testfix.Run("", "tar", args...); err != nil {
		t.Fatalf("%v\n%s", err, o)
	}
	return tarball
}

// breakAppScript changes the app's script in place in the tarball (same
// size and time) to name a bundle that does not exist: read, it makes the
// whole cacert store path needed.
func breakAppScript(t *testing.T, tarball string) {
	t.Helper()
	data, err := os.ReadFile(tarball)
	if err != nil {
		t.Fatal(err)
	}
	changed := bytes.Replace(data, []byte("/etc/ssl/certs/ca-bundle.crt\n"), []byte("/etc/ssl/certs/ca-bundle.xxx\n"), 1)
	if bytes.Equal(changed, data) {
		t.Fatal("the app's script is not in the tarball")
	}
	fi, _ := os.Stat(tarball)
	if err := os.WriteFile(tarball, changed, 0o644); err != nil {
		t.Fatal(err)
	}
	os.Chtimes(tarball, fi.ModTime(), fi.ModTime())
}

// TestNixOnePass: with a Learner, what every store file names is learnt
// while the layers are indexed, so the graph reads no layer again: the
// tarball is changed between the index and the graph (a read would fail
// on the changed bytes or see the changed script), and the graph still
// needs the bundle alone.
func TestNixOnePass(t *testing.T) {
	if testing.Short() {
		t.Skip("builds a Nix store (-short)")
	}
	fx := testfix.NixAppFixture(t)
	out := fx.Out
	tarball := appClosureTar(t, out["app"])
	im, err := source.Open(context.Background(), "rootfs-tar:"+tarball, source.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer im.Close()
	learner := NewLearner(nil)
	ix, err := analyze.IndexImage(context.Background(), im, analyze.IndexOptions{Learner: learner})
	if err != nil {
		t.Fatal(err)
	}
	breakAppScript(t, tarball)
	cl, err := Build(context.Background(), im, ix, Options{Roots: []string{out["app"]}, Learned: learner})
	if err != nil {
		t.Fatalf("the graph read the layer again: %v", err)
	}
	for _, c := range []struct {
		p    string
		want bool
	}{
		{out["cacert"] + "/etc/ssl/certs/ca-bundle.crt", true},
		{out["cacert"] + "/share/doc/cacert/README", false},
		{out["data"] + "/a.txt", true},
	} {
		if got := cl.Analysis.Reachable(mustFind(t, cl, c.p)[0]); got != c.want {
			t.Errorf("%s needed: %v, want %v", c.p, got, c.want)
		}
	}
}

// TestNixFactsCache: in an image with a Nix store, what each file names
// is kept with its facts, so a warm closure reads no file. The app's
// script is changed in place in the tarball (same size and time) to name
// a bundle that does not exist, which makes the whole cacert store path
// needed when read: the warm closure, built from the cache, still needs
// the bundle alone; a fresh cache sees the change.
func TestNixFactsCache(t *testing.T) {
	if testing.Short() {
		t.Skip("builds a Nix store (-short)")
	}
	fx := testfix.NixAppFixture(t)
	out := fx.Out
	tarball := appClosureTar(t, out["app"])
	readme := out["cacert"] + "/share/doc/cacert/README"
	needsReadme := func(cache *analyze.Cache) bool {
		t.Helper()
		im, err := source.Open(context.Background(), "rootfs-tar:"+tarball, source.Options{})
		if err != nil {
			t.Fatal(err)
		}
		defer im.Close()
		ix, err := analyze.IndexImage(context.Background(), im, analyze.IndexOptions{Cache: cache})
		if err != nil {
			t.Fatal(err)
		}
		// build, not Build: the whole closure is not taken from the cache.
		cl, err := build(context.Background(), im, ix, Options{Roots: []string{out["app"]}, Cache: cache})
		if err != nil {
			t.Fatal(err)
		}
		ids, err := cl.Find(readme)
		if err != nil {
			t.Fatal(err)
		}
		return cl.Analysis.Reachable(ids[0])
	}
	cache := &analyze.Cache{Dir: t.TempDir()}
	if needsReadme(cache) {
		t.Fatalf("cold: %s is needed", readme)
	}
	breakAppScript(t, tarball)
	if needsReadme(cache) {
		t.Errorf("warm: the script was read again (%s is needed)", readme)
	}
	if !needsReadme(&analyze.Cache{Dir: t.TempDir()}) {
		t.Errorf("fresh cache: the changed script does not make %s needed", readme)
	}
}

// TestSubpath: what the text after a hash part names inside its store path.
func TestSubpath(t *testing.T) {
	const sp = "/nix/store/0123456789abcdfghijklmnpqrsvwxyz-cacert-3.98"
	for _, c := range []struct{ tail, want string }{
		{"-cacert-3.98/etc/ssl/certs/ca-bundle.crt", "/etc/ssl/certs/ca-bundle.crt"},
		{"-cacert-3.98/share/zoneinfo/", "/share/zoneinfo"},
		{"-cacert-3.98/etc//ssl/./certs", "/etc/ssl/certs"},
		{"-cacert-3.98/README.", "/README"},
		{"-cacert-3.98", ""},
		{"-cacert-3.98/", ""},
		{"", ""},
		{"-cacert-3.99/etc", ""},
		{"-cacert-3.98x/etc", ""},
		{"-cacert-3.98/../other/etc", ""},
		{"-cacert-3.98/etc/../lib", "/lib"},
		{"-cacert-3.98/etc/..", ""},
		{"-cacert-3.98/etc/.", "/etc"},
		{"-cacert-3.98/etc/ssl,", "/etc/ssl"},
	} {
		if got := subpath(sp, c.tail); got != c.want {
			t.Errorf("subpath(%q) = %q, want %q", c.tail, got, c.want)
		}
	}
}

// TestNixFileRules: what a file of a store path needs of what it names,
// on a synthetic store: a script's subpaths (a file, a directory's tree,
// a path that does not exist: the whole store path), an ELF file's own
// data file (needed) and own directory (left to the run-time rules), its
// RUNPATH (left to the loader rules), a link to a directory (the link
// alone; the store path needed whole needs the tree), a bare hash.
func TestNixFileRules(t *testing.T) {
	testfix.NeedTool(t, "patchelf")
	const (
		a = "/nix/store/0123456789abcdfghijklmnpqrsvwxyz-a"
		b = "/nix/store/11111111111111111111111111111111-b"
		c = "/nix/store/22222222222222222222222222222222-c"
		d = "/nix/store/33333333333333333333333333333333-d"
		e = "/nix/store/44444444444444444444444444444444-e"
	)
	// /bin/true with b's lib as its RUNPATH, and two strings naming its
	// own store path.
	elfPath := filepath.Join(t.TempDir(), "prog")
	if o, err := testfix.Run("", "cp", "/bin/true", elfPath); err != nil {
		t.Fatalf("%v: %s", err, o)
	}
	if o, err := testfix.Run("", "patchelf", "--set-rpath", b+"/lib", elfPath); err != nil {
		t.Fatalf("%v: %s", err, o)
	}
	elfBytes, err := os.ReadFile(elfPath)
	if err != nil {
		t.Fatal(err)
	}
	prog := string(elfBytes) + "\x00" + a + "/share/a/data\x00" + a + "/lib/gconv\x00"
	im, ix := memImage(t, map[string]any{"Entrypoint": []string{a + "/bin/run"}},
		reg(a+"/bin/run", "#!"+a+"/bin/prog\ncat "+b+"/etc/one "+c+"/share/tree/ "+d+"/nope\n", 0o755),
		reg(a+"/bin/prog", prog, 0o755),
		reg(a+"/share/a/data", "x", 0o644), reg(a+"/share/a/other", "x", 0o644),
		reg(a+"/lib/gconv/UTF-16.so", "x", 0o644),
		link(a+"/lib/e", e+"/lib"),
		reg(b+"/etc/one", "1", 0o644), reg(b+"/etc/two", "2", 0o644), reg(b+"/lib/libb.so", "b", 0o644),
		reg(c+"/share/tree/x", "x", 0o644), reg(c+"/share/tree/sub/y", "y", 0o644), reg(c+"/share/other", "o", 0o644),
		reg(d+"/f", "f", 0o644), reg(d+"/g", "names "+e[len("/nix/store/"):len("/nix/store/")+32], 0o644),
		reg(e+"/lib/libe.so", "e", 0o644), reg(e+"/share/doc", "d", 0o644),
	)
	cl, err := Build(context.Background(), im, ix, Options{})
	if err != nil {
		t.Fatal(err)
	}
	// The entry script's own store path is the application's directory,
	// kept whole (approots.go); the other store paths keep what is named.
	want := []string{a + "/bin/run", a + "/bin/prog", a + "/share/a/data", a + "/share/a/other", a + "/lib/gconv/UTF-16.so", a + "/lib/e", b + "/etc/one",
		c + "/share/tree/x", c + "/share/tree/sub/y", d + "/f", d + "/g", e + "/lib/libe.so", e + "/share/doc"}
	sort.Strings(want)
	if got := reachableFiles(cl, "/nix/store/"); !reflect.DeepEqual(got, want) {
		t.Errorf("reachable:\n got %q\nwant %q", got, want)
	}
	// The whole store path a: its link leads into e's tree.
	whole := graphOf2(t, im, ix, Options{Roots: []string{a}, NoConfigRoots: true})
	for _, p := range []string{a + "/lib/e", e + "/lib/libe.so", a + "/share/a/other", a + "/lib/gconv/UTF-16.so"} {
		if !whole.Analysis.Reachable(mustFind(t, whole, p)[0]) {
			t.Errorf("whole %s: %s is not needed", a, p)
		}
	}
	if whole.Analysis.Reachable(mustFind(t, whole, b+"/etc/two")[0]) {
		t.Errorf("whole %s: %s/etc/two is needed, though only etc/one is named", a, b)
	}
}

func graphOf2(t *testing.T, im *source.Image, ix *analyze.Index, opts Options) *Closure {
	t.Helper()
	cl, err := Build(context.Background(), im, ix, opts)
	if err != nil {
		t.Fatal(err)
	}
	return cl
}
