package doctor

import (
	"context"
	"reflect"
	"testing"

	"github.com/whittle-dev/whittle/finding"
	"github.com/whittle-dev/whittle/internal/reprotar"
)

// TestBloatCategories checks every row of the table: a file at a path the
// row names is found with its bytes; a file at a path just beside is not.
func TestBloatCategories(t *testing.T) {
	cases := []struct {
		id      string
		hit     []reprotar.File
		miss    []reprotar.File
		hitSize int64
	}{
		{"bloat/docs", []reprotar.File{file("/usr/share/doc/bash/README", 100, 'a')}, []reprotar.File{file("/usr/share/docs/README", 100, 'a')}, 100},
		{"bloat/docs", []reprotar.File{file("/nix/store/abc-x/share/doc/x/NEWS", 70, 'a')}, []reprotar.File{file("/nix/store/abc-x/share/x/NEWS", 70, 'a')}, 70},
		{"bloat/man", []reprotar.File{file("/usr/share/man/man1/ls.1.gz", 120, 'b')}, []reprotar.File{file("/usr/share/mankind", 120, 'b')}, 120},
		{"bloat/locale-translations", []reprotar.File{file("/usr/share/locale/de/LC_MESSAGES/x.mo", 130, 'c')}, []reprotar.File{file("/usr/share/locale/locale.alias", 130, 'c')}, 130},
		{"bloat/i18n-sources", []reprotar.File{file("/usr/share/i18n/charmaps/UTF-8.gz", 140, 'd')}, []reprotar.File{file("/usr/lib/locale/C.utf8/LC_CTYPE", 140, 'd')}, 140},
		{"bloat/headers", []reprotar.File{file("/usr/include/stdio.h", 150, 'e')}, []reprotar.File{file("/usr/lib/include.so", 150, 'e')}, 150},
		{"bloat/static-libs", []reprotar.File{file("/usr/lib/x86_64-linux-gnu/libc.a", 160, 'f')}, []reprotar.File{file("/usr/lib/x86_64-linux-gnu/libc.so.6", 160, 'f')}, 160},
		{"bloat/pkgconfig", []reprotar.File{file("/usr/lib/x86_64-linux-gnu/pkgconfig/zlib.pc", 170, 'g')}, []reprotar.File{file("/usr/lib/x86_64-linux-gnu/zlib.pc.so", 170, 'g')}, 170},
		{"bloat/pycache", []reprotar.File{file("/usr/lib/python3/x/__pycache__/a.cpython-311.pyc", 180, 'h')}, []reprotar.File{file("/usr/lib/python3/x/pycache/a.py", 180, 'h')}, 180},
		{"bloat/pycache", []reprotar.File{file("/app/a.pyc", 190, 'i'), file("/app/a.py", 10, 'j')}, []reprotar.File{file("/app/a.pyc", 190, 'i')}, 190},
		{"bloat/apt-cache", []reprotar.File{file("/var/lib/apt/lists/deb.debian.org_Packages", 200, 'k')}, []reprotar.File{file("/var/lib/aptitude/x", 200, 'k')}, 200},
		{"bloat/pip-cache", []reprotar.File{file("/root/.cache/pip/http/a", 210, 'l')}, []reprotar.File{file("/root/.cache/other/a", 210, 'l')}, 210},
		{"bloat/npm-cache", []reprotar.File{file("/root/.npm/_cacache/x", 220, 'm')}, []reprotar.File{file("/app/node_modules/x/index.js", 220, 'm')}, 220},
		{"bloat/apk-cache", []reprotar.File{file("/var/cache/apk/APKINDEX.tar.gz", 230, 'n')}, []reprotar.File{file("/lib/apk-tools.txt", 230, 'n')}, 230},
		{"bloat/package-manager", []reprotar.File{file("/usr/bin/apt-get", 240, 'o'), file("/var/lib/dpkg/status", 10, 'p')}, []reprotar.File{file("/usr/bin/aptly", 240, 'o')}, 250},
		{"bloat/package-manager", []reprotar.File{file("/usr/lib/python3/site-packages/pip/__init__.py", 50, 'q')}, []reprotar.File{file("/usr/lib/python3/site-packages/pipx.py", 50, 'q')}, 50},
		{"bloat/compilers", []reprotar.File{file("/usr/bin/gcc-12", 260, 'r'), file("/usr/lib/gcc/x86_64-linux-gnu/12/cc1", 20, 's')}, []reprotar.File{file("/usr/bin/ldd", 260, 'r')}, 280},
	}
	for _, c := range cases {
		t.Run(c.id, func(t *testing.T) {
			for _, hit := range []bool{true, false} {
				files := c.miss
				if hit {
					files = c.hit
				}
				im, ix := layered(t, nil, files)
				fs, err := Bloat(context.Background(), im, ix, nil, Options{})
				if err != nil {
					t.Fatal(err)
				}
				got := byKind(fs, c.id)
				switch {
				case hit && (len(got) != 1 || got[0].Bytes != c.hitSize):
					t.Errorf("%s: %+v, want one finding of %d bytes", c.id, got, c.hitSize)
				case !hit && len(got) != 0:
					t.Errorf("%s found in %v: %+v", c.id, c.miss, got)
				}
				if hit && len(got) == 1 && (got[0].Change == nil || len(got[0].Change.Drop) == 0) {
					t.Errorf("%s has no plan change", c.id)
				}
			}
		})
	}
}

// TestBloatNeeded: a file of a category that the closure reaches stays.
func TestBloatNeeded(t *testing.T) {
	files := []reprotar.File{reg("/usr/share/doc/tool/run.sh", []byte("#!/bin/sh\necho\n"), 0o755), file("/usr/share/doc/tool/README", 10, 'a')}
	im, ix := layered(t, map[string]any{"Entrypoint": []string{"/usr/share/doc/tool/run.sh"}}, files)
	fs, err := Bloat(context.Background(), im, ix, build(t, im, ix), Options{})
	if err != nil {
		t.Fatal(err)
	}
	got := byKind(fs, "bloat/docs")
	if len(got) != 1 || !reflect.DeepEqual(got[0].Paths, []string{"/usr/share/doc/tool/README"}) || got[0].Bytes != 10 {
		t.Errorf("bloat/docs %+v, want README alone", got)
	}
}

// TestBloatTrees checks the cycle, duplicated-tree and duplicate-file
// findings and that no file counts twice.
func TestBloatTrees(t *testing.T) {
	cases := []struct {
		name  string
		files []reprotar.File
		want  map[string]int64 // kind → bytes
	}{
		{"symlink cycle", []reprotar.File{file("/a/f", 10, 'a'), link("/a/b/up", "..")}, map[string]int64{"bloat/symlink-cycle": 0}},
		{"link to a sibling", []reprotar.File{file("/a/f", 10, 'a'), link("/a/b/side", "../../c"), dir("/c", 0o755)}, map[string]int64{}},
		{"tree twice", []reprotar.File{file("/x/1", 100, '1'), file("/x/s/2", 50, '2'), file("/y/1", 100, '1'), file("/y/s/2", 50, '2')},
			map[string]int64{"bloat/duplicate-tree": 150}},
		{"trees differ", []reprotar.File{file("/x/1", 100, '1'), file("/x/2", 50, '2'), file("/y/1", 100, '1'), file("/y/2", 50, '3')},
			map[string]int64{"bloat/duplicate-files": 100}},
		// A link-following copy of zoneinfo with posix -> . leaves
		// nested copies: zoneinfo/posix holds zoneinfo again.
		{"nested copy", []reprotar.File{
			file("/z/UTC", 30, 'u'), file("/z/Europe/Riga", 40, 'r'), file("/z/Europe/Oslo", 41, 'o'),
			file("/z/posix/UTC", 30, 'u'), file("/z/posix/Europe/Riga", 40, 'r'), file("/z/posix/Europe/Oslo", 41, 'o'),
			file("/z/posix/posix/UTC", 30, 'u'), file("/z/posix/posix/Europe/Riga", 40, 'r'), file("/z/posix/posix/Europe/Oslo", 41, 'o'),
		}, map[string]int64{"bloat/duplicate-tree": 2 * 111}},
		{"duplicate files", []reprotar.File{file("/a", 64, 'x'), file("/b", 64, 'x'), file("/c", 64, 'x')}, map[string]int64{"bloat/duplicate-files": 128}},
		{"docs counted once", []reprotar.File{file("/usr/share/doc/a", 64, 'x'), file("/b", 64, 'x')}, map[string]int64{"bloat/docs": 64}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			im, ix := layered(t, nil, c.files)
			fs, err := Bloat(context.Background(), im, ix, nil, Options{})
			if err != nil {
				t.Fatal(err)
			}
			got := map[string]int64{}
			for _, f := range fs {
				got[f.Kind] += f.Bytes
			}
			if !reflect.DeepEqual(got, c.want) {
				for _, f := range fs {
					t.Logf("%s %d %s", f.Kind, f.Bytes, f.Message)
				}
				t.Errorf("bytes by kind %v, want %v", got, c.want)
			}
			checkDisjoint(t, fs)
			if c.name == "nested copy" {
				if d := byKind(fs, "bloat/duplicate-tree"); len(d) != 1 || d[0].Path() != "/z/posix" {
					t.Errorf("nested copies in %d findings, want one for /z/posix: %+v", len(d), d)
				}
			}
		})
	}
}

// checkDisjoint fails when two bloat findings name the same file.
func checkDisjoint(t *testing.T, fs []finding.Finding) {
	t.Helper()
	seen := map[string]string{}
	for _, f := range fs {
		if f.Family() != "bloat" || f.Bytes == 0 || f.Kind == "bloat/layer-waste" {
			continue
		}
		for _, p := range f.Paths {
			if k, ok := seen[p]; ok && k != f.Kind {
				t.Errorf("%s is in %s and %s", p, k, f.Kind)
			}
			seen[p] = f.Kind
		}
	}
}

// TestBloatDataSets: every time zone and a full locale archive, where the
// environment names a few.
func TestBloatDataSets(t *testing.T) {
	files := []reprotar.File{file("/usr/share/zoneinfo/UTC", 100, 'u'), file("/usr/share/zoneinfo/Europe/Riga", 200, 'r'),
		file("/usr/lib/locale/locale-archive", 3000, 'l'), link("/etc/localtime", "/usr/share/zoneinfo/Europe/Riga")}
	im, ix := layered(t, map[string]any{"Env": []string{"LANG=en_US.UTF-8"}}, files)
	fs, err := Bloat(context.Background(), im, ix, nil, Options{})
	if err != nil {
		t.Fatal(err)
	}
	tz, la := byKind(fs, "bloat/timezones"), byKind(fs, "bloat/locale-archive")
	if len(tz) != 1 || tz[0].Bytes != 300 || tz[0].Change.Etc["timezones"] != "Europe/Riga,UTC" {
		t.Errorf("timezones %+v", tz)
	}
	if len(la) != 1 || la[0].Bytes != 3000 || la[0].Change.Etc["locales"] != "en_US.UTF-8" {
		t.Errorf("locale archive %+v", la)
	}
	im, ix = layered(t, nil, []reprotar.File{file("/usr/share/zoneinfo.txt", 100, 'u'), file("/usr/lib/locale/C.utf8/LC_CTYPE", 100, 'c')})
	if fs, _ := Bloat(context.Background(), im, ix, nil, Options{}); len(fs) != 0 {
		t.Errorf("findings %+v on no zoneinfo and no archive", fs)
	}
}

// TestBloatClosure: unneeded /etc and files outside the closure, by
// package or directory, biggest first; none when a root needs them.
func TestBloatClosure(t *testing.T) {
	files := append(baseFiles(), file("/opt/big/data", 5000, 'd'), file("/opt/small/x", 10, 'x'), textFile("/etc/motd", "hello\n"))
	im, ix := layered(t, map[string]any{"Entrypoint": []string{"/bin/app"}}, files)
	fs, err := Bloat(context.Background(), im, ix, build(t, im, ix), Options{})
	if err != nil {
		t.Fatal(err)
	}
	un := byKind(fs, "bloat/unreachable")
	if len(un) != 2 || un[0].Path() != "/opt/big/" || un[0].Bytes != 5000 || un[1].Path() != "/opt/small/" || un[1].Bytes != 10 {
		t.Errorf("unreachable %+v", un)
	}
	// hosts, services, protocols, passwd and group are kept by default
	// (the runtime and the C library read them): motd alone is bloat.
	etc := byKind(fs, "bloat/etc")
	if len(etc) != 1 || etc[0].Bytes != int64(len("hello\n")) || !reflect.DeepEqual(etc[0].Paths, []string{"/etc/motd"}) ||
		!reflect.DeepEqual(etc[0].Change.Drop, []string{"/etc/motd"}) {
		t.Errorf("etc %+v, want /etc/motd alone", etc)
	}
	// Roots that need them: nothing outside the closure.
	fs, err = Bloat(context.Background(), im, ix, build(t, im, ix, "/opt/big/data", "/opt/small/x"), Options{})
	if err != nil {
		t.Fatal(err)
	}
	if un := byKind(fs, "bloat/unreachable"); len(un) != 0 {
		t.Errorf("unreachable %+v with roots", un)
	}
}

// TestBloatLayerWaste: bytes a later layer deletes, with the layer that
// stores them; none when nothing is hidden.
func TestBloatLayerWaste(t *testing.T) {
	im, ix := layered(t, nil, []reprotar.File{file("/big", 4000, 'b'), file("/keep", 10, 'k')},
		[]reprotar.File{file("/.wh.big", 0, 0)})
	fs, err := Bloat(context.Background(), im, ix, nil, Options{})
	if err != nil {
		t.Fatal(err)
	}
	w := byKind(fs, "bloat/layer-waste")
	if len(w) != 1 || w[0].Bytes != 4000 || w[0].Layer != 1 || w[0].Path() != "/big" {
		t.Errorf("layer waste %+v", w)
	}
	if got := Reclaimable(fs); got != 4000 {
		t.Errorf("Reclaimable = %d, want 4000", got)
	}
	im, ix = layered(t, nil, []reprotar.File{file("/big", 4000, 'b')}, []reprotar.File{file("/other", 10, 'o')})
	if fs, _ := Bloat(context.Background(), im, ix, nil, Options{}); len(byKind(fs, "bloat/layer-waste")) != 0 {
		t.Errorf("layer waste without a hiding layer: %+v", fs)
	}
}
