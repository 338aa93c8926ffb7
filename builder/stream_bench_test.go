package builder

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"runtime"
	"runtime/metrics"
	"strings"
	"testing"
	"time"

	"github.com/whittle-dev/whittle/analyze"
	"github.com/whittle-dev/whittle/internal/reprotar"
)

// peakHeap samples the live heap every few milliseconds until stop is
// called, which returns the highest sample in MiB.
func peakHeap() (stop func() float64) {
	runtime.GC()
	done := make(chan struct{})
	result := make(chan float64)
	go func() {
		s := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}}
		var peak uint64
		t := time.NewTicker(5 * time.Millisecond)
		defer t.Stop()
		for {
			metrics.Read(s)
			peak = max(peak, s[0].Value.Uint64())
			select {
			case <-done:
				result <- float64(peak) / (1 << 20)
				return
			case <-t.C:
			}
		}
	}()
	return func() float64 { close(done); return <-result }
}

// benchBuild builds spec b.N times, reporting the peak live heap.
func benchBuild(b *testing.B, spec Spec, bytes int64) {
	b.SetBytes(bytes)
	stop := peakHeap()
	for b.Loop() {
		res, err := Build(context.Background(), spec)
		if err != nil {
			b.Fatal(err)
		}
		res.Close()
	}
	b.ReportMetric(stop(), "peak-heap-MiB")
}

// BenchmarkGzipBomb: 2 GiB of zeros from a 2 MB gzip layer, in one file
// and in 512 files wanted in the reverse of the layer's order (spooled).
func BenchmarkGzipBomb(b *testing.B) {
	var many []genFile
	for i := 511; i >= 0; i-- {
		many = append(many, genFile{name: fmt.Sprintf("f%03d", i), size: 4 << 20})
	}
	for _, tc := range []struct {
		name  string
		files []genFile
	}{{"one", []genFile{{name: "zeros", size: 2 << 30}}}, {"many", many}} {
		b.Run(tc.name, func(b *testing.B) {
			blob, id := genLayer(b, tc.files)
			im, ix := openLayers(b, [][]byte{blob}, []string{id})
			benchBuild(b, Spec{Source: im, Index: ix, Keep: keepAll}, 2<<30)
		})
	}
}

// BenchmarkSparse: a 1 TiB sparse file.
func BenchmarkSparse(b *testing.B) {
	const tib = 1 << 40
	var rf = []reprotar.File{{Path: "/disk.img", Kind: reprotar.Regular, Mode: 0o600, Size: tib,
		Open: func() (reprotar.Content, error) {
			return reprotar.Content{R: strings.NewReader("data"), Sparse: []reprotar.Fragment{{Offset: tib / 2, Length: 4}}}, nil
		}}}
	src, err := reprotar.Bytes(rf)
	if err != nil {
		b.Fatal(err)
	}
	im, ix := openLayers(b, [][]byte{src}, []string{digestOf(src)})
	benchBuild(b, Spec{Source: im, Index: ix, Keep: keepAll}, 0)
}

// BenchmarkDeepTree: 10,000 nested directories, the file at the bottom
// kept.
func BenchmarkDeepTree(b *testing.B) {
	src := deepTree(b, 10000)
	im, ix := openLayers(b, [][]byte{src}, []string{digestOf(src)})
	leaf := strings.Repeat("/d", 10000) + "/f"
	benchBuild(b, Spec{Source: im, Index: ix, Keep: func(n *analyze.Node) bool { return n.Path() == leaf }}, 0)
}

// digestOf is the sha256 digest of an uncompressed layer.
func digestOf(b []byte) string {
	sum := sha256.Sum256(b)
	return "sha256:" + hex.EncodeToString(sum[:])
}
