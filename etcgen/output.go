package etcgen

import (
	"archive/tar"
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"strings"
	"syscall"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/whittle-dev/whittle/internal/atomicfile"
	"github.com/whittle-dev/whittle/internal/reprotar"
)

// Tar returns the output as a reproducible, uncompressed tar stream
// (sorted entries, fixed mtime, numeric owners 0 unless chosen).
func (o *Output) Tar() ([]byte, error) {
	b, err := reprotar.Bytes(o.Files)
	if err != nil {
		return nil, fmt.Errorf("writing the etc layer: %w", err)
	}
	return b, nil
}

// Layer returns the output as an image layer; the same selection of the
// same catalog always gives the same digest.
func (o *Output) Layer() (v1.Layer, error) {
	b, err := o.Tar()
	if err != nil {
		return nil, err
	}
	return reprotar.LayerFromTar(b)
}

// WriteTar writes the layer tarball (uncompressed) to file, atomically
// (see atomicfile): mode 0644 less the umask, never half a file.
func (o *Output) WriteTar(file string) error {
	b, err := o.Tar()
	if err != nil {
		return err
	}
	return atomicfile.WriteFile(file, b)
}

// WriteDir writes the files into dir (created if missing) as the layer
// holds them. Nothing is written outside dir: every operation goes through
// an os.Root, and a symlink already in dir is never followed: one where a
// directory is needed is an error, one where a file or link goes is
// replaced. Owners are set when running as root; modification times are
// the layer's.
func (o *Output) WriteDir(dir string) error {
	b, err := o.Tar()
	if err != nil {
		return err
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("writing %s: %w", dir, err)
	}
	root, err := os.OpenRoot(dir)
	if err != nil {
		return fmt.Errorf("writing %s: %w", dir, err)
	}
	defer root.Close()
	asRoot := os.Geteuid() == 0
	tr := tar.NewReader(bytes.NewReader(b))
	for {
		hdr, err := tr.Next()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return fmt.Errorf("writing %s: %w", dir, err)
		}
		name := strings.TrimSuffix(path.Clean(hdr.Name), "/")
		if !filepath.IsLocal(name) {
			return fmt.Errorf("writing %s: entry %q is not inside it", dir, hdr.Name)
		}
		if err := writeEntry(root, name, hdr, tr, asRoot); err != nil {
			return fmt.Errorf("writing %s: %w", filepath.Join(dir, name), err)
		}
	}
}

func writeEntry(root *os.Root, name string, hdr *tar.Header, r io.Reader, asRoot bool) error {
	// Parents are created by earlier entries (the tar lists them first);
	// check that none is a symlink planted in the directory.
	for d := path.Dir(name); d != "."; d = path.Dir(d) {
		fi, err := root.Lstat(d)
		if err != nil {
			return err
		}
		if !fi.IsDir() {
			return fmt.Errorf("refusing to write through %s, which is not a directory", d)
		}
	}
	mode := hdr.FileInfo().Mode()
	existing, err := root.Lstat(name)
	exists := err == nil
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	switch hdr.Typeflag {
	case tar.TypeDir:
		if exists && !existing.IsDir() {
			if existing.Mode()&fs.ModeSymlink != 0 {
				return fmt.Errorf("refusing to follow the symlink %s", name)
			}
			return fmt.Errorf("%s exists and is not a directory", name)
		}
		if !exists {
			if err := root.Mkdir(name, 0o700); err != nil {
				return err
			}
		}
	case tar.TypeReg:
		if exists {
			if existing.IsDir() {
				return fmt.Errorf("%s exists and is a directory", name)
			}
			if err := root.Remove(name); err != nil {
				return err
			}
		}
		f, err := root.OpenFile(name, os.O_WRONLY|os.O_CREATE|os.O_EXCL|syscall.O_NOFOLLOW, 0o600)
		if err != nil {
			return err
		}
		if _, err := io.Copy(f, r); err != nil {
			f.Close()
			return err
		}
		if err := f.Close(); err != nil {
			return err
		}
	case tar.TypeSymlink:
		if exists {
			if existing.IsDir() {
				return fmt.Errorf("%s exists and is a directory", name)
			}
			if err := root.Remove(name); err != nil {
				return err
			}
		}
		if err := root.Symlink(hdr.Linkname, name); err != nil {
			return err
		}
	default:
		return fmt.Errorf("unsupported entry type %q", hdr.Typeflag)
	}
	if asRoot {
		if err := root.Lchown(name, hdr.Uid, hdr.Gid); err != nil {
			return err
		}
	}
	if hdr.Typeflag == tar.TypeSymlink {
		return nil
	}
	if err := root.Chmod(name, mode.Perm()|mode&(fs.ModeSticky|fs.ModeSetuid|fs.ModeSetgid)); err != nil {
		return err
	}
	return root.Chtimes(name, reprotar.Epoch, reprotar.Epoch)
}
