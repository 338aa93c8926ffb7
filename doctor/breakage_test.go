package doctor

import (
	"context"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/whittle-dev/whittle/finding"
	"github.com/whittle-dev/whittle/internal/reprotar"
)

var now = time.Date(2026, 6, 1, 0, 0, 0, 0, time.UTC)

// baseFiles are the smallest image doctor finds nothing wrong with: a
// dynamic program, its loader and libc, /tmp, and the /etc files glibc
// reads.
func baseFiles(appImports ...string) []reprotar.File {
	return []reprotar.File{
		library(interp, "ld-linux-x86-64.so.2", nil),
		library("/lib/libc.so.6", "libc.so.6", nil),
		program("/bin/app", []string{"libc.so.6"}, appImports...),
		dir("/tmp", 0o1777),
		textFile("/etc/hosts", "127.0.0.1 localhost\n"),
		textFile("/etc/services", "http 80/tcp\n"),
		textFile("/etc/protocols", "tcp 6 TCP\n"),
		textFile("/etc/passwd", "root:x:0:0:root:/root:/bin/sh\napp:x:1000:1000::/home/app:/bin/sh\n"),
		textFile("/etc/group", "root:x:0:\napp:x:1000:\n"),
		dir("/root", 0o700),
		dir("/home/app", 0o755),
	}
}

// without drops the files at the given paths.
func without(files []reprotar.File, paths ...string) []reprotar.File {
	var out []reprotar.File
	for _, f := range files {
		keep := true
		for _, p := range paths {
			if f.Path == p {
				keep = false
			}
		}
		if keep {
			out = append(out, f)
		}
	}
	return out
}

// TestBreakageRules checks each breakage rule on the smallest image that
// triggers it, and on one just like it that must not.
func TestBreakageRules(t *testing.T) {
	valid, expired := pemCert(t, now.AddDate(5, 0, 0)), pemCert(t, now.AddDate(-1, 0, 0))
	tlsApp := func(opensslDir string, extra ...reprotar.File) []reprotar.File {
		files := without(baseFiles(), "/bin/app")
		files = append(files, program("/bin/app", []string{"libcrypto.so.3", "libc.so.6"}),
			library("/lib/libcrypto.so.3", "libcrypto.so.3", []string{"libc.so.6"}, `OPENSSLDIR: "`+opensslDir+`"`))
		return append(files, extra...)
	}
	cases := []struct {
		name  string
		files []reprotar.File
		cfg   map[string]any
		extra map[string]any // top-level config keys
		want  []string
	}{
		{name: "base", files: baseFiles()},
		{name: "tls/no-bundle", files: tlsApp("/usr/lib/ssl"), want: []string{"tls/no-bundle"}},
		{name: "tls ok: OPENSSLDIR/cert.pem", files: tlsApp("/usr/lib/ssl", textFile("/usr/lib/ssl/cert.pem", valid))},
		{name: "tls ok: OPENSSLDIR/certs", files: tlsApp("/usr/lib/ssl", textFile("/usr/lib/ssl/certs/1a2b3c4d.0", valid))},
		{name: "tls/bundle-env-unset", files: tlsApp("/opt/ssl", textFile("/etc/ssl/certs/ca-certificates.crt", valid)),
			want: []string{"tls/bundle-env-unset"}},
		{name: "tls ok: SSL_CERT_FILE set", files: tlsApp("/opt/ssl", textFile("/etc/ssl/certs/ca-certificates.crt", valid)),
			cfg: map[string]any{"Env": []string{"SSL_CERT_FILE=/etc/ssl/certs/ca-certificates.crt"}}},
		{name: "tls/empty-bundle", files: tlsApp("/usr/lib/ssl", textFile("/usr/lib/ssl/cert.pem", "# nothing here\n")), want: []string{"tls/empty-bundle"}},
		{name: "tls/expired-bundle", files: tlsApp("/usr/lib/ssl", textFile("/usr/lib/ssl/cert.pem", expired)), want: []string{"tls/expired-bundle"}},
		{name: "tls ok: one valid among expired", files: tlsApp("/usr/lib/ssl", textFile("/usr/lib/ssl/cert.pem", expired+valid))},
		{name: "locale/missing", files: baseFiles(), cfg: map[string]any{"Env": []string{"LANG=de_DE.UTF-8"}}, want: []string{"locale/missing"}},
		{name: "locale ok: C.UTF-8", files: baseFiles(), cfg: map[string]any{"Env": []string{"LANG=C.UTF-8", "LC_ALL=POSIX"}}},
		{name: "locale ok: LOCPATH", files: append(baseFiles(), textFile("/opt/locales/de_DE.UTF-8/LC_CTYPE", "ctype")),
			cfg: map[string]any{"Env": []string{"LANG=de_DE.UTF-8", "LOCPATH=/opt/locales"}}},
		{name: "locale/missing: LOCPATH without it", files: append(baseFiles(), textFile("/opt/locales/fr_FR.UTF-8/LC_CTYPE", "ctype")),
			cfg: map[string]any{"Env": []string{"LANG=de_DE.UTF-8", "LOCPATH=/opt/locales"}}, want: []string{"locale/missing"}},
		{name: "tz/missing-zone", files: baseFiles(), cfg: map[string]any{"Env": []string{"TZ=Europe/Nowhere"}}, want: []string{"tz/missing-zone"}},
		{name: "tz ok: zone present", files: append(baseFiles(), textFile("/usr/share/zoneinfo/Europe/Riga", "TZif2")),
			cfg: map[string]any{"Env": []string{"TZ=Europe/Riga"}}},
		{name: "tz ok: POSIX rule", files: baseFiles(), cfg: map[string]any{"Env": []string{"TZ=EST5EDT,M3.2.0,M11.1.0"}}},
		{name: "tz/missing-localtime", files: append(baseFiles(), link("/etc/localtime", "/usr/share/zoneinfo/Europe/Nowhere")),
			want: []string{"tz/missing-localtime"}},
		{name: "tz ok: localtime", files: append(baseFiles(), link("/etc/localtime", "/usr/share/zoneinfo/UTC"), textFile("/usr/share/zoneinfo/UTC", "TZif2"))},
		{name: "tz/zoneinfo-loop", files: append(baseFiles(), textFile("/usr/share/zoneinfo/UTC", "TZif2"), link("/usr/share/zoneinfo/posix", ".")),
			want: []string{"tz/zoneinfo-loop"}},
		{name: "tz ok: link to a sibling", files: append(baseFiles(), textFile("/usr/share/zoneinfo/Etc/UTC", "TZif2"), link("/usr/share/zoneinfo/posix", "Etc"))},
		{name: "nss/no-services", files: without(baseFiles("getservbyname"), "/etc/services"), want: []string{"nss/no-services"}},
		{name: "nss ok: services unused", files: without(baseFiles(), "/etc/services")},
		{name: "nss/no-protocols", files: without(baseFiles("getprotobyname"), "/etc/protocols"), want: []string{"nss/no-protocols"}},
		{name: "nss ok: protocols present", files: baseFiles("getprotobyname")},
		{name: "nss/no-hosts", files: without(baseFiles(), "/etc/hosts"), want: []string{"nss/no-hosts"}},
		{name: "nss/missing-module", files: append(baseFiles(), textFile("/etc/nsswitch.conf", "passwd: files systemd\nhosts: files [NOTFOUND=return] dns\n")),
			want: []string{"nss/missing-module"}},
		{name: "nss ok: module present", files: append(baseFiles(), textFile("/etc/nsswitch.conf", "passwd: files systemd\n"),
			library("/lib/libnss_systemd.so.2", "libnss_systemd.so.2", nil))},
		{name: "user/unknown-user", files: baseFiles(), cfg: map[string]any{"User": "web"}, want: []string{"user/unknown-user"}},
		{name: "user ok", files: baseFiles(), cfg: map[string]any{"User": "app:app"}},
		{name: "user ok: numeric", files: baseFiles(), cfg: map[string]any{"User": "4242:4242"}},
		{name: "user/unknown-group", files: baseFiles(), cfg: map[string]any{"User": "app:web"}, want: []string{"user/unknown-group"}},
		{name: "user/no-home", files: without(baseFiles(), "/home/app"), cfg: map[string]any{"User": "app"}, want: []string{"user/no-home"}},
		{name: "fs/no-tmp", files: without(baseFiles(), "/tmp"), want: []string{"fs/no-tmp"}},
		{name: "fs/tmp-mode", files: append(without(baseFiles(), "/tmp"), dir("/tmp", 0o755)), want: []string{"fs/tmp-mode"}},
		{name: "fs/entrypoint-not-executable", files: append(without(baseFiles(), "/bin/app"), reg("/bin/app", []byte("#!/bin/app2\n"), 0o644), program("/bin/app2", []string{"libc.so.6"})),
			want: []string{"fs/entrypoint-not-executable"}},
		{name: "closure/missing-library", files: append(without(baseFiles(), "/bin/app"), program("/bin/app", []string{"libfoo.so.1", "libc.so.6"})),
			want: []string{"closure/missing-library"}},
		{name: "config/unknown-key", files: baseFiles(), extra: map[string]any{"Environment": []string{"TZ=UTC"}}, want: []string{"config/unknown-key"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			cfg := map[string]any{"Entrypoint": []string{"/bin/app"}}
			for k, v := range c.cfg {
				cfg[k] = v
			}
			tb, err := reprotar.Bytes(c.files)
			if err != nil {
				t.Fatal(err)
			}
			var extra map[string]any
			if c.extra != nil {
				cfg2 := map[string]any{}
				for k, v := range cfg {
					cfg2[k] = v
				}
				for k, v := range c.extra {
					cfg2[k] = v
				}
				cfg = cfg2
			}
			im, ix := rawImage(t, cfg, extra, [][]byte{tb}, []string{diffID(tb)})
			cl := build(t, im, ix)
			fs, err := Breakage(context.Background(), im, ix, cl, Options{Now: now})
			if err != nil {
				t.Fatal(err)
			}
			if got := kinds(fs); !reflect.DeepEqual(got, c.want) {
				for _, f := range fs {
					t.Logf("%s %s: %s", f.Severity, f.Kind, f.Message)
				}
				t.Fatalf("kinds %q, want %q", got, c.want)
			}
			for _, f := range fs {
				if f.Fix == "" || f.Message == "" {
					t.Errorf("%s has no message or fix: %+v", f.Kind, f)
				}
				if err := FixNamesChange(f); err != nil {
					t.Error(err)
				}
			}
			// --ignore drops each by its id and by its family.
			for _, k := range c.want {
				left, _ := Breakage(context.Background(), im, ix, cl, Options{Now: now, Ignore: []string{k}})
				left2, _ := Breakage(context.Background(), im, ix, cl, Options{Now: now, Ignore: []string{strings.Split(k, "/")[0]}})
				if len(byKind(left, k)) != 0 || len(byKind(left2, k)) != 0 {
					t.Errorf("--ignore %s left it in", k)
				}
			}
		})
	}
}

// TestTmpModeSays: a /tmp others cannot write makes temporary files fail
// (the severity of what creates them); a 0777 /tmp lacks only the sticky
// bit, which fails nothing: a note that says so.
func TestTmpModeSays(t *testing.T) {
	for _, c := range []struct {
		mode     int64
		severity finding.Severity
		says     string
	}{
		{0o755, finding.Warning, "users other than its owner cannot create files there"},
		{0o777, finding.Info, "without the sticky bit any user may delete or rename another user's files there"},
	} {
		im, ix := layered(t, nil, append(without(baseFiles(), "/tmp"), dir("/tmp", c.mode)))
		fs, err := Breakage(context.Background(), im, ix, build(t, im, ix), Options{Now: now})
		if err != nil {
			t.Fatal(err)
		}
		got := byKind(fs, "fs/tmp-mode")
		if len(got) != 1 || got[0].Severity != c.severity || !strings.Contains(got[0].Message, c.says) {
			t.Errorf("mode %04o: %+v, want one %s saying %q", c.mode, got, c.severity, c.says)
		}
	}
}
