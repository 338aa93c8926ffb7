package builder

import (
	"archive/tar"
	"context"
	"io/fs"
	"os"
	"path/filepath"
	"syscall"
	"testing"

	"github.com/whittle-dev/whittle/analyze"
)

// TestLayerCachePrivate: the build layer cache holds the image's bytes
// (a 0600 /etc/shadow among them), so whatever the umask its directory
// is 0700 and its files 0600; a cache directory and entries left readable
// by others are tightened when used again.
func TestLayerCachePrivate(t *testing.T) {
	old := syscall.Umask(0)
	defer syscall.Umask(old)
	im, ix := srcImage(t, srcTar(t,
		entry{name: "etc/", typ: tar.TypeDir, mode: 0o755},
		entry{name: "etc/shadow", typ: tar.TypeReg, mode: 0o600, data: "root:$6$secret:19000::::::\n"},
	))
	all := func(*analyze.Node) bool { return true }
	cache := filepath.Join(t.TempDir(), "new", "layers")
	build := func() {
		t.Helper()
		if _, err := Build(context.Background(), Spec{Source: im, Index: ix, Keep: all, Cache: cache}); err != nil {
			t.Fatal(err)
		}
	}
	build()
	checkPrivate(t, cache)
	// An older version's cache: everything readable by all.
	filepath.WalkDir(cache, func(p string, d fs.DirEntry, err error) error {
		if d.IsDir() {
			return os.Chmod(p, 0o755)
		}
		return os.Chmod(p, 0o644)
	})
	build()
	checkPrivate(t, cache)
}

// checkPrivate fails for any directory under dir (dir included) that is
// not 0700 and any file that is not 0600.
func checkPrivate(t *testing.T, dir string) {
	t.Helper()
	n := 0
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		fi, err := d.Info()
		if err != nil {
			return err
		}
		want := fs.FileMode(0o600)
		if d.IsDir() {
			want = 0o700
		} else {
			n++
		}
		if fi.Mode().Perm() != want {
			t.Errorf("%s has mode %04o, want %04o", p, fi.Mode().Perm(), want)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if n == 0 {
		t.Errorf("%s holds no file", dir)
	}
}
