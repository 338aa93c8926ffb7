package analyze

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"runtime"
	"testing"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/layout"

	"github.com/whittle-dev/whittle/analyze/source"
)

// TestFlatPlatformIndex opens an OCI layout whose index.json lists one
// manifest per platform directly (the image-layout specification's example
// shape; go-containerregistry's layout.AppendImage with platforms writes
// it), with and without ref.name annotations.
func TestFlatPlatformIndex(t *testing.T) {
	write := func(named bool, arches ...string) string {
		dir := filepath.Join(t.TempDir(), "oci")
		p, err := layout.Write(dir, empty.Index)
		if err != nil {
			t.Fatal(err)
		}
		for _, a := range arches {
			plat := v1.Platform{OS: "linux", Architecture: a}
			if a == "arm64" {
				plat.Variant = "v8"
			}
			opts := []layout.Option{layout.WithPlatform(plat)}
			if named {
				opts = append(opts, layout.WithAnnotations(map[string]string{"org.opencontainers.image.ref.name": "app"}))
			}
			if err := p.AppendImage(fixtureImage(t, a), opts...); err != nil {
				t.Fatal(err)
			}
		}
		return dir
	}
	both := write(false, "amd64", "arm64")
	named := write(true, "amd64", "arm64")
	foreign := write(false, "arm64", "s390x")
	if runtime.GOARCH == "arm64" || runtime.GOARCH == "s390x" {
		foreign = write(false, "ppc64le", "riscv64")
	}
	foreignHas := map[string]string{"amd64": "linux/arm64/v8, linux/s390x", "arm64": "linux/ppc64le, linux/riscv64", "s390x": "linux/ppc64le, linux/riscv64"}[runtime.GOARCH]
	if foreignHas == "" {
		foreignHas = "linux/arm64/v8, linux/s390x"
	}
	for _, tc := range []struct {
		ref, platform string
		wantArch      string // the image picked, by its config and its /arch marker
		err           string // the whole error
	}{
		{"oci:" + both, "linux/arm64", "arm64", ""},
		{"oci:" + both, "linux/arm64/v8", "arm64", ""},
		{"oci:" + both, "linux/amd64", "amd64", ""},
		{"oci:" + named + ":app", "linux/arm64", "arm64", ""},
		{"oci:" + named, "linux/amd64", "amd64", ""},
		{"oci:" + both, "linux/s390x", "", "oci:" + both + ": no image for platform linux/s390x (it has linux/amd64, linux/arm64/v8); choose one with --platform"},
		{"oci:" + foreign, "", "", "oci:" + foreign + ": no image for this machine's platform linux/" + runtime.GOARCH + " (it has " + foreignHas + "); choose one with --platform"},
	} {
		var opts source.Options
		if tc.platform != "" {
			opts.Platform, _ = v1.ParsePlatform(tc.platform)
		}
		if tc.err != "" {
			_, err := source.Open(context.Background(), tc.ref, opts)
			if err == nil || err.Error() != tc.err {
				t.Errorf("%s --platform %q: error %v\nwant %s", tc.ref, tc.platform, err, tc.err)
			}
			continue
		}
		im, ix := openIndexed(t, tc.ref, opts)
		arch := ix.Root.Lookup("/arch")
		if im.Config.Architecture != tc.wantArch || arch == nil || arch.Content.Size != int64(len(tc.wantArch)) {
			t.Errorf("%s --platform %q: picked %q (/arch %v), want %s", tc.ref, tc.platform, im.Config.Architecture, arch, tc.wantArch)
		}
	}
	// No --platform: this machine's platform when the index has it.
	if runtime.GOARCH == "amd64" || runtime.GOARCH == "arm64" {
		im, _ := openIndexed(t, "oci:"+both, source.Options{})
		if im.Config.Architecture != runtime.GOARCH {
			t.Errorf("no --platform: picked %s, want this machine's %s", im.Config.Architecture, runtime.GOARCH)
		}
	}
}

// TestReferencesAsTyped: dive's spelling, a forgotten colon, inputs that
// are not images, a platform the image is not for. Each error names the
// reference once and says what is wrong.
func TestReferencesAsTyped(t *testing.T) {
	s := writeSources(t)
	dir := t.TempDir()
	t.Chdir(dir)
	emptyFile := filepath.Join(dir, "empty.tar")
	os.WriteFile(emptyFile, nil, 0o644)
	text := filepath.Join(dir, "notes.txt")
	os.WriteFile(text, []byte("hello\n"), 0o644)
	emptyDir := filepath.Join(dir, "void")
	os.Mkdir(emptyDir, 0o755)
	zeroTar := filepath.Join(dir, "zero.tar")
	os.WriteFile(zeroTar, make([]byte, 1024), 0o644)
	arm64, _ := v1.ParsePlatform("linux/arm64")
	for _, tc := range []struct {
		ref  string
		plat *v1.Platform
		err  string // "" opens
	}{
		{ref: "docker-archive://" + s.dockerArchive},
		{ref: "oci://" + s.ociDir + ":1"},
		{ref: "demo", err: `demo: did you mean demo:? ("demo" is a transport's name; a registry image of that name is docker://demo)`},
		{ref: "oci-archive", err: `oci-archive: did you mean oci-archive:PATH? ("oci-archive" is a transport's name; a registry image of that name is docker://oci-archive)`},
		{ref: "docker-daemon", err: `docker-daemon: did you mean docker-daemon:IMAGE? ("docker-daemon" is a transport's name; a registry image of that name is docker://docker-daemon)`},
		{ref: "ftp://x/y", err: `"ftp://x/y": unknown transport "ftp" (known: docker, docker-archive, oci, oci-archive, docker-daemon, dir, rootfs-tar, nix, demo)`},
		{ref: emptyFile, err: emptyFile + ": not an image: an empty file"},
		{ref: "docker-archive:" + emptyFile, err: "docker-archive:" + emptyFile + ": not an image: an empty file"},
		{ref: "docker-archive://" + emptyFile, err: "docker-archive:" + emptyFile + ": not an image: an empty file"},
		{ref: "oci-archive:" + emptyFile, err: "oci-archive:" + emptyFile + ": not an image: an empty file"},
		{ref: "rootfs-tar:" + emptyFile, err: "rootfs-tar:" + emptyFile + ": not an image: an empty file"},
		{ref: zeroTar, err: zeroTar + ": not an image: an empty tar archive"},
		{ref: "rootfs-tar:" + zeroTar, err: "rootfs-tar:" + zeroTar + ": not an image: an empty tar archive"},
		{ref: "docker-archive:" + zeroTar, err: "docker-archive:" + zeroTar + ": not an image: an empty tar archive"},
		{ref: emptyDir, err: emptyDir + ": not an image: an empty directory"},
		{ref: "dir:" + emptyDir, err: "dir:" + emptyDir + ": not an image: an empty directory"},
		{ref: text, err: text + ": not an image: neither a directory nor a tar archive"},
		{ref: "docker-archive:" + text, err: "docker-archive:" + text + ": not an image: not a tar archive"},
		{ref: "oci-archive:" + text, err: "oci-archive:" + text + ": not an image: not a tar archive"},
		{ref: "rootfs-tar:" + text, err: "rootfs-tar:" + text + ": not an image: not a tar archive"},
		{ref: "docker-archive:" + s.dockerArchive, plat: arm64, err: "docker-archive:" + s.dockerArchive + ": --platform linux/arm64: the image is for linux/amd64 only"},
		{ref: "oci:" + s.ociSingle, plat: arm64, err: "oci:" + s.ociSingle + ": --platform linux/arm64: the image is for linux/amd64 only"},
		{ref: s.dockerArchive, plat: &v1.Platform{OS: "linux", Architecture: "amd64"}},
		// A source without a config of its own is made for the platform asked.
		{ref: "dir:" + s.rootDir, plat: arm64},
	} {
		im, err := source.Open(context.Background(), tc.ref, source.Options{Platform: tc.plat})
		if tc.err == "" {
			if err != nil {
				t.Errorf("%s: %v", tc.ref, err)
			} else {
				im.Close()
			}
			continue
		}
		if err == nil || err.Error() != tc.err {
			t.Errorf("%s: error %v\nwant %s", tc.ref, err, tc.err)
		}
	}
}

func TestPrefixRef(t *testing.T) {
	r := source.Reference{Transport: source.TransportNix, Value: "/x"}
	base := errors.New("reading layer: truncated")
	once := source.PrefixRef(r, base)
	for _, err := range []error{once, source.PrefixRef(r, once)} {
		if err.Error() != "nix:/x: reading layer: truncated" || !errors.Is(err, base) {
			t.Errorf("PrefixRef: %v", err)
		}
	}
	if source.PrefixRef(r, nil) != nil {
		t.Error("PrefixRef(nil) is not nil")
	}
}
