package testfix

import (
	"bytes"
	"errors"
	"os/exec"
	"strings"
	"testing"
)

// Mount is one bind mount of a Sandbox: Src on the host appears at Dst
// inside. Later mounts cover earlier ones, so a directory of generated
// files can be laid over part of a read-only root.
type Mount struct {
	Src, Dst string
	Writable bool
}

// Sandbox is a root filesystem assembled from bind mounts, in which tests
// run real programs with bubblewrap: no network, a fresh /proc, /dev and
// /tmp unless a mount provides them, and only the environment given.
type Sandbox struct {
	Mounts []Mount
	// Symlinks are created inside after the mounts: Path → Target (the
	// usual /bin -> usr/bin of a merged-/usr root).
	Symlinks []Symlink
	// Env is the whole environment of the commands ("KEY=value").
	Env []string
	// NoTmp leaves /tmp as the mounts have it (absent when the root has
	// none) instead of a fresh tmpfs, as a runtime runs an image.
	NoTmp bool
}

// Symlink is a symbolic link created inside a Sandbox.
type Symlink struct {
	Path, Target string
}

// Result is what a command run in a Sandbox did.
type Result struct {
	Stdout, Stderr string
	// ExitCode is the command's exit status (-1 if it did not start).
	ExitCode int
}

// Run runs argv inside the sandbox. It fails the test only when bubblewrap
// itself cannot run; the command's own failure is in the Result.
func (s *Sandbox) Run(t testing.TB, argv ...string) Result {
	t.Helper()
	NeedTool(t, "bwrap")
	args := []string{"--die-with-parent", "--unshare-net", "--unshare-ipc", "--unshare-pid", "--unshare-uts",
		"--proc", "/proc", "--dev", "/dev", "--clearenv"}
	hasTmp := false
	for _, m := range s.Mounts {
		if m.Dst == "/tmp" {
			hasTmp = true
		}
	}
	if !hasTmp && !s.NoTmp {
		args = append(args, "--tmpfs", "/tmp")
	}
	for _, m := range s.Mounts {
		flag := "--ro-bind"
		if m.Writable {
			flag = "--bind"
		}
		args = append(args, flag, m.Src, m.Dst)
	}
	for _, l := range s.Symlinks {
		args = append(args, "--symlink", l.Target, l.Path)
	}
	for _, kv := range s.Env {
		k, v, _ := strings.Cut(kv, "=")
		args = append(args, "--setenv", k, v)
	}
	args = append(args, "--")
	args = append(args, argv...)
	cmd := exec.Command("bwrap", args...)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	res := Result{Stdout: out.String(), Stderr: errb.String()}
	var ee *exec.ExitError
	switch {
	case err == nil:
	case errors.As(err, &ee):
		res.ExitCode = ee.ExitCode()
	default:
		t.Fatalf("bwrap %v: %v", argv, err)
	}
	return res
}
