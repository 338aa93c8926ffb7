package source_test

import (
	"archive/tar"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/whittle-dev/whittle/analyze/source"
)

// member is one file of a hand-written tar.
type member struct {
	name string
	data []byte
}

func writeTar(t *testing.T, p string, ms []member) {
	t.Helper()
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	for _, m := range ms {
		if err := tw.WriteHeader(&tar.Header{Name: m.name, Mode: 0o644, Size: int64(len(m.data)), Typeflag: tar.TypeReg}); err != nil {
			t.Fatal(err)
		}
		tw.Write(m.data)
	}
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
}

// layerTar is a tar of one file.
func layerTar(t *testing.T, name, content string) []byte {
	t.Helper()
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	tw.WriteHeader(&tar.Header{Name: name, Mode: 0o644, Size: int64(len(content)), Typeflag: tar.TypeReg})
	tw.Write([]byte(content))
	tw.Close()
	return buf.Bytes()
}

// multiImageArchive writes a classic docker save of two one-layer images
// whose layer directories are named "1" and "2" (not by a hex ID), with
// the given tags, and the stray members given before manifest.json.
func multiImageArchive(t *testing.T, p string, tags [2][]string, stray ...member) {
	t.Helper()
	var ms []member
	var manifest []map[string]any
	for i, f := range []string{"a", "b"} {
		layer := layerTar(t, "etc/"+f, f+"\n")
		sum := sha256.Sum256(layer)
		config, _ := json.Marshal(map[string]any{"architecture": "amd64", "os": "linux",
			"rootfs": map[string]any{"type": "layers", "diff_ids": []string{"sha256:" + hex.EncodeToString(sum[:])}}})
		dir := string(rune('1' + i))
		ms = append(ms, member{dir + "/layer.tar", layer}, member{dir + "/VERSION", []byte("1.0")}, member{"config" + dir + ".json", config})
		manifest = append(manifest, map[string]any{"Config": "config" + dir + ".json", "RepoTags": tags[i], "Layers": []string{dir + "/layer.tar"}})
	}
	mb, _ := json.Marshal(manifest)
	ms = append(ms, stray...)
	ms = append(ms, member{"manifest.json", mb})
	writeTar(t, p, ms)
}

// TestMultiImageArchiveBarePath: a docker save of two images, given as a
// bare path, is recognised as a docker archive whatever its layer
// directories are named and with a few stray members; the error asks to
// pick one and lists both. A tag two images claim is an error naming
// both, not the first one's.
func TestMultiImageArchiveBarePath(t *testing.T) {
	dir := t.TempDir()
	plain := filepath.Join(dir, "multi.tar")
	multiImageArchive(t, plain, [2][]string{{"one:1"}, {"two:1", "two:latest"}}, member{"README", []byte("saved\n")}, member{"notes/x.txt", []byte("x")})
	clash := filepath.Join(dir, "clash.tar")
	multiImageArchive(t, clash, [2][]string{{"app:1", "one:1"}, {"app:1"}})
	rootfs := filepath.Join(dir, "rootfs.tar")
	var ms []member
	for i := range 100 {
		ms = append(ms, member{"usr/share/doc/f" + string(rune('a'+i%26)) + string(rune('a'+i/26)), []byte("x")})
	}
	ms = append(ms, member{"manifest.json", []byte("[]")})
	writeTar(t, rootfs, ms)

	tests := []struct {
		ref, wantKind, wantErr string
	}{
		{plain, source.TransportDockerArchive, "the archive holds 2 images (one:1; two:1, two:latest); pick one with docker-archive:PATH:TAG or :@N"},
		{"docker-archive:" + plain + ":two:latest", "", ""},
		{"docker-archive:" + clash + ":app:1", "", `tag "app:1" names 2 images of the archive (@0 app:1, one:1; @1 app:1); pick one with :@N`},
		{"docker-archive:" + clash + ":one:1", "", ""},
		{rootfs, source.TransportRootfsTar, ""},
	}
	for _, tt := range tests {
		if tt.wantKind != "" {
			kind, err := source.DetectPath(tt.ref)
			if err != nil || kind != tt.wantKind {
				t.Errorf("DetectPath(%s) = %s, %v; want %s", filepath.Base(tt.ref), kind, err, tt.wantKind)
			}
		}
		im, err := source.Open(context.Background(), tt.ref, source.Options{})
		if tt.wantErr == "" {
			if err != nil {
				t.Errorf("%s: %v", tt.ref, err)
			} else {
				im.Close()
			}
			continue
		}
		if err == nil {
			im.Close()
			t.Errorf("%s: opened, want %q", tt.ref, tt.wantErr)
			continue
		}
		if !strings.HasSuffix(err.Error(), tt.wantErr) {
			t.Errorf("%s: error %q, want it to end %q", tt.ref, err, tt.wantErr)
		}
	}
}
