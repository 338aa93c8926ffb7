package dest

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/layout"
	"github.com/whittle-dev/whittle/internal/atomicfile"
)

// refNameAnnotation names an image inside an OCI layout.
const refNameAnnotation = "org.opencontainers.image.ref.name"

// ociLayout writes an OCI image layout directory (oci:DIR[:NAME]). An
// existing layout keeps its other images; an image of the same NAME (or,
// without NAME, the unnamed image) is replaced.
type ociLayout struct {
	ref  string
	dir  string
	name string
}

func (o *ociLayout) Name() string { return o.ref }

// Write builds the new layout in a temporary directory beside DIR and
// swaps it into place in one rename.
func (o *ociLayout) Write(ctx context.Context, img v1.Image, progress func(Progress)) error {
	img, err := withProgress(img, o.ref, progress)
	if err != nil {
		return fmt.Errorf("writing %s: %w", o.ref, err)
	}
	if err := writeLayoutDir(ctx, o.dir, o.name, img, true); err != nil {
		return fmt.Errorf("writing %s: %w", o.ref, err)
	}
	return nil
}

// writeLayoutDir writes img into the layout at dir under name, through a
// temporary directory swapped into place. With keep, the images of an
// existing layout at dir are kept (its blobs hardlinked, not copied).
func writeLayoutDir(ctx context.Context, dir, name string, img v1.Image, keep bool) error {
	existing, err := existingLayout(dir)
	if err != nil {
		return err
	}
	return atomicfile.ReplaceDir(dir, func(tmp string) error {
		return fillLayout(ctx, tmp, name, img, keep && existing, dir)
	})
}

// fillLayout writes the layout into the empty directory tmp: a copy of
// the layout at from when copyFrom, then img.
func fillLayout(ctx context.Context, tmp, name string, img v1.Image, copyFrom bool, from string) error {
	var lp layout.Path
	var err error
	if copyFrom {
		if err := linkTree(from, tmp); err != nil {
			return fmt.Errorf("copying the existing layout: %w", err)
		}
		if lp, err = layout.FromPath(tmp); err != nil {
			return fmt.Errorf("reading the existing layout: %w", err)
		}
	} else if lp, err = layout.Write(tmp, empty.Index); err != nil {
		return err
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	if err := addImage(lp, img, name); err != nil {
		return err
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	return publicModes(tmp)
}

// publicModes gives the layout's files 0644 and its directories 0755, as
// the other outputs' files have: the layout library writes large blobs
// through private temporary files (0600) and small files executable
// (0755), and a layout is read by other users (a registry, podman).
func publicModes(dir string) error {
	return filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		mode := fs.FileMode(0o644)
		if d.IsDir() {
			mode = 0o755
		}
		if err := os.Chmod(p, mode); err != nil {
			return fmt.Errorf("setting the mode of %s: %w", p, err)
		}
		return nil
	})
}

// addImage writes img into the layout, replacing the image of the same
// ref.name (or the unnamed one).
func addImage(lp layout.Path, img v1.Image, name string) error {
	var opts []layout.Option
	if name != "" {
		opts = append(opts, layout.WithAnnotations(map[string]string{refNameAnnotation: name}))
	}
	same := func(d v1.Descriptor) bool { return d.Annotations[refNameAnnotation] == name }
	if err := lp.ReplaceImage(img, same, opts...); err != nil {
		return fmt.Errorf("writing the image into the layout: %w", err)
	}
	return nil
}

// existingLayout reports whether dir is an OCI layout; a missing or empty
// directory is not one, anything else that is not a layout is an error (it
// is never overwritten).
func existingLayout(dir string) (bool, error) {
	st, err := os.Lstat(dir)
	if errors.Is(err, fs.ErrNotExist) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	if !st.IsDir() {
		return false, fmt.Errorf("%s exists and is not a directory", dir)
	}
	if _, err := os.Stat(filepath.Join(dir, "oci-layout")); err == nil {
		return true, nil
	}
	ents, err := os.ReadDir(dir)
	if err != nil {
		return false, err
	}
	if len(ents) > 0 {
		return false, fmt.Errorf("%s exists and is not an OCI layout (no oci-layout file); not overwriting it", dir)
	}
	return false, nil
}

// linkTree recreates the layout at src in dst: blobs are hardlinked (they
// are never modified in place; copied when links fail), other files copied.
func linkTree(src, dst string) error {
	return filepath.WalkDir(src, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(src, p)
		if err != nil || rel == "." {
			return err
		}
		target := filepath.Join(dst, rel)
		switch {
		case d.IsDir():
			return os.MkdirAll(target, 0o755)
		case d.Type().IsRegular():
			if filepath.Dir(rel) != "." && os.Link(p, target) == nil {
				return nil
			}
			return copyFile(p, target)
		}
		return nil // a layout holds only directories and files
	})
}

func copyFile(src, dst string) error {
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.OpenFile(dst, os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o644)
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		return err
	}
	return out.Close()
}
