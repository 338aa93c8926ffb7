package analyze

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/whittle-dev/whittle/analyze/source"
)

// TestFSContentCache: with a cache, small files read once come from it
// on the next run over the same layers (the cached bytes are changed in
// between: what is read is the cached bytes), and without one from the
// layer.
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
	// The cached bytes of etc/conf (entry 1 of the layer) replaced by
	// other ones: the warm read gives them, so they came from the cache.
	diffID, _, err := v1.SHA256(bytes.NewReader(orig))
	if err != nil {
		t.Fatal(err)
	}
	if m := cache.Contents("test", diffID); len(m) != 1 || !bytes.Equal(m[1], bytes.Repeat([]byte("a"), 64)) {
		t.Fatalf("cached contents %v, want etc/conf's", m)
	}
	if err := cache.PutContents("test", diffID, map[int][]byte{1: bytes.Repeat([]byte("b"), 64)}); err != nil {
		t.Fatal(err)
	}
	if b := read(cache); !bytes.Equal(b, bytes.Repeat([]byte("b"), 64)) {
		t.Errorf("warm read %q, want the cached bytes", b)
	}
}

// TestContentsRoundTrip: a scope's contents come back as stored, files
// over the per-file limit are left out, and a damaged entry reads as
// none.
func TestContentsRoundTrip(t *testing.T) {
	cache := &Cache{Dir: t.TempDir()}
	diffID := v1.Hash{Algorithm: "sha256", Hex: strings.Repeat("ab", 32)}
	in := map[int][]byte{0: []byte("first"), 7: {}, 9: bytes.Repeat([]byte{0}, 5000), 12: make([]byte, maxCachedFile+1)}
	if err := cache.PutContents("test", diffID, in); err != nil {
		t.Fatal(err)
	}
	got := cache.Contents("test", diffID)
	delete(in, 12)
	if len(got) != len(in) {
		t.Fatalf("got %d files, want %d", len(got), len(in))
	}
	for pos, b := range in {
		if !bytes.Equal(got[pos], b) {
			t.Errorf("file %d: %d bytes, want %d", pos, len(got[pos]), len(b))
		}
	}
	if cache.Contents("other", diffID) != nil {
		t.Error("another scope sees the contents")
	}
	entry := filepath.Join(cache.Dir, contentKind+"test-"+strings.ReplaceAll(diffID.String(), ":", "-"))
	raw, err := os.ReadFile(entry)
	if err != nil {
		t.Fatal(err)
	}
	raw[3] ^= 1
	os.WriteFile(entry, raw, 0o644)
	if got := cache.Contents("test", diffID); got != nil {
		t.Errorf("a damaged entry read as %d files", len(got))
	}
}
