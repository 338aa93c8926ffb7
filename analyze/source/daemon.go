package source

import (
	"context"
	"fmt"
	"io"
	"os"

	"github.com/whittle-dev/whittle/internal/engine"
)

func init() {
	register(TransportDaemon, SourceFunc(func(ctx context.Context, r Reference, _ Options) (*Image, error) {
		return openDaemon(ctx, r)
	}))
}

// openDaemon asks a Docker-compatible engine (DOCKER_HOST, DOCKER_TLS_VERIFY
// and DOCKER_CERT_PATH as the docker CLI reads them; a podman socket works)
// for `docker save` of the image, keeps it in a temporary file removed by
// Close, and reads that as a docker archive.
func openDaemon(ctx context.Context, ref Reference) (*Image, error) {
	cli, err := engine.New()
	if err != nil {
		return nil, err
	}
	rc, err := cli.Save(ctx, ref.Value)
	if err != nil {
		return nil, err
	}
	defer rc.Close()
	tmp, err := os.CreateTemp("", "whittle-daemon-*.tar")
	if err != nil {
		return nil, fmt.Errorf("saving the image: %w", err)
	}
	name := tmp.Name()
	_, err = io.Copy(tmp, rc)
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		os.Remove(name)
		return nil, fmt.Errorf("saving the image from the engine: %w", err)
	}
	a, err := openTarArchive(name)
	if err != nil {
		os.Remove(name)
		return nil, fmt.Errorf("reading what the engine saved: %w", err)
	}
	// The engine answers one image; its tags need not match what was asked.
	im, err := openDockerArchive(Reference{Transport: TransportDockerArchive, Value: name}, a)
	if err != nil {
		a.Close()
		os.Remove(name)
		return nil, err
	}
	im.Ref = ref
	// The save is a new temporary file each time, so the members'
	// fingerprints never match a cached one; blobs the engine names by
	// digest (Docker 25 and later) are the engine's own, hashed by it,
	// and need no second hashing to be trusted.
	for _, l := range im.Layers {
		if l.Digest.Hex != "" {
			l.fingerprint = nil
		}
	}
	im.closers = append(im.closers, a.Close, func() error { return removeIfExists(name) })
	return im, nil
}

func removeIfExists(p string) error {
	if err := os.Remove(p); err != nil && !os.IsNotExist(err) {
		return err
	}
	return nil
}
