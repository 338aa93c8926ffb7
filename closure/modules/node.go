package modules

import (
	"encoding/json"
	"fmt"
	"io/fs"
	"path"
	"sort"
	"strings"

	"github.com/whittle-dev/whittle/internal/imagefs"
)

// JSSource is what a JavaScript file loads.
type JSSource struct {
	Imports []Import
	Dynamic []Dynamic
}

// ParseJS returns the modules JavaScript source loads: require("x"),
// import … from "x", import "x", export … from "x", import("x"). A
// require() or import() of anything but a string literal is Dynamic.
func ParseJS(src []byte) JSSource {
	s := string(src)
	var out JSSource
	line := 1
	prev := byte('{') // last significant character, to tell a regex from a division
	prevWord := ""
	for i := 0; i < len(s); {
		c := s[i]
		switch {
		case c == '\n':
			line++
			i++
		case c == ' ' || c == '\t' || c == '\r':
			i++
		case c == '/' && i+1 < len(s) && s[i+1] == '/':
			for i < len(s) && s[i] != '\n' {
				i++
			}
		case c == '/' && i+1 < len(s) && s[i+1] == '*':
			end := strings.Index(s[i+2:], "*/")
			if end < 0 {
				end = len(s) - i - 2
			}
			line += strings.Count(s[i:i+2+end], "\n")
			i += end + 4
		case c == '#' && i == 0 && strings.HasPrefix(s, "#!"):
			for i < len(s) && s[i] != '\n' {
				i++
			}
		case c == '"' || c == '\'' || c == '`':
			_, n, nl := jsString(s[i:])
			line += nl
			i += n
			prev, prevWord = '"', ""
		case c == '/' && regexAllowed(prev, prevWord):
			i += jsRegex(s[i:])
			prev, prevWord = '"', ""
		case isIdentStart(c) || c == '$':
			j := i
			for j < len(s) && (isIdent(s[j]) || s[j] == '$') {
				j++
			}
			word := s[i:j]
			dotBefore := prev == '.'
			i = j
			prev, prevWord = 'a', word
			if dotBefore {
				continue
			}
			switch word {
			case "require":
				k := skipSpace(s, i)
				if k < len(s) && s[k] == '(' {
					jsCall(s, k+1, line, "require", &out)
				}
			case "import":
				k := skipSpace(s, i)
				switch {
				case k < len(s) && s[k] == '(':
					jsCall(s, k+1, line, "import()", &out)
				case k < len(s) && s[k] == '.':
					// import.meta
				default:
					if name, ok := jsFrom(s, i); ok {
						out.Imports = append(out.Imports, Import{Name: name, Line: line, Form: "import"})
					}
				}
			case "export":
				if name, ok := jsFrom(s, i); ok {
					out.Imports = append(out.Imports, Import{Name: name, Line: line, Form: "export-from"})
				}
			}
		default:
			prev, prevWord = c, ""
			i++
		}
	}
	return out
}

func skipSpace(s string, i int) int {
	for i < len(s) && (s[i] == ' ' || s[i] == '\t' || s[i] == '\n' || s[i] == '\r') {
		i++
	}
	return i
}

// regexAllowed reports whether a '/' after prev starts a regular
// expression literal rather than a division.
func regexAllowed(prev byte, word string) bool {
	switch word {
	case "return", "typeof", "case", "do", "else", "in", "of", "new", "delete", "void", "throw", "yield", "await":
		return true
	case "":
	default:
		return false
	}
	return strings.IndexByte("(,=:[!&|?{};+-*%<>~^", prev) >= 0
}

// jsString reads a string or template literal: its value, length and
// newlines.
func jsString(s string) (string, int, int) {
	q := s[0]
	nl := 0
	depth := 0
	for j := 1; j < len(s); j++ {
		switch c := s[j]; {
		case c == '\\':
			j++
			if j < len(s) && s[j] == '\n' {
				nl++
			}
		case c == '\n':
			nl++
			if q != '`' {
				return s[1:j], j, nl
			}
		case q == '`' && c == '$' && j+1 < len(s) && s[j+1] == '{':
			depth++
			j++
		case q == '`' && c == '}' && depth > 0:
			depth--
		case c == q && depth == 0:
			return s[1:j], j + 1, nl
		}
	}
	return s[1:], len(s), nl
}

func jsRegex(s string) int {
	inClass := false
	for j := 1; j < len(s); j++ {
		switch s[j] {
		case '\\':
			j++
		case '[':
			inClass = true
		case ']':
			inClass = false
		case '/':
			if !inClass {
				j++
				for j < len(s) && isIdent(s[j]) {
					j++
				}
				return j
			}
		case '\n':
			return j
		}
	}
	return len(s)
}

// jsCall reads the argument of require( or import( at s[i:].
func jsCall(s string, i, line int, form string, out *JSSource) {
	i = skipSpace(s, i)
	if i < len(s) && (s[i] == '"' || s[i] == '\'' || s[i] == '`') {
		v, n, _ := jsString(s[i:])
		k := skipSpace(s, i+n)
		if k < len(s) && (s[k] == ')' || s[k] == ',') && !(s[i] == '`' && strings.Contains(v, "${")) {
			out.Imports = append(out.Imports, Import{Name: v, Line: line, Form: form})
			return
		}
	}
	end := strings.IndexAny(s[i:], ")\n")
	if end < 0 || end > 60 {
		end = min(60, len(s)-i)
	}
	out.Dynamic = append(out.Dynamic, Dynamic{Line: line, What: strings.TrimSuffix(form, "()") + "(" + s[i:i+end] + ")"})
}

// jsFrom finds the module of an import or export statement starting
// after the keyword: `"x"` directly, or the string after `from` within
// the statement.
func jsFrom(s string, i int) (string, bool) {
	k := skipSpace(s, i)
	if k < len(s) && (s[k] == '"' || s[k] == '\'') {
		v, _, _ := jsString(s[k:])
		return v, true
	}
	// Scan to `from "…"` before the statement ends (a ';' or a keyword
	// starting a new statement on a later line is not looked for:
	// bounded instead).
	limit := min(len(s), k+2000)
	for j := k; j < limit; j++ {
		switch s[j] {
		case ';', '(', '=':
			return "", false
		case '"', '\'', '`':
			return "", false
		}
		if strings.HasPrefix(s[j:], "from") && (j == 0 || !isIdent(s[j-1])) && j+4 < len(s) && !isIdent(s[j+4]) {
			m := skipSpace(s, j+4)
			if m < len(s) && (s[m] == '"' || s[m] == '\'') {
				v, _, _ := jsString(s[m:])
				return v, true
			}
			return "", false
		}
	}
	return "", false
}

// nodeBuiltins are Node's built-in modules: they need no file.
var nodeBuiltins = map[string]bool{}

func init() {
	for _, m := range strings.Fields(`assert async_hooks buffer child_process cluster console constants crypto dgram
		diagnostics_channel dns domain events fs http http2 https inspector module net os path perf_hooks process
		punycode querystring readline repl stream string_decoder sys timers tls trace_events tty url util v8 vm
		wasi worker_threads zlib test`) {
		nodeBuiltins[m] = true
	}
}

// NodeBuiltin reports whether a require()d name is one of Node's own.
func NodeBuiltin(name string) bool {
	if strings.HasPrefix(name, "node:") {
		return true
	}
	top, _, _ := strings.Cut(name, "/")
	return nodeBuiltins[top]
}

// Node describes a Node interpreter's module search.
type Node struct {
	FS   fs.FS
	Read func(p string) ([]byte, error)
	// Global are the folders searched after the node_modules of the
	// directory chain: NODE_PATH, $HOME/.node_modules,
	// $HOME/.node_libraries, PREFIX/lib/node, and the folders a
	// distribution compiles in (Debian: /usr/share/nodejs, …).
	Global []string
}

// NodeEntry is a script node runs (and its preloaded -r modules).
type NodeEntry struct {
	File    string
	Require []string
	Origin  string
	Dir     string
}

type nodeWalk struct {
	*walker
	n *Node
	// pkgs are the package directories kept whole.
	pkgs map[string]bool
}

var jsSuffixes = []string{".js", ".cjs", ".mjs"}

// Walk resolves what every entry loads, transitively.
func (n *Node) Walk(entries []NodeEntry) Result {
	w := &nodeWalk{walker: newWalker(n.FS, n.Read), n: n, pkgs: map[string]bool{}}
	for _, e := range entries {
		for _, r := range e.Require {
			w.load(e.Origin, e.Dir, Import{Name: r, Form: "-r"})
		}
		if e.File != "" {
			w.enqueue(e.File)
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
		js := ParseJS(src)
		for _, imp := range js.Imports {
			w.load(p, path.Dir(p), imp)
		}
		for _, d := range js.Dynamic {
			msg := fmt.Sprintf("line %d: %s names a module computed at run time", d.Line, d.What)
			pkg := w.pkgOf(p)
			if pkg != "" {
				msg += "; the package it is in (" + pkg + ") is kept"
			}
			w.note(p, d.Line, pkg, msg+"; add a keep: for what it loads")
		}
	}
	return w.res
}

// load resolves one require/import of file (in dir) as Node does.
func (w *nodeWalk) load(file, dir string, imp Import) {
	name := imp.Name
	if NodeBuiltin(name) || name == "" {
		return
	}
	why := fmt.Sprintf("%s line %d loads %s (%s)", file, imp.Line, name, imp.Form)
	if imp.Form == "-r" {
		why = fmt.Sprintf("%s -r preloads %s", file, name)
	}
	if strings.HasPrefix(name, "./") || strings.HasPrefix(name, "../") || strings.HasPrefix(name, "/") || name == "." || name == ".." {
		p := name
		if !strings.HasPrefix(p, "/") {
			p = path.Join(dir, p)
		}
		if target := w.fileOrDir(clean(p)); target != "" {
			w.edge(file, target, false, why)
			w.visit(w.real(target))
		}
		return
	}
	pkgName, sub := splitPackage(name)
	for _, nm := range w.searchDirs(dir) {
		pkg := nm + "/" + pkgName
		if !w.isDir(pkg) {
			if sub == "" {
				if target := w.fileOrDir(pkg); target != "" {
					w.edge(file, target, false, why)
					w.visit(w.real(target))
					return
				}
			}
			continue
		}
		target := w.packageEntry(pkg, sub)
		from := file
		if target != "" {
			w.edge(file, target, false, why)
			from = w.real(target)
			w.visit(from)
		}
		w.keepPackage(from, w.real(pkg))
		// An ES module importer takes the "import" condition: follow
		// that entry too (the package is kept whole either way).
		if esm := w.esmEntry(pkg, sub); esm != "" && esm != target {
			w.edge(file, esm, false, why+" (its ES module entry)")
			w.visit(w.real(esm))
		}
		return
	}
}

// searchDirs are the folders a bare name is looked up in from dir: each
// node_modules up the directory chain, then the global folders.
func (w *nodeWalk) searchDirs(dir string) []string {
	var out []string
	for d := dir; ; d = path.Dir(d) {
		if path.Base(d) != "node_modules" {
			out = append(out, strings.TrimSuffix(d, "/")+"/node_modules")
		}
		if d == "/" || d == "." {
			break
		}
	}
	return append(out, w.n.Global...)
}

// splitPackage splits "a/b/c" into "a" and "b/c", "@s/a/b" into "@s/a"
// and "b".
func splitPackage(name string) (string, string) {
	parts := strings.SplitN(name, "/", 3)
	if strings.HasPrefix(name, "@") && len(parts) >= 2 {
		pkg := parts[0] + "/" + parts[1]
		if len(parts) == 3 {
			return pkg, parts[2]
		}
		return pkg, ""
	}
	pkg, sub, _ := strings.Cut(name, "/")
	return pkg, sub
}

// packageEntry is the file a package (or its subpath) resolves to:
// package.json "exports" (a string, or "." / "./sub" mapped to a string
// or to conditions require/node/import/default), else "main", else
// index.js; a subpath without exports is a file of the package.
func (w *nodeWalk) packageEntry(pkg, sub string) string {
	meta := w.packageJSON(pkg)
	key := "."
	if sub != "" {
		key = "./" + sub
	}
	if meta != nil && meta.Exports != nil {
		if t := exportTarget(meta.Exports, key); t != "" {
			if p := w.fileOrDir(clean(pkg + "/" + t)); p != "" {
				return p
			}
		}
	}
	if sub != "" {
		return w.fileOrDir(clean(pkg + "/" + sub))
	}
	return w.fileOrDir(pkg)
}

// esmEntry is the file of a package's "import" condition, "" when its
// exports have none.
func (w *nodeWalk) esmEntry(pkg, sub string) string {
	meta := w.packageJSON(pkg)
	if meta == nil || meta.Exports == nil {
		return ""
	}
	key := "."
	if sub != "" {
		key = "./" + sub
	}
	t := exportTargetIn(meta.Exports, key, esmConditions)
	if t == "" {
		return ""
	}
	return w.fileOrDir(clean(pkg + "/" + t))
}

// The conditions require() and import take, in order of preference.
var (
	cjsConditions = []string{"node", "require", "default", "import"}
	esmConditions = []string{"import", "node", "default", "require"}
)

type packageJSON struct {
	Main    string          `json:"main"`
	Exports json.RawMessage `json:"exports"`
}

func (w *nodeWalk) packageJSON(dir string) *packageJSON {
	b, err := w.read(dir + "/package.json")
	if err != nil {
		return nil
	}
	var m packageJSON
	if json.Unmarshal(b, &m) != nil {
		return nil
	}
	return &m
}

// exportTarget picks the target of key in a package.json "exports", as
// require() does.
func exportTarget(raw json.RawMessage, key string) string {
	return exportTargetIn(raw, key, cjsConditions)
}

// exportTargetIn picks the target of key, conditions tried in order.
func exportTargetIn(raw json.RawMessage, key string, order []string) string {
	var s string
	if json.Unmarshal(raw, &s) == nil {
		if key == "." {
			return s
		}
		return ""
	}
	var m map[string]json.RawMessage
	if json.Unmarshal(raw, &m) != nil {
		var arr []json.RawMessage
		if json.Unmarshal(raw, &arr) == nil && len(arr) > 0 {
			return exportTargetIn(arr[0], key, order)
		}
		return ""
	}
	subpaths := false
	for k := range m {
		subpaths = subpaths || strings.HasPrefix(k, ".")
	}
	if !subpaths {
		if key != "." {
			return ""
		}
		return condition(m, order)
	}
	if v, ok := m[key]; ok {
		return conditionRaw(v, order)
	}
	// "./*" patterns.
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		pre, suf, ok := strings.Cut(k, "*")
		if ok && strings.HasPrefix(key, pre) && strings.HasSuffix(key, suf) && len(key) >= len(pre)+len(suf) {
			star := key[len(pre) : len(key)-len(suf)]
			if t := conditionRaw(m[k], order); t != "" {
				return strings.ReplaceAll(t, "*", star)
			}
		}
	}
	return ""
}

func conditionRaw(raw json.RawMessage, order []string) string {
	var s string
	if json.Unmarshal(raw, &s) == nil {
		return s
	}
	var m map[string]json.RawMessage
	if json.Unmarshal(raw, &m) == nil {
		return condition(m, order)
	}
	var arr []json.RawMessage
	if json.Unmarshal(raw, &arr) == nil && len(arr) > 0 {
		return conditionRaw(arr[0], order)
	}
	return ""
}

// condition picks a target from a conditions object, the conditions
// tried in order.
func condition(m map[string]json.RawMessage, order []string) string {
	for _, c := range order {
		if v, ok := m[c]; ok {
			if t := conditionRaw(v, order); t != "" {
				return t
			}
		}
	}
	return ""
}

// fileOrDir is Node's LOAD_AS_FILE then LOAD_AS_DIRECTORY.
func (w *nodeWalk) fileOrDir(p string) string {
	if w.isFile(p) {
		return p
	}
	for _, ext := range []string{".js", ".json", ".node", ".cjs", ".mjs"} {
		if w.isFile(p + ext) {
			return p + ext
		}
	}
	if !w.isDir(p) {
		return ""
	}
	if meta := w.packageJSON(p); meta != nil && meta.Main != "" {
		m := clean(p + "/" + meta.Main)
		if w.isFile(m) {
			return m
		}
		for _, ext := range []string{".js", ".json", ".node"} {
			if w.isFile(m + ext) {
				return m + ext
			}
		}
		for _, idx := range []string{"/index.js", "/index.json", "/index.node"} {
			if w.isFile(m + idx) {
				return m + idx
			}
		}
	}
	for _, idx := range []string{"/index.js", "/index.json", "/index.node"} {
		if w.isFile(p + idx) {
			return p + idx
		}
	}
	return ""
}

// visit queues a JavaScript file to parse.
func (w *nodeWalk) visit(p string) {
	for _, s := range jsSuffixes {
		if strings.HasSuffix(p, s) {
			w.enqueue(p)
			return
		}
	}
}

// keepPackage keeps a package directory whole: its files may load each
// other by computed names and read data next to them. Only the files
// loaded are parsed (a package's tests require what it never loads);
// its own node_modules are packages of their own, kept when loaded.
func (w *nodeWalk) keepPackage(from, pkg string) {
	if w.pkgs[pkg] {
		return
	}
	w.pkgs[pkg] = true
	w.edge(from, pkg, true, fmt.Sprintf("%s is a file of the package %s, kept whole", from, pkg))
}

// real is a path with every symlink followed, as Node names a module it
// loads (the path itself when it does not resolve).
func (w *nodeWalk) real(p string) string {
	if r, err := imagefs.Resolve(w.fsys, p); err == nil {
		return r.Path
	}
	return p
}

// pkgOf returns the package directory holding a file, "" for none.
func (w *nodeWalk) pkgOf(file string) string {
	best := ""
	for pkg := range w.pkgs {
		if under(file, pkg) && len(pkg) > len(best) {
			best = pkg
		}
	}
	return best
}
