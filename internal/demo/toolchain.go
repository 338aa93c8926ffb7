package demo

import "fmt"

// gccFiles and binutilsFiles are the executables of the compiler and the
// binutils store paths (relative path, size).
var (
	gccFiles = []struct {
		rel  string
		size int
	}{
		{"bin/gcc", 302_080}, {"bin/g++", 306_176}, {"bin/cpp", 302_080}, {"bin/gcov", 180_224},
		{"libexec/gcc/x86_64-unknown-linux-gnu/13.2.0/cc1", 1_204_224},
		{"libexec/gcc/x86_64-unknown-linux-gnu/13.2.0/cc1plus", 1_302_528},
		{"libexec/gcc/x86_64-unknown-linux-gnu/13.2.0/collect2", 151_552},
		{"libexec/gcc/x86_64-unknown-linux-gnu/13.2.0/lto-wrapper", 200_704},
	}
	binutilsFiles = []struct {
		rel  string
		size int
	}{
		{"bin/ld.bfd", 525_440}, {"bin/as", 249_568}, {"bin/objdump", 202_848}, {"bin/readelf", 223_840},
		{"bin/strip", 232_224}, {"bin/nm", 57_344}, {"bin/ar", 66_560},
	}
)

// gcc writes the compiler's store path: drivers, the compilers proper,
// and its manuals (man and info).
func gcc(t *tree, s store) {
	g := s.path("gcc")
	st := t.in(g)
	glibc := s.path("glibc")
	for _, f := range gccFiles {
		st.elf(f.rel, elfSpec{
			Interp:  glibc + "/lib/ld-linux-x86-64.so.2",
			Needed:  []string{"libz.so.1", "libm.so.6", "libc.so.6"},
			Runpath: runpath(s.path("zlib")+"/lib", glibc+"/lib"),
			Imports: []string{"__libc_start_main", "inflate", "sin"},
			Rodata:  []string{g + "/libexec/gcc/x86_64-unknown-linux-gnu/13.2.0", g + "/lib/gcc/x86_64-unknown-linux-gnu/13.2.0", "COLLECT_GCC"},
			Size:    f.size,
		})
	}
	st.link("bin/cc", "gcc")
	st.link("bin/c++", "g++")
	st.file("lib/gcc/x86_64-unknown-linux-gnu/13.2.0/crtbegin.o", machineCode(g+"/crtbegin.o", 3_232))
	st.file("lib/gcc/x86_64-unknown-linux-gnu/13.2.0/crtend.o", machineCode(g+"/crtend.o", 1_512))
	st.file("lib/gcc/x86_64-unknown-linux-gnu/13.2.0/libgcc.a", machineCode(g+"/libgcc.a", 212_006))
	for i, m := range []string{"gcc", "g++", "cpp", "gcov"} {
		p := "share/man/man1/" + m + ".1.gz"
		st.file(p, gzipFile(prose(g+"/"+p, ".\\\" ", 60_000+i*17_000)))
	}
	for i, m := range []string{"gcc", "cpp", "cppinternals", "gccinstall", "gccint"} {
		p := "share/info/" + m + ".info.gz"
		st.file(p, gzipFile(prose(g+"/"+p, "", 60_000+i*21_000)))
	}
}

// binutils writes the binutils store path: the tools and their manuals.
func binutils(t *tree, s store) {
	b := s.path("binutils")
	st := t.in(b)
	glibc := s.path("glibc")
	for _, f := range binutilsFiles {
		st.elf(f.rel, elfSpec{
			Interp:  glibc + "/lib/ld-linux-x86-64.so.2",
			Needed:  []string{"libz.so.1", "libc.so.6"},
			Runpath: runpath(s.path("zlib")+"/lib", glibc+"/lib"),
			Imports: []string{"__libc_start_main", "inflate"},
			Size:    f.size,
		})
	}
	st.link("bin/ld", "ld.bfd")
	for i, m := range []string{"as", "ld", "binutils", "bfd", "gprof"} {
		p := "share/info/" + m + ".info.gz"
		st.file(p, gzipFile(prose(b+"/"+p, "", 40_000+i*13_000)))
	}
	for i, m := range []string{"ld", "as", "objdump", "readelf", "strip", "nm", "ar"} {
		p := "share/man/man1/" + m + ".1.gz"
		st.file(p, gzipFile(prose(b+"/"+p, ".\\\" ", 9_000+i*2_100)))
	}
}

// pipFiles are pip's modules (relative to site-packages/pip) and sizes.
var pipFiles = []struct {
	rel  string
	size int
}{
	{"__init__.py", 357}, {"__main__.py", 854}, {"_internal/__init__.py", 513},
	{"_internal/build_env.py", 10_243}, {"_internal/cache.py", 10_369}, {"_internal/configuration.py", 14_006},
	{"_internal/exceptions.py", 23_737}, {"_internal/main.py", 340}, {"_internal/pyproject.py", 7_152},
	{"_internal/self_outdated_check.py", 8_318}, {"_internal/wheel_builder.py", 11_842},
	{"_internal/cli/main.py", 2_817}, {"_internal/commands/install.py", 29_757}, {"_internal/commands/download.py", 5_289},
	{"_internal/network/session.py", 18_443}, {"_internal/network/cache.py", 4_073},
	{"_internal/resolution/resolvelib/resolver.py", 12_592}, {"_internal/req/req_install.py", 35_718},
	{"_vendor/certifi/core.py", 4_279}, {"_vendor/certifi/cacert.pem", 292_041},
	{"_vendor/requests/__init__.py", 5_057}, {"_vendor/requests/adapters.py", 27_607},
	{"_vendor/requests/sessions.py", 30_495}, {"_vendor/rich/console.py", 99_173},
	{"_vendor/rich/_emoji_codes.py", 140_235}, {"_vendor/pygments/lexers/_mapping.py", 68_928},
	{"_vendor/urllib3/connectionpool.py", 40_408}, {"_vendor/urllib3/response.py", 30_641},
	{"_vendor/pkg_resources/__init__.py", 109_425}, {"_vendor/distlib/t64.exe", 108_032},
	{"_vendor/distlib/w64.exe", 101_888},
}

// pip writes the package manager's store path: its entry point, which
// names the runtime, and its modules (with the certifi bundle pip
// vendors).
func pip(t *tree, s store) {
	p := s.path("pip")
	st := t.in(p)
	site := p + "/lib/python3.12/site-packages"
	for _, name := range []string{"pip", "pip3", "pip3.12"} {
		st.exe("bin/"+name, []byte(fmt.Sprintf("#!%s/bin/python3.12\n# -*- coding: utf-8 -*-\nimport re\nimport sys\nsys.path.insert(0, %q)\nfrom pip._internal.cli.main import main\nif __name__ == \"__main__\":\n    sys.argv[0] = re.sub(r\"(-script\\.pyw|\\.exe)?$\", \"\", sys.argv[0])\n    sys.exit(main())\n", s.path("python3"), site)))
	}
	for _, f := range pipFiles {
		rel := "lib/python3.12/site-packages/pip/" + f.rel
		switch {
		case f.rel[len(f.rel)-3:] == ".py":
			st.file(rel, pythonSource(p+"/"+rel, f.size))
		case f.rel[len(f.rel)-4:] == ".exe":
			st.file(rel, padTo([]byte("MZ\x90\x00"), f.size, func(n int) []byte { return machineCode(p+"/"+rel, n) }))
		default:
			st.file(rel, prose(p+"/"+rel, "", f.size))
		}
	}
	st.file("lib/python3.12/site-packages/pip-24.0.dist-info/METADATA", []byte("Metadata-Version: 2.1\nName: pip\nVersion: 24.0\nSummary: The PyPA recommended tool for installing Python packages.\n"))
	st.file("share/man/man1/pip.1.gz", gzipFile(prose(p+"/share/man/man1/pip.1", ".\\\" ", 4_810)))
}

// caches writes what installing left behind: pip's HTTP cache and built
// wheels, nix's fetcher caches, and the man-db and fontconfig caches.
func caches(t *tree) {
	for i := range 16 {
		p := fmt.Sprintf("/root/.cache/pip/http-v2/%x/%x/%x/%x/%x/%064x", i%16, (i*7)%16, (i*3)%16, (i*5)%16, (i*11)%16, uint64(i)*0x9e3779b97f4a7c15)
		t.file(p, 0o600, randomBytes(p, 12_000+i*1_811))
		t.file(p+".body", 0o600, randomBytes(p+".body", 6_000+i*1_033))
	}
	t.file("/root/.cache/pip/selfcheck/4b1ac1a5ae04f8a6e0cdd6d9b0e4f5f8e3a1e0a1b7d8a5b8f0b1c2d3.json", 0o600, []byte(`{"key":"/nix/var/nix/profiles/default","last_check":"2024-06-15T12:00:00Z","pypi_version":"24.0"}`))
	t.file("/root/.cache/pip/wheels/3c/1d/7e/hello_web-1.4.2-py3-none-any.whl", 0o600, randomBytes("/root/.cache/pip/wheels/hello_web", 41_233))
	t.file("/root/.cache/nix/fetcher-cache-v1.sqlite", 0o644, padTo([]byte("SQLite format 3\x00"), 65_536, func(n int) []byte { return randomBytes("fetcher-cache", n) }))
	t.file("/root/.cache/nix/binary-cache-v6.sqlite", 0o644, padTo([]byte("SQLite format 3\x00"), 229_376, func(n int) []byte { return randomBytes("binary-cache", n) }))
	t.file("/root/.cache/nix/eval-cache-v5/1f7e8c7a6b1d1c0e3a9b8f7d6c5b4a39.sqlite", 0o644, padTo([]byte("SQLite format 3\x00"), 196_608, func(n int) []byte { return randomBytes("eval-cache", n) }))
	t.dir("/root", 0o700)
	t.file("/var/cache/man/index.db", 0o644, randomBytes("/var/cache/man/index.db", 96_256))
	for i, f := range []string{"0b5f6dd1a6ac46c69d8ae7cd5fa2d08e-le64.cache-9", "4e4b3c2d1a0f9e8d7c6b5a4938271605-le64.cache-9", "d589a48862398ed80a3d6066f4f56f4c-le64.cache-9"} {
		t.file("/var/cache/fontconfig/"+f, 0o644, randomBytes("/var/cache/fontconfig/"+f, 4_096+i*11_264))
	}
}

// toolchain writes the build layer: the compiler, binutils, pip and the
// caches their use left.
func toolchain(t *tree, s store) {
	gcc(t, s)
	binutils(t, s)
	pip(t, s)
	caches(t)
}
