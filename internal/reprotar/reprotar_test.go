package reprotar

import (
	"archive/tar"
	"bytes"
	"fmt"
	"io"
	"strings"
	"testing"
	"time"
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
	tr := tar.NewReader(bytes.NewReader(b))
	var got []string
	for {
		hdr, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		if !hdr.ModTime.Equal(time.Unix(0, 0)) || hdr.Uname != "" || hdr.Gname != "" {
			t.Errorf("%s: mtime %v, owner names %q/%q", hdr.Name, hdr.ModTime, hdr.Uname, hdr.Gname)
		}
		got = append(got, fmt.Sprintf("%c %s %s %d:%d %o", hdr.Typeflag, hdr.Name, hdr.Linkname, hdr.Uid, hdr.Gid, hdr.Mode))
	}
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
