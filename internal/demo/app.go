package demo

import "fmt"

// appConfig is the application's configuration as its store path ships
// it; the cleanup layer overwrites it with appConfigOverride.
const appConfig = `# hello-web configuration: the defaults shipped with the package.
[server]
listen = "0.0.0.0:8080"
workers = 2

[locale]
lang = "en_US.UTF-8"
timezone = "UTC"

[upstream]
url = "https://api.example.com/v1"
verify_tls = true
`

// appConfigOverride is the configuration the cleanup layer writes over
// appConfig.
const appConfigOverride = `# hello-web configuration for the Riga office.
[server]
listen = "0.0.0.0:8080"
workers = 4

[locale]
lang = "lv_LV.UTF-8"
timezone = "Europe/Riga"

[upstream]
url = "https://api.example.com/v1"
verify_tls = true
`

// appFiles are the application's Python package and data, with sizes.
var appFiles = []struct {
	rel  string
	size int
}{
	{"lib/python3.12/site-packages/hello_web/__init__.py", 412},
	{"lib/python3.12/site-packages/hello_web/app.py", 18_733},
	{"lib/python3.12/site-packages/hello_web/config.py", 6_120},
	{"lib/python3.12/site-packages/hello_web/tz.py", 3_877},
	{"lib/python3.12/site-packages/hello_web/upstream.py", 9_402},
	{"lib/python3.12/site-packages/hello_web/templates/index.html", 4_210},
	{"lib/python3.12/site-packages/hello_web/templates/error.html", 1_388},
	{"lib/python3.12/site-packages/hello_web/static/app.css", 12_544},
	{"lib/python3.12/site-packages/hello_web/static/app.js", 48_610},
}

// app writes the application's store path: its entry point, package,
// configuration and documentation. The entry point names the runtime and
// the locale archive; share/hello-web/zoneinfo is a link into tzdata.
func app(t *tree, s store) {
	a := s.path("app")
	st := t.in(a)
	site := a + "/lib/python3.12/site-packages"
	st.exe("bin/hello-web", []byte(fmt.Sprintf(`#!%s/bin/python3.12
# -*- coding: utf-8 -*-
import os
import sys

sys.path.insert(0, %q)
os.environ.setdefault("LOCALE_ARCHIVE", %q)
os.environ.setdefault("HELLO_WEB_CONFIG", %q)

from hello_web.app import main

if __name__ == "__main__":
    sys.exit(main())
`, s.path("python3"), site, s.path("glibc-locales")+"/lib/locale/locale-archive", a+"/share/hello-web/config.toml")))
	for _, f := range appFiles {
		if f.rel[len(f.rel)-3:] == ".py" {
			st.file(f.rel, pythonSource(a+"/"+f.rel, f.size))
		} else {
			st.file(f.rel, prose(a+"/"+f.rel, "", f.size))
		}
	}
	st.file("lib/python3.12/site-packages/hello_web/static/logo.png",
		padTo([]byte("\x89PNG\r\n\x1a\n"), 24_876, func(n int) []byte { return randomBytes(a+"/logo.png", n) }))
	dist := "lib/python3.12/site-packages/hello_web-1.4.2.dist-info/"
	st.file(dist+"METADATA", []byte("Metadata-Version: 2.1\nName: hello-web\nVersion: 1.4.2\nSummary: Says hello, in the right time zone\nRequires-Python: >=3.11\n"))
	st.file(dist+"WHEEL", []byte("Wheel-Version: 1.0\nGenerator: setuptools (69.5.1)\nRoot-Is-Purelib: true\nTag: py3-none-any\n\n"))
	st.file(dist+"top_level.txt", []byte("hello_web\n"))
	st.file(dist+"entry_points.txt", []byte("[console_scripts]\nhello-web = hello_web.app:main\n"))
	st.file(dist+"RECORD", prose(a+"/"+dist+"RECORD", "", 1_906))
	st.file("share/hello-web/config.toml", []byte(appConfig))
	st.link("share/hello-web/zoneinfo", s.path("tzdata")+"/share/zoneinfo")
	st.file("share/doc/hello-web/README.md", prose(a+"/share/doc/hello-web/README.md", "", 7_342))
	st.file("share/doc/hello-web/CHANGELOG.md", prose(a+"/share/doc/hello-web/CHANGELOG.md", "", 15_890))
}
