package etcgen

import (
	"io/fs"
	"testing"
	"testing/fstest"

	"github.com/whittle-dev/whittle/internal/reprotar"
)

// nonrootImage is an image whose own nonroot is uid 1000 (not distroless's
// 65532) and owns /app, mode 700; it has no nobody.
func nonrootImage() fstest.MapFS {
	return fstest.MapFS{
		"etc/passwd": {Mode: 0o644, Data: []byte("root:x:0:0:root:/root:/bin/ash\nnonroot:x:1000:1000:Non Root:/home/nonroot:/bin/ash\nwww-data:x:33:33::/var/www:/sbin/nologin\n")},
		"etc/group":  {Mode: 0o644, Data: []byte("root:x:0:\nnonroot:x:1000:\nwww-data:x:33:\n")},
		"app":        {Mode: fs.ModeDir | 0o700},
		"app/server": {Mode: 0o755, Data: []byte("#!/bin/ash\n")},
	}
}

// TestImageAccountsFirst: the image's root and nonroot are listed and
// written as the image has them; only nobody, which it lacks, is built in.
func TestImageAccountsFirst(t *testing.T) {
	c, err := LoadCatalog(nonrootImage())
	if err != nil {
		t.Fatal(err)
	}
	rows, err := c.Rows(KindUsers)
	if err != nil {
		t.Fatal(err)
	}
	want := []Row{
		{KindUsers, "root", "uid 0, gid 0 (root), home /root, shell /bin/ash", 41, "/etc/passwd"},
		{KindUsers, "nobody", "uid 65534, gid 65534 (nobody), home /nonexistent, shell /sbin/nologin", 71, "built-in"},
		{KindUsers, "nonroot", "uid 1000, gid 1000 (nonroot), home /home/nonroot, shell /bin/ash", 68, "/etc/passwd"},
		{KindUsers, "www-data", "uid 33, gid 33 (www-data), home /var/www, shell /sbin/nologin", 56, "/etc/passwd"},
	}
	if len(rows) != len(want) {
		t.Fatalf("rows %+v, want %+v", rows, want)
	}
	for i := range want {
		if rows[i] != want[i] {
			t.Errorf("row %d: got %+v, want %+v", i, rows[i], want[i])
		}
	}

	out, err := c.Plan(Selection{Users: []User{{Name: "root"}, {Name: "nonroot"}}})
	if err != nil {
		t.Fatal(err)
	}
	files := map[string]reprotar.File{}
	for _, f := range out.Files {
		files[f.Path] = f
	}
	if got, want := string(files["/etc/passwd"].Data), "root:x:0:0:root:/root:/bin/ash\nnonroot:x:1000:1000:Non Root:/home/nonroot:/bin/ash\n"; got != want {
		t.Errorf("/etc/passwd:\n%s\nwant:\n%s", got, want)
	}
	if got, want := string(files["/etc/group"].Data), "root:x:0:\nnonroot:x:1000:\n"; got != want {
		t.Errorf("/etc/group:\n%s\nwant:\n%s", got, want)
	}
	if h := files["/home/nonroot"]; h.Kind != reprotar.Dir || h.UID != 1000 || h.GID != 1000 || h.Mode != 0o700 {
		t.Errorf("/home/nonroot: %+v, want a 0700 directory owned by 1000:1000", h)
	}
}

// TestCheckUser: the config's User must be among the chosen users, by name
// or, when it is a number, by uid.
func TestCheckUser(t *testing.T) {
	c, err := LoadCatalog(nonrootImage())
	if err != nil {
		t.Fatal(err)
	}
	plan := func(users ...string) *Output {
		var us []User
		for _, u := range users {
			us = append(us, User{Name: u})
		}
		out, err := c.Plan(Selection{Users: us, Services: Names("http")})
		if err != nil {
			t.Fatal(err)
		}
		return out
	}
	for _, tc := range []struct {
		user  string
		users []string
		err   string
	}{
		{"nonroot", []string{"root", "nonroot"}, ""},
		{"www-data", []string{"root"}, `the image config's User "www-data" names a user that is not among the chosen users (root)`},
		{"www-data:www-data", []string{"root", "www-data"}, ""},
		{"1000", []string{"root", "nonroot"}, ""},
		{"1000:1000", []string{"root", "nonroot"}, ""},
		{"65532", []string{"root", "nonroot"}, `the image config's User "65532" names a uid that is not among the chosen users (root (uid 0), nonroot (uid 1000))`},
		{"0", []string{"nobody"}, `the image config's User "0" names a uid that is not among the chosen users (nobody (uid 65534))`},
		{"", []string{"root"}, ""},
		{"www-data", nil, ""}, // no /etc/passwd written: the image's own stays
	} {
		err := plan(tc.users...).CheckUser(tc.user)
		got := ""
		if err != nil {
			got = err.Error()
		}
		if got != tc.err {
			t.Errorf("User %q, users %v: error %q, want %q", tc.user, tc.users, got, tc.err)
		}
	}
}
