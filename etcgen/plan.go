package etcgen

import (
	"crypto/md5"
	"fmt"
	"path"
	"sort"
	"strconv"
	"strings"

	"github.com/whittle-dev/whittle/finding"
	"github.com/whittle-dev/whittle/internal/localearchive"
	"github.com/whittle-dev/whittle/internal/reprotar"
	"github.com/whittle-dev/whittle/internal/suggest"
)

// Paths etcgen writes.
const (
	CertBundlePath    = "/etc/ssl/certs/ca-certificates.crt"
	LocaleArchivePath = "/usr/lib/locale/locale-archive"
	LocaleDir         = "/usr/lib/locale"
	ZoneinfoDir       = "/usr/share/zoneinfo"
)

// certAliases are the other paths programs look for the CA bundle at,
// written as relative symlinks to CertBundlePath.
var certAliases = []struct{ path, link string }{
	{"/etc/ssl/cert.pem", "certs/ca-certificates.crt"},                             // OpenSSL's default, Alpine
	{"/etc/pki/tls/certs/ca-bundle.crt", "../../../ssl/certs/ca-certificates.crt"}, // Fedora, RHEL
	{"/etc/ssl/certs/ca-bundle.crt", "ca-certificates.crt"},                        // NixOS
}

// Cost is what one choice adds to the output, in bytes of file content.
// Name "(overhead)" holds what a kind's files need whatever is chosen
// (headers, archive tables, config files), so that the costs add up to
// Output.Size.
type Cost struct {
	Kind  Kind   `json:"kind"`
	Name  string `json:"name"`
	Bytes int64  `json:"bytes"`
}

// Overhead is the Cost name of the bytes no single choice owns.
const Overhead = "(overhead)"

// Output is a resolved selection: the files to write, the environment
// variables they need and what each choice costs.
type Output struct {
	// Files are the entries, in the order generated; reprotar sorts them
	// and adds missing parent directories when writing.
	Files []reprotar.File
	// Env are the variables to set in the image config (LANG, TZ,
	// SSL_CERT_FILE, and LOCALE_ARCHIVE, LOCPATH, TZDIR for Nix images).
	Env map[string]string
	// Costs are the bytes each choice adds, in selection order.
	Costs []Cost
	// Warnings are things the output cannot do that the user should know
	// (a charset without a gconv module, a constrained root), kinds
	// KindWarn*.
	Warnings []finding.Finding
	// Users are the accounts written to /etc/passwd, in selection order;
	// nil when the output writes no /etc/passwd.
	Users []Account
}

// CheckUser returns an error naming user (an image config's User: "name",
// "uid", "name:group" or "uid:gid") when the output writes /etc/passwd
// without an account for it, so that the container would not start as
// that user. A number is matched by uid, a name by name. An empty User, or
// an output that writes no /etc/passwd, passes.
func (o *Output) CheckUser(user string) error {
	name, _, _ := strings.Cut(user, ":")
	if name == "" || o.Users == nil {
		return nil
	}
	uid, err := strconv.Atoi(name)
	byUID := err == nil && uid >= 0
	names := make([]string, len(o.Users))
	for i, a := range o.Users {
		if byUID && a.UID == uid || !byUID && a.Name == name {
			return nil
		}
		names[i] = a.Name
		if byUID {
			names[i] = fmt.Sprintf("%s (uid %d)", a.Name, a.UID)
		}
	}
	what := "user"
	if byUID {
		what = "uid"
	}
	return fmt.Errorf("the image config's User %q names a %s that is not among the chosen users (%s)", user, what, strings.Join(names, ", "))
}

// Size is the total bytes of file content in the output.
func (o *Output) Size() int64 {
	var n int64
	for _, f := range o.Files {
		n += int64(len(f.Data))
	}
	return n
}

// EnvList returns Env as sorted KEY=VALUE strings, the form of an image
// config's Env.
func (o *Output) EnvList() []string {
	out := make([]string, 0, len(o.Env))
	for k, v := range o.Env {
		out = append(out, k+"="+v)
	}
	sort.Strings(out)
	return out
}

// planner accumulates an Output.
type planner struct {
	c    *Catalog
	out  *Output
	errs []string
}

func (p *planner) file(f reprotar.File) { p.out.Files = append(p.out.Files, f) }

func (p *planner) cost(k Kind, name string, n int64) {
	for i := range p.out.Costs {
		if p.out.Costs[i].Kind == k && p.out.Costs[i].Name == name {
			p.out.Costs[i].Bytes += n
			return
		}
	}
	p.out.Costs = append(p.out.Costs, Cost{Kind: k, Name: name, Bytes: n})
}

func (p *planner) fail(format string, args ...any) {
	p.errs = append(p.errs, fmt.Sprintf(format, args...))
}

func regular(p string, data []byte) reprotar.File {
	return reprotar.File{Path: p, Kind: reprotar.Regular, Mode: 0o644, Data: data}
}

// Plan resolves sel against the catalog. Names that do not exist are
// errors listing the closest ones; all such errors are reported together,
// on one line.
//
// Choosing from a section with a broken source (Catalog.Broken) is an
// error naming the file and the reason, before anything else is planned.
func (c *Catalog) Plan(sel Selection) (*Output, error) {
	p := &planner{c: c, out: &Output{Env: map[string]string{}}}
	for k, chosen := range map[Kind]bool{
		KindServices: !sel.Services.IsZero(), KindProtocols: !sel.Protocols.IsZero(),
		KindCertificates: !sel.Certificates.IsZero(), KindLocales: !sel.Locales.IsZero(),
		KindTimeZones: !sel.Timezones.IsZero(), KindUsers: len(sel.Users) > 0,
	} {
		if !chosen {
			continue
		}
		for _, b := range c.brokenIn(k) {
			p.fail("cannot choose %s: %s could not be read: %s", k, b.Path, b.Reason)
		}
	}
	if len(p.errs) > 0 {
		sort.Strings(p.errs)
		return nil, fmt.Errorf("%s", strings.Join(p.errs, "; "))
	}
	p.services(sel.Services)
	p.protocols(sel.Protocols)
	p.certificates(sel.Certificates)
	if err := p.locales(sel.Locales, sel.LocaleFormat); err != nil {
		return nil, err
	}
	if err := p.timezones(sel.Timezones); err != nil {
		return nil, err
	}
	p.users(sel.Users)
	if err := p.basics(sel.Basics); err != nil {
		return nil, err
	}
	if len(p.errs) > 0 {
		return nil, fmt.Errorf("%s", strings.Join(p.errs, "; "))
	}
	return p.out, nil
}

// unknown reports a name not in the catalog, with the closest ones.
func (p *planner) unknown(what, name string, candidates []string) {
	p.fail("unknown %s %q%s", what, name, suggest.Hint(name, candidates))
}

func (p *planner) services(ch Choice) {
	if ch.IsZero() {
		return
	}
	svcs := p.c.Services
	chosen := make([]bool, len(svcs))
	owner := make([]string, len(svcs))
	mark := func(i int, name string) {
		if !chosen[i] {
			chosen[i] = true
			owner[i] = name
		}
	}
	if ch.All {
		for i := range svcs {
			mark(i, svcs[i].Name)
		}
	}
	for _, name := range ch.Names {
		found := false
		for i, s := range svcs {
			if s.Name == name {
				mark(i, name)
				found = true
			}
		}
		if !found {
			for i, s := range svcs {
				for _, a := range s.Aliases {
					if a == name {
						mark(i, name)
						found = true
					}
				}
			}
		}
		if !found {
			if port, proto, ok := parsePort(name); ok {
				for i, s := range svcs {
					if s.Port == port && (proto == "" || s.Proto == proto) {
						mark(i, name)
						found = true
					}
				}
			}
		}
		if !found {
			var cands []string
			for _, s := range svcs {
				cands = append(cands, s.Name)
				cands = append(cands, s.Aliases...)
			}
			p.unknown("service", name, cands)
		}
	}
	header := "# Network services, Internet style: chosen by whittle from " + p.c.ServicesSource + "\n"
	var b strings.Builder
	b.WriteString(header)
	p.cost(KindServices, Overhead, int64(len(header)))
	for i, s := range svcs {
		if chosen[i] {
			b.WriteString(s.Line)
			b.WriteByte('\n')
			p.cost(KindServices, owner[i], int64(len(s.Line)+1))
		}
	}
	p.file(regular("/etc/services", []byte(b.String())))
}

// parsePort parses "443" or "443/tcp".
func parsePort(s string) (port int, proto string, ok bool) {
	ps, proto, _ := strings.Cut(s, "/")
	n, err := strconv.Atoi(ps)
	if err != nil || n < 0 || n > 65535 {
		return 0, "", false
	}
	return n, proto, true
}

func (p *planner) protocols(ch Choice) {
	if ch.IsZero() {
		return
	}
	protos := p.c.Protocols
	chosen := make([]bool, len(protos))
	owner := make([]string, len(protos))
	for i := range protos {
		if ch.All {
			chosen[i], owner[i] = true, protos[i].Name
		}
	}
	for _, name := range ch.Names {
		found := false
		for pass := 0; pass < 3 && !found; pass++ {
			for i, pr := range protos {
				match := false
				switch pass {
				case 0:
					match = pr.Name == name
				case 1:
					for _, a := range pr.Aliases {
						match = match || a == name
					}
				case 2:
					match = strconv.Itoa(pr.Number) == name
				}
				if match {
					found = true
					if !chosen[i] {
						chosen[i], owner[i] = true, name
					}
				}
			}
		}
		if !found {
			var cands []string
			for _, pr := range protos {
				cands = append(cands, pr.Name)
				for _, a := range pr.Aliases {
					if !strings.EqualFold(a, pr.Name) {
						cands = append(cands, a)
					}
				}
			}
			p.unknown("protocol", name, cands)
		}
	}
	header := "# Internet (IP) protocols: chosen by whittle from " + p.c.ProtocolsSource + "\n"
	var b strings.Builder
	b.WriteString(header)
	p.cost(KindProtocols, Overhead, int64(len(header)))
	for i, pr := range protos {
		if chosen[i] {
			b.WriteString(pr.Line)
			b.WriteByte('\n')
			p.cost(KindProtocols, owner[i], int64(len(pr.Line)+1))
		}
	}
	p.file(regular("/etc/protocols", []byte(b.String())))
}

func (p *planner) certificates(ch Choice) {
	if ch.IsZero() {
		return
	}
	certs := p.c.Certificates
	chosen := make([]bool, len(certs))
	owner := make([]string, len(certs))
	for i := range certs {
		if ch.All {
			chosen[i], owner[i] = true, certs[i].Name
		}
	}
	for _, name := range ch.Names {
		idx, err := p.c.findCertificate(name)
		if err != "" {
			p.fail("%s", err)
			continue
		}
		if !chosen[idx] {
			chosen[idx], owner[idx] = true, name
		}
	}
	var data []byte
	for i, ct := range certs {
		if !chosen[i] {
			continue
		}
		data = append(data, ct.PEM...)
		p.cost(KindCertificates, owner[i], int64(len(ct.PEM)))
		if ct.Constrained {
			p.warn(KindWarnConstrainedCert, CertBundlePath, fmt.Sprintf("certificate %q is trusted by Go only with a distrust-after date, which a PEM bundle cannot carry", ct.Name))
		}
	}
	p.file(regular(CertBundlePath, data))
	for _, a := range certAliases {
		p.file(reprotar.File{Path: a.path, Kind: reprotar.Symlink, Mode: 0o777, Link: a.link})
	}
	p.out.Env["SSL_CERT_FILE"] = CertBundlePath
	if p.c.Nix {
		p.out.Env["NIX_SSL_CERT_FILE"] = CertBundlePath
	}
}

// findCertificate finds a certificate by name, subject, common name or
// SHA-256 fingerprint (whole, or a unique prefix of at least 8 digits). It
// returns a message on failure.
func (c *Catalog) findCertificate(name string) (int, string) {
	for i, ct := range c.Certificates {
		if ct.Name == name || ct.Subject == name {
			return i, ""
		}
	}
	var byCN []int
	for i, ct := range c.Certificates {
		if commonName(ct.Subject) == name {
			byCN = append(byCN, i)
		}
	}
	if len(byCN) == 1 {
		return byCN[0], ""
	}
	if len(byCN) > 1 {
		var fps []string
		for _, i := range byCN {
			fps = append(fps, c.Certificates[i].SHA256[:16])
		}
		return -1, fmt.Sprintf("certificate %q names %d certificates: choose one by fingerprint (%s)", name, len(byCN), strings.Join(fps, ", "))
	}
	if fp := normFingerprint(name); len(fp) >= 8 && isHex(fp) {
		var hits []int
		for i, ct := range c.Certificates {
			if strings.HasPrefix(ct.SHA256, fp) {
				hits = append(hits, i)
			}
		}
		if len(hits) == 1 {
			return hits[0], ""
		}
		if len(hits) > 1 {
			return -1, fmt.Sprintf("fingerprint %q matches %d certificates: give more digits", name, len(hits))
		}
	}
	var cands []string
	for _, ct := range c.Certificates {
		cands = append(cands, ct.Name)
	}
	return -1, fmt.Sprintf("unknown certificate %q%s", name, suggest.Hint(name, cands))
}

// commonName extracts CN=… from an RFC 2253 subject.
func commonName(subject string) string {
	for _, part := range strings.Split(subject, ",") {
		if v, ok := strings.CutPrefix(part, "CN="); ok {
			return v
		}
	}
	return ""
}

// findLocale finds a catalog locale by name or alias, exactly or after
// normalizing the codeset as glibc does.
func (c *Catalog) findLocale(name string) int {
	norm := localearchive.NormalizeName(name)
	for i, l := range c.Locales {
		for _, n := range append([]string{l.Name}, l.Aliases...) {
			if n == name || n == norm || localearchive.NormalizeName(n) == norm {
				return i
			}
		}
	}
	return -1
}

func (p *planner) locales(ch Choice, format LocaleFormat) error {
	if ch.IsZero() {
		return nil
	}
	if format == "" {
		format = LocaleArchive
	}
	var idx []int
	seen := map[int]bool{}
	lang := ""
	if ch.All {
		for i := range p.c.Locales {
			idx = append(idx, i)
			seen[i] = true
		}
	}
	for _, name := range ch.Names {
		if lang == "" {
			lang = name
		}
		if builtinLocales[name] {
			p.cost(KindLocales, name, 0)
			continue
		}
		i := p.c.findLocale(name)
		if i < 0 {
			cands := []string{"C", "POSIX"}
			for _, l := range p.c.Locales {
				cands = append(cands, l.Name)
				cands = append(cands, l.Aliases...)
			}
			if len(p.c.Locales) == 0 {
				p.fail("unknown locale %q: the image has no compiled locales, only C and POSIX", name)
			} else {
				p.unknown("locale", name, cands)
			}
			continue
		}
		if !seen[i] {
			seen[i] = true
			idx = append(idx, i)
		}
	}
	if lang == "" && len(idx) > 0 {
		lang = p.c.Locales[idx[0]].Name
	}
	if lang != "" {
		p.out.Env["LANG"] = lang
	}
	if len(idx) == 0 || len(p.errs) > 0 {
		return nil
	}
	chosenName := func(i int) string {
		for _, name := range ch.Names {
			if p.c.findLocale(name) == i {
				return name
			}
		}
		return p.c.Locales[i].Name
	}

	// Read the chosen locales' data.
	var archive *localearchive.Archive
	if p.c.archive != "" {
		for _, i := range idx {
			if p.c.Locales[i].dir == "" {
				a, done, err := archiveFile(p.c.im, p.c.archive)
				if err != nil {
					return fmt.Errorf("reading /%s: %w", p.c.archive, err)
				}
				defer done()
				archive = a
				break
			}
		}
	}
	locs := make([]*localearchive.Locale, len(idx))
	for k, i := range idx {
		l, err := p.c.Locales[i].load(p.c.im, archive)
		if err != nil {
			return fmt.Errorf("reading locale %s: %w", p.c.Locales[i].Name, err)
		}
		locs[k] = l
	}

	// Bytes per locale: its category files, those identical to an earlier
	// chosen locale's counted once (as the archive stores them once).
	seenData := map[[16]byte]bool{}
	var dataBytes int64
	for k, l := range locs {
		var n int64
		for c, b := range l.Categories {
			if c == localearchive.LCAll {
				continue
			}
			sum := md5.Sum(b)
			if format == LocaleArchive && seenData[sum] {
				continue
			}
			seenData[sum] = true
			n += int64(len(b))
		}
		p.cost(KindLocales, chosenName(idx[k]), n)
		dataBytes += n
	}

	switch format {
	case LocaleArchive:
		data, err := localearchive.Build(locs)
		if err != nil {
			return err
		}
		p.file(regular(LocaleArchivePath, data))
		p.cost(KindLocales, Overhead, int64(len(data))-dataBytes)
		if p.c.Nix {
			p.out.Env["LOCALE_ARCHIVE"] = LocaleArchivePath
		}
	case LocaleDirectories:
		for _, l := range locs {
			dir := LocaleDir + "/" + l.Name
			for c, b := range l.Categories {
				if c == localearchive.LCAll {
					continue
				}
				name := localearchive.CategoryNames[c]
				if c == localearchive.LCMessages {
					p.file(regular(dir+"/"+name+"/SYS_"+name, b))
				} else {
					p.file(regular(dir+"/"+name, b))
				}
			}
			for _, a := range l.Aliases {
				p.file(reprotar.File{Path: LocaleDir + "/" + a, Kind: reprotar.Symlink, Mode: 0o777, Link: l.Name})
			}
		}
		if p.c.Nix {
			p.out.Env["LOCPATH"] = LocaleDir
		}
	default:
		return fmt.Errorf("unknown locale format %q: want archive or directories", format)
	}
	return p.gconvFor(idx, chosenName)
}

// gconvFor writes the gconv modules (and a gconv-modules naming only them)
// that the chosen locales' charsets need.
func (p *planner) gconvFor(idx []int, chosenName func(int) string) error {
	var conf []string
	written := map[string]bool{}
	doneCharset := map[string]bool{}
	for _, i := range idx {
		l := p.c.Locales[i]
		if doneCharset[l.Codeset] {
			continue
		}
		doneCharset[l.Codeset] = true
		if p.c.gconv == nil {
			if !builtinCharsets[charsetKey(l.Codeset)] {
				p.warn(KindWarnNoGconv, "", fmt.Sprintf("locale %s uses charset %s, but the image has no gconv modules: conversions from and to it will fail", l.Name, l.Codeset))
			}
			continue
		}
		mods, aliases, builtin, err := p.c.gconv.needs(l.Codeset)
		if builtin {
			continue
		}
		if err != nil {
			p.warn(KindWarnNoGconv, "", fmt.Sprintf("locale %s: %v", l.Name, err))
			continue
		}
		files, err := p.c.gconv.moduleFiles(p.c.im, mods)
		if err != nil {
			return err
		}
		conf = append(conf, "", "# "+l.Codeset)
		conf = append(conf, aliases...)
		for _, m := range mods {
			conf = append(conf, m.line)
		}
		for _, f := range files {
			if written[f] {
				continue
			}
			written[f] = true
			data, _, err := p.c.im.readFile(f, maxGconvModule)
			if err != nil {
				return fmt.Errorf("reading gconv module /%s: %w", f, err)
			}
			p.file(regular("/"+f, data))
			p.cost(KindLocales, chosenName(i), int64(len(data)))
		}
	}
	if len(conf) == 0 {
		return nil
	}
	text := "# gconv modules for the charsets of the chosen locales: written by whittle from " + strings.Join(p.c.gconv.sources, ", ") + "\n" +
		strings.Join(conf[1:], "\n") + "\n"
	p.file(regular("/"+p.c.gconv.dir+"/gconv-modules", []byte(text)))
	p.cost(KindLocales, Overhead, int64(len(text)))
	return nil
}

// findZone finds a zone by name, exactly or ignoring case.
func (c *Catalog) findZone(name string) int {
	name = strings.TrimPrefix(name, ":")
	for i, z := range c.TimeZones {
		if z.Name == name {
			return i
		}
	}
	for i, z := range c.TimeZones {
		if strings.EqualFold(z.Name, name) {
			return i
		}
	}
	return -1
}

func (p *planner) timezones(ch Choice) error {
	if ch.IsZero() {
		return nil
	}
	var idx []int
	owner := map[int]string{}
	if ch.All {
		for i := range p.c.TimeZones {
			idx = append(idx, i)
			owner[i] = p.c.TimeZones[i].Name
		}
	}
	first := -1
	for _, name := range ch.Names {
		i := p.c.findZone(name)
		if i < 0 {
			var cands []string
			for _, z := range p.c.TimeZones {
				cands = append(cands, z.Name)
			}
			p.unknown("time zone", name, cands)
			continue
		}
		if first < 0 {
			first = i
		}
		if _, ok := owner[i]; !ok {
			owner[i] = name
			idx = append(idx, i)
		}
	}
	if first < 0 && len(idx) > 0 && !ch.All {
		first = idx[0]
	}
	if len(p.errs) > 0 {
		return nil
	}
	sort.Ints(idx)
	for _, i := range idx {
		z := p.c.TimeZones[i]
		var data []byte
		var err error
		if z.file == "" {
			data, err = fallbackZoneData(z.Name)
		} else {
			data, _, err = p.c.im.readFile(z.file, maxZoneFile)
		}
		if err != nil {
			return fmt.Errorf("reading time zone %s: %w", z.Name, err)
		}
		p.file(regular(zonePath(z.Name), data))
		p.cost(KindTimeZones, owner[i], int64(len(data)))
	}
	if first >= 0 {
		name := p.c.TimeZones[first].Name
		p.file(reprotar.File{Path: "/etc/localtime", Kind: reprotar.Symlink, Mode: 0o777, Link: "../usr/share/zoneinfo/" + name})
		p.out.Env["TZ"] = name
	}
	if p.c.Nix {
		p.out.Env["TZDIR"] = ZoneinfoDir
	}
	return nil
}

// account resolves a chosen user to the account to write.
func (p *planner) account(u User) (Account, bool) {
	var a Account
	found := false
	for _, c := range p.c.Users {
		if c.Name == u.Name {
			a, found = c, true
			break
		}
	}
	if !found {
		if u.UID == nil {
			var cands []string
			for _, c := range p.c.Users {
				cands = append(cands, c.Name)
			}
			hint := suggest.Hint(u.Name, cands)
			if hint == "" {
				hint = " (give a uid to create it)"
			}
			p.fail("unknown user %q%s", u.Name, hint)
			return Account{}, false
		}
		a = Account{Name: u.Name, UID: *u.UID, GID: *u.UID, Group: u.Name, Gecos: u.Name, Home: "/home/" + u.Name, Shell: nologin}
	}
	catalogGID := a.GID
	if u.UID != nil {
		a.UID = *u.UID
		if u.GID == nil && (!found || a.Source == builtinUser) {
			// New and built-in accounts keep uid = gid.
			a.GID = *u.UID
		}
	}
	if u.GID != nil {
		a.GID = *u.GID
	}
	if a.GID != catalogGID {
		a.Group = u.Name
	}
	if u.Home != "" {
		a.Home = u.Home
	}
	if u.Shell != "" {
		a.Shell = u.Shell
	}
	switch {
	case !validUserName(a.Name):
		p.fail("user %q: bad name", a.Name)
	case !path.IsAbs(a.Home) || !validPasswdField(a.Home) || path.Clean(a.Home) != a.Home:
		p.fail("user %q: home %q must be a clean absolute path", a.Name, a.Home)
	case !path.IsAbs(a.Shell) || !validPasswdField(a.Shell):
		p.fail("user %q: shell %q must be an absolute path", a.Name, a.Shell)
	case !validPasswdField(a.Gecos):
		p.fail("user %q: bad comment field", a.Name)
	default:
		return a, true
	}
	return Account{}, false
}

func passwdLine(a Account) string {
	return fmt.Sprintf("%s:x:%d:%d:%s:%s:%s\n", a.Name, a.UID, a.GID, a.Gecos, a.Home, a.Shell)
}

func groupLine(name string, gid int) string { return fmt.Sprintf("%s:x:%d:\n", name, gid) }

// homeCreated reports whether etcgen creates a user's home: /root and
// homes under /home only, never a system directory such as /usr/sbin or
// /var/www that image accounts name as theirs.
func homeCreated(home string) bool {
	return home == "/root" || strings.HasPrefix(home, "/home/") && len(home) > len("/home/")
}

func (p *planner) users(us []User) {
	if len(us) == 0 {
		return
	}
	var passwd, group strings.Builder
	seen := map[string]bool{}
	groups := map[int]bool{}
	homes := map[string]bool{}
	for _, u := range us {
		if seen[u.Name] {
			p.fail("user %q chosen twice", u.Name)
			continue
		}
		seen[u.Name] = true
		a, ok := p.account(u)
		if !ok {
			continue
		}
		p.out.Users = append(p.out.Users, a)
		line := passwdLine(a)
		passwd.WriteString(line)
		n := int64(len(line))
		if !groups[a.GID] {
			groups[a.GID] = true
			gl := groupLine(a.Group, a.GID)
			group.WriteString(gl)
			n += int64(len(gl))
		}
		p.cost(KindUsers, u.Name, n)
		if homeCreated(a.Home) && !homes[a.Home] {
			homes[a.Home] = true
			mode := int64(0o700)
			p.file(reprotar.File{Path: a.Home, Kind: reprotar.Dir, Mode: mode, UID: a.UID, GID: a.GID})
		}
	}
	if len(p.errs) > 0 {
		return
	}
	p.file(regular("/etc/passwd", []byte(passwd.String())))
	p.file(regular("/etc/group", []byte(group.String())))
}

// nsswitchConf looks everything up in files, and hosts in DNS after.
const nsswitchConf = `# /etc/nsswitch.conf: written by whittle
passwd:    files
group:     files
shadow:    files
gshadow:   files
hosts:     files dns
networks:  files
protocols: files
services:  files
ethers:    files
rpc:       files
`

// hostsFile names the loopback addresses.
const hostsFile = `127.0.0.1	localhost
::1	localhost ip6-localhost ip6-loopback
`

func (p *planner) basics(b Basics) error {
	on := func(v *bool, def bool) bool {
		if v == nil {
			return def
		}
		return *v
	}
	if on(b.Nsswitch, true) {
		p.file(regular("/etc/nsswitch.conf", []byte(nsswitchConf)))
		p.cost(KindBasics, "nsswitch", int64(len(nsswitchConf)))
	}
	if on(b.Hosts, true) {
		p.file(regular("/etc/hosts", []byte(hostsFile)))
		p.cost(KindBasics, "hosts", int64(len(hostsFile)))
	}
	if on(b.OSRelease, p.c.OSRelease != "") {
		if p.c.OSRelease == "" {
			p.fail("os_release: the image has no /etc/os-release or /usr/lib/os-release")
		} else {
			data, _, err := p.c.im.readFile(p.c.OSRelease, maxSmallFile)
			if err != nil {
				return fmt.Errorf("reading %s: %w", p.c.OSRelease, err)
			}
			p.file(regular("/etc/os-release", data))
			p.cost(KindBasics, "os_release", int64(len(data)))
		}
	}
	if on(b.Tmp, true) {
		p.file(reprotar.File{Path: "/tmp", Kind: reprotar.Dir, Mode: 0o1777})
		p.cost(KindBasics, "tmp", 0)
	}
	return nil
}

// The kinds of the warnings a plan's output carries.
const (
	// KindWarnConstrainedCert: a certificate Go trusts only with a
	// distrust-after date, which a PEM bundle cannot carry.
	KindWarnConstrainedCert = "etc/constrained-certificate"
	// KindWarnNoGconv: a chosen locale's charset has no gconv module.
	KindWarnNoGconv = "etc/missing-gconv"
)

// warn adds a warning finding about path ("" for none).
func (p *planner) warn(kind, path, msg string) {
	f := finding.Finding{Kind: kind, Severity: finding.Warning, Message: msg}
	if path != "" {
		f.Paths = []string{path}
	}
	p.out.Warnings = append(p.out.Warnings, f)
}
