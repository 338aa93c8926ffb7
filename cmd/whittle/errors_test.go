package main

import (
	"bytes"
	"context"
	"errors"
	"io/fs"
	"path/filepath"
	"strings"
	"testing"
)

// TestMissingInputErrors checks the contract of a missing input at the
// command level: the error errors.Is fs.ErrNotExist, and the one line a
// person reads names the reference once and says why.
func TestMissingInputErrors(t *testing.T) {
	missing := filepath.Join(t.TempDir(), "missing")
	archive := randomArchive(t)
	tests := []struct {
		args []string
		want string // the line on stderr
	}{
		{[]string{"audit", "docker-archive:" + missing}, "docker-archive:" + missing + ": no such file or directory"},
		{[]string{"audit", "oci:" + missing}, "oci:" + missing + ": no such file or directory"},
		{[]string{"audit", "oci-archive:" + missing}, "oci-archive:" + missing + ": no such file or directory"},
		{[]string{"audit", "dir:" + missing}, "dir:" + missing + ": no such file or directory"},
		{[]string{"audit", "rootfs-tar:" + missing}, "rootfs-tar:" + missing + ": no such file or directory"},
		{[]string{"audit", "nix:" + missing}, "nix:" + missing + ": no such file or directory"},
		{[]string{"audit", missing}, missing + ": no such file or directory"},
		{[]string{"graph", missing + ".tar"}, missing + ".tar: no such file or directory"},
		{[]string{"etc", "dir:" + missing}, "dir:" + missing + ": no such file or directory"},
		{[]string{"audit", "-o", filepath.Join(missing, "report.json"), archive},
			"writing " + filepath.Join(missing, "report.json") + ": no such file or directory"},
		{[]string{"graph", "-o", filepath.Join(missing, "graph.json"), archive},
			"writing " + filepath.Join(missing, "graph.json") + ": no such file or directory"},
	}
	for _, tt := range tests {
		cmd := newRootCommand()
		var out, errb bytes.Buffer
		cmd.SetOut(&out)
		cmd.SetErr(&errb)
		cmd.SetArgs(append([]string{"--no-cache"}, tt.args...))
		err := cmd.ExecuteContext(context.Background())
		if !errors.Is(err, fs.ErrNotExist) {
			t.Errorf("%s: errors.Is(%v, fs.ErrNotExist) is false", strings.Join(tt.args, " "), err)
		}
		code := exitCode(err, &errb)
		if want := "whittle: " + tt.want + "\n"; code != 1 || errb.String() != want {
			t.Errorf("%s: exit %d, stderr %q; want 1, %q", strings.Join(tt.args, " "), code, errb.String(), want)
		}
	}
}
