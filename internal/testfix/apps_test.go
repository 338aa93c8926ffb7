package testfix

import (
	"strings"
	"testing"
)

// TestAppImages builds the application images and runs each one as it
// is: every app prints what a working one prints.
func TestAppImages(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the application images (mmdebstrap, npm, javac, gcc, go) and runs them with bwrap")
	}
	NeedTool(t, "skopeo", "umoci", "bwrap", "setpriv")
	for _, app := range AppImages {
		t.Run(app.Name, func(t *testing.T) {
			res, err := SmokeUnpacked(CachedRootfs(t, AppArchive(t, app.Name)), true, SmokeOptions{Probe: app.Probe})
			if err != nil {
				t.Fatal(err)
			}
			if !strings.Contains(res.Output, app.Want) {
				t.Errorf("output lacks %q:\n%s\nstderr:\n%s", app.Want, res.Output, res.Stderr)
			}
			t.Logf("%s as %d:%d in %s:\n%s", res.Args, res.UID, res.GID, res.Cwd, res.Output)
		})
	}
}
