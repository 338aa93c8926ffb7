package closure

import (
	"bytes"
	"path/filepath"
	"reflect"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/whittle-dev/whittle/closure/graph"
	"github.com/whittle-dev/whittle/internal/testfix"
)

// reachableFiles returns the image paths of the reachable file nodes
// below prefix, sorted.
func reachableFiles(cl *Closure, prefix string) []string {
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
		if got := reachableFiles(cl, out[c.store]+"/"); !reflect.DeepEqual(got, want) {
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
// closure less what only the app's whole store path names (data), plus
// the system and system path whose links lead to it; the kernel, the
// bloat, the etc store path are left out; the reachable files copied
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
	for _, a := range []string{"busybox", "cacert", "tzdata", "app", "sw", "system"} {
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
