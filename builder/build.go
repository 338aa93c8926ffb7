package builder

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"
	"sync"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/types"
	"golang.org/x/sync/errgroup"

	"github.com/whittle-dev/whittle/analyze"
	"github.com/whittle-dev/whittle/analyze/source"
	"github.com/whittle-dev/whittle/finding"
	"github.com/whittle-dev/whittle/internal/reprotar"
	"github.com/whittle-dev/whittle/session"
)

// Spec is one build: which files of an indexed source image to keep, in
// which groups, what to add, and the image config of the result.
type Spec struct {
	Source *source.Image
	Index  *analyze.Index
	// Selection is what to write (a session's Evaluation.Selection); when
	// nil it is session.Select(Index, Keep, Extra).
	Selection *session.Selection
	// Keep says which visible paths of the source to keep. Directories
	// holding a kept path are kept with their own metadata; a kept
	// symlink whose target is not kept is reported (KindDanglingLink).
	Keep func(n *analyze.Node) bool
	// Group names the layer group of a kept path ("" for the group of
	// loose files, "files"); Groups says what each group needs, for the
	// popularity order.
	Group  func(p string) string
	Groups map[string][]string
	// Extra are generated files (the /etc etcgen writes, easy-access
	// symlinks); they replace a source path of the same name and form a
	// group of their own, "generated".
	Extra []reprotar.File
	// Base are the layers of a base image the result is built on, and
	// BaseHistory their history entries (one per layer); the caller
	// leaves out of Keep what the base already has.
	Base        []v1.Layer
	BaseHistory []v1.History
	// Config is the runtime config of the result (the caller merges the
	// source's with the plan's changes).
	Config v1.Config
	// Strategy and MaxLayers choose the layering (Single, Popularity).
	Strategy  string
	MaxLayers int
	// Compression is "gzip" (default) or "zstd".
	Compression string
	// Created is every entry's modification time and the image's creation
	// time; the zero value means the Unix epoch (SOURCE_DATE_EPOCH=0).
	Created time.Time
	// Cache is where written layers are kept by content ("" for none).
	Cache string
	// Progress, when set, hears each stage (from several goroutines, one
	// call at a time).
	Progress func(Event)
}

// Event is a progress report: a stage, a layer (one-based, 0 when none)
// with its groups, and bytes done of a total.
type Event struct {
	Stage  string // "reading", "layer", "done"
	Layer  int
	Layers int
	Groups []string
	Bytes  int64
	Total  int64
	Cached bool
}

// LayerInfo describes one written layer.
type LayerInfo struct {
	Groups      []string `json:"groups"`
	Files       int      `json:"files"`
	TarBytes    int64    `json:"tar_bytes"`
	StoredBytes int64    `json:"stored_bytes"`
	Digest      string   `json:"digest"`
	DiffID      string   `json:"diff_id"`
	Cached      bool     `json:"cached"`
}

// Result is what a build made: the image, its layers and what was left
// out.
type Result struct {
	Image  v1.Image
	Layers []LayerInfo
	// Kept and Removed are the visible source paths kept and left out
	// (directories included), sorted; RemovedBytes the bytes of the
	// regular files left out.
	Kept, Removed []string
	RemovedBytes  int64
	// Findings are links the trim broke and paths it could not write.
	Findings []finding.Finding
	// Written lists each layer's entries as the index would read them
	// back (paths, types, modes, owners, links, sizes and content
	// hashes), in layer order, so that what the image holds can be merged
	// and judged without reading it again (analyze.Merge).
	Written []*analyze.LayerIndex

	tempDir string
}

// Close removes the temporary layer files of a build made without a
// cache (Spec.Cache ""); the Image cannot be read after it. It is a no-op
// for a cached build, and safe to call twice.
func (r *Result) Close() error {
	if r == nil || r.tempDir == "" {
		return nil
	}
	err := os.RemoveAll(r.tempDir)
	r.tempDir = ""
	return err
}

// The kinds of the builder's findings.
const (
	// KindDanglingLink: a kept symlink whose target was left out.
	KindDanglingLink = session.KindDanglingLink
	// KindSkippedEntry: an entry a layer cannot carry was left out.
	KindSkippedEntry = "build/skipped-entry"
)

// GeneratedGroup is the group of Spec.Extra; FilesGroup that of loose
// files.
const (
	GeneratedGroup = "generated"
	FilesGroup     = "files"
)

// Build makes the image the spec describes. Errors name what was being
// done; a failed build returns no image.
func Build(ctx context.Context, spec Spec) (*Result, error) {
	if spec.Index == nil || spec.Source == nil {
		return nil, errors.New("building: no source image")
	}
	created := spec.Created
	if created.IsZero() {
		created = reprotar.Epoch
	}
	res := &Result{}
	sel := selectFiles(spec, res)
	groups := groupFiles(spec, sel)
	var glist []Group
	for name, g := range groups {
		glist = append(glist, Group{Name: name, Needs: spec.Groups[name], Bytes: g.bytes})
	}
	plan, err := Plan(spec.Strategy, spec.MaxLayers, glist)
	if err != nil {
		return nil, err
	}
	var mu sync.Mutex
	report := func(e Event) {
		if spec.Progress != nil {
			mu.Lock()
			defer mu.Unlock()
			e.Layers = len(plan)
			spec.Progress(e)
		}
	}
	layers := make([]*layerBuild, len(plan))
	for i, names := range plan {
		lb := &layerBuild{index: i + 1, groups: names, mtime: created, compression: spec.Compression}
		for _, n := range names {
			lb.entries = append(lb.entries, groups[n].entries...)
		}
		lb.addParents(spec.Index)
		lb.key = lb.cacheKey(spec.Source, spec.Index)
		layers[i] = lb
	}
	cache := layerCache{dir: spec.Cache}
	var need []*layerBuild
	for _, lb := range layers {
		if l, info, ok := cache.get(lb.key); ok {
			lb.layer, lb.info, lb.info.Cached = l, info, true
			report(Event{Stage: "layer", Layer: lb.index, Groups: lb.groups, Bytes: info.StoredBytes, Total: info.StoredBytes, Cached: true})
			continue
		}
		need = append(need, lb)
	}
	if len(need) > 0 {
		if err := writeLayers(ctx, spec, need, &cache, report); err != nil {
			cache.dropTemp(spec.Cache)
			return nil, err
		}
	}
	if spec.Cache == "" {
		res.tempDir = cache.dir
	}
	img, err := compose(spec, created, layers)
	if err != nil {
		res.Close()
		return nil, err
	}
	res.Image = img
	for _, lb := range layers {
		res.Layers = append(res.Layers, lb.info)
		li := lb.written()
		li.TarBytes, li.StoredBytes = lb.info.TarBytes, lb.info.StoredBytes
		res.Written = append(res.Written, li)
	}
	report(Event{Stage: "done"})
	return res, nil
}

// compose stacks the layers on an empty image and sets the config.
func compose(spec Spec, created time.Time, layers []*layerBuild) (v1.Image, error) {
	var adds []mutate.Addendum
	for i, l := range spec.Base {
		h := v1.History{Created: v1.Time{Time: created}, CreatedBy: "whittle build: base layer"}
		if i < len(spec.BaseHistory) {
			h = spec.BaseHistory[i]
		}
		adds = append(adds, mutate.Addendum{Layer: l, History: h})
	}
	for _, lb := range layers {
		adds = append(adds, mutate.Addendum{Layer: lb.layer, History: v1.History{
			Created:   v1.Time{Time: created},
			CreatedBy: "whittle build: " + strings.Join(lb.groups, " "),
		}})
	}
	img, err := mutate.Append(empty.Image, adds...)
	if err != nil {
		return nil, fmt.Errorf("stacking layers: %w", err)
	}
	img = mutate.MediaType(img, types.OCIManifestSchema1)
	img = mutate.ConfigMediaType(img, types.OCIConfigJSON)
	cf, err := img.ConfigFile()
	if err != nil {
		return nil, fmt.Errorf("getting config: %w", err)
	}
	cf = cf.DeepCopy()
	if src := spec.Source.Config; src != nil {
		cf.OS, cf.Architecture, cf.Variant, cf.OSVersion = src.OS, src.Architecture, src.Variant, src.OSVersion
	}
	if cf.OS == "" {
		cf.OS, cf.Architecture = "linux", "amd64"
	}
	cf.Config = spec.Config
	cf.Created = v1.Time{Time: created}
	cf.Author, cf.Container = "", ""
	img, err = mutate.ConfigFile(img, cf)
	if err != nil {
		return nil, fmt.Errorf("setting config: %w", err)
	}
	return img, nil
}

// selected is one path the build writes: a source node or a generated file.
type selected struct {
	path  string
	node  *analyze.Node  // nil for generated files
	extra *reprotar.File // set for generated files
}

// selectFiles turns the spec's selection (session.Select of Keep and
// Extra when the spec has none) into the entries to write, and records
// what is kept, what is left out and the kept links that now dangle.
func selectFiles(spec Spec, res *Result) []selected {
	sel := spec.Selection
	if sel == nil {
		sel = session.Select(spec.Index, spec.Keep, spec.Extra)
	}
	res.Kept, res.Removed, res.RemovedBytes = sel.Kept, sel.Removed, sel.RemovedBytes
	res.Findings = append(res.Findings, sel.Dangling...)
	out := make([]selected, len(sel.Entries))
	for i, e := range sel.Entries {
		out[i] = selected{path: e.Path, node: e.Node, extra: e.Extra}
	}
	return out
}

// fileGroup is the kept paths of one group.
type fileGroup struct {
	entries []selected
	bytes   int64
}

// groupFiles sorts the selection into groups.
func groupFiles(spec Spec, sel []selected) map[string]*fileGroup {
	groups := map[string]*fileGroup{}
	for _, s := range sel {
		name := GeneratedGroup
		if s.node != nil {
			name = ""
			if spec.Group != nil {
				name = spec.Group(s.path)
			}
			if name == "" {
				name = FilesGroup
			}
		}
		g := groups[name]
		if g == nil {
			g = &fileGroup{}
			groups[name] = g
		}
		g.entries = append(g.entries, s)
		switch {
		case s.node != nil && s.node.Content != nil:
			g.bytes += s.node.Content.Size
		case s.extra != nil:
			g.bytes += int64(len(s.extra.Data))
		}
	}
	return groups
}

// writeLayers writes the layers while the source layers are read once:
// a reader feeds the contents (feed) to the layer writers, two of which
// write at a time, each compressing on every core.
func writeLayers(ctx context.Context, spec Spec, need []*layerBuild, cache *layerCache, report func(Event)) error {
	dir, err := cache.base()
	if err != nil {
		return err
	}
	f := newFeed(need, dir)
	defer f.close()
	g, gctx := errgroup.WithContext(ctx)
	if len(f.items) > 0 {
		g.Go(func() error { return f.run(gctx, spec, report) })
	}
	slots := make(chan struct{}, 2)
	for _, lb := range need {
		g.Go(func() error {
			select {
			case slots <- struct{}{}:
			case <-gctx.Done():
				return gctx.Err()
			}
			defer func() { <-slots }()
			f.start(lb.feed)
			defer f.stop(lb.feed)
			if err := lb.write(gctx, f, cache, report); err != nil {
				return fmt.Errorf("writing layer %d (%s): %w", lb.index, strings.Join(lb.groups, ", "), err)
			}
			return nil
		})
	}
	err = g.Wait()
	if ctx.Err() != nil {
		return ctx.Err() // cancelled: say so, not what it interrupted
	}
	return err
}

// xattrs picks the extended attributes out of PAX records (SCHILY.xattr.
// and LIBARCHIVE.xattr. are how tar writers carry them).
func xattrs(pax map[string]string) map[string]string {
	var out map[string]string
	for k, v := range pax {
		if name, ok := strings.CutPrefix(k, "SCHILY.xattr."); ok {
			if out == nil {
				out = map[string]string{}
			}
			out[name] = v
		}
	}
	return out
}
