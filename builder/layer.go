package builder

import (
	"bufio"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"sort"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/cespare/xxhash/v2"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/types"
	"github.com/klauspost/compress/zstd"
	"github.com/klauspost/pgzip"

	"github.com/whittle-dev/whittle/analyze"
	"github.com/whittle-dev/whittle/analyze/source"
	"github.com/whittle-dev/whittle/internal/atomicfile"
	"github.com/whittle-dev/whittle/internal/compress"
	"github.com/whittle-dev/whittle/internal/imagefs"
	"github.com/whittle-dev/whittle/internal/reprotar"
)

// layerBuild is one layer to write: its groups and the paths it holds.
type layerBuild struct {
	index       int
	groups      []string
	entries     []selected
	mtime       time.Time
	compression string
	key         string

	layer v1.Layer
	info  LayerInfo
	// feed is the layer writer's side of the contents' feed.
	feed *feedWriter
}

// addParents adds every directory above the layer's paths, with the
// source's metadata (a mode-700 /app owned by uid 1000 stays so), unless
// the layer holds it already.
func (lb *layerBuild) addParents(ix *analyze.Index) {
	have := map[string]bool{}
	for _, s := range lb.entries {
		have[s.path] = true
	}
	var add []selected
	for _, s := range lb.entries {
		// A source path's parents are its node's (no symlink lies on
		// the path of a node); a generated file's are resolved.
		var up *analyze.Node
		if s.node != nil {
			up = s.node.Parent
		}
		for d := parentDir(s.path); d != "/"; d = parentDir(d) {
			n := up
			if up != nil {
				up = up.Parent
			}
			if have[d] {
				break
			}
			have[d] = true
			if n == nil {
				var err error
				n, _, err = ix.Root.Resolve(d, imagefs.NoFollow)
				if err != nil || !n.IsDir() || n.Path() != d {
					n = nil // implied: reprotar writes 0755 root-owned
				}
			}
			if n != nil && n.IsDir() {
				add = append(add, selected{path: d, node: n})
			}
		}
	}
	lb.entries = append(lb.entries, add...)
	sort.Slice(lb.entries, func(i, j int) bool { return lb.entries[i].path < lb.entries[j].path })
}

// cacheKey names the layer by everything its bytes depend on: each path's
// metadata and where its content comes from (a source layer's diff ID and
// the entry's position fix its bytes and extended attributes; generated
// files by their own hash), the modification time and the compression.
func (lb *layerBuild) cacheKey(im *source.Image, ix *analyze.Index) string {
	h := sha256.New()
	fmt.Fprintf(h, "whittle-layer-v1\x00%s\x00%d\n", lb.compressionName(), lb.mtime.Unix())
	for _, s := range lb.entries {
		if s.extra != nil {
			f := s.extra
			sum := sha256.Sum256(f.Data)
			fmt.Fprintf(h, "x\x00%s\x00%c\x00%o\x00%d\x00%d\x00%s\x00%x\x00%d\x00%d\n", s.path, f.Kind, f.Mode, f.UID, f.GID, f.Link, sum, f.Devmajor, f.Devminor)
			keys := make([]string, 0, len(f.Xattrs))
			for k := range f.Xattrs {
				keys = append(keys, k)
			}
			sort.Strings(keys)
			for _, k := range keys {
				fmt.Fprintf(h, "a\x00%s\x00%s\n", k, f.Xattrs[k])
			}
			continue
		}
		e := s.node.Entry
		fmt.Fprintf(h, "s\x00%s\x00%d\x00%o\x00%d\x00%d\x00%s", s.path, e.Type, e.Mode, e.UID, e.GID, e.Link)
		if l, pos, ok := ix.ContentSource(s.node); ok {
			fmt.Fprintf(h, "\x00%s\x00%d\x00%d", im.Layers[l].DiffID, pos, s.node.Content.Size)
		}
		h.Write([]byte{'\n'})
	}
	return hex.EncodeToString(h.Sum(nil))
}

func (lb *layerBuild) compressionName() string {
	if lb.compression == "zstd" {
		return "zstd"
	}
	return "gzip"
}

// files turns the layer's paths into tar entries. A content that two
// paths of the layer share is written once, the later paths hardlinked to
// the first; device nodes, whose numbers the index does not keep, are
// left out.
func (lb *layerBuild) files(ctx context.Context, contents *feed) []reprotar.File {
	out := make([]reprotar.File, 0, len(lb.entries))
	first := map[*analyze.Entry]string{}
	for _, s := range lb.entries {
		if s.extra != nil {
			f := *s.extra
			f.Path = s.path
			out = append(out, f)
			continue
		}
		e := s.node.Entry
		if s.node.Content != nil {
			e = s.node.Content // a hardlink shows its inode's metadata
		}
		f := reprotar.File{Path: s.path, Mode: int64(e.Mode), UID: int(e.UID), GID: int(e.GID)}
		switch {
		case s.node.IsDir():
			f.Kind = reprotar.Dir
		case s.node.Content != nil:
			if p, ok := first[s.node.Content]; ok {
				f.Kind, f.Link = reprotar.Hardlink, p
			} else {
				first[s.node.Content] = s.path
				c := s.node.Content
				f.Kind, f.Size = reprotar.Regular, c.Size
				f.Open = func() (reprotar.Content, error) { return contents.open(ctx, lb.feed, c) }
			}
		case s.node.Entry.Type == analyze.TypeSymlink:
			f.Kind, f.Link = reprotar.Symlink, s.node.Entry.Link
		case s.node.Entry.Type == analyze.TypeFIFO:
			f.Kind = reprotar.FIFO
		default:
			continue
		}
		out = append(out, f)
	}
	return out
}

// written describes the layer's entries as analyze reads them, in path
// order: a content two paths of the layer share is a regular file at the
// first and hardlinks at the others, as files() writes it.
func (lb *layerBuild) written() *analyze.LayerIndex {
	li := &analyze.LayerIndex{}
	first := map[*analyze.Entry]string{}
	for _, s := range lb.entries {
		e := analyze.Entry{Path: s.path}
		if s.extra != nil {
			f := s.extra
			e.Mode, e.UID, e.GID, e.Link = uint32(f.Mode), int32(f.UID), int32(f.GID), f.Link
			switch f.Kind {
			case reprotar.Dir:
				e.Type = analyze.TypeDir
			case reprotar.Symlink:
				e.Type = analyze.TypeSymlink
			case reprotar.Hardlink:
				e.Type = analyze.TypeHardlink
			case reprotar.Regular:
				e.Type, e.Size, e.Hash = analyze.TypeRegular, int64(len(f.Data)), xxhash.Sum64(f.Data)
			case reprotar.FIFO:
				e.Type = analyze.TypeFIFO
			default:
				continue
			}
			li.Entries = append(li.Entries, e)
			continue
		}
		n := s.node
		src := n.Entry
		if n.Content != nil {
			src = n.Content
		}
		e.Mode, e.UID, e.GID = src.Mode, src.UID, src.GID
		switch {
		case n.IsDir():
			e.Type = analyze.TypeDir
		case n.Content != nil:
			if p, ok := first[n.Content]; ok {
				e.Type, e.Link = analyze.TypeHardlink, p
			} else {
				first[n.Content] = s.path
				e.Type, e.Size, e.Hash = analyze.TypeRegular, n.Content.Size, n.Content.Hash
			}
		case n.Entry.Type == analyze.TypeSymlink:
			e.Type, e.Link = analyze.TypeSymlink, n.Entry.Link
		case n.Entry.Type == analyze.TypeFIFO:
			e.Type = analyze.TypeFIFO
		default:
			continue
		}
		li.Entries = append(li.Entries, e)
	}
	return li
}

// write makes the layer's tar, its contents streamed from the feed,
// compresses it (on every core), stores it in the cache and sets
// lb.layer.
func (lb *layerBuild) write(ctx context.Context, contents *feed, cache *layerCache, report func(Event)) error {
	files := lb.files(ctx, contents)
	blob, err := cache.create(lb.key)
	if err != nil {
		return err
	}
	defer blob.abort()
	digest := sha256.New()
	stored := &countWriter{w: io.MultiWriter(blob.f, digest)}
	bw := bufio.NewWriterSize(stored, 1<<20)
	var zw io.WriteCloser
	mt := types.OCILayer
	if lb.compressionName() == "zstd" {
		enc, err := zstd.NewWriter(bw, zstd.WithEncoderConcurrency(runtime.GOMAXPROCS(0)), zstd.WithEncoderLevel(zstd.SpeedDefault))
		if err != nil {
			return err
		}
		zw, mt = enc, types.OCILayerZStd
	} else {
		gz, err := pgzip.NewWriterLevel(bw, pgzip.DefaultCompression)
		if err != nil {
			return err
		}
		if err := gz.SetConcurrency(1<<20, 2*runtime.GOMAXPROCS(0)); err != nil {
			return err
		}
		zw = gz
	}
	diff := sha256.New()
	tarred := &countWriter{w: io.MultiWriter(zw, diff)}
	if err := reprotar.WriteContext(ctx, tarred, files, lb.mtime); err != nil {
		return err
	}
	if err := zw.Close(); err != nil {
		return err
	}
	if err := bw.Flush(); err != nil {
		return err
	}
	info := LayerInfo{
		Groups: lb.groups, Files: len(files), TarBytes: tarred.n, StoredBytes: stored.n,
		Digest: "sha256:" + hex.EncodeToString(digest.Sum(nil)), DiffID: "sha256:" + hex.EncodeToString(diff.Sum(nil)),
	}
	l, err := blob.commit(info, mt)
	if err != nil {
		return err
	}
	lb.layer, lb.info = l, info
	report(Event{Stage: "layer", Layer: lb.index, Groups: lb.groups, Bytes: stored.n, Total: stored.n})
	return nil
}

type countWriter struct {
	w io.Writer
	n int64
}

func (c *countWriter) Write(p []byte) (int, error) {
	n, err := c.w.Write(p)
	c.n += int64(n)
	return n, err
}

// layerCache keeps written layers as files named by their cache key:
// KEY.blob (the compressed tar) and KEY.json (its digests and sizes).
// Without a directory it writes to a temporary one that lives as long as
// the process. The cache holds the image's bytes: its directory is 0700
// and its files 0600 whatever the umask.
type layerCache struct {
	dir string
	// tightened makes a configured directory left readable by others
	// (by an older version) private before it is first read.
	tightened sync.Once
}

type cacheMeta struct {
	LayerInfo
	MediaType types.MediaType `json:"media_type"`
}

func (c *layerCache) base() (string, error) {
	if c.dir != "" {
		if err := atomicfile.MkdirPrivate(c.dir); err != nil {
			return "", fmt.Errorf("layer cache: %w", err)
		}
		return c.dir, nil
	}
	d, err := os.MkdirTemp("", "whittle-build-*")
	if err != nil {
		return "", err
	}
	c.dir = d
	return d, nil
}

// dropTemp removes the temporary directory a build without a cache
// (configured "") wrote its layers to, after a failure.
func (c *layerCache) dropTemp(configured string) {
	if configured == "" && c.dir != "" {
		os.RemoveAll(c.dir)
	}
}

// get returns the cached layer for key, when the cache holds it whole.
func (c *layerCache) get(key string) (v1.Layer, LayerInfo, bool) {
	if c.dir == "" {
		return nil, LayerInfo{}, false
	}
	c.tightened.Do(func() {
		if fi, err := os.Stat(c.dir); err == nil && fi.IsDir() && fi.Mode().Perm()&0o077 != 0 {
			_ = os.Chmod(c.dir, 0o700) // base says why when it cannot
		}
	})
	b, err := atomicfile.ReadPrivate(filepath.Join(c.dir, key+".json"), 1<<20)
	if err != nil {
		return nil, LayerInfo{}, false
	}
	var m cacheMeta
	if json.Unmarshal(b, &m) != nil {
		return nil, LayerInfo{}, false
	}
	blob := filepath.Join(c.dir, key+".blob")
	l, err := newFileLayer(blob, m)
	if err != nil || !c.intact(blob, l.digest, m.StoredBytes) {
		return nil, LayerInfo{}, false
	}
	return l, m.LayerInfo, true
}

// intact reports whether a cached blob is a regular file of the size and
// digest its metadata gives: a damaged blob is built again rather than
// written into an image whose layer does not match its digest.
func (c *layerCache) intact(blob string, digest v1.Hash, size int64) bool {
	f, err := os.OpenFile(blob, os.O_RDONLY|syscall.O_NONBLOCK, 0)
	if err != nil {
		return false
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil || !fi.Mode().IsRegular() || fi.Size() != size || digest.Algorithm != "sha256" {
		return false
	}
	if atomicfile.Tighten(f, fi) != nil {
		return false // another user's blob, readable by others: build it again
	}
	h := sha256.New()
	if n, err := io.Copy(h, f); err != nil || n != size {
		return false
	}
	return hex.EncodeToString(h.Sum(nil)) == digest.Hex
}

// pendingBlob is a layer being written to a temporary file of the cache.
type pendingBlob struct {
	c   *layerCache
	key string
	f   *os.File
}

func (c *layerCache) create(key string) (*pendingBlob, error) {
	dir, err := c.base()
	if err != nil {
		return nil, err
	}
	f, err := os.CreateTemp(dir, ".tmp-"+key[:16]+"-*")
	if err != nil {
		return nil, fmt.Errorf("layer cache: %w", err)
	}
	return &pendingBlob{c: c, key: key, f: f}, nil
}

func (p *pendingBlob) abort() {
	if p.f != nil {
		p.f.Close()
		os.Remove(p.f.Name())
		p.f = nil
	}
}

// commit renames the finished blob into place, then writes its metadata,
// so a reader never finds metadata without its blob.
func (p *pendingBlob) commit(info LayerInfo, mt types.MediaType) (v1.Layer, error) {
	if err := p.f.Chmod(atomicfile.PrivateMode); err != nil {
		return nil, err
	}
	if err := p.f.Close(); err != nil {
		return nil, err
	}
	blob := filepath.Join(p.c.dir, p.key+".blob")
	if err := os.Rename(p.f.Name(), blob); err != nil {
		return nil, err
	}
	p.f = nil
	m := cacheMeta{LayerInfo: info, MediaType: mt}
	m.Cached = false
	b, _ := json.Marshal(m)
	if err := atomicfile.WritePrivate(filepath.Join(p.c.dir, p.key+".json"), b); err != nil {
		return nil, err
	}
	return newFileLayer(blob, m)
}

// fileLayer is a compressed layer stored in a file, with known digests.
type fileLayer struct {
	path           string
	digest, diffID v1.Hash
	size           int64
	mt             types.MediaType
}

func newFileLayer(p string, m cacheMeta) (*fileLayer, error) {
	d, err := v1.NewHash(m.Digest)
	if err != nil {
		return nil, err
	}
	id, err := v1.NewHash(m.DiffID)
	if err != nil {
		return nil, err
	}
	return &fileLayer{path: p, digest: d, diffID: id, size: m.StoredBytes, mt: m.MediaType}, nil
}

func (l *fileLayer) Digest() (v1.Hash, error)            { return l.digest, nil }
func (l *fileLayer) DiffID() (v1.Hash, error)            { return l.diffID, nil }
func (l *fileLayer) Size() (int64, error)                { return l.size, nil }
func (l *fileLayer) MediaType() (types.MediaType, error) { return l.mt, nil }
func (l *fileLayer) Compressed() (io.ReadCloser, error)  { return os.Open(l.path) }

// Uncompressed returns the layer's tar stream.
func (l *fileLayer) Uncompressed() (io.ReadCloser, error) {
	f, err := os.Open(l.path)
	if err != nil {
		return nil, err
	}
	r, err := compress.NewReader(f)
	if err != nil {
		f.Close()
		return nil, err
	}
	return struct {
		io.Reader
		io.Closer
	}{r, closers{r, f}}, nil
}

type closers []io.Closer

func (c closers) Close() error {
	var first error
	for _, x := range c {
		if err := x.Close(); err != nil && first == nil {
			first = err
		}
	}
	return first
}

var _ v1.Layer = (*fileLayer)(nil)

// parentDir is path.Dir of a clean absolute path, without copying it.
func parentDir(p string) string {
	i := strings.LastIndexByte(p, '/')
	if i <= 0 {
		return "/"
	}
	return p[:i]
}
