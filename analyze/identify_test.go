package analyze

import (
	"context"
	"os"
	"path/filepath"
	"reflect"
	"syscall"
	"testing"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/whittle-dev/whittle/analyze/source"
)

// TestIdentify: after one IndexImage with a cache, Identify learns the
// same diff IDs (and, for a root file system tarball, the same made-up
// config) without reading a layer; it refuses without a cache, with
// --verify, before the first read, and when a blob is gone or has a new
// size.
func TestIdentify(t *testing.T) {
	c := writeTwoCopies(t)
	rootfs := filepath.Join(t.TempDir(), "root.tar")
	if err := os.WriteFile(rootfs, paddedTar(t, "etc/x", 100, 'x'), 0o644); err != nil {
		t.Fatal(err)
	}
	open := func(ref string) *source.Image {
		t.Helper()
		im, err := source.Open(context.Background(), ref, source.Options{})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { im.Close() })
		return im
	}
	diffIDs := func(im *source.Image) []v1.Hash {
		var ids []v1.Hash
		for _, l := range im.Layers {
			ids = append(ids, l.DiffID)
		}
		return ids
	}
	for _, ref := range []string{"oci:" + c.oci, "docker-archive:" + c.docker, "rootfs-tar:" + rootfs} {
		t.Run(ref[:3], func(t *testing.T) {
			cache := &Cache{Dir: t.TempDir()}
			if Identify(open(ref), IndexOptions{Cache: cache}) {
				t.Fatal("Identify before any read")
			}
			indexed := open(ref)
			if _, err := IndexImage(context.Background(), indexed, IndexOptions{Cache: cache}); err != nil {
				t.Fatal(err)
			}
			im := open(ref)
			if Identify(im, IndexOptions{}) || Identify(im, IndexOptions{Cache: cache, Verify: true}) {
				t.Fatal("Identify without a cache or with Verify")
			}
			if !Identify(im, IndexOptions{Cache: cache}) {
				t.Fatal("Identify after a read: false")
			}
			if !reflect.DeepEqual(diffIDs(im), diffIDs(indexed)) || string(im.RawConfig) != string(indexed.RawConfig) {
				t.Errorf("Identify: diff IDs %v, config %s; IndexImage: %v, %s", diffIDs(im), im.RawConfig, diffIDs(indexed), indexed.RawConfig)
			}
		})
	}
	// A blob cut short is not vouched for.
	cache := &Cache{Dir: t.TempDir()}
	if _, err := IndexImage(context.Background(), open("oci:"+c.oci), IndexOptions{Cache: cache}); err != nil {
		t.Fatal(err)
	}
	if err := os.Truncate(c.blobs[1], fileSize(t, c.blobs[1])-1); err != nil {
		t.Fatal(err)
	}
	if Identify(open("oci:"+c.oci), IndexOptions{Cache: cache}) {
		t.Error("Identify with a blob cut short")
	}
	// A root file system tarball rewritten with another size is not
	// either.
	rcache := &Cache{Dir: t.TempDir()}
	if _, err := IndexImage(context.Background(), open("rootfs-tar:"+rootfs), IndexOptions{Cache: rcache}); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(rootfs, paddedTar(t, "etc/y", 100, 'y')[:9216], 0o644); err != nil {
		t.Fatal(err)
	}
	if Identify(open("rootfs-tar:"+rootfs), IndexOptions{Cache: rcache}) {
		t.Error("Identify with the tarball rewritten")
	}
}

// TestPruneData keeps the most recently written or touched entries of
// one kind and leaves every other file alone.
func TestPruneData(t *testing.T) {
	cache := &Cache{Dir: t.TempDir()}
	base := time.Now().Add(-time.Hour)
	for i, key := range []string{"a", "b", "c", "d"} {
		if err := cache.PutData("result", key, []byte(key)); err != nil {
			t.Fatal(err)
		}
		at := base.Add(time.Duration(i) * time.Minute)
		os.Chtimes(filepath.Join(cache.Dir, "result-"+key), at, at)
	}
	if err := cache.PutData("other", "a", []byte("x")); err != nil {
		t.Fatal(err)
	}
	os.Chtimes(filepath.Join(cache.Dir, "other-a"), base, base)
	cache.TouchData("result", "a") // now the newest
	if err := cache.PruneData("result", 2); err != nil {
		t.Fatal(err)
	}
	for key, want := range map[string]bool{"a": true, "b": false, "c": false, "d": true} {
		if _, ok := cache.GetData("result", key); ok != want {
			t.Errorf("entry %s kept: %v, want %v", key, ok, want)
		}
	}
	if _, ok := cache.GetData("other", "a"); !ok {
		t.Error("pruning one kind removed another's entry")
	}
	if err := cache.PruneData("result", 5); err != nil {
		t.Errorf("pruning below the limit: %v", err)
	}
	cache.TouchData("result", "gone") // no error, no file
	if _, err := os.Stat(filepath.Join(cache.Dir, "result-gone")); err == nil {
		t.Error("TouchData created an entry")
	}
}

// TestCacheEntriesThatAreNotFiles: an entry that is a FIFO, a link to a
// device, a huge sparse file or a copy of another key's entry reads as
// absent, at once.
func TestCacheEntriesThatAreNotFiles(t *testing.T) {
	cache := &Cache{Dir: t.TempDir()}
	for _, key := range []string{"fifo", "dev", "huge", "copied", "good"} {
		if err := cache.PutData("kind", key, []byte("bytes of "+key)); err != nil {
			t.Fatal(err)
		}
	}
	entry := func(key string) string { return filepath.Join(cache.Dir, "kind-"+key) }
	os.Remove(entry("fifo"))
	if err := syscall.Mkfifo(entry("fifo"), 0o644); err != nil {
		t.Fatal(err)
	}
	os.Remove(entry("dev"))
	if err := os.Symlink("/dev/zero", entry("dev")); err != nil {
		t.Fatal(err)
	}
	if err := os.Truncate(entry("huge"), maxCacheFile+1); err != nil {
		t.Fatal(err)
	}
	if err := syscall.Mkfifo(filepath.Join(cache.Dir, "index-fifo"), 0o644); err != nil {
		t.Fatal(err)
	}
	good, _ := os.ReadFile(entry("good"))
	os.WriteFile(entry("copied"), good, 0o644)
	done := make(chan bool)
	go func() {
		for _, key := range []string{"fifo", "dev", "huge", "copied"} {
			if b, ok := cache.GetData("kind", key); ok {
				t.Errorf("entry %s read as %d bytes", key, len(b))
			}
		}
		if b, ok := cache.GetData("kind", "good"); !ok || string(b) != "bytes of good" {
			t.Errorf("the good entry: %q, %v", b, ok)
		}
		if _, ok := cache.Get("index-fifo"); ok {
			t.Error("a FIFO read as a layer index")
		}
		done <- true
	}()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("reading the cache blocked")
	}
}
