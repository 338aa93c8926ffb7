package closure

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"reflect"
	"sort"
	"strings"
	"testing"

	"github.com/whittle-dev/whittle/builder/reprotar"
	"github.com/whittle-dev/whittle/closure/graph"
	"github.com/whittle-dev/whittle/internal/testfix"
)

// findingsOf lists the closure's findings of one kind as "severity path:
// message".
func findingsOf(cl *Closure, kind string) []string {
	var out []string
	for _, p := range cl.Problems {
		if p.Name() == kind {
			out = append(out, string(p.Severity)+" "+p.Path()+": "+p.Message)
		}
	}
	return out
}

func buildMem(t *testing.T, runtime map[string]any, opts Options, files ...reprotar.File) *Closure {
	t.Helper()
	im, ix := memImage(t, runtime, files...)
	cl, err := Build(context.Background(), im, ix, opts)
	if err != nil {
		t.Fatal(err)
	}
	return cl
}

// TestShellFindings: dynamic-command and missing-command, each on the
// smallest script that triggers it and one that must not.
func TestShellFindings(t *testing.T) {
	sh := reg("/bin/sh", "bin", 0o755) // a file with no edges
	env := []string{"PATH=/bin"}
	tests := []struct {
		name, script    string
		dynamic, missin []string
	}{
		{"dynamic", "#!/bin/sh\n$CMD\n", []string{"info /app.sh: line 2: the command $CMD is chosen at run time (the command word is built at run time); add a root or a keep for what it runs"}, nil},
		{"not dynamic", "#!/bin/sh\nCMD=x\necho \"$CMD\"\n", nil, nil},
		{"missing", "#!/bin/sh\nfoo\n", nil, []string{"error /app.sh: line 2 runs foo: not found in PATH /bin"}},
		{"not missing", "#!/bin/sh\nf() { sh -c :; }\nf\nexec sh\n", nil, nil},
		{"guarded", "#!/bin/sh\n[ -x /bin/foo ] && /bin/foo\n", nil, []string{"info /app.sh: line 2 runs /bin/foo: not in the image (the script checks for it first)"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cl := buildMem(t, map[string]any{"Entrypoint": []string{"/app.sh"}, "Env": env}, Options{},
				sh, reg("/app.sh", tt.script, 0o755))
			if got := findingsOf(cl, DynamicCommand); !reflect.DeepEqual(got, tt.dynamic) {
				t.Errorf("dynamic-command:\n got %q\nwant %q", got, tt.dynamic)
			}
			if got := findingsOf(cl, MissingCommand); !reflect.DeepEqual(got, tt.missin) {
				t.Errorf("missing-command:\n got %q\nwant %q", got, tt.missin)
			}
			if cl.DynamicCommands() != len(tt.dynamic) {
				t.Errorf("DynamicCommands() = %d", cl.DynamicCommands())
			}
		})
	}
	// A script no root reaches reports nothing.
	cl := buildMem(t, map[string]any{"Entrypoint": []string{"/bin/sh"}, "Env": env}, Options{},
		sh, reg("/unused.sh", "#!/bin/sh\n$CMD\nfoo\n", 0o755))
	if p := append(findingsOf(cl, DynamicCommand), findingsOf(cl, MissingCommand)...); len(p) != 0 {
		t.Errorf("unreachable script: %q", p)
	}
}

// TestShellRunsEdges: runs edges (through a sourced file and PATH set by
// the script), their explanation in --why, and exec "$@" making the
// config's Cmd a root.
func TestShellRunsEdges(t *testing.T) {
	script := "#!/bin/sh\nset -e\n. /lib/helpers.sh\nPATH=/opt/bin:$PATH\nhelper\nsed -n p /dev/null\nexec \"$@\"\n"
	cl := buildMem(t, map[string]any{"Entrypoint": []string{"/entry.sh"}, "Cmd": []string{"server"}, "Env": []string{"PATH=/bin"}}, Options{},
		reg("/bin/sh", "bin", 0o755), reg("/bin/sed", "bin", 0o755), reg("/opt/bin/server", "bin", 0o755),
		reg("/bin/uname", "bin", 0o755), reg("/bin/unused", "bin", 0o755),
		reg("/lib/helpers.sh", "helper() { uname -a; }\n", 0o644), link("/bin/server", "/opt/bin/server"),
		reg("/entry.sh", script, 0o755))
	g := cl.Graph
	node := func(p string) graph.NodeID {
		id, ok := cl.Owner(p)
		if !ok {
			t.Fatalf("no node for %s", p)
		}
		return id
	}
	var got []string
	for _, from := range []string{"/entry.sh", "/lib/helpers.sh"} {
		for _, e := range g.Edges(node(from)) {
			if e.Kinds.Has(graph.Runs) {
				got = append(got, strings.Join(cl.Explain(e.From, e.To), "; "))
			}
		}
	}
	want := []string{
		"/entry.sh line 3 runs /lib/helpers.sh → /lib/helpers.sh",
		"/entry.sh line 6 runs sed → /bin/sed",
		"/entry.sh line 7 runs \"$@\" (the config's Cmd server) → /opt/bin/server",
		"/lib/helpers.sh line 1 runs uname → /bin/uname",
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("runs edges:\n got %q\nwant %q", got, want)
	}
	var roots []string
	for _, r := range cl.Roots {
		roots = append(roots, r.Source+" "+r.Spec+" "+r.Path)
	}
	if want := []string{"entrypoint /entry.sh /entry.sh", "cmd server /opt/bin/server"}; !reflect.DeepEqual(roots, want) {
		t.Errorf("roots %q, want %q", roots, want)
	}
	for p, reach := range map[string]bool{"/bin/sed": true, "/bin/uname": true, "/opt/bin/server": true, "/bin/unused": false, "/bin/server": false} {
		if cl.Analysis.Reachable(node(p)) != reach {
			t.Errorf("%s reachable = %v", p, !reach)
		}
	}
	var why bytes.Buffer
	if err := cl.WriteWhy(&why, []graph.NodeID{node("/bin/uname")}, 1, 64); err != nil {
		t.Fatal(err)
	}
	wantWhy := "why /bin/uname (file): closure 3 B, added 3 B\n" +
		"  /entry.sh -[runs]-> /lib/helpers.sh -[runs]-> /bin/uname\n" +
		"      /entry.sh line 3 runs /lib/helpers.sh → /lib/helpers.sh\n" +
		"      /lib/helpers.sh line 1 runs uname → /bin/uname\n"
	if why.String() != wantWhy {
		t.Errorf("--why:\n%s\nwant\n%s", why.String(), wantWhy)
	}
	if len(cl.Problems) != 0 {
		t.Errorf("problems: %+v", cl.Problems)
	}
}

// trimmedRoot copies exactly the files of the nodes the closure reaches,
// plus extra paths (recursively), from root into a fresh directory.
func trimmedRoot(t *testing.T, cl *Closure, root string, extra ...string) string {
	t.Helper()
	var files []string
	for i := 0; i < cl.Graph.Len(); i++ {
		id := graph.NodeID(i)
		if cl.Analysis.Reachable(id) {
			for _, f := range cl.Graph.Get(id).Files {
				files = append(files, "."+f)
			}
		}
	}
	sort.Strings(files)
	list := filepath.Join(t.TempDir(), "files")
	if err := os.WriteFile(list, []byte(strings.Join(files, "\n")+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	tarball := filepath.Join(t.TempDir(), "trimmed.tar")
	if out, err := testfix.Run(root, "tar", "--no-recursion", "-cf", tarball, "-T", list); err != nil {
		t.Fatalf("tar: %v\n%s", err, out)
	}
	for _, e := range extra {
		if out, err := testfix.Run(root, "tar", "-rf", tarball, "."+e); err != nil {
			t.Fatalf("tar: %v\n%s", err, out)
		}
	}
	dst := t.TempDir()
	if out, err := testfix.Run(dst, "tar", "-xf", tarball); err != nil {
		t.Fatalf("tar: %v\n%s", err, out)
	}
	return dst
}

func sandboxOf(root string) testfix.Sandbox {
	return testfix.Sandbox{Mounts: []testfix.Mount{{Src: root, Dst: "/", Writable: true}},
		Env: []string{"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "LC_ALL=C"}}
}

// viaRuns reports whether the first chain to p passes a runs edge.
func viaRuns(t *testing.T, cl *Closure, p string) bool {
	id, ok := cl.Owner(p)
	if !ok {
		t.Fatalf("%s has no owner", p)
	}
	for _, ch := range cl.Analysis.Why(id, 1, 64) {
		for _, k := range ch.Kinds {
			if k.Has(graph.Runs) {
				return true
			}
		}
	}
	return false
}

// TestDebianShellScripts runs three of Debian's own shell scripts in a
// root holding only their closure (plus their input data): each must do
// its job as in the full root.
func TestDebianShellScripts(t *testing.T) {
	testfix.NeedTool(t, "bwrap")
	root := testfix.DebianRootfsDir(t)
	tarball := "rootfs-tar:" + testfix.DebianRootfsTar(t)

	t.Run("update-ca-certificates", func(t *testing.T) {
		cl := graphOf(t, tarball, Options{Roots: []string{"/usr/sbin/update-ca-certificates"}, NoConfigRoots: true})
		for _, p := range []string{"/usr/bin/sed", "/usr/bin/find", "/usr/bin/mktemp"} {
			if !viaRuns(t, cl, p) {
				t.Errorf("%s is not reached through a runs edge", p)
			}
		}
		if got, want := findingsOf(cl, DynamicCommand), []string{
			"info /usr/sbin/update-ca-certificates: line 218 (via eval): the command \"$VERBOSE_ARG\" is chosen at run time (the command word is built at run time); add a root or a keep for what it runs",
			"info /usr/sbin/update-ca-certificates: line 221: the command \"$hook\" is chosen at run time (the command word is built at run time); add a root or a keep for what it runs",
		}; !reflect.DeepEqual(got, want) {
			t.Errorf("dynamic commands:\n got %q\nwant %q", got, want)
		}
		dst := trimmedRoot(t, cl, root, "/etc/ca-certificates.conf", "/usr/share/ca-certificates")
		if err := os.MkdirAll(filepath.Join(dst, "etc/ssl/certs"), 0o755); err != nil {
			t.Fatal(err)
		}
		if _, err := os.Stat(filepath.Join(dst, "usr/bin/python3")); err == nil {
			t.Error("the trimmed root holds python3: the closure is not a trim")
		}
		sb := sandboxOf(dst)
		res := sb.Run(t, "/usr/sbin/update-ca-certificates", "--fresh")
		if res.ExitCode != 0 {
			t.Fatalf("update-ca-certificates in the trimmed root: exit %d\n%s\n%s", res.ExitCode, res.Stdout, res.Stderr)
		}
		got, err := os.ReadFile(filepath.Join(dst, "etc/ssl/certs/ca-certificates.crt"))
		if err != nil {
			t.Fatal(err)
		}
		want, err := os.ReadFile(filepath.Join(root, "etc/ssl/certs/ca-certificates.crt"))
		if err != nil {
			t.Fatal(err)
		}
		if n := bytes.Count(want, []byte("BEGIN CERTIFICATE")); n < 100 || !bytes.Equal(got, want) {
			t.Errorf("rebuilt bundle: %d bytes, %d certificates; the original: %d bytes, %d certificates",
				len(got), bytes.Count(got, []byte("BEGIN CERTIFICATE")), len(want), n)
		}
	})

	t.Run("savelog", func(t *testing.T) {
		cl := graphOf(t, tarball, Options{Roots: []string{"/usr/bin/savelog"}, NoConfigRoots: true})
		dst := trimmedRoot(t, cl, root)
		if err := os.MkdirAll(filepath.Join(dst, "var/log/app"), 0o755); err != nil {
			t.Fatal(err)
		}
		logf := filepath.Join(dst, "var/log/app/app.log")
		sb := sandboxOf(dst)
		for _, content := range []string{"first\n", "second\n", "third\n"} {
			if err := os.WriteFile(logf, []byte(content), 0o644); err != nil {
				t.Fatal(err)
			}
			res := sb.Run(t, "/usr/bin/savelog", "-c", "3", "-q", "/var/log/app/app.log")
			if res.ExitCode != 0 {
				t.Fatalf("savelog in the trimmed root: exit %d\n%s\n%s", res.ExitCode, res.Stdout, res.Stderr)
			}
		}
		res := sb.Run(t, "/bin/sh", "-c", "cd /var/log/app && ls && cat app.log.0 && zcat app.log.1.gz app.log.2.gz")
		if want := "app.log\napp.log.0\napp.log.1.gz\napp.log.2.gz\nthird\nsecond\nfirst\n"; res.Stdout != want {
			t.Errorf("after three rotations:\n%s%s\nwant\n%s", res.Stdout, res.Stderr, want)
		}
	})

	t.Run("gzexe", func(t *testing.T) {
		cl := graphOf(t, tarball, Options{Roots: []string{"/usr/bin/gzexe"}, NoConfigRoots: true})
		dst := trimmedRoot(t, cl, root)
		prog := "#!/bin/sh\necho packed and run\n" + strings.Repeat("# padding\n", 200)
		if err := os.MkdirAll(filepath.Join(dst, "work"), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dst, "work/prog"), []byte(prog), 0o755); err != nil {
			t.Fatal(err)
		}
		sb := sandboxOf(dst)
		res := sb.Run(t, "/bin/sh", "-c", "gzexe /work/prog && test -f /work/prog~ && /work/prog && gzexe -d /work/prog && cat /work/prog")
		if res.ExitCode != 0 || res.Stdout != "/work/prog:\t 87.6%\npacked and run\n"+prog {
			t.Errorf("gzexe in the trimmed root: exit %d\n%s\n%s", res.ExitCode, res.Stdout, res.Stderr)
		}
	})
}
