package testfix

import (
	"archive/tar"
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"
)

// NixAppCertLine is the first line of NixAppExpression's CA bundle, which
// its app prints.
const NixAppCertLine = "# whittle-cacert: CA certificates of the host"

// NixAppTimeLine is the time line the app prints: the epoch in
// Europe/Riga, read from the tzdata store path through TZDIR.
const NixAppTimeLine = "1970-01-01 03:00 MSK"

// NixAppExpression is a Nix app the way nixpkgs' wrappers make one, and a
// NixOS-shaped system around it, built with nix-build from local
// derivations (builder /bin/sh, sandbox off so the host's busybox, CA
// bundle and zoneinfo can be copied in; no network, no nixpkgs):
//
//   - busybox: the host's static busybox, with sh, head and date links.
//   - cacert: etc/ssl/certs/ca-bundle.crt (NixAppCertLine, then the host's
//     bundle) and a share/doc/cacert/README no one names.
//   - tzdata: share/zoneinfo with UTC, Europe/Riga and posix -> . (Nix's
//     tzdata has that loop), and a share/doc/tzdata/NEWS no one names.
//   - data: two files, named only by its store path (no subpath).
//   - app: bin/app, a #! script of busybox's sh that prints the first
//     line of cacert's bundle and the epoch in Europe/Riga through
//     TZDIR=tzdata/share/zoneinfo; share/app/deps names data whole.
//   - bloat: an installed program the app never runs (1 MiB).
//   - sw: the system path: bin/app, bin/sh, bin/bloat links.
//   - etc: etc/ssl/certs/ca-bundle.crt and etc/zoneinfo links into cacert
//     and tzdata, etc/profile naming sw's bin.
//   - kernel: a 2 MiB blob only the system names.
//   - system: the NixOS toplevel: etc -> etc's etc, sw -> sw, an activate
//     script naming etc, bloat and kernel.
const NixAppExpression = `let
  mk = name: script: derivation {
    inherit name;
    system = builtins.currentSystem;
    builder = "/bin/sh";
    args = [ "-c" script ];
  };
in rec {
  busybox = mk "whittle-busybox" ''
    /bin/mkdir -p $out/bin
    /bin/cp BUSYBOX $out/bin/busybox
    for c in sh head date; do /bin/ln -s busybox $out/bin/$c; done
  '';
  cacert = mk "whittle-cacert" ''
    /bin/mkdir -p $out/etc/ssl/certs $out/share/doc/cacert
    { printf '%s\n' '` + NixAppCertLine + `'; /bin/cat /etc/ssl/certs/ca-certificates.crt; } > $out/etc/ssl/certs/ca-bundle.crt
    /usr/bin/head -c 65536 /dev/zero | /usr/bin/tr '\0' 'c' > $out/share/doc/cacert/README
  '';
  tzdata = mk "whittle-tzdata" ''
    /bin/mkdir -p $out/share/zoneinfo/Europe $out/share/doc/tzdata
    /bin/cp /usr/share/zoneinfo/UTC $out/share/zoneinfo/UTC
    /bin/cp /usr/share/zoneinfo/Europe/Riga $out/share/zoneinfo/Europe/Riga
    /bin/ln -s . $out/share/zoneinfo/posix
    /usr/bin/head -c 65536 /dev/zero | /usr/bin/tr '\0' 't' > $out/share/doc/tzdata/NEWS
  '';
  data = mk "whittle-app-data" ''
    /bin/mkdir -p $out
    printf 'a\n' > $out/a.txt
    printf 'b\n' > $out/b.txt
  '';
  app = mk "whittle-app" ''
    /bin/mkdir -p $out/bin $out/share/app
    {
      printf '#!%s/bin/sh\n' ${busybox}
      printf '%s/bin/head -1 %s/etc/ssl/certs/ca-bundle.crt\n' ${busybox} ${cacert}
      printf 'TZDIR=%s/share/zoneinfo TZ=Europe/Riga %s/bin/date -d @0 "+%%Y-%%m-%%d %%H:%%M %%Z"\n' ${tzdata} ${busybox}
    } > $out/bin/app
    /bin/chmod 555 $out/bin/app
    printf '%s\n' ${data} > $out/share/app/deps
  '';
  bloat = mk "whittle-bloat" ''
    /bin/mkdir -p $out/bin $out/share
    printf '#!%s/bin/sh\necho bloat\n' ${busybox} > $out/bin/bloat
    /bin/chmod 555 $out/bin/bloat
    /usr/bin/head -c 1048576 /dev/zero > $out/share/blob
  '';
  sw = mk "whittle-system-path" ''
    /bin/mkdir -p $out/bin
    /bin/ln -s ${app}/bin/app $out/bin/app
    /bin/ln -s ${busybox}/bin/busybox $out/bin/sh
    /bin/ln -s ${bloat}/bin/bloat $out/bin/bloat
  '';
  etc = mk "whittle-etc" ''
    /bin/mkdir -p $out/etc/ssl/certs
    /bin/ln -s ${cacert}/etc/ssl/certs/ca-bundle.crt $out/etc/ssl/certs/ca-bundle.crt
    /bin/ln -s ${tzdata}/share/zoneinfo $out/etc/zoneinfo
    printf 'export PATH=%s/bin\n' ${sw} > $out/etc/profile
  '';
  kernel = mk "whittle-kernel" ''
    /bin/mkdir -p $out
    /usr/bin/head -c 2097152 /dev/zero > $out/bzImage
  '';
  system = mk "whittle-nixos-system" ''
    /bin/mkdir -p $out
    /bin/ln -s ${etc}/etc $out/etc
    /bin/ln -s ${sw} $out/sw
    /bin/ln -s ${kernel}/bzImage $out/kernel
    printf '#!%s/bin/sh\n# activate %s %s\n' ${busybox} ${etc} ${bloat} > $out/activate
    /bin/chmod 555 $out/activate
  '';
}
`

// NixAppAttrs are NixAppExpression's attributes, in build order.
var NixAppAttrs = []string{"busybox", "cacert", "tzdata", "data", "app", "bloat", "sw", "etc", "kernel", "system"}

// NixApp describes the built NixAppExpression.
type NixApp struct {
	// Out maps each attribute to its out path.
	Out map[string]string
	// GCRoots is the directory holding the result links.
	GCRoots string
	// NixOS is a docker archive of a NixOS-shaped image of system: its
	// closure in /nix/store, /run/current-system -> system, /etc/static
	// -> etc's etc with /etc/ssl/certs/ca-bundle.crt, /etc/zoneinfo and
	// /etc/profile leading through it, /bin/sh into busybox, passwd and
	// group, a 1777 /tmp; Cmd /run/current-system/sw/bin/app, PATH
	// /run/current-system/sw/bin.
	NixOS string
}

// NixOSCmd and NixOSEnv are the NixOS image's Cmd and Env.
var (
	NixOSCmd = []string{"/run/current-system/sw/bin/app"}
	NixOSEnv = []string{"PATH=/run/current-system/sw/bin"}
)

// NixAppFixture builds NixAppExpression (once per fixture directory;
// again if the store has lost the paths since) and the NixOS image. It
// needs nix, a static busybox, the host's CA bundle and zoneinfo.
func NixAppFixture(t T) *NixApp {
	t.Helper()
	NeedTool(t, "nix-build", "nix-store", "busybox", "tar")
	bb, err := filepath.EvalSymlinks("/bin/busybox")
	if err != nil {
		t.Skipf("nix app fixture: no /bin/busybox: %v", err)
	}
	for _, f := range []string{"/etc/ssl/certs/ca-certificates.crt", "/usr/share/zoneinfo/Europe/Riga", "/usr/share/zoneinfo/UTC"} {
		if _, err := os.Stat(f); err != nil {
			t.Fatalf("nix app fixture: %v", err)
		}
	}
	expr := strings.Replace(NixAppExpression, "BUSYBOX", bb, 1)
	return storeFixture(t, "nix app fixture", "nix-app-v1:"+expr,
		func(dir string) error { return buildNixApp(dir, expr) }, readNixApp)
}

func buildNixApp(dir, expr string) error {
	file := filepath.Join(dir, "app.nix")
	if err := os.WriteFile(file, []byte(expr), 0o644); err != nil {
		return err
	}
	for _, attr := range NixAppAttrs {
		if _, err := runNix(dir, "nix-build", file, "--attr", attr, "--out-link", filepath.Join(dir, attr)); err != nil {
			return err
		}
	}
	app, err := readNixAppOut(dir)
	if err != nil {
		return err
	}
	return writeNixOSImage(dir, app.Out)
}

func readNixApp(dir string) (*NixApp, error) {
	app, err := readNixAppOut(dir)
	if err != nil {
		return nil, err
	}
	if _, err := os.Stat(app.NixOS); err != nil {
		return nil, err
	}
	return app, nil
}

func readNixAppOut(dir string) (*NixApp, error) {
	app := &NixApp{Out: map[string]string{}, GCRoots: dir, NixOS: filepath.Join(dir, "nixos.tar")}
	for _, attr := range NixAppAttrs {
		p, err := os.Readlink(filepath.Join(dir, attr))
		if err != nil {
			return nil, err
		}
		if _, err := os.Lstat(p); err != nil {
			return nil, fmt.Errorf("fixture path %s of %s: %w", p, attr, err)
		}
		app.Out[attr] = p
	}
	return app, nil
}

// writeNixOSImage lays out the NixOS-shaped root and writes it as a
// one-layer docker archive (written by hand, independently of the code
// under test).
func writeNixOSImage(dir string, out map[string]string) error {
	qr, err := runNix(dir, "nix-store", "-qR", out["system"])
	if err != nil {
		return err
	}
	root := filepath.Join(dir, "nixos-root")
	if _, err := os.Lstat(root); err == nil {
		Run("", "chmod", "-R", "u+w", root) // store copies are read-only
	}
	if err := os.RemoveAll(root); err != nil {
		return err
	}
	store := filepath.Join(root, "nix", "store")
	if err := os.MkdirAll(store, 0o755); err != nil {
		return err
	}
	paths := strings.Fields(string(qr))
	sort.Strings(paths)
	for _, p := range paths {
		if o, err := Run("", "cp", "-a", p, store+"/"); err != nil {
			return fmt.Errorf("copying %s: %v: %s", p, err, o)
		}
	}
	links := [][2]string{
		{"run/current-system", out["system"]},
		{"etc/static", out["etc"] + "/etc"},
		{"etc/ssl/certs/ca-bundle.crt", "/etc/static/ssl/certs/ca-bundle.crt"},
		{"etc/ssl/certs/ca-certificates.crt", "ca-bundle.crt"},
		{"etc/zoneinfo", "/etc/static/zoneinfo"},
		{"etc/profile", "/etc/static/profile"},
		{"bin/sh", out["busybox"] + "/bin/sh"},
	}
	for _, l := range links {
		p := filepath.Join(root, l[0])
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			return err
		}
		if err := os.Symlink(l[1], p); err != nil {
			return err
		}
	}
	files := map[string]string{
		"etc/passwd": "root:x:0:0:System administrator:/root:/run/current-system/sw/bin/sh\n",
		"etc/group":  "root:x:0:\n",
	}
	for name, body := range files {
		if err := os.WriteFile(filepath.Join(root, name), []byte(body), 0o644); err != nil {
			return err
		}
	}
	for _, d := range []string{"tmp", "root"} {
		if err := os.MkdirAll(filepath.Join(root, d), 0o755); err != nil {
			return err
		}
	}
	if err := os.Chmod(filepath.Join(root, "tmp"), 0o1777); err != nil {
		return err
	}
	layer := filepath.Join(dir, "nixos-layer.tar")
	if o, err := Run("", "tar", "--numeric-owner", "--owner=0", "--group=0", "--sort=name", "-C", root, "-cf", layer, "."); err != nil {
		return fmt.Errorf("tar: %v: %s", err, o)
	}
	config := map[string]any{"Cmd": NixOSCmd, "Env": NixOSEnv}
	return writeConfigArchive(filepath.Join(dir, "nixos.tar"), "whittle-nixos:latest", layer, config)
}

// writeConfigArchive writes a docker save archive of one uncompressed
// layer with the given image config.
func writeConfigArchive(out, tag, layer string, config map[string]any) error {
	data, err := os.ReadFile(layer)
	if err != nil {
		return err
	}
	sum := sha256.Sum256(data)
	diffID := hex.EncodeToString(sum[:])
	cfg, _ := json.Marshal(map[string]any{
		"architecture": "amd64", "os": "linux", "config": config,
		"rootfs":  map[string]any{"type": "layers", "diff_ids": []string{"sha256:" + diffID}},
		"history": []map[string]string{{"created_by": "nixos-shaped system"}},
	})
	cfgSum := sha256.Sum256(cfg)
	cfgPath := "blobs/sha256/" + hex.EncodeToString(cfgSum[:])
	layerPath := "blobs/sha256/" + diffID
	manifest, _ := json.Marshal([]map[string]any{{"Config": cfgPath, "RepoTags": []string{tag}, "Layers": []string{layerPath}}})
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	for _, m := range []struct {
		name string
		b    []byte
	}{{layerPath, data}, {cfgPath, cfg}, {"manifest.json", manifest}} {
		if err := writeMember(tw, m.name, m.b); err != nil {
			return err
		}
	}
	if err := tw.Close(); err != nil {
		return err
	}
	tmp := out + ".tmp"
	if err := os.WriteFile(tmp, buf.Bytes(), 0o644); err != nil {
		return err
	}
	return os.Rename(tmp, out)
}

// UnpackDockerArchive extracts the layers of a docker save archive, in
// order, into dst (with GNU tar; whiteouts are not applied) and returns
// the image config's Env and Cmd.
func UnpackDockerArchive(t T, archive, dst string) (env, cmd []string) {
	t.Helper()
	f, err := os.Open(archive)
	if err != nil {
		t.Fatalf("unpacking %s: %v", archive, err)
	}
	defer f.Close()
	members := map[string][]byte{}
	tr := tar.NewReader(f)
	for {
		hdr, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatalf("unpacking %s: %v", archive, err)
		}
		b, err := io.ReadAll(tr)
		if err != nil {
			t.Fatalf("unpacking %s: %v", archive, err)
		}
		members[hdr.Name] = b
	}
	var manifest []struct {
		Config string
		Layers []string
	}
	if err := json.Unmarshal(members["manifest.json"], &manifest); err != nil || len(manifest) != 1 {
		t.Fatalf("unpacking %s: manifest: %v", archive, err)
	}
	if err := os.MkdirAll(dst, 0o755); err != nil {
		t.Fatalf("unpacking %s: %v", archive, err)
	}
	tmp, err := os.MkdirTemp("", "whittle-unpack")
	if err != nil {
		t.Fatalf("unpacking %s: %v", archive, err)
	}
	defer os.RemoveAll(tmp)
	for i, l := range manifest[0].Layers {
		lt := filepath.Join(tmp, fmt.Sprintf("layer%d", i))
		if err := os.WriteFile(lt, members[l], 0o644); err != nil {
			t.Fatalf("unpacking %s: %v", archive, err)
		}
		if o, err := Run("", "tar", "--numeric-owner", "-C", dst, "-xf", lt); err != nil {
			t.Fatalf("unpacking layer %s of %s: %v: %s", l, archive, err, o)
		}
	}
	var cfg struct {
		Config struct {
			Env []string
			Cmd []string
		} `json:"config"`
	}
	if err := json.Unmarshal(members[manifest[0].Config], &cfg); err != nil {
		t.Fatalf("unpacking %s: config: %v", archive, err)
	}
	return cfg.Config.Env, cfg.Config.Cmd
}
