package analyze

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"net/http"
	"os"
	"path/filepath"

	"github.com/google/go-containerregistry/pkg/authn"
	v1 "github.com/google/go-containerregistry/pkg/v1"
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
	// Transport carries registry requests; nil means go-containerregistry's default.
	Transport http.RoundTripper
	// Demo builds the image of the demo: transport, when set.
	Demo func(name string) (rawConfig []byte, layers [][]byte, err error)
	// Nix builds the image of a nix: reference, when set.
	Nix func(ctx context.Context, path string) (*Image, error)
}

// Open opens the image a reference names. Errors name the reference.
func Open(ctx context.Context, ref string, opts Options) (*Image, error) {
	r, err := ParseReference(ref)
	if err != nil {
		return nil, err
	}
	im, err := open(ctx, r, opts)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", r, err)
	}
	return im, nil
}

func open(ctx context.Context, r Reference, opts Options) (*Image, error) {
	switch r.Transport {
	case TransportRegistry:
		return openRegistry(ctx, r, opts)
	case TransportDockerArchive, TransportOCIArchive:
		a, err := openTarArchive(r.Value)
		if err != nil {
			return nil, describeOpenError(err)
		}
		var im *Image
		if r.Transport == TransportDockerArchive {
			im, err = openDockerArchive(r, a)
		} else {
			im, err = openOCILayout(r, a.FS(), opts.Platform)
		}
		if err != nil {
			a.Close()
			return nil, err
		}
		im.closers = append(im.closers, a.Close)
		return im, nil
	case TransportOCI:
		fi, err := os.Stat(r.Value)
		if err != nil {
			return nil, describeOpenError(err)
		}
		if !fi.IsDir() {
			return nil, fmt.Errorf("not a directory; an archived layout is oci-archive:%s", r.Value)
		}
		return openOCILayout(r, os.DirFS(r.Value), opts.Platform)
	case TransportDaemon:
		return openDaemon(ctx, r)
	case TransportDir:
		im, err := openDir(r, r.Value, opts.Platform)
		return im, describeOpenError(err)
	case TransportRootfsTar:
		im, err := openRootfsTar(r, r.Value, opts.Platform)
		return im, describeOpenError(err)
	case TransportDemo:
		if opts.Demo == nil {
			return nil, fmt.Errorf("the demo image is not available in this build")
		}
		raw, tars, err := opts.Demo(r.Value)
		if err != nil {
			return nil, err
		}
		return memoryImage(r, raw, tars)
	case TransportNix:
		if opts.Nix == nil {
			return nil, fmt.Errorf("nix: sources are not available in this build")
		}
		return opts.Nix(ctx, r.Value)
	case TransportPath:
		return openPath(ctx, r, opts)
	}
	return nil, fmt.Errorf("unknown transport %q", r.Transport)
}

// openPath opens a bare reference: a local path, detected by content, or
// failing that a registry reference.
func openPath(ctx context.Context, r Reference, opts Options) (*Image, error) {
	if _, err := os.Lstat(r.Value); err != nil {
		if looksLikePath(r.Value) {
			return nil, describeOpenError(err)
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

func describeOpenError(err error) error {
	var pe *fs.PathError
	switch {
	case err == nil:
		return nil
	case errors.Is(err, fs.ErrNotExist) && errors.As(err, &pe):
		return fmt.Errorf("no such file or directory")
	case errors.Is(err, fs.ErrPermission) && errors.As(err, &pe):
		return fmt.Errorf("permission denied")
	}
	return err
}

func bytesReader(b []byte) *bytes.Reader { return bytes.NewReader(b) }
