package analyze

import (
	"encoding/json"
	"os/exec"
	"path/filepath"
	"reflect"
	"testing"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/tarball"

	"github.com/whittle-dev/whittle/analyze/source"
	"github.com/whittle-dev/whittle/internal/testfix"
)

// TestRealRegistry pushes the fixture to the reference registry server and
// checks what whittle reads against skopeo's view of the same image.
func TestRealRegistry(t *testing.T) {
	host := testfix.StartRegistry(t)
	testfix.NeedTool(t, "skopeo")
	img := fixtureImage(t, "")
	ref := host + "/whittle/app:1"
	r, _ := name.ParseReference(ref)
	if err := remote.Write(r, img); err != nil {
		t.Fatal(err)
	}
	im, ix := openIndexed(t, "docker://"+ref, source.Options{})
	if tot := ix.Totals; tot.ContentBytes != fixtureContent || tot.VisibleBytes != fixtureVisible || tot.WastedBytes != fixtureWasted {
		t.Errorf("content/visible/wasted = %d/%d/%d", tot.ContentBytes, tot.VisibleBytes, tot.WastedBytes)
	}
	out, err := exec.Command("skopeo", "inspect", "--tls-verify=false", "docker://"+ref).Output()
	if err != nil {
		t.Fatalf("skopeo inspect: %v", err)
	}
	var inspect struct {
		Digest string
		Layers []string
	}
	if err := json.Unmarshal(out, &inspect); err != nil {
		t.Fatal(err)
	}
	raw, err := exec.Command("skopeo", "inspect", "--raw", "--tls-verify=false", "docker://"+ref).Output()
	if err != nil {
		t.Fatalf("skopeo inspect --raw: %v", err)
	}
	var manifest struct {
		Layers []struct{ Size int64 }
	}
	if err := json.Unmarshal(raw, &manifest); err != nil || len(manifest.Layers) != len(im.Layers) {
		t.Fatalf("skopeo's manifest: %v (%d layers)", err, len(manifest.Layers))
	}
	if im.ManifestDigest.String() != inspect.Digest {
		t.Errorf("manifest digest %s, skopeo says %s", im.ManifestDigest, inspect.Digest)
	}
	var digests []string
	for i, l := range im.Layers {
		digests = append(digests, l.Digest.String())
		if want := manifest.Layers[i].Size; l.Size != want || ix.Layers[i].StoredBytes != want {
			t.Errorf("layer %d size %d (read %d), skopeo says %d", i, l.Size, ix.Layers[i].StoredBytes, want)
		}
	}
	if !reflect.DeepEqual(digests, inspect.Layers) {
		t.Errorf("layer digests %q, skopeo says %q", digests, inspect.Layers)
	}
}

// TestDockerDaemon reads the fixture through podman's Docker-compatible
// API, as docker-daemon: does with DOCKER_HOST.
func TestDockerDaemon(t *testing.T) {
	archive := filepath.Join(t.TempDir(), "app.tar")
	tag, _ := name.NewTag("whittle.test/daemon:1")
	if err := tarball.WriteToFile(archive, tag, fixtureImage(t, "")); err != nil {
		t.Fatal(err)
	}
	t.Setenv("DOCKER_HOST", testfix.StartPodman(t, archive))
	im, ix := openIndexed(t, "docker-daemon:whittle.test/daemon:1", source.Options{})
	if tot := ix.Totals; tot.ContentBytes != fixtureContent || tot.VisibleBytes != fixtureVisible || tot.WastedBytes != fixtureWasted {
		t.Errorf("content/visible/wasted = %d/%d/%d", tot.ContentBytes, tot.VisibleBytes, tot.WastedBytes)
	}
	if got := visibleFiles(ix); !reflect.DeepEqual(got, fixtureFiles) {
		t.Errorf("files = %q", got)
	}
	if im.Layers[1].Command != "RUN cleanup" {
		t.Errorf("history lost: layer 2 command %q", im.Layers[1].Command)
	}
	if _, err := source.Open(t.Context(), "docker-daemon:whittle.test/absent:1", source.Options{}); err == nil {
		t.Error("opening an image the engine does not have succeeded")
	}
}
