package testfix

import (
	"archive/tar"
	"io"
	"testing"

	v1 "github.com/google/go-containerregistry/pkg/v1"
)

// EachTarEntry reads the tar stream r to its end and calls fn with each
// entry's header and a reader of its content (what fn leaves unread is
// skipped); a malformed stream fails t.
func EachTarEntry(t testing.TB, r io.Reader, fn func(hdr *tar.Header, content io.Reader)) {
	t.Helper()
	tr := tar.NewReader(r)
	for {
		hdr, err := tr.Next()
		if err == io.EOF {
			return
		}
		if err != nil {
			t.Fatalf("reading a tar stream: %v", err)
		}
		fn(hdr, tr)
	}
}

// EachLayerEntry calls fn with each entry of each layer of img,
// uncompressed, in layer order, and the layer's index (from 0).
func EachLayerEntry(t testing.TB, img v1.Image, fn func(layer int, hdr *tar.Header, content io.Reader)) {
	t.Helper()
	layers, err := img.Layers()
	if err != nil {
		t.Fatalf("listing layers: %v", err)
	}
	for i, l := range layers {
		rc, err := l.Uncompressed()
		if err != nil {
			t.Fatalf("reading layer %d: %v", i, err)
		}
		EachTarEntry(t, rc, func(hdr *tar.Header, content io.Reader) { fn(i, hdr, content) })
		rc.Close()
	}
}
