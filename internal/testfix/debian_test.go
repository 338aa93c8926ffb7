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

func TestAppsRootfs(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the applications' Debian root with mmdebstrap")
	}
	root := ExtractedRootfs(t, AppsRootfsTar(t))
	for _, p := range []string{"usr/sbin/nginx", "usr/bin/node", "usr/lib/python3/dist-packages/flask/__init__.py", "usr/bin/perl", "usr/lib/jvm/java-17-openjdk-amd64/bin/java", "etc/ssl/certs/ca-certificates.crt", "usr/share/zoneinfo/Europe/Riga"} {
		if _, err := os.Lstat(filepath.Join(root, p)); err != nil {
			t.Errorf("fixture lacks %s: %v", p, err)
		}
	}
	for _, p := range []string{"etc/services", "usr/lib/locale/locale-archive", "usr/share/man/man1/ls.1.gz"} {
		if _, err := os.Lstat(filepath.Join(root, p)); err == nil {
			t.Errorf("fixture has %s, which debian:bookworm-slim has not", p)
		}
	}
}
