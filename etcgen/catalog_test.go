package etcgen

import (
	"errors"
	"io/fs"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/whittle-dev/whittle/internal/imagefs"
	"github.com/whittle-dev/whittle/internal/localearchive"
	"golang.org/x/crypto/x509roots/fallback/bundle"
)

func names[T any](items []T, name func(T) string) []string {
	out := make([]string, len(items))
	for i, it := range items {
		out[i] = name(it)
	}
	return out
}

func TestLoadCatalogSynthetic(t *testing.T) {
	c, err := LoadCatalog(syntheticImage(t))
	if err != nil {
		t.Fatal(err)
	}
	check := func(what string, got, want any) {
		t.Helper()
		if !reflect.DeepEqual(got, want) {
			t.Errorf("%s = %#v, want %#v", what, got, want)
		}
	}
	check("services", names(c.Services, func(s Service) string { return s.Name + " " + s.Proto }),
		[]string{"tcpmux tcp", "ssh tcp", "smtp tcp", "domain tcp", "domain udp", "http tcp", "https tcp", "https udp", "postgresql tcp"})
	check("services source", c.ServicesSource, "/etc/services")
	check("http", c.Services[5], Service{Name: "http", Port: 80, Proto: "tcp", Aliases: []string{"www"}, Comment: "WorldWideWeb HTTP", Line: "http\t\t80/tcp\t\twww\t\t# WorldWideWeb HTTP"})
	check("protocols", names(c.Protocols, func(p Protocol) string { return p.Name }), []string{"ip", "icmp", "tcp", "udp", "ipv6"})
	check("certificates", names(c.Certificates, func(x Certificate) string { return x.Name + " " + x.SHA256[:12] }),
		[]string{"Whittle Test Root A 3294b4167034", "Whittle Test Root B c2f9355fc4cf"})
	check("certificates source", c.CertificatesSource, "/etc/ssl/certs/ca-certificates.crt")
	check("cert subject", c.Certificates[0].Subject, "CN=Whittle Test Root A,O=Whittle Tests")
	check("locales", names(c.Locales, func(l Locale) string {
		return l.Name + " [" + strings.Join(l.Aliases, " ") + "] " + l.Codeset + " " + l.Title + " " + l.Source
	}), []string{
		"C.utf8 [C.UTF-8] UTF-8 C locale /usr/lib/locale/C.utf8",
		"xx_XX.utf8 [] UTF-8 Test locale X /usr/lib/locale/locale-archive",
		"yy_YY [yy_YY.iso88591] ISO-8859-1 Test locale Y /usr/lib/locale/locale-archive",
	})
	check("locale sizes", names(c.Locales, func(l Locale) string { return itoa(l.Size) + "+" + itoa(l.GconvSize) }),
		[]string{"283+0", "509+0", "459+72"})
	check("locale sources", c.LocalesSources, []string{"/usr/lib/locale/locale-archive", "/usr/lib/locale"})
	check("zones", names(c.TimeZones, func(z TimeZone) string { return z.Name + ">" + z.Link }),
		[]string{"Arctic/Longyearbyen>Europe/Berlin", "Etc/UTC>", "Europe/Berlin>", "Europe/Escape>Etc/UTC", "Europe/Riga>", "UTC>Etc/UTC", "Zulu>Etc/UTC"})
	check("zones source", c.TimeZonesSource, "/usr/share/zoneinfo")
	check("users", names(c.Users, func(a Account) string {
		return a.Name + ":" + itoa(int64(a.UID)) + ":" + a.Group + ":" + a.Shell + ":" + a.Source
	}),
		[]string{"root:0:root:/bin/bash:/etc/passwd", "nobody:65534:nogroup:/usr/sbin/nologin:/etc/passwd", "nonroot:65532:nonroot:/sbin/nologin:built-in",
			"daemon:1:daemon:/usr/sbin/nologin:/etc/passwd", "www-data:33:www-data:/usr/sbin/nologin:/etc/passwd", "app:1000:app:/bin/sh:/etc/passwd"})
	check("os-release", c.OSRelease, "/etc/os-release")
	check("gconv", c.Gconv, "/usr/lib/x86_64-linux-gnu/gconv")
	check("nix", c.Nix, false)
	check("skipped", names(c.Skipped, func(s Skipped) string { return s.Path + " " + s.Entry + ": " + s.Reason }), []string{
		`/etc/services line 13: "broken": bad port "notaport"`,
		`/etc/protocols line 7: "bogus": bad protocol number "x"`,
		`/etc/ssl/certs/ca-certificates.crt PEM block 3: parsing certificate: x509: malformed certificate`,
		`/etc/ssl/certs/ca-certificates.crt PEM block 4: type "PRIVATE KEY" is not CERTIFICATE`,
		`/usr/lib/locale/incomplete : LC_CTYPE data of 5 bytes is too short`,
		`/usr/share/zoneinfo/Broken : resolving /usr/share/zoneinfo/Broken: lstat usr/share/zoneinfo/Nowhere: file does not exist`,
		`/usr/share/zoneinfo/Europe/Loop : resolving /usr/share/zoneinfo/Europe/Loop: too many levels of symbolic links`,
		`/usr/share/zoneinfo/Europe/Loop2 : resolving /usr/share/zoneinfo/Europe/Loop2: too many levels of symbolic links`,
		`/etc/passwd line 6: 1 fields, want 7`,
	})
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

func TestLoadCatalogFallback(t *testing.T) {
	c, err := LoadCatalog(fstest.MapFS{})
	if err != nil {
		t.Fatal(err)
	}
	nroots := 0
	for range bundle.Roots() {
		nroots++
	}
	if c.ServicesSource != SourceFallback || len(c.Services) != 36 {
		t.Errorf("services: %d from %s, want 36 from fallback", len(c.Services), c.ServicesSource)
	}
	if c.ProtocolsSource != SourceFallback || len(c.Protocols) != 16 {
		t.Errorf("protocols: %d from %s, want 16 from fallback", len(c.Protocols), c.ProtocolsSource)
	}
	if c.CertificatesSource != SourceFallback || len(c.Certificates) != nroots {
		t.Errorf("certificates: %d from %s, want %d from fallback", len(c.Certificates), c.CertificatesSource, nroots)
	}
	if c.TimeZonesSource != SourceFallback || len(c.TimeZones) < 500 || c.findZone("Europe/Riga") < 0 {
		t.Errorf("time zones: %d from %s, want Go's database", len(c.TimeZones), c.TimeZonesSource)
	}
	if len(c.Locales) != 0 || len(c.LocalesSources) != 0 {
		t.Errorf("locales: %d from %v, want none", len(c.Locales), c.LocalesSources)
	}
	if got := names(c.Users, func(a Account) string { return a.Name + " " + a.Shell }); !reflect.DeepEqual(got, []string{"root /sbin/nologin", "nobody /sbin/nologin", "nonroot /sbin/nologin"}) {
		t.Errorf("users = %q", got)
	}
	if c.UsersSource != "built-in" || c.OSRelease != "" || c.Gconv != "" || c.Nix || len(c.Skipped) != 0 {
		t.Errorf("users source %q, os-release %q, gconv %q, nix %v, skipped %v", c.UsersSource, c.OSRelease, c.Gconv, c.Nix, c.Skipped)
	}
	// The fallback is usable end to end.
	out, err := c.Plan(Selection{Services: Names("https"), Protocols: Names("tcp"), Certificates: ChooseAll, Timezones: Names("Europe/Riga"), Users: []User{{Name: "nonroot"}}})
	if err != nil {
		t.Fatal(err)
	}
	files := map[string]int{}
	for _, f := range out.Files {
		files[f.Path] = len(f.Data)
	}
	if files["/usr/share/zoneinfo/Europe/Riga"] == 0 || files["/etc/ssl/certs/ca-certificates.crt"] == 0 || files["/etc/services"] == 0 {
		t.Errorf("fallback output lacks files: %v", files)
	}
	if _, ok := files["/etc/os-release"]; ok {
		t.Error("os-release written for an image without one")
	}
}

// nixImage is a Nix closure image: data only under /nix/store.
func nixImage(t testing.TB) fstest.MapFS {
	t.Helper()
	base := syntheticImage(t)
	link := func(target string) *fstest.MapFile {
		return &fstest.MapFile{Mode: fs.ModeSymlink | 0o777, Data: []byte(target)}
	}
	const (
		glibc   = "nix/store/aaaa-glibc-2.40/"
		locales = "nix/store/bbbb-glibc-locales-2.40/"
		tzdata  = "nix/store/cccc-tzdata-2024b/"
		cacert  = "nix/store/dddd-nss-cacert-3.101/"
		iana    = "nix/store/eeee-iana-etc-20240318/"
	)
	m := fstest.MapFS{
		glibc + "lib/libc.so.6":                base["usr/lib/x86_64-linux-gnu/libc.so.6"],
		glibc + "lib/gconv/gconv-modules":      base["usr/lib/x86_64-linux-gnu/gconv/gconv-modules"],
		glibc + "lib/gconv/ISO8859-1.so":       base["usr/lib/x86_64-linux-gnu/gconv/ISO8859-1.so"],
		locales + "lib/locale/locale-archive":  base["usr/lib/locale/locale-archive"],
		tzdata + "share/zoneinfo/Europe/Riga":  base["usr/share/zoneinfo/Europe/Riga"],
		tzdata + "share/zoneinfo/Etc/UTC":      base["usr/share/zoneinfo/Etc/UTC"],
		tzdata + "share/zoneinfo/UTC":          link("Etc/UTC"),
		tzdata + "share/zoneinfo/posix":        link("."),
		cacert + "etc/ssl/certs/ca-bundle.crt": base["etc/ssl/certs/ca-certificates.crt"],
		iana + "etc/services":                  base["etc/services"],
		iana + "etc/protocols":                 base["etc/protocols"],
		"bin":                                  link("/nix/store/ffff-busybox/bin"),
		"nix/store/ffff-busybox/bin/sh":        base["usr/bin/sh"],
		"nix/store/gggg-hello/bin/hello":       base["usr/bin/sh"],
	}
	return m
}

func TestLoadCatalogNix(t *testing.T) {
	c, err := LoadCatalog(nixImage(t))
	if err != nil {
		t.Fatal(err)
	}
	got := []string{c.ServicesSource, c.ProtocolsSource, c.CertificatesSource, strings.Join(c.LocalesSources, ","), c.TimeZonesSource, c.Gconv}
	want := []string{
		"/nix/store/eeee-iana-etc-20240318/etc/services",
		"/nix/store/eeee-iana-etc-20240318/etc/protocols",
		"/nix/store/dddd-nss-cacert-3.101/etc/ssl/certs/ca-bundle.crt",
		"/nix/store/bbbb-glibc-locales-2.40/lib/locale/locale-archive",
		"/nix/store/cccc-tzdata-2024b/share/zoneinfo",
		"/nix/store/aaaa-glibc-2.40/lib/gconv",
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("sources = %q, want %q", got, want)
	}
	if !c.Nix {
		t.Error("Nix = false for a Nix image")
	}
	if z := names(c.TimeZones, func(z TimeZone) string { return z.Name }); !reflect.DeepEqual(z, []string{"Etc/UTC", "Europe/Riga", "UTC"}) {
		t.Errorf("zones = %q", z)
	}
	if c.Users[0].Shell != "/bin/sh" {
		t.Errorf("root's shell = %q, want /bin/sh (bin is an absolute link into the store)", c.Users[0].Shell)
	}
	out, err := c.Plan(Selection{Certificates: ChooseAll, Locales: Names("yy_YY.ISO-8859-1"), Timezones: Names("UTC")})
	if err != nil {
		t.Fatal(err)
	}
	wantEnv := []string{
		"LANG=yy_YY.ISO-8859-1", "LOCALE_ARCHIVE=/usr/lib/locale/locale-archive", "NIX_SSL_CERT_FILE=/etc/ssl/certs/ca-certificates.crt",
		"SSL_CERT_FILE=/etc/ssl/certs/ca-certificates.crt", "TZ=UTC", "TZDIR=/usr/share/zoneinfo",
	}
	if got := out.EnvList(); !reflect.DeepEqual(got, wantEnv) {
		t.Errorf("env = %q, want %q", got, wantEnv)
	}
	var paths []string
	for _, f := range out.Files {
		if strings.Contains(f.Path, "gconv") {
			paths = append(paths, f.Path)
		}
	}
	if want := []string{"/nix/store/aaaa-glibc-2.40/lib/gconv/ISO8859-1.so", "/nix/store/aaaa-glibc-2.40/lib/gconv/gconv-modules"}; !reflect.DeepEqual(paths, want) {
		t.Errorf("gconv files = %q, want %q", paths, want)
	}
	out, err = c.Plan(Selection{Locales: Names("yy_YY"), LocaleFormat: LocaleDirectories})
	if err != nil {
		t.Fatal(err)
	}
	if out.Env["LOCPATH"] != "/usr/lib/locale" {
		t.Errorf("directories on Nix: env = %v, want LOCPATH", out.Env)
	}
}

func TestLoadCatalogWithoutReadLink(t *testing.T) {
	// A fs.FS that only opens files: entries are taken as they come, the
	// fs.FS following links itself. (fstest.MapFS recurses without bound
	// on a symlink loop, so the loops are left out here.)
	img := syntheticImage(t)
	delete(img, "usr/share/zoneinfo/Europe/Loop")
	delete(img, "usr/share/zoneinfo/Europe/Loop2")
	c, err := LoadCatalog(noLinkFS{img})
	if err != nil {
		t.Fatal(err)
	}
	if len(c.Services) != 9 || len(c.Certificates) != 2 || len(c.Locales) != 3 || c.findZone("Europe/Riga") < 0 {
		t.Errorf("catalog without ReadLinkFS: %d services, %d certificates, %d locales, %d zones", len(c.Services), len(c.Certificates), len(c.Locales), len(c.TimeZones))
	}
	if _, err := c.Plan(Selection{Timezones: Names("Europe/Riga"), Locales: Names("xx_XX.UTF-8"), Basics: Basics{OSRelease: ptr(true)}}); err != nil {
		t.Fatal(err)
	}
}

func ptr[T any](v T) *T { return &v }

func TestResolve(t *testing.T) {
	link := func(target string) *fstest.MapFile {
		return &fstest.MapFile{Mode: fs.ModeSymlink | 0o777, Data: []byte(target)}
	}
	fsys := fstest.MapFS{
		"usr/share/zoneinfo/Etc/UTC": {Data: []byte("TZif")},
		"usr/share/zoneinfo/UTC":     link("Etc/UTC"),
		"usr/share/zoneinfo/posix":   link("."),
		"usr/share/zoneinfo/abs":     link("/usr/share/zoneinfo/Etc/UTC"),
		"usr/share/zoneinfo/up":      link("../../../../../../../usr/share/zoneinfo/UTC"),
		"etc/localtime":              link("/usr/share/zoneinfo/posix/posix/posix/UTC"),
		"share":                      link("usr/share"),
		"loop/a":                     link("b"),
		"loop/b":                     link("a"),
		"self":                       link("self"),
		"hostetc":                    link("/etc"),
		"deep/l0":                    link("l1/x"),
	}
	// deep/l1 -> l2, l2 -> l3 … a chain of 45 links: over the bound.
	for i := 1; i < 45; i++ {
		fsys["deep/l"+itoa(int64(i))] = link("l" + itoa(int64(i+1)))
	}
	im := newImageFS(fsys)
	for _, tc := range []struct {
		in, want, err string
	}{
		{"usr/share/zoneinfo/UTC", "usr/share/zoneinfo/Etc/UTC", ""},
		{"/usr/share/zoneinfo/posix/posix/UTC", "usr/share/zoneinfo/Etc/UTC", ""},
		{"usr/share/zoneinfo/abs", "usr/share/zoneinfo/Etc/UTC", ""},
		{"usr/share/zoneinfo/up", "usr/share/zoneinfo/Etc/UTC", ""},
		{"etc/localtime", "usr/share/zoneinfo/Etc/UTC", ""},
		{"share/zoneinfo/UTC", "usr/share/zoneinfo/Etc/UTC", ""},
		{"../../share/zoneinfo/Etc/UTC", "usr/share/zoneinfo/Etc/UTC", ""},
		{"hostetc/localtime", "usr/share/zoneinfo/Etc/UTC", ""},
		{"loop/a", "", "too many levels of symbolic links"},
		{"self", "", "too many levels of symbolic links"},
		{"deep/l0", "", "too many levels of symbolic links"},
		{"usr/share/zoneinfo/missing", "", "file does not exist"},
	} {
		got, err := im.resolve(tc.in)
		if tc.err != "" {
			if err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Errorf("resolve(%q) = %q, %v; want error %q", tc.in, got, err, tc.err)
			}
			continue
		}
		if err != nil || got != tc.want {
			t.Errorf("resolve(%q) = %q, %v; want %q", tc.in, got, err, tc.want)
		}
	}
	if _, err := im.resolve("loop/a"); !errors.Is(err, imagefs.ErrLoop) {
		t.Errorf("loop error %v is not imagefs.ErrLoop", err)
	}
}

func TestRows(t *testing.T) {
	c, err := LoadCatalog(syntheticImage(t))
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		kind Kind
		want []Row
	}{
		{KindServices, []Row{
			{KindServices, "tcpmux", "1/tcp # TCP port service multiplexer", 48, "/etc/services"},
			{KindServices, "ssh", "22/tcp # SSH Remote Login Protocol", 43, "/etc/services"},
			{KindServices, "smtp", "25/tcp (mail)", 19, "/etc/services"},
			{KindServices, "domain", "53/tcp 53/udp # Domain Name Server", 54, "/etc/services"},
			{KindServices, "http", "80/tcp (www) # WorldWideWeb HTTP", 39, "/etc/services"},
			{KindServices, "https", "443/tcp 443/udp # http protocol over TLS/SSL", 74, "/etc/services"},
			{KindServices, "postgresql", "5432/tcp (postgres) # PostgreSQL Database", 51, "/etc/services"},
		}},
		{KindLocales, []Row{
			{KindLocales, "C.utf8", "UTF-8, C locale (also C.UTF-8)", 283, "/usr/lib/locale/C.utf8"},
			{KindLocales, "xx_XX.utf8", "UTF-8, Test locale X", 509, "/usr/lib/locale/locale-archive"},
			{KindLocales, "yy_YY", "ISO-8859-1, Test locale Y (also yy_YY.iso88591)", 531, "/usr/lib/locale/locale-archive"},
		}},
		{KindUsers, []Row{
			{KindUsers, "root", "uid 0, gid 0 (root), home /root, shell /bin/bash", 42, "/etc/passwd"},
			{KindUsers, "nobody", "uid 65534, gid 65534 (nogroup), home /nonexistent, shell /usr/sbin/nologin", 76, "/etc/passwd"},
			{KindUsers, "nonroot", "uid 65532, gid 65532 (nonroot), home /home/nonroot, shell /sbin/nologin", 75, "built-in"},
			{KindUsers, "daemon", "uid 1, gid 1 (daemon), home /usr/sbin, shell /usr/sbin/nologin", 60, "/etc/passwd"},
			{KindUsers, "www-data", "uid 33, gid 33 (www-data), home /var/www, shell /usr/sbin/nologin", 68, "/etc/passwd"},
			{KindUsers, "app", "uid 1000, gid 1000 (app), home /home/app, shell /bin/sh", 55, "/etc/passwd"},
		}},
		{KindTimeZones, []Row{
			{KindTimeZones, "Arctic/Longyearbyen", "link to Europe/Berlin", 705, "/usr/share/zoneinfo"},
			{KindTimeZones, "Etc/UTC", "", 111, "/usr/share/zoneinfo"},
			{KindTimeZones, "Europe/Berlin", "", 705, "/usr/share/zoneinfo"},
			{KindTimeZones, "Europe/Escape", "link to Etc/UTC", 111, "/usr/share/zoneinfo"},
			{KindTimeZones, "Europe/Riga", "", 694, "/usr/share/zoneinfo"},
			{KindTimeZones, "UTC", "link to Etc/UTC", 111, "/usr/share/zoneinfo"},
			{KindTimeZones, "Zulu", "link to Etc/UTC", 111, "/usr/share/zoneinfo"},
		}},
		{KindProtocols, []Row{
			{KindProtocols, "ip", "0 (IP) # internet protocol, pseudo protocol number", 53, "/etc/protocols"},
			{KindProtocols, "icmp", "1 (ICMP) # internet control message protocol", 49, "/etc/protocols"},
			{KindProtocols, "tcp", "6 (TCP) # transmission control protocol", 43, "/etc/protocols"},
			{KindProtocols, "udp", "17 (UDP) # user datagram protocol", 37, "/etc/protocols"},
			{KindProtocols, "ipv6", "41 (IPv6) # Internet Protocol, version 6", 45, "/etc/protocols"},
		}},
		{KindCertificates, []Row{
			{KindCertificates, "Whittle Test Root A", "CN=Whittle Test Root A,O=Whittle Tests; expires 2124-01-01, sha256 3294b41670348898", int64(len(c.Certificates[0].PEM)), "/etc/ssl/certs/ca-certificates.crt"},
			{KindCertificates, "Whittle Test Root B", "CN=Whittle Test Root B,O=Whittle Tests; expires 2124-01-01, sha256 c2f9355fc4cf834a", int64(len(c.Certificates[1].PEM)), "/etc/ssl/certs/ca-certificates.crt"},
		}},
	} {
		got, err := c.Rows(tc.kind)
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(got, tc.want) {
			t.Errorf("Rows(%s):\n got %#v\nwant %#v", tc.kind, got, tc.want)
		}
	}
	if _, err := c.Rows("zonez"); err == nil {
		t.Error("Rows of an unknown kind did not fail")
	}
}

func TestParseKind(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want Kind
		err  string
	}{
		{"services", KindServices, ""},
		{"Locales", KindLocales, ""},
		{"zones", KindTimeZones, ""},
		{"certs", KindCertificates, ""},
		{"timezone", "", `unknown list "timezone" (did you mean "timezones"?)`},
		{"xyzzy", "", `unknown list "xyzzy" (one of services, protocols, certificates, locales, timezones, users)`},
	} {
		got, err := ParseKind(tc.in)
		if tc.err != "" {
			if err == nil || err.Error() != tc.err {
				t.Errorf("ParseKind(%q) error = %v, want %q", tc.in, err, tc.err)
			}
			continue
		}
		if err != nil || got != tc.want {
			t.Errorf("ParseKind(%q) = %q, %v", tc.in, got, err)
		}
	}
}

func TestHostileNames(t *testing.T) {
	img := syntheticImage(t)
	archive, err := localearchive.Build([]*localearchive.Locale{
		syntheticLocale("..", "UTF-8", "dot dot"),
		syntheticLocale("ok_OK.utf8", "UTF-8", "fine"),
	})
	if err != nil {
		t.Fatal(err)
	}
	img["usr/lib/locale/locale-archive"] = &fstest.MapFile{Mode: 0o644, Data: archive}
	img["usr/lib/x86_64-linux-gnu/gconv/gconv-modules"] = &fstest.MapFile{Mode: 0o644, Data: []byte(
		"module\tEVIL//\tINTERNAL\t../../../../etc/passwd\t1\nmodule\tINTERNAL\tEVIL//\t/etc/shadow\t1\n")}
	c, err := LoadCatalog(img)
	if err != nil {
		t.Fatal(err)
	}
	if got := names(c.Locales, func(l Locale) string { return l.Name }); !reflect.DeepEqual(got, []string{"C.utf8", "ok_OK.utf8"}) {
		t.Errorf("locales = %q", got)
	}
	var reasons []string
	for _, s := range c.Skipped {
		if strings.Contains(s.Reason, "bad locale name") || strings.Contains(s.Reason, "gconv") {
			reasons = append(reasons, s.Path+" "+s.Entry+": "+s.Reason)
		}
	}
	want := []string{
		"/usr/lib/x86_64-linux-gnu/gconv/gconv-modules line 1: module ../../../../etc/passwd is outside the gconv directory",
		"/usr/lib/x86_64-linux-gnu/gconv/gconv-modules line 2: module /etc/shadow is outside the gconv directory",
		`/usr/lib/locale/locale-archive ..: bad locale name ".."`,
	}
	if !reflect.DeepEqual(reasons, want) {
		t.Errorf("skipped:\n%q\nwant\n%q", reasons, want)
	}
}
