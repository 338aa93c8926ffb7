// Package closure computes why every byte is in an image: a dependency
// graph whose nodes are Nix store paths, distribution packages and loose
// files, whose edges are Nix references, ELF needs, #! interpreters,
// symlinks and package dependencies, rooted at what the image runs. The
// sub-packages hold the pieces (nixref, elfdeps, shebang, pkgdb, graph);
// Build puts them together over an indexed image.
package closure

import (
	"bufio"
	"context"
	"errors"
	"io"
	"io/fs"
	"maps"
	"path"
	"regexp"
	"slices"
	"sort"
	"strings"

	"github.com/whittle-dev/whittle/analyze"
	"github.com/whittle-dev/whittle/analyze/source"
	"github.com/whittle-dev/whittle/closure/elfdeps"
	"github.com/whittle-dev/whittle/closure/graph"
	"github.com/whittle-dev/whittle/closure/pkgdb"
	"github.com/whittle-dev/whittle/closure/runtime"
	"github.com/whittle-dev/whittle/closure/shebang"
	"github.com/whittle-dev/whittle/finding"
	"github.com/whittle-dev/whittle/internal/imagefs"
	"github.com/whittle-dev/whittle/internal/nixref"
)

// NixRootLabel is the image config label naming the store path a nix:
// image was made for; Build makes it a root.
const NixRootLabel = "dev.whittle.nix-root"

// Options tune Build.
type Options struct {
	// Roots are added to the image's own (its Entrypoint and Cmd): image
	// paths, package names, store paths or their names, or command names
	// found through the image's PATH.
	Roots []string
	// NoConfigRoots leaves out the roots the image config gives.
	NoConfigRoots bool
	// NixInfo is `nix path-info --json -r` of the image's store paths,
	// when the caller has it (a nix: source with nix installed); the scan
	// is compared with it and its NAR sizes are reported.
	NixInfo []nixref.PathInfo
	// Cache, when set, keeps what the closure learns from each file's
	// bytes (ELF facts, #! lines, shell scripts) beside the layer index,
	// so a second graph of the same layers reads none of them.
	Cache *analyze.Cache
	// Granularity is what a node is: Files (the default) or Packages.
	Granularity Granularity
	// Learned is the Learner IndexImage was given for this image, if
	// any: what it learnt is not read again.
	Learned *Learner
	// Refresh computes the closure even when the cache holds it, and
	// replaces what the cache holds (--verify-blobs).
	Refresh bool
	// Env is added to the config's Env (later entries win): the
	// environment the image will run with, which the run-time rules
	// read (LANG, TZ, SSL_CERT_FILE, PYTHONPATH, …).
	Env []string
	// EtcProvides are the image paths (files, or directories with all
	// below them) that a generated /etc writes instead of the image's
	// (etcgen.Selection.Provides): a name in a file's contents that
	// leads there is not followed.
	EtcProvides []string
	// EtcGenerated are the paths the plan's etc: section writes (etcgen's
	// files, not directories). They replace the image's own: the
	// run-time rules' /etc targets among them, and the default /etc
	// files (etcdefaults.go) among them, are not the closure's. Empty:
	// the image's own /etc is what runs, and everything there the
	// closure needs is kept.
	EtcGenerated []string
	// Traced are paths commands touched under the file-access tracer
	// (traced.go): the first root needs each one in the image.
	Traced []Traced
}

// Closure is an image's dependency graph and what building it found.
type Closure struct {
	Graph    *graph.Graph
	Analysis *graph.Analysis
	Roots    []Root
	// Problems are broken links of the graph: missing libraries,
	// interpreters, packages and link targets, loops, roots not found.
	Problems []Problem
	// NarSize holds each store path's NAR size: from NixInfo when given,
	// else computed from the tree.
	NarSize map[graph.NodeID]int64
	// NixMismatches lists where the scan and NixInfo disagree (empty when
	// they agree or NixInfo was not given).
	NixMismatches []string

	// Granularity is the granularity the graph was built with.
	Granularity Granularity

	owner *owners
	// byNode is the owner (plus one; 0: none) of each node of the index
	// the closure was built from, by Node.ID; nil when read from the
	// cache.
	byNode []graph.NodeID
	loads  map[string][]string
	// fsys resolves the image paths Find, Owner and Loads are given;
	// searchDir is the image's PATH.
	fsys      fs.FS
	searchDir []string
	// group is, in files granularity, the package or store path that
	// holds each file node.
	group map[graph.NodeID]graph.NodeID
	// rules are the run-time rules behind each runtime edge.
	rules map[[2]graph.NodeID][]*runtime.Rule
	// explain says what some edges stand for (shellscripts.go).
	explain map[[2]graph.NodeID][]string
}

// Root is one root of the graph and where it came from.
type Root struct {
	// Spec is what named it: the config's argv word or the --roots entry.
	Spec string
	// Path is the real image path it resolved to, parent directories
	// resolved and a final symlink kept ("" for a package or store path
	// named directly).
	Path string
	// Named is the image path before resolution (Spec made absolute, or
	// found in PATH); Links are the symlinks followed from Named to Path.
	Named string
	Links []string
	Node  graph.NodeID
	// Source is "entrypoint", "cmd", "argument", "shell", "option", "nix",
	// "link": a directory symlink the path of the root named Spec goes
	// through (/bin for /bin/sh on a merged-/usr image), needed with it,
	// SourceAppDir or SourceEtc.
	Source string
	// Reason says why a root the runtime implies is one ("" for the roots
	// the config or the user names).
	Reason string
}

// Resolution says how the root's path was found: "/bin/tool →
// /usr/bin/tool" when symlinked directories lay on the way, else the path.
func (r Root) Resolution() string {
	return imagefs.Resolved{Named: r.Named, Path: r.Path}.String()
}

// Problem is a broken link found while building the graph: a finding
// whose Kind is "closure/" followed by one of "missing-library",
// "missing-interpreter", "missing-package", "dangling-symlink",
// "symlink-loop", "bad-elf", "package-database", "root", "nix",
// "unloaded-library" (a library no program loads fails on its own), "dlopen",
// "bad-script", "missing-command", "dynamic-command" or "dynamic-import".
type Problem = finding.Finding

// problemSeverity is how much each kind of problem matters: what makes a
// root fail to start is an error.
var problemSeverity = map[string]finding.Severity{
	"missing-library":     finding.Error,
	"missing-interpreter": finding.Error,
	"symlink-loop":        finding.Error,
	"root":                finding.Error,
	"missing-package":     finding.Warning,
	"dangling-symlink":    finding.Warning,
	"bad-elf":             finding.Warning,
	"package-database":    finding.Warning,
	"nix":                 finding.Warning,
	"unloaded-library":    finding.Info,
}

// maxELFSize bounds the ELF files read whole to parse their headers.
const maxELFSize = 1 << 30

// storeDir is where Nix keeps store paths in every image whittle reads.
const storeDir = nixref.DefaultStoreDir

type builder struct {
	ctx     context.Context
	im      *source.Image
	ix      *analyze.Index
	fsys    *analyze.ImageFS
	learned *Learner
	g       *graph.Graph
	c       *Closure

	db      *pkgdb.DB
	stores  map[string]graph.NodeID // full store path → node
	byHash  map[string]string       // hash part → full store path
	hashSet *nixref.Set
	// nix holds the Nix references each file names (nixfiles.go).
	nix       nixFiles
	elfInfo   map[*analyze.Entry]*elfdeps.Info
	elfErr    map[*analyze.Entry]error
	scripts   map[string]*shebang.Script
	symlinks  []string
	searchDir []string
	problems  finding.Set
	// facts are what the run-time rules read from each ELF file's bytes.
	facts map[*analyze.Entry]*runtime.Facts
	// dirs are the directory nodes run-time edges made (files mode).
	dirs map[string]graph.NodeID
	// extraEnv is Options.Env.
	extraEnv []string
	// etcGenerated is Options.EtcGenerated.
	etcGenerated []string
	// ruled are the objects a run-time rule says what they open.
	ruled map[string]bool
	sh    shellScripts
	// cache keeps each layer's file facts (Options.Cache).
	cache *analyze.Cache
	// nm is what named.go needs: the files that name paths.
	nm namedState
	// mods is what the module search decided (modulesearch.go).
	mods moduleState
}

// Build computes the dependency graph of an indexed image.
func Build(ctx context.Context, im *source.Image, ix *analyze.Index, opts Options) (*Closure, error) {
	key, cacheable := resultKey(im, opts)
	if cacheable && !opts.Refresh {
		if c := loadResult(opts.Cache, key, newFS(ctx, im, ix, opts)); c != nil {
			return c, nil
		}
	}
	c, err := build(ctx, im, ix, opts)
	if err == nil && cacheable {
		storeResult(opts.Cache, key, c)
	}
	return c, err
}

// newFS is the file system the closure reads the image through: small
// files kept in the cache's closure scope, and what a Learner kept.
func newFS(ctx context.Context, im *source.Image, ix *analyze.Index, opts Options) *analyze.ImageFS {
	return analyze.NewFS(ctx, im, ix).WithCache(opts.Cache, fsScope).WithKnown(opts.Learned.fileAt)
}

func build(ctx context.Context, im *source.Image, ix *analyze.Index, opts Options) (*Closure, error) {
	b := &builder{
		ctx: ctx, im: im, ix: ix, fsys: newFS(ctx, im, ix, opts), g: graph.New(), cache: opts.Cache,
		learned:      opts.Learned,
		c:            &Closure{NarSize: map[graph.NodeID]int64{}, loads: map[string][]string{}},
		stores:       map[string]graph.NodeID{},
		byHash:       map[string]string{},
		elfInfo:      map[*analyze.Entry]*elfdeps.Info{},
		elfErr:       map[*analyze.Entry]error{},
		scripts:      map[string]*shebang.Script{},
		facts:        map[*analyze.Entry]*runtime.Facts{},
		dirs:         map[string]graph.NodeID{},
		extraEnv:     opts.Env,
		etcGenerated: opts.EtcGenerated,
		nm:           namedState{etc: opts.EtcProvides},
		ruled:        map[string]bool{},
	}
	b.c.owner = newOwners(b.g)
	b.c.Granularity = opts.Granularity.orDefault()
	b.c.group = map[graph.NodeID]graph.NodeID{}
	b.c.rules = map[[2]graph.NodeID][]*runtime.Rule{}
	b.c.Graph = b.g
	b.searchDir = shebang.SplitPath(b.configPath())
	b.c.fsys, b.c.searchDir = b.fsys, b.searchDir
	steps := []func() error{
		b.preloadMetadata, b.findStorePaths, b.loadPackages, b.ownAndLearn, b.nixEdges, b.elfEdges, b.scriptEdges, b.shellEdges, b.moduleEdges, b.symlinkEdges, b.packageEdges,
		b.runtimeEdges, // run-time payload rules (runtime.go)
		b.namedEdges,   // paths named in contents (named.go)
	}
	for _, step := range steps {
		if err := step(); err != nil {
			return nil, source.PrefixRef(im.Ref, err)
		}
	}
	if err := b.addRoots(opts); err != nil {
		return nil, err
	}
	b.appRoots(opts) // approots.go
	b.etcRoots(opts) // etcdefaults.go
	b.shellArgsRoots(opts)
	b.tracedEdges(opts.Traced)
	if err := b.moduleScriptEdges(); err != nil { // modulesearch.go
		return nil, source.PrefixRef(im.Ref, err)
	}
	b.c.Analysis = b.g.Analyze()
	b.shellFindings()
	b.dlopenNotes() // dlopen.go
	b.narSizes(opts.NixInfo)
	b.compareNix(opts.NixInfo)
	b.fsys.Flush() // files a Learner gave, kept for the runs without one
	b.c.Problems = b.c.demoteUnreached(b.problems.List())
	finding.Sort(b.c.Problems)
	return b.c, nil
}

func (b *builder) problem(kind, p, msg string) {
	f := Problem{Kind: "closure/" + kind, Severity: problemSeverity[kind], Message: msg}
	if f.Severity == "" {
		f.Severity = finding.Warning
	}
	if p != "" {
		f.Paths = []string{p}
	}
	b.problems.Add(f)
}

// configPath is the image's PATH, or the usual default.
func (b *builder) configPath() string {
	if b.im.Config != nil {
		for _, e := range b.im.Config.Config.Env {
			if v, ok := strings.CutPrefix(e, "PATH="); ok {
				return v
			}
		}
	}
	return "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
}

// preloadMetadata reads the small files the graph needs (the package
// databases, the loader configuration) in one pass over the layers.
func (b *builder) preloadMetadata() error {
	return b.fsys.Preload(func(n *analyze.Node) bool { return metadataFile(n.Path()) })
}

// metadataFile reports whether the graph reads the file at image path p
// whole: the package databases, the loader's and the run-time rules'
// configuration.
func metadataFile(p string) bool {
	return dpkgDatabaseFile(p) || strings.HasPrefix(p, "/lib/apk/db/") ||
		strings.HasPrefix(p, "/etc/ld.so.") || strings.HasPrefix(p, "/etc/ld-musl-") ||
		runtimeConfig(p)
}

// dpkgDatabaseFile reports whether pkgdb.LoadDpkg reads the file at p:
// the status, the diversions and each package's .list and .conffiles
// (not the maintainer scripts, md5sums, symbols or templates, which are
// most of /var/lib/dpkg's bytes).
func dpkgDatabaseFile(p string) bool {
	if name, ok := strings.CutPrefix(p, "/var/lib/dpkg/info/"); ok {
		return !strings.Contains(name, "/") && (strings.HasSuffix(name, ".list") || strings.HasSuffix(name, ".conffiles"))
	}
	return p == "/var/lib/dpkg/status" || p == "/var/lib/dpkg/diversions"
}

// mayBeProgram reports whether the file at image path p with that mode
// may be an ELF object or a script: executable, or named like a library
// or a loader. The closure learns the facts of those.
func mayBeProgram(p string, mode uint32) bool {
	if mode&0o111 != 0 {
		return true
	}
	base := path.Base(p)
	return strings.Contains(base, ".so") || strings.HasPrefix(base, "ld-")
}

// findStorePaths makes a node of every entry of /nix/store with a store
// path's name.
func (b *builder) findStorePaths() error {
	res, err := imagefs.Resolve(b.fsys, storeDir)
	if err != nil {
		return nil // no Nix store
	}
	entries, err := b.fsys.ReadDir(imagefs.Name(res.Path))
	if err != nil {
		return nil
	}
	var hashes []string
	for _, e := range entries {
		sp, err := nixref.ParseBase(e.Name())
		if err != nil {
			continue
		}
		full := storeDir + "/" + e.Name()
		if prev, dup := b.byHash[sp.Hash]; dup {
			b.problem("nix", full, "two store paths share the hash part of "+prev)
			continue
		}
		b.stores[full] = b.g.Node(graph.StorePath, full)
		b.byHash[sp.Hash] = full
		hashes = append(hashes, sp.Hash)
	}
	if len(hashes) > 0 {
		if b.hashSet, err = nixref.NewSet(hashes); err != nil {
			return err
		}
	}
	return nil
}

// loadPackages reads the dpkg or apk database, if the image has one.
func (b *builder) loadPackages() error {
	db, err := pkgdb.Load(b.fsys)
	switch {
	case errors.Is(err, pkgdb.ErrNoDatabase):
		return nil
	case err != nil:
		b.problem("package-database", "", err.Error())
		return nil
	}
	b.db = db
	for _, p := range db.Packages {
		b.g.Node(graph.Package, p.ID())
	}
	return nil
}

// storeOf returns the store path an image path lies in, or "".
func storeOf(p string) string {
	rest, ok := strings.CutPrefix(p, storeDir+"/")
	if !ok {
		return ""
	}
	if i := strings.IndexByte(rest, '/'); i >= 0 {
		rest = rest[:i]
	}
	return storeDir + "/" + rest
}

// assignOwners gives every non-directory path of the image an owner: its
// store path, else its package, else a file node of its own; and sums each
// owner's bytes.
func (b *builder) assignOwners() error {
	pkgOwner := map[string]*pkgdb.Package{}
	dirs := map[string]bool{}
	if b.db != nil {
		for _, p := range b.db.Packages {
			files, listedDirs := packageFiles(p.Files)
			for _, f := range files {
				c := b.db.Canonical(f)
				if _, ok := pkgOwner[c]; !ok {
					pkgOwner[c] = p
				}
			}
			for _, d := range listedDirs {
				dirs[b.db.Canonical(d)] = true
			}
		}
	}
	// Every file gets an owner, and the files no package lists own
	// themselves: room for them at once.
	b.c.byNode = make([]graph.NodeID, b.ix.Nodes)
	if files := b.ix.Root.Files; files > 0 {
		if own := files - len(pkgOwner); own > 0 {
			b.g.Grow(own)
		}
	}
	walkPaths(b.ix.Root, func(n *analyze.Node, p string) bool {
		if n.Parent == nil {
			return true
		}
		if sp := storeOf(p); sp != "" {
			if id, ok := b.stores[sp]; ok {
				b.own(id, p, n)
				return true
			}
		}
		if n.IsDir() {
			return true
		}
		if pkg, ok := pkgOwner[p]; ok {
			id, _ := b.g.Lookup(graph.Package, pkg.ID())
			b.own(id, p, n)
			return true
		}
		if b.db != nil && !dirs[b.db.Canonical(p)] {
			// Diverted files, and paths that are the same file as a
			// listed one through a directory symlink.
			if owners := b.db.Owners(p); len(owners) > 0 {
				id, _ := b.g.Lookup(graph.Package, owners[0].ID())
				b.own(id, p, n)
				return true
			}
		}
		b.own(b.g.NewNode(graph.File, p), p, n) // a path the walk meets once
		return true
	})
	return nil
}

// ownAndLearn runs assignOwners and streamContents side by side: the
// first writes the graph's nodes and the owners, the second the contents'
// facts (ELF objects, scripts, names, store references), and both only
// read the index.
func (b *builder) ownAndLearn() error {
	var ownErr error
	done := make(chan struct{})
	go func() {
		defer close(done)
		ownErr = b.assignOwners()
	}()
	err := b.streamContents()
	<-done
	if err != nil {
		return err
	}
	return ownErr
}

// packageFiles splits a package's list into files and directories: a listed path with other listed paths below it is a
// directory the package shares (/usr, /lib), and must not make the package
// the owner of what the image has there (on a merged-/usr system, /lib is
// a symlink that dozens of packages list as a directory).
func packageFiles(listed []string) (files, dirs []string) {
	sorted := append([]string(nil), listed...)
	sort.Strings(sorted)
	for i, f := range sorted {
		f = strings.TrimSuffix(f, "/")
		if f == "" || f == "/." {
			continue
		}
		if i+1 < len(sorted) && strings.HasPrefix(sorted[i+1], f+"/") {
			dirs = append(dirs, f)
			continue
		}
		files = append(files, f)
	}
	return files, dirs
}

func (b *builder) own(id graph.NodeID, p string, n *analyze.Node) {
	if b.c.Granularity == Files && n.IsDir() {
		return // a directory is no file: a file below it needs it by its path
	}
	id = b.fileNode(id, p)
	b.c.owner.set(p, id)
	if int(n.ID) < len(b.c.byNode) {
		b.c.byNode[n.ID] = id + 1
	}
	if !n.IsDir() {
		b.g.AddSize(id, n.Bytes)
		b.g.AddFiles(id, p)
	}
	if n.Entry.Type == analyze.TypeSymlink {
		b.symlinks = append(b.symlinks, p)
	}
}

// streamContents reads, in one pass over the layers, every file that
// matters: store path contents (scanned for references) and whatever may
// be an ELF object or a script (executable, or named like a library).
func (b *builder) streamContents() error {
	want := func(n *analyze.Node, p string) bool {
		if storeOf(p) != "" && b.hashSet != nil {
			return true
		}
		return mayBeProgram(p, n.Content.Mode) || mayName(p, n.Content.Size) // a hardlink has its file's mode
	}
	// Facts depend on bytes alone: take them from the cache where a
	// layer's are kept, read the rest (in an image with a Nix store, also
	// the files whose facts do not say what they name).
	useCache := b.cache != nil
	cached := map[int]layerFacts{}
	fresh := map[int]layerFacts{}
	factsOf := func(n *analyze.Node) (*contentFacts, int, int, bool) {
		l, pos, ok := b.ix.ContentSource(n)
		if ok {
			if f, learnt := b.learned.factsAt(l, pos); learnt && b.nixKnown(f) {
				return f, l, pos, true
			}
		}
		if !ok || !useCache {
			return nil, l, pos, false
		}
		lf, seen := cached[l]
		if !seen {
			lf = loadLayerFacts(b.cache, b.im.Layers[l].DiffID.String())
			cached[l] = lf
		}
		f, ok := lf[pos]
		return f, l, pos, ok && b.nixKnown(f)
	}
	// Hardlinked paths share a content: its facts apply to each of them
	// (a script's #! line is recorded by path). Facts learnt or cached
	// apply at once; the contents to read gather their paths.
	paths := map[*analyze.Entry][]*analyze.Node{}
	applyAll := func(c *analyze.Entry, f *contentFacts) {
		for _, n := range paths[c] {
			b.apply(n, f)
		}
	}
	var toRead map[*analyze.Entry]bool
	walkPaths(b.ix.Root, func(n *analyze.Node, p string) bool {
		if n.Content == nil || !want(n, p) {
			return true
		}
		if f, _, _, ok := factsOf(n); ok {
			b.apply(n, f)
			return true
		}
		if toRead == nil {
			toRead = map[*analyze.Entry]bool{}
		}
		toRead[n.Content] = true
		paths[n.Content] = append(paths[n.Content], n)
		return true
	})
	if len(toRead) == 0 {
		return nil
	}
	br := bufio.NewReaderSize(nil, 64<<10)
	err := analyze.ReadFiles(b.ctx, b.im, b.ix, func(n *analyze.Node) bool { return toRead[n.Content] }, func(n *analyze.Node, r io.Reader) error {
		var sink io.Writer = io.Discard
		if b.hashSet != nil {
			sink = b.nix.contentScanners(b.hashSet)
		}
		f, err := learn(r, n.Content.Size, br, sink)
		if err != nil {
			return err
		}
		if b.hashSet != nil {
			b.nix.contentDone(f)
		}
		applyAll(n.Content, f)
		if l, pos, ok := b.ix.ContentSource(n); ok && useCache {
			if fresh[l] == nil {
				fresh[l] = layerFacts{}
				for k, v := range cached[l] {
					fresh[l][k] = v
				}
			}
			fresh[l][pos] = f
		}
		return nil
	})
	if err != nil {
		return err
	}
	for l, lf := range fresh {
		storeLayerFacts(b.cache, b.im.Layers[l].DiffID.String(), lf)
	}
	return nil
}

func (b *builder) nodeOf(p string) (graph.NodeID, bool) { return b.c.nodeOf(p) }

// nodeOf returns the owner of a real image path (one Node.Path gives),
// or false for a directory outside every store path (or a path not in the
// image).
func (c *Closure) nodeOf(p string) (graph.NodeID, bool) {
	if id, ok := c.owner.get(p); ok {
		return id, true
	}
	if c.Granularity == Files {
		return 0, false
	}
	if sp := storeOf(p); sp != "" {
		return c.Graph.Lookup(graph.StorePath, sp)
	}
	return 0, false
}

// linkChain adds the edges for from reaching real through links: from
// needs every symlink it goes through and the file itself. The symlinks
// get no edges of their own here: a directory symlink such as /lib ->
// usr/lib serves every library below it, and linking it to each would make
// one package needing /lib need them all. (A file symlink's own target is
// linked by symlinkEdges.)
func (b *builder) linkChain(from graph.NodeID, links []string, real string, kind graph.EdgeKind) {
	for _, l := range append(append([]string(nil), links...), real) {
		if to, ok := b.nodeOf(l); ok && to != from {
			b.g.AddEdge(from, to, kind)
		}
	}
}

// scriptEdges links every #! script to its interpreter (and env's command),
// in path order so that the edges' order, which the outputs keep, does not
// change from run to run.
func (b *builder) scriptEdges() error {
	for _, p := range slices.Sorted(maps.Keys(b.scripts)) {
		s := b.scripts[p]
		from, ok := b.nodeOf(p)
		if !ok || isModule(p) {
			continue
		}
		res := shebang.Resolve(b.fsys, s, b.searchDir)
		for _, t := range []*shebang.Target{res.Interpreter, res.Command} {
			if t != nil {
				b.linkChain(from, t.Links, t.Real, graph.Shebang)
			}
		}
		for _, m := range res.Missing {
			b.problem("missing-interpreter", p, m)
		}
	}
	return nil
}

// symlinkEdges links every symlink to what it points at.
func (b *builder) symlinkEdges() error {
	for _, p := range b.symlinks {
		from, _ := b.c.owner.get(p)
		res, err := imagefs.Resolve(b.fsys, p)
		switch {
		case errors.Is(err, imagefs.ErrLoop):
			b.problem("symlink-loop", p, "symlink loop")
			continue
		case err != nil:
			target, _ := b.fsys.ReadLink(imagefs.Name(p))
			if runtimeFS(target) {
				continue // /dev/fd -> /proc/self/fd: there once the container runs
			}
			b.problem("dangling-symlink", p, "points to "+target+", which is not in the image")
			continue
		}
		// Every link on the way is needed (/usr/bin/java ->
		// /etc/alternatives/java -> /usr/lib/jvm/…/bin/java): without the
		// middle one the name leads nowhere.
		for _, l := range append(res.Links, res.Path) {
			if to, ok := b.nodeOf(l); ok && to != from {
				b.g.AddEdge(from, to, graph.Symlink)
			}
		}
	}
	return nil
}

// packageEdges adds each package's dependencies.
func (b *builder) packageEdges() error {
	if b.db == nil || b.c.Granularity == Files {
		return nil
	}
	for _, p := range b.db.Packages {
		from, _ := b.g.Lookup(graph.Package, p.ID())
		deps, missing := b.db.Depends(p)
		for _, d := range deps {
			if to, ok := b.g.Lookup(graph.Package, d.ID()); ok && to != from {
				b.g.AddEdge(from, to, graph.PackageDepends)
			}
		}
		for _, m := range missing {
			b.problem("missing-package", p.ID(), "depends on "+m.Dep.String()+", which is not installed")
		}
	}
	return nil
}

// narSizes records each store path's NAR size: Nix's when given, else
// computed from the tree.
func (b *builder) narSizes(info []nixref.PathInfo) {
	given := map[string]int64{}
	for _, pi := range info {
		given[pi.Path] = pi.NarSize
	}
	for sp, id := range b.stores {
		if n, ok := given[sp]; ok {
			b.c.NarSize[id] = n
			continue
		}
		if n, err := nixref.NarSize(b.fsys, imagefs.Name(sp)); err == nil {
			b.c.NarSize[id] = n
		}
	}
}

// Loads returns the real paths of the objects the loader maps to run the
// ELF file at p, every symlink followed (its interpreter and libraries, in
// load order), as the graph resolved them; nil for a path that is not a
// dynamic ELF file.
func (c *Closure) Loads(p string) []string {
	res, err := imagefs.Resolve(c.fsys, p)
	if err != nil {
		return nil
	}
	return c.loads[res.Path]
}

// Owner returns the node that holds an image path, its parent
// directories resolved (a final symlink is owned in its own right).
func (c *Closure) Owner(p string) (graph.NodeID, bool) {
	res, err := imagefs.ResolveParent(c.fsys, p)
	if err != nil {
		return 0, false
	}
	id, ok := c.owner.get(res.Path)
	return id, ok
}

// moduleDirRE matches the library trees interpreters load modules from.
var moduleDirRE = regexp.MustCompile(`/(python[0-9.]*|site-packages|dist-packages|perl5?|ruby|node_modules)/`)

// isModule reports whether p is a module of an interpreter's library tree
// (/usr/lib/python3.11/timeit.py): such files are imported, and their #!
// line (Debian ships some stdlib modules executable) matters only when
// someone runs them, which makes them a root of their own.
func isModule(p string) bool {
	switch path.Ext(p) {
	case ".py", ".pm", ".pl", ".rb", ".js":
		return moduleDirRE.MatchString(p)
	}
	return false
}

// runtimeFS reports whether a link target lies in a file system the
// container runtime mounts (/proc, /sys, /dev, /run).
func runtimeFS(target string) bool {
	for _, fs := range []string{"/proc", "/sys", "/dev", "/run"} {
		if target == fs || strings.HasPrefix(target, fs+"/") {
			return true
		}
	}
	return false
}

// OwnerOfPath is Owner for a path of the image's tree as the index
// spells it (Node.Path: no directory in it is a symlink), which needs no
// resolving: a lookup, for callers asking of every file.
func (c *Closure) OwnerOfPath(p string) (graph.NodeID, bool) {
	id, ok := c.owner.get(p)
	return id, ok
}

// OwnerOfNode is OwnerOfPath(n.Path()) for a node of the index the
// closure was built from: a slice read by the node's ID, for callers
// asking of every file. (A closure read from the cache looks the path
// up.)
func (c *Closure) OwnerOfNode(n *analyze.Node) (graph.NodeID, bool) {
	if c.byNode == nil {
		return c.OwnerOfPath(n.Path())
	}
	if int(n.ID) >= len(c.byNode) || c.byNode[n.ID] == 0 {
		return 0, false
	}
	return c.byNode[n.ID] - 1, true
}

// nodeOfTree is nodeOf for a node of the index.
func (c *Closure) nodeOfTree(n *analyze.Node) (graph.NodeID, bool) {
	if id, ok := c.OwnerOfNode(n); ok {
		return id, true
	}
	if c.Granularity == Files {
		return 0, false
	}
	return c.nodeOf(n.Path())
}
