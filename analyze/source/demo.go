package source

import (
	"context"

	"bytes"
	"io"

	"github.com/whittle-dev/whittle/internal/demo"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/types"
)

func init() {
	register(TransportDemo, SourceFunc(func(_ context.Context, r Reference, _ Options) (*Image, error) {
		raw, tars, err := demo.Build(r.Value)
		if err != nil {
			return nil, err
		}
		return memoryImage(r, raw, tars)
	}))
}

// Memory is an image held in memory: a raw config and its layers as
// uncompressed tars, in order (generated images, tests). ref names it in
// messages; it is parsed as any reference. Errors: a config that does not
// parse or lists another number of layers.
func Memory(ref string, rawConfig []byte, tars [][]byte) (*Image, error) {
	r, err := ParseReference(ref)
	if err != nil {
		return nil, err
	}
	return memoryImage(r, rawConfig, tars)
}

// memoryImage is an image held in memory: a raw config and uncompressed
// layer tars (the demo image).
func memoryImage(ref Reference, raw []byte, tars [][]byte) (*Image, error) {
	var layers []*Layer
	for _, t := range tars {
		t := t
		layers = append(layers, &Layer{
			Size:      int64(len(t)),
			MediaType: types.OCIUncompressedLayer,
			open:      func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(t)), nil },
		})
	}
	im, err := newImage(ref, raw, layers)
	if err != nil {
		return nil, err
	}
	for _, l := range im.Layers {
		l.CacheKey = "" // held in memory: reading it again is cheap
		h, _, err := v1.SHA256(bytes.NewReader(tars[l.Index]))
		if err != nil {
			return nil, err
		}
		l.Digest = h
	}
	return im, nil
}
