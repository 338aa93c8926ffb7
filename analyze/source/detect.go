package source

import (
	"archive/tar"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strings"

	"github.com/whittle-dev/whittle/internal/compress"
)

// imageArchiveDir matches the directories an image archive nests its
// members in (OCI blobs, docker save's per-layer directories).
var imageArchiveDir = regexp.MustCompile(`^(blobs|[0-9a-f]{64})(/|$)`)

// looksLikeArchiveMember reports whether a tar member could belong to an
// image archive: a file at the top level (manifest.json, index.json,
// oci-layout, a config or layer blob) or anything under blobs/ or a
// <hex id>/ directory. A root file system has nested paths and links.
func looksLikeArchiveMember(name string, typ byte) bool {
	if imageArchiveDir.MatchString(name) {
		return true
	}
	if dir, base, ok := strings.Cut(name, "/"); ok {
		// docker save's per-layer directories, whatever their names
		// (hand-made and older archives use "1/layer.tar").
		switch base {
		case "layer.tar", "json", "VERSION":
			return dir != ""
		case "":
			return typ == tar.TypeDir
		}
		return false
	}
	return typ == tar.TypeReg || typ == tar.TypeDir || typ == tar.TypeSymlink && strings.HasSuffix(name, ".json")
}

// maxStrayMembers is how many members that do not look like an image
// archive's a tar may have before manifest.json or oci-layout before
// DetectPath takes it for a root file system: an image archive has a few
// extra files at most, a root file system thousands, and detection need
// not read a large compressed one to its end.
const maxStrayMembers = 64

// DetectPath finds the transport for a local path from its content: a
// directory holding oci-layout is an OCI layout, another directory a root
// file system; a tar (compressed or not) holding manifest.json at its top
// is a docker archive, one holding oci-layout an OCI archive, any other
// tar a root file system tarball. A tar is read until it tells: to its
// end, or until more than maxStrayMembers of its members look like no
// image archive's (a root file system's /etc, /usr).
func DetectPath(p string) (string, error) {
	fi, err := os.Stat(p)
	if err != nil {
		return "", describeOpenError(err)
	}
	if fi.IsDir() {
		if _, err := os.Stat(filepath.Join(p, "oci-layout")); err == nil {
			return TransportOCI, nil
		}
		if err := checkNotEmptyDir(p); err != nil {
			return "", err
		}
		return TransportDir, nil
	}
	f, err := os.Open(p)
	if err != nil {
		return "", describeOpenError(err)
	}
	defer f.Close()
	kind, err := sniffFile(f)
	if err != nil {
		return "", err
	}
	var r io.Reader = f // tar skips file data by seeking
	if kind != compress.None {
		u, err := compress.NewReader(f)
		if err != nil {
			return "", fmt.Errorf("not an image: corrupt %s data (%w)", kind, err)
		}
		defer u.Close()
		r = u
	}
	tr := tar.NewReader(r)
	var hasManifest, hasLayout bool
	stray := 0
	for n := 0; ; n++ {
		hdr, err := tr.Next()
		if errors.Is(err, io.EOF) || err != nil && n == 0 {
			if n == 0 {
				if err := notATar(f); err != errNotTar {
					return "", err
				}
				return "", fmt.Errorf("not an image: neither a directory nor a tar archive")
			}
			break
		}
		if err != nil {
			return "", fmt.Errorf("reading tar archive: %w", compress.DescribeReadError(err))
		}
		name := archiveName(hdr.Name)
		if name == "" || name == "." {
			continue
		}
		if !looksLikeArchiveMember(name, hdr.Typeflag) {
			stray++
			if stray > maxStrayMembers && !hasManifest && !hasLayout {
				return TransportRootfsTar, nil
			}
		}
		switch name {
		case "manifest.json":
			hasManifest = true
		case "oci-layout":
			hasLayout = true
		}
	}
	switch {
	case hasManifest:
		return TransportDockerArchive, nil
	case hasLayout:
		return TransportOCIArchive, nil
	case stray > 0:
		return TransportRootfsTar, nil
	}
	return "", fmt.Errorf("not an image: a tar of image blobs without manifest.json or oci-layout")
}

// checkNotEmptyDir fails for a directory with nothing in it: no image.
func checkNotEmptyDir(p string) error {
	d, err := os.Open(p)
	if err != nil {
		return describeOpenError(err)
	}
	defer d.Close()
	if names, _ := d.Readdirnames(1); len(names) == 0 {
		return fmt.Errorf("not an image: an empty directory")
	}
	return nil
}

// checkTarFile fails for a file that is not a tar archive of at least one
// entry (compressed or not): what rootfs-tar: needs before it reads on.
func checkTarFile(p string) error {
	f, err := os.Open(p)
	if err != nil {
		return describeOpenError(err)
	}
	defer f.Close()
	kind, err := sniffFile(f)
	if err != nil {
		return err
	}
	var r io.Reader = f
	if kind != compress.None {
		u, err := compress.NewReader(f)
		if err != nil {
			return fmt.Errorf("not an image: corrupt %s data (%w)", kind, err)
		}
		defer u.Close()
		r = u
	}
	if _, err := tar.NewReader(r).Next(); err != nil {
		if kind != compress.None {
			if errors.Is(err, io.EOF) {
				return fmt.Errorf("not an image: an empty tar archive")
			}
			return fmt.Errorf("not an image: %s data that is not a tar archive", kind)
		}
		return notATar(f)
	}
	return nil
}
