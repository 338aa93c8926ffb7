// Package runtime holds the run-time payload rules: a data-driven table
// saying which files and directories a program opens at run time beyond
// what the ELF loader maps — an interpreter's standard library, glibc's
// NSS and gconv modules, locale and time zone data, OpenSSL's
// configuration and CA certificates, data named by the image's Env. Each
// rule has a name and a one-line explanation that `--why` prints; Edges
// applies the table to an image's ELF objects. It does no I/O beyond the
// image file system it is given.
package runtime

import (
	"bytes"
	"io/fs"
	"path"
	"slices"
	"sort"
	"strings"

	"github.com/whittle-dev/whittle/internal/imagefs"
)

// Facts are what the rules need from an object's bytes, collected once
// while the file is read for its ELF headers (see Scan).
type Facts struct {
	// OpenSSLDir, EnginesDir and ModulesDir are libcrypto's compiled-in
	// directories (its `OPENSSLDIR: "…"` strings), "" when absent.
	OpenSSLDir, EnginesDir, ModulesDir string
	// Paths are the absolute paths among the object's strings that name
	// a perl library directory (an interpreter's compiled-in @INC).
	Paths []string
	// NodeRelativePath is Node's compiled-in node_relative_path (its
	// global module folders relative to its prefix, ':'-separated;
	// Debian's libnode: "lib/x86_64-linux-gnu/nodejs:share/nodejs").
	NodeRelativePath string
	// NodeBuiltins are the files a Node built with externalized builtins
	// loads at start-up (its NODE_SHARED_BUILTIN_*_PATH defines; Debian's
	// libnode: /usr/share/nodejs/cjs-module-lexer/lexer.js, …).
	NodeBuiltins []string
	// Dlopen reports that the object names the symbol dlopen: it may
	// load libraries by names computed at run time.
	Dlopen bool
}

// scanKey keys ScanShared's results: the bytes scanned are the entry's
// first n.
type scanKey struct{ n int }

// ScanShared is Scan, its result kept in shared (analyze.EntryShared: the
// learners of one entry's bytes), so that the learners that each need it
// scan the bytes once. The result is shared: never change it.
func ScanShared(shared map[any]any, data []byte) *Facts {
	if shared == nil {
		return Scan(data)
	}
	k := scanKey{len(data)}
	if f, ok := shared[k]; ok {
		return f.(*Facts)
	}
	f := Scan(data)
	shared[k] = f
	return f
}

// Scan collects the Facts of an ELF object's bytes; nil when it holds
// none.
func Scan(data []byte) *Facts {
	f := &Facts{}
	found := false
	if bytes.Contains(data, []byte("\x00dlopen\x00")) {
		f.Dlopen, found = true, true
	}
	for _, k := range []struct {
		key string
		dst *string
	}{{"OPENSSLDIR: \"", &f.OpenSSLDir}, {"ENGINESDIR: \"", &f.EnginesDir}, {"MODULESDIR: \"", &f.ModulesDir}} {
		if i := bytes.Index(data, []byte(k.key)); i >= 0 {
			rest := data[i+len(k.key):]
			if j := bytes.IndexByte(rest, '"'); j > 0 && j < 4096 {
				*k.dst = string(rest[:j])
				found = true
			}
		}
	}
	if i := bytes.Index(data, []byte(`"node_relative_path": "`)); i >= 0 {
		rest := data[i+len(`"node_relative_path": "`):]
		if j := bytes.IndexByte(rest, '"'); j > 0 && j < 4096 {
			f.NodeRelativePath = string(rest[:j])
			found = true
		}
	}
	for rest := data; ; {
		i := bytes.Index(rest, []byte("NODE_SHARED_BUILTIN_"))
		if i < 0 {
			break
		}
		rest = rest[i+len("NODE_SHARED_BUILTIN_"):]
		end := bytes.IndexAny(rest, "\"\x00")
		if end < 0 || end > 4096 {
			continue
		}
		if name, val, ok := bytes.Cut(rest[:end], []byte("_PATH=")); ok && len(name) > 0 && bytes.HasPrefix(val, []byte("/")) && printable(val) {
			if p := string(val); !slices.Contains(f.NodeBuiltins, p) {
				f.NodeBuiltins = append(f.NodeBuiltins, p)
				found = true
			}
		}
	}
	// Perl's @INC: NUL-terminated absolute paths naming a perl directory.
	if bytes.Contains(data, []byte("/perl")) {
		seen := map[string]bool{}
		for rest := data; len(rest) > 0; {
			// The NUL-terminated strings, one at a time (splitting a
			// whole binary at once cost a slice per string).
			s := rest
			if i := bytes.IndexByte(rest, 0); i >= 0 {
				s, rest = rest[:i], rest[i+1:]
			} else {
				rest = nil
			}
			if len(s) < 6 || len(s) > 256 || s[0] != '/' || !bytes.Contains(s, []byte("perl")) || !printable(s) {
				continue
			}
			p := string(s)
			if strings.ContainsAny(p, " %:*") || seen[p] {
				continue
			}
			seen[p] = true
			f.Paths = append(f.Paths, p)
			found = true
		}
	}
	if !found {
		return nil
	}
	return f
}

func printable(s []byte) bool {
	for _, c := range s {
		if c < 0x21 || c > 0x7e {
			return false
		}
	}
	return true
}

// Object is one ELF file of the image the rules may apply to.
type Object struct {
	// Path is the file's real image path (every symlink followed).
	Path string
	// Soname is its DT_SONAME, "" when it has none.
	Soname string
	// Facts are what Scan found in its bytes, or nil.
	Facts *Facts
}

// Input is what the rules read: the image, its environment and its ELF
// objects.
type Input struct {
	// FS is the image's file system (names relative to its root).
	FS fs.FS
	// Env is the environment the image's programs run with (the config's
	// Env, as the plan will set it).
	Env map[string]string
	// Objects are the image's ELF files.
	Objects []Object
}

// Edge says that From opens To at run time, because of Rule. To may be a
// file or a directory (then everything below it).
type Edge struct {
	From, To string
	Rule     *Rule
}

// Rule is one entry of the table.
type Rule struct {
	// Name identifies the rule ("python-stdlib").
	Name string
	// Explain says in one line why the target is opened ("interpreter
	// standard library").
	Explain string
	// EtcOutput marks what the etc output provides (etcgen writes the
	// name service files, time zones and CA certificates the user
	// chose): the rule's targets under /etc are the etc output's, not
	// the image's, and a closure leaves them out.
	EtcOutput bool
	// match picks the objects the rule applies to.
	match func(o Object) bool
	// targets lists what the object opens; the paths need not exist (Edges
	// keeps those that do).
	targets func(in *Input, o Object) []target
}

// target is one thing an object opens; from overrides the object as the
// edge's origin (a .pth file names a directory).
type target struct {
	from, to string
}

func to(paths ...string) []target {
	out := make([]target, 0, len(paths))
	for _, p := range paths {
		if p != "" {
			out = append(out, target{to: p})
		}
	}
	return out
}

// Rules returns the table, in the order rules are applied.
func Rules() []*Rule { return append([]*Rule(nil), table...) }

// Lookup returns the rule with that name.
func Lookup(name string) (*Rule, bool) {
	for _, r := range table {
		if r.Name == name {
			return r, true
		}
	}
	return nil, false
}

// Edges applies every rule to every object and returns the edges whose
// target is in the image, sorted by origin, target and rule.
func Edges(in *Input) []Edge {
	var out []Edge
	seen := map[[3]string]bool{}
	for _, r := range table {
		for _, o := range in.Objects {
			if !r.match(o) {
				continue
			}
			for _, t := range r.targets(in, o) {
				from := t.from
				if from == "" {
					from = o.Path
				}
				p := path.Clean(t.to)
				if !strings.HasPrefix(p, "/") || p == from || !exists(in.FS, p) {
					continue
				}
				k := [3]string{from, p, r.Name}
				if seen[k] {
					continue
				}
				seen[k] = true
				out = append(out, Edge{From: from, To: p, Rule: r})
			}
		}
	}
	sort.Slice(out, func(i, j int) bool {
		a, b := out[i], out[j]
		if a.From != b.From {
			return a.From < b.From
		}
		if a.To != b.To {
			return a.To < b.To
		}
		return a.Rule.Name < b.Rule.Name
	})
	return out
}

func exists(fsys fs.FS, p string) bool {
	_, _, err := imagefs.Stat(fsys, p)
	return err == nil
}

func isDir(fsys fs.FS, p string) bool {
	_, fi, err := imagefs.Stat(fsys, p)
	return err == nil && fi.IsDir()
}

// readDir lists a directory's entry names, sorted; nil when it is not one.
func readDir(fsys fs.FS, p string) []string {
	res, err := imagefs.Resolve(fsys, p)
	if err != nil {
		return nil
	}
	ents, err := fs.ReadDir(fsys, imagefs.Name(res.Path))
	if err != nil {
		return nil
	}
	var names []string
	for _, e := range ents {
		names = append(names, e.Name())
	}
	sort.Strings(names)
	return names
}

// maxConfig bounds the configuration files the rules read.
const maxConfig = 1 << 20

func readConfig(fsys fs.FS, p string) string {
	b, err := imagefs.ReadFile(fsys, p, maxConfig)
	if err != nil {
		return ""
	}
	return string(b)
}
