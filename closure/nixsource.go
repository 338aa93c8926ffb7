package closure

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

	"github.com/whittle-dev/whittle/analyze"
	"github.com/whittle-dev/whittle/closure/nixref"
)

// NixImage is the image of a nix: reference: the closure of a local store
// path as one layer, and what Nix said of it when nix is installed.
type NixImage struct {
	Image *analyze.Image
	// Root is the store path the reference named.
	Root string
	// Info is `nix path-info --json -r` of Root; nil without nix, when
	// the closure was found by scanning the store instead.
	Info []nixref.PathInfo
}

// OpenNix makes an image of the closure of a store path of this machine's
// store (a store path, a path inside one, or a link to one such as
// ./result). The closure comes from `nix path-info -r` when nix is on
// PATH, else from scanning the store as Nix would. The image's layer holds
// the closure's paths as they are on disk; its config sets PATH to the
// root's bin and names the root (NixRootLabel) so the graph starts there.
func OpenNix(ctx context.Context, p string, plat *v1.Platform) (*NixImage, error) {
	ref := analyze.Reference{Transport: analyze.TransportNix, Value: p}
	real, err := filepath.EvalSymlinks(p)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", ref, describeHostError(err))
	}
	real, _ = filepath.Abs(real)
	sp, _, err := nixref.SplitStorePath(storeDir, real)
	if err != nil {
		return nil, fmt.Errorf("%s: %s is not in %s", ref, real, storeDir)
	}
	root := sp.String()
	infos, err := nixref.Info(ctx, root)
	if errors.Is(err, nixref.ErrNoNix) {
		scanned, serr := nixref.ScanClosure(os.DirFS("/"), storeDir, []string{root})
		if serr != nil {
			return nil, fmt.Errorf("%s: %w", ref, serr)
		}
		paths := make([]string, len(scanned))
		for i, s := range scanned {
			paths[i] = s.Path
		}
		return newNixImage(ref, root, paths, nil, plat), nil
	}
	if err != nil {
		return nil, fmt.Errorf("%s: %w", ref, err)
	}
	paths := make([]string, len(infos))
	for i, in := range infos {
		paths[i] = in.Path
	}
	return newNixImage(ref, root, paths, infos, plat), nil
}

func newNixImage(ref analyze.Reference, root string, paths []string, infos []nixref.PathInfo, plat *v1.Platform) *NixImage {
	rel := make([]string, len(paths))
	for i, p := range paths {
		rel[i] = strings.TrimPrefix(p, "/")
	}
	src := analyze.TreeLayer("/", rel...)
	src.Command = "nix closure of " + root
	// Store paths never change, so the set of paths names the layer.
	sum := sha256.Sum256([]byte(strings.Join(paths, "\n")))
	src.CacheKey = "nix-" + hex.EncodeToString(sum[:])
	im := analyze.NewRootfsImage(ref, plat, src, v1.Config{
		Env:    []string{"PATH=" + root + "/bin:/usr/bin:/bin"},
		Labels: map[string]string{NixRootLabel: root},
	})
	return &NixImage{Image: im, Root: root, Info: infos}
}

func describeHostError(err error) error {
	if errors.Is(err, os.ErrNotExist) {
		return errors.New("no such file or directory")
	}
	return err
}
