package source

import (
	"fmt"

	v1 "github.com/google/go-containerregistry/pkg/v1"
)

// TransportBuilt names images handed over as a v1.Image (a build's
// result); it is no transport a reference can name.
const TransportBuilt = "built"

// FromV1 makes a go-containerregistry image (one just built, say) an
// Image, named name in messages. Its layers are read through
// Layer.Compressed and checked against their digests, like any other
// source's. Errors: what the image cannot tell about itself.
func FromV1(name string, img v1.Image) (*Image, error) {
	raw, err := img.RawConfigFile()
	if err != nil {
		return nil, fmt.Errorf("getting config: %w", err)
	}
	ls, err := img.Layers()
	if err != nil {
		return nil, fmt.Errorf("getting image layers: %w", err)
	}
	layers := make([]*Layer, len(ls))
	for i, l := range ls {
		d, err := l.Digest()
		if err != nil {
			return nil, fmt.Errorf("layer %d: %w", i+1, err)
		}
		size, err := l.Size()
		if err != nil {
			return nil, fmt.Errorf("layer %d: %w", i+1, err)
		}
		mt, err := l.MediaType()
		if err != nil {
			return nil, fmt.Errorf("layer %d: %w", i+1, err)
		}
		layers[i] = &Layer{Digest: d, Size: size, MediaType: mt, VerifyDigest: true, open: l.Compressed}
	}
	im, err := newImage(Reference{Transport: TransportBuilt, Value: name}, raw, layers)
	if err != nil {
		return nil, err
	}
	if m, err := img.Digest(); err == nil {
		im.ManifestDigest = m
	}
	return im, nil
}
