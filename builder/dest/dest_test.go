package dest

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"sort"
	"strings"
	"testing"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/layout"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
	"github.com/google/go-containerregistry/pkg/v1/types"
	"github.com/google/go-containerregistry/pkg/v1/validate"

	"github.com/whittle-dev/whittle/internal/reprotar"
	"github.com/whittle-dev/whittle/internal/testfix"
)

// testImage builds a two-layer image in code: /app (mode 0700, uid 1000)
// with a program and a symlink, then /etc/hostname. variant changes the
// program's content.
func testImage(t testing.TB, variant string) v1.Image {
	t.Helper()
	l1, err := reprotar.Layer([]reprotar.File{
		{Path: "/app", Kind: reprotar.Dir, Mode: 0o700, UID: 1000, GID: 1000},
		{Path: "/app/run", Kind: reprotar.Regular, Mode: 0o755, UID: 1000, GID: 1000, Data: []byte("#!/bin/sh\necho " + variant + "\n")},
		{Path: "/app/current", Kind: reprotar.Symlink, Mode: 0o777, Link: "run"},
	})
	if err != nil {
		t.Fatal(err)
	}
	l2, err := reprotar.Layer([]reprotar.File{
		{Path: "/etc/hostname", Kind: reprotar.Regular, Mode: 0o644, Data: []byte("whittle\n")},
	})
	if err != nil {
		t.Fatal(err)
	}
	base := mutate.ConfigMediaType(mutate.MediaType(empty.Image, types.OCIManifestSchema1), types.OCIConfigJSON)
	img, err := mutate.Append(base, mutate.Addendum{Layer: l1}, mutate.Addendum{Layer: l2})
	if err != nil {
		t.Fatal(err)
	}
	cf, err := img.ConfigFile()
	if err != nil {
		t.Fatal(err)
	}
	cf = cf.DeepCopy()
	cf.Architecture, cf.OS = "amd64", "linux"
	cf.Config.Entrypoint = []string{"/app/run"}
	cf.Config.Env = []string{"PATH=/usr/bin:/bin"}
	img, err = mutate.ConfigFile(img, cf)
	if err != nil {
		t.Fatal(err)
	}
	if err := validate.Image(img); err != nil {
		t.Fatal(err)
	}
	return img
}

// imageFacts are what the tests compare between what was written and
// what a tool read back.
type imageFacts struct {
	Digest  string
	Layers  []string
	DiffIDs []string
}

func factsOf(t testing.TB, img v1.Image) imageFacts {
	t.Helper()
	if err := validate.Image(img); err != nil {
		t.Fatalf("validate.Image: %v", err)
	}
	d, err := img.Digest()
	if err != nil {
		t.Fatal(err)
	}
	f := imageFacts{Digest: d.String()}
	ls, _ := img.Layers()
	for _, l := range ls {
		ld, _ := l.Digest()
		diff, _ := l.DiffID()
		f.Layers = append(f.Layers, ld.String())
		f.DiffIDs = append(f.DiffIDs, diff.String())
	}
	return f
}

// skopeoInspect runs `skopeo inspect` (and --config) on ref.
func skopeoInspect(t testing.TB, ref string, extra ...string) (digest string, layers []string, diffIDs []string, entrypoint []string) {
	t.Helper()
	testfix.NeedTool(t, "skopeo")
	out, err := testfix.Run("", "skopeo", append(append([]string{"inspect"}, extra...), ref)...)
	if err != nil {
		t.Fatal(err)
	}
	var info struct {
		Digest string
		Layers []string
	}
	if err := json.Unmarshal(out, &info); err != nil {
		t.Fatalf("skopeo inspect %s: %v\n%s", ref, err, out)
	}
	out, err = testfix.Run("", "skopeo", append(append([]string{"inspect", "--config"}, extra...), ref)...)
	if err != nil {
		t.Fatal(err)
	}
	var cfg v1.ConfigFile
	if err := json.Unmarshal(out, &cfg); err != nil {
		t.Fatalf("skopeo inspect --config %s: %v\n%s", ref, err, out)
	}
	for _, d := range cfg.RootFS.DiffIDs {
		diffIDs = append(diffIDs, d.String())
	}
	return info.Digest, info.Layers, diffIDs, cfg.Config.Entrypoint
}

// The image testImage(t, "v1") builds, bit for bit.
var want = imageFacts{
	Digest:  "sha256:467a564d286b7a9d89f8393ffd0e9e646f83492f89c6a09d53277623dee33e2c",
	Layers:  []string{"sha256:b790868ac65b060c857e8672672b4e4e30f962a8bc73cbcebc26202a3ab674dd", "sha256:634f1f9071c1479cb7dc167da3fb194ded2f7b5d2c8682c5ea89037acab583d2"},
	DiffIDs: []string{"sha256:1410ee1425df5b2b7dc104a8f71059d63ae17b80874d99a3acd0c962a87391bd", "sha256:f96e3a2e82b5472a4357448325a360dc67e11cb5d5380949bbc2dada63179f98"},
}

func TestImageIsReproducible(t *testing.T) {
	if got := factsOf(t, testImage(t, "v1")); !reflect.DeepEqual(got, want) {
		t.Fatalf("test image:\n got %#v\nwant %#v", got, want)
	}
}

// An image whose manifest is Docker's but whose layers are OCI's passes
// validate.Image yet registries and skopeo refuse it: refused before
// anything is written.
func TestMixedMediaTypes(t *testing.T) {
	l, _ := reprotar.Layer([]reprotar.File{{Path: "/a", Kind: reprotar.Regular, Mode: 0o644}})
	img, err := mutate.Append(empty.Image, mutate.Addendum{Layer: l})
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "x.tar")
	d, _ := Parse("docker-archive:" + path)
	err = d.Write(context.Background(), img, nil)
	if want := "writing docker-archive:" + path + ": layer 1 is application/vnd.oci.image.layer.v1.tar+gzip in a application/vnd.docker.distribution.manifest.v2+json image: build the image with one family of media types"; err == nil || err.Error() != want {
		t.Errorf("got %v\nwant %s", err, want)
	}
	if _, err := os.Stat(path); !os.IsNotExist(err) {
		t.Errorf("%s was written", path)
	}
}

func TestParse(t *testing.T) {
	for _, tc := range []struct{ ref, kind, err string }{
		{"docker-archive:out.tar", "*dest.dockerArchive", ""},
		{"docker-archive:out.tar:app:1.0", "*dest.dockerArchive", ""},
		{"oci:out", "*dest.ociLayout", ""},
		{"oci:out:app", "*dest.ociLayout", ""},
		{"oci-archive:out.tar", "*dest.ociArchive", ""},
		{"docker://127.0.0.1:5000/app:1", "*dest.registry", ""},
		{"docker-daemon:app:1", "*dest.daemon", ""},
		{"out.tar", "", `output "out.tar": say which kind of output it is: docker-archive:out.tar, oci:out.tar, oci-archive:out.tar, docker://out.tar or docker-daemon:out.tar`},
		{"./dir/x:y", "", `output "./dir/x:y": say which kind of output it is: docker-archive:./dir/x:y, oci:./dir/x:y, oci-archive:./dir/x:y, docker://./dir/x:y or docker-daemon:./dir/x:y`},
		{"dir:out", "", `output "dir:out": unknown kind of output "dir" (known: docker-archive, oci, oci-archive, docker://, docker-daemon)`},
		{"oci:", "", `output "oci:": oci needs a path`},
		{"docker-archive::tag", "", `output "docker-archive::tag": docker-archive needs a path`},
		{"docker-archive:out.tar:Bad Tag", "", `output "docker-archive:out.tar:Bad Tag": "Bad Tag" is not an image tag: repository can only contain the characters ` + "`abcdefghijklmnopqrstuvwxyz0123456789_-./`" + `: Bad Tag`},
		{"docker://", "", `output "docker://": no image named after docker://`},
		{"docker://UPPER/x", "", `output "docker://UPPER/x": not a valid image reference: could not parse reference: UPPER/x`},
		{"docker-daemon:", "", `output "docker-daemon:": docker-daemon needs an image name, like docker-daemon:app:latest`},
	} {
		d, err := Parse(tc.ref)
		gotErr := ""
		if err != nil {
			gotErr = err.Error()
		}
		if gotErr != tc.err {
			t.Errorf("Parse(%q) error:\n got %s\nwant %s", tc.ref, gotErr, tc.err)
			continue
		}
		if err == nil {
			if k := reflect.TypeOf(d).String(); k != tc.kind || d.Name() != tc.ref {
				t.Errorf("Parse(%q) = %s named %q", tc.ref, k, d.Name())
			}
		}
	}
}

func write(t testing.TB, ref string, img v1.Image) []Progress {
	t.Helper()
	d, err := Parse(ref)
	if err != nil {
		t.Fatal(err)
	}
	var events []Progress
	if err := d.Write(context.Background(), img, func(p Progress) { events = append(events, p) }); err != nil {
		t.Fatal(err)
	}
	return events
}

// finished keeps the Done events.
func finished(events []Progress) []Progress {
	var out []Progress
	for _, e := range events {
		if e.Done {
			out = append(out, e)
		}
	}
	return out
}

// dirNames lists the names in dir, sorted.
func dirNames(t testing.TB, dir string) []string {
	t.Helper()
	ents, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range ents {
		names = append(names, e.Name())
	}
	sort.Strings(names)
	return names
}

func TestDockerArchive(t *testing.T) {
	realTools(t)
	dir := t.TempDir()
	img := testImage(t, "v1")
	path := filepath.Join(dir, "out.tar")
	events := write(t, "docker-archive:"+path+":app:1.0", img)
	wantDone := []Progress{
		{Dest: "docker-archive:" + path + ":app:1.0", Layer: mustHash(want.Layers[0]), Index: 0, Layers: 2, Written: layerSize(t, img, 0), Total: layerSize(t, img, 0), Done: true},
		{Dest: "docker-archive:" + path + ":app:1.0", Layer: mustHash(want.Layers[1]), Index: 1, Layers: 2, Written: layerSize(t, img, 1), Total: layerSize(t, img, 1), Done: true},
	}
	if got := finished(events); !reflect.DeepEqual(got, wantDone) {
		t.Errorf("progress:\n got %+v\nwant %+v", got, wantDone)
	}
	if got := dirNames(t, dir); !reflect.DeepEqual(got, []string{"out.tar"}) {
		t.Errorf("directory holds %q", got)
	}
	tag, _ := name.NewTag("app:1.0")
	back, err := tarball.Image(func() (io.ReadCloser, error) { return os.Open(path) }, &tag)
	if err != nil {
		t.Fatal(err)
	}
	if got := factsOf(t, back); !reflect.DeepEqual(got.DiffIDs, want.DiffIDs) {
		t.Errorf("read back: %+v", got)
	}
	_, layers, diffIDs, ep := skopeoInspect(t, "docker-archive:"+path)
	if !reflect.DeepEqual(diffIDs, want.DiffIDs) || !reflect.DeepEqual(ep, []string{"/app/run"}) || len(layers) != 2 {
		t.Errorf("skopeo inspect: layers %q diffIDs %q entrypoint %q", layers, diffIDs, ep)
	}
	// The archive names the image by its tag.
	out, err := testfix.Run("", "tar", "-xOf", path, "manifest.json")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(out), `"RepoTags":["app:1.0"]`) {
		t.Errorf("manifest.json: %s", out)
	}
}

func mustHash(s string) v1.Hash {
	h, err := v1.NewHash(s)
	if err != nil {
		panic(err)
	}
	return h
}

func layerSize(t testing.TB, img v1.Image, i int) int64 {
	t.Helper()
	ls, err := img.Layers()
	if err != nil {
		t.Fatal(err)
	}
	n, err := ls[i].Size()
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// unpackedFiles unpacks an OCI layout image with umoci and lists its root
// file system as "path mode uid:gid[ -> link]" lines, sorted.
func unpackedFiles(t testing.TB, layoutRef string) []string {
	t.Helper()
	testfix.NeedTool(t, "umoci")
	bundle := filepath.Join(t.TempDir(), "bundle")
	if _, err := testfix.Run("", "umoci", "unpack", "--rootless", "--image", layoutRef, bundle); err != nil {
		t.Fatal(err)
	}
	root := filepath.Join(bundle, "rootfs")
	var lines []string
	err := filepath.Walk(root, func(p string, st os.FileInfo, err error) error {
		if err != nil || p == root {
			return err
		}
		rel, _ := filepath.Rel(root, p)
		line := "/" + rel + " " + st.Mode().String()
		if st.Mode()&os.ModeSymlink != 0 {
			l, _ := os.Readlink(p)
			line += " -> " + l
		} else if st.Mode().IsRegular() {
			b, _ := os.ReadFile(p)
			line += " " + strings.TrimSpace(string(b))
		}
		lines = append(lines, line)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	sort.Strings(lines)
	return lines
}

// The test image's files as umoci unpacks them (rootless: owners are the
// caller; umoci records them in umoci.json).
var wantFiles = []string{
	"/app drwx------",
	"/app/current Lrwxrwxrwx -> run",
	"/app/run -rwxr-xr-x #!/bin/sh\necho v1",
	"/etc drwxr-xr-x",
	"/etc/hostname -rw-r--r-- whittle",
}

func TestOCILayout(t *testing.T) {
	realTools(t)
	dir := t.TempDir()
	out := filepath.Join(dir, "out")
	img := testImage(t, "v1")
	write(t, "oci:"+out+":app", img)
	if got := dirNames(t, dir); !reflect.DeepEqual(got, []string{"out"}) {
		t.Errorf("directory holds %q", got)
	}
	digest, layers, diffIDs, ep := skopeoInspect(t, "oci:"+out+":app")
	if digest != want.Digest || !reflect.DeepEqual(layers, want.Layers) || !reflect.DeepEqual(diffIDs, want.DiffIDs) || !reflect.DeepEqual(ep, []string{"/app/run"}) {
		t.Errorf("skopeo inspect: digest %s layers %q diffIDs %q entrypoint %q", digest, layers, diffIDs, ep)
	}
	if got := unpackedFiles(t, out+":app"); !reflect.DeepEqual(got, wantFiles) {
		t.Errorf("umoci unpack:\n got %q\nwant %q", got, wantFiles)
	}
	// Readable by everyone, as the other outputs are: files 0644,
	// directories 0755 (the layout library writes 0600 and 0755 files).
	filepath.WalkDir(out, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			t.Fatal(err)
		}
		info, _ := d.Info()
		if want := fs.FileMode(0o644); d.IsDir() && info.Mode().Perm() != 0o755 || !d.IsDir() && info.Mode().Perm() != want {
			t.Errorf("%s has mode %o", p, info.Mode().Perm())
		}
		return nil
	})
	lp, err := layout.FromPath(out)
	if err != nil {
		t.Fatal(err)
	}
	back, err := lp.Image(mustHash(want.Digest))
	if err != nil {
		t.Fatal(err)
	}
	if got := factsOf(t, back); !reflect.DeepEqual(got, want) {
		t.Errorf("read back %+v", got)
	}

	// A second name is added; the same name again is replaced.
	write(t, "oci:"+out+":other", testImage(t, "v2"))
	v3 := testImage(t, "v3")
	write(t, "oci:"+out+":app", v3)
	write(t, "oci:"+out, img) // the unnamed image
	ii, err := layout.ImageIndexFromPath(out)
	if err != nil {
		t.Fatal(err)
	}
	im, err := ii.IndexManifest()
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, d := range im.Manifests {
		got = append(got, d.Annotations[refNameAnnotation]+"="+d.Digest.String())
	}
	v2d, _ := testImage(t, "v2").Digest()
	v3d, _ := v3.Digest()
	wantIndex := []string{"other=" + v2d.String(), "app=" + v3d.String(), "=" + want.Digest}
	if !reflect.DeepEqual(got, wantIndex) {
		t.Errorf("index:\n got %q\nwant %q", got, wantIndex)
	}
	if d, _, _, _ := skopeoInspect(t, "oci:"+out+":app"); d != v3d.String() {
		t.Errorf("oci:out:app is %s, want %s", d, v3d)
	}
	if got := dirNames(t, dir); !reflect.DeepEqual(got, []string{"out"}) {
		t.Errorf("directory holds %q", got)
	}
}

func TestOCIArchive(t *testing.T) {
	realTools(t)
	dir := t.TempDir()
	path := filepath.Join(dir, "out.tar")
	write(t, "oci-archive:"+path+":app", testImage(t, "v1"))
	if got := dirNames(t, dir); !reflect.DeepEqual(got, []string{"out.tar"}) {
		t.Errorf("directory holds %q", got)
	}
	digest, layers, diffIDs, _ := skopeoInspect(t, "oci-archive:"+path+":app")
	if digest != want.Digest || !reflect.DeepEqual(layers, want.Layers) || !reflect.DeepEqual(diffIDs, want.DiffIDs) {
		t.Errorf("skopeo inspect: digest %s layers %q diffIDs %q", digest, layers, diffIDs)
	}
	// skopeo copies it to a layout of its own, which umoci unpacks.
	copied := filepath.Join(t.TempDir(), "copied")
	if _, err := testfix.Run("", "skopeo", "copy", "oci-archive:"+path+":app", "oci:"+copied+":x"); err != nil {
		t.Fatal(err)
	}
	if got := unpackedFiles(t, copied+":x"); !reflect.DeepEqual(got, wantFiles) {
		t.Errorf("umoci unpack of the skopeo copy:\n got %q\nwant %q", got, wantFiles)
	}
	// The archive is reproducible.
	first, _ := os.ReadFile(path)
	write(t, "oci-archive:"+path+":app", testImage(t, "v1"))
	if again, _ := os.ReadFile(path); string(again) != string(first) {
		t.Error("writing the same image twice gave different archives")
	}
}

func TestDockerArchiveCopiedToOCI(t *testing.T) {
	realTools(t)
	dir := t.TempDir()
	path := filepath.Join(dir, "out.tar")
	write(t, "docker-archive:"+path, testImage(t, "v1"))
	testfix.NeedTool(t, "skopeo")
	copied := filepath.Join(dir, "copied")
	if _, err := testfix.Run("", "skopeo", "copy", "docker-archive:"+path, "oci:"+copied+":x"); err != nil {
		t.Fatal(err)
	}
	if got := unpackedFiles(t, copied+":x"); !reflect.DeepEqual(got, wantFiles) {
		t.Errorf("umoci unpack:\n got %q\nwant %q", got, wantFiles)
	}
	lp, _ := layout.FromPath(copied)
	ii, _ := lp.ImageIndex()
	im, _ := ii.IndexManifest()
	back, err := lp.Image(im.Manifests[0].Digest)
	if err != nil {
		t.Fatal(err)
	}
	if got := factsOf(t, back); !reflect.DeepEqual(got.DiffIDs, want.DiffIDs) {
		t.Errorf("diff IDs after skopeo copy: %q", got.DiffIDs)
	}
}

func TestRegistry(t *testing.T) {
	realTools(t)
	host := testfix.StartRegistry(t)
	img := testImage(t, "v1")
	ref := "docker://" + host + "/whittle/app:1"
	events := write(t, ref, img)
	if got := len(finished(events)); got != 2 {
		t.Errorf("first push wrote %d layers, want 2", got)
	}
	digest, layers, diffIDs, ep := skopeoInspect(t, "docker://"+host+"/whittle/app:1", "--tls-verify=false")
	if digest != want.Digest || !reflect.DeepEqual(layers, want.Layers) || !reflect.DeepEqual(diffIDs, want.DiffIDs) || !reflect.DeepEqual(ep, []string{"/app/run"}) {
		t.Errorf("skopeo inspect: digest %s layers %q diffIDs %q entrypoint %q", digest, layers, diffIDs, ep)
	}
	r, _ := name.ParseReference(host + "/whittle/app:1")
	back, err := remote.Image(r)
	if err != nil {
		t.Fatal(err)
	}
	if got := factsOf(t, back); !reflect.DeepEqual(got, want) {
		t.Errorf("pulled %+v", got)
	}
	// A second image sharing the /etc layer: only the new layer is sent.
	events = write(t, "docker://"+host+"/whittle/app:2", testImage(t, "v2"))
	if got := finished(events); len(got) != 1 || got[0].Index != 0 {
		t.Errorf("second push wrote %+v, want only layer 0", got)
	}
	// Plain HTTP is refused to a registry that is not on loopback.
	d, err := Parse("docker://192.168.0.1:5000/x:1")
	if err != nil {
		t.Fatal(err)
	}
	err = d.Write(context.Background(), img, nil)
	if err == nil || !strings.Contains(err.Error(), "refusing plain HTTP to 192.168.0.1:5000 (only loopback registries may use it; pass --insecure to allow)") {
		t.Errorf("push to a private address over HTTP: %v", err)
	}
}

func TestDaemon(t *testing.T) {
	realTools(t)
	testfix.NeedTool(t, "podman")
	dir := t.TempDir()
	seed := filepath.Join(dir, "seed.tar")
	write(t, "docker-archive:"+seed+":seed:1", testImage(t, "v2"))
	host := testfix.StartPodman(t, seed)
	t.Setenv("DOCKER_HOST", host)
	img := testImage(t, "v1")
	write(t, "docker-daemon:whittle-test:v1", img)
	sock := strings.TrimPrefix(host, "unix://")
	pdir := filepath.Dir(sock)
	out, err := exec.Command("podman", "--root", filepath.Join(pdir, "root"), "--runroot", filepath.Join(pdir, "run"), "--storage-driver", "vfs", "--events-backend", "none",
		"image", "inspect", "--format", "{{.Id}} {{.Config.Entrypoint}} {{.RepoTags}}", "whittle-test:v1").CombinedOutput()
	if err != nil {
		t.Fatalf("podman image inspect: %v\n%s", err, out)
	}
	cfg, _ := img.ConfigName()
	if got, wantLine := strings.TrimSpace(string(out)), cfg.Hex+" [/app/run] [localhost/whittle-test:v1]"; got != wantLine {
		t.Errorf("podman image inspect:\n got %s\nwant %s", got, wantLine)
	}
}

func TestMulti(t *testing.T) {
	dir := t.TempDir()
	m, err := ParseAll([]string{"oci:" + filepath.Join(dir, "a"), "docker-archive:" + filepath.Join(dir, "b.tar")}, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if m.Name() != "oci:"+filepath.Join(dir, "a")+",docker-archive:"+filepath.Join(dir, "b.tar") {
		t.Errorf("Name %q", m.Name())
	}
	var done []string
	if err := m.Write(context.Background(), testImage(t, "v1"), func(p Progress) {
		if p.Done {
			done = append(done, strings.TrimPrefix(p.Dest, "")+" "+p.Layer.Hex[:8])
		}
	}); err != nil {
		t.Fatal(err)
	}
	if len(done) != 4 {
		t.Errorf("done events: %q", done)
	}
	if got := dirNames(t, dir); !reflect.DeepEqual(got, []string{"a", "b.tar"}) {
		t.Errorf("directory holds %q", got)
	}
	// A failing destination does not stop the next; both errors are told.
	bad := filepath.Join(dir, "missing", "x.tar")
	m, _ = ParseAll([]string{"docker-archive:" + bad, "oci-archive:" + filepath.Join(dir, "c.tar")}, Options{})
	err = m.Write(context.Background(), testImage(t, "v1"), nil)
	if err == nil || err.Error() != "writing docker-archive:"+bad+": writing "+bad+": no such file or directory" {
		t.Errorf("error: %v", err)
	}
	if got := dirNames(t, dir); !reflect.DeepEqual(got, []string{"a", "b.tar", "c.tar"}) {
		t.Errorf("directory holds %q", got)
	}
}

// A cancelled or failed write leaves nothing behind: no target, no
// temporary files, an existing target untouched.
func TestNothingHalfWritten(t *testing.T) {
	realTools(t)
	dir := t.TempDir()
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	for _, ref := range []string{"docker-archive:" + filepath.Join(dir, "a.tar"), "oci:" + filepath.Join(dir, "b"), "oci-archive:" + filepath.Join(dir, "c.tar")} {
		d, _ := Parse(ref)
		if err := d.Write(ctx, testImage(t, "v1"), nil); !errors.Is(err, context.Canceled) {
			t.Errorf("%s: %v, want context.Canceled", ref, err)
		}
	}
	if got, _ := os.ReadDir(dir); len(got) != 0 {
		t.Errorf("a cancelled write left %v", got)
	}
	// An existing layout survives a cancelled replacement whole.
	write(t, "oci:"+filepath.Join(dir, "b")+":app", testImage(t, "v1"))
	d, _ := Parse("oci:" + filepath.Join(dir, "b") + ":app")
	if err := d.Write(ctx, testImage(t, "v2"), nil); !errors.Is(err, context.Canceled) {
		t.Errorf("%v, want context.Canceled", err)
	}
	if dg, _, _, _ := skopeoInspect(t, "oci:"+filepath.Join(dir, "b")+":app"); dg != want.Digest {
		t.Errorf("the layout now holds %s", dg)
	}
	// A directory that is not a layout is never overwritten.
	other := filepath.Join(dir, "notalayout")
	os.MkdirAll(other, 0o755)
	os.WriteFile(filepath.Join(other, "keep"), []byte("x"), 0o644)
	d, _ = Parse("oci:" + other)
	err := d.Write(context.Background(), testImage(t, "v1"), nil)
	if wantErr := "writing oci:" + other + ": " + other + " exists and is not an OCI layout (no oci-layout file); not overwriting it"; err == nil || err.Error() != wantErr {
		t.Errorf("got %v\nwant %s", err, wantErr)
	}
	if got := dirNames(t, dir); !reflect.DeepEqual(got, []string{"b", "notalayout"}) {
		t.Errorf("directory holds %q", got)
	}
}

// realTools skips a test that runs tools we did not write (skopeo, umoci,
// docker-registry, podman) under -short.
func realTools(t *testing.T) {
	t.Helper()
	if testing.Short() {
		t.Skip("runs real tools (-short)")
	}
}
