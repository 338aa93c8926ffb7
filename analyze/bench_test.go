package analyze

import (
	"archive/tar"
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"testing"

	"github.com/whittle-dev/whittle/analyze/source"
	"github.com/whittle-dev/whittle/internal/testfix"
)

// benchImage is a generated docker archive of about 210 MB of files in
// 12,000 paths over three gzip layers: a base, a layer that overwrites a
// quarter of the base's files and adds more, and one that deletes a
// directory. Content is text-like, so gzip shrinks it about 3 times, as
// real layers shrink.
func benchImage(b *testing.B) string {
	dir := testfix.Build(b, "analyze-bench-image-v2", func(dir string) error {
		rng := rand.New(rand.NewPCG(1, 2))
		words := make([][]byte, 4096)
		for i := range words {
			w := make([]byte, 3+rng.IntN(8))
			for j := range w {
				w[j] = byte('a' + rng.IntN(26))
			}
			words[i] = append(w, ' ')
		}
		content := func(n int) []byte {
			out := make([]byte, 0, n+16)
			for len(out) < n {
				out = append(out, words[rng.IntN(len(words))]...)
			}
			return out[:n]
		}
		writeLayer := func(name string, files int, prefix string, extra func(tw *tar.Writer) error) (string, error) {
			p := filepath.Join(dir, name)
			f, err := os.Create(p)
			if err != nil {
				return "", err
			}
			defer f.Close()
			tw := tar.NewWriter(f)
			for i := 0; i < files; i++ {
				size := 1 << (6 + rng.IntN(12)) // 64 B .. 128 KiB, mostly small
				if i%500 == 0 {
					size = 2 << 20
				}
				body := content(size)
				hdr := &tar.Header{Name: fmt.Sprintf("%s/d%02d/s%02d/f%05d", prefix, i%37, i%11, i), Mode: 0o644, Size: int64(len(body)), Typeflag: tar.TypeReg}
				if err := tw.WriteHeader(hdr); err != nil {
					return "", err
				}
				tw.Write(body)
			}
			if extra != nil {
				if err := extra(tw); err != nil {
					return "", err
				}
			}
			return p, tw.Close()
		}
		l1, err := writeLayer("l1.tar", 11000, "usr/share/app", nil)
		if err != nil {
			return err
		}
		l2, err := writeLayer("l2.tar", 3000, "usr/share/app", nil)
		if err != nil {
			return err
		}
		l3, err := writeLayer("l3.tar", 0, "", func(tw *tar.Writer) error {
			return tw.WriteHeader(&tar.Header{Name: "usr/share/app/d01/.wh.s01", Typeflag: tar.TypeReg})
		})
		if err != nil {
			return err
		}
		return testfix.WriteDockerArchive(filepath.Join(dir, "bench.tar"), "whittle.test/bench:1", []testfix.ArchiveLayer{
			{Tar: l1, Gzip: true, CreatedBy: "base"}, {Tar: l2, Gzip: true, CreatedBy: "overwrite"}, {Tar: l3, Gzip: true, CreatedBy: "delete"},
		})
	})
	return filepath.Join(dir, "bench.tar")
}

func benchIndex(b *testing.B, cache *Cache) {
	ref := "docker-archive:" + benchImage(b)
	run := func() *Index {
		im, err := source.Open(context.Background(), ref, source.Options{})
		if err != nil {
			b.Fatal(err)
		}
		defer im.Close()
		ix, err := IndexImage(context.Background(), im, IndexOptions{Cache: cache})
		if err != nil {
			b.Fatal(err)
		}
		return ix
	}
	ix := run()
	if ix.Totals.ContentBytes < 200<<20 || ix.Totals.Files < 10000 {
		b.Fatalf("bench image too small: %d bytes, %d files", ix.Totals.ContentBytes, ix.Totals.Files)
	}
	b.SetBytes(ix.Totals.TarBytes)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		run()
	}
	b.ReportMetric(float64(ix.Totals.Files), "files")
}

// BenchmarkIndexCold opens the bench image and reads every layer.
func BenchmarkIndexCold(b *testing.B) { benchIndex(b, nil) }

// BenchmarkIndexWarm opens the bench image with every layer in the cache.
func BenchmarkIndexWarm(b *testing.B) { benchIndex(b, &Cache{Dir: b.TempDir()}) }

// BenchmarkMergeDebian merges the scanned layers of the two-layer Debian
// image (10,900 entries): the work a warm audit does after reading the
// cache.
func BenchmarkMergeDebian(b *testing.B) {
	archive, _, _ := testfix.DebianTwoLayerArchive(b)
	im, err := source.Open(context.Background(), "docker-archive:"+archive, source.Options{})
	if err != nil {
		b.Fatal(err)
	}
	defer im.Close()
	var scans []*LayerIndex
	for _, l := range im.Layers {
		rc, err := l.Open()
		if err != nil {
			b.Fatal(err)
		}
		li, err := scanLayer(context.Background(), rc, l.DiffID, zeroHash)
		rc.Close()
		if err != nil {
			b.Fatal(err)
		}
		scans = append(scans, li)
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		Merge(scans)
	}
}
