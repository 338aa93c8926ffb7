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
	return !strings.Contains(name, "/") && (typ == tar.TypeReg || typ == tar.TypeSymlink && strings.HasSuffix(name, ".json"))
}

// DetectPath finds the transport for a local path from its content: a
// directory holding oci-layout is an OCI layout, another directory a root
// file system; a tar (compressed or not) holding manifest.json is a docker
// archive, one holding oci-layout an OCI archive, any other tar a root file
// system tarball.
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
			return TransportRootfsTar, nil
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
