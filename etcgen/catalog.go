// Package etcgen builds a minimal /etc (and the few files outside it that
// programs read through glibc or Go): services, protocols, CA certificates,
// locales, time zones, users, nsswitch.conf, hosts, os-release and /tmp.
//
// LoadCatalog reads what a source image offers, through an fs.FS of its
// root filesystem, falling back to built-in data when the image has none;
// Catalog.Rows lists each choice with the bytes it adds; a Selection (the
// plan file's `etc:` section, or the CLI flags) names what to keep; and
// Catalog.Plan resolves it into an Output: the files, as a reproducible
// layer, a directory or a tarball, and the environment they need.
//
// The fs.FS is never trusted to follow symlinks: every link is resolved by
// etcgen through fs.ReadLinkFS, absolute targets relative to the image
// root, with a bound on hops, so `zoneinfo/posix -> .` and absolute links
// never escape or loop.
package etcgen

import (
	"errors"
	"fmt"
	"io/fs"
	"strings"

	"github.com/whittle-dev/whittle/internal/suggest"
)

// SourceFallback is the Source of data that came from whittle itself
// because the image has none.
const SourceFallback = "fallback"

// Catalog is everything the source image (or the fallback) offers.
type Catalog struct {
	Services        []Service
	ServicesSource  string // "/etc/services" or "fallback"
	Protocols       []Protocol
	ProtocolsSource string
	Certificates    []Certificate
	// CertificatesSource is the bundle read ("/etc/ssl/certs/ca-certificates.crt")
	// or "fallback" (the Mozilla roots of x509roots/fallback).
	CertificatesSource string
	Locales            []Locale
	// LocalesSources are the archive and directories read; empty when the
	// image has no compiled locale (then only C and POSIX exist).
	LocalesSources []string
	TimeZones      []TimeZone
	// TimeZonesSource is the zoneinfo directory read, or "fallback" (Go's
	// embedded database).
	TimeZonesSource string
	Users           []Account
	UsersSource     string // "/etc/passwd", or "built-in" when the image has none
	// OSRelease is the image's os-release file ("" when it has none).
	OSRelease string
	// Gconv is the image's gconv directory ("" when it has none).
	Gconv string
	// Nix is true for an image whose glibc lives in /nix/store: locales are
	// then found through LOCALE_ARCHIVE / LOCPATH and zones through TZDIR.
	Nix bool
	// Skipped lists the entries of the image left out, with the reason.
	Skipped []Skipped
	// Broken lists the sources of the image that could not be read at
	// all. Each section loads on its own: a broken source is left out of
	// its section (which falls back as if the image had none), and only
	// choosing from that section is an error (see Plan).
	Broken []Broken

	im      *imageFS
	archive string // image path of the locale-archive read ("" if none)
	gconv   *gconvConfig
}

// Broken is a source of the image that could not be read, and the section
// of the catalog it belongs to.
type Broken struct {
	Kind   Kind   `json:"kind"`
	Path   string `json:"path"`
	Reason string `json:"reason"`
}

// String says what was skipped and why, as a warning.
func (b Broken) String() string {
	return fmt.Sprintf("%s: skipped %s: %s", b.Kind, b.Path, b.Reason)
}

func (c *Catalog) broke(k Kind, path string, err error) {
	c.Broken = append(c.Broken, Broken{Kind: k, Path: path, Reason: err.Error()})
}

// brokenIn returns the broken sources of a section.
func (c *Catalog) brokenIn(k Kind) []Broken {
	var out []Broken
	for _, b := range c.Broken {
		if b.Kind == k {
			out = append(out, b)
		}
	}
	return out
}

// certBundles are where distributions keep the CA bundle, in the order
// tried.
var certBundles = []string{
	"etc/ssl/certs/ca-certificates.crt", // Debian, Ubuntu, Alpine, Arch
	"etc/pki/tls/certs/ca-bundle.crt",   // Fedora, RHEL
	"etc/ssl/ca-bundle.pem",             // openSUSE
	"etc/ssl/cert.pem",                  // Alpine, macOS-like
	"etc/ssl/certs/ca-bundle.crt",       // NixOS
}

// maxNetdbFile bounds /etc/services and /etc/protocols.
const maxNetdbFile = 8 << 20

// maxSmallFile bounds passwd, group and os-release.
const maxSmallFile = 4 << 20

// LoadCatalog reads the choices the image rooted at fsys offers. Names in
// fsys are relative to the image root ("etc/services"). Missing data means
// the fallback; corrupt entries are skipped (see Catalog.Skipped); a source
// that is there but cannot be read at all is left out of its section (see
// Catalog.Broken), so that one bad file does not stop the others. The
// error is for whittle's own data only.
func LoadCatalog(fsys fs.FS) (*Catalog, error) {
	im := newImageFS(fsys)
	c := &Catalog{im: im}

	// Services and protocols.
	data, src, err := readFirst(im, []string{"etc/services"}, "etc/services", "iana-etc", maxNetdbFile)
	if err != nil {
		c.broke(KindServices, src, err)
	}
	if data != nil {
		var sk []Skipped
		c.Services, sk = ParseServices(src, data)
		c.ServicesSource = src
		c.Skipped = append(c.Skipped, sk...)
	} else {
		c.Services, _ = ParseServices(SourceFallback, []byte(fallbackServices))
		c.ServicesSource = SourceFallback
	}
	data, src, err = readFirst(im, []string{"etc/protocols"}, "etc/protocols", "iana-etc", maxNetdbFile)
	if err != nil {
		c.broke(KindProtocols, src, err)
	}
	if data != nil {
		var sk []Skipped
		c.Protocols, sk = ParseProtocols(src, data)
		c.ProtocolsSource = src
		c.Skipped = append(c.Skipped, sk...)
	} else {
		c.Protocols, _ = ParseProtocols(SourceFallback, []byte(fallbackProtocols))
		c.ProtocolsSource = SourceFallback
	}

	// Certificates.
	data, src, err = readFirst(im, certBundles, "etc/ssl/certs/ca-bundle.crt", "cacert", maxBundle)
	if err != nil {
		c.broke(KindCertificates, src, err)
	}
	if data != nil {
		var sk []Skipped
		c.Certificates, sk = ParseCertificates(src, data)
		c.Skipped = append(c.Skipped, sk...)
		c.CertificatesSource = src
	}
	if len(c.Certificates) == 0 {
		var sk []Skipped
		c.Certificates, sk = fallbackCertificates()
		c.Skipped = append(c.Skipped, sk...)
		c.CertificatesSource = SourceFallback
	}

	// Locales and the gconv modules of their charsets.
	g, sk, gerr := loadGconv(im)
	if gerr != nil {
		c.broke(KindLocales, gerr.path, gerr.err)
	}
	c.gconv = g
	c.Skipped = append(c.Skipped, sk...)
	if c.gconv != nil {
		c.Gconv = "/" + c.gconv.dir
	}
	locs, archive, sources, lsk, lerr := loadLocales(im, c.gconv)
	if lerr != nil {
		c.broke(KindLocales, lerr.path, lerr.err)
	}
	c.Locales, c.archive, c.LocalesSources = locs, archive, sources
	c.Skipped = append(c.Skipped, lsk...)

	// Time zones.
	zones, zsrc, zsk, zerr := loadZones(im)
	if zerr != nil {
		c.broke(KindTimeZones, zerr.path, zerr.err)
	}
	c.Skipped = append(c.Skipped, zsk...)
	if len(zones) > 0 {
		c.TimeZones, c.TimeZonesSource = zones, zsrc
	} else {
		var err error
		if c.TimeZones, err = fallbackZones(); err != nil {
			return nil, err
		}
		c.TimeZonesSource = SourceFallback
	}

	// Users: root, nobody and nonroot (the image's own, else distroless's),
	// then the image's others.
	hasSh := false
	if _, fi, err := im.stat("bin/sh"); err == nil && !fi.IsDir() {
		hasSh = true
	}
	var imageAccts []Account
	c.UsersSource = builtinUser
	passwd, _, err := im.readFile("etc/passwd", maxSmallFile)
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		c.broke(KindUsers, "/etc/passwd", err)
	}
	if err == nil {
		groupData, _, _ := im.readFile("etc/group", maxSmallFile)
		var psk []Skipped
		imageAccts, psk = parsePasswd("/etc/passwd", passwd, parseGroup(groupData))
		c.Skipped = append(c.Skipped, psk...)
		c.UsersSource = "/etc/passwd"
	}
	c.Users = mergeAccounts(builtinAccounts(hasSh), imageAccts)
	// os-release.
	for _, p := range []string{"etc/os-release", "usr/lib/os-release"} {
		if _, fi, err := im.stat(p); err == nil && fi.Mode().IsRegular() {
			c.OSRelease = "/" + p
			break
		}
	}

	c.Nix = detectNix(im)
	return c, nil
}

// readFirst reads the first of paths that exists, else the first store
// path holding storeSub (preferring one whose name contains hint). It
// returns nil data when none exists, and the path with an error when the
// one found cannot be read.
func readFirst(im *imageFS, paths []string, storeSub, hint string, limit int64) ([]byte, string, error) {
	for _, p := range paths {
		if _, fi, err := im.stat(p); err == nil && fi.Mode().IsRegular() {
			data, _, err := im.readFile(p, limit)
			if err != nil {
				return nil, "/" + p, err
			}
			return data, "/" + p, nil
		}
	}
	found := im.findInStore(storeSub, hint, false)
	if len(found) == 0 {
		return nil, "", nil
	}
	data, _, err := im.readFile(found[0], limit)
	if err != nil {
		return nil, "/" + found[0], err
	}
	return data, "/" + found[0], nil
}

// sourceError is a source of the image that cannot be read.
type sourceError struct {
	path string // "/usr/lib/locale/locale-archive"
	err  error
}

// detectNix tells a Nix image (glibc only in /nix/store) from a
// distribution's (glibc under /lib or /usr/lib).
func detectNix(im *imageFS) bool {
	if !im.isDir("nix/store") {
		return false
	}
	for _, d := range []string{"lib", "lib64", "usr/lib", "usr/lib64"} {
		if im.exists(d + "/libc.so.6") {
			return false
		}
		ents, _, err := im.readDir(d)
		if err != nil {
			continue
		}
		for _, e := range ents {
			if strings.HasSuffix(e.Name(), "-linux-gnu") || strings.HasSuffix(e.Name(), "-linux-gnueabihf") {
				if im.exists(d + "/" + e.Name() + "/libc.so.6") {
					return false
				}
			}
		}
	}
	return true
}

// Kind names one list of the catalog.
type Kind string

// The catalog's lists, as `whittle etc --list` names them.
const (
	KindServices     Kind = "services"
	KindProtocols    Kind = "protocols"
	KindCertificates Kind = "certificates"
	KindLocales      Kind = "locales"
	KindTimeZones    Kind = "timezones"
	KindUsers        Kind = "users"
	// KindBasics is used in costs only (nsswitch, hosts, os-release, tmp).
	KindBasics Kind = "basics"
)

// Kinds are the listable kinds, in display order.
var Kinds = []Kind{KindServices, KindProtocols, KindCertificates, KindLocales, KindTimeZones, KindUsers}

// ParseKind parses a kind name, with a did-you-mean hint when it is wrong.
func ParseKind(s string) (Kind, error) {
	names := make([]string, len(Kinds))
	for i, k := range Kinds {
		names[i] = string(k)
		if strings.EqualFold(s, string(k)) {
			return k, nil
		}
	}
	if strings.EqualFold(s, "zones") || strings.EqualFold(s, "tz") {
		return KindTimeZones, nil
	}
	if strings.EqualFold(s, "certs") {
		return KindCertificates, nil
	}
	hint := suggest.Hint(s, names)
	if hint == "" {
		hint = " (one of " + strings.Join(names, ", ") + ")"
	}
	return "", fmt.Errorf("unknown list %q%s", s, hint)
}

// Row is one choice of a catalog list, as `whittle etc --list` prints it.
// Its JSON form is
//
//	{"kind": "services", "name": "http", "detail": "80/tcp www",
//	 "bytes": 52, "source": "/etc/services"}
//
// where bytes are what choosing it alone adds to the output (file content,
// not tar headers).
type Row struct {
	Kind   Kind   `json:"kind"`
	Name   string `json:"name"`
	Detail string `json:"detail,omitempty"`
	Bytes  int64  `json:"bytes"`
	Source string `json:"source"`
}

// Rows lists the choices of one kind, in catalog order.
func (c *Catalog) Rows(k Kind) ([]Row, error) {
	var rows []Row
	switch k {
	case KindServices:
		for _, g := range groupServices(c.Services) {
			var ports []string
			var n int64
			aliases := map[string]bool{}
			var al []string
			comment := ""
			for _, s := range g {
				ports = append(ports, fmt.Sprintf("%d/%s", s.Port, s.Proto))
				n += int64(len(s.Line) + 1)
				for _, a := range s.Aliases {
					if !aliases[a] {
						aliases[a] = true
						al = append(al, a)
					}
				}
				if comment == "" {
					comment = s.Comment
				}
			}
			d := strings.Join(ports, " ")
			if len(al) > 0 {
				d += " (" + strings.Join(al, " ") + ")"
			}
			if comment != "" {
				d += " # " + comment
			}
			rows = append(rows, Row{Kind: k, Name: g[0].Name, Detail: d, Bytes: n, Source: c.ServicesSource})
		}
	case KindProtocols:
		for _, p := range c.Protocols {
			d := fmt.Sprintf("%d", p.Number)
			if len(p.Aliases) > 0 {
				d += " (" + strings.Join(p.Aliases, " ") + ")"
			}
			if p.Comment != "" {
				d += " # " + p.Comment
			}
			rows = append(rows, Row{Kind: k, Name: p.Name, Detail: d, Bytes: int64(len(p.Line) + 1), Source: c.ProtocolsSource})
		}
	case KindCertificates:
		for _, ct := range c.Certificates {
			d := fmt.Sprintf("expires %s, sha256 %s", ct.NotAfter.Format("2006-01-02"), ct.SHA256[:16])
			if ct.Name != ct.Subject {
				d = ct.Subject + "; " + d
			}
			if ct.Constrained {
				d += ", constrained"
			}
			rows = append(rows, Row{Kind: k, Name: ct.Name, Detail: d, Bytes: int64(len(ct.PEM)), Source: c.CertificatesSource})
		}
	case KindLocales:
		for _, l := range c.Locales {
			d := l.Codeset
			if l.Title != "" {
				d += ", " + l.Title
			}
			if len(l.Aliases) > 0 {
				d += " (also " + strings.Join(l.Aliases, " ") + ")"
			}
			rows = append(rows, Row{Kind: k, Name: l.Name, Detail: d, Bytes: l.Size + l.GconvSize, Source: l.Source})
		}
	case KindTimeZones:
		for _, z := range c.TimeZones {
			d := ""
			if z.Link != "" {
				d = "link to " + z.Link
			}
			rows = append(rows, Row{Kind: k, Name: z.Name, Detail: d, Bytes: z.Size, Source: c.TimeZonesSource})
		}
	case KindUsers:
		for _, a := range c.Users {
			d := fmt.Sprintf("uid %d, gid %d (%s), home %s, shell %s", a.UID, a.GID, a.Group, a.Home, a.Shell)
			rows = append(rows, Row{Kind: k, Name: a.Name, Detail: d, Bytes: int64(len(passwdLine(a)) + len(groupLine(a.Group, a.GID))), Source: a.Source})
		}
	default:
		_, err := ParseKind(string(k))
		return nil, err
	}
	return rows, nil
}

// groupServices groups service lines by name, in order of first
// appearance.
func groupServices(svcs []Service) [][]Service {
	idx := map[string]int{}
	var out [][]Service
	for _, s := range svcs {
		i, ok := idx[s.Name]
		if !ok {
			i = len(out)
			idx[s.Name] = i
			out = append(out, nil)
		}
		out[i] = append(out[i], s)
	}
	return out
}
