package closure

import (
	"os"
	"path/filepath"
	"reflect"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/whittle-dev/whittle/closure/graph"
	"github.com/whittle-dev/whittle/internal/testfix"
)

// TestNixGlibcTrim is the Nix oracle of the files closure: a real store
// built with nix-bin from the host's glibc, a C program compiled against
// it and the host's Python moved into a store prefix (see
// testfix.NixGlibcExpression). From the two programs as roots, no library
// is missing (libc and libm find ld.so and libc among the loaded objects,
// the extension modules are judged in the interpreter's process), and the
// reachable files alone, copied into a fresh root, run both: hello prints
// its marker and python3 imports json and ssl. The store-path closure of
// the top path equals nix-store -qR.
func TestNixGlibcTrim(t *testing.T) {
	if testing.Short() {
		t.Skip("builds a Nix store (-short)")
	}
	testfix.NeedTool(t, "bwrap")
	start := time.Now()
	out := testfix.NixGlibcFixture(t)
	t.Logf("fixture: %v", time.Since(start).Round(time.Millisecond))
	hello := out["hello"] + "/bin/hello"
	python := out["python"] + "/bin/python3"

	start = time.Now()
	cl := graphOf(t, "nix:"+out["top"], Options{Roots: []string{hello, python}, NoConfigRoots: true})
	t.Logf("files closure: %v", time.Since(start).Round(time.Millisecond))
	if cl.Granularity != Files {
		t.Fatalf("granularity %q, want files by default", cl.Granularity)
	}
	for _, p := range cl.Problems {
		if p.Name() == "missing-library" || p.Name() == "missing-interpreter" {
			t.Errorf("false problem: %s %s", p.Path(), p.Message)
		} else {
			t.Logf("problem: %s %s %s", p.Name(), p.Path(), p.Message)
		}
	}
	if len(cl.Roots) != 2 {
		t.Errorf("roots %+v, want hello and python3", cl.Roots)
	}

	// The store paths the two programs reach are theirs and glibc, as
	// nix-store says.
	an := cl.Analysis
	fresh := filepath.Join(t.TempDir(), "root")
	files, copied := copyReachable(t, cl, "/", fresh)
	seen := map[string]bool{}
	var reached []string
	for _, f := range files {
		parts := strings.SplitN(f, "/", 5)
		if sp := strings.Join(parts[:4], "/"); len(parts) >= 4 && !seen[sp] {
			seen[sp] = true
			reached = append(reached, sp)
		}
	}
	sort.Strings(reached)
	if want := nixLines(t, "-qR", out["hello"], out["python"]); !reflect.DeepEqual(reached, want) {
		t.Errorf("store paths of the reachable files:\n got %q\nwant %q (nix-store -qR)", reached, want)
	}
	total := an.TotalSize() + an.UnreachableSize()
	t.Logf("%d reachable files, %d bytes of %d (%.1f%%), %d copied", len(files), an.TotalSize(), total, 100*float64(an.TotalSize())/float64(total), copied)
	// No locale is in use, so no gconv module is loaded.
	if _, err := os.Lstat(filepath.Join(fresh, out["glibc"], "lib/gconv")); err == nil {
		t.Errorf("%s/lib/gconv is reachable", out["glibc"])
	}

	sb := &testfix.Sandbox{Mounts: []testfix.Mount{{Src: fresh, Dst: "/"}}}
	start = time.Now()
	res := sb.Run(t, hello)
	if res.ExitCode != 0 || res.Stdout != testfix.NixGlibcMarker+" 3\n" {
		t.Errorf("hello in the trimmed root: exit %d, stdout %q, stderr %q", res.ExitCode, res.Stdout, res.Stderr)
	}
	res = sb.Run(t, python, "-c", "import json, ssl, sys; print(json.dumps([1]), sys.prefix)")
	if want := "[1] " + out["python"] + "\n"; res.ExitCode != 0 || res.Stdout != want {
		t.Errorf("python3 in the trimmed root: exit %d, stdout %q (want %q), stderr %q", res.ExitCode, res.Stdout, want, res.Stderr)
	}
	t.Logf("runs: %v", time.Since(start).Round(time.Millisecond))

	// So is the file view of the top path, with no false mismatch.
	fl := graphOf(t, "nix:"+out["top"], Options{})
	if got, want := fl.StorePathsReached(), nixLines(t, "-qR", out["top"]); !reflect.DeepEqual(got, want) {
		t.Errorf("files: store paths reached from the top path:\n got %q\nwant %q (nix-store -qR)", got, want)
	}
	if len(fl.NixMismatches) > 0 {
		t.Errorf("files: the scan disagrees with nix path-info: %q", fl.NixMismatches)
	}
	t.Logf("files closure of the top path: %d of %d bytes", fl.Analysis.TotalSize(), fl.Analysis.TotalSize()+fl.Analysis.UnreachableSize())

	// The package view of the top path is Nix's own closure.
	pk := graphOf(t, "nix:"+out["top"], Options{Granularity: Packages})
	checkAgainstNix(t, pk, out["top"])
	if len(pk.NixMismatches) > 0 {
		t.Errorf("the scan disagrees with nix path-info: %q", pk.NixMismatches)
	}
}

// copyReachable copies exactly the reachable files of a closure from
// srcRoot (where the image's paths are on the host) into dst, symlinks
// as symlinks, and returns their image paths, sorted, and the bytes
// of the regular files copied.
func copyReachable(t *testing.T, cl *Closure, srcRoot, dst string) ([]string, int64) {
	t.Helper()
	g, an := cl.Graph, cl.Analysis
	var files []string
	for i := 0; i < g.Len(); i++ {
		id := graph.NodeID(i)
		if an.Reachable(id) && g.Get(id).Kind == graph.File {
			files = append(files, g.Get(id).Files...)
		}
	}
	sort.Strings(files)
	var copied int64
	for _, p := range files {
		src, to := filepath.Join(srcRoot, p), filepath.Join(dst, p)
		if err := os.MkdirAll(filepath.Dir(to), 0o755); err != nil {
			t.Fatal(err)
		}
		fi, err := os.Lstat(src)
		if err != nil {
			t.Fatal(err)
		}
		if fi.Mode()&os.ModeSymlink != 0 {
			target, _ := os.Readlink(src)
			if err := os.Symlink(target, to); err != nil {
				t.Fatal(err)
			}
			continue
		}
		if !fi.Mode().IsRegular() {
			t.Fatalf("reachable %s is %v, not a file or symlink", p, fi.Mode().Type())
		}
		data, err := os.ReadFile(src)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(to, data, fi.Mode().Perm()); err != nil {
			t.Fatal(err)
		}
		copied += fi.Size()
	}
	return files, copied
}
