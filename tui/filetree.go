package tui

import (
	"bytes"
	"cmp"
	"slices"
	"strings"

	"github.com/whittle-dev/whittle/analyze"
)

// fnode is one path of a file tree the browser shows: the image's merged
// file system, or the entries of one layer.
type fnode struct {
	name     string
	parent   *fnode
	children []*fnode // sorted by name; nil for anything but a non-empty directory
	bySize   []*fnode // the children largest first, made when first asked for
	// entry is the entry at this path (the visible one in the merged tree,
	// the layer's own in a layer tree); nil for a directory that no entry
	// wrote and for a whiteout.
	entry *analyze.Entry
	// bytes is a file's size (0 for a hardlink another path already
	// counts) or the total below a directory; for a whiteout, the stored
	// bytes it deleted.
	bytes int64
	// hidden is, in a layer tree, the stored bytes of lower layers that
	// this path's entry made invisible (overwrote, deleted or hid below an
	// opaque directory).
	hidden  int64
	layer   int // the layer that wrote the entry; -1 for none
	change  analyze.Change
	dir     bool
	opaque  bool // a layer's opaque marker hides the directory's lower contents
	deleted bool // a whiteout
	// open says whether a directory shows its children; filterOpen the
	// same while a filter is active, so that filtering leaves the
	// unfiltered tree as the user had it.
	open       bool
	filterOpen bool
	match      match

	// full is the node's absolute path ("/" for the root).
	full string
	// The plan's marks (merged tree only): reach says a root of the
	// closure reaches the file (or something below the directory); kept
	// and dropped are what a build of the plan does with the path, and
	// keptBytes the bytes it keeps at and below it (see estimateTree).
	reach, kept, dropped bool
	keptBytes            int64
	// shown is false for what a layer tree's change filters hide.
	hiddenByShow bool
}

// match is what a filter found at and below a node.
type match uint8

const (
	matchNone  match = iota // neither the path nor anything below holds the text
	matchBelow              // something below the path holds it
	matchSelf               // the path holds it (and so does all below)
)

// fileTree is a tree with the browser state that belongs to it.
type fileTree struct {
	root *fnode
	// matched is the filter the nodes' match fields were computed for.
	matched string
	// cursor and offset are the selected node and the first shown row,
	// kept while another tree is shown.
	cursor *fnode
	offset int
	// shown are the show flags the layer tree's marks were computed for.
	shown [4]bool
}

// row is a node at its depth in the flattened, shown tree.
type row struct {
	n     *fnode
	depth int
}

// path returns the node's absolute path.
func (n *fnode) path() string {
	if n.parent == nil {
		return "/"
	}
	var parts []string
	for m := n; m.parent != nil; m = m.parent {
		parts = append(parts, m.name)
	}
	slices.Reverse(parts)
	return "/" + strings.Join(parts, "/")
}

// isOpen reports whether a directory shows its children.
func (n *fnode) isOpen(filtering bool) bool {
	if filtering {
		return n.filterOpen
	}
	return n.open
}

// setOpen opens or closes a directory; opening also opens a chain of
// directories that are each the only child of the one above.
func (n *fnode) setOpen(filtering, open bool) {
	for {
		if filtering {
			n.filterOpen = open
		} else {
			n.open = open
		}
		if !open || len(n.children) != 1 || !n.children[0].dir {
			return
		}
		n = n.children[0]
	}
}

// sorted returns the children by name or largest first.
func (n *fnode) sorted(bySize bool) []*fnode {
	if !bySize || len(n.children) < 2 {
		return n.children
	}
	if n.bySize == nil {
		n.bySize = slices.Clone(n.children)
		slices.SortStableFunc(n.bySize, func(a, b *fnode) int { return cmp.Compare(b.bytes, a.bytes) })
	}
	return n.bySize
}

// nodeSlab hands out nodes from large allocations.
type nodeSlab struct{ free []fnode }

func (s *nodeSlab) alloc() *fnode {
	if len(s.free) == 0 {
		s.free = make([]fnode, 4096)
	}
	n := &s.free[0]
	s.free = s.free[1:]
	return n
}

// mergedTree converts the index's final file system.
func mergedTree(root *analyze.Node) *fnode {
	var slab nodeSlab
	var conv func(n *analyze.Node, parent *fnode) *fnode
	conv = func(n *analyze.Node, parent *fnode) *fnode {
		f := slab.alloc()
		*f = fnode{name: n.Name, parent: parent, entry: n.Entry, bytes: n.Bytes, layer: n.Layer, dir: n.IsDir(), full: "/"}
		if parent != nil {
			f.full = childPath(parent.full, n.Name)
		}
		if len(n.Children) > 0 {
			f.children = make([]*fnode, len(n.Children))
			for i, c := range n.Children {
				f.children[i] = conv(c, f)
			}
		}
		return f
	}
	return conv(root, nil)
}

// layerTree builds the tree of one layer's own entries: what it added,
// modified and removed, with the directories they imply.
func layerTree(ix *analyze.Index, layer int) *fnode {
	li, changes := ix.Layers[layer], ix.EntryChanges[layer]
	root := &fnode{dir: true, layer: -1, full: "/"}
	kids := map[*fnode]map[string]*fnode{}
	walk := func(p string, create bool) *fnode {
		cur := root
		for _, name := range strings.Split(strings.TrimPrefix(p, "/"), "/") {
			if name == "" {
				continue
			}
			m := kids[cur]
			if m == nil {
				if !create {
					return nil
				}
				m = map[string]*fnode{}
				kids[cur] = m
			}
			next := m[name]
			if next == nil {
				if !create {
					return nil
				}
				next = &fnode{name: name, parent: cur, layer: -1, dir: true, full: childPath(cur.full, name)}
				m[name] = next
			}
			cur = next
		}
		return cur
	}
	for j := range li.Entries {
		e := &li.Entries[j]
		n := walk(e.Path, true)
		switch {
		case n == root && e.Type != analyze.TypeDir:
			// The merge ignores such an entry, and so does the tree.
		case e.Type == analyze.TypeOpaque:
			n.opaque, n.dir = true, true
			if n.entry == nil {
				n.layer, n.change = layer, analyze.ChangeModified
			}
		case e.Type == analyze.TypeWhiteout:
			if n.entry == nil && kids[n] == nil {
				n.deleted, n.dir, n.layer, n.change = true, false, layer, changes[j]
			}
		default:
			n.entry, n.layer, n.change, n.deleted = e, layer, changes[j], false
			n.dir = e.Type == analyze.TypeDir
		}
	}
	for _, w := range ix.Wasted {
		if w.By != layer {
			continue
		}
		if n := walk(w.Root, false); n != nil {
			n.hidden += w.Bytes
		}
	}
	var finish func(n *fnode) int64
	finish = func(n *fnode) int64 {
		if m := kids[n]; len(m) > 0 {
			n.children = make([]*fnode, 0, len(m))
			for _, c := range m {
				n.children = append(n.children, c)
			}
			slices.SortFunc(n.children, func(a, b *fnode) int { return strings.Compare(a.name, b.name) })
		}
		switch {
		case n.deleted:
			// What the layer deleted counts in its directories, as
			// dive shows it: a removed 10 MB doc/ shows under usr/share.
			n.bytes = n.hidden
			return n.bytes
		case n.dir:
			n.bytes = 0
			for _, c := range n.children {
				n.bytes += finish(c)
			}
		case n.entry != nil && n.entry.Type == analyze.TypeRegular:
			n.bytes = n.entry.Size
		}
		return n.bytes
	}
	finish(root)
	return root
}

// childPath joins a directory's path and a name.
func childPath(dir, name string) string {
	if dir == "/" {
		return "/" + name
	}
	return dir + "/" + name
}

// markShown hides, in a layer tree, the entries whose change show leaves
// out, and the directories with nothing shown below them. It reports
// whether anything at or below n is shown.
func markShown(n *fnode, show [4]bool) bool {
	if !n.dir || len(n.children) == 0 {
		n.hiddenByShow = !show[changeIndex(n.change)]
		return !n.hiddenByShow
	}
	shown := false
	for _, c := range n.children {
		if markShown(c, show) {
			shown = true
		}
	}
	n.hiddenByShow = !shown && (n.entry == nil || !show[changeIndex(n.change)])
	return !n.hiddenByShow
}

// changeIndex maps a change to the show flags: added, removed, modified,
// unmodified (dive's order).
func changeIndex(c analyze.Change) int {
	switch c {
	case analyze.ChangeAdded:
		return 0
	case analyze.ChangeRemoved:
		return 1
	case analyze.ChangeModified:
		return 2
	}
	return 3
}

// markMatches sets every node's match for a filter and closes the
// directories of the filtered view but those on the way to a match.
func markMatches(root *fnode, text string) {
	t := []byte(text)
	buf := make([]byte, 0, 256)
	var walk func(n *fnode, inherited bool) bool
	walk = func(n *fnode, inherited bool) bool {
		found := false
		for _, c := range n.children {
			l := len(buf)
			buf = append(append(buf, '/'), c.name...)
			self := inherited || bytes.Contains(buf, t)
			below := walk(c, self)
			switch {
			case self:
				c.match = matchSelf
			case below:
				c.match = matchBelow
			default:
				c.match = matchNone
			}
			c.filterOpen = c.match == matchBelow
			found = found || self || below
			buf = buf[:l]
		}
		return found
	}
	walk(root, false)
}

// flatten lists the rows a tree shows: the children of open directories,
// in the chosen order, and with a filter only the matching paths and
// those on the way to them.
func flatten(root *fnode, bySize, filtering bool) []row {
	var rows []row
	var walk func(n *fnode, depth int)
	walk = func(n *fnode, depth int) {
		for _, c := range n.sorted(bySize) {
			if filtering && c.match == matchNone || c.hiddenByShow {
				continue
			}
			rows = append(rows, row{c, depth})
			if c.dir && c.isOpen(filtering) {
				walk(c, depth+1)
			}
		}
	}
	walk(root, 0)
	return rows
}
