// Package dest writes a built image to where the user asked: one
// Destination interface and one file per kind of destination
// (docker-archive:, oci:, oci-archive:, docker:// registries,
// docker-daemon:), plus Multi, which writes to several. Files and
// directories are written under a temporary name beside the target and
// renamed into place, so a failure leaves nothing half-written and nothing
// is written outside the target. Progress is reported per layer as bytes
// are written. It never prints.
package dest

import (
	"context"
	"fmt"
	"net/http"
	"strings"

	"github.com/google/go-containerregistry/pkg/authn"
	v1 "github.com/google/go-containerregistry/pkg/v1"
)

// Destination is one place an image is written to.
type Destination interface {
	// Name is the reference as the user wrote it ("oci:out:app").
	Name() string
	// Write writes img. progress, when not nil, is called as each layer's
	// bytes are written (from one goroutine at a time).
	Write(ctx context.Context, img v1.Image, progress func(Progress)) error
}

// Progress is what one destination has written of one layer. Layers a
// destination need not write (a registry that already has them) report
// nothing.
type Progress struct {
	Dest    string  // the destination's Name
	Layer   v1.Hash // the layer's (compressed) digest
	Index   int     // 0-based position of the layer in the image
	Layers  int     // how many layers the image has
	Written int64   // compressed bytes written so far
	Total   int64   // the layer's compressed size
	Done    bool    // the layer is completely written
}

// Options are the settings of destinations that reach other machines.
type Options struct {
	// Insecure allows plain HTTP to registries that are not on loopback.
	Insecure bool
	// Keychain gives registry credentials; nil is the docker config's
	// (authn.DefaultKeychain).
	Keychain authn.Keychain
	// Transport is the registry HTTP transport; nil is remote's default.
	Transport http.RoundTripper
}

// Transports of destinations, with skopeo's names.
const (
	DockerArchive = "docker-archive"
	OCI           = "oci"
	OCIArchive    = "oci-archive"
	Registry      = "docker"
	Daemon        = "docker-daemon"
)

// Parse turns an output reference into its Destination (see ParseWith).
func Parse(ref string) (Destination, error) { return ParseWith(ref, Options{}) }

// ParseWith turns an output reference into its Destination:
//
//	docker-archive:PATH[:TAG]   a `docker save` tarball (TAG default whittle:latest)
//	oci:DIR[:NAME]              an OCI image layout; NAME is its ref.name
//	oci-archive:PATH[:NAME]     the same, as a tarball
//	docker://REF                a registry
//	docker-daemon:REF           a Docker-compatible engine (DOCKER_HOST)
//
// Unlike sources, an output must name its transport: a bare "min.tar"
// could mean a file or a push. Errors name the reference.
func ParseWith(ref string, opts Options) (Destination, error) {
	if v, ok := strings.CutPrefix(ref, "docker://"); ok {
		return newRegistry(ref, v, opts)
	}
	head, rest, found := strings.Cut(ref, ":")
	if !found || strings.Contains(head, "/") {
		return nil, fmt.Errorf("output %q: say which kind of output it is: docker-archive:%s, oci:%s, oci-archive:%s, docker://%s or docker-daemon:%s", ref, ref, ref, ref, ref, ref)
	}
	path, tag, _ := strings.Cut(rest, ":")
	needPath := func() error {
		if path == "" {
			return fmt.Errorf("output %q: %s needs a path", ref, head)
		}
		return nil
	}
	switch head {
	case DockerArchive:
		if err := needPath(); err != nil {
			return nil, err
		}
		return newDockerArchive(ref, path, tag)
	case OCI:
		if err := needPath(); err != nil {
			return nil, err
		}
		return &ociLayout{ref: ref, dir: path, name: tag}, nil
	case OCIArchive:
		if err := needPath(); err != nil {
			return nil, err
		}
		return &ociArchive{ref: ref, path: path, name: tag}, nil
	case Daemon:
		return newDaemon(ref, rest)
	}
	return nil, fmt.Errorf("output %q: unknown kind of output %q (known: docker-archive, oci, oci-archive, docker://, docker-daemon)", ref, head)
}
