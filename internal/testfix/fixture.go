// Package testfix builds the expensive real-world fixtures that tests share
// (a Debian root filesystem, a Nix store, a registry server) once per test
// run, across the separate processes `go test ./...` starts.
package testfix

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"testing"
)

// Dir is where fixtures live: $WHITTLE_FIXTURE_DIR when set (the test
// script points it at a fresh directory per run), else a directory in the
// user cache dir so repeated local runs reuse what was built.
func Dir() string {
	if d := os.Getenv("WHITTLE_FIXTURE_DIR"); d != "" {
		return d
	}
	base, err := os.UserCacheDir()
	if err != nil {
		base = os.TempDir()
	}
	return filepath.Join(base, "whittle-test-fixtures")
}

// T is what fixtures need of a test: testing.TB satisfies it, and so can a
// benchmark script's main (see bench/).
type T interface {
	Helper()
	Fatalf(format string, args ...any)
	Skipf(format string, args ...any)
}

// Build returns the directory holding the fixture named by key, calling
// make(dir) to fill it the first time. Concurrent test processes wait for one
// another on a lock file, so the fixture is built once; a build that fails
// leaves nothing behind, and the next caller tries again.
func Build(t T, key string, make func(dir string) error) string {
	t.Helper()
	sum := sha256.Sum256([]byte(key))
	name := hex.EncodeToString(sum[:8])
	root := Dir()
	if err := os.MkdirAll(root, 0o755); err != nil {
		t.Fatalf("fixture %s: %v", key, err)
	}
	final := filepath.Join(root, name)
	lock, err := os.OpenFile(final+".lock", os.O_CREATE|os.O_RDWR, 0o644)
	if err != nil {
		t.Fatalf("fixture %s: %v", key, err)
	}
	defer lock.Close()
	if err := syscall.Flock(int(lock.Fd()), syscall.LOCK_EX); err != nil {
		t.Fatalf("fixture %s: locking: %v", key, err)
	}
	defer syscall.Flock(int(lock.Fd()), syscall.LOCK_UN)
	if _, err := os.Stat(filepath.Join(final, ".done")); err == nil {
		return final
	}
	os.RemoveAll(final)
	tmp := final + ".tmp"
	os.RemoveAll(tmp)
	if err := os.MkdirAll(tmp, 0o755); err != nil {
		t.Fatalf("fixture %s: %v", key, err)
	}
	if err := make(tmp); err != nil {
		os.RemoveAll(tmp)
		t.Fatalf("fixture %s: %v", key, err)
	}
	if err := os.WriteFile(filepath.Join(tmp, ".done"), []byte(key), 0o644); err != nil {
		t.Fatalf("fixture %s: %v", key, err)
	}
	if err := os.Rename(tmp, final); err != nil {
		t.Fatalf("fixture %s: %v", key, err)
	}
	return final
}

// NeedTool fails the test when a required program is missing; with -short
// it skips instead. The full suite (make test) installs every tool, so a
// missing one is an error there, never a silent pass.
func NeedTool(t T, names ...string) {
	t.Helper()
	for _, n := range names {
		if _, err := exec.LookPath(n); err != nil {
			if testing.Testing() && testing.Short() {
				t.Skipf("%s not installed (-short)", n)
			}
			t.Fatalf("%s is not installed; run `make test`, which installs the test tools", n)
		}
	}
}

// Run runs a command, returning its combined output in the error on failure.
func Run(dir string, name string, args ...string) ([]byte, error) {
	cmd := exec.Command(name, args...)
	cmd.Dir = dir
	out, err := cmd.CombinedOutput()
	if err != nil {
		return out, fmt.Errorf("%s %v: %w\n%s", name, args, err, out)
	}
	return out, nil
}
