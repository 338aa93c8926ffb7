package closure

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io/fs"
	"sort"
	"sync"

	v1 "github.com/google/go-containerregistry/pkg/v1"

	"github.com/whittle-dev/whittle/analyze"
	"github.com/whittle-dev/whittle/analyze/source"
	"github.com/whittle-dev/whittle/closure/graph"
	"github.com/whittle-dev/whittle/closure/runtime"
	"github.com/whittle-dev/whittle/finding"
	"github.com/whittle-dev/whittle/internal/binenc"
	"github.com/whittle-dev/whittle/internal/buildid"
	"github.com/whittle-dev/whittle/internal/imagefs"
)

// resultKind names whole closures in the layer cache. A closure is a
// function of the layers' bytes (their diff IDs), the image config, the
// options and whittle's own code, and is cached under a key hashing all
// four, so a warm graph, audit or doctor of an unchanged image with the
// same roots computes nothing. The code is named by the executable's Go
// build ID; without one nothing is cached.
const resultKind = "closure-result-v2"

// resultKey returns the cache key of Build(im, ·, opts), or false when the
// result must not be cached: no cache, no build ID, or a layer whose diff
// ID is unknown.
func resultKey(im *source.Image, opts Options) (string, bool) {
	code := buildid.Self()
	if opts.Cache == nil || code == "" {
		return "", false
	}
	h := sha256.New()
	b := binenc.AppendString(nil, resultKind)
	b = binenc.AppendString(b, code)
	b = binenc.AppendUvarint(b, uint64(len(im.Layers)))
	for _, l := range im.Layers {
		if l.DiffID == (v1.Hash{}) {
			return "", false
		}
		b = binenc.AppendString(b, l.DiffID.String())
	}
	var config []byte
	if im.Config != nil {
		var err error
		if config, err = json.Marshal(im.Config.Config); err != nil {
			return "", false
		}
	}
	b = binenc.AppendString(b, string(config))
	nix, err := json.Marshal(opts.NixInfo)
	if err != nil {
		return "", false
	}
	b = binenc.AppendString(b, string(nix))
	b = binenc.AppendStrings(b, opts.Roots)
	b = binenc.AppendStrings(b, opts.Env)
	b = binenc.AppendStrings(b, opts.EtcProvides)
	b = binenc.AppendStrings(b, opts.EtcGenerated)
	b = binenc.AppendUvarint(b, uint64(len(opts.Traced)))
	for _, t := range opts.Traced {
		b = binenc.AppendStrings(b, []string{t.Path, t.Op, t.By})
	}
	b = binenc.AppendString(b, string(opts.Granularity.orDefault()))
	if opts.NoConfigRoots {
		b = append(b, 1)
	} else {
		b = append(b, 0)
	}
	h.Write(b)
	return hex.EncodeToString(h.Sum(nil)), true
}

// encodeResult writes everything a Closure holds but its file system.
func encodeResult(c *Closure) []byte {
	b := graph.AppendEncoded(nil, c.Graph, c.Analysis)
	b = binenc.AppendUvarint(b, uint64(len(c.Roots)))
	for _, r := range c.Roots {
		b = binenc.AppendString(b, r.Spec)
		b = binenc.AppendString(b, r.Path)
		b = binenc.AppendString(b, r.Named)
		b = binenc.AppendStrings(b, r.Links)
		b = binenc.AppendUvarint(b, uint64(r.Node))
		b = binenc.AppendString(b, r.Source)
		b = binenc.AppendString(b, r.Reason)
	}
	b = finding.AppendBinary(b, c.Problems)
	b = appendIDMap(b, c.NarSize, func(b []byte, v int64) []byte { return binenc.AppendVarint(b, v) })
	b = binenc.AppendStrings(b, c.NixMismatches)
	b = binenc.AppendString(b, string(c.Granularity))
	b = appendOwners(b, c.Graph, c.owner)
	b = binenc.AppendMap(b, c.loads, binenc.AppendStrings)
	b = binenc.AppendStrings(b, c.searchDir)
	b = appendIDMap(b, c.group, func(b []byte, id graph.NodeID) []byte { return binenc.AppendUvarint(b, uint64(id)) })
	b = appendEdgeMap(b, c.rules, func(b []byte, rs []*runtime.Rule) []byte {
		names := make([]string, len(rs))
		for i, r := range rs {
			names[i] = r.Name
		}
		return binenc.AppendStrings(b, names)
	})
	b = appendEdgeMap(b, c.explain, binenc.AppendStrings)
	return b
}

// decodeResult reads what encodeResult wrote; fsys is the file system of
// the image it was computed for.
func decodeResult(data []byte, fsys fs.FS) (*Closure, error) {
	d := binenc.NewDecoderOwned(data)
	g, a, err := graph.Decode(d)
	if err != nil {
		return nil, err
	}
	n := uint64(g.Len())
	node := func(d *binenc.Decoder) graph.NodeID {
		v := d.Uvarint()
		if v >= n {
			d.Fail()
		}
		return graph.NodeID(v)
	}
	c := &Closure{Graph: g, Analysis: a, fsys: fsys}
	nr := d.Count()
	for i := 0; i < nr && d.Err() == nil; i++ {
		c.Roots = append(c.Roots, Root{Spec: d.String(), Path: d.String(), Named: d.String(), Links: d.Strings(), Node: node(d), Source: d.String(), Reason: d.String()})
	}
	c.Problems = finding.DecodeBinary(d)
	c.NarSize = decodeIDMap(d, n, (*binenc.Decoder).Varint)
	c.NixMismatches = d.Strings()
	c.Granularity = Granularity(d.String())
	c.owner = decodeOwners(d, g)
	c.loads = binenc.DecodeMap(d, (*binenc.Decoder).Strings)
	c.searchDir = d.Strings()
	c.group = decodeIDMap(d, n, node)
	c.rules = decodeEdgeMap(d, n, func(d *binenc.Decoder) []*runtime.Rule {
		names := d.Strings()
		rs := make([]*runtime.Rule, len(names))
		for i, name := range names {
			r, ok := runtime.Lookup(name)
			if !ok {
				d.Fail()
				return nil
			}
			rs[i] = r
		}
		return rs
	})
	c.explain = decodeEdgeMap(d, n, (*binenc.Decoder).Strings)
	if err := d.Done(); err != nil {
		return nil, err
	}
	return c, nil
}

// Cached returns the closure Build would return for im and opts when
// the cache holds it, computing nothing and without the image's index:
// index is called (once) only when the closure needs the image's file
// system (Find, Owner, Loads), and its error is theirs. It reports false
// when the cache does not hold the closure; the layers' diff IDs must be
// known (analyze.Identify learns them without an index).
func Cached(ctx context.Context, im *source.Image, opts Options, index func() (*analyze.Index, error)) (*Closure, bool) {
	key, ok := resultKey(im, opts)
	if !ok || opts.Refresh {
		return nil, false
	}
	load := sync.OnceValues(func() (*analyze.ImageFS, error) {
		ix, err := index()
		if err != nil {
			return nil, err
		}
		return newFS(ctx, im, ix, opts), nil
	})
	c := loadResult(opts.Cache, key, lazyFS{load})
	return c, c != nil
}

// loadResult returns the cached closure under key, or nil.
func loadResult(cache *analyze.Cache, key string, fsys fs.FS) *Closure {
	data, ok := cache.GetData(resultKind, key)
	if !ok {
		return nil
	}
	c, err := decodeResult(data, fsys)
	if err != nil {
		return nil
	}
	cache.TouchData(resultKind, key)
	return c
}

// lazyFS is an image's file system made on first use: a closure from the
// cache needs the index only when a path is looked up. It offers what
// analyze.ImageFS offers to internal/imagefs, each failing with the
// index's error when the index cannot be had.
type lazyFS struct {
	get func() (*analyze.ImageFS, error)
}

var (
	_ fs.ReadLinkFS      = lazyFS{}
	_ fs.ReadDirFS       = lazyFS{}
	_ fs.StatFS          = lazyFS{}
	_ fs.ReadFileFS      = lazyFS{}
	_ imagefs.ResolverFS = lazyFS{}
)

func (l lazyFS) Open(name string) (fs.File, error) {
	f, err := l.get()
	if err != nil {
		return nil, err
	}
	return f.Open(name)
}

func (l lazyFS) ResolvePath(p string, mode imagefs.Mode) (imagefs.Resolved, error) {
	f, err := l.get()
	if err != nil {
		return imagefs.Resolved{}, err
	}
	return f.ResolvePath(p, mode)
}

func (l lazyFS) Stat(name string) (fs.FileInfo, error) {
	f, err := l.get()
	if err != nil {
		return nil, err
	}
	return f.Stat(name)
}

func (l lazyFS) Lstat(name string) (fs.FileInfo, error) {
	f, err := l.get()
	if err != nil {
		return nil, err
	}
	return f.Lstat(name)
}

func (l lazyFS) ReadLink(name string) (string, error) {
	f, err := l.get()
	if err != nil {
		return "", err
	}
	return f.ReadLink(name)
}

func (l lazyFS) ReadDir(name string) ([]fs.DirEntry, error) {
	f, err := l.get()
	if err != nil {
		return nil, err
	}
	return f.ReadDir(name)
}

func (l lazyFS) ReadFile(name string) ([]byte, error) {
	f, err := l.get()
	if err != nil {
		return nil, err
	}
	return f.ReadFile(name)
}

// storeResult caches c under key; a cache that cannot be written only
// costs time.
func storeResult(cache *analyze.Cache, key string, c *Closure) {
	if cache.PutData(resultKind, key, encodeResult(c)) == nil {
		_ = cache.PruneData(resultKind, keepResults)
	}
}

// keepResults is how many closures the cache keeps, the most recently
// used: about 1 MB each for a 10,000-file image.
const keepResults = 32

// appendOwners writes the owner map; an image path owned by the node
// named by that path (every file in files granularity) is written as the
// node's ID alone.
func appendOwners(b []byte, g *graph.Graph, o *owners) []byte {
	owner := make(map[string]graph.NodeID, o.len())
	o.each(func(p string, id graph.NodeID) { owner[p] = id })
	keys := make([]string, 0, len(owner))
	for k := range owner {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	b = binenc.AppendUvarint(b, uint64(len(keys)))
	for _, k := range keys {
		id := owner[k]
		if g.Get(id).Name == k {
			b = binenc.AppendUvarint(b, uint64(id)<<1|1)
			continue
		}
		b = binenc.AppendUvarint(b, uint64(id)<<1)
		b = binenc.AppendString(b, k)
	}
	return b
}

func decodeOwners(d *binenc.Decoder, g *graph.Graph) *owners {
	count := d.Count()
	m := newOwners(g)
	for i := 0; i < count && d.Err() == nil; i++ {
		v := d.Uvarint()
		id := graph.NodeID(v >> 1)
		if v>>1 >= uint64(g.Len()) {
			d.Fail()
			break
		}
		k := g.Get(id).Name
		if v&1 == 0 {
			k = d.String()
		}
		m.set(k, id)
	}
	return m
}

func appendIDMap[V any](b []byte, m map[graph.NodeID]V, val func([]byte, V) []byte) []byte {
	ids := make([]graph.NodeID, 0, len(m))
	for id := range m {
		ids = append(ids, id)
	}
	sort.Slice(ids, func(i, j int) bool { return ids[i] < ids[j] })
	b = binenc.AppendUvarint(b, uint64(len(ids)))
	for _, id := range ids {
		b = binenc.AppendUvarint(b, uint64(id))
		b = val(b, m[id])
	}
	return b
}

func decodeIDMap[V any](d *binenc.Decoder, n uint64, val func(*binenc.Decoder) V) map[graph.NodeID]V {
	count := d.Count()
	m := make(map[graph.NodeID]V, count)
	for i := 0; i < count && d.Err() == nil; i++ {
		id := d.Uvarint()
		if id >= n {
			d.Fail()
		}
		m[graph.NodeID(id)] = val(d)
	}
	return m
}

func appendEdgeMap[V any](b []byte, m map[[2]graph.NodeID]V, val func([]byte, V) []byte) []byte {
	keys := make([][2]graph.NodeID, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool {
		if keys[i][0] != keys[j][0] {
			return keys[i][0] < keys[j][0]
		}
		return keys[i][1] < keys[j][1]
	})
	b = binenc.AppendUvarint(b, uint64(len(keys)))
	for _, k := range keys {
		b = binenc.AppendUvarint(b, uint64(k[0]))
		b = binenc.AppendUvarint(b, uint64(k[1]))
		b = val(b, m[k])
	}
	return b
}

func decodeEdgeMap[V any](d *binenc.Decoder, n uint64, val func(*binenc.Decoder) V) map[[2]graph.NodeID]V {
	count := d.Count()
	m := make(map[[2]graph.NodeID]V, count)
	for i := 0; i < count && d.Err() == nil; i++ {
		from, to := d.Uvarint(), d.Uvarint()
		if from >= n || to >= n {
			d.Fail()
		}
		m[[2]graph.NodeID{graph.NodeID(from), graph.NodeID(to)}] = val(d)
	}
	return m
}
