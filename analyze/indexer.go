package analyze

import (
	"context"
	"fmt"
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
	// Jobs is how many layers are read at once; 0 means one per CPU.
	Jobs int
	// Progress, when set, is told as each layer starts and ends (from
	// several goroutines, one call at a time).
	Progress func(LayerProgress)
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
			li, cached, err := indexLayer(gctx, l, opts.Cache)
			report(LayerProgress{Layer: i, Done: true, Cached: cached, Err: err})
			if err != nil {
				return fmt.Errorf("%s: %w", im.Ref, describeLayer(l, err))
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

func indexLayer(ctx context.Context, l *source.Layer, cache *Cache) (*LayerIndex, bool, error) {
	if li, ok := cache.Get(l.CacheKey); ok && (l.DiffID.Hex == "" || li.DiffID == l.DiffID) {
		return li, true, nil
	}
	rc, err := l.Open()
	if err != nil {
		return nil, false, fmt.Errorf("opening: %w", err)
	}
	defer rc.Close()
	var wantDigest v1.Hash
	if l.VerifyDigest && l.Digest.Algorithm == "sha256" {
		wantDigest = l.Digest
	}
	li, err := scanLayer(ctx, rc, l.DiffID, wantDigest)
	if err != nil {
		return nil, false, err
	}
	// A cache that cannot be written only costs time next run.
	_ = cache.Put(l.CacheKey, li)
	return li, false, nil
}
