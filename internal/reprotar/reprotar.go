// Package reprotar writes reproducible layer tarballs: entries sorted by
// path, parent directories implied, fixed modification time, numeric owners
// and no user or group names, so the same files always give the same bytes
// and therefore the same layer digest.
package reprotar

import (
	"archive/tar"
	"bytes"
	"context"
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
	// Data is a regular file's content, unless Open is set.
	Data []byte
	// Open, when set, streams a regular file's content instead of Data:
	// it is called when the entry is written (entries are written one at
	// a time, in path order), and the content it returns must give
	// exactly Size bytes. So a layer of any size is written in bounded
	// memory.
	Open func() (Content, error)
	// Size is the length of a streamed (Open) regular file.
	Size int64
	// Xattrs are extended attributes (security.capability, user.*),
	// written as PAX SCHILY.xattr records.
	Xattrs map[string]string
	// Devmajor and Devminor number a device node (Char, Block).
	Devmajor, Devminor int64
}

// Content is a streamed regular file's content, as File.Open gives it.
type Content struct {
	// R gives the file's bytes: exactly File.Size of them, or, for a
	// sparse file, the bytes of its data fragments one after another.
	R io.Reader
	// Xattrs, when not nil, replace File.Xattrs: attributes known only
	// once the source is read.
	Xattrs map[string]string
	// Sparse, when not nil, makes the file sparse: its data fragments in
	// order (the rest of its Size are holes, read back as zeros), written
	// as a PAX GNU sparse 1.0 entry so that holes cost nothing.
	Sparse []Fragment
	// Close, when set, is called once the entry is written or failed.
	Close func() error
}

// Fragment is one run of data in a sparse file: Length bytes at Offset.
type Fragment struct {
	Offset, Length int64
}

// Write writes files as a tar stream to w. Missing parent directories are
// added (mode 0755, root-owned); entries are sorted by path so that a
// directory precedes its contents; two entries for one path are an error.
func Write(w io.Writer, files []File) error { return WriteAt(w, files, Epoch) }

// WriteAt is Write with every entry's modification time set to mtime (a
// SOURCE_DATE_EPOCH), UTC and truncated to the second.
func WriteAt(w io.Writer, files []File, mtime time.Time) error {
	return WriteContext(context.Background(), w, files, mtime)
}

// WriteContext is WriteAt that stops with ctx's error, between entries,
// once ctx is done (a streamed file's reader stops its own copy).
func WriteContext(ctx context.Context, w io.Writer, files []File, mtime time.Time) error {
	mtime = mtime.UTC().Truncate(time.Second)
	all, err := normalise(files)
	if err != nil {
		return err
	}
	tw := tar.NewWriter(w)
	buf := make([]byte, 128<<10) // one copy buffer for every streamed file
	for i := range all {
		if i%256 == 0 {
			if err := ctx.Err(); err != nil {
				return err
			}
		}
		if err := writeEntry(tw, w, &all[i], mtime, buf); err != nil {
			return fmt.Errorf("writing %s: %w", all[i].Path, err)
		}
	}
	return tw.Close()
}

// writeEntry writes one entry; a streamed file's content is opened,
// copied and closed here.
func writeEntry(tw *tar.Writer, raw io.Writer, f *File, mtime time.Time, buf []byte) (err error) {
	hdr := &tar.Header{
		Name:     strings.TrimPrefix(f.Path, "/"),
		Typeflag: byte(f.Kind),
		Mode:     f.Mode,
		Uid:      f.UID,
		Gid:      f.GID,
		ModTime:  mtime,
		Format:   tar.FormatPAX,
	}
	xattrs := f.Xattrs
	var content Content
	if f.Kind == Regular && f.Open != nil {
		content, err = f.Open()
		if err != nil {
			return err
		}
		if content.Close != nil {
			defer func() {
				if cerr := content.Close(); err == nil {
					err = cerr
				}
			}()
		}
		if content.Xattrs != nil {
			xattrs = content.Xattrs
		}
	}
	for k, v := range xattrs {
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
		if f.Open != nil {
			hdr.Size = f.Size
		}
	case Symlink:
		hdr.Linkname = f.Link
	case Hardlink:
		hdr.Linkname = strings.TrimPrefix(f.Link, "/")
	case Char, Block:
		hdr.Devmajor, hdr.Devminor = f.Devmajor, f.Devminor
	case FIFO:
	default:
		return fmt.Errorf("unsupported entry kind %q", f.Kind)
	}
	if content.Sparse != nil {
		return writeSparse(tw, raw, hdr, content, buf)
	}
	if err := tw.WriteHeader(hdr); err != nil {
		return err
	}
	if f.Kind != Regular {
		return nil
	}
	if f.Open == nil {
		_, err := tw.Write(f.Data)
		return err
	}
	n, err := io.CopyBuffer(tw, content.R, buf)
	if err != nil {
		return err
	}
	if n != f.Size {
		return fmt.Errorf("content gave %d of %d bytes", n, f.Size)
	}
	return nil
}

// normalise cleans the paths, adds each missing parent directory once
// and sorts the entries by path: linear in the number of entries and
// path components but for the sort, however deep the tree.
func normalise(files []File) ([]File, error) {
	byPath := make(map[string]int, len(files))
	out := make([]File, 0, len(files))
	for _, f := range files {
		p := f.Path
		if !strings.HasPrefix(p, "/") {
			p = "/" + p
		}
		p = path.Clean(p) // no copy when already clean
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
		byPath[p] = len(out)
		out = append(out, f)
	}
	// Each original path adds its missing ancestors up to the first one
	// present; that one's own ancestors are added when it is (an
	// original) or were when it was added (an implied one).
	for i, n := 0, len(out); i < n; i++ {
		for d := parent(out[i].Path); d != "/"; d = parent(d) {
			if _, ok := byPath[d]; ok {
				break
			}
			byPath[d] = len(out)
			out = append(out, File{Path: d, Kind: Dir, Mode: 0o755})
		}
	}
	for _, f := range out {
		if j, ok := byPath[parent(f.Path)]; ok && out[j].Kind != Dir {
			return nil, fmt.Errorf("writing %s: parent %s is not a directory", f.Path, out[j].Path)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Path < out[j].Path })
	return out, nil
}

// parent is path.Dir of a clean absolute path, without copying it.
func parent(p string) string {
	i := strings.LastIndexByte(p, '/')
	if i <= 0 {
		return "/"
	}
	return p[:i]
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
