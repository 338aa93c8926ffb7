package analyze

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/whittle-dev/whittle/analyze/source"
)

// TestFSContentCache: with a cache, small files read once come from it
// on the next run over the same layers (the tarball is changed in place,
// same size and time, in between: what is read is the cached bytes), and
// without one from the layer.
func TestFSContentCache(t *testing.T) {
	orig := tarBytes(t, dir("etc/"), file("etc/conf", 64, 'a'))
	p := filepath.Join(t.TempDir(), "root.tar")
	if err := os.WriteFile(p, orig, 0o644); err != nil {
		t.Fatal(err)
	}
	cache := &Cache{Dir: t.TempDir()}
	read := func(c *Cache) []byte {
		t.Helper()
		im, err := source.Open(context.Background(), "rootfs-tar:"+p, source.Options{})
		if err != nil {
			t.Fatal(err)
		}
		defer im.Close()
		ix, err := IndexImage(context.Background(), im, IndexOptions{Cache: cache})
		if err != nil {
			t.Fatal(err)
		}
		b, err := NewFS(context.Background(), im, ix).WithCache(c, "test").ReadFile("etc/conf")
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	if b := read(cache); !bytes.Equal(b, bytes.Repeat([]byte("a"), 64)) {
		t.Fatalf("first read %q", b)
	}
	fi, _ := os.Stat(p)
	os.WriteFile(p, bytes.Replace(orig, bytes.Repeat([]byte("a"), 64), bytes.Repeat([]byte("b"), 64), 1), 0o644)
	os.Chtimes(p, fi.ModTime(), fi.ModTime())
	if b := read(cache); !bytes.Equal(b, bytes.Repeat([]byte("a"), 64)) {
		t.Errorf("warm read %q, want the cached bytes", b)
	}
}
