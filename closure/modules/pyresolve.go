package modules

import (
	"fmt"
	"io/fs"
	"path"
	"strings"
)

// Python describes one Python interpreter's module search.
type Python struct {
	// FS is the image; Read, when set, reads a source file (else FS).
	FS   fs.FS
	Read func(p string) ([]byte, error)
	// Path is sys.path after its first entry (the script's directory):
	// PYTHONPATH, the standard library and lib-dynload, the site
	// directories and what their .pth files add.
	Path []string
	// Stdlib are the directories kept whole by other rules: modules
	// found there get an edge and are not followed.
	Stdlib []string
}

// PyEntry is one way the interpreter is started.
type PyEntry struct {
	// File is the script run (`python3 /app/app.py`, a #! script).
	File string
	// Module is the module `-m` runs; Code the source `-c` runs. Their
	// edges start at Origin (the interpreter).
	Module, Code, Origin string
	// Dir is sys.path[0]: the script's directory, or the working
	// directory for -m and -c.
	Dir string
	// StartUp marks Code that site.py runs at start-up (a .pth file's
	// import lines, sitecustomize).
	StartUp bool
}

// pyWalk is one walk over the modules a set of entries reaches.
type pyWalk struct {
	*walker
	py *Python
	// path is sys.path: the entries' directories first, then Path, with
	// the literal sys.path edits the walk finds.
	path  []string
	dists map[string]map[string]*dist // site directory → top-level name → distribution
	// followed are the distributions and packages already kept.
	followed map[string]bool
}

// pyModule is a module found: its file and, for a package, the
// directories its submodules are looked up in.
type pyModule struct {
	name string
	file string   // __init__.py, NAME.py or an extension; "" for a namespace package
	dirs []string // a package's __path__
	base string   // the sys.path entry it was found in
}

// pyExtension reports whether file is the extension module of name:
// NAME.so, NAME.abi3.so, NAME.cpython-311-x86_64-linux-gnu.so.
func pyExtension(name, file string) bool {
	if !strings.HasPrefix(file, name+".") || !strings.HasSuffix(file, ".so") {
		return false
	}
	mid := file[len(name)+1 : len(file)-len(".so")]
	return mid == "" || !strings.Contains(mid, ".")
}

// Walk resolves the imports of every entry and of every module they
// reach, transitively.
func (py *Python) Walk(entries []PyEntry) Result {
	w := &pyWalk{walker: newWalker(py.FS, py.Read), py: py, dists: map[string]map[string]*dist{}, followed: map[string]bool{}}
	for _, e := range entries {
		if e.Dir != "" && !contains(w.path, e.Dir) {
			w.path = append(w.path, e.Dir)
		}
	}
	for _, d := range py.Path {
		if !contains(w.path, d) {
			w.path = append(w.path, d)
		}
	}
	for _, e := range entries {
		switch {
		case e.File != "":
			w.enqueue(e.File)
		case e.Module != "":
			w.importName(e.Origin, e.Dir, Import{Name: e.Module, Line: 0, Form: "-m"}, true)
		case e.Code != "" && e.StartUp:
			w.source(e.Origin, e.Dir, []byte(e.Code), "start-up")
		case e.Code != "":
			w.source(e.Origin, e.Dir, []byte(e.Code), "-c")
		}
	}
	for {
		p, ok := w.pop()
		if !ok {
			break
		}
		src, err := w.read(p)
		if err != nil {
			continue
		}
		w.source(p, path.Dir(p), src, "")
	}
	return w.res
}

// source follows what one source file imports.
func (w *pyWalk) source(file, dir string, src []byte, form string) {
	ps := ParsePython(src)
	for _, e := range ps.Paths {
		d := e.Dir
		if !strings.HasPrefix(d, "/") {
			d = path.Join(dir, d)
		}
		d = clean(d)
		if contains(w.path, d) {
			continue
		}
		if e.Front {
			w.path = append([]string{d}, w.path...)
		} else {
			w.path = append(w.path, d)
		}
		if w.isDir(d) {
			w.edge(file, d, true, fmt.Sprintf("%s line %d puts %s on sys.path: the app's own modules, kept whole", file, e.Line, d))
		}
	}
	for _, imp := range ps.Imports {
		if form != "" {
			imp.Form = form
		}
		w.importName(file, dir, imp, false)
	}
	for _, d := range ps.Dynamic {
		msg := fmt.Sprintf("line %d: %s names a module computed at run time", d.Line, d.What)
		if strings.HasPrefix(d.What, "sys.path.") {
			msg = fmt.Sprintf("line %d: %s adds a directory computed at run time to sys.path", d.Line, d.What)
		}
		keep := w.unitOf(file)
		if keep != "" {
			msg += "; the package it is in (" + keep + ") is kept"
		}
		w.note(file, d.Line, keep, msg+"; add a keep: for what it loads")
	}
}

// importName resolves one import statement of file and links file to
// each module it loads (a.b.c loads a, a.b and a.b.c).
func (w *pyWalk) importName(file, dir string, imp Import, main bool) {
	var mods []pyModule
	var last *pyModule
	switch {
	case imp.Level > 0:
		pkg := dir
		for i := 1; i < imp.Level; i++ {
			pkg = path.Dir(pkg)
		}
		search := []string{pkg}
		if imp.Name != "" {
			mods = w.find(strings.Split(imp.Name, "."), search, pkg)
			if len(mods) != len(strings.Split(imp.Name, ".")) {
				return
			}
			last = &mods[len(mods)-1]
		} else {
			last = &pyModule{dirs: search}
		}
	case pyBuiltins[imp.Name]:
		return // compiled into the interpreter: found before sys.path
	default:
		parts := strings.Split(imp.Name, ".")
		mods = w.find(parts, w.path, "")
		if len(mods) == 0 {
			return // not installed: an optional import, or a module Python builds in
		}
		if len(mods) == len(parts) {
			last = &mods[len(mods)-1]
		}
	}
	if last != nil {
		for _, name := range imp.From {
			if name == "*" {
				continue
			}
			if sub := w.find([]string{name}, last.dirs, last.base); len(sub) == 1 {
				mods = append(mods, sub[0])
			}
		}
		if main && len(last.dirs) > 0 {
			if sub := w.find([]string{"__main__"}, last.dirs, last.base); len(sub) == 1 {
				mods = append(mods, sub[0])
			}
		}
	}
	for _, m := range mods {
		why := fmt.Sprintf("%s line %d imports %s", file, imp.Line, m.name)
		switch imp.Form {
		case "-m":
			why = fmt.Sprintf("%s -m %s runs %s", file, imp.Name, m.name)
		case "-c":
			why = fmt.Sprintf("%s -c imports %s", file, m.name)
		case "start-up":
			why = fmt.Sprintf("%s imports %s at start-up (site)", file, m.name)
		}
		if m.file != "" {
			w.edge(file, m.file, false, why)
			w.follow(m)
		} else {
			for _, d := range m.dirs {
				w.edge(file, d, false, why+" (namespace package)")
			}
		}
	}
}

// find looks a dotted name up: its first part in search, each next part
// in the package found before. It returns the modules found, stopping at
// the first part not found.
func (w *pyWalk) find(parts, search []string, base string) []pyModule {
	var out []pyModule
	name := ""
	for _, part := range parts {
		if part == "" {
			break
		}
		if name != "" {
			name += "."
		}
		name += part
		m, ok := w.findOne(part, search)
		if !ok {
			break
		}
		m.name = name
		if base != "" {
			m.base = base
		}
		if len(out) > 0 {
			m.base = out[0].base
		}
		out = append(out, m)
		if len(m.dirs) == 0 {
			break // a module, not a package
		}
		search = m.dirs
	}
	return out
}

// findOne is Python's FileFinder over a list of directories: a package
// directory with __init__, else an extension module, else a source
// module; directories without __init__ make a namespace package when
// nothing else is found.
func (w *pyWalk) findOne(part string, search []string) (pyModule, bool) {
	var ns []string
	for _, d := range search {
		names := w.list(d)
		if names == nil {
			continue
		}
		pkg := d + "/" + part
		if has(names, part) && w.isDir(pkg) {
			inner := w.list(pkg)
			for _, init := range []string{"__init__.py"} {
				if has(inner, init) {
					return pyModule{file: pkg + "/" + init, dirs: []string{pkg}, base: d}, true
				}
			}
			for _, n := range inner {
				if pyExtension("__init__", n) {
					return pyModule{file: pkg + "/" + n, dirs: []string{pkg}, base: d}, true
				}
			}
			ns = append(ns, pkg)
		}
		for _, n := range names {
			if pyExtension(part, n) && w.isFile(d+"/"+n) {
				return pyModule{file: d + "/" + n, base: d}, true
			}
		}
		if has(names, part+".py") && w.isFile(d+"/"+part+".py") {
			return pyModule{file: d + "/" + part + ".py", base: d}, true
		}
	}
	if len(ns) > 0 {
		return pyModule{dirs: ns, base: path.Dir(ns[0])}, true
	}
	return pyModule{}, false
}

// follow keeps what a module found needs besides itself: its
// distribution's files (or its whole top-level package), whose sources
// are parsed in turn. Modules of the standard library are kept by the
// interpreter's own rule and not followed.
func (w *pyWalk) follow(m pyModule) {
	for _, s := range w.py.Stdlib {
		if under(m.file, s) {
			return
		}
	}
	if strings.HasSuffix(m.file, ".py") {
		w.enqueue(m.file)
	}
	base := m.base
	if base == "" || !under(m.file, base) {
		return
	}
	rel := strings.TrimPrefix(m.file, base+"/")
	top, _, _ := strings.Cut(rel, "/")
	topName := top
	if i := strings.IndexByte(top, '.'); i >= 0 && !strings.Contains(rel, "/") {
		topName = top[:i]
	}
	if d := w.distOf(base, topName); d != nil {
		if w.followed[d.name+"\x00"+base] {
			return
		}
		w.followed[d.name+"\x00"+base] = true
		why := fmt.Sprintf("%s belongs to the distribution %s (%s)", m.file, d.name, d.source)
		for _, f := range d.files {
			w.edge(m.file, f, false, why)
			if strings.HasSuffix(f, ".py") && !testFile(f) {
				w.enqueue(f)
			}
		}
		for _, dir := range d.dirs {
			w.edge(m.file, dir, true, why)
			for _, f := range w.files(dir, []string{".py"}, testDir) {
				w.enqueue(f)
			}
		}
		return
	}
	if strings.Contains(rel, "/") {
		dir := base + "/" + top
		if w.followed[dir] {
			return
		}
		w.followed[dir] = true
		w.edge(m.file, dir, true, fmt.Sprintf("%s is part of the package %s, kept whole (no distribution lists its files)", m.file, dir))
		for _, f := range w.files(dir, []string{".py"}, testDir) {
			w.enqueue(f)
		}
	}
}

// testDir reports whether a package's subdirectory holds its tests, which
// import test frameworks the package never loads; they are kept with the
// package, not parsed.
func testDir(name string) bool { return name == "tests" || name == "test" }

// testFile reports whether a file of a distribution is one of its tests.
func testFile(p string) bool {
	return strings.Contains(p, "/tests/") || strings.Contains(p, "/test/") || strings.HasPrefix(path.Base(p), "conftest.py")
}

// unitOf names what holds a source file: its distribution or top-level
// package directory, "" when it is a script of its own.
func (w *pyWalk) unitOf(file string) string {
	best := ""
	for _, d := range w.path {
		if under(file, d) && len(d) > len(best) && file != d {
			best = d
		}
	}
	if best == "" {
		return ""
	}
	rel := strings.TrimPrefix(file, best+"/")
	top, _, nested := strings.Cut(rel, "/")
	if !nested {
		return ""
	}
	if d := w.distOf(best, top); d != nil {
		return "distribution " + d.name
	}
	return best + "/" + top
}

// pyBuiltins are the modules CPython compiles into every interpreter
// (sys.builtin_module_names of a default build); the built-in importer
// finds them before sys.path is searched, so a directory of the same name
// on sys.path is not them.
var pyBuiltins = map[string]bool{}

func init() {
	for _, m := range strings.Fields(`_abc _ast _codecs _collections _functools _imp _io _locale _operator _signal _sre
		_stat _string _symtable _thread _tokenize _tracemalloc _typing _warnings _weakref atexit builtins errno
		faulthandler gc itertools marshal posix pwd sys time xxsubtype`) {
		pyBuiltins[m] = true
	}
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// has reports whether a sorted list holds s.
func has(sorted []string, s string) bool {
	lo, hi := 0, len(sorted)
	for lo < hi {
		m := (lo + hi) / 2
		if sorted[m] < s {
			lo = m + 1
		} else {
			hi = m
		}
	}
	return lo < len(sorted) && sorted[lo] == s
}
