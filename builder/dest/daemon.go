package dest

import (
	"context"
	"fmt"
	"io"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/tarball"

	"github.com/whittle-dev/whittle/internal/engine"
)

// daemon loads the image into a Docker-compatible engine
// (docker-daemon:REF; DOCKER_HOST, as the docker CLI reads it; podman's
// compatible service works): a docker archive streamed to POST
// /images/load. The engine stores the image whole or not at all.
type daemon struct {
	ref string
	tag name.Tag
}

func newDaemon(ref, value string) (*daemon, error) {
	if value == "" {
		return nil, fmt.Errorf("output %q: docker-daemon needs an image name, like docker-daemon:app:latest", ref)
	}
	t, err := parseTag(ref, value)
	if err != nil {
		return nil, err
	}
	return &daemon{ref: ref, tag: t}, nil
}

func (d *daemon) Name() string { return d.ref }

func (d *daemon) Write(ctx context.Context, img v1.Image, progress func(Progress)) error {
	img, err := withProgress(img, d.ref, progress)
	if err != nil {
		return fmt.Errorf("writing %s: %w", d.ref, err)
	}
	cli, err := engine.New()
	if err != nil {
		return fmt.Errorf("writing %s: %w", d.ref, err)
	}
	pr, pw := io.Pipe()
	go func() { pw.CloseWithError(tarball.Write(d.tag, img, pw)) }()
	err = cli.Load(ctx, pr)
	pr.CloseWithError(io.ErrClosedPipe) // stops the writer if the engine gave up early
	if err != nil {
		return fmt.Errorf("loading %s into the engine: %w", d.ref, err)
	}
	return nil
}
