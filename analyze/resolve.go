package analyze

import (
	"io/fs"

	"github.com/whittle-dev/whittle/internal/imagefs"
)

// Resolve finds the node p names below n, taken as the image root, with
// the one image path resolver (internal/imagefs): symlinks in parent
// directories are followed, absolute targets start at n, ".." stops at n,
// loops end with an error wrapping imagefs.ErrLoop, and a missing path
// gives one matching fs.ErrNotExist. mode says whether a final symlink is
// followed. The Resolved says which links were followed.
func (n *Node) Resolve(p string, mode imagefs.Mode) (*Node, imagefs.Resolved, error) {
	return imagefs.Walk[*Node](nodeTree{n}, p, mode)
}

// nodeTree is the merged tree as an imagefs.Tree.
type nodeTree struct{ root *Node }

func (t nodeTree) Root() *Node { return t.root }

func (t nodeTree) Child(dir *Node, name string) (*Node, fs.FileMode, error) {
	c := dir.Child(name)
	if c == nil {
		return nil, 0, fs.ErrNotExist
	}
	switch c.Entry.Type {
	case TypeDir:
		return c, fs.ModeDir, nil
	case TypeSymlink:
		return c, fs.ModeSymlink, nil
	}
	return c, c.Entry.FileMode().Type(), nil
}

func (t nodeTree) ReadLink(n *Node) (string, error) { return n.Entry.Link, nil }
