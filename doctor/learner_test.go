package doctor

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"reflect"
	"testing"
	"time"

	"github.com/whittle-dev/whittle/analyze"
	"github.com/whittle-dev/whittle/analyze/source"
	"github.com/whittle-dev/whittle/closure"
	"github.com/whittle-dev/whittle/finding"
	"github.com/whittle-dev/whittle/internal/demo"
	"github.com/whittle-dev/whittle/internal/reprotar"
	"github.com/whittle-dev/whittle/internal/testfix"
)

// findingsOf indexes an image with or without Learners, builds its
// closure (of the config's roots, or of roots) and returns doctor.All's findings. With learn, the layers are
// closed before the findings are computed when closeFirst is set, so
// that a read of a layer fails.
func findingsOf(t *testing.T, open func() *source.Image, roots []string, learn bool, cache *analyze.Cache, closeFirst bool) []finding.Finding {
	t.Helper()
	ctx := context.Background()
	im := open()
	defer im.Close()
	var cl *closure.Learner
	var dl *Learner
	opts := analyze.IndexOptions{Cache: cache}
	if learn {
		cl, dl = closure.NewLearner(cache), NewLearner(cache, im)
		opts.Learner = analyze.Learners(dl, cl)
	}
	ix, err := analyze.IndexImage(ctx, im, opts)
	if err != nil {
		t.Fatal(err)
	}
	c, err := closure.Build(ctx, im, ix, closure.Options{Roots: roots, Learned: cl, Cache: cache})
	if err != nil {
		t.Fatal(err)
	}
	if closeFirst {
		im.Close()
	}
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	fs, err := All(ctx, im, ix, c, Options{Learned: dl, Cache: cache, Now: now})
	if err != nil {
		t.Fatalf("findings (learnt: %v): %v", learn, err)
	}
	return fs
}

// sameFindings fails the test when two runs' findings differ.
func sameFindings(t *testing.T, what string, got, want []finding.Finding) {
	t.Helper()
	if reflect.DeepEqual(got, want) {
		return
	}
	g, _ := json.MarshalIndent(got, "", " ")
	w, _ := json.MarshalIndent(want, "", " ")
	gl, wl := bytes.Split(g, []byte("\n")), bytes.Split(w, []byte("\n"))
	for i := 0; i < len(gl) && i < len(wl); i++ {
		if !bytes.Equal(gl[i], wl[i]) {
			t.Fatalf("%s: the findings differ at line %d of their JSON:\n got %s\nwant %s", what, i+1, gl[i], wl[i])
		}
	}
	t.Fatalf("%s: %d findings, want %d", what, len(got), len(want))
}

// memoryImage returns an opener of an in-memory image of the layers.
func memoryImage(t *testing.T, runtime map[string]any, layers ...[]reprotar.File) func() *source.Image {
	var tars [][]byte
	var ids []string
	for _, files := range layers {
		tb, err := reprotar.Bytes(files)
		if err != nil {
			t.Fatal(err)
		}
		tars, ids = append(tars, tb), append(ids, diffID(tb))
	}
	raw, _ := json.Marshal(map[string]any{"architecture": "amd64", "os": "linux", "config": runtime,
		"rootfs": map[string]any{"type": "layers", "diff_ids": ids}})
	return func() *source.Image {
		im, err := source.Memory("demo:", raw, tars)
		if err != nil {
			t.Fatal(err)
		}
		return im
	}
}

// opener returns an opener of a reference.
func opener(t *testing.T, ref string) func() *source.Image {
	return func() *source.Image {
		im, err := source.Open(context.Background(), ref, source.Options{})
		if err != nil {
			t.Fatal(err)
		}
		return im
	}
}

// TestLearnedFindingsEqualRead: the findings computed with what the
// Learners learnt while the layers were indexed are those computed by
// reading the layers again, on images that exercise every way a file can
// escape the learner (a hardlink whose mode makes it a program when its
// target's does not, a catalog file too large to keep, a malformed ELF
// object, a shared object that is no ELF file, layers overwriting each
// other), and, for the file-backed images, with the image closed before
// the findings run: the learnt path reads no layer.
func TestLearnedFindingsEqualRead(t *testing.T) {
	// The programs find their libraries in /lib (their run path); the
	// helper is run through a hardlink whose mode makes it a program
	// when its target's does not.
	libc := library("/lib/libc.so.6", "libc.so.6", nil, "GLIBC_TUNABLES")
	ssl := library("/lib/libssl.so.3", "libssl.so.3", []string{"libc.so.6"}, "OPENSSLDIR: \"/usr/lib/ssl\"")
	helper := program("/opt/app/helper", []string{"libc.so.6"}, "getpwnam", "tmpfile")
	helper.Mode = 0o644
	big := make([]byte, maxLearntFile+10)
	copy(big, "# a large /etc file\n")
	synthetic := memoryImage(t, map[string]any{"Entrypoint": []string{"/usr/bin/app"}, "Env": []string{"LANG=C.UTF-8", "TZ=Europe/Riga"}},
		[]reprotar.File{
			libc, library(interp, "ld-linux-x86-64.so.2", nil), ssl, helper,
			program("/usr/bin/app", []string{"libc.so.6"}, "getaddrinfo"),
			{Path: "/usr/bin/helper", Kind: reprotar.Hardlink, Mode: 0o755, Link: "opt/app/helper"},
			reg("/usr/lib/broken.so.1", append([]byte("\x7fELF"), bytes.Repeat([]byte{0xff}, 200)...), 0o755),
			reg("/usr/lib/notelf.so", bytes.Repeat([]byte("not an object "), 10), 0o644),
			textFile("/etc/nsswitch.conf", "passwd: nis\nhosts: files dns\n"),
			textFile("/etc/passwd", "root:x:0:0:root:/root:/bin/sh\n"),
			reg("/etc/big.conf", big, 0o644),
			file("/usr/share/zoneinfo/Europe/Riga", 120, 'T'),
			link("/usr/share/zoneinfo/posix", "."),
			file("/usr/share/doc/app/README", 3000, 'r'),
		},
		[]reprotar.File{
			// The program the layer below had, overwritten.
			program("/usr/bin/app", []string{"libc.so.6", "libssl.so.3"}, "SSL_CTX_set_default_verify_paths", "getservbyname", "mkstemp"),
			file("/usr/share/doc/app/copy", 3000, 'r'),
		})
	cases := []struct {
		name  string
		open  func() *source.Image
		roots []string
		file  bool // backed by a file: closing it makes a read fail
		short bool // runs under -short
	}{
		{"synthetic", synthetic, []string{"/usr/bin/app", "/usr/bin/helper"}, false, true},
		{"demo", opener(t, "demo:"), nil, false, true},
		{"debian docker archive", func() *source.Image {
			archive, _, _ := testfix.DebianTwoLayerArchive(t)
			return opener(t, "docker-archive:"+archive)()
		}, nil, true, false},
		{"debian root naming locales", func() *source.Image {
			root, err := os.ReadFile(testfix.DebianRootfsTar(t))
			if err != nil {
				t.Fatal(err)
			}
			raw, _ := json.Marshal(map[string]any{"architecture": "amd64", "os": "linux",
				"config": map[string]any{"Entrypoint": []string{"/usr/bin/python3"}, "Env": []string{"PATH=/usr/bin:/bin", "LANG=de_DE.UTF-8", "LC_TIME=ru_RU.KOI8-R", "LC_CTYPE=xx_XX"}},
				"rootfs": map[string]any{"type": "layers", "diff_ids": []string{diffID(root)}}})
			im, err := source.Memory("demo:", raw, [][]byte{root})
			if err != nil {
				t.Fatal(err)
			}
			return im
		}, nil, false, false},
		{"debian gzip docker archive", func() *source.Image {
			return opener(t, "docker-archive:"+testfix.DebianTwoLayerArchiveGzip(t))()
		}, nil, true, false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if testing.Short() && !c.short {
				t.Skip("needs the Debian fixture (mmdebstrap)")
			}
			read := findingsOf(t, c.open, c.roots, false, nil, false)
			if len(read) == 0 {
				t.Fatal("no findings: nothing to compare")
			}
			sameFindings(t, "learnt", findingsOf(t, c.open, c.roots, true, nil, c.file), read)
			// With a cache: the learnt facts are kept, and a warm run,
			// which learns nothing (and reads what the cache does not
			// keep: files over 1 MiB), finds the same.
			cache := &analyze.Cache{Dir: t.TempDir()}
			sameFindings(t, "learnt with a cache", findingsOf(t, c.open, c.roots, true, cache, c.file), read)
			sameFindings(t, "warm", findingsOf(t, c.open, c.roots, true, cache, false), read)
		})
	}
}

// TestLearnerKeeps: what a Learner learns of each kind of file.
func TestLearnerKeeps(t *testing.T) {
	elfBytes := demo.ELF(demo.ELFSpec{Soname: "libx.so.1", Imports: []string{"getpwnam"}, Size: 4096})
	cases := []struct {
		name       string
		f          reprotar.File
		wantObject bool // facts of an ELF object
		wantFile   bool // the bytes kept
	}{
		{"shared object", reg("/usr/lib/libx.so.1", elfBytes, 0o644), true, false},
		{"program", reg("/usr/bin/x", elfBytes, 0o755), true, false},
		{"script", reg("/usr/bin/s", []byte("#!/bin/sh\necho hello, this is a shell script\nexit 0\n"), 0o755), false, false},
		{"ELF data, not a program", reg("/usr/share/x.bin", elfBytes, 0o644), false, false},
		{"small /etc file", textFile("/etc/hosts", "127.0.0.1 localhost\n"), false, true},
		{"ELF gconv module", reg("/usr/lib/x86_64-linux-gnu/gconv/KOI8-R.so", elfBytes, 0o644), true, true},
		{"zone", file("/usr/share/zoneinfo/UTC", 114, 'T'), false, true},
		{"large /etc file", file("/etc/huge", maxLearntFile+1, 'x'), false, false},
		{"tiny program", reg("/usr/bin/tiny", []byte("\x7fELF"), 0o755), false, false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			im := memoryImage(t, map[string]any{}, []reprotar.File{c.f})()
			dl := NewLearner(nil, nil)
			ix, err := analyze.IndexImage(context.Background(), im, analyze.IndexOptions{Learner: dl})
			if err != nil {
				t.Fatal(err)
			}
			n := ix.Root.Lookup(c.f.Path)
			l, pos, ok := ix.ContentSource(n)
			if !ok {
				t.Fatal("no content")
			}
			of, learnt := dl.objectAt(l, pos)
			if got := learnt && of.ELF; got != c.wantObject {
				t.Errorf("object facts: %v, want %v", got, c.wantObject)
			}
			if c.wantObject && (of.Soname != "libx.so.1" || !reflect.DeepEqual(of.Imports, []string{"getpwnam"})) {
				t.Errorf("object facts %+v, want soname libx.so.1 importing getpwnam", of)
			}
			b, kept := dl.FileAt(l, pos)
			if kept != c.wantFile || (kept && !bytes.Equal(b, c.f.Data)) {
				t.Errorf("kept %v (%d bytes), want %v", kept, len(b), c.wantFile)
			}
		})
	}
}
