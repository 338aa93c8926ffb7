package dest

import (
	"context"
	"fmt"

	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/remote"

	"github.com/whittle-dev/whittle/internal/reghttp"
)

// registry pushes to a registry (docker://REF). Credentials come from the
// docker config keychain; plain HTTP goes only to loopback registries
// unless Options.Insecure. remote.Write skips blobs the registry already
// has.
type registry struct {
	ref  string
	dst  name.Reference
	opts Options
}

func newRegistry(ref, value string, opts Options) (*registry, error) {
	if value == "" {
		return nil, fmt.Errorf("output %q: no image named after docker://", ref)
	}
	var nameOpts []name.Option
	if opts.Insecure {
		nameOpts = append(nameOpts, name.Insecure)
	}
	r, err := name.ParseReference(value, nameOpts...)
	if err != nil {
		return nil, fmt.Errorf("output %q: not a valid image reference: %w", ref, err)
	}
	return &registry{ref: ref, dst: r, opts: opts}, nil
}

func (r *registry) Name() string { return r.ref }

func (r *registry) Write(ctx context.Context, img v1.Image, progress func(Progress)) error {
	img, err := withProgress(img, r.ref, progress)
	if err != nil {
		return fmt.Errorf("writing %s: %w", r.ref, err)
	}
	limits, err := reghttp.DefaultLimits()
	if err != nil {
		return fmt.Errorf("pushing %s: %w", r.ref, err)
	}
	kc := r.opts.Keychain
	if kc == nil {
		kc = authn.DefaultKeychain
	}
	if err := remote.Write(r.dst, img, append(reghttp.RemoteOptions(limits),
		remote.WithContext(ctx),
		remote.WithAuthFromKeychain(kc),
		remote.WithTransport(reghttp.Registry(r.opts.Transport, r.opts.Insecure, limits)),
		remote.WithUserAgent("whittle"),
	)...); err != nil {
		return fmt.Errorf("pushing %s: %w", r.ref, err)
	}
	return nil
}
