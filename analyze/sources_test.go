package analyze

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/registry"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/layout"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
	"github.com/whittle-dev/whittle/analyze/source"
)

// sourceFixtures writes the fixture image in every local form once per
// test binary run and returns the references to open.
type sourceFixtures struct {
	dockerArchive, dockerArchiveGz, multiArchive, ociDir, ociSingle, ociArchive, rootDir, rootTar, rootTarGz string
}

func writeSources(t *testing.T) sourceFixtures {
	t.Helper()
	dir := t.TempDir()
	img := fixtureImage(t, "")
	tag, _ := name.NewTag("whittle.test/app:1")
	var s sourceFixtures
	s.dockerArchive = filepath.Join(dir, "app.tar")
	if err := tarball.WriteToFile(s.dockerArchive, tag, img); err != nil {
		t.Fatal(err)
	}
	s.dockerArchiveGz = filepath.Join(dir, "app.tar.gz")
	gzipFile(t, s.dockerArchive, s.dockerArchiveGz)

	other, err := mutate.Config(img, v1.Config{Env: []string{"OTHER=1"}})
	if err != nil {
		t.Fatal(err)
	}
	otherTag, _ := name.NewTag("whittle.test/other:2")
	s.multiArchive = filepath.Join(dir, "multi.tar")
	if err := tarball.MultiRefWriteToFile(s.multiArchive, map[name.Reference]v1.Image{tag: img, otherTag: mutate.MediaType(other, "application/vnd.docker.distribution.manifest.v2+json")}); err != nil {
		t.Fatal(err)
	}

	s.ociDir = filepath.Join(dir, "oci")
	p, err := layout.Write(s.ociDir, empty.Index)
	if err != nil {
		t.Fatal(err)
	}
	if err := p.AppendImage(img, layout.WithAnnotations(map[string]string{"org.opencontainers.image.ref.name": "1"})); err != nil {
		t.Fatal(err)
	}
	if err := p.AppendImage(other, layout.WithAnnotations(map[string]string{"org.opencontainers.image.ref.name": "other"})); err != nil {
		t.Fatal(err)
	}
	s.ociSingle = filepath.Join(dir, "oci-single")
	if _, err := layout.Write(s.ociSingle, mutate.AppendManifests(empty.Index, mutate.IndexAddendum{Add: img})); err != nil {
		t.Fatal(err)
	}
	s.ociArchive = filepath.Join(dir, "oci.tar")
	if out, err := exec.Command("tar", "-C", s.ociDir, "-cf", s.ociArchive, ".").CombinedOutput(); err != nil {
		t.Fatalf("tar: %v\n%s", err, out)
	}

	s.rootDir = filepath.Join(dir, "rootfs")
	writeFixtureRootfs(t, s.rootDir)
	s.rootTar = filepath.Join(dir, "rootfs.tar")
	if out, err := exec.Command("tar", "-C", s.rootDir, "-cf", s.rootTar, ".").CombinedOutput(); err != nil {
		t.Fatalf("tar: %v\n%s", err, out)
	}
	s.rootTarGz = filepath.Join(dir, "rootfs.tar.gz")
	gzipFile(t, s.rootTar, s.rootTarGz)
	return s
}

func TestSources(t *testing.T) {
	s := writeSources(t)
	srv := httptest.NewServer(registry.New(registry.Logger(log.New(io.Discard, "", 0))))
	defer srv.Close()
	host := strings.TrimPrefix(srv.URL, "http://")
	regRef := host + "/whittle/app:1"
	ref, _ := name.ParseReference(regRef)
	if err := remote.Write(ref, fixtureImage(t, "")); err != nil {
		t.Fatal(err)
	}

	type sourceCase struct {
		ref                      string
		content, visible, wasted int64
		layers                   int
	}
	// The image as built, or flattened into a root file system.
	layered := func(ref string) sourceCase {
		return sourceCase{ref, fixtureContent, fixtureVisible, fixtureWasted, 2}
	}
	flat := func(ref string) sourceCase { return sourceCase{ref, fixtureVisible, fixtureVisible, 0, 1} }
	cases := []sourceCase{
		layered("docker-archive:" + s.dockerArchive),
		layered("docker-archive:" + s.dockerArchiveGz),
		layered("docker-archive:" + s.multiArchive + ":whittle.test/app:1"),
		layered("docker-archive:" + s.multiArchive + ":@0"),
		layered("oci:" + s.ociDir + ":1"),
		layered("oci-archive:" + s.ociArchive + ":1"),
		layered("docker://" + regRef),
		layered(regRef),
		layered(s.dockerArchive),
		layered(s.ociSingle + "/"),
		flat("dir:" + s.rootDir),
		flat("rootfs-tar:" + s.rootTar),
		flat("rootfs-tar:" + s.rootTarGz),
		flat(s.rootDir),
		flat(s.rootTarGz),
	}
	for _, tc := range cases {
		t.Run(tc.ref, func(t *testing.T) {
			im, ix := openIndexed(t, tc.ref, source.Options{})
			tot := ix.Totals
			if tot.ContentBytes != tc.content || tot.VisibleBytes != tc.visible || tot.WastedBytes != tc.wasted || tot.Layers != tc.layers {
				t.Errorf("content/visible/wasted/layers = %d/%d/%d/%d, want %d/%d/%d/%d",
					tot.ContentBytes, tot.VisibleBytes, tot.WastedBytes, tot.Layers, tc.content, tc.visible, tc.wasted, tc.layers)
			}
			if got := visibleFiles(ix); !reflect.DeepEqual(got, fixtureFiles) {
				t.Errorf("files = %q, want %q", got, fixtureFiles)
			}
			if im.Config == nil || len(im.Config.RootFS.DiffIDs) != tc.layers {
				t.Fatalf("config lists %v diff IDs", im.Config)
			}
			for i, l := range ix.Layers {
				if l.DiffID != im.Config.RootFS.DiffIDs[i] {
					t.Errorf("layer %d diff ID %s, config says %s", i, l.DiffID, im.Config.RootFS.DiffIDs[i])
				}
			}
			if tc.layers == 2 {
				if im.Layers[1].Command != "RUN cleanup" {
					t.Errorf("layer 2 command %q", im.Layers[1].Command)
				}
				if got := im.Config.Config.Entrypoint; !reflect.DeepEqual(got, []string{"/usr/bin/tool"}) {
					t.Errorf("entrypoint %q", got)
				}
			}
		})
	}
}

func TestMultiImageArchiveNeedsATag(t *testing.T) {
	s := writeSources(t)
	for ref, want := range map[string]string{
		"docker-archive:" + s.multiArchive:                           "holds 2 images (",
		"docker-archive:" + s.multiArchive + ":nope:1":               `no image tagged "nope:1" in the archive`,
		"docker-archive:" + s.multiArchive + ":@7":                   "no image @7",
		"oci:" + s.ociDir:                                            "the layout holds 2 images (1, other)",
		"oci:" + s.ociDir + ":missing":                               `no image named "missing" in the layout (it has 1, other)`,
		"docker-archive:" + s.multiArchive + ":whittle.test/other:2": "",
	} {
		im, err := source.Open(context.Background(), ref, source.Options{})
		if want == "" {
			if err != nil {
				t.Errorf("%s: %v", ref, err)
				continue
			}
			if got := im.Config.Config.Env; !reflect.DeepEqual(got, []string{"OTHER=1"}) {
				t.Errorf("%s picked the image with Env %q", ref, got)
			}
			im.Close()
			continue
		}
		if err == nil || !strings.Contains(err.Error(), want) || !strings.HasPrefix(err.Error(), ref+": ") {
			t.Errorf("%s: error %v, want it to start with the reference and contain %q", ref, err, want)
		}
	}
}

// TestPlatforms opens a two-platform index from an OCI layout and from a
// registry, picking each platform.
func TestPlatforms(t *testing.T) {
	idx := mutate.AppendManifests(empty.Index,
		mutate.IndexAddendum{Add: fixtureImage(t, "amd64"), Descriptor: v1.Descriptor{Platform: &v1.Platform{OS: "linux", Architecture: "amd64"}}},
		mutate.IndexAddendum{Add: fixtureImage(t, "arm64"), Descriptor: v1.Descriptor{Platform: &v1.Platform{OS: "linux", Architecture: "arm64", Variant: "v8"}}},
	)
	dir := filepath.Join(t.TempDir(), "oci")
	p, err := layout.Write(dir, empty.Index)
	if err != nil {
		t.Fatal(err)
	}
	if err := p.AppendIndex(idx, layout.WithAnnotations(map[string]string{"org.opencontainers.image.ref.name": "multi"})); err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(registry.New(registry.Logger(log.New(io.Discard, "", 0))))
	defer srv.Close()
	regRef := strings.TrimPrefix(srv.URL, "http://") + "/multi:1"
	r, _ := name.ParseReference(regRef)
	if err := remote.WriteIndex(r, idx); err != nil {
		t.Fatal(err)
	}
	for _, ref := range []string{"oci:" + dir, regRef} {
		for _, tc := range []struct {
			platform string
			size     int64
		}{{"linux/amd64", 5}, {"linux/arm64", 5}, {"linux/arm64/v8", 5}} {
			plat, _ := v1.ParsePlatform(tc.platform)
			im, ix := openIndexed(t, ref, source.Options{Platform: plat})
			arch := ix.Root.Lookup("/arch")
			if arch == nil || arch.Content.Size != tc.size || im.Config.Architecture != plat.Architecture {
				t.Errorf("%s --platform %s: /arch %v, config architecture %q", ref, tc.platform, arch, im.Config.Architecture)
			}
		}
		_, err := source.Open(context.Background(), ref, source.Options{Platform: &v1.Platform{OS: "linux", Architecture: "s390x"}})
		if err == nil || !strings.Contains(err.Error(), "s390x") {
			t.Errorf("%s --platform linux/s390x: error %v, want one naming the platform", ref, err)
		}
	}
}

func TestBadInput(t *testing.T) {
	dir := t.TempDir()
	s := writeSources(t)
	write := func(name string, b []byte) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, b, 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	notTar := write("notes.txt", bytes.Repeat([]byte("hello world\n"), 100))
	emptyFile := write("empty.tar", nil)

	// A docker archive whose first layer is cut short.
	truncated := filepath.Join(dir, "truncated.tar")
	{
		img := fixtureImage(t, "")
		layers, _ := img.Layers()
		u, _ := layers[0].Uncompressed()
		var buf bytes.Buffer
		buf.ReadFrom(u)
		cut := buf.Bytes()[:buf.Len()/2+100] // in the middle of a file's data
		bad, err := tarball.LayerFromOpener(func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(cut)), nil })
		if err != nil {
			t.Fatal(err)
		}
		img2, _ := mutate.AppendLayers(empty.Image, bad)
		tag, _ := name.NewTag("whittle.test/truncated:1")
		if err := tarball.WriteToFile(truncated, tag, img2); err != nil {
			t.Fatal(err)
		}
	}
	// An OCI layout whose layer blob was changed after the fact.
	tampered := filepath.Join(dir, "tampered")
	copyDir(t, s.ociDir, tampered)
	{
		var index v1.IndexManifest
		b, _ := os.ReadFile(filepath.Join(tampered, "index.json"))
		json.Unmarshal(b, &index)
		mb, _ := os.ReadFile(filepath.Join(tampered, "blobs", "sha256", index.Manifests[0].Digest.Hex))
		m, _ := v1.ParseManifest(bytes.NewReader(mb))
		blob := filepath.Join(tampered, "blobs", "sha256", m.Layers[1].Digest.Hex)
		orig, _ := os.ReadFile(blob)
		// Same gzip stream with a flipped bit in the middle: gzip's own
		// checksum or the digest check must catch it.
		orig[len(orig)/2] ^= 0x01
		os.WriteFile(blob, orig, 0o644)
	}

	for _, tc := range []struct{ ref, want string }{
		{"", "empty image reference"},
		{"docker-archiv:x.tar", `unknown transport "docker-archiv" (did you mean "docker-archive"?)`},
		{"ftp://host/image", `unknown transport "ftp"`},
		{"docker-archive:" + filepath.Join(dir, "missing.tar"), "no such file or directory"},
		{filepath.Join(dir, "missing.tar"), "no such file or directory"},
		{"docker-archive:" + notTar, "not a tar archive"},
		{notTar, "not an image: neither a directory nor a tar archive"},
		{emptyFile, "not an image: an empty file"},
		{"docker-archive:" + s.rootTar, "not a docker archive"},
		{"oci:" + s.rootDir, "not an OCI image layout"},
		{"oci-archive:" + s.dockerArchive, "not an OCI image layout"},
		{"dir:" + s.rootTar, "not a directory"},
		{"rootfs-tar:" + s.rootDir, "is a directory"},
		{"docker://127.0.0.1:1/app:1", "fetching from the registry"},
		{"docker://not a ref", "not a valid image reference"},
		{"docker-daemon:", "needs an image name"},
	} {
		_, err := source.Open(context.Background(), tc.ref, source.Options{})
		if err == nil || !strings.Contains(err.Error(), tc.want) || strings.Contains(err.Error(), "\n") {
			t.Errorf("source.Open(%q): error %v, want one line containing %q", tc.ref, err, tc.want)
		}
	}
	for _, tc := range []struct{ ref, want string }{
		{"docker-archive:" + truncated, "layer 1 (sha256:"},
		{"oci:" + tampered + ":1", "layer 2 (sha256:"},
	} {
		im, err := source.Open(context.Background(), tc.ref, source.Options{})
		if err != nil {
			t.Errorf("source.Open(%q): %v", tc.ref, err)
			continue
		}
		_, err = IndexImage(context.Background(), im, IndexOptions{})
		im.Close()
		if err == nil || !strings.Contains(err.Error(), tc.want) || !strings.HasPrefix(err.Error(), tc.ref+": ") || strings.Contains(err.Error(), "\n") {
			t.Errorf("Index(%q): error %v, want one line starting with the reference and containing %q", tc.ref, err, tc.want)
		}
	}
}

func copyDir(t *testing.T, src, dst string) {
	t.Helper()
	if out, err := exec.Command("cp", "-a", src, dst).CombinedOutput(); err != nil {
		t.Fatalf("cp: %v\n%s", err, out)
	}
}
