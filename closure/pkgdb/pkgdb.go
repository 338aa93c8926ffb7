// Package pkgdb reads the package databases of an image — dpkg's
// /var/lib/dpkg (status, info/*.list, diversions) and apk's
// /lib/apk/db/installed — and answers which packages are installed, which
// files each owns, which package owns a file (through /usr-merge symlinks
// and diversions), and the dependency closure of a set of packages,
// resolved to what is installed.
package pkgdb

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"path"
	"sort"
	"strings"

	"github.com/whittle-dev/whittle/internal/imagefs"
)

// Format is a package database format.
type Format uint8

// Formats.
const (
	Dpkg Format = iota + 1
	Apk
)

// String returns "dpkg" or "apk".
func (f Format) String() string {
	switch f {
	case Dpkg:
		return "dpkg"
	case Apk:
		return "apk"
	}
	return fmt.Sprintf("format(%d)", uint8(f))
}

// Package is one installed package.
type Package struct {
	Format  Format
	Name    string
	Version string
	Arch    string
	// MultiArch is dpkg's Multi-Arch: "same", "foreign", "allowed" or "".
	MultiArch string
	Essential bool
	// InstalledSize is in bytes (dpkg records KiB).
	InstalledSize int64
	// Depends are Pre-Depends and Depends (dpkg) or D: (apk), in order.
	Depends  []Dep
	Provides []Provide
	// Files are the paths the package database lists, directories
	// included, as listed (before /usr-merge or diversions).
	Files []string
	// Conffiles are dpkg's configuration files.
	Conffiles []string
	// Line is where the package's stanza starts in the database file.
	Line int
}

// ID names the package uniquely: "name", or "name:arch" for a dpkg
// Multi-Arch: same package, whose instances of several architectures can
// be installed together.
func (p *Package) ID() string {
	if p.MultiArch == "same" {
		return p.Name + ":" + p.Arch
	}
	return p.Name
}

// Dep is one dependency: any of its alternatives satisfies it.
type Dep struct {
	Alternatives []Relation
	// Pre marks a dpkg Pre-Depends.
	Pre bool
}

// String renders the dependency as a control file would.
func (d Dep) String() string {
	parts := make([]string, len(d.Alternatives))
	for i, r := range d.Alternatives {
		parts[i] = r.String()
	}
	return strings.Join(parts, " | ")
}

// Relation is one alternative: a package or virtual name, an optional
// architecture qualifier (dpkg: "any", "amd64"), and an optional version
// constraint. apk names may be so:SONAME, cmd:NAME, pc:NAME or a path.
type Relation struct {
	Name    string
	Arch    string
	Op      string
	Version string
}

// String renders the relation as dpkg writes it: "name:arch (op version)".
func (r Relation) String() string {
	s := r.Name
	if r.Arch != "" {
		s += ":" + r.Arch
	}
	if r.Op != "" {
		s += " (" + r.Op + " " + r.Version + ")"
	}
	return s
}

// Provide is a virtual name a package provides, with an optional version.
type Provide struct {
	Name    string
	Version string
}

// DB is an image's package database.
type DB struct {
	Format Format
	// Packages are sorted by name, then architecture.
	Packages []*Package
	// Diversions are dpkg's.
	Diversions []Diversion
	native     string
	byName     map[string][]*Package
	providers  map[string][]providerOf
	owners     map[string][]*Package
	canon      func(string) string
}

type providerOf struct {
	pkg     *Package
	version string
}

// ErrNoDatabase is returned by Load for an image with neither a dpkg nor
// an apk database.
var ErrNoDatabase = errors.New("no package database (neither /var/lib/dpkg/status nor /lib/apk/db/installed)")

// Limits on database files read from an image.
const (
	maxStatusSize = 256 << 20
	maxListSize   = 64 << 20
)

// Load reads the image's package database: dpkg's when
// /var/lib/dpkg/status exists, else apk's; ErrNoDatabase when neither.
func Load(fsys fs.FS) (*DB, error) {
	if _, _, err := imagefs.Stat(fsys, "/var/lib/dpkg/status"); err == nil {
		return LoadDpkg(fsys)
	}
	if _, _, err := imagefs.Stat(fsys, "/lib/apk/db/installed"); err == nil {
		return LoadApk(fsys)
	}
	return nil, ErrNoDatabase
}

// LoadDpkg reads /var/lib/dpkg/status, each installed package's
// info/<name>[:<arch>].list and .conffiles, and the diversions.
func LoadDpkg(fsys fs.FS) (*DB, error) {
	data, err := imagefs.ReadFile(fsys, "/var/lib/dpkg/status", maxStatusSize)
	if err != nil {
		return nil, fmt.Errorf("loading dpkg database: %w", err)
	}
	pkgs, err := ParseDpkgStatus(bytes.NewReader(data))
	if err != nil {
		return nil, fmt.Errorf("loading dpkg database: /var/lib/dpkg/status: %w", err)
	}
	for _, p := range pkgs {
		for _, ext := range []string{".list", ".conffiles"} {
			name, data, err := readInfo(fsys, p, ext)
			if err != nil {
				return nil, fmt.Errorf("loading dpkg database: %w", err)
			}
			if data == nil {
				continue
			}
			files, err := ParseDpkgList(bytes.NewReader(data))
			if err != nil {
				return nil, fmt.Errorf("loading dpkg database: %s: %w", name, err)
			}
			if ext == ".list" {
				p.Files = files
			} else {
				p.Conffiles = mergeUnique(p.Conffiles, files)
			}
		}
	}
	var divs []Diversion
	if data, err := imagefs.ReadFile(fsys, "/var/lib/dpkg/diversions", maxListSize); err == nil {
		if divs, err = ParseDpkgDiversions(bytes.NewReader(data)); err != nil {
			return nil, fmt.Errorf("loading dpkg database: %w", err)
		}
	} else if !errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("loading dpkg database: %w", err)
	}
	return New(Dpkg, pkgs, divs, Canonicalizer(fsys)), nil
}

// readInfo reads info/<name>:<arch><ext>, else info/<name><ext>; a
// missing file gives nil data.
func readInfo(fsys fs.FS, p *Package, ext string) (string, []byte, error) {
	for _, name := range []string{p.Name + ":" + p.Arch + ext, p.Name + ext} {
		full := "/var/lib/dpkg/info/" + name
		data, err := imagefs.ReadFile(fsys, full, maxListSize)
		if err == nil {
			return full, data, nil
		}
		if !errors.Is(err, fs.ErrNotExist) {
			return full, nil, err
		}
	}
	return "", nil, nil
}

func mergeUnique(a, b []string) []string {
	seen := map[string]bool{}
	for _, x := range a {
		seen[x] = true
	}
	for _, x := range b {
		if !seen[x] {
			seen[x] = true
			a = append(a, x)
		}
	}
	return a
}

// LoadApk reads /lib/apk/db/installed.
func LoadApk(fsys fs.FS) (*DB, error) {
	data, err := imagefs.ReadFile(fsys, "/lib/apk/db/installed", maxStatusSize)
	if err != nil {
		return nil, fmt.Errorf("loading apk database: %w", err)
	}
	pkgs, err := ParseApkInstalled(bytes.NewReader(data))
	if err != nil {
		return nil, fmt.Errorf("loading apk database: /lib/apk/db/installed: %w", err)
	}
	return New(Apk, pkgs, nil, Canonicalizer(fsys)), nil
}

// Canonicalizer returns a function mapping an image path to where it
// physically is: every directory component's symlinks followed inside
// the image (so "/bin/bash" becomes "/usr/bin/bash" on a /usr-merged
// image, where /bin -> usr/bin), the final component left alone unless
// it is a top-level directory symlink such as /bin itself. A
// directory that does not exist is kept as written below its deepest
// existing ancestor. Results are memoised per directory.
func Canonicalizer(fsys fs.FS) func(string) string {
	dirs := map[string]string{"/": "/"}
	var dir func(d string) string
	dir = func(d string) string {
		if c, ok := dirs[d]; ok {
			return c
		}
		c := path.Join(dir(path.Dir(d)), path.Base(d))
		if res, err := imagefs.Resolve(fsys, c); err == nil {
			c = res.Path
		}
		dirs[d] = c
		return c
	}
	return func(p string) string {
		p = imagefs.Clean(p)
		if p == "/" {
			return p
		}
		if path.Dir(p) == "/" {
			// A top-level directory symlink (/bin -> usr/bin) is the
			// directory it names: packages list /bin as a directory.
			if _, info, err := imagefs.Stat(fsys, p); err == nil && info.IsDir() {
				return dir(p)
			}
		}
		return path.Join(dir(path.Dir(p)), path.Base(p))
	}
}

// New indexes packages (as parsed) into a database; canon maps a path to
// its physical location (see Canonicalizer), nil for none. Diversions
// move the diverted files of every package but the diverting one.
func New(format Format, pkgs []*Package, diversions []Diversion, canon func(string) string) *DB {
	if canon == nil {
		canon = imagefs.Clean
	}
	db := &DB{
		Format: format, Packages: append([]*Package(nil), pkgs...), Diversions: diversions,
		byName: map[string][]*Package{}, providers: map[string][]providerOf{},
		owners: map[string][]*Package{}, canon: canon,
	}
	sort.SliceStable(db.Packages, func(i, j int) bool {
		a, b := db.Packages[i], db.Packages[j]
		if a.Name != b.Name {
			return a.Name < b.Name
		}
		return a.Arch < b.Arch
	})
	archCount := map[string]int{}
	for _, p := range db.Packages {
		db.byName[p.Name] = append(db.byName[p.Name], p)
		for _, pr := range p.Provides {
			db.providers[pr.Name] = append(db.providers[pr.Name], providerOf{p, pr.Version})
		}
		if p.Arch != "all" && p.Arch != "" {
			archCount[p.Arch]++
		}
	}
	// dpkg's native architecture is dpkg's own; without dpkg, the most
	// common one.
	if ps := db.byName["dpkg"]; len(ps) > 0 {
		db.native = ps[0].Arch
	} else {
		for a, n := range archCount {
			if n > archCount[db.native] || n == archCount[db.native] && a < db.native {
				db.native = a
			}
		}
	}
	divert := map[string]Diversion{}
	for _, d := range diversions {
		divert[d.From] = d
	}
	for _, p := range db.Packages {
		for _, f := range p.Files {
			if d, ok := divert[f]; ok && d.By != p.Name {
				f = d.To
			}
			c := canon(f)
			if owners := db.owners[c]; len(owners) == 0 || owners[len(owners)-1] != p {
				db.owners[c] = append(owners, p)
			}
		}
	}
	return db
}

// Lookup returns the installed packages of that name (one per
// architecture).
func (db *DB) Lookup(name string) []*Package { return db.byName[name] }

// Owners returns the packages that list the path, or list a path that is
// the same file through a directory symlink (/bin/bash and /usr/bin/bash
// on a /usr-merged image) or a diversion; a directory has many owners.
func (db *DB) Owners(p string) []*Package { return db.owners[db.canon(p)] }

// Canonical returns where the path physically is in the image (the form
// Owners looks up).
func (db *DB) Canonical(p string) string { return db.canon(p) }

// Missing is a dependency nothing installed satisfies.
type Missing struct {
	Package *Package
	Dep     Dep
}

// Satisfy returns the installed package that satisfies p's dependency d:
// its first alternative that an installed package (by name, by Provides,
// for apk by a file path it owns) satisfies, with version and, for dpkg,
// architecture rules. It reports false when none does.
func (db *DB) Satisfy(p *Package, d Dep) (*Package, bool) {
	for _, r := range d.Alternatives {
		if q := db.satisfyRelation(p, r); q != nil {
			return q, true
		}
	}
	return nil, false
}

func (db *DB) cmp() func(a, b string) int {
	if db.Format == Apk {
		return CompareApk
	}
	return CompareDebian
}

func (db *DB) satisfyRelation(p *Package, r Relation) *Package {
	cmp := db.cmp()
	for _, q := range db.byName[r.Name] {
		if db.archOK(p, q, r.Arch) && satisfies(cmp, q.Version, r.Op, r.Version) {
			return q
		}
	}
	for _, pr := range db.providers[r.Name] {
		if !db.archOK(p, pr.pkg, r.Arch) {
			continue
		}
		if r.Op == "" || pr.version != "" && satisfies(cmp, pr.version, r.Op, r.Version) {
			return pr.pkg
		}
	}
	if db.Format == Apk && strings.HasPrefix(r.Name, "/") {
		if owners := db.Owners(r.Name); len(owners) > 0 {
			return owners[0]
		}
	}
	return nil
}

// archOK is dpkg's rule for whether q's architecture satisfies a
// relation of p qualified by arch: a Multi-Arch: foreign q satisfies any;
// ":any" is satisfied by a Multi-Arch: allowed q; otherwise the
// architectures must match, "all" standing for the native one, and an
// unqualified relation meaning p's own architecture.
func (db *DB) archOK(p, q *Package, arch string) bool {
	if db.Format != Dpkg || q.MultiArch == "foreign" {
		return true
	}
	if arch == "any" {
		return q.MultiArch == "allowed"
	}
	want := arch
	if want == "" {
		want = p.Arch
	}
	if want == "all" || want == "" {
		want = db.native
	}
	have := q.Arch
	if have == "all" || have == "" {
		have = db.native
	}
	return want == have
}

// Depends returns the packages that satisfy p's dependencies, each once
// in order of first need, and the dependencies nothing satisfies.
func (db *DB) Depends(p *Package) ([]*Package, []Missing) {
	var out []*Package
	var missing []Missing
	seen := map[*Package]bool{}
	for _, d := range p.Depends {
		q, ok := db.Satisfy(p, d)
		if !ok {
			missing = append(missing, Missing{p, d})
			continue
		}
		if !seen[q] && q != p {
			seen[q] = true
			out = append(out, q)
		}
	}
	return out, missing
}

// Closure returns the packages reachable from roots through satisfied
// dependencies (roots included), sorted by name, and every dependency on
// the way that nothing installed satisfies.
func (db *DB) Closure(roots []*Package) ([]*Package, []Missing) {
	seen := map[*Package]bool{}
	var queue []*Package
	for _, r := range roots {
		if !seen[r] {
			seen[r] = true
			queue = append(queue, r)
		}
	}
	var missing []Missing
	for i := 0; i < len(queue); i++ {
		deps, miss := db.Depends(queue[i])
		missing = append(missing, miss...)
		for _, q := range deps {
			if !seen[q] {
				seen[q] = true
				queue = append(queue, q)
			}
		}
	}
	sort.Slice(queue, func(i, j int) bool {
		if queue[i].Name != queue[j].Name {
			return queue[i].Name < queue[j].Name
		}
		return queue[i].Arch < queue[j].Arch
	})
	return queue, missing
}
