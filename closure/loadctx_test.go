package closure

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/whittle-dev/whittle/closure/graph"
	"github.com/whittle-dev/whittle/internal/testfix"
)

// TestLoaderContext builds real ELF files with the C compiler: app needs
// libA (found through app's $ORIGIN/../lib), and libA, with no search path
// of its own, needs libB in the same directory. With DT_RPATH on app the
// loader finds libB through the chain's inherited RPATH; with DT_RUNPATH
// it does not. The host's loader is asked too, and must agree.
func TestLoaderContext(t *testing.T) {
	testfix.NeedTool(t, "cc")
	for _, tc := range []struct {
		name, dtags string
		missing     bool
	}{
		{"rpath", "--disable-new-dtags", false},
		{"runpath", "--enable-new-dtags", true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			root := t.TempDir()
			app := filepath.Join(root, "opt/app")
			lib, bin := filepath.Join(app, "lib"), filepath.Join(app, "bin")
			src := t.TempDir()
			for _, d := range []string{lib, bin} {
				if err := os.MkdirAll(d, 0o755); err != nil {
					t.Fatal(err)
				}
			}
			write := func(name, text string) string {
				p := filepath.Join(src, name)
				if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
					t.Fatal(err)
				}
				return p
			}
			cc := func(args ...string) {
				t.Helper()
				if out, err := exec.Command("cc", args...).CombinedOutput(); err != nil {
					t.Fatalf("cc %s: %v\n%s", strings.Join(args, " "), err, out)
				}
			}
			cc("-shared", "-fPIC", "-o", filepath.Join(lib, "libB.so"), write("b.c", "int b(void) { return 42; }\n"))
			cc("-shared", "-fPIC", "-o", filepath.Join(lib, "libA.so"), write("a.c", "int b(void);\nint a(void) { return b(); }\n"), "-L"+lib, "-lB")
			cc("-o", filepath.Join(bin, "app"), write("main.c", "#include <stdio.h>\nint a(void);\nint main(void) { printf(\"%d\\n\", a()); return 0; }\n"),
				"-L"+lib, "-lA", "-Wl,-rpath-link,"+lib, "-Wl,"+tc.dtags+",-rpath,$ORIGIN/../lib")

			// The host's loader.
			out, err := exec.Command(filepath.Join(bin, "app")).CombinedOutput()
			hostMissing := err != nil
			if hostMissing != tc.missing || (!tc.missing && strings.TrimSpace(string(out)) != "42") || (tc.missing && !strings.Contains(string(out), "libB.so")) {
				t.Fatalf("host loader: err %v, output %q; want libB missing=%v", err, out, tc.missing)
			}

			// The image: the app and the host's own loader and libc.
			for _, f := range []string{"/lib64/ld-linux-x86-64.so.2", "/lib/x86_64-linux-gnu/libc.so.6"} {
				data, err := os.ReadFile(f)
				if err != nil {
					t.Skipf("host has no %s: %v", f, err)
				}
				dst := filepath.Join(root, "usr", f)
				if strings.HasPrefix(f, "/lib64") {
					dst = filepath.Join(root, f)
				}
				os.MkdirAll(filepath.Dir(dst), 0o755)
				if err := os.WriteFile(dst, data, 0o755); err != nil {
					t.Fatal(err)
				}
			}
			cl := graphOf(t, "dir:"+root, Options{Roots: []string{"/opt/app/bin/app"}})
			var missing []string
			for _, p := range cl.Problems {
				missing = append(missing, p.Name()+" "+p.Path()+": "+p.Message)
			}
			want := []string(nil)
			if tc.missing {
				want = []string{"missing-library /opt/app/lib/libA.so: needs libB.so: not found"}
			}
			if strings.Join(missing, "\n") != strings.Join(want, "\n") {
				t.Errorf("problems:\n%s\nwant:\n%s", strings.Join(missing, "\n"), strings.Join(want, "\n"))
			}
			a, _ := cl.Owner("/opt/app/lib/libA.so")
			b, _ := cl.Owner("/opt/app/lib/libB.so")
			hasEdge := false
			for _, e := range cl.Graph.Edges(a) {
				hasEdge = hasEdge || e.To == b && e.Kinds.Has(graph.ELFNeeded)
			}
			if hasEdge == tc.missing || cl.Analysis.Reachable(b) == tc.missing {
				t.Errorf("libA -> libB edge %v, libB reachable %v; want both %v", hasEdge, cl.Analysis.Reachable(b), !tc.missing)
			}
		})
	}
}
