// Package modules finds what interpreted programs load by name: the
// modules a Python, Node or Perl program imports, parsed from its source
// without running it, resolved through the interpreter's search path as
// it would be at run time (sys.path, node_modules and NODE_PATH, @INC),
// transitively. A name computed at run time cannot be resolved; it is
// reported as a Dynamic import with its file and line. The package reads
// only the image file system it is given.
package modules

import (
	"strings"
)

// Import is one module a source file names.
type Import struct {
	// Name is the module's name as written ("os.path", "flask",
	// "./lib/db", "JSON::PP"); for a Python relative import it is the
	// part after the dots.
	Name string
	// Level is the number of leading dots of a Python relative import.
	Level int
	// From are the names a Python `from NAME import a, b` imports: each
	// may be a submodule.
	From []string
	// Line is the 1-based line of the statement.
	Line int
	// Form says how it was written ("import", "from-import",
	// "__import__", "import_module", "require", "import()", "use").
	Form string
}

// Dynamic is an import whose name is computed at run time.
type Dynamic struct {
	Line int
	// What is the expression or statement, shortened.
	What string
}

// PathEdit is a literal edit of Python's sys.path.
type PathEdit struct {
	// Dir is the directory added, absolute, or relative to the file's
	// directory when Relative is set.
	Dir string
	// Front is set for sys.path.insert(0, …).
	Front bool
	Line  int
}

// PythonSource is what a Python file imports.
type PythonSource struct {
	Imports []Import
	Dynamic []Dynamic
	Paths   []PathEdit
}

// pyTok is one token of Python source.
type pyTok struct {
	kind byte // 'n' name, 's' string, 'o' operator, 'l' end of logical line, 'x' number/other
	text string
	line int
}

// pyTokens splits Python source into tokens, dropping comments and
// joining continued lines (a backslash, or open brackets); strings keep
// their value (escapes left as written).
func pyTokens(src string) []pyTok {
	var out []pyTok
	line, depth := 1, 0
	i := 0
	endLine := func() {
		if depth == 0 && len(out) > 0 && out[len(out)-1].kind != 'l' {
			out = append(out, pyTok{kind: 'l', line: line})
		}
	}
	for i < len(src) {
		c := src[i]
		switch {
		case c == '\n':
			endLine()
			line++
			i++
		case c == '\\' && i+1 < len(src) && src[i+1] == '\n':
			line++
			i += 2
		case c == ' ' || c == '\t' || c == '\r' || c == '\f':
			i++
		case c == '#':
			for i < len(src) && src[i] != '\n' {
				i++
			}
		case c == '"' || c == '\'':
			s, n, lines := pyString(src[i:])
			out = append(out, pyTok{kind: 's', text: s, line: line})
			line += lines
			i += n
		case isIdentStart(c):
			j := i
			for j < len(src) && isIdent(src[j]) {
				j++
			}
			word := src[i:j]
			if j < len(src) && (src[j] == '"' || src[j] == '\'') && isStringPrefix(word) {
				s, n, lines := pyString(src[j:])
				kind := byte('s')
				if strings.ContainsAny(word, "fF") {
					kind = 'x' // an f-string is computed
				}
				out = append(out, pyTok{kind: kind, text: s, line: line})
				line += lines
				i = j + n
				continue
			}
			out = append(out, pyTok{kind: 'n', text: word, line: line})
			i = j
		case c >= '0' && c <= '9':
			j := i
			for j < len(src) && (isIdent(src[j]) || src[j] == '.') {
				j++
			}
			out = append(out, pyTok{kind: 'x', text: src[i:j], line: line})
			i = j
		default:
			switch c {
			case '(', '[', '{':
				depth++
			case ')', ']', '}':
				if depth > 0 {
					depth--
				}
			}
			if c == ';' && depth == 0 {
				endLine()
			} else {
				out = append(out, pyTok{kind: 'o', text: string(c), line: line})
			}
			i++
		}
	}
	endLine()
	return out
}

func isIdentStart(c byte) bool {
	return c == '_' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= 0x80
}

func isIdent(c byte) bool { return isIdentStart(c) || c >= '0' && c <= '9' }

func isStringPrefix(w string) bool {
	if len(w) > 2 {
		return false
	}
	for _, c := range strings.ToLower(w) {
		if !strings.ContainsRune("rbuf", c) {
			return false
		}
	}
	return true
}

// pyString reads a string literal at the start of s: its value, the
// bytes it spans and the newlines in it.
func pyString(s string) (string, int, int) {
	q := s[:1]
	if strings.HasPrefix(s, q+q+q) {
		end := strings.Index(s[3:], q+q+q)
		for end >= 0 && escaped(s[3:], end) {
			next := strings.Index(s[3+end+1:], q+q+q)
			if next < 0 {
				end = -1
				break
			}
			end += 1 + next
		}
		if end < 0 {
			return s[3:], len(s), strings.Count(s, "\n")
		}
		body := s[3 : 3+end]
		return body, 3 + end + 3, strings.Count(body, "\n")
	}
	for j := 1; j < len(s); j++ {
		switch s[j] {
		case '\\':
			j++
		case '\n':
			return s[1:j], j, 0 // unterminated: stop at the line's end
		case q[0]:
			return s[1:j], j + 1, 0
		}
	}
	return s[1:], len(s), 0
}

// escaped reports whether s[i] is preceded by an odd number of backslashes.
func escaped(s string, i int) bool {
	n := 0
	for j := i - 1; j >= 0 && s[j] == '\\'; j-- {
		n++
	}
	return n%2 == 1
}

// ParsePython returns the imports, dynamic imports and literal sys.path
// edits of Python source.
func ParsePython(src []byte) PythonSource {
	toks := pyTokens(string(src))
	var out PythonSource
	start := true // at the start of a statement
	for i := 0; i < len(toks); i++ {
		t := toks[i]
		if t.kind == 'l' {
			start = true
			continue
		}
		wasStart := start
		start = t.kind == 'o' && t.text == ":" // `try: import x`
		if t.kind != 'n' {
			continue
		}
		switch {
		case wasStart && t.text == "import":
			i = parseImport(toks, i+1, t.line, &out)
		case wasStart && t.text == "from":
			i = parseFrom(toks, i+1, t.line, &out)
		case t.text == "__import__" && next(toks, i+1, "("):
			call(toks, i+2, t.line, "__import__", &out)
		case t.text == "import_module" && next(toks, i+1, "(") && (i == 0 || !(toks[i-1].kind == 'n' && toks[i-1].text == "def")):
			call(toks, i+2, t.line, "import_module", &out)
		case t.text == "sys" && next(toks, i+1, ".") && i+3 < len(toks) && toks[i+2].text == "path" && next(toks, i+3, "."):
			pathEdit(toks, i+4, t.line, &out)
		}
	}
	return out
}

func next(toks []pyTok, i int, op string) bool {
	return i < len(toks) && toks[i].kind == 'o' && toks[i].text == op
}

// dotted reads a dotted name at toks[i]: the name and the index after it.
func dotted(toks []pyTok, i int) (string, int) {
	var parts []string
	for i < len(toks) && toks[i].kind == 'n' {
		parts = append(parts, toks[i].text)
		i++
		if !next(toks, i, ".") {
			break
		}
		i++
	}
	return strings.Join(parts, "."), i
}

func parseImport(toks []pyTok, i, line int, out *PythonSource) int {
	for i < len(toks) && toks[i].kind != 'l' {
		name, j := dotted(toks, i)
		if name == "" {
			return i
		}
		out.Imports = append(out.Imports, Import{Name: name, Line: line, Form: "import"})
		i = j
		if i < len(toks) && toks[i].kind == 'n' && toks[i].text == "as" {
			i += 2
		}
		if !next(toks, i, ",") {
			break
		}
		i++
	}
	return i - 1
}

func parseFrom(toks []pyTok, i, line int, out *PythonSource) int {
	level := 0
	for i < len(toks) && toks[i].kind == 'o' && toks[i].text == "." {
		level++
		i++
	}
	name := ""
	if i < len(toks) && !(toks[i].kind == 'n' && toks[i].text == "import") {
		name, i = dotted(toks, i)
	}
	if i >= len(toks) || toks[i].kind != 'n' || toks[i].text != "import" {
		return i - 1
	}
	i++
	imp := Import{Name: name, Level: level, Line: line, Form: "from-import"}
	for i < len(toks) && toks[i].kind != 'l' {
		switch t := toks[i]; {
		case t.kind == 'n' && t.text == "as":
			i++
		case t.kind == 'n':
			imp.From = append(imp.From, t.text)
		}
		i++
	}
	if imp.Name != "" || imp.Level > 0 {
		out.Imports = append(out.Imports, imp)
	}
	return i - 1
}

// call reads the first argument of __import__(…) or import_module(…).
func call(toks []pyTok, i, line int, form string, out *PythonSource) {
	if i < len(toks) && toks[i].kind == 's' && (next(toks, i+1, ")") || next(toks, i+1, ",")) {
		name := toks[i].text
		level := 0
		for strings.HasPrefix(name, ".") {
			level++
			name = name[1:]
		}
		out.Imports = append(out.Imports, Import{Name: name, Level: level, Line: line, Form: form})
		return
	}
	out.Dynamic = append(out.Dynamic, Dynamic{Line: line, What: form + "(" + argText(toks, i) + ")"})
}

// argText renders the tokens of a call's arguments, shortened.
func argText(toks []pyTok, i int) string {
	var b strings.Builder
	depth := 0
	for ; i < len(toks) && toks[i].kind != 'l' && b.Len() < 60; i++ {
		t := toks[i]
		if t.kind == 'o' {
			switch t.text {
			case "(", "[", "{":
				depth++
			case ")", "]", "}":
				if depth == 0 {
					return b.String()
				}
				depth--
			}
		}
		if t.kind == 's' {
			b.WriteString("'" + t.text + "'")
		} else {
			b.WriteString(t.text)
		}
	}
	return b.String()
}

// pathEdit reads sys.path.insert(N, EXPR) or sys.path.append(EXPR) at
// the token after "sys.path.".
func pathEdit(toks []pyTok, i, line int, out *PythonSource) {
	if i >= len(toks) || toks[i].kind != 'n' || !next(toks, i+1, "(") {
		return
	}
	method := toks[i].text
	i += 2
	front := false
	switch method {
	case "insert":
		front = i < len(toks) && toks[i].text == "0"
		for i < len(toks) && toks[i].kind != 'l' && !(toks[i].kind == 'o' && toks[i].text == ",") {
			i++
		}
		i++
	case "append", "extend":
	default:
		return
	}
	e := pathExpr{toks: toks, i: i}
	dir, ok := e.eval()
	if !ok || method == "extend" {
		out.Dynamic = append(out.Dynamic, Dynamic{Line: line, What: "sys.path." + method + "(" + argText(toks, i) + ")"})
		return
	}
	out.Paths = append(out.Paths, PathEdit{Dir: dir, Front: front, Line: line})
}

// pathExpr evaluates the forms of path expressions scripts put on
// sys.path: string literals, __file__, os.path.dirname/abspath/realpath/
// join and str() of them. A path relative to the file's directory is
// returned relative ("." for the directory itself).
type pathExpr struct {
	toks []pyTok
	i    int
}

func (e *pathExpr) eval() (string, bool) {
	t := e.toks
	if e.i >= len(t) {
		return "", false
	}
	switch tok := t[e.i]; {
	case tok.kind == 's':
		e.i++
		return tok.text, true
	case tok.kind == 'n' && tok.text == "__file__":
		e.i++
		return "./__file__", true
	case tok.kind == 'n':
		name, j := dotted(t, e.i)
		if !next(t, j, "(") {
			return "", false
		}
		e.i = j + 1
		var args []string
		for !next(t, e.i, ")") {
			a, ok := e.eval()
			if !ok {
				return "", false
			}
			args = append(args, a)
			if next(t, e.i, ",") {
				e.i++
			}
		}
		e.i++
		fn := name[strings.LastIndex(name, ".")+1:]
		switch {
		case (fn == "abspath" || fn == "realpath" || fn == "normpath" || fn == "str" || fn == "fspath") && len(args) == 1:
			return args[0], true
		case fn == "dirname" && len(args) == 1:
			if args[0] == "./__file__" {
				return ".", true
			}
			return pathDir(args[0]), true
		case fn == "join" && len(args) > 0:
			p := args[0]
			for _, a := range args[1:] {
				if strings.HasPrefix(a, "/") {
					p = a
				} else {
					p = p + "/" + a
				}
			}
			return p, true
		}
	}
	return "", false
}

func pathDir(p string) string {
	i := strings.LastIndexByte(p, '/')
	switch {
	case i < 0:
		return "."
	case i == 0:
		return "/"
	}
	return p[:i]
}
