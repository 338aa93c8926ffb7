package etcgen

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"path"
	"strings"
	"sync"
)

// maxLinkHops bounds symlink resolution, as the kernel's MAXSYMLINKS does.
const maxLinkHops = 40

// errLinkLoop reports a symlink chain longer than maxLinkHops (a loop).
var errLinkLoop = errors.New("too many levels of symbolic links")

// imageFS reads an image root through an fs.FS without ever letting the
// fs.FS follow a symlink: every path is resolved component by component
// with fs.ReadLinkFS, absolute targets are taken relative to the image
// root, and ".." never climbs above it. A fs.FS without ReadLinkFS is used
// as it comes.
type imageFS struct {
	fsys  fs.FS
	links fs.ReadLinkFS // nil when fsys cannot read links
	// cache maps a resolved directory prefix to its real path, so that
	// resolving the 600 files of a zoneinfo tree does not lstat the same
	// parents 600 times.
	mu    sync.Mutex // guards cache: a Catalog may plan from several goroutines
	cache map[string]string
}

func (im *imageFS) cached(p string) (string, bool) {
	im.mu.Lock()
	defer im.mu.Unlock()
	real, ok := im.cache[p]
	return real, ok
}

func (im *imageFS) remember(p, real string) {
	im.mu.Lock()
	im.cache[p] = real
	im.mu.Unlock()
}

func newImageFS(fsys fs.FS) *imageFS {
	im := &imageFS{fsys: fsys, cache: map[string]string{}}
	if l, ok := fsys.(fs.ReadLinkFS); ok {
		im.links = l
	}
	return im
}

// clean turns an image path ("/etc/x", "etc/x", "./etc/x") into an fs.FS
// name ("etc/x", or "." for the root).
func clean(p string) string {
	p = path.Clean("/" + p)
	if p == "/" {
		return "."
	}
	return p[1:]
}

// resolve returns the real name of p inside the image, with every symlink
// (in the parents and the final component) replaced by its target.
func (im *imageFS) resolve(p string) (string, error) {
	hops := 0
	return im.walk(clean(p), &hops)
}

// walk resolves name one component at a time. hops counts every symlink
// followed for the whole lookup, so loops and link bombs both stop at
// maxLinkHops.
func (im *imageFS) walk(name string, hops *int) (string, error) {
	if im.links == nil || name == "." {
		return name, nil
	}
	parts := strings.Split(name, "/")
	cur := "." // resolved so far, free of symlinks
	for i, part := range parts {
		if part == "." || part == "" {
			continue
		}
		if part == ".." {
			if cur != "." {
				cur = path.Dir(cur)
			}
			continue
		}
		next := joinName(cur, part)
		last := i == len(parts)-1
		if real, ok := im.cached(next); ok {
			cur = real
			continue
		}
		fi, err := im.links.Lstat(next)
		if err != nil {
			return "", err
		}
		if fi.Mode()&fs.ModeSymlink == 0 {
			if !last && fi.IsDir() {
				im.remember(next, next)
			}
			cur = next
			continue
		}
		*hops++
		if *hops > maxLinkHops {
			return "", &fs.PathError{Op: "resolve", Path: "/" + name, Err: errLinkLoop}
		}
		target, err := im.links.ReadLink(next)
		if err != nil {
			return "", err
		}
		// An absolute target starts at the image root; a relative one at
		// the link's directory. Cleaning under "/" keeps ".." inside.
		var joined string
		if strings.HasPrefix(target, "/") {
			joined = clean(target)
		} else {
			joined = clean(path.Join(cur, target))
		}
		resolved, err := im.walk(joined, hops)
		if err != nil {
			return "", err
		}
		if last {
			return resolved, nil
		}
		im.remember(next, resolved)
		cur = resolved
	}
	return cur, nil
}

func joinName(dir, rest string) string {
	if dir == "." {
		return rest
	}
	return dir + "/" + rest
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
