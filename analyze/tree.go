package analyze

import (
	"cmp"
	"slices"
	"sort"
	"strings"
	"unsafe"
)

// Node is a path in the merged (final) file system.
type Node struct {
	Name     string
	Parent   *Node
	Children []*Node // sorted by name; directories only
	// Entry is the visible entry; for a directory that no layer wrote (an
	// implied parent) it is a synthesised 0755 root-owned directory.
	Entry *Entry
	// Layer is the index of the layer whose entry is visible, -1 for an
	// implied directory.
	Layer int
	// Content is the regular-file entry holding this file's bytes: the
	// entry itself for a regular file, the link target for a hardlink, nil
	// for anything else.
	Content *Entry
	// Bytes is, for a file, the bytes it adds to the image: its size, or 0
	// when another path already counts its hardlinked content; for a
	// directory, the sum over everything below it.
	Bytes int64
	// Files is, for a directory, the number of distinct regular files
	// (hardlinks counted once) below it; for a file, 1 when this path is
	// the one that counts its content.
	Files int
	// ID numbers the nodes of an index densely in walk order (Walk's):
	// 0 for the root up to Index.Nodes-1, for slices indexed by node.
	ID int32

	contentID int32 // index into Index.entries of Content; -1 when none
	kids      map[string]*Node
	// childMark is 1 + the last layer that wrote an entry below this node
	// (dive's leaves are the entries with nothing below them in their layer).
	childMark int32
	// diveMark is 1 + the last layer whose entry for this node dive counted.
	diveMark int32
	// created is the layer that made the node.
	created int32
	// dive is dive's tally for this path while the node is in the tree.
	dive diveData
}

// Path returns the node's absolute path. The merge sets every node's
// Entry at that node's path, so it is the entry's (clean) path; a node
// built otherwise (no Entry, or an entry with no path) has it made from
// the names up to the root.
func (n *Node) Path() string {
	if n.Entry != nil && n.Entry.Path != "" {
		return n.Entry.Path
	}
	if n.Parent == nil {
		return "/"
	}
	depth, size := 0, 0
	for m := n; m.Parent != nil; m = m.Parent {
		depth++
		size += len(m.Name) + 1
	}
	b := make([]byte, size)
	i := size
	for m := n; m.Parent != nil; m = m.Parent {
		i -= len(m.Name)
		copy(b[i:], m.Name)
		i--
		b[i] = '/'
	}
	// b is not written again: the string shares it (one allocation, not
	// two, for the path of every file a walk asks).
	return unsafe.String(&b[0], len(b))
}

// IsDir reports whether the node is a directory.
func (n *Node) IsDir() bool { return n.Entry.Type == TypeDir }

// Child returns the child with the given name, or nil.
func (n *Node) Child(name string) *Node {
	if n.kids != nil {
		return n.kids[name]
	}
	i := sort.Search(len(n.Children), func(i int) bool { return n.Children[i].Name >= name })
	if i < len(n.Children) && n.Children[i].Name == name {
		return n.Children[i]
	}
	return nil
}

// Lookup returns the node at an absolute path taken literally, without
// following symlinks, or nil. It is for the tree's own paths (tar entry
// names, Node.Path results); a path from the user or the image config may
// go through a symlinked directory and is found with Resolve.
func (n *Node) Lookup(p string) *Node {
	cur := n
	for p != "" {
		p = strings.TrimLeft(p, "/")
		if p == "" {
			break
		}
		name := p
		if i := strings.IndexByte(p, '/'); i >= 0 {
			name, p = p[:i], p[i:]
		} else {
			p = ""
		}
		if name == "." {
			continue
		}
		if name == ".." {
			if cur.Parent != nil {
				cur = cur.Parent
			}
			continue
		}
		cur = cur.Child(name)
		if cur == nil {
			return nil
		}
	}
	return cur
}

// Walk calls fn for n and everything below it, parents before children,
// children in name order. Returning false from fn skips a directory's
// contents.
func (n *Node) Walk(fn func(*Node) bool) {
	if !fn(n) {
		return
	}
	for _, c := range n.Children {
		c.Walk(fn)
	}
}

// finalise turns the build-time child maps into sorted slices, recursively,
// and numbers the nodes in walk order (Node.ID); it returns how many
// there are. Children are sorted by a key of their names' first eight
// bytes, and by the whole names only where keys tie, which keeps the
// comparisons in registers.
func (n *Node) finalise() int {
	var scratch []keyed
	var next int32
	var walk func(n *Node)
	walk = func(n *Node) {
		n.ID = next
		next++
		if n.kids != nil {
			scratch = scratch[:0]
			for _, c := range n.kids {
				scratch = append(scratch, keyed{nameKey(c.Name), c})
			}
			slices.SortFunc(scratch, func(a, b keyed) int {
				if a.key != b.key {
					return cmp.Compare(a.key, b.key)
				}
				return strings.Compare(a.n.Name, b.n.Name)
			})
			n.Children = make([]*Node, len(scratch))
			for i, k := range scratch {
				n.Children[i] = k.n
			}
			n.kids = nil
		}
		for _, c := range n.Children {
			walk(c)
		}
	}
	walk(n)
	return int(next)
}

type keyed struct {
	key uint64
	n   *Node
}

// nameKey orders names like strings.Compare does on their first 8 bytes.
func nameKey(s string) uint64 {
	var k uint64
	for i := 0; i < 8; i++ {
		k <<= 8
		if i < len(s) {
			k |= uint64(s[i])
		}
	}
	return k
}
