package analyze

import (
	"archive/tar"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"syscall"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/types"
)

// openRootfsTar treats a plain root file system tarball (gzip, zstd or
// none, as mmdebstrap writes) as a one-layer image. The layer is cached by
// the file's identity (path, size, modification time, inode).
func openRootfsTar(ref Reference, p string, plat *v1.Platform) (*Image, error) {
	fi, err := os.Stat(p)
	if err != nil {
		return nil, err
	}
	if fi.IsDir() {
		return nil, fmt.Errorf("is a directory; use dir:%s", p)
	}
	abs, _ := filepath.Abs(p)
	key := fmt.Sprintf("rootfs-tar\x00%s\x00%d\x00%d", abs, fi.Size(), fi.ModTime().UnixNano())
	if st, ok := fi.Sys().(*syscall.Stat_t); ok {
		key += fmt.Sprintf("\x00%d\x00%d", st.Dev, st.Ino)
	}
	sum := sha256.Sum256([]byte(key))
	l := &Layer{
		Size:      fi.Size(),
		MediaType: types.OCILayer,
		Command:   "rootfs-tar " + filepath.Base(p),
		open:      func() (io.ReadCloser, error) { return os.Open(p) },
		cacheKey:  "rootfs-" + hex.EncodeToString(sum[:]),
	}
	return syntheticImage(ref, plat, l), nil
}

// openDir treats a directory as a root file system: one layer, the tar
// stream `tar -C DIR -c .` would give, made on the fly in name order.
// Symlinks are recorded, never followed; hardlinked files become tar
// hardlinks; sockets are left out.
func openDir(ref Reference, root string, plat *v1.Platform) (*Image, error) {
	fi, err := os.Stat(root)
	if err != nil {
		return nil, err
	}
	if !fi.IsDir() {
		return nil, fmt.Errorf("not a directory")
	}
	l := &Layer{
		Size:      -1,
		MediaType: types.OCIUncompressedLayer,
		Command:   "dir " + root,
		open: func() (io.ReadCloser, error) {
			pr, pw := io.Pipe()
			go func() { pw.CloseWithError(writeDirTar(pw, root)) }()
			return pr, nil
		},
	}
	return syntheticImage(ref, plat, l), nil
}

func syntheticImage(ref Reference, plat *v1.Platform, l *Layer) *Image {
	return &Image{Ref: ref, Layers: []*Layer{l}, synthetic: true, platform: plat}
}

// finishSynthetic writes the config of a root-file-system image once its
// layer's diff ID is known.
func (im *Image) finishSynthetic(diffIDs []v1.Hash) error {
	raw := syntheticConfig(im.platform, diffIDs, im.Layers[0].Command)
	cfg, err := v1.ParseConfigFile(bytesReader(raw))
	if err != nil {
		return err
	}
	im.RawConfig, im.Config = raw, cfg
	for i, l := range im.Layers {
		l.DiffID = diffIDs[i]
	}
	return nil
}

func writeDirTar(w io.Writer, root string) error {
	tw := tar.NewWriter(w)
	type inode struct{ dev, ino uint64 }
	seen := map[inode]string{}
	buf := make([]byte, readBufferSize)
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return fmt.Errorf("reading %s: %w", p, err)
		}
		rel, err := filepath.Rel(root, p)
		if err != nil {
			return err
		}
		if rel == "." {
			return nil
		}
		fi, err := d.Info()
		if err != nil {
			return fmt.Errorf("reading %s: %w", p, err)
		}
		if fi.Mode()&fs.ModeSocket != 0 {
			return nil
		}
		link := ""
		if fi.Mode()&fs.ModeSymlink != 0 {
			if link, err = os.Readlink(p); err != nil {
				return fmt.Errorf("reading %s: %w", p, err)
			}
		}
		hdr, err := tar.FileInfoHeader(fi, link)
		if err != nil {
			return fmt.Errorf("reading %s: %w", p, err)
		}
		hdr.Name = filepath.ToSlash(rel)
		if fi.IsDir() {
			hdr.Name += "/"
		}
		hdr.Uname, hdr.Gname = "", ""
		if st, ok := fi.Sys().(*syscall.Stat_t); ok && fi.Mode().IsRegular() && st.Nlink > 1 {
			key := inode{uint64(st.Dev), uint64(st.Ino)}
			if first, ok := seen[key]; ok {
				hdr.Typeflag, hdr.Linkname, hdr.Size = tar.TypeLink, first, 0
			} else {
				seen[key] = hdr.Name
			}
		}
		if err := tw.WriteHeader(hdr); err != nil {
			return fmt.Errorf("writing %s: %w", p, err)
		}
		if hdr.Typeflag != tar.TypeReg {
			return nil
		}
		f, err := os.Open(p)
		if err != nil {
			return fmt.Errorf("reading %s: %w", p, err)
		}
		defer f.Close()
		n, err := io.CopyBuffer(tw, io.LimitReader(f, hdr.Size), buf)
		if err != nil {
			return fmt.Errorf("reading %s: %w", p, err)
		}
		if n != hdr.Size {
			return fmt.Errorf("reading %s: the file shrank while being read", p)
		}
		return nil
	})
	if err != nil {
		return err
	}
	return tw.Close()
}
