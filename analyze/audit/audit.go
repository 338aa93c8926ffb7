package audit

import (
	"sort"

	"github.com/whittle-dev/whittle/analyze"
	"github.com/whittle-dev/whittle/analyze/source"
	"github.com/whittle-dev/whittle/finding"
)

// Schema names the JSON schema of Audit; it changes only with a
// new version suffix. docs/audit-json.md documents it.
const Schema = "whittle.audit/v1"

// Audit is the size report of one image: what `whittle audit` prints,
// and its --json form. Byte counts are raw bytes.
type Audit struct {
	Schema     string           `json:"schema"`
	Reference  string           `json:"reference"`
	Image      AuditImage       `json:"image"`
	Totals     AuditTotals      `json:"totals"`
	Layers     []AuditLayer     `json:"layers"`
	TopDirs    []SizedPath      `json:"top_directories"`
	TopFiles   []SizedPath      `json:"top_files"`
	Wasted     []WasteGroup     `json:"wasted"`
	Duplicates []DuplicateGroup `json:"duplicates"`
	Findings   []Finding        `json:"findings"`
	// Reclaimable is what applying every bloat finding (family "bloat")
	// saves; each file counts in at most one of them.
	Reclaimable int64        `json:"reclaimable_bytes"`
	Rules       *RuleResults `json:"rules,omitempty"`
}

// AuditImage identifies the image.
type AuditImage struct {
	Platform       string `json:"platform"`
	ManifestDigest string `json:"manifest_digest,omitempty"`
	Created        string `json:"created,omitempty"`
}

// AuditTotals sums up the image (see analyze.Totals for each figure's meaning).
type AuditTotals struct {
	Layers                int     `json:"layers"`
	UncompressedBytes     int64   `json:"uncompressed_bytes"`
	StoredBytes           int64   `json:"stored_bytes"`
	ContentBytes          int64   `json:"content_bytes"`
	VisibleBytes          int64   `json:"visible_bytes"`
	WastedBytes           int64   `json:"wasted_bytes"`
	WastedPercent         float64 `json:"wasted_percent"`
	UserWastedPercent     float64 `json:"user_wasted_percent"`
	Efficiency            float64 `json:"efficiency"`
	DiveEfficiency        float64 `json:"dive_efficiency"`
	DiveWastedBytes       int64   `json:"dive_wasted_bytes"`
	DiveUserWastedPercent float64 `json:"dive_user_wasted_percent"`
	DuplicateBytes        int64   `json:"duplicate_bytes"`
	Files                 int     `json:"files"`
	Directories           int     `json:"directories"`
	Symlinks              int     `json:"symlinks"`
	Others                int     `json:"others"`
}

// AuditLayer is one layer's line.
type AuditLayer struct {
	Index             int    `json:"index"`
	DiffID            string `json:"diff_id"`
	Digest            string `json:"digest,omitempty"`
	MediaType         string `json:"media_type,omitempty"`
	Compression       string `json:"compression"`
	StoredBytes       int64  `json:"stored_bytes"`
	UncompressedBytes int64  `json:"uncompressed_bytes"`
	ContentBytes      int64  `json:"content_bytes"`
	Entries           int    `json:"entries"`
	Added             int    `json:"added"`
	Modified          int    `json:"modified"`
	Removed           int    `json:"removed"`
	AddedBytes        int64  `json:"added_bytes"`
	ModifiedBytes     int64  `json:"modified_bytes"`
	RemovedBytes      int64  `json:"removed_bytes"`
	WastedBytes       int64  `json:"wasted_bytes"`
	Command           string `json:"command"`
}

// SizedPath is a path with its size: a directory's total or a file's size.
type SizedPath struct {
	Path  string `json:"path"`
	Bytes int64  `json:"bytes"`
	Files int    `json:"files,omitempty"`
	Layer int    `json:"layer,omitempty"`
}

// WasteGroup is the waste one operation caused: the files of layer
// StoredIn that layer By hid under Path.
type WasteGroup struct {
	Path     string `json:"path"`
	Reason   string `json:"reason"`
	StoredIn int    `json:"stored_in_layer"`
	By       int    `json:"by_layer"`
	Files    int    `json:"files"`
	Bytes    int64  `json:"bytes"`
}

// DuplicateGroup is a set of visible files with identical content.
type DuplicateGroup struct {
	BytesEach   int64    `json:"bytes_each"`
	Reclaimable int64    `json:"reclaimable_bytes"`
	Paths       []string `json:"paths"`
}

// Options bound the lists of an Audit.
type Options struct {
	Top   int // entries in each list; 0 means 10
	Depth int // deepest directories listed; 0 means 3
}

// New builds the report of an opened and indexed image.
func New(im *source.Image, ix *analyze.Index, opts Options) *Audit {
	if opts.Top <= 0 {
		opts.Top = 10
	}
	if opts.Depth <= 0 {
		opts.Depth = 3
	}
	t := ix.Totals
	a := &Audit{
		Schema:     Schema,
		Reference:  im.Ref.String(),
		Layers:     []AuditLayer{},
		TopDirs:    []SizedPath{},
		TopFiles:   []SizedPath{},
		Wasted:     []WasteGroup{},
		Duplicates: []DuplicateGroup{},
		Findings:   []Finding{},
	}
	if im.Config != nil {
		if p := im.Config.Platform(); p != nil && p.OS != "" {
			a.Image.Platform = p.String()
		} else {
			a.Image.Platform = "unknown platform"
		}
		if !im.Config.Created.IsZero() {
			a.Image.Created = im.Config.Created.UTC().Format("2006-01-02T15:04:05Z")
		}
	}
	if im.ManifestDigest.Hex != "" {
		a.Image.ManifestDigest = im.ManifestDigest.String()
	}
	a.Totals = AuditTotals{
		Layers: t.Layers, UncompressedBytes: t.TarBytes, StoredBytes: t.StoredBytes,
		ContentBytes: t.ContentBytes, VisibleBytes: t.VisibleBytes, WastedBytes: t.WastedBytes,
		Efficiency: t.Efficiency, DiveEfficiency: t.DiveEfficiency, DiveWastedBytes: t.DiveWastedBytes,
		DiveUserWastedPercent: t.DiveUserWastedPercent, DuplicateBytes: t.DuplicateBytes,
		Files: t.Files, Directories: t.Dirs, Symlinks: t.Symlinks, Others: t.Others,
	}
	if t.ContentBytes > 0 {
		a.Totals.WastedPercent = 100 * float64(t.WastedBytes) / float64(t.ContentBytes)
	}
	a.Totals.UserWastedPercent = userWastedPercent(ix)
	for i, l := range im.Layers {
		li, ch := ix.Layers[i], ix.Changes[i]
		al := AuditLayer{
			Index: i + 1, DiffID: li.DiffID.String(), MediaType: string(l.MediaType),
			Compression: string(li.Compression), StoredBytes: li.StoredBytes, UncompressedBytes: li.TarBytes,
			ContentBytes: li.ContentBytes(), Entries: len(li.Entries),
			Added: ch.Added, Modified: ch.Modified, Removed: ch.Removed,
			AddedBytes: ch.AddedBytes, ModifiedBytes: ch.ModifiedBytes, RemovedBytes: ch.RemovedBytes,
			WastedBytes: ch.WastedBytes, Command: l.Command,
		}
		if l.Digest.Hex != "" {
			al.Digest = l.Digest.String()
		}
		a.Layers = append(a.Layers, al)
	}
	a.TopDirs = topDirectories(ix.Root, opts.Depth, opts.Top)
	a.TopFiles = topFiles(ix.Root, opts.Top)
	a.Wasted = groupWaste(ix.Wasted, opts.Top)
	for i, d := range ix.Duplicates {
		if i == opts.Top {
			break
		}
		a.Duplicates = append(a.Duplicates, DuplicateGroup{BytesEach: d.Size, Reclaimable: d.Reclaimable, Paths: d.Paths})
	}
	if im.RawConfig != nil {
		a.Findings = append(a.Findings, ConfigFindings(im.RawConfig)...)
	}
	a.Findings = append(a.Findings, ix.Findings...)
	finding.Sort(a.Findings)
	return a
}

// AddFindings adds findings computed elsewhere (package findings: bloat
// and breakage over the closure) and sums the bloat ones' bytes into
// Reclaimable.
func (a *Audit) AddFindings(fs []Finding) {
	for _, f := range fs {
		if f.Family() == "bloat" {
			a.Reclaimable += f.Bytes
		}
	}
	a.Findings = append(a.Findings, fs...)
	finding.Sort(a.Findings)
}

// userWastedPercent is the wasted bytes as a share of the bytes the layers
// above the first (the base image) store: dive's "user wasted percent",
// with whittle's wasted bytes.
func userWastedPercent(ix *analyze.Index) float64 {
	var user int64
	for _, l := range ix.Layers[min(1, len(ix.Layers)):] {
		user += l.ContentBytes()
	}
	if user == 0 {
		return 0
	}
	return 100 * float64(ix.Totals.WastedBytes) / float64(user)
}

func topDirectories(root *analyze.Node, depth, n int) []SizedPath {
	var dirs []*analyze.Node
	var walk func(node *analyze.Node, d int)
	walk = func(node *analyze.Node, d int) {
		for _, c := range node.Children {
			if !c.IsDir() {
				continue
			}
			dirs = append(dirs, c)
			if d+1 < depth {
				walk(c, d+1)
			}
		}
	}
	walk(root, 0)
	out := make([]SizedPath, 0, n)
	for _, d := range largest(dirs, n) {
		out = append(out, SizedPath{Path: d.Path(), Bytes: d.Bytes, Files: d.Files})
	}
	return out
}

func topFiles(root *analyze.Node, n int) []SizedPath {
	var files []*analyze.Node
	root.Walk(func(node *analyze.Node) bool {
		if !node.IsDir() && node.Bytes > 0 {
			files = append(files, node)
		}
		return true
	})
	out := make([]SizedPath, 0, n)
	for _, f := range largest(files, n) {
		out = append(out, SizedPath{Path: f.Path(), Bytes: f.Bytes, Layer: f.Layer + 1})
	}
	return out
}

// largest returns the n nodes with the most bytes, ties in the order
// given (tree order: parents first, names sorted), without building every
// node's path.
func largest(nodes []*analyze.Node, n int) []*analyze.Node {
	top := make([]*analyze.Node, 0, n+1)
	for _, x := range nodes {
		if len(top) == n && x.Bytes <= top[len(top)-1].Bytes {
			continue
		}
		i := sort.Search(len(top), func(i int) bool { return top[i].Bytes < x.Bytes })
		top = append(top, nil)
		copy(top[i+1:], top[i:])
		top[i] = x
		if len(top) > n {
			top = top[:n]
		}
	}
	return top
}

// groupWaste gathers wasted files by the operation that hid them.
func groupWaste(ws []analyze.Waste, n int) []WasteGroup {
	type key struct {
		root       string
		reason     analyze.WasteReason
		stored, by int
	}
	groups := map[key]*WasteGroup{}
	for _, w := range ws {
		k := key{w.Root, w.Reason, w.Layer, w.By}
		g := groups[k]
		if g == nil {
			g = &WasteGroup{Path: w.Root, Reason: w.Reason.String(), StoredIn: w.Layer + 1, By: w.By + 1}
			groups[k] = g
		}
		g.Files++
		g.Bytes += w.Bytes
	}
	out := make([]WasteGroup, 0, len(groups))
	for _, g := range groups {
		out = append(out, *g)
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Bytes != out[j].Bytes {
			return out[i].Bytes > out[j].Bytes
		}
		if out[i].Path != out[j].Path {
			return out[i].Path < out[j].Path
		}
		return out[i].StoredIn < out[j].StoredIn
	})
	if len(out) > n {
		out = out[:n]
	}
	return out
}
