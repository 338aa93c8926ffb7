package testfix

import (
	"os"
	"path/filepath"
	"testing"
)

// TestDebianModulesRootfs: the module fixture holds the three
// interpreters and a module of each.
func TestDebianModulesRootfs(t *testing.T) {
	if testing.Short() {
		t.Skip("builds a Debian root (-short)")
	}
	root := DebianModulesRootfsDir(t)
	for _, p := range []string{"usr/bin/python3", "usr/lib/python3/dist-packages/flask/__init__.py", "usr/bin/node", "usr/share/nodejs/express/package.json", "usr/bin/perl"} {
		if _, err := os.Stat(filepath.Join(root, p)); err != nil {
			t.Errorf("%s: %v", p, err)
		}
	}
}
