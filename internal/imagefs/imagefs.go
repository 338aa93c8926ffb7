// Package imagefs is the one resolver of paths inside an image: it finds
// what a path names in an image's file tree the way the kernel would
// inside a chroot. Every symlink in a parent directory is followed (on a
// merged-/usr image /bin/sh is /usr/bin/sh), an absolute link target
// starts again at the image root, ".." never climbs above the root, and a
// loop ends after MaxLinks links with an error wrapping ErrLoop. The links
// followed are kept (Resolved.Links), so that output can say
// "/bin/sh → /usr/bin/dash".
//
// It works over a Tree: the merged tree of an indexed image provides one
// (analyze), and any fs.FS does through FSTree. What it must not do: follow
// a link on the host, or hand a file system a name that still holds one of
// the image's links. Every name given to an fs.FS's Open, Lstat or ReadDir
// here has been resolved first, so a host directory (os.DirFS) never
// follows an image's link out of the image. It reads nothing but
// directory entries and link targets, and it imports nothing of whittle.
//
// The file systems given here should implement fs.ReadLinkFS (os.DirFS,
// fstest.MapFS and an image's ImageFS do): without it fs.Lstat follows
// links and symlinks cannot be seen.
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

// ErrLoop is returned (wrapped) when resolving a path follows more than
// MaxLinks symlinks: a loop such as a -> b -> a, or a long chain.
var ErrLoop = errors.New("too many levels of symbolic links")

// ErrNotDir is returned (wrapped) when a non-final path component is not a
// directory.
var ErrNotDir = errors.New("not a directory")

// Mode says whether a final symlink is followed.
type Mode uint8

const (
	// Follow follows a final symlink too, as stat(2): the result is what
	// the path finally names.
	Follow Mode = iota
	// NoFollow leaves a final symlink alone, as lstat(2): the result is
	// the path's directory entry itself, with its parents resolved.
	NoFollow
)

// Tree is a file tree as the resolver walks it, one directory entry at a
// time. E identifies an entry cheaply: a node of an image's merged tree,
// or a name in an fs.FS.
type Tree[E any] interface {
	// Root returns the root directory.
	Root() E
	// Child returns the entry called name in the directory dir and its
	// type bits (fs.ModeDir, fs.ModeSymlink, 0 for a regular file). A
	// missing entry is an error matching fs.ErrNotExist. name is never
	// "", "." or "..".
	Child(dir E, name string) (E, fs.FileMode, error)
	// ReadLink returns a symlink's target as written.
	ReadLink(link E) (string, error)
}

// Resolved is the outcome of resolving an image path.
type Resolved struct {
	// Named is the path asked for, cleaned ("/a/b").
	Named string
	// Path is the real path: clean, absolute, with no symlink in any
	// component (with NoFollow the final component may itself be one).
	Path string
	// Links are the real paths of the symlinks followed, in order.
	Links []string
}

// String says how the path resolved: "/bin/sh → /usr/bin/dash", or the
// path alone when it names itself.
func (r Resolved) String() string {
	if r.Named == "" || r.Named == r.Path {
		return r.Path
	}
	return r.Named + " → " + r.Path
}

// Walk resolves p (absolute, or relative to the root) in t and returns
// the entry it names. Errors are *fs.PathError values whose Err matches
// fs.ErrNotExist, ErrNotDir, ErrLoop, or an error of the tree. On an
// error the Resolved holds the links followed so far, and its Path is
// where the final entry would be when only that is missing, the entry
// that is not a directory for ErrNotDir, else "".
func Walk[E any](t Tree[E], p string, mode Mode) (E, Resolved, error) {
	type step struct {
		e    E
		name string
	}
	var zero E
	res := Resolved{Named: Clean(p)}
	stack := []step{{e: t.Root()}}
	pathOf := func(extra string) string {
		var b strings.Builder
		for _, s := range stack[1:] {
			b.WriteByte('/')
			b.WriteString(s.name)
		}
		if extra != "" {
			b.WriteByte('/')
			b.WriteString(extra)
		}
		if b.Len() == 0 {
			return "/"
		}
		return b.String()
	}
	fail := func(err error) (E, Resolved, error) {
		return zero, res, &fs.PathError{Op: "resolving", Path: res.Named, Err: err}
	}
	// pending holds the components still to walk, the next one last.
	pending := pushPath(nil, p)
	for len(pending) > 0 {
		comp := pending[len(pending)-1]
		pending = pending[:len(pending)-1]
		switch comp {
		case ".":
			continue
		case "..":
			if len(stack) > 1 {
				stack = stack[:len(stack)-1]
			}
			continue
		}
		last := len(pending) == 0
		e, typ, err := t.Child(stack[len(stack)-1].e, comp)
		if err != nil {
			if last && errors.Is(err, fs.ErrNotExist) {
				res.Path = pathOf(comp)
			}
			return fail(err)
		}
		if typ&fs.ModeSymlink != 0 && (!last || mode == Follow) {
			if len(res.Links) >= MaxLinks {
				return fail(ErrLoop)
			}
			target, err := t.ReadLink(e)
			if err != nil {
				return fail(err)
			}
			res.Links = append(res.Links, pathOf(comp))
			if strings.HasPrefix(target, "/") {
				stack = stack[:1]
			}
			pending = pushPath(pending, target)
			continue
		}
		if !last && typ&fs.ModeDir == 0 {
			res.Path = pathOf(comp)
			return fail(ErrNotDir)
		}
		stack = append(stack, step{e: e, name: comp})
	}
	res.Path = pathOf("")
	return stack[len(stack)-1].e, res, nil
}

// pushPath pushes p's components onto a stack of pending components, its
// first component on top.
func pushPath(pending []string, p string) []string {
	for p != "" {
		i := strings.LastIndexByte(p, '/')
		if c := p[i+1:]; c != "" {
			pending = append(pending, c)
		}
		if i < 0 {
			break
		}
		p = p[:i]
	}
	return pending
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

// FSTree is an fs.FS as a Tree: its entries are its names ("." the root),
// looked up one component at a time with fs.Lstat.
type FSTree struct{ FS fs.FS }

// Root returns ".".
func (t FSTree) Root() string { return "." }

// Child lstats dir/name.
func (t FSTree) Child(dir, name string) (string, fs.FileMode, error) {
	if dir != "." {
		name = dir + "/" + name
	}
	info, err := fs.Lstat(t.FS, name)
	if err != nil {
		return "", 0, err
	}
	return name, info.Mode().Type(), nil
}

// ReadLink reads a link of the file system.
func (t FSTree) ReadLink(name string) (string, error) { return fs.ReadLink(t.FS, name) }

// ResolverFS is a file system that resolves its own paths with Walk over
// a Tree of its own, faster than an Lstat per component. Resolve and the
// functions below use it when a file system has it.
type ResolverFS interface {
	fs.FS
	ResolvePath(p string, mode Mode) (Resolved, error)
}

// Resolve follows every symlink in p, including the final component, and
// returns the real path of what p names. The result exists unless err is
// non-nil; a missing component gives an error matching fs.ErrNotExist.
func Resolve(fsys fs.FS, p string) (Resolved, error) {
	return ResolveMode(fsys, p, Follow)
}

// ResolveMode resolves p in an fs.FS, following a final symlink or not.
func ResolveMode(fsys fs.FS, p string, mode Mode) (Resolved, error) {
	if r, ok := fsys.(ResolverFS); ok {
		return r.ResolvePath(p, mode)
	}
	_, res, err := Walk[string](FSTree{fsys}, p, mode)
	return res, err
}

// ResolveParent follows the symlinks in every component of p but the last,
// as lstat(2) does: the result names p's directory entry itself, which need
// not exist.
func ResolveParent(fsys fs.FS, p string) (Resolved, error) {
	res, err := ResolveMode(fsys, p, NoFollow)
	if err != nil && errors.Is(err, fs.ErrNotExist) && res.Path != "" {
		return res, nil
	}
	return res, err
}

// Stat resolves p and describes what it finally names.
func Stat(fsys fs.FS, p string) (Resolved, fs.FileInfo, error) {
	return stat(fsys, p, Follow)
}

// Lstat resolves p's parents and describes its directory entry.
func Lstat(fsys fs.FS, p string) (Resolved, fs.FileInfo, error) {
	return stat(fsys, p, NoFollow)
}

func stat(fsys fs.FS, p string, mode Mode) (Resolved, fs.FileInfo, error) {
	res, err := ResolveMode(fsys, p, mode)
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
	f, _, err := open(fsys, p, -1)
	return f, err
}

func open(fsys fs.FS, p string, limit int64) (fs.File, Resolved, error) {
	res, info, err := Stat(fsys, p)
	if err != nil {
		return nil, res, err
	}
	if !info.Mode().IsRegular() {
		return nil, res, fmt.Errorf("opening %s: not a regular file", res)
	}
	if limit >= 0 && info.Size() > limit {
		return nil, res, fmt.Errorf("reading %s: %d bytes, more than the %d expected", res, info.Size(), limit)
	}
	f, err := fsys.Open(Name(res.Path))
	return f, res, err
}

// ReadFile resolves p and reads the regular file it names, failing when it
// holds more than limit bytes (a hostile image may hold a huge file where
// a small one is expected).
func ReadFile(fsys fs.FS, p string, limit int64) ([]byte, error) {
	data, _, err := ReadFileResolved(fsys, p, limit)
	return data, err
}

// ReadFileResolved is ReadFile that also says where p led.
func ReadFileResolved(fsys fs.FS, p string, limit int64) ([]byte, Resolved, error) {
	f, res, err := open(fsys, p, limit)
	if err != nil {
		return nil, res, err
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, limit+1))
	if err != nil {
		return nil, res, fmt.Errorf("reading %s: %w", res, err)
	}
	if int64(len(data)) > limit {
		return nil, res, fmt.Errorf("reading %s: larger than %d bytes", res, limit)
	}
	return data, res, nil
}

// ReadDir resolves p and lists the directory it names, sorted by name.
func ReadDir(fsys fs.FS, p string) ([]fs.DirEntry, Resolved, error) {
	res, err := Resolve(fsys, p)
	if err != nil {
		return nil, res, err
	}
	ents, err := fs.ReadDir(fsys, Name(res.Path))
	return ents, res, err
}
