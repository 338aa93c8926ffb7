package source

import (
	"archive/tar"
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"strings"
	"time"

	"github.com/whittle-dev/whittle/internal/compress"
)

// tarArchive gives random access to the members of an uncompressed tar
// file (a docker save or an OCI archive): one pass over the headers records
// where each member's data starts, then members are read in place.
type tarArchive struct {
	name    string // the path, for errors
	f       *os.File
	members map[string]*tarMember
	order   []string
	temp    string // a decompressed copy to remove on Close, if any
	// ident is the identity of the archive file as opened (fileIdentity),
	// before any decompression: what the members' fingerprints name.
	ident string
}

type tarMember struct {
	name   string
	offset int64
	size   int64
	typ    byte
	link   string
}

// openTarArchive indexes the tar at p. A compressed archive (gzip, zstd,
// xz, bzip2)
// is first decompressed to a temporary file, removed again by Close.
func openTarArchive(p string) (*tarArchive, error) {
	f, err := os.Open(p)
	if err != nil {
		return nil, err
	}
	a := &tarArchive{name: p, f: f}
	fi, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, err
	}
	a.ident = fileIdentity(fi)
	kind, err := sniffFile(f)
	if err != nil {
		f.Close()
		return nil, err
	}
	if kind != compress.None {
		if err := a.decompressToTemp(); err != nil {
			a.Close()
			return nil, err
		}
	}
	if err := a.index(); err != nil {
		a.Close()
		return nil, err
	}
	return a, nil
}

// sniffFile tells a file's compression from its first bytes.
func sniffFile(f *os.File) (compress.Kind, error) {
	var magic [compress.MagicLen]byte
	n, err := f.ReadAt(magic[:], 0)
	if err != nil && !errors.Is(err, io.EOF) {
		return "", err
	}
	return compress.Sniff(magic[:n]), nil
}

func (a *tarArchive) decompressToTemp() error {
	r, err := compress.NewReader(a.f)
	if err != nil {
		return err
	}
	defer r.Close()
	tmp, err := os.CreateTemp("", "whittle-archive-*.tar")
	if err != nil {
		return fmt.Errorf("decompressing: %w", err)
	}
	a.temp = tmp.Name()
	if _, err := io.Copy(tmp, r); err != nil {
		tmp.Close()
		return fmt.Errorf("decompressing: %w", compress.DescribeReadError(err))
	}
	if _, err := tmp.Seek(0, io.SeekStart); err != nil {
		tmp.Close()
		return err
	}
	a.f.Close()
	a.f = tmp
	return nil
}

func (a *tarArchive) index() error {
	a.members = map[string]*tarMember{}
	tr := tar.NewReader(a.f)
	for {
		hdr, err := tr.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			if len(a.members) == 0 {
				return notATar(a.f)
			}
			return fmt.Errorf("reading archive: %w", compress.DescribeReadError(err))
		}
		off, err := a.f.Seek(0, io.SeekCurrent)
		if err != nil {
			return err
		}
		name := archiveName(hdr.Name)
		m := &tarMember{name: name, offset: off, size: hdr.Size, typ: hdr.Typeflag, link: hdr.Linkname}
		if _, dup := a.members[name]; !dup {
			a.order = append(a.order, name)
		}
		a.members[name] = m
	}
	if len(a.members) == 0 {
		return notATar(a.f)
	}
	return nil
}

// notATar says why a file whose tar reading yielded no entry is not an
// image: it is empty, a tar of no entries, or not a tar at all.
func notATar(f *os.File) error {
	if fi, err := f.Stat(); err == nil && fi.Size() == 0 {
		return errEmptyFile
	}
	var block [512]byte
	if n, _ := f.ReadAt(block[:], 0); n == len(block) && bytes.Count(block[:], []byte{0}) == len(block) {
		return fmt.Errorf("not an image: an empty tar archive")
	}
	return errNotTar
}

var (
	errEmptyFile = errors.New("not an image: an empty file")
	errNotTar    = errors.New("not an image: not a tar archive")
)

// archiveName normalises a member name: no leading "./" or "/".
func archiveName(n string) string {
	n = path.Clean("/" + n)
	return strings.TrimPrefix(n, "/")
}

// member resolves name to a regular member, following symlinks and
// hardlinks inside the archive (docker save writes layers as links to
// blobs), a bounded number of times.
func (a *tarArchive) member(name string) (*tarMember, error) {
	name = archiveName(name)
	for hops := 0; hops < 16; hops++ {
		m, ok := a.members[name]
		if !ok {
			return nil, fmt.Errorf("%s is not in the archive: %w", name, fs.ErrNotExist)
		}
		switch m.typ {
		case tar.TypeReg: // the tar reader turns the old TypeRegA into TypeReg
			return m, nil
		case tar.TypeSymlink:
			name = archiveName(path.Join(path.Dir(name), m.link))
		case tar.TypeLink:
			name = archiveName(m.link)
		default:
			return nil, fmt.Errorf("%s in the archive is not a file", name)
		}
	}
	return nil, fmt.Errorf("%s: too many links in the archive", name)
}

// Open returns a reader over a member's content.
func (a *tarArchive) Open(name string) (io.ReadCloser, int64, error) {
	m, err := a.member(name)
	if err != nil {
		return nil, 0, err
	}
	return io.NopCloser(io.NewSectionReader(a.f, m.offset, m.size)), m.size, nil
}

// ReadFile returns a member's content, refusing members over limit bytes.
func (a *tarArchive) ReadFile(name string, limit int64) ([]byte, error) {
	m, err := a.member(name)
	if err != nil {
		return nil, err
	}
	if m.size > limit {
		return nil, fmt.Errorf("%s in the archive is %d bytes, more than the %d a metadata file may have", name, m.size, limit)
	}
	b := make([]byte, m.size)
	if _, err := a.f.ReadAt(b, m.offset); err != nil {
		return nil, fmt.Errorf("reading %s: %w", name, compress.DescribeReadError(err))
	}
	return b, nil
}

// Close closes the file and removes a temporary decompressed copy.
func (a *tarArchive) Close() error {
	err := a.f.Close()
	if a.temp != "" {
		os.Remove(a.temp)
		a.temp = ""
	}
	return err
}

// FS presents the archive as an io/fs file system of its regular members
// (links resolved), for the OCI layout reader.
func (a *tarArchive) FS() fs.FS { return archiveFS{a} }

type archiveFS struct{ a *tarArchive }

func (f archiveFS) Open(name string) (fs.File, error) {
	m, err := f.a.member(name)
	if err != nil {
		return nil, &fs.PathError{Op: "open", Path: name, Err: fs.ErrNotExist}
	}
	return &archiveFile{SectionReader: io.NewSectionReader(f.a.f, m.offset, m.size), m: m}, nil
}

type archiveFile struct {
	*io.SectionReader
	m *tarMember
}

func (f *archiveFile) Stat() (fs.FileInfo, error) { return memberInfo{f.m}, nil }
func (f *archiveFile) Close() error               { return nil }

type memberInfo struct{ m *tarMember }

func (i memberInfo) Name() string       { return path.Base(i.m.name) }
func (i memberInfo) Size() int64        { return i.m.size }
func (i memberInfo) Mode() fs.FileMode  { return 0o444 }
func (i memberInfo) ModTime() time.Time { return time.Time{} }
func (i memberInfo) IsDir() bool        { return false }
func (i memberInfo) Sys() any           { return nil }
