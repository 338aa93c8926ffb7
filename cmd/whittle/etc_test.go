package main

import (
	"archive/tar"
	"bytes"
	"encoding/json"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
)

type tarEntry struct {
	name      string
	mode      int64
	uid, gid  int
	dir       bool
	data      string
	symlinkTo string
}

// etcImage writes a one-layer docker archive of entries with the given
// config User.
func etcImage(t *testing.T, user string, entries ...tarEntry) string {
	t.Helper()
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	for _, e := range entries {
		h := &tar.Header{Name: e.name, Mode: e.mode, Uid: e.uid, Gid: e.gid, Typeflag: tar.TypeReg, Size: int64(len(e.data))}
		switch {
		case e.dir:
			h.Typeflag, h.Size = tar.TypeDir, 0
		case e.symlinkTo != "":
			h.Typeflag, h.Size, h.Linkname = tar.TypeSymlink, 0, e.symlinkTo
		}
		if err := tw.WriteHeader(h); err != nil {
			t.Fatal(err)
		}
		io.WriteString(tw, e.data)
	}
	tw.Close()
	b := buf.Bytes()
	layer, err := tarball.LayerFromOpener(func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(b)), nil })
	if err != nil {
		t.Fatal(err)
	}
	img, err := mutate.AppendLayers(empty.Image, layer)
	if err != nil {
		t.Fatal(err)
	}
	if img, err = mutate.Config(img, v1.Config{User: user}); err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(t.TempDir(), "app.tar")
	tag, _ := name.NewTag("whittle.test/etc:1")
	if err := tarball.WriteToFile(p, tag, img); err != nil {
		t.Fatal(err)
	}
	return p
}

var accountFiles = []tarEntry{
	{name: "etc/", mode: 0o755, dir: true},
	{name: "etc/passwd", mode: 0o644, data: "root:x:0:0:root:/root:/bin/sh\nnonroot:x:1000:1000::/home/nonroot:/bin/sh\nwww-data:x:33:33::/var/www:/sbin/nologin\n"},
	{name: "etc/group", mode: 0o644, data: "root:x:0:\nnonroot:x:1000:\nwww-data:x:33:\n"},
	{name: "app/", mode: 0o700, uid: 1000, gid: 1000, dir: true},
	{name: "app/server", mode: 0o755, uid: 1000, gid: 1000, data: "#!/bin/sh\n"},
}

// TestEtcImageAccounts: the image's nonroot (uid 1000, owner of a mode-700
// /app) is listed and written as uid 1000, and a --users that leaves out
// the config's User fails unless --allow-missing-user.
func TestEtcImageAccounts(t *testing.T) {
	ref := "docker-archive:" + etcImage(t, "nonroot", accountFiles...)
	out, errs, code := run(t, "etc", ref, "--list", "users", "--json")
	var rows []struct{ Name, Detail, Source string }
	if code != 0 || json.Unmarshal([]byte(out), &rows) != nil {
		t.Fatalf("--list users: code %d, stderr %q, out %q", code, errs, out)
	}
	var nonroot string
	for _, r := range rows {
		if r.Name == "nonroot" {
			nonroot = r.Detail + " from " + r.Source
		}
	}
	if want := "uid 1000, gid 1000 (nonroot), home /home/nonroot, shell /bin/sh from /etc/passwd"; nonroot != want {
		t.Errorf("nonroot: %q, want %q", nonroot, want)
	}

	dir := filepath.Join(t.TempDir(), "out")
	if _, errs, code := run(t, "etc", ref, "--users", "root,nonroot", "-o", dir); code != 0 {
		t.Fatalf("--users root,nonroot: code %d, stderr %q", code, errs)
	}
	passwd, err := os.ReadFile(filepath.Join(dir, "etc/passwd"))
	if want := "root:x:0:0:root:/root:/bin/sh\nnonroot:x:1000:1000::/home/nonroot:/bin/sh\n"; err != nil || string(passwd) != want {
		t.Errorf("etc/passwd: %v\n%s\nwant:\n%s", err, passwd, want)
	}

	for _, tc := range []struct {
		user, users string
		code        int
		stderr      string
	}{
		{"www-data", "root", 1, `whittle: the image config's User "www-data" names a user that is not among the chosen users (root); choose it with --users, or pass --allow-missing-user` + "\n"},
		{"1000:1000", "root,nonroot", 0, ""},
		{"1000", "root", 1, `whittle: the image config's User "1000" names a uid that is not among the chosen users (root (uid 0)); choose it with --users, or pass --allow-missing-user` + "\n"},
	} {
		ref := "docker-archive:" + etcImage(t, tc.user, accountFiles...)
		_, errs, code := run(t, "etc", ref, "--users", tc.users)
		if code != tc.code || errs != tc.stderr {
			t.Errorf("User %q, --users %s: code %d, stderr %q; want %d, %q", tc.user, tc.users, code, errs, tc.code, tc.stderr)
		}
		if tc.code != 0 {
			if _, errs, code := run(t, "etc", ref, "--users", tc.users, "--allow-missing-user"); code != 0 {
				t.Errorf("User %q with --allow-missing-user: code %d, stderr %q", tc.user, code, errs)
			}
		}
	}
}

// TestEtcBrokenLocaleArchive: a 0-byte locale-archive warns on every etc
// command, keeps the other sections usable, and fails only --locales.
func TestEtcBrokenLocaleArchive(t *testing.T) {
	ref := "docker-archive:" + etcImage(t, "",
		tarEntry{name: "usr/lib/locale/", mode: 0o755, dir: true},
		tarEntry{name: "usr/lib/locale/locale-archive", mode: 0o644},
		tarEntry{name: "etc/", mode: 0o755, dir: true},
		tarEntry{name: "etc/protocols", mode: 0o644, data: "tcp\t6\tTCP\nudp\t17\tUDP\n"},
	)
	warning := "whittle: warning: " + ref + ": locales: skipped /usr/lib/locale/locale-archive: locale-archive of 0 bytes is shorter than its header\n"
	out, errs, code := run(t, "etc", ref, "--list", "protocols")
	if want := "NAME  SIZE  DETAIL    SOURCE\ntcp   10 B  6 (TCP)   /etc/protocols\nudp   11 B  17 (UDP)  /etc/protocols\n"; code != 0 || errs != warning || out != want {
		t.Errorf("--list protocols: code %d, stderr %q, out %q; want 0, %q, %q", code, errs, out, warning, want)
	}
	out, errs, code = run(t, "etc", ref, "--list", "timezones", "--json")
	var zones []struct{ Name, Source string }
	if code != 0 || errs != warning || json.Unmarshal([]byte(out), &zones) != nil || len(zones) == 0 || zones[0].Source != "fallback" {
		t.Errorf("--list timezones: code %d, stderr %q, %d zones", code, errs, len(zones))
	}
	out, errs, code = run(t, "etc", ref, "--timezones", "UTC", "--protocols", "tcp")
	if code != 0 || errs != warning || !strings.Contains(out, "ENV TZ=UTC\n") {
		t.Errorf("--timezones UTC: code %d, stderr %q, out %q", code, errs, out)
	}
	_, errs, code = run(t, "etc", ref, "--locales", "C.UTF-8")
	if want := warning + "whittle: cannot choose locales: /usr/lib/locale/locale-archive could not be read: locale-archive of 0 bytes is shorter than its header\n"; code != 1 || errs != want {
		t.Errorf("--locales: code %d, stderr %q; want 1, %q", code, errs, want)
	}
}
