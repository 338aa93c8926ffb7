package etcgen

import (
	"fmt"
	"io"
	"io/fs"
	"path"
	"strings"

	"github.com/whittle-dev/whittle/internal/imagefs"
)

// errLinkLoop reports a symlink chain longer than the kernel follows.
var errLinkLoop = imagefs.ErrLoop

// imageFS reads an image root through an fs.FS without ever letting the
// fs.FS follow a symlink: every path is resolved with internal/imagefs
// (absolute targets start at the image root, ".." never climbs above it,
// loops end). Names are fs.FS names: "etc/x", "." for the root.
type imageFS struct {
	fsys  fs.FS
	links fs.ReadLinkFS // nil when fsys cannot read links
}

func newImageFS(fsys fs.FS) *imageFS {
	im := &imageFS{fsys: fsys}
	if l, ok := fsys.(fs.ReadLinkFS); ok {
		im.links = l
	}
	return im
}

// clean turns an image path ("/etc/x", "etc/x", "./etc/x") into an fs.FS
// name ("etc/x", or "." for the root).
func clean(p string) string { return imagefs.Name(p) }

// resolve returns the real name of p inside the image, with every symlink
// (in the parents and the final component) replaced by its target.
func (im *imageFS) resolve(p string) (string, error) {
	if im.links == nil {
		return clean(p), nil
	}
	res, err := imagefs.Resolve(im.fsys, "/"+clean(p))
	if err != nil {
		return "", err
	}
	return imagefs.Name(res.Path), nil
}

// stat stats p after resolving every symlink; it returns the real name too.
func (im *imageFS) stat(p string) (string, fs.FileInfo, error) {
	name, err := im.resolve(p)
	if err != nil {
		return "", nil, err
	}
	var fi fs.FileInfo
	if im.links != nil {
		fi, err = im.links.Lstat(name)
	} else {
		fi, err = fs.Stat(im.fsys, name)
	}
	return name, fi, err
}

// exists reports whether p resolves to something.
func (im *imageFS) exists(p string) bool {
	_, _, err := im.stat(p)
	return err == nil
}

// isDir reports whether p resolves to a directory.
func (im *imageFS) isDir(p string) bool {
	_, fi, err := im.stat(p)
	return err == nil && fi.IsDir()
}

// readFile reads the regular file p, resolving symlinks; limit bounds the
// size read (a hostile image may hold a huge file where a small one is
// expected).
func (im *imageFS) readFile(p string, limit int64) ([]byte, string, error) {
	name, fi, err := im.stat(p)
	if err != nil {
		return nil, "", err
	}
	if !fi.Mode().IsRegular() {
		return nil, name, fmt.Errorf("/%s is not a regular file", name)
	}
	if fi.Size() > limit {
		return nil, name, fmt.Errorf("/%s is %d bytes, more than the %d expected", name, fi.Size(), limit)
	}
	f, err := im.fsys.Open(name)
	if err != nil {
		return nil, name, err
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, limit+1))
	if err != nil {
		return nil, name, err
	}
	if int64(len(b)) > limit {
		return nil, name, fmt.Errorf("/%s is more than %d bytes", name, limit)
	}
	return b, name, nil
}

// readDir lists the directory p (resolving symlinks to it).
func (im *imageFS) readDir(p string) ([]fs.DirEntry, string, error) {
	name, err := im.resolve(p)
	if err != nil {
		return nil, "", err
	}
	ents, err := fs.ReadDir(im.fsys, name)
	return ents, name, err
}

// entryIsSymlink reports whether a directory entry is a symlink.
func entryIsSymlink(e fs.DirEntry) bool { return e.Type()&fs.ModeSymlink != 0 }

// nixStore lists the store paths of a Nix image (nil when there is none),
// sorted by name as ReadDir returns them.
func (im *imageFS) nixStore() []string {
	ents, name, err := im.readDir("nix/store")
	if err != nil {
		return nil
	}
	out := make([]string, 0, len(ents))
	for _, e := range ents {
		if strings.HasPrefix(e.Name(), ".") {
			continue
		}
		out = append(out, name+"/"+e.Name())
	}
	return out
}

// findInStore returns the store paths holding sub (e.g. "share/zoneinfo"),
// those whose name contains hint first, then the rest in store order.
func (im *imageFS) findInStore(sub, hint string, wantDir bool) []string {
	var first, rest []string
	for _, sp := range im.nixStore() {
		p := sp + "/" + sub
		_, fi, err := im.stat(p)
		if err != nil || fi.IsDir() != wantDir {
			continue
		}
		if hint != "" && strings.Contains(path.Base(sp), hint) {
			first = append(first, p)
		} else {
			rest = append(rest, p)
		}
	}
	return append(first, rest...)
}
