package source

import (
	"context"
	"fmt"

	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/partial"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/whittle-dev/whittle/internal/reghttp"
)

func init() { register(TransportRegistry, SourceFunc(openRegistry)) }

// openRegistry opens an image in a registry. Credentials come from the
// docker config keychain; plain HTTP is used only for loopback hosts
// (localhost, 127.0.0.1, ::1) unless Insecure is set.
func openRegistry(ctx context.Context, ref Reference, opts Options) (*Image, error) {
	var nameOpts []name.Option
	if opts.Insecure {
		nameOpts = append(nameOpts, name.Insecure)
	}
	r, err := name.ParseReference(ref.Value, nameOpts...)
	if err != nil {
		return nil, fmt.Errorf("not a valid image reference: %w", err)
	}
	limits := opts.Network
	if limits == (reghttp.Limits{}) {
		if limits, err = reghttp.DefaultLimits(); err != nil {
			return nil, err
		}
	}
	kc := opts.Keychain
	if kc == nil {
		kc = authn.DefaultKeychain
	}
	plat := defaultPlatform(opts.Platform)
	ropts := append(reghttp.RemoteOptions(limits),
		remote.WithContext(ctx),
		remote.WithAuthFromKeychain(kc),
		remote.WithPlatform(plat),
		remote.WithTransport(reghttp.Registry(opts.Transport, opts.Insecure, limits)),
		remote.WithUserAgent("whittle"),
	)
	registry := r.Context().RegistryStr()
	desc, err := remote.Get(r, ropts...)
	if err != nil {
		return nil, fmt.Errorf("fetching from the registry %s: %w", registry, reghttp.Unwrap(err))
	}
	var img v1.Image
	if desc.MediaType.IsIndex() {
		// The platform is picked here, not by go-containerregistry, so
		// that nested indexes are followed and a miss lists what there is.
		idx, err := desc.ImageIndex()
		if err != nil {
			return nil, fmt.Errorf("fetching from the registry %s: %w", registry, reghttp.Unwrap(err))
		}
		m, err := idx.IndexManifest()
		if err != nil {
			return nil, fmt.Errorf("reading the image index from %s: %w", registry, reghttp.Unwrap(err))
		}
		read := func(d v1.Descriptor) ([]v1.Descriptor, error) {
			child, err := remote.Index(r.Context().Digest(d.Digest.String()), ropts...)
			if err != nil {
				return nil, fmt.Errorf("fetching image index %s from %s: %w", d.Digest, registry, reghttp.Unwrap(err))
			}
			cm, err := child.IndexManifest()
			if err != nil {
				return nil, fmt.Errorf("reading image index %s from %s: %w", d.Digest, registry, reghttp.Unwrap(err))
			}
			return cm.Manifests, nil
		}
		pick, err := pickPlatform(m.Manifests, opts.Platform, read)
		if err != nil {
			return nil, err
		}
		if img, err = remote.Image(r.Context().Digest(pick.Digest.String()), ropts...); err != nil {
			return nil, fmt.Errorf("fetching from the registry %s: %w", registry, reghttp.Unwrap(err))
		}
	} else if img, err = desc.Image(); err != nil {
		return nil, fmt.Errorf("fetching from the registry %s: %w", registry, reghttp.Unwrap(err))
	}
	raw, err := img.RawConfigFile()
	if err != nil {
		return nil, fmt.Errorf("fetching image config: %w", err)
	}
	rls, err := img.Layers()
	if err != nil {
		return nil, fmt.Errorf("getting image layers: %w", err)
	}
	var layers []*Layer
	for i, rl := range rls {
		l := &Layer{open: rl.Compressed}
		l.stat = func() (int64, error) {
			ok, err := partial.Exists(rl)
			if err != nil {
				return -1, fmt.Errorf("checking blob %s: %w", l.Digest, err)
			}
			if !ok {
				return -1, fmt.Errorf("blob %s is missing from the registry", l.Digest)
			}
			return l.Size, nil
		}
		if l.Digest, err = rl.Digest(); err != nil {
			return nil, fmt.Errorf("layer %d: %w", i+1, err)
		}
		if l.Size, err = rl.Size(); err != nil {
			return nil, fmt.Errorf("layer %d: %w", i+1, err)
		}
		if l.MediaType, err = rl.MediaType(); err != nil {
			return nil, fmt.Errorf("layer %d: %w", i+1, err)
		}
		layers = append(layers, l)
	}
	im, err := newImage(ref, raw, layers)
	if err != nil {
		return nil, err
	}
	if im.ManifestDigest, err = img.Digest(); err != nil {
		return nil, fmt.Errorf("getting manifest digest: %w", err)
	}
	return im, nil
}
