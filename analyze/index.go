package analyze

import (
	"cmp"
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/whittle-dev/whittle/finding"
)

// Index is the merged view of an image's layers: each layer's entries and
// what it changed, the final file tree, and the size accounting.
type Index struct {
	Layers  []*LayerIndex
	Changes []LayerChanges
	// EntryChanges says, for each entry of each layer (aligned with
	// Layers[i].Entries), what it did to the layers below.
	EntryChanges [][]Change
	Root         *Node
	// Nodes is the number of nodes in the tree under Root (Node.ID).
	Nodes  int
	Totals Totals
	// Wasted lists every stored file that is not visible in the final
	// file system, largest first.
	Wasted []Waste
	// Duplicates lists groups of distinct visible files with identical
	// content, largest reclaimable first.
	Duplicates []Duplicate
	// Findings are suspicious entries and links found while reading and
	// merging the layers (kinds Kind*), in layer order.
	Findings []finding.Finding

	entries []*Entry // every entry of every layer, by global id
	base    []int32  // global id of each layer's first entry
}

// LayerChanges is what one layer did to the file system below it.
type LayerChanges struct {
	// Added and Modified count paths the layer wrote that were absent or
	// present below it; their bytes are the new files' sizes.
	Added, Modified int
	AddedBytes      int64
	ModifiedBytes   int64
	// Removed counts paths the layer deleted (whiteouts, and children of
	// directories it made opaque); RemovedBytes the file bytes under them.
	Removed      int
	RemovedBytes int64
	// WastedBytes is the part of this layer's file bytes that is not
	// visible in the final file system.
	WastedBytes int64
}

// Change is what one layer entry did to the file system below it.
type Change uint8

// Entry changes.
const (
	// ChangeNone: an entry that did nothing visible (a whiteout of a path
	// absent below, the root directory's metadata).
	ChangeNone Change = iota
	// ChangeAdded: the path was absent below.
	ChangeAdded
	// ChangeModified: the path existed below and this entry replaced it
	// (for a directory: its metadata).
	ChangeModified
	// ChangeRemoved: a whiteout or opaque marker that deleted paths below.
	ChangeRemoved
)

var changeNames = [...]string{"none", "added", "modified", "removed"}

// String names the change.
func (c Change) String() string { return changeNames[c] }

// Totals sums up an image.
type Totals struct {
	Layers int
	// StoredBytes is the layers' size as stored (compressed when they are);
	// TarBytes their uncompressed tar streams.
	StoredBytes int64
	TarBytes    int64
	// ContentBytes is the sum of every regular file of every layer: what
	// the layers store. VisibleBytes is the part visible in the final file
	// system, hardlinked content counted once; the rest is WastedBytes.
	ContentBytes int64
	VisibleBytes int64
	WastedBytes  int64
	// Efficiency is VisibleBytes / ContentBytes (1 for an empty image).
	Efficiency float64
	// Paths in the final file system by type; Files counts regular files
	// and hardlinks.
	Files, Dirs, Symlinks, Others int
	// DuplicateBytes is what keeping one copy of each group of identical
	// visible files would reclaim.
	DuplicateBytes int64
	// Dive's figures, computed with dive's formula for comparison: its
	// efficiency score, wasted bytes (every version of a path that occurs
	// in two or more layers, the visible one included) and that as a share
	// of the bytes of all layers but the first.
	DiveEfficiency        float64
	DiveWastedBytes       int64
	DiveUserWastedPercent float64
}

// WasteReason says why stored bytes are not visible.
type WasteReason uint8

// Reasons for waste.
const (
	// ReasonOverwritten: a later entry for the same path replaced the file.
	ReasonOverwritten WasteReason = iota + 1
	// ReasonDeleted: a whiteout deleted the file or a directory above it.
	ReasonDeleted
	// ReasonOpaque: an opaque marker hid the directory's lower contents.
	ReasonOpaque
	// ReasonReplaced: a directory above the file was replaced by a non-directory.
	ReasonReplaced
	// ReasonUnreachable: the entry names no path a file can have ("/").
	ReasonUnreachable
)

var reasonNames = map[WasteReason]string{
	ReasonOverwritten: "overwritten", ReasonDeleted: "deleted", ReasonOpaque: "opaque",
	ReasonReplaced: "replaced", ReasonUnreachable: "unreachable",
}

// String names the reason as the JSON output does.
func (r WasteReason) String() string { return reasonNames[r] }

// Waste is one stored file that is not visible in the final file system.
type Waste struct {
	Path   string
	Layer  int // the layer that stores it
	Bytes  int64
	Reason WasteReason
	By     int    // the layer that hid it
	Root   string // the path the hiding operation named (a deleted directory, say)
}

// Duplicate is a group of distinct visible files with the same content.
type Duplicate struct {
	Size        int64
	Hash        uint64
	Paths       []string // sorted
	Reclaimable int64    // Size × (len(Paths) − 1)
}

// locate returns the layer and the position in that layer's entries of
// the entry with a global id.
func (ix *Index) locate(id int32) (layer, pos int) {
	layer = sort.Search(len(ix.base), func(i int) bool { return ix.base[i] > id }) - 1
	return layer, int(id - ix.base[layer])
}

// ContentSource returns where the bytes a node shows are stored: the
// (zero-based) layer and the position of the entry in that layer's tar.
// ok is false for a node without content. The pair names the content
// exactly: the layer's diff ID fixes its bytes.
func (ix *Index) ContentSource(n *Node) (layer, pos int, ok bool) {
	if n == nil || n.Content == nil || n.contentID < 0 {
		return 0, 0, false
	}
	layer, pos = ix.locate(n.contentID)
	return layer, pos, true
}

// linkSource is an AUFS hardlink source: its entry and global id.
type linkSource struct {
	entry *Entry
	id    int32
}

type displacement struct {
	by     int32
	reason WasteReason
	root   *string
}

type merger struct {
	ix        *Index
	base      []int32 // global id of each layer's first entry
	displaced []displacement
	linked    map[int32]bool // contents with more than one path
	// linkSources are the AUFS hardlink sources (.wh..wh.plnk) by path.
	linkSources map[string]linkSource
	layer       int
	dive        map[string]*diveData

	lastDir     *Node
	lastDirPath string
	slab        []Node
}

type diveData struct {
	cumulative, min int64
	count           int
}

// Merge stacks scanned layers into an Index: whiteouts and opaque
// directories applied, each layer's changes and the final tree computed,
// and every byte accounted for.
func Merge(layers []*LayerIndex) *Index {
	ix := &Index{Layers: layers, Changes: make([]LayerChanges, len(layers)), EntryChanges: make([][]Change, len(layers))}
	for i, l := range layers {
		ix.EntryChanges[i] = make([]Change, len(l.Entries))
	}
	m := &merger{ix: ix, linked: map[int32]bool{}, linkSources: map[string]linkSource{}, dive: map[string]*diveData{}}
	var total int32
	for _, l := range layers {
		m.base = append(m.base, total)
		total += int32(len(l.Entries))
	}
	ix.entries = make([]*Entry, 0, total)
	for _, l := range layers {
		for j := range l.Entries {
			ix.entries = append(ix.entries, &l.Entries[j])
		}
	}
	m.displaced = make([]displacement, total)
	ix.Root = &Node{Entry: &Entry{Path: "/", Type: TypeDir, Mode: 0o755}, Layer: -1, contentID: -1, kids: map[string]*Node{}}
	for i, l := range layers {
		m.layer = i
		whiteouts := m.applyDeletions(l)
		nodes := m.applyEntries(l)
		m.diveLayer(l, whiteouts, nodes)
	}
	ix.Nodes = ix.Root.finalise()
	m.account()
	ix.base = m.base
	return ix
}

// applyDeletions applies a layer's whiteouts and opaque markers, which
// concern only the layers below it. It returns what dive counts for each
// whiteout.
func (m *merger) applyDeletions(l *LayerIndex) map[string]int64 {
	ch := &m.ix.Changes[m.layer]
	var whiteoutDiveSize map[string]int64
	for j := range l.Entries {
		e := &l.Entries[j]
		switch e.Type {
		case TypeWhiteout:
			n := m.ix.Root.Lookup(e.Path)
			if whiteoutDiveSize == nil {
				whiteoutDiveSize = map[string]int64{}
			}
			if n == nil || n.Parent == nil {
				whiteoutDiveSize[e.Path] = 0
				continue
			}
			bytes := subtreeFileBytes(n)
			if n.Entry.Type == TypeDir {
				whiteoutDiveSize[e.Path] = bytes
			} else {
				whiteoutDiveSize[e.Path] = 0
			}
			ch.Removed++
			ch.RemovedBytes += bytes
			m.ix.EntryChanges[m.layer][j] = ChangeRemoved
			m.displace(n, ReasonDeleted, e.Path)
			delete(n.Parent.kids, n.Name)
		case TypeOpaque:
			n := m.ix.Root.Lookup(e.Path)
			if n == nil || n.Entry.Type != TypeDir {
				continue
			}
			if len(n.kids) > 0 {
				m.ix.EntryChanges[m.layer][j] = ChangeRemoved
			}
			for name, c := range n.kids {
				ch.Removed++
				ch.RemovedBytes += subtreeFileBytes(c)
				m.displace(c, ReasonOpaque, e.Path)
				delete(n.kids, name)
			}
		}
	}
	return whiteoutDiveSize
}

// applyEntries adds a layer's files, directories and links in tar order,
// returning the node each entry landed on (nil for whiteouts and the root).
func (m *merger) applyEntries(l *LayerIndex) []*Node {
	ch := &m.ix.Changes[m.layer]
	nodes := make([]*Node, len(l.Entries))
	mark := int32(m.layer + 1)
	for j := range l.Entries {
		e := &l.Entries[j]
		if e.Type == TypeWhiteout || e.Type == TypeOpaque {
			continue
		}
		id := m.base[m.layer] + int32(j)
		if e.Type == TypeLinkSource {
			// Content for hardlinks only; wasted unless one points here.
			m.linkSources[e.Path] = linkSource{e, id}
			m.displaced[id] = displacement{by: int32(m.layer), reason: ReasonUnreachable, root: &e.Path}
			continue
		}
		if e.Path == "/" {
			if e.Type == TypeDir {
				m.ix.Root.Entry, m.ix.Root.Layer = e, m.layer
			} else {
				m.displaced[id] = displacement{by: int32(m.layer), reason: ReasonUnreachable, root: &e.Path}
				m.ix.Findings = append(m.ix.Findings, finding.Finding{
					Kind: KindRootEntry, Severity: finding.Warning, Paths: []string{"/"}, Layer: m.layer + 1,
					Message: "layer " + strconv.Itoa(m.layer+1) + ": a " + e.Type.String() + " entry names the root directory; ignored",
				})
			}
			continue
		}
		// Entry paths are clean ("/a/b"): split at the last slash.
		cut := strings.LastIndexByte(e.Path, '/')
		parent := m.ensureDir(e.Path[:cut])
		name := e.Path[cut+1:]
		n := parent.kids[name]
		var size int64
		if e.Type == TypeRegular {
			size = e.Size
		}
		switch {
		case n == nil:
			n = m.newNode(name, parent)
			parent.kids[name] = n
			ch.Added++
			ch.AddedBytes += size
			m.ix.EntryChanges[m.layer][j] = ChangeAdded
		default:
			if n.Layer != m.layer {
				ch.Modified++
				ch.ModifiedBytes += size
				m.ix.EntryChanges[m.layer][j] = ChangeModified
			} else {
				// A second entry for a path this layer wrote: the same
				// change as the first.
				m.ix.EntryChanges[m.layer][j] = ChangeAdded
				if int(n.created) < m.layer {
					m.ix.EntryChanges[m.layer][j] = ChangeModified
				}
			}
			if n.Entry.Type == TypeDir && e.Type == TypeDir {
				break // a directory's metadata changes; its contents stay
			}
			m.displace(n, ReasonOverwritten, e.Path)
			n.kids, n.Content, n.contentID = nil, nil, -1
		}
		n.Entry, n.Layer = e, m.layer
		nodes[j] = n
		for p := n.Parent; p != nil && p.childMark != mark; p = p.Parent {
			p.childMark = mark
		}
		switch e.Type {
		case TypeDir:
			if n.kids == nil {
				n.kids = map[string]*Node{}
			}
		case TypeRegular:
			n.Content, n.contentID = e, id
		case TypeHardlink:
			m.link(n, e)
		}
	}
	return nodes
}

// link makes the hardlink entry e at node n share its target's inode. A
// tar hardlink means "the same inode", which need not be a regular file:
// a hardlink to a symlink is a symlink with the same target (cp -al, ln of
// a symlink), one to a FIFO or device is one too. Targets under AUFS's
// .wh..wh.plnk are the layer's link sources. A hardlink to a directory or
// to nothing is reported, and the node keeps no content.
func (m *merger) link(n *Node, e *Entry) {
	if isLinkSourcePath(e.Link) {
		if src, ok := m.linkSources[e.Link]; ok {
			n.Content, n.contentID = src.entry, src.id
			m.linked[src.id] = true
			m.displaced[src.id] = displacement{}
			return
		}
	}
	t := m.ix.Root.Lookup(e.Link)
	switch {
	case t != nil && t.Content != nil:
		n.Content, n.contentID = t.Content, t.contentID
		m.linked[t.contentID] = true
		return
	case t != nil && t.Entry.Type != TypeDir && t.Entry.Type != TypeHardlink && t != n:
		// Same inode as a symlink, FIFO or device: the entry is one too.
		same := *e
		same.Type, same.Link = t.Entry.Type, t.Entry.Link
		n.Entry = &same
		return
	}
	what := "which is not a file in the image"
	if t != nil && t.Entry.Type == TypeDir {
		what = "a directory (directories cannot be hardlinked)"
	}
	m.ix.Findings = append(m.ix.Findings, finding.Finding{
		Kind: KindLinkMissing, Severity: finding.Warning, Paths: []string{e.Path, e.Link}, Layer: m.layer + 1,
		Message: "hardlink " + e.Path + " points to " + e.Link + ", " + what,
	})
}

// ensureDir returns the directory node at p ("/a/b", or "" for the root),
// creating implied directories and replacing non-directories in the way. Tar entries come grouped by
// directory, so the last answer is kept and usually reused.
func (m *merger) ensureDir(p string) *Node {
	var d *Node
	switch {
	case m.lastDir != nil && m.lastDirPath == p:
		return m.lastDir
	case m.lastDir != nil:
		// Climb from the last directory to the one both paths share,
		// then walk down: the next entry is usually a sibling's.
		common := commonDir(m.lastDirPath, p)
		cur := m.lastDir
		for _, c := range m.lastDirPath[len(common):] {
			if c == '/' {
				cur = cur.Parent
			}
		}
		d = m.walkDir(cur, p[len(common):])
	default:
		d = m.walkDir(m.ix.Root, p)
	}
	m.lastDir, m.lastDirPath = d, p
	return d
}

// commonDir returns the longest directory path a and b both lie in, as a
// prefix of both; paths are "/a/b", the root is "".
func commonDir(a, b string) string {
	n := min(len(a), len(b))
	i := 0
	for i < n && a[i] == b[i] {
		i++
	}
	if (i == len(a) || a[i] == '/') && (i == len(b) || b[i] == '/') {
		return a[:i]
	}
	return a[:strings.LastIndexByte(a[:i], '/')]
}

// walkDir walks the relative path p down from cur, creating implied
// directories and replacing non-directories in the way.
func (m *merger) walkDir(cur *Node, p string) *Node {
	for p != "/" && p != "" {
		p = strings.TrimPrefix(p, "/")
		name, rest, _ := strings.Cut(p, "/")
		next := cur.kids[name]
		if next != nil && next.Entry.Type != TypeDir {
			m.ix.Findings = append(m.ix.Findings, finding.Finding{
				Kind: KindReplacedByDir, Severity: finding.Warning, Paths: []string{next.Path()}, Layer: m.layer + 1,
				Message: "layer " + strconv.Itoa(m.layer+1) + " writes below " + next.Path() + ", a " + next.Entry.Type.String() + " of layer " + strconv.Itoa(next.Layer+1) + "; it becomes a directory",
			})
			m.displace(next, ReasonReplaced, next.Path())
			delete(cur.kids, name)
			next = m.newNode(name, cur)
			next.Layer, next.kids = -1, map[string]*Node{}
			next.Entry = &Entry{Path: next.Path(), Type: TypeDir, Mode: 0o755}
			cur.kids[name] = next
			m.ix.Changes[m.layer].Modified++ // the path was there; it changes type
		}
		if next == nil {
			next = m.newNode(name, cur)
			next.Layer, next.kids = -1, map[string]*Node{}
			next.Entry = &Entry{Path: next.Path(), Type: TypeDir, Mode: 0o755}
			cur.kids[name] = next
			m.ix.Changes[m.layer].Added++
		}
		cur, p = next, rest
	}
	return cur
}

// newNode allocates a node from a slab: a few large allocations instead of
// one per path.
func (m *merger) newNode(name string, parent *Node) *Node {
	if len(m.slab) == 0 {
		m.slab = make([]Node, 1024)
	}
	n := &m.slab[0]
	m.slab = m.slab[1:]
	n.Name, n.Parent, n.contentID, n.created = name, parent, -1, int32(m.layer)
	return n
}

// displace records that the regular files at and below n stop being visible
// through these paths because of the current layer.
func (m *merger) displace(n *Node, reason WasteReason, root string) {
	m.lastDir = nil // the remembered directory may be what goes away
	r := &root
	var walk func(*Node)
	walk = func(n *Node) {
		if n.Entry.Type == TypeRegular && n.contentID >= 0 && m.displaced[n.contentID].reason == 0 {
			m.displaced[n.contentID] = displacement{by: int32(m.layer), reason: reason, root: r}
		}
		m.keepDive(n)
		for _, c := range n.kids {
			walk(c)
		}
	}
	walk(n)
}

// subtreeFileBytes sums the sizes of the regular files at and below n, as
// visible during the merge.
func subtreeFileBytes(n *Node) int64 {
	var sum int64
	if n.Entry.Type == TypeRegular {
		sum = n.Entry.Size
	}
	for _, c := range n.kids {
		sum += subtreeFileBytes(c)
	}
	return sum
}

// account computes directory sizes, totals, waste and duplicates once the
// final tree is known.
func (m *merger) account() {
	ix := m.ix
	visible := make([]bool, len(ix.entries))
	seenLinked := map[int32]bool{}
	type candidate struct {
		size int64
		hash uint64
		node *Node
	}
	var candidates []candidate // distinct visible contents, for duplicates
	t := &ix.Totals
	var sum func(n *Node)
	sum = func(n *Node) {
		n.Bytes, n.Files = 0, 0
		switch n.Entry.Type {
		case TypeDir:
			t.Dirs++
			for _, c := range n.Children {
				sum(c)
				n.Bytes += c.Bytes
				n.Files += c.Files
			}
			return
		case TypeSymlink:
			t.Symlinks++
		case TypeRegular, TypeHardlink:
			t.Files++
		default:
			t.Others++
		}
		if n.Content == nil {
			return
		}
		visible[n.contentID] = true
		if m.linked[n.contentID] {
			if seenLinked[n.contentID] {
				return
			}
			seenLinked[n.contentID] = true
		}
		n.Bytes, n.Files = n.Content.Size, 1
		if n.Content.Size > 0 {
			candidates = append(candidates, candidate{n.Content.Size, n.Content.Hash, n})
		}
	}
	sum(ix.Root)
	t.Dirs-- // the root
	t.Layers = len(ix.Layers)
	t.VisibleBytes = ix.Root.Bytes
	for i, l := range ix.Layers {
		t.StoredBytes += l.StoredBytes
		t.TarBytes += l.TarBytes
		for j := range l.Entries {
			e := &l.Entries[j]
			if !e.Type.HasContent() {
				continue
			}
			t.ContentBytes += e.Size
			id := m.base[i] + int32(j)
			if visible[id] || e.Size == 0 {
				continue
			}
			d := m.displaced[id]
			w := Waste{Path: e.Path, Layer: i, Bytes: e.Size, Reason: d.reason, By: int(d.by)}
			if d.root != nil {
				w.Root = *d.root
			}
			ix.Wasted = append(ix.Wasted, w)
			ix.Changes[i].WastedBytes += e.Size
			t.WastedBytes += e.Size
		}
	}
	slices.SortFunc(ix.Wasted, func(a, b Waste) int {
		if a.Bytes != b.Bytes {
			return cmp.Compare(b.Bytes, a.Bytes)
		}
		if a.Path != b.Path {
			return strings.Compare(a.Path, b.Path)
		}
		return cmp.Compare(a.Layer, b.Layer)
	})
	t.Efficiency = 1
	if t.ContentBytes > 0 {
		t.Efficiency = float64(t.VisibleBytes) / float64(t.ContentBytes)
	}
	// Identical contents end up next to each other once sorted by size
	// and hash.
	slices.SortFunc(candidates, func(a, b candidate) int {
		if c := cmp.Compare(a.size, b.size); c != 0 {
			return c
		}
		return cmp.Compare(a.hash, b.hash)
	})
	for i := 0; i < len(candidates); {
		j := i + 1
		for j < len(candidates) && candidates[j].size == candidates[i].size && candidates[j].hash == candidates[i].hash {
			j++
		}
		if j-i >= 2 {
			paths := make([]string, 0, j-i)
			for _, c := range candidates[i:j] {
				paths = append(paths, c.node.Path())
			}
			sort.Strings(paths)
			size := candidates[i].size
			d := Duplicate{Size: size, Hash: candidates[i].hash, Paths: paths, Reclaimable: size * int64(len(paths)-1)}
			ix.Duplicates = append(ix.Duplicates, d)
			t.DuplicateBytes += d.Reclaimable
		}
		i = j
	}
	sort.Slice(ix.Duplicates, func(i, j int) bool {
		a, b := ix.Duplicates[i], ix.Duplicates[j]
		if a.Reclaimable != b.Reclaimable {
			return a.Reclaimable > b.Reclaimable
		}
		return a.Paths[0] < b.Paths[0]
	})
	m.diveTotals()
	var fromScan []finding.Finding
	for i, l := range ix.Layers {
		for _, f := range l.Findings {
			f.Layer = i + 1
			fromScan = append(fromScan, f)
		}
	}
	ix.Findings = append(fromScan, ix.Findings...)
}

// The kinds of the findings the index reports.
const (
	// KindClimbsOut: a tar entry's name climbs out of the root with "..".
	KindClimbsOut = "tar/climbs-out"
	// KindUnsupportedEntry: a tar entry of a type a layer cannot hold.
	KindUnsupportedEntry = "tar/unsupported-entry"
	// KindBadWhiteout: a whiteout that names no file (".wh.", ".wh..")
	// or an opaque marker that is not a file.
	KindBadWhiteout = "tar/bad-whiteout"
	// KindRootEntry: an entry that is not a directory names "/".
	KindRootEntry = "tar/root-entry"
	// KindLinkOutside: a hardlink whose target climbs out of the root.
	KindLinkOutside = "link/outside-root"
	// KindLinkMissing: a hardlink to a path that is not a file.
	KindLinkMissing = "link/missing-target"
	// KindReplacedByDir: a layer writes below a lower layer's
	// non-directory, which becomes a directory.
	KindReplacedByDir = "layer/replaced-by-directory"
)
