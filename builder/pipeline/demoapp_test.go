package pipeline

import (
	"archive/tar"
	"context"
	"errors"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-containerregistry/pkg/v1/layout"
	"github.com/google/go-containerregistry/pkg/v1/mutate"

	"github.com/whittle-dev/whittle/analyze"
	"github.com/whittle-dev/whittle/analyze/testopen"
	"github.com/whittle-dev/whittle/internal/demo"
	"github.com/whittle-dev/whittle/internal/testfix"
	"github.com/whittle-dev/whittle/plan"
	"github.com/whittle-dev/whittle/session"
)

// TestDemoApp: `whittle build demo:`, and the same with every bloat
// finding applied (`apply: [bloat]`, what the TUI's X does), keep every
// file of the app's package but its docs, and the app imports in the
// result. The demo's interpreter is filler, so the import runs the host's
// python3 over the result's files: the demo's own entry script, up to its
// call of main, in the result's root (bubblewrap) with the config's Env,
// User and WorkingDir.
func TestDemoApp(t *testing.T) {
	want, err := demo.Describe("")
	if err != nil {
		t.Fatal(err)
	}
	_, src := testopen.Indexed(t, "demo:")
	var appFiles []string
	src.Root.Walk(func(n *analyze.Node) bool {
		p := n.Path()
		if !n.IsDir() && strings.HasPrefix(p, want.App+"/") && !strings.Contains(p, "/share/doc/") {
			appFiles = append(appFiles, p)
		}
		return true
	})
	if len(appFiles) < 15 {
		t.Fatalf("the demo's app has %d files: %q", len(appFiles), appFiles)
	}
	for _, tc := range []struct {
		name  string
		apply []string
	}{{"default", nil}, {"apply bloat", []string{"bloat"}}} {
		t.Run(tc.name, func(t *testing.T) {
			out := filepath.Join(t.TempDir(), "min")
			rep, err := Run(context.Background(), &plan.Plan{Source: "demo:", Apply: tc.apply, Outputs: []string{"oci:" + out}}, Options{})
			if err != nil {
				t.Fatal(err)
			}
			for _, f := range rep.Findings {
				if f.Kind == session.KindDroppedNeeded {
					t.Errorf("%s: %s", f.Kind, f.Message)
				}
			}
			_, ix := testopen.Indexed(t, "oci:"+out)
			for _, p := range appFiles {
				if ix.Root.Lookup(p) == nil {
					t.Errorf("%s was left out", p)
				}
			}
			for _, p := range []string{want.WorkingDir, "/etc/localtime", "/etc/nsswitch.conf", "/etc/passwd"} {
				if ix.Root.Lookup(p) == nil {
					t.Errorf("%s was left out", p)
				}
			}
			if testing.Short() {
				return
			}
			root := filepath.Join(t.TempDir(), "root")
			unpackLayout(t, out, root)
			importApp(t, root, want)
		})
	}
}

// importApp runs the demo's entry script, its call of main left out, with
// the host's python3 in the result's root.
func importApp(t *testing.T, root string, want *demo.Contents) {
	testfix.NeedTool(t, "bwrap")
	if _, err := os.Stat("/usr/bin/python3"); err != nil {
		t.Skip("no /usr/bin/python3 on the host")
	}
	script, err := os.ReadFile(filepath.Join(root, want.Entrypoint[0]))
	if err != nil {
		t.Fatalf("the entry script: %v", err)
	}
	code, _, _ := strings.Cut(string(script), "if __name__")
	code = strings.Replace(code, "from hello_web.app import main",
		"import hello_web.app, hello_web.config, hello_web.tz, hello_web.upstream\nprint('imported', hello_web.app.__file__, os.getcwd(), os.getuid())", 1)
	if strings.Contains(code, "import main") {
		t.Fatalf("the entry script changed:\n%s", script)
	}
	args := []string{"--die-with-parent", "--unshare-all", "--bind", root, "/", "--ro-bind", "/usr", "/usr",
		"--symlink", "usr/lib", "/lib", "--symlink", "usr/lib64", "/lib64", "--symlink", "usr/bin", "/bin",
		"--proc", "/proc", "--dev", "/dev", "--chdir", want.WorkingDir, "--uid", "999", "--clearenv"}
	for _, kv := range want.Env {
		k, v, _ := strings.Cut(kv, "=")
		args = append(args, "--setenv", k, v)
	}
	args = append(args, "--", "/usr/bin/python3", "-I", "-c", code)
	outb, err := exec.Command("bwrap", args...).CombinedOutput()
	if err != nil {
		t.Fatalf("the app does not import in the result: %v\n%s", err, outb)
	}
	if wantOut := "imported " + want.App + "/lib/python3.12/site-packages/hello_web/app.py " + want.WorkingDir + " 999\n"; string(outb) != wantOut {
		t.Errorf("output %q, want %q", outb, wantOut)
	}
}

// unpackLayout writes the file system of the one image of an OCI layout
// into dir (modes kept, owners not).
func unpackLayout(t *testing.T, layoutDir, dir string) {
	t.Helper()
	idx, err := layout.ImageIndexFromPath(layoutDir)
	if err != nil {
		t.Fatal(err)
	}
	m, err := idx.IndexManifest()
	if err != nil || len(m.Manifests) != 1 {
		t.Fatalf("index: %v, %+v", err, m)
	}
	img, err := idx.Image(m.Manifests[0].Digest)
	if err != nil {
		t.Fatal(err)
	}
	rc := mutate.Extract(img)
	defer rc.Close()
	tr := tar.NewReader(rc)
	for {
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			return
		}
		if err != nil {
			t.Fatal(err)
		}
		p := filepath.Join(dir, filepath.Clean("/"+h.Name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		switch h.Typeflag {
		case tar.TypeDir:
			err = os.MkdirAll(p, 0o755)
			if err == nil {
				err = os.Chmod(p, os.FileMode(h.Mode&0o777)|0o700)
			}
		case tar.TypeSymlink:
			err = os.Symlink(h.Linkname, p)
		case tar.TypeReg:
			var data []byte
			if data, err = io.ReadAll(tr); err == nil {
				err = os.WriteFile(p, data, os.FileMode(h.Mode&0o777)|0o600)
			}
		}
		if err != nil {
			t.Fatal(err)
		}
	}
}
