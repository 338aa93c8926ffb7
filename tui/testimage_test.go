package tui

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"testing"

	"github.com/whittle-dev/whittle/analyze"
	"github.com/whittle-dev/whittle/analyze/source"
	"github.com/whittle-dev/whittle/internal/reprotar"
)

// The synthetic image the tests browse: a base layer, a layer that
// installs python3 (modifying /etc/passwd, leaving an apt archive behind),
// and a cleanup layer that deletes the apt cache, empties /usr/share/doc
// with an opaque marker and overwrites /etc/os-release. Its config has a
// misspelt "Environment" key.
//
//	layer 1: /bin/busybox 120000, /bin/sh => /bin/busybox, /etc/passwd 512, /etc/os-release 200,
//	         /usr/lib/libc.so.6 1800000, /usr/lib/libz.so.1 -> libz.so.1.3,
//	         /usr/lib/libz.so.1.3 100000, /usr/share/doc/base/README 4000,
//	         /var/cache/apt/pkgcache.bin 900000, /var/cache/apt/srcpkgcache.bin 850000, /tmp/
//	layer 2: /usr/bin/python3.12 2500000, /usr/bin/python3 -> python3.12,
//	         /usr/lib/python3.12/os.py 40000, /usr/lib/python3.12/json/__init__.py 12000,
//	         /usr/lib/python3.12/LICENSE.txt 3000 = /usr/share/doc/python3/copyright 3000,
//	         /var/cache/apt/archives/python3.deb 3000000, /etc/passwd 530
//	layer 3: whiteout /var/cache/apt, opaque /usr/share/doc, /app/config.toml 300,
//	         /app/LICENSE.txt 3000 (the same bytes as python's), /etc/os-release 210
var testLayers = []struct {
	createdBy string
	files     []reprotar.File
}{
	{
		createdBy: "ADD rootfs.tar / # buildkit",
		files: []reprotar.File{
			file("/bin/busybox", 120000, 's', 0o755),
			{Path: "/bin/sh", Kind: reprotar.Hardlink, Link: "/bin/busybox", Mode: 0o755},
			file("/etc/passwd", 512, 'p', 0o644),
			file("/etc/os-release", 200, 'o', 0o644),
			file("/usr/lib/libc.so.6", 1800000, 'c', 0o755),
			{Path: "/usr/lib/libz.so.1", Kind: reprotar.Symlink, Link: "libz.so.1.3", Mode: 0o777},
			file("/usr/lib/libz.so.1.3", 100000, 'z', 0o755),
			file("/usr/share/doc/base/README", 4000, 'r', 0o644),
			file("/var/cache/apt/pkgcache.bin", 900000, 'k', 0o644),
			file("/var/cache/apt/srcpkgcache.bin", 850000, 'K', 0o644),
			{Path: "/tmp", Kind: reprotar.Dir, Mode: 0o1777},
		},
	},
	{
		createdBy: "/bin/sh -c apt-get update && apt-get install -y python3",
		files: []reprotar.File{
			file("/usr/bin/python3.12", 2500000, 'y', 0o755),
			{Path: "/usr/bin/python3", Kind: reprotar.Symlink, Link: "python3.12", Mode: 0o777},
			file("/usr/lib/python3.12/os.py", 40000, 'O', 0o644),
			file("/usr/lib/python3.12/json/__init__.py", 12000, 'J', 0o644),
			file("/usr/lib/python3.12/LICENSE.txt", 3000, 'L', 0o644),
			file("/usr/share/doc/python3/copyright", 3000, 'L', 0o644),
			file("/var/cache/apt/archives/python3.deb", 3000000, 'd', 0o644),
			file("/etc/passwd", 530, 'P', 0o644),
		},
	},
	{
		createdBy: "RUN /bin/sh -c rm -rf /var/cache/apt /usr/share/doc && mkdir -p /usr/share/doc && install -m 0644 config.toml /app/ # buildkit",
		files: []reprotar.File{
			file("/var/cache/.wh.apt", 0, 0, 0o644),
			{Path: "/usr/share/doc", Kind: reprotar.Dir, Mode: 0o755},
			file("/usr/share/doc/.wh..wh..opq", 0, 0, 0o644),
			file("/app/config.toml", 300, 'a', 0o644),
			file("/app/LICENSE.txt", 3000, 'L', 0o644),
			file("/etc/os-release", 210, 'O', 0o644),
		},
	},
}

func file(p string, size int, fill byte, mode int64) reprotar.File {
	return reprotar.File{Path: p, Kind: reprotar.Regular, Mode: mode, Data: bytes.Repeat([]byte{fill}, size)}
}

// testDemo is an source.Options.Demo that builds the synthetic image,
// plus extra files in a fourth layer when given.
func testDemo(extra ...reprotar.File) func(string) ([]byte, [][]byte, error) {
	return func(string) ([]byte, [][]byte, error) {
		var tars [][]byte
		var diffIDs []string
		var history []map[string]string
		add := func(createdBy string, files []reprotar.File) error {
			b, err := reprotar.Bytes(files)
			if err != nil {
				return err
			}
			sum := sha256.Sum256(b)
			tars = append(tars, b)
			diffIDs = append(diffIDs, "sha256:"+hex.EncodeToString(sum[:]))
			history = append(history, map[string]string{"created_by": createdBy})
			return nil
		}
		for _, l := range testLayers {
			if err := add(l.createdBy, l.files); err != nil {
				return nil, nil, err
			}
		}
		if len(extra) > 0 {
			if err := add("COPY extra /", extra); err != nil {
				return nil, nil, err
			}
		}
		raw, err := json.Marshal(map[string]any{
			"architecture": "amd64",
			"os":           "linux",
			"config": map[string]any{
				"Env":         []string{"PATH=/usr/bin:/bin"},
				"Environment": []string{"LANG=C.UTF-8"},
				"Entrypoint":  []string{"/usr/bin/python3"},
			},
			"rootfs":  map[string]any{"type": "layers", "diff_ids": diffIDs},
			"history": history,
		})
		return raw, tars, err
	}
}

// testImage opens and indexes the synthetic image.
func testImage(t testing.TB, extra ...reprotar.File) (*source.Image, *analyze.Index) {
	t.Helper()
	ctx := context.Background()
	raw, tars, err := testDemo(extra...)("synthetic")
	if err != nil {
		t.Fatal(err)
	}
	im, err := source.Memory("demo:synthetic", raw, tars)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { im.Close() })
	ix, err := analyze.IndexImage(ctx, im, analyze.IndexOptions{})
	if err != nil {
		t.Fatal(err)
	}
	return im, ix
}
