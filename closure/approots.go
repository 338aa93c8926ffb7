package closure

import (
	"path"
	"sort"
	"strings"

	"github.com/whittle-dev/whittle/analyze"
	"github.com/whittle-dev/whittle/closure/graph"
	"github.com/whittle-dev/whittle/internal/imagefs"
)

// The Sources of the roots a runtime implies rather than names.
const (
	// SourceAppDir is a directory holding the application's own code
	// (the working directory, the entry script's directory): kept whole.
	SourceAppDir = "app-dir"
	// SourceEtc is an /etc file the runtime or the C library reads by
	// default (the loader cache, the name service files, the time zone,
	// the CA bundle), kept when the plan generates no /etc of its own
	// for it.
	SourceEtc = "etc"
)

// appRoots adds the roots a runtime implies from the image config:
// arguments that are paths relative to WorkingDir (`node server.js`,
// `python3 main.py`), and the directories holding the application's own
// code, kept whole.
//
// The working directory is the runtime's even when the caller names the
// roots (Options.NoConfigRoots); the arguments are not.
//
// With nothing to run there is nothing to keep for it: no root is added.
func (b *builder) appRoots(opts Options) {
	if b.im.Config == nil || len(b.c.Roots) == 0 {
		return
	}
	cfg := b.im.Config.Config
	workdir := cfg.WorkingDir
	if workdir == "" {
		workdir = "/"
	}
	var argv []string
	if !opts.NoConfigRoots {
		argv = append(append(argv, cfg.Entrypoint...), cfg.Cmd...)
	}
	var dirs []string
	for i, arg := range argv {
		if i == 0 || !relativePathArg(arg) {
			continue
		}
		if i == 2 && shells[path.Base(argv[0])] && argv[1] == "-c" {
			continue // a command line, handled by addRoots
		}
		p := path.Join(workdir, arg)
		_, fi, err := imagefs.Stat(b.fsys, p)
		if err != nil {
			continue
		}
		if fi.IsDir() {
			dirs = append(dirs, p) // `node .`
			continue
		}
		res, err := imagefs.ResolveMode(b.fsys, p, imagefs.NoFollow)
		if err != nil {
			continue
		}
		if id, ok := b.nodeOf(res.Path); ok && !b.g.IsRoot(id) {
			b.addResolvedRoot(Root{Spec: arg, Path: res.Path, Named: res.Named, Links: res.Links, Node: id, Source: "argument",
				Reason: "the config runs it relative to WorkingDir " + workdir})
		}
	}
	if cfg.WorkingDir != "" {
		dirs = append(dirs, cfg.WorkingDir)
	}
	// The directory of each script the config runs (its prefix when it
	// lies in a bin directory: /app/bin/run → /app).
	for _, r := range b.c.Roots {
		switch r.Source {
		case "entrypoint", "cmd", "shell", "argument", "option":
		default:
			continue
		}
		if r.Path == "" {
			continue
		}
		// The directory the program really lies in: a link to it (a
		// profile's bin/app, /usr/local/bin/app -> /opt/app/bin/app)
		// says nothing of the directory it sits in.
		real := r.Path
		if res, err := imagefs.Resolve(b.fsys, r.Path); err == nil {
			real = res.Path
		}
		if !b.appCode(real) {
			continue
		}
		d := path.Dir(real)
		if base := path.Base(d); base == "bin" || base == "sbin" {
			d = path.Dir(d)
		}
		dirs = append(dirs, d)
	}
	seen := map[string]bool{}
	sort.Strings(dirs)
	for _, d := range dirs {
		res, fi, err := imagefs.Stat(b.fsys, d)
		if err != nil || !fi.IsDir() || seen[res.Path] || SystemDir(res.Path) || b.packaged(res.Path) {
			continue
		}
		if b.c.Granularity != Files && storeOf(res.Path) != "" {
			continue // the store path's node, which the entry reaches
		}
		seen[res.Path] = true
		id := b.appDirNode(res.Path)
		b.addRoot(Root{Spec: d, Path: res.Path, Named: res.Named, Links: res.Links, Node: id, Source: SourceAppDir,
			Reason: "holds the application's own code (WorkingDir or the directory of what the config runs): kept whole"})
	}
}

// relativePathArg reports whether a config argument may name a file
// relative to the working directory: not an option, not an assignment,
// not absolute, no shell syntax.
func relativePathArg(arg string) bool {
	if arg == "." {
		return true
	}
	return arg != "" && !strings.HasPrefix(arg, "-") && !strings.HasPrefix(arg, "/") &&
		!strings.ContainsAny(arg, "=$`;&|<>(){}*?\n ")
}

// appCode reports whether the file at p is code the image's own author
// wrote rather than a compiled program: a script or a module an
// interpreter runs.
func (b *builder) appCode(p string) bool {
	res, err := imagefs.Resolve(b.fsys, p)
	if err != nil {
		return false
	}
	if _, ok := b.scripts[res.Path]; ok {
		return true
	}
	n, err := b.fsys.Node(imagefs.Name(res.Path))
	if err != nil || n.Content == nil {
		return false
	}
	return b.elfInfo[n.Content] == nil && b.elfErr[n.Content] == nil
}

// packaged reports whether a package of the image's database owns a file
// under dir: then the directory is the distribution's, not the app's.
func (b *builder) packaged(dir string) bool {
	if b.db == nil {
		return false
	}
	n, err := b.fsys.Node(imagefs.Name(dir))
	if err != nil {
		return false
	}
	found := false
	n.Walk(func(m *analyze.Node) bool {
		if found {
			return false
		}
		if m.IsDir() {
			return true
		}
		if id, ok := b.c.owner.get(m.Path()); ok {
			if g, ok := b.groupOf(id); ok && b.g.Get(g).Kind == graph.Package {
				found = true
			}
		}
		return !found
	})
	return found
}

// groupOf is the package or store path holding a node (itself in
// packages granularity).
func (b *builder) groupOf(id graph.NodeID) (graph.NodeID, bool) {
	if b.g.Get(id).Kind != graph.File {
		return id, true
	}
	g, ok := b.c.group[id]
	return g, ok
}

// systemDirs are the directories of the file system's layout: an
// application's code lives below them, never in them.
var systemDirs = map[string]bool{
	"/": true, "/bin": true, "/sbin": true, "/lib": true, "/lib32": true, "/lib64": true, "/libx32": true,
	"/usr": true, "/usr/local": true, "/usr/src": true, "/etc": true, "/opt": true, "/home": true, "/root": true,
	"/srv": true, "/tmp": true, "/mnt": true, "/media": true, "/boot": true, "/dev": true, "/proc": true, "/sys": true,
	"/run": true, "/var": true, "/var/lib": true, "/var/cache": true, "/var/log": true, "/var/tmp": true,
	"/var/run": true, "/var/spool": true, "/var/mail": true, "/var/opt": true, "/var/local": true, "/var/www": true,
	"/nix": true, "/nix/store": true, "/nix/var": true,
}

// usrLayout are the directories of /usr and /usr/local whose trees belong
// to the system (a WorkingDir of /usr/src/app or /usr/local/app is an
// application's; /usr/lib/python3 is not).
var usrLayout = map[string]bool{
	"bin": true, "sbin": true, "lib": true, "lib32": true, "lib64": true, "libx32": true, "libexec": true,
	"share": true, "include": true, "etc": true, "games": true, "man": true,
}

// SystemDir reports whether dir is a directory of the system's layout, or
// lies in a tree the system owns (/usr/lib/…, /etc/…, /var/lib/dpkg/…),
// so that it cannot be kept whole as an application's directory.
func SystemDir(dir string) bool {
	dir = path.Clean("/" + dir)
	if systemDirs[dir] {
		return true
	}
	parts := strings.Split(dir[1:], "/")
	switch parts[0] {
	case "bin", "sbin", "lib", "lib32", "lib64", "libx32", "etc", "dev", "proc", "sys", "boot", "run", "tmp":
		return true
	case "usr":
		if parts[1] == "local" {
			return len(parts) > 2 && usrLayout[parts[2]]
		}
		return parts[1] != "src"
	case "var":
		switch parts[1] {
		case "cache", "log", "tmp", "spool", "mail", "backups":
			return true
		case "lib":
			return len(parts) > 2 && (parts[2] == "dpkg" || parts[2] == "apt" || parts[2] == "apk" || parts[2] == "rpm" || parts[2] == "ucf" || parts[2] == "systemd")
		}
	case "nix":
		// A store path is a package's prefix: the app's own when its
		// entry script lies in it; below it, its layout is the
		// package's.
		return len(parts) != 3 || parts[1] != "store"
	}
	return false
}

// appDirNode is the node of an application's directory: it contains every
// file below it but the documentation of a package prefix (share/doc,
// share/man, share/info), which is never code and which bloat/docs
// offers to drop.
func (b *builder) appDirNode(dir string) graph.NodeID {
	id := b.g.Node(graph.File, dir)
	n, err := b.fsys.Node(imagefs.Name(dir))
	if err != nil {
		return id
	}
	var walk func(m *analyze.Node)
	walk = func(m *analyze.Node) {
		for _, c := range m.Children {
			cp := c.Path()
			if c.IsDir() {
				rel := strings.TrimPrefix(cp, dir+"/")
				if rel != "share/doc" && rel != "share/man" && rel != "share/info" {
					walk(c)
				}
				continue
			}
			if to, ok := b.c.nodeOfTree(c); ok && to != id {
				b.g.AddEdge(id, to, graph.Contains)
			}
		}
	}
	walk(n)
	return id
}
