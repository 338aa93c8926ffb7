package analyze

import (
	"bytes"
	"context"
	"errors"
	"io"
	"io/fs"
	"maps"
	"path"
	"slices"
	"strings"
	"sync"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/whittle-dev/whittle/analyze/source"
	"github.com/whittle-dev/whittle/internal/binenc"
	"github.com/whittle-dev/whittle/internal/imagefs"
)

// ImageFS is an indexed image's final file system as an io/fs file
// system. Metadata (Stat, Lstat, ReadLink, ReadDir) comes from the index;
// a file's content is read from its layer on first Open and kept. Preload
// reads many files in one pass over the layers, which is much faster than
// opening them one by one. Symlinks resolve inside the image with
// internal/imagefs: an absolute target starts at the image root, ".."
// stops there, and loops end with an error. Names are unrooted, as io/fs
// wants ("etc/passwd").
type ImageFS struct {
	im  *source.Image
	ix  *Index
	ctx context.Context

	mu   sync.Mutex
	data map[*Entry][]byte

	// cache keeps small files' bytes per layer between runs (WithCache):
	// layers maps a layer to its cached contents by entry position.
	cache  *Cache
	scope  string
	layers map[int]map[int][]byte

	// known gives the bytes a Learner kept while the layers were read
	// (WithKnown), by layer and entry position; learnt lists the nodes
	// whose bytes came from it and the content cache lacks, for Flush.
	known  func(layer, pos int) ([]byte, bool)
	learnt []*Node
}

// The content cache's limits: files up to maxCachedFile bytes, at most
// maxCachedLayer bytes a layer.
const (
	maxCachedFile  = 1 << 20
	maxCachedLayer = 64 << 20
	contentKind    = "fs-content-v2-"
)

// WithCache makes the file system keep the bytes of the small files it
// reads, apart for each scope (a caller's name: "closure", "etc") so that
// one does not load what another read, (configuration, package databases, scripts) in c, by layer diff
// ID and entry position, so a later run over the same layers reads them
// from there instead of streaming the layers again. It returns f.
func (f *ImageFS) WithCache(c *Cache, scope string) *ImageFS {
	f.cache, f.scope = c, scope
	f.layers = map[int]map[int][]byte{}
	return f
}

// WithKnown makes the file system take a file's bytes from known, when
// it has them, before the content cache and the layers: known is given
// the layer and entry position (Index.ContentSource's) and returns the
// file's whole content, such as a Learner kept while IndexImage read the
// layers. It returns f.
func (f *ImageFS) WithKnown(known func(layer, pos int) ([]byte, bool)) *ImageFS {
	f.known = known
	return f
}

// cachedContent returns n's bytes from the content cache or what
// WithKnown gives; f.mu is held.
func (f *ImageFS) cachedContent(n *Node) ([]byte, bool) {
	l, pos, ok := f.ix.ContentSource(n)
	if !ok {
		return nil, false
	}
	if f.cache != nil && f.im.Layers[l].DiffID.Hex != "" {
		m, loaded := f.layers[l]
		if !loaded {
			m = f.cache.Contents(f.scope, f.im.Layers[l].DiffID)
			f.layers[l] = m
		}
		if b, ok := m[pos]; ok && int64(len(b)) == n.Content.Size {
			return b, true
		}
	}
	if f.known != nil {
		if b, have := f.known(l, pos); have && int64(len(b)) == n.Content.Size {
			f.learnt = append(f.learnt, n)
			return b, true
		}
	}
	return nil, false
}

// Flush keeps in the content cache the bytes of the files used since the
// last Flush that came from WithKnown, not from the cache: so that a run
// without a Learner finds them there. Preload flushes too.
func (f *ImageFS) Flush() {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.flush(nil)
}

// flush remembers read and the learnt nodes; f.mu is held.
func (f *ImageFS) flush(read []*Node) {
	f.remember(append(read, f.learnt...))
	f.learnt = nil
}

// remember adds the bytes read of the nodes to their layers' cached
// contents and writes the layers that changed (PutContents leaves out
// what is over its limits).
func (f *ImageFS) remember(read []*Node) {
	if f.cache == nil {
		return
	}
	dirty := map[int]bool{}
	for _, n := range read {
		l, pos, ok := f.ix.ContentSource(n)
		if !ok || f.im.Layers[l].DiffID.Hex == "" {
			continue
		}
		if f.layers[l] == nil {
			f.layers[l] = map[int][]byte{}
		}
		f.layers[l][pos] = f.data[n.Content]
		dirty[l] = true
	}
	for l := range dirty {
		_ = f.cache.PutContents(f.scope, f.im.Layers[l].DiffID, f.layers[l]) // only costs time
	}
}

// Contents returns the small files' bytes a scope (ImageFS.WithCache's)
// keeps for the layer with that diff ID, by entry position; nil when
// there are none. The bytes share one buffer, which nothing writes.
func (c *Cache) Contents(scope string, diffID v1.Hash) map[int][]byte {
	b, ok := c.GetData(contentKind+scope, diffID.String())
	if !ok {
		return nil
	}
	d := binenc.NewDecoderOwned(b)
	n := d.Count()
	m := make(map[int][]byte, n)
	for i := 0; i < n && d.Err() == nil; i++ {
		pos := int(d.Uvarint())
		size := d.Count()
		if d.Err() != nil {
			break
		}
		rest := d.Rest()
		m[pos] = rest[:size:size]
		d.Skip(size)
	}
	if d.Done() != nil {
		return nil
	}
	return m
}

// PutContents stores the small files' bytes a scope keeps for a layer,
// by entry position, replacing what was there; files over 1 MiB and
// beyond 64 MiB a layer are left out.
func (c *Cache) PutContents(scope string, diffID v1.Hash, byPos map[int][]byte) error {
	var kept []int
	total := 0
	for _, pos := range slices.Sorted(maps.Keys(byPos)) {
		b := byPos[pos]
		if len(b) > maxCachedFile || total+len(b) > maxCachedLayer {
			continue
		}
		kept = append(kept, pos)
		total += len(b)
	}
	out := make([]byte, 0, total+len(kept)*8+8)
	out = binenc.AppendUvarint(out, uint64(len(kept)))
	for _, pos := range kept {
		out = binenc.AppendUvarint(out, uint64(pos))
		out = binenc.AppendUvarint(out, uint64(len(byPos[pos])))
		out = append(out, byPos[pos]...)
	}
	return c.PutData(contentKind+scope, diffID.String(), out)
}

var (
	_ fs.ReadLinkFS = (*ImageFS)(nil)
	_ fs.ReadDirFS  = (*ImageFS)(nil)
	_ fs.StatFS     = (*ImageFS)(nil)

	_ imagefs.ResolverFS = (*ImageFS)(nil)
)

// FS returns the file system of an indexed image. Content reads use ctx.
func NewFS(ctx context.Context, im *source.Image, ix *Index) *ImageFS {
	return &ImageFS{im: im, ix: ix, ctx: ctx, data: map[*Entry][]byte{}}
}

// Index returns the index the file system shows.
func (f *ImageFS) Index() *Index { return f.ix }

// Preload reads the content of every visible regular file for which want
// returns true, in one pass over the layers that hold them.
func (f *ImageFS) Preload(want func(*Node) bool) error {
	var read []*Node
	err := ReadFiles(f.ctx, f.im, f.ix, func(n *Node) bool {
		if !want(n) {
			return false
		}
		f.mu.Lock()
		defer f.mu.Unlock()
		if _, have := f.data[n.Content]; have {
			return false
		}
		if b, ok := f.cachedContent(n); ok {
			f.data[n.Content] = b
			return false
		}
		return true
	}, func(n *Node, r io.Reader) error {
		b, err := io.ReadAll(r)
		if err != nil {
			return err
		}
		f.mu.Lock()
		f.data[n.Content] = b
		read = append(read, n)
		f.mu.Unlock()
		return nil
	})
	if err != nil {
		return err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	f.flush(read)
	return nil
}

// PreloadPrefix preloads every file below the given unrooted directory names.
func (f *ImageFS) PreloadPrefix(dirs ...string) error {
	prefixes := make([]string, len(dirs))
	for i, d := range dirs {
		prefixes[i] = strings.TrimSuffix(path.Clean("/"+d), "/") + "/"
	}
	return f.Preload(func(n *Node) bool {
		p := n.Path()
		for _, pre := range prefixes {
			if strings.HasPrefix(p, pre) {
				return true
			}
		}
		return false
	})
}

// resolve finds the node a name names with the one image path resolver,
// following symlinks in every component but the last, and in the last too
// when mode is imagefs.Follow.
func (f *ImageFS) resolve(op, name string, mode imagefs.Mode) (*Node, error) {
	if !validPath(name) {
		return nil, &fs.PathError{Op: op, Path: name, Err: fs.ErrInvalid}
	}
	n, _, err := f.ix.Root.Resolve(name, mode)
	if err != nil {
		var pe *fs.PathError
		if errors.As(err, &pe) {
			err = pe.Err
		}
		return nil, &fs.PathError{Op: op, Path: name, Err: err}
	}
	return n, nil
}

// ResolvePath resolves an image path ("/a/b", or unrooted) with the nodes
// of the index, for imagefs.Resolve and the functions built on it.
func (f *ImageFS) ResolvePath(p string, mode imagefs.Mode) (imagefs.Resolved, error) {
	_, res, err := f.ix.Root.Resolve(p, mode)
	return res, err
}

// Resolve returns the node an image path names, resolved as the kernel
// would inside the image, and how it resolved. It is how a path from the
// user or the image config is found.
func (f *ImageFS) Resolve(p string, mode imagefs.Mode) (*Node, imagefs.Resolved, error) {
	return f.ix.Root.Resolve(p, mode)
}

// Open opens a file or directory, following symlinks.
func (f *ImageFS) Open(name string) (fs.File, error) {
	n, err := f.resolve("open", name, imagefs.Follow)
	if err != nil {
		return nil, err
	}
	if n.IsDir() {
		return &dirFile{info: nodeInfo{n}, entries: dirEntries(n)}, nil
	}
	if n.Content == nil {
		if n.Entry.Type == TypeRegular || n.Entry.Type == TypeHardlink {
			return nil, &fs.PathError{Op: "open", Path: name, Err: errors.New("hardlink to a file missing from the image")}
		}
		return nil, &fs.PathError{Op: "open", Path: name, Err: errors.New("not a regular file")}
	}
	b, err := f.content(n)
	if err != nil {
		return nil, &fs.PathError{Op: "open", Path: name, Err: err}
	}
	return &regularFile{Reader: bytes.NewReader(b), info: nodeInfo{n}}, nil
}

func (f *ImageFS) content(n *Node) ([]byte, error) {
	f.mu.Lock()
	b, ok := f.data[n.Content]
	f.mu.Unlock()
	if ok {
		return b, nil
	}
	want := n.Content
	if err := f.Preload(func(m *Node) bool { return m.Content == want }); err != nil {
		return nil, err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.data[n.Content], nil
}

// Ready reports whether reading name needs no pass over a layer: its
// bytes are in memory, known (WithKnown) or in the content cache, or it
// is not a regular file, so that reading it fails at once.
func (f *ImageFS) Ready(name string) bool {
	n, err := f.resolve("open", name, imagefs.Follow)
	if err != nil || n.Content == nil {
		return true
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if _, ok := f.data[n.Content]; ok {
		return true
	}
	if b, ok := f.cachedContent(n); ok {
		f.data[n.Content] = b
		return true
	}
	return false
}

// ReadFile returns a file's content.
func (f *ImageFS) ReadFile(name string) ([]byte, error) {
	n, err := f.resolve("readfile", name, imagefs.Follow)
	if err != nil {
		return nil, err
	}
	if n.Content == nil {
		return nil, &fs.PathError{Op: "readfile", Path: name, Err: errors.New("not a regular file")}
	}
	b, err := f.content(n)
	if err != nil {
		return nil, &fs.PathError{Op: "readfile", Path: name, Err: err}
	}
	return bytes.Clone(b), nil
}

// Stat describes a file, following symlinks.
func (f *ImageFS) Stat(name string) (fs.FileInfo, error) {
	n, err := f.resolve("stat", name, imagefs.Follow)
	if err != nil {
		return nil, err
	}
	return nodeInfo{n}, nil
}

// Lstat describes a file without following a final symlink.
func (f *ImageFS) Lstat(name string) (fs.FileInfo, error) {
	n, err := f.resolve("lstat", name, imagefs.NoFollow)
	if err != nil {
		return nil, err
	}
	return nodeInfo{n}, nil
}

// ReadLink returns a symlink's target as written.
func (f *ImageFS) ReadLink(name string) (string, error) {
	n, err := f.resolve("readlink", name, imagefs.NoFollow)
	if err != nil {
		return "", err
	}
	if n.Entry.Type != TypeSymlink {
		return "", &fs.PathError{Op: "readlink", Path: name, Err: fs.ErrInvalid}
	}
	return n.Entry.Link, nil
}

// ReadDir lists a directory, following symlinks to it, sorted by name.
func (f *ImageFS) ReadDir(name string) ([]fs.DirEntry, error) {
	n, err := f.resolve("readdir", name, imagefs.Follow)
	if err != nil {
		return nil, err
	}
	if !n.IsDir() {
		return nil, &fs.PathError{Op: "readdir", Path: name, Err: errors.New("not a directory")}
	}
	return dirEntries(n), nil
}

// Node returns the index node a name names, without following a final
// symlink.
func (f *ImageFS) Node(name string) (*Node, error) { return f.resolve("lstat", name, imagefs.NoFollow) }

func dirEntries(n *Node) []fs.DirEntry {
	out := make([]fs.DirEntry, len(n.Children))
	for i, c := range n.Children {
		out[i] = fs.FileInfoToDirEntry(nodeInfo{c})
	}
	return out
}

// nodeInfo is a Node as an fs.FileInfo. Modification times are not
// indexed; ModTime is the zero time. Sys returns the *Node.
type nodeInfo struct{ n *Node }

func (i nodeInfo) Name() string {
	if i.n.Parent == nil {
		return "."
	}
	return i.n.Name
}

func (i nodeInfo) Size() int64 {
	switch {
	case i.n.Content != nil:
		return i.n.Content.Size
	case i.n.Entry.Type == TypeSymlink:
		return int64(len(i.n.Entry.Link))
	}
	return 0
}

func (i nodeInfo) Mode() fs.FileMode {
	if i.n.Entry.Type == TypeHardlink {
		return fs.FileMode(i.n.Entry.Mode & 0o777)
	}
	return i.n.Entry.FileMode()
}
func (i nodeInfo) ModTime() time.Time { return time.Time{} }
func (i nodeInfo) IsDir() bool        { return i.n.IsDir() }
func (i nodeInfo) Sys() any           { return i.n }

type regularFile struct {
	*bytes.Reader
	info nodeInfo
}

func (r *regularFile) Stat() (fs.FileInfo, error) { return r.info, nil }
func (r *regularFile) Close() error               { return nil }

type dirFile struct {
	info    nodeInfo
	entries []fs.DirEntry
	off     int
}

func (d *dirFile) Stat() (fs.FileInfo, error) { return d.info, nil }
func (d *dirFile) Close() error               { return nil }
func (d *dirFile) Read([]byte) (int, error) {
	return 0, &fs.PathError{Op: "read", Path: d.info.Name(), Err: errors.New("is a directory")}
}

func (d *dirFile) ReadDir(n int) ([]fs.DirEntry, error) {
	rest := d.entries[d.off:]
	if n <= 0 {
		d.off = len(d.entries)
		return rest, nil
	}
	if len(rest) == 0 {
		return nil, io.EOF
	}
	if n > len(rest) {
		n = len(rest)
	}
	d.off += n
	return rest[:n], nil
}

// validPath is fs.ValidPath without its demand for UTF-8: names in images
// are bytes (Latin-1 names are common in old tarballs), and the file
// system must open every name the image holds. The name is "." or
// unrooted, slash-separated elements none of which is empty, "." or "..".
func validPath(name string) bool {
	if name == "." {
		return true
	}
	for {
		i := 0
		for i < len(name) && name[i] != '/' {
			i++
		}
		elem := name[:i]
		if elem == "" || elem == "." || elem == ".." {
			return false
		}
		if i == len(name) {
			return true
		}
		name = name[i+1:]
	}
}
