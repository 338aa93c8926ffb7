package runtime

import (
	"path"
	"regexp"
	"strings"
)

// table is the rule table. A rule is data: a name, an explanation, the
// objects it applies to and the paths they open. Ruby, Node and Java slot
// in the same way.
var table = []*Rule{
	{
		Name: "python-stdlib", Explain: "interpreter standard library",
		match: isPython,
		targets: func(in *Input, o Object) []target {
			pre, ver := pythonPrefix(o.Path)
			return to(pre+"/lib/python"+ver, pre+"/lib64/python"+ver)
		},
	},
	{
		Name: "python-site", Explain: "site directory the interpreter puts on sys.path",
		match: isPython,
		targets: func(in *Input, o Object) []target {
			return to(pythonSiteDirs(o.Path)...)
		},
	},
	{
		Name: "python-pth", Explain: "a .pth file of a site directory adds it to sys.path",
		match: isPython,
		targets: func(in *Input, o Object) []target {
			pre, ver := pythonPrefix(o.Path)
			dirs := append(pythonSiteDirs(o.Path), pre+"/lib/python"+ver+"/site-packages")
			var out []target
			for _, d := range dirs {
				for _, name := range readDir(in.FS, d) {
					if !strings.HasSuffix(name, ".pth") {
						continue
					}
					pth := d + "/" + name
					for _, line := range strings.Split(readConfig(in.FS, pth), "\n") {
						line = strings.TrimSpace(line)
						if line == "" || strings.HasPrefix(line, "#") || strings.HasPrefix(line, "import ") || strings.HasPrefix(line, "import\t") {
							continue
						}
						if !strings.HasPrefix(line, "/") {
							line = d + "/" + line
						}
						out = append(out, target{from: pth, to: line})
					}
				}
			}
			return out
		},
	},
	{
		Name: "python-env", Explain: "named by PYTHONPATH or PYTHONHOME in the config's Env",
		match: isPython,
		targets: func(in *Input, o Object) []target {
			_, ver := pythonPrefix(o.Path)
			var out []target
			for _, p := range strings.Split(in.Env["PYTHONPATH"], ":") {
				out = append(out, to(p)...)
			}
			for _, h := range strings.Split(in.Env["PYTHONHOME"], ":") {
				if h != "" {
					out = append(out, to(h+"/lib/python"+ver)...)
				}
			}
			return out
		},
	},
	{
		Name: "perl-inc", Explain: "perl @INC directory compiled into the interpreter",
		match: func(o Object) bool {
			b := path.Base(o.Path)
			return o.Facts != nil && (perlName.MatchString(b) || strings.HasPrefix(b, "libperl.so"))
		},
		targets: func(in *Input, o Object) []target {
			var out []target
			for _, p := range o.Facts.Paths {
				if isDir(in.FS, p) {
					out = append(out, to(p)...)
				}
			}
			return out
		},
	},
	{
		Name: "ld-so-cache", Explain: "the loader's cache of library locations", EtcOutput: true,
		match: func(o Object) bool {
			return strings.HasPrefix(path.Base(o.Path), "ld-linux") || strings.HasPrefix(o.Soname, "ld-linux")
		},
		targets: func(in *Input, o Object) []target {
			return to("/etc/ld.so.cache", "/etc/ld.so.preload")
		},
	},
	{
		Name: "nss-config", Explain: "name-service switch configuration and the files nss_files reads", EtcOutput: true,
		match: isGlibc,
		targets: func(in *Input, o Object) []target {
			var out []target
			for _, f := range []string{"nsswitch.conf", "passwd", "group", "hosts", "services", "protocols", "networks", "ethers", "rpc", "host.conf", "resolv.conf", "gai.conf"} {
				out = append(out, to("/etc/"+f)...)
			}
			return out
		},
	},
	{
		Name: "nss-modules", Explain: "NSS module named by /etc/nsswitch.conf",
		match: isGlibc,
		targets: func(in *Input, o Object) []target {
			var out []target
			for _, s := range NSSSources(readConfig(in.FS, "/etc/nsswitch.conf")) {
				out = append(out, to(path.Dir(o.Path)+"/libnss_"+s+".so.2")...)
			}
			return out
		},
	},
	{
		Name: "gconv-modules", Explain: "iconv module for the charset of a locale in use",
		match: isGlibc,
		targets: func(in *Input, o Object) []target {
			dir := path.Dir(o.Path) + "/gconv"
			var files []string
			for _, cs := range charsetsInUse(in.Env) {
				files = append(files, gconvFiles(in.FS, dir, cs)...)
			}
			if len(files) == 0 {
				return nil
			}
			out := to(dir+"/gconv-modules", dir+"/gconv-modules.cache", dir+"/gconv-modules.d")
			for _, f := range files {
				out = append(out, to(dir+"/"+f)...)
			}
			return out
		},
	},
	{
		Name: "locale-data", Explain: "locale data for LANG/LC_* of the config's Env",
		match: isGlibc,
		targets: func(in *Input, o Object) []target {
			locales := localesInUse(in.Env)
			if len(locales) == 0 {
				return nil
			}
			prefix := glibcPrefix(o.Path)
			dirs := []string{"/usr/lib/locale"}
			if prefix != "/usr" {
				dirs = append(dirs, prefix+"/lib/locale")
			}
			out := to("/usr/share/locale/locale.alias", prefix+"/share/locale/locale.alias")
			if a := in.Env["LOCALE_ARCHIVE"]; a != "" {
				out = append(out, to(a)...)
			}
			for _, d := range dirs {
				out = append(out, to(d+"/locale-archive")...)
				for _, l := range locales {
					for _, name := range localeDirNames(l) {
						out = append(out, to(d+"/"+name)...)
					}
				}
			}
			return out
		},
	},
	{
		Name: "zoneinfo", Explain: "time zone data for TZ and /etc/localtime", EtcOutput: true,
		match: isGlibc,
		targets: func(in *Input, o Object) []target {
			out := to("/etc/localtime", "/etc/timezone")
			tz := strings.TrimPrefix(in.Env["TZ"], ":")
			if tz == "" {
				return out
			}
			if strings.HasPrefix(tz, "/") {
				return append(out, to(tz)...)
			}
			dirs := []string{"/usr/share/zoneinfo", glibcPrefix(o.Path) + "/share/zoneinfo"}
			if d := in.Env["TZDIR"]; d != "" {
				dirs = []string{d}
			}
			for _, d := range dirs {
				out = append(out, to(d+"/"+tz)...)
			}
			return out
		},
	},
	{
		Name: "openssl-config", Explain: "OpenSSL configuration (OPENSSLDIR from libcrypto's bytes, or OPENSSL_CONF)",
		match: isLibcrypto,
		targets: func(in *Input, o Object) []target {
			if c := in.Env["OPENSSL_CONF"]; c != "" {
				return to(c)
			}
			return to(o.Facts.OpenSSLDir + "/openssl.cnf")
		},
	},
	{
		Name: "openssl-ca", Explain: "CA certificates OpenSSL verifies against (SSL_CERT_FILE/SSL_CERT_DIR, else OPENSSLDIR's cert.pem and certs)", EtcOutput: true,
		match: isLibcrypto,
		targets: func(in *Input, o Object) []target {
			file, dir := in.Env["SSL_CERT_FILE"], in.Env["SSL_CERT_DIR"]
			if file == "" && o.Facts.OpenSSLDir != "" {
				file = o.Facts.OpenSSLDir + "/cert.pem"
			}
			out := to(file)
			if dir == "" && o.Facts.OpenSSLDir != "" {
				dir = o.Facts.OpenSSLDir + "/certs"
			}
			for _, d := range strings.Split(dir, ":") {
				out = append(out, to(d)...)
			}
			return out
		},
	},
	{
		Name: "openssl-modules", Explain: "OpenSSL providers and engines it may load (MODULESDIR, ENGINESDIR)",
		match: isLibcrypto,
		targets: func(in *Input, o Object) []target {
			mod, eng := o.Facts.ModulesDir, o.Facts.EnginesDir
			if v := in.Env["OPENSSL_MODULES"]; v != "" {
				mod = v
			}
			if v := in.Env["OPENSSL_ENGINES"]; v != "" {
				eng = v
			}
			return to(mod, eng)
		},
	},
}

var (
	pythonName = regexp.MustCompile(`^(?:lib)?python(\d+\.\d+)`)
	perlName   = regexp.MustCompile(`^perl(\d+\.\d+\.\d+)?$`)
)

func isPython(o Object) bool {
	b := path.Base(o.Path)
	m := pythonName.FindStringSubmatch(b)
	return m != nil && (b == "python"+m[1] || b == "python"+m[1]+"m" || strings.HasPrefix(b, "libpython"+m[1]+".so") || strings.HasPrefix(b, "libpython"+m[1]+"m.so"))
}

// pythonPrefix returns the installation prefix of a python executable or
// libpython (the directory above its bin or lib, multiarch directory
// skipped) and its version.
func pythonPrefix(p string) (prefix, version string) {
	version = pythonName.FindStringSubmatch(path.Base(p))[1]
	return installPrefix(p), version
}

// installPrefix is the directory above the bin, lib or lib64 directory
// that holds p (a multiarch directory below lib skipped).
func installPrefix(p string) string {
	d := path.Dir(p)
	if strings.Contains(path.Base(d), "-linux-") {
		d = path.Dir(d)
	}
	pre := path.Dir(d)
	if pre == "/" {
		return ""
	}
	return pre
}

// PythonInstall returns, for the real path of a python executable or
// libpython, its installation prefix, its version ("3.11") and the site
// directories site.py puts on sys.path; ok is false for anything else.
func PythonInstall(p string) (prefix, version string, site []string, ok bool) {
	if !isPython(Object{Path: p}) {
		return "", "", nil, false
	}
	prefix, version = pythonPrefix(p)
	return prefix, version, pythonSiteDirs(p), true
}

// pythonSiteDirs are the site directories site.py adds for the
// interpreter: the prefix's site-packages, Debian's dist-packages, and
// /usr/local's when the prefix is /usr.
func pythonSiteDirs(p string) []string {
	pre, ver := pythonPrefix(p)
	major, _, _ := strings.Cut(ver, ".")
	dirs := []string{
		pre + "/lib/python" + ver + "/site-packages", pre + "/lib64/python" + ver + "/site-packages",
		pre + "/lib/python" + major + "/dist-packages", pre + "/lib/python" + ver + "/dist-packages",
	}
	if pre == "/usr" {
		dirs = append(dirs, "/usr/local/lib/python"+ver+"/dist-packages", "/usr/local/lib/python"+ver+"/site-packages")
	}
	return dirs
}

// isGlibc picks glibc's libc: soname libc.so.6.
func isGlibc(o Object) bool { return o.Soname == "libc.so.6" }

func isLibcrypto(o Object) bool {
	return strings.HasPrefix(o.Soname, "libcrypto.so") && o.Facts != nil && (o.Facts.OpenSSLDir != "" || o.Facts.ModulesDir != "")
}

// glibcPrefix is the prefix of a libc: /usr for /usr/lib/x86_64-linux-gnu
// and /lib, the store path for a Nix glibc.
func glibcPrefix(libc string) string {
	pre := installPrefix(libc)
	if pre == "" {
		return "/usr"
	}
	return pre
}

// NSSSources returns the service names of an nsswitch.conf, each once, in
// order of appearance ("files", "dns", …); actions in brackets are left
// out.
func NSSSources(conf string) []string {
	var out []string
	seen := map[string]bool{}
	for _, line := range strings.Split(conf, "\n") {
		if i := strings.IndexByte(line, '#'); i >= 0 {
			line = line[:i]
		}
		_, rest, ok := strings.Cut(line, ":")
		if !ok {
			continue
		}
		inAction := false
		for _, w := range strings.Fields(rest) {
			switch {
			case strings.HasPrefix(w, "["):
				inAction = !strings.HasSuffix(w, "]")
				continue
			case inAction:
				inAction = !strings.HasSuffix(w, "]")
				continue
			}
			if !seen[w] {
				seen[w] = true
				out = append(out, w)
			}
		}
	}
	return out
}

// localesInUse are the locale names the Env selects (LC_ALL, LC_*,
// LANG), each once, C and POSIX left out.
func localesInUse(env map[string]string) []string {
	var keys []string
	for k := range env {
		if k == "LANG" || k == "LC_ALL" || strings.HasPrefix(k, "LC_") {
			keys = append(keys, k)
		}
	}
	sortStrings(keys)
	var out []string
	seen := map[string]bool{}
	for _, k := range keys {
		v := env[k]
		if v == "" || v == "C" || v == "POSIX" || seen[v] {
			continue
		}
		seen[v] = true
		out = append(out, v)
	}
	return out
}

// localeDirNames are the directory names glibc tries for a locale:
// as written, and with its codeset normalised ("en_US.UTF-8" →
// "en_US.utf8").
func localeDirNames(l string) []string {
	base, mod, _ := strings.Cut(l, "@")
	lang, cs, hasCS := strings.Cut(base, ".")
	names := []string{l}
	if hasCS {
		n := lang + "." + normCodeset(cs)
		if mod != "" {
			n += "@" + mod
		}
		names = append(names, n)
	}
	return names
}

// normCodeset is glibc's _nl_normalize_codeset: alphanumerics only,
// lower case, "iso" before an all-digit name.
func normCodeset(cs string) string {
	var b strings.Builder
	digits := true
	for _, c := range cs {
		switch {
		case c >= 'A' && c <= 'Z':
			b.WriteRune(c + 'a' - 'A')
			digits = false
		case c >= 'a' && c <= 'z':
			b.WriteRune(c)
			digits = false
		case c >= '0' && c <= '9':
			b.WriteRune(c)
		}
	}
	if digits {
		return "iso" + b.String()
	}
	return b.String()
}

// charsetsInUse are the codesets of the locales in use that glibc does
// not convert by itself (UTF-8, ASCII and ISO-8859-1 are built in).
func charsetsInUse(env map[string]string) []string {
	var out []string
	for _, l := range localesInUse(env) {
		base, _, _ := strings.Cut(l, "@")
		_, cs, ok := strings.Cut(base, ".")
		if !ok {
			continue
		}
		switch normCodeset(cs) {
		case "utf8", "ascii", "ansix341968", "iso88591":
			continue
		}
		out = append(out, cs)
	}
	return out
}

func sortStrings(s []string) {
	for i := 1; i < len(s); i++ {
		for j := i; j > 0 && s[j] < s[j-1]; j-- {
			s[j], s[j-1] = s[j-1], s[j]
		}
	}
}
