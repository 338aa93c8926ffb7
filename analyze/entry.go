package analyze

import (
	"io/fs"
	"path"
	"strings"
)

// Type is the kind of a layer entry.
type Type uint8

// Entry types. Whiteout and Opaque exist only in layers: a whiteout deletes
// a path of the layers below, an opaque marker hides everything below the
// layer inside a directory.
const (
	TypeRegular Type = iota + 1
	TypeDir
	TypeSymlink
	TypeHardlink
	TypeChar
	TypeBlock
	TypeFIFO
	TypeWhiteout
	TypeOpaque
	// TypeLinkSource is a regular file stored under AUFS's .wh..wh.plnk
	// directory: layer metadata that is no path of the image, only the
	// content its hardlinks share.
	TypeLinkSource
)

var typeNames = map[Type]string{
	TypeRegular: "file", TypeDir: "dir", TypeSymlink: "symlink", TypeHardlink: "hardlink",
	TypeChar: "char", TypeBlock: "block", TypeFIFO: "fifo", TypeWhiteout: "whiteout", TypeOpaque: "opaque",
	TypeLinkSource: "link-source",
}

// String names the type as the JSON output does.
func (t Type) String() string {
	if s, ok := typeNames[t]; ok {
		return s
	}
	return "unknown"
}

// HasContent reports whether the entry stores file content: a regular
// file or an AUFS hardlink source.
func (t Type) HasContent() bool { return t == TypeRegular || t == TypeLinkSource }

// aufsPrefix starts every name AUFS keeps for its own bookkeeping
// (.wh..wh.aufs, .wh..wh.orph/, .wh..wh.plnk/).
const aufsPrefix = ".wh..wh."

// aufsMeta returns the index of the first path component of the clean path
// p that is AUFS bookkeeping (starts with ".wh..wh." and is not the opaque
// marker), or -1. The component is p[i:] up to the next slash.
func aufsMeta(p string) int {
	for i := 0; i < len(p); {
		j := strings.IndexByte(p[i:], '/')
		if j < 0 {
			j = len(p) - i
		}
		c := p[i : i+j]
		if strings.HasPrefix(c, aufsPrefix) && c != ".wh..wh..opq" {
			return i
		}
		i += j + 1
	}
	return -1
}

// isLinkSourcePath reports whether p lies under an AUFS .wh..wh.plnk
// directory, where Docker's AUFS layers keep the sources of hardlinks.
func isLinkSourcePath(p string) bool {
	i := aufsMeta(p)
	return i >= 0 && strings.HasPrefix(p[i:], aufsPrefix+"plnk/")
}

// Entry is one tar entry of a layer. Path is normalised ("/a/b"); for a
// whiteout it is the deleted path, for an opaque marker the directory.
// Link is a symlink's target as written, or a hardlink's target path,
// normalised. Hash is a fast content hash (xxHash64) of a regular file.
// Offset is where a regular file's bytes start in the layer's
// uncompressed tar stream, when they lie there whole (0: not known, or
// a sparse file), so that an uncompressed layer's file can be read
// without reading the layer up to it.
type Entry struct {
	Path   string
	Link   string
	Size   int64
	Offset int64
	Hash   uint64
	Mode   uint32 // permission bits plus setuid, setgid and sticky (as in tar)
	UID    int32
	GID    int32
	Type   Type
}

// FileMode returns the entry's mode as an fs.FileMode, type bits included.
func (e *Entry) FileMode() fs.FileMode {
	m := fs.FileMode(e.Mode & 0o777)
	if e.Mode&0o4000 != 0 {
		m |= fs.ModeSetuid
	}
	if e.Mode&0o2000 != 0 {
		m |= fs.ModeSetgid
	}
	if e.Mode&0o1000 != 0 {
		m |= fs.ModeSticky
	}
	switch e.Type {
	case TypeDir:
		m |= fs.ModeDir
	case TypeSymlink:
		m |= fs.ModeSymlink
	case TypeChar:
		m |= fs.ModeDevice | fs.ModeCharDevice
	case TypeBlock:
		m |= fs.ModeDevice
	case TypeFIFO:
		m |= fs.ModeNamedPipe
	}
	return m
}

// CleanPath normalises a path inside an image: "./a/b", "a/b", "/a/b/" and
// "a//b" are all "/a/b"; ".." never climbs above the root. escapes reports
// whether the raw name tried to (a hostile or broken tar).
func CleanPath(name string) (clean string, escapes bool) {
	rel := path.Clean(strings.TrimLeft(name, "/"))
	escapes = rel == ".." || strings.HasPrefix(rel, "../")
	return path.Clean("/" + name), escapes
}
