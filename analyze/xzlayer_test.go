package analyze

import (
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// compressTool runs a real compressor over b.
func compressTool(t *testing.T, b []byte, cmd string, args ...string) []byte {
	t.Helper()
	c := exec.Command(cmd, args...)
	c.Stdin = bytes.NewReader(b)
	out, err := c.Output()
	if err != nil {
		t.Fatalf("%s: %v", cmd, err)
	}
	return out
}

func gzipBytes(t *testing.T, b []byte) []byte {
	t.Helper()
	var buf bytes.Buffer
	w := gzip.NewWriter(&buf)
	w.Write(b)
	w.Close()
	return buf.Bytes()
}

// TestXzBzip2Layers: a docker archive whose layers are stored xz- and
// bzip2-compressed (Docker reads both) is indexed with each layer's files
// and compression; one whose layer is gzip inside gzip fails with an
// error saying so, not "truncated".
func TestXzBzip2Layers(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: runs xz and bzip2")
	}
	tars := [][]byte{paddedTar(t, "a.txt", 5000, 'a'), paddedTar(t, "b.txt", 3000, 'b')}
	config := func() []byte {
		var ids []string
		for _, tb := range tars {
			sum := sha256.Sum256(tb)
			ids = append(ids, "sha256:"+hex.EncodeToString(sum[:]))
		}
		b, _ := json.Marshal(map[string]any{"architecture": "amd64", "os": "linux", "rootfs": map[string]any{"type": "layers", "diff_ids": ids}})
		return b
	}()
	dir := t.TempDir()
	good := filepath.Join(dir, "xz.tar")
	writeDockerArchive(t, good, config, [][]byte{compressTool(t, tars[0], "xz", "-c"), compressTool(t, tars[1], "bzip2", "-c")})
	twice := filepath.Join(dir, "twice.tar")
	writeDockerArchive(t, twice, config, [][]byte{tars[0], gzipBytes(t, gzipBytes(t, tars[1]))})

	for _, cache := range []*Cache{nil, {Dir: t.TempDir()}} {
		r := indexWith(t, good, IndexOptions{Cache: cache})
		if r.err != nil {
			t.Fatal(r.err)
		}
		if got := strings.Join(visibleFiles(r.ix), ","); got != "/a.txt,/b.txt" {
			t.Errorf("files %s, want /a.txt,/b.txt", got)
		}
		if c0, c1 := r.ix.Layers[0].Compression, r.ix.Layers[1].Compression; c0 != "xz" || c1 != "bzip2" || r.ix.Totals.TarBytes != 20480 {
			t.Errorf("compression %s, %s, tar bytes %d; want xz, bzip2, 20480", c0, c1, r.ix.Totals.TarBytes)
		}
	}
	r := indexWith(t, twice, IndexOptions{})
	if r.err == nil || !strings.Contains(r.err.Error(), "layer 2") || !strings.Contains(r.err.Error(), "gzip data inside gzip data: the stream is compressed twice") {
		t.Errorf("gzip in gzip: error %v", r.err)
	}
}
