package source

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	v1 "github.com/google/go-containerregistry/pkg/v1"

	"github.com/whittle-dev/whittle/internal/nixref"
)

// NixRootLabel is the image config label naming the store path a nix:
// image was made from, so that a closure starts there.
const NixRootLabel = "dev.whittle.nix-root"

// NixFacts is what a nix: source knows of the closure it packed.
type NixFacts struct {
	// Root is the store path the reference named.
	Root string
	// Info is `nix path-info --json -r` of Root; nil without nix, when
	// the closure was found by scanning the store instead.
	Info []nixref.PathInfo
}

func init() {
	register(TransportNix, SourceFunc(func(ctx context.Context, r Reference, opts Options) (*Image, error) {
		return openNix(ctx, r, opts.Platform)
	}))
}

// openNix makes an image of the closure of a store path of this machine's
// store (a store path, a path inside one, or a link to one such as
// ./result). The closure comes from `nix path-info -r` when nix is on
// PATH, else from scanning the store as Nix would. The image's layer holds
// the closure's paths as they are on disk; its config sets PATH to the
// root's bin and names the root (NixRootLabel) so the graph starts there.
func openNix(ctx context.Context, ref Reference, plat *v1.Platform) (*Image, error) {
	p := ref.Value
	real, err := filepath.EvalSymlinks(p)
	if err != nil {
		return nil, describeOpenError(err)
	}
	real, _ = filepath.Abs(real)
	sp, _, err := nixref.SplitStorePath(storeDir, real)
	if err != nil {
		return nil, fmt.Errorf("%s is not in %s", real, storeDir)
	}
	root := sp.String()
	infos, err := nixref.Info(ctx, root)
	if errors.Is(err, nixref.ErrNoNix) {
		scanned, serr := nixref.ScanClosure(os.DirFS("/"), storeDir, []string{root})
		if serr != nil {
			return nil, serr
		}
		paths := make([]string, len(scanned))
		for i, s := range scanned {
			paths[i] = s.Path
		}
		return newNixImage(ref, root, paths, nil, plat), nil
	}
	if err != nil {
		return nil, err
	}
	paths := make([]string, len(infos))
	for i, in := range infos {
		paths[i] = in.Path
	}
	return newNixImage(ref, root, paths, infos, plat), nil
}

func newNixImage(ref Reference, root string, paths []string, infos []nixref.PathInfo, plat *v1.Platform) *Image {
	rel := make([]string, len(paths))
	for i, p := range paths {
		rel[i] = strings.TrimPrefix(p, "/")
	}
	src := TreeLayer("/", rel...)
	src.Command = "nix closure of " + root
	// Store paths never change, so the set of paths names the layer.
	sum := sha256.Sum256([]byte(strings.Join(paths, "\n")))
	src.CacheKey = "nix-" + hex.EncodeToString(sum[:])
	im := NewRootfsImage(ref, plat, src, v1.Config{
		Env:    []string{"PATH=" + root + "/bin:/usr/bin:/bin"},
		Labels: map[string]string{NixRootLabel: root},
	})
	im.Nix = &NixFacts{Root: root, Info: infos}
	return im
}

// storeDir is where Nix keeps store paths.
const storeDir = nixref.DefaultStoreDir
