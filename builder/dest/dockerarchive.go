package dest

import (
	"context"
	"fmt"
	"io"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/tarball"

	"github.com/whittle-dev/whittle/internal/atomicfile"
)

// DefaultTag names the image in a docker archive or an engine when the
// reference gives no tag.
const DefaultTag = "whittle:latest"

// dockerArchive writes a `docker save` tarball (docker-archive:PATH[:TAG]).
type dockerArchive struct {
	ref  string
	path string
	tag  name.Tag
}

func newDockerArchive(ref, path, tag string) (*dockerArchive, error) {
	t, err := parseTag(ref, tag)
	if err != nil {
		return nil, err
	}
	return &dockerArchive{ref: ref, path: path, tag: t}, nil
}

// parseTag parses an image tag, DefaultTag when empty.
func parseTag(ref, tag string) (name.Tag, error) {
	if tag == "" {
		tag = DefaultTag
	}
	t, err := name.NewTag(tag)
	if err != nil {
		return name.Tag{}, fmt.Errorf("output %q: %q is not an image tag: %w", ref, tag, err)
	}
	return t, nil
}

func (d *dockerArchive) Name() string { return d.ref }

func (d *dockerArchive) Write(ctx context.Context, img v1.Image, progress func(Progress)) error {
	img, err := withProgress(img, d.ref, progress)
	if err != nil {
		return fmt.Errorf("writing %s: %w", d.ref, err)
	}
	if err := atomicfile.Write(d.path, func(w io.Writer) error {
		return tarball.Write(d.tag, img, ctxWriter{ctx, w})
	}); err != nil {
		return fmt.Errorf("writing %s: %w", d.ref, err)
	}
	return nil
}

// ctxWriter stops a long write once ctx is done.
type ctxWriter struct {
	ctx context.Context
	w   io.Writer
}

func (c ctxWriter) Write(b []byte) (int, error) {
	if err := c.ctx.Err(); err != nil {
		return 0, err
	}
	return c.w.Write(b)
}
