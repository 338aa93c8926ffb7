package testfix

import (
	"path/filepath"
	"strings"
)

// DebianModulePackages are the packages of the interpreters' module
// fixture: a Python web framework from Debian's packages (flask and what
// it imports), Node with a package from /usr/share/nodejs (express), and
// Perl with pure-Perl and XS modules (JSON::PP is core; libjson-xs-perl
// and liburi-perl are vendor modules).
var DebianModulePackages = []string{
	"python3", "python3-flask", "nodejs", "node-express", "perl", "libjson-xs-perl", "liburi-perl",
}

// DebianModulesRootfsTar returns the path of a bookworm root filesystem
// tarball (mmdebstrap, variant minbase) holding DebianModulePackages,
// built once per fixture directory and shared.
func DebianModulesRootfsTar(t T) string {
	t.Helper()
	NeedTool(t, "mmdebstrap")
	key := "debian-bookworm-modules:" + strings.Join(DebianModulePackages, ",")
	dir := Build(t, key, func(dir string) error {
		_, err := Run(dir, "mmdebstrap", "--variant=minbase", "--quiet",
			"--include="+strings.Join(DebianModulePackages, ","),
			"bookworm", filepath.Join(dir, "rootfs.tar"))
		return err
	})
	return filepath.Join(dir, "rootfs.tar")
}

// DebianModulesRootfsDir returns DebianModulesRootfsTar extracted to a
// directory (device nodes left out); read-only for tests.
func DebianModulesRootfsDir(t T) string {
	t.Helper()
	return extract(t, DebianModulesRootfsTar(t))
}
