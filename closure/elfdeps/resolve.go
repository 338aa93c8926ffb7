package elfdeps

import (
	"debug/elf"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"path"
	"strings"

	"github.com/whittle-dev/whittle/internal/imagefs"
)

// Via says how the loader found an object.
type Via uint8

// How objects are found.
const (
	// ViaExecutable: the file asked about.
	ViaExecutable Via = iota
	// ViaInterpreter: the executable's PT_INTERP.
	ViaInterpreter
	// ViaPath: the needed name holds a slash and is used as a path.
	ViaPath
	// ViaRPath: a DT_RPATH directory (of the needing object or one that
	// loaded it, or of the executable).
	ViaRPath
	// ViaRunPath: a DT_RUNPATH directory of the needing object.
	ViaRunPath
	// ViaCache: ld.so.cache, as ldconfig builds it from ld.so.conf and
	// the system directories.
	ViaCache
	// ViaDefault: the loader's built-in system directories.
	ViaDefault
	// ViaLoaded: an object already loaded has that name or soname.
	ViaLoaded
	// ViaMuslPath: musl's /etc/ld-musl-ARCH.path or its default path.
	ViaMuslPath
)

var viaNames = []string{"executable", "interpreter", "path", "rpath", "runpath", "ld.so.cache", "default", "loaded", "musl-path"}

// String names the way: "rpath", "ld.so.cache", …
func (v Via) String() string {
	if int(v) < len(viaNames) {
		return viaNames[v]
	}
	return fmt.Sprintf("via(%d)", uint8(v))
}

// DepKind says why one object needs another.
type DepKind uint8

// Kinds of dependency.
const (
	// Needed: a DT_NEEDED entry.
	Needed DepKind = iota
	// Interpreter: the executable's PT_INTERP.
	Interpreter
	// Preloaded: an /etc/ld.so.preload entry.
	Preloaded
)

// Object is one ELF file the loader maps.
type Object struct {
	// Path is the path the loader opens (it may go through symlinks).
	Path string
	// Real is the file itself, every symlink followed.
	Real string
	// Links are the symlinks followed from Path to Real.
	Links []string
	// Info is the file's parsed dynamic section.
	Info *Info
	// Via is how it was found.
	Via Via
	// Loader is the index of the object whose need loaded it first, or
	// -1 (the executable, the interpreter).
	Loader int
}

// Dep is one need of one object and what satisfied it.
type Dep struct {
	Kind DepKind
	// From is the index of the needing object in Result.Objects.
	From int
	// Name is what was asked for: the DT_NEEDED entry, the PT_INTERP path
	// or the preload entry.
	Name string
	// To is the index of the object that satisfies it, or -1 when the
	// need is missing.
	To int
	// Via is how To was found (for an object already loaded, ViaLoaded).
	Via Via
	// Reason says why a missing need was not satisfied.
	Reason string
	// Loop reports that the search stopped at a symlink loop on a
	// candidate path, as ld.so stops on ELOOP.
	Loop bool
}

// Result is what the loader would map to run one executable.
type Result struct {
	// Objects are the executable (index 0), then the interpreter and
	// preloaded libraries, then every library in the order the loader
	// maps them (breadth first), each once.
	Objects []Object
	// Deps are every need of every object, in the order they are met.
	Deps []Dep
	// Start is the index of the first object this resolution mapped: 0
	// for Resolve, past the process's objects for ResolveIn.
	Start int

	// names are the names each object was asked for by (see loaded).
	names [][]string
}

// Missing returns the needs nothing satisfied.
func (r *Result) Missing() []Dep {
	var out []Dep
	for _, d := range r.Deps {
		if d.To < 0 {
			out = append(out, d)
		}
	}
	return out
}

// Resolver resolves shared libraries inside one image. It caches parsed
// files, so reuse it for every executable of the image; it is not safe for
// concurrent use.
type Resolver struct {
	fsys   fs.FS
	conf   Config
	probes map[string]*probe
	parsed map[string]*parsedFile
	// cacheDirs memoises the directories of the emulated ld.so.cache, by
	// flavor key.
	cacheDirs map[string][]string
	muslPath  map[string][]string
	// known supplies files already parsed (see UseParsed).
	known func(real string) (*Info, bool, error)
}

// UseParsed makes the resolver ask known for a file's parsed headers
// before opening it: a caller that has streamed every ELF file of an image
// once need not have each read again. known answers ok=false for files it
// has not seen.
func (r *Resolver) UseParsed(known func(real string) (info *Info, ok bool, err error)) {
	r.known = known
}

type probe struct {
	loop bool // the path runs into a symlink loop
	res  imagefs.Resolved
	file *parsedFile // nil when the path names no regular file
}

type parsedFile struct {
	info *Info
	err  error
}

// NewResolver returns a resolver over the image fsys (names relative to
// the image root; symlinks are resolved inside the image, never on the
// host) with the image's loader configuration (see LoadConfig).
func NewResolver(fsys fs.FS, conf Config) *Resolver {
	return &Resolver{
		fsys: fsys, conf: conf,
		probes:    map[string]*probe{},
		parsed:    map[string]*parsedFile{},
		cacheDirs: map[string][]string{},
		muslPath:  map[string][]string{},
	}
}

// maxELFRead bounds how much of a file is read into memory when the image
// file system cannot read at an offset.
const maxELFRead = 512 << 20

// probe looks p up in the image and parses it when it is a regular file.
func (r *Resolver) probe(p string) *probe {
	if pr, ok := r.probes[p]; ok {
		return pr
	}
	pr := &probe{}
	r.probes[p] = pr
	res, info, err := imagefs.Stat(r.fsys, p)
	if err != nil || !info.Mode().IsRegular() {
		pr.loop = errors.Is(err, imagefs.ErrLoop)
		return pr
	}
	pr.res = res
	if pf, ok := r.parsed[res.Path]; ok {
		pr.file = pf
		return pr
	}
	pf := &parsedFile{}
	pf.info, pf.err = r.parse(res.Path)
	r.parsed[res.Path] = pf
	pr.file = pf
	return pr
}

func (r *Resolver) parse(real string) (*Info, error) {
	if r.known != nil {
		if info, ok, err := r.known(real); ok {
			return info, err
		}
	}
	f, err := r.fsys.Open(imagefs.Name(real))
	if err != nil {
		return nil, err
	}
	defer f.Close()
	ra, ok := f.(io.ReaderAt)
	if !ok {
		data, err := io.ReadAll(io.LimitReader(f, maxELFRead))
		if err != nil {
			return nil, err
		}
		ra = strings.NewReader(string(data))
	}
	return Parse(ra)
}

// Resolve works out what the loader maps to run the ELF file exe (an
// absolute image path). A need that cannot be satisfied is reported in the
// result (see Result.Missing), not as an error; the error is for an exe
// that does not exist or is not ELF.
func (r *Resolver) Resolve(exe string) (*Result, error) {
	exe = imagefs.Clean(exe)
	pr := r.probe(exe)
	if pr.file == nil {
		return nil, fmt.Errorf("resolving libraries of %s: %w", exe, fs.ErrNotExist)
	}
	if pr.file.err != nil {
		return nil, fmt.Errorf("resolving libraries of %s: %w", exe, pr.file.err)
	}
	s := &session{r: r, res: &Result{}, byReal: map[string]int{}, interpIdx: -1}
	main := s.add(exe, pr, ViaExecutable, -1)
	info := pr.file.info
	s.musl = strings.HasPrefix(path.Base(info.Interp), "ld-musl-")
	s.names[main] = []string{exe}
	if info.Interp != "" {
		s.interp(info.Interp)
	}
	defer func() { s.res.names = s.names }()
	if !info.Dynamic {
		return s.res, nil
	}
	if !s.musl {
		for _, name := range r.conf.Preload {
			s.need(Preloaded, main, name)
		}
	}
	// Breadth first over every object mapped, as _dl_map_object_deps.
	for i := 0; i < len(s.res.Objects); i++ {
		if i != main && s.res.Objects[i].Via == ViaInterpreter {
			continue
		}
		for _, name := range s.res.Objects[i].Info.Needed {
			s.need(Needed, i, name)
		}
	}
	return s.res, nil
}

type session struct {
	r      *Resolver
	res    *Result
	byReal map[string]int
	names  [][]string // the names each object was asked for by
	musl   bool
	// interpIdx is the interpreter's object, -1 without one.
	interpIdx int
	// skipped are the files of another ABI passed over in one search.
	skipped []string
	// loop is set when the current search stopped at a symlink loop.
	loop bool
}

func (s *session) add(p string, pr *probe, via Via, loader int) int {
	i := len(s.res.Objects)
	s.res.Objects = append(s.res.Objects, Object{
		Path: p, Real: pr.res.Path, Links: pr.res.Links, Info: pr.file.info, Via: via, Loader: loader,
	})
	s.byReal[pr.res.Path] = i
	s.names = append(s.names, nil)
	return i
}

func (s *session) interp(p string) {
	s.interpIdx = -1
	main := s.res.Objects[0].Info
	pr := s.r.probe(p)
	d := Dep{Kind: Interpreter, From: 0, Name: p, To: -1, Via: ViaInterpreter}
	switch {
	case !strings.HasPrefix(p, "/"):
		d.Reason = "interpreter path is relative"
	case pr.file == nil:
		d.Reason = "interpreter not found"
	case pr.file.err != nil:
		d.Reason = "interpreter unusable: " + pr.file.err.Error()
	case !sameABI(pr.file.info, main):
		d.Reason = "interpreter is for another class or machine"
	default:
		if i, ok := s.byReal[pr.res.Path]; ok {
			d.To = i
		} else {
			d.To = s.add(p, pr, ViaInterpreter, -1)
		}
		s.names[d.To] = append(s.names[d.To], p)
		s.interpIdx = d.To
	}
	s.res.Deps = append(s.res.Deps, d)
}

// need satisfies one need of object from, appending the Dep.
func (s *session) need(kind DepKind, from int, name string) {
	d := Dep{Kind: kind, From: from, Name: name, To: -1}
	defer func() { s.res.Deps = append(s.res.Deps, d) }()
	if name == "" {
		d.Reason = "empty name"
		return
	}
	if i, ok := s.loaded(name); ok {
		d.To, d.Via = i, ViaLoaded
		return
	}
	var found *found
	var reason string
	s.skipped = s.skipped[:0]
	s.loop = false
	if s.musl {
		found, reason = s.searchMusl(from, name)
	} else {
		found, reason = s.searchGlibc(from, name)
	}
	if found == nil {
		d.Reason, d.Loop = reason, s.loop
		if reason == "not found" && len(s.skipped) > 0 {
			d.Reason += "; wrong class or machine: " + strings.Join(s.skipped, ", ")
		}
		return
	}
	d.Via = found.via
	if i, ok := s.byReal[found.pr.res.Path]; ok {
		// The same file under another name: the loader maps it once.
		d.To = i
	} else {
		d.To = s.add(found.path, found.pr, found.via, from)
	}
	s.names[d.To] = append(s.names[d.To], name)
}

// loaded finds an object already mapped under the name: a name it was
// asked for by, its soname, or (for the loader's own names under musl)
// the musl loader itself.
func (s *session) loaded(name string) (int, bool) {
	for i, names := range s.names {
		for _, n := range names {
			if n == name {
				return i, true
			}
		}
		if !s.musl {
			if so := s.res.Objects[i].Info.Soname; so != "" && so == name {
				return i, true
			}
		}
	}
	if s.musl && s.interpIdx >= 0 && muslReserved(name) {
		return s.interpIdx, true
	}
	return 0, false
}

// muslReserved reports the names musl's loader answers itself: libc,
// libpthread, librt, libm, libdl, libutil and libxnet, any version.
func muslReserved(name string) bool {
	rest, ok := strings.CutPrefix(name, "lib")
	if !ok {
		return false
	}
	for _, r := range []string{"c.", "pthread.", "rt.", "m.", "dl.", "util.", "xnet."} {
		if strings.HasPrefix(rest, r) {
			return true
		}
	}
	return false
}

type found struct {
	path string
	pr   *probe
	via  Via
}

// verdict is the outcome of trying one candidate file.
type verdict int

const (
	absent   verdict = iota // no regular file there: keep searching
	skipped                 // wrong class or machine: keep searching
	unusable                // the loader would fail on it: stop
	usable
)

func (s *session) try(p string) (*probe, verdict, string) {
	pr := s.r.probe(p)
	if pr.loop {
		s.loop = true
		return pr, unusable, p + ": too many levels of symbolic links"
	}
	if pr.file == nil {
		return pr, absent, ""
	}
	if pr.file.err != nil {
		return pr, unusable, fmt.Sprintf("%s: %v", p, pr.file.err)
	}
	if !sameABI(pr.file.info, s.res.Objects[0].Info) {
		s.skipped = append(s.skipped, p)
		return pr, skipped, ""
	}
	if pr.file.info.Type != elf.ET_DYN {
		return pr, unusable, fmt.Sprintf("%s: cannot load an ELF file of type %s", p, pr.file.info.Type)
	}
	return pr, usable, ""
}

func sameABI(a, b *Info) bool {
	return a.Class == b.Class && a.Data == b.Data && a.Machine == b.Machine
}

// searchDirs tries dir/name for each directory in order.
func (s *session) searchDirs(dirs []string, name string, via Via) (*found, string, bool) {
	for _, dir := range dirs {
		p := join(dir, name)
		pr, v, reason := s.try(p)
		switch v {
		case usable:
			return &found{p, pr, via}, "", true
		case unusable:
			return nil, reason, true
		}
	}
	return nil, "", false
}

// searchGlibc is _dl_map_object's search for a name: a path when it holds
// a slash; else DT_RPATH of the loader chain and the executable (unless
// the needing object has DT_RUNPATH), DT_RUNPATH, the ld.so.cache, the
// system directories (the last two skipped for a DF_1_NODEFLIB object).
// LD_LIBRARY_PATH is not used: an image's environment is not the loader's
// at build time.
func (s *session) searchGlibc(from int, name string) (*found, string) {
	objs := s.res.Objects
	if strings.Contains(name, "/") {
		return s.byPath(from, name)
	}
	loader := objs[from].Info
	if len(loader.RunPath) == 0 {
		mainDone := false
		for l := from; l >= 0; l = objs[l].Loader {
			if dirs := s.rpath(l); dirs != nil {
				if f, reason, done := s.searchDirs(dirs, name, ViaRPath); done {
					return f, reason
				}
			}
			mainDone = mainDone || l == 0
		}
		if !mainDone {
			if dirs := s.rpath(0); dirs != nil {
				if f, reason, done := s.searchDirs(dirs, name, ViaRPath); done {
					return f, reason
				}
			}
		}
	}
	if len(loader.RunPath) > 0 {
		dirs := s.expand(from, loader.RunPath)
		if f, reason, done := s.searchDirs(dirs, name, ViaRunPath); done {
			return f, reason
		}
	}
	main := objs[0].Info
	system := systemDirs(s.r.fsys, main)
	if f := s.searchCache(name, system, loader.NoDefaultLib()); f != nil {
		return f, ""
	}
	if !loader.NoDefaultLib() {
		if f, reason, done := s.searchDirs(system, name, ViaDefault); done {
			return f, reason
		}
	}
	return nil, "not found"
}

// rpath returns object l's DT_RPATH directories, expanded, or nil when it
// has none (an object with DT_RUNPATH has its DT_RPATH ignored).
func (s *session) rpath(l int) []string {
	in := s.res.Objects[l].Info
	if len(in.RunPath) > 0 || len(in.RPath) == 0 {
		return nil
	}
	return s.expand(l, in.RPath)
}

func (s *session) byPath(from int, name string) (*found, string) {
	p, ok := s.expandOne(from, name)
	if !ok {
		return nil, "path has a dynamic string token with no value"
	}
	if !strings.HasPrefix(p, "/") {
		return nil, "relative path depends on the working directory"
	}
	pr, v, reason := s.try(p)
	switch v {
	case usable:
		return &found{p, pr, ViaPath}, ""
	case absent:
		return nil, "not found"
	case skipped:
		return nil, "wrong class or machine"
	}
	return nil, reason
}

// searchCache emulates ld.so.cache: ldconfig scans the ld.so.conf
// directories, then its two trusted directories (the first two system
// directories: glibc's slibdir and libdir), each real directory once
// under the first name it was listed by, and records each library under
// its soname; the loader takes the first entry of the right class. A
// DF_1_NODEFLIB object may not use an entry in a system directory.
func (s *session) searchCache(name string, system []string, noDefLib bool) *found {
	if !isDSOName(name) {
		return nil
	}
	for _, dir := range s.cacheDirs(system) {
		if noDefLib && contains(system, dir) {
			continue
		}
		p := join(dir, name)
		pr, v, _ := s.try(p)
		if v != usable {
			continue
		}
		soname := pr.file.info.Soname
		if soname == "" {
			soname = name
		}
		if soname == name {
			return &found{p, pr, ViaCache}
		}
	}
	return nil
}

func (s *session) cacheDirs(system []string) []string {
	key := strings.Join(system, ":")
	if dirs, ok := s.r.cacheDirs[key]; ok {
		return dirs
	}
	var dirs []string
	seen := map[string]bool{}
	for _, d := range append(append([]string(nil), s.r.conf.LibDirs...), system[:2]...) {
		res, info, err := imagefs.Stat(s.r.fsys, d)
		if err != nil || !info.IsDir() || seen[res.Path] {
			continue
		}
		seen[res.Path] = true
		dirs = append(dirs, d)
	}
	s.r.cacheDirs[key] = dirs
	return dirs
}

// isDSOName is ldconfig's test for a file worth recording.
func isDSOName(name string) bool {
	return (strings.HasPrefix(name, "lib") || strings.HasPrefix(name, "ld-")) && strings.Contains(name, ".so")
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// systemDirs are glibc's built-in directories for the executable's ABI: a
// Debian-style multiarch image (its triplet directory exists) searches
// /lib/TRIPLET, /usr/lib/TRIPLET, /lib, /usr/lib; otherwise a 64-bit ABI
// that uses lib64 searches /lib64, /usr/lib64, and the rest /lib, /usr/lib.
func systemDirs(fsys fs.FS, in *Info) []string {
	if t := triplet(in); t != "" {
		for _, d := range []string{"/lib/" + t, "/usr/lib/" + t} {
			if _, info, err := imagefs.Stat(fsys, d); err == nil && info.IsDir() {
				return []string{"/lib/" + t, "/usr/lib/" + t, "/lib", "/usr/lib"}
			}
		}
	}
	if uses64(in) {
		return []string{"/lib64", "/usr/lib64"}
	}
	return []string{"/lib", "/usr/lib"}
}

// libToken is the value of $LIB: the multiarch directory on a multiarch
// image, else lib64 or lib.
func libToken(fsys fs.FS, in *Info) string {
	dirs := systemDirs(fsys, in)
	return strings.TrimPrefix(dirs[0], "/")
}

func uses64(in *Info) bool {
	if in.Class != elf.ELFCLASS64 {
		return false
	}
	switch in.Machine {
	case elf.EM_X86_64, elf.EM_AARCH64, elf.EM_PPC64, elf.EM_S390, elf.EM_SPARCV9, elf.EM_MIPS, elf.EM_LOONGARCH, elf.EM_RISCV:
		return true
	}
	return false
}

// triplet is Debian's multiarch tuple for the ABI, "" when unknown.
func triplet(in *Info) string {
	le := in.Data == elf.ELFDATA2LSB
	switch {
	case in.Machine == elf.EM_X86_64 && in.Class == elf.ELFCLASS64:
		return "x86_64-linux-gnu"
	case in.Machine == elf.EM_X86_64:
		return "x86_64-linux-gnux32"
	case in.Machine == elf.EM_386:
		return "i386-linux-gnu"
	case in.Machine == elf.EM_AARCH64:
		return "aarch64-linux-gnu"
	case in.Machine == elf.EM_ARM:
		return "arm-linux-gnueabihf"
	case in.Machine == elf.EM_PPC64 && le:
		return "powerpc64le-linux-gnu"
	case in.Machine == elf.EM_PPC64:
		return "powerpc64-linux-gnu"
	case in.Machine == elf.EM_S390:
		return "s390x-linux-gnu"
	case in.Machine == elf.EM_RISCV && in.Class == elf.ELFCLASS64:
		return "riscv64-linux-gnu"
	case in.Machine == elf.EM_MIPS && in.Class == elf.ELFCLASS64 && le:
		return "mips64el-linux-gnuabi64"
	case in.Machine == elf.EM_LOONGARCH:
		return "loongarch64-linux-gnu"
	}
	return ""
}

// platform is AT_PLATFORM, the value of $PLATFORM, "" when unknown.
func platform(in *Info) string {
	switch in.Machine {
	case elf.EM_X86_64:
		return "x86_64"
	case elf.EM_386:
		return "i686"
	case elf.EM_AARCH64:
		return "aarch64"
	case elf.EM_PPC64:
		if in.Data == elf.ELFDATA2LSB {
			return "ppc64le"
		}
		return "ppc64"
	case elf.EM_S390:
		return "s390x"
	case elf.EM_RISCV:
		return "riscv64"
	}
	return ""
}

// origin is $ORIGIN for an object: the directory of the executable's
// real path (the kernel's /proc/self/exe), or of the path a library was
// opened by.
func (s *session) origin(l int) string {
	o := s.res.Objects[l]
	if l == 0 {
		return path.Dir(o.Real)
	}
	// The directory as written, not cleaned: "/a/../lib/x.so" has origin
	// "/a/../lib".
	if i := strings.LastIndexByte(o.Path, '/'); i > 0 {
		return o.Path[:i]
	}
	return "/"
}

// join makes the path the loader opens: the directory, trailing slashes
// dropped, a slash and the name — not cleaned, so "$ORIGIN/../lib" stays
// as written, as ld.so reports it.
func join(dir, name string) string {
	return strings.TrimRight(dir, "/") + "/" + name
}

// expand expands the dynamic string tokens of a search path; entries
// that cannot be expanded, and relative ones (they depend on the working
// directory), are dropped.
func (s *session) expand(l int, entries []string) []string {
	var out []string
	for _, e := range entries {
		if e == "" {
			continue
		}
		p, ok := s.expandOne(l, e)
		if !ok || !strings.HasPrefix(p, "/") {
			continue
		}
		out = append(out, p)
	}
	return out
}

// expandMusl is musl's fixup_rpath: $ORIGIN and ${ORIGIN} are replaced,
// and any other "$" drops the whole path.
func (s *session) expandMusl(l int, entries []string) []string {
	raw := strings.Join(entries, ":")
	for rest := raw; ; {
		i := strings.IndexByte(rest, '$')
		if i < 0 {
			break
		}
		if !strings.HasPrefix(rest[i:], "$ORIGIN") && !strings.HasPrefix(rest[i:], "${ORIGIN}") {
			return nil
		}
		rest = rest[i+1:]
	}
	origin := s.origin(l)
	raw = strings.ReplaceAll(strings.ReplaceAll(raw, "${ORIGIN}", origin), "$ORIGIN", origin)
	var out []string
	for _, d := range strings.FieldsFunc(raw, func(r rune) bool { return r == ':' || r == '\n' }) {
		if strings.HasPrefix(d, "/") {
			out = append(out, d)
		}
	}
	return out
}

// expandOne substitutes $ORIGIN, $LIB and $PLATFORM (and their ${…}
// forms) as the loader does; an unknown "$" stays as it is, and a known
// token without a value makes the entry unusable.
func (s *session) expandOne(l int, e string) (string, bool) {
	if !strings.Contains(e, "$") {
		return e, true
	}
	main := s.res.Objects[0].Info
	var b strings.Builder
	for i := 0; i < len(e); {
		if e[i] != '$' {
			b.WriteByte(e[i])
			i++
			continue
		}
		name, n := dstName(e[i+1:])
		if n == 0 {
			b.WriteByte('$')
			i++
			continue
		}
		var val string
		switch name {
		case "ORIGIN":
			val = s.origin(l)
		case "LIB":
			val = libToken(s.r.fsys, main)
		case "PLATFORM":
			val = platform(main)
		}
		if val == "" {
			return "", false
		}
		b.WriteString(val)
		i += 1 + n
	}
	return b.String(), true
}

// dstName recognises a dynamic string token after a "$": ORIGIN, LIB or
// PLATFORM, bare (then followed by the end or "/") or in braces. It
// returns the token and how many bytes it spans, or 0.
func dstName(s string) (string, int) {
	for _, name := range []string{"ORIGIN", "PLATFORM", "LIB"} {
		if strings.HasPrefix(s, "{"+name+"}") {
			return name, len(name) + 2
		}
		if strings.HasPrefix(s, name) && (len(s) == len(name) || s[len(name)] == '/') {
			return name, len(name)
		}
	}
	return "", 0
}

// searchMusl is musl's load_library: a path when the name holds a slash;
// else the DT_RUNPATH (or, lacking it, DT_RPATH) of the needing object and
// of each object that loaded it, then /etc/ld-musl-ARCH.path (or
// /lib:/usr/local/lib:/usr/lib). The first file that exists is taken.
func (s *session) searchMusl(from int, name string) (*found, string) {
	if strings.Contains(name, "/") {
		return s.byPath(from, name)
	}
	objs := s.res.Objects
	for l := from; l >= 0; l = objs[l].Loader {
		in := objs[l].Info
		entries := in.RunPath
		if len(entries) == 0 {
			entries = in.RPath
		}
		if len(entries) == 0 {
			continue
		}
		if f, reason, done := s.searchFirst(s.expandMusl(l, entries), name, ViaRPath); done {
			return f, reason
		}
	}
	if f, reason, done := s.searchFirst(s.muslSysPath(), name, ViaMuslPath); done {
		return f, reason
	}
	return nil, "not found"
}

func (s *session) searchFirst(dirs []string, name string, via Via) (*found, string, bool) {
	for _, dir := range dirs {
		p := join(dir, name)
		pr, v, reason := s.try(p)
		switch v {
		case usable:
			return &found{p, pr, via}, "", true
		case unusable, skipped:
			if v == skipped {
				reason = p + ": wrong class or machine"
			}
			return nil, reason, true
		}
	}
	return nil, "", false
}

// muslSysPath reads PREFIX/etc/ld-musl-ARCH.path (ARCH from the
// interpreter's name, PREFIX its path less the last two components),
// directories separated by colons or newlines; without it musl searches
// /lib:/usr/local/lib:/usr/lib.
func (s *session) muslSysPath() []string {
	interp := s.res.Objects[0].Info.Interp
	arch := strings.TrimSuffix(strings.TrimPrefix(path.Base(interp), "ld-musl-"), ".so.1")
	if dirs, ok := s.r.muslPath[interp]; ok {
		return dirs
	}
	// The file is under the loader's prefix: the interpreter path less
	// its last two components ("/lib/ld-musl-x86_64.so.1" has prefix "").
	prefix := path.Dir(path.Dir(interp))
	if prefix == "/" || prefix == "." {
		prefix = ""
	}
	dirs := []string{"/lib", "/usr/local/lib", "/usr/lib"}
	if data, err := imagefs.ReadFile(s.r.fsys, prefix+"/etc/ld-musl-"+arch+".path", maxConfSize); err == nil {
		dirs = nil
		for _, d := range strings.FieldsFunc(string(data), func(r rune) bool { return r == ':' || r == '\n' }) {
			if d = strings.TrimSpace(d); strings.HasPrefix(d, "/") {
				dirs = append(dirs, path.Clean(d))
			}
		}
	}
	s.r.muslPath[interp] = dirs
	return dirs
}
