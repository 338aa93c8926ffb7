package doctor

import (
	"bytes"
	"context"
	"encoding/gob"
	"fmt"
	"io/fs"
	"path"
	"regexp"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/whittle-dev/whittle/analyze"
	"github.com/whittle-dev/whittle/analyze/audit"
	"github.com/whittle-dev/whittle/analyze/source"
	"github.com/whittle-dev/whittle/closure"
	"github.com/whittle-dev/whittle/closure/runtime"
	"github.com/whittle-dev/whittle/etcgen"
	"github.com/whittle-dev/whittle/finding"
	"github.com/whittle-dev/whittle/internal/imagefs"
	"github.com/whittle-dev/whittle/internal/localearchive"
	"github.com/whittle-dev/whittle/internal/suggest"
)

// maxELF bounds the ELF files read for their symbols and strings.
const maxELF = 256 << 20

// Breakage returns what will fail when the image runs: TLS without CA
// certificates, missing locales and time zones, name service files, users,
// /tmp, the entry point, the closure's own problems (missing libraries,
// interpreters, dangling links) and config mistakes. cl may be nil: then
// every ELF file of the image counts as run.
func Breakage(ctx context.Context, im *source.Image, ix *analyze.Index, cl *closure.Closure, opts Options) ([]finding.Finding, error) {
	d := &doctor{ctx: ctx, im: im, ix: ix, cl: cl, fsys: analyze.NewFS(ctx, im, ix).WithCache(opts.Cache, fsScope), env: env(im, opts.Env), now: opts.Now, cache: opts.Cache, learned: opts.Learned}
	if d.learned != nil {
		d.fsys.WithKnown(d.learned.FileAt)
	}
	if d.now.IsZero() {
		d.now = time.Now()
	}
	if err := d.loadObjects(); err != nil {
		return nil, err
	}
	// Only the locale checks read the catalog (its locales), and only
	// when the environment names a locale.
	d.cat = &etcgen.Catalog{}
	if d.glibc() && len(localeVars(d.env)) > 0 {
		cat, err := etcgen.LoadCatalog(d.fsys)
		if err != nil {
			return nil, err
		}
		d.cat = cat
	}
	for _, check := range []func(){d.tls, d.locales, d.timezones, d.nameService, d.users, d.filesystem, d.config} {
		check()
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	return opts.filter(d.out.List()), nil
}

type doctor struct {
	ctx  context.Context
	im   *source.Image
	ix   *analyze.Index
	cl   *closure.Closure
	fsys *analyze.ImageFS
	env  map[string]string
	now  time.Time
	cat  *etcgen.Catalog
	out  finding.Set
	// cache keeps what the checks read from files (Options.Cache).
	cache *analyze.Cache
	// learned is what a Learner learnt while the layers were indexed
	// (Options.Learned), or nil.
	learned *Learner

	// objects are the run ELF files (reachable in the closure), by path.
	objects map[string]*object
}

type object struct {
	path    string
	imports map[string]bool
	facts   *runtime.Facts
	goBin   bool
	soname  string
}

func (d *doctor) add(kind string, sev finding.Severity, paths []string, msg, fix string, ch *finding.Change) {
	d.out.Add(finding.Finding{Kind: kind, Severity: sev, Paths: paths, Message: msg, Fix: fix, Change: ch})
}

// run reports whether the closure reaches the file at p (every file when
// there is no closure).
func (d *doctor) run(p string) bool {
	if d.cl == nil {
		return true
	}
	id, ok := d.cl.Owner(p)
	return ok && d.cl.Analysis.Reachable(id)
}

// loadObjects reads the run ELF files' imported symbols and facts.
func (d *doctor) loadObjects() error {
	d.objects = map[string]*object{}
	want := func(n *analyze.Node) bool {
		// ELF objects are executables and shared objects (*.so*): no need
		// to read the rest (an interpreter's library, data).
		return n.Content != nil && !n.IsDir() && n.Content.Size >= 64 && n.Content.Size <= maxELF &&
			(n.Entry.Mode&0o111 != 0 || strings.Contains(n.Name, ".so")) && d.run(n.Path())
	}
	// What each object's bytes say is cached by where they are stored;
	// the rest is read in one pass with what LoadCatalog and the checks
	// read (/etc, zoneinfo, locales, gconv).
	cached := map[int]objectCache{}
	fresh := map[int]bool{}
	lookup := func(n *analyze.Node) (*objectFacts, int, int, bool) {
		l, pos, ok := d.ix.ContentSource(n)
		if !ok {
			return nil, l, pos, false
		}
		if of, ok := d.learned.objectAt(l, pos); ok {
			return of, l, pos, true
		}
		if d.cache == nil {
			return nil, l, pos, false
		}
		oc, seen := cached[l]
		if !seen {
			oc = loadObjectCache(d.cache, d.im.Layers[l].DiffID.String())
			cached[l] = oc
		}
		f, ok := oc[pos]
		return f, l, pos, ok
	}
	var nodes []*analyze.Node
	need := map[*analyze.Entry]bool{}
	d.ix.Root.Walk(func(n *analyze.Node) bool {
		if want(n) {
			nodes = append(nodes, n)
			if _, _, _, ok := lookup(n); !ok {
				need[n.Content] = true
			}
		}
		return true
	})
	// The checks read /etc files; the catalog, loaded when the
	// environment names a locale, reads locale, gconv and zone data too.
	// What a Learner read, it kept or has no need of: only the layers it
	// did not read are read.
	locales := len(localeVars(d.env)) > 0
	if err := d.fsys.Preload(func(n *analyze.Node) bool {
		if need[n.Content] {
			return true
		}
		p := n.Path()
		return etcgen.CatalogPath(p) && (locales || etcFile(p)) && !d.learned.covers(d.ix, n, p)
	}); err != nil {
		return err
	}
	for _, n := range nodes {
		p := n.Path()
		of, l, pos, ok := lookup(n)
		if !ok {
			data, err := d.fsys.ReadFile(imagefs.Name(p))
			if err != nil {
				continue
			}
			of = readObject(data, nil)
			if d.cache != nil {
				if cached[l] == nil {
					cached[l] = objectCache{}
				}
				cached[l][pos] = of
				fresh[l] = true
			}
		}
		if of.ELF {
			o := &object{path: p, imports: map[string]bool{}, facts: of.Facts, soname: of.Soname, goBin: of.GoBin}
			for _, s := range of.Imports {
				o.imports[s] = true
			}
			d.objects[p] = o
		}
		if err := d.ctx.Err(); err != nil {
			return err
		}
	}
	for l := range fresh {
		storeObjectCache(d.cache, d.im.Layers[l].DiffID.String(), cached[l])
	}
	return nil
}

// objectFacts is what the checks read from one file's bytes.
type objectFacts struct {
	ELF     bool
	Imports []string
	Soname  string
	GoBin   bool
	Facts   *runtime.Facts
}

// objectCache is a layer's objectFacts by entry position.
type objectCache map[int]*objectFacts

const objectKind = "findings-objects-v1"

func loadObjectCache(c *analyze.Cache, key string) objectCache {
	b, ok := c.GetData(objectKind, key)
	if !ok {
		return nil
	}
	var oc objectCache
	if gob.NewDecoder(bytes.NewReader(b)).Decode(&oc) != nil {
		return nil
	}
	return oc
}

func storeObjectCache(c *analyze.Cache, key string, oc objectCache) {
	var buf bytes.Buffer
	if gob.NewEncoder(&buf).Encode(oc) == nil {
		_ = c.PutData(objectKind, key, buf.Bytes()) // only costs time
	}
}

// sortedObjects returns the objects in path order.
func (d *doctor) sortedObjects() []*object {
	out := make([]*object, 0, len(d.objects))
	for _, o := range d.objects {
		out = append(out, o)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].path < out[j].path })
	return out
}

func (d *doctor) glibc() bool {
	if d.cl == nil {
		return true
	}
	for _, o := range d.objects {
		if o.soname == "libc.so.6" {
			return true
		}
	}
	return false
}

// stat follows symlinks; ok is false for a missing path.
func (d *doctor) stat(p string) (fs.FileInfo, bool) {
	fi, err := d.fsys.Stat(imagefs.Name(p))
	return fi, err == nil
}

func (d *doctor) isFile(p string) bool {
	fi, ok := d.stat(p)
	return ok && fi.Mode().IsRegular()
}

func (d *doctor) isDir(p string) bool {
	fi, ok := d.stat(p)
	return ok && fi.IsDir()
}

// goBundles are the files and directories Go's crypto/x509 reads on Linux.
var (
	goBundles = []string{"/etc/ssl/certs/ca-certificates.crt", "/etc/pki/tls/certs/ca-bundle.crt", "/etc/ssl/ca-bundle.pem",
		"/etc/pki/tls/cacert.pem", "/etc/pki/ca-trust/extracted/pem/tls-ca-bundle.pem", "/etc/ssl/cert.pem"}
	goBundleDirs = []string{"/etc/ssl/certs", "/etc/pki/tls/certs"}
	// knownBundles are where images keep a CA bundle.
	knownBundles = []string{"/etc/ssl/certs/ca-certificates.crt", "/etc/pki/tls/certs/ca-bundle.crt", "/etc/ssl/ca-bundle.pem",
		"/etc/ssl/cert.pem", "/etc/ssl/certs/ca-bundle.crt", "/usr/lib/ssl/cert.pem"}
)

// tlsUser is one TLS library or program and where it looks for CA certificates.
type tlsUser struct {
	who         string
	files, dirs []string
	// verifiers are the run programs that verify peers with the default
	// CA locations (verifySyms); none: a missing bundle fails nothing
	// for certain (a server such as nginx verifies no one, or names its
	// own CA file in its configuration).
	verifiers []string
	// argsDecide are run tools that verify peers only in some of their
	// commands (the openssl tool's s_client), none of which the config's
	// command line names.
	argsDecide []string
}

// verifyCommands are the commands of multi-command tools that verify
// peers with the default CA locations, by tool name.
var verifyCommands = map[string][]string{"openssl": {"s_client", "s_time", "verify", "ocsp", "cms", "smime"}}

// verifiesByArgs reports whether the program at p verifies peers only in
// commands the config's command line does not name.
func (d *doctor) verifiesByArgs(p string) bool {
	cmds, ok := verifyCommands[path.Base(p)]
	if !ok || d.im.Config == nil {
		return false
	}
	argv := append(append([]string(nil), d.im.Config.Config.Entrypoint...), d.im.Config.Config.Cmd...)
	for _, a := range argv {
		if slices.Contains(cmds, a) {
			return false
		}
	}
	return true
}

// verifyModules are the interpreters' library modules that verify peers
// with OpenSSL's default CA locations: Python's ssl
// (create_default_context loads them), Perl's IO::Socket::SSL.
var verifyModules = []string{"/ssl.py", "/IO/Socket/SSL.pm"}

// verifySyms are OpenSSL's functions that read the default CA file and
// directory: a program that imports one verifies peers with them.
var verifySyms = []string{
	"SSL_CTX_set_default_verify_paths", "SSL_CTX_set_default_verify_file", "SSL_CTX_set_default_verify_dir",
	"SSL_CTX_set_default_verify_store", "X509_STORE_set_default_paths", "X509_STORE_set_default_paths_ex",
	"X509_get_default_cert_file", "X509_get_default_cert_dir", "X509_get_default_cert_file_env", "X509_get_default_cert_dir_env",
}

func (d *doctor) tlsUsers() []tlsUser {
	var out []tlsUser
	var verifiers, argsDecide []string
	for _, v := range d.imports(verifySyms...) {
		if o := d.objects[v]; strings.HasPrefix(o.soname, "libssl.so") || strings.HasPrefix(o.soname, "libcrypto.so") {
			continue // OpenSSL's own: it verifies for its callers
		}
		if d.verifiesByArgs(v) {
			argsDecide = append(argsDecide, v)
		} else {
			verifiers = append(verifiers, v)
		}
	}
	if m := d.runModule(verifyModules); m != "" {
		verifiers = append(verifiers, m)
	}
	for _, o := range d.sortedObjects() {
		dir := ""
		if o.facts != nil {
			dir = o.facts.OpenSSLDir
		}
		if dir == "" && strings.HasPrefix(o.soname, "libcrypto.so") {
			// No compiled-in OPENSSLDIR string: the build's default,
			// the store path's etc/ssl on Nix, else Debian's.
			if sp := storePath(o.path); sp != "" {
				dir = sp + "/etc/ssl"
			} else {
				dir = "/usr/lib/ssl"
			}
		}
		switch {
		case dir != "":
			// SSL_CERT_FILE and SSL_CERT_DIR replace the compiled-in
			// file and directory (X509_get_default_cert_file_env).
			u := tlsUser{who: "OpenSSL (" + o.path + ")"}
			switch {
			case d.env["SSL_CERT_FILE"] != "":
				u.files = []string{d.env["SSL_CERT_FILE"]}
			case d.env["NIX_SSL_CERT_FILE"] != "" && strings.HasPrefix(o.path, "/nix/store/"):
				u.files = []string{d.env["NIX_SSL_CERT_FILE"]}
			default:
				u.files = []string{path.Join(dir, "cert.pem")}
			}
			if v := d.env["SSL_CERT_DIR"]; v != "" {
				u.dirs = strings.Split(v, ":")
			} else {
				u.dirs = []string{path.Join(dir, "certs")}
			}
			u.verifiers, u.argsDecide = verifiers, argsDecide
			out = append(out, u)
		case o.goBin:
			// crypto/x509's system roots are read by every Go program
			// that verifies a peer with the default configuration.
			u := tlsUser{who: "Go program " + o.path, verifiers: []string{o.path}}
			if v := d.env["SSL_CERT_FILE"]; v != "" {
				u.files = []string{v}
			} else {
				u.files = goBundles
			}
			if v := d.env["SSL_CERT_DIR"]; v != "" {
				u.dirs = strings.Split(v, ":")
			} else {
				u.dirs = goBundleDirs
			}
			out = append(out, u)
		}
	}
	return out
}

// certDir reports whether a directory holds certificates OpenSSL or Go
// would read (hashed links or PEM files).
func (d *doctor) certDir(dir string) bool {
	ents, err := d.fsys.ReadDir(imagefs.Name(dir))
	if err != nil {
		return false
	}
	for _, e := range ents {
		n := e.Name()
		if (strings.HasSuffix(n, ".0") || strings.HasSuffix(n, ".pem") || strings.HasSuffix(n, ".crt")) && d.isFile(path.Join(dir, n)) {
			return true
		}
	}
	return false
}

func (d *doctor) tls() {
	users := d.tlsUsers()
	for _, u := range users {
		var bundle string
		for _, f := range u.files {
			if d.isFile(f) {
				bundle = f
				break
			}
		}
		if bundle == "" {
			dirOK := false
			for _, dir := range u.dirs {
				if d.certDir(dir) {
					dirOK = true
					break
				}
			}
			sev, who := finding.Info, u.who+" (no program of the image that verifies peers with the default CA locations)"
			switch {
			case len(u.verifiers) > 0:
				sev, who = finding.Error, u.who+", used by "+u.verifiers[0]+" to verify peers,"
			case len(u.argsDecide) > 0:
				sev, who = finding.Warning, u.who+", used by "+u.argsDecide[0]+" to verify peers in some of its commands,"
			}
			if v := d.env["SSL_CERT_FILE"]; v != "" {
				// The variable names a missing file: an error when no
				// directory stands in for it.
				fsev := sev
				if dirOK && fsev == finding.Error {
					fsev = finding.Warning
				}
				msg := fmt.Sprintf("SSL_CERT_FILE=%s names a file the image does not have, and %s reads no other bundle", v, who)
				if dirOK {
					msg += ": only the certificates of " + strings.Join(u.dirs, ", ") + " are trusted"
				} else {
					msg += ": every TLS connection fails to verify"
				}
				fix := "add the bundle there (plan etc: certificates: all), or point SSL_CERT_FILE at the image's bundle"
				var ch *finding.Change
				if other := d.anyBundle(); other != "" {
					fix = "set SSL_CERT_FILE=" + other + ", the bundle the image has (plan config: env)"
					ch = &finding.Change{Config: map[string]string{"env.SSL_CERT_FILE": other}}
				}
				d.add("tls/missing-cert-file", fsev, []string{v}, msg, fix, ch)
				continue
			}
			if dirOK {
				continue
			}
			if other := d.anyBundle(); other != "" {
				d.add("tls/bundle-env-unset", sev, []string{u.files[0], other},
					fmt.Sprintf("%s looks for CA certificates in %s, not in the bundle the image has at %s: the config does not set SSL_CERT_FILE", who, strings.Join(u.files, ", "), other),
					"set SSL_CERT_FILE="+other+" in the image config (plan config: env)",
					&finding.Change{Config: map[string]string{"env.SSL_CERT_FILE": other}})
				continue
			}
			d.add("tls/no-bundle", sev, u.files,
				fmt.Sprintf("%s finds no CA certificates (it looks in %s): every TLS connection fails to verify", who, strings.Join(append(append([]string(nil), u.files...), u.dirs...), ", ")),
				"add the CA bundle (plan etc: certificates: all)",
				&finding.Change{Etc: map[string]string{"certificates": "all"}})
			continue
		}
		d.checkBundle(u.who, bundle)
	}
}

// anyBundle returns a CA bundle the image has where no TLS user looks:
// a usual place, or a store path's etc/ssl/certs.
func (d *doctor) anyBundle() string {
	for _, p := range knownBundles {
		if d.isFile(p) {
			return p
		}
	}
	var found string
	if st := d.ix.Root.Lookup("/nix/store"); st != nil {
		for _, c := range st.Children {
			for _, sub := range []string{"etc/ssl/certs/ca-bundle.crt", "etc/ssl/certs/ca-certificates.crt"} {
				p := path.Join(c.Path(), sub)
				if found == "" && d.isFile(p) {
					found = p
				}
			}
		}
	}
	return found
}

func (d *doctor) checkBundle(who, bundle string) {
	data, err := d.fsys.ReadFile(imagefs.Name(bundle))
	if err != nil {
		d.add("tls/unreadable-bundle", finding.Error, []string{bundle}, fmt.Sprintf("%s cannot read the CA bundle %s: %v", who, bundle, err),
			"replace the bundle (plan etc: certificates: all)", &finding.Change{Etc: map[string]string{"certificates": "all"}})
		return
	}
	certs, _ := etcgen.ParseCertificates(bundle, data)
	if len(certs) == 0 {
		d.add("tls/empty-bundle", finding.Error, []string{bundle}, fmt.Sprintf("the CA bundle %s that %s reads holds no certificate it can parse", bundle, who),
			"replace the bundle (plan etc: certificates: all)", &finding.Change{Etc: map[string]string{"certificates": "all"}})
		return
	}
	for _, c := range certs {
		if c.NotAfter.After(d.now) {
			return
		}
	}
	d.add("tls/expired-bundle", finding.Error, []string{bundle}, fmt.Sprintf("every certificate of the CA bundle %s (%d) has expired", bundle, len(certs)),
		"update the CA bundle (plan etc: certificates: all, from a current ca-certificates)", &finding.Change{Etc: map[string]string{"certificates": "all"}})
}

// locale returns the image's compiled locale called name.
func (d *doctor) locale(name string) (etcgen.Locale, bool) {
	norm := localearchive.NormalizeName(name)
	// LOCALE_ARCHIVE names the archive glibc reads instead of the default
	// one, and LOCPATH directories it searches first (<dir>/<name>/).
	if p := d.env["LOCALE_ARCHIVE"]; p != "" {
		if data, err := imagefs.ReadFile(d.fsys, p, 1<<30); err == nil {
			if a, err := localearchive.Open(bytes.NewReader(data), int64(len(data))); err == nil {
				for _, n := range a.Names() {
					if n == name || localearchive.NormalizeName(n) == norm {
						return etcgen.Locale{Name: n, Codeset: codesetOf(n)}, true
					}
				}
			}
		}
	}
	for _, dir := range strings.Split(d.env["LOCPATH"], ":") {
		if dir == "" {
			continue
		}
		for _, n := range []string{name, norm} {
			if _, info, err := imagefs.Stat(d.fsys, path.Join(dir, n)); err == nil && info.IsDir() {
				return etcgen.Locale{Name: n, Codeset: codesetOf(n)}, true
			}
		}
	}
	for _, l := range d.cat.Locales {
		for _, n := range append([]string{l.Name}, l.Aliases...) {
			if n == name || localearchive.NormalizeName(n) == norm {
				return l, true
			}
		}
	}
	return etcgen.Locale{}, false
}

// codesetOf is the codeset a locale name gives ("UTF-8" of
// "en_US.UTF-8"), or "".
func codesetOf(name string) string {
	_, cs, _ := strings.Cut(name, ".")
	cs, _, _ = strings.Cut(cs, "@")
	return cs
}

// builtinLocale: glibc 2.35 and later know C.UTF-8 without data files.
func builtinLocale(name string) bool {
	return localearchive.NormalizeName(name) == "C.utf8"
}

func (d *doctor) locales() {
	if !d.glibc() {
		return
	}
	for _, v := range localeVars(d.env) {
		name := d.env[v]
		if l, ok := d.locale(name); ok {
			d.gconv(v, name, l.Codeset)
			continue
		}
		if builtinLocale(name) {
			continue
		}
		// etc can keep only locales the image holds: point at the nearest
		// one it has, or at building the locale into the image.
		var names []string
		for _, l := range d.cat.Locales {
			names = append(names, l.Name)
		}
		fix := "the image holds no locale data for it: build it into the image (localedef), or set " + v + " to C.UTF-8"
		var change *finding.Change
		if near := suggest.Closest(name, names, 1); len(near) == 1 {
			fix = "set " + v + "=" + near[0] + ", a locale the image has, and keep it (plan etc: locales: " + near[0] + ")"
			change = &finding.Change{Etc: map[string]string{"locales": near[0]}, Config: map[string]string{"env." + v: near[0]}}
		}
		d.add("locale/missing", finding.Error, []string{name},
			fmt.Sprintf("%s=%s names a locale the image does not have: setlocale fails and programs fall back to C (\"cannot change locale\")", v, name),
			fix, change)
	}
}

// gconv checks that a non-UTF-8 locale's charset (cs, its codeset) has
// its gconv module.
func (d *doctor) gconv(v, name, cs string) {
	key := gconvKey(cs)
	if key == "" || key == "UTF8" || key == "ANSIX3.41968" || key == "ANSIX341968" || key == "ASCII" {
		return
	}
	found := false
	d.ix.Root.Walk(func(n *analyze.Node) bool {
		if found {
			return false
		}
		if n.Parent != nil && n.Parent.Name == "gconv" && gconvKey(strings.TrimSuffix(n.Name, ".so")) == key {
			found = true
		}
		return true
	})
	if !found {
		d.add("locale/missing-gconv", finding.Error, []string{name},
			fmt.Sprintf("%s=%s uses the %s charset, but the image has no gconv module for it: conversions (iconv, wide-character output) fail", v, name, cs),
			"add the locale with its gconv modules (plan etc: locales: "+name+")", &finding.Change{Etc: map[string]string{"locales": name}})
	}
}

func gconvKey(s string) string {
	var b strings.Builder
	for _, r := range strings.ToUpper(s) {
		if r != '-' && r != '_' {
			b.WriteRune(r)
		}
	}
	return b.String()
}

// posixTZ matches a POSIX TZ rule ("UTC0", "EST5EDT,M3.2.0,M11.1.0").
var posixTZ = regexp.MustCompile(`^(<[^>]+>|[A-Za-z]{3,})[-+]?[0-9]`)

// utcNames are zones that mean UTC, right even when the file is missing
// (glibc falls back to UTC).
var utcNames = map[string]bool{"UTC": true, "Etc/UTC": true, "GMT": true, "Etc/GMT": true, "UCT": true, "Universal": true, "Zulu": true}

// zoneFile reports whether the zone name resolves in a zoneinfo database
// of the image (TZDIR first).
func (d *doctor) zoneFile(name string) bool {
	var dirs []string
	if v := d.env["TZDIR"]; v != "" {
		dirs = append(dirs, v)
	}
	dirs = append(dirs, "/usr/share/zoneinfo", "/usr/lib/zoneinfo", "/usr/share/lib/zoneinfo")
	if st := d.ix.Root.Lookup("/nix/store"); st != nil {
		for _, c := range st.Children {
			if c.Child("share") != nil {
				dirs = append(dirs, path.Join(c.Path(), "share/zoneinfo"))
			}
		}
	}
	for _, dir := range dirs {
		if d.isFile(path.Join(dir, name)) {
			return true
		}
	}
	return false
}

func (d *doctor) timezones() {
	if tz, ok := d.env["TZ"]; ok && tz != "" {
		name := strings.TrimPrefix(tz, ":")
		switch {
		case strings.HasPrefix(name, "/"):
			if !d.isFile(name) {
				d.add("tz/missing-zone", finding.Error, []string{name}, fmt.Sprintf("TZ=%s names a file the image does not have: the time shows in UTC", tz),
					"add the zone (plan etc: timezones) and point TZ at it", &finding.Change{Etc: map[string]string{"timezones": path.Base(name)}})
			}
		case d.zoneFile(name) || posixTZ.MatchString(name) || utcNames[name]:
			// A missing UTC zone is UTC all the same.
		default:
			d.add("tz/missing-zone", finding.Error, []string{name}, fmt.Sprintf("TZ=%s names a zone the image does not have: the time shows in UTC", tz),
				"add it (plan etc: timezones: "+name+")", &finding.Change{Etc: map[string]string{"timezones": name}})
		}
	}
	if n := d.ix.Root.Lookup("/etc/localtime"); n != nil && n.Entry.Type == analyze.TypeSymlink {
		if _, ok := d.stat("/etc/localtime"); !ok {
			zone := n.Entry.Link
			if _, z, ok := strings.Cut(zone, "zoneinfo/"); ok {
				zone = z
			}
			d.add("tz/missing-localtime", finding.Error, []string{"/etc/localtime", n.Entry.Link},
				fmt.Sprintf("/etc/localtime links to %s, which the image does not have: the time shows in UTC", n.Entry.Link),
				"add the zone (plan etc: timezones: "+zone+")", &finding.Change{Etc: map[string]string{"timezones": zone}})
		}
	}
	for _, c := range Cycles(d.ix) {
		if strings.Contains(c.Target, "/zoneinfo") {
			d.add("tz/zoneinfo-loop", finding.Warning, []string{c.Link, c.Target}, c.message(),
				"drop the looping link (plan drop: "+escapeGlobs([]string{c.Link})[0]+"), and copy the zoneinfo database with links kept or generate the zones used (plan etc: timezones)",
				&finding.Change{Drop: escapeGlobs([]string{c.Link})})
		}
	}
}

// imports reports the run objects that import one of the symbols.
func (d *doctor) imports(syms ...string) []string {
	var out []string
	for _, o := range d.sortedObjects() {
		for _, s := range syms {
			if o.imports[s] {
				out = append(out, o.path)
				break
			}
		}
	}
	return out
}

func (d *doctor) nameService() {
	for _, c := range []struct {
		file, kind, section string
		syms                []string
	}{
		{"/etc/services", "nss/no-services", "services", []string{"getservbyname", "getservbyname_r", "getservbyport", "getservbyport_r", "getservent"}},
		{"/etc/protocols", "nss/no-protocols", "protocols", []string{"getprotobyname", "getprotobyname_r", "getprotobynumber", "getprotobynumber_r", "getprotoent"}},
	} {
		users := d.imports(c.syms...)
		if len(users) == 0 || d.isFile(c.file) {
			continue
		}
		// Linking the function is not calling it with a name: bash,
		// perl, python and c-ares all link getservbyname, and only a
		// script or configuration that names a service needs the file.
		d.add(c.kind, finding.Info, append([]string{c.file}, users...),
			fmt.Sprintf("%s is missing; %s links %s, so a lookup by name (rather than by number) fails with \"unknown service\" or \"unknown protocol\"", c.file, users[0], c.syms[0]),
			"add it if the program is given names (plan etc: "+c.section+": all, or the names used)", &finding.Change{Etc: map[string]string{c.section: "all"}})
	}
	if !d.glibc() {
		return
	}
	// Images carry no /etc/hosts (Docker's, Debian's and Alpine's
	// images alike): every container engine mounts one.
	if !d.isFile("/etc/hosts") {
		d.add("nss/no-hosts", finding.Info, []string{"/etc/hosts"}, "/etc/hosts is missing: container engines mount one; run elsewhere, localhost resolves through DNS, if at all",
			"add it (plan etc: basics: hosts)", &finding.Change{Etc: map[string]string{"basics": "hosts"}})
	}
	data, err := d.fsys.ReadFile("etc/nsswitch.conf")
	if err != nil {
		return
	}
	libDirs := d.libDirs()
	have := func(src string) bool {
		if src == "files" || src == "dns" {
			return true // built into glibc 2.34 and later
		}
		for _, dir := range libDirs {
			if d.isFile(path.Join(dir, "libnss_"+src+".so.2")) {
				return true
			}
		}
		return false
	}
	// A missing source on a line that names one glibc has is skipped
	// (lookups go on to it). On a line with none, that database's
	// lookups fail: an error when a run program calls them, else a note
	// (Debian's stock "netgroup: nis").
	type verdict struct {
		sev     finding.Severity
		dbs     []string
		users   []string
		skipped bool // on a line that names a source glibc has
	}
	bySrc := map[string]*verdict{}
	var order []string
	for _, line := range strings.Split(string(data), "\n") {
		db, _, _ := strings.Cut(strings.TrimSpace(stripComment(line)), ":")
		db = strings.TrimSpace(db)
		srcs := runtime.NSSSources(line)
		alone := !slices.ContainsFunc(srcs, have)
		var users []string
		if alone {
			users = d.imports(nssSyms[db]...)
		}
		for _, src := range srcs {
			if have(src) {
				continue
			}
			v := bySrc[src]
			if v == nil {
				v = &verdict{sev: finding.Info}
				bySrc[src] = v
				order = append(order, src)
			}
			v.skipped = v.skipped || !alone
			if alone && len(users) > 0 {
				v.sev = finding.Error
				v.dbs = append(v.dbs, db)
				v.users = append(v.users, users[0])
			}
		}
	}
	for _, src := range order {
		v := bySrc[src]
		msg := fmt.Sprintf("/etc/nsswitch.conf names the %q source, but libnss_%s.so.2 is not in the image: ", src, src)
		if v.sev == finding.Error {
			msg += fmt.Sprintf("the %s database names no source the image has, so every lookup in it fails, and %s looks names up in it", v.dbs[0], v.users[0])
		} else if v.skipped {
			msg += "glibc skips it and asks the next source"
		} else {
			msg += "no run program looks up the databases that name only it"
		}
		d.add("nss/missing-module", v.sev, []string{"/etc/nsswitch.conf", "libnss_" + src + ".so.2"}, msg,
			"generate nsswitch.conf with the sources the image has (plan etc: basics: nsswitch)", &finding.Change{Etc: map[string]string{"basics": "nsswitch"}})
	}
}

// nssSyms are the glibc functions that look names up in each
// nsswitch.conf database.
var nssSyms = map[string][]string{
	"passwd":    {"getpwnam", "getpwnam_r", "getpwuid", "getpwuid_r", "getpwent", "getpwent_r"},
	"group":     {"getgrnam", "getgrnam_r", "getgrgid", "getgrgid_r", "getgrent", "getgrent_r", "initgroups", "getgrouplist"},
	"shadow":    {"getspnam", "getspnam_r", "getspent"},
	"hosts":     {"getaddrinfo", "gethostbyname", "gethostbyname_r", "gethostbyname2", "gethostbyname2_r", "gethostbyaddr", "gethostbyaddr_r", "getnameinfo"},
	"services":  {"getservbyname", "getservbyname_r", "getservbyport", "getservbyport_r", "getservent"},
	"protocols": {"getprotobyname", "getprotobyname_r", "getprotobynumber", "getprotobynumber_r", "getprotoent"},
	"networks":  {"getnetbyname", "getnetbyname_r", "getnetbyaddr", "getnetbyaddr_r"},
	"netgroup":  {"innetgr", "setnetgrent", "getnetgrent", "getnetgrent_r"},
	"rpc":       {"getrpcbyname", "getrpcbyname_r", "getrpcbynumber", "getrpcbynumber_r"},
	"ethers":    {"ether_ntohost", "ether_hostton"},
	"aliases":   {"getaliasbyname", "getaliasbyname_r"},
}

// stripComment cuts a '#' comment off a line.
func stripComment(line string) string {
	l, _, _ := strings.Cut(line, "#")
	return l
}

// libDirs are the directories glibc loads NSS modules from: the usual
// ones and those of every run libc.
func (d *doctor) libDirs() []string {
	dirs := []string{"/lib", "/usr/lib", "/lib64", "/usr/lib64", "/lib/x86_64-linux-gnu", "/usr/lib/x86_64-linux-gnu", "/lib/aarch64-linux-gnu", "/usr/lib/aarch64-linux-gnu"}
	for _, o := range d.sortedObjects() {
		if o.soname == "libc.so.6" {
			dirs = append(dirs, path.Dir(o.path))
		}
	}
	return dirs
}

// passwd reads /etc/passwd or /etc/group as name → fields.
func (d *doctor) table(file string) (map[string][]string, bool) {
	data, err := d.fsys.ReadFile(imagefs.Name(file))
	if err != nil {
		return nil, false
	}
	m := map[string][]string{}
	for _, line := range strings.Split(string(data), "\n") {
		f := strings.Split(line, ":")
		if len(f) >= 3 && f[0] != "" {
			m[f[0]] = f
		}
	}
	return m, true
}

func isNumber(s string) bool {
	if s == "" {
		return false
	}
	for _, r := range s {
		if r < '0' || r > '9' {
			return false
		}
	}
	return true
}

func (d *doctor) users() {
	user := ""
	if d.im.Config != nil {
		user = d.im.Config.Config.User
	}
	home, homeSev := d.env["HOME"], finding.Warning
	if user != "" {
		name, group, _ := strings.Cut(user, ":")
		passwd, _ := d.table("/etc/passwd")
		if !isNumber(name) {
			if f, ok := passwd[name]; !ok {
				d.add("user/unknown-user", finding.Error, []string{name, "/etc/passwd"},
					fmt.Sprintf("the config's User %q is not in /etc/passwd: the container does not start (\"unable to find user %s\")", user, name),
					"add the account (plan etc: users: "+name+") or use a numeric uid", &finding.Change{Etc: map[string]string{"users": name}})
			} else if home == "" && len(f) >= 6 {
				// A system account's home that its package never made
				// (Debian's www-data, /var/www) is a note: the config
				// does not ask for it.
				home, homeSev = f[5], finding.Info
			}
		}
		if group != "" && !isNumber(group) {
			if groups, _ := d.table("/etc/group"); groups[group] == nil {
				d.add("user/unknown-group", finding.Error, []string{group, "/etc/group"},
					fmt.Sprintf("the config's User %q names group %q, which is not in /etc/group: the container does not start", user, group),
					"add the group (plan etc: users) or use a numeric gid", &finding.Change{Etc: map[string]string{"users": name}})
			}
		}
	}
	// Debian's and Alpine's accounts without a home name one that is
	// meant not to exist (nobody's /nonexistent, sshd's /var/empty).
	if home != "" && home != "/" && !noHome[home] && !d.isDir(home) {
		d.add("user/no-home", homeSev, []string{home},
			fmt.Sprintf("HOME %s does not exist: programs that write caches or settings there fail", home),
			"create it (plan etc: users with a home) or set HOME to a directory the image has", &finding.Change{Etc: map[string]string{"users": user}})
	}
}

// tempSyms are libc's functions that create files in /tmp (or TMPDIR).
var tempSyms = []string{"mkstemp", "mkstemp64", "mkostemp", "mkostemp64", "mkstemps", "mkstemps64", "mkostemps", "mkostemps64",
	"mkdtemp", "tmpfile", "tmpfile64", "tempnam", "tmpnam", "tmpnam_r"}

// tempModules are the interpreters' library modules that make temporary
// files (Python's tempfile, Perl's File::Temp).
var tempModules = []string{"/tempfile.py", "/File/Temp.pm"}

// runModule returns a file the closure reaches whose path ends with one
// of suffixes, or "".
func (d *doctor) runModule(suffixes []string) string {
	if d.cl == nil {
		return ""
	}
	found := ""
	d.ix.Root.Walk(func(n *analyze.Node) bool {
		if found != "" {
			return false
		}
		if n.IsDir() {
			return true
		}
		// Each suffix starts with "/": the name must be its last part.
		for _, m := range suffixes {
			if n.Name != m[strings.LastIndexByte(m, '/')+1:] {
				continue
			}
			if p := n.Path(); strings.HasSuffix(p, m) && d.run(p) {
				found = p
			}
		}
		return true
	})
	return found
}

// firstImport returns the first of syms the object at p imports.
func (d *doctor) firstImport(p string, syms []string) string {
	for _, s := range syms {
		if d.objects[p] != nil && d.objects[p].imports[s] {
			return s
		}
	}
	return syms[0]
}

// noHome are the homes of accounts that have none, by convention.
var noHome = map[string]bool{"/nonexistent": true, "/var/empty": true, "/dev/null": true}

// fails reports whether a closure problem breaks what the image runs: its
// file is on the closure, and a script missing its interpreter is one
// that is executed (see executed).
func (d *doctor) fails(p finding.Finding) bool {
	path := p.Path()
	if !strings.HasPrefix(path, "/") {
		return true
	}
	if !d.run(path) {
		return false
	}
	if p.Name() == "missing-interpreter" {
		if fi, ok := d.stat(path); ok && fi.Mode().IsRegular() && fi.Mode().Perm()&0o111 == 0 {
			return false
		}
		return d.executed(path)
	}
	return true
}

// executed reports whether a script is run rather than read: a root, or a
// file in a directory of commands. A module the closure reaches through
// its interpreter's library directory (Debian's executable cgi.py) is
// only imported.
func (d *doctor) executed(p string) bool {
	for _, r := range d.cl.Roots {
		if r.Path == p || r.Named == p {
			return true
		}
	}
	for _, dir := range []string{"/bin/", "/sbin/", "/libexec/"} {
		if strings.Contains(p, dir) {
			return true
		}
	}
	return false
}

// closureFixes are the fixes of the closure's problems, by name.
var closureFixes = map[string]string{
	"missing-library":     "add the library (the package or store path that provides it), or drop the program that needs it",
	"missing-interpreter": "add the interpreter the program names (its package or store path), or drop the program",
	"dangling-symlink":    "add the target, or drop the link",
	"symlink-loop":        "fix or drop the links that name each other",
	"root":                "fix the Entrypoint/Cmd (plan config: entrypoint) or add the program it names",
	"missing-command":     "add the command the script runs, or drop the script",
	"missing-package":     "reinstall the package, or drop the packages that depend on it",
	"bad-elf":             "replace the damaged file",
}

func (d *doctor) filesystem() {
	// Without /tmp, programs that make temporary files fail: an error
	// when a run program links a libc function that does, a warning
	// otherwise (an interpreter's script or a Go program may).
	sev, who := finding.Warning, "programs that create temporary files fail (Python's tempfile, pip, shells' here-documents)"
	if users := d.imports(tempSyms...); len(users) > 0 {
		sev, who = finding.Error, fmt.Sprintf("%s creates temporary files there (%s) and fails", users[0], d.firstImport(users[0], tempSyms))
	} else if mod := d.runModule(tempModules); mod != "" {
		sev, who = finding.Error, fmt.Sprintf("the run module %s creates temporary files there and fails", mod)
	}
	n, _, err := d.ix.Root.Resolve("/tmp", imagefs.Follow)
	switch {
	case err != nil || n == nil:
		d.add("fs/no-tmp", sev, []string{"/tmp"}, "/tmp is missing: "+who,
			"add it (plan etc: basics: tmp)", &finding.Change{Etc: map[string]string{"basics": "tmp"}})
	case !n.IsDir():
		d.add("fs/no-tmp", sev, []string{"/tmp"}, "/tmp is not a directory: "+who, "replace it (plan etc: basics: tmp)", &finding.Change{Etc: map[string]string{"basics": "tmp"}})
	case n.Entry.Mode&0o7777 != 0o1777:
		mode := n.Entry.Mode & 0o7777
		msg := fmt.Sprintf("/tmp has mode %04o, not 1777: users other than its owner cannot create files there: %s", mode, who)
		if mode&0o777 == 0o777 {
			// Anyone may create files; without the sticky bit anyone
			// may also remove or rename another user's: nothing fails.
			sev = finding.Info
			msg = fmt.Sprintf("/tmp has mode %04o, not 1777: without the sticky bit any user may delete or rename another user's files there", mode)
		}
		d.add("fs/tmp-mode", sev, []string{"/tmp"}, msg,
			"make it 1777 (plan etc: basics: tmp)", &finding.Change{Etc: map[string]string{"basics": "tmp"}})
	}
	if d.cl != nil {
		said := map[string]bool{}
		for _, f := range d.out.List() {
			for _, p := range f.Paths {
				said[p] = true
			}
		}
		for _, p := range d.cl.Problems {
			if p.Severity == finding.Info || p.Kind == "closure/dynamic-command" || said[p.Path()] || !d.fails(p) {
				continue
			}
			if p.Fix == "" {
				p.Fix = closureFixes[p.Name()]
			}
			if p.Fix == "" {
				p.Fix = "add what it names, or drop what needs it"
			}
			d.out.Add(p)
		}
		for _, r := range d.cl.Roots {
			if (r.Source != "entrypoint" && r.Source != "cmd") || r.Path == "" {
				continue
			}
			if fi, ok := d.stat(r.Path); ok && fi.Mode().IsRegular() && fi.Mode().Perm()&0o111 == 0 {
				d.add("fs/entrypoint-not-executable", finding.Error, []string{r.Path},
					fmt.Sprintf("the %s %s is not executable (mode %04o): the container does not start (\"permission denied\")", r.Source, r.Path, fi.Mode().Perm()),
					"make it executable (chmod +x in the step that writes it)", nil)
			}
		}
	}
}

func (d *doctor) config() {
	if d.im.RawConfig == nil {
		return
	}
	for _, f := range audit.ConfigFindings(d.im.RawConfig) {
		d.out.Add(f)
	}
}

// storePath returns the store path an image path lies in, or "".
func storePath(p string) string {
	rest, ok := strings.CutPrefix(p, "/nix/store/")
	if !ok {
		return ""
	}
	name, _, _ := strings.Cut(rest, "/")
	return "/nix/store/" + name
}
