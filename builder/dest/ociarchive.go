package dest

import (
	"archive/tar"
	"context"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sort"

	v1 "github.com/google/go-containerregistry/pkg/v1"

	"github.com/whittle-dev/whittle/internal/atomicfile"
	"github.com/whittle-dev/whittle/internal/reprotar"
)

// ociArchive writes an OCI image layout as one tarball
// (oci-archive:PATH[:NAME]), as skopeo does; an existing file is replaced.
type ociArchive struct {
	ref  string
	path string
	name string
}

func (o *ociArchive) Name() string { return o.ref }

// Write builds the layout in a temporary directory beside PATH, then tars
// it (sorted, fixed times) into PATH through atomicfile.
func (o *ociArchive) Write(ctx context.Context, img v1.Image, progress func(Progress)) error {
	img, err := withProgress(img, o.ref, progress)
	if err != nil {
		return fmt.Errorf("writing %s: %w", o.ref, err)
	}
	path := filepath.Clean(o.path)
	tmp, err := os.MkdirTemp(filepath.Dir(path), "."+filepath.Base(path)+".layout-*")
	if err != nil {
		return fmt.Errorf("writing %s: %w", o.ref, err)
	}
	defer os.RemoveAll(tmp)
	if err := fillLayout(ctx, tmp, o.name, img, false, ""); err != nil {
		return fmt.Errorf("writing %s: %w", o.ref, err)
	}
	if err := atomicfile.Write(path, func(w io.Writer) error { return tarDir(tmp, ctxWriter{ctx, w}) }); err != nil {
		return fmt.Errorf("writing %s: %w", o.ref, err)
	}
	return nil
}

// tarDir writes the files below dir as a tar stream, sorted by path, with
// reprotar's fixed time and owners.
func tarDir(dir string, w io.Writer) error {
	var paths []string
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if p != dir {
			paths = append(paths, p)
		}
		return nil
	})
	if err != nil {
		return err
	}
	sort.Strings(paths)
	tw := tar.NewWriter(w)
	for _, p := range paths {
		st, err := os.Lstat(p)
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		hdr := &tar.Header{Name: filepath.ToSlash(rel), Mode: 0o644, ModTime: reprotar.Epoch, Format: tar.FormatPAX}
		switch {
		case st.IsDir():
			hdr.Typeflag, hdr.Name, hdr.Mode = tar.TypeDir, hdr.Name+"/", 0o755
		case st.Mode().IsRegular():
			hdr.Typeflag, hdr.Size = tar.TypeReg, st.Size()
		default:
			return fmt.Errorf("%s: not a file or directory", p)
		}
		if err := tw.WriteHeader(hdr); err != nil {
			return err
		}
		if hdr.Typeflag == tar.TypeReg {
			f, err := os.Open(p)
			if err != nil {
				return err
			}
			_, err = io.Copy(tw, f)
			f.Close()
			if err != nil {
				return err
			}
		}
	}
	return tw.Close()
}
