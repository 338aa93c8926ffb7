package closure

import (
	"context"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"sort"
	"strings"
	"testing"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/whittle-dev/whittle/analyze/testopen"
	"github.com/whittle-dev/whittle/closure/graph"
	"github.com/whittle-dev/whittle/internal/testfix"
)

// debianApps are three small apps on Debian's interpreters and module
// packages; each prints the files its interpreter loaded when it ends
// (the oracle the closure is checked against).
var debianApps = map[string]string{
	"app/app.py": `import os, sys
sys.path.insert(0, os.path.join(os.path.dirname(__file__), "lib"))
from flask import Flask
import helper
app = Flask(__name__)
with app.test_request_context("/"):
    pass
for m in list(sys.modules.values()):
    f = getattr(m, "__file__", None)
    if f:
        print(f)
`,
	"app/lib/helper.py": "X = 1\n",
	// A package of the site directory no app imports: the trim leaves
	// it out.
	"usr/lib/python3/dist-packages/unusedpkg/__init__.py": "import flask\n",
	"app/server.js": `const express = require('express');
const app = express();
process.on('exit', () => { for (const f of Object.keys(require.cache)) console.log(f); });
`,
	"app/run.pl": `use strict;
use JSON::XS;
use URI;
my $u = URI->new("http://example.com/x");
my $j = encode_json({host => $u->host});
END { print "$_\n" for values %INC }
`,
}

// debianAppImage returns the module fixture with the apps appended under
// /app, and the host directory holding the apps.
func debianAppImage(t *testing.T) (tarball, appDir string) {
	src := testfix.DebianModulesRootfsTar(t)
	dir := t.TempDir()
	tarball = filepath.Join(dir, "rootfs.tar")
	in, err := os.Open(src)
	if err != nil {
		t.Fatal(err)
	}
	defer in.Close()
	out, err := os.Create(tarball)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := io.Copy(out, in); err != nil {
		t.Fatal(err)
	}
	out.Close()
	appDir = filepath.Join(dir, "files")
	for name, body := range debianApps {
		p := filepath.Join(appDir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := testfix.Run(appDir, "tar", "--append", "--file", tarball, "--owner=0", "--group=0", "./app", "./usr/lib/python3/dist-packages/unusedpkg/__init__.py"); err != nil {
		t.Fatal(err)
	}
	return tarball, filepath.Join(appDir, "app")
}

// TestDebianModules runs each app in a sandbox of the Debian root and
// checks that the closure of the config that runs it holds every file
// the interpreter loaded; for Python, that the site directory keeps
// exactly the packages imported (plus what is imported only on another
// platform), not the directory whole.
func TestDebianModules(t *testing.T) {
	if testing.Short() {
		t.Skip("builds a Debian root (-short)")
	}
	testfix.NeedTool(t, "bwrap")
	root := testfix.DebianModulesRootfsDir(t)
	tarball, appDir := debianAppImage(t)
	sb := testfix.Sandbox{
		Mounts: []testfix.Mount{
			{Src: filepath.Join(root, "usr"), Dst: "/usr"}, {Src: filepath.Join(root, "etc"), Dst: "/etc"},
			{Src: appDir, Dst: "/app"},
		},
		Symlinks: []testfix.Symlink{{Path: "/bin", Target: "usr/bin"}, {Path: "/lib", Target: "usr/lib"}, {Path: "/lib64", Target: "usr/lib64"}},
		Env:      []string{"PATH=/usr/bin"},
	}
	const dist = "/usr/lib/python3/dist-packages"
	for _, tc := range []struct {
		name string
		argv []string
		// static are top-level packages of dist-packages imported by
		// code the run does not reach (click imports colorama on
		// Windows only).
		static []string
	}{
		{"python", []string{"python3", "/app/app.py"}, []string{"colorama"}},
		{"node", []string{"node", "/app/server.js"}, nil},
		{"perl", []string{"perl", "/app/run.pl"}, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			res := sb.Run(t, tc.argv...)
			if res.ExitCode != 0 {
				t.Fatalf("%s: exit %d: %s", tc.argv, res.ExitCode, res.Stderr)
			}
			im, ix := testopen.Indexed(t, "rootfs-tar:"+tarball)
			im.Config = &v1.ConfigFile{Config: v1.Config{Cmd: tc.argv, Env: []string{"PATH=/usr/bin:/bin"}}}
			cl, err := Build(context.Background(), im, ix, Options{})
			if err != nil {
				t.Fatal(err)
			}
			loaded := 0
			tops := map[string]bool{}
			for _, f := range strings.Fields(res.Stdout) {
				if !strings.HasPrefix(f, "/") {
					continue // a perl module loaded from the current directory's view
				}
				real, err := filepath.EvalSymlinks(filepath.Join(root, f))
				if strings.HasPrefix(f, "/app/") {
					real, err = filepath.Join(root, f), nil
				}
				if err != nil {
					t.Errorf("%s: %v", f, err)
					continue
				}
				rel := "/" + strings.TrimPrefix(strings.TrimPrefix(real, root), "/")
				if strings.HasPrefix(f, "/app/") {
					rel = f
				}
				id, ok := cl.Owner(rel)
				if !ok || !cl.Analysis.Reachable(id) {
					t.Errorf("%s loaded %s; the closure does not keep it", tc.name, rel)
				}
				loaded++
				if r, ok := strings.CutPrefix(rel, dist+"/"); ok {
					top, _, _ := strings.Cut(r, "/")
					tops[strings.TrimSuffix(top, ".py")] = true
				}
			}
			if loaded < 5 {
				t.Fatalf("the oracle listed %d files: %q", loaded, res.Stdout)
			}
			t.Logf("%s: %d files loaded, all kept; %d dynamic-import notes", tc.name, loaded, cl.DynamicImports())
			// The closure alone, copied into a fresh root, runs the app
			// and loads the same files.
			fresh := filepath.Join(t.TempDir(), "root")
			copyReachableFrom(t, cl, func(p string) string {
				if rel, ok := strings.CutPrefix(p, "/app/"); ok {
					return filepath.Join(appDir, rel)
				}
				return filepath.Join(root, p)
			}, fresh)
			trimmed := freshSandbox(t, fresh).Run(t, tc.argv...)
			if trimmed.ExitCode != 0 {
				t.Fatalf("%s in the closure alone: exit %d: %s", tc.argv, trimmed.ExitCode, trimmed.Stderr)
			}
			if a, b := sortedFields(res.Stdout), sortedFields(trimmed.Stdout); a != b {
				t.Errorf("%s loads other files in the closure alone:\n%s\nwant\n%s", tc.argv, b, a)
			}
			for _, p := range cl.Problems {
				if p.Kind == "closure/"+DynamicImport {
					t.Logf("  %s: %s", p.Path(), p.Message)
				}
			}
			if tc.name != "python" {
				return
			}
			for _, s := range tc.static {
				tops[s] = true
			}
			var want, got []string
			for top := range tops {
				want = append(want, top)
			}
			seen := map[string]bool{}
			for _, f := range reachedModuleFiles(cl, dist+"/") {
				top, _, _ := strings.Cut(strings.TrimPrefix(f, dist+"/"), "/")
				if strings.HasSuffix(top, "-info") || seen[top] {
					continue
				}
				seen[top] = true
				got = append(got, top)
			}
			sort.Strings(want)
			sort.Strings(got)
			if !reflect.DeepEqual(got, want) {
				t.Errorf("dist-packages keeps %q, want %q", got, want)
			}
			// The why of a module names the import.
			flask, _ := cl.Owner(dist + "/flask/__init__.py")
			app, _ := cl.Owner("/app/app.py")
			if ex := cl.Explain(app, flask); !reflect.DeepEqual(ex, []string{"/app/app.py line 3 imports flask"}) {
				t.Errorf("explain: %q", ex)
			}
		})
	}
}

func sortedFields(s string) string {
	f := strings.Fields(s)
	sort.Strings(f)
	return strings.Join(f, "\n")
}

// copyReachableFrom copies the closure's reachable files (symlinks as
// links) into dst, reading each image path from where src says.
func copyReachableFrom(t *testing.T, cl *Closure, src func(p string) string, dst string) {
	t.Helper()
	for i := 0; i < cl.Graph.Len(); i++ {
		id := graph.NodeID(i)
		if !cl.Analysis.Reachable(id) || cl.Graph.Get(id).Kind != graph.File {
			continue
		}
		for _, p := range cl.Graph.Get(id).Files {
			from, to := src(p), filepath.Join(dst, p)
			if err := os.MkdirAll(filepath.Dir(to), 0o755); err != nil {
				t.Fatal(err)
			}
			fi, err := os.Lstat(from)
			if err != nil {
				t.Fatal(err)
			}
			if fi.Mode()&os.ModeSymlink != 0 {
				target, _ := os.Readlink(from)
				if err := os.Symlink(target, to); err != nil {
					t.Fatal(err)
				}
				continue
			}
			data, err := os.ReadFile(from)
			if err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(to, data, fi.Mode().Perm()); err != nil {
				t.Fatal(err)
			}
		}
	}
}

// freshSandbox runs programs in a root made of dir's top-level
// directories and links (not dir mounted at /, which would hide the
// sandbox's /proc: Node finds its own path there).
func freshSandbox(t *testing.T, dir string) *testfix.Sandbox {
	sb := &testfix.Sandbox{Env: []string{"PATH=/usr/bin:/bin"}}
	ents, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range ents {
		p := filepath.Join(dir, e.Name())
		if e.Type()&os.ModeSymlink != 0 {
			target, _ := os.Readlink(p)
			sb.Symlinks = append(sb.Symlinks, testfix.Symlink{Path: "/" + e.Name(), Target: target})
			continue
		}
		if e.IsDir() && e.Name() != "proc" && e.Name() != "dev" && e.Name() != "tmp" {
			sb.Mounts = append(sb.Mounts, testfix.Mount{Src: p, Dst: "/" + e.Name()})
		}
	}
	return sb
}
