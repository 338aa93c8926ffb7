package closure

// Paths named in contents: a file whose bytes name an absolute path of
// the image (a configuration file, a script, an ELF object's strings)
// needs what that path is. Kept in one file, wired into Build by a step
// (namedEdges) and one call of apply (noteNames).
//
// A name is resolved against the image component by component, and the
// longest prefix that exists is what it names (a Go binary's packed
// strings run on after the path: "/usr/share/zoneinfo/" followed by the
// next string); in a binary the walk starts again where it failed, so
// that every path of a packed run is found. A directory named keeps its
// tree, but a directory packages share or the standard hierarchy has
// (/usr/lib, /usr/share/locale) keeps nothing by itself. A glob in a text
// file (nginx's include /etc/nginx/conf.d/*.conf) names its matches.

import (
	"fmt"
	"path"
	"sort"
	"strings"

	"github.com/whittle-dev/whittle/closure/graph"
	"github.com/whittle-dev/whittle/closure/names"
	"github.com/whittle-dev/whittle/internal/imagefs"
)

// namedState is what the builder keeps for namedEdges.
type namedState struct {
	// etc are Options.EtcProvides, cleaned.
	etc   []string
	files []namedFile
	memo  map[nameKey][]nameTarget
	// listers counts, by real directory path, the packages that list
	// it or a path below it (filled on first use).
	listers map[string]int
}

// namedFile is a file whose contents name paths.
type namedFile struct {
	path   string
	names  []names.Name
	elf    bool
	soname string
	libc   bool
}

type nameKey struct {
	text                  string
	packed, binary, exact bool
}

// nameTarget is one path a name leads to.
type nameTarget struct {
	res imagefs.Resolved // Named: the path as named; Path: the real one
	dir bool
}

// maxGlobMatches bounds the paths one glob names.
const maxGlobMatches = 256

// noteNames records the names a file's contents hold (apply).
func (b *builder) noteNames(p string, f *contentFacts) {
	nf := namedFile{path: p, names: f.Names, elf: f.ELF != nil, libc: f.Libc}
	if f.ELF != nil {
		nf.soname = f.ELF.Soname
	}
	b.nm.files = append(b.nm.files, nf)
}

// namedEdges adds a named edge from every file to what its contents
// name, and from it to each symlink on the way. In packages granularity
// there are none: that graph is what the package manager (or Nix) keeps.
func (b *builder) namedEdges() error {
	if b.c.Granularity != Files {
		return nil
	}
	sort.Slice(b.nm.files, func(i, j int) bool { return b.nm.files[i].path < b.nm.files[j].path })
	for i, nf := range b.nm.files {
		if i%256 == 0 {
			if err := b.ctx.Err(); err != nil {
				return err
			}
		}
		if nf.elf && (nf.libc || narrowedObject(nf.path, nf.soname)) || unfollowedFile[nf.path] || underAny(nf.path, packageState) {
			continue
		}
		from, ok := b.nodeOf(nf.path)
		if !ok {
			continue
		}
		for _, n := range nf.names {
			if skipName(n.Text) || b.etcProvided(strings.TrimRight(n.Text, "/")) {
				continue
			}
			for _, t := range b.resolveName(n, nf.elf) {
				b.namedEdge(from, nf, n, t)
			}
		}
	}
	return nil
}

// narrowedObject reports whether an ELF object's strings are not
// followed: glibc's (libc, the loader, NSS modules, and what holds glibc
// statically: namedFile.libc), musl's and
// libcrypto's name whole trees (every time zone, every locale, the CA
// directory) of which the run-time rules (closure/runtime) keep exactly
// what the environment selects.
func narrowedObject(p, soname string) bool {
	for _, s := range []string{soname, path.Base(p)} {
		switch {
		case s == "":
		case s == "libc.so.6", strings.HasPrefix(s, "ld-linux"), strings.HasPrefix(s, "ld-musl"),
			strings.HasPrefix(s, "libc.musl"), strings.HasPrefix(s, "libnss_"), strings.HasPrefix(s, "libcrypto.so"):
			return true
		}
	}
	return false
}

// unfollowedFile are the files whose names no reader of theirs opens:
// the shells of /etc/passwd run only when someone logs in.
var unfollowedFile = map[string]bool{"/etc/passwd": true, "/etc/shells": true, "/etc/group": true}

// skipName reports the names no image file answers: the file systems the
// runtime mounts, and the Nix store, whose paths are linked by their own
// rule; and the names of documentation, which people read, not programs
// ("see /usr/share/doc/python3.11/README.venv"), of debugging symbols
// (/usr/lib/debug, which ELF objects name for debuggers), and of the
// package managers' state (packageState).
func skipName(s string) bool {
	s = strings.TrimRight(s, "/")
	if runtimeFS(s) || strings.HasPrefix(s, storeDir+"/") {
		return true
	}
	return underAny(s, []string{"/usr/share/doc", "/usr/share/man", "/usr/share/info", "/usr/lib/debug"}) || underAny(s, packageState)
}

// packageState are the package managers' databases and caches: what
// their maintainer scripts name is the package manager's business, and
// a program that names them (debconf naming /var/lib/dpkg/info) needs no
// package's scripts to run.
var packageState = []string{"/var/lib/dpkg", "/lib/apk/db", "/var/lib/apt", "/var/cache/apt", "/var/cache/debconf", "/var/lib/ucf", "/etc/apt"}

// underAny reports whether p is one of dirs or lies below one.
func underAny(p string, dirs []string) bool {
	for _, d := range dirs {
		if p == d || strings.HasPrefix(p, d+"/") {
			return true
		}
	}
	return false
}

// etcProvided reports whether p is, or lies below, a path the generated
// /etc writes instead of the image's.
func (b *builder) etcProvided(p string) bool {
	for _, e := range b.nm.etc {
		if p == e || strings.HasPrefix(p, e+"/") {
			return true
		}
	}
	return false
}

func (b *builder) namedEdge(from graph.NodeID, nf namedFile, n names.Name, t nameTarget) {
	if b.etcProvided(t.res.Path) || skipName(t.res.Path) {
		return
	}
	var to graph.NodeID
	if t.dir {
		if b.sharedDir(t.res.Path) {
			return
		}
		to = b.dirNode(t.res.Path)
	} else {
		var ok bool
		if to, ok = b.nodeOf(t.res.Path); !ok {
			return
		}
	}
	why := fmt.Sprintf("named in %s line %d", nf.path, n.Line)
	if nf.elf || n.Line == 0 {
		why = "named in the strings of " + nf.path
	}
	if names.HasGlob(n.Text) && !nf.elf {
		why += " (" + n.Text + ")"
	}
	for _, l := range append(append([]string(nil), t.res.Links...), t.res.Path) {
		id := to
		if l != t.res.Path {
			var ok bool
			if id, ok = b.nodeOf(l); !ok {
				continue
			}
		}
		if id == from || b.g.EdgeKinds(from, id)&graph.Runs != 0 {
			continue // a script that runs or sources it says so already
		}
		b.g.AddEdge(from, id, graph.Named)
		b.explainEdge(from, id, why)
	}
}

// explainEdge records what an edge stands for, each text once, up to
// maxExplain.
func (b *builder) explainEdge(from, to graph.NodeID, why string) {
	if b.c.explain == nil {
		b.c.explain = map[[2]graph.NodeID][]string{}
	}
	k := [2]graph.NodeID{from, to}
	for _, x := range b.c.explain[k] {
		if x == why {
			return
		}
	}
	if len(b.c.explain[k]) < maxExplain {
		b.c.explain[k] = append(b.c.explain[k], why)
	}
}

// resolveName returns what a name leads to in the image: the longest
// prefix of it that exists (a file ends the walk: nothing is below it);
// in a binary, the walk starts again at the component where it stopped,
// and a path found so (or in a packed run) must be two components long
// at least. A glob in a text file's name gives its matches; an Exact
// name, the path only when all of it exists.
func (b *builder) resolveName(n names.Name, binary bool) []nameTarget {
	k := nameKey{n.Text, n.Packed, binary, n.Exact}
	if t, ok := b.nm.memo[k]; ok {
		return t
	}
	if b.nm.memo == nil {
		b.nm.memo = map[nameKey][]nameTarget{}
	}
	if n.Exact {
		var out []nameTarget
		if node, res, err := b.fsys.Resolve(n.Text, imagefs.Follow); err == nil {
			out = []nameTarget{{res: res, dir: node.IsDir()}}
		}
		b.nm.memo[k] = out
		return out
	}
	var out []nameTarget
	comps := strings.Split(n.Text[1:], "/")
	for start := 0; start < len(comps); {
		cur, found, i := "", 0, start
		var last imagefs.Resolved
		dir := false
	walk:
		for ; i < len(comps); i++ {
			c := comps[i]
			switch {
			case c == "" || c == "." || c == "..":
				break walk
			case !binary && names.HasGlob(c):
				out = append(out, b.globTargets(cur, comps[i:])...)
				i, found = len(comps), 0 // the glob's matches, not its directory
				break walk
			}
			p := cur + "/" + c
			node, res, err := b.fsys.Resolve(p, imagefs.Follow)
			if err != nil && binary && found > 0 {
				// A packed string runs on after the name
				// ("ca-certificates.crtx509: ..."): the longest entry
				// of the directory the component starts with.
				if name := b.entryPrefix(cur, c); name != "" {
					p = cur + "/" + name
					node, res, err = b.fsys.Resolve(p, imagefs.Follow)
					if err == nil {
						cur, last, found, dir = p, res, found+1, node.IsDir()
					}
					i++
				}
				break
			}
			if err != nil {
				break
			}
			cur, last, found, dir = p, res, found+1, node.IsDir()
			if !dir {
				i++
				break
			}
		}
		if found > 0 && (found >= 2 || start == 0 && !n.Packed) {
			out = append(out, nameTarget{res: last, dir: dir})
		}
		if !binary {
			break
		}
		if i == start {
			i++
		}
		start = i
	}
	b.nm.memo[k] = out
	return out
}

// entryPrefix returns the longest name of an entry of the directory dir
// that c starts with, at least two bytes long ("" for none).
func (b *builder) entryPrefix(dir, c string) string {
	ents, _, err := imagefs.ReadDir(b.fsys, dir+"/")
	if err != nil {
		return ""
	}
	best := ""
	for _, e := range ents {
		if n := e.Name(); len(n) > len(best) && len(n) >= 2 && strings.HasPrefix(c, n) {
			best = n
		}
	}
	return best
}

// globTargets returns the paths below the directory dir ("" for the
// root) that the components pats match, as a shell's glob would (a name
// that starts with '.' only for a pattern that does).
func (b *builder) globTargets(dir string, pats []string) []nameTarget {
	var out []nameTarget
	var walk func(dir string, pats []string)
	walk = func(dir string, pats []string) {
		pat := pats[0]
		if pat == "" || pat == "." || pat == ".." {
			return
		}
		var cands []string
		if names.HasGlob(pat) {
			ents, _, err := imagefs.ReadDir(b.fsys, dir+"/")
			if err != nil {
				return
			}
			for _, e := range ents {
				name := e.Name()
				if strings.HasPrefix(name, ".") && !strings.HasPrefix(pat, ".") {
					continue
				}
				if ok, _ := path.Match(pat, name); ok {
					cands = append(cands, name)
				}
			}
		} else {
			cands = []string{pat}
		}
		for _, name := range cands {
			if len(out) >= maxGlobMatches {
				return
			}
			p := dir + "/" + name
			node, res, err := b.fsys.Resolve(p, imagefs.Follow)
			if err != nil {
				continue
			}
			switch {
			case len(pats) == 1 || len(pats) == 2 && pats[1] == "":
				out = append(out, nameTarget{res: res, dir: node.IsDir()})
			case node.IsDir():
				walk(p, pats[1:])
			}
		}
	}
	walk(dir, pats)
	return out
}

// sharedDir reports whether a directory keeps nothing by being named: a
// directory of the standard hierarchy, one that two packages or more
// list (or list paths below), the Nix store.
func (b *builder) sharedDir(p string) bool {
	if standardDir(p) || p == storeDir || p == path.Dir(storeDir) {
		return true
	}
	if b.db == nil {
		return false
	}
	if b.nm.listers == nil {
		b.nm.listers = map[string]int{}
		canon := map[string]string{}
		for _, pkg := range b.db.Packages {
			raw := map[string]bool{}
			for _, f := range pkg.Files {
				for d := path.Dir(strings.TrimSuffix(f, "/")); d != "/" && d != "." && !raw[d]; d = path.Dir(d) {
					raw[d] = true
				}
				if f = strings.TrimSuffix(f, "/"); f != "" && f != "/." {
					raw[f] = true
				}
			}
			mine := map[string]bool{}
			for d := range raw {
				c, ok := canon[d]
				if !ok {
					c = b.db.Canonical(d)
					canon[d] = c
				}
				mine[c] = true
			}
			for c := range mine {
				b.nm.listers[c]++
			}
		}
	}
	return b.nm.listers[p] >= 2
}

// standardDirs are the directories of the file system hierarchy every
// image shares: naming one keeps nothing.
var standardDirs = map[string]bool{}

func init() {
	for _, d := range strings.Fields(`/ /bin /boot /dev /etc /home /lib /lib32 /lib64 /libx32 /media /mnt /opt /proc
		/root /run /sbin /srv /sys /tmp /usr /usr/bin /usr/sbin /usr/lib /usr/lib32 /usr/lib64 /usr/libx32
		/usr/libexec /usr/include /usr/share /usr/src /usr/games /usr/local /var /var/lib /var/cache /var/log
		/var/tmp /var/spool /var/run /var/lock /var/mail /var/opt /var/local /var/backups
		/usr/share/doc /usr/share/man /usr/share/info /usr/share/locale /usr/lib/locale /usr/share/misc
		/usr/share/pixmaps /usr/share/applications /usr/share/icons /usr/share/fonts /usr/share/X11
		/usr/share/mime /usr/share/pkgconfig /usr/lib/pkgconfig /usr/share/common-licenses /usr/share/i18n
		/etc/default /etc/init.d /etc/alternatives /etc/profile.d /etc/skel /etc/ssl /etc/ssl/certs
		/nix /nix/store /nix/var`) {
		standardDirs[d] = true
	}
}

// standardDir reports whether p is a directory of the standard
// hierarchy: standardDirs, one level below /usr/local, a multiarch
// library directory (/usr/lib/x86_64-linux-gnu).
func standardDir(p string) bool {
	if standardDirs[p] || path.Dir(p) == "/usr/local" {
		return true
	}
	switch path.Dir(p) {
	case "/lib", "/usr/lib", "/usr/local/lib", "/usr/include":
		return strings.Contains(path.Base(p), "-linux-")
	}
	return false
}

// NeedsDir reports whether a root needs the directory at the real image
// path p itself: a program opens it or a file names it (a directory
// node), so that the directory stays even when it holds nothing kept
// (nginx's /var/lib/nginx, where it makes its temporary directories).
func (c *Closure) NeedsDir(p string) bool {
	id, ok := c.Graph.Lookup(graph.File, p)
	return ok && len(c.Graph.Get(id).Files) == 0 && c.Analysis.Reachable(id)
}
