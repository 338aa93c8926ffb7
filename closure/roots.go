package closure

import (
	"errors"
	"fmt"
	"io/fs"
	"path"
	"sort"
	"strings"

	"github.com/whittle-dev/whittle/closure/graph"
	"github.com/whittle-dev/whittle/internal/imagefs"
	"github.com/whittle-dev/whittle/internal/nixref"
	"github.com/whittle-dev/whittle/internal/suggest"
)

// shells are the programs whose "-c STRING" runs a command line.
var shells = map[string]bool{"sh": true, "bash": true, "dash": true, "ash": true, "zsh": true, "ksh": true, "busybox": true}

// addRoots makes roots of what the image config runs (Entrypoint + Cmd,
// the first word of a `sh -c` command line, absolute paths among the
// arguments), the nix: label, and the caller's roots.
func (b *builder) addRoots(opts Options) error {
	if !opts.NoConfigRoots && b.im.Config != nil {
		cfg := b.im.Config.Config
		argv := append(append([]string(nil), cfg.Entrypoint...), cfg.Cmd...)
		source := "cmd"
		if len(cfg.Entrypoint) > 0 {
			source = "entrypoint"
		}
		if len(argv) > 0 {
			b.configRoot(argv[0], source, cfg.WorkingDir)
			for i, arg := range argv[1:] {
				if shells[path.Base(argv[0])] && i == 1 && argv[1] == "-c" {
					if word := firstCommandWord(arg); word != "" {
						b.configRoot(word, "shell", cfg.WorkingDir)
					}
					continue
				}
				if strings.HasPrefix(arg, "/") {
					if _, fi, err := imagefs.Stat(b.fsys, arg); err == nil && !fi.IsDir() {
						b.configRoot(arg, "argument", cfg.WorkingDir)
					}
				}
			}
		}
		if sp := cfg.Labels[NixRootLabel]; sp != "" {
			if id, ok := b.stores[sp]; ok {
				b.addRoot(Root{Spec: sp, Path: sp, Node: id, Source: "nix"})
			} else {
				b.problem("root", sp, "the image's nix root is not in its store")
			}
		}
	}
	for _, spec := range opts.Roots {
		if err := b.optionRoot(spec); err != nil {
			return err
		}
	}
	if len(b.c.Roots) == 0 {
		b.problem("root", "", "the image names nothing to run (no Entrypoint or Cmd) and no root was given; everything is unreachable")
	}
	return nil
}

func (b *builder) addRoot(r Root) {
	b.g.AddRoot(r.Node)
	b.c.Roots = append(b.c.Roots, r)
}

// addResolvedRoot adds a root found at an image path, and a "link" root
// for each directory symlink the path went through (/bin on a merged-/usr
// image): the program is not found without them.
func (b *builder) addResolvedRoot(r Root) {
	b.addRoot(r)
	for _, l := range r.Links {
		id, ok := b.c.nodeOf(l)
		if !ok || id == r.Node || b.hasLinkRoot(l) {
			continue
		}
		b.addRoot(Root{Spec: r.Spec, Path: l, Node: id, Source: "link"})
	}
}

func (b *builder) hasLinkRoot(p string) bool {
	for _, r := range b.c.Roots {
		if r.Source == "link" && r.Path == p {
			return true
		}
	}
	return false
}

// configRoot resolves a program the config runs; what cannot be found is a
// problem (the image is broken), not an error.
func (b *builder) configRoot(word, source, workdir string) {
	res, err := b.c.findProgram(word, workdir)
	if err != nil {
		b.problem("root", word, fmt.Sprintf("%s %q: %v", source, word, err))
		return
	}
	id, ok := b.c.nodeOf(res.Path)
	if !ok {
		b.problem("root", res.Path, fmt.Sprintf("%s %q is a directory", source, word))
		return
	}
	b.addResolvedRoot(Root{Spec: word, Path: res.Path, Named: res.Named, Links: res.Links, Node: id, Source: source})
}

// findProgram finds a command as execve and a shell would: a path (made
// absolute against the working directory), else the first executable
// match in PATH. The path returned has its parent directories resolved
// (/bin/sh is /usr/bin/sh on a merged-/usr image) but not a final
// symlink, so the graph keeps the link; Links are the directory links
// followed.
func (c *Closure) findProgram(word, workdir string) (imagefs.Resolved, error) {
	if strings.Contains(word, "/") {
		p := word
		if !strings.HasPrefix(p, "/") {
			if workdir == "" {
				workdir = "/"
			}
			p = path.Join(workdir, p)
		}
		res, _, err := c.program(p)
		return res, err
	}
	for _, dir := range c.searchDir {
		if !strings.HasPrefix(dir, "/") {
			continue
		}
		if res, fi, err := c.program(path.Join(dir, word)); err == nil && fi.Mode()&0o111 != 0 {
			return res, nil
		}
	}
	return imagefs.Resolved{}, fmt.Errorf("not found in PATH %s", strings.Join(c.searchDir, ":"))
}

// program resolves the image path of a program: every link followed, it
// must name something that is not a directory. It returns the path with
// its parents resolved and what it finally names.
func (c *Closure) program(p string) (imagefs.Resolved, fs.FileInfo, error) {
	_, fi, err := imagefs.Stat(c.fsys, p)
	if err != nil {
		return imagefs.Resolved{}, nil, describeMissing(err)
	}
	if fi.IsDir() {
		return imagefs.Resolved{}, nil, errors.New("is a directory")
	}
	res, err := imagefs.ResolveMode(c.fsys, p, imagefs.NoFollow)
	if err != nil {
		return imagefs.Resolved{}, nil, describeMissing(err)
	}
	return res, fi, nil
}

func describeMissing(err error) error {
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return errors.New("not in the image")
	case errors.Is(err, imagefs.ErrLoop):
		return errors.New("a symlink loop")
	}
	return err
}

// firstCommandWord returns the program a shell command line starts with,
// past variable assignments and `exec`.
func firstCommandWord(line string) string {
	for _, w := range strings.Fields(line) {
		w = strings.Trim(w, `"'`)
		switch {
		case w == "exec" || w == "env":
			continue
		case strings.Contains(w, "=") && !strings.HasPrefix(w, "/"):
			continue
		case strings.ContainsAny(w, "$`;&|<>(){}"):
			return ""
		}
		return w
	}
	return ""
}

// optionRoot adds a root the user named: an image path, a package, a store
// path (full, its base name or its name), or a command in PATH.
func (b *builder) optionRoot(spec string) error {
	ids, res, err := b.c.find(spec)
	if err != nil {
		return &RootError{Spec: spec, Err: err}
	}
	for _, id := range ids {
		b.addResolvedRoot(Root{Spec: spec, Path: res.Path, Named: res.Named, Links: res.Links, Node: id, Source: "option"})
	}
	return nil
}

// Find returns the nodes a name or path names: an image path (its owner;
// symlinked parent directories are resolved, so /bin/sh finds what
// /usr/bin/sh does on a merged-/usr image), a package name, a store path
// (full, base name, or the name after the hash), or a command found
// through the image's PATH.
func (c *Closure) Find(spec string) ([]graph.NodeID, error) {
	ids, _, err := c.find(spec)
	return ids, err
}

// find is Find, also saying how an image path resolved (a zero Resolved
// for a package or a store path named by name).
func (c *Closure) find(spec string) ([]graph.NodeID, imagefs.Resolved, error) {
	g := c.Graph
	if strings.HasPrefix(spec, "/") {
		res, err := imagefs.ResolveParent(c.fsys, spec)
		if err != nil {
			return nil, res, fmt.Errorf("%q: %v", spec, describeMissing(err))
		}
		if id, ok := c.owner.get(res.Path); ok {
			return []graph.NodeID{id}, res, nil
		}
		if id, ok := g.Lookup(graph.StorePath, res.Path); ok {
			return []graph.NodeID{id}, res, nil
		}
		if ids := c.under(res.Path); len(ids) > 0 {
			return ids, res, nil
		}
		if fi, err := fs.Stat(c.fsys, imagefs.Name(res.Path)); err == nil && fi.IsDir() {
			return nil, res, fmt.Errorf("%q: a directory that holds no file", spec)
		}
		return nil, res, fmt.Errorf("%q: no such file in the image", spec)
	}
	if id, ok := g.Lookup(graph.Package, spec); ok {
		return []graph.NodeID{id}, imagefs.Resolved{}, nil
	}
	var matches []graph.NodeID
	var names []string
	for i := 0; i < g.Len(); i++ {
		n := g.Get(graph.NodeID(i))
		switch n.Kind {
		case graph.Package:
			names = append(names, n.Name)
			if pkg, _, _ := strings.Cut(n.Name, ":"); pkg == spec {
				matches = append(matches, graph.NodeID(i))
			}
		case graph.StorePath:
			base := path.Base(n.Name)
			sp, err := nixref.ParseBase(base)
			if err != nil {
				continue
			}
			names = append(names, sp.Name, packageName(sp.Name))
			if base == spec || sp.Name == spec || strings.HasPrefix(sp.Name, spec+"-") && isVersion(sp.Name[len(spec)+1:]) {
				matches = append(matches, graph.NodeID(i))
			}
		}
	}
	if len(matches) == 1 {
		return matches, imagefs.Resolved{}, nil
	}
	if len(matches) > 1 {
		var which []string
		for _, m := range matches {
			which = append(which, g.Get(m).Name)
		}
		sort.Strings(which)
		return nil, imagefs.Resolved{}, fmt.Errorf("%q names %d nodes (%s); be more precise", spec, len(matches), strings.Join(which, ", "))
	}
	if res, err := c.findProgram(spec, ""); err == nil {
		if id, ok := c.nodeOf(res.Path); ok {
			return []graph.NodeID{id}, res, nil
		}
	}
	return nil, imagefs.Resolved{}, fmt.Errorf("%q is neither a path, a package, a store path nor a command in the image%s", spec, suggest.Hint(spec, names))
}

// packageName strips the version from a store path's name:
// "python3-3.12.4" is "python3", "glibc-locales-2.39-52" "glibc-locales".
func packageName(name string) string {
	for i := 0; i+1 < len(name); i++ {
		if name[i] == '-' && isVersion(name[i+1:]) {
			return name[:i]
		}
	}
	return name
}

// isVersion reports whether s looks like a version ("3.12.4", "2.39-52").
func isVersion(s string) bool {
	return s != "" && s[0] >= '0' && s[0] <= '9'
}

// RootError is a root of Options.Roots that names nothing in the image; a
// front end says which flag or field gave it.
type RootError struct {
	Spec string
	Err  error
}

func (e *RootError) Error() string { return e.Err.Error() }
func (e *RootError) Unwrap() error { return e.Err }

// under returns the nodes owning the files under directory dir, in path
// order, each once: what a directory is in the image for.
func (c *Closure) under(dir string) []graph.NodeID {
	prefix := strings.TrimSuffix(dir, "/") + "/"
	type held struct {
		p  string
		id graph.NodeID
	}
	var paths []held
	c.owner.each(func(p string, id graph.NodeID) {
		if strings.HasPrefix(p, prefix) {
			paths = append(paths, held{p, id})
		}
	})
	sort.Slice(paths, func(i, j int) bool { return paths[i].p < paths[j].p })
	var ids []graph.NodeID
	seen := map[graph.NodeID]bool{}
	for _, h := range paths {
		if !seen[h.id] {
			seen[h.id] = true
			ids = append(ids, h.id)
		}
	}
	return ids
}
