package doctor

import (
	"sort"
	"strings"

	"github.com/whittle-dev/whittle/analyze"
	"github.com/whittle-dev/whittle/finding"
	"github.com/whittle-dev/whittle/internal/glob"
)

// neededPaths lists the image paths (files and symlinks, not
// directories) the closure's roots reach, through every rule: what no
// suggested drop may remove.
func (b *bloat) neededPaths() []string {
	if b.cl == nil {
		return nil
	}
	// The files' answers are known; the other paths (symlinks, devices)
	// are asked, in the same walk order.
	count := 0
	for _, need := range b.need {
		if need {
			count++
		}
	}
	out := make([]string, 0, count)
	i := 0
	b.ix.Root.Walk(func(n *analyze.Node) bool {
		if n.IsDir() {
			return true
		}
		if i < len(b.files) && b.files[i] == n {
			if b.need[i] {
				out = append(out, n.Path())
			}
			i++
			return true
		}
		if p := n.Path(); b.needed(p) {
			out = append(out, p)
		}
		return true
	})
	return out
}

// safeDrops narrows every drop a finding suggests so that applying it
// removes nothing the roots reach: a glob that matches a needed path is
// replaced by the finding's own paths it matches that are not needed (a
// store path's unreachable files rather than the store path). A finding
// left with nothing to drop loses its change.
func (b *bloat) safeDrops(fs []finding.Finding) []finding.Finding {
	defer sayDrops(fs)
	needed := b.neededPaths()
	if len(needed) == 0 {
		return fs
	}
	// A path of the tree is needed as its file's answer says (a lookup
	// each, not a set of every needed path).
	neededSet := func(p string) bool {
		n := b.ix.Root.Lookup(p)
		return n != nil && !n.IsDir() && b.neededNode(n)
	}
	// A glob's answer, once: findings share their drops.
	needs := map[string]bool{}
	globNeedsOnce := func(d string) bool {
		v, ok := needs[d]
		if !ok {
			v = globNeeds(d, needed, neededSet)
			needs[d] = v
		}
		return v
	}
	for i := range fs {
		f := &fs[i]
		if f.Change == nil && f.Family() == FamilyBloat {
			// Say what applying it drops, as front ends otherwise take
			// its paths: the unneeded visible files among them. Layer
			// waste is fixed by squashing, not by dropping what a later
			// layer shows.
			var drops []string
			if f.Kind != "bloat/layer-waste" {
				for _, p := range f.Paths {
					if n := b.ix.Root.Lookup(p); n != nil && !n.IsDir() && !neededSet(p) {
						drops = append(drops, glob.Quote(p))
					}
				}
			}
			f.Change = &finding.Change{Drop: drops}
			continue
		}
		if f.Change == nil || len(f.Change.Drop) == 0 {
			continue
		}
		var drops []string
		changed := false
		for _, d := range f.Change.Drop {
			if !globNeedsOnce(d) {
				drops = append(drops, d)
				continue
			}
			changed = true
			g := glob.Compile(d)
			for _, p := range f.Paths {
				if n := b.ix.Root.Lookup(p); n != nil && !n.IsDir() && g.Match(p) && !b.needed(p) {
					drops = append(drops, glob.Quote(p))
				}
			}
		}
		if !changed {
			continue
		}
		c := *f.Change
		c.Drop = dedupe(drops)
		if len(c.Drop) == 0 && len(c.Etc) == 0 && len(c.Config) == 0 {
			f.Change = nil
		} else {
			f.Change = &c
		}
		if f.Fix != "" && strings.HasPrefix(f.Fix, "drop") {
			f.Fix += "; the drop names only files no root reaches"
		}
	}
	return fs
}

// sayDrops makes each finding's fix name the drops its change makes
// (FixNamesChange), once safeDrops has narrowed them: it rewrites the
// fix's "(plan drop: …)", or adds one after its opening "drop it" or
// "drop them", or at its end.
func sayDrops(fs []finding.Finding) {
	for i := range fs {
		f := &fs[i]
		if f.Change == nil || len(f.Change.Drop) == 0 || FixNamesChange(*f) == nil {
			continue
		}
		say := "(plan drop: " + strings.Join(limit(f.Change.Drop, 3), ", ") + ")"
		if i := strings.Index(f.Fix, "(plan drop: "); i >= 0 {
			if j := strings.Index(f.Fix[i:], ")"); j >= 0 {
				f.Fix = f.Fix[:i] + say + f.Fix[i+j+1:]
			}
		} else {
			for _, lead := range []string{"drop them", "drop it"} {
				if rest, ok := strings.CutPrefix(f.Fix, lead); ok {
					f.Fix = lead + " " + say + rest
					break
				}
			}
		}
		if FixNamesChange(*f) != nil {
			f.Fix += "; " + strings.Trim(say, "()")
		}
	}
}

// globNeeds reports whether the drop glob d would remove a needed path:
// a glob naming one path (a quoted image path) is looked up, others
// matched.
func globNeeds(d string, needed []string, isNeeded func(string) bool) bool {
	if !strings.ContainsAny(d, "*?[") {
		return isNeeded(d)
	}
	return matchesAny(d, needed)
}

// matchesAny reports whether the glob d matches one of paths, which are
// in the tree's walk order (treeLess): of a glob under a literal
// directory, only the paths there are matched, found by binary search.
func matchesAny(d string, paths []string) bool {
	g := glob.Compile(d)
	if dir := g.Dir(); dir != "" {
		i := sort.Search(len(paths), func(i int) bool { return !treeLess(paths[i], dir) })
		for ; i < len(paths) && (paths[i] == dir || strings.HasPrefix(paths[i], dir) && paths[i][len(dir)] == '/'); i++ {
			if g.Match(paths[i]) {
				return true
			}
		}
		return false
	}
	for _, p := range paths {
		if g.Match(p) {
			return true
		}
	}
	return false
}

// treeLess orders image paths as a walk of the tree visits them (a
// directory's children by name, each followed by what lies below it):
// by bytes, with the separator before every other byte.
func treeLess(a, b string) bool {
	for i := 0; i < len(a) && i < len(b); i++ {
		x, y := a[i], b[i]
		if x == y {
			continue
		}
		if x == '/' {
			return true
		}
		if y == '/' {
			return false
		}
		return x < y
	}
	return len(a) < len(b)
}

func dedupe(list []string) []string {
	seen := map[string]bool{}
	var out []string
	for _, s := range list {
		if !seen[s] {
			seen[s] = true
			out = append(out, s)
		}
	}
	return out
}
