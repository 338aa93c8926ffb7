package modules

import (
	"fmt"
	"io/fs"
	"path"
	"regexp"
	"strings"
)

// PerlSource is what a Perl file loads.
type PerlSource struct {
	Imports []Import
	Dynamic []Dynamic
	// Lib are the directories `use lib` puts first in @INC.
	Lib []PathEdit
}

var (
	perlUse     = regexp.MustCompile(`^\s*(?:BEGIN\s*\{\s*)?(use|no|require)\s+([A-Za-z_][\w:]*|["'][^"']+["']|\$\w+)\s*([^;]*)`)
	perlQW      = regexp.MustCompile(`qw\s*[\(\[\{/<](.*?)[\)\]\}/>]|["']([^"']+)["']`)
	perlVersion = regexp.MustCompile(`^v?\d`)
	perlPragmas = map[string]bool{"strict": true, "warnings": true, "utf8": true, "vars": true, "integer": true, "bytes": true, "feature": true, "constant": false, "lib": true, "parent": false, "base": false}
)

// ParsePerl returns the modules Perl source loads: use and require of a
// module name or a literal file, `use parent`/`use base` classes, and the
// directories of `use lib`. POD and what follows __END__/__DATA__ are
// skipped; require of a variable is Dynamic.
func ParsePerl(src []byte) PerlSource {
	var out PerlSource
	pod := false
	for n, line := range strings.Split(string(src), "\n") {
		ln := n + 1
		if strings.HasPrefix(line, "=") {
			pod = !strings.HasPrefix(line, "=cut")
			continue
		}
		if pod {
			continue
		}
		if strings.HasPrefix(line, "__END__") || strings.HasPrefix(line, "__DATA__") {
			break
		}
		if i := strings.IndexByte(line, '#'); i >= 0 && !strings.ContainsAny(line[:i], `"'`) {
			line = line[:i]
		}
		// Statements after a ';' on the same line, and `eval { require X }`.
		for _, stmt := range splitPerl(line) {
			m := perlUse.FindStringSubmatch(stmt)
			if m == nil {
				continue
			}
			verb, name, rest := m[1], m[2], m[3]
			switch {
			case strings.HasPrefix(name, "$"):
				if verb == "require" {
					out.Dynamic = append(out.Dynamic, Dynamic{Line: ln, What: "require " + name})
				}
				continue
			case strings.HasPrefix(name, `"`) || strings.HasPrefix(name, `'`):
				lit := strings.Trim(name, `"'`)
				if verb == "require" && !strings.Contains(lit, "$") {
					out.Imports = append(out.Imports, Import{Name: lit, Line: ln, Form: "require-file"})
				} else if verb == "require" {
					out.Dynamic = append(out.Dynamic, Dynamic{Line: ln, What: "require " + name})
				}
				continue
			}
			if verb == "no" {
				if perlPragmas[name] {
					continue
				}
			}
			switch name {
			case "lib":
				for _, w := range perlWords(rest) {
					// FindBin's $Bin and $RealBin: the script's directory.
					for _, v := range []string{"$FindBin::RealBin", "${FindBin::RealBin}", "$FindBin::Bin", "${FindBin::Bin}", "$RealBin", "$Bin"} {
						if rel, ok := strings.CutPrefix(w, v); ok {
							w = "." + rel
							break
						}
					}
					out.Lib = append(out.Lib, PathEdit{Dir: w, Front: true, Line: ln})
				}
				continue
			case "parent", "base":
				words := perlWords(rest)
				if !strings.Contains(rest, "-norequire") {
					for _, w := range words {
						out.Imports = append(out.Imports, Import{Name: w, Line: ln, Form: "use " + name})
					}
				}
			}
			if perlVersion.MatchString(name) {
				continue // use 5.010;
			}
			form := verb
			out.Imports = append(out.Imports, Import{Name: name, Line: ln, Form: form})
		}
	}
	return out
}

func splitPerl(line string) []string {
	var out []string
	for _, s := range strings.Split(line, ";") {
		s = strings.TrimSpace(s)
		for _, pre := range []string{"eval {", "eval{", "{", "}"} {
			s = strings.TrimSpace(strings.TrimPrefix(s, pre))
		}
		if s != "" {
			out = append(out, s)
		}
	}
	return out
}

func perlWords(rest string) []string {
	var out []string
	for _, m := range perlQW.FindAllStringSubmatch(rest, -1) {
		if m[1] != "" {
			out = append(out, strings.Fields(m[1])...)
		} else if m[2] != "" {
			out = append(out, m[2])
		}
	}
	return out
}

// Perl describes a perl interpreter's @INC.
type Perl struct {
	FS   fs.FS
	Read func(p string) ([]byte, error)
	// INC is @INC after the script's `use lib`: PERL5LIB, then the
	// interpreter's compiled-in directories.
	INC []string
}

// PerlEntry is a script perl runs.
type PerlEntry struct {
	File string
	// Modules are -M modules of the command line; Origin the
	// interpreter they are linked from.
	Modules []string
	Origin  string
}

type perlWalk struct {
	*walker
	inc []string
}

// Walk resolves what every entry loads, transitively.
func (p *Perl) Walk(entries []PerlEntry) Result {
	w := &perlWalk{walker: newWalker(p.FS, p.Read), inc: append([]string(nil), p.INC...)}
	for _, e := range entries {
		for _, m := range e.Modules {
			w.load(e.Origin, Import{Name: m, Form: "-M"})
		}
		if e.File != "" {
			w.enqueue(e.File)
		}
	}
	for {
		f, ok := w.pop()
		if !ok {
			break
		}
		src, err := w.read(f)
		if err != nil {
			continue
		}
		ps := ParsePerl(src)
		for _, l := range ps.Lib {
			d := l.Dir
			switch {
			case d == "." || strings.HasPrefix(d, "./") && !strings.Contains(d, "$"):
				d = path.Join(path.Dir(f), d) // FindBin: the script's directory
			case !strings.HasPrefix(d, "/") || strings.Contains(d, "$"):
				continue // relative to the working directory, or computed
			}
			d = clean(d)
			if !contains(w.inc, d) {
				w.inc = append([]string{d}, w.inc...)
			}
			if w.isDir(d) {
				w.edge(f, d, true, fmt.Sprintf("%s line %d puts %s in @INC (use lib): the app's own modules, kept whole", f, l.Line, d))
			}
		}
		for _, imp := range ps.Imports {
			w.load(f, imp)
		}
		for _, d := range ps.Dynamic {
			w.note(f, d.Line, "", fmt.Sprintf("line %d: %s loads a module computed at run time; add a keep: for what it loads", d.Line, d.What))
		}
	}
	return w.res
}

// load finds a module in @INC: X::Y is X/Y.pm; an XS module also needs
// auto/X/Y/Y.so (and what else auto/X/Y holds: autoload files).
func (w *perlWalk) load(from string, imp Import) {
	rel := imp.Name
	if imp.Form != "require-file" {
		rel = strings.ReplaceAll(imp.Name, "::", "/") + ".pm"
	}
	why := fmt.Sprintf("%s line %d %s %s", from, imp.Line, strings.TrimSuffix(imp.Form, "-file"), imp.Name)
	if imp.Form == "-M" {
		why = fmt.Sprintf("%s -M%s", from, imp.Name)
	}
	cands := w.inc
	if strings.HasPrefix(rel, "/") {
		cands = []string{""}
	}
	for _, d := range cands {
		p := clean(d + "/" + rel)
		if !w.isFile(p) {
			continue
		}
		w.edge(from, p, false, why)
		w.enqueue(p)
		if imp.Form != "require-file" {
			mod := strings.TrimSuffix(rel, ".pm")
			for _, d2 := range w.inc {
				auto := d2 + "/auto/" + mod
				if w.isDir(auto) {
					w.edge(p, auto, true, fmt.Sprintf("%s loads its compiled part from %s", p, auto))
					break
				}
			}
		}
		return
	}
}
