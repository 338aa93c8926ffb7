package analyze

import (
	"context"
	"os"
	"path/filepath"
	"reflect"
	"sync"
	"testing"

	"github.com/whittle-dev/whittle/analyze/source"
	"github.com/whittle-dev/whittle/finding"
)

func TestCacheRoundTrip(t *testing.T) {
	ix := scanAll(t, fixtureLayers...)
	c := &Cache{Dir: t.TempDir()}
	for i, li := range ix.Layers {
		li.Findings = []finding.Finding{{Kind: KindClimbsOut, Severity: finding.Warning, Paths: []string{"/a", "/b" + string(rune('a'+i))}, Message: "problem " + string(rune('a'+i)), Fix: "fix it"}}
		if err := c.Put(li.DiffID.String(), li); err != nil {
			t.Fatal(err)
		}
		got, ok := c.Get(li.DiffID.String())
		if !ok {
			t.Fatalf("layer %d not found after Put", i)
		}
		if !reflect.DeepEqual(got, li) {
			t.Errorf("layer %d round trip:\n got %+v\nwant %+v", i, got, li)
		}
	}
	if _, ok := c.Get("sha256:absent"); ok {
		t.Error("Get of an absent key succeeded")
	}
	var nilCache *Cache
	if _, ok := nilCache.Get("x"); ok || nilCache.Put("x", ix.Layers[0]) != nil {
		t.Error("a nil cache must be a no-op")
	}
}

// TestCacheCorrupt flips, truncates and replaces cache files: each must
// read as absent, never as a wrong index.
func TestCacheCorrupt(t *testing.T) {
	ix := scanAll(t, fixtureLayers...)
	li := ix.Layers[0]
	key := li.DiffID.String()
	good := encodeLayerIndex(li)
	c := &Cache{Dir: t.TempDir()}
	for name, b := range map[string][]byte{
		"empty":     {},
		"truncated": good[:len(good)/2],
		"flipped":   flip(good, len(good)/2),
		"magic":     append([]byte("not a cache"), good[11:]...),
		"version":   flip(good, len(cacheMagic)),
		"checksum":  flip(good, len(good)-1),
	} {
		if err := os.WriteFile(c.file(key), b, 0o644); err != nil {
			t.Fatal(err)
		}
		if got, ok := c.Get(key); ok {
			t.Errorf("%s cache file read as %d entries", name, len(got.Entries))
		}
	}
}

func flip(b []byte, i int) []byte {
	c := append([]byte(nil), b...)
	c[i] ^= 0x40
	return c
}

// TestCacheWarmIndex opens an image twice: the second index reads no
// layer, and both runs agree. Concurrent runs share the cache safely.
func TestCacheWarmIndex(t *testing.T) {
	s := writeSources(t)
	c := &Cache{Dir: filepath.Join(t.TempDir(), "cache")}
	ref := "docker-archive:" + s.dockerArchive
	index := func() (*Index, int) {
		im, err := source.Open(context.Background(), ref, source.Options{})
		if err != nil {
			t.Fatal(err)
		}
		defer im.Close()
		var mu sync.Mutex
		cached := 0
		ix, err := IndexImage(context.Background(), im, IndexOptions{Cache: c, Progress: func(p LayerProgress) {
			mu.Lock()
			defer mu.Unlock()
			if p.Done && p.Cached {
				cached++
			}
		}})
		if err != nil {
			t.Fatal(err)
		}
		return ix, cached
	}
	var wg sync.WaitGroup
	for i := 0; i < 4; i++ {
		wg.Add(1)
		go func() { defer wg.Done(); index() }()
	}
	wg.Wait()
	cold, _ := index()
	warm, cached := index()
	if cached != 2 {
		t.Errorf("warm run read %d layers from the cache, want 2", cached)
	}
	if cold.Totals != warm.Totals || !reflect.DeepEqual(visibleFiles(cold), visibleFiles(warm)) {
		t.Errorf("warm totals %+v differ from cold %+v", warm.Totals, cold.Totals)
	}
	files, _ := os.ReadDir(c.Dir)
	if len(files) != 4 {
		t.Errorf("cache holds %d files, want 4 (per layer an index and its blob's facts, no temporary leftovers)", len(files))
	}
	// The rootfs-tar source caches by the file's identity.
	rc := "rootfs-tar:" + s.rootTarGz
	for i := 0; i < 2; i++ {
		im, err := source.Open(context.Background(), rc, source.Options{})
		if err != nil {
			t.Fatal(err)
		}
		cachedNow := false
		ix, err := IndexImage(context.Background(), im, IndexOptions{Cache: c, Progress: func(p LayerProgress) { cachedNow = cachedNow || p.Cached }})
		im.Close()
		if err != nil || ix.Totals.VisibleBytes != fixtureVisible || cachedNow != (i == 1) {
			t.Errorf("rootfs-tar run %d: err %v, visible %d, cached %v", i, err, ix.Totals.VisibleBytes, cachedNow)
		}
		if len(im.Config.RootFS.DiffIDs) != 1 || im.Config.RootFS.DiffIDs[0] != ix.Layers[0].DiffID {
			t.Errorf("rootfs-tar run %d: config diff IDs %v", i, im.Config.RootFS.DiffIDs)
		}
	}
}
