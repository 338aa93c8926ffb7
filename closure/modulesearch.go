package closure

// Interpreters' module search: the modules a Python, Node or Perl program
// imports, resolved as the interpreter would (closure/modules), become
// imports edges explained by file and line; names computed at run time
// become dynamic-import findings. Kept in one file, wired into Build by
// one step and one check in runtimeEdges.

import (
	"fmt"
	"io/fs"
	"maps"
	"path"
	"regexp"
	"slices"
	"sort"
	"strings"

	"github.com/whittle-dev/whittle/analyze"
	"github.com/whittle-dev/whittle/closure/graph"
	"github.com/whittle-dev/whittle/closure/modules"
	"github.com/whittle-dev/whittle/closure/runtime"
	"github.com/whittle-dev/whittle/closure/shebang"
	"github.com/whittle-dev/whittle/finding"
	"github.com/whittle-dev/whittle/internal/imagefs"
)

// DynamicImport is the kind of the findings about imports a reachable
// program computes at run time.
const DynamicImport = "dynamic-import"

// interpKind says which interpreter a program is: "python", "node",
// "perl" or "".
func interpKind(real string) string {
	b := path.Base(real)
	switch {
	case pyInterp.MatchString(b):
		return "python"
	case b == "node" || b == "nodejs":
		return "node"
	case perlInterp.MatchString(b):
		return "perl"
	case b == "java":
		return "java"
	}
	return ""
}

var (
	stdlibRE   = regexp.MustCompile(`/lib(64)?/python[0-9]+\.[0-9]+/`)
	pyInterp   = regexp.MustCompile(`^python[0-9]+(\.[0-9]+)?m?$`)
	perlInterp = regexp.MustCompile(`^perl([0-9]+(\.[0-9]+)*)?$`)
)

// modEntry is one way the image starts an interpreter on code: the
// interpreter's real path and what it runs.
type modEntry struct {
	interp string // real path of the interpreter
	named  string // the interpreter's path as named (a venv's bin/python)
	kind   string
	file   string // the script
	module string // python -m
	code   string // python -c
	dir    string // sys.path[0] / working directory
	mods   []string
	// config marks the entries of the config's command line: they
	// decide whether the site directories are trimmed to what is
	// imported.
	config bool
}

// moduleState is what the module search decided for runtimeEdges.
type moduleState struct {
	// trimPython holds the python versions whose site directories are
	// kept as imported rather than whole.
	trimPython map[string]bool
	// preloaded is set once the sources are read; walked holds the
	// scripts walked.
	preloaded bool
	walked    map[string]bool
}

// moduleEdges adds the imports edges of what the config's command line
// starts on an interpreter (before the run-time rules: it decides whether
// python's site directories are kept whole). The #! scripts the roots
// reach are walked once the roots are known (moduleScriptEdges).
func (b *builder) moduleEdges() error {
	return b.walkEntries(b.configEntries())
}

// moduleScriptRounds bounds moduleScriptEdges' rounds: a script reached
// only through a module found in the last round is not walked.
const moduleScriptRounds = 8

// moduleScriptEdges walks the #! scripts on an interpreter that the roots
// reach, round after round until no new one is reached.
func (b *builder) moduleScriptEdges() error {
	defer b.untrimShellPython()
	done := map[string]bool{}
	for round := 0; round < moduleScriptRounds; round++ {
		reach := b.reachableNow()
		var entries []modEntry
		for _, p := range slices.Sorted(maps.Keys(b.scripts)) {
			if done[p] || isModule(p) {
				continue
			}
			id, ok := b.nodeOf(p)
			if !ok || !reach[id] {
				continue
			}
			done[p] = true
			if e, ok := b.scriptEntry(p); ok && !b.mods.walked[e.file] {
				entries = append(entries, e)
			}
		}
		if len(entries) == 0 {
			return nil
		}
		if err := b.walkEntries(entries); err != nil {
			return err
		}
	}
	return nil
}

// untrimShellPython keeps a trimmed python's site directories whole
// after all when a reachable shell script runs that python: its arguments
// (a script, -m, -c) are not known, so neither is what it imports.
func (b *builder) untrimShellPython() {
	if len(b.mods.trimPython) == 0 {
		return
	}
	reach := b.reachableNow()
	for from := range reach {
		for _, e := range b.g.Edges(from) {
			if !e.Kinds.Has(graph.Runs) {
				continue
			}
			n := b.g.Get(e.To)
			res, err := imagefs.Resolve(b.fsys, n.Name)
			if err != nil {
				continue
			}
			_, ver, site, ok := runtime.PythonInstall(res.Path)
			if !ok || !b.mods.trimPython[ver] {
				continue
			}
			for _, d := range site {
				if isDirIn(b.fsys, d) {
					b.moduleEdge(res.Path, d, true, fmt.Sprintf("%s is run by the shell script %s with arguments the closure cannot read: its site directory %s is kept whole", res.Path, b.g.Get(from).Name, d))
				}
			}
		}
	}
}

// reachableNow is what the roots reach in the graph as built so far.
func (b *builder) reachableNow() map[graph.NodeID]bool {
	seen := map[graph.NodeID]bool{}
	stack := b.g.Roots()
	for _, r := range stack {
		seen[r] = true
	}
	for len(stack) > 0 {
		id := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		for _, e := range b.g.Edges(id) {
			if !seen[e.To] {
				seen[e.To] = true
				stack = append(stack, e.To)
			}
		}
	}
	return seen
}

// walkEntries follows the imports of entries, grouped by interpreter.
func (b *builder) walkEntries(entries []modEntry) error {
	if len(entries) == 0 {
		return nil
	}
	if !b.mods.preloaded {
		if err := b.preloadSources(); err != nil {
			return err
		}
		b.mods.preloaded = true
	}
	if b.mods.walked == nil {
		b.mods.walked = map[string]bool{}
	}
	// Entry files the source preload did not take (scripts without an
	// extension, /usr/bin/cpan): one pass for all of them, not one each.
	if err := b.preloadEntries(entries); err != nil {
		return err
	}
	byInterp := map[string][]modEntry{}
	var interps []string
	for _, e := range entries {
		if e.file != "" {
			b.mods.walked[e.file] = true
		}
		if _, ok := byInterp[e.interp]; !ok {
			interps = append(interps, e.interp)
		}
		byInterp[e.interp] = append(byInterp[e.interp], e)
	}
	sort.Strings(interps)
	for _, e := range entries {
		if e.config && e.file != "" && interpKind(e.interp) != "" {
			b.moduleEdge(e.interp, e.file, false, "the config runs "+path.Base(e.interp)+" on "+e.file)
		}
	}
	env := b.env(b.extraEnv)
	read := func(p string) ([]byte, error) { return imagefs.ReadFile(b.fsys, p, modules.MaxSource) }
	for _, ip := range interps {
		es := byInterp[ip]
		var res modules.Result
		switch es[0].kind {
		case "python":
			res = b.pythonWalk(ip, es, env, read)
		case "node":
			res = b.nodeWalk(ip, es, env, read)
		case "perl":
			res = b.perlWalk(ip, es, env, read)
		case "java":
			b.javaEdges(ip, es)
		}
		b.addModuleResult(res)
	}
	return nil
}

// preloadSources reads, in one pass over the layers, the files the
// module search may parse: sources and package metadata.
func (b *builder) preloadSources() error {
	return b.fsys.Preload(func(n *analyze.Node) bool {
		if n.Content == nil || n.Content.Size > modules.MaxSource {
			return false
		}
		p := n.Path()
		if stdlibRE.MatchString(p) && !strings.Contains(p, "-packages/") {
			return false // Python's standard library: kept whole, never parsed
		}
		switch path.Ext(p) {
		case ".py", ".js", ".cjs", ".mjs", ".pm", ".pl", ".ph", ".pth":
			return true
		case ".json":
			return path.Base(p) == "package.json"
		}
		switch path.Base(p) {
		case "RECORD", "top_level.txt", "installed-files.txt":
			return true
		}
		return false
	})
}

// preloadEntries reads, in one pass over the layers, the entry files
// whose bytes are not in memory yet.
func (b *builder) preloadEntries(entries []modEntry) error {
	want := map[string]bool{}
	for _, e := range entries {
		if e.file != "" && !b.fsys.Ready(imagefs.Name(e.file)) {
			want[e.file] = true
		}
	}
	if len(want) == 0 {
		return nil
	}
	return b.fsys.Preload(func(n *analyze.Node) bool {
		return n.Content != nil && n.Content.Size <= modules.MaxSource && want[n.Path()]
	})
}

// configEntries lists how the config's command line starts
// interpreters on code.
func (b *builder) configEntries() []modEntry {
	var out []modEntry
	seen := map[string]bool{}
	if b.im.Config == nil {
		return nil
	}
	cfg := b.im.Config.Config
	argv := append(append([]string(nil), cfg.Entrypoint...), cfg.Cmd...)
	starts := []int{0}
	if len(cfg.Entrypoint) > 0 && len(cfg.Cmd) > 0 {
		starts = append(starts, len(cfg.Entrypoint)) // exec "$@"
	}
	for _, k := range starts {
		if k >= len(argv) {
			continue
		}
		for _, e := range b.commandEntries(argv[k:], cfg.WorkingDir) {
			e.config = true
			key := e.interp + "\x00" + e.file + "\x00" + e.module + "\x00" + e.code + "\x00" + strings.Join(e.mods, ",")
			if !seen[key] {
				seen[key] = true
				out = append(out, e)
			}
		}
	}
	return out
}

// scriptEntry is the entry of a #! script run on an interpreter.
func (b *builder) scriptEntry(p string) (modEntry, bool) {
	s := b.scripts[p]
	if s == nil {
		return modEntry{}, false
	}
	res := shebang.Resolve(b.fsys, s, b.searchDir)
	t := res.Command
	if t == nil {
		t = res.Interpreter
	}
	if t == nil {
		return modEntry{}, false
	}
	kind := interpKind(t.Real)
	if kind == "" {
		return modEntry{}, false
	}
	return modEntry{interp: t.Real, named: t.Path, kind: kind, file: p, dir: path.Dir(p)}, true
}

// commandEntries reads a command line: an interpreter and its arguments
// (python3 app.py, python3 -m pkg, node server.js, perl -MX script.pl),
// or a script run by its #! line.
func (b *builder) commandEntries(argv []string, workdir string) []modEntry {
	if workdir == "" {
		workdir = "/"
	}
	res, err := b.c.findProgram(argv[0], workdir)
	if err != nil {
		return nil
	}
	real, err := imagefs.Resolve(b.fsys, res.Path)
	if err != nil {
		return nil
	}
	kind := interpKind(real.Path)
	if kind == "" {
		if e, ok := b.scriptEntry(real.Path); ok {
			return []modEntry{e}
		}
		return nil
	}
	e := modEntry{interp: real.Path, named: res.Path, kind: kind, dir: workdir}
	script := func(arg string) {
		p := arg
		if !strings.HasPrefix(p, "/") {
			p = path.Join(workdir, p)
		}
		if r, err := imagefs.Resolve(b.fsys, p); err == nil {
			e.file, e.dir = r.Path, path.Dir(r.Path)
		}
	}
	args := argv[1:]
	switch kind {
	case "python":
		for i := 0; i < len(args); i++ {
			a := args[i]
			switch {
			case a == "-c" && i+1 < len(args):
				e.code = args[i+1]
				return []modEntry{e}
			case a == "-m" && i+1 < len(args):
				e.module = args[i+1]
				return []modEntry{e}
			case strings.HasPrefix(a, "-m") && len(a) > 2:
				e.module = a[2:]
				return []modEntry{e}
			case a == "-W" || a == "-X" || a == "--check-hash-based-pycs":
				i++
			case strings.HasPrefix(a, "-"):
			default:
				script(a)
				if e.file == "" {
					return nil
				}
				return []modEntry{e}
			}
		}
	case "node":
		for i := 0; i < len(args); i++ {
			a := args[i]
			switch {
			case (a == "-r" || a == "--require") && i+1 < len(args):
				e.mods = append(e.mods, args[i+1])
				i++
			case a == "-e" || a == "-p" || a == "--eval" || a == "--print":
				return nil
			case strings.HasPrefix(a, "-"):
			default:
				script(a)
				if e.file == "" && len(e.mods) == 0 {
					return nil
				}
				return []modEntry{e}
			}
		}
	case "java":
		for i := 0; i < len(args); i++ {
			a := args[i]
			switch {
			case (a == "-cp" || a == "-classpath" || a == "--class-path") && i+1 < len(args):
				e.mods = append(e.mods, strings.Split(args[i+1], ":")...)
				i++
			case a == "-jar" && i+1 < len(args):
				script(args[i+1])
				return []modEntry{e}
			case strings.HasPrefix(a, "-"):
			default:
				return []modEntry{e} // the main class
			}
		}
	case "perl":
		for i := 0; i < len(args); i++ {
			a := args[i]
			switch {
			case strings.HasPrefix(a, "-M") || strings.HasPrefix(a, "-m"):
				m := strings.TrimLeft(a[2:], "-")
				m, _, _ = strings.Cut(m, "=")
				if m != "" {
					e.mods = append(e.mods, m)
				}
			case a == "-e" || a == "-E":
				return nil
			case a == "-I" && i+1 < len(args):
				i++
			case strings.HasPrefix(a, "-"):
			default:
				script(a)
				if e.file == "" {
					return nil
				}
				return []modEntry{e}
			}
		}
	}
	return nil
}

func readable(b *builder, p string) bool {
	_, err := imagefs.ReadFile(b.fsys, p, modules.MaxSource)
	return err == nil
}

// javaEdges links java to the jar it runs and its class path entries (a
// directory, a jar, or DIR/* for the jars in DIR).
func (b *builder) javaEdges(interp string, es []modEntry) {
	for _, e := range es {
		for _, cp := range e.mods {
			p := strings.TrimSuffix(cp, "/*")
			if p == "*" || p == "" {
				p = "."
			}
			if !strings.HasPrefix(p, "/") {
				p = path.Join(e.dir, p)
			}
			b.moduleEdge(interp, p, false, "java's class path names "+cp)
		}
	}
}

// pythonWalk resolves the imports of the entries run on one python.
func (b *builder) pythonWalk(interp string, es []modEntry, env map[string]string, read func(string) ([]byte, error)) modules.Result {
	pre, ver, site, ok := runtime.PythonInstall(interp)
	if !ok {
		return modules.Result{}
	}
	var search []string
	for _, p := range strings.Split(env["PYTHONPATH"], ":") {
		if strings.HasPrefix(p, "/") {
			search = append(search, path.Clean(p))
		}
	}
	stdlib := []string{pre + "/lib/python" + ver, pre + "/lib64/python" + ver}
	if h := env["PYTHONHOME"]; h != "" {
		stdlib = append([]string{h + "/lib/python" + ver}, stdlib...)
	}
	for _, s := range stdlib {
		search = append(search, s, s+"/lib-dynload")
	}
	// A virtual environment: pyvenv.cfg above the python named.
	for _, e := range es {
		venv := path.Dir(path.Dir(e.named))
		if _, _, err := imagefs.Stat(b.fsys, venv+"/pyvenv.cfg"); err == nil {
			site = append([]string{venv + "/lib/python" + ver + "/site-packages"}, site...)
		}
	}
	// /usr/local's come first on Debian.
	sort.SliceStable(site, func(i, j int) bool {
		return strings.HasPrefix(site[i], "/usr/local/") && !strings.HasPrefix(site[j], "/usr/local/")
	})
	// Nixpkgs' python adds NIX_PYTHONPATH's directories as site
	// directories (its sitecustomize calls site.addsitedir).
	for _, p := range strings.Split(env["NIX_PYTHONPATH"], ":") {
		if strings.HasPrefix(p, "/") {
			site = append(site, path.Clean(p))
		}
	}
	var entries []modules.PyEntry
	var pths []string
	for _, d := range site {
		if !isDirIn(b.fsys, d) {
			continue
		}
		search = append(search, d)
		names, _, _ := imagefs.ReadDir(b.fsys, d)
		for _, n := range names {
			if !strings.HasSuffix(n.Name(), ".pth") {
				continue
			}
			pth := d + "/" + n.Name()
			pths = append(pths, pth)
			data, _ := imagefs.ReadFile(b.fsys, pth, modules.MaxSource)
			for _, line := range strings.Split(string(data), "\n") {
				line = strings.TrimSpace(line)
				switch {
				case line == "" || strings.HasPrefix(line, "#"):
				case strings.HasPrefix(line, "import ") || strings.HasPrefix(line, "import\t"):
					entries = append(entries, modules.PyEntry{Code: line, Origin: pth, StartUp: true})
				default:
					if !strings.HasPrefix(line, "/") {
						line = d + "/" + line
					}
					search = append(search, path.Clean(line))
				}
			}
		}
	}
	trim := false
	for _, e := range es {
		switch {
		case e.file != "":
			entries = append(entries, modules.PyEntry{File: e.file, Dir: e.dir})
		case e.module != "":
			entries = append(entries, modules.PyEntry{Module: e.module, Origin: interp, Dir: e.dir})
		case e.code != "":
			entries = append(entries, modules.PyEntry{Code: e.code, Origin: interp, Dir: e.dir})
		}
		// A script the walk cannot read would trim the site
		// directories to nothing: they stay whole then.
		if e.config && (e.file == "" || readable(b, e.file)) {
			trim = true
		}
	}
	if trim {
		// site.py reads every .pth file and imports sitecustomize and
		// usercustomize at start-up.
		for _, p := range pths {
			b.moduleEdge(interp, p, false, interp+" reads "+p+" at start-up (site)")
		}
		entries = append(entries, modules.PyEntry{Code: "import sitecustomize\nimport usercustomize", Origin: interp, StartUp: true})
		if b.mods.trimPython == nil {
			b.mods.trimPython = map[string]bool{}
		}
		b.mods.trimPython[ver] = true
	}
	py := &modules.Python{FS: b.fsys, Read: read, Path: search, Stdlib: stdlib}
	return py.Walk(entries)
}

// nodeWalk resolves what the entries run on one node load.
func (b *builder) nodeWalk(interp string, es []modEntry, env map[string]string, read func(string) ([]byte, error)) modules.Result {
	var global []string
	for _, p := range strings.Split(env["NODE_PATH"], ":") {
		if strings.HasPrefix(p, "/") {
			global = append(global, path.Clean(p))
		}
	}
	if h := env["HOME"]; strings.HasPrefix(h, "/") {
		global = append(global, h+"/.node_modules", h+"/.node_libraries")
	}
	prefix := path.Dir(path.Dir(interp))
	rel := ""
	for _, obj := range append([]string{interp}, b.c.loads[interp]...) {
		if n, err := b.fsys.Node(imagefs.Name(obj)); err == nil && n.Content != nil {
			if f := b.facts[n.Content]; f != nil && f.NodeRelativePath != "" {
				rel = f.NodeRelativePath
				break
			}
		}
	}
	if rel == "" {
		rel = "lib/node"
	}
	for _, r := range strings.Split(rel, ":") {
		if r != "" {
			global = append(global, path.Join(prefix, r))
		}
	}
	var entries []modules.NodeEntry
	for _, e := range es {
		entries = append(entries, modules.NodeEntry{File: e.file, Require: e.mods, Origin: interp, Dir: e.dir})
	}
	n := &modules.Node{FS: b.fsys, Read: read, Global: global}
	return n.Walk(entries)
}

// perlWalk resolves what the entries run on one perl load.
func (b *builder) perlWalk(interp string, es []modEntry, env map[string]string, read func(string) ([]byte, error)) modules.Result {
	var inc []string
	for _, p := range strings.Split(env["PERL5LIB"], ":") {
		if strings.HasPrefix(p, "/") {
			inc = append(inc, path.Clean(p))
		}
	}
	for _, obj := range append([]string{interp}, b.c.loads[interp]...) {
		if n, err := b.fsys.Node(imagefs.Name(obj)); err == nil && n.Content != nil {
			if f := b.facts[n.Content]; f != nil {
				for _, p := range f.Paths {
					if isDirIn(b.fsys, p) && !slices.Contains(inc, p) {
						inc = append(inc, p)
					}
				}
			}
		}
	}
	var entries []modules.PerlEntry
	for _, e := range es {
		entries = append(entries, modules.PerlEntry{File: e.file, Modules: e.mods, Origin: interp})
	}
	p := &modules.Perl{FS: b.fsys, Read: read, INC: inc}
	return p.Walk(entries)
}

// addModuleResult turns a walk's edges and notes into the graph's.
func (b *builder) addModuleResult(res modules.Result) {
	for _, e := range res.Edges {
		b.moduleEdge(e.From, e.To, e.Dir, e.Why)
	}
	// A package's own computed imports make one finding: it is kept
	// whole, and the user learns where to look, not every line.
	byUnit := map[string][]modules.Note{}
	var units []string
	for _, n := range res.Notes {
		if n.Unit == "" {
			if from, ok := b.nodeOf(n.File); ok {
				b.later(from, DynamicImport, finding.Info, n.File, n.Message)
			}
			continue
		}
		if _, ok := byUnit[n.Unit]; !ok {
			units = append(units, n.Unit)
		}
		byUnit[n.Unit] = append(byUnit[n.Unit], n)
	}
	for _, u := range units {
		ns := byUnit[u]
		if len(ns) == 1 {
			if from, ok := b.nodeOf(ns[0].File); ok {
				b.later(from, DynamicImport, finding.Info, ns[0].File, ns[0].Message)
			}
			continue
		}
		var where []string
		for _, n := range ns {
			where = append(where, fmt.Sprintf("%s line %d", n.File, n.Line))
		}
		if len(where) > maxExplain {
			where = append(where[:maxExplain], fmt.Sprintf("%d more", len(ns)-maxExplain))
		}
		if from, ok := b.nodeOf(ns[0].File); ok {
			b.later(from, DynamicImport, finding.Info, ns[0].File, fmt.Sprintf("%d imports of %s name modules computed at run time (%s); the package is kept whole; add a keep: for what they load",
				len(ns), u, strings.Join(where, ", ")))
		}
	}
}

// moduleEdge links from to a module file or directory, and to the links
// on the way to it, explaining the edge.
func (b *builder) moduleEdge(from, to string, dir bool, why string) {
	src, ok := b.nodeOf(from)
	if !ok {
		r, err := imagefs.Resolve(b.fsys, from)
		if err != nil {
			return
		}
		if src, ok = b.nodeOf(r.Path); !ok {
			return
		}
	}
	res, fi, err := imagefs.Stat(b.fsys, to)
	if err != nil {
		return
	}
	var dst graph.NodeID
	if fi.IsDir() {
		dst = b.dirNode(res.Path)
	} else if dst, ok = b.nodeOf(res.Path); !ok {
		return
	}
	if b.c.explain == nil {
		b.c.explain = map[[2]graph.NodeID][]string{}
	}
	for _, l := range res.Links {
		if ln, ok := b.nodeOf(l); ok && ln != src {
			b.g.AddEdge(src, ln, graph.Imports)
		}
	}
	if dst == src {
		return
	}
	b.g.AddEdge(src, dst, graph.Imports)
	k := [2]graph.NodeID{src, dst}
	if len(b.c.explain[k]) < maxExplain && !slices.Contains(b.c.explain[k], why) {
		b.c.explain[k] = append(b.c.explain[k], why)
	}
}

// skipRuntime reports whether runtimeEdges leaves out a run-time edge
// the module search replaces: a python's whole site directories (and
// what its .pth files add) when the config runs it on a script whose
// imports were followed.
func (b *builder) skipRuntime(e runtime.Edge) bool {
	if len(b.mods.trimPython) == 0 {
		return false
	}
	switch e.Rule.Name {
	case "python-pth":
		return true
	case "python-site":
		_, ver, _, ok := runtime.PythonInstall(e.From)
		return ok && b.mods.trimPython[ver]
	}
	return false
}

func isDirIn(fsys fs.FS, p string) bool {
	_, fi, err := imagefs.Stat(fsys, p)
	return err == nil && fi.IsDir()
}

// DynamicImports counts the dynamic-import findings.
func (c *Closure) DynamicImports() int {
	n := 0
	for _, p := range c.Problems {
		if p.Kind == "closure/"+DynamicImport {
			n++
		}
	}
	return n
}
