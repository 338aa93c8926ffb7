package closure

import (
	"context"
	"reflect"
	"sort"
	"strings"
	"testing"

	"github.com/whittle-dev/whittle/analyze"
	"github.com/whittle-dev/whittle/internal/reprotar"
)

// reachedFiles lists the image's non-directory paths the closure's roots
// reach, sorted, keeping those under one of the prefixes given (all when
// none).
func reachedFiles(cl *Closure, ix *analyze.Index, prefixes ...string) []string {
	var out []string
	ix.Root.Walk(func(n *analyze.Node) bool {
		if n.IsDir() {
			return true
		}
		p := n.Path()
		if len(prefixes) > 0 && !hasAnyPrefix(p, prefixes) {
			return true
		}
		if id, ok := cl.Owner(p); ok && cl.Analysis.Reachable(id) {
			out = append(out, p)
		}
		return true
	})
	sort.Strings(out)
	return out
}

func hasAnyPrefix(p string, prefixes []string) bool {
	for _, x := range prefixes {
		if strings.HasPrefix(p, x) {
			return true
		}
	}
	return false
}

func rootList(cl *Closure, skip ...string) []string {
	var out []string
	for _, r := range cl.Roots {
		if !contains(skip, r.Source) {
			out = append(out, r.Spec+" "+r.Source+" "+r.Path)
		}
	}
	return out
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// TestAppRoots: a runtime resolves relative arguments against WorkingDir;
// the working directory and the directory of the script the config runs
// are the app's own and kept whole, unless they are the system's.
func TestAppRoots(t *testing.T) {
	files := []reprotar.File{
		reg("/usr/bin/node", "#!/bin/sh\n", 0o755), reg("/usr/bin/python3", "#!/bin/sh\n", 0o755), reg("/bin/sh", "sh", 0o755),
		reg("/app/server.js", "require('./lib/util')\n", 0o644), reg("/app/lib/util.js", "x\n", 0o644),
		reg("/app/node_modules/express/index.js", "y\n", 0o644), reg("/app/views/index.html", "<p>\n", 0o644),
		reg("/srv/site/main.py", "import util\n", 0o644), reg("/srv/site/util.py", "z\n", 0o644),
		reg("/opt/svc/bin/run", "#!/bin/sh\nexec true\n", 0o755), reg("/opt/svc/share/templates/a.tmpl", "t\n", 0o644),
		reg("/opt/svc/share/doc/README", "doc\n", 0o644),
		reg("/usr/local/bin/docker-entrypoint.sh", "#!/bin/sh\n", 0o755), reg("/usr/local/bin/other", "o\n", 0o755),
		reg("/usr/share/misc/data", "m\n", 0o644),
	}
	env := []string{"PATH=/usr/local/bin:/usr/bin:/bin"}
	for _, tc := range []struct {
		name   string
		config map[string]any
		roots  []string // spec source path, the etc roots left out
		reach  []string // under /app, /srv, /opt, /usr/local, /usr/share
	}{
		{"node server.js", map[string]any{"Cmd": []string{"node", "server.js"}, "WorkingDir": "/app", "Env": env},
			[]string{"node cmd /usr/bin/node", "server.js argument /app/server.js", "/app app-dir /app"},
			[]string{"/app/lib/util.js", "/app/node_modules/express/index.js", "/app/server.js", "/app/views/index.html"}},
		{"python3 main.py", map[string]any{"Cmd": []string{"python3", "-u", "main.py"}, "WorkingDir": "/srv/site", "Env": env},
			[]string{"python3 cmd /usr/bin/python3", "main.py argument /srv/site/main.py", "/srv/site app-dir /srv/site"},
			[]string{"/srv/site/main.py", "/srv/site/util.py"}},
		{"a script in a bin directory: its prefix, docs left out", map[string]any{"Entrypoint": []string{"./bin/run"}, "WorkingDir": "/opt/svc", "Env": env},
			[]string{"./bin/run entrypoint /opt/svc/bin/run", "/opt/svc app-dir /opt/svc"},
			[]string{"/opt/svc/bin/run", "/opt/svc/share/templates/a.tmpl"}},
		{"an entry script in /usr/local/bin: a system directory", map[string]any{"Entrypoint": []string{"docker-entrypoint.sh"}, "Env": env},
			[]string{"docker-entrypoint.sh entrypoint /usr/local/bin/docker-entrypoint.sh"},
			[]string{"/usr/local/bin/docker-entrypoint.sh"}},
		{"a relative argument that is no file, WorkingDir /", map[string]any{"Cmd": []string{"node", "missing.js", "--port=80"}, "WorkingDir": "/", "Env": env},
			[]string{"node cmd /usr/bin/node"}, nil},
		{"nothing runs: no WorkingDir root", map[string]any{"WorkingDir": "/app"}, nil, nil},
		{"node . from WorkingDir", map[string]any{"Cmd": []string{"node", "."}, "WorkingDir": "/app", "Env": env},
			[]string{"node cmd /usr/bin/node", "/app app-dir /app"},
			[]string{"/app/lib/util.js", "/app/node_modules/express/index.js", "/app/server.js", "/app/views/index.html"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			im, ix := memImage(t, tc.config, files...)
			cl, err := Build(context.Background(), im, ix, Options{})
			if err != nil {
				t.Fatal(err)
			}
			if got := rootList(cl, SourceEtc); !reflect.DeepEqual(got, tc.roots) {
				t.Errorf("roots %q, want %q", got, tc.roots)
			}
			if got := reachedFiles(cl, ix, "/app/", "/srv/", "/opt/", "/usr/local/", "/usr/share/"); !reflect.DeepEqual(got, tc.reach) {
				t.Errorf("reached %q, want %q", got, tc.reach)
			}
		})
	}
}

// TestSystemDir: the layout's directories and the trees the system owns
// are never an app's directory; the places apps live are.
func TestSystemDir(t *testing.T) {
	for _, tc := range []struct {
		dir  string
		want bool
	}{
		{"/", true}, {"/usr", true}, {"/usr/local", true}, {"/usr/local/bin", true}, {"/usr/lib/python3", true},
		{"/usr/share/nginx/html", true}, {"/etc/app", true}, {"/var", true}, {"/var/lib", true}, {"/var/lib/dpkg/info", true},
		{"/var/cache/app", true}, {"/bin", true}, {"/lib/x86_64-linux-gnu", true}, {"/opt", true}, {"/home", true},
		{"/root", true}, {"/tmp/build", true}, {"/nix/store", true}, {"/nix/store/aaaa-app/lib", true},
		{"/app", false}, {"/srv/site", false}, {"/opt/svc", false}, {"/home/node/app", false}, {"/usr/src/app", false},
		{"/usr/local/app", false}, {"/var/lib/hello-web", false}, {"/var/www/html", false}, {"/nix/store/aaaa-app", false},
		{"/root/app", false}, {"/workspace", false},
	} {
		if got := SystemDir(tc.dir); got != tc.want {
			t.Errorf("SystemDir(%q) = %v, want %v", tc.dir, got, tc.want)
		}
	}
}

// TestLinkChain: every link from a name to its target is needed, the
// alternatives link under /etc included.
func TestLinkChain(t *testing.T) {
	files := []reprotar.File{
		link("/usr/bin/java", "/etc/alternatives/java"), link("/etc/alternatives/java", "/usr/lib/jvm/jre-17/bin/java"),
		reg("/usr/lib/jvm/jre-17/bin/java", "#!/bin/sh\n", 0o755), reg("/bin/sh", "sh", 0o755),
		link("/etc/alternatives/unused", "/usr/lib/jvm/jre-17/bin/java"),
		link("/usr/bin/js", "../lib/node/js"), link("/usr/lib/node/js", "/etc/alternatives/js"), link("/etc/alternatives/js", "/usr/lib/node/js-real"),
		reg("/usr/lib/node/js-real", "#!/bin/sh\n", 0o755),
	}
	im, ix := memImage(t, map[string]any{"Entrypoint": []string{"java"}, "Cmd": []string{"/usr/bin/js"}, "Env": []string{"PATH=/usr/bin:/bin"}}, files...)
	cl, err := Build(context.Background(), im, ix, Options{})
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"/bin/sh", "/etc/alternatives/java", "/etc/alternatives/js", "/usr/bin/java", "/usr/bin/js",
		"/usr/lib/jvm/jre-17/bin/java", "/usr/lib/node/js", "/usr/lib/node/js-real"}
	if got := reachedFiles(cl, ix); !reflect.DeepEqual(got, want) {
		t.Errorf("reached %q, want %q", got, want)
	}
}

// TestEtcDefaults: without an etc: section the image's own /etc files a
// runtime reads are roots (shadow only for a config User); what the etc
// output writes is not; with nothing to run nothing is.
func TestEtcDefaults(t *testing.T) {
	files := []reprotar.File{
		reg("/app/run", "#!/bin/sh\n", 0o755), reg("/bin/sh", "sh", 0o755),
		reg("/etc/ld.so.cache", "cache", 0o644), reg("/etc/ld.so.conf", "include /etc/ld.so.conf.d/*.conf\n", 0o644),
		reg("/etc/ld.so.conf.d/x86_64.conf", "/usr/lib/x86_64\n", 0o644), link("/etc/localtime", "/usr/share/zoneinfo/Europe/Riga"),
		reg("/usr/share/zoneinfo/Europe/Riga", "TZif riga", 0o644), reg("/usr/share/zoneinfo/UTC", "TZif utc", 0o644),
		reg("/etc/timezone", "Europe/Riga\n", 0o644), reg("/etc/nsswitch.conf", "hosts: files dns\n", 0o644),
		reg("/etc/hosts", "127.0.0.1 localhost\n", 0o644), reg("/etc/resolv.conf", "nameserver 10.0.0.1\n", 0o644),
		reg("/etc/services", "http 80/tcp\n", 0o644), reg("/etc/passwd", "root:x:0:0::/root:/bin/sh\n", 0o644),
		reg("/etc/group", "root:x:0:\n", 0o644), reg("/etc/shadow", "root:*:1::::::\n", 0o640), reg("/etc/motd", "hi\n", 0o644),
		reg("/etc/ssl/certs/ca-certificates.crt", "PEM", 0o644), reg("/etc/ssl/certs/other.pem", "PEM2", 0o644),
		link("/etc/ssl/cert.pem", "certs/ca-certificates.crt"),
	}
	base := []string{"/etc/group", "/etc/hosts", "/etc/ld.so.cache", "/etc/ld.so.conf", "/etc/ld.so.conf.d/x86_64.conf",
		"/etc/localtime", "/etc/nsswitch.conf", "/etc/passwd", "/etc/resolv.conf", "/etc/services", "/etc/ssl/cert.pem",
		"/etc/ssl/certs/ca-certificates.crt", "/etc/timezone"}
	for _, tc := range []struct {
		name   string
		config map[string]any
		gen    []string
		want   []string // under /etc and /usr/share
	}{
		{"root", map[string]any{"Entrypoint": []string{"/app/run"}}, nil, append(append([]string(nil), base...), "/usr/share/zoneinfo/Europe/Riga")},
		{"a config user", map[string]any{"Entrypoint": []string{"/app/run"}, "User": "app"}, nil,
			[]string{"/etc/group", "/etc/hosts", "/etc/ld.so.cache", "/etc/ld.so.conf", "/etc/ld.so.conf.d/x86_64.conf",
				"/etc/localtime", "/etc/nsswitch.conf", "/etc/passwd", "/etc/resolv.conf", "/etc/services", "/etc/shadow", "/etc/ssl/cert.pem",
				"/etc/ssl/certs/ca-certificates.crt", "/etc/timezone", "/usr/share/zoneinfo/Europe/Riga"}},
		{"the etc output writes hosts, passwd, group and the bundle", map[string]any{"Entrypoint": []string{"/app/run"}},
			[]string{"/etc/group", "/etc/hosts", "/etc/passwd", "/etc/ssl/certs/ca-certificates.crt"},
			// cert.pem is the image's, and its link leads to the bundle
			// (which the etc output's file replaces in the build).
			[]string{"/etc/ld.so.cache", "/etc/ld.so.conf", "/etc/ld.so.conf.d/x86_64.conf", "/etc/localtime", "/etc/nsswitch.conf",
				"/etc/resolv.conf", "/etc/services", "/etc/ssl/cert.pem", "/etc/ssl/certs/ca-certificates.crt", "/etc/timezone", "/usr/share/zoneinfo/Europe/Riga"}},
		{"nothing runs", map[string]any{}, nil, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			im, ix := memImage(t, tc.config, files...)
			cl, err := Build(context.Background(), im, ix, Options{EtcGenerated: tc.gen})
			if err != nil {
				t.Fatal(err)
			}
			if got := reachedFiles(cl, ix, "/etc/", "/usr/share/"); !reflect.DeepEqual(got, tc.want) {
				t.Errorf("reached\n %q\nwant\n %q", got, tc.want)
			}
			for _, r := range cl.Roots {
				if r.Source == SourceEtc && !strings.HasPrefix(r.Reason, "kept by default: ") {
					t.Errorf("root %s has no reason: %q", r.Spec, r.Reason)
				}
			}
		})
	}
}
