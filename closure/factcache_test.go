package closure

import (
	"archive/tar"
	"bytes"
	"context"
	"debug/elf"
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"testing"

	"github.com/whittle-dev/whittle/analyze"
	"github.com/whittle-dev/whittle/analyze/source"
	"github.com/whittle-dev/whittle/closure/elfdeps"
	"github.com/whittle-dev/whittle/closure/names"
	"github.com/whittle-dev/whittle/closure/runtime"
	"github.com/whittle-dev/whittle/closure/shebang"
	"github.com/whittle-dev/whittle/internal/binenc"
)

// TestFactsCache builds a closure twice with one cache: the second reads
// no file (in between, the script's command is changed in place, same size
// and time, which a read would see) and gives the same report, the names
// in the script and in the configuration it names included.
func TestFactsCache(t *testing.T) {
	elfBytes, err := os.ReadFile("/bin/true")
	if err != nil {
		t.Skip("no /bin/true to use as an ELF file")
	}
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	for _, f := range []struct {
		name string
		mode int64
		data []byte
	}{
		{"bin/true", 0o755, elfBytes},
		{"bin/entry.sh", 0o755, []byte("#!/bin/sh\nset -e\nexec true \"$@\" </etc/app.conf\n")},
		{"etc/app.conf", 0o644, []byte("dir /srv/data\n")},
		{"srv/data/x", 0o644, []byte("x")},
		{"bin/sh", 0o755, []byte("\x7fELF not really")},
	} {
		tw.WriteHeader(&tar.Header{Name: f.name, Mode: f.mode, Size: int64(len(f.data)), Typeflag: tar.TypeReg})
		tw.Write(f.data)
	}
	tw.Close()
	p := filepath.Join(t.TempDir(), "root.tar")
	if err := os.WriteFile(p, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	cache := &analyze.Cache{Dir: t.TempDir()}
	report := func() []byte {
		t.Helper()
		im, err := source.Open(context.Background(), "rootfs-tar:"+p, source.Options{})
		if err != nil {
			t.Fatal(err)
		}
		defer im.Close()
		ix, err := analyze.IndexImage(context.Background(), im, analyze.IndexOptions{Cache: cache})
		if err != nil {
			t.Fatal(err)
		}
		cl, err := Build(context.Background(), im, ix, Options{Roots: []string{"/bin/entry.sh"}, Cache: cache})
		if err != nil {
			t.Fatal(err)
		}
		b, _ := json.Marshal(cl.NewReport("x", nil, 0, 0))
		return b
	}
	cold := report()
	fi, _ := os.Stat(p)
	changed := bytes.Replace(buf.Bytes(), []byte("exec true"), []byte("exec xxxx"), 1)
	if bytes.Equal(changed, buf.Bytes()) {
		t.Fatal("the script is not in the tarball")
	}
	if err := os.WriteFile(p, changed, 0o644); err != nil {
		t.Fatal(err)
	}
	os.Chtimes(p, fi.ModTime(), fi.ModTime())
	warm := report()
	if !bytes.Equal(cold, warm) {
		t.Errorf("warm report differs:\n%s\ncold:\n%s", warm, cold)
	}
	if !bytes.Contains(cold, []byte(`"runs"`)) || !bytes.Contains(cold, []byte("bad-elf")) || bytes.Count(cold, []byte(`"named"`)) != 2 {
		t.Errorf("the report lacks the script's runs edge, the bad ELF or the two named edges:\n%s", cold)
	}
}

// TestFactsCacheOff: without a cache the same change is seen.
func TestFactsCacheOff(t *testing.T) {
	im, ix := memImage(t, map[string]any{"Entrypoint": []string{"/bin/entry.sh"}},
		reg("/bin/entry.sh", "#!/bin/sh\nexec xxxx\n", 0o755), reg("/bin/sh", "\x7fELF", 0o755))
	cl, err := Build(context.Background(), im, ix, Options{})
	if err != nil {
		t.Fatal(err)
	}
	found := false
	for _, p := range cl.Problems {
		found = found || p.Kind == "closure/missing-command"
	}
	if !found {
		t.Errorf("no missing-command for xxxx: %+v", cl.Problems)
	}
}

// TestLayerFactsRoundTrip: every part of the facts comes back from the
// encoding, and every cut of it fails.
func TestLayerFactsRoundTrip(t *testing.T) {
	lf := layerFacts{
		0: {},
		1: {NixRuns: []string{}},
		2: {NixRuns: []string{"0123456789abcdfghijklmnpqrsvwxyz-cacert/etc/ssl/certs/ca-bundle.crt", "0123456789abcdfghijklmnpqrsvwxyz"}},
		3: {ELFErr: "truncated ELF header"},
		7: {ELF: &elfdeps.Info{Class: elf.ELFCLASS64, Data: elf.ELFDATA2LSB, Machine: elf.EM_X86_64, Type: elf.ET_DYN,
			Interp: "/lib64/ld-linux-x86-64.so.2", Dynamic: true, Needed: []string{"libc.so.6", "libm.so.6"}, Soname: "libx.so.1",
			RPath: []string{"$ORIGIN/../lib"}, RunPath: []string{"/opt/lib", ""}, Flags1: elf.DF_1_NODEFLIB, Bad: []string{"DT_NEEDED 3: too long"}},
			Runtime: &runtime.Facts{OpenSSLDir: "/usr/lib/ssl", ModulesDir: "/usr/lib/ossl-modules", Paths: []string{"/usr/share/perl5"}}},
		9: {Script: &shebang.Script{Line: shebang.Line{Interpreter: "/usr/bin/env", Arg: "-S python3 -u", HasArg: true}, Env: true, Command: "python3", Args: []string{"-u"}},
			Shell: []byte("#!/bin/sh\nexec \"$@\"\n"), Dialect: "posix"},
		12: {Script: &shebang.Script{Line: shebang.Line{Interpreter: "/bin/sh"}, Problem: "odd"}, Shell: []byte{}, Dialect: "bash",
			Names: []names.Name{{Text: "/etc/app.conf", Line: 3}}},
		14: {Names: []names.Name{{Text: "/usr/share/zoneinfo/", Packed: true}, {Text: "/etc/x", Exact: true}}, Libc: true},
		15: {Names: []names.Name{}},
	}
	b := appendLayerFacts(nil, lf)
	got, err := decodeLayerFacts(binenc.NewDecoder(b))
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, lf) {
		for pos := range lf {
			if !reflect.DeepEqual(got[pos], lf[pos]) {
				t.Errorf("entry %d: got %+v, want %+v", pos, got[pos], lf[pos])
			}
		}
	}
	for n := 0; n < len(b); n++ {
		if _, err := decodeLayerFacts(binenc.NewDecoder(b[:n])); err == nil {
			t.Fatalf("cut at %d of %d decoded", n, len(b))
		}
	}
}
