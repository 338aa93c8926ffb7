// Package reprotar writes reproducible layer tarballs: entries sorted by
// path, parent directories implied, fixed modification time, numeric owners
// and no user or group names, so the same files always give the same bytes
// and therefore the same layer digest.
package reprotar

import (
	"archive/tar"
	"bytes"
	"fmt"
	"io"
	"path"
	"sort"
	"strings"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/partial"
	"github.com/google/go-containerregistry/pkg/v1/types"
)

// Epoch is the modification time of every entry: the Unix epoch, as
// SOURCE_DATE_EPOCH=0 builds and Nix's dockerTools use.
var Epoch = time.Unix(0, 0).UTC()

// Kind is the type of a tar entry.
type Kind byte

// Entry kinds.
const (
	Regular  Kind = tar.TypeReg
	Dir      Kind = tar.TypeDir
	Symlink  Kind = tar.TypeSymlink
	Hardlink Kind = tar.TypeLink
	Char     Kind = tar.TypeChar
	Block    Kind = tar.TypeBlock
	FIFO     Kind = tar.TypeFifo
)

// File is one entry to write. Path is absolute ("/etc/passwd"); Mode holds
// permission and special bits (0o644, 0o1777); Link is the target of a
// symlink or the absolute path of a hardlink's target.
type File struct {
	Path string
	Kind Kind
	Mode int64
	UID  int
	GID  int
	Link string
	Data []byte
	// Xattrs are extended attributes (security.capability, user.*),
	// written as PAX SCHILY.xattr records.
	Xattrs map[string]string
	// Devmajor and Devminor number a device node (Char, Block).
	Devmajor, Devminor int64
}

// Write writes files as a tar stream to w. Missing parent directories are
// added (mode 0755, root-owned); entries are sorted by path so that a
// directory precedes its contents; two entries for one path are an error.
func Write(w io.Writer, files []File) error { return WriteAt(w, files, Epoch) }

// WriteAt is Write with every entry's modification time set to mtime (a
// SOURCE_DATE_EPOCH), UTC and truncated to the second.
func WriteAt(w io.Writer, files []File, mtime time.Time) error {
	mtime = mtime.UTC().Truncate(time.Second)
	all, err := normalise(files)
	if err != nil {
		return err
	}
	tw := tar.NewWriter(w)
	for _, f := range all {
		hdr := &tar.Header{
			Name:     strings.TrimPrefix(f.Path, "/"),
			Typeflag: byte(f.Kind),
			Mode:     f.Mode,
			Uid:      f.UID,
			Gid:      f.GID,
			ModTime:  mtime,
			Format:   tar.FormatPAX,
		}
		for k, v := range f.Xattrs {
			if hdr.PAXRecords == nil {
				hdr.PAXRecords = map[string]string{}
			}
			hdr.PAXRecords["SCHILY.xattr."+k] = v
		}
		switch f.Kind {
		case Dir:
			hdr.Name += "/"
		case Regular:
			hdr.Size = int64(len(f.Data))
		case Symlink:
			hdr.Linkname = f.Link
		case Hardlink:
			hdr.Linkname = strings.TrimPrefix(f.Link, "/")
		case Char, Block:
			hdr.Devmajor, hdr.Devminor = f.Devmajor, f.Devminor
		case FIFO:
		default:
			return fmt.Errorf("writing %s: unsupported entry kind %q", f.Path, f.Kind)
		}
		if err := tw.WriteHeader(hdr); err != nil {
			return fmt.Errorf("writing %s: %w", f.Path, err)
		}
		if f.Kind == Regular {
			if _, err := tw.Write(f.Data); err != nil {
				return fmt.Errorf("writing %s: %w", f.Path, err)
			}
		}
	}
	return tw.Close()
}

func normalise(files []File) ([]File, error) {
	byPath := make(map[string]File, len(files))
	for _, f := range files {
		p := path.Clean("/" + f.Path)
		if p == "/" {
			continue
		}
		f.Path = p
		if f.Kind == Hardlink {
			f.Link = path.Clean("/" + f.Link)
		}
		if _, dup := byPath[p]; dup {
			return nil, fmt.Errorf("writing %s: two entries for one path", p)
		}
		byPath[p] = f
	}
	for p := range byPath {
		for d := path.Dir(p); d != "/"; d = path.Dir(d) {
			if _, ok := byPath[d]; ok {
				continue
			}
			byPath[d] = File{Path: d, Kind: Dir, Mode: 0o755}
		}
	}
	out := make([]File, 0, len(byPath))
	for _, f := range byPath {
		if prev, ok := byPath[path.Dir(f.Path)]; ok && prev.Kind != Dir {
			return nil, fmt.Errorf("writing %s: parent %s is not a directory", f.Path, prev.Path)
		}
		out = append(out, f)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Path < out[j].Path })
	return out, nil
}

// Bytes returns the tar stream of files.
func Bytes(files []File) ([]byte, error) {
	var buf bytes.Buffer
	if err := Write(&buf, files); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// Layer returns files as an OCI layer (gzip-compressed when pushed or saved)
// through go-containerregistry's partial.UncompressedToLayer.
func Layer(files []File) (v1.Layer, error) {
	b, err := Bytes(files)
	if err != nil {
		return nil, err
	}
	return LayerFromTar(b)
}

// LayerFromTar wraps an uncompressed tar stream held in memory as a layer.
func LayerFromTar(tarball []byte) (v1.Layer, error) {
	h, _, err := v1.SHA256(bytes.NewReader(tarball))
	if err != nil {
		return nil, err
	}
	return partial.UncompressedToLayer(&memLayer{tar: tarball, diffID: h})
}

type memLayer struct {
	tar    []byte
	diffID v1.Hash
}

func (l *memLayer) DiffID() (v1.Hash, error) { return l.diffID, nil }
func (l *memLayer) Uncompressed() (io.ReadCloser, error) {
	return io.NopCloser(bytes.NewReader(l.tar)), nil
}
func (l *memLayer) MediaType() (types.MediaType, error) { return types.OCILayer, nil }
