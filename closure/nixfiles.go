package closure

// Nix references, file by file. Nix counts a store path as referenced by
// another when the hash part of the first occurs anywhere in the second's
// NAR: a file's bytes, a symlink's target, an entry's name. The closure
// finds those occurrences for every file, with the path text that follows
// each: a file's bytes give the base-32 runs that may be hash parts
// (nixref.RunScanner, learnt with the other facts while the layers are
// indexed and cached by the bytes alone), which the image's store paths
// resolve (nixref.Set.Resolve); names and link targets are scanned here.
// It makes of them:
//
//   - in packages granularity, the store path → store path references
//     (the union over each store path's files), as Nix has them;
//   - in files granularity, file → what it names: the named subpath when
//     "/nix/store/HASH-name/sub" names one that exists (a directory: its
//     tree), else the whole store path (its node owns every file of it,
//     each with its own references, so what a whole store path reaches
//     over store paths is `nix-store -qR` of it). Where a rule that is
//     certain already says what is needed, the occurrence adds nothing: an
//     ELF file's RPATH/RUNPATH directories and interpreter (the loader
//     rules resolve those), a directory of an ELF file's own store path
//     (gconv, locale and module directories are the run-time rules'; a
//     file of it the ELF file names is needed), a file naming its own
//     store path without a subpath. A symlink needs its target when that is a
//     file (as symlinkEdges has it), never the tree behind a directory: a
//     path resolved through a link needs the link, not the whole
//     directory (/run/current-system -> /nix/store/…-nixos-system must
//     not keep the whole system). The store path holding a link, once
//     needed whole, needs the store path the link leads into whole: a
//     profile or a system path is a tree of links into the packages it
//     holds. So what a store-path root reaches over store paths is
//     `nix-store -qR` of it whenever each reference is needed whole
//     somewhere on the way (by a link, by a name without a subpath); a
//     store path reached only through subpaths that name none of its own
//     references is reached without them.
//
// Both granularities compare the union with Nix's own references (compareNix).

import (
	"fmt"
	"io"
	"maps"
	"path"
	"slices"
	"sort"
	"strings"

	"github.com/whittle-dev/whittle/analyze"
	"github.com/whittle-dev/whittle/closure/elfdeps"
	"github.com/whittle-dev/whittle/closure/graph"
	"github.com/whittle-dev/whittle/internal/imagefs"
	"github.com/whittle-dev/whittle/internal/nixref"
)

// nixFiles is what the builder knows of each file's Nix references.
type nixFiles struct {
	// occ holds the occurrences in each file's bytes, by image path, and
	// the file's ELF facts (nil for other files).
	occ map[string]fileOccurrences
	// found is, per store path, the hash parts of other store paths its
	// files, links and names name: its references as Nix finds them.
	found map[string]map[string]bool
	// rs and sc scan one content at a time (contentScanners).
	rs *nixref.RunScanner
	sc *nixref.Scanner
	mw io.Writer
}

type fileOccurrences struct {
	occ []string
	elf *elfdeps.Info
}

// inStore reports whether image path p lies in the Nix store: a Learner
// learns what every such file names.
func inStore(p string) bool { return storeOf(p) != "" }

// nixKnown reports whether facts say what their file names, as the
// graph needs to know in an image with a Nix store.
func (b *builder) nixKnown(f *contentFacts) bool {
	return b.hashSet == nil || f.NixRuns != nil
}

// contentScanners returns the writer the next content read goes
// through: a RunScanner (what is cached) and a Scanner of the image's
// store paths (for a file with more runs than a RunScanner keeps).
func (x *nixFiles) contentScanners(set *nixref.Set) io.Writer {
	if x.rs == nil {
		x.rs = nixref.NewRunScanner()
		x.sc = set.NewScanner()
		x.sc.TrackOccurrences()
		x.mw = io.MultiWriter(x.rs, x.sc)
	}
	x.rs.Reset()
	x.sc.Reset()
	return x.mw
}

// contentDone ends the content contentScanners read and keeps what it
// names in f.
func (x *nixFiles) contentDone(f *contentFacts) {
	x.sc.EndStream()
	if runs, ok := x.rs.Runs(); ok {
		f.NixRuns = runs
		return
	}
	f.nixOcc = x.sc.Occurrences()
}

// record keeps what a file's bytes name (apply).
func (x *nixFiles) record(p string, f *contentFacts, set *nixref.Set) {
	if set == nil {
		return
	}
	occ := f.nixOcc
	if f.NixRuns != nil {
		occ = set.Resolve(f.NixRuns)
	}
	if len(occ) == 0 {
		return
	}
	if x.occ == nil {
		x.occ = map[string]fileOccurrences{}
	}
	x.occ[p] = fileOccurrences{occ: occ, elf: f.ELF}
}

// nixEdges turns what each file names into edges: store path references
// in packages granularity, file edges in files granularity (see above).
func (b *builder) nixEdges() error {
	if b.hashSet == nil {
		return nil
	}
	b.nix.found = map[string]map[string]bool{}
	// Names and link targets need no reading: scan them here, each a
	// stream of its own, as in a NAR.
	sc := b.hashSet.NewScanner()
	sc.TrackOccurrences()
	scan := func(s string) []string {
		sc.Reset()
		sc.Write([]byte(s))
		sc.EndStream()
		return sc.Occurrences()
	}
	type named struct {
		p    string
		occ  []string
		link bool
		dir  bool
	}
	var names []named
	b.ix.Root.Walk(func(n *analyze.Node) bool {
		p := n.Path()
		sp := storeOf(p)
		if _, ok := b.stores[sp]; !ok || p == sp {
			return true
		}
		if occ := scan(n.Name); len(occ) > 0 {
			names = append(names, named{p: p, occ: occ, dir: n.IsDir()})
		}
		if n.Entry.Type == analyze.TypeSymlink {
			if occ := scan(n.Entry.Link); len(occ) > 0 {
				names = append(names, named{p: p, occ: occ, link: true})
			}
		}
		return true
	})
	for _, nm := range names {
		b.nixFile(nm.p, nm.occ, nil, nm.link, nm.dir)
	}
	for _, p := range slices.Sorted(maps.Keys(b.nix.occ)) {
		fo := b.nix.occ[p]
		b.nixFile(p, fo.occ, fo.elf, false, false)
	}
	if b.c.Granularity == Files {
		return nil
	}
	for _, sp := range slices.Sorted(maps.Keys(b.nix.found)) {
		from := b.stores[sp]
		for _, h := range slices.Sorted(maps.Keys(b.nix.found[sp])) {
			b.g.AddEdge(from, b.stores[b.byHash[h]], graph.NixReference)
		}
	}
	return nil
}

// nixFile handles what one entry names: in its bytes (elf: its ELF facts,
// if it is one), its link target (link) or its name (dir: the entry is a
// directory).
func (b *builder) nixFile(p string, occ []string, elf *elfdeps.Info, link, dir bool) {
	sp := storeOf(p)
	if _, ok := b.stores[sp]; !ok {
		sp = ""
	}
	self := ""
	if sp != "" {
		self = path.Base(sp)[:nixref.HashLen]
	}
	for _, o := range occ {
		h, tail := o[:nixref.HashLen], o[nixref.HashLen:]
		target, ok := b.byHash[h]
		if !ok {
			continue
		}
		if sp != "" && h != self {
			if b.nix.found[sp] == nil {
				b.nix.found[sp] = map[string]bool{}
			}
			b.nix.found[sp][h] = true
		}
		if b.c.Granularity != Files {
			continue
		}
		sub := subpath(target, tail)
		if h == self && (sub == "" || link) {
			continue // its own store path: the other rules say what of it
		}
		if elf != nil && sub != "" && elfCovers(elf, target+sub) {
			continue
		}
		var from graph.NodeID
		switch {
		case dir:
			from = b.stores[sp]
		default:
			if from, ok = b.nodeOf(p); !ok {
				continue
			}
		}
		b.nixEdge(from, p, sp, target, sub, link, elf != nil && h == self)
	}
}

// nixEdge links from (the node of image path p, in store path sp or none)
// to what it names: the subpath sub of store path target when it exists,
// else the whole store path. ownELF says p is an ELF file naming its own
// store path: a directory it names there (gconv, locale, a module
// directory) is left to the run-time rules, which know what of it is
// loaded.
func (b *builder) nixEdge(from graph.NodeID, p, sp, target, sub string, link, ownELF bool) {
	named := target + sub
	to, links, isDir := b.stores[target], []string(nil), false
	if sub != "" {
		res, err := imagefs.Resolve(b.fsys, named)
		if err == nil {
			if _, fi, err := imagefs.Stat(b.fsys, res.Path); err == nil && fi.IsDir() {
				to, isDir = b.dirNode(res.Path), true
			} else if id, ok := b.nodeOf(res.Path); ok {
				to = id
			} else {
				named = target
			}
			links = res.Links
		} else {
			named = target // not there as written: the whole store path
		}
	}
	if named == target {
		if _, fi, err := imagefs.Stat(b.fsys, target); err == nil && fi.IsDir() {
			isDir = true
		}
	}
	if ownELF && (isDir || named == target) {
		return
	}
	why := fmt.Sprintf("%s names %s", p, named)
	if link {
		why = fmt.Sprintf("%s links to %s", p, named)
		if sp != "" && target != sp {
			// A store path needed whole needs what its links lead to
			// whole: a profile or a system path is a tree of links
			// into the packages it holds.
			b.g.AddEdge(b.stores[sp], b.stores[target], graph.NixReference)
			b.explainEdge(b.stores[sp], b.stores[target], why)
		}
		if isDir {
			// A path resolved through a link to a directory needs the
			// link, not the tree behind it.
			return
		}
	}
	for _, l := range links {
		if ln, ok := b.nodeOf(l); ok && ln != from {
			b.g.AddEdge(from, ln, graph.NixReference)
			b.explainEdge(from, ln, why)
		}
	}
	if to == from {
		return
	}
	b.g.AddEdge(from, to, graph.NixReference)
	b.explainEdge(from, to, why)
}

// subpath returns the path inside store path target that the text after
// its hash part names ("-name/etc/ssl/certs/ca-bundle.crt" gives
// "/etc/ssl/certs/ca-bundle.crt"), or "" when it names the store path
// itself, another name, or a path that leaves it.
func subpath(target, tail string) string {
	name := path.Base(target)[nixref.HashLen:]
	rest, ok := strings.CutPrefix(tail, name)
	if !ok || !strings.HasPrefix(rest, "/") {
		return ""
	}
	// A sentence's full stop or comma after a path is no part of it.
	if strings.HasSuffix(rest, ",") || strings.HasSuffix(rest, ".") && !strings.HasSuffix(rest, "..") && !strings.HasSuffix(rest, "/.") {
		rest = rest[:len(rest)-1]
	}
	rel := path.Clean(rest[1:])
	if rel == "." || rel == ".." || strings.HasPrefix(rel, "../") {
		return ""
	}
	return "/" + rel
}

// elfCovers reports whether p is a directory of an ELF file's RPATH or
// RUNPATH or its interpreter: what the loader rules already resolve.
func elfCovers(info *elfdeps.Info, p string) bool {
	if p == path.Clean(info.Interp) {
		return true
	}
	for _, d := range append(slices.Clone(info.RPath), info.RunPath...) {
		if path.Clean(d) == p {
			return true
		}
	}
	return false
}

// compareNix checks the references the scan found, per store path (the
// union over its files, links and names), against Nix's own, in either
// granularity.
func (b *builder) compareNix(info []nixref.PathInfo) {
	for _, pi := range info {
		if _, ok := b.stores[pi.Path]; !ok {
			b.c.NixMismatches = append(b.c.NixMismatches, pi.Path+": in nix's closure but not in the image")
			continue
		}
		want := map[string]bool{}
		for _, r := range pi.References {
			if r != pi.Path {
				want[r] = true
			}
		}
		got := map[string]bool{}
		for h := range b.nix.found[pi.Path] {
			got[b.byHash[h]] = true
		}
		for r := range want {
			if !got[r] {
				b.c.NixMismatches = append(b.c.NixMismatches, fmt.Sprintf("%s: nix says it references %s; the scan did not find it", pi.Path, r))
			}
		}
		for r := range got {
			if !want[r] {
				b.c.NixMismatches = append(b.c.NixMismatches, fmt.Sprintf("%s: the scan finds a reference to %s that nix does not list", pi.Path, r))
			}
		}
	}
	sort.Strings(b.c.NixMismatches)
}

// StorePathsReached returns the store paths of which a root needs
// something (the store path whole, or one of its files), sorted: in
// packages granularity the reachable store path nodes, in files
// granularity also those holding a reachable file.
func (c *Closure) StorePathsReached() []string {
	g, a := c.Graph, c.Analysis
	seen := map[string]bool{}
	for i := 0; i < g.Len(); i++ {
		id := graph.NodeID(i)
		if !a.Reachable(id) {
			continue
		}
		n := g.Get(id)
		switch n.Kind {
		case graph.StorePath:
			seen[n.Name] = true
		case graph.File:
			if grp, ok := c.group[id]; ok && g.Get(grp).Kind == graph.StorePath {
				seen[g.Get(grp).Name] = true
			}
		}
	}
	return slices.Sorted(maps.Keys(seen))
}
