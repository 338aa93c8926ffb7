package etcgen

import (
	"io/fs"
	"path"
	"strings"

	"github.com/whittle-dev/whittle/internal/imagefs"
)

// imageFS reads an image root through an fs.FS. It resolves nothing
// itself: every path goes through internal/imagefs, the one image path
// resolver (absolute targets start at the image root, ".." never climbs
// above it, loops end), so the fs.FS never follows a link. Paths may be
// "/etc/x", "etc/x" or "./etc/x"; the names returned are fs.FS names
// ("etc/x", "." for the root).
type imageFS struct{ fsys fs.FS }

func newImageFS(fsys fs.FS) *imageFS { return &imageFS{fsys: fsys} }

// clean turns an image path ("/etc/x", "etc/x", "./etc/x") into an fs.FS
// name ("etc/x", or "." for the root).
func clean(p string) string { return imagefs.Name(p) }

// resolve returns the real name of p inside the image, with every symlink
// (in the parents and the final component) replaced by its target.
func (im *imageFS) resolve(p string) (string, error) {
	res, err := imagefs.Resolve(im.fsys, p)
	if err != nil {
		return "", err
	}
	return imagefs.Name(res.Path), nil
}

// stat stats p after resolving every symlink; it returns the real name too.
func (im *imageFS) stat(p string) (string, fs.FileInfo, error) {
	res, fi, err := imagefs.Stat(im.fsys, p)
	if err != nil {
		return "", nil, err
	}
	return imagefs.Name(res.Path), fi, nil
}

// exists reports whether p resolves to something.
func (im *imageFS) exists(p string) bool {
	_, _, err := imagefs.Stat(im.fsys, p)
	return err == nil
}

// isDir reports whether p resolves to a directory.
func (im *imageFS) isDir(p string) bool {
	_, fi, err := imagefs.Stat(im.fsys, p)
	return err == nil && fi.IsDir()
}

// readFile reads the regular file p, resolving symlinks; limit bounds the
// size read (a hostile image may hold a huge file where a small one is
// expected).
func (im *imageFS) readFile(p string, limit int64) ([]byte, string, error) {
	data, res, err := imagefs.ReadFileResolved(im.fsys, p, limit)
	return data, imagefs.Name(res.Path), err
}

// readDir lists the directory p (resolving symlinks to it).
func (im *imageFS) readDir(p string) ([]fs.DirEntry, string, error) {
	ents, res, err := imagefs.ReadDir(im.fsys, p)
	if err != nil {
		return nil, "", err
	}
	return ents, imagefs.Name(res.Path), nil
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
