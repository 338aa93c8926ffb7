package hosterr

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"testing"
)

func TestDescribe(t *testing.T) {
	dir := t.TempDir()
	_, notExist := os.Open(filepath.Join(dir, "nope"))
	other := errors.New("boom")
	for _, tc := range []struct {
		name string
		err  error
		want string
		is   error
	}{
		{"missing", notExist, "no such file or directory", fs.ErrNotExist},
		{"permission", &fs.PathError{Op: "open", Path: "/x", Err: fs.ErrPermission}, "permission denied", fs.ErrPermission},
		{"other", other, "boom", other},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := fmt.Errorf("docker-archive:x.tar: %w", Describe(tc.err))
			if got.Error() != "docker-archive:x.tar: "+tc.want {
				t.Errorf("message %q, want %q", got, "docker-archive:x.tar: "+tc.want)
			}
			if !errors.Is(got, tc.is) {
				t.Errorf("errors.Is(%v, %v) = false", got, tc.is)
			}
		})
	}
	if Describe(nil) != nil {
		t.Error("Describe(nil) != nil")
	}
}
