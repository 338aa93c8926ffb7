// Package diff compares the final file systems of two indexed images path
// by path: what was added, removed and changed (content, size, mode,
// owner, link target, type), with sizes and totals, as text for a person
// and as JSON (schema whittle.diff/v1, docs/diff-json.md). It never reads
// layers itself: it walks the two indexes' merged trees.
package diff

import (
	"github.com/whittle-dev/whittle/analyze"
)

// Status says what happened to a path from A to B.
type Status string

// Statuses.
const (
	Added   Status = "added"
	Removed Status = "removed"
	Changed Status = "changed"
)

// What changed, in the order Row.Changes lists them.
const (
	ChangeType    = "type"
	ChangeContent = "content"
	ChangeSize    = "size"
	ChangeMode    = "mode"
	ChangeOwner   = "owner"
	ChangeLink    = "link"
)

// Attrs are what diff compares of one path.
type Attrs struct {
	Type string // file, dir, symlink, hardlink, char, block, fifo
	// Size is a regular file's (or a hardlink's target's) size; 0 else.
	Size int64
	Mode uint32 // permission bits with setuid, setgid and sticky
	UID  int
	GID  int
	// Link is a symlink's target as written, or a hardlink's target path.
	Link string
	// Hash is the content's xxHash64, 0 when there is no content.
	Hash uint64
}

// Row is one path that differs. Before is nil for an added path, After
// for a removed one.
type Row struct {
	Path    string
	Status  Status
	Before  *Attrs
	After   *Attrs
	Changes []string // for Changed: ChangeType, ChangeContent, … in that order
}

// Size is the path's size in B, or in A when it was removed.
func (r Row) Size() int64 {
	if r.After != nil {
		return r.After.Size
	}
	return r.Before.Size
}

// Totals sum the rows. Bytes are sizes of regular files (and hardlinks'
// content, counted per path).
type Totals struct {
	Added, Removed, Changed int
	AddedBytes              int64 // sizes of added paths
	RemovedBytes            int64 // sizes of removed paths
	ChangedBytesBefore      int64 // sizes of changed paths in A
	ChangedBytesAfter       int64 // sizes of changed paths in B
	// Delta is the change in total size from A to B: added - removed +
	// changed after - changed before.
	Delta int64
}

// Result is the comparison of A with B: the differing paths in tree
// order (parents before children, names in byte order) and the totals.
type Result struct {
	Rows   []Row
	Totals Totals
}

// Compare compares the final file system of a with that of b.
func Compare(a, b *analyze.Index) *Result {
	r := &Result{}
	r.walk(a.Root, b.Root)
	for _, row := range r.Rows {
		t := &r.Totals
		switch row.Status {
		case Added:
			t.Added++
			t.AddedBytes += row.After.Size
		case Removed:
			t.Removed++
			t.RemovedBytes += row.Before.Size
		case Changed:
			t.Changed++
			t.ChangedBytesBefore += row.Before.Size
			t.ChangedBytesAfter += row.After.Size
		}
	}
	t := &r.Totals
	t.Delta = t.AddedBytes - t.RemovedBytes + t.ChangedBytesAfter - t.ChangedBytesBefore
	return r
}

// walk compares the children of two directories (either may be nil),
// merging their sorted child lists.
func (r *Result) walk(a, b *analyze.Node) {
	var ac, bc []*analyze.Node
	if a != nil && a.IsDir() {
		ac = a.Children
	}
	if b != nil && b.IsDir() {
		bc = b.Children
	}
	i, j := 0, 0
	for i < len(ac) || j < len(bc) {
		switch {
		case j == len(bc) || i < len(ac) && ac[i].Name < bc[j].Name:
			r.one(ac[i], nil)
			i++
		case i == len(ac) || bc[j].Name < ac[i].Name:
			r.one(nil, bc[j])
			j++
		default:
			r.one(ac[i], bc[j])
			i++
			j++
		}
	}
}

// one records the path of a and/or b, then what is below it.
func (r *Result) one(a, b *analyze.Node) {
	switch {
	case a == nil:
		r.Rows = append(r.Rows, Row{Path: b.Path(), Status: Added, After: attrs(b)})
	case b == nil:
		r.Rows = append(r.Rows, Row{Path: a.Path(), Status: Removed, Before: attrs(a)})
	default:
		before, after := attrs(a), attrs(b)
		if ch := changes(before, after); len(ch) > 0 {
			r.Rows = append(r.Rows, Row{Path: a.Path(), Status: Changed, Before: before, After: after, Changes: ch})
		}
	}
	r.walk(a, b)
}

func attrs(n *analyze.Node) *Attrs {
	e := n.Entry
	at := &Attrs{Type: e.Type.String(), Mode: e.Mode, UID: int(e.UID), GID: int(e.GID), Link: e.Link}
	if c := n.Content; c != nil {
		at.Size, at.Hash = c.Size, c.Hash
	}
	return at
}

func changes(a, b *Attrs) []string {
	var out []string
	if a.Type != b.Type {
		out = append(out, ChangeType)
	}
	if a.Size != b.Size || a.Hash != b.Hash {
		if a.Hash != b.Hash {
			out = append(out, ChangeContent)
		}
		if a.Size != b.Size {
			out = append(out, ChangeSize)
		}
	}
	if a.Mode != b.Mode {
		out = append(out, ChangeMode)
	}
	if a.UID != b.UID || a.GID != b.GID {
		out = append(out, ChangeOwner)
	}
	if a.Link != b.Link {
		out = append(out, ChangeLink)
	}
	return out
}
