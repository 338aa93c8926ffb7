package testfix

import (
	"archive/tar"
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"time"
)

// App is one real application image of the fixture set: the shared Debian
// base root (AppsRootfsTar) as its first layer, one small layer of its own
// (what a Dockerfile's COPY and RUN lines would add) and an image config as
// a Dockerfile would set it.
type App struct {
	// Name is the image's name: its archive is <Name>.tar.
	Name string
	// Doc says in a line what the app is and what it exercises.
	Doc string
	// Config is the image config's "config" object.
	Config AppConfig
	// Probe is set for a server: the smoke test fetches its pages.
	Probe *Probe
	// Want is a line the smoke output of a working image contains.
	Want string
	// files stages the app layer into dir (the layer's root); base is the
	// extracted base root, to read files a layer edits.
	files func(dir, base string) error
	// sources is what the app layer is made of, hashed into the fixture
	// key so a change rebuilds it.
	sources []string
	// owners sets the owner of staged paths (the layer's path, uid:gid).
	owners map[string][2]int
}

// AppConfig is the part of an image config a Dockerfile sets.
type AppConfig struct {
	Entrypoint []string          `json:"Entrypoint,omitempty"`
	Cmd        []string          `json:"Cmd,omitempty"`
	Env        []string          `json:"Env,omitempty"`
	User       string            `json:"User,omitempty"`
	WorkingDir string            `json:"WorkingDir,omitempty"`
	StopSignal string            `json:"StopSignal,omitempty"`
	Exposed    map[string]any    `json:"ExposedPorts,omitempty"`
	Labels     map[string]string `json:"Labels,omitempty"`
}

// Probe is how a server app is smoke-tested: once it accepts connections
// on 127.0.0.1:Port, each of Paths is fetched over HTTP.
type Probe struct {
	Port  int
	Paths []string
}

// defaultPath is the PATH Docker's debian images set.
const defaultPath = "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

// appsVersion changes when the way the images are made changes.
const appsVersion = "apps-v1"

// AppImages are the applications, in a fixed order.
var AppImages = []*App{nginxApp, expressApp, flaskApp, perlApp, goApp, entrypointApp, javaApp, cApp}

// AppByName returns the app of that name, or nil.
func AppByName(name string) *App {
	for _, a := range AppImages {
		if a.Name == name {
			return a
		}
	}
	return nil
}

// AppArchives builds every app image once per fixture directory and
// returns the directory holding <name>.tar for each (docker save
// archives: the base root stored uncompressed, the app layer gzip).
func AppArchives(t T) string {
	t.Helper()
	NeedTool(t, "mmdebstrap", "bwrap", "go", "gcc", "javac", "jar", "npm")
	rootfs := AppsRootfsTar(t)
	base := ExtractedRootfs(t, rootfs)
	h := sha256.New()
	fmt.Fprintln(h, appsVersion, rootfs)
	for _, a := range AppImages {
		cfg, _ := json.Marshal(a.Config)
		fmt.Fprintln(h, a.Name, string(cfg), strings.Join(a.sources, "\x00"))
	}
	key := "apps:" + hex.EncodeToString(h.Sum(nil))
	return Build(t, key, func(dir string) error {
		for _, a := range AppImages {
			if err := a.build(dir, rootfs, base); err != nil {
				return fmt.Errorf("building app %s: %w", a.Name, err)
			}
		}
		return nil
	})
}

// AppArchive returns the docker archive of the named app.
func AppArchive(t T, name string) string {
	t.Helper()
	if AppByName(name) == nil {
		t.Fatalf("no app %q", name)
	}
	return filepath.Join(AppArchives(t), name+".tar")
}

func (a *App) build(dir, rootfs, base string) error {
	stage := filepath.Join(dir, a.Name+".stage")
	if err := os.MkdirAll(stage, 0o755); err != nil {
		return err
	}
	defer os.RemoveAll(stage)
	if err := a.files(stage, base); err != nil {
		return err
	}
	layer := filepath.Join(dir, a.Name+".layer.tar")
	if err := tarTree(stage, layer, a.owners); err != nil {
		return fmt.Errorf("writing the app layer: %w", err)
	}
	defer os.Remove(layer)
	return WriteDockerArchiveConfig(filepath.Join(dir, a.Name+".tar"), "whittle.test/apps/"+a.Name+":latest", []ArchiveLayer{
		{Tar: rootfs, CreatedBy: "mmdebstrap --variant=minbase --include=" + strings.Join(AppsPackages, ",") + " bookworm"},
		{Tar: layer, Gzip: true, CreatedBy: "COPY app / # " + a.Doc},
	}, a.Config)
}

// tarTree writes dir as an uncompressed layer tar: sorted names with a
// "./" prefix, fixed times, uid/gid 0 unless owners names the path. An
// empty regular file named .wh.NAME is written as the whiteout it is.
func tarTree(dir, out string, owners map[string][2]int) error {
	var paths []string
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if p != dir {
			paths = append(paths, p)
		}
		return nil
	})
	if err != nil {
		return err
	}
	sort.Strings(paths)
	f, err := os.Create(out)
	if err != nil {
		return err
	}
	defer f.Close()
	tw := tar.NewWriter(f)
	for _, p := range paths {
		rel, _ := filepath.Rel(dir, p)
		fi, err := os.Lstat(p)
		if err != nil {
			return err
		}
		link := ""
		if fi.Mode()&fs.ModeSymlink != 0 {
			if link, err = os.Readlink(p); err != nil {
				return err
			}
		}
		hdr, err := tar.FileInfoHeader(fi, link)
		if err != nil {
			return err
		}
		hdr.Name = "./" + filepath.ToSlash(rel)
		if fi.IsDir() {
			hdr.Name += "/"
		}
		hdr.Uid, hdr.Gid, hdr.Uname, hdr.Gname = 0, 0, "", ""
		if o, ok := owners["/"+filepath.ToSlash(rel)]; ok {
			hdr.Uid, hdr.Gid = o[0], o[1]
		}
		hdr.ModTime = timeZero
		hdr.Format = tar.FormatPAX
		hdr.AccessTime, hdr.ChangeTime = timeZero, timeZero
		if err := tw.WriteHeader(hdr); err != nil {
			return err
		}
		if fi.Mode().IsRegular() {
			b, err := os.ReadFile(p)
			if err != nil {
				return err
			}
			if _, err := tw.Write(b); err != nil {
				return err
			}
		}
	}
	return tw.Close()
}

// writeFiles writes files under dir: path inside the layer → content; a
// path ending in "/" is a directory (mode 0755); a file's mode may follow
// a "|" in the key, such as "/usr/local/bin/x|0755" (default 0644).
func writeFiles(dir string, files map[string]string) error {
	for k, content := range files {
		name, modeText, _ := strings.Cut(k, "|")
		mode := os.FileMode(0o644)
		if modeText != "" {
			var m uint32
			if _, err := fmt.Sscanf(modeText, "%o", &m); err != nil {
				return fmt.Errorf("mode of %s: %w", name, err)
			}
			mode = os.FileMode(m)
		}
		p := filepath.Join(dir, name)
		if strings.HasSuffix(name, "/") {
			if err := os.MkdirAll(p, 0o755); err != nil {
				return err
			}
			continue
		}
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			return err
		}
		if err := os.WriteFile(p, []byte(content), mode); err != nil {
			return err
		}
		if err := os.Chmod(p, mode); err != nil {
			return err
		}
	}
	return nil
}

// addUser writes the base root's passwd, group and shadow with one more
// user and group appended, as `useradd` in a Dockerfile would.
func addUser(dir, base, name string, uid int, home string) error {
	for _, f := range []struct{ file, line string }{
		{"etc/passwd", fmt.Sprintf("%s:x:%d:%d::%s:/usr/sbin/nologin\n", name, uid, uid, home)},
		{"etc/group", fmt.Sprintf("%s:x:%d:\n", name, uid)},
		{"etc/shadow", fmt.Sprintf("%s:!:19800::::::\n", name)},
	} {
		b, err := os.ReadFile(filepath.Join(base, f.file))
		if err != nil {
			return err
		}
		mode := os.FileMode(0o644)
		if f.file == "etc/shadow" {
			mode = 0o640
		}
		if err := writeFiles(dir, map[string]string{"/" + f.file + "|" + fmt.Sprintf("%o", mode): string(b) + f.line}); err != nil {
			return err
		}
	}
	return nil
}

// hostRun runs a build tool on the host in dir, with extra environment.
func hostRun(dir string, env []string, name string, args ...string) error {
	cmd := exec.Command(name, args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), env...)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("%s %s: %w\n%s", name, strings.Join(args, " "), err, out.Bytes())
	}
	return nil
}

// timeZero is the time of every entry of an app layer.
var timeZero = time.Unix(1704067200, 0)

// --- the apps ---------------------------------------------------------

const nginxSite = `# The site: a static page from /srv/site (nginx.conf includes conf.d/*.conf).
server {
    listen 80 default_server;
    server_name _;
    root /srv/site;
    index index.html;
    location / {
        try_files $uri $uri/ =404;
    }
}
`

const nginxIndex = `<!doctype html>
<html><head><title>whittle nginx</title><link rel="stylesheet" href="style.css"></head>
<body><h1>served by nginx from /srv/site</h1></body></html>
`

var nginxApp = &App{
	Name: "nginx",
	Doc:  "nginx-light serving /srv/site through a conf.d site; sites-enabled/default removed",
	Config: AppConfig{
		Cmd:        []string{"nginx", "-g", "daemon off;"},
		Env:        []string{defaultPath},
		StopSignal: "SIGQUIT",
		Exposed:    map[string]any{"80/tcp": map[string]any{}},
	},
	Probe:   &Probe{Port: 80, Paths: []string{"/", "/style.css", "/missing"}},
	Want:    "served by nginx from /srv/site",
	sources: []string{nginxSite, nginxIndex},
	files: func(dir, base string) error {
		return writeFiles(dir, map[string]string{
			"/etc/nginx/conf.d/site.conf":          nginxSite,
			"/etc/nginx/sites-enabled/.wh.default": "",
			"/srv/site/index.html":                 nginxIndex,
			"/srv/site/style.css":                  "h1 { color: #333; }\n",
		})
	},
}

const expressServer = `'use strict';
// An express app run as "node server.js" from WORKDIR /app.
const express = require('express');
const { greet } = require('./lib/greeting');
const pkg = require('express/package.json');

const app = express();
app.get('/', (req, res) => {
  res.type('text/plain').send(greet('express ' + pkg.version) + '\n');
});
app.get('/json', (req, res) => {
  res.json({ app: 'express', env: process.env.NODE_ENV, uid: process.getuid() });
});
app.listen(3000, '127.0.0.1', () => console.log('listening on 3000'));
`

const expressGreeting = `'use strict';
exports.greet = (who) => 'hello from ' + who;
`

const expressPackage = `{
  "name": "whittle-express-app",
  "version": "1.0.0",
  "private": true,
  "main": "server.js",
  "dependencies": { "express": "4.21.2" }
}
`

var expressApp = &App{
	Name: "express",
	Doc:  "an express app (npm) on Debian's nodejs, node server.js from WORKDIR /app as user app (1000)",
	Config: AppConfig{
		Cmd:        []string{"node", "server.js"},
		Env:        []string{defaultPath, "NODE_ENV=production"},
		User:       "app",
		WorkingDir: "/app",
		Exposed:    map[string]any{"3000/tcp": map[string]any{}},
	},
	Probe:   &Probe{Port: 3000, Paths: []string{"/", "/json"}},
	Want:    "hello from express 4.21.2",
	sources: []string{expressServer, expressGreeting, expressPackage},
	owners:  map[string][2]int{"/app": {1000, 1000}},
	files: func(dir, base string) error {
		if err := writeFiles(dir, map[string]string{
			"/app/server.js":       expressServer,
			"/app/lib/greeting.js": expressGreeting,
			"/app/package.json":    expressPackage,
		}); err != nil {
			return err
		}
		if err := hostRun(filepath.Join(dir, "app"), []string{"npm_config_update_notifier=false"}, "npm", "install", "--omit=dev", "--no-audit", "--no-fund", "--no-package-lock", "--loglevel=error"); err != nil {
			return err
		}
		return addUser(dir, base, "app", 1000, "/app")
	},
}

const flaskAppPy = `"""A flask app from Debian's python3-flask, run as python3 app.py from /app."""
from flask import Flask, render_template

from helpers.greeting import greet, ITEMS

app = Flask(__name__)


@app.route("/")
def index():
    return render_template("index.html", greeting=greet("flask"), items=ITEMS)


if __name__ == "__main__":
    app.run(host="127.0.0.1", port=5000)
`

const flaskBase = `<!doctype html>
<html><head><title>{% block title %}{% endblock %}</title></head>
<body>{% block body %}{% endblock %}</body></html>
`

const flaskIndex = `{% extends "base.html" %}
{% block title %}whittle flask{% endblock %}
{% block body %}<h1>{{ greeting }}</h1>
<ul>{% for item in items %}<li>{{ item|upper }}</li>{% endfor %}</ul>{% endblock %}
`

const flaskGreeting = `import json
import unicodedata

ITEMS = [unicodedata.name(c).lower() for c in "a\u00e9"]


def greet(who):
    return "hello from " + who + " " + json.dumps({"ok": True})
`

var flaskApp = &App{
	Name: "flask",
	Doc:  "a flask app (Debian python3-flask) with templates and a local package, python3 app.py from /app as www-data",
	Config: AppConfig{
		Cmd:        []string{"python3", "app.py"},
		Env:        []string{defaultPath, "LANG=C.UTF-8", "PYTHONUNBUFFERED=1"},
		User:       "www-data",
		WorkingDir: "/app",
		Exposed:    map[string]any{"5000/tcp": map[string]any{}},
	},
	Probe:   &Probe{Port: 5000, Paths: []string{"/"}},
	Want:    "hello from flask",
	sources: []string{flaskAppPy, flaskBase, flaskIndex, flaskGreeting},
	files: func(dir, base string) error {
		return writeFiles(dir, map[string]string{
			"/app/app.py":               flaskAppPy,
			"/app/templates/base.html":  flaskBase,
			"/app/templates/index.html": flaskIndex,
			"/app/helpers/__init__.py":  "",
			"/app/helpers/greeting.py":  flaskGreeting,
		})
	},
}

const perlReport = `#!/usr/bin/perl
# A report from perl's core modules: XS (POSIX, List::Util), pure perl
# (JSON::PP, Time::Local), and File::Temp, which needs a writable /tmp.
use strict;
use warnings;
use POSIX qw(floor strftime);
use JSON::PP;
use File::Temp qw(tempfile);
use Time::Local qw(timegm);
use List::Util qw(sum max);
use Digest::MD5 qw(md5_hex);

my $t = timegm(0, 30, 12, 1, 6, 2024);
print "time ", strftime("%Y-%m-%d %H:%M:%S", gmtime($t)), "\n";
print "floor ", floor(7.9), " sum ", sum(1 .. 10), " max ", max(3, 9, 4), "\n";
my ($fh, $name) = tempfile(UNLINK => 1);
print $fh "written to a temporary file\n";
close $fh;
open(my $in, '<', $name) or die "reading $name: $!";
my $line = <$in>;
print "temp ", ($name =~ m{^/tmp/} ? "in /tmp" : "elsewhere: $name"), ": $line";
print "md5 ", md5_hex("whittle"), "\n";
print "json ", JSON::PP->new->canonical->encode({ app => "perl", list => [1, 2, 3] }), "\n";
`

var perlApp = &App{
	Name: "perl",
	Doc:  "a perl script using core modules (POSIX, JSON::PP, File::Temp in /tmp, Time::Local) as nobody",
	Config: AppConfig{
		Cmd:  []string{"perl", "/app/report.pl"},
		Env:  []string{defaultPath, "LANG=C.UTF-8"},
		User: "nobody",
	},
	Want:    "json {\"app\":\"perl\",\"list\":[1,2,3]}",
	sources: []string{perlReport},
	files: func(dir, base string) error {
		return writeFiles(dir, map[string]string{"/app/report.pl|0755": perlReport})
	},
}

const goMain = `// Command tzcerts prints a time in Europe/Riga and the size of the system
// CA pool: it reads /usr/share/zoneinfo and /etc/ssl/certs by path.
package main

import (
	"crypto/x509"
	"fmt"
	"os"
	"time"
)

func main() {
	loc, err := time.LoadLocation("Europe/Riga")
	if err != nil {
		fmt.Println("zone error:", err)
		os.Exit(1)
	}
	fmt.Println("zone", time.Date(2024, 7, 1, 12, 0, 0, 0, time.UTC).In(loc).Format("2006-01-02 15:04 MST -0700"))
	pool, err := x509.SystemCertPool()
	if err != nil {
		fmt.Println("certs error:", err)
		os.Exit(1)
	}
	n := len(pool.Subjects()) //nolint:staticcheck // the count is what is printed
	fmt.Println("certs", n)
	if n == 0 {
		os.Exit(1)
	}
}
`

var goApp = &App{
	Name: "gostatic",
	Doc:  "a static Go binary loading Europe/Riga and the system CA pool, as 65534:65534",
	Config: AppConfig{
		Entrypoint: []string{"/usr/local/bin/tzcerts"},
		Env:        []string{defaultPath},
		User:       "65534:65534",
	},
	Want:    "zone 2024-07-01 15:00 EEST +0300",
	sources: []string{goMain},
	files: func(dir, base string) error {
		src := filepath.Join(dir, "..", "gostatic.src")
		if err := writeFiles(src, map[string]string{"/main.go": goMain, "/go.mod": "module tzcerts\n\ngo 1.21\n"}); err != nil {
			return err
		}
		defer os.RemoveAll(src)
		out := filepath.Join(dir, "usr/local/bin/tzcerts")
		return hostRun(src, []string{"CGO_ENABLED=0", "GOFLAGS=-trimpath -buildvcs=false"}, "go", "build", "-ldflags=-s -w", "-o", out, ".")
	},
}

const entrypointScript = `#!/bin/bash
# Renders the config from its template with the environment, then runs
# the command (the usual docker-entrypoint.sh).
set -euo pipefail
: "${APP_NAME:=unnamed}"
: "${APP_PORT:=8080}"
conf=/etc/app/app.conf
sed -e "s|@APP_NAME@|${APP_NAME}|g" -e "s|@APP_PORT@|${APP_PORT}|g" < /etc/app/app.conf.template > "$conf"
if [[ "${1:-}" == -* ]]; then
	set -- awk "$@"
fi
exec "$@"
`

const entrypointTemplate = `name = @APP_NAME@
port = @APP_PORT@
greeting = hello from @APP_NAME@
`

var entrypointApp = &App{
	Name: "entrypoint",
	Doc:  "a bash docker-entrypoint.sh that renders /etc/app/app.conf.template with sed, then execs awk",
	Config: AppConfig{
		Entrypoint: []string{"/usr/local/bin/docker-entrypoint.sh"},
		Cmd:        []string{"awk", "-F", " = ", `{ printf "%s => %s\n", $1, $2 }`, "/etc/app/app.conf"},
		Env:        []string{defaultPath, "APP_NAME=whittle", "APP_PORT=9090"},
	},
	Want:    "greeting => hello from whittle",
	sources: []string{entrypointScript, entrypointTemplate},
	files: func(dir, base string) error {
		return writeFiles(dir, map[string]string{
			"/usr/local/bin/docker-entrypoint.sh|0755": entrypointScript,
			"/etc/app/app.conf.template":               entrypointTemplate,
		})
	},
}

const javaMain = `import java.security.KeyStore;
import java.time.ZoneId;
import java.time.ZonedDateTime;
import java.util.Properties;
import javax.net.ssl.TrustManagerFactory;
import javax.net.ssl.X509TrustManager;

/** Prints a time in Europe/Riga, the JVM's trusted CAs and a resource of its jar. */
public class Main {
    public static void main(String[] args) throws Exception {
        ZonedDateTime t = ZonedDateTime.of(2024, 7, 1, 12, 0, 0, 0, ZoneId.of("UTC"))
            .withZoneSameInstant(ZoneId.of("Europe/Riga"));
        System.out.println("zone " + t);
        TrustManagerFactory f = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
        f.init((KeyStore) null);
        X509TrustManager tm = (X509TrustManager) f.getTrustManagers()[0];
        System.out.println("trusted " + tm.getAcceptedIssuers().length);
        Properties p = new Properties();
        p.load(Main.class.getResourceAsStream("/app.properties"));
        System.out.println("greeting " + p.getProperty("greeting"));
        System.out.println("java " + Runtime.version().feature());
    }
}
`

var javaApp = &App{
	Name: "java",
	Doc:  "Debian's openjdk-17-jre-headless running java -jar /app/app.jar (zone, trust store, jar resource)",
	Config: AppConfig{
		Cmd:        []string{"java", "-jar", "/app/app.jar"},
		Env:        []string{defaultPath},
		WorkingDir: "/app",
	},
	Want:    "greeting hello from a jar",
	sources: []string{javaMain},
	files: func(dir, base string) error {
		src := filepath.Join(dir, "..", "java.src")
		if err := writeFiles(src, map[string]string{"/Main.java": javaMain, "/app.properties": "greeting=hello from a jar\n"}); err != nil {
			return err
		}
		defer os.RemoveAll(src)
		if err := hostRun(src, nil, "javac", "--release", "17", "Main.java"); err != nil {
			return err
		}
		if err := os.MkdirAll(filepath.Join(dir, "app"), 0o755); err != nil {
			return err
		}
		return hostRun(src, nil, "jar", "--create", "--file", filepath.Join(dir, "app/app.jar"), "--main-class", "Main", "--date=2024-01-01T00:00:00Z", "Main.class", "app.properties")
	},
}

const cLib = `#include <stdio.h>
#include "greet.h"

static char buf[128];

const char *greet(const char *who) {
	snprintf(buf, sizeof buf, "hello from libgreet, %s", who);
	return buf;
}
`

const cHeader = `const char *greet(const char *who);
`

const cMain = `#include <pwd.h>
#include <stdio.h>
#include <unistd.h>
#include "greet.h"

int main(void) {
	struct passwd *pw = getpwuid(getuid());
	puts(greet("found through ld.so.cache"));
	printf("user %s\n", pw ? pw->pw_name : "(unknown)");
	return 0;
}
`

var cApp = &App{
	Name: "cldconfig",
	Doc:  "a C program whose libgreet.so.1 is in /usr/local/lib, found only through /etc/ld.so.cache (ldconfig)",
	Config: AppConfig{
		Cmd: []string{"greet"},
		Env: []string{defaultPath},
	},
	Want:    "hello from libgreet, found through ld.so.cache",
	sources: []string{cLib, cHeader, cMain},
	files: func(dir, base string) error {
		src := filepath.Join(dir, "..", "c.src")
		if err := writeFiles(src, map[string]string{"/greet.c": cLib, "/greet.h": cHeader, "/main.c": cMain}); err != nil {
			return err
		}
		defer os.RemoveAll(src)
		lib := filepath.Join(dir, "usr/local/lib")
		if err := os.MkdirAll(lib, 0o755); err != nil {
			return err
		}
		if err := os.MkdirAll(filepath.Join(dir, "usr/local/bin"), 0o755); err != nil {
			return err
		}
		if err := hostRun(src, nil, "gcc", "-O2", "-shared", "-fPIC", "-Wl,-soname,libgreet.so.1", "-o", filepath.Join(lib, "libgreet.so.1.0.0"), "greet.c"); err != nil {
			return err
		}
		if err := hostRun(src, nil, "gcc", "-O2", "-o", filepath.Join(dir, "usr/local/bin/greet"), "main.c", "-L"+lib, "-l:libgreet.so.1.0.0"); err != nil {
			return err
		}
		// RUN ldconfig: inside the base root with the new library, as
		// the image's own ldconfig writes it (the cache, the soname link).
		etc := filepath.Join(dir, "etc")
		if err := os.MkdirAll(etc, 0o755); err != nil {
			return err
		}
		return hostRun(dir, nil, "bwrap", "--ro-bind", base, "/", "--bind", lib, "/usr/local/lib",
			"--bind", etc, "/mnt", "--proc", "/proc", "--dev", "/dev", "--", "/sbin/ldconfig", "-C", "/mnt/ld.so.cache")
	},
}
