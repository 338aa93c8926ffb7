package testfix

import (
	"os"
	"path/filepath"
	"strings"
)

// AppsPackages are the packages of the applications' shared base root, on
// top of mmdebstrap's minbase variant: the runtimes of AppImages. Like
// debian:bookworm-slim it has neither netbase nor locales.
var AppsPackages = []string{
	"ca-certificates", "tzdata", "nginx-light", "nodejs", "python3-flask", "perl", "openjdk-17-jre-headless",
}

// appsDpkgExcludes are debian:bookworm-slim's dpkg path filters (as
// debuerreotype's slimify writes them): no manuals, info pages, message
// catalogs or documentation other than copyright files.
var appsDpkgExcludes = []string{
	"path-exclude=/usr/share/man/*",
	"path-exclude=/usr/share/info/*",
	"path-exclude=/usr/share/groff/*",
	"path-exclude=/usr/share/linda/*",
	"path-exclude=/usr/share/lintian/overrides/*",
	"path-exclude=/usr/share/locale/*",
	"path-exclude=/usr/share/doc/*",
	"path-include=/usr/share/doc/*/copyright",
}

// AppsRootfsTar returns the path of the applications' base root: a
// bookworm root filesystem tarball made by mmdebstrap (variant minbase,
// AppsPackages, slim's dpkg filters), built once per fixture directory.
func AppsRootfsTar(t T) string {
	t.Helper()
	NeedTool(t, "mmdebstrap")
	key := "apps-bookworm-minbase-slim:" + strings.Join(AppsPackages, ",") + ":" + strings.Join(appsDpkgExcludes, ",")
	dir := Build(t, key, func(dir string) error {
		args := []string{"--variant=minbase", "--quiet", "--include=" + strings.Join(AppsPackages, ",")}
		for _, o := range appsDpkgExcludes {
			args = append(args, "--dpkgopt="+o)
		}
		// openjdk's postinst registers alternatives whose slave links
		// live in /usr/share/man/man1 (the slim image's workaround).
		args = append(args, `--setup-hook=mkdir -p "$1/usr/share/man/man1"`,
			"bookworm", filepath.Join(dir, "rootfs.tar"))
		_, err := Run(dir, "mmdebstrap", args...)
		return err
	})
	return filepath.Join(dir, "rootfs.tar")
}

// ExtractedRootfs returns a tarball of a root filesystem extracted once to a
// directory of the fixture dir (device nodes left out). Tests must treat it
// as read-only.
func ExtractedRootfs(t T, tarPath string) string {
	t.Helper()
	dir := Build(t, "extracted:"+tarPath, func(dir string) error {
		root := filepath.Join(dir, "root")
		if err := os.MkdirAll(root, 0o755); err != nil {
			return err
		}
		_, err := Run(root, "tar", "--extract", "--file", tarPath, "--numeric-owner", "--exclude=./dev/*")
		return err
	})
	return filepath.Join(dir, "root")
}
