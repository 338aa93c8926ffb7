package testfix

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"testing"
)

// ArchiveLayer is one layer for WriteDockerArchive: an uncompressed tar
// file, stored gzip-compressed or as it is.
type ArchiveLayer struct {
	Tar       string
	Gzip      bool
	CreatedBy string
}

// WriteDockerArchive writes a docker save archive (Docker 25's layout:
// blobs/sha256/<digest>, manifest.json) holding one image with the given
// layers and tag. It is written by hand, independently of the code under
// test.
func WriteDockerArchive(out, tag string, layers []ArchiveLayer) error {
	return WriteDockerArchiveConfig(out, tag, layers, map[string]any{
		"Env": []string{"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"}, "Cmd": []string{"/usr/bin/python3"},
	})
}

// WriteDockerArchiveConfig is WriteDockerArchive with the image config's
// "config" object given (any value that encodes to it as JSON).
func WriteDockerArchiveConfig(out, tag string, layers []ArchiveLayer, imageConfig any) error {
	f, err := os.Create(out)
	if err != nil {
		return err
	}
	defer f.Close()
	tw := tar.NewWriter(f)
	var diffIDs, layerPaths []string
	var history []map[string]string
	for _, l := range layers {
		diffID, blobPath, cleanup, err := layerBlob(l)
		if err != nil {
			return fmt.Errorf("layer %s: %w", l.Tar, err)
		}
		digest, size, err := fileDigest(blobPath)
		if err == nil {
			p := "blobs/sha256/" + digest
			layerPaths = append(layerPaths, p)
			err = writeMemberFile(tw, p, blobPath, size)
		}
		cleanup()
		if err != nil {
			return fmt.Errorf("layer %s: %w", l.Tar, err)
		}
		diffIDs = append(diffIDs, "sha256:"+diffID)
		history = append(history, map[string]string{"created_by": l.CreatedBy})
	}
	config, _ := json.Marshal(map[string]any{
		"architecture": "amd64", "os": "linux",
		"config":  imageConfig,
		"rootfs":  map[string]any{"type": "layers", "diff_ids": diffIDs},
		"history": history,
	})
	sum := sha256.Sum256(config)
	configPath := "blobs/sha256/" + hex.EncodeToString(sum[:])
	if err := writeMember(tw, configPath, config); err != nil {
		return err
	}
	manifest, _ := json.Marshal([]map[string]any{{"Config": configPath, "RepoTags": []string{tag}, "Layers": layerPaths}})
	if err := writeMember(tw, "manifest.json", manifest); err != nil {
		return err
	}
	return tw.Close()
}

// layerBlob returns the diff ID of a layer and the file holding its blob:
// the tar itself, or a gzip copy of it in a temporary file that cleanup
// removes. Layers are streamed, never held in memory.
func layerBlob(l ArchiveLayer) (diffID, blob string, cleanup func(), err error) {
	cleanup = func() {}
	diffID, _, err = fileDigest(l.Tar)
	if err != nil || !l.Gzip {
		return diffID, l.Tar, cleanup, err
	}
	raw, err := os.Open(l.Tar)
	if err != nil {
		return "", "", cleanup, err
	}
	defer raw.Close()
	tmp, err := os.CreateTemp(filepath.Dir(l.Tar), ".blob-*.gz")
	if err != nil {
		return "", "", cleanup, err
	}
	cleanup = func() { os.Remove(tmp.Name()) }
	zw := gzip.NewWriter(tmp)
	_, err = io.Copy(zw, raw)
	if err == nil {
		err = zw.Close()
	}
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		cleanup()
		return "", "", func() {}, err
	}
	return diffID, tmp.Name(), cleanup, nil
}

// fileDigest is the hex sha256 of a file and its size.
func fileDigest(path string) (string, int64, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", 0, err
	}
	defer f.Close()
	h := sha256.New()
	n, err := io.Copy(h, f)
	if err != nil {
		return "", 0, err
	}
	return hex.EncodeToString(h.Sum(nil)), n, nil
}

// writeMemberFile writes the file at path, of size bytes, as a member.
func writeMemberFile(tw *tar.Writer, name, path string, size int64) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	if err := tw.WriteHeader(&tar.Header{Name: name, Mode: 0o644, Size: size, Typeflag: tar.TypeReg}); err != nil {
		return err
	}
	_, err = io.Copy(tw, f)
	return err
}

func writeMember(tw *tar.Writer, name string, b []byte) error {
	if err := tw.WriteHeader(&tar.Header{Name: name, Mode: 0o644, Size: int64(len(b)), Typeflag: tar.TypeReg}); err != nil {
		return err
	}
	_, err := tw.Write(b)
	return err
}

// DebianChangeServices is the new /etc/services of DebianTwoLayerArchive's
// second layer.
var DebianChangeServices = bytes.Repeat([]byte("http 80/tcp\n"), 100)

// DebianTwoLayerArchive returns a docker archive of the shared Debian
// fixture with a second layer on top, and the paths of its two layer tars.
// The second layer (gzip-compressed; the first is stored raw, as Docker 25
// saves) deletes /usr/share/doc (a whiteout written with a "./" prefix),
// overwrites /etc/services with DebianChangeServices and adds
// /app/hello (100 bytes).
func DebianTwoLayerArchive(t T) (archive, layer1, layer2 string) {
	t.Helper()
	return debianTwoLayerArchive(t, false)
}

// DebianTwoLayerArchiveGzip is DebianTwoLayerArchive with both layers
// gzip-compressed, as registries serve them and older docker save wrote.
func DebianTwoLayerArchiveGzip(t T) string {
	t.Helper()
	archive, _, _ := debianTwoLayerArchive(t, true)
	return archive
}

func debianTwoLayerArchive(t T, gzipAll bool) (archive, layer1, layer2 string) {
	rootfs := DebianRootfsTar(t)
	key := "debian-two-layer:" + rootfs
	if gzipAll {
		key += ":gzip"
	}
	dir := Build(t, key, func(dir string) error {
		l2 := filepath.Join(dir, "layer2.tar")
		f, err := os.Create(l2)
		if err != nil {
			return err
		}
		tw := tar.NewWriter(f)
		for _, m := range []struct {
			name string
			data []byte
			dir  bool
		}{
			{name: "./app/", dir: true},
			{name: "./app/hello", data: bytes.Repeat([]byte{'h'}, 100)},
			{name: "./etc/services", data: DebianChangeServices},
			{name: "./usr/share/.wh.doc"},
		} {
			hdr := &tar.Header{Name: m.name, Mode: 0o644, Size: int64(len(m.data)), Typeflag: tar.TypeReg}
			if m.dir {
				hdr.Typeflag, hdr.Mode = tar.TypeDir, 0o755
			}
			if err := tw.WriteHeader(hdr); err != nil {
				return err
			}
			tw.Write(m.data)
		}
		if err := tw.Close(); err != nil {
			return err
		}
		f.Close()
		return WriteDockerArchive(filepath.Join(dir, "debian.tar"), "whittle.test/debian:two-layer", []ArchiveLayer{
			{Tar: rootfs, Gzip: gzipAll, CreatedBy: "mmdebstrap --variant=minbase bookworm"},
			{Tar: l2, Gzip: true, CreatedBy: "RUN rm -rf /usr/share/doc && write /etc/services /app/hello"},
		})
	})
	return filepath.Join(dir, "debian.tar"), rootfs, filepath.Join(dir, "layer2.tar")
}

// TarListing is one line of `tar -tv --numeric-owner`: the type letter
// ('-', 'd', 'l', 'h', 'c', 'b', 'p'), the size and the normalised path.
type TarListing struct {
	Type byte
	Size int64
	Path string
}

// ListTar runs GNU tar's verbose listing on a tarball and parses it: the
// independent oracle for sizes and file sets.
func ListTar(t testing.TB, tarball string) []TarListing {
	t.Helper()
	out, err := Run("", "tar", "--numeric-owner", "--quoting-style=escape", "-tvf", tarball)
	if err != nil {
		t.Fatal(err)
	}
	var list []TarListing
	for _, line := range bytes.Split(bytes.TrimSpace(out), []byte("\n")) {
		fields := bytes.Fields(line)
		if len(fields) < 6 {
			t.Fatalf("unexpected tar listing line %q", line)
		}
		var size int64
		if fields[0][0] != 'c' && fields[0][0] != 'b' {
			if _, err := fmt.Sscan(string(fields[2]), &size); err != nil {
				t.Fatalf("size in %q: %v", line, err)
			}
		}
		// mode owner size date time name...: the name starts after the
		// fifth field.
		rest := line
		for i := 0; i < 5; i++ {
			rest = bytes.TrimLeft(rest, " ")
			rest = rest[bytes.IndexByte(rest, ' '):]
		}
		name := string(bytes.TrimLeft(rest, " "))
		switch fields[0][0] {
		case 'l':
			name, _, _ = cutString(name, " -> ")
		case 'h':
			name, _, _ = cutString(name, " link to ")
		}
		list = append(list, TarListing{Type: fields[0][0], Size: size, Path: filepath.Clean("/" + name)})
	}
	return list
}

func cutString(s, sep string) (string, string, bool) {
	if i := bytes.Index([]byte(s), []byte(sep)); i >= 0 {
		return s[:i], s[i+len(sep):], true
	}
	return s, "", false
}
