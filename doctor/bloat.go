package doctor

import (
	"context"
	"fmt"
	"path"
	"sort"
	"strings"
	"sync"

	"github.com/dustin/go-humanize"

	"github.com/whittle-dev/whittle/analyze"
	"github.com/whittle-dev/whittle/analyze/source"
	"github.com/whittle-dev/whittle/closure"
	"github.com/whittle-dev/whittle/closure/graph"
	"github.com/whittle-dev/whittle/finding"
	"github.com/whittle-dev/whittle/internal/glob"
	"github.com/whittle-dev/whittle/internal/text"
)

// Bloat returns what can go from the image and what each saves. cl may be
// nil: then no file counts as needed, and the outside-the-closure and
// unneeded-/etc findings are left out (also when the closure has no
// root). No suggested drop removes a file the roots reach (safe.go). Each visible file is counted in at
// most one finding, in this order: the table's categories, recursive and
// duplicated trees, every-time-zone and full-locale-archive data, files
// identical to another, unneeded /etc, files outside the closure; layer
// waste counts bytes no path shows.
func Bloat(ctx context.Context, im *source.Image, ix *analyze.Index, cl *closure.Closure, opts Options) ([]finding.Finding, error) {
	sv, err := surveyFor(ctx, ix, opts)
	if err != nil {
		return nil, err
	}
	b := &bloat{ix: ix, cl: cl, env: env(im, opts.Env), survey: sv, files: sv.files}
	b.claimed = make([]bool, ix.Nodes)
	// Whether the closure needs each file, once.
	b.need = make([]bool, len(b.files))
	for i := range b.files {
		b.need[i] = b.neededNode(b.files[i])
	}
	var out []finding.Finding
	out = append(out, b.categories()...)
	out = append(out, b.trees()...)
	out = append(out, b.dataSets()...)
	out = append(out, b.duplicates()...)
	// Without a root nothing is reached, which says nothing of what the
	// image needs: /etc and the files outside the closure are reported
	// only when something is run.
	if cl != nil && len(cl.Roots) > 0 {
		out = append(out, b.etc()...)
		out = append(out, b.outside()...)
	}
	out = append(out, layerWaste(ix)...)
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	return opts.filter(b.safeDrops(out)), nil
}

type bloat struct {
	ix     *analyze.Index
	cl     *closure.Closure
	survey *Survey
	files  []*analyze.Node
	// need says whether the closure reaches each file.
	need    []bool
	claimed []bool // by Node.ID
	env     map[string]string
}

// files lists the visible regular files and hardlinks, in path order.
func files(root *analyze.Node) []*analyze.Node {
	var out []*analyze.Node
	root.Walk(func(n *analyze.Node) bool {
		if n.Content != nil && !n.IsDir() {
			out = append(out, n)
		}
		return true
	})
	return out
}

// needed reports whether the closure reaches the file at p.
func (b *bloat) needed(p string) bool {
	if b.cl == nil {
		return false
	}
	id, ok := b.cl.Owner(p)
	return ok && b.cl.Analysis.Reachable(id)
}

// neededNode is needed for a node of the index, which the closure looks
// up by its ID.
func (b *bloat) neededNode(n *analyze.Node) bool {
	if b.cl == nil {
		return false
	}
	id, ok := b.cl.OwnerOfNode(n)
	return ok && b.cl.Analysis.Reachable(id)
}

// isClaimed reports whether a finding counted n already.
func (b *bloat) isClaimed(n *analyze.Node) bool {
	return int(n.ID) < len(b.claimed) && b.claimed[n.ID]
}

// claim marks n as counted and returns the bytes it adds.
func (b *bloat) claim(n *analyze.Node) int64 {
	if int(n.ID) >= len(b.claimed) {
		b.claimed = append(b.claimed, make([]bool, int(n.ID)+1-len(b.claimed))...)
	}
	b.claimed[n.ID] = true
	return n.Bytes
}

// Match returns the table category an image path belongs to, by its globs
// alone ("" for none); exists says whether another path exists (for
// Pattern.Beside).
func Match(p string, exists func(string) bool) string {
	t := compiledCategories()
	cands, ok := t.byTop[topComponent(p)]
	if !ok {
		cands = t.anywhere
	}
	if len(cands) == 0 {
		return ""
	}
	var buf [32]string
	parts := glob.AppendSplit(buf[:0], p)
	for _, i := range cands {
		if c := t.cats[i]; c.matches(p, parts, exists) {
			return c.id
		}
	}
	return ""
}

// categoryTable is the compiled bloat table with, for each top-level
// directory some pattern lies under, the categories a path there may
// belong to: a path is matched against a few of the table's hundred
// globs, not all of them (Match is asked of every file of an image).
type categoryTable struct {
	cats []compiledCategory
	// byTop lists, by a pattern's first component, the categories with
	// a pattern under it or one that may match anywhere, in table order;
	// anywhere lists the latter alone, for other paths.
	byTop    map[string][]int
	anywhere []int
}

// topComponent returns the first component of an image path or pattern
// ("usr" for /usr/share/doc/**), "" when it is not literal.
func topComponent(p string) string {
	p = strings.TrimLeft(p, "/")
	if i := strings.IndexByte(p, '/'); i >= 0 {
		p = p[:i]
	}
	if strings.ContainsAny(p, "*?[\\") {
		return ""
	}
	return p
}

// compiledCategory is a Category with its globs compiled, for matching
// every file of an image.
type compiledCategory struct {
	id       string
	except   []glob.Glob
	patterns []glob.Glob
	beside   []string
}

var compiledCategories = sync.OnceValue(func() *categoryTable {
	t := &categoryTable{cats: make([]compiledCategory, len(Categories)), byTop: map[string][]int{}}
	tops := make([]map[string]bool, len(Categories))
	for i, c := range Categories {
		cc := compiledCategory{id: c.ID}
		for _, e := range c.Except {
			cc.except = append(cc.except, glob.Compile(e))
		}
		tops[i] = map[string]bool{}
		for _, pat := range c.Patterns {
			cc.patterns = append(cc.patterns, glob.Compile(pat.Glob))
			cc.beside = append(cc.beside, pat.Beside)
			top := topComponent(pat.Glob)
			tops[i][top] = true
			if top != "" {
				t.byTop[top] = nil
			}
		}
		t.cats[i] = cc
		if tops[i][""] {
			t.anywhere = append(t.anywhere, i)
		}
	}
	for top := range t.byTop {
		for i := range Categories {
			if tops[i][top] || tops[i][""] {
				t.byTop[top] = append(t.byTop[top], i)
			}
		}
	}
	return t
})

func (c compiledCategory) matches(p string, parts []string, exists func(string) bool) bool {
	for _, e := range c.except {
		if e.MatchSplit(p, parts) {
			return false
		}
	}
	for i, g := range c.patterns {
		if !g.MatchSplit(p, parts) {
			continue
		}
		if c.beside[i] == "" {
			return true
		}
		if src := strings.TrimSuffix(p, path.Ext(p)) + c.beside[i]; exists != nil && exists(src) {
			return true
		}
	}
	return false
}

// categories applies the table.
func (b *bloat) categories() []finding.Finding {
	type acc struct {
		bytes int64
		paths []string
	}
	by := map[string]*acc{}
	for i, n := range b.files {
		p := n.Path()
		if b.need[i] {
			continue
		}
		id := b.survey.category[i]
		if id == "" {
			continue
		}
		a := by[id]
		if a == nil {
			a = &acc{}
			by[id] = a
		}
		a.bytes += b.claim(n)
		a.paths = append(a.paths, p)
	}
	var out []finding.Finding
	for _, c := range Categories {
		a := by[c.ID]
		if a == nil || a.bytes == 0 {
			continue // empty lock files and directories' leftovers
		}
		var drop []string
		for _, pat := range c.Patterns {
			if pat.Beside == "" {
				drop = append(drop, pat.Glob)
			}
		}
		if len(drop) != len(c.Patterns) || len(c.Except) > 0 {
			drop = escapeGlobs(a.paths) // the globs alone would take too much
		}
		out = append(out, finding.Finding{
			Kind: c.ID, Severity: finding.Warning, Paths: a.paths, Bytes: a.bytes,
			Message: fmt.Sprintf("%s in %s: %s", humanize.Bytes(uint64(a.bytes)), text.Count(len(a.paths), "file"), c.Explain),
			Fix:     "drop them (plan drop: " + strings.Join(limit(drop, 3), ", ") + ")",
			Change:  &finding.Change{Drop: drop},
		})
	}
	return out
}

// limit returns at most n of list, with "…" when some were left out.
func limit(list []string, n int) []string {
	if len(list) <= n {
		return list
	}
	return append(append([]string(nil), list[:n]...), fmt.Sprintf("… %d more", len(list)-n))
}

// escapeGlobs turns image paths into plan globs that match them alone.
func escapeGlobs(paths []string) []string {
	out := make([]string, len(paths))
	for i, p := range paths {
		out[i] = glob.Quote(p)
	}
	return out
}

// duplicates reports the visible files identical to another that no
// finding before counted: keeping one copy of each (hardlinking the rest)
// saves their bytes.
func (b *bloat) duplicates() []finding.Finding {
	var extra []string
	var bytes int64
	for _, d := range b.ix.Duplicates {
		var free []*analyze.Node
		for _, p := range d.Paths {
			if n := b.ix.Root.Lookup(p); n != nil && !b.isClaimed(n) && n.Bytes > 0 {
				free = append(free, n)
			}
		}
		if len(free) < 2 {
			continue
		}
		for _, n := range free[1:] {
			bytes += b.claim(n)
			extra = append(extra, n.Path())
		}
	}
	if len(extra) == 0 {
		return nil
	}
	sort.Strings(extra)
	return []finding.Finding{{
		Kind: "bloat/duplicate-files", Severity: finding.Info, Paths: extra, Bytes: bytes,
		Message: fmt.Sprintf("%s (%s) %s of another file of the image", text.Count(len(extra), "file"), humanize.Bytes(uint64(bytes)), map[bool]string{true: "is a byte-identical copy", false: "are byte-identical copies"}[len(extra) == 1]),
		Fix:     "store one copy and hardlink the others (or drop the copies nothing opens)",
	}}
}

// etc reports the regular files under /etc that nothing in the closure
// needs: the generated /etc (the plan's etc: section) replaces them.
func (b *bloat) etc() []finding.Finding {
	var paths []string
	var bytes int64
	for i, n := range b.files {
		p := n.Path()
		if !strings.HasPrefix(p, "/etc/") || b.isClaimed(n) || b.need[i] {
			continue
		}
		bytes += b.claim(n)
		paths = append(paths, p)
	}
	if len(paths) == 0 || bytes == 0 {
		return nil
	}
	return []finding.Finding{{
		Kind: "bloat/etc", Severity: finding.Warning, Paths: paths, Bytes: bytes,
		Message: fmt.Sprintf("%s (%s) in /etc that no root and no library of the closure needs", text.Count(len(paths), "file"), humanize.Bytes(uint64(bytes))),
		Fix:     "drop them (plan drop: " + strings.Join(limit(escapeGlobs(paths), 3), ", ") + ") and generate the /etc the image needs (plan etc: basics: all, and the sections its programs use; see whittle etc)",
		Change:  &finding.Change{Drop: escapeGlobs(paths), Etc: map[string]string{"basics": "all"}},
	}}
}

// outside reports the files the closure does not reach, grouped by the
// package or store path that holds them (loose files by their directory),
// biggest first.
func (b *bloat) outside() []finding.Finding {
	type group struct {
		name  string
		store bool
		bytes int64
		paths []string
	}
	groups := map[string]*group{}
	for i, n := range b.files {
		p := n.Path()
		if b.isClaimed(n) || b.need[i] || n.Bytes == 0 {
			continue
		}
		name, isStore := b.groupOf(n, p)
		g := groups[name]
		if g == nil {
			g = &group{name: name, store: isStore}
			groups[name] = g
		}
		g.bytes += b.claim(n)
		g.paths = append(g.paths, p)
	}
	list := make([]*group, 0, len(groups))
	for _, g := range groups {
		list = append(list, g)
	}
	sort.Slice(list, func(i, j int) bool {
		if list[i].bytes != list[j].bytes {
			return list[i].bytes > list[j].bytes
		}
		return list[i].name < list[j].name
	})
	var out []finding.Finding
	for _, g := range list {
		f := finding.Finding{
			Kind: "bloat/unreachable", Severity: finding.Info, Paths: append([]string{g.name}, g.paths...), Bytes: g.bytes,
			Message: fmt.Sprintf("%s: %s (%s) that no root of the closure reaches", g.name, text.Count(len(g.paths), "file"), humanize.Bytes(uint64(g.bytes))),
		}
		if g.store {
			f.Change = &finding.Change{Drop: []string{escapeGlobs([]string{g.name})[0] + "/**"}}
		} else {
			f.Change = &finding.Change{Drop: escapeGlobs(g.paths)}
		}
		f.Fix = "drop it, or add a root that needs it (plan roots:) if something runs it the closure does not see"
		out = append(out, f)
	}
	return out
}

// groupOf names what holds an unreachable file, node n at path p: its
// package or store path, else its directory.
func (b *bloat) groupOf(n *analyze.Node, p string) (string, bool) {
	if id, ok := b.cl.OwnerOfNode(n); ok {
		if g, ok := b.cl.Group(id); ok {
			n := b.cl.Graph.Get(g)
			return n.Name, n.Kind == graph.StorePath
		}
	}
	return path.Dir(p) + "/", false
}

// layerWaste reports the bytes later layers hide, one finding per layer
// that stores them and layer that hides them.
func layerWaste(ix *analyze.Index) []finding.Finding {
	type key struct{ layer, by int }
	type acc struct {
		bytes  int64
		roots  []string
		seen   map[string]bool
		reason map[string]bool
	}
	groups := map[key]*acc{}
	var keys []key
	for _, w := range ix.Wasted {
		k := key{w.Layer, w.By}
		a := groups[k]
		if a == nil {
			a = &acc{seen: map[string]bool{}, reason: map[string]bool{}}
			groups[k] = a
			keys = append(keys, k)
		}
		a.bytes += w.Bytes
		root := w.Root
		if root == "" {
			root = w.Path
		}
		if !a.seen[root] {
			a.seen[root] = true
			a.roots = append(a.roots, root)
		}
		a.reason[w.Reason.String()] = true
	}
	var out []finding.Finding
	for _, k := range keys {
		a := groups[k]
		if a.bytes == 0 {
			continue
		}
		var reasons []string
		for r := range a.reason {
			reasons = append(reasons, r)
		}
		sort.Strings(reasons)
		sort.Strings(a.roots)
		out = append(out, finding.Finding{
			Kind: "bloat/layer-waste", Severity: finding.Warning, Paths: a.roots, Layer: k.layer + 1, Bytes: a.bytes,
			Message: fmt.Sprintf("layer %d stores %s that layer %d hides (%s): the image still ships them", k.layer+1, humanize.Bytes(uint64(a.bytes)), k.by+1, strings.Join(reasons, ", ")),
			Fix:     "rebuild the image (whittle build writes only what is visible), or delete in the same step that writes",
		})
	}
	return out
}
