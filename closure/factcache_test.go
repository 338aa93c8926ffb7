package closure

import (
	"archive/tar"
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"github.com/whittle-dev/whittle/analyze"
	"github.com/whittle-dev/whittle/analyze/source"
)

// TestFactsCache builds a closure twice with one cache: the second reads
// no file (in between, the script's command is changed in place, same size
// and time, which a read would see) and gives the same report.
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
		{"bin/entry.sh", 0o755, []byte("#!/bin/sh\nset -e\nexec true \"$@\"\n")},
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
	if !bytes.Contains(cold, []byte(`"runs"`)) || !bytes.Contains(cold, []byte("bad-elf")) {
		t.Errorf("the report lacks the script's runs edge or the bad ELF:\n%s", cold)
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
