package etcgen

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"path"
	"reflect"
	"sort"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/whittle-dev/whittle/internal/localearchive"
	"github.com/whittle-dev/whittle/internal/reprotar"
)

// goldenSelection chooses a bit of everything from the synthetic image,
// by every kind of name the catalog accepts.
func goldenSelection() Selection {
	return Selection{
		Services:     Names("http", "https", "mail", "5432", "53/udp"),
		Protocols:    Names("tcp", "UDP", "41"),
		Certificates: Names("Whittle Test Root A"),
		Locales:      Names("xx_XX.UTF-8", "yy_YY", "C.UTF-8"),
		Timezones:    Names("Europe/Riga", "UTC", "Arctic/Longyearbyen"),
		Users: []User{{Name: "root"}, {Name: "nobody"}, {Name: "nonroot"}, {Name: "app"},
			{Name: "svc", UID: ptr(2000), Home: "/home/svc", Shell: "/bin/sh"}, {Name: "worker", UID: ptr(3000), GID: ptr(1000)}},
	}
}

func planSynthetic(t *testing.T, sel Selection) *Output {
	t.Helper()
	c, err := LoadCatalog(syntheticImage(t))
	if err != nil {
		t.Fatal(err)
	}
	out, err := c.Plan(sel)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// listing describes every entry of an output, one line each.
func listing(files []reprotar.File) string {
	var b strings.Builder
	for _, f := range files {
		sum := sha256.Sum256(f.Data)
		fmt.Fprintf(&b, "%c %-50s %05o %d:%d", f.Kind, f.Path, f.Mode, f.UID, f.GID)
		switch f.Kind {
		case reprotar.Regular:
			fmt.Fprintf(&b, " %d %s", len(f.Data), hex.EncodeToString(sum[:6]))
		case reprotar.Symlink:
			fmt.Fprintf(&b, " -> %s", f.Link)
		}
		b.WriteByte('\n')
	}
	return strings.ReplaceAll(b.String(), "\x00", "0")
}

func TestPlanGolden(t *testing.T) {
	out := planSynthetic(t, goldenSelection())
	texts := map[string]string{
		"/etc/services":                      "services",
		"/etc/protocols":                     "protocols",
		"/etc/ssl/certs/ca-certificates.crt": "ca-certificates.crt",
		"/etc/passwd":                        "passwd",
		"/etc/group":                         "group",
		"/etc/nsswitch.conf":                 "nsswitch.conf",
		"/etc/hosts":                         "hosts",
		"/etc/os-release":                    "os-release",
		"/usr/lib/x86_64-linux-gnu/gconv/gconv-modules": "gconv-modules",
	}
	seen := map[string]bool{}
	for _, f := range out.Files {
		if name, ok := texts[f.Path]; ok {
			golden(t, "plan/"+name, f.Data)
			seen[f.Path] = true
		}
	}
	for p := range texts {
		if !seen[p] {
			t.Errorf("output has no %s", p)
		}
	}
	golden(t, "plan/listing", []byte(listing(out.Files)))
	golden(t, "plan/env", []byte(strings.Join(out.EnvList(), "\n")+"\n"))
	costs, err := json.MarshalIndent(out.Costs, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	golden(t, "plan/costs.json", append(costs, '\n'))
	layer, err := out.Layer()
	if err != nil {
		t.Fatal(err)
	}
	d, err := layer.Digest()
	if err != nil {
		t.Fatal(err)
	}
	diff, err := layer.DiffID()
	if err != nil {
		t.Fatal(err)
	}
	golden(t, "plan/layer-digest", []byte("digest "+d.String()+"\ndiffid "+diff.String()+"\n"))
	if len(out.Warnings) != 0 {
		t.Errorf("warnings: %+v", out.Warnings)
	}
}

func TestPlanCostsAddUp(t *testing.T) {
	for _, sel := range []Selection{goldenSelection(), {Services: ChooseAll, Certificates: ChooseAll, Locales: ChooseAll, Timezones: ChooseAll, Protocols: ChooseAll}, {}} {
		out := planSynthetic(t, sel)
		var sum int64
		for _, c := range out.Costs {
			sum += c.Bytes
		}
		if sum != out.Size() {
			t.Errorf("costs add up to %d, output holds %d bytes (%+v)", sum, out.Size(), out.Costs)
		}
	}
}

func TestPlanDeterministic(t *testing.T) {
	digest := func(sel Selection) string {
		out := planSynthetic(t, sel) // a fresh catalog each time
		l, err := out.Layer()
		if err != nil {
			t.Fatal(err)
		}
		d, err := l.Digest()
		if err != nil {
			t.Fatal(err)
		}
		return d.String()
	}
	a, b := digest(goldenSelection()), digest(goldenSelection())
	if a != b {
		t.Errorf("same selection, two digests: %s, %s", a, b)
	}
	// Order of names does not matter for the files, only for LANG/TZ.
	sel := goldenSelection()
	sel.Services = Names("5432", "53/udp", "https", "mail", "http")
	if c := digest(sel); c != a {
		t.Errorf("services in another order changed the digest: %s, %s", a, c)
	}
	sel = goldenSelection()
	sel.Timezones = Names("UTC", "Europe/Riga", "Arctic/Longyearbyen")
	if c := digest(sel); c == a {
		t.Error("another first time zone kept the digest (the /etc/localtime link must differ)")
	}
}

func TestPlanChoices(t *testing.T) {
	files := func(out *Output) map[string]string {
		m := map[string]string{}
		for _, f := range out.Files {
			m[f.Path] = string(f.Data)
		}
		return m
	}
	for _, tc := range []struct {
		name string
		sel  Selection
		file string
		want string
		env  []string
	}{
		{"service by alias", Selection{Services: Names("www")}, "/etc/services",
			"# Network services, Internet style: chosen by whittle from /etc/services\nhttp\t\t80/tcp\t\twww\t\t# WorldWideWeb HTTP\n", nil},
		{"service by port keeps tcp and udp", Selection{Services: Names("443")}, "/etc/services",
			"# Network services, Internet style: chosen by whittle from /etc/services\nhttps\t\t443/tcp\t\t\t\t# http protocol over TLS/SSL\nhttps\t\t443/udp\t\t\t\t# HTTP/3\n", nil},
		{"all services", Selection{Services: ChooseAll}, "/etc/services",
			"# Network services, Internet style: chosen by whittle from /etc/services\n" + strings.Join(serviceLines(), "\n") + "\n", nil},
		{"protocol by number", Selection{Protocols: Names("17")}, "/etc/protocols",
			"# Internet (IP) protocols: chosen by whittle from /etc/protocols\nudp\t17\tUDP\t\t# user datagram protocol\n", nil},
		{"certificate by fingerprint prefix", Selection{Certificates: Names("C2:F9:35:5F")}, "/etc/ssl/certs/ca-certificates.crt", certPEM(1), []string{"SSL_CERT_FILE=/etc/ssl/certs/ca-certificates.crt"}},
		{"certificate by subject", Selection{Certificates: Names("CN=Whittle Test Root B,O=Whittle Tests")}, "/etc/ssl/certs/ca-certificates.crt", certPEM(1), nil},
		{"all certificates", Selection{Certificates: ChooseAll}, "/etc/ssl/certs/ca-certificates.crt", certPEM(0) + certPEM(1), nil},
		{"new user defaults", Selection{Users: []User{{Name: "svc", UID: ptr(1234)}}}, "/etc/passwd", "svc:x:1234:1234:svc:/home/svc:/sbin/nologin\n", nil},
		{"built-in with a new uid", Selection{Users: []User{{Name: "nonroot", UID: ptr(1001)}}}, "/etc/group", "nonroot:x:1001:\n", nil},
		{"image user keeps its entry", Selection{Users: []User{{Name: "www-data"}}}, "/etc/passwd", "www-data:x:33:33:www-data:/var/www:/usr/sbin/nologin\n", nil},
		{"shared gid written once", Selection{Users: []User{{Name: "app"}, {Name: "worker", UID: ptr(3000), GID: ptr(1000)}}}, "/etc/group", "app:x:1000:\n", nil},
		{"C locale needs no file", Selection{Locales: Names("C")}, "/usr/lib/locale/locale-archive", "", []string{"LANG=C"}},
		{"first zone is TZ", Selection{Timezones: Names("Zulu", "Europe/Riga")}, "/usr/share/zoneinfo/Zulu", string(goZone(t, "Etc/UTC")), []string{"TZ=Zulu"}},
		{"zone name ignoring case", Selection{Timezones: Names("europe/riga")}, "/usr/share/zoneinfo/Europe/Riga", string(goZone(t, "Europe/Riga")), []string{"TZ=Europe/Riga"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			out := planSynthetic(t, tc.sel)
			got := files(out)[tc.file]
			if got != tc.want {
				t.Errorf("%s =\n%q\nwant\n%q", tc.file, got, tc.want)
			}
			for _, kv := range tc.env {
				k, v, _ := strings.Cut(kv, "=")
				if out.Env[k] != v {
					t.Errorf("env %s = %q, want %q", k, out.Env[k], v)
				}
			}
		})
	}
}

func serviceLines() []string {
	var out []string
	for _, l := range strings.Split(testServices, "\n") {
		f, _ := splitComment(l)
		if len(f) >= 2 && f[0] != "broken" {
			out = append(out, l)
		}
	}
	return out
}

func certPEM(i int) string {
	certs, _ := ParseCertificates("", mustRead("testdata/test-roots.pem"))
	return string(certs[i].PEM)
}

func TestPlanErrors(t *testing.T) {
	c, err := LoadCatalog(syntheticImage(t))
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		sel  Selection
		want string
	}{
		{Selection{Services: Names("htpp")}, `unknown service "htpp" (did you mean "http" or "https"?)`},
		{Selection{Services: Names("gopher")}, `unknown service "gopher"`},
		{Selection{Protocols: Names("tcpp", "ucp")}, `unknown protocol "tcpp" (did you mean "tcp" or "icmp"?); unknown protocol "ucp" (did you mean "tcp" or "udp" or "icmp"?)`},
		{Selection{Certificates: Names("Whittle Test Root C")}, `unknown certificate "Whittle Test Root C" (did you mean "Whittle Test Root A" or "Whittle Test Root B"?)`},
		{Selection{Certificates: Names("Whittle Test Root")}, `unknown certificate "Whittle Test Root" (did you mean "Whittle Test Root A" or "Whittle Test Root B"?)`},
		{Selection{Locales: Names("xx_YY.UTF-8")}, `unknown locale "xx_YY.UTF-8" (did you mean "xx_XX.utf8"?)`},
		{Selection{Timezones: Names("Europe/Rgia")}, `unknown time zone "Europe/Rgia" (did you mean "Europe/Riga" or "Europe/Berlin"?)`},
		{Selection{Timezones: Names("Europe/Loop")}, `unknown time zone "Europe/Loop" (did you mean "Europe/Riga"?)`},
		{Selection{Users: []User{{Name: "nonrot"}}}, `unknown user "nonrot" (did you mean "nonroot"?)`},
		{Selection{Users: []User{{Name: "zzzzz"}}}, `unknown user "zzzzz" (give a uid to create it)`},
		{Selection{Users: []User{{Name: "root"}, {Name: "root"}}}, `user "root" chosen twice`},
		{Selection{Users: []User{{Name: "x", UID: ptr(5), Home: "relative"}}}, `user "x": home "relative" must be a clean absolute path`},
		{Selection{Users: []User{{Name: "bad:name", UID: ptr(5)}}}, `user "bad:name": bad name`},
		{Selection{Users: []User{{Name: "x", UID: ptr(5), Shell: "/bin/sh\nroot::0:0::/:/bin/sh"}}}, `user "x": shell "/bin/sh\nroot::0:0::/:/bin/sh" must be an absolute path`},
		{Selection{Locales: Names("C.UTF-8"), LocaleFormat: "zip"}, `unknown locale format "zip": want archive or directories`},
	} {
		_, err := c.Plan(tc.sel)
		if err == nil || err.Error() != tc.want {
			t.Errorf("Plan(%+v) error =\n%v\nwant\n%s", tc.sel, err, tc.want)
		}
	}
	// os_release on an image without one.
	fallback, err := LoadCatalog(fstest.MapFS{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := fallback.Plan(Selection{Basics: Basics{OSRelease: ptr(true)}}); err == nil || err.Error() != "os_release: the image has no /etc/os-release or /usr/lib/os-release" {
		t.Errorf("os_release without one: %v", err)
	}
	if _, err := fallback.Plan(Selection{Locales: Names("en_US.UTF-8")}); err == nil || err.Error() != `unknown locale "en_US.UTF-8": the image has no compiled locales, only C and POSIX` {
		t.Errorf("locale without any: %v", err)
	}
}

func TestPlanBasics(t *testing.T) {
	for _, tc := range []struct {
		b    Basics
		want []string
	}{
		{Basics{}, []string{"/etc/hosts", "/etc/nsswitch.conf", "/etc/os-release", "/tmp"}},
		{Basics{Nsswitch: ptr(false), Hosts: ptr(false), OSRelease: ptr(false)}, []string{"/tmp"}},
		{Basics{Tmp: ptr(false), OSRelease: ptr(false)}, []string{"/etc/hosts", "/etc/nsswitch.conf"}},
	} {
		out := planSynthetic(t, Selection{Basics: tc.b})
		var got []string
		for _, f := range out.Files {
			got = append(got, f.Path)
		}
		sort.Strings(got)
		if !reflect.DeepEqual(got, tc.want) {
			t.Errorf("basics %+v: files %q, want %q", tc.b, got, tc.want)
		}
		for _, f := range out.Files {
			if f.Path == "/tmp" && (f.Kind != reprotar.Dir || f.Mode != 0o1777) {
				t.Errorf("/tmp = %c %o, want a 1777 directory", f.Kind, f.Mode)
			}
		}
	}
}

func TestPlanLocaleDirectories(t *testing.T) {
	out := planSynthetic(t, Selection{Locales: Names("yy_YY", "C.UTF-8"), LocaleFormat: LocaleDirectories, Basics: Basics{Nsswitch: ptr(false), Hosts: ptr(false), OSRelease: ptr(false), Tmp: ptr(false)}})
	golden(t, "plan/locale-directories", []byte(listing(out.Files)))
	// The files are the archive's data, byte for byte.
	c, _ := LoadCatalog(syntheticImage(t))
	i := c.findLocale("yy_YY")
	a, done, err := archiveFile(c.im, c.archive)
	if err != nil {
		t.Fatal(err)
	}
	defer done()
	want, err := a.Locale(c.Locales[i].entry)
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range out.Files {
		if dir, name := path.Split(f.Path); dir == "/usr/lib/locale/yy_YY/" && f.Kind == reprotar.Regular {
			for cat, n := range localearchive.CategoryNames {
				if n == name && !bytes.Equal(f.Data, want.Categories[cat]) {
					t.Errorf("%s differs from the archive's %s", f.Path, n)
				}
			}
		}
	}
}

func mustRead(p string) []byte {
	b, err := os.ReadFile(p)
	if err != nil {
		panic(err)
	}
	return b
}

func TestPlanConcurrent(t *testing.T) {
	c, err := LoadCatalog(syntheticImage(t))
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan string, 8)
	for i := 0; i < 8; i++ {
		go func() {
			out, err := c.Plan(goldenSelection())
			if err != nil {
				done <- err.Error()
				return
			}
			l, _ := out.Layer()
			d, _ := l.Digest()
			done <- d.String()
		}()
	}
	first := <-done
	for i := 1; i < 8; i++ {
		if d := <-done; d != first {
			t.Errorf("concurrent plans differ: %s, %s", first, d)
		}
	}
}
