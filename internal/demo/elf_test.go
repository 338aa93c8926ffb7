package demo

import (
	"bytes"
	"debug/elf"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

// elfFacts is what a reader finds in an ELF file.
type elfFacts struct {
	Interp  string
	Needed  []string
	Runpath []string
	Soname  []string
	Symbols []string
	Defined int
}

func readELF(t testing.TB, name string, b []byte) elfFacts {
	t.Helper()
	f, err := elf.NewFile(bytes.NewReader(b))
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	defer f.Close()
	if f.Class != elf.ELFCLASS64 || f.Data != elf.ELFDATA2LSB || f.Machine != elf.EM_X86_64 || f.Type != elf.ET_DYN {
		t.Errorf("%s: %v %v %v %v, want a little-endian 64-bit x86-64 ET_DYN", name, f.Class, f.Data, f.Machine, f.Type)
	}
	var facts elfFacts
	for _, p := range f.Progs {
		if p.Type == elf.PT_INTERP {
			b, err := io.ReadAll(p.Open())
			if err != nil {
				t.Fatalf("%s: reading PT_INTERP: %v", name, err)
			}
			facts.Interp = strings.TrimRight(string(b), "\x00")
		}
	}
	if facts.Needed, err = f.ImportedLibraries(); err != nil {
		t.Fatalf("%s: DT_NEEDED: %v", name, err)
	}
	if facts.Runpath, err = f.DynString(elf.DT_RUNPATH); err != nil {
		t.Fatalf("%s: DT_RUNPATH: %v", name, err)
	}
	if facts.Soname, err = f.DynString(elf.DT_SONAME); err != nil {
		t.Fatalf("%s: DT_SONAME: %v", name, err)
	}
	syms, err := f.DynamicSymbols()
	if err != nil {
		t.Fatalf("%s: dynamic symbols: %v", name, err)
	}
	for _, s := range syms {
		facts.Symbols = append(facts.Symbols, s.Name)
		if s.Section != elf.SHN_UNDEF {
			facts.Defined++
		}
	}
	return facts
}

// want is what spec should give a reader.
func (s elfSpec) want() elfFacts {
	w := elfFacts{Interp: s.Interp, Needed: s.Needed, Symbols: append(append([]string(nil), s.Imports...), s.Exports...), Defined: len(s.Exports)}
	if s.Runpath != "" {
		w.Runpath = []string{s.Runpath}
	}
	if s.Soname != "" {
		w.Soname = []string{s.Soname}
	}
	return w
}

func TestELFWriter(t *testing.T) {
	for _, tc := range []struct {
		name     string
		spec     elfSpec
		wantSize int
	}{
		{"executable", elfSpec{
			Interp:  "/nix/store/aaaa-glibc/lib/ld-linux-x86-64.so.2",
			Needed:  []string{"libc.so.6", "libm.so.6"},
			Runpath: "/nix/store/aaaa-glibc/lib:/nix/store/bbbb-openssl/lib",
			Imports: []string{"__libc_start_main", "sin"},
			Exports: []string{"main"},
			Rodata:  []string{"/nix/store/cccc-tzdata/share/zoneinfo"},
			Size:    100_000,
			Key:     "t1",
		}, 100_000},
		{"library", elfSpec{
			Needed:  []string{"libc.so.6"},
			Soname:  "libfoo.so.1",
			Exports: []string{"foo", "bar", "baz"},
			Size:    20_001,
			Key:     "t2",
		}, 20_008},
		{"bare", elfSpec{Key: "t3"}, 4_552},
		{"too small", elfSpec{Soname: "libtiny.so", Size: 10, Key: "t4"}, 4_552},
	} {
		t.Run(tc.name, func(t *testing.T) {
			b := tc.spec.bytes()
			if len(b) != tc.wantSize {
				t.Errorf("size %d, want %d", len(b), tc.wantSize)
			}
			got := readELF(t, tc.name, b)
			if !reflect.DeepEqual(got, tc.spec.want()) {
				t.Errorf("read %+v\nwant %+v", got, tc.spec.want())
			}
			for _, r := range tc.spec.Rodata {
				if !bytes.Contains(b, append([]byte(r), 0)) {
					t.Errorf("%q is not in the file", r)
				}
			}
			if !bytes.Equal(b, tc.spec.bytes()) {
				t.Errorf("two writes differ")
			}
		})
	}
}

// TestEveryELF reads every ELF file of the demo with debug/elf and checks
// it holds exactly what the demo wrote; no ELF file is unaccounted for.
func TestEveryELF(t *testing.T) {
	b := demoBuilt(t)
	n := 0
	for i, l := range b.tars {
		specs := b.trees[i].elfs
		seen := map[string]bool{}
		for _, e := range readTar(t, l) {
			if !bytes.HasPrefix(e.data, []byte("\x7fELF")) {
				continue
			}
			spec, ok := specs[e.path()]
			if !ok {
				t.Errorf("layer %d: %s is an ELF file the demo did not write as one", i+1, e.path())
				continue
			}
			seen[e.path()] = true
			n++
			if got := readELF(t, e.path(), e.data); !reflect.DeepEqual(got, spec.want()) {
				t.Errorf("%s: read %+v\nwant %+v", e.path(), got, spec.want())
			}
			if e.hdr.Mode != 0o555 {
				t.Errorf("%s: mode %o, want 555", e.path(), e.hdr.Mode)
			}
		}
		for p := range specs {
			if !seen[p] {
				t.Errorf("layer %d: %s was written but is not an ELF file in the tar", i+1, p)
			}
		}
	}
	if n != 112 {
		t.Errorf("%d ELF files, want 112", n)
	}
}

// TestKeyELFs spells out what the closure code will rely on.
func TestKeyELFs(t *testing.T) {
	b := demoBuilt(t)
	c := demoContents(t)
	sp := c.StorePaths
	all := map[string][]byte{}
	for _, l := range b.tars {
		for _, e := range readTar(t, l) {
			all[e.path()] = e.data
		}
	}
	loader := sp["glibc"] + "/lib/ld-linux-x86-64.so.2"
	for _, tc := range []struct {
		path    string
		interp  string
		needed  []string
		runpath []string
		soname  []string
	}{
		{sp["python3"] + "/bin/python3.12", loader, []string{"libc.so.6", "libm.so.6", "libssl.so.3", "libcrypto.so.3"},
			[]string{sp["glibc"] + "/lib:" + sp["openssl"] + "/lib"}, nil},
		{sp["openssl"] + "/lib/libssl.so.3", "", []string{"libcrypto.so.3", "libc.so.6"},
			[]string{sp["openssl"] + "/lib:" + sp["glibc"] + "/lib"}, []string{"libssl.so.3"}},
		{sp["openssl"] + "/lib/libcrypto.so.3", "", []string{"libc.so.6"}, []string{sp["glibc"] + "/lib"}, []string{"libcrypto.so.3"}},
		{sp["glibc"] + "/lib/libc.so.6", "", []string{"ld-linux-x86-64.so.2"}, nil, []string{"libc.so.6"}},
		{loader, "", nil, nil, []string{"ld-linux-x86-64.so.2"}},
		{sp["glibc"] + "/lib/gconv/EUC-JP.so", "", []string{"libJIS.so", "libc.so.6"}, []string{"$ORIGIN"}, nil},
		{sp["python3"] + "/lib/python3.12/lib-dynload/_ctypes.cpython-312-x86_64-linux-gnu.so", "", []string{"libffi.so.8", "libc.so.6"},
			[]string{sp["libffi"] + "/lib:" + sp["glibc"] + "/lib"}, nil},
		{sp["systemd"] + "/lib/security/pam_systemd.so", "", []string{"libpam.so.0", "libsystemd-shared-255.so", "libc.so.6"},
			[]string{sp["linux-pam"] + "/lib:" + sp["systemd"] + "/lib/systemd:" + sp["glibc"] + "/lib"}, nil},
	} {
		data, ok := all[tc.path]
		if !ok {
			t.Errorf("%s is not in the image", tc.path)
			continue
		}
		got := readELF(t, tc.path, data)
		if got.Interp != tc.interp || !reflect.DeepEqual(got.Needed, tc.needed) ||
			!reflect.DeepEqual(got.Runpath, tc.runpath) || !reflect.DeepEqual(got.Soname, tc.soname) {
			t.Errorf("%s: interp %q needed %q runpath %q soname %q\nwant interp %q needed %q runpath %q soname %q",
				tc.path, got.Interp, got.Needed, got.Runpath, got.Soname, tc.interp, tc.needed, tc.runpath, tc.soname)
		}
	}
}

// TestReadelf has binutils' readelf read a few of the files: it must not
// complain, and must find the same dynamic section.
func TestReadelf(t *testing.T) {
	readelf, err := exec.LookPath("readelf")
	if err != nil {
		t.Skip("readelf is not installed")
	}
	b := demoBuilt(t)
	c := demoContents(t)
	dir := t.TempDir()
	for _, tc := range []struct {
		path string
		want []string
	}{
		{c.Runtime + "/bin/python3.12", []string{
			"[Requesting program interpreter: " + c.StorePaths["glibc"] + "/lib/ld-linux-x86-64.so.2]",
			"(NEEDED)             Shared library: [libssl.so.3]",
			"(RUNPATH)            Library runpath: [" + c.StorePaths["glibc"] + "/lib:" + c.StorePaths["openssl"] + "/lib]",
		}},
		{c.StorePaths["openssl"] + "/lib/libssl.so.3", []string{
			"(SONAME)             Library soname: [libssl.so.3]",
			"(NEEDED)             Shared library: [libcrypto.so.3]",
		}},
	} {
		var data []byte
		for _, e := range readTar(t, b.tars[0]) {
			if e.path() == tc.path {
				data = e.data
			}
		}
		file := filepath.Join(dir, filepath.Base(tc.path))
		if err := os.WriteFile(file, data, 0o644); err != nil {
			t.Fatal(err)
		}
		var stdout, stderr bytes.Buffer
		cmd := exec.Command(readelf, "-W", "-h", "-l", "-S", "-d", "--dyn-syms", file)
		cmd.Stdout, cmd.Stderr = &stdout, &stderr
		if err := cmd.Run(); err != nil || stderr.Len() > 0 {
			t.Errorf("readelf %s: %v\n%s", tc.path, err, stderr.String())
		}
		for _, w := range tc.want {
			if !strings.Contains(stdout.String(), w) {
				t.Errorf("readelf %s: no %q in\n%s", tc.path, w, stdout.String())
			}
		}
	}
}
