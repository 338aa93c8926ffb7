package modules

import (
	"reflect"
	"strings"
	"testing"
)

func names(imps []Import) []string {
	var out []string
	for _, i := range imps {
		s := strings.Repeat(".", i.Level) + i.Name
		if len(i.From) > 0 {
			s += ":" + strings.Join(i.From, ",")
		}
		out = append(out, s+"@"+itoa(i.Line))
	}
	return out
}

func itoa(n int) string {
	if n == 0 {
		return "0"
	}
	var b []byte
	for ; n > 0; n /= 10 {
		b = append([]byte{byte('0' + n%10)}, b...)
	}
	return string(b)
}

// TestParsePython: every import form, on the line it starts; strings,
// comments and docstrings hide nothing and add nothing.
func TestParsePython(t *testing.T) {
	for _, tc := range []struct {
		src   string
		want  []string
		dyn   []string
		paths []string
	}{
		{"import a, b.c as d\n", []string{"a@1", "b.c@1"}, nil, nil},
		{"from x.y import (p,\n    q as r)\nimport z\n", []string{"x.y:p,q@1", "z@3"}, nil, nil},
		{"from . import m\nfrom ..pkg.sub import *\n", []string{".:m@1", "..pkg.sub@2"}, nil, nil},
		{`"""doc
import not1
"""
s = 'import not2'  # import not3
x = f"{__import__('not4')}"
import real
`, []string{"real@6"}, nil, nil},
		{"if x:\n    import a\nelse: import b\ntry: import c\nexcept ImportError: pass\n", []string{"a@2", "b@3", "c@4"}, nil, nil},
		{"import a; import b\nimport \\\n  c\n", []string{"a@1", "b@1", "c@2"}, nil, nil},
		{"m = __import__('lit.mod')\nimportlib.import_module(\"x\")\nimport_module('.rel', __package__)\n", []string{"lit.mod@1", "x@2", ".rel@3"}, nil, nil},
		{"__import__(name)\nimportlib.import_module(base + '.x')\ndef import_module(n): pass\n", nil, []string{"1: __import__(name)", "2: import_module(base+'.x')"}, nil},
		{"sys.path.insert(0, '/opt/lib')\nsys.path.append(os.path.join(os.path.dirname(os.path.abspath(__file__)), 'vendor'))\nsys.path.insert(0, os.path.dirname(__file__))\n", nil, nil, []string{"front /opt/lib", "back ./vendor", "front ."}},
		{"sys.path.insert(0, get_dir())\n", nil, []string{"1: sys.path.insert(get_dir())"}, nil},
	} {
		got := ParsePython([]byte(tc.src))
		if n := names(got.Imports); !reflect.DeepEqual(n, tc.want) {
			t.Errorf("%q: imports %q, want %q", tc.src, n, tc.want)
		}
		var dyn []string
		for _, d := range got.Dynamic {
			dyn = append(dyn, itoa(d.Line)+": "+d.What)
		}
		if !reflect.DeepEqual(dyn, tc.dyn) {
			t.Errorf("%q: dynamic %q, want %q", tc.src, dyn, tc.dyn)
		}
		var paths []string
		for _, p := range got.Paths {
			w := "back "
			if p.Front {
				w = "front "
			}
			paths = append(paths, w+p.Dir)
		}
		if !reflect.DeepEqual(paths, tc.paths) {
			t.Errorf("%q: paths %q, want %q", tc.src, paths, tc.paths)
		}
	}
}

// TestParseJS: CommonJS and ES module forms; comments, strings, template
// literals and regular expressions hide nothing and add nothing.
func TestParseJS(t *testing.T) {
	for _, tc := range []struct {
		src  string
		want []string
		dyn  []string
	}{
		{"const a = require('a');\nconst {b} = require(\"./b\")\n", []string{"a@1", "./b@2"}, nil},
		{"import x from 'x';\nimport {y,\n z} from \"y\";\nimport 'side';\nexport * from './re';\nimport * as ns from 'ns'\n", []string{"x@1", "y@2", "side@4", "./re@5", "ns@6"}, nil},
		{"const m = await import('dyn-lit');\nconst n = import(name);\nrequire(`tpl`);\nrequire(`tpl-${x}`)\n", []string{"dyn-lit@1", "tpl@3"}, []string{"2: import(name)", "4: require(`tpl-${x}`)"}},
		{"// require('c1')\n/* require('c2')\n*/ const s = 'require(\"s\")'; const r = /require\\('re'\\)/g; const t = `\nrequire('t')`;\nx.require('method');\nrequire('real')\n", []string{"real@6"}, nil},
		{"#!/usr/bin/env node\nconst q = a / b; require('after-division')\n", []string{"after-division@2"}, nil},
		{"if (import.meta.url) {}\n", nil, nil},
	} {
		got := ParseJS([]byte(tc.src))
		if n := names(got.Imports); !reflect.DeepEqual(n, tc.want) {
			t.Errorf("%q: imports %q, want %q", tc.src, n, tc.want)
		}
		var dyn []string
		for _, d := range got.Dynamic {
			dyn = append(dyn, itoa(d.Line)+": "+d.What)
		}
		if !reflect.DeepEqual(dyn, tc.dyn) {
			t.Errorf("%q: dynamic %q, want %q", tc.src, dyn, tc.dyn)
		}
	}
}

// TestParsePerl: use, no, require (of a name or a file), parent and base
// classes, use lib; POD and __END__ hide what follows.
func TestParsePerl(t *testing.T) {
	src := `use strict; use warnings;
use v5.36;
use 5.010;
use Foo::Bar qw(x y);
require Baz;
require "lib/file.pl";
use parent qw(P1 P2);
use base 'B1';
use parent -norequire, 'NotMe';
use lib '/opt/perl', "/srv/lib";
use lib "$FindBin::Bin/../lib";
eval { require Opt::Mod; 1 };
require $dyn;
=head1 NAME

use InPod;

=cut
no Quux;
__END__
use AfterEnd;
`
	got := ParsePerl([]byte(src))
	want := []string{"strict@1", "warnings@1", "Foo::Bar@4", "Baz@5", "lib/file.pl@6", "P1@7", "P2@7", "parent@7", "B1@8", "base@8", "parent@9", "Opt::Mod@12", "Quux@19"}
	if n := names(got.Imports); !reflect.DeepEqual(n, want) {
		t.Errorf("imports %q\nwant %q", n, want)
	}
	if len(got.Dynamic) != 1 || got.Dynamic[0].Line != 13 {
		t.Errorf("dynamic %v, want require $dyn on line 13", got.Dynamic)
	}
	var libs []string
	for _, l := range got.Lib {
		libs = append(libs, l.Dir)
	}
	if !reflect.DeepEqual(libs, []string{"/opt/perl", "/srv/lib", "./../lib"}) {
		t.Errorf("use lib %q", libs)
	}
}

// TestExportTarget: the package.json "exports" forms Node's require()
// resolves.
func TestExportTarget(t *testing.T) {
	for _, tc := range []struct {
		exports, key, want string
	}{
		{`"./main.js"`, ".", "./main.js"},
		{`"./main.js"`, "./sub", ""},
		{`{"import": "./m.mjs", "require": "./c.cjs"}`, ".", "./c.cjs"},
		{`{".": {"node": {"require": "./n.cjs"}, "default": "./d.js"}, "./package.json": "./package.json"}`, ".", "./n.cjs"},
		{`{"./features/*": "./src/features/*.js"}`, "./features/x", "./src/features/x.js"},
		{`{".": [{"require": "./a.js"}, "./b.js"]}`, ".", "./a.js"},
	} {
		if got := exportTarget([]byte(tc.exports), tc.key); got != tc.want {
			t.Errorf("exports %s [%s] = %q, want %q", tc.exports, tc.key, got, tc.want)
		}
	}
}
