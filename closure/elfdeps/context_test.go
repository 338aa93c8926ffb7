package elfdeps

import (
	"reflect"
	"testing"
)

// TestResolveIn judges dlopen'd objects in their process: a gconv-like
// module needing libc.so.6 (no search path of its own, nothing of the
// name in the default directories) is satisfied by the libc the process
// already maps; a plugin needing libB.so (mapped) and libC.so (not: the
// program's libB looked in its RUNPATH only) gets the first from the
// process and the second through the program's DT_RPATH.
func TestResolveIn(t *testing.T) {
	fsys := debianImage()
	fsys["opt/glibc/lib/gconv/KOI8-R.so"] = file(elfSpec{needed: []string{"libc.so.6"}})
	fsys["opt/app/plugins/plug.so"] = file(elfSpec{needed: []string{"libB.so", "libC.so"}})
	r := NewResolver(fsys, Config{})
	tool, err := r.Resolve("/usr/bin/tool")
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		lib  string
		want []string
	}{
		{"/opt/glibc/lib/gconv/KOI8-R.so", []string{
			"/opt/glibc/lib/gconv/KOI8-R.so: libc.so.6 -> /lib/x86_64-linux-gnu/libc.so.6 = /usr/lib/x86_64-linux-gnu/libc.so.6 [loaded]",
		}},
		{"/opt/app/plugins/plug.so", []string{
			"/opt/app/plugins/plug.so: libB.so -> /opt/app/bin/../lib/libB.so = /opt/app/lib/libB.so [loaded]",
			"/opt/app/plugins/plug.so: libC.so -> /opt/app/bin/../lib/libC.so = /opt/app/lib/libC.so [rpath]",
		}},
	} {
		res, err := r.ResolveIn(tool, tc.lib)
		if err != nil {
			t.Fatal(err)
		}
		if res.Start != len(tool.Objects) || res.Objects[res.Start].Real != tc.lib {
			t.Errorf("%s: Start %d, objects %d", tc.lib, res.Start, len(tool.Objects))
		}
		if got := describe(res); !reflect.DeepEqual(got, tc.want) {
			t.Errorf("%s in /usr/bin/tool's process:\n%s\nwant\n%s", tc.lib, lines(got), lines(tc.want))
		}
	}
}

// TestResolveLoop: a symlink loop on a candidate path stops the search
// (ld.so's open fails with ELOOP, which ends open_path), even though a
// later directory holds the library, and the need says it was a loop.
func TestResolveLoop(t *testing.T) {
	fsys := debianImage()
	fsys["usr/local/lib/libloop.so.1"] = link("libloop.so.1")
	fsys["usr/lib/x86_64-linux-gnu/libloop.so.1"] = file(elfSpec{soname: "libloop.so.1"})
	fsys["usr/bin/looper"] = file(elfSpec{interp: ldso, runpath: str("/usr/local/lib"), needed: []string{"libloop.so.1"}})
	r := NewResolver(fsys, Config{})
	res, err := r.Resolve("/usr/bin/looper")
	if err != nil {
		t.Fatal(err)
	}
	m := res.Missing()
	if len(m) != 1 || !m[0].Loop || m[0].Reason != "/usr/local/lib/libloop.so.1: too many levels of symbolic links" {
		t.Errorf("missing %+v, want libloop.so.1 stopped by a loop", m)
	}
}
