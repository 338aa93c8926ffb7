package doctor

import (
	"encoding/binary"
	"fmt"
	"hash/fnv"
	"path"
	"sort"
	"strings"
	"sync"

	"github.com/dustin/go-humanize"

	"github.com/whittle-dev/whittle/analyze"
	"github.com/whittle-dev/whittle/finding"
	"github.com/whittle-dev/whittle/internal/glob"
	"github.com/whittle-dev/whittle/internal/imagefs"
	"github.com/whittle-dev/whittle/internal/text"
)

// maxLinkLevels is how many symlinks Linux follows in one path: a copy
// that follows links stops expanding a cycle after as many levels.
const maxLinkLevels = 40

// Cycle is a symlink that names one of its own parent directories
// (zoneinfo/posix -> .): a copy that follows links repeats the directory
// inside itself until the path is too long to resolve.
type Cycle struct {
	Link   string // the symlink's path
	Target string // the directory it names (an ancestor of Link, or its parent)
	Bytes  int64  // the bytes under Target, repeated at every level
}

// Cycles lists the image's symlink cycles, in path order.
func Cycles(ix *analyze.Index) []Cycle {
	var out []Cycle
	ix.Root.Walk(func(n *analyze.Node) bool {
		if n.Entry.Type != analyze.TypeSymlink || n.Parent == nil {
			return true
		}
		t, _, err := ix.Root.Resolve(n.Path(), imagefs.Follow)
		if err != nil || t == nil || !t.IsDir() {
			return true
		}
		for a := n.Parent; a != nil; a = a.Parent {
			if a == t {
				out = append(out, Cycle{Link: n.Path(), Target: t.Path(), Bytes: t.Bytes})
				break
			}
		}
		return true
	})
	return out
}

func (c Cycle) message() string {
	return fmt.Sprintf("symlink %s → %s names its own parent directory: a copy that follows links (cp -L, COPY of a resolved tree, docker build contexts) stores %s (%s) again at every level, up to %d times (%s)",
		c.Link, c.Target, c.Target, humanize.Bytes(uint64(c.Bytes)), maxLinkLevels, humanize.Bytes(uint64(c.Bytes)*maxLinkLevels))
}

// trees reports symlink cycles and directory trees stored more than once.
func (b *bloat) trees() []finding.Finding {
	var out []finding.Finding
	for _, c := range b.survey.cycles {
		out = append(out, finding.Finding{
			Kind: "bloat/symlink-cycle", Severity: finding.Warning, Paths: []string{c.Link, c.Target},
			Message: c.message(),
			Fix:     "copy with links kept (cp -a, tar, whittle build), never following them; or drop the link if nothing names paths through it",
			Change:  &finding.Change{Drop: escapeGlobs([]string{c.Link})},
		})
	}
	return append(out, b.duplicateTrees()...)
}

// sameTrees groups the directories with identical contents (names,
// types, file contents, link targets) at several paths: each group
// shallowest first, the groups biggest first.
func sameTrees(ix *analyze.Index) [][]*analyze.Node {
	byHash := map[uint64][]*analyze.Node{}
	var hashDir func(n *analyze.Node) uint64
	hashDir = func(n *analyze.Node) uint64 {
		h := fnv.New64a()
		var buf [8]byte
		for _, c := range n.Children {
			h.Write([]byte(c.Name))
			h.Write([]byte{0, byte(c.Entry.Type)})
			switch {
			case c.IsDir():
				binary.LittleEndian.PutUint64(buf[:], hashDir(c))
				h.Write(buf[:])
			case c.Content != nil:
				binary.LittleEndian.PutUint64(buf[:], c.Content.Hash)
				h.Write(buf[:])
				binary.LittleEndian.PutUint64(buf[:], uint64(c.Content.Size))
				h.Write(buf[:])
			default:
				h.Write([]byte(c.Entry.Link))
			}
		}
		s := h.Sum64()
		if n.Files > 0 && n.Bytes > 0 {
			byHash[s] = append(byHash[s], n)
		}
		return s
	}
	hashDir(ix.Root)

	var groups [][]*analyze.Node
	for _, g := range byHash {
		if len(g) > 1 {
			sort.Slice(g, func(i, j int) bool { return lessByDepth(g[i].Path(), g[j].Path()) })
			groups = append(groups, g)
		}
	}
	sort.Slice(groups, func(i, j int) bool {
		if groups[i][0].Bytes != groups[j][0].Bytes {
			return groups[i][0].Bytes > groups[j][0].Bytes
		}
		return groups[i][0].Path() < groups[j][0].Path()
	})
	return groups
}

// duplicateTrees finds directories with identical contents (names, types,
// file contents, link targets) at several paths and reports each copy of
// an original, grouped by the original's directory: a tree copied into
// itself (zoneinfo/posix holding a copy of zoneinfo) is one finding.
func (b *bloat) duplicateTrees() []finding.Finding {
	groups := b.survey.copies

	// A copy is reported under the pair of directories it differs by:
	// posix/Europe copying Europe is zoneinfo/posix copying zoneinfo.
	type pair struct{ orig, copy string }
	type acc struct {
		bytes int64
		dirs  []string
	}
	copies := map[*analyze.Node]bool{}
	pairs := map[pair]*acc{}
	var order []pair
	inCopy := func(n *analyze.Node) bool {
		for a := n; a != nil; a = a.Parent {
			if copies[a] {
				return true
			}
		}
		return false
	}
	for _, g := range groups {
		orig := g[0]
		for _, c := range g[1:] {
			if inCopy(c) || isAncestor(c, orig) {
				continue
			}
			copies[c] = true
			var bytes int64
			c.Walk(func(n *analyze.Node) bool {
				if n.Content != nil && !n.IsDir() && !b.isClaimed(n) {
					bytes += b.claim(n)
				}
				return true
			})
			k := pair{}
			k.orig, k.copy = stripCommonSuffix(orig.Path(), c.Path())
			// A copy nested in an earlier copy of the same original
			// (posix/posix in posix) counts with it: one finding per
			// tree copied into itself, however deep.
			for _, o := range order {
				if o.orig == k.orig && strings.HasPrefix(k.copy, o.copy+"/") {
					k = o
					break
				}
			}
			a := pairs[k]
			if a == nil {
				a = &acc{}
				pairs[k] = a
				order = append(order, k)
			}
			a.bytes += bytes
			a.dirs = append(a.dirs, c.Path())
		}
	}
	// The files directly in a copy root (and in the copy roots nested in
	// it: posix/posix/UTC) that equal the original's.
	for _, k := range order {
		o, c := b.ix.Root.Lookup(k.orig), b.ix.Root.Lookup(k.copy)
		if o == nil || c == nil || !o.IsDir() || !c.IsDir() {
			continue
		}
		rel, nested := strings.CutPrefix(k.copy, k.orig+"/")
		for c != nil && c.IsDir() {
			a := pairs[k]
			for _, f := range c.Children {
				of := o.Child(f.Name)
				if f.Content == nil || f.IsDir() || b.isClaimed(f) || of == nil || of.Content == nil ||
					of.Content.Hash != f.Content.Hash || of.Content.Size != f.Content.Size {
					continue
				}
				a.bytes += b.claim(f)
				a.dirs = append(a.dirs, f.Path())
			}
			if !nested {
				break
			}
			c = c.Lookup(rel)
		}
	}
	var out []finding.Finding
	for _, k := range order {
		a := pairs[k]
		if a.bytes == 0 {
			continue
		}
		sort.Strings(a.dirs)
		what := "a copy of"
		if strings.HasPrefix(k.copy, k.orig+"/") {
			what = "a nested copy of"
		}
		out = append(out, finding.Finding{
			Kind: "bloat/duplicate-tree", Severity: finding.Warning, Paths: append([]string{k.copy, k.orig}, a.dirs...), Bytes: a.bytes,
			Message: fmt.Sprintf("%s holds %s %s: %d identical trees and files, %s", k.copy, what, k.orig, len(a.dirs), humanize.Bytes(uint64(a.bytes))),
			Fix:     "drop the copy (or make it a symlink to " + k.orig + ")",
			Change:  &finding.Change{Drop: escapeGlobs(a.dirs)},
		})
	}
	return out
}

// lessByDepth orders paths shallowest first, then by name.
func lessByDepth(a, b string) bool {
	da, db := strings.Count(a, "/"), strings.Count(b, "/")
	if da != db {
		return da < db
	}
	return a < b
}

func isAncestor(a, n *analyze.Node) bool {
	for p := n.Parent; p != nil; p = p.Parent {
		if p == a {
			return true
		}
	}
	return false
}

// stripCommonSuffix removes the path components two paths end with alike.
func stripCommonSuffix(a, b string) (string, string) {
	for a != "/" && b != "/" && path.Base(a) == path.Base(b) {
		a, b = path.Dir(a), path.Dir(b)
	}
	return a, b
}

// zoneDirs are the globs of zoneinfo databases.
var zoneDirs = []string{"/usr/share/zoneinfo", "/usr/lib/zoneinfo", "/usr/share/lib/zoneinfo", store + "/share/zoneinfo"}

// localeArchives are the globs of glibc's locale archives.
var localeArchives = []string{"/usr/lib/locale/locale-archive", "/usr/lib64/locale/locale-archive", store + "/lib/locale/locale-archive"}

// zoneGlobs and localeArchiveGlobs are zoneDirs' trees and
// localeArchives compiled.
var (
	zoneGlobs = sync.OnceValue(func() []glob.Glob {
		out := make([]glob.Glob, len(zoneDirs))
		for i, g := range zoneDirs {
			out[i] = glob.Compile(g + "/**")
		}
		return out
	})
	localeArchiveGlobs = sync.OnceValue(func() []glob.Glob {
		out := make([]glob.Glob, len(localeArchives))
		for i, g := range localeArchives {
			out[i] = glob.Compile(g)
		}
		return out
	})
)

// dataSets reports every time zone where one or two are used, and a full
// locale archive: the generated /etc (etc: timezones, locales) writes only
// the ones the environment names.
func (b *bloat) dataSets() []finding.Finding {
	zones := usedZones(b.env, b.ix)
	locales := usedLocales(b.env)
	type acc struct {
		bytes int64
		paths []string
		roots map[string]bool
	}
	tz, la := &acc{roots: map[string]bool{}}, &acc{roots: map[string]bool{}}
	for _, n := range b.files {
		if b.isClaimed(n) {
			continue
		}
		p := n.Path()
		// Every zone path has a zoneinfo component, every archive its
		// name: the globs are matched only against those.
		for j, g := range zoneDirs {
			if !strings.Contains(p, "/zoneinfo") {
				break
			}
			if zoneGlobs()[j].Match(p) {
				root := strings.Join(strings.Split(p, "/")[:strings.Count(g, "/")+1], "/")
				tz.bytes += b.claim(n)
				tz.paths = append(tz.paths, p)
				tz.roots[root] = true
				break
			}
		}
		if !strings.HasSuffix(p, "/locale-archive") {
			continue
		}
		for _, g := range localeArchiveGlobs() {
			if !b.isClaimed(n) && g.Match(p) {
				la.bytes += b.claim(n)
				la.paths = append(la.paths, p)
				la.roots[p] = true
			}
		}
	}
	var out []finding.Finding
	if tz.bytes > 0 {
		out = append(out, finding.Finding{
			Kind: "bloat/timezones", Severity: finding.Info, Paths: keys(tz.roots), Bytes: tz.bytes,
			Message: fmt.Sprintf("every time zone (%s, %s) where the environment uses %s", text.Count(len(tz.paths), "file"), humanize.Bytes(uint64(tz.bytes)), strings.Join(zones, ", ")),
			Fix:     "keep only the zones used (plan etc: timezones: " + strings.Join(zones, ", ") + ")",
			Change:  &finding.Change{Drop: globsUnder(keys(tz.roots)), Etc: map[string]string{"timezones": strings.Join(zones, ",")}},
		})
	}
	if la.bytes > 0 {
		out = append(out, finding.Finding{
			Kind: "bloat/locale-archive", Severity: finding.Info, Paths: la.paths, Bytes: la.bytes,
			Message: fmt.Sprintf("a locale archive of %s with every compiled locale, where the environment uses %s", humanize.Bytes(uint64(la.bytes)), strings.Join(locales, ", ")),
			Fix:     "keep only the locales used (plan etc: locales: " + strings.Join(locales, ", ") + ")",
			Change:  &finding.Change{Drop: escapeGlobs(la.paths), Etc: map[string]string{"locales": strings.Join(locales, ",")}},
		})
	}
	return out
}

func keys(m map[string]bool) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

func globsUnder(dirs []string) []string {
	out := escapeGlobs(dirs)
	for i := range out {
		out[i] += "/**"
	}
	return out
}

// usedZones are the zones the environment names: TZ, /etc/localtime's
// target, and UTC.
func usedZones(env map[string]string, ix *analyze.Index) []string {
	set := map[string]bool{"UTC": true}
	if tz := strings.TrimPrefix(env["TZ"], ":"); tz != "" && !strings.HasPrefix(tz, "/") {
		set[tz] = true
	}
	if n := ix.Root.Lookup("/etc/localtime"); n != nil && n.Entry.Type == analyze.TypeSymlink {
		if _, z, ok := strings.Cut(n.Entry.Link, "zoneinfo/"); ok && z != "" {
			set[z] = true
		}
	}
	return keys(set)
}

// usedLocales are the locales the environment names (C.UTF-8 when none).
func usedLocales(env map[string]string) []string {
	set := map[string]bool{}
	for _, v := range localeVars(env) {
		set[env[v]] = true
	}
	if len(set) == 0 {
		set["C.UTF-8"] = true
	}
	return keys(set)
}

// localeVars are the locale variables env sets to a locale other than C
// or POSIX, sorted.
func localeVars(env map[string]string) []string {
	var out []string
	for k, v := range env {
		if (k == "LANG" || k == "LC_ALL" || strings.HasPrefix(k, "LC_")) && v != "" && v != "C" && v != "POSIX" {
			out = append(out, k)
		}
	}
	sort.Strings(out)
	return out
}
