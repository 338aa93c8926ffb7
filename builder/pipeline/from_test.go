package pipeline

import (
	"context"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/tarball"

	"github.com/whittle-dev/whittle/analyze/testopen"
	"github.com/whittle-dev/whittle/internal/reprotar"
	"github.com/whittle-dev/whittle/plan"
)

// archiveOf writes files as a one-layer docker archive with the config.
func archiveOf(t *testing.T, path string, cfg v1.Config, files ...reprotar.File) {
	t.Helper()
	l, err := reprotar.Layer(files)
	if err != nil {
		t.Fatal(err)
	}
	img, err := mutate.Append(empty.Image, mutate.Addendum{Layer: l})
	if err != nil {
		t.Fatal(err)
	}
	if img, err = mutate.Config(img, cfg); err != nil {
		t.Fatal(err)
	}
	tag, _ := name.NewTag("whittle.test/x:1")
	if err := tarball.WriteToFile(path, tag, img); err != nil {
		t.Fatal(err)
	}
}

// TestFromBase builds on a base image: the base's layer comes first with
// its own digest, and the build's layer leaves out what the base already
// has the same (libc), keeping what differs (a changed config file).
func TestFromBase(t *testing.T) {
	dir := t.TempDir()
	libc := reprotar.File{Path: "/lib/libc.so", Kind: reprotar.Regular, Mode: 0o755, Data: []byte(strings.Repeat("c", 5000))}
	base := filepath.Join(dir, "base.tar")
	archiveOf(t, base, v1.Config{}, libc,
		reprotar.File{Path: "/etc/app.conf", Kind: reprotar.Regular, Mode: 0o644, Data: []byte("old\n")})
	app := filepath.Join(dir, "app.tar")
	archiveOf(t, app, v1.Config{Entrypoint: []string{"/app/run"}}, libc,
		reprotar.File{Path: "/etc/app.conf", Kind: reprotar.Regular, Mode: 0o644, Data: []byte("new\n")},
		reprotar.File{Path: "/app/run", Kind: reprotar.Regular, Mode: 0o755, Data: []byte("#!/lib/libc.so\n")})
	out := filepath.Join(dir, "out.tar")
	rep, err := Run(context.Background(), &plan.Plan{Source: "docker-archive:" + app, From: "docker-archive:" + base,
		Keep: []string{"/etc/app.conf"}, Outputs: []string{"docker-archive:" + out}}, Options{})
	if err != nil {
		t.Fatal(err)
	}
	im, ix := testopen.Indexed(t, "docker-archive:"+out)
	_, bix := testopen.Indexed(t, "docker-archive:"+base)
	if len(im.Layers) != 2 || im.Layers[0].DiffID != bix.Layers[0].DiffID {
		t.Fatalf("layers %d, first %s; want the base's %s first", len(im.Layers), im.Layers[0].DiffID, bix.Layers[0].DiffID)
	}
	var own []string
	for _, e := range ix.Layers[1].Entries {
		if e.Type.HasContent() {
			own = append(own, e.Path)
		}
	}
	if strings.Join(own, " ") != "/app/run /etc/app.conf" {
		t.Errorf("the build's layer holds %q, want /app/run and the changed /etc/app.conf", own)
	}
	if n := ix.Root.Lookup("/etc/app.conf"); n == nil || n.Content.Size != 4 || n.Layer != 1 {
		t.Errorf("/etc/app.conf is not the build's: %+v", n)
	}
	if len(rep.Layers) != 1 {
		t.Errorf("the build wrote %d layers of its own, want 1", len(rep.Layers))
	}
}
