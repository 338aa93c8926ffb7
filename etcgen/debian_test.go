package etcgen

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"os"
	"path/filepath"
	"reflect"
	"sort"
	"strings"
	"testing"
	"testing/fstest"
	"time"

	"github.com/whittle-dev/whittle/internal/testfix"
)

// testCA is a root certificate and a leaf it signed, as PEM.
type testCA struct {
	root, leaf []byte
}

func newTestCA(t *testing.T, cn string) testCA {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	rootTpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: cn, Organization: []string{"Whittle E2E"}},
		NotBefore: now.Add(-time.Hour), NotAfter: now.Add(24 * time.Hour),
		IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign,
	}
	rootDER, err := x509.CreateCertificate(rand.Reader, rootTpl, rootTpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	root, _ := x509.ParseCertificate(rootDER)
	leafKey, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	leafTpl := &x509.Certificate{
		SerialNumber: big.NewInt(2), Subject: pkix.Name{CommonName: "leaf of " + cn},
		NotBefore: now.Add(-time.Hour), NotAfter: now.Add(24 * time.Hour),
		KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		DNSNames: []string{"example.test"},
	}
	leafDER, err := x509.CreateCertificate(rand.Reader, leafTpl, root, &leafKey.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	return testCA{
		root: pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: rootDER}),
		leaf: pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: leafDER}),
	}
}

// debianSandbox runs programs of the Debian fixture over an /etc (and the
// locale, zoneinfo and gconv directories) that hold only what etcgen wrote
// into out.
func debianSandbox(root, out string, extra ...testfix.Mount) *testfix.Sandbox {
	s := &testfix.Sandbox{
		Mounts: []testfix.Mount{{Src: filepath.Join(root, "usr"), Dst: "/usr"}},
		Symlinks: []testfix.Symlink{
			{Path: "/bin", Target: "usr/bin"}, {Path: "/sbin", Target: "usr/sbin"},
			{Path: "/lib", Target: "usr/lib"}, {Path: "/lib64", Target: "usr/lib64"},
		},
		Env: []string{"PATH=/usr/bin:/usr/sbin"},
	}
	// /etc, /root, /home, /tmp: only etcgen's. Under /usr, etcgen's
	// directories cover the fixture's.
	for _, d := range []string{"etc", "root", "home", "tmp"} {
		if _, err := os.Stat(filepath.Join(out, d)); err == nil {
			s.Mounts = append(s.Mounts, testfix.Mount{Src: filepath.Join(out, d), Dst: "/" + d})
		}
	}
	for _, d := range []string{"usr/lib/locale", "usr/share/zoneinfo", "usr/lib/x86_64-linux-gnu/gconv"} {
		if _, err := os.Stat(filepath.Join(out, d)); err == nil {
			s.Mounts = append(s.Mounts, testfix.Mount{Src: filepath.Join(out, d), Dst: "/" + d})
		} else if d == "usr/lib/locale" {
			// No locale chosen: none at all, not the fixture's.
			empty := filepath.Join(out, ".empty")
			os.MkdirAll(empty, 0o755)
			s.Mounts = append(s.Mounts, testfix.Mount{Src: empty, Dst: "/" + d})
		}
	}
	s.Mounts = append(s.Mounts, extra...)
	return s
}

func TestDebianEndToEnd(t *testing.T) {
	if testing.Short() {
		t.Skip("builds a Debian root (-short)")
	}
	testfix.NeedTool(t, "bwrap")
	root := testfix.DebianRootfsDir(t)

	// A scratch image: the fixture with two test CAs added to its bundle.
	chosen, unchosen := newTestCA(t, "Whittle E2E Root A"), newTestCA(t, "Whittle E2E Root B")
	bundle, err := os.ReadFile(filepath.Join(root, "etc/ssl/certs/ca-certificates.crt"))
	if err != nil {
		t.Fatal(err)
	}
	bundle = append(append(append(bundle, chosen.root...), unchosen.root...), '\n')
	img := overlayFS{base: os.DirFS(root), files: fstest.MapFS{
		"etc/ssl/certs/ca-certificates.crt": {Mode: 0o644, Data: bundle},
	}}
	c, err := LoadCatalog(img)
	if err != nil {
		t.Fatal(err)
	}
	if n := len(c.Certificates); n < 140 {
		t.Errorf("%d certificates in the Debian bundle, want about 150", n)
	}
	sel := Selection{
		Services:     Names("http", "https"),
		Protocols:    Names("tcp", "udp"),
		Certificates: Names("Whittle E2E Root A", "ISRG Root X1"),
		Locales:      Names("de_DE.UTF-8", "en_US.UTF-8", "fr_FR", "ru_RU.KOI8-R"),
		Timezones:    Names("Europe/Riga", "UTC"),
		Users:        []User{{Name: "root"}, {Name: "nobody"}, {Name: "nonroot"}},
	}
	out, err := c.Plan(sel)
	if err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(t.TempDir(), "out")
	if err := out.WriteDir(dir); err != nil {
		t.Fatal(err)
	}
	work := t.TempDir()
	os.WriteFile(filepath.Join(work, "leafA.pem"), chosen.leaf, 0o644)
	os.WriteFile(filepath.Join(work, "leafB.pem"), unchosen.leaf, 0o644)
	sb := debianSandbox(root, dir, testfix.Mount{Src: work, Dst: "/work"})
	sb.Env = append(sb.Env, out.EnvList()...)

	run := func(argv ...string) testfix.Result {
		t.Helper()
		return sb.Run(t, argv...)
	}
	expect := func(name string, r testfix.Result, code int, stdout string) {
		t.Helper()
		if r.ExitCode != code || (stdout != "" && strings.TrimSpace(r.Stdout) != stdout) {
			t.Errorf("%s: exit %d, stdout %q, stderr %q; want exit %d, stdout %q", name, r.ExitCode, r.Stdout, r.Stderr, code, stdout)
		}
	}

	// Services and protocols, through glibc's nss_files.
	expect("getent services http", run("getent", "services", "http"), 0, "http                  80/tcp www")
	expect("getent services 443", run("getent", "services", "443/udp"), 0, "https                 443/udp")
	expect("getent services smtp (not chosen)", run("getent", "services", "smtp"), 2, "")
	expect("getent protocols tcp", run("getent", "protocols", "tcp"), 0, "tcp                   6 TCP")
	expect("getent protocols icmp (not chosen)", run("getent", "protocols", "icmp"), 2, "")

	// Time zones: glibc's offsets against Go's, for a winter and a summer
	// instant.
	riga, err := time.LoadLocation("Europe/Riga")
	if err != nil {
		t.Fatal(err)
	}
	for _, at := range []time.Time{time.Date(2024, 1, 15, 12, 0, 0, 0, time.UTC), time.Date(2024, 7, 15, 12, 0, 0, 0, time.UTC)} {
		want := at.In(riga).Format("-0700")
		epoch := "@" + itoa(at.Unix())
		expect("TZ=Europe/Riga date "+want, run("date", "-d", epoch, "+%z"), 0, want)
		noTZ := *sb
		noTZ.Env = []string{"PATH=/usr/bin"}
		expect("/etc/localtime date "+want, noTZ.Run(t, "date", "-d", epoch, "+%z"), 0, want)
	}

	// Locales: exactly the chosen ones (with their aliases), usable.
	r := run("locale", "-a")
	got := sortedLines(r.Stdout)
	want := []string{"C", "POSIX", "de_DE.utf8", "en_US.utf8", "fr_FR", "fr_FR.iso88591", "french", "ru_RU.koi8r", "russian"}
	sort.Strings(got)
	sort.Strings(want)
	if !reflect.DeepEqual(got, want) {
		t.Errorf("locale -a = %q (stderr %q), want %q", got, r.Stderr, want)
	}
	r = run("localedef", "--list-archive", "/usr/lib/locale/locale-archive")
	want = []string{"de_DE.utf8", "en_US.utf8", "fr_FR", "fr_FR.iso88591", "french", "ru_RU.koi8r", "russian"}
	if got := sortedLines(r.Stdout); !reflect.DeepEqual(got, want) {
		t.Errorf("localedef --list-archive = %q (stderr %q), want %q", got, r.Stderr, want)
	}
	py := `import locale, sys, time
locale.setlocale(locale.LC_ALL, sys.argv[1])
print(locale.nl_langinfo(locale.CODESET), time.strftime("%A", time.gmtime(0)))`
	expect("setlocale de_DE.UTF-8", run("python3", "-c", py, "de_DE.UTF-8"), 0, "UTF-8 Donnerstag")
	expect("setlocale fr_FR", run("python3", "-c", py, "fr_FR"), 0, "ISO-8859-1 jeudi")
	expect("setlocale ru_RU.KOI8-R", run("python3", "-c", `import locale; locale.setlocale(locale.LC_ALL, "ru_RU.KOI8-R"); print(locale.nl_langinfo(locale.CODESET))`), 0, "KOI8-R")
	r = run("python3", "-c", py, "lv_LV.UTF-8")
	if r.ExitCode == 0 || !strings.Contains(r.Stderr, "unsupported locale setting") {
		t.Errorf("setlocale lv_LV.UTF-8 (not chosen): exit %d, stderr %q", r.ExitCode, r.Stderr)
	}
	// The gconv modules of the chosen charsets, and only those.
	expect("iconv KOI8-R", run("sh", "-c", `printf '\360\322\311\327\305\324' | iconv -f KOI8-R -t UTF-8`), 0, "Привет")
	expect("iconv ISO-8859-1", run("sh", "-c", `printf 'caf\351' | iconv -f LATIN1 -t UTF-8`), 0, "café")
	r = run("sh", "-c", `printf 'x' | iconv -f CP1251 -t UTF-8`)
	if r.ExitCode == 0 {
		t.Errorf("iconv CP1251 (no module) succeeded: %q", r.Stdout)
	}

	// Certificates: a chain under a chosen root verifies, one under an
	// unchosen root does not; SSL_CERT_FILE points OpenSSL at the bundle.
	expect("openssl verify (chosen root)", run("openssl", "verify", "-CAfile", "/etc/ssl/certs/ca-certificates.crt", "/work/leafA.pem"), 0, "/work/leafA.pem: OK")
	r = run("openssl", "verify", "-CAfile", "/etc/ssl/certs/ca-certificates.crt", "/work/leafB.pem")
	if r.ExitCode == 0 || !strings.Contains(r.Stdout+r.Stderr, "unable to get local issuer certificate") {
		t.Errorf("openssl verify (unchosen root): exit %d, %q %q", r.ExitCode, r.Stdout, r.Stderr)
	}
	expect("openssl verify via SSL_CERT_FILE", run("openssl", "verify", "/work/leafA.pem"), 0, "/work/leafA.pem: OK")
	expect("openssl verify via /etc/ssl/cert.pem", run("openssl", "verify", "-CAfile", "/etc/ssl/cert.pem", "/work/leafA.pem"), 0, "/work/leafA.pem: OK")

	// Users and the basics.
	expect("id nonroot", run("env", "LC_ALL=C", "id", "nonroot"), 0, "uid=65532(nonroot) gid=65532(nonroot) groups=65532(nonroot)")
	// LANG is the first chosen locale: coreutils speaks German.
	expect("id nonroot in German", run("id", "nonroot"), 0, "uid=65532(nonroot) gid=65532(nonroot) Gruppen=65532(nonroot)")
	expect("getent passwd root", run("getent", "passwd", "root"), 0, "root:x:0:0:root:/root:/bin/bash")
	expect("getent hosts localhost", run("getent", "hosts", "localhost"), 0, "::1             localhost ip6-localhost ip6-loopback")
	expect("homes and /tmp", run("stat", "-c", "%n %a %u:%g", "/tmp", "/root", "/home/nonroot"), 0, "/tmp 1777 0:0\n/root 700 0:0\n/home/nonroot 700 65532:65532")
	expect("os-release", run("sh", "-c", ". /etc/os-release && echo $ID"), 0, "debian")

	// The same selection again gives the same layer.
	again, err := LoadCatalog(img)
	if err != nil {
		t.Fatal(err)
	}
	out2, err := again.Plan(sel)
	if err != nil {
		t.Fatal(err)
	}
	l1, _ := out.Layer()
	l2, _ := out2.Layer()
	d1, _ := l1.Digest()
	d2, _ := l2.Digest()
	if d1 != d2 {
		t.Errorf("same selection, two digests: %s, %s", d1, d2)
	}
}

func TestDebianLocaleDirectories(t *testing.T) {
	if testing.Short() {
		t.Skip("builds a Debian root (-short)")
	}
	testfix.NeedTool(t, "bwrap")
	root := testfix.DebianRootfsDir(t)
	c, err := LoadCatalog(os.DirFS(root))
	if err != nil {
		t.Fatal(err)
	}
	out, err := c.Plan(Selection{Locales: Names("de_DE.UTF-8", "C.UTF-8"), LocaleFormat: LocaleDirectories, Users: []User{{Name: "root"}}})
	if err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(t.TempDir(), "out")
	if err := out.WriteDir(dir); err != nil {
		t.Fatal(err)
	}
	sb := debianSandbox(root, dir)
	r := sb.Run(t, "locale", "-a")
	if got, want := sortedLines(r.Stdout), []string{"C", "C.utf8", "POSIX", "de_DE.utf8"}; !reflect.DeepEqual(got, want) {
		t.Errorf("locale -a = %q (stderr %q), want %q", got, r.Stderr, want)
	}
	r = sb.Run(t, "python3", "-c", `import locale, time; locale.setlocale(locale.LC_ALL, "de_DE.UTF-8"); print(time.strftime("%B", time.gmtime(0)))`)
	if r.ExitCode != 0 || strings.TrimSpace(r.Stdout) != "Januar" {
		t.Errorf("setlocale de_DE.UTF-8 from a directory: exit %d, %q %q", r.ExitCode, r.Stdout, r.Stderr)
	}
	r = sb.Run(t, "python3", "-c", `import locale; locale.setlocale(locale.LC_ALL, "en_US.UTF-8")`)
	if r.ExitCode == 0 {
		t.Error("setlocale en_US.UTF-8 (not chosen) succeeded")
	}
}

// BenchmarkLoadCatalog reads the catalog of the Debian fixture: about 150
// CA certificates, 600 zones, a locale-archive and locale directories.
func BenchmarkLoadCatalog(b *testing.B) {
	root := testfix.DebianRootfsDir(b)
	fsys := os.DirFS(root)
	var c *Catalog
	for b.Loop() {
		var err error
		if c, err = LoadCatalog(fsys); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(len(c.Certificates)), "certs")
	b.ReportMetric(float64(len(c.TimeZones)), "zones")
	b.ReportMetric(float64(len(c.Locales)), "locales")
}

func TestDebianGconv(t *testing.T) {
	if testing.Short() {
		t.Skip("builds a Debian root (-short)")
	}
	root := testfix.DebianRootfsDir(t)
	c, err := LoadCatalog(os.DirFS(root))
	if err != nil {
		t.Fatal(err)
	}
	const dir = "usr/lib/x86_64-linux-gnu/gconv/"
	for _, tc := range []struct {
		charset string
		builtin bool
		files   []string
	}{
		{"UTF-8", true, nil},
		{"ANSI_X3.4-1968", true, nil},
		{"ISO-8859-1", false, []string{dir + "ISO8859-1.so"}},
		{"latin1", false, []string{dir + "ISO8859-1.so"}},
		{"KOI8-R", false, []string{dir + "KOI8-R.so"}},
		// EUC-JP.so needs libJIS.so from the same directory.
		{"EUC-JP", false, []string{dir + "EUC-JP.so", dir + "libJIS.so"}},
	} {
		mods, _, builtin, err := c.gconv.needs(tc.charset)
		if err != nil || builtin != tc.builtin {
			t.Errorf("needs(%s) = builtin %v, %v", tc.charset, builtin, err)
			continue
		}
		if builtin {
			continue
		}
		files, err := c.gconv.moduleFiles(c.im, mods)
		if err != nil || !reflect.DeepEqual(files, tc.files) {
			t.Errorf("moduleFiles(%s) = %q, %v; want %q", tc.charset, files, err, tc.files)
		}
	}
	if _, _, _, err := c.gconv.needs("NO-SUCH-CHARSET"); err == nil {
		t.Error("needs(NO-SUCH-CHARSET) succeeded")
	}
}
