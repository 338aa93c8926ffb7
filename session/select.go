package session

import (
	"fmt"
	"path"
	"sort"
	"strconv"
	"strings"

	"github.com/whittle-dev/whittle/analyze"
	"github.com/whittle-dev/whittle/finding"
	"github.com/whittle-dev/whittle/internal/glob"
	"github.com/whittle-dev/whittle/internal/imagefs"
	"github.com/whittle-dev/whittle/internal/reprotar"
)

// Entry is one path a build writes: a source node, or a generated file.
type Entry struct {
	Path  string
	Node  *analyze.Node  // nil for a generated file
	Extra *reprotar.File // set for a generated file
}

// Selection is what a build writes, decided before it writes: the
// builder writes Entries (adding to each layer the parent directories
// its entries need), and Totals are what the result holds.
type Selection struct {
	// Entries are the source paths kept (files, and directories kept for
	// themselves) and the generated files, sorted by path.
	Entries []Entry
	// Kept are the visible paths the result holds, parents included;
	// Removed the visible source paths it does not hold (directories
	// included); both sorted. RemovedBytes are the bytes of the regular
	// files left out.
	Kept, Removed []string
	RemovedBytes  int64
	// Dangling are the kept symlinks whose targets are left out
	// (KindDanglingLink).
	Dangling []finding.Finding
	// Totals are the result's figures.
	Totals Totals
}

// Totals are a result's figures as its index would count them: regular
// files (hard links included), their bytes (a content shared by hard
// links once), and the bytes of its uncompressed tar stream as one layer
// (headers, PAX records for long or non-ASCII names, padding and the
// end-of-archive blocks; each further layer adds its parent directories
// and 1,024 bytes).
type Totals struct {
	Files     int   `json:"files"`
	FileBytes int64 `json:"file_bytes"`
	TarBytes  int64 `json:"tar_bytes"`
}

// KindDanglingLink: a kept symlink whose target was left out.
const KindDanglingLink = "build/dangling-link"

// Select decides the entries a build writes from the index: the
// non-directory paths keep accepts, the directories keep accepts for
// themselves, the parents of both, and extra (which replaces a source
// path of the same name; a generated directory's source contents stay).
// It walks the tree twice, in time linear in its size.
func Select(ix *analyze.Index, keep func(*analyze.Node) bool, extra []reprotar.File) *Selection {
	sel := &Selection{}
	generated := map[string]*reprotar.File{}
	for i := range extra {
		f := &extra[i]
		generated[path.Clean("/"+f.Path)] = f
	}
	kept := map[string]bool{}
	// Every node with its path, each path made once (Node.Path costs a
	// node's depth).
	type placed struct {
		path string
		node *analyze.Node
	}
	var all []placed
	var walk func(n *analyze.Node, p string)
	walk = func(n *analyze.Node, p string) {
		all = append(all, placed{p, n})
		if p == "/" {
			p = ""
		}
		for _, c := range n.Children {
			walk(c, p+"/"+c.Name)
		}
	}
	walk(ix.Root, "/")
	all = all[1:] // the root
	// Files first, then directories: a directory's own keep is asked
	// after its children's, as the builder always did.
	for _, pl := range all {
		if _, ok := generated[pl.path]; ok || pl.node.IsDir() {
			continue // replaced by a generated file, or a directory
		}
		if keep != nil && keep(pl.node) {
			kept[pl.path] = true
			sel.Entries = append(sel.Entries, Entry{Path: pl.path, Node: pl.node})
		} else if pl.node.Content != nil {
			sel.RemovedBytes += pl.node.Content.Size
		}
	}
	for _, pl := range all {
		if _, ok := generated[pl.path]; ok || !pl.node.IsDir() || kept[pl.path] {
			continue
		}
		if keep != nil && keep(pl.node) {
			kept[pl.path] = true
			sel.Entries = append(sel.Entries, Entry{Path: pl.path, Node: pl.node})
		}
	}
	for p, f := range generated {
		sel.Entries = append(sel.Entries, Entry{Path: p, Extra: f})
		kept[p] = true
	}
	// Parents: each added once, so a deep tree costs its size.
	for _, e := range sel.Entries {
		for d := path.Dir(e.Path); d != "/" && !kept[d]; d = path.Dir(d) {
			kept[d] = true
		}
	}
	sort.Slice(sel.Entries, func(i, j int) bool { return sel.Entries[i].Path < sel.Entries[j].Path })
	for _, e := range sel.Entries {
		if e.Node != nil && e.Node.Entry.Type == analyze.TypeSymlink {
			sel.Dangling = append(sel.Dangling, danglingIfGone(ix, e.Path, kept)...)
		}
	}
	sel.Kept = make([]string, 0, len(kept))
	for p := range kept {
		sel.Kept = append(sel.Kept, p)
	}
	sort.Strings(sel.Kept)
	for _, pl := range all {
		if !kept[pl.path] {
			sel.Removed = append(sel.Removed, pl.path)
		}
	}
	sort.Strings(sel.Removed)
	sel.Totals = sel.totals(ix)
	return sel
}

// Holds reports whether the result holds the visible path p.
func (s *Selection) Holds(p string) bool {
	i := sort.SearchStrings(s.Kept, p)
	return i < len(s.Kept) && s.Kept[i] == p
}

// totals counts the result's figures (see Totals).
func (s *Selection) totals(ix *analyze.Index) Totals {
	var t Totals
	entries := map[string]bool{}
	first := map[*analyze.Entry]string{}
	add := func(name, link string, size int64) {
		t.TarBytes += tarEntryBytes(name, link, size)
	}
	for _, e := range s.Entries {
		entries[e.Path] = true
		if f := e.Extra; f != nil {
			switch f.Kind {
			case reprotar.Regular:
				t.Files++
				t.FileBytes += int64(len(f.Data))
				add(e.Path, "", int64(len(f.Data)))
			case reprotar.Hardlink:
				t.Files++
				add(e.Path, f.Link, 0)
			default:
				add(e.Path, f.Link, 0)
			}
			continue
		}
		n := e.Node
		switch {
		case n.IsDir():
			add(e.Path+"/", "", 0)
		case n.Content != nil:
			t.Files++
			if p, ok := first[n.Content]; ok {
				add(e.Path, p, 0) // a hard link to the first
				continue
			}
			first[n.Content] = e.Path
			t.FileBytes += n.Content.Size
			add(e.Path, "", n.Content.Size)
		default:
			add(e.Path, n.Entry.Link, 0)
		}
	}
	for _, p := range s.Kept {
		if !entries[p] {
			add(p+"/", "", 0) // a parent the layer adds
		}
	}
	t.TarBytes += 1024
	return t
}

// tarEntryBytes is what one entry costs in a PAX tar stream: its
// header, a PAX extended header when the name or link does not fit the
// ustar fields (or is not ASCII), and its content padded to blocks.
func tarEntryBytes(name, link string, size int64) int64 {
	name = strings.TrimPrefix(name, "/")
	n := int64(512) + (size+511)/512*512
	var pax int64
	if !fitsUSTAR(name, true) {
		pax += paxRecordLen("path", name)
	}
	if link != "" && !fitsUSTAR(link, false) {
		pax += paxRecordLen("linkpath", link)
	}
	if pax > 0 {
		n += 512 + (pax+511)/512*512
	}
	return n
}

// fitsUSTAR reports whether s fits a ustar name field (100 bytes, or a
// 155-byte prefix split at a slash for names) in ASCII.
func fitsUSTAR(s string, name bool) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= 0x80 || s[i] == 0 {
			return false
		}
	}
	if len(s) <= 100 {
		return true
	}
	if !name || len(s) > 256 {
		return false
	}
	i := strings.LastIndexByte(s[:min(len(s), 156)], '/')
	return i > 0 && len(s)-i-1 <= 100
}

// paxRecordLen is the length of the PAX record "LEN key=value\n", LEN
// counting itself.
func paxRecordLen(key, value string) int64 {
	body := len(key) + len(value) + 3 // " ", "=" and "\n"
	n := body + len(strconv.Itoa(body))
	if len(strconv.Itoa(n)) > len(strconv.Itoa(body)) {
		n++
	}
	return int64(n)
}

// danglingIfGone reports the symlink at p when the path it resolves to in
// the source is not kept (a link dangling in the source already is not
// the trim's doing).
func danglingIfGone(ix *analyze.Index, p string, kept map[string]bool) []finding.Finding {
	n, r, err := ix.Root.Resolve(p, imagefs.Follow)
	if err != nil || n == nil {
		return nil
	}
	real := n.Path()
	if kept[real] || real == "/" {
		return nil
	}
	return []finding.Finding{{
		Kind: KindDanglingLink, Severity: finding.Warning, Paths: []string{p, real},
		Message: fmt.Sprintf("kept symlink %s leads to %s, which the trim leaves out", r.String(), real),
		Fix:     "keep " + real + " (plan keep:) or drop " + p,
	}}
}

// globList is a list of plan globs compiled once, for matching every path
// of an image against it.
type globList []glob.Glob

func newGlobList(patterns []string) globList {
	out := make(globList, len(patterns))
	for i, p := range patterns {
		out[i] = glob.Compile(p)
	}
	return out
}

// match reports whether any glob matches the image path p.
func (l globList) match(p string) bool {
	if len(l) == 0 {
		return false
	}
	parts := glob.SplitPath(p)
	for _, g := range l {
		if g.MatchSplit(p, parts) {
			return true
		}
	}
	return false
}

// without wraps keep so that a path the globs match is never kept.
func (l globList) without(keep func(*analyze.Node) bool) func(*analyze.Node) bool {
	if len(l) == 0 {
		return keep
	}
	return func(n *analyze.Node) bool {
		return !l.match(n.Path()) && keep(n)
	}
}
