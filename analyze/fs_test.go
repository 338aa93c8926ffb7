package analyze

import (
	"bytes"
	"context"
	"errors"
	"io"
	"io/fs"
	"testing"
	"testing/fstest"

	"github.com/whittle-dev/whittle/analyze/source"
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
