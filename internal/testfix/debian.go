package testfix

import (
	"os"
	"path/filepath"
	"strings"
)

// DebianPackages are the packages of the shared Debian fixture, on top of
// mmdebstrap's minbase variant: enough for a Python program that speaks
// TLS, with services, protocols, time zones and compiled locales.
var DebianPackages = []string{
	"ca-certificates", "locales", "netbase", "openssl", "python3", "python3-minimal", "tzdata",
}

// DebianLocales are compiled into the fixture's locale-archive (the
// locale.gen lines: locale and charset).
var DebianLocales = []string{
	"de_DE.UTF-8 UTF-8", "en_US.UTF-8 UTF-8", "fr_FR ISO-8859-1", "lv_LV.UTF-8 UTF-8", "ru_RU.KOI8-R KOI8-R",
}

// DebianRootfsTar returns the path of the shared Debian fixture: a real
// bookworm root filesystem tarball made by mmdebstrap (variant minbase,
// DebianPackages, DebianLocales compiled by locale-gen). It is built once per
// fixture directory and shared by every test in every package; mmdebstrap
// uses the machine's configured apt sources.
func DebianRootfsTar(t T) string {
	t.Helper()
	NeedTool(t, "mmdebstrap")
	key := "debian-bookworm-minbase:" + strings.Join(DebianPackages, ",") + ":" + strings.Join(DebianLocales, ",")
	dir := Build(t, key, func(dir string) error {
		hook := `printf '%s\n' ` + shellQuote(DebianLocales) + ` > "$1/etc/locale.gen" && chroot "$1" locale-gen`
		_, err := Run(dir, "mmdebstrap", "--variant=minbase", "--quiet",
			"--include="+strings.Join(DebianPackages, ","),
			"--customize-hook="+hook,
			"bookworm", filepath.Join(dir, "rootfs.tar"))
		return err
	})
	return filepath.Join(dir, "rootfs.tar")
}

// DebianRootfsDir returns the shared Debian fixture extracted to a directory
// (device nodes left out). Tests must treat it as read-only; copy what they
// change.
func DebianRootfsDir(t T) string {
	t.Helper()
	return extract(t, DebianRootfsTar(t))
}

// extract returns a fixture tarball extracted to a directory (device
// nodes left out), built once.
func extract(t T, tarPath string) string {
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

func shellQuote(words []string) string {
	q := make([]string, len(words))
	for i, w := range words {
		q[i] = "'" + strings.ReplaceAll(w, "'", `'\''`) + "'"
	}
	return strings.Join(q, " ")
}
