package dest

import (
	"fmt"
	"io"
	"strings"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/types"
)

// withProgress wraps img so that reading a layer's compressed bytes
// reports Progress. Every writer of go-containerregistry reads layers
// through Compressed, so one wrapper serves all destinations.
// It also refuses an image that mixes Docker and OCI media types, which
// validate.Image lets through but registries and skopeo reject.
func withProgress(img v1.Image, dest string, progress func(Progress)) (v1.Image, error) {
	ls, err := img.Layers()
	if err != nil {
		return nil, fmt.Errorf("getting image layers: %w", err)
	}
	if err := checkMediaTypes(img, ls); err != nil {
		return nil, err
	}
	if progress == nil {
		return img, nil
	}
	p := &progressImage{Image: img}
	for i, l := range ls {
		d, err := l.Digest()
		if err != nil {
			return nil, fmt.Errorf("getting layer digest: %w", err)
		}
		size, err := l.Size()
		if err != nil {
			return nil, fmt.Errorf("getting layer size: %w", err)
		}
		diff, err := l.DiffID()
		if err != nil {
			return nil, fmt.Errorf("getting layer diff ID: %w", err)
		}
		pl := &progressLayer{Layer: l, report: func(n int64, done bool) {
			progress(Progress{Dest: dest, Layer: d, Index: i, Layers: len(ls), Written: n, Total: size, Done: done})
		}}
		p.layers = append(p.layers, pl)
		p.byDigest = append(p.byDigest, d)
		p.byDiffID = append(p.byDiffID, diff)
	}
	return p, nil
}

type progressImage struct {
	v1.Image
	layers   []*progressLayer
	byDigest []v1.Hash
	byDiffID []v1.Hash
}

func (p *progressImage) Layers() ([]v1.Layer, error) {
	out := make([]v1.Layer, len(p.layers))
	for i, l := range p.layers {
		out[i] = l
	}
	return out, nil
}

func (p *progressImage) LayerByDigest(h v1.Hash) (v1.Layer, error) {
	for i, d := range p.byDigest {
		if d == h {
			return p.layers[i], nil
		}
	}
	return p.Image.LayerByDigest(h)
}

func (p *progressImage) LayerByDiffID(h v1.Hash) (v1.Layer, error) {
	for i, d := range p.byDiffID {
		if d == h {
			return p.layers[i], nil
		}
	}
	return p.Image.LayerByDiffID(h)
}

type progressLayer struct {
	v1.Layer
	report func(written int64, done bool)
}

func (l *progressLayer) Compressed() (io.ReadCloser, error) {
	rc, err := l.Layer.Compressed()
	if err != nil {
		return nil, err
	}
	l.report(0, false)
	return &countingReader{rc: rc, report: l.report}, nil
}

type countingReader struct {
	rc     io.ReadCloser
	n      int64
	done   bool
	report func(int64, bool)
}

func (c *countingReader) Read(b []byte) (int, error) {
	n, err := c.rc.Read(b)
	c.n += int64(n)
	if err == io.EOF && !c.done {
		c.done = true
		c.report(c.n, true)
	} else if n > 0 {
		c.report(c.n, false)
	}
	return n, err
}

func (c *countingReader) Close() error { return c.rc.Close() }

// checkMediaTypes checks that the layers' media types are of the
// manifest's family (Docker or OCI).
func checkMediaTypes(img v1.Image, ls []v1.Layer) error {
	mt, err := img.MediaType()
	if err != nil {
		return fmt.Errorf("getting the manifest media type: %w", err)
	}
	oci := mt == types.OCIManifestSchema1
	for i, l := range ls {
		lmt, err := l.MediaType()
		if err != nil {
			return fmt.Errorf("getting layer media type: %w", err)
		}
		if lmt.IsLayer() && strings.HasPrefix(string(lmt), "application/vnd.oci.") != oci {
			return fmt.Errorf("layer %d is %s in a %s image: build the image with one family of media types", i+1, lmt, mt)
		}
	}
	return nil
}
