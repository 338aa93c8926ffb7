package analyze

import (
	"bytes"
	"context"
	"errors"
	"io"
	"io/fs"
	"slices"
	"testing"
	"testing/fstest"

	"github.com/whittle-dev/whittle/analyze/source"
	"github.com/whittle-dev/whittle/internal/imagefs"
)

func TestImageFS(t *testing.T) {
	s := writeSources(t)
	im, ix := openIndexed(t, "docker-archive:"+s.dockerArchive, source.Options{})
	fsys := NewFS(context.Background(), im, ix)
	if err := fstest.TestFS(fsys, "etc/app.conf", "usr/bin/tool", "usr/lib/libx.so", "usr/lib/libx.so.1", "usr/share/doc/NEW"); err != nil {
		t.Fatal(err)
	}
	b, err := fs.ReadFile(fsys, "usr/lib/libx.so.1") // through the symlink
	if err != nil || !bytes.Equal(b, bytes.Repeat([]byte{'x'}, 2000)) {
		t.Errorf("reading through a symlink: %d bytes, %v", len(b), err)
	}
	if target, err := fsys.ReadLink("usr/lib/libx.so.1"); err != nil || target != "libx.so" {
		t.Errorf("ReadLink = %q, %v", target, err)
	}
	if fi, err := fsys.Lstat("usr/lib/libx.so.1"); err != nil || fi.Mode()&fs.ModeSymlink == 0 {
		t.Errorf("Lstat of a symlink: %v, %v", fi, err)
	}
	if fi, err := fsys.Stat("usr/bin/tool"); err != nil || fi.Mode() != 0o755 || fi.Size() != 5000 {
		t.Errorf("Stat(usr/bin/tool) = %v, %v", fi, err)
	}
	for _, gone := range []string{"var/cache/pkg/big", "usr/share/doc/tool/README"} {
		if _, err := fsys.Stat(gone); !errors.Is(err, fs.ErrNotExist) {
			t.Errorf("Stat(%s) = %v, want not exist", gone, err)
		}
	}
}

// TestImageFSLinks checks symlink resolution inside the image: absolute
// targets start at the image root, ".." stops there, loops end.
func TestImageFSLinks(t *testing.T) {
	ix := scanAll(t, []tarEntry{
		file("usr/share/zoneinfo/UTC", 114, 'u'), symlink("usr/share/zoneinfo/posix", "."),
		symlink("etc/localtime", "/usr/share/zoneinfo/posix/posix/UTC"),
		symlink("up", "../../../../usr/share/zoneinfo/UTC"),
		symlink("loop/a", "b"), symlink("loop/b", "a"),
		symlink("escape", "/../../etc/localtime"),
	})
	fsys := NewFS(context.Background(), &source.Image{}, ix)
	for _, tc := range []struct {
		name string
		want string // path of the node reached, or an error text
	}{
		{"etc/localtime", "/usr/share/zoneinfo/UTC"},
		{"up", "/usr/share/zoneinfo/UTC"},
		{"escape", "/usr/share/zoneinfo/UTC"},
		{"usr/share/zoneinfo/posix/posix/posix/UTC", "/usr/share/zoneinfo/UTC"},
		{"loop/a", "too many levels of symbolic links"},
	} {
		fi, err := fsys.Stat(tc.name)
		got := ""
		if err != nil {
			got = err.Error()
			if !bytes.Contains([]byte(got), []byte(tc.want)) {
				t.Errorf("Stat(%s) = %v, want %s", tc.name, err, tc.want)
			}
			continue
		}
		if got = fi.Sys().(*Node).Path(); got != tc.want {
			t.Errorf("Stat(%s) reached %s, want %s", tc.name, got, tc.want)
		}
	}
}

// TestImageFSMergedUsr resolves paths through a merged-/usr root (/bin ->
// usr/bin) with the index's own nodes: Resolve and imagefs.Resolve (through
// ResolvePath) agree, and the links followed are kept.
func TestImageFSMergedUsr(t *testing.T) {
	ix := scanAll(t, []tarEntry{
		symlink("bin", "usr/bin"), file("usr/bin/dash", 100, 'd'), symlink("usr/bin/sh", "dash"),
		symlink("lib", "/usr/lib"), symlink("usr/lib/x", "../../lib/y"), file("usr/lib/y", 1, 'y'),
	})
	fsys := NewFS(context.Background(), &source.Image{}, ix)
	for _, tc := range []struct {
		p     string
		mode  imagefs.Mode
		want  string
		links []string
	}{
		{"/bin/sh", imagefs.Follow, "/usr/bin/dash", []string{"/bin", "/usr/bin/sh"}},
		{"/bin/sh", imagefs.NoFollow, "/usr/bin/sh", []string{"/bin"}},
		{"bin/dash", imagefs.NoFollow, "/usr/bin/dash", []string{"/bin"}},
		{"/lib/x", imagefs.Follow, "/usr/lib/y", []string{"/lib", "/usr/lib/x", "/lib"}},
		{"/bin", imagefs.NoFollow, "/bin", nil},
	} {
		n, res, err := fsys.Resolve(tc.p, tc.mode)
		if err != nil || n.Path() != tc.want || res.Path != tc.want || !slices.Equal(res.Links, tc.links) {
			t.Errorf("Resolve(%s, %d) = %v %+v %v, want %s %q", tc.p, tc.mode, n, res, err, tc.want, tc.links)
		}
		via, err := imagefs.ResolveMode(fsys, tc.p, tc.mode)
		if err != nil || via.Path != res.Path || !slices.Equal(via.Links, res.Links) {
			t.Errorf("imagefs.ResolveMode(%s) = %+v %v, want %+v", tc.p, via, err, res)
		}
	}
	if _, _, err := fsys.Resolve("/bin/nope", imagefs.Follow); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("Resolve(/bin/nope): %v", err)
	}
	if _, err := fsys.Stat("bin/sh/x"); !errors.Is(err, imagefs.ErrNotDir) {
		t.Errorf("Stat(bin/sh/x): %v", err)
	}
}

func TestReadFiles(t *testing.T) {
	s := writeSources(t)
	im, ix := openIndexed(t, "docker-archive:"+s.dockerArchive, source.Options{})
	got := map[string]int{}
	err := ReadFiles(context.Background(), im, ix, func(n *Node) bool { return n.Path() != "/usr/bin/tool" }, func(n *Node, r io.Reader) error {
		b, err := io.ReadAll(r)
		got[n.Path()] = len(b)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]int{"/etc/app.conf": 120, "/usr/lib/libx.so": 2000, "/usr/share/doc/NEW": 10}
	if len(got) != len(want) {
		t.Errorf("read %v, want %v", got, want)
	}
	for p, n := range want {
		if got[p] != n {
			t.Errorf("%s: read %d bytes, want %d", p, got[p], n)
		}
	}
}
