package source_test

import (
	"context"
	"errors"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/whittle-dev/whittle/analyze/source"
)

// nobody is the user the permission cases run as when the tests run as
// root, for whom no permission is ever denied.
const nobody = 65534

// TestOpenErrorContracts opens a missing path and an unreadable one with
// every local transport and checks what callers rely on: errors.Is finds
// fs.ErrNotExist or fs.ErrPermission through the short one-line message,
// and the message names the reference exactly once.
func TestOpenErrorContracts(t *testing.T) {
	dir := t.TempDir()
	if os.Getenv("WHITTLE_OPENERR_DIR") != "" {
		dir = os.Getenv("WHITTLE_OPENERR_DIR")
	}
	missing := filepath.Join(dir, "missing")
	// An unreadable file and an unreadable directory (the latter for the
	// transports that open directories).
	lockedFile := filepath.Join(dir, "locked.tar")
	lockedDir := filepath.Join(dir, "locked-dir")
	if os.Getenv("WHITTLE_OPENERR_DIR") == "" {
		if err := os.WriteFile(lockedFile, []byte("not readable"), 0o000); err != nil {
			t.Fatal(err)
		}
		if err := os.Mkdir(lockedDir, 0o000); err != nil {
			t.Fatal(err)
		}
	}
	// The permission cases need a user that permissions apply to.
	checkPermission := os.Geteuid() != 0

	tests := []struct {
		ref  string
		want error
		msg  string
	}{
		{"docker-archive:" + missing, fs.ErrNotExist, "no such file or directory"},
		{"oci:" + missing, fs.ErrNotExist, "no such file or directory"},
		{"oci-archive:" + missing, fs.ErrNotExist, "no such file or directory"},
		{"dir:" + missing, fs.ErrNotExist, "no such file or directory"},
		{"rootfs-tar:" + missing, fs.ErrNotExist, "no such file or directory"},
		{"nix:" + missing, fs.ErrNotExist, "no such file or directory"},
		{missing, fs.ErrNotExist, "no such file or directory"},
		{missing + ".tar", fs.ErrNotExist, "no such file or directory"},

		{"docker-archive:" + lockedFile, fs.ErrPermission, "permission denied"},
		{"oci-archive:" + lockedFile, fs.ErrPermission, "permission denied"},
		{"rootfs-tar:" + lockedFile, fs.ErrPermission, "permission denied"},
		{lockedFile, fs.ErrPermission, "permission denied"},
		{"oci:" + lockedDir + "/sub", fs.ErrPermission, "permission denied"},
		{"dir:" + lockedDir + "/sub", fs.ErrPermission, "permission denied"},
		{"nix:" + lockedDir + "/sub", fs.ErrPermission, "permission denied"},
		{lockedDir + "/sub", fs.ErrPermission, "permission denied"},
	}
	for _, tt := range tests {
		if tt.want == fs.ErrPermission && !checkPermission {
			continue
		}
		im, err := source.Open(context.Background(), tt.ref, source.Options{})
		if err == nil {
			// A source may open lazily: the error then comes with the
			// first read of the image.
			_, err = readAll(im)
			im.Close()
		}
		if err == nil {
			t.Errorf("%s: opened without an error", tt.ref)
			continue
		}
		if !errors.Is(err, tt.want) {
			t.Errorf("%s: errors.Is(%q, %v) is false", tt.ref, err, tt.want)
		}
		msg := err.Error()
		t.Logf("%s", msg)
		if !strings.Contains(msg, tt.msg) {
			t.Errorf("%s: %q does not say %q", tt.ref, msg, tt.msg)
		}
		if n := strings.Count(msg, tt.ref); n != 1 {
			t.Errorf("%s: %q names the reference %d times, want once", tt.ref, msg, n)
		}
		if strings.Contains(msg, "\n") {
			t.Errorf("%s: %q is more than one line", tt.ref, msg)
		}
	}

	if !checkPermission && os.Getenv("WHITTLE_OPENERR_DIR") == "" {
		t.Run("as nobody", func(t *testing.T) { runAsNobody(t, dir) })
	}
}

// readAll reads every layer of im, for sources that open files lazily.
func readAll(im *source.Image) (int64, error) {
	var n int64
	for _, l := range im.Layers {
		rc, err := l.Open()
		if err != nil {
			return n, err
		}
		m, err := io.Copy(io.Discard, rc)
		rc.Close()
		n += m
		if err != nil {
			return n, err
		}
	}
	return n, nil
}

// runAsNobody runs this test again as an unprivileged user, on the same
// fixtures, so that the permission cases run when the tests run as root.
func runAsNobody(t *testing.T, dir string) {
	exe, err := os.Executable()
	if err != nil {
		t.Skipf("permission cases: %v", err)
	}
	// The test binary lives in a directory only root may enter: copy it
	// beside the fixtures, where the other user may run it.
	bin := filepath.Join(dir, "source.test")
	b, err := os.ReadFile(exe)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(bin, b, 0o755); err != nil {
		t.Fatal(err)
	}
	// t.TempDir made dir and its parent for this test only, both 0700.
	for _, p := range []string{dir, filepath.Dir(dir)} {
		if err := os.Chmod(p, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	for p := filepath.Dir(dir); p != "/"; p = filepath.Dir(p) {
		fi, err := os.Stat(p)
		if err != nil || fi.Mode().Perm()&0o001 == 0 {
			t.Skipf("permission cases: %s is not open to other users", p)
		}
	}
	cmd := exec.Command(bin, "-test.run=^TestOpenErrorContracts$", "-test.v")
	cmd.Env = append(os.Environ(), "WHITTLE_OPENERR_DIR="+dir, "HOME="+dir)
	cmd.Dir = dir
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: nobody, Gid: nobody}}
	out, err := cmd.CombinedOutput()
	var exitErr *exec.ExitError
	switch {
	case errors.As(err, &exitErr):
		t.Errorf("as uid %d:\n%s", nobody, out)
	case err != nil:
		t.Skipf("permission cases: cannot run as uid %d: %v", nobody, err)
	}
}
