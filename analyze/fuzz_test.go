package analyze

import (
	"bytes"
	"compress/gzip"
	"context"
	"reflect"
	"testing"

	"github.com/whittle-dev/whittle/analyze/source"
)

func fuzzSeeds(f *testing.F) {
	for _, l := range fixtureLayers {
		b := tarBytes(f, l...)
		f.Add(b)
		var gz bytes.Buffer
		zw := gzip.NewWriter(&gz)
		zw.Write(b)
		zw.Close()
		f.Add(gz.Bytes())
		f.Add(b[:len(b)/2+7])
	}
	f.Add(tarBytes(f, file("../../etc/passwd", 3, 'p'), hardlink("x", "../../../y"), symlink("/abs", "/etc/../.."), whiteout("a/b", "c"), opaque("."), dir("./")))
	f.Add([]byte{})
	f.Add([]byte{0x1f, 0x8b, 0x08})
	f.Add([]byte{0x28, 0xb5, 0x2f, 0xfd, 0x00})
}

// FuzzScanLayer feeds arbitrary bytes to the layer reader, then merges what
// it read twice over (as a layer stacked on itself) and round-trips it
// through the cache encoding: none of it may panic or loop, and the cache
// must give back exactly what was stored.
func FuzzScanLayer(f *testing.F) {
	fuzzSeeds(f)
	f.Fuzz(func(t *testing.T, data []byte) {
		li, err := scanLayer(context.Background(), bytes.NewReader(data), zeroHash, zeroHash)
		if err != nil {
			return
		}
		ix := Merge([]*LayerIndex{li, li})
		if ix.Totals.VisibleBytes+ix.Totals.WastedBytes != ix.Totals.ContentBytes {
			t.Fatalf("visible %d + wasted %d != content %d", ix.Totals.VisibleBytes, ix.Totals.WastedBytes, ix.Totals.ContentBytes)
		}
		got, err := decodeLayerIndex(encodeLayerIndex(li))
		if err != nil {
			t.Fatalf("cache round trip: %v", err)
		}
		if !reflect.DeepEqual(got, li) && !(len(got.Entries) == 0 && len(li.Entries) == 0) {
			t.Fatalf("cache round trip changed the index")
		}
	})
}

// FuzzDecodeCache feeds arbitrary bytes to the cache decoder.
func FuzzDecodeCache(f *testing.F) {
	for _, l := range fixtureLayers {
		li, err := scanLayer(context.Background(), bytes.NewReader(tarBytes(f, l...)), zeroHash, zeroHash)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(encodeLayerIndex(li))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		decodeLayerIndex(data)
	})
}

// FuzzDetectPath feeds arbitrary files to content detection and source.Open.
func FuzzOpenArchive(f *testing.F) {
	fuzzSeeds(f)
	f.Fuzz(func(t *testing.T, data []byte) {
		p := t.TempDir() + "/x"
		if err := writeFile(p, data); err != nil {
			t.Fatal(err)
		}
		if im, err := source.Open(context.Background(), p, source.Options{}); err == nil {
			if _, err := IndexImage(context.Background(), im, IndexOptions{}); err == nil {
				_ = err
			}
			im.Close()
		}
	})
}
