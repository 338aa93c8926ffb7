package runtime

import (
	"reflect"
	"strings"
	"testing"
	"testing/fstest"
)

func f(s string) *fstest.MapFile   { return &fstest.MapFile{Data: []byte(s), Mode: 0o644} }
func dir() *fstest.MapFile         { return &fstest.MapFile{Mode: 0o755 | 1<<31} }
func sym(t string) *fstest.MapFile { return &fstest.MapFile{Data: []byte(t), Mode: 0o777 | 1<<27} }

// image is a small Debian-like root with one file for every rule to find.
func image() fstest.MapFS {
	return fstest.MapFS{
		"usr/bin/python3.11":                              f("ELF"),
		"usr/lib/python3.11/os.py":                        f(""),
		"usr/lib/python3.11/lib-dynload/_ssl.so":          f(""),
		"usr/lib/python3/dist-packages/x.pth":             f("# comment\nextra\nimport site\n/opt/abs\n"),
		"usr/lib/python3/dist-packages/extra/m.py":        f(""),
		"opt/abs/n.py":                                    f(""),
		"usr/local/lib/python3.11/dist-packages":          dir(),
		"app/lib/app.py":                                  f(""),
		"usr/bin/perl":                                    f("ELF"),
		"usr/share/perl5/strict.pm":                       f(""),
		"usr/lib/x86_64-linux-gnu/ld-linux-x86-64.so.2":   f("ELF"),
		"etc/ld.so.cache":                                 f(""),
		"usr/lib/x86_64-linux-gnu/libc.so.6":              f("ELF"),
		"etc/nsswitch.conf":                               f("passwd: files systemd [NOTFOUND=return] db\nhosts: files dns # mdns\n"),
		"etc/services":                                    f(""),
		"usr/lib/x86_64-linux-gnu/libnss_files.so.2":      f("ELF"),
		"usr/lib/x86_64-linux-gnu/libnss_dns.so.2":        f("ELF"),
		"usr/lib/x86_64-linux-gnu/gconv/gconv-modules":    f("alias KOI8R// KOI8-R//\nmodule KOI8-R// INTERNAL KOI8-R 1\nmodule INTERNAL KOI8-R// KOI8-R 1\nmodule EUC-JP// INTERNAL EUC-JP 1\n"),
		"usr/lib/x86_64-linux-gnu/gconv/KOI8-R.so":        f("ELF"),
		"usr/lib/x86_64-linux-gnu/gconv/EUC-JP.so":        f("ELF"),
		"usr/lib/locale/locale-archive":                   f(""),
		"usr/lib/locale/C.utf8/LC_CTYPE":                  f(""),
		"usr/share/zoneinfo/Europe/Riga":                  f("TZif"),
		"etc/localtime":                                   sym("/usr/share/zoneinfo/Europe/Riga"),
		"usr/lib/x86_64-linux-gnu/libcrypto.so.3":         f("ELF"),
		"usr/lib/ssl/openssl.cnf":                         f(""),
		"usr/lib/ssl/cert.pem":                            f(""),
		"usr/lib/ssl/certs":                               dir(),
		"usr/lib/x86_64-linux-gnu/ossl-modules/legacy.so": f("ELF"),
		"srv/bundle.pem":                                  f(""),
		"usr/lib/jvm/jdk/bin/java":                        f("ELF"),
		"usr/lib/jvm/jdk/lib/modules":                     f(""),
		"usr/lib/jvm/jdk/lib/server/libjvm.so":            f("ELF"),
		"usr/lib/jvm/jdk/conf/security/java.security":     f(""),
		"usr/lib/jvm/jdk/release":                         f(""),
		"opt/jre8/lib/rt.jar":                             f(""),
		"usr/share/nodejs/acorn/dist/acorn.js":            f(""),
	}
}

func objects() []Object {
	return []Object{
		{Path: "/usr/bin/python3.11"},
		{Path: "/usr/bin/perl", Facts: &Facts{Paths: []string{"/usr/share/perl5", "/usr/local/share/perl/5.36.0", "/usr/share/perl5/strict.pm"}}},
		{Path: "/usr/lib/x86_64-linux-gnu/ld-linux-x86-64.so.2", Soname: "ld-linux-x86-64.so.2"},
		{Path: "/usr/lib/x86_64-linux-gnu/libc.so.6", Soname: "libc.so.6"},
		{Path: "/usr/lib/x86_64-linux-gnu/libcrypto.so.3", Soname: "libcrypto.so.3", Facts: &Facts{
			OpenSSLDir: "/usr/lib/ssl", ModulesDir: "/usr/lib/x86_64-linux-gnu/ossl-modules", EnginesDir: "/usr/lib/x86_64-linux-gnu/engines-3"}},
		{Path: "/usr/lib/x86_64-linux-gnu/libnode.so.108", Soname: "libnode.so.108", Facts: &Facts{NodeBuiltins: []string{"/usr/share/nodejs/acorn/dist/acorn.js", "/usr/share/nodejs/undici/missing.js"}}},
		{Path: "/usr/lib/jvm/jdk/bin/java"},
		{Path: "/usr/lib/jvm/jdk/lib/server/libjvm.so", Soname: "libjvm.so"},
	}
}

func describe(edges []Edge) []string {
	var out []string
	for _, e := range edges {
		out = append(out, e.Rule.Name+": "+e.From+" -> "+e.To)
	}
	return out
}

// TestRules checks each rule of the table on the image above: the rule
// names what the program opens, and only what the image holds.
func TestRules(t *testing.T) {
	env := map[string]string{
		"LANG": "ru_RU.KOI8-R", "LC_MESSAGES": "C.UTF-8", "LC_TIME": "C", "TZ": ":Europe/Riga",
		"PYTHONPATH": "/app/lib:/missing", "SSL_CERT_FILE": "/srv/bundle.pem", "JAVA_HOME": "/opt/jre8",
	}
	got := describe(Edges(&Input{FS: image(), Env: env, Objects: objects()}))
	const py, libc, crypto = "/usr/bin/python3.11", "/usr/lib/x86_64-linux-gnu/libc.so.6", "/usr/lib/x86_64-linux-gnu/libcrypto.so.3"
	const jdk = "/usr/lib/jvm/jdk"
	const java, jvm = jdk + "/bin/java", jdk + "/lib/server/libjvm.so"
	want := map[string][]string{
		"python-stdlib":   {py + " -> /usr/lib/python3.11"},
		"python-site":     {py + " -> /usr/lib/python3/dist-packages", py + " -> /usr/local/lib/python3.11/dist-packages"},
		"python-pth":      {"/usr/lib/python3/dist-packages/x.pth -> /opt/abs", "/usr/lib/python3/dist-packages/x.pth -> /usr/lib/python3/dist-packages/extra"},
		"python-env":      {py + " -> /app/lib"},
		"perl-inc":        {"/usr/bin/perl -> /usr/share/perl5"},
		"ld-so-cache":     {"/usr/lib/x86_64-linux-gnu/ld-linux-x86-64.so.2 -> /etc/ld.so.cache"},
		"nss-config":      {libc + " -> /etc/nsswitch.conf", libc + " -> /etc/services"},
		"nss-modules":     {libc + " -> /usr/lib/x86_64-linux-gnu/libnss_dns.so.2", libc + " -> /usr/lib/x86_64-linux-gnu/libnss_files.so.2"},
		"gconv-modules":   {libc + " -> /usr/lib/x86_64-linux-gnu/gconv/KOI8-R.so", libc + " -> /usr/lib/x86_64-linux-gnu/gconv/gconv-modules"},
		"locale-data":     {libc + " -> /usr/lib/locale/C.utf8", libc + " -> /usr/lib/locale/locale-archive"},
		"zoneinfo":        {libc + " -> /etc/localtime", libc + " -> /usr/share/zoneinfo/Europe/Riga"},
		"openssl-config":  {crypto + " -> /usr/lib/ssl/openssl.cnf"},
		"openssl-ca":      {crypto + " -> /srv/bundle.pem", crypto + " -> /usr/lib/ssl/certs"},
		"openssl-modules": {crypto + " -> /usr/lib/x86_64-linux-gnu/ossl-modules"},
		"node-builtins":   {"/usr/lib/x86_64-linux-gnu/libnode.so.108 -> /usr/share/nodejs/acorn/dist/acorn.js"},
		"jvm-home": {
			java + " -> " + jdk + "/conf", java + " -> " + jdk + "/lib", java + " -> " + jdk + "/release", java + " -> /opt/jre8/lib",
			jvm + " -> " + jdk + "/conf", jvm + " -> " + jdk + "/lib", jvm + " -> " + jdk + "/release", jvm + " -> /opt/jre8/lib",
		},
	}
	for _, r := range Rules() {
		if r.Name == "" || r.Explain == "" || strings.Contains(r.Explain, "\n") {
			t.Errorf("rule %q: a name and a one-line explanation are required", r.Name)
		}
		var mine []string
		for _, g := range got {
			if name, rest, _ := strings.Cut(g, ": "); name == r.Name {
				mine = append(mine, rest)
			}
		}
		w, ok := want[r.Name]
		if !ok {
			t.Errorf("rule %s has no test case", r.Name)
			continue
		}
		sortStrings(mine)
		sortStrings(w)
		if !reflect.DeepEqual(mine, w) {
			t.Errorf("rule %s (%s):\n got %q\nwant %q", r.Name, r.Explain, mine, w)
		}
	}
}

// TestRulesDefaults: without Env, OpenSSL reads OPENSSLDIR's cert.pem, no
// locale or charset is in use, and no zone beyond /etc/localtime.
func TestRulesDefaults(t *testing.T) {
	got := describe(Edges(&Input{FS: image(), Env: map[string]string{}, Objects: objects()}))
	for _, g := range got {
		for _, bad := range []string{"gconv", "locale-data", "Riga\n", "python-env"} {
			if strings.Contains(g+"\n", bad) {
				t.Errorf("edge %s without an Env asking for it", g)
			}
		}
	}
	joined := strings.Join(got, "\n")
	if !strings.Contains(joined, "openssl-ca: /usr/lib/x86_64-linux-gnu/libcrypto.so.3 -> /usr/lib/ssl/cert.pem") {
		t.Errorf("no default CA bundle:\n%s", joined)
	}
}

func TestScan(t *testing.T) {
	data := []byte("\x00junk OPENSSLDIR: \"/usr/lib/ssl\"\x00ENGINESDIR: \"/e\"\x00MODULESDIR: \"/m\"\x00/usr/share/perl5\x00/usr/lib/x86_64-linux-gnu/perl-base\x00not/abs/perl\x00/usr/share/perl %s\x00")
	got := Scan(data)
	want := &Facts{OpenSSLDir: "/usr/lib/ssl", EnginesDir: "/e", ModulesDir: "/m", Paths: []string{"/usr/share/perl5", "/usr/lib/x86_64-linux-gnu/perl-base"}}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("Scan = %+v, want %+v", got, want)
	}
	node := []byte(`{"defines": ["NODE_OPENSSL_CONF_NAME=nodejs_conf", "NODE_SHARED_BUILTIN_CJS_MODULE_LEXER_LEXER_PATH=/usr/share/nodejs/cjs-module-lexer/lexer.js", ` +
		`"NODE_SHARED_BUILTIN_UNDICI_UNDICI_PATH=/usr/share/nodejs/undici/undici-fetch.js"], "node_relative_path": "lib/x86_64-linux-gnu/nodejs:share/nodejs",` +
		"\x00/usr/share/nodejs/undici/undici-fetch.js\x00")
	wantNode := &Facts{NodeRelativePath: "lib/x86_64-linux-gnu/nodejs:share/nodejs", NodeBuiltins: []string{"/usr/share/nodejs/cjs-module-lexer/lexer.js", "/usr/share/nodejs/undici/undici-fetch.js"}}
	if got := Scan(node); !reflect.DeepEqual(got, wantNode) {
		t.Errorf("Scan(libnode) = %+v, want %+v", got, wantNode)
	}
	if Scan([]byte("\x7fELF nothing here")) != nil {
		t.Error("Scan of a plain file is not nil")
	}
}

func TestNormCodeset(t *testing.T) {
	for in, want := range map[string]string{"UTF-8": "utf8", "ISO-8859-1": "iso88591", "8859-1": "iso88591", "KOI8-R": "koi8r"} {
		if got := normCodeset(in); got != want {
			t.Errorf("normCodeset(%q) = %q, want %q", in, got, want)
		}
	}
}
