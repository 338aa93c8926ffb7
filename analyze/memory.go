package analyze

import (
	"bytes"
	"io"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/types"
)

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
		l.cacheKey = "" // held in memory: reading it again is cheap
		h, _, err := v1.SHA256(bytes.NewReader(tars[l.Index]))
		if err != nil {
			return nil, err
		}
		l.Digest = h
	}
	return im, nil
}
