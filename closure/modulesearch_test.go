package closure

import (
	"context"
	"encoding/binary"
	"reflect"
	"sort"
	"strings"
	"testing"

	"github.com/whittle-dev/whittle/closure/graph"
	"github.com/whittle-dev/whittle/internal/reprotar"
)

// reachedFiles lists the files of the image the closure keeps (their
// paths), among those named with the prefix.
func reachedModuleFiles(cl *Closure, prefix string) []string {
	var out []string
	for i := 0; i < cl.Graph.Len(); i++ {
		id := graph.NodeID(i)
		if !cl.Analysis.Reachable(id) {
			continue
		}
		for _, f := range cl.Graph.Get(id).Files {
			if strings.HasPrefix(f, prefix) {
				out = append(out, f)
			}
		}
	}
	sort.Strings(out)
	return out
}

// fakePython is a python3.11 "interpreter" (no ELF: the rules match on
// the name only through the ELF machinery, so the tests give it one).
func pythonImage(t *testing.T, config map[string]any, files ...reprotar.File) *Closure {
	t.Helper()
	base := []reprotar.File{
		reg("/usr/bin/python3.11", string(minimalELF(t)), 0o755),
		link("/usr/bin/python3", "python3.11"),
		reg("/usr/lib/python3.11/os.py", "import abc\n", 0o644),
		reg("/usr/lib/python3.11/abc.py", "", 0o644),
		reg("/usr/lib/python3.11/json/__init__.py", "from .decoder import x\n", 0o644),
		reg("/usr/lib/python3.11/json/decoder.py", "", 0o644),
		reg("/usr/lib/python3.11/lib-dynload/_json.cpython-311-x86_64-linux-gnu.so", "x", 0o644),
	}
	im, ix := memImage(t, config, append(base, files...)...)
	cl, err := Build(context.Background(), im, ix, Options{})
	if err != nil {
		t.Fatal(err)
	}
	return cl
}

const site = "/usr/lib/python3/dist-packages"

// TestPythonImports: each form of import resolves through sys.path as
// Python would, a package keeps its distribution's files (RECORD,
// installed-files.txt, top_level.txt) or its whole directory, and the
// site directory keeps nothing that is not imported.
func TestPythonImports(t *testing.T) {
	lib := []reprotar.File{
		// RECORD lists the files of a dist-info distribution.
		reg(site+"/alpha/__init__.py", "from . import util\nfrom .sub import deep as d\nimport beta\n", 0o644),
		reg(site+"/alpha/util.py", "", 0o644),
		reg(site+"/alpha/sub/__init__.py", "", 0o644),
		reg(site+"/alpha/sub/deep.py", "from .. import util\n", 0o644),
		reg(site+"/alpha/data.txt", "", 0o644),
		reg(site+"/alpha/unlisted.py", "", 0o644),
		reg(site+"/alpha-1.0.dist-info/RECORD", "alpha/__init__.py,,\nalpha/util.py,,\nalpha/sub/__init__.py,,\nalpha/sub/deep.py,,\nalpha/data.txt,,\n\"alpha/odd,name.py\",,\nalpha-1.0.dist-info/RECORD,,\n", 0o644),
		reg(site+"/alpha/odd,name.py", "", 0o644),
		// Debian's egg-info: top_level.txt only: the package whole.
		reg(site+"/beta/__init__.py", "import gamma_ext\n", 0o644),
		reg(site+"/beta/extra/more.py", "", 0o644),
		reg(site+"/Beta-2.0.egg-info/top_level.txt", "beta\n", 0o644),
		reg(site+"/Beta-2.0.egg-info/PKG-INFO", "Name: Beta\n", 0o644),
		// An extension module.
		reg(site+"/gamma_ext.cpython-311-x86_64-linux-gnu.so", "elf", 0o644),
		// installed-files.txt, relative to the egg-info directory.
		reg(site+"/delta/__init__.py", "", 0o644),
		reg(site+"/delta/x.py", "", 0o644),
		reg(site+"/delta/notlisted.py", "", 0o644),
		reg(site+"/delta-3.egg-info/installed-files.txt", "../delta/__init__.py\n../delta/x.py\n", 0o644),
		// A module nobody imports, and a namespace package.
		reg(site+"/unused/__init__.py", "", 0o644),
		reg(site+"/ns/part/__init__.py", "", 0o644),
		reg("/usr/local/lib/python3.11/dist-packages/ns/other/__init__.py", "", 0o644),
		// A computed import inside a package.
		reg(site+"/dyn/__init__.py", "import importlib\nname = 'x'\nm = importlib.import_module(name)\n", 0o644),
		reg(site+"/dyn/y.py", "", 0o644),
	}
	app := reg("/app/app.py", `#!/usr/bin/python3
"""Docstring: import notthis"""
import os, json as j
import alpha
from delta import x
import ns.part, ns.other
import localmod
__import__("dyn")
# import commented
s = "import notthis"
import sys; sys.path.insert(0, os.path.join(os.path.dirname(__file__), "vendor"))
import vendored
try: import missing_optional
except ImportError: pass
`, 0o644)
	files := append(lib, app,
		reg("/app/localmod.py", "", 0o644),
		reg("/app/vendor/vendored.py", "", 0o644),
		reg("/app/vendor/data.bin", "", 0o644),
		// import sys is the built-in module, not this directory.
		reg("/app/sys/not-a-module.txt", "", 0o644),
	)
	cl := pythonImage(t, map[string]any{"Cmd": []string{"python3", "/app/app.py"}}, files...)
	got := reachedModuleFiles(cl, site)
	got = append(got, reachedModuleFiles(cl, "/usr/local/lib/python3.11")...)
	got = append(got, reachedModuleFiles(cl, "/app")...)
	want := []string{
		site + "/Beta-2.0.egg-info/PKG-INFO", site + "/Beta-2.0.egg-info/top_level.txt",
		site + "/alpha-1.0.dist-info/RECORD",
		site + "/alpha/__init__.py", site + "/alpha/data.txt", site + "/alpha/odd,name.py", site + "/alpha/sub/__init__.py", site + "/alpha/sub/deep.py", site + "/alpha/util.py",
		site + "/beta/__init__.py", site + "/beta/extra/more.py",
		site + "/delta-3.egg-info/installed-files.txt", site + "/delta/__init__.py", site + "/delta/x.py",
		site + "/dyn/__init__.py", site + "/dyn/y.py",
		site + "/gamma_ext.cpython-311-x86_64-linux-gnu.so",
		site + "/ns/part/__init__.py",
		"/usr/local/lib/python3.11/dist-packages/ns/other/__init__.py",
		// /app is the directory of the script the config runs: kept whole
		// (approots.go), whatever its imports.
		"/app/app.py", "/app/localmod.py", "/app/sys/not-a-module.txt", "/app/vendor/data.bin", "/app/vendor/vendored.py",
	}
	sort.Strings(want)
	sort.Strings(got)
	if !reflect.DeepEqual(got, want) {
		t.Errorf("kept\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	// The stdlib is kept whole, as before.
	if std := reachedModuleFiles(cl, "/usr/lib/python3.11/"); len(std) != 5 {
		t.Errorf("stdlib kept: %q", std)
	}
	var notes []string
	for _, p := range cl.Problems {
		if p.Kind == "closure/"+DynamicImport {
			notes = append(notes, p.Path()+": "+p.Message)
		}
	}
	wantNotes := []string{site + "/dyn/__init__.py: line 3: import_module(name) names a module computed at run time; the package it is in (" + site + "/dyn) is kept; add a keep: for what it loads"}
	if !reflect.DeepEqual(notes, wantNotes) {
		t.Errorf("notes %q\nwant %q", notes, wantNotes)
	}
	// --why explains the import by file and line.
	appID, _ := cl.Owner("/app/app.py")
	alpha, _ := cl.Owner(site + "/alpha/__init__.py")
	if ex := cl.Explain(appID, alpha); !reflect.DeepEqual(ex, []string{"/app/app.py line 4 imports alpha"}) {
		t.Errorf("explain app → alpha: %q", ex)
	}
}

// TestPythonSiteWholeWithoutScript: a python run without a script the
// closure can read (an interactive python) keeps its site directories
// whole, as before.
func TestPythonSiteWholeWithoutScript(t *testing.T) {
	cl := pythonImage(t, map[string]any{"Cmd": []string{"python3"}},
		reg(site+"/unused/__init__.py", "", 0o644))
	if got := reachedModuleFiles(cl, site); !reflect.DeepEqual(got, []string{site + "/unused/__init__.py"}) {
		t.Errorf("kept %q, want the site directory whole", got)
	}
}

// TestPythonCommandForms: -m and -c are read too; the script named
// relative to WorkingDir is found there.
func TestPythonCommandForms(t *testing.T) {
	for _, tc := range []struct {
		name string
		cfg  map[string]any
		want []string
	}{
		{"-m", map[string]any{"Cmd": []string{"python3", "-m", "tool"}}, []string{site + "/tool/__init__.py", site + "/tool/__main__.py", site + "/tool/helper.py"}},
		{"-c", map[string]any{"Cmd": []string{"python3", "-c", "import tool.helper"}}, []string{site + "/tool/__init__.py", site + "/tool/__main__.py", site + "/tool/helper.py"}},
		{"relative", map[string]any{"Cmd": []string{"python3", "main.py"}, "WorkingDir": "/srv"}, []string{site + "/other.py"}},
		{"shebang", map[string]any{"Cmd": []string{"/srv/run"}}, []string{site + "/other.py"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cl := pythonImage(t, tc.cfg,
				reg(site+"/tool/__init__.py", "", 0o644),
				reg(site+"/tool/__main__.py", "", 0o644),
				reg(site+"/tool/helper.py", "", 0o644),
				reg(site+"/other.py", "", 0o644),
				reg(site+"/unused.py", "", 0o644),
				reg("/srv/main.py", "import other\n", 0o644),
				reg("/srv/run", "#!/usr/bin/python3\nimport other\n", 0o755),
			)
			if got := reachedModuleFiles(cl, site); !reflect.DeepEqual(got, tc.want) {
				t.Errorf("kept %q, want %q", got, tc.want)
			}
		})
	}
}

// minimalELF is a static x86-64 executable of headers only: an ELF file
// the closure parses (so the run-time rules apply to it) needing nothing.
func minimalELF(t *testing.T) []byte {
	t.Helper()
	b := make([]byte, 64+56)
	copy(b, "\x7fELF\x02\x01\x01")
	le := binary.LittleEndian
	le.PutUint16(b[16:], 2)        // ET_EXEC
	le.PutUint16(b[18:], 62)       // EM_X86_64
	le.PutUint32(b[20:], 1)        // EV_CURRENT
	le.PutUint64(b[24:], 0x400078) // entry
	le.PutUint64(b[32:], 64)       // phoff
	le.PutUint16(b[52:], 64)       // ehsize
	le.PutUint16(b[54:], 56)       // phentsize
	le.PutUint16(b[56:], 1)        // phnum
	ph := b[64:]
	le.PutUint32(ph[0:], 1) // PT_LOAD
	le.PutUint32(ph[4:], 5) // R+X
	le.PutUint64(ph[16:], 0x400000)
	le.PutUint64(ph[24:], 0x400000)
	le.PutUint64(ph[32:], uint64(len(b)))
	le.PutUint64(ph[40:], uint64(len(b)))
	le.PutUint64(ph[48:], 0x1000)
	return b
}

// TestNodeRequires: require, import, export-from and import() resolve as
// Node does: relative files with their extensions and index.js,
// node_modules up the directory chain, package.json exports and main,
// NODE_PATH; a package is kept whole; builtins need nothing; a computed
// require is a dynamic-import note.
func TestNodeRequires(t *testing.T) {
	app := `const fs = require('fs'); const p = require("node:path");
const a = require('./lib/a');
import b from "pkg-b";
export { c } from './c.mjs';
const d = await import("pkg-d/sub");
// require('commented-out')
const s = "require('in-a-string')";
const re = /require\('in-a-regex'\)/;
const e = require('glob-e');
const f = require(process.env.X);
`
	cl := pythonImage(t, map[string]any{"Cmd": []string{"node", "server.js"}, "WorkingDir": "/app", "Env": []string{"NODE_PATH=/opt/global", "PATH=/usr/bin"}},
		reg("/usr/bin/node", string(minimalELF(t)), 0o755),
		reg("/app/server.js", app, 0o644),
		reg("/app/lib/a/index.js", "module.exports = require('../../data.json')", 0o644),
		reg("/app/data.json", "{}", 0o644),
		reg("/app/c.mjs", "", 0o644),
		reg("/app/node_modules/pkg-b/package.json", `{"main": "dist/main"}`, 0o644),
		reg("/app/node_modules/pkg-b/dist/main.js", "require('dep-of-b')", 0o644),
		reg("/app/node_modules/pkg-b/README.md", "", 0o644),
		reg("/app/node_modules/pkg-b/node_modules/dep-of-b/index.js", "", 0o644),
		reg("/app/node_modules/pkg-d/package.json", `{"exports": {".": "./i.js", "./sub": {"require": "./s.cjs", "import": "./s.mjs"}}}`, 0o644),
		reg("/app/node_modules/pkg-d/s.cjs", "", 0o644),
		reg("/app/node_modules/pkg-d/s.mjs", "import x from 'esm-dep'\n", 0o644),
		reg("/app/node_modules/esm-dep/index.js", "", 0o644),
		reg("/app/node_modules/unused/index.js", "", 0o644),
		reg("/opt/global/glob-e/index.js", "", 0o644),
		reg("/opt/global/unused2/index.js", "", 0o644),
	)
	got := append(reachedModuleFiles(cl, "/app/"), reachedModuleFiles(cl, "/opt/")...)
	want := []string{
		"/app/c.mjs", "/app/data.json", "/app/lib/a/index.js", "/app/node_modules/esm-dep/index.js",
		"/app/node_modules/pkg-b/README.md", "/app/node_modules/pkg-b/dist/main.js", "/app/node_modules/pkg-b/node_modules/dep-of-b/index.js", "/app/node_modules/pkg-b/package.json",
		"/app/node_modules/pkg-d/package.json", "/app/node_modules/pkg-d/s.cjs", "/app/node_modules/pkg-d/s.mjs",
		"/app/node_modules/unused/index.js", // /app is the app's directory, kept whole (approots.go)
		"/app/server.js", "/opt/global/glob-e/index.js",
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("kept\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	var notes []string
	for _, p := range cl.Problems {
		if p.Kind == "closure/"+DynamicImport {
			notes = append(notes, p.Path()+": "+p.Message)
		}
	}
	if want := []string{"/app/server.js: line 10: require(process.env.X) names a module computed at run time; add a keep: for what it loads"}; !reflect.DeepEqual(notes, want) {
		t.Errorf("notes %q, want %q", notes, want)
	}
	srv, _ := cl.Owner("/app/server.js")
	b, _ := cl.Owner("/app/node_modules/pkg-b/dist/main.js")
	if ex := cl.Explain(srv, b); !reflect.DeepEqual(ex, []string{"/app/server.js line 3 loads pkg-b (import)"}) {
		t.Errorf("explain: %q", ex)
	}
}

// TestPerlUses: use, require, use parent/base, use lib, PERL5LIB and an
// XS module's auto/ directory.
func TestPerlUses(t *testing.T) {
	script := `#!/usr/bin/perl
use strict;
use lib '/opt/lib';
use FindBin; use lib "$FindBin::Bin/lib";
use My::Mod qw(f);
use parent -norequire, 'Not::Loaded';
use base qw(Base::Class);
require Other;
eval { require Optional::Missing };
my $m = "X"; require $m;
use Local::Thing;
=pod

use In::Pod;

=cut
__END__
use After::End;
`
	cl := pythonImage(t, map[string]any{"Cmd": []string{"perl", "/app/run.pl"}, "Env": []string{"PERL5LIB=/env/lib", "PATH=/usr/bin"}},
		reg("/usr/bin/perl", string(minimalELF(t)), 0o755),
		reg("/app/run.pl", script, 0o644),
		reg("/opt/lib/My/Mod.pm", "package My::Mod;\nrequire XSThing;\n1;\n", 0o644),
		reg("/opt/lib/Unused.pm", "", 0o644),
		reg("/app/lib/Local/Thing.pm", "", 0o644),
		reg("/env/lib/Base/Class.pm", "", 0o644),
		reg("/env/lib/Other.pm", "", 0o644),
		reg("/env/lib/XSThing.pm", "", 0o644),
		reg("/env/lib/auto/XSThing/XSThing.so", "", 0o644),
		reg("/env/lib/In/Pod.pm", "", 0o644),
		reg("/env/lib/After/End.pm", "", 0o644),
		reg("/env/lib/Not/Loaded.pm", "", 0o644),
	)
	got := append(append(reachedModuleFiles(cl, "/app/lib/"), reachedModuleFiles(cl, "/env/")...), reachedModuleFiles(cl, "/opt/")...)
	want := []string{"/app/lib/Local/Thing.pm", "/env/lib/Base/Class.pm", "/env/lib/Other.pm", "/env/lib/XSThing.pm", "/env/lib/auto/XSThing/XSThing.so", "/opt/lib/My/Mod.pm", "/opt/lib/Unused.pm"}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("kept %q\nwant %q", got, want)
	}
	n := 0
	for _, p := range cl.Problems {
		if p.Kind == "closure/"+DynamicImport && p.Path() == "/app/run.pl" && strings.HasPrefix(p.Message, "line 10: require $m") {
			n++
		}
	}
	if n != 1 {
		t.Errorf("no dynamic-import note for require $m: %v", cl.Problems)
	}
}

// TestJavaHome: java (found through /usr/bin/java → /etc/alternatives)
// needs its home's lib and conf (the cacerts link into /etc followed), not
// its docs; -jar and -cp name what it runs.
func TestJavaHome(t *testing.T) {
	h := "/usr/lib/jvm/java-17-openjdk-amd64"
	for _, tc := range []struct {
		name string
		cmd  []string
		app  []string
	}{
		// The jar's directory is the application's, kept whole (approots.go).
		{"jar", []string{"java", "-jar", "/app/app.jar"}, []string{"/app/app.jar", "/app/classes/Main.class", "/app/lib/dep.jar", "/app/other.txt"}},
		{"classpath", []string{"java", "-cp", "/app/lib/*:/app/classes", "Main"}, []string{"/app/classes/Main.class", "/app/lib/dep.jar"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cl := pythonImage(t, map[string]any{"Cmd": tc.cmd, "Env": []string{"PATH=/usr/bin"}},
				reg(h+"/bin/java", string(minimalELF(t)), 0o755),
				reg(h+"/lib/modules", "m", 0o644),
				reg(h+"/lib/jvm.cfg", "-server KNOWN\n", 0o644),
				reg(h+"/lib/server/libjvm.so", "x", 0o644),
				reg(h+"/lib/libnio.so", "x", 0o644),
				reg(h+"/lib/tzdb.dat", "x", 0o644),
				link(h+"/lib/security/cacerts", "/etc/ssl/certs/java/cacerts"),
				reg("/etc/ssl/certs/java/cacerts", "certs", 0o644),
				reg(h+"/conf/security/java.security", "x", 0o644),
				reg(h+"/legal/java.base/LICENSE", "x", 0o644),
				reg(h+"/man/man1/java.1.gz", "x", 0o644),
				link("/etc/alternatives/java", h+"/bin/java"),
				link("/usr/bin/java", "/etc/alternatives/java"),
				reg("/app/app.jar", "PK", 0o644),
				reg("/app/lib/dep.jar", "PK", 0o644),
				reg("/app/classes/Main.class", "x", 0o644),
				reg("/app/other.txt", "x", 0o644),
			)
			got := reachedModuleFiles(cl, h)
			want := []string{h + "/bin/java", h + "/conf/security/java.security", h + "/lib/jvm.cfg", h + "/lib/libnio.so", h + "/lib/modules",
				h + "/lib/security/cacerts", h + "/lib/server/libjvm.so", h + "/lib/tzdb.dat"}
			if !reflect.DeepEqual(got, want) {
				t.Errorf("home keeps %q\nwant %q", got, want)
			}
			if got := reachedModuleFiles(cl, "/etc/ssl/"); !reflect.DeepEqual(got, []string{"/etc/ssl/certs/java/cacerts"}) {
				t.Errorf("cacerts target: %q", got)
			}
			if got := reachedModuleFiles(cl, "/app/"); !reflect.DeepEqual(got, tc.app) {
				t.Errorf("app keeps %q, want %q", got, tc.app)
			}
		})
	}
}

// TestScriptReachedByShell: a #! python script a reachable shell script
// runs has its imports followed; one nothing reaches is not walked.
func TestScriptReachedByShell(t *testing.T) {
	cl := pythonImage(t, map[string]any{"Entrypoint": []string{"/start.sh"}, "Env": []string{"PATH=/usr/local/bin:/usr/bin:/bin"}},
		reg("/bin/sh", string(minimalELF(t)), 0o755),
		reg("/start.sh", "#!/bin/sh\nexec tool \"$@\"\n", 0o755),
		reg("/usr/local/bin/tool", "#!/usr/bin/python3\nimport used\n", 0o755),
		reg("/usr/local/bin/other", "#!/usr/bin/python3\nimport unused\n", 0o755),
		reg(site+"/used.py", "", 0o644),
		reg(site+"/unused.py", "", 0o644),
	)
	tool, _ := cl.Owner("/usr/local/bin/tool")
	used, _ := cl.Owner(site + "/used.py")
	if ex := cl.Explain(tool, used); !reflect.DeepEqual(ex, []string{"/usr/local/bin/tool line 2 imports used"}) {
		t.Errorf("explain tool → used: %q", ex)
	}
	other, _ := cl.Owner("/usr/local/bin/other")
	unused, _ := cl.Owner(site + "/unused.py")
	if ex := cl.Explain(other, unused); ex != nil {
		t.Errorf("an unreachable script was walked: %q", ex)
	}
}

// TestShellRunsPython: when a reachable shell script runs python with
// arguments the closure cannot read, the site directories stay whole even
// though the config's own python script is followed.
func TestShellRunsPython(t *testing.T) {
	cl := pythonImage(t, map[string]any{"Entrypoint": []string{"/start.sh"}, "Cmd": []string{"python3", "/app/app.py"}, "Env": []string{"PATH=/usr/bin:/bin"}},
		reg("/bin/sh", string(minimalELF(t)), 0o755),
		reg("/start.sh", "#!/bin/sh\npython3 -m migrate\nexec \"$@\"\n", 0o755),
		reg("/app/app.py", "import used\n", 0o644),
		reg(site+"/used.py", "", 0o644),
		reg(site+"/migrate.py", "", 0o644),
	)
	if got := reachedModuleFiles(cl, site); !reflect.DeepEqual(got, []string{site + "/migrate.py", site + "/used.py"}) {
		t.Errorf("kept %q, want the site directory whole", got)
	}
}
