package verify

import (
	"reflect"
	"testing"
	"testing/fstest"
)

func TestResolveUser(t *testing.T) {
	fsys := fstest.MapFS{
		"etc/passwd": {Data: []byte("root:x:0:0:root:/root:/bin/sh\n# comment\napp:x:1000:1000::/home/app:/bin/sh\nnohome:x:1001:1001:::/bin/sh\n")},
		"etc/group":  {Data: []byte("root:x:0:\napp:x:1000:\nstaff:x:50:app,other\nvideo:x:44:other,app\n")},
	}
	for _, tc := range []struct {
		spec string
		want ExecUser
		err  string
	}{
		{"", ExecUser{UID: 0, GID: 0, Home: "/root"}, ""},
		{"root", ExecUser{UID: 0, GID: 0, Home: "/root"}, ""},
		{"app", ExecUser{UID: 1000, GID: 1000, Groups: []int{50, 44}, Home: "/home/app"}, ""},
		{"1000", ExecUser{UID: 1000, GID: 1000, Groups: []int{50, 44}, Home: "/home/app"}, ""},
		{"app:staff", ExecUser{UID: 1000, GID: 50, Groups: []int{50, 44}, Home: "/home/app"}, ""},
		{"app:7", ExecUser{UID: 1000, GID: 7, Groups: []int{50, 44}, Home: "/home/app"}, ""},
		{"nohome", ExecUser{UID: 1001, GID: 1001, Home: "/"}, ""},
		{"4242", ExecUser{UID: 4242, GID: 0, Home: "/"}, ""},
		{"4242:4243", ExecUser{UID: 4242, GID: 4243, Home: "/"}, ""},
		{"ghost", ExecUser{}, "unable to find user ghost: no matching entries in passwd file"},
		{"app:ghosts", ExecUser{}, "unable to find group ghosts: no matching entries in group file"},
	} {
		got, err := ResolveUser(fsys, tc.spec)
		if tc.err != "" {
			if err == nil || err.Error() != tc.err {
				t.Errorf("%q: error %v, want %s", tc.spec, err, tc.err)
			}
			continue
		}
		if err != nil || !reflect.DeepEqual(got, tc.want) {
			t.Errorf("%q: %+v, %v; want %+v", tc.spec, got, err, tc.want)
		}
	}
	// No passwd at all: numeric users only.
	if u, err := ResolveUser(fstest.MapFS{}, "5:6"); err != nil || u.UID != 5 || u.GID != 6 {
		t.Errorf("no passwd, 5:6: %+v, %v", u, err)
	}
	if _, err := ResolveUser(fstest.MapFS{}, "app"); err == nil {
		t.Error("no passwd, app: no error")
	}
}

func TestTail(t *testing.T) {
	tl := &tail{limit: 5}
	tl.Write([]byte("abc"))
	tl.Write([]byte("de"))
	if b, cut := tl.bytes(); string(b) != "abcde" || cut {
		t.Errorf("%q %v", b, cut)
	}
	tl.Write([]byte("fg"))
	if b, cut := tl.bytes(); string(b) != "cdefg" || !cut {
		t.Errorf("%q %v", b, cut)
	}
	tl.Write([]byte("0123456"))
	if b, cut := tl.bytes(); string(b) != "23456" || !cut {
		t.Errorf("%q %v", b, cut)
	}
}
