package source

import (
	"archive/tar"
	"bytes"
	"context"
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
	"github.com/whittle-dev/whittle/internal/compress"
)

func init() {
	register(TransportRootfsTar, SourceFunc(func(_ context.Context, r Reference, opts Options) (*Image, error) {
		im, err := openRootfsTar(r, r.Value, opts.Platform)
		return im, describeOpenError(err)
	}))
	register(TransportDir, SourceFunc(func(_ context.Context, r Reference, opts Options) (*Image, error) {
		im, err := openDir(r, r.Value, opts.Platform)
		return im, describeOpenError(err)
	}))
}

// openRootfsTar treats a plain root file system tarball (gzip, zstd or
// none, as mmdebstrap writes) as a one-layer image. The layer is cached by
// the file's identity (path, size, modification time, inode).
func openRootfsTar(ref Reference, p string, plat *v1.Platform) (*Image, error) {
	// Open, not just stat, so that an unreadable file fails here, named by
	// the reference, rather than when the layer is first read.
	f, err := os.Open(p)
	if err != nil {
		return nil, err
	}
	fi, err := f.Stat()
	f.Close()
	if err != nil {
		return nil, err
	}
	if fi.IsDir() {
		return nil, fmt.Errorf("is a directory; use dir:%s", p)
	}
	if err := checkTarFile(p); err != nil {
		return nil, err
	}
	abs, _ := filepath.Abs(p)
	key := fmt.Sprintf("rootfs-tar\x00%s\x00%d\x00%d", abs, fi.Size(), fi.ModTime().UnixNano())
	if st, ok := fi.Sys().(*syscall.Stat_t); ok {
		key += fmt.Sprintf("\x00%d\x00%d", st.Dev, st.Ino)
	}
	sum := sha256.Sum256([]byte(key))
	return NewRootfsImage(ref, plat, LayerSource{
		Size:      fi.Size(),
		MediaType: types.OCILayer,
		Command:   "rootfs-tar " + filepath.Base(p),
		Open:      func() (io.ReadCloser, error) { return os.Open(p) },
		Stat: func() (int64, error) {
			fi, err := os.Stat(p)
			if err != nil {
				return -1, err
			}
			return fi.Size(), nil
		},
		CacheKey:    "rootfs-" + hex.EncodeToString(sum[:]),
		Fingerprint: pathFingerprint(p),
	}, v1.Config{}), nil
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
	if err := checkNotEmptyDir(root); err != nil {
		return nil, err
	}
	src := TreeLayer(root, ".")
	src.Command = "dir " + root
	return NewRootfsImage(ref, plat, src, v1.Config{}), nil
}

// LayerSource describes a layer for NewRootfsImage.
type LayerSource struct {
	// Open returns the layer's stored stream (a tar, compressed or not).
	Open func() (io.ReadCloser, error)
	// Stat, when set, tells the stored stream's current size without
	// reading it (see Layer.StatBlob).
	Stat func() (int64, error)
	// Size is the stored size, or -1 when unknown.
	Size      int64
	MediaType types.MediaType
	// Command is what the history says made the layer.
	Command string
	// CacheKey names the layer in the index cache; "" means do not cache.
	CacheKey string
	// Fingerprint, when set, names the stored stream's version without
	// reading it (see Layer.Fingerprint).
	Fingerprint func() (string, error)
}

// TreeLayer is a layer holding the given subtrees of the directory root
// (paths relative to root, "." for all of it), as `tar -C root -c
// subtrees...` would write them with their parent directories, made on the
// fly in name order. Symlinks are recorded, never followed; hardlinked
// files become tar hardlinks; sockets are left out.
func TreeLayer(root string, subtrees ...string) LayerSource {
	return LayerSource{
		Size:      -1,
		MediaType: types.OCIUncompressedLayer,
		Command:   "tar " + root,
		Open: func() (io.ReadCloser, error) {
			pr, pw := io.Pipe()
			go func() { pw.CloseWithError(writeTreeTar(pw, root, subtrees)) }()
			return pr, nil
		},
	}
}

// NewRootfsImage returns a one-layer image of a root file system whose
// config (the platform asked for, or linux on this machine's architecture,
// and the runtime config given) is written once the layer has been read
// and its diff ID is known, as for dir: and rootfs-tar:.
func NewRootfsImage(ref Reference, plat *v1.Platform, src LayerSource, runtime v1.Config) *Image {
	l := &Layer{Size: src.Size, MediaType: src.MediaType, Command: src.Command, open: src.Open, stat: src.Stat, CacheKey: src.CacheKey, fingerprint: src.Fingerprint}
	return &Image{Ref: ref, Layers: []*Layer{l}, synthetic: true, platform: plat, runtime: runtime}
}

// FinishSynthetic writes the config of a root-file-system image once its
// layers' diff IDs are known (the indexer calls it); it is an error on an
// image that is not Synthetic.
func (im *Image) FinishSynthetic(diffIDs []v1.Hash) error {
	if !im.synthetic {
		return fmt.Errorf("%s: the image has a config of its own", im.Ref)
	}
	if len(diffIDs) != len(im.Layers) {
		return fmt.Errorf("%s: %d diff IDs for %d layers", im.Ref, len(diffIDs), len(im.Layers))
	}
	raw := syntheticConfig(im.platform, im.runtime, diffIDs, im.Layers[0].Command)
	cfg, err := v1.ParseConfigFile(bytes.NewReader(raw))
	if err != nil {
		return err
	}
	im.RawConfig, im.Config = raw, cfg
	for i, l := range im.Layers {
		l.DiffID = diffIDs[i]
	}
	return nil
}

func writeTreeTar(w io.Writer, root string, subtrees []string) error {
	tw := tar.NewWriter(w)
	seen := map[inode]string{}
	buf := make([]byte, compress.BufferSize)
	written := map[string]bool{}
	// Parent directories of the subtrees come first, as tar writes them.
	for _, sub := range subtrees {
		rel := filepath.Clean(sub)
		var parents []string
		for d := filepath.Dir(rel); d != "." && d != "/" && !written[d]; d = filepath.Dir(d) {
			parents = append(parents, d)
		}
		for i := len(parents) - 1; i >= 0; i-- {
			fi, err := os.Lstat(filepath.Join(root, parents[i]))
			if err != nil {
				return fmt.Errorf("reading %s: %w", parents[i], err)
			}
			hdr, err := tar.FileInfoHeader(fi, "")
			if err != nil {
				return err
			}
			hdr.Name, hdr.Uname, hdr.Gname = filepath.ToSlash(parents[i])+"/", "", ""
			if err := tw.WriteHeader(hdr); err != nil {
				return err
			}
			written[parents[i]] = true
		}
		if err := writeSubtree(tw, root, rel, seen, buf); err != nil {
			return err
		}
	}
	return tw.Close()
}

type inode struct{ dev, ino uint64 }

func writeSubtree(tw *tar.Writer, root, sub string, seen map[inode]string, buf []byte) error {
	return filepath.WalkDir(filepath.Join(root, sub), func(p string, d fs.DirEntry, err error) error {
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
}
