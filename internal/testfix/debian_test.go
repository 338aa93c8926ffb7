package testfix

import (
	"os"
	"path/filepath"
	"testing"
)

func TestDebianRootfs(t *testing.T) {
	root := DebianRootfsDir(t)
	for _, p := range []string{"usr/bin/python3", "etc/services", "etc/ssl/certs/ca-certificates.crt", "usr/lib/locale/locale-archive", "usr/share/zoneinfo/Europe/Riga"} {
		if _, err := os.Lstat(filepath.Join(root, p)); err != nil {
			t.Errorf("fixture lacks %s: %v", p, err)
		}
	}
}
