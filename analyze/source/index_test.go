package source_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/registry"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/layout"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/random"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/types"

	"github.com/whittle-dev/whittle/analyze/source"
)

// nestedIndex is index → index → manifests for linux/amd64 and
// linux/arm64, each image's config saying its architecture.
func nestedIndex(t *testing.T) v1.ImageIndex {
	t.Helper()
	inner := mutate.IndexMediaType(empty.Index, types.OCIImageIndex)
	for _, arch := range []string{"amd64", "arm64"} {
		img, err := random.Image(512, 1)
		if err != nil {
			t.Fatal(err)
		}
		cf, err := img.ConfigFile()
		if err != nil {
			t.Fatal(err)
		}
		cf = cf.DeepCopy()
		cf.OS, cf.Architecture = "linux", arch
		if img, err = mutate.ConfigFile(img, cf); err != nil {
			t.Fatal(err)
		}
		inner = mutate.AppendManifests(inner, mutate.IndexAddendum{Add: img, Descriptor: v1.Descriptor{Platform: &v1.Platform{OS: "linux", Architecture: arch}}})
	}
	middle := mutate.AppendManifests(mutate.IndexMediaType(empty.Index, types.OCIImageIndex), mutate.IndexAddendum{Add: inner})
	return mutate.AppendManifests(mutate.IndexMediaType(empty.Index, types.OCIImageIndex), mutate.IndexAddendum{Add: middle})
}

// TestNestedIndexes: an image index nested two levels (index → index →
// manifest), as skopeo reads it, opens from an OCI layout and from a
// registry at the platform asked; a platform it lacks is an error listing
// the ones it has; and an index of 100,000 platforms gives a short error.
func TestNestedIndexes(t *testing.T) {
	ii := nestedIndex(t)
	dir := t.TempDir()
	lay := filepath.Join(dir, "oci")
	if _, err := layout.Write(lay, ii); err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(registry.New(registry.Logger(log.New(io.Discard, "", 0))))
	defer srv.Close()
	host := strings.TrimPrefix(srv.URL, "http://")
	tag, err := name.NewTag(host + "/app:1")
	if err != nil {
		t.Fatal(err)
	}
	if err := remote.WriteIndex(tag, ii); err != nil {
		t.Fatal(err)
	}

	// 100,000 platforms, none of them this one: the index is never read
	// past its own entries.
	huge := filepath.Join(dir, "huge")
	if err := os.MkdirAll(huge, 0o755); err != nil {
		t.Fatal(err)
	}
	os.WriteFile(filepath.Join(huge, "oci-layout"), []byte(`{"imageLayoutVersion":"1.0.0"}`), 0o644)
	var ms []v1.Descriptor
	for i := range 100000 {
		ms = append(ms, v1.Descriptor{MediaType: types.OCIManifestSchema1, Size: 1,
			Digest:   v1.Hash{Algorithm: "sha256", Hex: fmt.Sprintf("%064x", i)},
			Platform: &v1.Platform{OS: "linux", Architecture: fmt.Sprintf("arch%d", i)}})
	}
	b, _ := json.Marshal(v1.IndexManifest{SchemaVersion: 2, MediaType: types.OCIImageIndex, Manifests: ms})
	os.WriteFile(filepath.Join(huge, "index.json"), b, 0o644)

	tests := []struct {
		ref, platform, wantArch, wantErr string
	}{
		{"oci:" + lay, "linux/arm64", "arm64", ""},
		{"oci:" + lay, "linux/amd64", "amd64", ""},
		{"docker://" + host + "/app:1", "linux/arm64", "arm64", ""},
		{"docker://" + host + "/app:1", "linux/amd64", "amd64", ""},
		{"oci:" + lay, "linux/s390x", "", "no image for platform linux/s390x (it has linux/amd64, linux/arm64); choose one with --platform"},
		{"docker://" + host + "/app:1", "linux/s390x", "", "no image for platform linux/s390x (it has linux/amd64, linux/arm64); choose one with --platform"},
		{"oci:" + huge, "linux/s390x", "", "no image for platform linux/s390x (it has linux/arch0, linux/arch1, linux/arch2, linux/arch3, linux/arch4, linux/arch5, linux/arch6, linux/arch7, linux/arch8, linux/arch9 and 99990 more); choose one with --platform"},
	}
	for _, tt := range tests {
		p, err := v1.ParsePlatform(tt.platform)
		if err != nil {
			t.Fatal(err)
		}
		im, err := source.Open(context.Background(), tt.ref, source.Options{Platform: p})
		if tt.wantErr != "" {
			if err == nil {
				im.Close()
				t.Errorf("%s %s: opened, want %q", tt.ref, tt.platform, tt.wantErr)
			} else if !strings.HasSuffix(err.Error(), tt.wantErr) || len(err.Error()) > 400 {
				t.Errorf("%s %s: error %q (%d bytes), want one ending %q", tt.ref, tt.platform, err, len(err.Error()), tt.wantErr)
			}
			continue
		}
		if err != nil {
			t.Errorf("%s %s: %v", tt.ref, tt.platform, err)
			continue
		}
		if im.Config.Architecture != tt.wantArch {
			t.Errorf("%s %s: opened the %s image", tt.ref, tt.platform, im.Config.Architecture)
		}
		im.Close()
	}
}
