package reprotar

import (
	"archive/tar"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/whittle-dev/whittle/internal/testfix"
)

func TestWriteSortsAndAddsParents(t *testing.T) {
	files := []File{
		{Path: "/etc/ssl/cert.pem", Kind: Symlink, Mode: 0o777, Link: "certs/ca.crt"},
		{Path: "etc/ssl/certs/ca.crt", Kind: Regular, Mode: 0o644, Data: []byte("pem")},
		{Path: "/tmp", Kind: Dir, Mode: 0o1777},
		{Path: "/home/app", Kind: Dir, Mode: 0o700, UID: 1000, GID: 1000},
		{Path: "/etc/ssl/hard", Kind: Hardlink, Mode: 0o644, Link: "etc/ssl/certs/ca.crt"},
	}
	b, err := Bytes(files)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	testfix.EachTarEntry(t, bytes.NewReader(b), func(hdr *tar.Header, _ io.Reader) {
		if !hdr.ModTime.Equal(time.Unix(0, 0)) || hdr.Uname != "" || hdr.Gname != "" {
			t.Errorf("%s: mtime %v, owner names %q/%q", hdr.Name, hdr.ModTime, hdr.Uname, hdr.Gname)
		}
		got = append(got, fmt.Sprintf("%c %s %s %d:%d %o", hdr.Typeflag, hdr.Name, hdr.Linkname, hdr.Uid, hdr.Gid, hdr.Mode))
	})
	want := []string{
		"5 etc/  0:0 755", "5 etc/ssl/  0:0 755", "2 etc/ssl/cert.pem certs/ca.crt 0:0 777", "5 etc/ssl/certs/  0:0 755",
		"0 etc/ssl/certs/ca.crt  0:0 644", "1 etc/ssl/hard etc/ssl/certs/ca.crt 0:0 644", "5 home/  0:0 755",
		"5 home/app/  1000:1000 700", "5 tmp/  0:0 1777",
	}
	if strings.Join(got, "|") != strings.Join(want, "|") {
		t.Errorf("entries:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	again, _ := Bytes(append([]File{files[4], files[3]}, files[:3]...))
	if !bytes.Equal(b, again) {
		t.Error("the same files in another order give other bytes")
	}
}

func TestWriteRejects(t *testing.T) {
	for name, files := range map[string][]File{
		"two entries":      {{Path: "/a", Kind: Regular}, {Path: "a", Kind: Regular}},
		"file as a parent": {{Path: "/a", Kind: Regular}, {Path: "/a/b", Kind: Regular}},
		"unknown kind":     {{Path: "/dev/null", Kind: Kind('X')}},
	} {
		if _, err := Bytes(files); err == nil {
			t.Errorf("%s: no error", name)
		}
	}
}

func TestLayerDigestIsStable(t *testing.T) {
	files := []File{{Path: "/etc/hosts", Kind: Regular, Mode: 0o644, Data: []byte("127.0.0.1 localhost\n")}}
	a, err := Layer(files)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := Layer(files)
	da, _ := a.Digest()
	db, _ := b.Digest()
	ia, _ := a.DiffID()
	if da != db || da == ia {
		t.Errorf("digests %s / %s (diff ID %s)", da, db, ia)
	}
}

func TestStreamedEqualsData(t *testing.T) {
	data := []byte(strings.Repeat("whittle ", 1000))
	inMemory := []File{
		{Path: "/a/big", Kind: Regular, Mode: 0o644, Data: data, Xattrs: map[string]string{"user.k": "v"}},
		{Path: "/a/empty", Kind: Regular, Mode: 0o600},
	}
	closed := 0
	streamed := []File{
		{Path: "/a/big", Kind: Regular, Mode: 0o644, Size: int64(len(data)), Open: func() (Content, error) {
			return Content{R: bytes.NewReader(data), Xattrs: map[string]string{"user.k": "v"}, Close: func() error { closed++; return nil }}, nil
		}},
		{Path: "/a/empty", Kind: Regular, Mode: 0o600, Open: func() (Content, error) { return Content{R: strings.NewReader("")}, nil }},
	}
	want, err := Bytes(inMemory)
	if err != nil {
		t.Fatal(err)
	}
	got, err := Bytes(streamed)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) || closed != 1 {
		t.Errorf("streamed tar differs from the in-memory one (%d vs %d bytes), closed %d times", len(got), len(want), closed)
	}
	short := []File{{Path: "/x", Kind: Regular, Size: 5, Open: func() (Content, error) { return Content{R: strings.NewReader("abc")}, nil }}}
	if _, err := Bytes(short); err == nil || !strings.Contains(err.Error(), "3 of 5 bytes") {
		t.Errorf("a short content: %v", err)
	}
}

func TestWriteSparse(t *testing.T) {
	const size = 3<<20 + 100
	frags := []Fragment{{Offset: 0, Length: 10}, {Offset: 1 << 20, Length: 4096}, {Offset: size - 7, Length: 7}}
	var data bytes.Buffer
	want := make([]byte, size)
	for i, f := range frags {
		chunk := bytes.Repeat([]byte{byte('a' + i)}, int(f.Length))
		data.Write(chunk)
		copy(want[f.Offset:], chunk)
	}
	long := "/usr/lib/" + strings.Repeat("x", 120) + "/sparse.img"
	files := []File{
		{Path: long, Kind: Regular, Mode: 0o640, UID: 7, GID: 8, Size: size, Open: func() (Content, error) {
			return Content{R: bytes.NewReader(data.Bytes()), Sparse: frags, Xattrs: map[string]string{"user.a": "b"}}, nil
		}},
		{Path: "/usr/lib/z", Kind: Regular, Mode: 0o644, Data: []byte("after")},
	}
	b, err := Bytes(files)
	if err != nil {
		t.Fatal(err)
	}
	if len(b) > 64<<10 {
		t.Errorf("a sparse file of %d bytes with %d data bytes took %d tar bytes", size, data.Len(), len(b))
	}
	got := map[string][]byte{}
	testfix.EachTarEntry(t, bytes.NewReader(b), func(hdr *tar.Header, content io.Reader) {
		c, err := io.ReadAll(content)
		if err != nil {
			t.Fatal(err)
		}
		got[hdr.Name] = c
		if hdr.Name == long[1:] && (hdr.Size != size || hdr.Mode != 0o640 || hdr.Uid != 7 || hdr.Gid != 8 || hdr.PAXRecords["SCHILY.xattr.user.a"] != "b") {
			t.Errorf("sparse header: size %d mode %o owner %d:%d xattrs %v", hdr.Size, hdr.Mode, hdr.Uid, hdr.Gid, hdr.PAXRecords)
		}
	})
	if !bytes.Equal(got[long[1:]], want) || string(got["usr/lib/z"]) != "after" || len(got) != 5 {
		t.Errorf("read back %d entries; sparse content equal: %v", len(got), bytes.Equal(got[long[1:]], want))
	}
	bad := []File{{Path: "/s", Kind: Regular, Size: 10, Open: func() (Content, error) {
		return Content{R: strings.NewReader("abc"), Sparse: []Fragment{{Offset: 8, Length: 3}}}, nil
	}}}
	if _, err := Bytes(bad); err == nil {
		t.Error("a fragment past the size: no error")
	}
}

// TestDeepTree: a file under 10,000 nested directories gives exactly
// those directories and the file, in order (normalise adds each missing
// parent once; its cost is measured by BenchmarkDeepTree).
func TestDeepTree(t *testing.T) {
	for _, depth := range []int{1, 2, 10000} {
		b, err := Bytes(deepFiles(depth))
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		testfix.EachTarEntry(t, bytes.NewReader(b), func(hdr *tar.Header, _ io.Reader) { got = append(got, hdr.Name) })
		var want []string
		p := ""
		for i := 0; i < depth; i++ {
			p += "d/"
			want = append(want, p)
		}
		want = append(want, p+"f", p+"g")
		if !slicesEqual(got, want) {
			t.Errorf("depth %d: %d entries, want %d", depth, len(got), len(want))
		}
	}
}

func deepFiles(depth int) []File {
	p := strings.Repeat("/d", depth)
	return []File{{Path: p + "/g", Kind: Regular, Mode: 0o644}, {Path: p + "/f", Kind: Regular, Mode: 0o644}}
}

func slicesEqual(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func BenchmarkDeepTree(b *testing.B) {
	files := deepFiles(10000)
	for b.Loop() {
		if err := Write(io.Discard, files); err != nil {
			b.Fatal(err)
		}
	}
}

// TestSparseGNUTar: GNU tar lists and extracts a sparse entry as the
// file it is, and keeps it sparse on disk.
func TestSparseGNUTar(t *testing.T) {
	if testing.Short() {
		t.Skip("runs GNU tar")
	}
	const size = 1 << 30
	b, err := Bytes([]File{{Path: "/a/s", Kind: Regular, Mode: 0o644, Size: size, Open: func() (Content, error) {
		return Content{R: strings.NewReader("hello"), Sparse: []Fragment{{Offset: 1 << 20, Length: 5}}}, nil
	}}})
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "x.tar"), b, 0o644); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command("tar", "-C", dir, "-xf", filepath.Join(dir, "x.tar")).CombinedOutput()
	if err != nil {
		t.Fatalf("tar -x: %v: %s", err, out)
	}
	f, err := os.Open(filepath.Join(dir, "a/s"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	fi, _ := f.Stat()
	got := make([]byte, 7)
	f.ReadAt(got, 1<<20-1)
	blocks := fi.Sys().(*syscall.Stat_t).Blocks
	if fi.Size() != size || string(got) != "\x00hello\x00" || blocks > 1024 {
		t.Errorf("extracted: size %d, bytes %q at 1 MiB, %d blocks of 512", fi.Size(), got, blocks)
	}
}

// TestWriteContextCancelled: a cancelled write stops with the context's
// error, before the next entry is opened.
func TestWriteContextCancelled(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	opened := 0
	var files []File
	for i := 0; i < 1000; i++ {
		files = append(files, File{Path: fmt.Sprintf("/f%04d", i), Kind: Regular, Size: 1, Open: func() (Content, error) {
			opened++
			if opened == 10 {
				cancel()
			}
			return Content{R: strings.NewReader("x")}, nil
		}})
	}
	err := WriteContext(ctx, io.Discard, files, Epoch)
	if !errors.Is(err, context.Canceled) || opened != 256 {
		t.Errorf("cancelled write: %v after opening %d files, want context.Canceled after 256", err, opened)
	}
}
