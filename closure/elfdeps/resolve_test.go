package elfdeps

import (
	"debug/elf"
	"fmt"
	"io/fs"
	"reflect"
	"testing"
	"testing/fstest"
)

func file(s elfSpec) *fstest.MapFile { return &fstest.MapFile{Data: mkELF(s), Mode: 0o755} }
func link(target string) *fstest.MapFile {
	return &fstest.MapFile{Mode: fs.ModeSymlink | 0o777, Data: []byte(target)}
}
func text(s string) *fstest.MapFile { return &fstest.MapFile{Data: []byte(s), Mode: 0o644} }

const ldso = "/lib64/ld-linux-x86-64.so.2"

// debianImage is a usr-merged, multiarch x86-64 image.
func debianImage() fstest.MapFS {
	ma := "usr/lib/x86_64-linux-gnu/"
	return fstest.MapFS{
		"lib":                                    link("usr/lib"),
		"lib64":                                  link("usr/lib64"),
		"bin":                                    link("usr/bin"),
		"usr/lib64/ld-linux-x86-64.so.2":         link("/lib/x86_64-linux-gnu/ld-linux-x86-64.so.2"),
		ma + "ld-linux-x86-64.so.2":              file(elfSpec{soname: "ld-linux-x86-64.so.2"}),
		ma + "libc.so.6":                         file(elfSpec{soname: "libc.so.6", needed: []string{"ld-linux-x86-64.so.2"}}),
		ma + "libm.so.6":                         file(elfSpec{soname: "libm.so.6", needed: []string{"libc.so.6"}}),
		ma + "libz.so.1":                         link("libz.so.1.2.13"),
		ma + "libz.so.1.2.13":                    file(elfSpec{soname: "libz.so.1", needed: []string{"libc.so.6"}}),
		ma + "libD.so":                           file(elfSpec{soname: "libD.so"}),
		ma + "libtext.so":                        text("INPUT(libz.so.1)\n"),
		ma + "libexe.so":                         file(elfSpec{typ: elf.ET_EXEC, interp: ldso}),
		ma + "libpre.so":                         file(elfSpec{soname: "libpre.so"}),
		ma + "libother.so.2":                     file(elfSpec{soname: "libother.so.3"}),
		ma + "plug/libplug.so":                   file(elfSpec{}),
		"usr/local/lib/libonly32.so":             file(elfSpec{class: elf.ELFCLASS32, machine: elf.EM_386}),
		"usr/local/lib/libz.so.1":                file(elfSpec{class: elf.ELFCLASS32, machine: elf.EM_386, soname: "libz.so.1"}),
		"etc/ld.so.conf":                         text("include /etc/ld.so.conf.d/*.conf\n"),
		"etc/ld.so.conf.d/libc.conf":             text("# libc default configuration\n/usr/local/lib\n"),
		"etc/ld.so.conf.d/x86_64-linux-gnu.conf": text("# Multiarch support\n/usr/local/lib/x86_64-linux-gnu\n/lib/x86_64-linux-gnu\n/usr/lib/x86_64-linux-gnu\n"),
		"etc/ld.so.conf.d/ignored.txt":           text("/ignored\n"),
		"usr/bin/app":                            file(elfSpec{interp: ldso, needed: []string{"libm.so.6", "libz.so.1", "libc.so.6"}}),
		"usr/bin/tool":                           link("/opt/app/bin/tool"),
		"opt/app/bin/tool":                       file(elfSpec{interp: ldso, rpath: str("$ORIGIN/../lib"), needed: []string{"libA.so", "libc.so.6"}}),
		"opt/app/lib/libA.so":                    file(elfSpec{needed: []string{"libB.so", "libD.so"}}),
		"opt/app/lib/libB.so":                    file(elfSpec{runpath: str("/opt/other"), needed: []string{"libC.so"}}),
		"opt/app/lib/libC.so":                    file(elfSpec{}),
		"opt/app/lib/libD.so":                    file(elfSpec{soname: "libD.so", rpath: str("${ORIGIN}/priv"), needed: []string{"libpriv.so"}}),
		"opt/app/lib/priv/libpriv.so":            file(elfSpec{}),
		"opt/other/.keep":                        text(""),
		"usr/bin/exe2":                           file(elfSpec{interp: ldso, rpath: str("/rp"), runpath: str("${ORIGIN}/../$LIB/plug:/$PLATFORM/x:$FOO/bar:$LIBX/y"), needed: []string{"libplug.so", "libx.so"}}),
		"rp/libplug.so":                          file(elfSpec{}),
		"x86_64/x/libx.so":                       file(elfSpec{}),
		"usr/bin/exe3":                           file(elfSpec{interp: ldso, needed: []string{"libtext.so", "libexe.so", "libgone.so.1", "/opt/app/lib/libC.so", "libother.so.2", "libm.so.6", "libonly32.so"}}),
		"usr/bin/exe4":                           file(elfSpec{interp: ldso, flags1: elf.DF_1_NODEFLIB, needed: []string{"libm.so.6"}}),
		"usr/bin/exe32":                          file(elfSpec{class: elf.ELFCLASS32, machine: elf.EM_386, interp: "/lib/ld-linux.so.2", needed: []string{"libz.so.1"}}),
		"usr/bin/static":                         file(elfSpec{typ: elf.ET_EXEC, noDynamic: true}),
		"usr/bin/script":                         text("#!/bin/sh\n"),
		"usr/bin/same":                           file(elfSpec{interp: ldso, needed: []string{"libz.so.1", "libz.so.1.2.13"}, runpath: str("/usr/lib/x86_64-linux-gnu")}),
	}
}

// describe renders a result as one line per need.
func describe(r *Result) []string {
	var out []string
	for _, d := range r.Deps {
		from := r.Objects[d.From].Path
		if d.To < 0 {
			out = append(out, fmt.Sprintf("%s: %s MISSING %s", from, d.Name, d.Reason))
			continue
		}
		o := r.Objects[d.To]
		out = append(out, fmt.Sprintf("%s: %s -> %s = %s [%s]", from, d.Name, o.Path, o.Real, d.Via))
	}
	return out
}

func TestResolveGlibc(t *testing.T) {
	fsys := debianImage()
	conf, err := LoadConfig(fsys)
	if err != nil {
		t.Fatal(err)
	}
	wantConf := Config{LibDirs: []string{"/usr/local/lib", "/usr/local/lib/x86_64-linux-gnu", "/lib/x86_64-linux-gnu", "/usr/lib/x86_64-linux-gnu"}}
	if !reflect.DeepEqual(conf, wantConf) {
		t.Fatalf("LoadConfig = %+v, want %+v", conf, wantConf)
	}
	r := NewResolver(fsys, conf)
	ld := ldso + " = /usr/lib/x86_64-linux-gnu/ld-linux-x86-64.so.2"
	tests := []struct {
		exe  string
		want []string
	}{
		{"/usr/bin/app", []string{
			"/usr/bin/app: " + ldso + " -> " + ld + " [interpreter]",
			"/usr/bin/app: libm.so.6 -> /lib/x86_64-linux-gnu/libm.so.6 = /usr/lib/x86_64-linux-gnu/libm.so.6 [ld.so.cache]",
			"/usr/bin/app: libz.so.1 -> /lib/x86_64-linux-gnu/libz.so.1 = /usr/lib/x86_64-linux-gnu/libz.so.1.2.13 [ld.so.cache]",
			"/usr/bin/app: libc.so.6 -> /lib/x86_64-linux-gnu/libc.so.6 = /usr/lib/x86_64-linux-gnu/libc.so.6 [ld.so.cache]",
			"/lib/x86_64-linux-gnu/libm.so.6: libc.so.6 -> /lib/x86_64-linux-gnu/libc.so.6 = /usr/lib/x86_64-linux-gnu/libc.so.6 [loaded]",
			"/lib/x86_64-linux-gnu/libz.so.1: libc.so.6 -> /lib/x86_64-linux-gnu/libc.so.6 = /usr/lib/x86_64-linux-gnu/libc.so.6 [loaded]",
			"/lib/x86_64-linux-gnu/libc.so.6: ld-linux-x86-64.so.2 -> " + ld + " [loaded]",
		}},
		{"/usr/bin/tool", []string{
			"/usr/bin/tool: " + ldso + " -> " + ld + " [interpreter]",
			"/usr/bin/tool: libA.so -> /opt/app/bin/../lib/libA.so = /opt/app/lib/libA.so [rpath]",
			"/usr/bin/tool: libc.so.6 -> /lib/x86_64-linux-gnu/libc.so.6 = /usr/lib/x86_64-linux-gnu/libc.so.6 [ld.so.cache]",
			// Found through the executable's DT_RPATH, up the loader chain.
			"/opt/app/bin/../lib/libA.so: libB.so -> /opt/app/bin/../lib/libB.so = /opt/app/lib/libB.so [rpath]",
			"/opt/app/bin/../lib/libA.so: libD.so -> /opt/app/bin/../lib/libD.so = /opt/app/lib/libD.so [rpath]",
			"/lib/x86_64-linux-gnu/libc.so.6: ld-linux-x86-64.so.2 -> " + ld + " [loaded]",
			// DT_RUNPATH: no inherited DT_RPATH, so libC.so is not found.
			"/opt/app/bin/../lib/libB.so: libC.so MISSING not found",
			// $ORIGIN of a library is the directory it was opened from.
			"/opt/app/bin/../lib/libD.so: libpriv.so -> /opt/app/bin/../lib/priv/libpriv.so = /opt/app/lib/priv/libpriv.so [rpath]",
		}},
		{"/usr/bin/exe2", []string{
			"/usr/bin/exe2: " + ldso + " -> " + ld + " [interpreter]",
			"/usr/bin/exe2: libplug.so -> /usr/bin/../lib/x86_64-linux-gnu/plug/libplug.so = /usr/lib/x86_64-linux-gnu/plug/libplug.so [runpath]",
			"/usr/bin/exe2: libx.so -> /x86_64/x/libx.so = /x86_64/x/libx.so [runpath]",
		}},
		{"/usr/bin/exe3", []string{
			"/usr/bin/exe3: " + ldso + " -> " + ld + " [interpreter]",
			"/usr/bin/exe3: libtext.so MISSING /lib/x86_64-linux-gnu/libtext.so: not an ELF file",
			"/usr/bin/exe3: libexe.so MISSING /lib/x86_64-linux-gnu/libexe.so: cannot load an ELF file of type ET_EXEC",
			"/usr/bin/exe3: libgone.so.1 MISSING not found",
			"/usr/bin/exe3: /opt/app/lib/libC.so -> /opt/app/lib/libC.so = /opt/app/lib/libC.so [path]",
			// The cache knows it as libother.so.3 only; the default
			// directories still have the file.
			"/usr/bin/exe3: libother.so.2 -> /lib/x86_64-linux-gnu/libother.so.2 = /usr/lib/x86_64-linux-gnu/libother.so.2 [default]",
			"/usr/bin/exe3: libm.so.6 -> /lib/x86_64-linux-gnu/libm.so.6 = /usr/lib/x86_64-linux-gnu/libm.so.6 [ld.so.cache]",
			"/usr/bin/exe3: libonly32.so MISSING not found; wrong class or machine: /usr/local/lib/libonly32.so",
			"/lib/x86_64-linux-gnu/libm.so.6: libc.so.6 -> /lib/x86_64-linux-gnu/libc.so.6 = /usr/lib/x86_64-linux-gnu/libc.so.6 [ld.so.cache]",
			"/lib/x86_64-linux-gnu/libc.so.6: ld-linux-x86-64.so.2 -> " + ld + " [loaded]",
		}},
		{"/usr/bin/exe4", []string{
			"/usr/bin/exe4: " + ldso + " -> " + ld + " [interpreter]",
			"/usr/bin/exe4: libm.so.6 MISSING not found",
		}},
		{"/usr/bin/exe32", []string{
			"/usr/bin/exe32: /lib/ld-linux.so.2 MISSING interpreter not found",
			"/usr/bin/exe32: libz.so.1 -> /usr/local/lib/libz.so.1 = /usr/local/lib/libz.so.1 [ld.so.cache]",
		}},
		{"/usr/bin/static", nil},
		{"/usr/bin/same", []string{
			"/usr/bin/same: " + ldso + " -> " + ld + " [interpreter]",
			"/usr/bin/same: libz.so.1 -> /usr/lib/x86_64-linux-gnu/libz.so.1 = /usr/lib/x86_64-linux-gnu/libz.so.1.2.13 [runpath]",
			// The same file under another name is mapped once.
			"/usr/bin/same: libz.so.1.2.13 -> /usr/lib/x86_64-linux-gnu/libz.so.1 = /usr/lib/x86_64-linux-gnu/libz.so.1.2.13 [runpath]",
			"/usr/lib/x86_64-linux-gnu/libz.so.1: libc.so.6 -> /lib/x86_64-linux-gnu/libc.so.6 = /usr/lib/x86_64-linux-gnu/libc.so.6 [ld.so.cache]",
			"/lib/x86_64-linux-gnu/libc.so.6: ld-linux-x86-64.so.2 -> " + ld + " [loaded]",
		}},
	}
	for _, tt := range tests {
		res, err := r.Resolve(tt.exe)
		if err != nil {
			t.Errorf("Resolve(%s): %v", tt.exe, err)
			continue
		}
		if got := describe(res); !reflect.DeepEqual(got, tt.want) {
			t.Errorf("Resolve(%s):\n%s\nwant\n%s", tt.exe, lines(got), lines(tt.want))
		}
	}
	for _, exe := range []string{"/usr/bin/script", "/usr/bin/nothing"} {
		if _, err := r.Resolve(exe); err == nil {
			t.Errorf("Resolve(%s) succeeded", exe)
		}
	}
}

func lines(s []string) string {
	out := ""
	for _, l := range s {
		out += "\t" + l + "\n"
	}
	return out
}

func TestResolveObjects(t *testing.T) {
	fsys := debianImage()
	conf, _ := LoadConfig(fsys)
	res, err := NewResolver(fsys, conf).Resolve("/usr/bin/tool")
	if err != nil {
		t.Fatal(err)
	}
	type obj struct {
		Path, Real string
		Links      []string
		Via        Via
		Loader     int
	}
	var got []obj
	for _, o := range res.Objects {
		got = append(got, obj{o.Path, o.Real, o.Links, o.Via, o.Loader})
	}
	want := []obj{
		{"/usr/bin/tool", "/opt/app/bin/tool", []string{"/usr/bin/tool"}, ViaExecutable, -1},
		{ldso, "/usr/lib/x86_64-linux-gnu/ld-linux-x86-64.so.2", []string{"/lib64", "/usr/lib64/ld-linux-x86-64.so.2", "/lib"}, ViaInterpreter, -1},
		{"/opt/app/bin/../lib/libA.so", "/opt/app/lib/libA.so", nil, ViaRPath, 0},
		{"/lib/x86_64-linux-gnu/libc.so.6", "/usr/lib/x86_64-linux-gnu/libc.so.6", []string{"/lib"}, ViaCache, 0},
		{"/opt/app/bin/../lib/libB.so", "/opt/app/lib/libB.so", nil, ViaRPath, 2},
		{"/opt/app/bin/../lib/libD.so", "/opt/app/lib/libD.so", nil, ViaRPath, 2},
		{"/opt/app/bin/../lib/priv/libpriv.so", "/opt/app/lib/priv/libpriv.so", nil, ViaRPath, 5},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("Objects =\n%+v\nwant\n%+v", got, want)
	}
	if m := res.Missing(); len(m) != 1 || m[0].Name != "libC.so" || m[0].From != 4 {
		t.Errorf("Missing = %+v", m)
	}
}

func TestResolvePreload(t *testing.T) {
	fsys := debianImage()
	fsys["etc/ld.so.preload"] = text("# preload\nlibpre.so /opt/app/lib/libC.so\n")
	conf, err := LoadConfig(fsys)
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"libpre.so", "/opt/app/lib/libC.so"}; !reflect.DeepEqual(conf.Preload, want) {
		t.Fatalf("Preload = %q, want %q", conf.Preload, want)
	}
	res, err := NewResolver(fsys, conf).Resolve("/usr/bin/exe4")
	if err != nil {
		t.Fatal(err)
	}
	want := []string{
		"/usr/bin/exe4: " + ldso + " -> " + ldso + " = /usr/lib/x86_64-linux-gnu/ld-linux-x86-64.so.2 [interpreter]",
		// exe4 is DF_1_NODEFLIB: the preload is looked up for it, so not
		// in the cache's system directories either.
		"/usr/bin/exe4: libpre.so MISSING not found",
		"/usr/bin/exe4: /opt/app/lib/libC.so -> /opt/app/lib/libC.so = /opt/app/lib/libC.so [path]",
		"/usr/bin/exe4: libm.so.6 MISSING not found",
	}
	if got := describe(res); !reflect.DeepEqual(got, want) {
		t.Errorf("got\n%s\nwant\n%s", lines(got), lines(want))
	}
	res, err = NewResolver(fsys, conf).Resolve("/usr/bin/exe2")
	if err != nil {
		t.Fatal(err)
	}
	if got := describe(res)[1]; got != "/usr/bin/exe2: libpre.so -> /lib/x86_64-linux-gnu/libpre.so = /usr/lib/x86_64-linux-gnu/libpre.so [ld.so.cache]" {
		t.Errorf("preload in exe2: %s", got)
	}
	if res.Deps[1].Kind != Preloaded || res.Deps[0].Kind != Interpreter || res.Deps[3].Kind != Needed {
		t.Errorf("dep kinds = %v %v %v", res.Deps[0].Kind, res.Deps[1].Kind, res.Deps[3].Kind)
	}
}

func TestResolveMusl(t *testing.T) {
	musl := "/lib/ld-musl-x86_64.so.1"
	fsys := fstest.MapFS{
		"lib/ld-musl-x86_64.so.1":   file(elfSpec{soname: "libc.musl-x86_64.so.1"}),
		"lib/libc.musl-x86_64.so.1": link("ld-musl-x86_64.so.1"),
		"lib/libcrypto.so.3":        file(elfSpec{soname: "libcrypto.so.3", needed: []string{"libc.musl-x86_64.so.1"}}),
		"usr/lib/libssl.so.3":       file(elfSpec{soname: "libssl.so.3", needed: []string{"libcrypto.so.3", "libc.musl-x86_64.so.1"}}),
		"usr/local/lib/libssl.so.3": file(elfSpec{soname: "libssl.so.3"}),
		"opt/x/lib/libpriv.so":      file(elfSpec{needed: []string{"libdeep.so"}}),
		"opt/x/lib/libdeep.so":      file(elfSpec{}),
		"opt/x/bin/app":             file(elfSpec{interp: musl, rpath: str("$ORIGIN/../lib:$LIB"), needed: []string{"libpriv.so"}}),
		"etc/ld-musl-x86_64.path":   text("/usr/lib\n/lib\n"),
		"usr/bin/mapp":              file(elfSpec{interp: musl, needed: []string{"libc.musl-x86_64.so.1", "libssl.so.3", "libc.so", "libpthread.so.0"}}),
	}
	r := NewResolver(fsys, Config{})
	m := musl + " -> " + musl + " = " + musl
	tests := []struct {
		exe  string
		want []string
	}{
		{"/usr/bin/mapp", []string{
			"/usr/bin/mapp: " + m + " [interpreter]",
			"/usr/bin/mapp: libc.musl-x86_64.so.1 -> " + musl + " = " + musl + " [loaded]",
			"/usr/bin/mapp: libssl.so.3 -> /usr/lib/libssl.so.3 = /usr/lib/libssl.so.3 [musl-path]",
			"/usr/bin/mapp: libc.so -> " + musl + " = " + musl + " [loaded]",
			"/usr/bin/mapp: libpthread.so.0 -> " + musl + " = " + musl + " [loaded]",
			"/usr/lib/libssl.so.3: libcrypto.so.3 -> /lib/libcrypto.so.3 = /lib/libcrypto.so.3 [musl-path]",
			"/usr/lib/libssl.so.3: libc.musl-x86_64.so.1 -> " + musl + " = " + musl + " [loaded]",
			"/lib/libcrypto.so.3: libc.musl-x86_64.so.1 -> " + musl + " = " + musl + " [loaded]",
		}},
		// musl drops a whole rpath holding a token other than $ORIGIN,
		// and searches the loader chain's rpaths for indirect needs.
		{"/opt/x/bin/app", []string{
			"/opt/x/bin/app: " + m + " [interpreter]",
			"/opt/x/bin/app: libpriv.so MISSING not found",
		}},
	}
	for _, tt := range tests {
		res, err := r.Resolve(tt.exe)
		if err != nil {
			t.Fatal(err)
		}
		if got := describe(res); !reflect.DeepEqual(got, tt.want) {
			t.Errorf("Resolve(%s):\n%s\nwant\n%s", tt.exe, lines(got), lines(tt.want))
		}
	}
	// A loader under a prefix reads PREFIX/etc/ld-musl-ARCH.path.
	fsys["opt/musl/lib/ld-musl-x86_64.so.1"] = file(elfSpec{soname: "libc.musl-x86_64.so.1"})
	fsys["opt/musl/etc/ld-musl-x86_64.path"] = text("/opt/x/lib\n")
	fsys["usr/bin/prefixed"] = file(elfSpec{interp: "/opt/musl/lib/ld-musl-x86_64.so.1", needed: []string{"libdeep.so", "libssl.so.3"}})
	res, err := r.Resolve("/usr/bin/prefixed")
	if err != nil {
		t.Fatal(err)
	}
	want := []string{
		"/usr/bin/prefixed: /opt/musl/lib/ld-musl-x86_64.so.1 -> /opt/musl/lib/ld-musl-x86_64.so.1 = /opt/musl/lib/ld-musl-x86_64.so.1 [interpreter]",
		"/usr/bin/prefixed: libdeep.so -> /opt/x/lib/libdeep.so = /opt/x/lib/libdeep.so [musl-path]",
		"/usr/bin/prefixed: libssl.so.3 MISSING not found",
	}
	if got := describe(res); !reflect.DeepEqual(got, want) {
		t.Errorf("Resolve(prefixed musl):\n%s\nwant\n%s", lines(got), lines(want))
	}

	fsys["opt/x/bin/app"] = file(elfSpec{interp: musl, rpath: str("$ORIGIN/../lib"), needed: []string{"libpriv.so"}})
	res, err = NewResolver(fsys, Config{}).Resolve("/opt/x/bin/app")
	if err != nil {
		t.Fatal(err)
	}
	want = []string{
		"/opt/x/bin/app: " + m + " [interpreter]",
		"/opt/x/bin/app: libpriv.so -> /opt/x/bin/../lib/libpriv.so = /opt/x/lib/libpriv.so [rpath]",
		"/opt/x/bin/../lib/libpriv.so: libdeep.so -> /opt/x/bin/../lib/libdeep.so = /opt/x/lib/libdeep.so [rpath]",
	}
	if got := describe(res); !reflect.DeepEqual(got, want) {
		t.Errorf("Resolve(app with $ORIGIN):\n%s\nwant\n%s", lines(got), lines(want))
	}
}

func TestParseConf(t *testing.T) {
	got := ParseConf("# comment\n\n  /usr/local/lib  \n/opt/lib/ # trailing\ninclude a/*.conf b.conf\nhwcap 0 nosegneg\n/old=libc6\nrel/dir\n")
	want := []ConfEntry{{Dir: "/usr/local/lib"}, {Dir: "/opt/lib"}, {Include: []string{"a/*.conf", "b.conf"}}, {Dir: "/old"}, {Dir: "/rel/dir"}}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("ParseConf = %+v, want %+v", got, want)
	}
}

func TestLoadConfigIncludes(t *testing.T) {
	fsys := fstest.MapFS{
		"etc/ld.so.conf":            text("/first\ninclude ld.so.conf.d/*.conf\n/last\n"),
		"etc/ld.so.conf.d/b.conf":   text("/b\ninclude loop.inc\n"),
		"etc/ld.so.conf.d/a.conf":   text("/a\n"),
		"etc/ld.so.conf.d/loop.inc": link("/etc/ld.so.conf.d/b.conf"),
		"etc/ld.so.conf.d/c.txt":    text("/c\n"),
	}
	conf, err := LoadConfig(fsys)
	if err != nil {
		t.Fatal(err)
	}
	// b.conf includes itself (relative to its own directory) until the
	// depth limit.
	want := []string{"/first", "/a", "/b"}
	for i := 1; i < maxIncludeDepth; i++ {
		want = append(want, "/b")
	}
	want = append(want, "/last")
	if !reflect.DeepEqual(conf.LibDirs, want) {
		t.Errorf("LibDirs = %q, want %q", conf.LibDirs, want)
	}
	empty, err := LoadConfig(fstest.MapFS{})
	if err != nil || len(empty.LibDirs) != 0 || len(empty.Preload) != 0 {
		t.Errorf("LoadConfig(empty) = %+v, %v", empty, err)
	}
}

func TestViaString(t *testing.T) {
	for v, want := range map[Via]string{ViaCache: "ld.so.cache", ViaRunPath: "runpath", ViaMuslPath: "musl-path", Via(99): "via(99)"} {
		if got := v.String(); got != want {
			t.Errorf("Via(%d).String() = %q, want %q", v, got, want)
		}
	}
}
