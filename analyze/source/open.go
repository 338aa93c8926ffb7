package source

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"path/filepath"

	"github.com/google/go-containerregistry/pkg/authn"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/whittle-dev/whittle/internal/hosterr"
	"github.com/whittle-dev/whittle/internal/reghttp"
)

// Options tune how images are opened.
type Options struct {
	// Platform picks an image from a multi-platform index; nil means
	// linux on this machine's architecture.
	Platform *v1.Platform
	// Insecure allows plain HTTP to registries that are not on loopback.
	Insecure bool
	// Keychain supplies registry credentials; nil means the docker config.
	Keychain authn.Keychain
	// Transport carries registry requests; nil means one whose connects
	// are bounded by Network.ConnectTimeout.
	Transport http.RoundTripper
	// Network bounds waits, redirects and retries of registry requests;
	// zero means reghttp.DefaultLimits (WHITTLE_CONNECT_TIMEOUT,
	// WHITTLE_IDLE_TIMEOUT).
	Network reghttp.Limits
}

// Source opens the images of one transport. Each transport is one file of
// this package that registers its Source under the transport's name, as
// ko's publishers do; what a source knows beyond the image (Nix's path
// info, a synthetic config) travels on the Image it returns.
type Source interface {
	// Open opens the image r names; r.Transport is the source's own.
	// Errors need not name r: Open prefixes them with it.
	Open(ctx context.Context, r Reference, opts Options) (*Image, error)
}

// SourceFunc makes a function a Source.
type SourceFunc func(ctx context.Context, r Reference, opts Options) (*Image, error)

// Open calls f.
func (f SourceFunc) Open(ctx context.Context, r Reference, opts Options) (*Image, error) {
	return f(ctx, r, opts)
}

var sources = map[string]Source{}

// register adds the source of a transport; each source file calls it from
// init, once.
func register(transport string, s Source) {
	if _, dup := sources[transport]; dup {
		panic("source: transport registered twice: " + transport)
	}
	sources[transport] = s
}

// Open opens the image a reference names. Errors name the reference once.
func Open(ctx context.Context, ref string, opts Options) (*Image, error) {
	r, err := ParseReference(ref)
	if err != nil {
		return nil, err
	}
	im, err := open(ctx, r, opts)
	if err == nil {
		err = checkPlatform(im, opts.Platform)
		if err != nil {
			im.Close()
		}
	}
	if err != nil {
		return nil, fmt.Errorf("%s: %w", r, err)
	}
	return im, nil
}

// checkPlatform fails when --platform asks for a platform the image's
// config says it is not for: a single-platform image is not silently
// taken for another. Sources without a config of their own (dir:,
// rootfs-tar:, nix:, demo:) make one for the platform asked, so pass.
func checkPlatform(im *Image, want *v1.Platform) error {
	if want == nil || im.Config == nil || im.Config.OS == "" && im.Config.Architecture == "" {
		return nil
	}
	c := im.Config
	have := v1.Platform{OS: c.OS, Architecture: c.Architecture, Variant: c.Variant}
	if want.OS != "" && want.OS != have.OS || want.Architecture != "" && want.Architecture != have.Architecture ||
		want.Variant != "" && have.Variant != "" && want.Variant != have.Variant {
		return fmt.Errorf("--platform %s: the image is for %s only", want.String(), have.String())
	}
	return nil
}

func open(ctx context.Context, r Reference, opts Options) (*Image, error) {
	if r.Transport == TransportPath {
		return openPath(ctx, r, opts)
	}
	s, ok := sources[r.Transport]
	if !ok {
		return nil, fmt.Errorf("unknown transport %q", r.Transport)
	}
	return s.Open(ctx, r, opts)
}

// openPath opens a bare reference: a local path, detected by content, or
// failing that a registry reference.
func openPath(ctx context.Context, r Reference, opts Options) (*Image, error) {
	if _, err := os.Lstat(r.Value); err != nil {
		if looksLikePath(r.Value) {
			return nil, describeOpenError(err)
		}
		if hint, ok := transportHint(r.Value); ok {
			return nil, fmt.Errorf("did you mean %s? (%q is a transport's name; a registry image of that name is docker://%s)", hint, r.Value, r.Value)
		}
		return openRegistry(ctx, Reference{Transport: TransportRegistry, Value: r.Value}, opts)
	}
	kind, err := DetectPath(r.Value)
	if err != nil {
		return nil, err
	}
	return open(ctx, Reference{Transport: kind, Value: r.Value}, opts)
}

func looksLikePath(s string) bool {
	if filepath.IsAbs(s) || s == "." || s == ".." {
		return true
	}
	for _, p := range []string{"./", "../"} {
		if len(s) >= len(p) && s[:len(p)] == p {
			return true
		}
	}
	for _, ext := range []string{".tar", ".tgz", ".tar.gz", ".tar.zst", ".oci"} {
		if len(s) > len(ext) && s[len(s)-len(ext):] == ext {
			return true
		}
	}
	return false
}

func describeOpenError(err error) error { return hosterr.Describe(err) }
