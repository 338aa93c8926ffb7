package analyze

import (
	"archive/tar"
	"bytes"
	"context"
	"encoding/json"
	"io"
	"os"
	"path/filepath"
	"sync"
	"testing"

	"github.com/google/go-containerregistry/pkg/compression"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/layout"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
	"github.com/google/go-containerregistry/pkg/v1/types"
	"github.com/whittle-dev/whittle/analyze/source"
)

// paddedTar is a tar of one file padded with zero blocks to 10,240 bytes,
// the record size GNU tar writes.
func paddedTar(t *testing.T, name string, size int, fill byte) []byte {
	t.Helper()
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	if err := tw.WriteHeader(&tar.Header{Name: name, Mode: 0o644, Size: int64(size), Typeflag: tar.TypeReg}); err != nil {
		t.Fatal(err)
	}
	tw.Write(bytes.Repeat([]byte{fill}, size))
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
	if buf.Len() > 10240 {
		t.Fatalf("tar of %s is %d bytes", name, buf.Len())
	}
	return append(buf.Bytes(), make([]byte, 10240-buf.Len())...)
}

// twoCopies writes the same two layers as an OCI layout (the first blob
// zstd, the second gzip) and as a classic docker archive (uncompressed
// <n>/layer.tar members), and returns the layout's blob paths.
type twoCopies struct {
	oci, docker string
	blobs       [2]string
}

func writeTwoCopies(t *testing.T) twoCopies {
	t.Helper()
	dir := t.TempDir()
	tars := [][]byte{paddedTar(t, "a.txt", 5000, 'a'), paddedTar(t, "b.txt", 3000, 'b')}
	var layers []v1.Layer
	for i, comp := range []compression.Compression{compression.ZStd, compression.GZip} {
		b := tars[i]
		l, err := tarball.LayerFromOpener(func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(b)), nil }, tarball.WithCompression(comp))
		if err != nil {
			t.Fatal(err)
		}
		layers = append(layers, l)
	}
	img, err := mutate.AppendLayers(mutate.MediaType(empty.Image, types.OCIManifestSchema1), layers...)
	if err != nil {
		t.Fatal(err)
	}
	img = mutate.ConfigMediaType(img, types.OCIConfigJSON)
	c := twoCopies{oci: filepath.Join(dir, "oci"), docker: filepath.Join(dir, "app.tar")}
	p, err := layout.Write(c.oci, empty.Index)
	if err != nil {
		t.Fatal(err)
	}
	if err := p.AppendImage(img); err != nil {
		t.Fatal(err)
	}
	for i, l := range layers {
		d, err := l.Digest()
		if err != nil {
			t.Fatal(err)
		}
		c.blobs[i] = filepath.Join(c.oci, "blobs", d.Algorithm, d.Hex)
	}
	raw, err := img.RawConfigFile()
	if err != nil {
		t.Fatal(err)
	}
	writeDockerArchive(t, c.docker, raw, tars)
	return c
}

// writeDockerArchive writes a classic `docker save` archive by hand.
func writeDockerArchive(t *testing.T, p string, config []byte, tars [][]byte) {
	t.Helper()
	manifest := []map[string]any{{"Config": "config.json", "RepoTags": []string{"app:1"}, "Layers": []string{"1/layer.tar", "2/layer.tar"}}}
	mb, _ := json.Marshal(manifest)
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	add := func(name string, b []byte) {
		tw.WriteHeader(&tar.Header{Name: name, Mode: 0o644, Size: int64(len(b)), Typeflag: tar.TypeReg})
		tw.Write(b)
	}
	add("config.json", config)
	add("1/layer.tar", tars[0])
	add("2/layer.tar", tars[1])
	add("manifest.json", mb)
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
}

func fileSize(t *testing.T, p string) int64 {
	t.Helper()
	fi, err := os.Stat(p)
	if err != nil {
		t.Fatal(err)
	}
	return fi.Size()
}

type indexRun struct {
	ix     *Index
	cached int
	err    error
}

func indexWith(t *testing.T, ref string, opts IndexOptions) indexRun {
	t.Helper()
	im, err := source.Open(context.Background(), ref, source.Options{})
	if err != nil {
		return indexRun{err: err}
	}
	defer im.Close()
	var mu sync.Mutex
	var r indexRun
	opts.Progress = func(p LayerProgress) {
		mu.Lock()
		defer mu.Unlock()
		if p.Done && p.Cached {
			r.cached++
		}
	}
	r.ix, r.err = IndexImage(context.Background(), im, opts)
	return r
}

type storedFacts struct {
	comp          [2]Compression
	stored, tarsz [2]int64
}

func factsOf(ix *Index) storedFacts {
	var f storedFacts
	for i, l := range ix.Layers[:2] {
		f.comp[i], f.stored[i], f.tarsz[i] = l.Compression, l.StoredBytes, l.TarBytes
	}
	return f
}

// TestCacheStoredFacts audits the same two layers from two copies with one
// cache: each copy reports its own compression and stored size, warm or
// cold, while the layer index is shared.
func TestCacheStoredFacts(t *testing.T) {
	c := writeTwoCopies(t)
	zst, gz := fileSize(t, c.blobs[0]), fileSize(t, c.blobs[1])
	ociWant := storedFacts{comp: [2]Compression{"zstd", "gzip"}, stored: [2]int64{zst, gz}, tarsz: [2]int64{10240, 10240}}
	dockerWant := storedFacts{comp: [2]Compression{"none", "none"}, stored: [2]int64{10240, 10240}, tarsz: [2]int64{10240, 10240}}
	cache := &Cache{Dir: t.TempDir()}
	for _, step := range []struct {
		ref         string
		want        storedFacts
		wantCached  int
		totalStored int64
	}{
		{"oci:" + c.oci, ociWant, 0, zst + gz},
		{"docker-archive:" + c.docker, dockerWant, 0, 20480},
		{"docker-archive:" + c.docker, dockerWant, 2, 20480},
		{"oci:" + c.oci, ociWant, 2, zst + gz},
	} {
		r := indexWith(t, step.ref, IndexOptions{Cache: cache})
		if r.err != nil {
			t.Fatalf("%s: %v", step.ref, r.err)
		}
		if got := factsOf(r.ix); got != step.want || r.cached != step.wantCached || r.ix.Totals.StoredBytes != step.totalStored || r.ix.Totals.TarBytes != 20480 {
			t.Errorf("%s: facts %+v, %d cached, stored %d, tar %d; want %+v, %d cached, stored %d, tar 20480",
				step.ref, got, r.cached, r.ix.Totals.StoredBytes, r.ix.Totals.TarBytes, step.want, step.wantCached, step.totalStored)
		}
	}
}

// TestCacheDamagedBlob: a warm cache never accepts a blob that a cold run
// rejects for being missing or cut short, and --verify catches a change of
// the same size that the warm checks cannot see.
func TestCacheDamagedBlob(t *testing.T) {
	damage := map[string]func(t *testing.T, c twoCopies) string{
		"oci truncated": func(t *testing.T, c twoCopies) string {
			if err := os.Truncate(c.blobs[1], fileSize(t, c.blobs[1])/2); err != nil {
				t.Fatal(err)
			}
			return "oci:" + c.oci
		},
		"oci missing": func(t *testing.T, c twoCopies) string {
			if err := os.Remove(c.blobs[0]); err != nil {
				t.Fatal(err)
			}
			return "oci:" + c.oci
		},
		"docker layer truncated": func(t *testing.T, c twoCopies) string {
			raw, err := layoutConfig(c.oci)
			if err != nil {
				t.Fatal(err)
			}
			good := [][]byte{paddedTar(t, "a.txt", 5000, 'a'), paddedTar(t, "b.txt", 3000, 'b')}
			writeDockerArchive(t, c.docker, raw, [][]byte{good[0], good[1][:5120]})
			return "docker-archive:" + c.docker
		},
		"docker archive cut short": func(t *testing.T, c twoCopies) string {
			if err := os.Truncate(c.docker, 2048+512+10240+512+4096); err != nil {
				t.Fatal(err)
			}
			return "docker-archive:" + c.docker
		},
	}
	for name, fn := range damage {
		t.Run(name, func(t *testing.T) {
			c := writeTwoCopies(t)
			cache := &Cache{Dir: t.TempDir()}
			for _, ref := range []string{"oci:" + c.oci, "docker-archive:" + c.docker} {
				if r := indexWith(t, ref, IndexOptions{Cache: cache}); r.err != nil {
					t.Fatalf("warming %s: %v", ref, r.err)
				}
			}
			ref := fn(t, c)
			cold := indexWith(t, ref, IndexOptions{})
			warm := indexWith(t, ref, IndexOptions{Cache: cache})
			if cold.err == nil || warm.err == nil {
				t.Errorf("cold error %v, warm error %v; want both to fail", cold.err, warm.err)
			}
		})
	}

	// A byte changed in place keeps the size but not the file's
	// modification time: the warm run hashes the blob again and fails as a cold run
	// does; so does --verify, which reads every blob.
	c := writeTwoCopies(t)
	cache := &Cache{Dir: t.TempDir()}
	ref := "oci:" + c.oci
	if r := indexWith(t, ref, IndexOptions{Cache: cache}); r.err != nil {
		t.Fatal(r.err)
	}
	b, err := os.ReadFile(c.blobs[1])
	if err != nil {
		t.Fatal(err)
	}
	b[len(b)/2] ^= 0xff
	if err := os.WriteFile(c.blobs[1], b, 0o644); err != nil {
		t.Fatal(err)
	}
	if r := indexWith(t, ref, IndexOptions{Cache: cache}); r.err == nil || r.cached != 1 {
		t.Errorf("warm run over a same-size change: err %v, %d cached; want an error, 1 cached", r.err, r.cached)
	}
	if r := indexWith(t, ref, IndexOptions{Cache: cache, Verify: true}); r.err == nil || r.cached != 0 {
		t.Errorf("verify run over a changed blob: err %v, %d cached; want an error, 0 cached", r.err, r.cached)
	}
}

// layoutConfig returns the raw config of the only image in a layout.
func layoutConfig(dir string) ([]byte, error) {
	p, err := layout.FromPath(dir)
	if err != nil {
		return nil, err
	}
	ii, err := p.ImageIndex()
	if err != nil {
		return nil, err
	}
	m, err := ii.IndexManifest()
	if err != nil {
		return nil, err
	}
	img, err := ii.Image(m.Manifests[0].Digest)
	if err != nil {
		return nil, err
	}
	return img.RawConfigFile()
}
