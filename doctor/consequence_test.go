package doctor

import (
	"context"
	"fmt"
	"os"
	"reflect"
	"sort"
	"strings"
	"testing"

	"github.com/whittle-dev/whittle/finding"
	"github.com/whittle-dev/whittle/internal/reprotar"
	"github.com/whittle-dev/whittle/internal/testfix"
)

// debianApp is an application image on the shared Debian root: its
// config and the layer its Dockerfile would add.
type debianApp struct {
	cfg map[string]any
	top []reprotar.File
}

// noNetbase whites out what Debian's minbase lacks and container
// engines mount (netbase's /etc/services and /etc/protocols, /etc/hosts):
// debian:bookworm-slim as it is.
var noNetbase = []reprotar.File{file("/etc/.wh.services", 0, 0), file("/etc/.wh.protocols", 0, 0), file("/etc/.wh.hosts", 0, 0)}

// debianApps are healthy applications, each the way a Dockerfile makes it.
func debianApps() map[string]debianApp {
	script := func(p, s string, mode int64) reprotar.File { return reg(p, []byte(s), mode) }
	return map[string]debianApp{
		// A Python client that verifies TLS peers and writes temporary
		// files, run as www-data in Riga.
		"python-tls": {map[string]any{"Entrypoint": []string{"python3", "/app/fetch.py"}, "User": "www-data", "WorkingDir": "/app",
			"Env": []string{"PATH=/usr/local/bin:/usr/bin:/bin", "LANG=C.UTF-8", "TZ=Europe/Riga"}},
			append([]reprotar.File{dir("/app", 0o755), script("/app/fetch.py",
				"import ssl, tempfile, urllib.request\nctx = ssl.create_default_context()\nwith tempfile.TemporaryFile() as f:\n    f.write(urllib.request.urlopen('https://example.org', context=ctx).read())\n", 0o644)},
				noNetbase...)},
		// Python without netbase: nothing names a service.
		"python-slim": {map[string]any{"Cmd": []string{"python3", "-c", "print('hello')"}, "Env": []string{"PATH=/usr/bin:/bin"}}, noNetbase},
		// A bash entry point that fills a template, then execs the command.
		"bash-entrypoint": {map[string]any{"Entrypoint": []string{"/usr/local/bin/docker-entrypoint.sh"}, "Cmd": []string{"cat", "/etc/app/app.conf"},
			"Env": []string{"PATH=/usr/local/bin:/usr/bin:/bin", "APP_NAME=whittle"}},
			append([]reprotar.File{script("/usr/local/bin/docker-entrypoint.sh", "#!/bin/bash\nset -e\nsed \"s/@NAME@/$APP_NAME/\" /etc/app/app.conf.template > /etc/app/app.conf\nexec \"$@\"\n", 0o755),
				textFile("/etc/app/app.conf.template", "greeting = hello from @NAME@\n")}, noNetbase...)},
		// Perl as nobody (home /nonexistent), with File::Temp.
		"perl-nobody": {map[string]any{"Cmd": []string{"perl", "/app/report.pl"}, "User": "nobody", "Env": []string{"PATH=/usr/bin:/bin", "LANG=C.UTF-8"}},
			append([]reprotar.File{dir("/app", 0o755), script("/app/report.pl", "use strict;\nuse File::Temp qw(tempfile);\nmy ($fh, $name) = tempfile();\nprint $fh \"x\\n\";\nprint \"ok\\n\";\n", 0o644)},
				noNetbase...)},
		// openssl as a numeric user.
		"openssl-numeric": {map[string]any{"Entrypoint": []string{"openssl", "version"}, "User": "65534:65534", "Env": []string{"PATH=/usr/bin:/bin"}}, nil},
		// dash with compiled locales and a zone.
		"sh-locales": {map[string]any{"Entrypoint": []string{"/bin/sh", "-c", "date"}, "Env": []string{"PATH=/usr/bin:/bin", "LANG=de_DE.UTF-8", "LC_CTYPE=ru_RU.KOI8-R", "TZ=Europe/Riga"}}, nil},
	}
}

// consequence runs doctor on app's image, with change applied: env
// appended to (or overriding) the config's, the config's other keys
// replaced, top's files added in a layer above the app's.
func consequence(t *testing.T, root []byte, app debianApp, cfg map[string]any, env []string, top []reprotar.File) []finding.Finding {
	t.Helper()
	tars, ids := [][]byte{root}, []string{diffID(root)}
	for _, files := range [][]reprotar.File{app.top, top} {
		if files == nil {
			continue
		}
		tb, err := reprotar.Bytes(files)
		if err != nil {
			t.Fatal(err)
		}
		tars, ids = append(tars, tb), append(ids, diffID(tb))
	}
	c := map[string]any{}
	for k, v := range app.cfg {
		c[k] = v
	}
	for k, v := range cfg {
		c[k] = v
	}
	c["Env"] = append(append([]string(nil), app.cfg["Env"].([]string)...), env...)
	im, ix := rawImage(t, c, nil, tars, ids)
	cl := build(t, im, ix)
	for _, p := range cl.Problems {
		if p.Severity == finding.Error && len(top) == 0 && cfg == nil && env == nil {
			t.Errorf("graph problem at error level on a healthy image: %s %s", p.Kind, p.Message)
		}
	}
	fs, err := Breakage(context.Background(), im, ix, cl, Options{Now: now})
	if err != nil {
		t.Fatal(err)
	}
	return fs
}

// summary is a finding as "severity kind path".
func summary(fs []finding.Finding) []string {
	var out []string
	for _, f := range fs {
		out = append(out, fmt.Sprintf("%s %s %s", f.Severity, f.Kind, strings.Join(f.Paths, " ")))
	}
	sort.Strings(out)
	return out
}

// TestConsequenceHealthy: on healthy Debian application images (minbase
// without netbase and /etc/hosts, Debian's stock nsswitch.conf with its
// "netgroup: nis", nobody's /nonexistent home) doctor gives no error and
// no warning: exactly these notes.
func TestConsequenceHealthy(t *testing.T) {
	root, err := os.ReadFile(testfix.DebianRootfsTar(t))
	if err != nil {
		t.Fatal(err)
	}
	// Debian's stock nsswitch.conf: "netgroup: nis", "services: db files".
	stock := []string{"info nss/missing-module /etc/nsswitch.conf libnss_db.so.2", "info nss/missing-module /etc/nsswitch.conf libnss_nis.so.2"}
	slim := append([]string{"info nss/no-hosts /etc/hosts"}, stock...)
	py := []string{"info nss/no-protocols /etc/protocols /usr/bin/python3.11",
		"info nss/no-services /etc/services /usr/bin/python3.11 /usr/lib/x86_64-linux-gnu/libkrb5.so.3.3 /usr/lib/x86_64-linux-gnu/libtirpc.so.3.0.0"}
	want := map[string][]string{
		// www-data's home, /var/www, is not made by base-passwd.
		"python-tls":      append(append([]string{"info user/no-home /var/www"}, py...), slim...),
		"python-slim":     append(append([]string(nil), py...), slim...),
		"bash-entrypoint": append([]string{"info nss/no-services /etc/services /usr/bin/bash"}, slim...),
		"perl-nobody":     append([]string{"info nss/no-protocols /etc/protocols /usr/bin/perl", "info nss/no-services /etc/services /usr/bin/bash /usr/bin/perl"}, slim...),
		"openssl-numeric": stock,
		"sh-locales":      stock,
	}
	apps := debianApps()
	for _, name := range sortedKeys(apps) {
		t.Run(name, func(t *testing.T) {
			fs := consequence(t, root, apps[name], nil, nil, nil)
			w := append([]string(nil), want[name]...)
			sort.Strings(w)
			if got := summary(fs); !reflect.DeepEqual(got, w) {
				for _, f := range fs {
					t.Logf("%s %s: %s", f.Severity, f.Kind, f.Message)
				}
				t.Errorf("findings\n%q\nwant\n%q", got, w)
			}
		})
	}
}

// TestConsequenceBroken: each breakage seeded into a healthy image gives
// exactly its error.
func TestConsequenceBroken(t *testing.T) {
	root, err := os.ReadFile(testfix.DebianRootfsTar(t))
	if err != nil {
		t.Fatal(err)
	}
	apps := debianApps()
	cases := []struct {
		name, app string
		cfg       map[string]any
		env       []string
		top       []reprotar.File
		want      []string
	}{
		{"CA bundle gone", "python-tls", nil, nil, []reprotar.File{file("/etc/ssl/.wh.certs", 0, 0)}, []string{"tls/no-bundle"}},
		{"CA bundle gone, openssl run for its version", "openssl-numeric", nil, nil, []reprotar.File{file("/etc/ssl/.wh.certs", 0, 0)}, nil},
		{"CA bundle gone, openssl s_client", "openssl-numeric", map[string]any{"Entrypoint": []string{"openssl", "s_client", "-connect", "example.org:443"}}, nil,
			[]reprotar.File{file("/etc/ssl/.wh.certs", 0, 0)}, []string{"tls/no-bundle"}},
		{"HOME the config names missing", "sh-locales", nil, []string{"HOME=/srv/app"}, nil, nil},
		{"SSL_CERT_FILE missing, no certificate directory", "python-tls", nil, []string{"SSL_CERT_FILE=/etc/ssl/app.pem"},
			[]reprotar.File{file("/etc/ssl/.wh.certs", 0, 0)}, []string{"tls/missing-cert-file"}},
		{"SSL_CERT_FILE missing, the directory stands in", "python-tls", nil, []string{"SSL_CERT_FILE=/etc/ssl/app.pem"}, nil, nil},
		{"locale named in LANG missing", "python-tls", nil, []string{"LANG=xx_XX.UTF-8"}, nil, []string{"locale/missing"}},
		{"TZ zone missing", "python-tls", nil, []string{"TZ=Mars/Olympus"}, nil, []string{"tz/missing-zone"}},
		{"User missing from passwd", "python-tls", map[string]any{"User": "ghost"}, nil, nil, []string{"user/unknown-user"}},
		{"/tmp missing, Python's tempfile runs", "python-tls", nil, nil, []reprotar.File{file("/.wh.tmp", 0, 0)}, []string{"fs/no-tmp"}},
		{"/tmp missing, bash links mkstemp", "bash-entrypoint", nil, nil, []reprotar.File{file("/.wh.tmp", 0, 0)}, []string{"fs/no-tmp"}},
		{"/tmp missing, Perl's File::Temp runs", "perl-nobody", nil, nil, []reprotar.File{file("/.wh.tmp", 0, 0)}, []string{"fs/no-tmp"}},
		{"entry point not executable", "bash-entrypoint", nil, nil,
			[]reprotar.File{reg("/usr/local/bin/docker-entrypoint.sh", []byte("#!/bin/bash\nexec \"$@\"\n"), 0o644)}, []string{"fs/entrypoint-not-executable"}},
		{"nsswitch passwd names only absent sources", "python-tls", nil, nil,
			[]reprotar.File{textFile("/etc/nsswitch.conf", "passwd: nis\ngroup: files\nhosts: files dns\n")}, []string{"nss/missing-module"}},
		{"nsswitch hosts names only absent sources", "python-tls", nil, nil,
			[]reprotar.File{textFile("/etc/nsswitch.conf", "passwd: files\ngroup: files\nhosts: mdns4_minimal [NOTFOUND=return]\n")}, []string{"nss/missing-module"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			fs := consequence(t, root, apps[c.app], c.cfg, c.env, c.top)
			if got := errorKinds(fs); !reflect.DeepEqual(got, c.want) {
				for _, f := range fs {
					t.Logf("%s %s: %s", f.Severity, f.Kind, f.Message)
				}
				t.Errorf("errors %q, want %q", got, c.want)
			}
		})
	}
}

func sortedKeys[V any](m map[string]V) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
