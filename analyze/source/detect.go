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
		if errors.Is(err, io.EOF) {
			if n == 0 {
				return "", fmt.Errorf("not an image: an empty file or tar archive")
			}
			break
		}
		if err != nil {
			if n == 0 {
				return "", fmt.Errorf("not an image: neither a directory nor a tar archive")
			}
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
