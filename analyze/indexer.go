package analyze

import (
	"context"
	"fmt"
	"io"
	"runtime"
	"sync"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/whittle-dev/whittle/analyze/source"
	"golang.org/x/sync/errgroup"
)

// IndexOptions tune IndexImage.
type IndexOptions struct {
	// Cache keeps layer indexes between runs; nil reads every layer.
	Cache *Cache
	// Verify reads and hashes every blob even when the cache holds its
	// layer (the cache is still refreshed).
	Verify bool
	// Jobs is how many layers are read at once; 0 means one per CPU.
	Jobs int
	// Progress, when set, is told as each layer starts and ends (from
	// several goroutines, one call at a time).
	Progress func(LayerProgress)
	// Learner, when set, sees the bytes of the files it wants as each
	// layer is read, so that a later step needs no pass of its own.
	Learner Learner
}

// A Learner sees the bytes of chosen regular files while IndexImage reads
// each layer: what a later step would learn from them (the closure's ELF
// facts, small configuration files) then costs no second pass over the
// layer. Layers the cache holds are not read, so a Learner sees nothing
// of them. Its methods are called from one goroutine per layer being
// read, for several layers at once.
type Learner interface {
	// Wants reports whether Learn should see the entry's bytes; the
	// entry's path, type, mode and size are set, its hash is not.
	Wants(e *Entry) bool
	// Learn reads what it needs of the entry's bytes from r (not
	// necessarily all); layer is the zero-based layer and pos the
	// entry's position in that layer's index (Index.ContentSource's).
	// An error ends the index with it: return only r's errors.
	Learn(layer, pos int, e *Entry, r io.Reader) error
	// LayerRead is told a layer's diff ID once it was read whole and
	// every wanted entry learnt.
	LayerRead(layer int, diffID v1.Hash)
}

// LayerProgress reports one layer's indexing.
type LayerProgress struct {
	Layer, Layers int
	Done          bool
	Cached        bool
	Err           error
}

// IndexImage reads every layer of im once (in parallel, from the cache when it holds
// the layer) and merges them. Nothing is extracted to disk.
func IndexImage(ctx context.Context, im *source.Image, opts IndexOptions) (*Index, error) {
	jobs := opts.Jobs
	if jobs <= 0 {
		jobs = runtime.GOMAXPROCS(0)
	}
	var mu sync.Mutex
	report := func(p LayerProgress) {
		if opts.Progress != nil {
			mu.Lock()
			defer mu.Unlock()
			p.Layers = len(im.Layers)
			opts.Progress(p)
		}
	}
	scans := make([]*LayerIndex, len(im.Layers))
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(jobs)
	for i, l := range im.Layers {
		g.Go(func() error {
			report(LayerProgress{Layer: i})
			li, cached, err := indexLayer(gctx, l, opts.Cache, opts.Verify, learnerFor(opts.Learner, i))
			report(LayerProgress{Layer: i, Done: true, Cached: cached, Err: err})
			if err != nil {
				return fmt.Errorf("%s: %w", im.Ref, describeLayer(l, err))
			}
			if !cached && opts.Learner != nil {
				opts.Learner.LayerRead(i, li.DiffID)
			}
			scans[i] = li
			return nil
		})
	}
	if err := g.Wait(); err != nil {
		return nil, err
	}
	if im.Synthetic() {
		ids := make([]v1.Hash, len(scans))
		for i, s := range scans {
			ids[i] = s.DiffID
		}
		if err := im.FinishSynthetic(ids); err != nil {
			return nil, err
		}
	}
	return Merge(scans), nil
}

func describeLayer(l *source.Layer, err error) error {
	if l.DiffID.Hex != "" {
		return fmt.Errorf("layer %d (%s): %w", l.Index+1, short(l.DiffID), err)
	}
	return fmt.Errorf("layer %d: %w", l.Index+1, err)
}

func short(h v1.Hash) string {
	if len(h.Hex) > 12 {
		return h.Algorithm + ":" + h.Hex[:12]
	}
	return h.String()
}

// learnerFor adapts a Learner to scanLayer for layer i; nil for none.
func learnerFor(lr Learner, i int) learnFunc {
	if lr == nil {
		return nil
	}
	if ls, ok := lr.(*learners); ok {
		// Learn asks each learner whether it wants the entry.
		return func(pos int, e *Entry, r io.Reader) error { return ls.Learn(i, pos, e, r) }
	}
	return func(pos int, e *Entry, r io.Reader) error {
		if !lr.Wants(e) {
			return nil
		}
		return lr.Learn(i, pos, e, r)
	}
}

func indexLayer(ctx context.Context, l *source.Layer, cache *Cache, verify bool, learn learnFunc) (*LayerIndex, bool, error) {
	if !verify {
		if li, ok := cachedLayer(l, cache); ok {
			return li, true, nil
		}
	}
	// The fingerprint is taken before the read, so that a change while
	// reading makes it stale rather than vouch for bytes not read.
	fp, hasFP := l.Fingerprint()
	rc, err := l.Open()
	if err != nil {
		return nil, false, fmt.Errorf("opening: %w", err)
	}
	defer rc.Close()
	var wantDigest v1.Hash
	if l.VerifyDigest && l.Digest.Algorithm == "sha256" {
		wantDigest = l.Digest
	}
	li, err := scanLayerLearning(ctx, rc, l.DiffID, wantDigest, hasFP && cache != nil, learn)
	if err != nil {
		return nil, false, err
	}
	// A cache that cannot be written only costs time next run.
	if cache != nil && l.CacheKey != "" {
		_ = cache.Put(l.CacheKey, li)
		_ = cache.PutBlob(blobKey(l, li.DiffID), BlobFacts{DiffID: li.DiffID, Compression: li.Compression, StoredBytes: li.StoredBytes, StoredDigest: li.StoredDigest, Fingerprint: fp})
	}
	return li, false, nil
}

// cachedLayer returns the cached index of l with the stored-form facts of
// the blob l names, or false when the cache cannot vouch for both. It
// checks, by a stat or the descriptor, that the blob is there with the
// size it had when it was read, so that a warm run refuses a missing or
// cut-short blob as a cold one does; and, for a blob in a local file
// (whose name or config only claims a content), that it is the very bytes
// that were read (checkedBlob). --verify reads every blob.
func cachedLayer(l *source.Layer, cache *Cache) (*LayerIndex, bool) {
	li, ok := cache.Get(l.CacheKey)
	if !ok || (l.DiffID.Hex != "" && li.DiffID != l.DiffID) {
		return nil, false
	}
	facts, ok := checkedBlob(l, li.DiffID, cache)
	if !ok || facts.DiffID != li.DiffID {
		return nil, false
	}
	li.Compression, li.StoredBytes, li.StoredDigest = facts.Compression, facts.StoredBytes, facts.StoredDigest
	return li, true
}

// checkedBlob returns the cached facts of the blob l names (diffID is the
// layer's, or zero when not known yet) after checking that the blob is
// there with the size it had when it was read, and that it holds the
// bytes that were read. The facts are keyed by what the source claims (a
// digest in a member's name, a diff ID in a config), which another input
// can claim too, so for a layer in a local file the claim is not enough:
// its fingerprint (file identity and extent) must be the one seen when it
// was read, or else the blob is hashed again and must match the stored
// digest then computed (costing a read of the stored bytes, without
// decompressing or parsing them). A registry's blobs are checked against
// their digests by the registry client.
func checkedBlob(l *source.Layer, diffID v1.Hash, cache *Cache) (BlobFacts, bool) {
	key := blobKey(l, diffID)
	facts, ok := cache.GetBlob(key)
	if !ok {
		return facts, false
	}
	if l.Size >= 0 && l.Size != facts.StoredBytes {
		return facts, false
	}
	size, err := l.StatBlob()
	if err != nil || (size >= 0 && size != facts.StoredBytes) {
		return facts, false // reading it gives the error a cold run gives
	}
	fp, hasFP := l.Fingerprint()
	if !hasFP || fp == facts.Fingerprint {
		return facts, true
	}
	if facts.StoredDigest.Hex == "" || !storedMatches(l, facts) {
		return facts, false
	}
	facts.Fingerprint = fp
	_ = cache.PutBlob(key, facts) // the next run trusts the stat alone
	return facts, true
}

// storedMatches reports whether l's stored bytes are facts.StoredBytes
// bytes whose sha256 is facts.StoredDigest.
func storedMatches(l *source.Layer, facts BlobFacts) bool {
	if facts.StoredDigest.Algorithm != "sha256" {
		return false
	}
	rc, err := l.Open()
	if err != nil {
		return false
	}
	defer rc.Close()
	h, n, err := v1.SHA256(rc)
	return err == nil && n == facts.StoredBytes && h == facts.StoredDigest
}

// Identify learns the diff ID of every layer of im without parsing a
// layer or decoding its index: from the config, checked against the
// cache's facts of the blob (which must be there with its size and, for a
// local file, its fingerprint or else its hash, as a warm IndexImage
// checks), or from those facts alone for root file system
// sources, whose made-up config it then finishes. It reports false, and
// changes nothing, when some layer cannot be vouched for that way (no
// cache, never read, --verify): IndexImage must then read it. It lets a
// caller whose result is cached by diff IDs (the closure) skip the index.
func Identify(im *source.Image, opts IndexOptions) bool {
	if opts.Cache == nil || opts.Verify {
		return false
	}
	ids := make([]v1.Hash, len(im.Layers))
	for i, l := range im.Layers {
		if l.CacheKey == "" {
			return false
		}
		facts, ok := checkedBlob(l, l.DiffID, opts.Cache)
		if !ok || facts.DiffID.Hex == "" || (l.DiffID.Hex != "" && facts.DiffID != l.DiffID) {
			return false
		}
		ids[i] = facts.DiffID
	}
	if im.Synthetic() {
		return im.FinishSynthetic(ids) == nil
	}
	return true
}

// blobKey names the stored blob of l in the cache: by its digest when the
// source knows it; else by the diff ID and the media type (the stored form
// the source saw, whose size is then checked); else by the layer's cache
// key, which for sources without a digest (rootfs-tar:) names the stored
// file itself.
func blobKey(l *source.Layer, diffID v1.Hash) string {
	switch {
	case l.Digest.Hex != "":
		return "blob-" + l.Digest.String()
	case diffID.Hex != "" && l.DiffID.Hex != "":
		return "blob-" + diffID.String() + "-" + string(l.MediaType)
	default:
		return "blob-" + l.CacheKey
	}
}
