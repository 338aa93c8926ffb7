package etcgen

import "strings"

// catalogPrefixes are the image directories LoadCatalog and Plan read
// (FHS places, and the same places inside Nix store paths).
var catalogPrefixes = []string{
	"/etc/", "/usr/share/zoneinfo/", "/usr/lib/zoneinfo/", "/usr/share/lib/zoneinfo/",
	"/usr/lib/locale/", "/usr/lib64/locale/", "/usr/lib/os-release",
}

// storeSubdirs are the directories inside a Nix store path that hold
// catalog data: iana-etc's and cacert's etc/, tzdata's zoneinfo, glibc's
// locales and gconv modules.
var storeSubdirs = []string{"/etc/", "/share/zoneinfo/", "/lib/locale/", "/lib/gconv/"}

// CatalogPath reports whether LoadCatalog or Plan may read the file at the
// absolute image path p. An image-backed file system can read all such
// files in one pass over the layers before LoadCatalog runs, instead of one
// pass per file.
func CatalogPath(p string) bool {
	for _, pre := range catalogPrefixes {
		if strings.HasPrefix(p, pre) {
			return true
		}
	}
	if strings.Contains(p, "/gconv/") {
		return true
	}
	if rest, ok := strings.CutPrefix(p, "/nix/store/"); ok {
		if i := strings.IndexByte(rest, '/'); i > 0 {
			sub := rest[i:]
			for _, d := range storeSubdirs {
				if strings.HasPrefix(sub, d) {
					return true
				}
			}
		}
	}
	return false
}
