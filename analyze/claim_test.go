package analyze

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestCacheCannotBeClaimed: after good.tar is audited, an archive whose
// config claims good's diff IDs, with members of the same sizes but other
// bytes and no digest in their names, is not audited as good from the
// warm cache: it fails as it does cold (its layers do not match the diff
// IDs its config claims). So does good's OCI layout with a blob replaced
// by other bytes of the same size. A byte-for-byte copy of good.tar
// elsewhere is still answered from the cache, and the same file is,
// without reading it, again.
func TestCacheCannotBeClaimed(t *testing.T) {
	c := writeTwoCopies(t)
	raw, err := layoutConfig(c.oci)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	evil := filepath.Join(dir, "evil.tar")
	evilTars := [][]byte{paddedTar(t, "x.txt", 5000, 'x'), paddedTar(t, "y.txt", 3000, 'y')}
	writeDockerArchive(t, evil, raw, evilTars)
	if fileSize(t, evil) != fileSize(t, c.docker) {
		t.Fatalf("evil.tar is %d bytes, good %d: not a same-size claim", fileSize(t, evil), fileSize(t, c.docker))
	}
	copyOfGood := filepath.Join(dir, "copy.tar")
	b, err := os.ReadFile(c.docker)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(copyOfGood, b, 0o644); err != nil {
		t.Fatal(err)
	}

	cache := &Cache{Dir: t.TempDir()}
	good := indexWith(t, "docker-archive:"+c.docker, IndexOptions{Cache: cache})
	if good.err != nil {
		t.Fatal(good.err)
	}
	if got, want := strings.Join(visibleFiles(good.ix), ","), "/a.txt,/b.txt"; got != want {
		t.Fatalf("good files %s, want %s", got, want)
	}
	if r := indexWith(t, "oci:"+c.oci, IndexOptions{Cache: cache}); r.err != nil {
		t.Fatal(r.err)
	}

	cold := indexWith(t, "docker-archive:"+evil, IndexOptions{})
	warm := indexWith(t, "docker-archive:"+evil, IndexOptions{Cache: cache})
	const wantErr = "content does not match its diff ID"
	for name, r := range map[string]indexRun{"cold": cold, "warm": warm} {
		if r.err == nil || !strings.Contains(r.err.Error(), wantErr) || r.cached != 0 {
			files := []string(nil)
			if r.ix != nil {
				files = visibleFiles(r.ix)
			}
			t.Errorf("%s evil.tar: files %q, %d layers cached, error %v; want %q", name, files, r.cached, r.err, wantErr)
		}
	}

	// The OCI layout's second blob replaced by other bytes of its size.
	blob, err := os.ReadFile(c.blobs[1])
	if err != nil {
		t.Fatal(err)
	}
	for i := len(blob) / 2; i < len(blob)/2+16; i++ {
		blob[i] ^= 0x5a
	}
	if err := os.Remove(c.blobs[1]); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(c.blobs[1], blob, 0o644); err != nil {
		t.Fatal(err)
	}
	if r := indexWith(t, "oci:"+c.oci, IndexOptions{Cache: cache}); r.err == nil || r.cached != 1 {
		t.Errorf("warm layout with a replaced blob: %d layers cached, error %v; want 1 and an error", r.cached, r.err)
	}

	for _, p := range []string{copyOfGood, copyOfGood, c.docker} {
		r := indexWith(t, "docker-archive:"+p, IndexOptions{Cache: cache})
		if r.err != nil || r.cached != 2 {
			t.Errorf("%s: %d layers cached, error %v; want 2 and none", p, r.cached, r.err)
			continue
		}
		if got, want := strings.Join(visibleFiles(r.ix), ","), "/a.txt,/b.txt"; got != want {
			t.Errorf("%s: files %s, want %s", p, got, want)
		}
	}
}
