package source

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"runtime"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/types"
)

// Image is an opened image: its configuration and its layers, with what is
// known about them without reading their content. Close releases what the
// source holds open (files, temporary copies).
type Image struct {
	Ref       Reference
	RawConfig []byte
	Config    *v1.ConfigFile
	Layers    []*Layer
	// ManifestDigest is the image manifest's digest when the source has a
	// manifest (registry, OCI layout); zero otherwise.
	ManifestDigest v1.Hash
	// Nix is what Nix said of a nix: image's closure; nil for other sources.
	Nix *NixFacts

	closers []func() error
	// synthetic is set for root file system sources, whose config is made
	// up once the layer's diff ID is known, for platform.
	synthetic bool
	platform  *v1.Platform
	runtime   v1.Config
}

// Layer is one layer of an opened image.
type Layer struct {
	Index int
	// DiffID is the digest of the uncompressed tar, as the config lists it;
	// for sources without a config (dir:, rootfs-tar:) it is zero until the
	// layer has been read.
	DiffID v1.Hash
	// Digest is the digest of the layer as stored, when known without
	// reading it; zero otherwise.
	Digest v1.Hash
	// Size is the stored size when known without reading, else -1.
	Size      int64
	MediaType types.MediaType
	// Command is the history entry (Dockerfile instruction) that made it.
	Command string

	// VerifyDigest asks the reader to check the stored bytes against Digest
	// (sources that do not verify blobs themselves).
	VerifyDigest bool
	// CacheKey names the layer in the index cache; "" means do not cache.
	CacheKey string

	open func() (io.ReadCloser, error)
	// stat, when set, tells the stored blob's current size without reading it.
	stat func() (int64, error)
	// fingerprint, when set, names the stored bytes' version (see Fingerprint).
	fingerprint func() (string, error)
}

// Open returns the stored (possibly compressed) byte stream of the layer.
func (l *Layer) Open() (io.ReadCloser, error) { return l.open() }

// StatBlob tells, without reading it, whether the stored blob is still
// there and how large it is now (a stat of the file, an archive member's
// extent, a registry HEAD request). It returns -1 and no error when the
// source cannot tell cheaply; an error means the blob is missing or cut
// short.
func (l *Layer) StatBlob() (int64, error) {
	if l.stat == nil {
		return -1, nil
	}
	return l.stat()
}

// Synthetic reports whether the image's config is made up once its layers
// have been read (root file system sources: dir:, rootfs-tar:, nix:); until
// FinishSynthetic, RawConfig and Config are nil and DiffIDs are zero.
func (im *Image) Synthetic() bool { return im.synthetic }

// AddCloser registers a function Close calls (in reverse order of
// registration), for resources tied to the image's life.
func (im *Image) AddCloser(fn func() error) { im.closers = append(im.closers, fn) }

// Close releases the source's resources. It is safe to call twice.
func (im *Image) Close() error {
	var errs []error
	for i := len(im.closers) - 1; i >= 0; i-- {
		errs = append(errs, im.closers[i]())
	}
	im.closers = nil
	return errors.Join(errs...)
}

// newImage validates a raw config and pairs it with layers: the config's
// diff IDs and history are attached to the layers, and a mismatch between
// the config and the layer list is an error.
func newImage(ref Reference, rawConfig []byte, layers []*Layer) (*Image, error) {
	cfg, err := v1.ParseConfigFile(bytes.NewReader(rawConfig))
	if err != nil {
		return nil, fmt.Errorf("parsing image config: %w", err)
	}
	if len(cfg.RootFS.DiffIDs) != len(layers) {
		return nil, fmt.Errorf("image config lists %d layers (rootfs.diff_ids) but the manifest has %d", len(cfg.RootFS.DiffIDs), len(layers))
	}
	for i, l := range layers {
		l.Index = i
		l.DiffID = cfg.RootFS.DiffIDs[i]
		if l.CacheKey == "" {
			l.CacheKey = l.DiffID.String()
		}
	}
	attachHistory(cfg, layers)
	return &Image{Ref: ref, RawConfig: rawConfig, Config: cfg, Layers: layers}, nil
}

// attachHistory gives each layer the command of the history entry that
// made it: history entries marked empty_layer made no layer.
func attachHistory(cfg *v1.ConfigFile, layers []*Layer) {
	i := 0
	for _, h := range cfg.History {
		if h.EmptyLayer {
			continue
		}
		if i >= len(layers) {
			break
		}
		cmd := h.CreatedBy
		if cmd == "" {
			cmd = h.Comment
		}
		layers[i].Command = cmd
		i++
	}
}

// syntheticConfig is the config of a source that has none (a root file
// system): the platform it was asked for (or this machine's) and one layer.
func syntheticConfig(p *v1.Platform, runtime v1.Config, diffIDs []v1.Hash, createdBy string) []byte {
	plat := defaultPlatform(p)
	if len(runtime.Env) == 0 {
		runtime.Env = []string{"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"}
	}
	cfg := map[string]any{
		"architecture": plat.Architecture,
		"os":           plat.OS,
		"config":       runtime,
		"rootfs":       map[string]any{"type": "layers", "diff_ids": diffIDs},
		"history":      []map[string]any{{"created_by": createdBy}},
	}
	if plat.Variant != "" {
		cfg["variant"] = plat.Variant
	}
	b, _ := json.Marshal(cfg)
	return b
}

func defaultPlatform(p *v1.Platform) v1.Platform {
	if p != nil {
		return *p
	}
	return v1.Platform{OS: "linux", Architecture: runtime.GOARCH}
}
