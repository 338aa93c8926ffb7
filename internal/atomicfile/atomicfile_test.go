package atomicfile_test

import (
	"errors"
	"io"
	"os"
	"path/filepath"
	"syscall"
	"testing"

	"github.com/whittle-dev/whittle/internal/atomicfile"
)

// withUmask runs f with the process umask set to m and restores it.
// The tests in this file do not run in parallel, so nothing else creates
// files while the umask is changed.
func withUmask(t *testing.T, m int, f func()) {
	t.Helper()
	old := syscall.Umask(m)
	defer syscall.Umask(old)
	f()
}

func TestModeFollowsUmask(t *testing.T) {
	tests := []struct {
		umask int
		mode  os.FileMode
		want  os.FileMode
	}{
		{0o022, atomicfile.Mode, 0o644},
		{0o077, atomicfile.Mode, 0o600},
		{0o002, atomicfile.Mode, 0o644},
		{0o022, 0o755, 0o755},
		{0o077, 0o755, 0o700},
	}
	for _, tt := range tests {
		path := filepath.Join(t.TempDir(), "out")
		withUmask(t, tt.umask, func() {
			if err := atomicfile.WriteMode(path, tt.mode, func(w io.Writer) error {
				_, err := io.WriteString(w, "x")
				return err
			}); err != nil {
				t.Fatal(err)
			}
		})
		fi, err := os.Stat(path)
		if err != nil {
			t.Fatal(err)
		}
		if got := fi.Mode().Perm(); got != tt.want {
			t.Errorf("umask %03o, mode %03o: file has %03o, want %03o", tt.umask, tt.mode, got, tt.want)
		}
	}
}

// The plain Write gives 0644 under umask 022, whatever umask an earlier
// call saw.
func TestWriteFileMode(t *testing.T) {
	dir := t.TempDir()
	for _, tt := range []struct {
		umask int
		want  os.FileMode
	}{{0o077, 0o600}, {0o022, 0o644}, {0o077, 0o600}} {
		path := filepath.Join(dir, "f")
		withUmask(t, tt.umask, func() {
			if err := atomicfile.WriteFile(path, []byte("x")); err != nil {
				t.Fatal(err)
			}
		})
		fi, err := os.Stat(path)
		if err != nil {
			t.Fatal(err)
		}
		if got := fi.Mode().Perm(); got != tt.want {
			t.Errorf("umask %03o: file has %03o, want %03o", tt.umask, got, tt.want)
		}
	}
}

func TestFailedFillLeavesTargetAndNoTemp(t *testing.T) {
	for _, existing := range []bool{false, true} {
		dir := t.TempDir()
		path := filepath.Join(dir, "out.json")
		if existing {
			if err := os.WriteFile(path, []byte("old"), 0o644); err != nil {
				t.Fatal(err)
			}
		}
		boom := errors.New("boom")
		err := atomicfile.Write(path, func(w io.Writer) error {
			if _, err := io.WriteString(w, "half of the new"); err != nil {
				return err
			}
			return boom
		})
		if !errors.Is(err, boom) {
			t.Fatalf("existing=%v: err = %v, want it to wrap the fill error", existing, err)
		}
		if want := "writing " + path + ": boom"; err.Error() != want {
			t.Errorf("err = %q, want %q", err, want)
		}
		got, rerr := os.ReadFile(path)
		switch {
		case existing && (rerr != nil || string(got) != "old"):
			t.Errorf("target after a failed write = %q, %v; want \"old\" untouched", got, rerr)
		case !existing && !errors.Is(rerr, os.ErrNotExist):
			t.Errorf("target after a failed write exists (%q, %v); want none", got, rerr)
		}
		assertOnly(t, dir, existing)
	}
}

func TestReplacesExistingTarget(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "out")
	if err := os.WriteFile(path, []byte("old contents, longer"), 0o600); err != nil {
		t.Fatal(err)
	}
	// Keep the old file open: a reader holding it sees the old contents
	// whole, as a rename (not a rewrite in place) leaves it.
	old, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer old.Close()
	before, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	withUmask(t, 0o022, func() {
		err = atomicfile.WriteFile(path, []byte("new"))
	})
	if err != nil {
		t.Fatal(err)
	}
	got, err := os.ReadFile(path)
	if err != nil || string(got) != "new" {
		t.Fatalf("target = %q, %v; want \"new\"", got, err)
	}
	after, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if os.SameFile(before, after) {
		t.Error("target was rewritten in place; want a new file renamed over it")
	}
	if after.Mode().Perm() != 0o644 {
		t.Errorf("replaced target has mode %03o, want 0644", after.Mode().Perm())
	}
	oldBytes, err := io.ReadAll(old)
	if err != nil || string(oldBytes) != "old contents, longer" {
		t.Errorf("the old file read through an open handle = %q, %v; want it whole", oldBytes, err)
	}
	assertOnly(t, dir, true)
}

func TestMissingDirectory(t *testing.T) {
	path := filepath.Join(t.TempDir(), "no", "out")
	err := atomicfile.WriteFile(path, []byte("x"))
	if !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("err = %v, want fs.ErrNotExist", err)
	}
	if want := "writing " + path + ": no such file or directory"; err.Error() != want {
		t.Errorf("err = %q, want %q (no temporary file name)", err, want)
	}
}

// assertOnly checks that dir holds the target "out*" file (if want) and
// nothing else: no temporary file is left behind.
func assertOnly(t *testing.T, dir string, want bool) {
	t.Helper()
	ents, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range ents {
		names = append(names, e.Name())
	}
	if n := len(names); (want && n != 1) || (!want && n != 0) {
		t.Errorf("directory holds %q; want only the target (%v)", names, want)
	}
}
