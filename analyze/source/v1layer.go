package source

import (
	"fmt"
	"io"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/partial"
	"github.com/google/go-containerregistry/pkg/v1/types"

	"github.com/whittle-dev/whittle/internal/compress"
)

// V1Layers returns the image's layers as go-containerregistry layers, to
// build on (a base image). A layer stored compressed with a known digest
// is handed over as stored, so its digest, and what registries share,
// stay the same; one stored raw, or with no known digest, is handed over
// by its tar stream, compressed with gzip when written. DiffIDs must be
// known (after indexing, for sources that learn them by reading).
func (im *Image) V1Layers() ([]v1.Layer, error) {
	out := make([]v1.Layer, len(im.Layers))
	for i, l := range im.Layers {
		if l.DiffID.Hex == "" {
			return nil, fmt.Errorf("%s: layer %d: diff ID not known before indexing", im.Ref, i+1)
		}
		var (
			layer v1.Layer
			err   error
		)
		compressed := l.MediaType != "" && l.MediaType != types.OCIUncompressedLayer && l.MediaType != types.DockerUncompressedLayer
		if compressed && l.Digest.Hex != "" && l.Size >= 0 {
			layer, err = partial.CompressedToLayer(&storedLayer{l})
		} else {
			layer, err = partial.UncompressedToLayer(&tarLayer{l})
		}
		if err != nil {
			return nil, fmt.Errorf("%s: layer %d: %w", im.Ref, i+1, err)
		}
		out[i] = layer
	}
	return out, nil
}

// storedLayer is a layer as stored, compressed, with known digests.
type storedLayer struct{ l *Layer }

func (s *storedLayer) Digest() (v1.Hash, error)            { return s.l.Digest, nil }
func (s *storedLayer) DiffID() (v1.Hash, error)            { return s.l.DiffID, nil }
func (s *storedLayer) Size() (int64, error)                { return s.l.Size, nil }
func (s *storedLayer) MediaType() (types.MediaType, error) { return s.l.MediaType, nil }
func (s *storedLayer) Compressed() (io.ReadCloser, error)  { return s.l.Open() }

// tarLayer is a layer by its tar stream (whatever the storage).
type tarLayer struct{ l *Layer }

func (t *tarLayer) DiffID() (v1.Hash, error)            { return t.l.DiffID, nil }
func (t *tarLayer) MediaType() (types.MediaType, error) { return types.OCILayer, nil }
func (t *tarLayer) Uncompressed() (io.ReadCloser, error) {
	rc, err := t.l.Open()
	if err != nil {
		return nil, err
	}
	r, err := compress.NewReader(rc)
	if err != nil {
		rc.Close()
		return nil, err
	}
	return struct {
		io.Reader
		io.Closer
	}{r, closeBoth{r, rc}}, nil
}

type closeBoth struct{ a, b io.Closer }

func (c closeBoth) Close() error {
	err := c.a.Close()
	if err2 := c.b.Close(); err == nil {
		err = err2
	}
	return err
}
