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
)

var typeNames = map[Type]string{
	TypeRegular: "file", TypeDir: "dir", TypeSymlink: "symlink", TypeHardlink: "hardlink",
	TypeChar: "char", TypeBlock: "block", TypeFIFO: "fifo", TypeWhiteout: "whiteout", TypeOpaque: "opaque",
}

// String names the type as the JSON output does.
func (t Type) String() string {
	if s, ok := typeNames[t]; ok {
		return s
	}
	return "unknown"
}

// Entry is one tar entry of a layer. Path is normalised ("/a/b"); for a
// whiteout it is the deleted path, for an opaque marker the directory.
// Link is a symlink's target as written, or a hardlink's target path,
// normalised. Hash is a fast content hash (xxHash64) of a regular file.
type Entry struct {
	Path string
	Link string
	Size int64
	Hash uint64
	Mode uint32 // permission bits plus setuid, setgid and sticky (as in tar)
	UID  int32
	GID  int32
	Type Type
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
