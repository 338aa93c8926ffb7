package closure

import (
	"bytes"
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"sort"
	"strings"
	"testing"

	v1 "github.com/google/go-containerregistry/pkg/v1"

	"github.com/whittle-dev/whittle/analyze"
	"github.com/whittle-dev/whittle/analyze/source"
	"github.com/whittle-dev/whittle/closure/graph"
	"github.com/whittle-dev/whittle/internal/reprotar"
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
	wantWhy := "why /bin/uname (file): closure 3 B, added 3 B; closure of files\n" +
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
	return trimmedRootFrom(t, cl, []string{root}, extra...)
}

// trimmedRootFrom is trimmedRoot over layered directories: each file is
// taken from the last directory that has it.
func trimmedRootFrom(t *testing.T, cl *Closure, layers []string, extra ...string) string {
	t.Helper()
	perLayer := make([][]string, len(layers))
	for i := 0; i < cl.Graph.Len(); i++ {
		id := graph.NodeID(i)
		if !cl.Analysis.Reachable(id) {
			continue
		}
		for _, f := range cl.Graph.Get(id).Files {
			for l := len(layers) - 1; l >= 0; l-- {
				if _, err := os.Lstat(filepath.Join(layers[l], f)); err == nil {
					perLayer[l] = append(perLayer[l], "."+f)
					break
				}
			}
		}
	}
	dst := t.TempDir()
	for l, files := range perLayer {
		sort.Strings(files)
		list := filepath.Join(t.TempDir(), "files")
		if err := os.WriteFile(list, []byte(strings.Join(files, "\n")+"\n"), 0o644); err != nil {
			t.Fatal(err)
		}
		tarball := filepath.Join(t.TempDir(), "trimmed.tar")
		if out, err := testfix.Run(layers[l], "tar", "--no-recursion", "-cf", tarball, "-T", list); err != nil {
			t.Fatalf("tar: %v\n%s", err, out)
		}
		if l == 0 {
			for _, e := range extra {
				if out, err := testfix.Run(layers[l], "tar", "-rf", tarball, "."+e); err != nil {
					t.Fatalf("tar: %v\n%s", err, out)
				}
			}
		}
		if out, err := testfix.Run(dst, "tar", "-xf", tarball); err != nil {
			t.Fatalf("tar: %v\n%s", err, out)
		}
	}
	return dst
}

// runIn runs argv with bubblewrap in root (bound read-write at /, with
// fresh /proc, /dev and /tmp), with a clean environment.
func runIn(t *testing.T, root string, argv ...string) testfix.Result {
	t.Helper()
	args := []string{"--bind", root, "/", "--proc", "/proc", "--dev", "/dev", "--tmpfs", "/tmp",
		"--unshare-all", "--die-with-parent", "--clearenv",
		"--setenv", "PATH", "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "--setenv", "LC_ALL", "C", "--"}
	cmd := exec.Command("bwrap", append(args, argv...)...)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	res := testfix.Result{Stdout: out.String(), Stderr: errb.String()}
	var ee *exec.ExitError
	switch {
	case err == nil:
	case errors.As(err, &ee):
		res.ExitCode = ee.ExitCode()
	default:
		t.Fatalf("bwrap %v: %v", argv, err)
	}
	return res
}

// findingsIn lists the findings of one kind about one file.
func findingsIn(cl *Closure, kind, file string) []string {
	var out []string
	for _, f := range findingsOf(cl, kind) {
		if strings.HasPrefix(f, "info "+file+":") || strings.HasPrefix(f, "error "+file+":") {
			out = append(out, f)
		}
	}
	return out
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
		if got, want := findingsIn(cl, DynamicCommand, "/usr/sbin/update-ca-certificates"), []string{
			"info /usr/sbin/update-ca-certificates: line 218: the command \"$hook\" is chosen at run time (the command word is built at run time); add a root or a keep for what it runs",
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
		if got, want := findingsIn(cl, MissingCommand, "/usr/sbin/update-ca-certificates"), []string{
			"info /usr/sbin/update-ca-certificates: line 204 runs /sbin/restorecon: not in the image (the script checks for it first)",
		}; !reflect.DeepEqual(got, want) {
			t.Errorf("missing commands:\n got %q\nwant %q", got, want)
		}
		res := runIn(t, dst, "/usr/sbin/update-ca-certificates", "--fresh")
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
		// savelog runs its compressor as $COMPRESS: a dynamic command,
		// which the user answers with a root, as the finding says.
		cl := graphOf(t, tarball, Options{Roots: []string{"/usr/bin/savelog", "gzip"}, NoConfigRoots: true})
		if got, want := findingsIn(cl, DynamicCommand, "/usr/bin/savelog"), []string{
			"info /usr/bin/savelog: line 287: the command $COMPRESS is chosen at run time (the command word is built at run time); add a root or a keep for what it runs",
			"info /usr/bin/savelog: line 295: the command $COMPRESS is chosen at run time (the command word is built at run time); add a root or a keep for what it runs",
			"info /usr/bin/savelog: line 350: the command $SHELL is chosen at run time (the command word is built at run time); add a root or a keep for what it runs",
		}; !reflect.DeepEqual(got, want) {
			t.Errorf("dynamic commands:\n got %q\nwant %q", got, want)
		}
		dst := trimmedRoot(t, cl, root)
		if err := os.MkdirAll(filepath.Join(dst, "var/log/app"), 0o755); err != nil {
			t.Fatal(err)
		}
		logf := filepath.Join(dst, "var/log/app/app.log")
		for _, content := range []string{"first\n", "second\n", "third\n"} {
			if err := os.WriteFile(logf, []byte(content), 0o644); err != nil {
				t.Fatal(err)
			}
			res := runIn(t, dst, "/usr/bin/savelog", "-c", "3", "-q", "/var/log/app/app.log")
			if res.ExitCode != 0 {
				t.Fatalf("savelog in the trimmed root: exit %d\n%s\n%s", res.ExitCode, res.Stdout, res.Stderr)
			}
		}
		res := runIn(t, dst, "/bin/sh", "-c", "cd /var/log/app && ls && cat app.log.0 && zcat app.log.1.gz app.log.2.gz")
		if want := "app.log.0\napp.log.1.gz\napp.log.2.gz\nthird\nsecond\nfirst\n"; res.Stdout != want {
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
		if res := runIn(t, dst, "/usr/bin/gzexe", "/work/prog"); res.ExitCode != 0 {
			t.Fatalf("gzexe in the trimmed root: exit %d\n%s\n%s", res.ExitCode, res.Stdout, res.Stderr)
		}
		packed, err := os.ReadFile(filepath.Join(dst, "work/prog"))
		if err != nil || bytes.Contains(packed, []byte("padding")) {
			t.Fatalf("gzexe did not pack the program (%v)", err)
		}
		// The packed program is a new script whose header runs basename,
		// tail and gzip: its closure is its own, not gzexe's, so it is not
		// run here (in files granularity only what gzexe runs is kept).
		if res := runIn(t, dst, "/usr/bin/gzexe", "-d", "/work/prog"); res.ExitCode != 0 {
			t.Fatalf("gzexe -d in the trimmed root: exit %d\n%s\n%s", res.ExitCode, res.Stdout, res.Stderr)
		}
		if got, err := os.ReadFile(filepath.Join(dst, "work/prog")); err != nil || string(got) != prog {
			t.Errorf("gzexe -d gave back %d bytes (%v), want the %d of the program", len(got), err, len(prog))
		}
	})
}

// entrypoint is written in the style of the official images' scripts.
const entrypoint = `#!/bin/sh
set -e

log() {
	printf '%s\n' "entrypoint: $*"
}

# allow the container to be started with flags
if [ "${1#-}" != "$1" ]; then
	set -- server "$@"
fi

if [ "$1" = 'server' ]; then
	mkdir -p /srv/data/db
	find /srv/data -exec chown 0:0 '{}' +
	sed -i 's/^mode=.*/mode=server/' /etc/app.conf
	log "configured by $(basename "$0")"
fi

exec "$@"
`

// TestDebianEntrypoint: an official-style entry point on the Debian base,
// with a Cmd that prints a marker: every command the script runs is in
// the closure, and the trimmed root runs the script to its exec.
func TestDebianEntrypoint(t *testing.T) {
	testfix.NeedTool(t, "bwrap")
	root := testfix.DebianRootfsDir(t)
	extra := t.TempDir()
	files := map[string]string{
		"usr/local/bin/docker-entrypoint.sh": entrypoint,
		"usr/local/bin/server":               "#!/bin/sh\necho \"marker: server $* as uid $(id -u)\"\n",
		"etc/app.conf":                       "mode=none\n",
	}
	for name, content := range files {
		if err := os.MkdirAll(filepath.Join(extra, filepath.Dir(name)), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(extra, name), []byte(content), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	tarball := filepath.Join(t.TempDir(), "image.tar")
	if out, err := testfix.Run("", "cp", testfix.DebianRootfsTar(t), tarball); err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	if out, err := testfix.Run(extra, "tar", "-rf", tarball, "./usr/local/bin/docker-entrypoint.sh", "./usr/local/bin/server", "./etc/app.conf"); err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	im, err := source.Open(context.Background(), "rootfs-tar:"+tarball, source.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { im.Close() })
	ix, err := analyze.IndexImage(context.Background(), im, analyze.IndexOptions{})
	if err != nil {
		t.Fatal(err)
	}
	// The root file system's made-up config, given an entry point and a Cmd.
	if im.Config == nil {
		im.Config = &v1.ConfigFile{}
	}
	im.Config.Config.Entrypoint = []string{"docker-entrypoint.sh"}
	im.Config.Config.Cmd = []string{"server", "--port", "80"}
	im.Config.Config.Env = []string{"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"}
	cl, err := Build(context.Background(), im, ix, Options{})
	if err != nil {
		t.Fatal(err)
	}
	var roots []string
	for _, r := range cl.Roots {
		if r.Source != SourceEtc { // etcdefaults_test.go
			roots = append(roots, r.Source+" "+r.Path)
		}
	}
	if want := []string{"entrypoint /usr/local/bin/docker-entrypoint.sh", "cmd /usr/local/bin/server"}; !reflect.DeepEqual(roots, want) {
		t.Fatalf("roots %q, want %q; problems %+v", roots, want, cl.Problems)
	}
	for _, p := range []string{"/usr/bin/mkdir", "/usr/bin/find", "/usr/bin/chown", "/usr/bin/sed", "/usr/bin/basename", "/usr/bin/id"} {
		if !viaRuns(t, cl, p) {
			t.Errorf("%s is not reached through a runs edge", p)
		}
	}
	for _, kind := range []string{DynamicCommand, MissingCommand} {
		for _, f := range []string{"/usr/local/bin/docker-entrypoint.sh", "/usr/local/bin/server"} {
			if got := findingsIn(cl, kind, f); len(got) != 0 {
				t.Errorf("%s: %q", kind, got)
			}
		}
	}
	var why bytes.Buffer
	sed, _ := cl.Owner("/usr/bin/sed")
	if err := cl.WriteWhy(&why, []graph.NodeID{sed}, 1, 64); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(why.String(), "      /usr/local/bin/docker-entrypoint.sh line 16 runs sed → /usr/bin/sed\n") {
		t.Errorf("--why sed:\n%s", why.String())
	}

	dst := trimmedRootFrom(t, cl, []string{root, extra})
	for name, content := range files {
		if name == "etc/app.conf" {
			if err := os.MkdirAll(filepath.Join(dst, "etc"), 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(filepath.Join(dst, name), []byte(content), 0o644); err != nil {
				t.Fatal(err)
			}
		}
	}
	res := runIn(t, dst, append([]string{"/usr/local/bin/docker-entrypoint.sh"}, im.Config.Config.Cmd...)...)
	if want := "entrypoint: configured by docker-entrypoint.sh\nmarker: server --port 80 as uid 0\n"; res.ExitCode != 0 || res.Stdout != want {
		t.Errorf("the entry point in the trimmed root: exit %d\n%s%s\nwant\n%s", res.ExitCode, res.Stdout, res.Stderr, want)
	}
	if conf, _ := os.ReadFile(filepath.Join(dst, "etc/app.conf")); string(conf) != "mode=server\n" {
		t.Errorf("sed -i left %q", conf)
	}
}
