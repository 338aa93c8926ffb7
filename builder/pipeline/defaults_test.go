package pipeline

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"path/filepath"
	"reflect"
	"sort"
	"strings"
	"testing"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/layout"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/tarball"

	"github.com/whittle-dev/whittle/analyze"
	"github.com/whittle-dev/whittle/analyze/testopen"
	"github.com/whittle-dev/whittle/internal/reprotar"
	"github.com/whittle-dev/whittle/plan"
	"github.com/whittle-dev/whittle/session"
)

// ociImage writes an OCI layout of one layer holding files, with the
// given runtime config, and returns its reference.
func ociImage(t *testing.T, cfg v1.Config, files []reprotar.File) string {
	t.Helper()
	data, err := reprotar.Bytes(files)
	if err != nil {
		t.Fatal(err)
	}
	layer, err := tarball.LayerFromOpener(func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(data)), nil })
	if err != nil {
		t.Fatal(err)
	}
	img, err := mutate.AppendLayers(empty.Image, layer)
	if err != nil {
		t.Fatal(err)
	}
	cf, err := img.ConfigFile()
	if err != nil {
		t.Fatal(err)
	}
	cf = cf.DeepCopy()
	cf.Config, cf.OS, cf.Architecture = cfg, "linux", "amd64"
	if img, err = mutate.ConfigFile(img, cf); err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(t.TempDir(), "src")
	p, err := layout.Write(dir, empty.Index)
	if err != nil {
		t.Fatal(err)
	}
	if err := p.AppendImage(img); err != nil {
		t.Fatal(err)
	}
	return "oci:" + dir
}

// entries describes every path of an index: "path type mode uid:gid",
// with "-> target" for a link.
func entries(ix *analyze.Index) []string {
	var out []string
	ix.Root.Walk(func(n *analyze.Node) bool {
		if n.Path() == "/" {
			return true
		}
		e := n.Entry
		s := fmt.Sprintf("%s %s %04o %d:%d", n.Path(), typeName(n), e.Mode&0o7777, e.UID, e.GID)
		if e.Type == analyze.TypeSymlink {
			s += " -> " + e.Link
		}
		out = append(out, s)
		return true
	})
	sort.Strings(out)
	return out
}

func typeName(n *analyze.Node) string {
	switch {
	case n.IsDir():
		return "dir"
	case n.Entry.Type == analyze.TypeSymlink:
		return "link"
	}
	return "file"
}

func dir(p string, mode int64, uid int) reprotar.File {
	return reprotar.File{Path: p, Kind: reprotar.Dir, Mode: mode, UID: uid, GID: uid}
}

func file(p, data string, mode int64) reprotar.File {
	return reprotar.File{Path: p, Kind: reprotar.Regular, Mode: mode, Data: []byte(data)}
}

func symlink(p, target string) reprotar.File {
	return reprotar.File{Path: p, Kind: reprotar.Symlink, Mode: 0o777, Link: target}
}

// appImage is an express-like app: `node server.js` from WORKDIR /app as
// the user app, node reached through an alternatives link under /etc, the
// runtime's directories (some empty), the loader's cache and files
// nothing needs.
func appImage(t *testing.T) string {
	files := []reprotar.File{
		file("/bin/sh", "sh", 0o755), symlink("/usr/bin/node", "/etc/alternatives/node"),
		symlink("/etc/alternatives/node", "/usr/lib/nodejs/bin/node"), file("/usr/lib/nodejs/bin/node", "#!/bin/sh\n", 0o755),
		file("/usr/lib/nodejs/README", "unused", 0o644),
		dir("/app", 0o750, 1000), file("/app/server.js", "require('./lib/x')\n", 0o644), file("/app/lib/x.js", "x\n", 0o644),
		dir("/app/uploads", 0o770, 1000), file("/app/node_modules/express/index.js", "e\n", 0o644),
		dir("/tmp", 0o1777, 0), dir("/var/tmp", 0o1777, 0), dir("/run", 0o755, 0), symlink("/var/run", "/run"),
		dir("/root", 0o700, 0), dir("/home/app", 0o750, 1000), dir("/home/other", 0o755, 1001), file("/home/other/notes", "n", 0o644),
		dir("/srv", 0o755, 0), dir("/mnt", 0o755, 0),
		file("/etc/ld.so.cache", "cache", 0o644), file("/etc/passwd", "root:x:0:0::/root:/bin/sh\napp:x:1000:1000::/home/app:/bin/sh\n", 0o644),
		file("/etc/group", "root:x:0:\napp:x:1000:\n", 0o644), file("/etc/shadow", "app:!:1::::::\n", 0o640),
		file("/etc/motd", "welcome\n", 0o644), file("/usr/share/doc/node/README", "doc", 0o644),
	}
	return ociImage(t, v1.Config{Cmd: []string{"node", "server.js"}, WorkingDir: "/app", User: "app", Env: []string{"PATH=/usr/bin:/bin"}}, files)
}

// TestTrimDefaults: a default trim keeps the app's directory whole (its
// empty uploads/ too), WorkingDir with its mode and owner, the link
// chain through /etc/alternatives, the loader cache and accounts, and
// the runtime directories with their modes (/tmp 1777) — and nothing
// else.
func TestTrimDefaults(t *testing.T) {
	src := appImage(t)
	out := filepath.Join(t.TempDir(), "min")
	rep, err := Run(context.Background(), &plan.Plan{Source: src, Outputs: []string{"oci:" + out}}, Options{})
	if err != nil {
		t.Fatal(err)
	}
	_, ix := testopen.Indexed(t, "oci:"+out)
	want := []string{
		"/app dir 0750 1000:1000", "/app/lib dir 0755 0:0", "/app/lib/x.js file 0644 0:0",
		"/app/node_modules dir 0755 0:0", "/app/node_modules/express dir 0755 0:0", "/app/node_modules/express/index.js file 0644 0:0",
		"/app/server.js file 0644 0:0", "/app/uploads dir 0770 1000:1000",
		"/bin dir 0755 0:0", "/bin/sh file 0755 0:0",
		"/etc dir 0755 0:0", "/etc/alternatives dir 0755 0:0", "/etc/alternatives/node link 0777 0:0 -> /usr/lib/nodejs/bin/node",
		"/etc/group file 0644 0:0", "/etc/ld.so.cache file 0644 0:0", "/etc/passwd file 0644 0:0", "/etc/shadow file 0640 0:0",
		"/home dir 0755 0:0", "/home/app dir 0750 1000:1000",
		"/root dir 0700 0:0", "/run dir 0755 0:0", "/tmp dir 1777 0:0",
		"/usr dir 0755 0:0", "/usr/bin dir 0755 0:0", "/usr/bin/node link 0777 0:0 -> /etc/alternatives/node",
		"/usr/lib dir 0755 0:0", "/usr/lib/nodejs dir 0755 0:0", "/usr/lib/nodejs/bin dir 0755 0:0", "/usr/lib/nodejs/bin/node file 0755 0:0",
		"/var dir 0755 0:0", "/var/run link 0777 0:0 -> /run", "/var/tmp dir 1777 0:0",
	}
	if got := entries(ix); !reflect.DeepEqual(got, want) {
		t.Errorf("kept\n %s\nwant\n %s", strings.Join(got, "\n "), strings.Join(want, "\n "))
	}
	if len(rep.Unknowns) != 0 {
		t.Errorf("unknowns %+v", rep.Unknowns)
	}
}

// TestKeepAllKeepsEmptyDirs: `keep: ["/**"]` keeps every path, empty
// directories (/tmp 1777, /srv) included; a drop still wins.
func TestKeepAllKeepsEmptyDirs(t *testing.T) {
	src := appImage(t)
	out := filepath.Join(t.TempDir(), "all")
	if _, err := Run(context.Background(), &plan.Plan{Source: src, Keep: []string{"/**"}, Drop: []string{"/mnt"}, Outputs: []string{"oci:" + out}}, Options{}); err != nil {
		t.Fatal(err)
	}
	_, srcIx := testopen.Indexed(t, src)
	_, ix := testopen.Indexed(t, "oci:"+out)
	var want []string
	for _, e := range entries(srcIx) {
		if !strings.HasPrefix(e, "/mnt ") {
			want = append(want, e)
		}
	}
	if got := entries(ix); !reflect.DeepEqual(got, want) {
		t.Errorf("kept\n %s\nwant\n %s", strings.Join(got, "\n "), strings.Join(want, "\n "))
	}
}

// TestUnknowns: a reachable script that runs a command chosen at run
// time is an unknown of the build, exactly; an unreachable one is not.
func TestUnknowns(t *testing.T) {
	files := []reprotar.File{
		file("/bin/sh", "sh", 0o755),
		file("/usr/local/bin/start", "#!/bin/sh\nset -e\n\"$RUNNER\" --serve\nexec \"$@\"\n", 0o755),
		file("/usr/local/bin/unused", "#!/bin/sh\n$TOOL\n", 0o755),
	}
	src := ociImage(t, v1.Config{Entrypoint: []string{"/usr/local/bin/start"}, Env: []string{"PATH=/usr/local/bin:/bin"}}, files)
	rep, err := Run(context.Background(), &plan.Plan{Source: src}, Options{})
	if err != nil {
		t.Fatal(err)
	}
	want := []session.Unknown{{Kind: "dynamic-command", Path: "/usr/local/bin/start",
		Message: `line 3: the command "$RUNNER" is chosen at run time (the command word is built at run time); add a root or a keep for what it runs`}}
	if !reflect.DeepEqual(rep.Unknowns, want) {
		t.Errorf("unknowns\n %+v\nwant\n %+v", rep.Unknowns, want)
	}
}
