package builder

import (
	"archive/tar"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"sort"
	"strings"
	"syscall"
	"testing"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/validate"

	"github.com/whittle-dev/whittle/analyze"
	"github.com/whittle-dev/whittle/analyze/source"
	"github.com/whittle-dev/whittle/internal/reprotar"
	"github.com/whittle-dev/whittle/internal/testfix"
)

// entry is one tar entry of a synthetic source layer.
type entry struct {
	name     string
	typ      byte
	mode     int64
	uid, gid int
	data     string
	link     string
	pax      map[string]string
}

func srcTar(t *testing.T, es ...entry) []byte {
	t.Helper()
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	for _, e := range es {
		hdr := &tar.Header{Name: e.name, Typeflag: e.typ, Mode: e.mode, Uid: e.uid, Gid: e.gid, Linkname: e.link, PAXRecords: e.pax, Format: tar.FormatPAX}
		if e.typ == tar.TypeReg {
			hdr.Size = int64(len(e.data))
		}
		if err := tw.WriteHeader(hdr); err != nil {
			t.Fatal(err)
		}
		tw.Write([]byte(e.data))
	}
	tw.Close()
	return buf.Bytes()
}

// srcImage opens layers (tar bytes) as an in-memory image and indexes it.
func srcImage(t *testing.T, layers ...[]byte) (*source.Image, *analyze.Index) {
	t.Helper()
	var ids []string
	for _, l := range layers {
		sum := sha256.Sum256(l)
		ids = append(ids, "sha256:"+hex.EncodeToString(sum[:]))
	}
	raw, _ := json.Marshal(map[string]any{
		"architecture": "amd64", "os": "linux",
		"config": map[string]any{"Entrypoint": []string{"/app/run"}, "User": "1000"},
		"rootfs": map[string]any{"type": "layers", "diff_ids": ids},
	})
	im, err := source.Memory("demo:test", raw, layers)
	if err != nil {
		t.Fatal(err)
	}
	ix, err := analyze.IndexImage(context.Background(), im, analyze.IndexOptions{})
	if err != nil {
		t.Fatal(err)
	}
	return im, ix
}

// layerEntries lists a built image's layers as "path type mode uid gid
// link size xattrs" lines, read back with archive/tar.
func layerEntries(t *testing.T, img v1.Image) [][]string {
	t.Helper()
	ls, err := img.Layers()
	if err != nil {
		t.Fatal(err)
	}
	out := make([][]string, len(ls))
	testfix.EachLayerEntry(t, img, func(layer int, hdr *tar.Header, _ io.Reader) {
		var xs []string
		for k, v := range hdr.PAXRecords {
			if strings.HasPrefix(k, "SCHILY.xattr.") {
				xs = append(xs, k[len("SCHILY.xattr."):]+"="+v)
			}
		}
		sort.Strings(xs)
		out[layer] = append(out[layer], strings.TrimSpace(strings.Join([]string{hdr.Name, string(hdr.Typeflag), octal(hdr.Mode), itoa(hdr.Uid), itoa(hdr.Gid), hdr.Linkname, itoa(int(hdr.Size)), strings.Join(xs, ",")}, " ")))
		if !hdr.ModTime.Equal(reprotar.Epoch) || hdr.Uname != "" || hdr.Gname != "" {
			t.Errorf("%s: mtime %v, uname %q, gname %q", hdr.Name, hdr.ModTime, hdr.Uname, hdr.Gname)
		}
	})
	return out
}

func octal(m int64) string { return "0" + strconvFormat(m, 8) }
func itoa(n int) string    { return strconvFormat(int64(n), 10) }

func strconvFormat(n int64, base int) string {
	if n == 0 {
		return "0"
	}
	var b []byte
	for n > 0 {
		b = append([]byte{"0123456789"[n%int64(base)]}, b...)
		n /= int64(base)
	}
	return string(b)
}

func TestTrimKeepsMetadata(t *testing.T) {
	im, ix := srcImage(t, srcTar(t,
		entry{name: "app/", typ: tar.TypeDir, mode: 0o700, uid: 1000, gid: 1000},
		entry{name: "app/run", typ: tar.TypeReg, mode: 0o4755, uid: 1000, gid: 1000, data: "#!/bin/sh\n", pax: map[string]string{"SCHILY.xattr.security.capability": "\x01\x00\x00\x02"}},
		entry{name: "app/same", typ: tar.TypeLink, link: "app/run"},
		entry{name: "app/link", typ: tar.TypeSymlink, mode: 0o777, link: "run"},
		entry{name: "app/dangling", typ: tar.TypeSymlink, mode: 0o777, link: "gone"},
		entry{name: "app/gone", typ: tar.TypeReg, mode: 0o644, data: "bye"},
		entry{name: "usr/", typ: tar.TypeDir, mode: 0o755},
		entry{name: "usr/share/", typ: tar.TypeDir, mode: 0o755},
		entry{name: "usr/share/doc", typ: tar.TypeReg, mode: 0o644, data: strings.Repeat("d", 1000)},
	))
	keep := map[string]bool{"/app/run": true, "/app/same": true, "/app/link": true, "/app/dangling": true}
	spec := Spec{
		Source: im, Index: ix, Keep: func(n *analyze.Node) bool { return keep[n.Path()] },
		Extra:  []reprotar.File{{Path: "/etc/passwd", Kind: reprotar.Regular, Mode: 0o644, Data: []byte("app:x:1000:1000::/app:/bin/sh\n")}},
		Config: v1.Config{Entrypoint: []string{"/app/run"}, User: "1000"},
	}
	res, err := Build(context.Background(), spec)
	if err != nil {
		t.Fatal(err)
	}
	if err := validate.Image(res.Image); err != nil {
		t.Fatalf("validate.Image: %v", err)
	}
	got := layerEntries(t, res.Image)
	want := [][]string{{
		"app/ 5 0700 1000 1000  0",
		"app/dangling 2 0777 0 0 gone 0",
		"app/link 2 0777 0 0 run 0",
		"app/run 0 04755 1000 1000  10 security.capability=\x01\x00\x00\x02",
		"app/same 1 04755 1000 1000 app/run 0",
		"etc/ 5 0755 0 0  0",
		"etc/passwd 0 0644 0 0  30",
	}}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("layers\n %q\nwant\n %q", got, want)
	}
	if want := []string{"/app/gone", "/usr", "/usr/share", "/usr/share/doc"}; !reflect.DeepEqual(res.Removed, want) {
		t.Errorf("removed %q, want %q", res.Removed, want)
	}
	if res.RemovedBytes != 1003 {
		t.Errorf("removed bytes %d, want 1003", res.RemovedBytes)
	}
	if len(res.Findings) != 1 || res.Findings[0].Kind != KindDanglingLink || res.Findings[0].Paths[0] != "/app/dangling" {
		t.Errorf("findings %+v, want one dangling link /app/dangling", res.Findings)
	}
	cf, _ := res.Image.ConfigFile()
	if cf.Config.User != "1000" || cf.Config.Entrypoint[0] != "/app/run" || !cf.Created.Time.Equal(reprotar.Epoch) || cf.Architecture != "amd64" {
		t.Errorf("config %+v", cf)
	}
}

// TestReproducible builds the same spec twice without a cache and twice
// with one: one digest, and the cached build reads nothing.
func TestReproducible(t *testing.T) {
	im, ix := srcImage(t, srcTar(t,
		entry{name: "a/", typ: tar.TypeDir, mode: 0o755},
		entry{name: "a/big", typ: tar.TypeReg, mode: 0o644, data: strings.Repeat("x", 3<<20)},
		entry{name: "b", typ: tar.TypeReg, mode: 0o600, data: "b"},
	))
	all := func(*analyze.Node) bool { return true }
	cache := t.TempDir()
	var digests []string
	for i, dir := range []string{"", "", cache, cache} {
		read := false
		res, err := Build(context.Background(), Spec{Source: im, Index: ix, Keep: all, Cache: dir,
			Progress: func(e Event) { read = read || e.Stage == "reading" }})
		if err != nil {
			t.Fatal(err)
		}
		d, _ := res.Image.Digest()
		digests = append(digests, d.String())
		if i == 3 && (read || !res.Layers[0].Cached) {
			t.Errorf("second cached build read the source (%v) or missed the cache (%+v)", read, res.Layers[0])
		}
	}
	for _, d := range digests[1:] {
		if d != digests[0] {
			t.Fatalf("digests differ: %q", digests)
		}
	}
	// zstd is reproducible too, and another digest.
	var z []string
	for range 2 {
		res, err := Build(context.Background(), Spec{Source: im, Index: ix, Keep: all, Compression: "zstd"})
		if err != nil {
			t.Fatal(err)
		}
		// validate reads layers as gzip only: check the structure, and
		// the diff ID of the zstd stream by hand.
		if err := validate.Image(res.Image, validate.Fast); err != nil {
			t.Fatal(err)
		}
		ls, _ := res.Image.Layers()
		rc, err := ls[0].Uncompressed()
		if err != nil {
			t.Fatal(err)
		}
		h, _, err := v1.SHA256(rc)
		rc.Close()
		if id, _ := ls[0].DiffID(); err != nil || h != id {
			t.Errorf("zstd layer: diff ID %s, the stream hashes to %s (%v)", id, h, err)
		}
		d, _ := res.Image.Digest()
		z = append(z, d.String())
	}
	if z[0] != z[1] || z[0] == digests[0] {
		t.Errorf("zstd digests %q (gzip %s)", z, digests[0])
	}
}

// TestLayerCacheDamaged: a cached layer whose blob was changed (same
// size) or whose metadata is a FIFO is built again, not used: the image
// stays valid and the build does not block.
func TestLayerCacheDamaged(t *testing.T) {
	im, ix := srcImage(t, srcTar(t,
		entry{name: "a", typ: tar.TypeReg, mode: 0o644, data: strings.Repeat("a", 100<<10)},
	))
	all := func(*analyze.Node) bool { return true }
	cache := t.TempDir()
	build := func() *Result {
		t.Helper()
		res, err := Build(context.Background(), Spec{Source: im, Index: ix, Keep: all, Cache: cache})
		if err != nil {
			t.Fatal(err)
		}
		if err := validate.Image(res.Image); err != nil {
			t.Fatalf("invalid image: %v", err)
		}
		return res
	}
	want, _ := build().Image.Digest()
	blobs, _ := filepath.Glob(filepath.Join(cache, "*.blob"))
	metas, _ := filepath.Glob(filepath.Join(cache, "*.json"))
	if len(blobs) != 1 || len(metas) != 1 {
		t.Fatalf("cache holds %q and %q", blobs, metas)
	}
	raw, _ := os.ReadFile(blobs[0])
	raw[len(raw)/2] ^= 0xff
	os.WriteFile(blobs[0], raw, 0o644)
	res := build()
	if got, _ := res.Image.Digest(); got != want || res.Layers[0].Cached {
		t.Errorf("with a damaged blob: digest %s (want %s), cached %v", got, want, res.Layers[0].Cached)
	}
	os.Remove(metas[0])
	if err := syscall.Mkfifo(metas[0], 0o644); err != nil {
		t.Fatal(err)
	}
	done := make(chan *Result)
	go func() { done <- build() }()
	select {
	case res := <-done:
		if got, _ := res.Image.Digest(); got != want {
			t.Errorf("with a FIFO for metadata: digest %s, want %s", got, want)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("a FIFO in the layer cache blocked the build")
	}
}

// TestPopularity checks the order on a small graph against one computed
// by hand, and that two images sharing a group share its layer.
func TestPopularity(t *testing.T) {
	// app -> python -> libc, app -> openssl -> libc, tool -> libc, python -> zlib
	groups := []Group{
		{Name: "app", Needs: []string{"python", "openssl"}, Bytes: 10},
		{Name: "python", Needs: []string{"libc", "zlib"}, Bytes: 50},
		{Name: "openssl", Needs: []string{"libc"}, Bytes: 30},
		{Name: "libc", Bytes: 20},
		{Name: "zlib", Bytes: 5},
		{Name: "tool", Needs: []string{"libc"}, Bytes: 1},
	}
	// Popularity: libc 5 (libc, python, openssl, app, tool), zlib 3
	// (zlib, python, app), python 2, openssl 2, app 1, tool 1; ties by
	// size, larger first.
	if got, want := PopularityOrder(groups), []string{"libc", "zlib", "python", "openssl", "app", "tool"}; !reflect.DeepEqual(got, want) {
		t.Errorf("order %q, want %q", got, want)
	}
	layers, err := Plan(Popularity, 4, groups)
	if err != nil {
		t.Fatal(err)
	}
	if want := [][]string{{"libc"}, {"zlib"}, {"python"}, {"openssl", "app", "tool"}}; !reflect.DeepEqual(layers, want) {
		t.Errorf("layers %q, want %q", layers, want)
	}

	// Two images with the same /lib group share that layer's digest.
	lib := entry{name: "lib/libc.so", typ: tar.TypeReg, mode: 0o755, data: strings.Repeat("c", 5000)}
	digestOf := func(extra entry) string {
		im, ix := srcImage(t, srcTar(t, entry{name: "lib/", typ: tar.TypeDir, mode: 0o755}, lib, extra))
		res, err := Build(context.Background(), Spec{Source: im, Index: ix, Keep: func(*analyze.Node) bool { return true },
			Strategy: Popularity,
			Group: func(p string) string {
				if strings.HasPrefix(p, "/lib") {
					return "libc"
				}
				return "app"
			},
			Groups: map[string][]string{"app": {"libc"}}})
		if err != nil {
			t.Fatal(err)
		}
		if len(res.Layers) != 2 || res.Layers[0].Groups[0] != "libc" {
			t.Fatalf("layers %+v", res.Layers)
		}
		return res.Layers[0].Digest
	}
	a := digestOf(entry{name: "one", typ: tar.TypeReg, mode: 0o644, data: "1"})
	b := digestOf(entry{name: "two", typ: tar.TypeReg, mode: 0o644, data: "22"})
	if a != b {
		t.Errorf("the shared libc layer differs: %s vs %s", a, b)
	}
}
