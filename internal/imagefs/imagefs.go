// Package imagefs resolves paths inside an image's file tree the way the
// kernel would inside a chroot, without ever following a link on the host:
// absolute symlink targets are taken relative to the image root and ".."
// never climbs above it.
//
// The file systems given here should implement fs.ReadLinkFS (os.DirFS,
// fstest.MapFS and an image index do): without it fs.Lstat follows links
// and symlinks cannot be seen. Every path handed to the file system's
// Open, Lstat or ReadDir has had its symlinks resolved here first, so a
// host directory (os.DirFS) never follows one of the image's links out of
// the image.
package imagefs

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"path"
	"strings"
)

// MaxLinks is how many symlinks one resolution may follow before it fails
// with ErrLoop, as Linux's ELOOP limit.
const MaxLinks = 40

// ErrLoop is returned when resolving a path follows more than MaxLinks
// symlinks (a loop such as zoneinfo/posix -> . followed without end).
var ErrLoop = errors.New("too many levels of symbolic links")

// ErrNotDir is returned when a non-final path component is not a directory.
var ErrNotDir = errors.New("not a directory")

// Resolved is the outcome of resolving an image path.
type Resolved struct {
	// Path is the clean absolute image path with no symlink in any
	// component (when the final component was not followed, it may itself
	// be a symlink).
	Path string
	// Links are the absolute image paths of the symlinks followed, in order.
	Links []string
}

// Name converts an absolute image path ("/usr/lib") to the unrooted name
// io/fs uses ("usr/lib"); the root is ".".
func Name(p string) string {
	p = path.Clean("/" + p)
	if p == "/" {
		return "."
	}
	return p[1:]
}

// Clean normalises an image path to the "/a/b" form: tar names such as
// "./a/b" or "a/b/" become "/a/b".
func Clean(p string) string {
	return path.Clean("/" + p)
}

// Resolve follows every symlink in p, including the final component, and
// returns the real path of what p names. The result exists unless err is
// non-nil; a missing component gives an error matching fs.ErrNotExist.
func Resolve(fsys fs.FS, p string) (Resolved, error) {
	return resolve(fsys, p, true)
}

// ResolveParent follows the symlinks in every component of p but the last,
// as lstat(2) does: the result names p's directory entry itself, which need
// not exist.
func ResolveParent(fsys fs.FS, p string) (Resolved, error) {
	return resolve(fsys, p, false)
}

func resolve(fsys fs.FS, p string, followLast bool) (Resolved, error) {
	var res Resolved
	pending := splitPath(p)
	cur := "/"
	for len(pending) > 0 {
		comp := pending[0]
		pending = pending[1:]
		switch comp {
		case ".":
			continue
		case "..":
			cur = path.Dir(cur)
			continue
		}
		next := path.Join(cur, comp)
		last := len(pending) == 0
		if last && !followLast {
			cur = next
			break
		}
		info, err := fs.Lstat(fsys, Name(next))
		if err != nil {
			return res, fmt.Errorf("resolving %s: %w", p, err)
		}
		switch {
		case info.Mode()&fs.ModeSymlink != 0:
			if len(res.Links) >= MaxLinks {
				return res, fmt.Errorf("resolving %s: %w", p, ErrLoop)
			}
			target, err := fs.ReadLink(fsys, Name(next))
			if err != nil {
				return res, fmt.Errorf("resolving %s: %w", p, err)
			}
			res.Links = append(res.Links, next)
			if strings.HasPrefix(target, "/") {
				cur = "/"
			}
			pending = append(splitPath(target), pending...)
		case !last && !info.IsDir():
			return res, fmt.Errorf("resolving %s: %s: %w", p, next, ErrNotDir)
		default:
			cur = next
		}
	}
	res.Path = cur
	return res, nil
}

func splitPath(p string) []string {
	var out []string
	for _, c := range strings.Split(p, "/") {
		if c != "" {
			out = append(out, c)
		}
	}
	return out
}

// Stat resolves p and returns what it finally names.
func Stat(fsys fs.FS, p string) (Resolved, fs.FileInfo, error) {
	res, err := Resolve(fsys, p)
	if err != nil {
		return res, nil, err
	}
	info, err := fs.Lstat(fsys, Name(res.Path))
	if err != nil {
		return res, nil, fmt.Errorf("resolving %s: %w", p, err)
	}
	return res, info, nil
}

// Open resolves p and opens the regular file it names. Since every link
// was followed here, the file system is handed a path without symlinks.
func Open(fsys fs.FS, p string) (fs.File, error) {
	res, info, err := Stat(fsys, p)
	if err != nil {
		return nil, err
	}
	if !info.Mode().IsRegular() {
		return nil, fmt.Errorf("opening %s: not a regular file", p)
	}
	return fsys.Open(Name(res.Path))
}

// ReadFile resolves p and reads the regular file it names, failing when it
// holds more than limit bytes.
func ReadFile(fsys fs.FS, p string, limit int64) ([]byte, error) {
	f, err := Open(fsys, p)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, limit+1))
	if err != nil {
		return nil, fmt.Errorf("reading %s: %w", p, err)
	}
	if int64(len(data)) > limit {
		return nil, fmt.Errorf("reading %s: larger than %d bytes", p, limit)
	}
	return data, nil
}
