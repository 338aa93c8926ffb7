package closure

import (
	"path"
	"sort"
	"strings"

	"github.com/whittle-dev/whittle/internal/imagefs"
)

// defaultEtc are the /etc files a container's programs read without
// naming them anywhere the closure sees: the loader, the C library's name
// services and time zone, Go's and OpenSSL's CA bundles. Each is kept
// when the image has it and the plan generates no replacement. Patterns
// end in "*" for the files of a directory.
var defaultEtc = []struct {
	paths []string
	why   string
	// user: only when the config names a User.
	user bool
}{
	{[]string{"/etc/ld.so.cache", "/etc/ld.so.conf", "/etc/ld.so.conf.d/*", "/etc/ld.so.preload", "/etc/ld-musl-*"}, "the dynamic loader reads it to find libraries", false},
	{[]string{"/etc/localtime", "/etc/timezone"}, "the local time zone (without it the time silently becomes UTC)", false},
	{[]string{"/etc/nsswitch.conf", "/etc/host.conf", "/etc/hosts", "/etc/resolv.conf", "/etc/gai.conf"}, "name resolution reads it", false},
	{[]string{"/etc/services", "/etc/protocols"}, "service and protocol names are looked up there", false},
	{[]string{"/etc/passwd", "/etc/group"}, "user and group names are looked up there (the runtime resolves the config's User, programs their own uid)", false},
	{[]string{"/etc/shadow", "/etc/gshadow"}, "the config's User's account", true},
	{[]string{
		"/etc/ssl/certs/ca-certificates.crt", "/etc/pki/tls/certs/ca-bundle.crt", "/etc/ssl/ca-bundle.pem",
		"/etc/pki/tls/cacert.pem", "/etc/pki/ca-trust/extracted/pem/tls-ca-bundle.pem", "/etc/ssl/cert.pem",
	}, "the CA bundle TLS libraries (Go's crypto/x509, OpenSSL, GnuTLS) verify against", false},
}

// etcRoots makes roots of the default /etc files the image has, unless
// the plan generates them (Options.EtcGenerated). Nothing is added when
// nothing runs: with no root there is no program to read them.
//
// Only in files granularity, what a trim keeps: in packages granularity
// an /etc file of a NixOS image is its etc store path, whose references
// are the whole system.
func (b *builder) etcRoots(opts Options) {
	if len(b.c.Roots) == 0 || b.c.Granularity != Files {
		return
	}
	user := false
	if b.im.Config != nil {
		user = b.im.Config.Config.User != ""
	}
	for _, d := range defaultEtc {
		if d.user && !user {
			continue
		}
		for _, pat := range d.paths {
			for _, p := range b.etcMatches(pat) {
				if b.generated(p) {
					continue
				}
				res, err := imagefs.ResolveMode(b.fsys, p, imagefs.NoFollow)
				if err != nil {
					continue
				}
				id, ok := b.nodeOf(res.Path)
				if !ok || b.g.IsRoot(id) {
					continue
				}
				b.addResolvedRoot(Root{Spec: p, Path: res.Path, Named: res.Named, Links: res.Links, Node: id, Source: SourceEtc,
					Reason: "kept by default: " + d.why})
			}
		}
	}
}

// etcMatches returns the image paths a defaultEtc pattern names that the
// image has (a final "*" matches the names of one directory).
func (b *builder) etcMatches(pat string) []string {
	if !strings.HasSuffix(pat, "*") {
		if _, _, err := imagefs.Lstat(b.fsys, pat); err != nil {
			return nil
		}
		return []string{pat}
	}
	dir, prefix := path.Dir(pat), strings.TrimSuffix(path.Base(pat), "*")
	entries, _, err := imagefs.ReadDir(b.fsys, dir)
	if err != nil {
		return nil
	}
	var out []string
	for _, e := range entries {
		if strings.HasPrefix(e.Name(), prefix) && !e.IsDir() {
			out = append(out, dir+"/"+e.Name())
		}
	}
	sort.Strings(out)
	return out
}

// generated reports whether the plan's etc: section writes p, a file
// below p or a directory holding p: what it writes replaces the image's.
//
// In packages granularity every /etc path counts as generated, as the
// run-time rules' /etc targets lead into the whole system there (the
// NixOS etc store path).
func (b *builder) generated(p string) bool {
	if b.c.Granularity != Files && len(b.etcGenerated) == 0 {
		return p == "/etc" || strings.HasPrefix(p, "/etc/")
	}
	for _, g := range b.etcGenerated {
		if g == p || strings.HasPrefix(p, g+"/") || strings.HasPrefix(g, p+"/") {
			return true
		}
	}
	return false
}
