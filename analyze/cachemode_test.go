package analyze

import (
	"io/fs"
	"os"
	"path/filepath"
	"syscall"
	"testing"
)

// TestCachePrivate: the layer index cache, the blob facts, the content
// cache (which keeps small files' bytes: /etc/shadow, a private key) and
// other packages' data (the closure's) are written 0600 in 0700
// directories whatever the umask; entries and a directory left readable
// by others by an older version are tightened when read.
func TestCachePrivate(t *testing.T) {
	old := syscall.Umask(0)
	defer syscall.Umask(old)
	ix := scanAll(t, fixtureLayers...)
	li := ix.Layers[0]
	dir := filepath.Join(t.TempDir(), "whittle", "layers")
	c := &Cache{Dir: dir}
	if err := c.Put(li.DiffID.String(), li); err != nil {
		t.Fatal(err)
	}
	if err := c.PutBlob("blob-x", BlobFacts{DiffID: li.DiffID, Compression: li.Compression, StoredBytes: li.StoredBytes}); err != nil {
		t.Fatal(err)
	}
	if err := c.PutContents("fs", li.DiffID, map[int][]byte{3: []byte("root:$6$secret:19000::::::\n")}); err != nil {
		t.Fatal(err)
	}
	if err := c.PutData("closure", "k", []byte("facts")); err != nil {
		t.Fatal(err)
	}
	checkModes(t, filepath.Dir(dir), 4)

	// An older version's cache, readable by all: a new Cache reading
	// each entry tightens it and the directory.
	filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if d.IsDir() {
			return os.Chmod(p, 0o755)
		}
		return os.Chmod(p, 0o644)
	})
	c = &Cache{Dir: dir}
	if _, ok := c.Get(li.DiffID.String()); !ok {
		t.Fatal("index not found")
	}
	if _, ok := c.GetBlob("blob-x"); !ok {
		t.Fatal("blob facts not found")
	}
	if m := c.Contents("fs", li.DiffID); string(m[3]) != "root:$6$secret:19000::::::\n" {
		t.Fatalf("contents %q", m[3])
	}
	if b, ok := c.GetData("closure", "k"); !ok || string(b) != "facts" {
		t.Fatalf("data %q, %v", b, ok)
	}
	checkModes(t, dir, 4)
}

// checkModes fails for a directory under root (root included) that is
// not 0700, a file that is not 0600, or another number of files.
func checkModes(t *testing.T, root string, files int) {
	t.Helper()
	n := 0
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
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
	if n != files {
		t.Errorf("%s holds %d files, want %d", root, n, files)
	}
}
